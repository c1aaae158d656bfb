#include "sessionlayout.h"

#include "codecs/djangosigned.h"
#include "codecs/javaserial.h"
#include "codecs/phpsession.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <functional>

namespace SessionDesk {

namespace {

const QString kUserPlaceholder = QStringLiteral("{user}");
const QStringList kTemplateNames = {QStringLiteral("prefix"), QStringLiteral("key"),
                                    QStringLiteral("id"),     QStringLiteral("publicId"),
                                    QStringLiteral("user"),   QStringLiteral("expiryMinuteMs")};

QStringList strings(std::initializer_list<const char *> items)
{
    QStringList out;
    for (const char *item : items)
        out << QString::fromLatin1(item);
    return out;
}

// `count` copies of a one-character class, e.g. 32 × "[a-z0-9]": a fixed-length id in a glob.
QByteArray repeatedClass(const char *characterClass, int count)
{
    return QByteArray(characterClass).repeated(count);
}

// Conventions the recorded framework apps and many real ones share: when a session was made,
// and from where (tests/frameworks/).
const QStringList kStartedConventions = strings({"login_at", "loginAt", "created_at", "createdAt"});
const QStringList kDeviceConventions =
    strings({"ip", "ip_address", "device.ip", "user_agent", "userAgent", "device.userAgent"});

SessionLayout connectRedis()
{
    SessionLayout layout;
    layout.schema = QStringLiteral("connect-redis");
    layout.description = QStringLiteral("express-session + connect-redis (JSON)");
    layout.keyPrefix = "sess:";
    layout.encodings = strings({"json"});
    layout.userFields = strings({"user_id", "passport.user", "userId", "sub"});
    layout.cookieNames = strings({"connect.sid"});
    layout.cookieFormat = SessionLayout::CookieFormat::ExpressSigned;
    // Not written by express-session itself; common in apps built on it.
    layout.startedFields = strings({"loginAt", "createdAt", "created_at"});
    layout.lastAccessFields = strings({"lastAccess", "lastModified", "last_access"});
    layout.deviceFields = strings({"device.ip", "ip", "device.userAgent", "userAgent"});
    return layout;
}

SessionLayout springSession(bool indexed)
{
    // Spring Session Data Redis (formats.md §2): a hash per session whose values are
    // JDK-serialized; shadow "expires:" keys, per-minute "expirations:" sets and the principal
    // index belong to the indexed repository.
    SessionLayout layout;
    layout.schema =
        indexed ? QStringLiteral("spring-session-indexed") : QStringLiteral("spring-session");
    layout.description = indexed
        ? QStringLiteral("Spring Session, RedisIndexedSessionRepository (hashes, principal index)")
        : QStringLiteral("Spring Session, RedisSessionRepository (hashes)");
    layout.keyPrefix = "spring:session:sessions:";
    layout.valueType = SessionLayout::ValueType::Hash;
    layout.bookkeepingGlobs = strings({"{prefix}expires:*", "{prefix}*:idx", "{prefix}index:*",
                                       "{prefix}expirations", "spring:session:expirations:*"});
    layout.encodings = strings({"java"});
    layout.userFields =
        strings({"sessionAttr:org.springframework.session.FindByIndexNameSessionRepository."
                 "PRINCIPAL_NAME_INDEX_NAME",
                 "sessionAttr:SPRING_SECURITY_CONTEXT.authentication.principal.username",
                 "sessionAttr:SPRING_SECURITY_CONTEXT.authentication.principal"});
    layout.startedFields = strings({"creationTime"});
    layout.lastAccessFields = strings({"lastAccessedTime"});
    layout.deviceFields =
        strings({"sessionAttr:SPRING_SECURITY_CONTEXT.authentication.details.remoteAddress"});
    layout.maxInactiveField = QStringLiteral("maxInactiveInterval");
    layout.cookieNames = strings({"SESSION"});
    layout.cookieFormat = SessionLayout::CookieFormat::Base64;
    if (indexed) {
        // The shadow key expires when the session does; the hash lives 5 minutes longer.
        layout.ttlKey = QStringLiteral("{prefix}expires:{id}");
        layout.userIndexPattern =
            QStringLiteral("spring:session:index:org.springframework.session."
                           "FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME:{user}");
        // What RedisIndexedSessionRepository.deleteById does beside the principal index (which
        // every layout with a user index keeps in step): the session leaves its expiry bucket
        // (the per-minute set, or the sorted set of Spring Session 3.4+) and its shadow key goes.
        // Spring then only sets maxInactiveInterval to 0 and leaves the hash for up to five
        // minutes, so that its expiry listener can still read the session for
        // SessionDeletedEvent. An admin revoke deletes the hash as well (the last step of every
        // revoke): it holds the security context (principal, authorities, possibly
        // credentials), a hash left in place would keep answering findById with its old
        // timeout since SessionDesk does not rewrite Java-serialized fields, and the cleanup the
        // listener would do (index, expiry bucket) has been done by the steps above.
        using Op = SessionLayout::RevokeStep::Op;
        layout.revokeSteps = {
            {Op::SetRemove, QStringLiteral("spring:session:expirations:{expiryMinuteMs}"),
             QStringLiteral("expires:{id}")},
            {Op::SortedSetRemove, QStringLiteral("{prefix}expirations"), QStringLiteral("{id}")},
            {Op::Delete, QStringLiteral("{prefix}expires:{id}"), QString()},
        };
    }
    return layout;
}

SessionLayout rackSession(const QString &schema)
{
    // redis-rack / redis-actionpack (formats.md §3): Marshal values under
    // "<namespace>:2::<sha256hex(public id)>"; the framework's destroy also removes the legacy
    // key of the public id.
    SessionLayout layout;
    layout.schema = schema;
    layout.encodings = strings({"marshal"});
    layout.userFields = strings({"warden.user.*.key.0.0", "user_id"});
    layout.startedFields = kStartedConventions;
    layout.lastAccessFields = strings({"warden.user.*.session.last_request_at"});
    layout.deviceFields = kDeviceConventions;
    layout.cookieFormat = SessionLayout::CookieFormat::Plain;
    layout.publicIdHash = SessionLayout::PublicIdHash::Sha256Hex;
    layout.privateIdPrefix = "2::";
    layout.revokeSteps = {
        {SessionLayout::RevokeStep::Op::Delete, QStringLiteral("{prefix}{publicId}"), QString()}};
    if (schema == u"rack") {
        layout.description = QStringLiteral("Rack::Session::Redis (redis-rack, Marshal)");
        layout.keyPrefix = "rack:session:";
        layout.cookieNames = strings({"rack.session"});
    } else if (schema == u"rails") {
        // redis-actionpack's README configures the namespace "session"; another namespace is
        // --key-prefix "<namespace>:".
        layout.description = QStringLiteral("Rails redis-actionpack, namespace \"session\" "
                                            "(Marshal)");
        layout.keyPrefix = "session:";
        layout.cookieNames = strings({"_*_session", "_session_id"});
    } else {
        // redis-session-store: no prefix by default, so the key is the bare private id; a legacy
        // key is a bare 32-hex public id (Rails' SecureRandom.hex(16)).
        layout.description = QStringLiteral("redis-session-store (Marshal or JSON)");
        layout.keyPrefix = QByteArray();
        layout.idGlob = "2::" + repeatedClass("[0-9a-f]", 64);
        layout.encodings = strings({"marshal", "json"});
        layout.bookkeepingGlobs = {QStringLiteral("{prefix}")
                                   + QString::fromLatin1(repeatedClass("[0-9a-f]", 32))};
        layout.cookieNames = strings({"_*_session", "_session_id"});
    }
    return layout;
}

SessionLayout flaskSession()
{
    SessionLayout layout;
    layout.schema = QStringLiteral("flask-session");
    layout.description = QStringLiteral("Flask-Session (pickle, msgpack or JSON)");
    layout.keyPrefix = "session:";
    layout.encodings = strings({"pickle", "msgpack", "json"});
    layout.userFields = strings({"_user_id", "user_id"});
    layout.startedFields = kStartedConventions;
    layout.deviceFields = kDeviceConventions;
    layout.cookieNames = strings({"session"});
    layout.cookieFormat = SessionLayout::CookieFormat::SignedDot;
    return layout;
}

SessionLayout djangoSession(bool cache)
{
    SessionLayout layout;
    layout.userFields = strings({"_auth_user_id"});
    layout.startedFields = kStartedConventions;
    layout.deviceFields = kDeviceConventions;
    layout.cookieNames = strings({"sessionid"});
    // Django session keys: 32 characters of [a-z0-9] (VALID_KEY_CHARS).
    layout.idGlob = repeatedClass("[a-z0-9]", 32);
    if (cache) {
        layout.schema = QStringLiteral("django-cache");
        layout.description = QStringLiteral("Django cache sessions on django-redis (pickle)");
        layout.keyPrefix = ":1:django.contrib.sessions.cache";
        layout.encodings = strings({"pickle"});
    } else {
        layout.schema = QStringLiteral("django-redis-sessions");
        layout.description = QStringLiteral("django-redis-sessions (signed JSON, no prefix)");
        layout.encodings = strings({"django-signed"});
    }
    return layout;
}

SessionLayout phpRedis()
{
    SessionLayout layout;
    layout.schema = QStringLiteral("phpredis");
    layout.description = QStringLiteral("PHP phpredis session handler (php or php_serialize)");
    layout.keyPrefix = "PHPREDIS_SESSION:";
    layout.bookkeepingGlobs = strings({"{prefix}*_LOCK"});
    layout.encodings = strings({"php", "php_serialize", "empty"});
    layout.userFields = strings({"user_id", "userId", "uid", "user.id"});
    layout.startedFields = kStartedConventions;
    layout.deviceFields = kDeviceConventions;
    layout.cookieNames = strings({"PHPSESSID"});
    // phpredis' session locking keeps "<session key>_LOCK" while a request holds the session.
    layout.revokeSteps = {
        {SessionLayout::RevokeStep::Op::Delete, QStringLiteral("{key}_LOCK"), QString()}};
    return layout;
}

std::optional<SessionLayout> redisPreset(const QString &key)
{
    if (key == u"connect-redis" || key == u"express" || key == u"express-session")
        return connectRedis();
    if (key == u"spring-session")
        return springSession(false);
    if (key == u"spring-session-indexed")
        return springSession(true);
    if (key == u"rack" || key == u"rails" || key == u"redis-session-store")
        return rackSession(key);
    if (key == u"flask-session" || key == u"flask")
        return flaskSession();
    if (key == u"django-redis-sessions" || key == u"django")
        return djangoSession(false);
    if (key == u"django-cache")
        return djangoSession(true);
    if (key == u"phpredis" || key == u"php")
        return phpRedis();
    return std::nullopt;
}

std::optional<SessionLayout> dynamoPreset(const QString &key)
{
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
        layout.userFields = strings({"user_id", "passport.user", "userId", "sub"});
        layout.cookieNames = strings({"connect.sid"});
        layout.cookieFormat = SessionLayout::CookieFormat::ExpressSigned;
        layout.startedFields = strings({"loginAt", "createdAt"});
        layout.lastAccessFields = strings({"lastAccess", "lastModified"});
        layout.deviceFields = strings({"device.ip", "ip", "device.userAgent"});
        if (key == u"dynamodb-gds") {
            layout.description = QStringLiteral("DynamoDB session table (GOV.UK design: "
                                                "users-sessions index on user_id)");
            layout.userAttribute = QStringLiteral("user_id");
            layout.userIndexName = QStringLiteral("users-sessions");
            layout.cookieNames = strings({"am"});
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
        layout.userFields = strings({"user_id", "passport.user", "userId", "_user_id", "sub"});
        if (key == u"dynamodb-pwrdrvr") {
            // @pwrdrvr/dynamodb-session-store: sess is a DynamoDB Map, not a string.
            layout.description = QStringLiteral("@pwrdrvr/dynamodb-session-store (Map)");
            layout.keyPrefix = "session#";
            layout.valueAttribute = QStringLiteral("sess");
            layout.cookieNames = strings({"connect.sid"});
            layout.cookieFormat = SessionLayout::CookieFormat::ExpressSigned;
            layout.lastAccessFields = strings({"lastModified"});
        } else if (key == u"aws-php") {
            // aws-sdk-php SessionHandler: the raw PHP session string in "data".
            layout.description = QStringLiteral("aws-sdk-php DynamoDB SessionHandler (PHP)");
            layout.keyPrefix = "PHPSESSID_";
            layout.valueAttribute = QStringLiteral("data");
            layout.cookieNames = strings({"PHPSESSID"});
        } else {
            // Flask-Session's DynamoDB backend: serialized bytes in "val", TTL on "expiration".
            layout.description = QStringLiteral("Flask-Session DynamoDB backend (binary)");
            layout.keyPrefix = "session:";
            layout.valueAttribute = QStringLiteral("val");
            layout.expiresAttribute = QStringLiteral("expiration");
            layout.cookieNames = strings({"session"});
            layout.cookieFormat = SessionLayout::CookieFormat::SignedDot;
        }
        return layout;
    }
    return std::nullopt;
}

// --- layout files ------------------------------------------------------------------------------

class FileReader
{
public:
    explicit FileReader(QString fileName)
        : m_fileName(std::move(fileName))
    { }

    std::unexpected<StorageError> error(const QString &path, const QString &what) const
    {
        return fail(StorageError::Code::InvalidArgument,
                    QStringLiteral("%1: %2 %3").arg(m_fileName, path, what));
    }

    // Refuses members the format does not know, so that a typo is not silently ignored.
    Result<void> onlyKnown(const QJsonObject &object, const QString &path,
                           const QStringList &known) const
    {
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (!known.contains(it.key())) {
                return error(path + u'.' + it.key(),
                             QStringLiteral("is not a layout field; known here: %1.")
                                 .arg(known.join(QStringLiteral(", "))));
            }
        }
        return {};
    }

    Result<std::optional<QString>> string(const QJsonObject &object, const QString &name,
                                          const QString &path) const
    {
        if (!object.contains(name))
            return std::optional<QString>();
        const QJsonValue value = object.value(name);
        if (!value.isString())
            return error(path + u'.' + name, QStringLiteral("must be a string."));
        return std::optional<QString>(value.toString());
    }

    Result<std::optional<QStringList>> stringList(const QJsonObject &object, const QString &name,
                                                  const QString &path) const
    {
        if (!object.contains(name))
            return std::optional<QStringList>();
        const QJsonValue value = object.value(name);
        const QString at = path + u'.' + name;
        if (value.isString())
            return std::optional<QStringList>(QStringList{value.toString()});
        if (!value.isArray())
            return error(at, QStringLiteral("must be a string or an array of strings."));
        QStringList out;
        const QJsonArray array = value.toArray();
        for (qsizetype i = 0; i < array.size(); ++i) {
            if (!array.at(i).isString())
                return error(QStringLiteral("%1[%2]").arg(at).arg(i),
                             QStringLiteral("must be a string."));
            out << array.at(i).toString();
        }
        return std::optional<QStringList>(out);
    }

    template <typename E>
    Result<std::optional<E>> choice(const QJsonObject &object, const QString &name,
                                    const QString &path,
                                    const QList<QPair<QString, E>> &choices) const
    {
        auto text = string(object, name, path);
        if (!text)
            return std::unexpected(text.error());
        if (!*text)
            return std::optional<E>();
        QStringList names;
        for (const auto &[choiceName, value] : choices) {
            if (choiceName == **text)
                return std::optional<E>(value);
            names << choiceName;
        }
        return error(path + u'.' + name,
                     QStringLiteral("\"%1\" is not one of %2.")
                         .arg(**text, names.join(QStringLiteral(", "))));
    }

private:
    QString m_fileName;
};

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

bool globMatch(QByteArrayView pattern, QByteArrayView text)
{
    // Iterative, with one backtrack point for the last '*': linear for the patterns layouts use
    // and never exponential.
    qsizetype p = 0, t = 0;
    qsizetype starP = -1, starT = 0;
    // Whether pattern[at...] (one element: a class, an escape or a character) matches `c`, and
    // where the element ends.
    const auto matchOne = [&](qsizetype at, char c, qsizetype *next) {
        const char head = pattern.at(at);
        if (head == '?') {
            *next = at + 1;
            return true;
        }
        if (head == '\\' && at + 1 < pattern.size()) {
            *next = at + 2;
            return pattern.at(at + 1) == c;
        }
        if (head != '[') {
            *next = at + 1;
            return head == c;
        }
        qsizetype i = at + 1;
        const bool negate = i < pattern.size() && pattern.at(i) == '^';
        if (negate)
            ++i;
        bool matched = false;
        while (i < pattern.size() && pattern.at(i) != ']') {
            if (pattern.at(i) == '\\' && i + 1 < pattern.size()) {
                ++i;
                matched |= pattern.at(i) == c;
            } else if (i + 2 < pattern.size() && pattern.at(i + 1) == '-') {
                char lo = pattern.at(i), hi = pattern.at(i + 2);
                if (lo > hi)
                    std::swap(lo, hi);
                matched |= c >= lo && c <= hi;
                i += 2;
            } else {
                matched |= pattern.at(i) == c;
            }
            ++i;
        }
        *next = std::min(i + 1, pattern.size());
        return matched != negate;
    };
    while (t < text.size()) {
        if (p < pattern.size() && pattern.at(p) == '*') {
            starP = p++;
            starT = t;
            continue;
        }
        qsizetype next = 0;
        if (p < pattern.size() && matchOne(p, text.at(t), &next)) {
            p = next;
            ++t;
            continue;
        }
        if (starP < 0)
            return false;
        p = starP + 1;
        t = ++starT;
    }
    while (p < pattern.size() && pattern.at(p) == '*')
        ++p;
    return p == pattern.size();
}

QString classifyValue(const QByteArray &value)
{
    if (value.isEmpty())
        return QStringLiteral("empty");
    const auto byte = [&](qsizetype i) { return i < value.size() ? uchar(value.at(i)) : 0x100u; };
    qsizetype start = 0;
    while (start < value.size() && QChar::isSpace(uchar(value.at(start))))
        ++start;
    if (start < value.size() && (value.at(start) == '{' || value.at(start) == '['))
        return QStringLiteral("json");
    if (byte(0) == 0x04 && byte(1) == 0x08)
        return QStringLiteral("marshal");
    if (byte(0) == 0x80 && byte(1) >= 0x02 && byte(1) <= 0x05)
        return QStringLiteral("pickle");
    if ((byte(0) >= 0x80 && byte(0) <= 0x8f) || byte(0) == 0xde || byte(0) == 0xdf)
        return QStringLiteral("msgpack");
    if (Codecs::looksLikeJavaSerialization(value))
        return QStringLiteral("java");
    if (Codecs::looksLikePhpSerialize(value))
        return QStringLiteral("php_serialize");
    if (Codecs::looksLikePhpSession(value) || Codecs::looksLikePhpBinary(value))
        return QStringLiteral("php");
    if (Codecs::looksLikeDjangoSigned(value))
        return QStringLiteral("django-signed");
    for (const char c : value) {
        if (uchar(c) < 0x20 && c != '\n' && c != '\r' && c != '\t')
            return QStringLiteral("binary");
    }
    return QStringLiteral("text");
}

Result<SessionLayout> SessionLayout::preset(const QString &name)
{
    const QString key = name.trimmed().toLower();
    if (key == kAuto) {
        SessionLayout layout;
        layout.schema = kAuto;
        layout.description = QStringLiteral("detected when connecting");
        layout.idGlob = QByteArray();
        return layout;
    }
    if (auto layout = redisPreset(key))
        return *layout;
    if (auto layout = dynamoPreset(key))
        return *layout;
    return fail(StorageError::Code::InvalidArgument,
                QStringLiteral("Unknown schema \"%1\"; known schemas: %2.")
                    .arg(name, (QStringList{kAuto} + presetNames()).join(QStringLiteral(", "))));
}

QStringList SessionLayout::redisPresetNames()
{
    return strings({"connect-redis", "spring-session", "spring-session-indexed", "rack", "rails",
                    "redis-session-store", "flask-session", "django-redis-sessions", "django-cache",
                    "phpredis"});
}

QStringList SessionLayout::presetNames()
{
    return redisPresetNames()
        + strings({"dynamodb-gds", "connect-dynamodb", "dynamodb-pwrdrvr", "aws-php",
                   "flask-session-dynamodb"});
}

Result<SessionLayout> SessionLayout::fromJson(const QByteArray &json, const QString &fileName)
{
    const FileReader file(fileName);
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return fail(StorageError::Code::InvalidArgument,
                    QStringLiteral("%1 is not valid JSON: %2 at byte %3.")
                        .arg(fileName, parseError.errorString())
                        .arg(parseError.offset));
    }
    if (!doc.isObject())
        return file.error(QStringLiteral("$"), QStringLiteral("must be a JSON object."));
    const QJsonObject root = doc.object();
    const QString at = QStringLiteral("$");
    if (auto known = file.onlyKnown(
            root, at,
            strings({"base", "name", "description", "keyPrefix", "idGlob", "valueType",
                     "bookkeeping", "ttlKey", "encodings", "userFields", "userIndex",
                     "startedFields", "lastAccessFields", "deviceFields", "maxInactiveField",
                     "cookie", "revoke", "dynamodb"}));
        !known) {
        return std::unexpected(known.error());
    }

    auto base = file.string(root, QStringLiteral("base"), at);
    if (!base)
        return std::unexpected(base.error());
    const QString baseName = base->value_or(QStringLiteral("connect-redis"));
    auto preset = SessionLayout::preset(baseName);
    if (!preset || preset->isAuto()) {
        return file.error(QStringLiteral("$.base"),
                          preset ? QStringLiteral("cannot be \"auto\": a layout file describes "
                                                  "one layout.")
                                 : preset.error().message);
    }
    SessionLayout layout = *preset;
    layout.description =
        QStringLiteral("%1 (layout file, based on %2)").arg(fileName, layout.description);

    // Plain fields: a string or a list of strings each.
    struct StringField
    {
        const char *name;
        std::function<void(const QString &)> set;
    };
    const QList<StringField> stringFields = {
        {"name", [&](const QString &v) { layout.schema = v; }},
        {"description", [&](const QString &v) { layout.description = v; }},
        {"keyPrefix", [&](const QString &v) { layout.keyPrefix = v.toUtf8(); }},
        {"idGlob", [&](const QString &v) { layout.idGlob = v.toUtf8(); }},
        {"ttlKey", [&](const QString &v) { layout.ttlKey = v; }},
        {"userIndex", [&](const QString &v) { layout.userIndexPattern = v; }},
        {"maxInactiveField", [&](const QString &v) { layout.maxInactiveField = v; }},
    };
    for (const StringField &field : stringFields) {
        auto value = file.string(root, QString::fromLatin1(field.name), at);
        if (!value)
            return std::unexpected(value.error());
        if (*value)
            field.set(**value);
    }
    const QList<QPair<const char *, QStringList *>> listFields = {
        {"bookkeeping", &layout.bookkeepingGlobs},
        {"encodings", &layout.encodings},
        {"userFields", &layout.userFields},
        {"startedFields", &layout.startedFields},
        {"lastAccessFields", &layout.lastAccessFields},
        {"deviceFields", &layout.deviceFields},
    };
    for (const auto &[name, target] : listFields) {
        auto value = file.stringList(root, QString::fromLatin1(name), at);
        if (!value)
            return std::unexpected(value.error());
        if (*value)
            *target = **value;
    }
    auto valueType = file.choice<ValueType>(
        root, QStringLiteral("valueType"), at,
        {{QStringLiteral("string"), ValueType::String}, {QStringLiteral("hash"), ValueType::Hash}});
    if (!valueType)
        return std::unexpected(valueType.error());
    if (*valueType)
        layout.valueType = **valueType;

    if (root.contains(QStringLiteral("cookie"))) {
        const QString cookieAt = QStringLiteral("$.cookie");
        if (!root.value(QStringLiteral("cookie")).isObject())
            return file.error(cookieAt, QStringLiteral("must be an object."));
        const QJsonObject cookie = root.value(QStringLiteral("cookie")).toObject();
        if (auto known = file.onlyKnown(cookie, cookieAt,
                                        strings({"names", "format", "hash", "privateIdPrefix"}));
            !known)
            return std::unexpected(known.error());
        auto names = file.stringList(cookie, QStringLiteral("names"), cookieAt);
        if (!names)
            return std::unexpected(names.error());
        if (*names)
            layout.cookieNames = **names;
        auto format = file.choice<CookieFormat>(
            cookie, QStringLiteral("format"), cookieAt,
            {{QStringLiteral("plain"), CookieFormat::Plain},
             {QStringLiteral("express-signed"), CookieFormat::ExpressSigned},
             {QStringLiteral("signed"), CookieFormat::SignedDot},
             {QStringLiteral("base64"), CookieFormat::Base64}});
        if (!format)
            return std::unexpected(format.error());
        if (*format)
            layout.cookieFormat = **format;
        auto hash =
            file.choice<PublicIdHash>(cookie, QStringLiteral("hash"), cookieAt,
                                      {{QStringLiteral("none"), PublicIdHash::None},
                                       {QStringLiteral("sha256"), PublicIdHash::Sha256Hex}});
        if (!hash)
            return std::unexpected(hash.error());
        if (*hash)
            layout.publicIdHash = **hash;
        auto privatePrefix = file.string(cookie, QStringLiteral("privateIdPrefix"), cookieAt);
        if (!privatePrefix)
            return std::unexpected(privatePrefix.error());
        if (*privatePrefix)
            layout.privateIdPrefix = (*privatePrefix)->toUtf8();
    }

    if (root.contains(QStringLiteral("revoke"))) {
        const QJsonValue steps = root.value(QStringLiteral("revoke"));
        if (!steps.isArray())
            return file.error(QStringLiteral("$.revoke"), QStringLiteral("must be an array."));
        layout.revokeSteps.clear();
        const QJsonArray array = steps.toArray();
        for (qsizetype i = 0; i < array.size(); ++i) {
            const QString stepAt = QStringLiteral("$.revoke[%1]").arg(i);
            if (!array.at(i).isObject())
                return file.error(stepAt,
                                  QStringLiteral("must be an object such as "
                                                 "{\"delete\": \"{key}:lock\"}."));
            const QJsonObject step = array.at(i).toObject();
            if (auto known =
                    file.onlyKnown(step, stepAt, strings({"delete", "srem", "zrem", "member"}));
                !known)
                return std::unexpected(known.error());
            RevokeStep parsed;
            int ops = 0;
            for (const auto &[name, op] : QList<QPair<QString, RevokeStep::Op>>{
                     {QStringLiteral("delete"), RevokeStep::Op::Delete},
                     {QStringLiteral("srem"), RevokeStep::Op::SetRemove},
                     {QStringLiteral("zrem"), RevokeStep::Op::SortedSetRemove}}) {
                auto key = file.string(step, name, stepAt);
                if (!key)
                    return std::unexpected(key.error());
                if (*key) {
                    ++ops;
                    parsed.op = op;
                    parsed.key = **key;
                }
            }
            if (ops != 1)
                return file.error(stepAt,
                                  QStringLiteral("needs exactly one of \"delete\", "
                                                 "\"srem\" or \"zrem\"."));
            auto member = file.string(step, QStringLiteral("member"), stepAt);
            if (!member)
                return std::unexpected(member.error());
            if ((parsed.op == RevokeStep::Op::Delete) == member->has_value()) {
                return file.error(stepAt + QStringLiteral(".member"),
                                  parsed.op == RevokeStep::Op::Delete
                                      ? QStringLiteral("does not apply to \"delete\".")
                                      : QStringLiteral("is needed by \"srem\" and \"zrem\"."));
            }
            parsed.member = member->value_or(QString());
            layout.revokeSteps.append(parsed);
        }
    }

    if (root.contains(QStringLiteral("dynamodb"))) {
        const QString dynamoAt = QStringLiteral("$.dynamodb");
        if (!root.value(QStringLiteral("dynamodb")).isObject())
            return file.error(dynamoAt, QStringLiteral("must be an object."));
        if (!layout.forDynamoDb) {
            return file.error(dynamoAt,
                              QStringLiteral("needs a DynamoDB base (e.g. \"base\": "
                                             "\"dynamodb-gds\")."));
        }
        const QJsonObject dynamo = root.value(QStringLiteral("dynamodb")).toObject();
        const QList<QPair<const char *, QString *>> attributes = {
            {"idAttribute", &layout.idAttribute},
            {"valueAttribute", &layout.valueAttribute},
            {"expiresAttribute", &layout.expiresAttribute},
            {"userAttribute", &layout.userAttribute},
            {"userIndexName", &layout.userIndexName}};
        QStringList known;
        for (const auto &[name, target] : attributes)
            known << QString::fromLatin1(name);
        if (auto ok = file.onlyKnown(dynamo, dynamoAt, known); !ok)
            return std::unexpected(ok.error());
        for (const auto &[name, target] : attributes) {
            auto value = file.string(dynamo, QString::fromLatin1(name), dynamoAt);
            if (!value)
                return std::unexpected(value.error());
            if (*value)
                *target = **value;
        }
    }

    if (auto valid = layout.validate(); !valid)
        return fail(StorageError::Code::InvalidArgument,
                    QStringLiteral("%1: %2").arg(fileName, valid.error().message));
    return layout;
}

Result<SessionLayout> SessionLayout::fromJsonFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return fail(
            StorageError::Code::InvalidArgument,
            QStringLiteral("Cannot read the layout file %1: %2.").arg(path, file.errorString()));
    }
    // A layout is a few hundred bytes; refuse to read something that is clearly not one.
    if (file.size() > 1024 * 1024) {
        return fail(StorageError::Code::InvalidArgument,
                    QStringLiteral("The layout file %1 is larger than 1 MiB.").arg(path));
    }
    return fromJson(file.readAll(), path);
}

bool SessionLayout::hasCookieName(const QString &name) const
{
    for (const QString &pattern : cookieNames) {
        if (globMatch(pattern.toUtf8(), name.toUtf8()))
            return true;
    }
    return false;
}

std::optional<QByteArray> SessionLayout::idFromKey(const QByteArray &key) const
{
    if (!key.startsWith(keyPrefix) || key.size() == keyPrefix.size())
        return std::nullopt;
    const QByteArray id = key.mid(keyPrefix.size());
    if (idGlob != "*" && !globMatch(idGlob, id))
        return std::nullopt;
    if (isBookkeepingKey(key))
        return std::nullopt;
    return id;
}

QByteArray SessionLayout::scanPattern() const
{
    return globEscape(keyPrefix) + (idGlob.isEmpty() ? QByteArray("*") : idGlob);
}

QList<QByteArray> SessionLayout::bookkeepingScanPatterns() const
{
    if (!m_patternsValid || m_patternsPrefix != keyPrefix || m_patternsGlobs != bookkeepingGlobs) {
        m_patterns.clear();
        for (QString glob : bookkeepingGlobs) {
            glob.replace(QStringLiteral("{prefix}"), QString::fromUtf8(globEscape(keyPrefix)));
            m_patterns.append(glob.toUtf8());
        }
        m_patternsPrefix = keyPrefix;
        m_patternsGlobs = bookkeepingGlobs;
        m_patternsValid = true;
    }
    return m_patterns;
}

bool SessionLayout::isBookkeepingKey(const QByteArray &key) const
{
    if (bookkeepingGlobs.isEmpty())
        return false;
    for (const QByteArray &pattern : bookkeepingScanPatterns()) {
        if (globMatch(pattern, key))
            return true;
    }
    return false;
}

bool SessionLayout::scanCovers(const QByteArray &pattern) const
{
    // Only the simple case is recognised: every key under the prefix is scanned, and the
    // pattern starts with the escaped prefix.
    return idGlob == "*" && !keyPrefix.isEmpty() && pattern.startsWith(globEscape(keyPrefix));
}

bool SessionLayout::ownsKey(const QByteArray &key) const
{
    return idFromKey(key).has_value() || isBookkeepingKey(key)
        || (hasUserIndex() && userFromIndexKey(key).has_value());
}

QByteArray SessionLayout::storedIdFor(const QByteArray &publicId) const
{
    if (isPublicId(publicId) && publicIdHash == PublicIdHash::Sha256Hex) {
        return privateIdPrefix
            + QCryptographicHash::hash(publicId, QCryptographicHash::Sha256).toHex();
    }
    return publicId;
}

bool SessionLayout::isPublicId(const QByteArray &id) const
{
    return publicIdHash != PublicIdHash::None && !id.isEmpty()
        && (privateIdPrefix.isEmpty() || !id.startsWith(privateIdPrefix));
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

std::optional<QByteArray> SessionLayout::expandTemplate(const QString &text,
                                                        const QHash<QString, QByteArray> &values)
{
    QByteArray out;
    qsizetype at = 0;
    while (at < text.size()) {
        const qsizetype open = text.indexOf(u'{', at);
        const qsizetype close = open < 0 ? -1 : text.indexOf(u'}', open);
        if (open < 0 || close < 0) {
            out += text.mid(at).toUtf8();
            break;
        }
        const QString name = text.mid(open + 1, close - open - 1);
        out += text.mid(at, open - at).toUtf8();
        if (!kTemplateNames.contains(name)) {
            out += text.mid(open, close - open + 1).toUtf8(); // not a placeholder: literal text
        } else {
            const auto it = values.find(name);
            if (it == values.end())
                return std::nullopt;
            out += *it;
        }
        at = close + 1;
    }
    return out;
}

Result<void> SessionLayout::validate() const
{
    using Code = StorageError::Code;
    // "auto" has no prefix of its own until a preset is detected.
    if (keyPrefix.isEmpty() && !isAuto() && (forDynamoDb || idGlob.isEmpty() || idGlob == "*")) {
        // An empty prefix would make every key of the database a "session".
        return fail(Code::InvalidArgument,
                    QStringLiteral("The session key prefix must not be empty unless an id "
                                   "pattern narrows the keys down."));
    }
    if (hasUserIndex()) {
        if (userIndexPattern.count(kUserPlaceholder) != 1) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("The user index pattern \"%1\" must contain {user} "
                                       "exactly once.")
                            .arg(userIndexPattern));
        }
        // Index keys and session keys must never match each other's scan: otherwise listing
        // would take index keys for sessions, or destroy-all's index pass would hit sessions.
        const QByteArray head =
            userIndexPattern.left(userIndexPattern.indexOf(kUserPlaceholder)).toUtf8();
        if (!keyPrefix.isEmpty() && (head.startsWith(keyPrefix) || keyPrefix.startsWith(head))) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("The user index pattern \"%1\" overlaps the session "
                                       "prefix \"%2\"; give the index keys a prefix of their own.")
                            .arg(userIndexPattern, QString::fromUtf8(keyPrefix)));
        }
    }
    const auto checkPaths = [](const QStringList &paths, const QString &what) -> Result<void> {
        for (const QString &field : paths) {
            if (field.isEmpty() || field.startsWith(u'.') || field.endsWith(u'.')
                || field.contains(QStringLiteral(".."))) {
                return fail(
                    Code::InvalidArgument,
                    QStringLiteral("The %1 path \"%2\" is not a dotted path.").arg(what, field));
            }
        }
        return {};
    };
    for (const auto &[paths, what] :
         {std::pair{&userFields, QStringLiteral("user field")},
          std::pair{&startedFields, QStringLiteral("started field")},
          std::pair{&lastAccessFields, QStringLiteral("last access field")},
          std::pair{&deviceFields, QStringLiteral("device field")}}) {
        if (auto ok = checkPaths(*paths, what); !ok)
            return ok;
    }
    for (const QString &glob : bookkeepingGlobs) {
        QString rest = glob;
        rest.remove(QStringLiteral("{prefix}"));
        if (rest.isEmpty()
            || QRegularExpression(QStringLiteral("^[*?]*$")).match(rest).hasMatch()) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("The bookkeeping pattern \"%1\" would match keys of any "
                                       "application; give it fixed text.")
                            .arg(glob));
        }
    }
    static const QRegularExpression placeholder(QStringLiteral("\\{([A-Za-z]+)\\}"));
    const auto checkTemplate = [&](const QString &text, const QString &what) -> Result<void> {
        if (text.isEmpty())
            return fail(Code::InvalidArgument, QStringLiteral("The %1 is empty.").arg(what));
        for (auto it = placeholder.globalMatch(text); it.hasNext();) {
            const QString name = it.next().captured(1);
            if (!kTemplateNames.contains(name)) {
                return fail(Code::InvalidArgument,
                            QStringLiteral("The %1 \"%2\" names {%3}; known placeholders: %4.")
                                .arg(what, text, name,
                                     QStringLiteral("{")
                                         + kTemplateNames.join(QStringLiteral("}, {")) + u'}'));
            }
        }
        return {};
    };
    if (!ttlKey.isEmpty()) {
        if (auto ok = checkTemplate(ttlKey, QStringLiteral("TTL key")); !ok)
            return ok;
    }
    for (const RevokeStep &step : revokeSteps) {
        if (auto ok = checkTemplate(step.key, QStringLiteral("revoke key")); !ok)
            return ok;
        if (step.op != RevokeStep::Op::Delete) {
            if (auto ok = checkTemplate(step.member, QStringLiteral("revoke member")); !ok)
                return ok;
        }
    }
    if (publicIdHash != PublicIdHash::None && privateIdPrefix.isEmpty()) {
        return fail(Code::InvalidArgument,
                    QStringLiteral("A hashed cookie id needs a private id prefix (Rack's is "
                                   "\"2::\"), so that stored ids can be told from public ones."));
    }
    return {};
}

} // namespace SessionDesk
