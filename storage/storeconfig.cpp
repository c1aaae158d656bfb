#include "storeconfig.h"

#include <QHostAddress>
#include <QRegularExpression>
#include <QUrl>
#include <QUrlQuery>

#include <cctype>

namespace SessionDesk {

namespace {

using Code = StorageError::Code;

QString hostForDisplay(const QString &host)
{
    return host.contains(QLatin1Char(':')) ? u'[' + host + u']' : host;
}

const char kSentinelForm[] =
    "redis-sentinel://[user[:password]@]host[:port][,host[:port]...]/MASTER[/db]";
const char kClusterForm[] = "redis-cluster://[user[:password]@]host[:port][,host[:port]...]";

// Every '%' starts a two-digit hex escape.
bool isPercentEncodingValid(const QString &text)
{
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text.at(i) != u'%')
            continue;
        if (i + 2 >= text.size() || !isxdigit(text.at(i + 1).toLatin1())
            || !isxdigit(text.at(i + 2).toLatin1()))
            return false;
        i += 2;
    }
    return true;
}

QString percentDecoded(const QString &text)
{
    return QUrl::fromPercentEncoding(text.toUtf8());
}

// "host", "host:port", "[v6]" or "[v6]:port". A missing port is `defaultPort` (0 allowed: the
// caller decides what no port means). Host names are lower-cased, as QUrl does for redis://.
Result<HostPort> parseHostPort(const QString &text, quint16 defaultPort, const QString &where)
{
    static const QRegularExpression hostName(
        QStringLiteral("^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$"));
    HostPort node;
    QString portText;
    bool hasPort = false;
    if (text.startsWith(u'[')) {
        const qsizetype close = text.indexOf(u']');
        const QString rest = close < 0 ? QString() : text.mid(close + 1);
        node.host = close < 0 ? QString() : text.mid(1, close - 1);
        if (close < 0 || QHostAddress(node.host).protocol() != QAbstractSocket::IPv6Protocol
            || (!rest.isEmpty() && !rest.startsWith(u':'))) {
            return fail(
                Code::InvalidArgument,
                QStringLiteral("\"%1\" in %2 is not a bracketed IPv6 address.").arg(text, where));
        }
        hasPort = !rest.isEmpty();
        portText = rest.mid(1);
        node.host = QHostAddress(node.host).toString();
    } else {
        const qsizetype colon = text.indexOf(u':');
        if (colon >= 0 && text.indexOf(u':', colon + 1) >= 0) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("\"%1\" in %2: an IPv6 address goes in brackets, as in "
                                       "[::1]:6379.")
                            .arg(text, where));
        }
        node.host = (colon < 0 ? text : text.left(colon)).toLower();
        hasPort = colon >= 0;
        portText = text.mid(colon + 1);
        if (node.host.isEmpty() || !hostName.match(node.host).hasMatch()) {
            return fail(
                Code::InvalidArgument,
                QStringLiteral("\"%1\" in %2 is not a host name or address.").arg(text, where));
        }
    }
    node.port = defaultPort;
    if (hasPort) {
        bool ok = false;
        const int port = portText.toInt(&ok);
        static const QRegularExpression digits(QStringLiteral("^[0-9]{1,5}$"));
        if (!ok || !digits.match(portText).hasMatch() || port <= 0 || port > 65535) {
            return fail(
                Code::InvalidArgument,
                QStringLiteral("\"%1\" in %2 has no valid port (1 to 65535).").arg(text, where));
        }
        node.port = quint16(port);
    }
    return node;
}

// redis-sentinel://, rediss-sentinel://, redis-cluster:// and rediss-cluster://. QUrl cannot
// hold a list of hosts, so these are split by hand: the user information ends at the last '@'
// (so a password never lands in the host list or the path, which error messages may quote).
Result<StoreConfig> highAvailabilityFromUrl(const QString &text, const QString &scheme)
{
    const bool sentinel = scheme.endsWith(u"-sentinel");
    const QString form = QString::fromLatin1(sentinel ? kSentinelForm : kClusterForm);
    StoreConfig config;
    config.redisMode =
        sentinel ? StoreConfig::RedisMode::Sentinel : StoreConfig::RedisMode::Cluster;
    config.tls.enabled = scheme.startsWith(u"rediss");
    QString rest = text.mid(scheme.size() + 3);
    if (rest.contains(u'?') || rest.contains(u'#')) {
        return fail(Code::InvalidArgument,
                    QStringLiteral("Store URL options after '?' or '#' are not supported; use "
                                   "command-line options instead."));
    }
    const qsizetype at = rest.lastIndexOf(u'@');
    if (at >= 0) {
        const QString userInfo = rest.left(at);
        rest = rest.mid(at + 1);
        if (!isPercentEncodingValid(userInfo)) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("The user or password in the store URL has a '%' that is "
                                       "not followed by two hex digits."));
        }
        const qsizetype colon = userInfo.indexOf(u':');
        config.username = percentDecoded(userInfo.left(colon));
        if (colon >= 0)
            config.password = percentDecoded(userInfo.mid(colon + 1));
    }
    const qsizetype slash = rest.indexOf(u'/');
    const QString hostList = rest.left(slash);
    const std::optional<QString> path =
        slash < 0 ? std::nullopt : std::optional<QString>(rest.mid(slash + 1));
    if (hostList.isEmpty()) {
        return fail(Code::InvalidArgument,
                    QStringLiteral("The store URL names no host; the form is %1.").arg(form));
    }
    const quint16 defaultPort = sentinel ? 26379 : 6379;
    const QString where = QStringLiteral("the store URL's host list");
    for (const QString &entry : hostList.split(u',')) {
        if (entry.isEmpty()) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("The store URL's host list has an empty entry (two commas, "
                                       "or one at an end)."));
        }
        auto node = parseHostPort(entry, defaultPort, where);
        if (!node)
            return std::unexpected(node.error());
        if (config.seeds.contains(*node)) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("The store URL lists %1 twice.").arg(node->text()));
        }
        config.seeds.append(*node);
    }
    config.host = config.seeds.first().host;
    config.port = config.seeds.first().port;

    const auto databaseFrom = [](const QString &number) -> Result<int> {
        static const QRegularExpression digits(QStringLiteral("^[0-9]{1,9}$"));
        if (!digits.match(number).hasMatch()) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("\"%1\" in the store URL is not a database number.")
                            .arg(number.left(100)));
        }
        return number.toInt();
    };
    if (sentinel) {
        const QStringList parts = path ? path->split(u'/') : QStringList();
        const QString master = parts.isEmpty() ? QString() : percentDecoded(parts.first());
        if (master.isEmpty()) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("The store URL names no Sentinel master; the form is %1.")
                            .arg(form));
        }
        static const QRegularExpression printable(QStringLiteral("^[^\\s\\x00-\\x1f\\x7f]+$"));
        if (!isPercentEncodingValid(parts.first()) || !printable.match(master).hasMatch()) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("The Sentinel master name in the store URL may not hold "
                                       "spaces or control characters."));
        }
        if (parts.size() > 2) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("The store URL has more after the database number; the "
                                       "form is %1.")
                            .arg(form));
        }
        config.sentinelMaster = master;
        if (parts.size() == 2 && !parts.at(1).isEmpty()) {
            auto database = databaseFrom(parts.at(1));
            if (!database)
                return std::unexpected(database.error());
            config.database = *database;
        }
    } else if (path && !path->isEmpty()) {
        auto database = databaseFrom(*path);
        if (!database)
            return std::unexpected(database.error());
        if (*database != 0) {
            return fail(
                Code::InvalidArgument,
                QStringLiteral("Redis Cluster has only database 0; the form is %1.").arg(form));
        }
    }
    return config;
}

} // namespace

QString HostPort::text() const
{
    return hostForDisplay(host) + u':' + QString::number(port);
}

Result<HostMapping> HostMapping::parse(const QString &text)
{
    const QStringList sides = text.trimmed().split(u'=');
    if (sides.size() != 2 || sides.first().isEmpty() || sides.last().isEmpty()) {
        return fail(Code::InvalidArgument,
                    QStringLiteral("--cluster-host-map \"%1\" is not of the form "
                                   "ANNOUNCED=REACHABLE (each host or host:port).")
                        .arg(text));
    }
    const QString where = QStringLiteral("--cluster-host-map");
    auto announced = parseHostPort(sides.first(), 0, where);
    if (!announced)
        return std::unexpected(announced.error());
    auto reachable = parseHostPort(sides.last(), 0, where);
    if (!reachable)
        return std::unexpected(reachable.error());
    if (announced->port == 0 && reachable->port != 0) {
        return fail(Code::InvalidArgument,
                    QStringLiteral("--cluster-host-map \"%1\" maps a host to a port: give the "
                                   "announced port too (ANNOUNCED:PORT=REACHABLE:PORT).")
                        .arg(text));
    }
    return HostMapping{*announced, *reachable};
}

std::optional<HostPort> HostMapping::apply(const HostPort &node) const
{
    if (node.host.compare(announced.host, Qt::CaseInsensitive) != 0
        || (announced.port != 0 && announced.port != node.port))
        return std::nullopt;
    return HostPort{reachable.host, reachable.port != 0 ? reachable.port : node.port};
}

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
    const QString trimmed = text.trimmed();
    const QString highAvailabilityScheme = trimmed.section(QStringLiteral("://"), 0, 0).toLower();
    if (trimmed.contains(QStringLiteral("://"))
        && (highAvailabilityScheme == u"redis-sentinel"
            || highAvailabilityScheme == u"rediss-sentinel"
            || highAvailabilityScheme == u"redis-cluster"
            || highAvailabilityScheme == u"rediss-cluster"))
        return highAvailabilityFromUrl(trimmed, highAvailabilityScheme);
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != u"redis" && scheme != u"rediss")) {
        return fail(StorageError::Code::InvalidArgument,
                    // The text is not repeated: a mistyped URL may still hold a password.
                    QStringLiteral("The store URL is not of the form "
                                   "redis://[user[:password]@]host[:port][/db], rediss://..., "
                                   "redis-sentinel://..., redis-cluster://... or "
                                   "dynamodb://TABLE."));
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

namespace {

QString seedList(const QList<HostPort> &seeds)
{
    QStringList texts;
    for (const HostPort &seed : seeds)
        texts << seed.text();
    return texts.join(u',');
}

} // namespace

QString StoreConfig::endpoint() const
{
    if (kind == Kind::DynamoDB) {
        return dynamo.endpoint.isEmpty()
            ? QStringLiteral("dynamodb.%1.amazonaws.com").arg(dynamo.region)
            : dynamo.endpoint;
    }
    if (redisMode != RedisMode::Standalone && !seeds.isEmpty())
        return seedList(seeds);
    return hostForDisplay(host) + u':' + QString::number(port);
}

QString StoreConfig::targetName() const
{
    if (kind == Kind::DynamoDB)
        return dynamo.region.isEmpty() ? dynamo.table : dynamo.table + u'@' + dynamo.region;
    switch (redisMode) {
    case RedisMode::Sentinel:
        return QStringLiteral("sentinel:") + sentinelMaster + u'/' + QString::number(database);
    case RedisMode::Cluster:
        return QStringLiteral("cluster:") + seedList(seeds);
    case RedisMode::Standalone:
        break;
    }
    return endpoint() + u'/' + QString::number(database);
}

StoreConfig StoreConfig::forNode(const HostPort &node) const
{
    StoreConfig config = *this;
    config.redisMode = RedisMode::Standalone;
    config.host = node.host;
    config.port = node.port;
    config.seeds.clear();
    return config;
}

StoreConfig StoreConfig::forSentinel(const HostPort &sentinel) const
{
    StoreConfig config = forNode(sentinel);
    config.username = sentinelUsername;
    config.password = sentinelPassword;
    config.database = 0;
    config.readOnly = true; // a sentinel is only ever asked where the master is
    return config;
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
    QString url = tls.enabled ? QStringLiteral("rediss") : QStringLiteral("redis");
    if (redisMode == RedisMode::Sentinel)
        url += QStringLiteral("-sentinel");
    else if (redisMode == RedisMode::Cluster)
        url += QStringLiteral("-cluster");
    url += QStringLiteral("://");
    if (!username.isEmpty())
        url += QString::fromUtf8(QUrl::toPercentEncoding(username)) + u'@';
    switch (redisMode) {
    case RedisMode::Sentinel:
        return url + seedList(seeds) + u'/'
            + QString::fromUtf8(QUrl::toPercentEncoding(sentinelMaster)) + u'/'
            + QString::number(database);
    case RedisMode::Cluster:
        return url + seedList(seeds);
    case RedisMode::Standalone:
        break;
    }
    return url + targetName();
}

} // namespace SessionDesk
