// sessiondesk-cli end to end through Sentinel and Cluster URLs: real processes against three
// sentinels (with their own password) and a 3-master cluster. The target names a destroy-all
// confirmation must repeat, the mode line, JSON shapes, exact counts, keys outside the layout
// left alone, audit records, and one-sentence usage errors (exit 2) for every malformed form.

#include "auditlog.h"
#include "redis/redisconnection.h"
#include "redisha.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using SessionDesk::Test::RedisCluster;
using SessionDesk::Test::SentinelSetup;

namespace {

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;

    QJsonDocument json() const { return QJsonDocument::fromJson(out); }
    bool oneLineError() const { return err.trimmed().count('\n') == 0 && !err.trimmed().isEmpty(); }
};

const QString kSentinelPassword = u"sentinel-secret"_s;

// The display text of one fact of `info --json`, by its id.
QString factDisplay(const QJsonObject &info, QStringView id)
{
    for (const QJsonValue &fact : info[u"facts"_s].toArray()) {
        if (fact.toObject()[u"id"_s].toString() == id)
            return fact.toObject()[u"display"_s].toString();
    }
    return {};
}

QByteArray session(const QByteArray &user)
{
    return R"({"cookie":{"originalMaxAge":7200000,"httpOnly":true,"path":"/"},"user_id":")" + user
        + R"(","tokens":{"accessToken":"at-)" + user + R"("}})";
}

} // namespace

class TestCliHa final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void usageErrorsExitTwo_data();
    void usageErrorsExitTwo();
    void sentinelEndToEnd();
    void sentinelCredentialsFromEnvironmentOrFlag();
    void clusterEndToEnd();
    void pausedMasterTimesOutInOneSentence();

private:
    Run cli(const QStringList &args, const QMap<QString, QString> &env = {});
    QStringList sentinelStore() const;
    QStringList clusterStore() const;
    void seedSentinel();
    void seedCluster();

    SentinelSetup m_sentinel;
    RedisCluster m_cluster;
    QTemporaryDir m_home;
    QString m_auditPath;
};

Run TestCliHa::cli(const QStringList &args, const QMap<QString, QString> &env)
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"SESSIONDESK_AUDIT_LOG"_s, m_auditPath);
    for (const char *name :
         {"SESSIONDESK_PASSWORD", "SESSIONDESK_SENTINEL_PASSWORD", "SESSIONDESK_STORE"})
        environment.remove(QString::fromLatin1(name));
    for (auto it = env.cbegin(); it != env.cend(); ++it)
        environment.insert(it.key(), it.value());
    process.setProcessEnvironment(environment);
    process.start(qEnvironmentVariable("SESSIONDESK_CLI"), args);
    Run run;
    if (!process.waitForFinished(120000))
        return run;
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -2;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

QStringList TestCliHa::sentinelStore() const
{
    return {u"--store"_s,      m_sentinel.url(),  u"--sentinel-password"_s,
            kSentinelPassword, u"--user-index"_s, u"user-sessions:{user}"_s};
}

QStringList TestCliHa::clusterStore() const
{
    return {u"--store"_s, m_cluster.url(2), u"--user-index"_s, u"user-sessions:{user}"_s};
}

void TestCliHa::initTestCase()
{
    QVERIFY2(!qEnvironmentVariable("SESSIONDESK_CLI").isEmpty(),
             "SESSIONDESK_CLI must name the sessiondesk-cli binary (ctest sets it)");
    SentinelSetup::Options options;
    options.sentinelPassword = kSentinelPassword;
    QVERIFY2(m_sentinel.start(options), qPrintable(m_sentinel.errorString()));
    QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
    m_auditPath = m_home.filePath(u"audit.log"_s);
}

void TestCliHa::seedSentinel()
{
    // Written with the library's own client: hundreds of redis-cli processes would be slow.
    using SessionDesk::Redis::Connection;
    SessionDesk::Test::RedisServer &master = m_sentinel.data(m_sentinel.masterIndex());
    Connection direct(*SessionDesk::StoreConfig::fromUrl(master.url()));
    QList<SessionDesk::Redis::Command> commands{{"FLUSHALL"}};
    for (const auto &[sid, user] :
         QList<QPair<QByteArray, QByteArray>>{{"a1", "ann"}, {"a2", "ann"}, {"b1", "ben"}}) {
        commands.append({"SET", "sess:" + sid, session(user), "EX", "3600"});
        commands.append({"SADD", "user-sessions:" + user, sid});
    }
    commands.append({"SET", "other:keep", "1"});
    auto replies = direct.pipeline(commands);
    QVERIFY(replies);
    for (const auto &reply : *replies)
        QVERIFY(!reply.isError());
}

void TestCliHa::seedCluster()
{
    using SessionDesk::Redis::Connection;
    const QList<int> owners = m_cluster.slotOwners();
    std::vector<std::unique_ptr<Connection>> nodes;
    for (int i = 0; i < m_cluster.size(); ++i) {
        nodes.push_back(std::make_unique<Connection>(
            *SessionDesk::StoreConfig::fromUrl(m_cluster.node(i).url())));
        QVERIFY(nodes.back()->command({"FLUSHALL"}));
    }
    const auto put = [&](const SessionDesk::Redis::Command &command) {
        auto reply = nodes.at(size_t(owners.at(SessionDesk::Redis::keySlot(command.at(1)))))
                         ->command(command);
        QVERIFY(reply && !reply->isError());
    };
    for (int i = 0; i < 30; ++i) {
        const QByteArray sid = "c" + QByteArray::number(i);
        const QByteArray user = "user" + QByteArray::number(i % 3);
        put({"SET", "sess:" + sid, session(user), "EX", "3600"});
        put({"SADD", "user-sessions:" + user, sid});
    }
    put({"SET", "other:keep", "1"});
}

void TestCliHa::init()
{
    QFile::remove(m_auditPath);
    seedSentinel();
    seedCluster();
}

void TestCliHa::usageErrorsExitTwo_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentions");
    const auto store = [](const QString &url) { return QStringList{u"--store"_s, url, u"info"_s}; };
    QTest::newRow("sentinel without master")
        << store(u"redis-sentinel://127.0.0.1:1"_s) << u"master"_s;
    QTest::newRow("sentinel empty host entry")
        << store(u"redis-sentinel://a:1,,b:2/m"_s) << u"empty"_s;
    QTest::newRow("sentinel bad port") << store(u"redis-sentinel://a:99999/m"_s) << u"port"_s;
    QTest::newRow("sentinel bad db") << store(u"redis-sentinel://a/m/x"_s) << u"database"_s;
    QTest::newRow("cluster without host") << store(u"redis-cluster://"_s) << u"host"_s;
    QTest::newRow("cluster other database") << store(u"redis-cluster://a:1/2"_s) << u"database 0"_s;
    QTest::newRow("cluster bare ipv6") << store(u"rediss-cluster://::1:7000"_s) << u"brackets"_s;
    QTest::newRow("cluster duplicate") << store(u"redis-cluster://a:1,a:1"_s) << u"twice"_s;
    QTest::newRow("cluster query") << store(u"redis-cluster://a:1?x=y"_s) << u"options"_s;
    QTest::newRow("sentinel password on a plain url")
        << QStringList{u"--store"_s, u"redis://127.0.0.1:1"_s, u"--sentinel-password"_s, u"x"_s,
                       u"info"_s}
        << u"redis-sentinel://"_s;
    QTest::newRow("sentinel user on a cluster url")
        << QStringList{u"--store"_s, u"redis-cluster://127.0.0.1:1"_s, u"--sentinel-user"_s, u"x"_s,
                       u"info"_s}
        << u"redis-sentinel://"_s;
    QTest::newRow("host map on a sentinel url")
        << QStringList{u"--store"_s, u"redis-sentinel://127.0.0.1:1/m"_s, u"--cluster-host-map"_s,
                       u"a=b"_s, u"info"_s}
        << u"redis-cluster://"_s;
    QTest::newRow("host map without equals")
        << QStringList{u"--store"_s, u"redis-cluster://127.0.0.1:1"_s, u"--cluster-host-map"_s,
                       u"10.0.0.1"_s, u"info"_s}
        << u"ANNOUNCED=REACHABLE"_s;
    QTest::newRow("host map port on one side")
        << QStringList{u"--store"_s, u"redis-cluster://127.0.0.1:1"_s, u"--cluster-host-map"_s,
                       u"10.0.0.1=127.0.0.1:7000"_s, u"info"_s}
        << u"announced port"_s;
    QTest::newRow("tls options on redis-cluster://")
        << QStringList{u"--store"_s, u"redis-cluster://127.0.0.1:1"_s, u"--tls-insecure"_s,
                       u"info"_s}
        << u"rediss-cluster://"_s;
}

void TestCliHa::usageErrorsExitTwo()
{
    QFETCH(QStringList, args);
    QFETCH(QString, mentions);
    const Run run = cli(args);
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.oneLineError(), run.err.constData());
    QVERIFY2(QString::fromUtf8(run.err).contains(mentions), run.err.constData());
    QVERIFY(run.out.isEmpty());
}

void TestCliHa::sentinelEndToEnd()
{
    const Run info = cli(sentinelStore() + QStringList{u"--json"_s, u"info"_s});
    QCOMPARE(info.exitCode, 0);
    const QJsonObject object = info.json().object();
    QCOMPARE(object[u"target"_s].toString(), u"sentinel:mymaster/0"_s);
    QCOMPARE(object[u"sessions"_s].toInt(), 3);
    const int master = m_sentinel.masterIndex();
    QCOMPARE(
        factDisplay(object, u"redis.server.mode"),
        u"sentinel: master \"mymaster\" at 127.0.0.1:%1"_s.arg(m_sentinel.data(master).port()));

    const Run users = cli(sentinelStore() + QStringList{u"--json"_s, u"users"_s});
    QCOMPARE(users.exitCode, 0);
    QCOMPARE(users.json().array().first().toObject()[u"user"_s].toString(), u"ann"_s);
    QCOMPARE(users.json().array().first().toObject()[u"sessions"_s].toInt(), 2);

    const Run show = cli(sentinelStore() + QStringList{u"show"_s, u"a1"_s});
    QCOMPARE(show.exitCode, 0);
    QVERIFY(!show.out.contains("at-ann")); // masked

    const Run logout = cli(sentinelStore() + QStringList{u"logout-user"_s, u"ben"_s});
    QCOMPARE(logout.exitCode, 0);
    QVERIFY2(logout.out.contains("1 session revoked"), logout.out.constData());

    const Run dry = cli(sentinelStore() + QStringList{u"destroy-all"_s, u"--dry-run"_s});
    QCOMPARE(dry.exitCode, 0);
    QVERIFY2(dry.out.contains("Would destroy 2 sessions and 1 user index keys in "
                              "sentinel:mymaster/0"),
             dry.out.constData());
    QVERIFY(dry.out.contains("destroy-all --confirm sentinel:mymaster/0"));

    const Run wrong =
        cli(sentinelStore() + QStringList{u"destroy-all"_s, u"--confirm"_s, u"sentinel:other/0"_s});
    QCOMPARE(wrong.exitCode, 4);
    QCOMPARE(m_sentinel.data(master).cli({u"DBSIZE"_s}).trimmed(), QByteArray("4"));

    const Run destroyed =
        cli(sentinelStore()
            + QStringList{u"--json"_s, u"destroy-all"_s, u"--confirm"_s, u"sentinel:mymaster/0"_s});
    QCOMPARE(destroyed.exitCode, 0);
    const QJsonObject report = destroyed.json().object();
    QCOMPARE(report[u"destroyed"_s].toInt(), 2);
    QCOMPARE(report[u"unconfirmed"_s].toInt(), 0);
    QCOMPARE(report[u"index_keys"_s].toInt(), 1);
    QCOMPARE(m_sentinel.data(master).cli({u"DBSIZE"_s}).trimmed(), QByteArray("1"));
    QCOMPARE(m_sentinel.data(master).cli({u"GET"_s, u"other:keep"_s}).trimmed(), QByteArray("1"));

    // Every change is in the audit log, under the target name.
    QFile audit(m_auditPath);
    QVERIFY(audit.open(QIODevice::ReadOnly));
    const QByteArray records = audit.readAll();
    QVERIFY(records.contains("sentinel:mymaster/0"));
    QVERIFY(records.contains("logout"));
    const SessionDesk::AuditLog log(m_auditPath);
    QVERIFY2(log.verify().intact(), qPrintable(log.verify().summary()));
    // The logout and the destroy-all; the refused confirmation changed nothing.
    QCOMPARE(log.entries()->size(), 2);
}

void TestCliHa::sentinelCredentialsFromEnvironmentOrFlag()
{
    const QStringList withoutPassword{u"--store"_s, m_sentinel.url(), u"info"_s};
    const Run refused = cli(withoutPassword);
    QCOMPARE(refused.exitCode, 1);
    QVERIFY2(refused.oneLineError(), refused.err.constData());
    QVERIFY2(refused.err.contains("--sentinel-password"), refused.err.constData());

    const Run fromEnvironment =
        cli(withoutPassword, {{u"SESSIONDESK_SENTINEL_PASSWORD"_s, kSentinelPassword}});
    QCOMPARE(fromEnvironment.exitCode, 0);
    QVERIFY(fromEnvironment.out.contains("sentinel:mymaster/0"));

    const Run wrong = cli(QStringList{u"--sentinel-password"_s, u"nope"_s} + withoutPassword);
    QCOMPARE(wrong.exitCode, 1);
    QVERIFY2(!wrong.err.contains("nope"), wrong.err.constData());
    QVERIFY(!wrong.err.contains(kSentinelPassword.toUtf8()));
}

void TestCliHa::clusterEndToEnd()
{
    const QString target = u"cluster:127.0.0.1:%1,127.0.0.1:%2"_s.arg(m_cluster.node(0).port())
                               .arg(m_cluster.node(1).port());
    const Run info = cli(clusterStore() + QStringList{u"--json"_s, u"info"_s});
    QCOMPARE(info.exitCode, 0);
    const QJsonObject object = info.json().object();
    QCOMPARE(object[u"target"_s].toString(), target);
    QCOMPARE(object[u"sessions"_s].toInt(), 30);
    QCOMPARE(object[u"keys_in_database"_s].toInt(), 30 + 3 + 1);
    QCOMPARE(factDisplay(object, u"redis.server.mode"), u"cluster: 3 masters"_s);

    const Run sessions =
        cli(clusterStore() + QStringList{u"--json"_s, u"sessions"_s, u"--user"_s, u"user1"_s});
    QCOMPARE(sessions.exitCode, 0);
    QCOMPARE(sessions.json().array().size(), 10);

    const Run revoke = cli(clusterStore() + QStringList{u"revoke"_s, u"c0"_s, u"c1"_s, u"c2"_s});
    QCOMPARE(revoke.exitCode, 0);
    QCOMPARE(revoke.out.count("revoked"), 3);

    const Run dry = cli(clusterStore() + QStringList{u"destroy-all"_s, u"--dry-run"_s});
    QCOMPARE(dry.exitCode, 0);
    QVERIFY2(dry.out.contains(QByteArray("Would destroy 27 sessions and 3 user index keys in "
                                         + target.toUtf8())),
             dry.out.constData());
    const Run wrong =
        cli(clusterStore() + QStringList{u"destroy-all"_s, u"--confirm"_s, u"cluster"_s});
    QCOMPARE(wrong.exitCode, 4);

    const Run destroyed =
        cli(clusterStore() + QStringList{u"destroy-all"_s, u"--confirm"_s, target});
    QCOMPARE(destroyed.exitCode, 0);
    QVERIFY2(destroyed.out.contains("Destroyed 27 of 27 sessions and 3 user index keys"),
             destroyed.out.constData());
    qint64 left = 0;
    for (int i = 0; i < m_cluster.size(); ++i)
        left += m_cluster.node(i).cli({u"DBSIZE"_s}).trimmed().toLongLong();
    QCOMPARE(left, 1);
    QCOMPARE(m_cluster.node(0).cli({u"-c"_s, u"GET"_s, u"other:keep"_s}).trimmed(),
             QByteArray("1"));
}

void TestCliHa::pausedMasterTimesOutInOneSentence()
{
    SessionDesk::Test::RedisServer &master = m_sentinel.data(m_sentinel.masterIndex());
    master.pause();
    const Run run = cli(sentinelStore()
                        + QStringList{u"--timeout"_s, u"0.5"_s, u"destroy-all"_s, u"--confirm"_s,
                                      u"sentinel:mymaster/0"_s});
    master.resume();
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(run.oneLineError(), run.err.constData());
    QVERIFY2(run.err.contains(QByteArray("127.0.0.1:" + QByteArray::number(master.port()))),
             run.err.constData());
    QVERIFY(!run.out.contains("Destroyed"));
    QCOMPARE(master.cli({u"DBSIZE"_s}).trimmed(), QByteArray("6"));
}

QTEST_GUILESS_MAIN(TestCliHa)
#include "tst_cli_ha.moc"
