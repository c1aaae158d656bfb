// The Redis session store on a real 3-master Redis Cluster: the same operations as on one
// server (users, sessions, pages, per-user index whose keys live on other nodes than the
// sessions, revoke, logout-user, destroy-all with dry run and cancel), a slot migrated between
// two nodes while the store works (ASK, TRYAGAIN, then MOVED once the slot has moved), nodes
// that announce ports nobody listens on (--cluster-host-map), TLS on every link, and the
// mistakes of pointing a cluster URL at a single server and a plain URL at a cluster node.

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

QByteArray sessionJson(const QString &user)
{
    return R"({"cookie":{"originalMaxAge":7200000,"httpOnly":true,"path":"/"},"user_id":")"
        + user.toUtf8() + R"("})";
}

const QList<QPair<QByteArray, QByteArray>> kOutsiders = {
    {"other:keep", "1"}, {"sessx", "2"}, {"cache:sess:1", "3"}, {"SESS:upper", "4"}};

// INFO's "name:value" lines as a lookup.
QHash<QByteArray, QByteArray> infoFields(const QByteArray &info)
{
    QHash<QByteArray, QByteArray> fields;
    for (const QByteArray &line : info.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            fields.insert(line.left(colon), line.mid(colon + 1).trimmed());
    }
    return fields;
}

} // namespace

class TestRedisCluster final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void indexAndSessionKeysLiveOnDifferentNodes();
    void listsUsersAcrossMasters();
    void listsUsersSlotBySlot();
    void slotWalkScansWhereItCannotWalk();
    void slotWalkNoticesASlotThatMoved();
    void rateLimitedRunsWalkOnlySlotsThatFitARound();
    void slotWalkStartsAgainAfterAConnectionReset();
    void describeShowsClusterMode();
    void pagesCoverEveryMasterOnce();
    void userLookupsWithAndWithoutIndex();
    void revokeKeepsIndexConsistentAcrossNodes();
    void logoutUserAcrossNodes();
    void destroyAllDryRunChangesNothing();
    void destroyAllTouchesOnlyTheLayoutOnEveryNode_data();
    void destroyAllTouchesOnlyTheLayoutOnEveryNode();
    void destroyAllCancelReportsExactly();
    void followsAskTryAgainAndMovedDuringSlotMigration();
    void wrongUrlKindsAreNamed();
    void hostMapReachesNodesAnnouncingOtherPorts();
    void tlsOnEveryLink();

private:
    std::unique_ptr<Redis::SessionStore> store(const QString &index = QString(), int batch = 1000);
    Connection &nodeFor(const QByteArray &key);
    void put(const QList<Command> &commands);
    qint64 countKeys(const QByteArray &pattern);
    void verifyOutsidersIntact();
    void refreshOwners();
    void resetStats();
    qint64 calls(int node, const QByteArray &command);
    static qint64 sessionsOf(const UserList &list, const QString &user);

    RedisCluster m_cluster;
    std::vector<std::unique_ptr<Connection>> m_direct; // one per node, for set-up and checks
    QList<int> m_owners; // node index per slot
};

void TestRedisCluster::initTestCase()
{
    QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
    for (int i = 0; i < m_cluster.size(); ++i) {
        auto config = StoreConfig::fromUrl(m_cluster.node(i).url());
        m_direct.push_back(std::make_unique<Connection>(*config));
        QVERIFY(m_direct.back()->open());
    }
    refreshOwners();
}

void TestRedisCluster::refreshOwners()
{
    m_owners = m_cluster.slotOwners();
    QCOMPARE(m_owners.count(-1), 0);
}

void TestRedisCluster::init()
{
    // Each test starts from the same data set on every node; FLUSHALL is the test's own.
    for (auto &direct : m_direct)
        QVERIFY(direct->command({"FLUSHALL"}));
    QList<Command> commands;
    const QStringList users = {QStringLiteral("alice@example.org"),
                               QStringLiteral("bob@example.org"), QStringLiteral("carol")};
    const QList<int> counts = {3, 2, 1};
    for (int u = 0; u < users.size(); ++u) {
        for (int i = 0; i < counts.at(u); ++i) {
            const QByteArray sid = users.at(u).left(1).toUtf8() + "sid" + QByteArray::number(i);
            commands.append({"SET", "sess:" + sid, sessionJson(users.at(u)), "EX", "7200"});
            commands.append({"SADD", "user-sessions:" + users.at(u).toUtf8(), sid});
        }
    }
    for (const auto &[key, value] : kOutsiders)
        commands.append({"SET", key, value});
    put(commands);
}

std::unique_ptr<Redis::SessionStore> TestRedisCluster::store(const QString &index, int batch)
{
    StoreConfig config = *StoreConfig::fromUrl(m_cluster.url());
    config.commandTimeoutMs = 10000;
    SessionLayout layout = *SessionLayout::preset(QStringLiteral("connect-redis"));
    layout.userIndexPattern = index;
    auto s = std::make_unique<Redis::SessionStore>(config, layout);
    s->setBatchSize(batch);
    const auto connected = s->connect();
    if (!connected)
        qWarning() << connected.error().message;
    return s;
}

Connection &TestRedisCluster::nodeFor(const QByteArray &key)
{
    return *m_direct.at(size_t(m_owners.at(keySlot(key))));
}

void TestRedisCluster::put(const QList<Command> &commands)
{
    for (const Command &command : commands) {
        auto reply = nodeFor(command.at(1)).command(command);
        QVERIFY(reply);
        QVERIFY2(!reply->isError(), reply->string.constData());
    }
}

qint64 TestRedisCluster::countKeys(const QByteArray &pattern)
{
    qint64 count = 0;
    for (auto &direct : m_direct) {
        QByteArray cursor = "0";
        do {
            auto reply = direct->command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
            cursor = reply->elements.at(0).string;
            count += reply->elements.at(1).elements.size();
        } while (cursor != "0");
    }
    return count;
}

void TestRedisCluster::verifyOutsidersIntact()
{
    for (const auto &[key, value] : kOutsiders)
        QCOMPARE(nodeFor(key).command({"GET", key})->string, value);
}

void TestRedisCluster::indexAndSessionKeysLiveOnDifferentNodes()
{
    // The data set spreads over every node, and alice's index is not where all her sessions
    // are: lookups and clean-ups must cross nodes.
    QSet<int> nodes;
    for (const QByteArray key : {"sess:asid0", "sess:asid1", "sess:asid2"})
        nodes.insert(m_owners.at(keySlot(key)));
    QCOMPARE(nodes.size(), 3);
    const int indexNode = m_owners.at(keySlot("user-sessions:alice@example.org"));
    QVERIFY(m_owners.at(keySlot("sess:asid1")) != indexNode);
    for (auto &direct : m_direct)
        QVERIFY(direct->command({"DBSIZE"})->integer > 0);
}

void TestRedisCluster::listsUsersAcrossMasters()
{
    put({{"SET", "sess:anon", R"({"cookie":{}})"}});
    QList<Progress> seen;
    auto list = store(QString(), 2)->listUsers([&](const Progress &p) { seen.append(p); }, {});
    QVERIFY2(list, list ? "" : qPrintable(list.error().message));
    QCOMPARE(list->users.size(), 3);
    QCOMPARE(list->users.at(0).user, QStringLiteral("alice@example.org"));
    QCOMPARE(list->users.at(0).sessions, 3);
    QCOMPARE(list->users.at(1).sessions, 2);
    QCOMPARE(list->users.at(2).user, QStringLiteral("carol"));
    QCOMPARE(list->sessionsExamined, 7);
    QCOMPARE(list->sessionsWithoutUser, 1);
    // Progress is measured against every master's DBSIZE.
    QVERIFY(!seen.isEmpty());
    QCOMPARE(seen.last().total, 7 + 3 + kOutsiders.size());
}

void TestRedisCluster::resetStats()
{
    for (auto &direct : m_direct)
        QVERIFY(direct->command({"CONFIG", "RESETSTAT"}));
}

// Calls of `command` ("scan", "cluster|getkeysinslot") on a node since resetStats().
qint64 TestRedisCluster::calls(int node, const QByteArray &command)
{
    const auto stats =
        infoFields(m_direct.at(size_t(node))->command({"INFO", "commandstats"})->string);
    const QByteArray entry = stats.value("cmdstat_" + command); // "calls=N,usec=..."
    return entry.isEmpty() ? 0 : entry.mid(6, entry.indexOf(',') - 6).toLongLong();
}

qint64 TestRedisCluster::sessionsOf(const UserList &list, const QString &user)
{
    for (const UserSummary &summary : list.users) {
        if (summary.user == user)
            return summary.sessions;
    }
    return 0;
}

void TestRedisCluster::listsUsersSlotBySlot()
{
    // A cluster store with enough keys per slot is read slot by slot: CLUSTER GETKEYSINSLOT
    // and an MGET per slot instead of SCAN and a GET per key. Forced here on the small data
    // set, the walk finds what SCAN finds.
    put({{"SET", "sess:anon", R"({"cookie":{}})"}});
    auto scanned = store(QString(), 16)->listUsers({}, {});
    QVERIFY(scanned);
    resetStats();
    auto s = store(QString(), 16);
    s->router().setSlotWalkMinimum(0);
    QList<Progress> seen;
    auto walked = s->listUsers([&](const Progress &p) { seen.append(p); }, {});
    QVERIFY2(walked, walked ? "" : qPrintable(walked.error().message));
    QCOMPARE(walked->users.size(), scanned->users.size());
    for (qsizetype i = 0; i < walked->users.size(); ++i) {
        QCOMPARE(walked->users.at(i).user, scanned->users.at(i).user);
        QCOMPARE(walked->users.at(i).sessions, scanned->users.at(i).sessions);
    }
    QCOMPARE(walked->sessionsExamined, 7);
    QCOMPARE(walked->sessionsWithoutUser, 1);
    // Every slot was walked once, on its master, and nothing was scanned.
    for (int node = 0; node < m_cluster.size(); ++node) {
        QCOMPARE(calls(node, "cluster|getkeysinslot"), m_owners.count(node));
        QCOMPARE(calls(node, "scan"), 0);
    }
    QVERIFY(seen.size() > 3);
    QCOMPARE(seen.last().examined, seen.last().total);
}

void TestRedisCluster::slotWalkScansWhereItCannotWalk()
{
    // A slot with more keys than one GETKEYSINSLOT may return: its master is scanned instead,
    // the other two are walked.
    const int bigSlot = keySlot("big");
    const int bigNode = m_owners.at(bigSlot);
    QList<Command> many;
    for (int i = 0; i < 5001; ++i)
        many.append(
            {"SET", "sess:{big}" + QByteArray::number(i), sessionJson(QStringLiteral("dave"))});
    auto stored = nodeFor("big").pipeline(many);
    QVERIFY(stored);
    resetStats();
    auto s = store(QString(), 200);
    s->router().setSlotWalkMinimum(0);
    auto list = s->listUsers({}, {});
    QVERIFY2(list, list ? "" : qPrintable(list.error().message));
    QCOMPARE(sessionsOf(*list, QStringLiteral("dave")), 5001);
    QCOMPARE(sessionsOf(*list, QStringLiteral("alice@example.org")), 3);
    QCOMPARE(list->sessionsExamined, 5001 + 6);
    for (int node = 0; node < m_cluster.size(); ++node) {
        QCOMPARE(calls(node, "scan") > 0, node == bigNode);
        QVERIFY(calls(node, "cluster|getkeysinslot") > 0);
    }

    // A user whose ACL refuses GETKEYSINSLOT: every master is scanned, nothing is missed.
    for (auto &direct : m_direct) {
        auto created = direct->command({"ACL", "SETUSER", "no-walk", "on", ">no-walk-pw", "~*",
                                        "&*", "+@all", "-cluster|getkeysinslot"});
        QVERIFY(created && !created->isError());
    }
    resetStats();
    StoreConfig config = *StoreConfig::fromUrl(m_cluster.url());
    config.username = QStringLiteral("no-walk");
    config.password = QStringLiteral("no-walk-pw");
    Redis::SessionStore limited(config, *SessionLayout::preset(QStringLiteral("connect-redis")));
    limited.router().setSlotWalkMinimum(0);
    QVERIFY(limited.connect());
    auto refused = limited.listUsers({}, {});
    for (auto &direct : m_direct)
        QVERIFY(direct->command({"ACL", "DELUSER", "no-walk"}));
    QVERIFY2(refused, refused ? "" : qPrintable(refused.error().message));
    QCOMPARE(sessionsOf(*refused, QStringLiteral("dave")), 5001);
    QCOMPARE(refused->sessionsExamined, 5001 + 6);
    for (int node = 0; node < m_cluster.size(); ++node)
        QVERIFY(calls(node, "scan") > 0);
}

void TestRedisCluster::slotWalkNoticesASlotThatMoved()
{
    // While the masters are walked, the last slot of node 0 moves to node 1 with its keys,
    // before node 0's walk reaches it. Node 0 then no longer serves it (its last CLUSTER NODES
    // says so) and node 1 serves a slot its walk did not have: both are scanned again, and
    // the moved sessions are counted once.
    const int slot = int(m_owners.lastIndexOf(0));
    const int target = 1;
    QByteArray tag;
    for (int i = 0; tag.isEmpty(); ++i) {
        const QByteArray candidate = "t" + QByteArray::number(i);
        if (keySlot(candidate) == slot)
            tag = candidate;
    }
    QList<Command> moving;
    QList<QByteArray> keys;
    for (int i = 0; i < 5; ++i) {
        keys.append("sess:{" + tag + "}" + QByteArray::number(i));
        moving.append({"SET", keys.last(), sessionJson(QStringLiteral("sam"))});
    }
    put(moving);
    auto s = store(QString(), 16);
    s->router().setSlotWalkMinimum(0);
    bool moved = false;
    QString moveError;
    auto list = s->listUsers(
        [&](const Progress &) {
            if (moved)
                return;
            moved = true;
            Connection &from = *m_direct.at(0);
            Connection &to = *m_direct.at(size_t(target));
            const QByteArray slotText = QByteArray::number(slot);
            to.command({"CLUSTER", "SETSLOT", slotText, "IMPORTING", m_cluster.nodeId(0)});
            from.command({"CLUSTER", "SETSLOT", slotText, "MIGRATING", m_cluster.nodeId(target)});
            Command migrate{
                "MIGRATE", "127.0.0.1", QByteArray::number(m_cluster.node(target).port()), "", "0",
                "5000",    "KEYS"};
            migrate.append(keys);
            from.command(migrate);
            if (!m_cluster.assignSlot(slot, target))
                moveError = m_cluster.errorString();
        },
        {});
    QVERIFY2(moveError.isEmpty(), qPrintable(moveError));
    refreshOwners();
    QCOMPARE(m_owners.at(slot), target);
    QVERIFY2(list, list ? "" : qPrintable(list.error().message));
    QCOMPARE(sessionsOf(*list, QStringLiteral("sam")), 5);
    QCOMPARE(sessionsOf(*list, QStringLiteral("alice@example.org")), 3);
    QCOMPARE(list->sessionsExamined, 5 + 6);
    // The slot goes back, empty, for the tests after this one.
    for (const QByteArray &key : std::as_const(keys))
        QVERIFY(m_direct.at(size_t(target))->command({"UNLINK", key}));
    QVERIFY2(m_cluster.assignSlot(slot, 0), qPrintable(m_cluster.errorString()));
    refreshOwners();
}

void TestRedisCluster::slotWalkStartsAgainAfterAConnectionReset()
{
    // Node 1 drops the store's connection while its slots are walked: the store reconnects,
    // walks that master again from its first slot, and counts every session once.
    resetStats();
    auto s = store(QString(), 16);
    s->router().setSlotWalkMinimum(0);
    int ticks = 0;
    qint64 killed = 0;
    auto list = s->listUsers(
        [&](const Progress &) {
            if (++ticks == 5) {
                auto reply = m_direct.at(1)->command({"CLIENT", "KILL", "TYPE", "normal"});
                killed = reply ? reply->integer : -1;
            }
        },
        {});
    QVERIFY(killed >= 1); // the store's (and any connection of an earlier test still closing)
    QVERIFY2(list, list ? "" : qPrintable(list.error().message));
    QCOMPARE(sessionsOf(*list, QStringLiteral("alice@example.org")), 3);
    QCOMPARE(sessionsOf(*list, QStringLiteral("bob@example.org")), 2);
    QCOMPARE(sessionsOf(*list, QStringLiteral("carol")), 1);
    QCOMPARE(list->sessionsExamined, 6);
    QVERIFY(calls(1, "cluster|getkeysinslot") > m_owners.count(1));
    QCOMPARE(calls(0, "cluster|getkeysinslot"), m_owners.count(0));
}

void TestRedisCluster::rateLimitedRunsWalkOnlySlotsThatFitARound()
{
    // 20,000 keys: over one per slot. At 30 operations a second a round may carry one key per
    // master, less than a slot holds, so the masters are scanned; cancelled after one round.
    std::vector<QList<Command>> perNode(size_t(m_cluster.size()));
    for (int i = 0; i < 20000; ++i) {
        const QByteArray key = "sess:r-" + QByteArray::number(i);
        perNode[size_t(m_owners.at(keySlot(key)))].append({"SET", key, "{}"});
    }
    for (int node = 0; node < m_cluster.size(); ++node)
        QVERIFY(m_direct.at(size_t(node))->pipeline(perNode[size_t(node)]));
    resetStats();
    StoreConfig config = *StoreConfig::fromUrl(m_cluster.url());
    config.maxOpsPerSecond = 30;
    Redis::SessionStore limited(config, *SessionLayout::preset(QStringLiteral("connect-redis")));
    limited.router().setSlotWalkMinimum(0);
    QVERIFY(limited.connect());
    CancelToken cancel;
    int ticks = 0;
    auto list = limited.listUsers(
        [&](const Progress &) {
            if (++ticks == 2)
                cancel.cancel();
        },
        cancel);
    QVERIFY(!list);
    QCOMPARE(list.error().code, StorageError::Code::Cancelled);
    for (int node = 0; node < m_cluster.size(); ++node) {
        QVERIFY(calls(node, "scan") > 0);
        QCOMPARE(calls(node, "cluster|getkeysinslot"), 0);
    }
}

void TestRedisCluster::describeShowsClusterMode()
{
    auto info = store(kIndex)->describe({}, {});
    QVERIFY2(info, info ? "" : qPrintable(info.error().message));
    QCOMPARE(info->target, QStringLiteral("cluster:127.0.0.1:%1").arg(m_cluster.node(0).port()));
    QCOMPARE(info->sessions, 6);
    QCOMPARE(info->keysInDatabase, 6 + 3 + kOutsiders.size());
    const SessionDesk::StoreFact *modeFact =
        SessionDesk::findFact(info->facts, QStringLiteral("redis.server.mode"));
    QVERIFY(modeFact);
    const QString mode = modeFact->display;
    QCOMPARE(mode, QStringLiteral("cluster: 3 masters"));
    // Slot by slot, the same count.
    auto walker = store(kIndex);
    walker->router().setSlotWalkMinimum(0);
    resetStats();
    auto walked = walker->describe({}, {});
    QVERIFY2(walked, walked ? "" : qPrintable(walked.error().message));
    QCOMPARE(walked->sessions, 6);
    QCOMPARE(calls(0, "scan"), 0);
}

void TestRedisCluster::pagesCoverEveryMasterOnce()
{
    QList<Command> many;
    for (int i = 0; i < 1000; ++i)
        many.append({"SET", "sess:p-" + QByteArray::number(i), "{\"user_id\":\"pager\"}"});
    put(many);
    auto s = store(QString(), 100);
    SessionPageRequest request;
    request.pageSize = 150;
    QSet<QByteArray> ids;
    qsizetype listed = 0;
    int pages = 0;
    QSet<QByteArray> masters; // the cursor names the master it walks
    while (true) {
        auto page = s->sessionPage(request, {});
        QVERIFY2(page, page ? "" : qPrintable(page.error().message));
        ++pages;
        listed += page->sessions.size();
        for (const SessionSummary &summary : page->sessions)
            ids.insert(summary.id);
        if (page->atEnd)
            break;
        masters.insert(page->nextCursor.split('|').first());
        request.cursor = page->nextCursor;
        QVERIFY(pages < 200);
    }
    QCOMPARE(ids.size(), 1006);
    QVERIFY(listed >= 1006);
    QCOMPARE(masters.size(), 3);
    // A cursor that this store did not make is refused in one sentence.
    request.cursor = "garbage";
    auto refused = s->sessionPage(request, {});
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, StorageError::Code::InvalidArgument);
}

void TestRedisCluster::userLookupsWithAndWithoutIndex()
{
    put({{"SADD", "user-sessions:alice@example.org", "gone-1"}});
    SessionQuery query;
    query.user = QStringLiteral("alice@example.org");
    auto indexed = store(kIndex)->listSessions(query, {}, {});
    QVERIFY(indexed);
    QCOMPARE(indexed->sessions.size(), 3);
    QCOMPARE(indexed->staleIndexIds, QList<QByteArray>{"gone-1"});
    auto scanned = store(QString(), 2)->listSessions(query, {}, {});
    QVERIFY(scanned);
    QCOMPARE(scanned->sessions.size(), 3);
    for (const SessionSummary &s : scanned->sessions)
        QCOMPARE(s.user, *query.user);
    auto detail = store()->session("asid1");
    QVERIFY(detail);
    QCOMPARE(detail->summary.user, QStringLiteral("alice@example.org"));
    QVERIFY(detail->summary.ttlMs > 7000 * 1000);
}

void TestRedisCluster::revokeKeepsIndexConsistentAcrossNodes()
{
    auto report = store(kIndex)->revoke({"asid0", "asid1", "bsid1", "no-such-id"});
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    QCOMPARE(report->revoked.size(), 3);
    QCOMPARE(report->notFound, QList<QByteArray>{"no-such-id"});
    QCOMPARE(report->indexEntriesRemoved, 3);
    QCOMPARE(countKeys("sess:*"), 3);
    auto &aliceIndex = nodeFor("user-sessions:alice@example.org");
    QCOMPARE(aliceIndex.command({"SMEMBERS", "user-sessions:alice@example.org"})->elements.size(),
             1);
    QCOMPARE(nodeFor("user-sessions:bob@example.org")
                 .command({"SISMEMBER", "user-sessions:bob@example.org", "bsid0"})
                 ->integer,
             1);
    verifyOutsidersIntact();
}

void TestRedisCluster::logoutUserAcrossNodes()
{
    put({{"SADD", "user-sessions:alice@example.org", "stale-a"}});
    auto report = store(kIndex)->logoutUser(QStringLiteral("alice@example.org"), {}, {});
    QVERIFY(report);
    QCOMPARE(report->revoked.size(), 3);
    QCOMPARE(report->notFound, QList<QByteArray>{"stale-a"});
    QCOMPARE(report->indexEntriesRemoved, 4);
    QCOMPARE(countKeys("sess:a*"), 0);
    QCOMPARE(countKeys("user-sessions:alice*"), 0);
    QCOMPARE(countKeys("sess:*"), 3);

    // Without an index the sessions are found by scanning every master, or slot by slot.
    auto scanned = store(QString(), 2)->logoutUser(QStringLiteral("bob@example.org"), {}, {});
    QVERIFY(scanned);
    QCOMPARE(scanned->revoked.size(), 2);
    QCOMPARE(countKeys("sess:*"), 1);
    auto walker = store(QString(), 2);
    walker->router().setSlotWalkMinimum(0);
    resetStats();
    auto walked = walker->logoutUser(QStringLiteral("carol"), {}, {});
    QVERIFY2(walked, walked ? "" : qPrintable(walked.error().message));
    QCOMPARE(walked->revoked.size(), 1);
    QCOMPARE(countKeys("sess:*"), 0);
    for (int node = 0; node < m_cluster.size(); ++node)
        QCOMPARE(calls(node, "cluster|getkeysinslot"), m_owners.count(node));
    verifyOutsidersIntact();
}

void TestRedisCluster::destroyAllDryRunChangesNothing()
{
    auto report = store(kIndex, 3)->destroyAll(true, {}, {});
    QVERIFY(report);
    QVERIFY(report->dryRun);
    QCOMPARE(report->matched, 6);
    QCOMPARE(report->destroyed, 0);
    QCOMPARE(report->indexKeysDestroyed, 3);
    QCOMPARE(countKeys("*"), 6 + 3 + kOutsiders.size());
}

void TestRedisCluster::destroyAllTouchesOnlyTheLayoutOnEveryNode_data()
{
    QTest::addColumn<bool>("walk");
    QTest::newRow("scan") << false;
    QTest::newRow("slot walk") << true;
}

void TestRedisCluster::destroyAllTouchesOnlyTheLayoutOnEveryNode()
{
    QFETCH(bool, walk);
    QList<Command> many;
    for (int i = 0; i < 2500; ++i)
        many.append({"SET", "sess:bulk-" + QByteArray::number(i), "{}", "EX", "600"});
    put(many);
    auto s = store(kIndex, 300);
    if (walk)
        s->router().setSlotWalkMinimum(0);
    resetStats();
    QList<Progress> seen;
    auto report = s->destroyAll(false, [&](const Progress &p) { seen.append(p); }, {});
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    QCOMPARE(report->matched, 2506);
    QCOMPARE(report->destroyed, 2506);
    QCOMPARE(report->failed, 0);
    QCOMPARE(report->unconfirmed, 0);
    QCOMPARE(report->indexKeysDestroyed, 3);
    QVERIFY(report->abortReason.isEmpty());
    QVERIFY(seen.size() > 3);
    QCOMPARE(seen.first().total, 2506 + 3 + kOutsiders.size());
    QCOMPARE(seen.last().destroyed, 2506);
    for (int node = 0; node < m_cluster.size(); ++node) {
        // Sessions and index keys: every slot walked twice, or each master scanned.
        QCOMPARE(calls(node, "cluster|getkeysinslot"), walk ? 2 * m_owners.count(node) : 0);
        QCOMPARE(calls(node, "scan") > 0, !walk);
    }
    QCOMPARE(countKeys("sess:*"), 0);
    QCOMPARE(countKeys("user-sessions:*"), 0);
    verifyOutsidersIntact();
}

void TestRedisCluster::destroyAllCancelReportsExactly()
{
    QList<Command> many;
    for (int i = 0; i < 3000; ++i)
        many.append({"SET", "sess:c-" + QByteArray::number(i), "{}"});
    put(many);
    auto s = store(kIndex, 200);
    CancelToken cancel;
    auto report = s->destroyAll(
        false,
        [&](const Progress &p) {
            if (p.destroyed >= 1000)
                cancel.cancel();
        },
        cancel);
    QVERIFY(report);
    QVERIFY(report->cancelled);
    QVERIFY(report->destroyed >= 1000);
    QVERIFY(report->destroyed < 3006);
    QCOMPARE(countKeys("sess:*"), 3006 - report->destroyed);
    QCOMPARE(countKeys("user-sessions:*"), 3);
    verifyOutsidersIntact();
}

void TestRedisCluster::followsAskTryAgainAndMovedDuringSlotMigration()
{
    // Six sessions of one user share a hash tag, hence a slot. Half of them move to another
    // node while the slot is MIGRATING/IMPORTING; then the slot moves for good.
    const int slot = keySlot("mig");
    const int source = m_owners.at(slot);
    const int target = (source + 1) % m_cluster.size();
    QList<Command> sessions;
    for (int i = 1; i <= 6; ++i) {
        const QByteArray sid = "{mig}" + QByteArray::number(i);
        sessions.append({"SET", "sess:" + sid, sessionJson(QStringLiteral("mia")), "EX", "600"});
    }
    put(sessions);
    auto s = store(kIndex, 1000); // learns the slot map now, before the migration
    QVERIFY(s->session("{mig}1"));

    Connection &from = *m_direct.at(size_t(source));
    Connection &to = *m_direct.at(size_t(target));
    const QByteArray sourceId = m_cluster.nodeId(source);
    const QByteArray targetId = m_cluster.nodeId(target);
    const QByteArray slotText = QByteArray::number(slot);
    QCOMPARE(to.command({"CLUSTER", "SETSLOT", slotText, "IMPORTING", sourceId})->string,
             QByteArray("OK"));
    QCOMPARE(from.command({"CLUSTER", "SETSLOT", slotText, "MIGRATING", targetId})->string,
             QByteArray("OK"));
    QCOMPARE(
        from.command({"MIGRATE", "127.0.0.1", QByteArray::number(m_cluster.node(target).port()), "",
                      "0", "5000", "KEYS", "sess:{mig}1", "sess:{mig}2", "sess:{mig}3"})
            ->string,
        QByteArray("OK"));
    QVERIFY(from.command({"CONFIG", "RESETSTAT"}));
    QVERIFY(to.command({"CONFIG", "RESETSTAT"}));

    // A moved key is asked for at the source, which answers ASK; the store follows it.
    auto moved = s->session("{mig}2");
    QVERIFY2(moved, moved ? "" : qPrintable(moved.error().message));
    QCOMPARE(moved->summary.user, QStringLiteral("mia"));
    QVERIFY(infoFields(to.command({"INFO", "commandstats"})->string)
                .value("cmdstat_asking")
                .startsWith("calls="));

    // A listing scans both nodes: each holds part of the slot's keys, and all six are found.
    SessionQuery query;
    query.user = QStringLiteral("mia");
    auto listed = store(QString(), 1000)->listSessions(query, {}, {});
    QVERIFY(listed);
    QCOMPARE(listed->sessions.size(), 6);
    // A slot walk sees the slot migrating (in CLUSTER NODES) and scans those masters instead.
    auto walker = store(QString(), 1000);
    walker->router().setSlotWalkMinimum(0);
    auto users = walker->listUsers({}, {});
    QVERIFY2(users, users ? "" : qPrintable(users.error().message));
    QCOMPARE(sessionsOf(*users, QStringLiteral("mia")), 6);
    // A revoke of a moved and an unmoved key of the slot reads both users with one MGET, which
    // the source answers TRYAGAIN (it holds only one of them); the store then asks key by key,
    // and deletes each, one of them by ASK.
    auto revoked = s->revoke({"{mig}1", "{mig}4"});
    QVERIFY2(revoked, revoked ? "" : qPrintable(revoked.error().message));
    QCOMPARE(revoked->revoked.size(), 2);
    QCOMPARE(to.command({"EXISTS", "sess:{mig}1"})->integer, 0);
    QCOMPARE(from.command({"EXISTS", "sess:{mig}4"})->integer, 0);
    const auto sourceErrors = infoFields(from.command({"INFO", "errorstats"})->string);
    QVERIFY2(sourceErrors.contains("errorstat_TRYAGAIN"),
             from.command({"INFO", "errorstats"})->string.constData());

    // The migration ends: the rest moves and the slot belongs to the target everywhere. The
    // store's map is stale now; the source answers MOVED and the store follows and learns.
    QCOMPARE(
        from.command({"MIGRATE", "127.0.0.1", QByteArray::number(m_cluster.node(target).port()), "",
                      "0", "5000", "KEYS", "sess:{mig}5", "sess:{mig}6"})
            ->string,
        QByteArray("OK"));
    QVERIFY2(m_cluster.assignSlot(slot, target), qPrintable(m_cluster.errorString()));
    refreshOwners();
    QCOMPARE(m_owners.at(slot), target);
    QVERIFY(from.command({"CONFIG", "RESETSTAT"}));
    auto after = s->session("{mig}5");
    QVERIFY2(after, after ? "" : qPrintable(after.error().message));
    QVERIFY(infoFields(from.command({"INFO", "errorstats"})->string).contains("errorstat_MOVED"));

    // Everything still adds up: 6 + 6 - 2 sessions, destroyed exactly, nothing else touched.
    auto report = s->destroyAll(false, {}, {});
    QVERIFY(report);
    QCOMPARE(report->matched, 6 + 6 - 2);
    QCOMPARE(report->destroyed, 6 + 6 - 2);
    QCOMPARE(countKeys("sess:*"), 0);
    verifyOutsidersIntact();
    // The test cluster goes back to its even slot ranges for the tests after this one.
    QVERIFY2(m_cluster.assignSlot(slot, source), qPrintable(m_cluster.errorString()));
    refreshOwners();
}

void TestRedisCluster::wrongUrlKindsAreNamed()
{
    // A cluster URL at a server without cluster support.
    Test::RedisServer plain;
    QVERIFY2(plain.start(), qPrintable(plain.errorString()));
    auto config =
        StoreConfig::fromUrl(QStringLiteral("redis-cluster://127.0.0.1:%1").arg(plain.port()));
    Redis::SessionStore notCluster(*config,
                                   *SessionLayout::preset(QStringLiteral("connect-redis")));
    auto refused = notCluster.connect();
    QVERIFY(!refused);
    QVERIFY2(refused.error().message.contains(QStringLiteral("not a cluster node")),
             qPrintable(refused.error().message));

    // A plain URL at a cluster node: the first key on another node says which URL to use.
    Redis::SessionStore single(*StoreConfig::fromUrl(m_cluster.node(0).url()),
                               *SessionLayout::preset(QStringLiteral("connect-redis")));
    QVERIFY(single.connect());
    auto users = single.revoke({"asid0", "asid1", "asid2"});
    QVERIFY(!users);
    QVERIFY2(users.error().message.contains(QStringLiteral("redis-cluster://")),
             qPrintable(users.error().message));
}

void TestRedisCluster::hostMapReachesNodesAnnouncingOtherPorts()
{
    // Every node announces a port where nothing listens, as behind NAT or in containers.
    RedisCluster announcing;
    RedisCluster::Options options;
    options.announceUnreachablePorts = true;
    QVERIFY2(announcing.start(options), qPrintable(announcing.errorString()));
    auto direct = StoreConfig::fromUrl(announcing.node(0).url());
    Connection seed(*direct);
    QVERIFY(seed.open());
    const QList<int> owners = announcing.slotOwners();
    for (int i = 0; i < 30; ++i) {
        const QByteArray key = "sess:h" + QByteArray::number(i);
        Connection owner(*StoreConfig::fromUrl(announcing.node(owners.at(keySlot(key))).url()));
        QVERIFY(owner.command({"SET", key, sessionJson(QStringLiteral("hank"))}));
    }
    const SessionLayout layout = *SessionLayout::preset(QStringLiteral("connect-redis"));

    // Without a map the announced addresses are tried and the failure names one of them.
    StoreConfig unmapped = *StoreConfig::fromUrl(announcing.url());
    unmapped.commandTimeoutMs = 1000;
    Redis::SessionStore lost(unmapped, layout);
    QVERIFY(lost.connect()); // the seed answers with the (unreachable) slot map
    auto failed = lost.listUsers({}, {});
    QVERIFY(!failed);
    bool namesAnnounced = false;
    for (int i = 0; i < announcing.size(); ++i)
        namesAnnounced |= failed.error().message.contains(
            QStringLiteral("127.0.0.1:%1").arg(announcing.announcedPort(i)));
    QVERIFY2(namesAnnounced, qPrintable(failed.error().message));

    // With a map from each announced port to the real one, everything works.
    StoreConfig mapped = unmapped;
    for (int i = 0; i < announcing.size(); ++i) {
        mapped.hostMap.append(*HostMapping::parse(QStringLiteral("127.0.0.1:%1=127.0.0.1:%2")
                                                      .arg(announcing.announcedPort(i))
                                                      .arg(announcing.node(i).port())));
    }
    Redis::SessionStore found(mapped, layout);
    QVERIFY(found.connect());
    auto users = found.listUsers({}, {});
    QVERIFY2(users, users ? "" : qPrintable(users.error().message));
    QCOMPARE(users->sessionsExamined, 30);
    auto destroyed = found.destroyAll(false, {}, {});
    QVERIFY(destroyed);
    QCOMPARE(destroyed->destroyed, 30);
    QList<HostPort> masters = found.router().masters();
    QCOMPARE(masters.size(), 3);
    for (const HostPort &master : masters)
        QVERIFY(master.port == announcing.node(0).port() || master.port == announcing.node(1).port()
                || master.port == announcing.node(2).port());
}

void TestRedisCluster::tlsOnEveryLink()
{
    Test::TlsMaterial tls;
    QVERIFY2(tls.generate(), qPrintable(tls.errorString()));
    RedisCluster secure;
    RedisCluster::Options options;
    options.tls = {tls.serverCert(), tls.serverKey(), tls.caCert()};
    QVERIFY2(secure.start(options), qPrintable(secure.errorString()));
    StoreConfig config = *StoreConfig::fromUrl(secure.url());
    QVERIFY(config.tls.enabled);
    config.tls.caFile = tls.caCert();
    // Sessions written through the store's own router, as an application would (the tool's
    // own routers refuse writes other than deletes).
    Redis::Router writer(config);
    writer.setToolCommandsOnly(false);
    QVERIFY(writer.open());
    QList<Command> sessions;
    for (int i = 0; i < 40; ++i)
        sessions.append(
            {"SET", "sess:t" + QByteArray::number(i), sessionJson(QStringLiteral("tess"))});
    auto written = writer.run(sessions);
    QVERIFY2(written, written ? "" : qPrintable(written.error().message));
    for (const auto &reply : *written)
        QCOMPARE(reply.string, QByteArray("OK"));
    QCOMPARE(writer.masters().size(), 3);

    Redis::SessionStore s(config, *SessionLayout::preset(QStringLiteral("connect-redis")));
    QVERIFY(s.connect());
    auto users = s.listUsers({}, {});
    QVERIFY2(users, users ? "" : qPrintable(users.error().message));
    QCOMPARE(users->sessionsExamined, 40);
    auto destroyed = s.destroyAll(false, {}, {});
    QVERIFY(destroyed);
    QCOMPARE(destroyed->destroyed, 40);
    QCOMPARE(secure.node(1).cli({QStringLiteral("DBSIZE")}).trimmed(), QByteArray("0"));

    // A CA that did not sign the nodes' certificates is refused, naming the node.
    StoreConfig untrusted = config;
    untrusted.tls.caFile = tls.otherCaCert();
    Redis::SessionStore refused(untrusted, *SessionLayout::preset(QStringLiteral("connect-redis")));
    auto failed = refused.connect();
    QVERIFY(!failed);
    QCOMPARE(failed.error().code, StorageError::Code::Tls);
}

QTEST_GUILESS_MAIN(TestRedisCluster)
#include "tst_rediscluster.moc"
