// The Redis client against real redis-server processes: plain, password, ACL user, TLS with
// generated certificates, and the failures an operator meets (refused, wrong password, unknown
// CA, wrong host name, expired certificate, missing client certificate, silent server).

#include "redis/redisconnection.h"
#include "redisserver.h"
#include "tlsmaterial.h"

#include <QTcpServer>
#include <QTest>

using namespace SessionDesk;
using namespace SessionDesk::Redis;
using SessionDesk::Test::RedisServer;
using SessionDesk::Test::TlsMaterial;

namespace {

StoreConfig configFor(const RedisServer &server)
{
    auto config = StoreConfig::fromUrl(server.url());
    Q_ASSERT(config);
    config->connectTimeoutMs = 5000;
    config->commandTimeoutMs = 5000;
    return *config;
}

StoreConfig tlsConfigFor(const RedisServer &server, const TlsMaterial &tls)
{
    StoreConfig config = configFor(server);
    config.tls.caFile = tls.caCert();
    return config;
}

} // namespace

class TestRedisConnection final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void pipelineKeepsOrderAndBinary();
    void ticketsAnswerInAnyOrder();
    void largeValueRoundTrips();
    void errorRepliesAreValues();
    void selectsDatabase();
    void refusedConnectionNamesEndpoint();
    void silentServerTimesOut();
    void reconnectsAfterServerRestart();
    void passwordAuthentication();
    void aclUser();
    void tlsVerifiedWithCaFile();
    void tlsUnknownCaFails();
    void tlsWrongHostNameFails();
    void tlsServerNameOverride();
    void tlsExpiredCertificateFails();
    void tlsInsecureSkipsVerification();
    void tlsClientCertificate();
    void tlsMisconfigurationIsReported();

private:
    TlsMaterial m_tls;
    RedisServer m_plain;
};

void TestRedisConnection::initTestCase()
{
    QVERIFY2(m_plain.start(), qPrintable(m_plain.errorString()));
    QVERIFY2(m_tls.generate(), qPrintable(m_tls.errorString()));
}

void TestRedisConnection::pipelineKeepsOrderAndBinary()
{
    Connection connection(configFor(m_plain));
    QVERIFY(connection.open());
    QList<Command> writes;
    QList<Command> reads;
    for (int i = 0; i < 5000; ++i) {
        const QByteArray key = "pipe:" + QByteArray::number(i);
        QByteArray value = "v" + QByteArray::number(i);
        value.append('\0').append("\xff\r\n", 3);
        writes.append({"SET", key, value});
        reads.append({"GET", key});
    }
    auto written = connection.pipeline(writes);
    QVERIFY(written);
    QCOMPARE(written->size(), 5000);
    QCOMPARE(written->at(4999).string, QByteArray("OK"));
    auto read = connection.pipeline(reads);
    QVERIFY(read);
    for (int i = 0; i < 5000; i += 997) {
        QByteArray expected = "v" + QByteArray::number(i);
        expected.append('\0').append("\xff\r\n", 3);
        QCOMPARE(read->at(i).string, expected);
    }
}

// Commands in flight (tickets) keep their replies while a later ticket or a command of its own
// is answered first: a long operation may run a command between sending a batch and reading it.
void TestRedisConnection::ticketsAnswerInAnyOrder()
{
    Connection connection(configFor(m_plain));
    QVERIFY(connection.open());
    QVERIFY(connection.pipeline({{"SET", "order:a", "A"}, {"SET", "order:b", "B"}}));
    auto first = connection.send({{"GET", "order:a"}, {"ECHO", "one"}});
    auto second = connection.send({{"GET", "order:b"}});
    auto third = connection.send({{"ECHO", "three"}, {"ECHO", "four"}});
    QVERIFY(first && second && third);
    // A command of its own reads past all three tickets.
    auto between = connection.command({"ECHO", "between"});
    QVERIFY(between);
    QCOMPARE(between->string, QByteArray("between"));
    auto thirdReplies = connection.receive(*third);
    QVERIFY(thirdReplies);
    QCOMPARE(thirdReplies->size(), 2);
    QCOMPARE(thirdReplies->at(1).string, QByteArray("four"));
    auto firstReplies = connection.receive(*first);
    QVERIFY(firstReplies);
    QCOMPARE(firstReplies->size(), 2);
    QCOMPARE(firstReplies->at(0).string, QByteArray("A"));
    QCOMPARE(firstReplies->at(1).string, QByteArray("one"));
    auto secondReplies = connection.receive(*second);
    QVERIFY(secondReplies);
    QCOMPARE(secondReplies->size(), 1);
    QCOMPARE(secondReplies->at(0).string, QByteArray("B"));
    // A ticket is answered once.
    QVERIFY(!connection.receive(*second));

    // A ticket read part of the way by a later one: the rest still comes in order.
    QList<Command> echoes;
    for (int i = 0; i < 3000; ++i)
        echoes.append({"ECHO", QByteArray::number(i)});
    auto big = connection.send(echoes);
    auto after = connection.send({{"ECHO", "after"}});
    QVERIFY(big && after);
    auto afterReplies = connection.receive(*after);
    QVERIFY(afterReplies);
    QCOMPARE(afterReplies->at(0).string, QByteArray("after"));
    auto bigReplies = connection.receive(*big);
    QVERIFY(bigReplies);
    QCOMPARE(bigReplies->size(), 3000);
    for (int i = 0; i < 3000; i += 499)
        QCOMPARE(bigReplies->at(i).string, QByteArray::number(i));
}

void TestRedisConnection::largeValueRoundTrips()
{
    Connection connection(configFor(m_plain));
    QByteArray big(10 * 1024 * 1024, 'x');
    big[12345] = '\0';
    QVERIFY(connection.command({"SET", "big", big}));
    auto back = connection.command({"GET", "big"});
    QVERIFY(back);
    QCOMPARE(back->string.size(), big.size());
    QVERIFY(back->string == big);
}

void TestRedisConnection::errorRepliesAreValues()
{
    Connection connection(configFor(m_plain));
    QVERIFY(connection.command({"HSET", "h", "f", "v"}));
    auto replies = connection.pipeline({{"GET", "h"}, {"PING"}, {"NOSUCHCOMMAND"}});
    QVERIFY(replies);
    QCOMPARE(replies->at(0).errorCode(), QByteArray("WRONGTYPE"));
    QCOMPARE(replies->at(1).string, QByteArray("PONG"));
    QVERIFY(replies->at(2).isError());
}

void TestRedisConnection::selectsDatabase()
{
    StoreConfig config = configFor(m_plain);
    config.database = 3;
    Connection connection(config);
    QVERIFY(connection.command({"SET", "in-db-3", "1"}));
    QCOMPARE(m_plain
                 .cli({QStringLiteral("-n"), QStringLiteral("3"), QStringLiteral("GET"),
                       QStringLiteral("in-db-3")})
                 .trimmed(),
             QByteArray("1"));
    QCOMPARE(m_plain.cli({QStringLiteral("EXISTS"), QStringLiteral("in-db-3")}).trimmed(),
             QByteArray("0"));
}

void TestRedisConnection::refusedConnectionNamesEndpoint()
{
    StoreConfig config;
    config.port = Test::freeLoopbackPort();
    Connection connection(config);
    auto opened = connection.open();
    QVERIFY(!opened);
    QCOMPARE(opened.error().code, StorageError::Code::Unreachable);
    QVERIFY2(opened.error().message.contains(QStringLiteral("127.0.0.1:%1").arg(config.port)),
             qPrintable(opened.error().message));
    QVERIFY(opened.error().message.contains(QStringLiteral("refused")));
}

void TestRedisConnection::silentServerTimesOut()
{
    // The kernel completes the handshake from the listen backlog; nobody ever answers.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    StoreConfig config;
    config.port = silent.serverPort();
    config.commandTimeoutMs = 300;
    Connection connection(config);
    auto opened = connection.open();
    QVERIFY(!opened);
    QCOMPARE(opened.error().code, StorageError::Code::Timeout);
    QVERIFY(opened.error().message.contains(QString::number(config.port)));
}

void TestRedisConnection::reconnectsAfterServerRestart()
{
    RedisServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Connection connection(configFor(server));
    QVERIFY(connection.command({"PING"}));
    QVERIFY(connection.command({"CLIENT", "KILL", "TYPE", "normal"}));
    // The socket died under us: the first command reports it or transparently reconnects.
    auto first = connection.command({"PING"});
    if (!first)
        QCOMPARE(first.error().code, StorageError::Code::Unreachable);
    auto second = connection.command({"PING"});
    QVERIFY2(second, second ? "" : qPrintable(second.error().message));
    QCOMPARE(second->string, QByteArray("PONG"));
}

void TestRedisConnection::passwordAuthentication()
{
    RedisServer server;
    RedisServer::Options options;
    options.configLines << QStringLiteral("requirepass s3cret-pw");
    QVERIFY2(server.start(options), qPrintable(server.errorString()));

    StoreConfig config = configFor(server);
    auto missing = Connection(config).open();
    QVERIFY(!missing);
    QCOMPARE(missing.error().code, StorageError::Code::Authentication);
    QVERIFY(missing.error().message.contains(QStringLiteral("requires a password")));

    config.password = QStringLiteral("wrong-pw");
    auto wrong = Connection(config).open();
    QVERIFY(!wrong);
    QCOMPARE(wrong.error().code, StorageError::Code::Authentication);
    QVERIFY(wrong.error().message.contains(QStringLiteral("127.0.0.1:%1").arg(server.port())));
    QVERIFY(!wrong.error().message.contains(QStringLiteral("wrong-pw")));

    config.password = QStringLiteral("s3cret-pw");
    Connection right(config);
    QVERIFY(right.open());
    QCOMPARE(right.command({"PING"})->string, QByteArray("PONG"));
}

void TestRedisConnection::aclUser()
{
    RedisServer server;
    RedisServer::Options options;
    options.configLines << QStringLiteral(
        "user support on >support-pw ~sess:* resetchannels -@all +ping +get +set");
    QVERIFY2(server.start(options), qPrintable(server.errorString()));

    StoreConfig config = configFor(server);
    config.username = QStringLiteral("support");
    config.password = QStringLiteral("nope");
    auto wrong = Connection(config).open();
    QVERIFY(!wrong);
    QCOMPARE(wrong.error().code, StorageError::Code::Authentication);
    QVERIFY(wrong.error().message.contains(QStringLiteral("user \"support\"")));

    config.password = QStringLiteral("support-pw");
    Connection connection(config);
    QVERIFY(connection.open());
    QVERIFY(connection.command({"SET", "sess:1", "x"}));
    auto denied = connection.command({"FLUSHALL"});
    QVERIFY(denied);
    QVERIFY(denied->isError());
    const StorageError error =
        errorFromReply(*denied, config.endpoint(), QStringLiteral("FLUSHALL"));
    QCOMPARE(error.code, StorageError::Code::Permission);
    auto otherKey = connection.command({"GET", "not-a-session"});
    QVERIFY(otherKey);
    QCOMPARE(otherKey->errorCode(), QByteArray("NOPERM"));
}

void TestRedisConnection::tlsVerifiedWithCaFile()
{
    RedisServer server;
    RedisServer::Options options;
    options.tlsCertFile = m_tls.serverCert();
    options.tlsKeyFile = m_tls.serverKey();
    options.tlsCaFile = m_tls.caCert();
    QVERIFY2(server.start(options), qPrintable(server.errorString()));
    QVERIFY(server.url().startsWith(QStringLiteral("rediss://")));

    Connection connection(tlsConfigFor(server, m_tls));
    auto opened = connection.open();
    QVERIFY2(opened, opened ? "" : qPrintable(opened.error().message));
    QVERIFY(connection.command({"SET", "over-tls", QByteArray(200000, 't')}));
    QCOMPARE(connection.command({"STRLEN", "over-tls"})->integer, 200000);
}

void TestRedisConnection::tlsUnknownCaFails()
{
    RedisServer server;
    RedisServer::Options options;
    options.tlsCertFile = m_tls.serverCert();
    options.tlsKeyFile = m_tls.serverKey();
    options.tlsCaFile = m_tls.caCert();
    QVERIFY2(server.start(options), qPrintable(server.errorString()));

    StoreConfig config = configFor(server);
    config.tls.caFile = m_tls.otherCaCert();
    auto opened = Connection(config).open();
    QVERIFY(!opened);
    QCOMPARE(opened.error().code, StorageError::Code::Tls);
    QVERIFY2(opened.error().message.contains(QStringLiteral("127.0.0.1:%1").arg(server.port())),
             qPrintable(opened.error().message));

    config.tls.caFile.clear(); // the system trust store does not know our CA either
    auto system = Connection(config).open();
    QVERIFY(!system);
    QCOMPARE(system.error().code, StorageError::Code::Tls);
}

void TestRedisConnection::tlsWrongHostNameFails()
{
    RedisServer server;
    RedisServer::Options options;
    options.tlsCertFile = m_tls.serverCert();
    options.tlsKeyFile = m_tls.serverKey();
    options.tlsCaFile = m_tls.caCert();
    QVERIFY2(server.start(options), qPrintable(server.errorString()));

    StoreConfig config = tlsConfigFor(server, m_tls);
    config.tls.serverName = QStringLiteral("sessions.example.org");
    auto opened = Connection(config).open();
    QVERIFY(!opened);
    QCOMPARE(opened.error().code, StorageError::Code::Tls);
    QVERIFY2(opened.error().message.contains(QStringLiteral("host name"), Qt::CaseInsensitive),
             qPrintable(opened.error().message));
}

void TestRedisConnection::tlsServerNameOverride()
{
    RedisServer server;
    RedisServer::Options options;
    options.tlsCertFile = m_tls.serverCert();
    options.tlsKeyFile = m_tls.serverKey();
    options.tlsCaFile = m_tls.caCert();
    QVERIFY2(server.start(options), qPrintable(server.errorString()));

    StoreConfig config = tlsConfigFor(server, m_tls);
    config.tls.serverName = QStringLiteral("localhost"); // the certificate's DNS name
    auto opened = Connection(config).open();
    QVERIFY2(opened, opened ? "" : qPrintable(opened.error().message));
}

void TestRedisConnection::tlsExpiredCertificateFails()
{
    RedisServer server;
    RedisServer::Options options;
    options.tlsCertFile = m_tls.expiredCert();
    options.tlsKeyFile = m_tls.expiredKey();
    options.tlsCaFile = m_tls.caCert();
    QVERIFY2(server.start(options), qPrintable(server.errorString()));

    auto opened = Connection(tlsConfigFor(server, m_tls)).open();
    QVERIFY(!opened);
    QCOMPARE(opened.error().code, StorageError::Code::Tls);
    QVERIFY2(opened.error().message.contains(QStringLiteral("expired"), Qt::CaseInsensitive),
             qPrintable(opened.error().message));
}

void TestRedisConnection::tlsInsecureSkipsVerification()
{
    RedisServer server;
    RedisServer::Options options;
    options.tlsCertFile = m_tls.expiredCert();
    options.tlsKeyFile = m_tls.expiredKey();
    options.tlsCaFile = m_tls.caCert();
    QVERIFY2(server.start(options), qPrintable(server.errorString()));

    StoreConfig config = configFor(server);
    config.tls.insecure = true;
    Connection connection(config);
    QVERIFY(connection.tlsVerificationDisabled());
    auto opened = connection.open();
    QVERIFY2(opened, opened ? "" : qPrintable(opened.error().message));
}

void TestRedisConnection::tlsClientCertificate()
{
    RedisServer server;
    RedisServer::Options options;
    options.tlsCertFile = m_tls.serverCert();
    options.tlsKeyFile = m_tls.serverKey();
    options.tlsCaFile = m_tls.caCert();
    options.tlsRequireClientCert = true;
    QVERIFY2(server.start(options), qPrintable(server.errorString()));

    StoreConfig config = tlsConfigFor(server, m_tls);
    auto without = Connection(config).open();
    QVERIFY(!without);
    QVERIFY2(without.error().code == StorageError::Code::Tls
                 || without.error().code == StorageError::Code::Unreachable,
             qPrintable(without.error().message));

    config.tls.certFile = m_tls.clientCert();
    config.tls.keyFile = m_tls.clientKey();
    Connection with(config);
    auto opened = with.open();
    QVERIFY2(opened, opened ? "" : qPrintable(opened.error().message));
    QCOMPARE(with.command({"PING"})->string, QByteArray("PONG"));
}

void TestRedisConnection::tlsMisconfigurationIsReported()
{
    StoreConfig config;
    config.tls.enabled = true;
    config.port = m_plain.port();
    config.tls.caFile = QStringLiteral("/nonexistent/ca.pem");
    auto noCa = Connection(config).open();
    QVERIFY(!noCa);
    QCOMPARE(noCa.error().code, StorageError::Code::InvalidArgument);
    QVERIFY(noCa.error().message.contains(QStringLiteral("/nonexistent/ca.pem")));

    config.tls.caFile = m_tls.caCert();
    config.tls.certFile = m_tls.clientCert();
    auto noKey = Connection(config).open();
    QVERIFY(!noKey);
    QCOMPARE(noKey.error().code, StorageError::Code::InvalidArgument);

    // TLS spoken to a plain server: the handshake fails and says so.
    config.tls.certFile.clear();
    config.connectTimeoutMs = 3000;
    auto plain = Connection(config).open();
    QVERIFY(!plain);
    QVERIFY2(plain.error().code == StorageError::Code::Tls
                 || plain.error().code == StorageError::Code::Unreachable
                 || plain.error().code == StorageError::Code::Timeout,
             qPrintable(plain.error().message));
    QVERIFY(plain.error().message.contains(QString::number(m_plain.port())));
}

QTEST_GUILESS_MAIN(TestRedisConnection)
#include "tst_redisconnection.moc"
