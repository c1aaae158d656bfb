#pragma once

#include "connectionprofile.h"
#include "sessionlayout.h"
#include "storeconfig.h"
#include "valuetree.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <optional>

namespace SessionDesk {

// The store options both front ends accept, with the same names and meanings:
// --store --schema --schema-file --user-field --user-index --tls-* --sentinel-*
// --cluster-host-map --read-only --timeout --max-ops --mask-field --no-mask-field, and --profile
// NAME (a saved connection from --settings FILE, else the shared settings file). A Redis store's
// layout defaults to "auto" (detected when the store connects); a DynamoDB table's to dynamodb-gds.
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
        std::optional<ConnectionProfile> profile; // --profile: the saved connection
        MaskingRules masking; // --mask-field / --no-mask-field on top of the defaults
        QString schemaFile; // --schema-file, for saved connections
    };
    // The password comes from the URL or $SESSIONDESK_PASSWORD; a sentinel password from
    // --sentinel-password or $SESSIONDESK_SENTINEL_PASSWORD. With --profile the saved
    // connection gives the store, layout and TLS settings; only --read-only (which tightens),
    // --timeout, --max-ops and the masking options may be added, other store options are
    // refused. Errors are one sentence: usage errors are Code::InvalidArgument, an unknown
    // profile name is Code::NotFound. On success the masking rules are also installed for the
    // whole process (setMaskingRules), as they apply to every value either front end shows.
    Result<Selection> read(const QCommandLineParser &parser) const;
    // --settings FILE, else ConnectionProfile::defaultSettingsPath().
    QString settingsPath(const QCommandLineParser &parser) const;

    const QCommandLineOption store;
    const QCommandLineOption schema;
    const QCommandLineOption schemaFile;
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
    const QCommandLineOption maxOps;
    const QCommandLineOption maskField; // a field name to mask as well; repeatable, or a,b
    const QCommandLineOption noMaskField; // a field name never to mask; repeatable, or a,b
    const QCommandLineOption profile;
    const QCommandLineOption settings;

private:
    Result<Selection> readProfile(const QCommandLineParser &parser) const;
    Result<Selection> readStore(const QCommandLineParser &parser) const;
    Result<void> applyTimeout(const QCommandLineParser &parser, StoreConfig &config) const;
    Result<void> applyMaxOps(const QCommandLineParser &parser, StoreConfig &config) const;
    Result<void> applyMasking(const QCommandLineParser &parser, Selection &selection) const;
};

} // namespace SessionDesk
