#include "codecs/djangosigned.h"

#include <QDateTime>

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <optional>

namespace SessionDesk::Codecs {

namespace {

bool isBase64UrlChar(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
        || c == '_';
}

bool isBase62Char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool isHexDigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

struct SignedParts
{
    QByteArrayView payload; // without the compression dot
    bool compressed = false;
    QByteArrayView timestamp;
    QByteArrayView signature;
};

// Splits `[.]payload:timestamp:signature` as Signer.unsign() does (from the right).
std::optional<SignedParts> splitSigned(QByteArrayView raw)
{
    const qsizetype sigColon = raw.lastIndexOf(':');
    if (sigColon <= 0)
        return std::nullopt;
    const qsizetype tsColon = raw.first(sigColon).lastIndexOf(':');
    if (tsColon <= 0)
        return std::nullopt;
    SignedParts parts;
    parts.payload = raw.first(tsColon);
    parts.timestamp = raw.sliced(tsColon + 1, sigColon - tsColon - 1);
    parts.signature = raw.sliced(sigColon + 1);
    if (parts.payload.startsWith('.')) {
        parts.compressed = true;
        parts.payload = parts.payload.sliced(1);
    }
    const auto all = [](QByteArrayView bytes, bool (*test)(char)) {
        return !bytes.isEmpty() && std::all_of(bytes.begin(), bytes.end(), test);
    };
    // An HMAC-SHA1 signature is 27 base64 characters, an HMAC-SHA256 one 43.
    if (!all(parts.payload, isBase64UrlChar) || !all(parts.timestamp, isBase62Char)
        || parts.timestamp.size() > 11 || parts.signature.size() < 27
        || !all(parts.signature, isBase64UrlChar)) {
        return std::nullopt;
    }
    return parts;
}

// The old format: standard base64 of "<40 hex digits>:<serialized>".
bool looksLikeLegacy(QByteArrayView raw)
{
    if (raw.size() < 60)
        return false;
    for (const char c : raw) {
        if (!isBase62Char(c) && c != '+' && c != '/' && c != '=' && c != '\n')
            return false;
    }
    // 56 characters decode to the 42 bytes "<40 hex>:" and one more.
    const QByteArray head = QByteArray::fromBase64(raw.first(56).toByteArray());
    return head.size() == 42 && head.at(40) == ':'
        && std::all_of(head.begin(), head.begin() + 40, isHexDigit);
}

std::optional<qint64> base62(QByteArrayView digits)
{
    static const QByteArrayView alphabet =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    qint64 value = 0;
    for (const char c : digits) {
        const qsizetype digit = alphabet.indexOf(c);
        if (digit < 0 || value > (std::numeric_limits<qint64>::max() - digit) / 62)
            return std::nullopt;
        value = value * 62 + digit;
    }
    return value;
}

// zlib.decompress() with a cap on the output, so that a small value cannot expand without bound.
std::optional<QByteArray> inflateCapped(const QByteArray &input, qsizetype cap, QString *error)
{
    z_stream stream{};
    if (inflateInit(&stream) != Z_OK) {
        *error = QStringLiteral("zlib could not be initialised.");
        return std::nullopt;
    }
    QByteArray output;
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(input.constData()));
    stream.avail_in = uInt(input.size());
    char buffer[16384];
    int status = Z_OK;
    while (status == Z_OK) {
        stream.next_out = reinterpret_cast<Bytef *>(buffer);
        stream.avail_out = sizeof buffer;
        status = inflate(&stream, Z_NO_FLUSH);
        if (status != Z_OK && status != Z_STREAM_END)
            break;
        output.append(buffer, qsizetype(sizeof buffer - stream.avail_out));
        if (output.size() > cap) {
            inflateEnd(&stream);
            *error =
                QStringLiteral("The compressed payload expands to more than %1 bytes.").arg(cap);
            return std::nullopt;
        }
        if (status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
            status = Z_BUF_ERROR; // the input ends before the compressed stream does
            break;
        }
    }
    const QString cause =
        stream.msg ? QString::fromLatin1(stream.msg) : QStringLiteral("zlib status %1").arg(status);
    inflateEnd(&stream);
    if (status != Z_STREAM_END) {
        *error = status == Z_BUF_ERROR
            ? QStringLiteral("The compressed payload is cut off.")
            : QStringLiteral("The compressed payload is not valid zlib data (%1).").arg(cause);
        return std::nullopt;
    }
    return output;
}

ValueNode textNode(const QString &name, const QString &text)
{
    ValueNode node;
    node.kind = ValueNode::Kind::String;
    node.name = name;
    node.scalar = text;
    return node;
}

// The session dictionary with "@signed" beside its keys, or the payload under "value".
void setPayload(DecodedValue &decoded, const QByteArray &json, ValueNode signedInfo)
{
    signedInfo.kind = ValueNode::Kind::Map;
    signedInfo.name = QStringLiteral("@signed");
    signedInfo.typeName = QStringLiteral("django.core.signing");
    ValueNode verified;
    verified.kind = ValueNode::Kind::Bool;
    verified.name = QStringLiteral("verified");
    verified.scalar = false;
    signedInfo.children.append(verified);

    QString error;
    std::optional<ValueNode> tree = decodeJsonTree(json, &error);
    if (tree && tree->kind == ValueNode::Kind::Map) {
        decoded.root = std::move(*tree);
    } else {
        decoded.root.kind = ValueNode::Kind::Map;
        ValueNode value;
        if (tree) {
            value = std::move(*tree);
        } else {
            decoded.warning = QStringLiteral("The signed payload is not JSON: %1.").arg(error);
            value.kind = ValueNode::Kind::Bytes;
            value.scalar = json;
        }
        value.name = QStringLiteral("value");
        decoded.root.children.append(std::move(value));
    }
    decoded.root.children.append(std::move(signedInfo));
}

} // namespace

DecodedValue decodeDjangoSigned(const QByteArray &raw, const DecodeLimits &limits)
{
    DecodedValue decoded;
    decoded.encoding = QStringLiteral("django-signed");
    const qsizetype cap = qMin(limits.maxStringBytes * 4, kMaxDecodedBytes);

    if (const auto parts = splitSigned(raw)) {
        const auto payload = QByteArray::fromBase64Encoding(
            parts->payload.toByteArray(),
            QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
        if (!payload) {
            decoded.warning = QStringLiteral("The signed payload is not valid URL-safe base64.");
            return decoded;
        }
        QByteArray json = *payload;
        if (parts->compressed) {
            QString error;
            const auto inflated = inflateCapped(json, cap, &error);
            if (!inflated) {
                decoded.warning = error;
                return decoded;
            }
            json = *inflated;
        }
        ValueNode info;
        if (const auto seconds = base62(parts->timestamp)) {
            const QDateTime time = QDateTime::fromSecsSinceEpoch(*seconds, Qt::UTC);
            if (time.isValid() && time.date().year() >= 1 && time.date().year() <= 9999) {
                ValueNode signedAt =
                    textNode(QStringLiteral("signed_at"), time.toString(Qt::ISODateWithMs));
                signedAt.typeName = QStringLiteral("timestamp");
                info.children.append(signedAt);
            }
        }
        if (info.children.isEmpty()) {
            info.children.append(
                textNode(QStringLiteral("signed_at"), QString::fromLatin1(parts->timestamp)));
        }
        info.children.append(
            textNode(QStringLiteral("signature"), QString::fromLatin1(parts->signature)));
        setPayload(decoded, json, std::move(info));
        // HMAC-SHA1, -SHA256 and -SHA512 signatures are 27, 43 and 86 characters long.
        const qsizetype signatureSize = parts->signature.size();
        if (decoded.warning.isEmpty() && signatureSize != 27 && signatureSize != 43
            && signatureSize != 86) {
            decoded.warning = QStringLiteral("The signature has %1 characters, not the 27, 43 or "
                                             "86 of an HMAC-SHA1, -SHA256 or -SHA512, so the "
                                             "value may be cut off.")
                                  .arg(signatureSize);
        }
        return decoded;
    }

    if (looksLikeLegacy(raw)) {
        const QByteArray base64 = QByteArray(raw).replace('\n', QByteArray());
        const auto data =
            QByteArray::fromBase64Encoding(base64, QByteArray::AbortOnBase64DecodingErrors);
        if (!data) {
            decoded.warning = QStringLiteral("The signed session is not valid base64.");
            return decoded;
        }
        const QByteArray &bytes = data.decoded;
        const qsizetype colon = bytes.indexOf(':');
        ValueNode info;
        info.children.append(
            textNode(QStringLiteral("hash"), QString::fromLatin1(bytes.first(colon))));
        setPayload(decoded, bytes.sliced(colon + 1), std::move(info));
        // Python's base64 decoder, and so Django, rejects a value without its padding.
        if (decoded.warning.isEmpty() && base64.size() % 4 != 0) {
            decoded.warning = QStringLiteral("The signed session's base64 is %1 characters long, "
                                             "not a multiple of 4, so it is cut off.")
                                  .arg(base64.size());
        }
        return decoded;
    }

    decoded.warning = QStringLiteral("The value is not a Django signed string "
                                     "(payload:timestamp:signature).");
    return decoded;
}

bool looksLikeDjangoSigned(QByteArrayView raw)
{
    return splitSigned(raw).has_value() || looksLikeLegacy(raw);
}

} // namespace SessionDesk::Codecs
