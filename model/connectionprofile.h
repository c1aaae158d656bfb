#pragma once

#include "storeconfig.h"

#include <QColor>
#include <QList>
#include <QString>

class QSettings;

namespace SessionDesk {

// A saved connection. Never holds a password: that is asked for when connecting, or read from
// SESSIONDESK_PASSWORD, so that nothing secret reaches the settings file.
struct ConnectionProfile
{
    QString name; // unique, shown in the connections list
    QString url; // redis://user@host:port/db, without password
    QString schema = QStringLiteral("connect-redis");
    QString userIndex; // e.g. "user-sessions:{user}", empty for none
    QStringList userFields; // empty: the schema's defaults
    QString tlsCaFile;
    QString tlsCertFile;
    QString tlsKeyFile;
    QString tlsServerName;
    bool tlsInsecure = false;
    // Sentinel URLs: the sentinels' own ACL user, when they have one. Their password is never
    // saved: it comes from SESSIONDESK_SENTINEL_PASSWORD.
    QString sentinelUser;
    // Cluster URLs: "ANNOUNCED=REACHABLE" mappings for nodes that announce addresses this
    // machine cannot reach (see HostMapping).
    QStringList clusterHostMap;
    bool readOnlyLocked = false; // an auditor's profile: writes can never be unlocked
    QColor color; // production stores are often coloured; invalid for none

    // The config to open, with `password` filled in (empty for none) and, for Sentinel, the
    // sentinels' password from SESSIONDESK_SENTINEL_PASSWORD. Errors are the URL's or a host
    // mapping's.
    Result<StoreConfig> toConfig(const QString &password) const;
    // A short kind label: "Redis", "Redis (TLS)", "Redis Sentinel", "Redis Cluster (TLS)",
    // "DynamoDB".
    QString kindLabel() const;

    static QList<ConnectionProfile> load(QSettings &settings);
    static void save(QSettings &settings, const QList<ConnectionProfile> &profiles);
};

} // namespace SessionDesk
