#include "sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <map>

namespace SessionDesk::Aws {

namespace {

constexpr char kAlgorithm[] = "AWS4-HMAC-SHA256";

QByteArray hmacSha256(const QByteArray &key, const QByteArray &data)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    const unsigned char *result = HMAC(EVP_sha256(), key.constData(), int(key.size()),
                                       reinterpret_cast<const unsigned char *>(data.constData()),
                                       size_t(data.size()), out, &length);
    // HMAC() fails only on allocation failure or an unavailable digest; a signature computed
    // from nothing would be rejected by AWS anyway, so there is nothing useful to recover.
    Q_ASSERT(result);
    if (!result)
        return {};
    QByteArray mac(reinterpret_cast<const char *>(out), int(length));
    OPENSSL_cleanse(out, sizeof out);
    return mac;
}

bool isHeaderSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Trims the value and collapses every run of whitespace (including obs-fold line breaks) to one
// space. The test suite does this inside quoted strings too (get-header-value-trim).
QByteArray canonicalHeaderValue(const QByteArray &value)
{
    QByteArray out;
    out.reserve(value.size());
    bool pendingSpace = false;
    for (char c : value) {
        if (isHeaderSpace(c)) {
            pendingSpace = !out.isEmpty();
            continue;
        }
        if (pendingSpace)
            out += ' ';
        pendingSpace = false;
        out += c;
    }
    return out;
}

// RFC 3986 remove_dot_segments plus collapsing of empty segments ("//" -> "/"), which is what
// the suite's normalize-path cases expect. A trailing slash (or a trailing "." / "..") keeps the
// result ending in '/'.
QByteArray canonicalUri(const QByteArray &path)
{
    if (path.isEmpty())
        return "/";
    const QList<QByteArray> parts = path.split('/');
    QList<QByteArray> segments;
    for (const QByteArray &part : parts) {
        if (part.isEmpty() || part == ".")
            continue;
        if (part == "..") {
            if (!segments.isEmpty())
                segments.removeLast();
            continue;
        }
        segments.append(part);
    }
    const QByteArray &last = parts.last();
    const bool trailingSlash = last.isEmpty() || last == "." || last == "..";

    QByteArray uri = "/";
    for (qsizetype i = 0; i < segments.size(); ++i) {
        if (i > 0)
            uri += '/';
        uri += uriEncode(segments.at(i));
    }
    if (trailingSlash && !segments.isEmpty())
        uri += '/';
    return uri;
}

QByteArray canonicalQuery(const HeaderList &query)
{
    QList<QPair<QByteArray, QByteArray>> encoded;
    encoded.reserve(query.size());
    for (const auto &[name, value] : query)
        encoded.append({uriEncode(name), uriEncode(value)});
    // Sorted by encoded name, then encoded value (get-vanilla-query-order-key/-value).
    std::sort(encoded.begin(), encoded.end());
    QByteArray out;
    for (const auto &[name, value] : encoded) {
        if (!out.isEmpty())
            out += '&';
        out += name + '=' + value;
    }
    return out;
}

struct Canonical
{
    QByteArray request;
    QByteArray signedHeaders;
};

Canonical buildCanonical(const HttpRequest &request, const HeaderList &extraHeaders)
{
    // Lower-cased name -> values in the order they appear; a repeated header is one line with
    // its values joined by ',' (get-header-key-duplicate, get-header-value-order).
    std::map<QByteArray, QList<QByteArray>> headers;
    for (const HeaderList *list : {&request.headers, &extraHeaders}) {
        for (const auto &[name, value] : *list)
            headers[name.trimmed().toLower()].append(canonicalHeaderValue(value));
    }

    QByteArray canonicalHeaders;
    QByteArray signedHeaders;
    for (const auto &[name, values] : headers) {
        canonicalHeaders += name + ':' + values.join(',') + '\n';
        if (!signedHeaders.isEmpty())
            signedHeaders += ';';
        signedHeaders += name;
    }

    QByteArray out;
    out += request.method.toUpper() + '\n';
    out += canonicalUri(request.path) + '\n';
    out += canonicalQuery(request.query) + '\n';
    out += canonicalHeaders + '\n';
    out += signedHeaders + '\n';
    out += sha256Hex(request.body);
    return {out, signedHeaders};
}

QByteArray scope(const QDateTime &now, const QString &region, const QString &service)
{
    return amzDate(now).left(8) + '/' + region.toUtf8() + '/' + service.toUtf8() + "/aws4_request";
}

bool isReplacedHeader(const QByteArray &name)
{
    const QByteArray lower = name.trimmed().toLower();
    return lower == "x-amz-date" || lower == "x-amz-security-token" || lower == "authorization";
}

} // namespace

QByteArray amzDate(const QDateTime &now)
{
    return now.toUTC().toString(QStringLiteral("yyyyMMdd'T'HHmmss'Z'")).toLatin1();
}

QByteArray sha256Hex(const QByteArray &data)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    const int ok =
        EVP_Digest(data.constData(), size_t(data.size()), digest, &length, EVP_sha256(), nullptr);
    Q_ASSERT(ok == 1);
    if (ok != 1)
        return {};
    return QByteArray(reinterpret_cast<const char *>(digest), int(length)).toHex();
}

QByteArray uriEncode(const QByteArray &bytes, bool keepSlash)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    QByteArray out;
    out.reserve(bytes.size() * 3);
    for (char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved || (keepSlash && c == '/')) {
            out += char(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0x0F];
        }
    }
    return out;
}

QByteArray canonicalRequest(const HttpRequest &request, const HeaderList &extraHeaders)
{
    return buildCanonical(request, extraHeaders).request;
}

QByteArray stringToSign(const QByteArray &canonicalRequest, const QDateTime &now,
                        const QString &region, const QString &service)
{
    return QByteArray(kAlgorithm) + '\n' + amzDate(now) + '\n' + scope(now, region, service) + '\n'
        + sha256Hex(canonicalRequest);
}

HeaderList signV4(const HttpRequest &request, const Credentials &credentials, const QString &region,
                  const QString &service, const QDateTime &now)
{
    HttpRequest unsignedRequest = request;
    unsignedRequest.headers.removeIf(
        [](const auto &header) { return isReplacedHeader(header.first); });

    HeaderList added;
    added.append({"X-Amz-Date", amzDate(now)});
    if (!credentials.sessionToken.isEmpty())
        added.append({"X-Amz-Security-Token", credentials.sessionToken.toUtf8()});

    const Canonical canonical = buildCanonical(unsignedRequest, added);
    const QByteArray toSign = stringToSign(canonical.request, now, region, service);

    QByteArray secret = "AWS4" + credentials.secretAccessKey.toUtf8();
    QByteArray key = hmacSha256(secret, amzDate(now).left(8));
    OPENSSL_cleanse(secret.data(), size_t(secret.size()));
    for (const QByteArray &part : {region.toUtf8(), service.toUtf8(), QByteArray("aws4_request")}) {
        QByteArray next = hmacSha256(key, part);
        OPENSSL_cleanse(key.data(), size_t(key.size()));
        key = next;
    }
    const QByteArray signature = hmacSha256(key, toSign).toHex();
    OPENSSL_cleanse(key.data(), size_t(key.size()));

    added.append({"Authorization",
                  QByteArray(kAlgorithm) + " Credential=" + credentials.accessKeyId.toUtf8() + '/'
                      + scope(now, region, service) + ", SignedHeaders=" + canonical.signedHeaders
                      + ", Signature=" + signature});
    return added;
}

} // namespace SessionDesk::Aws
