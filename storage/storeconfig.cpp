#include "storeconfig.h"

#include <QUrl>

namespace SessionDesk {

namespace {

QString hostForDisplay(const QString &host)
{
    return host.contains(QLatin1Char(':')) ? u'[' + host + u']' : host;
}

} // namespace

Result<StoreConfig> StoreConfig::fromUrl(const QString &text)
{
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != u"redis" && scheme != u"rediss")) {
        return fail(StorageError::Code::InvalidArgument,
                    // The text is not repeated: a mistyped URL may still hold a password.
                    QStringLiteral("The store URL is not of the form "
                                   "redis://[user[:password]@]host[:port][/db] or rediss://..."));
    }
    StoreConfig config;
    config.tls.enabled = scheme == u"rediss";
    config.host = url.host(QUrl::FullyDecoded);
    if (config.host.isEmpty()) {
        return fail(StorageError::Code::InvalidArgument,
                    QStringLiteral("Store URL has no host name."));
    }
    const int port = url.port(6379);
    if (port <= 0 || port > 65535) {
        return fail(StorageError::Code::InvalidArgument,
                    QStringLiteral("Store URL has an invalid port."));
    }
    config.port = quint16(port);
    config.username = url.userName(QUrl::FullyDecoded);
    config.password = url.password(QUrl::FullyDecoded);
    // redis://:password@host means "password only", the classic AUTH form.
    QString path = url.path(QUrl::FullyDecoded);
    if (path.startsWith(u'/'))
        path.remove(0, 1);
    if (!path.isEmpty()) {
        bool ok = false;
        const int db = path.toInt(&ok);
        if (!ok || db < 0) {
            return fail(
                StorageError::Code::InvalidArgument,
                QStringLiteral("Store URL path \"/%1\" is not a database number.").arg(path));
        }
        config.database = db;
    }
    if (url.hasQuery() || url.hasFragment()) {
        return fail(StorageError::Code::InvalidArgument,
                    QStringLiteral("Store URL options after '?' or '#' are not supported; use "
                                   "command-line options instead."));
    }
    return config;
}

QString StoreConfig::endpoint() const
{
    return hostForDisplay(host) + u':' + QString::number(port);
}

QString StoreConfig::targetName() const
{
    return endpoint() + u'/' + QString::number(database);
}

QString StoreConfig::redactedUrl() const
{
    QString url = tls.enabled ? QStringLiteral("rediss://") : QStringLiteral("redis://");
    if (!username.isEmpty())
        url += QString::fromUtf8(QUrl::toPercentEncoding(username)) + u'@';
    return url + targetName();
}

} // namespace SessionDesk
