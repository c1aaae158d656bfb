// Unit tests for StoreConfig: parsing of redis://, rediss://, redis-sentinel:// and
// redis-cluster:// URLs (and their TLS forms), cluster host mappings, the names derived from a
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
    void highAvailabilityUrls_data();
    void highAvailabilityUrls();
    void rejectsInvalidHighAvailabilityUrls_data();
    void rejectsInvalidHighAvailabilityUrls();
    void highAvailabilityRedactedUrlParsesBack_data();
    void highAvailabilityRedactedUrlParsesBack();
    void nodeConfigsCarryTheRightCredentials();
    void hostMappings_data();
    void hostMappings();
    void rejectsInvalidHostMappings_data();
    void rejectsInvalidHostMappings();
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

void TestStoreConfig::highAvailabilityUrls_data()
{
    using Mode = StoreConfig::RedisMode;
    QTest::addColumn<QString>("url");
    QTest::addColumn<int>("mode");
    QTest::addColumn<QStringList>("seeds");
    QTest::addColumn<QString>("master");
    QTest::addColumn<int>("database");
    QTest::addColumn<QString>("username");
    QTest::addColumn<QString>("password");
    QTest::addColumn<bool>("tls");
    QTest::addColumn<QString>("targetName");
    QTest::addColumn<QString>("redactedUrl");

    QTest::newRow("one sentinel, default port")
        << u"redis-sentinel://s1/mymaster"_s << int(Mode::Sentinel) << QStringList{u"s1:26379"_s}
        << u"mymaster"_s << 0 << QString() << QString() << false << u"sentinel:mymaster/0"_s
        << u"redis-sentinel://s1:26379/mymaster/0"_s;
    QTest::newRow("three sentinels, db, credentials")
        << u"redis-sentinel://app:pw@10.0.0.1:26380,10.0.0.2,S3.Example:5000/sessions/4"_s
        << int(Mode::Sentinel)
        << QStringList{u"10.0.0.1:26380"_s, u"10.0.0.2:26379"_s, u"s3.example:5000"_s}
        << u"sessions"_s << 4 << u"app"_s << u"pw"_s << false << u"sentinel:sessions/4"_s
        << u"redis-sentinel://app@10.0.0.1:26380,10.0.0.2:26379,s3.example:5000/sessions/4"_s;
    QTest::newRow("tls sentinel, trailing slash, encoded master")
        << u"REDISS-SENTINEL://[::1]:26379,[2001:db8::5]/my%2Fmaster/"_s << int(Mode::Sentinel)
        << QStringList{u"[::1]:26379"_s, u"[2001:db8::5]:26379"_s} << u"my/master"_s << 0
        << QString() << QString() << true << u"sentinel:my/master/0"_s
        << u"rediss-sentinel://[::1]:26379,[2001:db8::5]:26379/my%2Fmaster/0"_s;
    QTest::newRow("password only, percent-encoded, slash and at sign")
        << u"redis-sentinel://:p%40ss%2Fw@h:1/m"_s << int(Mode::Sentinel) << QStringList{u"h:1"_s}
        << u"m"_s << 0 << QString() << u"p@ss/w"_s << false << u"sentinel:m/0"_s
        << u"redis-sentinel://h:1/m/0"_s;
    QTest::newRow("unencoded slash and at sign in the password")
        << u"redis-cluster://u:a/b@c@h:7000"_s << int(Mode::Cluster) << QStringList{u"h:7000"_s}
        << QString() << 0 << u"u"_s << u"a/b@c"_s << false << u"cluster:h:7000"_s
        << u"redis-cluster://u@h:7000"_s;
    QTest::newRow("cluster, default port")
        << u"redis-cluster://node-a"_s << int(Mode::Cluster) << QStringList{u"node-a:6379"_s}
        << QString() << 0 << QString() << QString() << false << u"cluster:node-a:6379"_s
        << u"redis-cluster://node-a:6379"_s;
    QTest::newRow("cluster seeds keep their order")
        << u"rediss-cluster://ops:pw@c2:7001,c1:7000,[::1]:7002/"_s << int(Mode::Cluster)
        << QStringList{u"c2:7001"_s, u"c1:7000"_s, u"[::1]:7002"_s} << QString() << 0 << u"ops"_s
        << u"pw"_s << true << u"cluster:c2:7001,c1:7000,[::1]:7002"_s
        << u"rediss-cluster://ops@c2:7001,c1:7000,[::1]:7002"_s;
    QTest::newRow("cluster database 0 is allowed")
        << u"redis-cluster://h:7000/0"_s << int(Mode::Cluster) << QStringList{u"h:7000"_s}
        << QString() << 0 << QString() << QString() << false << u"cluster:h:7000"_s
        << u"redis-cluster://h:7000"_s;
}

void TestStoreConfig::highAvailabilityUrls()
{
    QFETCH(QString, url);
    QFETCH(int, mode);
    QFETCH(QStringList, seeds);
    QFETCH(QString, master);
    QFETCH(int, database);
    QFETCH(QString, username);
    QFETCH(QString, password);
    QFETCH(bool, tls);
    QFETCH(QString, targetName);
    QFETCH(QString, redactedUrl);

    const auto config = StoreConfig::fromUrl(url);
    QVERIFY2(config.has_value(), qPrintable(config ? QString() : config.error().message));
    QCOMPARE(config->kind, StoreConfig::Kind::Redis);
    QCOMPARE(int(config->redisMode), mode);
    QStringList parsed;
    for (const SessionDesk::HostPort &seed : config->seeds)
        parsed << seed.text();
    QCOMPARE(parsed, seeds);
    QCOMPARE(config->sentinelMaster, master);
    QCOMPARE(config->database, database);
    QCOMPARE(config->username, username);
    QCOMPARE(config->password, password);
    QCOMPARE(config->tls.enabled, tls);
    QCOMPARE(config->targetName(), targetName);
    QCOMPARE(config->redactedUrl(), redactedUrl);
    QCOMPARE(config->endpoint(), seeds.join(u','));
    // The first seed stands in for host:port where a single address is wanted.
    QCOMPARE(SessionDesk::HostPort({config->host, config->port}).text(), seeds.first());
    QVERIFY(config->sentinelUsername.isEmpty() && config->sentinelPassword.isEmpty());
    if (!password.isEmpty()) {
        for (const QString &shown :
             {config->redactedUrl(), config->targetName(), config->endpoint()})
            QVERIFY2(!shown.contains(password), qPrintable(shown));
    }
}

void TestStoreConfig::rejectsInvalidHighAvailabilityUrls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("reason"); // a word the one-sentence reason must contain

    QTest::newRow("sentinel without master") << u"redis-sentinel://h:26379"_s << u"master"_s;
    QTest::newRow("sentinel with empty master") << u"redis-sentinel://h:26379/"_s << u"master"_s;
    QTest::newRow("sentinel without host") << u"redis-sentinel:///mymaster"_s << u"host"_s;
    QTest::newRow("sentinel credentials, no host") << u"redis-sentinel://u:pw@/m"_s << u"host"_s;
    QTest::newRow("empty entry") << u"redis-sentinel://a:1,,b:2/m"_s << u"empty"_s;
    QTest::newRow("trailing comma") << u"redis-cluster://a:1,"_s << u"empty"_s;
    QTest::newRow("leading comma") << u"redis-cluster://,a:1"_s << u"empty"_s;
    QTest::newRow("port zero") << u"redis-sentinel://h:0/m"_s << u"port"_s;
    QTest::newRow("port too large") << u"redis-cluster://h:65536"_s << u"port"_s;
    QTest::newRow("port not a number") << u"redis-cluster://h:7x0"_s << u"port"_s;
    QTest::newRow("port empty") << u"redis-cluster://h:"_s << u"port"_s;
    QTest::newRow("signed port") << u"redis-cluster://h:+7000"_s << u"port"_s;
    QTest::newRow("bare ipv6") << u"redis-cluster://::1:7000"_s << u"brackets"_s;
    QTest::newRow("unclosed bracket") << u"redis-cluster://[::1:7000"_s << u"IPv6"_s;
    QTest::newRow("bracketed non-ipv6") << u"redis-cluster://[host]:7000"_s << u"IPv6"_s;
    QTest::newRow("junk after bracket") << u"redis-cluster://[::1]x"_s << u"IPv6"_s;
    QTest::newRow("space in host") << u"redis-cluster://ho st:1"_s << u"host"_s;
    QTest::newRow("underscore-only junk host") << u"redis-cluster://-h:1"_s << u"host"_s;
    QTest::newRow("duplicate seed") << u"redis-cluster://h:1,H:1"_s << u"twice"_s;
    QTest::newRow("duplicate by default port") << u"redis-cluster://h,h:6379"_s << u"twice"_s;
    QTest::newRow("sentinel db not a number") << u"redis-sentinel://h/m/x"_s << u"database"_s;
    QTest::newRow("sentinel negative db") << u"redis-sentinel://h/m/-1"_s << u"database"_s;
    QTest::newRow("sentinel extra path") << u"redis-sentinel://h/m/1/2"_s << u"form"_s;
    QTest::newRow("sentinel master with space") << u"redis-sentinel://h/my%20 m"_s << u"spaces"_s;
    QTest::newRow("sentinel master control char") << u"redis-sentinel://h/a%0Ab"_s << u"control"_s;
    QTest::newRow("sentinel bad escape in master") << u"redis-sentinel://h/a%zz"_s << u"spaces"_s;
    QTest::newRow("cluster database 3") << u"redis-cluster://h:7000/3"_s << u"database 0"_s;
    QTest::newRow("cluster path not a number") << u"redis-cluster://h:7000/x"_s << u"database"_s;
    QTest::newRow("cluster query") << u"redis-cluster://h:7000?x=1"_s << u"options"_s;
    QTest::newRow("sentinel fragment") << u"redis-sentinel://h/m#x"_s << u"options"_s;
    QTest::newRow("bad escape in password") << u"redis-cluster://u:p%zzw@h"_s << u"hex"_s;
    QTest::newRow("nothing after scheme") << u"rediss-cluster://"_s << u"host"_s;
}

void TestStoreConfig::rejectsInvalidHighAvailabilityUrls()
{
    QFETCH(QString, url);
    QFETCH(QString, reason);
    const auto config = StoreConfig::fromUrl(url);
    QVERIFY2(!config.has_value(),
             qPrintable(u"accepted, target "_s + (config ? config->targetName() : QString())));
    QCOMPARE(config.error().code, StorageError::Code::InvalidArgument);
    const QString message = config.error().message;
    QVERIFY2(message.contains(reason, Qt::CaseInsensitive), qPrintable(message));
    // One sentence, and never the password.
    QVERIFY2(message.endsWith(u'.'), qPrintable(message));
    QVERIFY2(!message.contains(u"pw"_s) && !message.contains(u"p%zzw"_s), qPrintable(message));
}

void TestStoreConfig::highAvailabilityRedactedUrlParsesBack_data()
{
    QTest::addColumn<QString>("url");
    QTest::newRow("sentinel") << u"rediss-sentinel://u%20x:pw@a:1,[::1]:2/m%2Fx/3"_s;
    QTest::newRow("cluster") << u"redis-cluster://:pw@a:1,b:2,c"_s;
}

void TestStoreConfig::highAvailabilityRedactedUrlParsesBack()
{
    QFETCH(QString, url);
    const auto original = StoreConfig::fromUrl(url);
    QVERIFY(original.has_value());
    const auto reparsed = StoreConfig::fromUrl(original->redactedUrl());
    QVERIFY2(reparsed.has_value(), qPrintable(original->redactedUrl()));
    QCOMPARE(reparsed->redisMode, original->redisMode);
    QCOMPARE(reparsed->seeds, original->seeds);
    QCOMPARE(reparsed->sentinelMaster, original->sentinelMaster);
    QCOMPARE(reparsed->database, original->database);
    QCOMPARE(reparsed->username, original->username);
    QCOMPARE(reparsed->tls.enabled, original->tls.enabled);
    QVERIFY(reparsed->password.isEmpty());
    QCOMPARE(reparsed->targetName(), original->targetName());
}

void TestStoreConfig::nodeConfigsCarryTheRightCredentials()
{
    auto config = StoreConfig::fromUrl(u"rediss-sentinel://data-user:data-pw@s1:1,s2:2/m/5"_s);
    QVERIFY(config);
    config->sentinelUsername = u"watcher"_s;
    config->sentinelPassword = u"sentinel-pw"_s;
    config->tls.caFile = u"/ca.pem"_s;

    const StoreConfig sentinel = config->forSentinel(config->seeds.at(1));
    QCOMPARE(sentinel.redisMode, StoreConfig::RedisMode::Standalone);
    QCOMPARE(sentinel.endpoint(), u"s2:2"_s);
    QCOMPARE(sentinel.username, u"watcher"_s);
    QCOMPARE(sentinel.password, u"sentinel-pw"_s);
    QCOMPARE(sentinel.database, 0); // sentinels have no databases to select
    QVERIFY(sentinel.readOnly); // and are only ever asked, never told
    QVERIFY(sentinel.tls.enabled);
    QCOMPARE(sentinel.tls.caFile, u"/ca.pem"_s);

    const StoreConfig node = config->forNode({u"10.1.1.1"_s, 6380});
    QCOMPARE(node.redisMode, StoreConfig::RedisMode::Standalone);
    QCOMPARE(node.targetName(), u"10.1.1.1:6380/5"_s);
    QCOMPARE(node.username, u"data-user"_s);
    QCOMPARE(node.password, u"data-pw"_s);
    QVERIFY(!node.readOnly);
    QVERIFY(node.tls.enabled);
}

void TestStoreConfig::hostMappings_data()
{
    QTest::addColumn<QString>("mapping");
    QTest::addColumn<QString>("node");
    QTest::addColumn<QString>("expected"); // empty: the mapping does not apply

    QTest::newRow("host to host keeps the port")
        << u"10.0.0.5=127.0.0.1"_s << u"10.0.0.5:7001"_s << u"127.0.0.1:7001"_s;
    QTest::newRow("host and port to host and port")
        << u"10.0.0.5:7001=127.0.0.1:17001"_s << u"10.0.0.5:7001"_s << u"127.0.0.1:17001"_s;
    QTest::newRow("port must match")
        << u"10.0.0.5:7001=127.0.0.1:17001"_s << u"10.0.0.5:7002"_s << QString();
    QTest::newRow("host must match") << u"10.0.0.5=127.0.0.1"_s << u"10.0.0.6:7001"_s << QString();
    QTest::newRow("announced port to local port")
        << u"127.0.0.1:40001=127.0.0.1:7001"_s << u"127.0.0.1:40001"_s << u"127.0.0.1:7001"_s;
    QTest::newRow("names are case-insensitive")
        << u"Redis-0.Internal=localhost"_s << u"redis-0.internal:6379"_s << u"localhost:6379"_s;
    QTest::newRow("ipv6 both sides")
        << u"[fd00::1]:7000=[::1]:7100"_s << u"[fd00::1]:7000"_s << u"[::1]:7100"_s;
}

void TestStoreConfig::hostMappings()
{
    QFETCH(QString, mapping);
    QFETCH(QString, node);
    QFETCH(QString, expected);
    const auto parsed = SessionDesk::HostMapping::parse(mapping);
    QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
    // The node, as a cluster announces it (IPv6 without brackets).
    const qsizetype colon = node.lastIndexOf(u':');
    QString host = node.left(colon);
    if (host.startsWith(u'['))
        host = host.mid(1, host.size() - 2);
    const auto applied = parsed->apply({host, quint16(node.mid(colon + 1).toUInt())});
    QCOMPARE(applied ? applied->text() : QString(), expected);
}

void TestStoreConfig::rejectsInvalidHostMappings_data()
{
    QTest::addColumn<QString>("mapping");
    QTest::newRow("no equals sign") << u"10.0.0.5"_s;
    QTest::newRow("two equals signs") << u"a=b=c"_s;
    QTest::newRow("empty announced") << u"=127.0.0.1"_s;
    QTest::newRow("empty reachable") << u"10.0.0.5="_s;
    QTest::newRow("bad port") << u"10.0.0.5:99999=127.0.0.1"_s;
    QTest::newRow("port only on the reachable side") << u"10.0.0.5=127.0.0.1:7000"_s;
    QTest::newRow("bare ipv6") << u"fd00::1=::1"_s;
    QTest::newRow("space in host") << u"a b=c"_s;
}

void TestStoreConfig::rejectsInvalidHostMappings()
{
    QFETCH(QString, mapping);
    const auto parsed = SessionDesk::HostMapping::parse(mapping);
    QVERIFY(!parsed);
    QCOMPARE(parsed.error().code, StorageError::Code::InvalidArgument);
    QVERIFY2(parsed.error().message.endsWith(u'.'), qPrintable(parsed.error().message));
}

QTEST_GUILESS_MAIN(TestStoreConfig)
#include "tst_storeconfig.moc"
