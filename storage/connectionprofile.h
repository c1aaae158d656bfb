#pragma once

#include "sessionlayout.h"
#include "storeconfig.h"

#include <QList>
#include <QString>
#include <QStringList>

class QSettings;

namespace SessionDesk {

// A saved connection, shared by the desktop app and `sessiondesk-cli --profile`. Never holds a
// password: that comes from $SESSIONDESK_PASSWORD, the system keychain (see keychain.h) or the
// operator, so that nothing secret reaches the settings file.
struct ConnectionProfile
{
    QString name; // unique, shown in the connections list
    QString url; // redis://user@host:port/db, without password
    // A preset name; "auto" detects it when the store connects. Profiles saved before detection
    // existed have no schema and keep connect-redis.
    QString schema = QStringLiteral("connect-redis");
    QString schemaFile; // a layout file (SessionLayout::fromJsonFile) instead of the preset
    QString userIndex; // e.g. "user-sessions:{user}", empty for none
    QStringList userFields; // empty: the schema's defaults
    QString tlsCaFile;
    QString tlsCertFile;
    QString tlsKeyFile;
    QString tlsServerName;
    bool tlsInsecure = false;
    // Sentinel URLs: the sentinels' own ACL user, when they have one. Their password comes from
    // SESSIONDESK_SENTINEL_PASSWORD, the system keychain (sentinelSecretKey()) or the operator.
    QString sentinelUser;
    // Cluster URLs: "ANNOUNCED=REACHABLE" mappings for nodes that announce addresses this
    // machine cannot reach (see HostMapping).
    QStringList clusterHostMap;
    bool readOnlyLocked = false; // an auditor's profile: writes can never be unlocked
    // Redis: at most this many operations a second (StoreConfig::maxOpsPerSecond), to spare a
    // production server during its busy hours; 0 for no limit.
    int maxOpsPerSecond = 0;
    QString color; // "#rrggbb"; production stores are often coloured. Empty for none.
    // The operator chose to keep this store's password in the system keychain. Only a hint of
    // where to look: the password itself is never in the settings.
    bool passwordInKeychain = false;
    // Likewise for the sentinels' own password (Sentinel URLs only).
    bool sentinelPasswordInKeychain = false;

    // The config to open, with `password` filled in (empty for none) and, for Sentinel, the
    // sentinels' password from SESSIONDESK_SENTINEL_PASSWORD. Errors are the URL's or a host
    // mapping's.
    Result<StoreConfig> toConfig(const QString &password) const;
    // The schema preset (or layout file) with this profile's user index and user fields,
    // validated. "auto" on a DynamoDB URL is dynamodb-gds.
    Result<SessionLayout> toLayout() const;
    // A short kind label: "Redis", "Redis (TLS)", "Redis Sentinel", "Redis Cluster (TLS)",
    // "DynamoDB".
    QString kindLabel() const;
    // The keychain entry that holds this store's password: scheme, ACL user, host and port, so
    // that a saved password is only ever sent to the endpoint it was saved for. Empty for
    // stores without passwords (DynamoDB uses the AWS credential chain) and unparsable URLs.
    QString secretKey() const;
    // The keychain entry that holds the sentinels' own password: scheme, the sentinels' ACL user
    // and the sentinels' addresses. Empty unless the URL is a Sentinel one.
    QString sentinelSecretKey() const;

    // The keychain entries `removed` saved that no connection in `remaining` uses: what to take
    // out of the keychain with it.
    static QStringList unsharedSecretKeys(const ConnectionProfile &removed,
                                          const QList<ConnectionProfile> &remaining);
    // After keychain entry `key` was removed: clears the flag of every connection that used it
    // (as the store's or the sentinels' entry) and returns their names.
    static QStringList forgetSecretKey(QList<ConnectionProfile> &profiles, const QString &key);

    static QList<ConnectionProfile> load(QSettings &settings);
    static void save(QSettings &settings, const QList<ConnectionProfile> &profiles);
    // The profile named `name` (exact match), or nullptr.
    static const ConnectionProfile *find(const QList<ConnectionProfile> &profiles,
                                         const QString &name);
    // The settings file both front ends share: sessiondesk.ini in the user's configuration
    // folder (~/.config/SessionDesk/SessionDesk/ on Linux). Needs the application and
    // organisation names set first.
    static QString defaultSettingsPath();
};

} // namespace SessionDesk
