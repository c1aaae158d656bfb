#pragma once

#include "sessionlayout.h"
#include "storeconfig.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

namespace SessionDesk {

// The store options both front ends accept, with the same names and meanings:
// --store --schema --user-field --user-index --tls-* --sentinel-* --cluster-host-map
// --read-only --timeout.
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
    };
    // The password comes from the URL or $SESSIONDESK_PASSWORD; a sentinel password from
    // --sentinel-password or $SESSIONDESK_SENTINEL_PASSWORD. Errors are usage errors
    // (Code::InvalidArgument) in one sentence.
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
    const QCommandLineOption sentinelUser;
    const QCommandLineOption sentinelPassword;
    const QCommandLineOption clusterHostMap;
    const QCommandLineOption readOnly;
    const QCommandLineOption timeout;
};

} // namespace SessionDesk
