#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QJsonValue>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <functional>
#include <optional>

namespace SessionDesk {

// A decoded session value in a codec-neutral form. Built by decoders that never execute
// anything and that keep what they could read when the input is damaged.
struct ValueNode
{
    enum class Kind { Null, Bool, Integer, Double, String, Bytes, List, Map };

    Kind kind = Kind::Null;
    QString name; // key in the parent map, empty for list items and the root
    QVariant scalar; // bool, qint64, double, QString or QByteArray
    QList<ValueNode> children;
    bool secret = false; // the name (or an ancestor's) looks like a credential
    // Class or type name carried by the encoding (a Ruby, Python, Java or PHP object, a Ruby
    // symbol): shown beside the value, never resolved. Empty for plain data.
    QString typeName;

    bool isContainer() const { return kind == Kind::List || kind == Kind::Map; }
    const ValueNode *child(QStringView key) const;
};

struct DecodedValue
{
    QString encoding; // "json", "text", "binary"
    ValueNode root;
    QString warning; // why the decode is partial or fell back to raw; empty when complete
};

// Values larger than this are shown raw, not decoded.
inline constexpr qsizetype kMaxDecodedBytes = 16 * 1024 * 1024;

// JSON first; then the codecs under storage/codecs/ picked by the value's first bytes
// (formats.md §9); a value no codec could read anything of is text or hex, with the codec's
// error in `warning`.
DecodedValue decodeValue(const QByteArray &raw);

// A JSON object or array as a tree; nullopt, with `error` set, when it is not valid JSON.
std::optional<ValueNode> decodeJsonTree(const QByteArray &json, QString *error = nullptr);

// The fields of a hash whose values are each encoded on their own, as Spring Session stores a
// session (every value Java-serialized): one map of field name → decodeValue(value), in the
// given order. An empty value (Spring's removed attribute) is a null. `encoding` is "hash";
// `warning` names each field that did not decode completely. Spring's principal name is then at
// `sessionAttr:SPRING_SECURITY_CONTEXT.authentication.principal.username` (a UserDetails
// principal) or `sessionAttr:SPRING_SECURITY_CONTEXT.authentication.principal` (a String one).
DecodedValue decodeHashFields(const QList<QPair<QByteArray, QByteArray>> &fields);

// True for names such as "accessToken", "refresh_token", "password", "csrfSecret", "apiKey",
// "Authorization". Timestamps such as "lastAccess" are not secrets.
bool isSecretName(QStringView name);
// True for text shaped like a credential whatever its name: a JWT (three or five base64url
// parts whose header is JSON naming an "alg"), an Authorization value ("Bearer …",
// "Basic …"), a password hash (bcrypt, argon2, scrypt, sha-crypt, Django's pbkdf2), or a long
// random-looking token: 32+ hex digits, or 20+ base64/base64url characters mixing upper case,
// lower case and digits with many distinct characters. Dates, UUIDs, e-mail addresses, words
// and numbers are not.
bool looksLikeSecretValue(QStringView text);

// What markSecrets() counts as secret besides the built-in names. Names are whole field names,
// compared case-insensitively; a name never to mask wins over everything else.
struct MaskingRules
{
    QStringList extraSecretNames;
    QStringList neverMaskNames;
    bool detectValueShapes = true; // looksLikeSecretValue() on every string
};
// The rules markSecrets(root) applies, for the whole process. Front ends set them once at
// start-up from their options (--mask-field, --no-mask-field); safe to read from any thread.
void setMaskingRules(const MaskingRules &rules);
MaskingRules maskingRules();

// Sets `secret` on every node whose name, or an ancestor's, is a secret name, and on every
// string (the root's too) whose value looks like a secret; clears it on nodes named never to
// mask. Every decoder's output passes through it (decodeValue() calls it).
void markSecrets(ValueNode &root);
void markSecrets(ValueNode &root, const MaskingRules &rules);

// The tree as JSON. Secret scalars become kMaskText unless `reveal` is set; bytes become a
// "\xHH"-escaped string.
inline const QString kMaskText = QStringLiteral("••••••");
QJsonValue toJson(const ValueNode &node, bool reveal);

// Follows a dotted path such as "passport.user" or "warden.user.*.key.0.0": each part names a
// map key, "*" any key (or list item), a whole number a list index; a key that itself contains
// dots (Rack's "warden.user.user.key", Spring's "sessionAttr:org.springframework...") matches as
// that many parts. Returns the first node reached for which `accept` holds (any node when
// `accept` is empty), or nullptr.
const ValueNode *findValueNode(const ValueNode &root, QStringView path,
                               const std::function<bool(const ValueNode &)> &accept = {});
// The first of `paths` that names a non-empty string or an integer in the tree.
std::optional<QString> findUser(const ValueNode &root, const QStringList &paths);
// Fast path for listing: the user of a raw JSON value without building a tree; other encodings
// decodeValue() knows are decoded first.
std::optional<QString> findUserInRaw(const QByteArray &raw, const QStringList &paths);

// What a session list shows of one raw value, read with a single parse.
struct SessionFields
{
    QString user;
    QDateTime startedAt;
    QDateTime lastAccessAt;
    QString device;
    qint64 idleTimeoutSeconds = -1; // the layout's maxInactiveField; -1 when absent
};
struct SessionLayout;
// Reads SessionFields with the layout's paths compiled once; cheap enough for every value of
// a full scan. A JSON object is read without building a tree when the paths are plain key
// chains; any other value (Marshal, pickle, PHP, Django, …, or JSON with wildcard or index
// paths) is decoded with decodeValue() and read from the tree. Values nothing can be read from
// yield empty fields.
class SessionFieldReader
{
public:
    explicit SessionFieldReader(const SessionLayout &layout);
    SessionFields read(const QByteArray &raw, bool userOnly = false) const;
    // The same from a decoded tree (a hash's fields, a value already decoded).
    SessionFields readTree(const ValueNode &root, bool userOnly = false) const;
    // The user of a raw JSON object as its UTF-8 bytes, without building anything: `*user` is a
    // view into `raw`. Unsure when only read() can tell (another encoding, a user path with a
    // wildcard or an index, escapes, a fractional number, damage).
    enum class UserLookup { Found, None, Unsure };
    UserLookup userBytes(const QByteArray &raw, QByteArrayView *user) const;

private:
    using Path = QList<QByteArray>;
    SessionFields readJson(const QByteArray &raw, bool userOnly) const;
    QList<Path> m_user, m_started, m_lastAccess, m_device, m_idle;
    QStringList m_userPaths, m_startedPaths, m_lastAccessPaths, m_devicePaths, m_idlePaths;
    bool m_userPathsPlain = true; // every user path is a chain of object keys
    bool m_allPathsPlain = true;
};
SessionFields extractSessionFields(const QByteArray &raw, const SessionLayout &layout);
// A timestamp from ISO-8601 text or epoch seconds/milliseconds; invalid when it is neither.
QDateTime timestampFromJson(const QJsonValue &value);
// The same from a tree node: an integer or double of epoch seconds/milliseconds, or ISO-8601
// text such as a Ruby Time, a Python datetime or a Java Date decodes to.
QDateTime timestampFromNode(const ValueNode &node);

// Bytes for display: valid UTF-8 without control characters or backslashes stays as is;
// anything else is escaped as \xHH (and a backslash as \\). unescapeBytes() inverts it.
QString displayBytes(const QByteArray &bytes);
QByteArray unescapeBytes(const QString &text);

// Text from a store (a user id, a device, a payload) made safe to show on a terminal or a
// screen: control characters, which a terminal obeys (escape sequences, carriage returns,
// line breaks unless kept), and bidirectional formatting characters, which reorder what is
// shown ("Trojan Source"), become \xHH (below U+0080) or \uHHHH. For display only: what goes
// to a store, an export or --json stays exact.
enum class LineBreaks { Escape, Keep };
QString displayText(const QString &text, LineBreaks lineBreaks = LineBreaks::Escape);

} // namespace SessionDesk
