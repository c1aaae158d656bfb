// Store settings as typed facts, judged by the shipped policies, against real servers:
//  - a Redis deployment configured like the seed task (TLS only with client certificates, ACL
//    users with least privilege and the default user off, AOF with fsync every second, a memory
//    limit with volatile-ttl, two TLS replicas and three Sentinels) must pass redis-session-ha
//    and strict;
//  - a carelessly configured Redis (plain text, default user without a password, no
//    persistence, allkeys-lru without a limit) must fail them rule by rule;
//  - a connection whose ACL denies CONFIG and ACL reads its facts as unknown (NOPERM), never as
//    passing;
//  - a DynamoDB table shaped like the seed ADR (dynalite behind the fault proxy, which answers
//    DescribeTimeToLive, DescribeContinuousBackups, SSE and KMS DescribeKey the way AWS's
//    reference shows) must pass dynamodb-session-adr, and each departure from the ADR must fail
//    the rule about it;
//  - in read-only mode the DynamoDB client refuses every write before it reaches the network.

#include "dynaliteserver.h"
#include "dynamodb/dynamoclient.h"
#include "dynamodb/dynamosessionstore.h"
#include "faultproxy.h"
#include "policy.h"
#include "redis/redisconnection.h"
#include "redis/redissessionstore.h"
#include "redisserver.h"
#include "tlsmaterial.h"

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace SessionDesk;
using SessionDesk::Test::DynaliteServer;
using SessionDesk::Test::FaultProxy;
using SessionDesk::Test::RedisServer;
using SessionDesk::Test::TlsMaterial;

namespace {

// The ACL of the seed-like deployment: the default user off, an administrator, the
// application and SessionDesk's auditor each with what they need, and the users replication
// and Sentinel log in as.
QStringList secureAcl()
{
    return {u"user default off"_s,
            u"user admin on >admin-pw-7f3 ~* &* +@all"_s,
            u"user app on >app-pw-91c ~sess:* ~user-sessions:* resetchannels -@all +get +set "
            u"+expire +unlink +sadd +srem +smembers +ping"_s,
            u"user auditor on >auditor-pw-2b8 ~sess:* ~user-sessions:* resetchannels -@all "
            u"+ping +info +dbsize +scan +get +mget +pttl +type +smembers +zrange +command|info "
            u"+config|get +acl|list +acl|whoami +pubsub|numsub"_s,
            u"user replica on >replica-pw-44d -@all +psync +replconf +ping"_s,
            u"user sentinel on >sentinel-pw-c0e allchannels -@all +multi +slaveof +ping +exec "
            u"+subscribe +config|rewrite +role +publish +info +client|setname +client|kill "
            u"+script|kill"_s};
}

const QStringList kSecrets = {u"admin-pw-7f3"_s, u"app-pw-91c"_s, u"auditor-pw-2b8"_s,
                              u"replica-pw-44d"_s, u"sentinel-pw-c0e"_s};

// A Redis Sentinel (redis-server --sentinel) monitoring one TLS master as "mymaster".
class Sentinel
{
public:
    ~Sentinel()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.terminate();
            if (!m_process.waitForFinished(10000))
                m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    bool start(quint16 masterPort, const TlsMaterial &tls, QString *error)
    {
        const quint16 port = Test::freeLoopbackPort();
        const QStringList config = {
            u"bind 127.0.0.1"_s,
            u"port 0"_s,
            u"tls-port %1"_s.arg(port),
            u"tls-cert-file "_s + tls.serverCert(),
            u"tls-key-file "_s + tls.serverKey(),
            u"tls-ca-cert-file "_s + tls.caCert(),
            u"tls-replication yes"_s, // Sentinel talks TLS to the servers it monitors
            u"tls-auth-clients no"_s,
            u"dir "_s + m_dir.path(),
            u"logfile \"\""_s,
            u"sentinel monitor mymaster 127.0.0.1 %1 2"_s.arg(masterPort),
            u"sentinel auth-user mymaster sentinel"_s,
            u"sentinel auth-pass mymaster sentinel-pw-c0e"_s,
            u"sentinel down-after-milliseconds mymaster 5000"_s};
        const QString path = m_dir.filePath(u"sentinel.conf"_s);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly)) {
            *error = u"cannot write "_s + path;
            return false;
        }
        file.write(config.join(u'\n').toUtf8() + '\n');
        file.close();
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        m_process.start(u"redis-server"_s, {path, u"--sentinel"_s});
        QByteArray log;
        const QDeadlineTimer deadline(20000);
        while (!log.contains("+monitor master mymaster")) {
            if (m_process.state() == QProcess::NotRunning || deadline.hasExpired()) {
                *error = u"redis-server --sentinel did not start: "_s + QString::fromUtf8(log);
                return false;
            }
            m_process.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
            log += m_process.readAll();
        }
        return true;
    }

private:
    QTemporaryDir m_dir;
    QProcess m_process;
};

RedisServer::Options tlsOptions(const TlsMaterial &tls)
{
    RedisServer::Options options;
    options.tlsCertFile = tls.serverCert();
    options.tlsKeyFile = tls.serverKey();
    options.tlsCaFile = tls.caCert();
    options.tlsRequireClientCert = true;
    options.configLines << secureAcl();
    options.configLines << u"appendonly yes"_s << u"appendfsync everysec"_s << u"maxmemory 64mb"_s
                        << u"maxmemory-policy volatile-ttl"_s << u"tls-replication yes"_s;
    return options;
}

StoreConfig tlsConfig(const RedisServer &server, const TlsMaterial &tls, const QString &user,
                      const QString &password)
{
    auto config = StoreConfig::fromUrl(u"rediss://127.0.0.1:%1"_s.arg(server.port()));
    Q_ASSERT(config);
    config->username = user;
    config->password = password;
    config->tls.caFile = tls.caCert();
    config->tls.certFile = tls.clientCert();
    config->tls.keyFile = tls.clientKey();
    return *config;
}

QString verdicts(const PolicyReport &report)
{
    QStringList lines;
    for (const RuleResult &r : report.results)
        lines << verdictName(r.verdict) + u' ' + r.rule.id + u": "_s + r.evidence;
    return lines.join(u'\n');
}

// rule id → verdict, for compact comparisons.
QMap<QString, QString> verdictMap(const PolicyReport &report)
{
    QMap<QString, QString> map;
    for (const RuleResult &r : report.results)
        map.insert(r.rule.id, verdictName(r.verdict));
    return map;
}

PolicyReport judge(const QString &preset, const StoreInfo &info)
{
    auto policy = Policy::load(preset);
    auto report = policy ? evaluatePolicy(*policy, info)
                         : Result<PolicyReport>(std::unexpected(policy.error()));
    if (!report)
        qFatal("%s", qPrintable(report.error().message));
    return *report;
}

QJsonValue factValue(const StoreInfo &info, const char *id)
{
    const StoreFact *fact = info.fact(QString::fromLatin1(id));
    return fact && fact->known ? fact->value : QJsonValue(QJsonValue::Undefined);
}

QJsonObject S(const QString &value)
{
    return {{u"S"_s, value}};
}

// Points KMS at `endpoint` for as long as it lives.
class KmsEndpoint
{
public:
    explicit KmsEndpoint(const QString &endpoint)
    {
        qputenv("AWS_ENDPOINT_URL_KMS", endpoint.toUtf8());
    }
    ~KmsEndpoint() { qunsetenv("AWS_ENDPOINT_URL_KMS"); }
    KmsEndpoint(const KmsEndpoint &) = delete;
    KmsEndpoint &operator=(const KmsEndpoint &) = delete;
};

} // namespace

class TestStoreFacts final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void seedLikeRedisPassesTheHaPolicy();
    void carelessRedisFailsRuleByRule();
    void deniedCommandsMakeFactsUnknown();
    void adrShapedTablePassesTheAdrPolicy();
    void departuresFromTheAdrFail();
    void callsTheEndpointLacksAreUnknown();
    void readOnlyDynamoClientRefusesWritesBeforeTheNetwork();
    void readOnlyDynamoStoreRefusesEveryWritePath();

private:
    std::unique_ptr<Aws::DynamoSessionStore> table(const QString &name, const QString &endpoint);

    TlsMaterial m_tls;
    DynaliteServer m_dynalite;
    int m_tables = 0;
};

void TestStoreFacts::initTestCase()
{
    QVERIFY2(m_tls.generate(), qPrintable(m_tls.errorString()));
    qputenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
    qputenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    qputenv("AWS_REGION", "eu-west-2");
    qunsetenv("AWS_PROFILE");
    qunsetenv("AWS_ENDPOINT_URL");
    qunsetenv("AWS_ENDPOINT_URL_KMS");
    QVERIFY2(m_dynalite.start(), qPrintable(m_dynalite.errorString()));
}

void TestStoreFacts::seedLikeRedisPassesTheHaPolicy()
{
    RedisServer master;
    QVERIFY2(master.start(tlsOptions(m_tls)), qPrintable(master.errorString()));
    // Two replicas over TLS, and three Sentinels watching the master.
    RedisServer replicas[2];
    for (RedisServer &replica : replicas) {
        RedisServer::Options options = tlsOptions(m_tls);
        options.configLines << u"replicaof 127.0.0.1 %1"_s.arg(master.port())
                            << u"masteruser replica"_s << u"masterauth replica-pw-44d"_s;
        QVERIFY2(replica.start(options), qPrintable(replica.errorString()));
    }
    Sentinel sentinels[3];
    for (Sentinel &sentinel : sentinels) {
        QString error;
        QVERIFY2(sentinel.start(master.port(), m_tls, &error), qPrintable(error));
    }
    // Sessions written by the application user, each with a TTL.
    {
        Redis::Connection app(tlsConfig(master, m_tls, u"app"_s, u"app-pw-91c"_s));
        QVERIFY(app.open());
        auto written = app.pipeline({{"SET", "sess:s1", R"({"user_id":"u1"})", "EX", "3600"},
                                     {"SET", "sess:s2", R"({"user_id":"u2"})", "EX", "3600"}});
        QVERIFY(written);
        for (const Redis::Reply &reply : *written)
            QVERIFY2(!reply.isError(), reply.string.constData());
    }
    Redis::SessionStore store(tlsConfig(master, m_tls, u"auditor"_s, u"auditor-pw-2b8"_s),
                              *SessionLayout::preset(u"connect-redis"_s));
    QVERIFY(store.connect());
    // Replication and Sentinel discovery take a moment: wait until the facts say so.
    StoreInfo info;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            auto read = store.describe({}, {});
            if (!read)
                return false;
            info = *read;
            return factValue(info, "redis.replication.connected_replicas").toInt() == 2
                && factValue(info, "redis.sentinel.watching").toInt() == 3;
        }(),
        30000);

    // The facts, typed, with their sources.
    QCOMPARE(factValue(info, "redis.tls.connection"), QJsonValue(true));
    QCOMPARE(factValue(info, "redis.tls.plain_port").toInt(), 0);
    QCOMPARE(factValue(info, "redis.tls.port").toInt(), int(master.port()));
    QCOMPARE(factValue(info, "redis.tls.auth_clients").toString(), u"yes"_s);
    QCOMPARE(factValue(info, "redis.persistence.appendonly"), QJsonValue(true));
    QCOMPARE(factValue(info, "redis.persistence.appendfsync").toString(), u"everysec"_s);
    QCOMPARE(factValue(info, "redis.memory.maxmemory").toDouble(), 64.0 * 1024 * 1024);
    QCOMPARE(factValue(info, "redis.memory.maxmemory_policy").toString(), u"volatile-ttl"_s);
    QCOMPARE(factValue(info, "redis.acl.connected_user").toString(), u"auditor"_s);
    QCOMPARE(factValue(info, "redis.acl.default_user_enabled"), QJsonValue(false));
    QCOMPARE(factValue(info, "redis.acl.users_nopass").toArray().size(), 0);
    QCOMPARE(factValue(info, "redis.acl.users_all_commands"), QJsonValue(QJsonArray{u"admin"_s}));
    QCOMPARE(factValue(info, "redis.sessions.count").toInt(), 2);
    QCOMPARE(factValue(info, "redis.sessions.without_ttl").toInt(), 0);
    QCOMPARE(info.fact(u"redis.persistence.appendfsync"_s)->source, u"CONFIG GET appendfsync"_s);
    QCOMPARE(info.fact(u"redis.acl.users"_s)->type, FactType::List);
    // No password and no password hash ever appears in a fact.
    for (const StoreFact &fact : std::as_const(info.facts)) {
        const QByteArray text = QJsonDocument(fact.toJson()).toJson(QJsonDocument::Compact);
        for (const QString &secret : kSecrets)
            QVERIFY2(!text.contains(secret.toUtf8()), text.constData());
        QVERIFY2(!text.contains(
                     QCryptographicHash::hash("app-pw-91c", QCryptographicHash::Sha256).toHex()),
                 text.constData());
    }

    const PolicyReport ha = judge(u"redis-session-ha"_s, info);
    QVERIFY2(ha.failed == 0 && ha.unknown == 0, qPrintable(verdicts(ha)));
    QCOMPARE(ha.passed, 13);
    const PolicyReport strict = judge(u"strict"_s, info);
    QVERIFY2(strict.failed == 0 && strict.unknown == 0, qPrintable(verdicts(strict)));
}

void TestStoreFacts::carelessRedisFailsRuleByRule()
{
    // Plain text, the default user with no password and every right, no persistence, fsync
    // left to the OS, and allkeys-lru without a limit: the cache settings people copy, which
    // evict live sessions and the per-user indexes silently once a limit is reached.
    RedisServer careless;
    RedisServer::Options options;
    options.configLines << u"protected-mode no"_s << u"appendonly no"_s << u"appendfsync no"_s
                        << u"maxmemory-policy allkeys-lru"_s;
    QVERIFY2(careless.start(options), qPrintable(careless.errorString()));
    careless.cli({u"SET"_s, u"sess:forever"_s, u"{}"_s});
    Redis::SessionStore store(*StoreConfig::fromUrl(careless.url()),
                              *SessionLayout::preset(u"connect-redis"_s));
    QVERIFY(store.connect());
    auto info = store.describe({}, {});
    QVERIFY2(info, info ? "" : qPrintable(info.error().message));
    QCOMPARE(factValue(*info, "redis.acl.default_user_nopass"), QJsonValue(true));
    QCOMPARE(factValue(*info, "redis.acl.users_nopass"), QJsonValue(QJsonArray{u"default"_s}));
    QCOMPARE(factValue(*info, "redis.security.protected_mode"), QJsonValue(false));
    QCOMPARE(factValue(*info, "redis.persistence.save").toString(), QString());
    QCOMPARE(info->fact(u"redis.persistence.save"_s)->display, u"off (no snapshots)"_s);
    QCOMPARE(factValue(*info, "redis.sessions.without_ttl").toInt(), 1);

    const PolicyReport ha = judge(u"redis-session-ha"_s, *info);
    const QMap<QString, QString> expected = {
        {u"tls-connection"_s, u"FAIL"_s}, {u"tls-verified"_s, u"FAIL"_s},
        {u"tls-only"_s, u"FAIL"_s},       {u"tls-replication"_s, u"FAIL"_s},
        {u"acl-no-nopass"_s, u"FAIL"_s},  {u"acl-default-not-all-commands"_s, u"FAIL"_s},
        {u"aof-on"_s, u"FAIL"_s},         {u"aof-everysec"_s, u"FAIL"_s},
        {u"memory-limit"_s, u"FAIL"_s},   {u"eviction-policy"_s, u"FAIL"_s},
        {u"replicas"_s, u"FAIL"_s},       {u"sentinel-quorum"_s, u"FAIL"_s},
        {u"redis-7"_s, u"PASS"_s}};
    QCOMPARE(verdictMap(ha), expected);
    // The evidence says what was found and what was expected.
    for (const RuleResult &r : ha.results) {
        if (r.rule.id == u"eviction-policy")
            QVERIFY2(r.evidence.contains(u"\"allkeys-lru\""_s)
                         && r.evidence.contains(u"expected"_s),
                     qPrintable(r.evidence));
    }
    const QMap<QString, QString> strict = verdictMap(judge(u"strict"_s, *info));
    QCOMPARE(strict.value(u"redis-protected-mode"_s), u"FAIL"_s);
    QCOMPARE(strict.value(u"redis-all-sessions-expire"_s), u"FAIL"_s);
    QCOMPARE(strict.value(u"redis-default-user-off"_s), u"FAIL"_s);
}

void TestStoreFacts::deniedCommandsMakeFactsUnknown()
{
    // SessionDesk's documented least-privilege user has no CONFIG, ACL or PUBSUB rights.
    RedisServer server;
    RedisServer::Options options;
    options.configLines << u"user sessiondesk on >desk-pw ~sess:* ~user-sessions:* "
                           u"resetchannels -@all +ping +info +dbsize +scan +get +mget +pttl "
                           u"+type +unlink +del +smembers +zrange +srem +zrem +hgetall +lrange "
                           u"+srandmember +command|info"_s;
    QVERIFY2(server.start(options), qPrintable(server.errorString()));
    Redis::SessionStore store(
        *StoreConfig::fromUrl(u"redis://sessiondesk:desk-pw@127.0.0.1:%1"_s.arg(server.port())),
        *SessionLayout::preset(u"connect-redis"_s));
    QVERIFY(store.connect());
    auto info = store.settings();
    QVERIFY2(info, info ? "" : qPrintable(info.error().message)); // the view still works
    QVERIFY(info->fact(u"redis.server.version"_s)->known); // INFO is allowed
    for (const char *id :
         {"redis.persistence.appendonly", "redis.memory.maxmemory_policy", "redis.acl.users",
          "redis.acl.connected_user", "redis.sentinel.watching"}) {
        const StoreFact *fact = info->fact(QString::fromLatin1(id));
        QVERIFY2(fact, id);
        QVERIFY2(!fact->known, id);
        QVERIFY2(fact->unknownReason.startsWith(u"NOPERM"_s), qPrintable(fact->unknownReason));
        QCOMPARE(fact->display, u"unknown (NOPERM)"_s);
    }
    const QMap<QString, QString> ha = verdictMap(judge(u"redis-session-ha"_s, *info));
    QCOMPARE(ha.value(u"aof-on"_s), u"UNKNOWN"_s);
    QCOMPARE(ha.value(u"eviction-policy"_s), u"UNKNOWN"_s);
    QCOMPARE(ha.value(u"acl-no-nopass"_s), u"UNKNOWN"_s);
    QCOMPARE(ha.value(u"sentinel-quorum"_s), u"UNKNOWN"_s);
    QCOMPARE(ha.value(u"tls-connection"_s), u"FAIL"_s); // known from the connection itself
    QCOMPARE(ha.value(u"replicas"_s), u"FAIL"_s); // INFO replication is allowed
}

std::unique_ptr<Aws::DynamoSessionStore> TestStoreFacts::table(const QString &name,
                                                               const QString &endpoint)
{
    auto config = StoreConfig::fromUrl(u"dynamodb://%1?endpoint=%2"_s.arg(name, endpoint));
    Q_ASSERT(config);
    return std::make_unique<Aws::DynamoSessionStore>(*config,
                                                     *SessionLayout::preset(u"dynamodb-gds"_s));
}

void TestStoreFacts::adrShapedTablePassesTheAdrPolicy()
{
    // The GOV.UK table of the ADR: id HASH, on demand, users-sessions on user_id (KEYS_ONLY),
    // SSE with a customer-managed KMS key, TTL on expires, PITR disabled, no stream.
    const QString name = u"adr-SessionStore-%1"_s.arg(++m_tables);
    QVERIFY(m_dynalite.createTable(name, true));
    int status = 0;
    m_dynalite.call(
        u"TagResource"_s,
        {{u"ResourceArn"_s,
          m_dynalite.call(u"DescribeTable"_s, {{u"TableName"_s, name}})[u"Table"_s][u"TableArn"_s]
              .toString()},
         {u"Tags"_s,
          QJsonArray{
              QJsonObject{{u"Key"_s, u"CheckovRulesToSkip"_s}, {u"Value"_s, u"CKV_AWS_28"_s}}}}},
        &status);
    QCOMPARE(status, 200);
    FaultProxy proxy;
    QVERIFY2(proxy.start(m_dynalite.endpoint()), qPrintable(proxy.errorString()));
    proxy.setSseDescription(FaultProxy::kmsSseDescription());
    proxy.setKmsKeyMetadata({{u"KeyManager"_s, u"CUSTOMER"_s}, {u"KeyState"_s, u"Enabled"_s}});
    proxy.setTableOverrides(
        {{u"DeletionProtectionEnabled"_s, false},
         {u"TableClassSummary"_s, QJsonObject{{u"TableClass"_s, u"STANDARD"_s}}}});
    const KmsEndpoint kms(proxy.endpoint());
    auto store = table(name, proxy.endpoint());
    QVERIFY(store->connect());
    auto info = store->settings();
    QVERIFY2(info, info ? "" : qPrintable(info.error().message));
    QCOMPARE(proxy.requests(u"DescribeKey"_s), 1);

    QCOMPARE(factValue(*info, "dynamodb.table.partition_key").toString(), u"id"_s);
    QCOMPARE(info->fact(u"dynamodb.table.sort_key"_s)->value, QJsonValue(QJsonValue::Null));
    QCOMPARE(factValue(*info, "dynamodb.billing.mode").toString(), u"PAY_PER_REQUEST"_s);
    QCOMPARE(factValue(*info, "dynamodb.gsi.users-sessions.projection").toString(), u"KEYS_ONLY"_s);
    QCOMPARE(factValue(*info, "dynamodb.sse.key_manager").toString(), u"CUSTOMER"_s);
    QCOMPARE(info->fact(u"dynamodb.sse.key_manager"_s)->source, u"KMS DescribeKey"_s);
    QVERIFY(factValue(*info, "dynamodb.sse.kms_key_arn").toString().startsWith(u"arn:aws:kms:"_s));
    QCOMPARE(factValue(*info, "dynamodb.deletion_protection"), QJsonValue(false));
    QCOMPARE(factValue(*info, "dynamodb.table.class").toString(), u"STANDARD"_s);
    QCOMPARE(factValue(*info, "dynamodb.tags"),
             QJsonValue(QJsonArray{u"CheckovRulesToSkip=CKV_AWS_28"_s}));
    QCOMPARE(factValue(*info, "dynamodb.tag.CheckovRulesToSkip").toString(), u"CKV_AWS_28"_s);
    QVERIFY(info->fact(u"dynamodb.table.item_count"_s)->label.contains(u"6 h"_s));
    QCOMPARE(info->fact(u"dynamodb.pitr.status"_s)->source, u"DescribeContinuousBackups"_s);

    const PolicyReport adr = judge(u"dynamodb-session-adr"_s, *info);
    QVERIFY2(adr.failed == 0 && adr.unknown == 0, qPrintable(verdicts(adr)));
    QCOMPARE(adr.passed, 12);
    // The strict generic policy wants PITR and deletion protection: it disagrees, by design.
    const QMap<QString, QString> strict = verdictMap(judge(u"strict"_s, *info));
    QCOMPARE(strict.value(u"dynamodb-pitr"_s), u"FAIL"_s);
    QCOMPARE(strict.value(u"dynamodb-deletion-protection"_s), u"FAIL"_s);
    QCOMPARE(strict.value(u"dynamodb-cmk"_s), u"PASS"_s);
    QCOMPARE(strict.value(u"dynamodb-all-sessions-expire"_s), u"UNKNOWN"_s); // no scan ran
}

void TestStoreFacts::departuresFromTheAdrFail()
{
    FaultProxy proxy;
    QVERIFY2(proxy.start(m_dynalite.endpoint()), qPrintable(proxy.errorString()));
    const KmsEndpoint kms(proxy.endpoint());
    const auto judgeTable = [&](bool withIndex) {
        const QString name = u"departure-%1"_s.arg(++m_tables);
        if (!m_dynalite.createTable(name, withIndex))
            qFatal("cannot create table %s", qPrintable(name));
        auto store = table(name, proxy.endpoint());
        auto connected = store->connect();
        auto info =
            connected ? store->settings() : Result<StoreInfo>(std::unexpected(connected.error()));
        if (!info)
            qFatal("%s", qPrintable(info.error().message));
        return verdictMap(judge(u"dynamodb-session-adr"_s, *info));
    };

    // The key DynamoDB owns (no SSEDescription): not a KMS key, let alone a CMK.
    QMap<QString, QString> v = judgeTable(true);
    QCOMPARE(v.value(u"sse-kms"_s), u"FAIL"_s);
    QCOMPARE(v.value(u"sse-cmk"_s), u"FAIL"_s);
    QCOMPARE(v.value(u"sse-enabled"_s), u"PASS"_s);
    QCOMPARE(proxy.requests(u"DescribeKey"_s), 0);

    // The AWS-managed aws/dynamodb key: KMS, but not customer-managed.
    proxy.setSseDescription(FaultProxy::kmsSseDescription());
    proxy.setKmsKeyMetadata({{u"KeyManager"_s, u"AWS"_s}, {u"KeyState"_s, u"Enabled"_s}});
    v = judgeTable(true);
    QCOMPARE(v.value(u"sse-kms"_s), u"PASS"_s);
    QCOMPARE(v.value(u"sse-cmk"_s), u"FAIL"_s);

    // PITR switched on, TTL on another attribute, a stream with whole sessions.
    proxy.setKmsKeyMetadata({{u"KeyManager"_s, u"CUSTOMER"_s}});
    proxy.setContinuousBackupsDescription(
        {{u"ContinuousBackupsStatus"_s, u"ENABLED"_s},
         {u"PointInTimeRecoveryDescription"_s,
          QJsonObject{{u"PointInTimeRecoveryStatus"_s, u"ENABLED"_s}}}});
    proxy.setTimeToLiveDescription(
        {{u"AttributeName"_s, u"ttl"_s}, {u"TimeToLiveStatus"_s, u"ENABLED"_s}});
    proxy.setTableOverrides(
        {{u"StreamSpecification"_s,
          QJsonObject{{u"StreamEnabled"_s, true}, {u"StreamViewType"_s, u"NEW_IMAGE"_s}}}});
    v = judgeTable(true);
    QCOMPARE(v.value(u"sse-cmk"_s), u"PASS"_s);
    QCOMPARE(v.value(u"pitr-off"_s), u"FAIL"_s);
    QCOMPARE(v.value(u"ttl-enabled"_s), u"PASS"_s);
    QCOMPARE(v.value(u"ttl-on-expires"_s), u"FAIL"_s);
    QCOMPARE(v.value(u"no-stream"_s), u"FAIL"_s);

    // No users-sessions index: the rules about it fail (the index is absent), never pass.
    v = judgeTable(false);
    QCOMPARE(v.value(u"users-index"_s), u"FAIL"_s);
    QCOMPARE(v.value(u"users-index-active"_s), u"FAIL"_s);
    QCOMPARE(v.value(u"users-index-keys-only"_s), u"FAIL"_s);
}

void TestStoreFacts::callsTheEndpointLacksAreUnknown()
{
    // dynalite alone implements neither DescribeContinuousBackups nor KMS: those facts are
    // unknown with the code the endpoint answered, and so are their rules.
    const QString name = u"bare-%1"_s.arg(++m_tables);
    QVERIFY(m_dynalite.createTable(name, true));
    FaultProxy proxy; // only to give the table a KMS key in its description
    QVERIFY2(proxy.start(m_dynalite.endpoint()), qPrintable(proxy.errorString()));
    proxy.setSseDescription(FaultProxy::kmsSseDescription());
    auto store = table(name, m_dynalite.endpoint());
    QVERIFY(store->connect());
    auto info = store->settings();
    QVERIFY(info);
    const StoreFact *pitr = info->fact(u"dynamodb.pitr.status"_s);
    QVERIFY(pitr && !pitr->known);
    QVERIFY2(pitr->unknownReason.contains(u"UnknownOperationException"_s),
             qPrintable(pitr->unknownReason));
    const StoreFact *protection = info->fact(u"dynamodb.deletion_protection"_s);
    QVERIFY(protection && !protection->known);
    QCOMPARE(verdictMap(judge(u"dynamodb-session-adr"_s, *info)).value(u"pitr-off"_s),
             u"UNKNOWN"_s);

    // With a KMS key but a table that is not on AWS and no KMS endpoint given, SessionDesk
    // does not go and ask the real KMS: the key's manager is unknown, with why.
    auto viaProxy = table(name, proxy.endpoint());
    QVERIFY(viaProxy->connect());
    auto withKey = viaProxy->settings();
    QVERIFY(withKey);
    const StoreFact *manager = withKey->fact(u"dynamodb.sse.key_manager"_s);
    QVERIFY(manager && !manager->known);
    QVERIFY2(manager->unknownReason.contains(u"AWS_ENDPOINT_URL_KMS"_s),
             qPrintable(manager->unknownReason));
    QCOMPARE(proxy.requests(u"DescribeKey"_s), 0);
    QCOMPARE(verdictMap(judge(u"dynamodb-session-adr"_s, *withKey)).value(u"sse-cmk"_s),
             u"UNKNOWN"_s);
}

void TestStoreFacts::readOnlyDynamoClientRefusesWritesBeforeTheNetwork()
{
    const QString name = u"readonly-client-%1"_s.arg(++m_tables);
    QVERIFY(m_dynalite.createTable(name, false));
    QVERIFY(m_dynalite.putItems(name, {{{u"id"_s, S(u"sess:keep"_s)}}}));
    FaultProxy proxy;
    QVERIFY2(proxy.start(m_dynalite.endpoint()), qPrintable(proxy.errorString()));
    Aws::DynamoClient::Options options;
    options.endpoint = QUrl(proxy.endpoint());
    options.region = u"eu-west-2"_s;
    options.credentials.accessKeyId = u"AKIDEXAMPLE"_s;
    options.credentials.secretAccessKey = u"secret"_s;
    Aws::DynamoClient client(options);
    client.setReadOnly(true);
    const QJsonObject key{{u"id"_s, S(u"sess:keep"_s)}};
    const QList<Aws::DynamoClient::Call> writes = {
        {u"PutItem"_s,
         {{u"TableName"_s, name}, {u"Item"_s, QJsonObject{{u"id"_s, S(u"sess:new"_s)}}}}},
        {u"DeleteItem"_s, {{u"TableName"_s, name}, {u"Key"_s, key}}},
        {u"UpdateItem"_s, {{u"TableName"_s, name}, {u"Key"_s, key}}},
        {u"BatchWriteItem"_s,
         {{u"RequestItems"_s,
           QJsonObject{
               {name,
                QJsonArray{QJsonObject{{u"DeleteRequest"_s, QJsonObject{{u"Key"_s, key}}}}}}}}}},
        {u"TransactWriteItems"_s, {{u"TransactItems"_s, QJsonArray{}}}},
        {u"ExecuteStatement"_s, {{u"Statement"_s, u"DELETE FROM \"%1\""_s.arg(name)}}},
        {u"DeleteTable"_s, {{u"TableName"_s, name}}},
        {u"UpdateTimeToLive"_s, {{u"TableName"_s, name}}},
        {u"TagResource"_s, {{u"ResourceArn"_s, name}}},
        {u"Scan"_s, {{u"TableName"_s, name}}}, // a read, among them: it goes through
    };
    const QList<Result<QJsonObject>> results = client.callAll(writes);
    for (qsizetype i = 0; i + 1 < writes.size(); ++i) {
        QVERIFY2(!results.at(i), qPrintable(writes.at(i).operation));
        QCOMPARE(results.at(i).error().code, StorageError::Code::Refused);
        QVERIFY(results.at(i).error().message.contains(u"read-only"_s));
        QCOMPARE(proxy.requests(writes.at(i).operation), 0); // never sent
    }
    QVERIFY(results.last());
    QCOMPARE(proxy.requests(u"Scan"_s), 1);
    QCOMPARE(proxy.totalRequests(), 1);
    QCOMPARE(client.requestsSent(), 1);
    QCOMPARE(m_dynalite.countItems(name), 1);

    // The same client writes once read-only mode is off: the refusal was the mode's.
    client.setReadOnly(false);
    QVERIFY(client.call(u"DeleteItem"_s, {{u"TableName"_s, name}, {u"Key"_s, key}}));
    QCOMPARE(m_dynalite.countItems(name), 0);
}

void TestStoreFacts::readOnlyDynamoStoreRefusesEveryWritePath()
{
    const QString name = u"readonly-store-%1"_s.arg(++m_tables);
    QVERIFY(m_dynalite.createTable(name, true));
    QList<QJsonObject> items;
    for (int i = 0; i < 5; ++i) {
        items << QJsonObject{{u"id"_s, S(u"sess:r%1"_s.arg(i))},
                             {u"user_id"_s, S(u"rhea"_s)},
                             {u"sess"_s, S(u"{}"_s)}};
    }
    QVERIFY(m_dynalite.putItems(name, items));
    FaultProxy proxy;
    QVERIFY2(proxy.start(m_dynalite.endpoint()), qPrintable(proxy.errorString()));
    auto store = table(name, proxy.endpoint());
    store->setReadOnly(true);
    QVERIFY(store->connect());
    QVERIFY(store->client()->isReadOnly());
    const auto refused = [](const auto &result) {
        return !result && result.error().code == StorageError::Code::Refused;
    };
    QVERIFY(refused(store->revoke({"r0"})));
    QVERIFY(refused(store->logoutUser(u"rhea"_s, {}, {})));
    QVERIFY(refused(store->destroyAll(false, {}, {})));
    QVERIFY(store->destroyAll(true, {}, {})); // counting is a read
    for (const char *write : {"DeleteItem", "BatchWriteItem", "PutItem", "UpdateItem"})
        QCOMPARE(proxy.requests(QString::fromLatin1(write)), 0);
    QCOMPARE(m_dynalite.countItems(name), 5);
}

QTEST_GUILESS_MAIN(TestStoreFacts)
#include "tst_storefacts.moc"
