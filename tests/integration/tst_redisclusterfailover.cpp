// A Redis Cluster master fails over to its replica while the store scans or walks its slots:
// an operator's failover (CLUSTER FAILOVER TAKEOVER) during destroy-all and users, and before
// an idle store's logout-user; the master killed during destroy-all and taken over after the
// cluster's node timeout; and at last a master killed with no replica left. The store must go
// on with the new master and count every session exactly once (a delete whose answer was lost
// as unconfirmed), or stop with a report of what it did, and touch nothing outside the layout.
// Real servers: 3 masters and a replica of master 0, on loopback; one more such cluster with
// TLS on every link for a failover under rediss-cluster.

#include "redis/redisconnection.h"
#include "redis/redissessionstore.h"
#include "redisha.h"
#include "tlsmaterial.h"

#include <QTest>

using namespace SessionDesk;
using SessionDesk::Redis::Command;
using SessionDesk::Redis::Connection;
using SessionDesk::Redis::keySlot;
using SessionDesk::Test::RedisCluster;

namespace {

const QString kIndex = QStringLiteral("user-sessions:{user}");
constexpr int kSessions = 3000;
constexpr int kUsers = 30;

const QList<QPair<QByteArray, QByteArray>> kOutsiders = {
    {"other:keep", "1"}, {"sessx", "2"}, {"cache:sess:1", "3"}};

// A progress callback that calls `act` once, at the first tick whose `count` reaches 500 (a
// sixth of the run), and sets `*acted`.
ProgressCallback at500(qint64 Progress::*count, bool *acted, std::function<void()> act)
{
    return [=](const Progress &p) {
        if (!*acted && p.*count >= 500) {
            *acted = true;
            act();
        }
    };
}

} // namespace

class TestRedisClusterFailover final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void destroyAllGoesOnWithTheNewMaster_data();
    void destroyAllGoesOnWithTheNewMaster();
    void usersCountEverySessionOnceAcrossAFailover_data();
    void usersCountEverySessionOnceAcrossAFailover();
    void idleStoreLogsOutOnTheNewMaster();
    void destroyAllFollowsAFailoverOverTls();
    void destroyAllGoesOnWhenAMasterIsKilled(); // then the pair has no replica
    void destroyAllReportsWhatItDidWhenSlotsLoseTheirMaster(); // then the cluster is down

private:
    // The node of the pair (0, the replica) that is a replica now, or -1.
    int replicaNow();
    // The node of the pair that is a master now (alive).
    int pairMasterNow();
    Connection &direct(int node) { return *m_direct.at(size_t(node)); }
    HostPort address(int node)
    {
        return HostPort{QStringLiteral("127.0.0.1"), m_cluster.node(node).port()};
    }
    // Runs `commands` on the master of each key's slot.
    void put(const QList<Command> &commands);
    // Keys matching `pattern` on one node (SCAN, which a cluster that is down still answers),
    // and on all the masters alive.
    qint64 keysOn(int node, const QByteArray &pattern);
    qint64 countKeys(const QByteArray &pattern);
    // GET from the master of the key's slot.
    QByteArray get(const QByteArray &key);
    std::unique_ptr<Redis::SessionStore> store(const QString &index, int walkMinimum);

    RedisCluster m_cluster;
    std::vector<std::unique_ptr<Connection>> m_direct; // one per node, for set-up and checks
    int m_pairReplica = 3; // index of master 0's replica in the cluster
};

void TestRedisClusterFailover::initTestCase()
{
    RedisCluster::Options options;
    options.replicaOfFirst = true;
    QVERIFY2(m_cluster.start(options), qPrintable(m_cluster.errorString()));
    m_pairReplica = m_cluster.size() - 1;
    for (int i = 0; i < m_cluster.size(); ++i) {
        auto config = StoreConfig::fromUrl(m_cluster.node(i).url());
        m_direct.push_back(std::make_unique<Connection>(*config));
        QVERIFY(m_direct.back()->open());
    }
}

int TestRedisClusterFailover::replicaNow()
{
    for (const int node : {0, m_pairReplica}) {
        if (!m_cluster.node(node).isRunning())
            continue;
        const auto role = direct(node).command({"ROLE"});
        if (role && !role->elements.isEmpty() && role->elements.first().string == "slave")
            return node;
    }
    return -1;
}

int TestRedisClusterFailover::pairMasterNow()
{
    const int replica = replicaNow();
    if (replica >= 0)
        return replica == 0 ? m_pairReplica : 0;
    return m_cluster.node(0).isRunning() ? 0 : m_pairReplica;
}

void TestRedisClusterFailover::init()
{
    // The masters alive only: a replica refuses writes and follows its master.
    const int replica = replicaNow();
    for (int i = 0; i < m_cluster.size(); ++i) {
        if (i != replica && m_cluster.node(i).isRunning())
            QVERIFY(direct(i).command({"FLUSHALL"}));
    }
    // Sessions spread over every master, and a per-user index: user u has sessions u, u + 30,
    // u + 60, ...
    QList<Command> commands;
    for (int i = 0; i < kSessions; ++i) {
        const QByteArray sid = "f" + QByteArray::number(i);
        const QByteArray user = "user-" + QByteArray::number(i % kUsers);
        commands.append({"SET", "sess:" + sid, R"({"cookie":{},"user_id":")" + user + R"("})"});
        commands.append({"SADD", "user-sessions:" + user, sid});
    }
    for (const auto &[key, value] : kOutsiders)
        commands.append({"SET", key, value});
    put(commands);
    // Everything written must be on the replica before it takes over.
    QVERIFY(replica < 0
            || QTest::qWaitFor(
                [&] {
                    const auto size = direct(replica).command({"DBSIZE"});
                    const auto masterSize = direct(pairMasterNow()).command({"DBSIZE"});
                    return size && masterSize && size->integer == masterSize->integer;
                },
                10000));
}

void TestRedisClusterFailover::put(const QList<Command> &commands)
{
    const QList<int> owners = m_cluster.slotOwners(1); // node 1: a master outside the pair
    std::vector<QList<Command>> perNode(size_t(m_cluster.size()));
    for (const Command &command : commands) {
        const int owner = owners.at(keySlot(command.at(1)));
        QVERIFY2(owner >= 0, "a slot has no master");
        perNode[size_t(owner)].append(command);
    }
    for (int node = 0; node < m_cluster.size(); ++node) {
        if (perNode[size_t(node)].isEmpty())
            continue;
        auto replies = direct(node).pipeline(perNode[size_t(node)]);
        QVERIFY2(replies, replies ? "" : qPrintable(replies.error().message));
        for (const auto &reply : *replies)
            QVERIFY2(!reply.isError(), reply.string.constData());
    }
}

QByteArray TestRedisClusterFailover::get(const QByteArray &key)
{
    const QList<int> owners = m_cluster.slotOwners(1);
    auto reply = direct(owners.at(keySlot(key))).command({"GET", key});
    return reply ? reply->string : QByteArray("(no reply)");
}

qint64 TestRedisClusterFailover::keysOn(int node, const QByteArray &pattern)
{
    qint64 count = 0;
    QByteArray cursor = "0";
    do {
        auto reply = direct(node).command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
        if (!reply || reply->elements.size() != 2)
            return -1;
        cursor = reply->elements.at(0).string;
        count += reply->elements.at(1).elements.size();
    } while (cursor != "0");
    return count;
}

qint64 TestRedisClusterFailover::countKeys(const QByteArray &pattern)
{
    // On the masters of now (a replica holds copies).
    const int replica = replicaNow();
    qint64 count = 0;
    for (int i = 0; i < m_cluster.size(); ++i) {
        if (i != replica && m_cluster.node(i).isRunning())
            count += keysOn(i, pattern);
    }
    return count;
}

std::unique_ptr<Redis::SessionStore> TestRedisClusterFailover::store(const QString &index,
                                                                     int walkMinimum)
{
    StoreConfig config = *StoreConfig::fromUrl(m_cluster.url());
    config.commandTimeoutMs = 15000;
    SessionLayout layout = *SessionLayout::preset(QStringLiteral("connect-redis"));
    layout.userIndexPattern = index;
    auto s = std::make_unique<Redis::SessionStore>(config, layout);
    s->setBatchSize(50);
    s->router().setSlotWalkMinimum(walkMinimum);
    const auto connected = s->connect();
    if (!connected)
        qWarning() << connected.error().message;
    return s;
}

void TestRedisClusterFailover::destroyAllGoesOnWithTheNewMaster_data()
{
    // 3000 sessions on 16384 slots are about 0.2 a slot: scanned by default, walked when the
    // walk's threshold is 0.
    QTest::addColumn<int>("walkMinimum");
    QTest::newRow("scan") << 4;
    QTest::newRow("slot walk") << 0;
}

void TestRedisClusterFailover::destroyAllGoesOnWithTheNewMaster()
{
    QFETCH(int, walkMinimum);
    const int replica = replicaNow();
    QVERIFY(replica >= 0);
    const int master = pairMasterNow();
    auto s = store(kIndex, walkMinimum);
    bool failedOver = false;
    auto report = s->destroyAll(
        false,
        at500(&Progress::destroyed, &failedOver,
              [&] { QVERIFY2(m_cluster.failover(replica), qPrintable(m_cluster.errorString())); }),
        {});
    QVERIFY(failedOver);
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    QVERIFY2(report->abortReason.isEmpty(), qPrintable(report->abortReason));
    QCOMPARE(replicaNow(), master); // the roles did swap
    // The store followed: the new master in its map, the old one gone from it.
    QVERIFY(s->router().masters().contains(address(replica)));
    QVERIFY(!s->router().masters().contains(address(master)));
    QCOMPARE(report->matched, kSessions);
    // The switch came while the store waited in its progress callback, its connections open:
    // no answer was lost. A session met again on the new master (a delete not replicated in
    // time) is deleted again and keeps its one confirmed outcome.
    QCOMPARE(report->destroyed, kSessions);
    QCOMPARE(report->unconfirmed, 0);
    QCOMPARE(report->failed, 0);
    QCOMPARE(report->indexKeysDestroyed, kUsers);
    QCOMPARE(countKeys("sess:*"), 0);
    QCOMPARE(countKeys("user-sessions:*"), 0);
    for (const auto &[key, value] : kOutsiders)
        QCOMPARE(get(key), value);
}

void TestRedisClusterFailover::usersCountEverySessionOnceAcrossAFailover_data()
{
    destroyAllGoesOnWithTheNewMaster_data();
}

void TestRedisClusterFailover::usersCountEverySessionOnceAcrossAFailover()
{
    QFETCH(int, walkMinimum);
    const int replica = replicaNow();
    QVERIFY(replica >= 0);
    const int master = pairMasterNow();
    auto s = store(QString(), walkMinimum);
    bool failedOver = false;
    auto users = s->listUsers(
        at500(&Progress::examined, &failedOver,
              [&] { QVERIFY2(m_cluster.failover(replica), qPrintable(m_cluster.errorString())); }),
        {});
    QVERIFY(failedOver);
    QVERIFY2(users, users ? "" : qPrintable(users.error().message));
    QCOMPARE(replicaNow(), master);
    QVERIFY(s->router().masters().contains(address(replica)));
    QVERIFY(!s->router().masters().contains(address(master)));
    QCOMPARE(users->sessionsExamined, kSessions);
    QCOMPARE(users->users.size(), kUsers);
    for (const UserSummary &user : users->users)
        QCOMPARE(user.sessions, kSessions / kUsers);
    // Read-only: nothing went.
    QCOMPARE(countKeys("sess:*"), kSessions);
}

void TestRedisClusterFailover::idleStoreLogsOutOnTheNewMaster()
{
    // A store that learnt the slot map before the failover and said nothing since: its
    // logout-user must reach the new master (the demoted one redirects it) and revoke every
    // session of the user, once. (The demoted master's commandstats cannot tell: it runs the
    // new master's deletes as their replica.)
    const int replica = replicaNow();
    QVERIFY(replica >= 0);
    const int master = pairMasterNow();
    auto idle = store(kIndex, 4);
    QVERIFY2(m_cluster.failover(replica), qPrintable(m_cluster.errorString()));
    auto logout = idle->logoutUser(QStringLiteral("user-7"), {}, {});
    QVERIFY2(logout, logout ? "" : qPrintable(logout.error().message));
    QCOMPARE(logout->revoked.size(), kSessions / kUsers);
    QVERIFY(logout->notFound.isEmpty());
    QCOMPARE(countKeys("sess:*"), kSessions - kSessions / kUsers);
    QCOMPARE(countKeys("user-sessions:user-7"), 0);
    QCOMPARE(countKeys("user-sessions:*"), kUsers - 1);
    QCOMPARE(replicaNow(), master);
    QVERIFY(idle->router().masters().contains(address(replica)));
}

void TestRedisClusterFailover::destroyAllFollowsAFailoverOverTls()
{
    // rediss-cluster: the store reaches the new master over TLS too, verifying its
    // certificate against the CA it was given.
    Test::TlsMaterial tls;
    QVERIFY2(tls.generate(), qPrintable(tls.errorString()));
    RedisCluster secure;
    RedisCluster::Options options;
    options.tls = {tls.serverCert(), tls.serverKey(), tls.caCert()};
    options.replicaOfFirst = true;
    QVERIFY2(secure.start(options), qPrintable(secure.errorString()));
    const int replica = secure.size() - 1;
    StoreConfig config = *StoreConfig::fromUrl(secure.url());
    QVERIFY(config.tls.enabled);
    config.tls.caFile = tls.caCert();
    config.commandTimeoutMs = 15000;
    // Sessions written through a router as an application would (the tool's own routers
    // refuse writes other than deletes).
    Redis::Router writer(config);
    writer.setToolCommandsOnly(false);
    QVERIFY(writer.open());
    QList<Command> sessions;
    for (int i = 0; i < kSessions; ++i)
        sessions.append({"SET", "sess:t" + QByteArray::number(i), R"({"user_id":"tess"})"});
    auto written = writer.run(sessions);
    QVERIFY2(written, written ? "" : qPrintable(written.error().message));
    const auto size = [&](int node) {
        return secure.node(node).cli({QStringLiteral("DBSIZE")}).trimmed().toLongLong();
    };
    QVERIFY(QTest::qWaitFor([&] { return size(0) > 0 && size(replica) == size(0); }, 10000));

    Redis::SessionStore s(config, *SessionLayout::preset(QStringLiteral("connect-redis")));
    s.setBatchSize(50);
    QVERIFY(s.connect());
    bool failedOver = false;
    auto report = s.destroyAll(
        false,
        at500(&Progress::destroyed, &failedOver,
              [&] { QVERIFY2(secure.failover(replica), qPrintable(secure.errorString())); }),
        {});
    QVERIFY(failedOver);
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    QVERIFY2(report->abortReason.isEmpty(), qPrintable(report->abortReason));
    QCOMPARE(report->destroyed, kSessions);
    QCOMPARE(report->unconfirmed, 0);
    QVERIFY(s.router().masters().contains(
        HostPort{QStringLiteral("127.0.0.1"), secure.node(replica).port()}));
    for (const int node : {1, 2, replica})
        QCOMPARE(size(node), 0);
}

void TestRedisClusterFailover::destroyAllGoesOnWhenAMasterIsKilled()
{
    // The master of the pair dies (SIGKILL) in the middle of the walk; after the cluster's node
    // timeout the other masters mark it failed and its replica takes over. Replication is
    // asynchronous, so deletes the dead master had answered may be missing on the new one:
    // those sessions are met again there and deleted again, counted once.
    const int replica = replicaNow();
    QVERIFY(replica >= 0);
    const int master = pairMasterNow();
    auto s = store(kIndex, 0);
    bool killed = false;
    auto report = s->destroyAll(
        false, at500(&Progress::destroyed, &killed, [&] { m_cluster.node(master).kill(); }), {});
    QVERIFY(killed);
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    QVERIFY2(report->abortReason.isEmpty(), qPrintable(report->abortReason));
    QVERIFY(s->router().masters().contains(address(replica)));
    QVERIFY(!s->router().masters().contains(address(master)));
    QCOMPARE(report->matched, kSessions);
    // The batch in flight when the master died lost its answers: the deletes of it that had
    // taken effect (and replicated) answer 0 on the new master, so they are unconfirmed.
    QCOMPARE(report->destroyed + report->unconfirmed, kSessions);
    QVERIFY2(report->unconfirmed <= 200, qPrintable(QString::number(report->unconfirmed)));
    QCOMPARE(report->failed, 0);
    QCOMPARE(report->indexKeysDestroyed, kUsers);
    // Counted on the masters that are alive.
    qint64 left = 0;
    for (int i = 0; i < m_cluster.size(); ++i) {
        if (i == master)
            continue;
        const auto size = direct(i).command({"DBSIZE"});
        QVERIFY(size);
        left += size->integer;
    }
    QCOMPARE(left, qint64(kOutsiders.size()));
    for (const auto &[key, value] : kOutsiders) {
        // The dead master's slots are the replica's now.
        const QList<int> owners = m_cluster.slotOwners(replica);
        QCOMPARE(direct(owners.at(keySlot(key))).command({"GET", key})->string, value);
    }
}

void TestRedisClusterFailover::destroyAllReportsWhatItDidWhenSlotsLoseTheirMaster()
{
    // The pair's last node dies in the middle of destroy-all and nothing takes over its slots.
    // The run must stop and say why, with a report (not an error: sessions were destroyed)
    // whose count agrees with what the living masters lost, and leave everything else alone.
    QCOMPARE(replicaNow(), -1);
    const int doomed = pairMasterNow();
    QList<int> living;
    for (int i = 0; i < m_cluster.size(); ++i) {
        if (i != doomed && m_cluster.node(i).isRunning())
            living.append(i);
    }
    const auto sessionsOn = [&](int node) { return keysOn(node, "sess:*"); };
    qint64 livingBefore = 0;
    for (const int node : living)
        livingBefore += sessionsOn(node);
    const qint64 doomedBefore = sessionsOn(doomed);
    const auto outsidersOnLiving = [&] {
        qint64 found = 0;
        for (const auto &[key, value] : kOutsiders) {
            for (const int node : living)
                found += keysOn(node, key);
        }
        return found;
    };
    const qint64 outsidersBefore = outsidersOnLiving();
    QCOMPARE(livingBefore + doomedBefore, kSessions);

    StoreConfig config = *StoreConfig::fromUrl(m_cluster.url(2));
    config.commandTimeoutMs = 3000; // how long the store waits for the slots to be served
    Redis::SessionStore s(config, *SessionLayout::preset(QStringLiteral("connect-redis")));
    s.setBatchSize(50);
    s.router().setSlotWalkMinimum(0);
    QVERIFY(s.connect());
    bool killed = false;
    auto report = s.destroyAll(
        false, at500(&Progress::destroyed, &killed, [&] { m_cluster.node(doomed).kill(); }), {});
    QVERIFY(killed);
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    QVERIFY(!report->abortReason.isEmpty());
    QVERIFY(!report->cancelled);
    qint64 livingAfter = 0;
    for (const int node : living)
        livingAfter += sessionsOn(node);
    // Every delete on a living master is in the count; the rest were on the dead one.
    const qint64 destroyedOnLiving = livingBefore - livingAfter;
    QVERIFY2(report->destroyed >= destroyedOnLiving
                 && report->destroyed <= destroyedOnLiving + doomedBefore,
             qPrintable(QStringLiteral("%1 destroyed, %2 of them on living masters")
                            .arg(report->destroyed)
                            .arg(destroyedOnLiving)));
    QVERIFY(report->destroyed < kSessions);
    QCOMPARE(report->failed, 0);
    // Nothing outside the layout was touched where it can still be seen.
    QVERIFY(outsidersBefore > 0);
    QCOMPARE(outsidersOnLiving(), outsidersBefore);
}

QTEST_GUILESS_MAIN(TestRedisClusterFailover)
#include "tst_redisclusterfailover.moc"
