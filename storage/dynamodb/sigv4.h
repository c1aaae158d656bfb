#pragma once

// AWS Signature Version 4 (header form), as used by the DynamoDB JSON protocol. Pure functions:
// no network, no clock, no global state; HMAC-SHA256 and SHA-256 come from OpenSSL.

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QPair>
#include <QString>

namespace SessionDesk::Aws {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// One set of AWS credentials. `source` says where they came from, for messages and the GUI
// ("environment", "profile default (~/.aws/credentials)", ...); it never holds a secret.
struct Credentials
{
    QString accessKeyId;
    QString secretAccessKey;
    QString sessionToken; // empty for long-term keys
    QDateTime expiration; // invalid when the credentials do not expire
    QString source;

    bool isValid() const { return !accessKeyId.isEmpty() && !secretAccessKey.isEmpty(); }
    // True when the credentials carry an expiration that is not after `now`.
    bool isExpired(const QDateTime &now) const { return expiration.isValid() && expiration <= now; }
};

// The parts of an HTTP request that SigV4 covers.
struct HttpRequest
{
    QByteArray method; // "GET", "POST", ...
    // The path exactly as it goes on the request line (e.g. "/"). The canonical URI normalises
    // it (".", "..", empty segments) and URI-encodes each segment once more, which is the
    // "double encoding" every service except S3 expects.
    QByteArray path;
    HeaderList query; // decoded name/value pairs, in any order
    HeaderList headers; // name/value as sent; every one is signed; must include Host
    QByteArray body;
};

// The headers to add to `request` so that AWS accepts it: X-Amz-Date, X-Amz-Security-Token when
// the credentials have a session token, and Authorization. `now` is converted to UTC. Any
// X-Amz-Date, X-Amz-Security-Token or Authorization already in `request.headers` is ignored
// (the returned ones replace them).
HeaderList signV4(const HttpRequest &request, const Credentials &credentials, const QString &region,
                  const QString &service, const QDateTime &now);

// Exposed for tests and diagnostics. The canonical request of `request` with `extraHeaders` (e.g.
// the X-Amz-Date that signV4 adds) signed as well.
QByteArray canonicalRequest(const HttpRequest &request, const HeaderList &extraHeaders = {});

// "AWS4-HMAC-SHA256\n<amz-date>\n<scope>\n<hex sha256 of canonical request>".
QByteArray stringToSign(const QByteArray &canonicalRequest, const QDateTime &now,
                        const QString &region, const QString &service);

// Helpers the DynamoDB client and the tests share.
QByteArray amzDate(const QDateTime &now); // 20150830T123600Z
QByteArray sha256Hex(const QByteArray &data);
// RFC 3986 percent-encoding: unreserved characters (A-Z a-z 0-9 - . _ ~) stay, everything else
// becomes %XX with upper-case hex; '/' too unless `keepSlash`.
QByteArray uriEncode(const QByteArray &bytes, bool keepSlash = false);

} // namespace SessionDesk::Aws
