#include "sessionlookup.h"

#include "valuetree.h"

#include <QUrl>

namespace SessionDesk {

namespace {

// The value of `name` in "a=1; name=value; b=2", or of the only pair when there is one.
QString cookieValue(const QString &text, const QString &name)
{
    const QStringList pairs = text.split(u';', Qt::SkipEmptyParts);
    QString single;
    int pairCount = 0;
    for (const QString &pair : pairs) {
        const qsizetype eq = pair.indexOf(u'=');
        if (eq <= 0)
            continue;
        ++pairCount;
        const QString key = pair.left(eq).trimmed();
        const QString value = pair.mid(eq + 1).trimmed();
        if (key == name)
            return value;
        single = value;
    }
    return pairCount == 1 ? single : QString();
}

} // namespace

QString SessionReference::describe(const SessionLayout &layout) const
{
    switch (source) {
    case Source::Cookie:
        return QStringLiteral("cookie of %1").arg(layout.cookieName);
    case Source::Key:
        return QStringLiteral("session key");
    case Source::SessionId:
        break;
    }
    return QStringLiteral("session id");
}

SessionReference resolveSessionReference(const QString &input, const SessionLayout &layout)
{
    QString text = input.trimmed();
    SessionReference ref;
    if (text.startsWith(QStringLiteral("Cookie:"), Qt::CaseInsensitive))
        text = text.mid(7).trimmed();
    if (text.contains(u'=')) {
        const QString value = cookieValue(text, layout.cookieName);
        if (!value.isEmpty()) {
            text = value;
            ref.source = SessionReference::Source::Cookie;
        }
    }
    // express-session signs cookies as "s:" + sid + "." + base64(HMAC) and URL-encodes them.
    if (text.startsWith(QStringLiteral("s%3A"), Qt::CaseInsensitive))
        text = QUrl::fromPercentEncoding(text.toUtf8());
    if (text.startsWith(QStringLiteral("s:"))) {
        const qsizetype dot = text.lastIndexOf(u'.');
        text = dot > 2 ? text.mid(2, dot - 2) : text.mid(2);
        ref.source = SessionReference::Source::Cookie;
    }
    const QByteArray bytes = unescapeBytes(text);
    if (ref.source == SessionReference::Source::SessionId && bytes.startsWith(layout.keyPrefix)
        && bytes.size() > layout.keyPrefix.size()) {
        ref.id = bytes.mid(layout.keyPrefix.size());
        ref.source = SessionReference::Source::Key;
        return ref;
    }
    ref.id = bytes;
    return ref;
}

} // namespace SessionDesk
