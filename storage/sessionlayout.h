#pragma once

#include "storageerror.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>

namespace SessionDesk {

// How one framework lays its sessions out in a key-value store. Data, not code paths: the store
// implementations read these fields, and presets only fill them in.
struct SessionLayout
{
    QString schema; // preset name, e.g. "connect-redis"
    QString description; // human name: "express-session + connect-redis (JSON)"
    QByteArray keyPrefix; // every session key starts with it; the rest is the session id
    QStringList userFields; // dotted paths tried in order to find the user id in the value
    // Optional per-user index key pattern with a "{user}" placeholder, e.g.
    // "user-sessions:{user}". The key holds a SET (or a ZSET) of session ids.
    QString userIndexPattern;
    QString cookieName; // e.g. "connect.sid"
    // Optional dotted paths to what a session list shows beside the user, tried in order.
    // Timestamps may be ISO-8601 strings or epoch seconds/milliseconds.
    QStringList startedFields;
    QStringList lastAccessFields;
    QStringList deviceFields; // joined with " · " when several are present

    // DynamoDB items (unused for Redis): the key attribute holds keyPrefix + session id.
    bool forDynamoDb = false;
    QString idAttribute; // e.g. "id"
    QString valueAttribute; // e.g. "sess" (a JSON string, a Map or binary)
    QString expiresAttribute; // epoch seconds, possibly fractional
    QString userAttribute; // top-level user id, the key of the per-user GSI
    QString userIndexName; // e.g. "users-sessions"; empty: per-user lookups scan

    // The known presets; `name` is case-insensitive. "express" is an alias of connect-redis.
    static Result<SessionLayout> preset(const QString &name);
    static QStringList presetNames();

    QByteArray keyForId(const QByteArray &sessionId) const { return keyPrefix + sessionId; }
    // The session id of a key of this layout, or nullopt for a key outside it.
    std::optional<QByteArray> idFromKey(const QByteArray &key) const;
    // SCAN MATCH pattern selecting exactly the keys that start with the prefix.
    QByteArray scanPattern() const;

    bool hasUserIndex() const { return !userIndexPattern.isEmpty(); }
    QByteArray userIndexKey(const QString &user) const;
    // SCAN MATCH pattern for every index key; the user is recovered by userFromIndexKey().
    QByteArray userIndexScanPattern() const;
    std::optional<QString> userFromIndexKey(const QByteArray &key) const;

    // Checks the fields for mistakes an operator can make on the command line.
    Result<void> validate() const;
};

// Escapes glob metacharacters so that `text` matches itself in SCAN MATCH.
QByteArray globEscape(const QByteArray &text);

} // namespace SessionDesk
