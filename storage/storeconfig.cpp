#include "storeconfig.h"

#include <QRegularExpression>
#include <QUrl>
#include <QUrlQuery>

namespace SessionDesk {

namespace {

QString hostForDisplay(const QString &host)
{
    return host.contains(QLatin1Char(':')) ? u'[' + host + u']' : host;
}

} // namespace

namespace {

Result<StoreConfig> dynamoFromUrl(const QString &text)
{
    // Not parsed by QUrl: it lower-cases the host, and table names are case-sensitive.
    const QString rest = text.mid(QStringLiteral("dynamodb://").size());
    const qsizetype question = rest.indexOf(u'?');
    StoreConfig config;
    config.kind = StoreConfig::Kind::DynamoDB;
    config.dynamo.table = rest.left(question);
    static const QRegularExpression tableName(QStringLiteral("^[A-Za-z0-9_.-]{3,255}$"));
    if (!tableName.match(config.dynamo.table).hasMatch()) {
        return fail(StorageError::Code::InvalidArgument,
                    QStringLiteral("\"%1\" is not a DynamoDB table name (3 to 255 letters, digits, "
                                   "'_', '-' or '.'); the URL form is dynamodb://TABLE?region=R.")
                        .arg(config.dynamo.table.left(300)));
    }
    if (question >= 0) {
        const QUrlQuery query(rest.mid(question + 1));
        for (const auto &[name, value] : query.queryItems(QUrl::FullyDecoded)) {
            if (name == u"region")
                config.dynamo.region = value;
            else if (name == u"profile")
                config.dynamo.profile = value;
            else if (name == u"endpoint")
                config.dynamo.endpoint = value;
            else if (name == u"index")
                config.dynamo.index = value;
            else
                return fail(StorageError::Code::InvalidArgument,
                            QStringLiteral("Unknown DynamoDB URL option \"%1\"; known: region, "
                                           "profile, endpoint, index.")
                                .arg(name));
        }
    }
    if (!config.dynamo.endpoint.isEmpty()) {
        const QUrl endpoint(config.dynamo.endpoint, QUrl::StrictMode);
        if (!endpoint.isValid() || (endpoint.scheme() != u"http" && endpoint.scheme() != u"https")
            || endpoint.host().isEmpty()) {
            return fail(
                StorageError::Code::InvalidArgument,
                QStringLiteral("The DynamoDB endpoint must be an http:// or https:// URL."));
        }
    }
    return config;
}

} // namespace

Result<StoreConfig> StoreConfig::fromUrl(const QString &text)
{
    if (text.trimmed().startsWith(QStringLiteral("dynamodb://"), Qt::CaseInsensitive))
        return dynamoFromUrl(text.trimmed());
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
    if (kind == Kind::DynamoDB) {
        return dynamo.endpoint.isEmpty()
            ? QStringLiteral("dynamodb.%1.amazonaws.com").arg(dynamo.region)
            : dynamo.endpoint;
    }
    return hostForDisplay(host) + u':' + QString::number(port);
}

QString StoreConfig::targetName() const
{
    if (kind == Kind::DynamoDB)
        return dynamo.region.isEmpty() ? dynamo.table : dynamo.table + u'@' + dynamo.region;
    return endpoint() + u'/' + QString::number(database);
}

QString StoreConfig::redactedUrl() const
{
    if (kind == Kind::DynamoDB) {
        QUrlQuery query;
        for (const auto &[name, value] : {std::pair{QStringLiteral("region"), dynamo.region},
                                          std::pair{QStringLiteral("profile"), dynamo.profile},
                                          std::pair{QStringLiteral("endpoint"), dynamo.endpoint},
                                          std::pair{QStringLiteral("index"), dynamo.index}}) {
            if (!value.isEmpty())
                query.addQueryItem(name, value);
        }
        const QString options = query.toString(QUrl::FullyEncoded);
        return QStringLiteral("dynamodb://") + dynamo.table
            + (options.isEmpty() ? QString() : u'?' + options);
    }
    QString url = tls.enabled ? QStringLiteral("rediss://") : QStringLiteral("redis://");
    if (!username.isEmpty())
        url += QString::fromUtf8(QUrl::toPercentEncoding(username)) + u'@';
    return url + targetName();
}

} // namespace SessionDesk
