// Unit tests for StoreConfig: parsing of redis:// and rediss:// URLs, the names derived from a
// config, and that no error message or display form ever carries the password.

#include "storeconfig.h"

#include <QtTest>

using namespace Qt::StringLiterals;
using SessionDesk::StorageError;
using SessionDesk::StoreConfig;

class TestStoreConfig final : public QObject
{
    Q_OBJECT

private slots:
    void dynamoDbUrls();
    void defaults();
    void parsesValidUrls_data();
    void parsesValidUrls();
    void rejectsInvalidUrls_data();
    void rejectsInvalidUrls();
    void errorMessagesNeverContainThePassword_data();
    void errorMessagesNeverContainThePassword();
    void redactedUrlParsesBackToTheSameTarget_data();
    void redactedUrlParsesBackToTheSameTarget();
    void derivedNamesFollowTheFields();
};

void TestStoreConfig::defaults()
{
    const StoreConfig config;
    QCOMPARE(config.port, quint16(6379));
    QCOMPARE(config.database, 0);
    QVERIFY(!config.tls.enabled);
    QVERIFY(!config.tls.insecure);
    QVERIFY(config.password.isEmpty());
    QCOMPARE(config.targetName(), u"127.0.0.1:6379/0"_s);
}

void TestStoreConfig::parsesValidUrls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<int>("database");
    QTest::addColumn<QString>("username");
    QTest::addColumn<QString>("password");
    QTest::addColumn<bool>("tls");
    QTest::addColumn<QString>("targetName");
    QTest::addColumn<QString>("endpoint");
    QTest::addColumn<QString>("redactedUrl");

    QTest::newRow("host only") << u"redis://cache.example"_s << u"cache.example"_s << 6379 << 0
                               << QString() << QString() << false << u"cache.example:6379/0"_s
                               << u"cache.example:6379"_s << u"redis://cache.example:6379/0"_s;
    QTest::newRow("port and db") << u"redis://10.0.0.5:7000/3"_s << u"10.0.0.5"_s << 7000 << 3
                                 << QString() << QString() << false << u"10.0.0.5:7000/3"_s
                                 << u"10.0.0.5:7000"_s << u"redis://10.0.0.5:7000/3"_s;
    QTest::newRow("trailing slash means db 0")
        << u"redis://h:6380/"_s << u"h"_s << 6380 << 0 << QString() << QString() << false
        << u"h:6380/0"_s << u"h:6380"_s << u"redis://h:6380/0"_s;
    QTest::newRow("rediss turns tls on")
        << u"rediss://secure.example:6380/1"_s << u"secure.example"_s << 6380 << 1 << QString()
        << QString() << true << u"secure.example:6380/1"_s << u"secure.example:6380"_s
        << u"rediss://secure.example:6380/1"_s;
    QTest::newRow("scheme is case-insensitive")
        << u"REDISS://h"_s << u"h"_s << 6379 << 0 << QString() << QString() << true << u"h:6379/0"_s
        << u"h:6379"_s << u"rediss://h:6379/0"_s;
    QTest::newRow("surrounding whitespace")
        << u"  redis://h/2 \n"_s << u"h"_s << 6379 << 2 << QString() << QString() << false
        << u"h:6379/2"_s << u"h:6379"_s << u"redis://h:6379/2"_s;
    QTest::newRow("user and password")
        << u"redis://alice:s3cret@h:6390/4"_s << u"h"_s << 6390 << 4 << u"alice"_s << u"s3cret"_s
        << false << u"h:6390/4"_s << u"h:6390"_s << u"redis://alice@h:6390/4"_s;
    QTest::newRow("percent-encoded user and password")
        << u"rediss://us%40er:p%40ss%3Aw%2Frd@h"_s << u"h"_s << 6379 << 0 << u"us@er"_s
        << u"p@ss:w/rd"_s << true << u"h:6379/0"_s << u"h:6379"_s << u"rediss://us%40er@h:6379/0"_s;
    QTest::newRow("password only")
        << u"redis://:pw@h"_s << u"h"_s << 6379 << 0 << QString() << u"pw"_s << false
        << u"h:6379/0"_s << u"h:6379"_s << u"redis://h:6379/0"_s;
    QTest::newRow("user without password")
        << u"redis://bob@h/1"_s << u"h"_s << 6379 << 1 << u"bob"_s << QString() << false
        << u"h:6379/1"_s << u"h:6379"_s << u"redis://bob@h:6379/1"_s;
    QTest::newRow("ipv6 loopback")
        << u"redis://[::1]:6380/2"_s << u"::1"_s << 6380 << 2 << QString() << QString() << false
        << u"[::1]:6380/2"_s << u"[::1]:6380"_s << u"redis://[::1]:6380/2"_s;
    QTest::newRow("ipv6 with credentials")
        << u"rediss://u:pw@[2001:db8::7]/15"_s << u"2001:db8::7"_s << 6379 << 15 << u"u"_s
        << u"pw"_s << true << u"[2001:db8::7]:6379/15"_s << u"[2001:db8::7]:6379"_s
        << u"rediss://u@[2001:db8::7]:6379/15"_s;
    QTest::newRow("highest port") << u"redis://h:65535"_s << u"h"_s << 65535 << 0 << QString()
                                  << QString() << false << u"h:65535/0"_s << u"h:65535"_s
                                  << u"redis://h:65535/0"_s;
}

void TestStoreConfig::parsesValidUrls()
{
    QFETCH(QString, url);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(int, database);
    QFETCH(QString, username);
    QFETCH(QString, password);
    QFETCH(bool, tls);
    QFETCH(QString, targetName);
    QFETCH(QString, endpoint);
    QFETCH(QString, redactedUrl);

    const auto config = StoreConfig::fromUrl(url);
    QVERIFY2(config.has_value(), qPrintable(config ? QString() : config.error().message));
    QCOMPARE(config->kind, StoreConfig::Kind::Redis);
    QCOMPARE(config->host, host);
    QCOMPARE(int(config->port), port);
    QCOMPARE(config->database, database);
    QCOMPARE(config->username, username);
    QCOMPARE(config->password, password);
    QCOMPARE(config->tls.enabled, tls);
    // The URL has no way to turn verification off.
    QVERIFY(!config->tls.insecure);
    QCOMPARE(config->targetName(), targetName);
    QCOMPARE(config->endpoint(), endpoint);
    QCOMPARE(config->redactedUrl(), redactedUrl);
    if (!password.isEmpty()) {
        QVERIFY(!config->redactedUrl().contains(password));
        QVERIFY(!config->targetName().contains(password));
        QVERIFY(!config->endpoint().contains(password));
    }
}

void TestStoreConfig::rejectsInvalidUrls_data()
{
    QTest::addColumn<QString>("url");

    QTest::newRow("empty") << QString();
    QTest::newRow("http scheme") << u"http://h:6379"_s;
    QTest::newRow("unix scheme") << u"unix:///tmp/redis.sock"_s;
    QTest::newRow("no scheme") << u"h:6379"_s;
    QTest::newRow("no host") << u"redis://"_s;
    QTest::newRow("no host with db") << u"redis:///0"_s;
    QTest::newRow("no host with credentials") << u"redis://u:pw@/0"_s;
    QTest::newRow("port zero") << u"redis://h:0"_s;
    QTest::newRow("port too large") << u"redis://h:65536"_s;
    QTest::newRow("port not a number") << u"redis://h:63x9"_s;
    QTest::newRow("db not a number") << u"redis://h/abc"_s;
    QTest::newRow("db with trailing text") << u"redis://h/1x"_s;
    QTest::newRow("negative db") << u"redis://h/-1"_s;
    QTest::newRow("nested path") << u"redis://h/1/2"_s;
    QTest::newRow("db out of int range") << u"redis://h/99999999999"_s;
    QTest::newRow("query string") << u"redis://h/0?timeout=5"_s;
    QTest::newRow("empty query") << u"redis://h?"_s;
    QTest::newRow("fragment") << u"redis://h#x"_s;
}

void TestStoreConfig::rejectsInvalidUrls()
{
    QFETCH(QString, url);
    const auto config = StoreConfig::fromUrl(url);
    QVERIFY2(!config.has_value(),
             qPrintable(u"accepted, target "_s + (config ? config->targetName() : QString())));
    QCOMPARE(config.error().code, StorageError::Code::InvalidArgument);
    QVERIFY(!config.error().message.isEmpty());
}

void TestStoreConfig::errorMessagesNeverContainThePassword_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("password"); // as typed, and checked decoded too

    QTest::newRow("wrong scheme") << u"http://admin:hunter2@h"_s << u"hunter2"_s;
    QTest::newRow("other scheme with port") << u"tcp://admin:hunter2@h:6379"_s << u"hunter2"_s;
    QTest::newRow("no host") << u"redis://admin:hunter2@/0"_s << u"hunter2"_s;
    QTest::newRow("port zero") << u"redis://admin:hunter2@h:0"_s << u"hunter2"_s;
    QTest::newRow("port too large") << u"redis://admin:hunter2@h:70000"_s << u"hunter2"_s;
    QTest::newRow("bad db") << u"redis://admin:hunter2@h/abc"_s << u"hunter2"_s;
    QTest::newRow("negative db") << u"redis://:hunter2@h/-3"_s << u"hunter2"_s;
    QTest::newRow("query") << u"redis://admin:hunter2@h?ssl=true"_s << u"hunter2"_s;
    QTest::newRow("percent-encoded") << u"http://admin:hun%74er2@h"_s << u"hun%74er2"_s;
    QTest::newRow("invalid percent escape") << u"redis://admin:hunter2%zz@h"_s << u"hunter2"_s;
    QTest::newRow("space in host") << u"redis://admin:hunter2@ho st"_s << u"hunter2"_s;
    // An operator who forgets or mistypes the scheme still typed a password: the message that
    // echoes the input must not show it.
    QTest::newRow("scheme forgotten") << u"admin:hunter2@cache.example:6379"_s << u"hunter2"_s;
    QTest::newRow("colon-slash-slash mistyped")
        << u"redis//:hunter2@cache.example"_s << u"hunter2"_s;
    QTest::newRow("http without slashes") << u"http:admin:hunter2@cache.example"_s << u"hunter2"_s;
}

void TestStoreConfig::errorMessagesNeverContainThePassword()
{
    QFETCH(QString, url);
    QFETCH(QString, password);
    const auto config = StoreConfig::fromUrl(url);
    QVERIFY(!config.has_value());
    QCOMPARE(config.error().code, StorageError::Code::InvalidArgument);
    const QString message = config.error().message;
    QVERIFY2(!message.contains(password), qPrintable(message));
    const QString decoded = QUrl::fromPercentEncoding(password.toUtf8());
    QVERIFY2(!message.contains(decoded), qPrintable(message));
}

void TestStoreConfig::redactedUrlParsesBackToTheSameTarget_data()
{
    QTest::addColumn<QString>("url");
    QTest::newRow("plain") << u"redis://h:6400/7"_s;
    QTest::newRow("tls and user") << u"rediss://ops%20team:pw@h/2"_s;
    QTest::newRow("ipv6") << u"redis://:pw@[fe80::1]:7001/9"_s;
    QTest::newRow("user with at sign") << u"redis://a%40b:c@h"_s;
}

void TestStoreConfig::redactedUrlParsesBackToTheSameTarget()
{
    QFETCH(QString, url);
    const auto original = StoreConfig::fromUrl(url);
    QVERIFY(original.has_value());
    const auto reparsed = StoreConfig::fromUrl(original->redactedUrl());
    QVERIFY2(reparsed.has_value(), qPrintable(original->redactedUrl()));
    QCOMPARE(reparsed->host, original->host);
    QCOMPARE(reparsed->port, original->port);
    QCOMPARE(reparsed->database, original->database);
    QCOMPARE(reparsed->username, original->username);
    QCOMPARE(reparsed->tls.enabled, original->tls.enabled);
    QVERIFY(reparsed->password.isEmpty());
    QCOMPARE(reparsed->targetName(), original->targetName());
}

void TestStoreConfig::derivedNamesFollowTheFields()
{
    StoreConfig config;
    config.host = u"db.internal"_s;
    config.port = 16379;
    config.database = 11;
    config.username = u"svc user"_s;
    config.password = u"topsecret"_s;
    config.tls.enabled = true;
    QCOMPARE(config.endpoint(), u"db.internal:16379"_s);
    QCOMPARE(config.targetName(), u"db.internal:16379/11"_s);
    QCOMPARE(config.redactedUrl(), u"rediss://svc%20user@db.internal:16379/11"_s);
    QVERIFY(!config.redactedUrl().contains(u"topsecret"_s));

    config.host = u"2001:db8::1"_s;
    config.tls.enabled = false;
    config.username.clear();
    QCOMPARE(config.endpoint(), u"[2001:db8::1]:16379"_s);
    QCOMPARE(config.redactedUrl(), u"redis://[2001:db8::1]:16379/11"_s);
}

void TestStoreConfig::dynamoDbUrls()
{
    auto config = StoreConfig::fromUrl(QStringLiteral(
        "dynamodb://Account-SessionStore?region=eu-west-2&profile=audit&endpoint=http://"
        "127.0.0.1:8000&index=users-sessions"));
    QVERIFY(config);
    QCOMPARE(config->kind, StoreConfig::Kind::DynamoDB);
    QCOMPARE(config->dynamo.table, QStringLiteral("Account-SessionStore")); // case kept
    QCOMPARE(config->dynamo.region, QStringLiteral("eu-west-2"));
    QCOMPARE(config->dynamo.profile, QStringLiteral("audit"));
    QCOMPARE(config->dynamo.endpoint, QStringLiteral("http://127.0.0.1:8000"));
    QCOMPARE(config->dynamo.index, QStringLiteral("users-sessions"));
    QCOMPARE(config->targetName(), QStringLiteral("Account-SessionStore@eu-west-2"));
    auto again = StoreConfig::fromUrl(config->redactedUrl());
    QVERIFY(again);
    QCOMPARE(again->dynamo.endpoint, config->dynamo.endpoint);
    QCOMPARE(again->dynamo.profile, config->dynamo.profile);
    for (const char *bad : {"dynamodb://ab", "dynamodb://t@ble", "dynamodb://table?colour=red",
                            "dynamodb://table?endpoint=ftp://x"}) {
        auto refused = StoreConfig::fromUrl(QString::fromLatin1(bad));
        QVERIFY2(!refused, bad);
        QCOMPARE(refused.error().code, StorageError::Code::InvalidArgument);
    }
}

QTEST_GUILESS_MAIN(TestStoreConfig)
#include "tst_storeconfig.moc"
