// The Redis session store through real sentinels (redis-server --sentinel): one master, one
// replica, three sentinels. The same operations as on one server; the master found by its
// name even when the sentinels watch others (RESP.app takes the first); failovers forced with
// SENTINEL FAILOVER in the middle of destroy-all, of a users scan and between pages, and an
// automatic one after the master is killed, each continuing on the new master with exact
// counts and never writing to the demoted one; TLS with separate sentinel credentials.

#include "redis/redisconnection.h"
#include "redis/redissessionstore.h"
#include "redisha.h"
#include "tlsmaterial.h"

#include <QElapsedTimer>
#include <QTest>

using namespace SessionDesk;
using namespace Qt::StringLiterals;
using SessionDesk::Redis::Command;
using SessionDesk::Redis::Connection;
using SessionDesk::Test::SentinelSetup;

namespace {

const QString kIndex = QStringLiteral("user-sessions:{user}");

QByteArray sessionJson(const QString &user)
{
    return R"({"cookie":{"originalMaxAge":7200000,"httpOnly":true,"path":"/"},"user_id":")"
        + user.toUtf8() + R"("})";
}

const QList<QPair<QByteArray, QByteArray>> kOutsiders = {
    {"other:keep", "1"}, {"sessx", "2"}, {"cache:sess:1", "3"}};

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

// A direct connection to one data node, for set-up and checks.
std::unique_ptr<Connection> directTo(Test::RedisServer &server, const QString &password = {},
                                     const QString &caFile = {})
{
    StoreConfig config = *StoreConfig::fromUrl(server.url());
    config.password = password;
    config.tls.caFile = caFile;
    return std::make_unique<Connection>(config);
}

qint64 countKeys(Connection &connection, const QByteArray &pattern)
{
    qint64 count = 0;
    QByteArray cursor = "0";
    do {
        auto reply = connection.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
        if (!reply || reply->isError())
            return -1;
        cursor = reply->elements.at(0).string;
        count += reply->elements.at(1).elements.size();
    } while (cursor != "0");
    return count;
}

} // namespace

class TestRedisSentinel final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup() { m_direct.clear(); }
    void describeNamesTheMaster();
    void listsUsersAndSessions();
    void revokeAndLogoutKeepTheIndex();
    void destroyAllDryRunThenCancel();
    void picksTheNamedMasterNotTheFirst();
    void unknownNamesAndDeadSentinelsAreReported();
    void failoverDuringDestroyAllKeepsCountsExact();
    void failoverDuringUsersScanPagesAndLogout();
    void tlsWithSeparateSentinelCredentials();
    void killedMasterFailsOverAutomatically();

private:
    std::unique_ptr<Redis::SessionStore> store(SentinelSetup &setup,
                                               const QString &index = QString(), int batch = 1000);
    Connection &master(SentinelSetup &setup);
    void seed(SentinelSetup &setup, int extraSessions = 0);

    SentinelSetup m_setup;
    std::map<quint16, std::unique_ptr<Connection>> m_direct; // by port
};

void TestRedisSentinel::initTestCase()
{
    QVERIFY2(m_setup.start(), qPrintable(m_setup.errorString()));
}

Connection &TestRedisSentinel::master(SentinelSetup &setup)
{
    const int index = setup.masterIndex();
    Q_ASSERT(index >= 0);
    const quint16 port = setup.data(index).port();
    auto &direct = m_direct[port];
    if (!direct)
        direct = directTo(setup.data(index));
    return *direct;
}

void TestRedisSentinel::seed(SentinelSetup &setup, int extraSessions)
{
    Connection &direct = master(setup);
    QVERIFY(direct.command({"FLUSHALL"}));
    QList<Command> commands;
    const QStringList users = {QStringLiteral("alice"), QStringLiteral("bob"),
                               QStringLiteral("carol")};
    const QList<int> counts = {3, 2, 1};
    for (int u = 0; u < users.size(); ++u) {
        for (int i = 0; i < counts.at(u); ++i) {
            const QByteArray sid = users.at(u).left(1).toUtf8() + "sid" + QByteArray::number(i);
            commands.append({"SET", "sess:" + sid, sessionJson(users.at(u)), "EX", "7200"});
            commands.append({"SADD", "user-sessions:" + users.at(u).toUtf8(), sid});
        }
    }
    for (int i = 0; i < extraSessions; ++i) {
        commands.append({"SET", "sess:bulk-" + QByteArray::number(i),
                         sessionJson(QStringLiteral("user-%1").arg(i % 20)), "EX", "7200"});
    }
    for (const auto &[key, value] : kOutsiders)
        commands.append({"SET", key, value});
    auto replies = direct.pipeline(commands);
    QVERIFY(replies);
    for (const auto &reply : *replies)
        QVERIFY2(!reply.isError(), reply.string.constData());
    // The replica has everything before a test goes on (a failover must not lose set-up data).
    auto waited = direct.command({"WAIT", "1", "10000"});
    QVERIFY(waited);
    QCOMPARE(waited->integer, 1);
}

void TestRedisSentinel::init()
{
    seed(m_setup);
}

std::unique_ptr<Redis::SessionStore> TestRedisSentinel::store(SentinelSetup &setup,
                                                              const QString &index, int batch)
{
    StoreConfig config = *StoreConfig::fromUrl(setup.url());
    config.commandTimeoutMs = 30000;
    SessionLayout layout = *SessionLayout::preset(QStringLiteral("connect-redis"));
    layout.userIndexPattern = index;
    auto s = std::make_unique<Redis::SessionStore>(config, layout);
    s->setBatchSize(batch);
    const auto connected = s->connect();
    if (!connected)
        qWarning() << connected.error().message;
    return s;
}

void TestRedisSentinel::describeNamesTheMaster()
{
    auto info = store(m_setup, kIndex)->describe({}, {});
    QVERIFY2(info, info ? "" : qPrintable(info.error().message));
    QCOMPARE(info->target, QStringLiteral("sentinel:mymaster/0"));
    QCOMPARE(info->sessions, 6);
    QCOMPARE(info->keysInDatabase, 6 + 3 + kOutsiders.size());
    const SessionDesk::StoreFact *modeFact =
        SessionDesk::findFact(info->facts, QStringLiteral("redis.server.mode"));
    QVERIFY(modeFact);
    const QString mode = modeFact->display;
    const int index = m_setup.masterIndex();
    QCOMPARE(mode,
             QStringLiteral("sentinel: master \"mymaster\" at 127.0.0.1:%1")
                 .arg(m_setup.data(index).port()));
}

void TestRedisSentinel::listsUsersAndSessions()
{
    auto s = store(m_setup, QString(), 2);
    auto users = s->listUsers({}, {});
    QVERIFY2(users, users ? "" : qPrintable(users.error().message));
    QCOMPARE(users->users.size(), 3);
    QCOMPARE(users->users.at(0).sessions, 3);
    QCOMPARE(users->sessionsExamined, 6);
    auto sessions = s->listSessions({}, {}, {});
    QVERIFY(sessions);
    QCOMPARE(sessions->sessions.size(), 6);
    auto detail = s->session("bsid1");
    QVERIFY(detail);
    QCOMPARE(detail->summary.user, QStringLiteral("bob"));
}

void TestRedisSentinel::revokeAndLogoutKeepTheIndex()
{
    auto s = store(m_setup, kIndex);
    auto revoked = s->revoke({"asid0", "missing"});
    QVERIFY(revoked);
    QCOMPARE(revoked->revoked, QList<QByteArray>{"asid0"});
    QCOMPARE(revoked->indexEntriesRemoved, 1);
    auto logout = s->logoutUser(QStringLiteral("bob"), {}, {});
    QVERIFY(logout);
    QCOMPARE(logout->revoked.size(), 2);
    Connection &direct = master(m_setup);
    QCOMPARE(countKeys(direct, "sess:*"), 3);
    QCOMPARE(direct.command({"SCARD", "user-sessions:alice"})->integer, 2);
    QCOMPARE(direct.command({"EXISTS", "user-sessions:bob"})->integer, 0);
}

void TestRedisSentinel::destroyAllDryRunThenCancel()
{
    seed(m_setup, 2000);
    auto s = store(m_setup, kIndex, 200);
    auto dry = s->destroyAll(true, {}, {});
    QVERIFY(dry);
    QCOMPARE(dry->matched, 2006);
    QCOMPARE(dry->indexKeysDestroyed, 3);
    Connection &direct = master(m_setup);
    QCOMPARE(countKeys(direct, "sess:*"), 2006);

    CancelToken cancel;
    auto report = s->destroyAll(
        false,
        [&](const Progress &p) {
            if (p.destroyed >= 600)
                cancel.cancel();
        },
        cancel);
    QVERIFY(report);
    QVERIFY(report->cancelled);
    QCOMPARE(countKeys(direct, "sess:*"), 2006 - report->destroyed);
    QCOMPARE(countKeys(direct, "user-sessions:*"), 3);
    auto rest = s->destroyAll(false, {}, {});
    QVERIFY(rest);
    QCOMPARE(rest->destroyed, 2006 - report->destroyed);
    QCOMPARE(rest->indexKeysDestroyed, 3);
    QCOMPARE(countKeys(direct, "sess:*"), 0);
    for (const auto &[key, value] : kOutsiders)
        QCOMPARE(direct.command({"GET", key})->string, value);
}

void TestRedisSentinel::picksTheNamedMasterNotTheFirst()
{
    // The sentinels also watch two unrelated servers, named to sort before and after ours.
    Test::RedisServer before;
    Test::RedisServer after;
    QVERIFY2(before.start(), qPrintable(before.errorString()));
    QVERIFY2(after.start(), qPrintable(after.errorString()));
    for (auto *server : {&before, &after}) {
        const QString name = server == &before ? QStringLiteral("aaa") : QStringLiteral("zzz");
        QVERIFY(directTo(*server)->command(
            {"SET", "sess:" + name.toUtf8(), sessionJson(QStringLiteral("intruder"))}));
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(m_setup.sentinel(i)
                         .cli({QStringLiteral("SENTINEL"), QStringLiteral("MONITOR"), name,
                               QStringLiteral("127.0.0.1"), QString::number(server->port()),
                               QStringLiteral("2")})
                         .trimmed(),
                     QByteArray("OK"));
        }
    }
    const auto users = store(m_setup)->listUsers({}, {});
    QVERIFY(users);
    QCOMPARE(users->sessionsExamined, 6);
    for (const UserSummary &user : users->users)
        QVERIFY(user.user != u"intruder");

    StoreConfig other = *StoreConfig::fromUrl(m_setup.url().replace(u"/mymaster"_s, u"/zzz"_s));
    Redis::SessionStore zzz(other, *SessionLayout::preset(QStringLiteral("connect-redis")));
    QVERIFY(zzz.connect());
    const QList<HostPort> zzzMasters{HostPort{u"127.0.0.1"_s, after.port()}};
    QCOMPARE(zzz.router().masters(), zzzMasters);
    auto intruders = zzz.listUsers({}, {});
    QVERIFY(intruders);
    QCOMPARE(intruders->sessionsExamined, 1);
    QCOMPARE(zzz.targetName(), QStringLiteral("sentinel:zzz/0"));

    for (int i = 0; i < 3; ++i) {
        m_setup.sentinel(i).cli(
            {QStringLiteral("SENTINEL"), QStringLiteral("REMOVE"), QStringLiteral("aaa")});
        m_setup.sentinel(i).cli(
            {QStringLiteral("SENTINEL"), QStringLiteral("REMOVE"), QStringLiteral("zzz")});
    }
}

void TestRedisSentinel::unknownNamesAndDeadSentinelsAreReported()
{
    const SessionLayout layout = *SessionLayout::preset(QStringLiteral("connect-redis"));
    Redis::SessionStore unknown(
        *StoreConfig::fromUrl(m_setup.url().replace(u"/mymaster"_s, u"/nosuch"_s)), layout);
    auto refused = unknown.connect();
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, StorageError::Code::NotFound);
    QVERIFY2(refused.error().message.contains(u"\"nosuch\""_s),
             qPrintable(refused.error().message));

    // Sentinels that are not there: one sentence naming them, without waiting for a timeout.
    const quint16 a = Test::freeLoopbackPort();
    const quint16 b = Test::freeLoopbackPort();
    Redis::SessionStore nowhere(
        *StoreConfig::fromUrl(
            u"redis-sentinel://127.0.0.1:%1,127.0.0.1:%2/mymaster"_s.arg(a).arg(b)),
        layout);
    QElapsedTimer clock;
    clock.start();
    auto dead = nowhere.connect();
    QVERIFY(!dead);
    QCOMPARE(dead.error().code, StorageError::Code::Unreachable);
    QVERIFY2(dead.error().message.contains(u"127.0.0.1:%1"_s.arg(a))
                 && dead.error().message.contains(u"refused"_s),
             qPrintable(dead.error().message));
    QVERIFY(clock.elapsed() < 5000);

    // One dead sentinel among live ones is skipped.
    Redis::SessionStore partly(
        *StoreConfig::fromUrl(m_setup.url().replace(u"redis-sentinel://"_s,
                                                    u"redis-sentinel://127.0.0.1:%1,"_s.arg(a))),
        layout);
    QVERIFY(partly.connect());
    QVERIFY(partly.listUsers({}, {}));
}

void TestRedisSentinel::failoverDuringDestroyAllKeepsCountsExact()
{
    SentinelSetup setup;
    QVERIFY2(setup.start(), qPrintable(setup.errorString()));
    seed(setup, 3000);
    const int before = setup.masterIndex();
    auto s = store(setup, kIndex, 200);
    bool failedOver = false;
    auto report = s->destroyAll(false,
                                [&](const Progress &p) {
                                    if (!failedOver && p.destroyed >= 1000) {
                                        failedOver = true;
                                        QVERIFY2(setup.failover(), qPrintable(setup.errorString()));
                                    }
                                },
                                {});
    QVERIFY(failedOver);
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    QVERIFY2(report->abortReason.isEmpty(), qPrintable(report->abortReason));
    QCOMPARE(report->matched, 3006);
    // The batch in flight when the master was demoted lost its answers: its deletes were sent
    // again on the new master, and those that had already taken effect (and replicated) answer
    // 0 there, so they are unconfirmed. Every session is counted once, by its latest outcome.
    QCOMPARE(report->destroyed + report->unconfirmed, 3006);
    QVERIFY2(report->unconfirmed < 400, qPrintable(QString::number(report->unconfirmed)));
    QCOMPARE(report->failed, 0);
    QCOMPARE(report->indexKeysDestroyed, 3);
    QVERIFY(s->router().failovers() >= 1);
    const int after = setup.masterIndex();
    QVERIFY(after != before);
    const QList<HostPort> newMaster{HostPort{u"127.0.0.1"_s, setup.data(after).port()}};
    QCOMPARE(s->router().masters(), newMaster);
    Connection &now = master(setup);
    QCOMPARE(countKeys(now, "sess:*"), 0);
    QCOMPARE(countKeys(now, "user-sessions:*"), 0);
    for (const auto &[key, value] : kOutsiders)
        QCOMPARE(now.command({"GET", key})->string, value);
}

void TestRedisSentinel::failoverDuringUsersScanPagesAndLogout()
{
    SentinelSetup setup;
    QVERIFY2(setup.start(), qPrintable(setup.errorString()));
    seed(setup, 2000);
    const int before = setup.masterIndex();
    auto s = store(setup, QString(), 100);
    // A store that connects now and says nothing until after the failover.
    auto idle = store(setup, kIndex);

    SessionPageRequest request;
    request.pageSize = 300;
    auto first = s->sessionPage(request, {});
    QVERIFY(first);
    QVERIFY(!first->atEnd);
    QSet<QByteArray> ids;
    for (const SessionSummary &summary : first->sessions)
        ids.insert(summary.id);

    bool failedOver = false;
    auto users = s->listUsers(
        [&](const Progress &p) {
            if (!failedOver && p.examined >= 500) {
                failedOver = true;
                QVERIFY2(setup.failover(), qPrintable(setup.errorString()));
            }
        },
        {});
    QVERIFY(failedOver);
    QVERIFY2(users, users ? "" : qPrintable(users.error().message));
    // Exact despite scanning the new master again from its start.
    QCOMPARE(users->sessionsExamined, 2006);
    QCOMPARE(users->users.size(), 23);
    for (const UserSummary &user : users->users) {
        if (user.user.startsWith(u"user-"))
            QCOMPARE(user.sessions, 100);
    }

    // The old page cursor belongs to the demoted master: the next pages start the new one
    // again, and together the pages still hold every session.
    request.cursor = first->nextCursor;
    for (int guard = 0; guard < 100; ++guard) {
        auto page = s->sessionPage(request, {});
        QVERIFY2(page, page ? "" : qPrintable(page.error().message));
        for (const SessionSummary &summary : page->sessions)
            ids.insert(summary.id);
        if (page->atEnd)
            break;
        request.cursor = page->nextCursor;
    }
    QCOMPARE(ids.size(), 2006);

    // The demoted master still accepts writes until the sentinels reconfigure it: the idle
    // store must not send its logout there.
    Connection &demoted = *m_direct[setup.data(before).port()];
    QVERIFY(demoted.command({"CONFIG", "RESETSTAT"}));
    auto logout = idle->logoutUser(QStringLiteral("alice"), {}, {});
    QVERIFY2(logout, logout ? "" : qPrintable(logout.error().message));
    QCOMPARE(logout->revoked.size(), 3);
    QCOMPARE(countKeys(master(setup), "sess:a*"), 0);
    const auto stats = infoFields(demoted.command({"INFO", "commandstats"})->string);
    QVERIFY2(!stats.contains("cmdstat_unlink") && !stats.contains("cmdstat_srem"),
             demoted.command({"INFO", "commandstats"})->string.constData());
}

void TestRedisSentinel::tlsWithSeparateSentinelCredentials()
{
    Test::TlsMaterial tls;
    QVERIFY2(tls.generate(), qPrintable(tls.errorString()));
    SentinelSetup secure;
    SentinelSetup::Options options;
    options.tls = {tls.serverCert(), tls.serverKey(), tls.caCert()};
    options.dataPassword = QStringLiteral("data-secret");
    options.sentinelPassword = QStringLiteral("sentinel-secret");
    QVERIFY2(secure.start(options), qPrintable(secure.errorString()));
    auto direct = directTo(secure.data(secure.masterIndex()), options.dataPassword, tls.caCert());
    QVERIFY(direct->command({"SET", "sess:t1", sessionJson(QStringLiteral("tina"))}));
    QVERIFY(direct->command({"SET", "sess:t2", sessionJson(QStringLiteral("tina"))}));

    StoreConfig config = *StoreConfig::fromUrl(secure.url());
    QVERIFY(config.tls.enabled);
    config.tls.caFile = tls.caCert();
    config.password = options.dataPassword;
    const SessionLayout layout = *SessionLayout::preset(QStringLiteral("connect-redis"));

    // The data password alone does not open the sentinels: the error says which credentials.
    Redis::SessionStore withoutSentinelPassword(config, layout);
    auto refused = withoutSentinelPassword.connect();
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, StorageError::Code::Authentication);
    QVERIFY(refused.error().sentinelCredentials);
    QVERIFY2(refused.error().message.contains(u"the sentinels' own password"_s),
             qPrintable(refused.error().message));
    QVERIFY(!refused.error().message.contains(options.dataPassword));

    config.sentinelPassword = options.sentinelPassword;
    Redis::SessionStore s(config, layout);
    QVERIFY2(s.connect(), "TLS sentinel connect");
    auto users = s.listUsers({}, {});
    QVERIFY2(users, users ? "" : qPrintable(users.error().message));
    QCOMPARE(users->sessionsExamined, 2);
    auto destroyed = s.destroyAll(false, {}, {});
    QVERIFY(destroyed);
    QCOMPARE(destroyed->destroyed, 2);

    // The sentinel password does not open the master.
    StoreConfig wrongData = config;
    wrongData.password = QStringLiteral("not-it");
    Redis::SessionStore wrong(wrongData, layout);
    auto denied = wrong.connect();
    QVERIFY(!denied);
    QCOMPARE(denied.error().code, StorageError::Code::Authentication);
    QVERIFY(!denied.error().sentinelCredentials);
    QVERIFY2(denied.error().message.contains(
                 u"127.0.0.1:%1"_s.arg(secure.data(secure.masterIndex()).port())),
             qPrintable(denied.error().message));
}

void TestRedisSentinel::killedMasterFailsOverAutomatically()
{
    // No one forces this failover: the sentinels agree that the master is gone (quorum 2,
    // down after 1 s) and promote the replica while destroy-all waits for them.
    SentinelSetup setup;
    SentinelSetup::Options options;
    options.waitForQuorum = true;
    QVERIFY2(setup.start(options), qPrintable(setup.errorString()));
    seed(setup, 2000);
    const int before = setup.masterIndex();
    auto s = store(setup, QString(), 200);
    bool killed = false;
    auto report = s->destroyAll(false,
                                [&](const Progress &p) {
                                    if (!killed && p.destroyed >= 600) {
                                        killed = true;
                                        setup.data(before).kill();
                                    }
                                },
                                {});
    QVERIFY(killed);
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    QVERIFY2(report->abortReason.isEmpty(), qPrintable(report->abortReason));
    // Deletes the replica had not received before the kill come back on the new master; they
    // are deleted again and counted once. Those of the batch in flight that had reached the
    // replica answer 0 when sent again: unconfirmed.
    QCOMPARE(report->matched, 2006);
    QCOMPARE(report->destroyed + report->unconfirmed, 2006);
    QVERIFY2(report->unconfirmed < 400, qPrintable(QString::number(report->unconfirmed)));
    QCOMPARE(report->failed, 0);
    // The store asked whichever sentinel knew first; the test asks sentinel 0 once all know.
    QVERIFY2(setup.waitForSwitches(1), qPrintable(setup.errorString()));
    const int after = setup.masterIndex();
    QCOMPARE(after, 1 - before);
    Connection &now = master(setup);
    QCOMPARE(countKeys(now, "sess:*"), 0);
    for (const auto &[key, value] : kOutsiders)
        QCOMPARE(now.command({"GET", key})->string, value);
}

QTEST_GUILESS_MAIN(TestRedisSentinel)
#include "tst_redissentinel.moc"
