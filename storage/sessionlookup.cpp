#include "sessionlookup.h"

#include "valuetree.h"

#include <QRegularExpression>
#include <QUrl>

namespace SessionDesk {

namespace {

struct CookiePair
{
    QString name;
    QString value;
};

// The pair of "a=1; name=value; b=2" whose name is one of the layout's cookies, else the only
// pair when there is one; an empty value when neither.
CookiePair cookiePair(const QString &text, const SessionLayout &layout)
{
    const QStringList pairs = text.split(u';', Qt::SkipEmptyParts);
    CookiePair single;
    int pairCount = 0;
    for (const QString &pair : pairs) {
        const qsizetype eq = pair.indexOf(u'=');
        if (eq <= 0)
            continue;
        const QString name = pair.left(eq).trimmed();
        const QString value = pair.mid(eq + 1).trimmed();
        if (value.isEmpty())
            continue; // "abc=" is base64 padding, not a pair
        ++pairCount;
        if (layout.hasCookieName(name))
            return {name, value};
        single = {name, value};
    }
    return pairCount == 1 ? single : CookiePair();
}

bool isUuid(const QString &text)
{
    static const QRegularExpression uuid(QStringLiteral(
        "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"));
    return uuid.match(text).hasMatch();
}

// Base64 (standard or URL-safe, padded or not) of printable text, decoded; empty when `text`
// is not that.
QByteArray printableFromBase64(const QString &text)
{
    static const QRegularExpression base64(QStringLiteral("^[A-Za-z0-9+/_-]+={0,2}$"));
    if (text.size() < 4 || !base64.match(text).hasMatch())
        return {};
    const auto decoded = QByteArray::fromBase64Encoding(
        text.toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    const auto standard = decoded
        ? decoded
        : QByteArray::fromBase64Encoding(text.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (!standard || standard.decoded.isEmpty())
        return {};
    for (const char c : standard.decoded) {
        if (uchar(c) < 0x21 || uchar(c) > 0x7e)
            return {};
    }
    return standard.decoded;
}

} // namespace

QString SessionReference::describe(const SessionLayout &layout) const
{
    switch (source) {
    case Source::Cookie: {
        const QString name = cookieName.isEmpty() ? layout.cookieName() : cookieName;
        return name.isEmpty() || name.contains(u'*')
            ? QStringLiteral("cookie of %1").arg(layout.schema)
            : QStringLiteral("cookie %1 of %2").arg(name, layout.schema);
    }
    case Source::Key:
        return QStringLiteral("session key");
    case Source::SessionId:
        break;
    }
    return QStringLiteral("session id");
}

SessionReference resolveSessionReference(const QString &input, const SessionLayout &layout)
{
    using Format = SessionLayout::CookieFormat;
    QString text = input.trimmed();
    SessionReference ref;
    if (text.startsWith(QStringLiteral("Cookie:"), Qt::CaseInsensitive))
        text = text.mid(7).trimmed();
    if (text.contains(u'=')) {
        const CookiePair pair = cookiePair(text, layout);
        if (!pair.value.isEmpty()) {
            text = pair.value;
            ref.source = SessionReference::Source::Cookie;
            ref.cookieName = pair.name;
            // Cookie values may be quoted (RFC 6265 allows DQUOTE around them).
            if (text.size() >= 2 && text.startsWith(u'"') && text.endsWith(u'"'))
                text = text.mid(1, text.size() - 2);
        }
    }
    const bool fromCookie = ref.source == SessionReference::Source::Cookie;
    // A full key with the layout's prefix is taken as a key before any cookie decoding.
    const QByteArray asBytes = unescapeBytes(text);
    if (!fromCookie && !layout.keyPrefix.isEmpty() && asBytes.startsWith(layout.keyPrefix)
        && asBytes.size() > layout.keyPrefix.size()) {
        ref.id = asBytes.mid(layout.keyPrefix.size());
        ref.source = SessionReference::Source::Key;
        return ref;
    }
    switch (layout.cookieFormat) {
    case Format::ExpressSigned:
        // express-session signs cookies as "s:" + sid + "." + base64(HMAC) and URL-encodes them.
        if (text.startsWith(QStringLiteral("s%3A"), Qt::CaseInsensitive))
            text = QUrl::fromPercentEncoding(text.toUtf8());
        if (text.startsWith(QStringLiteral("s:"))) {
            const qsizetype dot = text.lastIndexOf(u'.');
            text = dot > 2 ? text.mid(2, dot - 2) : text.mid(2);
            ref.source = SessionReference::Source::Cookie;
        }
        break;
    case Format::SignedDot: {
        // itsdangerous: "<sid>.<signature>"; an unsigned cookie is the bare sid.
        const qsizetype dot = text.lastIndexOf(u'.');
        if (dot > 0) {
            text = text.left(dot);
            ref.source = SessionReference::Source::Cookie;
        }
        break;
    }
    case Format::Base64:
        // Spring's cookie is base64 of the id (a UUID): a UUID itself is taken as the id.
        if (!isUuid(text)) {
            const QByteArray decoded = printableFromBase64(text);
            if (!decoded.isEmpty()) {
                text = QString::fromLatin1(decoded);
                ref.source = SessionReference::Source::Cookie;
            }
        }
        break;
    case Format::Plain:
        if (text.contains(u'%'))
            text = QUrl::fromPercentEncoding(text.toUtf8());
        break;
    }
    ref.id = unescapeBytes(text);
    // A Rack public id only ever travels in the cookie: the store keeps the session under its
    // hash.
    if (layout.isPublicId(ref.id))
        ref.source = SessionReference::Source::Cookie;
    return ref;
}

} // namespace SessionDesk
