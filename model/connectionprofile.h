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
    bool readOnlyLocked = false; // an auditor's profile: writes can never be unlocked
    QColor color; // production stores are often coloured; invalid for none

    // The config to open, with `password` filled in (empty for none). Errors are the URL's.
    Result<StoreConfig> toConfig(const QString &password) const;
    // A short kind label: "Redis", "Redis (TLS)".
    QString kindLabel() const;

    static QList<ConnectionProfile> load(QSettings &settings);
    static void save(QSettings &settings, const QList<ConnectionProfile> &profiles);
};

} // namespace SessionDesk
