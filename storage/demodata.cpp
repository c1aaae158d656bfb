#include "demodata.h"

#include "redis/redisconnection.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTcpServer>

namespace SessionDesk::DemoData {

namespace {

const char *const kFirstNames[] = {"olivia", "liam",  "amelia", "noah",  "isla",   "oliver",
                                   "ava",    "priya", "wei",    "yuki",  "mateo",  "sofia",
                                   "omar",   "nina",  "felix",  "elena", "samuel", "hannah"};
const char *const kLastNames[] = {"smith", "patel", "chen",  "garcia", "novak",
                                  "khan",  "silva", "rossi", "tanaka", "dubois"};
const char *const kAgents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Safari/605.1.15"};

QByteArray randomToken(QRandomGenerator &random, int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    for (char &c : raw)
        c = char(random.bounded(256));
    return raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

} // namespace

quint16 freeLoopbackPort()
{
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0;
}

Result<Filled> fillRedis(const StoreConfig &config)
{
    Redis::Connection connection(config);
    if (auto opened = connection.open(); !opened)
        return std::unexpected(opened.error());
    auto size = connection.command({QByteArrayLiteral("DBSIZE")});
    if (!size)
        return std::unexpected(size.error());
    if (size->isError())
        return std::unexpected(
            Redis::errorFromReply(*size, config.endpoint(), QStringLiteral("DBSIZE")));
    if (size->integer != 0) {
        return fail(StorageError::Code::Refused,
                    QStringLiteral("%1 already holds %2 keys; demo sessions go only into an empty "
                                   "database.")
                        .arg(config.targetName())
                        .arg(size->integer));
    }
    // The same store every time, apart from the session ids.
    QRandomGenerator random(20261130);
    QList<Redis::Command> commands;
    Filled filled;
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const QByteArray indexPrefix = QByteArray(kUserIndexPattern).replace("{user}", "");
    for (const char *first : kFirstNames) {
        const QString user =
            QStringLiteral("%1.%2@example.com")
                .arg(QLatin1String(first))
                .arg(QLatin1String(kLastNames[random.bounded(int(std::size(kLastNames)))]));
        const int sessions = 1 + random.bounded(4);
        ++filled.users;
        for (int s = 0; s < sessions; ++s) {
            const QByteArray sid = randomToken(random, 24);
            const qint64 ttl = 300 + random.bounded(86400);
            const qint64 loginAt = now - random.bounded(7 * 86400);
            const qint64 lastAccess = std::min(now, loginAt + random.bounded(86400));
            const QJsonObject session{
                {QStringLiteral("cookie"),
                 QJsonObject{
                     {QStringLiteral("originalMaxAge"), double(ttl * 1000)},
                     {QStringLiteral("expires"),
                      QDateTime::fromSecsSinceEpoch(now + ttl, Qt::UTC).toString(Qt::ISODate)},
                     {QStringLiteral("httpOnly"), true},
                     {QStringLiteral("path"), QStringLiteral("/")}}},
                {QStringLiteral("user_id"), user},
                {QStringLiteral("user"),
                 QJsonObject{{QStringLiteral("email"), user},
                             {QStringLiteral("tokens"),
                              QJsonObject{{QStringLiteral("accessToken"),
                                           QString::fromLatin1("eyJhbGciOiJub25lIn0."
                                                               + randomToken(random, 30))},
                                          {QStringLiteral("refreshToken"),
                                           QString::fromLatin1(randomToken(random, 36))}}}}},
                {QStringLiteral("csrfSecret"), QString::fromLatin1(randomToken(random, 18))},
                {QStringLiteral("loginAt"),
                 QDateTime::fromSecsSinceEpoch(loginAt, Qt::UTC).toString(Qt::ISODate)},
                {QStringLiteral("lastAccess"),
                 QDateTime::fromSecsSinceEpoch(lastAccess, Qt::UTC).toString(Qt::ISODate)},
                {QStringLiteral("device"),
                 QJsonObject{
                     {QStringLiteral("userAgent"),
                      QString::fromLatin1(kAgents[random.bounded(int(std::size(kAgents)))])},
                     {QStringLiteral("ip"),
                      QStringLiteral("203.0.113.%1").arg(1 + random.bounded(254))}}}};
            commands << Redis::Command{QByteArrayLiteral("SET"), "sess:" + sid,
                                       QJsonDocument(session).toJson(QJsonDocument::Compact),
                                       QByteArrayLiteral("EX"), QByteArray::number(ttl)};
            commands << Redis::Command{QByteArrayLiteral("SADD"), indexPrefix + user.toUtf8(), sid};
            ++filled.sessions;
        }
    }
    auto replies = connection.pipeline(commands);
    if (!replies)
        return std::unexpected(replies.error());
    for (const Redis::Reply &reply : *replies) {
        if (reply.isError())
            return std::unexpected(
                Redis::errorFromReply(reply, config.endpoint(), QStringLiteral("demo data")));
    }
    return filled;
}

} // namespace SessionDesk::DemoData
