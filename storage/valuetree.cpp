#include "valuetree.h"

#include "codecs/djangosigned.h"
#include "codecs/javaserial.h"
#include "codecs/msgpack.h"
#include "codecs/phpsession.h"
#include "codecs/pickle.h"
#include "codecs/rubymarshal.h"
#include "jsonscan.h"
#include "sessionlayout.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QRegularExpression>
#include <QSet>
#include <QStringDecoder>
#include <QTimeZone>

#include <algorithm>
#include <cmath>

namespace SessionDesk {

namespace {

ValueNode fromJson(const QJsonValue &value, const QString &name)
{
    ValueNode node;
    node.name = name;
    switch (value.type()) {
    case QJsonValue::Bool:
        node.kind = ValueNode::Kind::Bool;
        node.scalar = value.toBool();
        break;
    case QJsonValue::Double: {
        // Qt keeps integers that fit 64 bits exactly; only those become Integer nodes.
        const QVariant number = value.toVariant();
        if (number.typeId() == QMetaType::LongLong) {
            node.kind = ValueNode::Kind::Integer;
            node.scalar = number.toLongLong();
        } else {
            node.kind = ValueNode::Kind::Double;
            node.scalar = value.toDouble();
        }
        break;
    }
    case QJsonValue::String:
        node.kind = ValueNode::Kind::String;
        node.scalar = value.toString();
        break;
    case QJsonValue::Array: {
        node.kind = ValueNode::Kind::List;
        const QJsonArray array = value.toArray();
        node.children.reserve(array.size());
        for (const QJsonValue &item : array)
            node.children.append(fromJson(item, QString()));
        break;
    }
    case QJsonValue::Object: {
        node.kind = ValueNode::Kind::Map;
        const QJsonObject object = value.toObject();
        node.children.reserve(object.size());
        for (auto it = object.begin(); it != object.end(); ++it)
            node.children.append(fromJson(it.value(), it.key()));
        break;
    }
    default:
        node.kind = ValueNode::Kind::Null;
        break;
    }
    return node;
}

std::optional<QString> validUtf8(const QByteArray &bytes)
{
    // ConvertInitialBom keeps a leading byte-order mark as a character instead of eating it,
    // so that displayBytes() stays invertible.
    QStringDecoder decoder(QStringDecoder::Utf8,
                           QStringDecoder::Flag::Stateless
                               | QStringDecoder::Flag::ConvertInitialBom);
    QString text = decoder.decode(bytes);
    if (decoder.hasError())
        return std::nullopt;
    return text;
}

bool isPrintableText(const QString &text)
{
    for (const QChar c : text) {
        if ((c.category() == QChar::Other_Control && c != u'\n' && c != u'\t' && c != u'\r')
            || c == QChar::ReplacementCharacter) {
            return false;
        }
    }
    return true;
}

// Splits "accessToken", "refresh_token", "X-Api-Key" into lower-case words.
QStringList nameWords(QStringView name)
{
    QStringList words;
    QString current;
    QChar previous;
    for (qsizetype i = 0; i < name.size(); ++i) {
        const QChar c = name.at(i);
        if (!c.isLetterOrNumber()) {
            if (!current.isEmpty())
                words << current;
            current.clear();
        } else {
            // "accessToken" and "CSRFToken" both split before "Token".
            const bool nextIsLower = i + 1 < name.size() && name.at(i + 1).isLower();
            if (c.isUpper() && !current.isEmpty()
                && (previous.isLower() || previous.isDigit()
                    || (previous.isUpper() && nextIsLower))) {
                words << current;
                current.clear();
            }
            current += c.toLower();
        }
        previous = c;
    }
    if (!current.isEmpty())
        words << current;
    // Singular forms, so that "tokens" and "secrets" match too.
    for (QString &word : words) {
        if (word.size() > 3 && word.endsWith(u's') && !word.endsWith(u"ss"))
            word.chop(1);
    }
    return words;
}

QString scalarText(const ValueNode &node)
{
    switch (node.kind) {
    case ValueNode::Kind::Bytes:
        return displayBytes(node.scalar.toByteArray());
    case ValueNode::Kind::Bool:
        return node.scalar.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    default:
        return node.scalar.toString();
    }
}

std::optional<QString> userFromJsonValue(const QJsonValue &value)
{
    if (value.isString() && !value.toString().isEmpty())
        return value.toString();
    if (value.isDouble()) {
        const QVariant number = value.toVariant();
        if (number.typeId() == QMetaType::LongLong)
            return QString::number(number.toLongLong());
        return QString::number(value.toDouble(), 'g', 17);
    }
    return std::nullopt;
}

// Whether a (partial) decode holds anything worth showing instead of the raw value.
bool hasContent(const ValueNode &node)
{
    if (!node.isContainer())
        return node.kind != ValueNode::Kind::Null || !node.typeName.isEmpty();
    return std::any_of(node.children.begin(), node.children.end(), hasContent);
}

// The codecs recognised by their first bytes (formats.md §9), tried after JSON in this order.
// A `certain` signature leaves no doubt, so a partial decode with content is shown with its
// warning; otherwise only a complete decode counts and the next codec may try.
struct SignatureCodec
{
    bool (*matches)(QByteArrayView raw, bool *certain);
    DecodedValue (*decode)(const QByteArray &, const Codecs::DecodeLimits &);
};

template <bool (*looksLike)(QByteArrayView)> bool certainly(QByteArrayView raw, bool *certain)
{
    *certain = true;
    return looksLike(raw);
}

bool pickleMatches(QByteArrayView raw, bool *certain)
{
    const Codecs::PickleSignature signature = Codecs::pickleSignature(raw);
    *certain = signature == Codecs::PickleSignature::Certain;
    return signature != Codecs::PickleSignature::None;
}

bool msgpackMatches(QByteArrayView raw, bool *certain)
{
    *certain = false; // 80..8F, DE, DF open many binary values too
    return Codecs::looksLikeMsgpackMap(raw);
}

const SignatureCodec kSignatureCodecs[] = {
    {certainly<Codecs::looksLikeJavaSerialization>, Codecs::decodeJavaSerialization},
    {certainly<Codecs::looksLikeRubyMarshal>, Codecs::decodeRubyMarshal},
    {pickleMatches, Codecs::decodePickle}, // before msgpack: 80 02..05 is a pickle header
    {certainly<Codecs::looksLikePhpSerialize>, Codecs::decodePhpSerialize},
    {certainly<Codecs::looksLikePhpSession>, Codecs::decodePhpSession},
    {certainly<Codecs::looksLikeDjangoSigned>, Codecs::decodeDjangoSigned},
    {msgpackMatches, Codecs::decodeMsgpack}, // before PHP binary: a length byte 80+ is rare
    {certainly<Codecs::looksLikePhpBinary>, Codecs::decodePhpBinary},
};

// The value decoded by the first codec whose signature matches and that reads it, unmasked;
// nullopt when none does. `rejection` gets the error of the first codec that tried and gave
// up, `certain` whether its signature was certain.
std::optional<DecodedValue> decodeBySignature(const QByteArray &raw, QString *rejection = nullptr,
                                              bool *certain = nullptr)
{
    bool rejected = false;
    for (const SignatureCodec &codec : kSignatureCodecs) {
        bool sure = false;
        if (!codec.matches(raw, &sure))
            continue;
        DecodedValue decoded = codec.decode(raw, {});
        if (decoded.warning.isEmpty() || (sure && hasContent(decoded.root)))
            return decoded;
        if (!rejected) {
            rejected = true;
            if (rejection)
                *rejection = decoded.warning;
            if (certain)
                *certain = sure;
        }
    }
    return std::nullopt;
}

std::optional<QString> textOfNode(const ValueNode *node)
{
    if (!node)
        return std::nullopt;
    if (node->kind == ValueNode::Kind::String && !node->scalar.toString().isEmpty())
        return node->scalar.toString();
    if (node->kind == ValueNode::Kind::Bytes && !node->scalar.toByteArray().isEmpty()) {
        if (const auto text = validUtf8(node->scalar.toByteArray()))
            return *text;
    }
    return std::nullopt;
}

struct CompiledRules
{
    QSet<QString> extra; // lower case
    QSet<QString> never;
    bool shapes = true;
};

// A scalar whose value is shaped like a credential. Tokens are short; longer text is prose or
// data and is not examined, which keeps marking cheap on large values.
bool hasSecretShape(const ValueNode &node)
{
    constexpr qsizetype longestToken = 8192;
    if (node.kind == ValueNode::Kind::String) {
        const QString text = node.scalar.toString();
        return text.size() <= longestToken && looksLikeSecretValue(text);
    }
    if (node.kind == ValueNode::Kind::Bytes) {
        const QByteArray bytes = node.scalar.toByteArray();
        return bytes.size() <= longestToken && looksLikeSecretValue(displayBytes(bytes));
    }
    return false;
}

void markNode(ValueNode &node, const CompiledRules &rules)
{
    for (ValueNode &child : node.children) {
        const QString lower = child.name.toLower();
        if (rules.never.contains(lower)) {
            child.secret = false;
        } else {
            child.secret = node.secret || isSecretName(child.name) || rules.extra.contains(lower)
                || (rules.shapes && hasSecretShape(child));
        }
        markNode(child, rules);
    }
}

QMutex rulesMutex;
MaskingRules processRules;

} // namespace

const ValueNode *ValueNode::child(QStringView key) const
{
    if (kind != Kind::Map)
        return nullptr;
    for (const ValueNode &c : children) {
        if (c.name == key)
            return &c;
    }
    return nullptr;
}

DecodedValue decodeValue(const QByteArray &raw)
{
    DecodedValue decoded;
    if (raw.size() > kMaxDecodedBytes) {
        decoded.encoding = QStringLiteral("binary");
        decoded.root.kind = ValueNode::Kind::Bytes;
        decoded.root.scalar = raw.left(4096);
        decoded.warning =
            QStringLiteral("The value is %1 bytes; only the first 4096 are shown.").arg(raw.size());
        return decoded;
    }
    QString rejection; // a codec's error, when its signature matched but it could not read
    bool certain = false;
    const QByteArray trimmed = raw.trimmed();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(raw, &error);
        if (error.error == QJsonParseError::NoError) {
            decoded.encoding = QStringLiteral("json");
            decoded.root = fromJson(
                doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array()), QString());
            markSecrets(decoded.root);
            return decoded;
        }
        decoded.warning = QStringLiteral("Looks like JSON but is not valid at byte %1: %2.")
                              .arg(error.offset)
                              .arg(error.errorString());
    } else if (auto coded = decodeBySignature(raw, &rejection, &certain)) {
        markSecrets(coded->root);
        return std::move(*coded);
    }
    if (const auto text = validUtf8(raw); text && isPrintableText(*text)) {
        decoded.encoding = QStringLiteral("text");
        decoded.root.kind = ValueNode::Kind::String;
        decoded.root.scalar = *text;
    } else {
        decoded.encoding = QStringLiteral("binary");
        decoded.root.kind = ValueNode::Kind::Bytes;
        decoded.root.scalar = raw;
    }
    // Text that merely starts like a protocol-0 pickle needs no explanation.
    if (!rejection.isEmpty() && (certain || decoded.encoding == u"binary"))
        decoded.warning = rejection;
    markSecrets(decoded.root);
    return decoded;
}

std::optional<ValueNode> decodeJsonTree(const QByteArray &json, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        if (error) {
            *error = QStringLiteral("%1 at byte %2")
                         .arg(parseError.errorString())
                         .arg(parseError.offset);
        }
        return std::nullopt;
    }
    return fromJson(doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array()), QString());
}

DecodedValue decodeHashFields(const QList<QPair<QByteArray, QByteArray>> &fields)
{
    DecodedValue decoded;
    decoded.encoding = QStringLiteral("hash");
    decoded.root.kind = ValueNode::Kind::Map;
    QStringList problems;
    for (const auto &[field, value] : fields) {
        ValueNode child;
        const QString name = validUtf8(field).value_or(displayBytes(field));
        if (!value.isEmpty()) {
            DecodedValue fieldValue = decodeValue(value);
            child = std::move(fieldValue.root);
            if (!fieldValue.warning.isEmpty())
                problems << QStringLiteral("%1: %2").arg(name, fieldValue.warning);
        }
        child.name = name;
        decoded.root.children.append(std::move(child));
    }
    markSecrets(decoded.root);
    decoded.warning = problems.join(u' ');
    return decoded;
}

bool isSecretName(QStringView name)
{
    static const QStringList secretWords = {
        QStringLiteral("token"),      QStringLiteral("secret"),     QStringLiteral("password"),
        QStringLiteral("passwd"),     QStringLiteral("pwd"),        QStringLiteral("refresh"),
        QStringLiteral("csrf"),       QStringLiteral("xsrf"),       QStringLiteral("authorization"),
        QStringLiteral("apikey"),     QStringLiteral("credential"), QStringLiteral("privatekey"),
        QStringLiteral("passphrase"), QStringLiteral("bearer"),     QStringLiteral("otp"),
        QStringLiteral("jwt")};
    // "access" is a secret (an access key, an access grant) unless it is about when.
    static const QStringList timeWords = {QStringLiteral("last"),     QStringLiteral("time"),
                                          QStringLiteral("at"),       QStringLiteral("date"),
                                          QStringLiteral("count"),    QStringLiteral("level"),
                                          QStringLiteral("timestamp")};
    // Distinctive enough to count at the end of run-together names such as "accesstoken".
    static const QStringList secretParts = {QStringLiteral("token"),    QStringLiteral("secret"),
                                            QStringLiteral("password"), QStringLiteral("passwd"),
                                            QStringLiteral("csrf"),     QStringLiteral("apikey")};
    const QStringList words = nameWords(name);
    for (qsizetype i = 0; i < words.size(); ++i) {
        const QString &word = words.at(i);
        if (secretWords.contains(word))
            return true;
        for (const QString &part : secretParts) {
            if (word.endsWith(part))
                return true;
        }
        const QString next = i + 1 < words.size() ? words.at(i + 1) : QString();
        if ((word == u"api" || word == u"private" || word == u"secret" || word == u"access")
            && next == u"key") {
            return true;
        }
        if (word == u"access") {
            const bool aboutTime = std::any_of(
                words.begin(), words.end(), [](const QString &w) { return timeWords.contains(w); });
            if (!aboutTime)
                return true;
        }
    }
    return false;
}

namespace {

bool isBase64UrlChar(QChar c)
{
    return (c >= u'A' && c <= u'Z') || (c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9')
        || c == u'-' || c == u'_';
}

// A JWT (header.payload.signature) or JWE (five parts) whose header decodes to a JSON object
// with "alg".
bool looksLikeJwt(QStringView text)
{
    const qsizetype firstDot = text.indexOf(u'.');
    const qsizetype dots = text.count(u'.');
    if (firstDot < 10 || (dots != 2 && dots != 4))
        return false;
    for (const QChar c : text) {
        if (c != u'.' && !isBase64UrlChar(c))
            return false;
    }
    const QByteArray header =
        QByteArray::fromBase64(text.first(firstDot).toLatin1(), QByteArray::Base64UrlEncoding);
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(header, &error);
    return error.error == QJsonParseError::NoError && doc.isObject()
        && doc.object().contains(QStringLiteral("alg"));
}

// Password hashes in the modular crypt format and Django's "algorithm$iterations$salt$hash".
bool looksLikePasswordHash(QStringView text)
{
    static const QRegularExpression pattern(QStringLiteral(
        "^(?:\\$2[abxy]?\\$\\d\\d\\$[./A-Za-z0-9]{22,}" // bcrypt; Devise keeps its 29-char salt
        "|\\$argon2(?:id|i|d)\\$\\S{20,}" // argon2
        "|\\$(?:5|6|7|scrypt|sha1|md5|y|gy)\\$\\S{16,}" // sha-crypt, scrypt, yescrypt, ...
        "|(?:pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|scrypt)\\$\\S{16,})$"));
    return pattern.match(text).hasMatch();
}

} // namespace

bool looksLikeSecretValue(QStringView text)
{
    text = text.trimmed();
    if (text.size() < 16 || text.size() > 64 * 1024)
        return false;
    if (text.startsWith(u"Bearer ", Qt::CaseInsensitive)
        || text.startsWith(u"Basic ", Qt::CaseInsensitive)) {
        return text.sliced(6).trimmed().size() >= 8;
    }
    if (text.contains(u'$'))
        return looksLikePasswordHash(text);
    if (text.contains(u'.'))
        return looksLikeJwt(text);

    // Long random-looking tokens. What is counted: character classes, distinct characters and
    // how often the class changes from one character to the next (about two in three for
    // random base64, rarely one in five for words in camelCase).
    int upper = 0, lower = 0, digits = 0, hexLetters = 0, other = 0, switches = 0;
    QSet<QChar> distinct;
    int previousClass = -1;
    qsizetype padding = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        int cls;
        if (c == u'=' && i >= text.size() - 2) {
            ++padding;
            continue;
        }
        if (padding > 0)
            return false; // '=' only as trailing padding
        if (c >= u'0' && c <= u'9') {
            ++digits;
            cls = 0;
        } else if (c >= u'a' && c <= u'z') {
            ++lower;
            hexLetters += c <= u'f';
            cls = 1;
        } else if (c >= u'A' && c <= u'Z') {
            ++upper;
            hexLetters += c <= u'F';
            cls = 2;
        } else if (c == u'+' || c == u'/' || c == u'-' || c == u'_') {
            ++other;
            cls = 3;
        } else {
            return false; // spaces, '@', ':', '.' ...: prose, e-mails, dates, URLs
        }
        if (previousClass >= 0 && cls != previousClass)
            ++switches;
        previousClass = cls;
        distinct.insert(c);
    }
    const qsizetype length = text.size() - padding;
    // UUIDs are identifiers, not secrets: 8-4-4-4-12 hex digits.
    if (length == 36 && other == 4 && text.at(8) == u'-' && text.at(13) == u'-'
        && text.at(18) == u'-' && text.at(23) == u'-' && digits + hexLetters == 32) {
        return false;
    }
    // Hex: 32 digits or more (128 bits), not one repeated digit, with letters and digits.
    const bool hex =
        other == 0 && padding == 0 && digits + hexLetters == length && (upper == 0 || lower == 0);
    if (hex)
        return length >= 32 && digits > 0 && hexLetters > 0 && distinct.size() >= 8;
    // Base64 / base64url: 20+ characters of mixed case with digits, varied and choppy.
    if (length >= 20 && upper > 0 && lower > 0 && digits > 0 && distinct.size() >= 12
        && switches * 10 >= length * 3) {
        return true;
    }
    // A random part behind a readable prefix: "sk_live_<hex>", "ghp_<base62>".
    if (other > 0) {
        for (const QStringView part : text.split(u'_')) {
            for (const QStringView piece : part.split(u'-')) {
                if (piece.size() >= 20 && piece.size() < text.size() && looksLikeSecretValue(piece))
                    return true;
            }
        }
    }
    return false;
}

void setMaskingRules(const MaskingRules &rules)
{
    const QMutexLocker lock(&rulesMutex);
    processRules = rules;
}

MaskingRules maskingRules()
{
    const QMutexLocker lock(&rulesMutex);
    return processRules;
}

void markSecrets(ValueNode &root)
{
    markSecrets(root, maskingRules());
}

void markSecrets(ValueNode &root, const MaskingRules &rules)
{
    CompiledRules compiled;
    for (const QString &name : rules.extraSecretNames)
        compiled.extra.insert(name.toLower());
    for (const QString &name : rules.neverMaskNames)
        compiled.never.insert(name.toLower());
    compiled.shapes = rules.detectValueShapes;
    // The root has no name; only its shape can make it secret (a bare token as the value).
    if (!root.isContainer() && compiled.shapes)
        root.secret = hasSecretShape(root);
    markNode(root, compiled);
}

QJsonValue toJson(const ValueNode &node, bool reveal)
{
    if (node.secret && !reveal && !node.isContainer() && node.kind != ValueNode::Kind::Null)
        return kMaskText;
    switch (node.kind) {
    case ValueNode::Kind::Null:
        return QJsonValue::Null;
    case ValueNode::Kind::Bool:
        return node.scalar.toBool();
    case ValueNode::Kind::Integer:
        return node.scalar.toLongLong();
    case ValueNode::Kind::Double: {
        // JSON has no infinities or NaN (PHP, pickle and Java values can hold them).
        const double number = node.scalar.toDouble();
        if (std::isnan(number))
            return QStringLiteral("NaN");
        if (std::isinf(number))
            return number > 0 ? QStringLiteral("Infinity") : QStringLiteral("-Infinity");
        return number;
    }
    case ValueNode::Kind::String:
    case ValueNode::Kind::Bytes:
        return scalarText(node);
    case ValueNode::Kind::List: {
        QJsonArray array;
        for (const ValueNode &child : node.children)
            array.append(toJson(child, reveal));
        return array;
    }
    case ValueNode::Kind::Map: {
        QJsonObject object;
        // An object of a named class keeps its class beside its fields.
        if (!node.typeName.isEmpty())
            object.insert(QStringLiteral("@type"), node.typeName);
        for (const ValueNode &child : node.children)
            object.insert(child.name, toJson(child, reveal));
        return object;
    }
    }
    return QJsonValue::Null;
}

namespace {

// How many path parts from `at` the map key `name` stands for (a key with dots stands for
// several), or 0 when it does not match them.
qsizetype matchKey(const QString &name, const QList<QStringView> &parts, qsizetype at)
{
    if (!name.contains(u'.'))
        return parts.at(at) == u"*" || parts.at(at) == name ? 1 : 0;
    const QList<QStringView> pieces = QStringView(name).split(u'.');
    if (pieces.size() > parts.size() - at)
        return 0;
    for (qsizetype i = 0; i < pieces.size(); ++i) {
        if (parts.at(at + i) != u"*" && parts.at(at + i) != pieces.at(i))
            return 0;
    }
    return pieces.size();
}

const ValueNode *walkPath(const ValueNode &node, const QList<QStringView> &parts, qsizetype at,
                          const std::function<bool(const ValueNode &)> &accept)
{
    if (at == parts.size())
        return !accept || accept(node) ? &node : nullptr;
    if (node.kind == ValueNode::Kind::List) {
        const QStringView part = parts.at(at);
        if (part == u"*") {
            for (const ValueNode &child : node.children) {
                if (const ValueNode *found = walkPath(child, parts, at + 1, accept))
                    return found;
            }
            return nullptr;
        }
        bool ok = false;
        const qsizetype index = part.toLongLong(&ok);
        if (!ok || index < 0 || index >= node.children.size())
            return nullptr;
        return walkPath(node.children.at(index), parts, at + 1, accept);
    }
    if (node.kind != ValueNode::Kind::Map)
        return nullptr;
    for (const ValueNode &child : node.children) {
        if (const qsizetype used = matchKey(child.name, parts, at)) {
            if (const ValueNode *found = walkPath(child, parts, at + used, accept))
                return found;
        }
    }
    return nullptr;
}

// A user id is text (a string, or bytes that are UTF-8, as Python 2 pickles and Marshal's
// binary strings hold it) or an integer.
bool isUserNode(const ValueNode &node)
{
    return node.kind == ValueNode::Kind::Integer || textOfNode(&node).has_value();
}

QString userText(const ValueNode &node)
{
    return node.kind == ValueNode::Kind::Integer ? QString::number(node.scalar.toLongLong())
                                                 : textOfNode(&node).value_or(QString());
}

// A path the JSON scanner can follow: object keys only, no wildcard, no list index.
bool isPlainPath(const QString &path)
{
    for (const QStringView part : QStringView(path).split(u'.')) {
        if (part == u"*")
            return false;
        bool number = false;
        (void)part.toLongLong(&number);
        if (number)
            return false;
    }
    return true;
}

} // namespace

const ValueNode *findValueNode(const ValueNode &root, QStringView path,
                               const std::function<bool(const ValueNode &)> &accept)
{
    if (path.isEmpty())
        return nullptr;
    return walkPath(root, path.split(u'.'), 0, accept);
}

std::optional<QString> findUser(const ValueNode &root, const QStringList &paths)
{
    for (const QString &path : paths) {
        if (const ValueNode *node = findValueNode(root, path, isUserNode))
            return userText(*node);
    }
    return std::nullopt;
}

std::optional<QString> findUserInRaw(const QByteArray &raw, const QStringList &paths)
{
    SessionLayout layout;
    layout.userFields = paths;
    const QString user = SessionFieldReader(layout).read(raw, true).user;
    return user.isEmpty() ? std::nullopt : std::optional<QString>(user);
}

namespace {

QDateTime fromEpochNumber(double n)
{
    if (!(n > 0) || n > 1e16)
        return {};
    // Epoch milliseconds are above 1e11 for any date after 1973.
    return QDateTime::fromMSecsSinceEpoch(qint64(n > 1e11 ? n : n * 1000), Qt::UTC);
}

QDateTime fromIsoText(const QString &text)
{
    // Qt reads at most milliseconds: Ruby and Python write micro- or nanoseconds.
    static const QRegularExpression iso(
        QStringLiteral("^(\\d{4}-\\d\\d-\\d\\d[T "
                       "]\\d\\d:\\d\\d(?::\\d\\d)?)(?:[.,](\\d+))?(Z|[+-]\\d\\d:?\\d\\d)?$"));
    const QRegularExpressionMatch match = iso.match(text.trimmed());
    if (!match.hasMatch())
        return {};
    QString normalized = match.captured(1);
    normalized[10] = u'T';
    if (!match.captured(2).isEmpty())
        normalized += u'.' + QString(match.captured(2) + QStringLiteral("00")).left(3);
    normalized += match.captured(3); // without an offset: local time, as Qt reads it
    return QDateTime::fromString(normalized, Qt::ISODateWithMs);
}

} // namespace

QDateTime timestampFromJson(const QJsonValue &value)
{
    if (value.isDouble())
        return fromEpochNumber(value.toDouble());
    if (value.isString())
        return fromIsoText(value.toString());
    return {};
}

QDateTime timestampFromNode(const ValueNode &node)
{
    switch (node.kind) {
    case ValueNode::Kind::Integer:
        return fromEpochNumber(double(node.scalar.toLongLong()));
    case ValueNode::Kind::Double:
        return fromEpochNumber(node.scalar.toDouble());
    case ValueNode::Kind::String:
        return fromIsoText(node.scalar.toString());
    default:
        return {};
    }
}

SessionFieldReader::SessionFieldReader(const SessionLayout &layout)
{
    const auto compile = [this](const QStringList &paths, bool *plain) {
        QList<Path> compiled;
        for (const QString &path : paths) {
            Path parts;
            for (const QStringView part : QStringView(path).split(u'.'))
                parts.append(part.toUtf8());
            compiled.append(parts);
            if (!isPlainPath(path)) {
                m_allPathsPlain = false;
                if (plain)
                    *plain = false;
            }
        }
        return compiled;
    };
    m_userPaths = layout.userFields;
    m_startedPaths = layout.startedFields;
    m_lastAccessPaths = layout.lastAccessFields;
    m_devicePaths = layout.deviceFields;
    if (!layout.maxInactiveField.isEmpty())
        m_idlePaths = {layout.maxInactiveField};
    m_user = compile(m_userPaths, &m_userPathsPlain);
    m_started = compile(m_startedPaths, nullptr);
    m_lastAccess = compile(m_lastAccessPaths, nullptr);
    m_device = compile(m_devicePaths, nullptr);
    m_idle = compile(m_idlePaths, nullptr);
}

SessionFieldReader::UserLookup SessionFieldReader::userBytes(const QByteArray &raw,
                                                             QByteArrayView *user) const
{
    qsizetype start = 0;
    while (start < raw.size() && QChar::isSpace(uchar(raw.at(start))))
        ++start;
    if (raw.size() > kMaxDecodedBytes || start == raw.size())
        return UserLookup::None; // read() finds nothing either
    // Other encodings and paths with wildcards or indexes need read()'s decoded tree.
    if (raw.at(start) != '{' || !m_userPathsPlain)
        return UserLookup::Unsure;
    const QByteArrayView json = QByteArrayView(raw).sliced(start);
    // As read(): the first path that names a non-empty string or an integer.
    for (const Path &path : m_user) {
        QByteArrayView token;
        bool isString = false;
        const JsonScan scan = scanJsonPathToken(json, path, &token, &isString);
        if (scan == JsonScan::Unsure)
            return UserLookup::Unsure;
        if (scan == JsonScan::Missing)
            continue;
        if (isString) {
            if (token.isEmpty())
                continue;
            *user = token;
            return UserLookup::Found;
        }
        if (token == "true" || token == "false" || token == "null")
            continue;
        const qsizetype digits = token.startsWith('-') ? 1 : 0;
        const bool integer = token.size() > digits && token.size() < 19
            && std::all_of(token.begin() + digits, token.end(),
                           [](char c) { return c >= '0' && c <= '9'; })
            && (token.size() == digits + 1 || token.at(digits) != '0');
        if (!integer || token == "-0")
            return UserLookup::Unsure; // a fraction or an exponent: read() formats it
        *user = token;
        return UserLookup::Found;
    }
    return UserLookup::None;
}

SessionFields SessionFieldReader::read(const QByteArray &raw, bool userOnly) const
{
    if (raw.isEmpty() || raw.size() > kMaxDecodedBytes)
        return {};
    qsizetype start = 0;
    while (start < raw.size() && QChar::isSpace(uchar(raw.at(start))))
        ++start;
    const bool jsonObject = start < raw.size() && raw.at(start) == '{';
    if (jsonObject && (userOnly ? m_userPathsPlain : m_allPathsPlain))
        return readJson(raw, userOnly);
    const DecodedValue decoded = decodeValue(raw);
    if (decoded.encoding == u"text" || decoded.encoding == u"binary")
        return {};
    return readTree(decoded.root, userOnly);
}

SessionFields SessionFieldReader::readTree(const ValueNode &root, bool userOnly) const
{
    SessionFields fields;
    fields.user = findUser(root, m_userPaths).value_or(QString());
    if (userOnly)
        return fields;
    const auto isTime = [](const ValueNode &node) { return timestampFromNode(node).isValid(); };
    for (const QString &path : m_startedPaths) {
        if (const ValueNode *node = findValueNode(root, path, isTime)) {
            fields.startedAt = timestampFromNode(*node);
            break;
        }
    }
    for (const QString &path : m_lastAccessPaths) {
        if (const ValueNode *node = findValueNode(root, path, isTime)) {
            fields.lastAccessAt = timestampFromNode(*node);
            break;
        }
    }
    QStringList device;
    for (const QString &path : m_devicePaths) {
        const ValueNode *node = findValueNode(
            root, path, [](const ValueNode &n) { return textOfNode(&n).has_value(); });
        if (node)
            device << *textOfNode(node);
    }
    fields.device = device.join(QStringLiteral(" · "));
    for (const QString &path : m_idlePaths) {
        const ValueNode *node = findValueNode(
            root, path, [](const ValueNode &n) { return n.kind == ValueNode::Kind::Integer; });
        if (node)
            fields.idleTimeoutSeconds = node->scalar.toLongLong();
    }
    return fields;
}

SessionFields SessionFieldReader::readJson(const QByteArray &raw, bool userOnly) const
{
    SessionFields fields;
    qsizetype start = 0;
    while (start < raw.size() && QChar::isSpace(uchar(raw.at(start))))
        ++start;
    const QByteArrayView json = QByteArrayView(raw).sliced(start);
    // The full parse happens only when the scanner is unsure (escapes, damage).
    std::optional<QJsonObject> parsed;
    const auto lookup = [&](const Path &path) {
        QJsonValue value;
        const JsonScan scan = scanJsonPath(json, path, &value);
        if (scan == JsonScan::Found)
            return value;
        if (scan == JsonScan::Missing)
            return QJsonValue(QJsonValue::Undefined);
        if (!parsed)
            parsed = QJsonDocument::fromJson(raw).object();
        value = *parsed;
        for (const QByteArray &part : path)
            value = value.toObject().value(QString::fromUtf8(part));
        return value;
    };
    for (const Path &path : m_user) {
        if (auto user = userFromJsonValue(lookup(path))) {
            fields.user = *user;
            break;
        }
    }
    if (userOnly)
        return fields;
    for (const Path &path : m_started) {
        if ((fields.startedAt = timestampFromJson(lookup(path))).isValid())
            break;
    }
    for (const Path &path : m_lastAccess) {
        if ((fields.lastAccessAt = timestampFromJson(lookup(path))).isValid())
            break;
    }
    QStringList device;
    for (const Path &path : m_device) {
        const QJsonValue value = lookup(path);
        if (value.isString() && !value.toString().isEmpty())
            device << value.toString();
    }
    fields.device = device.join(QStringLiteral(" · "));
    for (const Path &path : m_idle) {
        const QVariant number = lookup(path).toVariant();
        if (number.typeId() == QMetaType::LongLong || number.typeId() == QMetaType::Int)
            fields.idleTimeoutSeconds = number.toLongLong();
    }
    return fields;
}

SessionFields extractSessionFields(const QByteArray &raw, const SessionLayout &layout)
{
    return SessionFieldReader(layout).read(raw);
}

namespace {

// Characters that reorder the text around them: embeddings, overrides, isolates and marks.
bool isBidiControl(char16_t c)
{
    return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e)
        || (c >= 0x2066 && c <= 0x2069);
}

} // namespace

QString displayBytes(const QByteArray &bytes)
{
    if (const auto text = validUtf8(bytes)) {
        bool plain = !text->contains(u'\\');
        for (const QChar c : *text) {
            if (!plain || c.category() == QChar::Other_Control || c == QChar::ReplacementCharacter
                || isBidiControl(c.unicode())) {
                plain = false;
                break;
            }
        }
        if (plain)
            return *text;
    }
    QString out;
    out.reserve(bytes.size() * 2);
    for (const char byte : bytes) {
        const auto c = uchar(byte);
        if (c == '\\')
            out += QStringLiteral("\\\\");
        else if (c >= 0x20 && c < 0x7f)
            out += QLatin1Char(char(c));
        else
            out += QStringLiteral("\\x%1").arg(c, 2, 16, QLatin1Char('0'));
    }
    return out;
}

QString displayText(const QString &text, LineBreaks lineBreaks)
{
    const auto escaped = [lineBreaks](char16_t c) {
        if (lineBreaks == LineBreaks::Keep && (c == u'\n' || c == u'\t'))
            return false;
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029
            || isBidiControl(c);
    };
    if (std::none_of(text.cbegin(), text.cend(), [&](QChar c) { return escaped(c.unicode()); }))
        return text;
    QString out;
    out.reserve(text.size() + 16);
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if (!escaped(u))
            out += c;
        else if (u < 0x80)
            out += QStringLiteral("\\x%1").arg(uint(u), 2, 16, QLatin1Char('0'));
        else
            out += QStringLiteral("\\u%1").arg(uint(u), 4, 16, QLatin1Char('0'));
    }
    return out;
}

QByteArray unescapeBytes(const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    if (!utf8.contains('\\'))
        return utf8;
    QByteArray out;
    out.reserve(utf8.size());
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        const char c = utf8.at(i);
        if (c == '\\' && i + 1 < utf8.size()) {
            if (utf8.at(i + 1) == '\\') {
                out.append('\\');
                ++i;
                continue;
            }
            if (utf8.at(i + 1) == 'x' && i + 3 < utf8.size()) {
                bool ok = false;
                const int value = utf8.mid(i + 2, 2).toInt(&ok, 16);
                if (ok) {
                    out.append(char(value));
                    i += 3;
                    continue;
                }
            }
        }
        out.append(c);
    }
    return out;
}

} // namespace SessionDesk
