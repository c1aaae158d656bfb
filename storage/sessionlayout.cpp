#include "sessionlayout.h"

namespace SessionDesk {

namespace {

const QString kUserPlaceholder = QStringLiteral("{user}");

} // namespace

QByteArray globEscape(const QByteArray &text)
{
    QByteArray out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\')
            out.append('\\');
        out.append(c);
    }
    return out;
}

Result<SessionLayout> SessionLayout::preset(const QString &name)
{
    const QString key = name.trimmed().toLower();
    if (key == u"connect-redis" || key == u"express" || key == u"express-session") {
        SessionLayout layout;
        layout.schema = QStringLiteral("connect-redis");
        layout.description = QStringLiteral("express-session + connect-redis (JSON)");
        layout.keyPrefix = "sess:";
        layout.userFields = {QStringLiteral("user_id"), QStringLiteral("passport.user"),
                             QStringLiteral("userId"), QStringLiteral("sub")};
        layout.cookieName = QStringLiteral("connect.sid");
        // Not written by express-session itself; common in apps built on it.
        layout.startedFields = {QStringLiteral("loginAt"), QStringLiteral("createdAt"),
                                QStringLiteral("created_at")};
        layout.lastAccessFields = {QStringLiteral("lastAccess"), QStringLiteral("lastModified"),
                                   QStringLiteral("last_access")};
        layout.deviceFields = {QStringLiteral("device.ip"), QStringLiteral("ip"),
                               QStringLiteral("device.userAgent"), QStringLiteral("userAgent")};
        return layout;
    }
    if (key == u"dynamodb-gds" || key == u"connect-dynamodb") {
        // GOV.UK One Login's account-management store (and connect-dynamodb, which it replaced
        // wire-compatibly): id "sess:<sid>", sess a JSON string, expires in epoch seconds.
        SessionLayout layout;
        layout.schema = key;
        layout.forDynamoDb = true;
        layout.keyPrefix = "sess:";
        layout.idAttribute = QStringLiteral("id");
        layout.valueAttribute = QStringLiteral("sess");
        layout.expiresAttribute = QStringLiteral("expires");
        layout.userFields = {QStringLiteral("user_id"), QStringLiteral("passport.user"),
                             QStringLiteral("userId"), QStringLiteral("sub")};
        layout.cookieName = QStringLiteral("connect.sid");
        layout.startedFields = {QStringLiteral("loginAt"), QStringLiteral("createdAt")};
        layout.lastAccessFields = {QStringLiteral("lastAccess"), QStringLiteral("lastModified")};
        layout.deviceFields = {QStringLiteral("device.ip"), QStringLiteral("ip"),
                               QStringLiteral("device.userAgent")};
        if (key == u"dynamodb-gds") {
            layout.description = QStringLiteral("DynamoDB session table (GOV.UK design: "
                                                "users-sessions index on user_id)");
            layout.userAttribute = QStringLiteral("user_id");
            layout.userIndexName = QStringLiteral("users-sessions");
            layout.cookieName = QStringLiteral("am");
        } else {
            layout.description = QStringLiteral("express-session + connect-dynamodb (JSON)");
        }
        return layout;
    }
    if (key == u"dynamodb-pwrdrvr" || key == u"aws-php" || key == u"flask-session-dynamodb") {
        SessionLayout layout;
        layout.schema = key;
        layout.forDynamoDb = true;
        layout.idAttribute = QStringLiteral("id");
        layout.expiresAttribute = QStringLiteral("expires");
        layout.userFields = {QStringLiteral("user_id"), QStringLiteral("passport.user"),
                             QStringLiteral("userId"), QStringLiteral("_user_id"),
                             QStringLiteral("sub")};
        if (key == u"dynamodb-pwrdrvr") {
            // @pwrdrvr/dynamodb-session-store: sess is a DynamoDB Map, not a string.
            layout.description = QStringLiteral("@pwrdrvr/dynamodb-session-store (Map)");
            layout.keyPrefix = "session#";
            layout.valueAttribute = QStringLiteral("sess");
            layout.cookieName = QStringLiteral("connect.sid");
            layout.lastAccessFields = {QStringLiteral("lastModified")};
        } else if (key == u"aws-php") {
            // aws-sdk-php SessionHandler: the raw PHP session string in "data".
            layout.description = QStringLiteral("aws-sdk-php DynamoDB SessionHandler (PHP)");
            layout.keyPrefix = "PHPSESSID_";
            layout.valueAttribute = QStringLiteral("data");
            layout.cookieName = QStringLiteral("PHPSESSID");
        } else {
            // Flask-Session's DynamoDB backend: serialized bytes in "val", TTL on "expiration".
            layout.description = QStringLiteral("Flask-Session DynamoDB backend (binary)");
            layout.keyPrefix = "session:";
            layout.valueAttribute = QStringLiteral("val");
            layout.expiresAttribute = QStringLiteral("expiration");
            layout.cookieName = QStringLiteral("session");
        }
        return layout;
    }
    return fail(StorageError::Code::InvalidArgument,
                QStringLiteral("Unknown schema \"%1\"; known schemas: %2.")
                    .arg(name, presetNames().join(QStringLiteral(", "))));
}

QStringList SessionLayout::presetNames()
{
    return {QStringLiteral("connect-redis"),    QStringLiteral("dynamodb-gds"),
            QStringLiteral("connect-dynamodb"), QStringLiteral("dynamodb-pwrdrvr"),
            QStringLiteral("aws-php"),          QStringLiteral("flask-session-dynamodb")};
}

std::optional<QByteArray> SessionLayout::idFromKey(const QByteArray &key) const
{
    if (!key.startsWith(keyPrefix) || key.size() == keyPrefix.size())
        return std::nullopt;
    return key.mid(keyPrefix.size());
}

QByteArray SessionLayout::scanPattern() const
{
    return globEscape(keyPrefix) + '*';
}

QByteArray SessionLayout::userIndexKey(const QString &user) const
{
    QString key = userIndexPattern;
    key.replace(kUserPlaceholder, user);
    return key.toUtf8();
}

QByteArray SessionLayout::userIndexScanPattern() const
{
    const qsizetype at = userIndexPattern.indexOf(kUserPlaceholder);
    const QByteArray head = userIndexPattern.left(at).toUtf8();
    const QByteArray tail = userIndexPattern.mid(at + kUserPlaceholder.size()).toUtf8();
    return globEscape(head) + '*' + globEscape(tail);
}

std::optional<QString> SessionLayout::userFromIndexKey(const QByteArray &key) const
{
    const qsizetype at = userIndexPattern.indexOf(kUserPlaceholder);
    const QByteArray head = userIndexPattern.left(at).toUtf8();
    const QByteArray tail = userIndexPattern.mid(at + kUserPlaceholder.size()).toUtf8();
    if (key.size() <= head.size() + tail.size() || !key.startsWith(head) || !key.endsWith(tail))
        return std::nullopt;
    return QString::fromUtf8(key.mid(head.size(), key.size() - head.size() - tail.size()));
}

Result<void> SessionLayout::validate() const
{
    if (keyPrefix.isEmpty()) {
        // An empty prefix would make every key of the database a "session".
        return fail(StorageError::Code::InvalidArgument,
                    QStringLiteral("The session key prefix must not be empty."));
    }
    if (hasUserIndex()) {
        if (userIndexPattern.count(kUserPlaceholder) != 1) {
            return fail(StorageError::Code::InvalidArgument,
                        QStringLiteral("The user index pattern \"%1\" must contain {user} "
                                       "exactly once.")
                            .arg(userIndexPattern));
        }
        // Index keys and session keys must never match each other's scan: otherwise listing
        // would take index keys for sessions, or destroy-all's index pass would hit sessions.
        const QByteArray head =
            userIndexPattern.left(userIndexPattern.indexOf(kUserPlaceholder)).toUtf8();
        if (head.startsWith(keyPrefix) || keyPrefix.startsWith(head)) {
            return fail(StorageError::Code::InvalidArgument,
                        QStringLiteral("The user index pattern \"%1\" overlaps the session "
                                       "prefix \"%2\"; give the index keys a prefix of their own.")
                            .arg(userIndexPattern, QString::fromUtf8(keyPrefix)));
        }
    }
    for (const QString &field : userFields) {
        if (field.isEmpty() || field.startsWith(u'.') || field.endsWith(u'.')
            || field.contains(QStringLiteral(".."))) {
            return fail(
                StorageError::Code::InvalidArgument,
                QStringLiteral("The user field path \"%1\" is not a dotted path.").arg(field));
        }
    }
    return {};
}

} // namespace SessionDesk
