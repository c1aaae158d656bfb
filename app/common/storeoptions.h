#pragma once

#include "sessionlayout.h"
#include "storeconfig.h"
#include "valuetree.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

namespace SessionDesk {

// The store options both front ends accept, with the same names and meanings:
// --store --schema --user-field --user-index --tls-* --read-only --timeout --mask-field
// --no-mask-field.
class StoreOptions
{
public:
    StoreOptions();
    void addTo(QCommandLineParser &parser) const;

    struct Selection
    {
        StoreConfig config;
        SessionLayout layout;
        bool storeGiven = false; // --store or $SESSIONDESK_STORE was set
        MaskingRules masking; // --mask-field / --no-mask-field on top of the defaults
    };
    // The password comes from the URL or $SESSIONDESK_PASSWORD. Errors are usage errors
    // (Code::InvalidArgument) in one sentence. On success the masking rules are also installed
    // for the whole process (setMaskingRules), as they apply to every value either front end
    // shows.
    Result<Selection> read(const QCommandLineParser &parser) const;

    const QCommandLineOption store;
    const QCommandLineOption schema;
    const QCommandLineOption userField;
    const QCommandLineOption userIndex;
    // Layout overrides for tables and key spaces that differ from a preset.
    const QCommandLineOption keyPrefix;
    const QCommandLineOption idAttribute;
    const QCommandLineOption valueAttribute;
    const QCommandLineOption expiresAttribute;
    const QCommandLineOption userAttribute;
    const QCommandLineOption tlsCa;
    const QCommandLineOption tlsCert;
    const QCommandLineOption tlsKey;
    const QCommandLineOption tlsServerName;
    const QCommandLineOption tlsInsecure;
    const QCommandLineOption readOnly;
    const QCommandLineOption timeout;
    const QCommandLineOption maskField; // a field name to mask as well; repeatable, or a,b
    const QCommandLineOption noMaskField; // a field name never to mask; repeatable, or a,b
};

} // namespace SessionDesk
