#pragma once

#include "storageerror.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace SessionDesk {

// How one framework lays its sessions out in a key-value store. Data, not code paths: the store
// implementations read these fields, presets only fill them in, and a layout file
// (fromJsonFile()) can describe any other framework with the same fields.
struct SessionLayout
{
    // What a session key holds: one encoded value, or a hash whose fields are encoded on their
    // own (Spring Session).
    enum class ValueType { String, Hash };
    // How a cookie value carries the session id.
    enum class CookieFormat {
        Plain, // the id itself (PHP, Django, Rails/Rack public ids)
        ExpressSigned, // "s:<id>.<signature>", URL-encoded (express-session)
        SignedDot, // "<id>.<signature>" or just "<id>" (itsdangerous, Flask-Session's signer)
        Base64, // base64 of the id (Spring Session's DefaultCookieSerializer)
    };
    // How the id in a cookie (the public id) becomes the id a session is stored under.
    enum class PublicIdHash {
        None, // stored under the public id
        Sha256Hex, // privateIdPrefix + sha256hex(public id) (Rack::Session::SessionId, v2)
    };
    // One extra step of a revoke, besides deleting the session key itself (always the last
    // step). Keys and members are templates; see expandTemplate() for the placeholders. A step
    // whose template names something unknown for a session (no user, no public id) is skipped.
    struct RevokeStep
    {
        enum class Op { Delete, SetRemove, SortedSetRemove };
        Op op = Op::Delete;
        QString key;
        QString member; // SetRemove and SortedSetRemove only
    };

    QString schema; // preset name, e.g. "connect-redis"; "auto" before detection
    QString description; // human name: "express-session + connect-redis (JSON)"
    QByteArray keyPrefix; // every session key starts with it; the rest is the session id
    // Redis glob the id part of a session key must match, e.g. 32 × "[a-z0-9]" for Django
    // keys that have no prefix. "*" accepts any id.
    QByteArray idGlob = "*";
    ValueType valueType = ValueType::String;
    // Keys the framework keeps beside its sessions (shadow keys, lock keys, expiry sets):
    // Redis globs, "{prefix}" standing for the escaped key prefix. They belong to the layout
    // (destroy-all removes them) but are never listed as sessions.
    QStringList bookkeepingGlobs;
    // A key whose PTTL is the session's real TTL when it exists (Spring's shadow key), e.g.
    // "{prefix}expires:{id}". Empty: the session key's own PTTL.
    QString ttlKey;
    // Value encodings the framework writes (as classifyValue() names them): evidence for
    // auto-detection.
    QStringList encodings;

    // Dotted paths into the decoded value (see findValueNode()), tried in order.
    QStringList userFields;
    // Optional per-user index key pattern with a "{user}" placeholder, e.g.
    // "user-sessions:{user}". The key holds a SET (or a ZSET) of session ids.
    QString userIndexPattern;
    // Optional dotted paths to what a session list shows beside the user, tried in order.
    // Timestamps may be ISO-8601 strings or epoch seconds/milliseconds.
    QStringList startedFields;
    QStringList lastAccessFields;
    QStringList deviceFields; // joined with " · " when several are present
    // Where the session's idle timeout in seconds lives (Spring's maxInactiveInterval), for the
    // {expiryMinuteMs} placeholder.
    QString maxInactiveField;

    // Cookie names the framework uses (Redis globs: Rails apps call theirs "_<app>_session").
    QStringList cookieNames;
    CookieFormat cookieFormat = CookieFormat::Plain;
    PublicIdHash publicIdHash = PublicIdHash::None;
    QByteArray privateIdPrefix; // "2::" for Rack
    QList<RevokeStep> revokeSteps;

    // DynamoDB items (unused for Redis): the key attribute holds keyPrefix + session id.
    bool forDynamoDb = false;
    QString idAttribute; // e.g. "id"
    QString valueAttribute; // e.g. "sess" (a JSON string, a Map or binary)
    QString expiresAttribute; // epoch seconds, possibly fractional
    QString userAttribute; // top-level user id, the key of the per-user GSI
    QString userIndexName; // e.g. "users-sessions"; empty: per-user lookups scan

    // The known presets; `name` is case-insensitive. "express" is an alias of connect-redis,
    // "auto" asks the store to detect the layout when it connects (Redis only).
    static Result<SessionLayout> preset(const QString &name);
    static QStringList presetNames();
    // The Redis presets auto-detection chooses from.
    static QStringList redisPresetNames();
    static inline const QString kAuto = QStringLiteral("auto");
    bool isAuto() const { return schema == kAuto; }

    // A layout file: a JSON object whose every field is optional over the preset it names in
    // "base" (see README "Layout files"). Errors name the file and the JSON path.
    static Result<SessionLayout> fromJson(const QByteArray &json, const QString &fileName);
    static Result<SessionLayout> fromJsonFile(const QString &path);

    QString cookieName() const { return cookieNames.value(0); }
    bool hasCookieName(const QString &name) const;

    QByteArray keyForId(const QByteArray &sessionId) const { return keyPrefix + sessionId; }
    // The session id of a session key of this layout, or nullopt for a key outside it and for
    // its bookkeeping keys.
    std::optional<QByteArray> idFromKey(const QByteArray &key) const;
    // SCAN MATCH pattern selecting the keys that start with the prefix and match idGlob.
    QByteArray scanPattern() const;
    bool isBookkeepingKey(const QByteArray &key) const;
    // The bookkeeping globs with {prefix} expanded, for SCAN MATCH.
    QList<QByteArray> bookkeepingScanPatterns() const;
    // Whether `pattern` (one of bookkeepingScanPatterns()) only matches keys scanPattern()
    // matches too, so that one scan finds both.
    bool scanCovers(const QByteArray &pattern) const;
    // A key of this layout: a session key, a bookkeeping key or a user index key. Revokes and
    // destroy-all delete nothing else.
    bool ownsKey(const QByteArray &key) const;

    // The id a session whose cookie carries `publicId` is stored under: publicId itself, or
    // privateIdPrefix + sha256hex(publicId). An id that is already private stays as it is.
    QByteArray storedIdFor(const QByteArray &publicId) const;
    // Whether `id` is a public id that storedIdFor() maps to another one (a Rack cookie id,
    // not one starting with "2::"). Such an id may also name a legacy key (prefix + public id).
    bool isPublicId(const QByteArray &id) const;

    bool hasUserIndex() const { return !userIndexPattern.isEmpty(); }
    QByteArray userIndexKey(const QString &user) const;
    // SCAN MATCH pattern for every index key; the user is recovered by userFromIndexKey().
    QByteArray userIndexScanPattern() const;
    std::optional<QString> userFromIndexKey(const QByteArray &key) const;

    // `text` with {prefix}, {key}, {id}, {publicId}, {user} and {expiryMinuteMs} replaced from
    // `values` (keys without braces); nullopt when it names one that `values` lacks.
    static std::optional<QByteArray> expandTemplate(const QString &text,
                                                    const QHash<QString, QByteArray> &values);

    // Checks the fields for mistakes an operator can make on the command line or in a file.
    Result<void> validate() const;

private:
    // bookkeepingScanPatterns() for the prefix and globs they were made from: idFromKey() runs
    // for every key of a scan. Per object (copies never share it), like the object itself.
    mutable QByteArray m_patternsPrefix;
    mutable QStringList m_patternsGlobs;
    mutable QList<QByteArray> m_patterns;
    mutable bool m_patternsValid = false;
};

// Escapes glob metacharacters so that `text` matches itself in SCAN MATCH.
QByteArray globEscape(const QByteArray &text);
// Redis' glob rules (stringmatchlen): * ? [abc] [^a-z] and \ escaping one character.
bool globMatch(QByteArrayView pattern, QByteArrayView text);

// The encoding a stored value's first bytes announce (formats.md §9): "json", "marshal",
// "pickle", "msgpack", "java", "django-signed", "php", "php_serialize", "empty", "text" or
// "binary".
QString classifyValue(const QByteArray &value);

} // namespace SessionDesk
