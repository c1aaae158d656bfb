// Faults, with real redis-server processes killed, restarted, paused and made busy while the
// store works: each run ends in a report of exactly what was and was not done (checked against
// what the server holds afterwards), retries only what is safe to retry, and never reports a
// success it did not have. Also: read-only is enforced by the transport itself, so that a
// store whose own check is bypassed still cannot write.

#include "redis/redisconnection.h"
#include "redis/redissessionstore.h"
#include "redisserver.h"

#include <QProcess>
#include <QTest>

using namespace SessionDesk;
using SessionDesk::Redis::Command;
using SessionDesk::Redis::Connection;
using SessionDesk::Test::RedisServer;

namespace {

const QString kIndex = QStringLiteral("user-sessions:{user}");

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

// "count=3" out of an errorstats value, 0 when the error never happened.
qint64 errorCount(Connection &connection, const QByteArray &code)
{
    const QByteArray value =
        infoFields(connection.command({"INFO", "errorstats"})->string).value("errorstat_" + code);
    return value.startsWith("count=") ? value.mid(6).toLongLong() : 0;
}

// A script that keeps the server busy for `ms` milliseconds (Redis answers BUSY meanwhile).
QStringList busyScript(int ms)
{
    return {QStringLiteral("EVAL"),
            QStringLiteral("local t=redis.call('TIME') local start=t[1]*1000000+t[2] "
                           "while true do local n=redis.call('TIME') "
                           "if n[1]*1000000+n[2]-start > %1 then break end end return 1")
                .arg(ms * 1000),
            QStringLiteral("0")};
}

} // namespace

class TestRedisFaults final : public QObject
{
    Q_OBJECT

private slots:
    void serverKilledMidDestroyAllReportsExactly();
    void serverRestartedWithItsDataResumes();
    void connectionResetIsRetried();
    void pausedServerTimesOutCleanly();
    void pausedWritesLeaveUnconfirmedDeletes();
    void busyScriptIsWaitedOutOrReported();
    void loadingServerIsWaitedOutOrReported();
    void replicaAnswersReadOnly();
    void outOfMemoryStoreCanStillBeCleaned();
    void readOnlyIsEnforcedByTheTransport();

private:
    std::unique_ptr<Redis::SessionStore> store(const RedisServer &server, int batch,
                                               const QString &index = QString(),
                                               int timeoutMs = 10000, bool readOnly = false);
    void fill(Connection &direct, int sessions, bool withIndex = false);
    qint64 countKeys(Connection &direct, const QByteArray &pattern);
};

std::unique_ptr<Redis::SessionStore> TestRedisFaults::store(const RedisServer &server, int batch,
                                                            const QString &index, int timeoutMs,
                                                            bool readOnly)
{
    StoreConfig config = *StoreConfig::fromUrl(server.url());
    config.commandTimeoutMs = timeoutMs;
    config.readOnly = readOnly;
    SessionLayout layout = *SessionLayout::preset(QStringLiteral("connect-redis"));
    layout.userIndexPattern = index;
    auto s = std::make_unique<Redis::SessionStore>(config, layout);
    s->setBatchSize(batch);
    const auto connected = s->connect();
    if (!connected)
        qWarning() << connected.error().message;
    return s;
}

void TestRedisFaults::fill(Connection &direct, int sessions, bool withIndex)
{
    QList<Command> commands;
    for (int i = 0; i < sessions; ++i) {
        const QByteArray sid = "s" + QByteArray::number(i);
        const QByteArray user = "u" + QByteArray::number(i % 10);
        commands.append({"SET", "sess:" + sid, R"({"user_id":")" + user + R"("})"});
        if (withIndex)
            commands.append({"SADD", "user-sessions:" + user, sid});
    }
    commands.append({"SET", "other:keep", "1"});
    auto replies = direct.pipeline(commands);
    QVERIFY(replies);
    for (const auto &reply : *replies)
        QVERIFY2(!reply.isError(), reply.string.constData());
}

qint64 TestRedisFaults::countKeys(Connection &direct, const QByteArray &pattern)
{
    qint64 count = 0;
    QByteArray cursor = "0";
    do {
        auto reply = direct.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
        if (!reply || reply->isError())
            return -1;
        cursor = reply->elements.at(0).string;
        count += reply->elements.at(1).elements.size();
    } while (cursor != "0");
    return count;
}

void TestRedisFaults::serverKilledMidDestroyAllReportsExactly()
{
    RedisServer server;
    RedisServer::Options options;
    options.configLines = {QStringLiteral("appendonly yes"), QStringLiteral("appendfsync always")};
    QVERIFY2(server.start(options), qPrintable(server.errorString()));
    {
        Connection direct(*StoreConfig::fromUrl(server.url()));
        fill(direct, 3000);
    }
    auto s = store(server, 200);
    bool killed = false;
    auto report = s->destroyAll(false,
                                [&](const Progress &p) {
                                    if (!killed && p.destroyed >= 1000) {
                                        killed = true;
                                        server.kill();
                                    }
                                },
                                {});
    QVERIFY(killed);
    // A report, not a success: what was destroyed, and why the rest was not attempted.
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    QVERIFY(!report->abortReason.isEmpty());
    QVERIFY2(report->abortReason.contains(QStringLiteral("127.0.0.1:%1").arg(server.port())),
             qPrintable(report->abortReason));
    QVERIFY(report->destroyed >= 1000 && report->destroyed < 3000);
    QCOMPARE(report->failed, 0);
    QVERIFY(report->matched < 3000 || report->destroyed < report->matched);

    // The server comes back with its append-only file: exactly the reported sessions are gone.
    QVERIFY2(server.restart(), qPrintable(server.errorString()));
    Connection after(*StoreConfig::fromUrl(server.url()));
    const qint64 remaining = countKeys(after, "sess:*");
    QVERIFY(remaining <= 3000 - report->destroyed);
    QVERIFY(remaining >= 3000 - report->destroyed - report->unconfirmed);
    QCOMPARE(after.command({"GET", "other:keep"})->string, QByteArray("1"));

    // The CLI's way of saying it: a failure exit and a sentence with the exact counts comes
    // from the report (checked in tst_cli_ha); here the rest is destroyed on a second run.
    auto rest = store(server, 200)->destroyAll(false, {}, {});
    QVERIFY(rest);
    QCOMPARE(rest->destroyed, remaining);
    QCOMPARE(countKeys(after, "sess:*"), 0);
}

void TestRedisFaults::serverRestartedWithItsDataResumes()
{
    RedisServer server;
    RedisServer::Options options;
    options.configLines = {QStringLiteral("appendonly yes"), QStringLiteral("appendfsync always")};
    QVERIFY2(server.start(options), qPrintable(server.errorString()));
    {
        Connection direct(*StoreConfig::fromUrl(server.url()));
        fill(direct, 3000, true);
    }
    auto s = store(server, 200, kIndex);
    bool restarted = false;
    auto report =
        s->destroyAll(false,
                      [&](const Progress &p) {
                          if (!restarted && p.destroyed >= 1000) {
                              restarted = true;
                              QVERIFY2(server.restart(), qPrintable(server.errorString()));
                          }
                      },
                      {});
    QVERIFY(restarted);
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    QVERIFY2(report->abortReason.isEmpty(), qPrintable(report->abortReason));
    QCOMPARE(report->matched, 3000);
    // The batch in flight at the restart may have run (and been written to the AOF) without
    // its answers arriving: sent again, those deletes answer 0 and are unconfirmed.
    QCOMPARE(report->destroyed + report->unconfirmed, 3000);
    QVERIFY2(report->unconfirmed < 400, qPrintable(QString::number(report->unconfirmed)));
    QCOMPARE(report->failed, 0);
    QCOMPARE(report->indexKeysDestroyed, 10);
    QVERIFY(s->router().failovers() >= 1); // it reconnected
    Connection after(*StoreConfig::fromUrl(server.url()));
    QCOMPARE(countKeys(after, "*"), 1);
    QCOMPARE(after.command({"GET", "other:keep"})->string, QByteArray("1"));
}

void TestRedisFaults::connectionResetIsRetried()
{
    RedisServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Connection direct(*StoreConfig::fromUrl(server.url()));
    fill(direct, 2000, true);
    auto s = store(server, 100, kIndex);
    int resets = 0;
    const auto resetOthers = [&] {
        // Every client but this one loses its connection, the store's included.
        auto killed = direct.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
        QVERIFY(killed);
        QVERIFY(killed->integer >= 1);
        ++resets;
    };
    auto users = s->listUsers(
        [&](const Progress &p) {
            if (resets == 0 && p.examined >= 500)
                resetOthers();
        },
        {});
    QVERIFY2(users, users ? "" : qPrintable(users.error().message));
    QCOMPARE(users->sessionsExamined, 2000); // the restarted scan counts nobody twice
    QCOMPARE(users->users.size(), 10);

    auto report = s->destroyAll(false,
                                [&](const Progress &p) {
                                    if (resets == 1 && p.destroyed >= 500)
                                        resetOthers();
                                },
                                {});
    QCOMPARE(resets, 2);
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    QVERIFY2(report->abortReason.isEmpty(), qPrintable(report->abortReason));
    // The batch in flight at the reset was sent again (UNLINK is safe to repeat): a key it had
    // already removed answers 0 then, and is unconfirmed, never destroyed twice nor lost.
    QCOMPARE(report->matched, 2000);
    QCOMPARE(report->destroyed + report->unconfirmed, 2000);
    QVERIFY2(report->unconfirmed < 200, qPrintable(QString::number(report->unconfirmed)));
    QCOMPARE(report->failed, 0);
    QCOMPARE(report->indexKeysDestroyed, 10);
    QCOMPARE(countKeys(direct, "*"), 1);
}

void TestRedisFaults::pausedServerTimesOutCleanly()
{
    RedisServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    {
        Connection direct(*StoreConfig::fromUrl(server.url()));
        fill(direct, 2000);
    }
    auto s = store(server, 200, QString(), 500);
    bool paused = false;
    QElapsedTimer clock;
    auto report =
        s->destroyAll(false,
                      [&](const Progress &p) {
                          if (!paused && p.destroyed >= 600) {
                              paused = true;
                              server.pause(); // SIGSTOP: the socket stays open, nothing answers
                              clock.start();
                          }
                      },
                      {});
    const qint64 waited = clock.elapsed();
    server.resume();
    QVERIFY(paused);
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    QVERIFY2(report->abortReason.contains(QStringLiteral("did not answer within 500 ms")),
             qPrintable(report->abortReason));
    QVERIFY(waited >= 450 && waited < 5000); // one timeout, not retried over and over
    Connection after(*StoreConfig::fromUrl(server.url()));
    const qint64 remaining = countKeys(after, "sess:*");
    QVERIFY(remaining <= 2000 - report->destroyed);
    QVERIFY(remaining >= 2000 - report->destroyed - report->unconfirmed);

    // A read on a paused server fails in one sentence naming it.
    server.pause();
    auto users = s->listUsers({}, {});
    server.resume();
    QVERIFY(!users);
    QCOMPARE(users.error().code, StorageError::Code::Timeout);
    QVERIFY2(users.error().message.contains(QStringLiteral("127.0.0.1:%1").arg(server.port())),
             qPrintable(users.error().message));
}

void TestRedisFaults::pausedWritesLeaveUnconfirmedDeletes()
{
    // Reads go on while writes are paused: the deletes of one batch are sent and never answered
    // within the timeout. The report counts them as unconfirmed, not as destroyed.
    RedisServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Connection direct(*StoreConfig::fromUrl(server.url()));
    fill(direct, 2000);
    auto s = store(server, 200, QString(), 500);
    bool paused = false;
    auto report =
        s->destroyAll(false,
                      [&](const Progress &p) {
                          if (!paused && p.destroyed >= 600) {
                              paused = true;
                              QVERIFY(direct.command({"CLIENT", "PAUSE", "3000", "WRITE"}));
                          }
                      },
                      {});
    QVERIFY(direct.command({"CLIENT", "UNPAUSE"}));
    QVERIFY(paused);
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    QVERIFY(!report->abortReason.isEmpty());
    // The batches in flight, one or two (the next one is sent before the last one's answers
    // are read): COUNT 200 is a number of hash buckets, so a batch holds about 200 keys, a few
    // more or fewer.
    QVERIFY2(report->unconfirmed >= 100 && report->unconfirmed < 800,
             qPrintable(QString::number(report->unconfirmed)));
    QCOMPARE(report->matched, report->destroyed + report->unconfirmed);
    const qint64 remaining = countKeys(direct, "sess:*");
    QVERIFY(remaining <= 2000 - report->destroyed);
    QVERIFY(remaining >= 2000 - report->destroyed - report->unconfirmed);
}

void TestRedisFaults::busyScriptIsWaitedOutOrReported()
{
    RedisServer server;
    RedisServer::Options options;
    options.configLines = {QStringLiteral("busy-reply-threshold 100")};
    QVERIFY2(server.start(options), qPrintable(server.errorString()));
    Connection direct(*StoreConfig::fromUrl(server.url()));
    fill(direct, 2000);
    QProcess script;
    qint64 busyAnswersSeenByTest = 0;
    // Starts a script that keeps the server busy, and returns once the server says so.
    const auto makeBusy = [&](int ms) {
        script.start(QStringLiteral("redis-cli"),
                     QStringList{QStringLiteral("-p"), QString::number(server.port())}
                         + busyScript(ms));
        QVERIFY(script.waitForStarted());
        while (true) {
            auto ping = direct.command({"PING"});
            QVERIFY(ping);
            if (ping->errorCode() == "BUSY") {
                ++busyAnswersSeenByTest;
                break;
            }
        }
    };

    // Waited out: the script ends within the store's timeout and the run goes on.
    auto s = store(server, 200, QString(), 10000);
    bool started = false;
    auto report = s->destroyAll(false,
                                [&](const Progress &p) {
                                    if (!started && p.destroyed >= 600) {
                                        started = true;
                                        makeBusy(1500);
                                    }
                                },
                                {});
    QVERIFY(script.waitForFinished(10000));
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    QVERIFY2(report->abortReason.isEmpty(), qPrintable(report->abortReason));
    QCOMPARE(report->destroyed, 2000);
    QVERIFY(errorCount(direct, "BUSY") > busyAnswersSeenByTest); // the store met BUSY too

    // Reported: a script longer than the timeout stops the run with the server's words.
    fill(direct, 1000);
    auto impatient = store(server, 200, QString(), 300);
    started = false;
    auto stopped = impatient->destroyAll(false,
                                         [&](const Progress &p) {
                                             if (!started && p.destroyed >= 200) {
                                                 started = true;
                                                 makeBusy(2500);
                                             }
                                         },
                                         {});
    QVERIFY(script.waitForFinished(10000));
    QVERIFY2(stopped, stopped ? "" : qPrintable(stopped.error().message));
    QVERIFY2(stopped->abortReason.contains(QStringLiteral("BUSY")),
             qPrintable(stopped->abortReason));
    QCOMPARE(countKeys(direct, "sess:*"), 1000 - stopped->destroyed);
}

void TestRedisFaults::loadingServerIsWaitedOutOrReported()
{
    // Loading 4000 keys takes about a second (key-load-delay, in microseconds per key), and the
    // server answers LOADING meanwhile.
    RedisServer server;
    RedisServer::Options options;
    options.configLines = {QStringLiteral("key-load-delay 250"),
                           QStringLiteral("loading-process-events-interval-bytes 1024")};
    QVERIFY2(server.start(options), qPrintable(server.errorString()));
    {
        Connection direct(*StoreConfig::fromUrl(server.url()));
        fill(direct, 4000);
        QCOMPARE(direct.command({"SAVE"})->string, QByteArray("OK"));
    }
    QVERIFY2(server.restart("Loading RDB produced by"), qPrintable(server.errorString()));
    auto s = store(server, 500, QString(), 20000);
    auto users = s->listUsers({}, {});
    QVERIFY2(users, users ? "" : qPrintable(users.error().message));
    QCOMPARE(users->sessionsExamined, 4000);
    Connection direct(*StoreConfig::fromUrl(server.url()));
    QVERIFY(errorCount(direct, "LOADING") >= 1);

    // With less patience than the load takes: one sentence with the server's own words.
    QVERIFY2(server.restart("Loading RDB produced by"), qPrintable(server.errorString()));
    StoreConfig config = *StoreConfig::fromUrl(server.url());
    config.commandTimeoutMs = 100;
    Redis::SessionStore impatient(config, *SessionLayout::preset(QStringLiteral("connect-redis")));
    auto refused = impatient.connect();
    QVERIFY(!refused);
    QVERIFY2(refused.error().message.contains(QStringLiteral("LOADING")),
             qPrintable(refused.error().message));
    QVERIFY(server.waitForLog("DB loaded from disk"));
}

void TestRedisFaults::replicaAnswersReadOnly()
{
    RedisServer primary;
    QVERIFY2(primary.start(), qPrintable(primary.errorString()));
    {
        Connection direct(*StoreConfig::fromUrl(primary.url()));
        fill(direct, 50);
    }
    RedisServer replica;
    RedisServer::Options options;
    options.configLines = {QStringLiteral("replicaof 127.0.0.1 %1").arg(primary.port())};
    QVERIFY2(replica.start(options), qPrintable(replica.errorString()));
    QVERIFY(replica.waitForLog("MASTER <-> REPLICA sync: Finished with success"));

    auto s = store(replica, 20);
    auto users = s->listUsers({}, {}); // reads work on a replica
    QVERIFY(users);
    QCOMPARE(users->sessionsExamined, 50);
    auto report = s->destroyAll(false, {}, {});
    QVERIFY(!report); // nothing was destroyed: an error, not a report of zero
    QVERIFY2(
        report.error().message.contains(QStringLiteral("READONLY"))
            && report.error().message.contains(QStringLiteral("127.0.0.1:%1").arg(replica.port())),
        qPrintable(report.error().message));
    auto revoked = s->revoke({"s1"});
    QVERIFY(!revoked);
    QVERIFY(revoked.error().message.contains(QStringLiteral("READONLY")));
    Connection direct(*StoreConfig::fromUrl(primary.url()));
    QCOMPARE(countKeys(direct, "sess:*"), 50);
}

void TestRedisFaults::outOfMemoryStoreCanStillBeCleaned()
{
    RedisServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Connection direct(*StoreConfig::fromUrl(server.url()));
    fill(direct, 500, true);
    QVERIFY(direct.command({"CONFIG", "SET", "maxmemory-policy", "noeviction"}));
    QVERIFY(direct.command({"CONFIG", "SET", "maxmemory", "1"}));
    QCOMPARE(direct.command({"SET", "probe", "x"})->errorCode(), QByteArray("OOM"));
    QVERIFY(direct.command({"CONFIG", "RESETSTAT"}));

    // A write the server refuses for memory comes back as its error, once, not retried.
    Redis::Router writer(*StoreConfig::fromUrl(server.url()));
    writer.setToolCommandsOnly(false); // an application's client, not the tool's
    QVERIFY(writer.open());
    auto refused = writer.run({{"SET", "sess:new", "{}"}});
    QVERIFY(refused);
    QCOMPARE(refused->first().errorCode(), QByteArray("OOM"));
    QCOMPARE(errorCount(direct, "OOM"), 1);

    // Reading and deleting need no memory: a full store can still be cleaned out.
    auto s = store(server, 100, kIndex);
    auto users = s->listUsers({}, {});
    QVERIFY(users);
    QCOMPARE(users->sessionsExamined, 500);
    auto logout = s->logoutUser(QStringLiteral("u3"), {}, {});
    QVERIFY2(logout, logout ? "" : qPrintable(logout.error().message));
    QCOMPARE(logout->revoked.size(), 50);
    auto report = s->destroyAll(false, {}, {});
    QVERIFY(report);
    QCOMPARE(report->destroyed, 450);
    QCOMPARE(report->indexKeysDestroyed, 9);
    QCOMPARE(countKeys(direct, "*"), 1);
}

void TestRedisFaults::readOnlyIsEnforcedByTheTransport()
{
    RedisServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Connection direct(*StoreConfig::fromUrl(server.url()));
    fill(direct, 300, true);
    // Database 1 holds index keys and no session: destroy-all goes straight to the index
    // clean-up there.
    StoreConfig indexOnlyConfig = *StoreConfig::fromUrl(server.url() + QStringLiteral("/1"));
    QVERIFY(Connection(indexOnlyConfig).command({"SADD", "user-sessions:ghost", "gone"}));
    const qint64 keysBefore = direct.command({"DBSIZE"})->integer;
    QVERIFY(direct.command({"CONFIG", "RESETSTAT"}));

    const auto expectRefused = [](const auto &result, const char *what) {
        QVERIFY2(!result, what);
        QCOMPARE(result.error().code, StorageError::Code::Refused);
        QVERIFY2(result.error().message.contains(QStringLiteral("read-only")),
                 qPrintable(result.error().message));
    };

    // A read-only store refuses in its own checks...
    auto s = store(server, 50, kIndex, 10000, true);
    expectRefused(s->revoke({"s1"}), "revoke");
    expectRefused(s->logoutUser(QStringLiteral("u1"), {}, {}), "logout-user");
    expectRefused(s->destroyAll(false, {}, {}), "destroy-all");

    // ...and when those are bypassed (the store believes it may write, its transport does
    // not), every write path is refused before anything is sent, with the command named.
    s->setReadOnly(false);
    s->router().setReadOnly(true);
    const auto expectTransportRefused = [&](const auto &result, const char *what) {
        expectRefused(result, what);
        QVERIFY2(result.error().message.contains(QStringLiteral("Refused to send")),
                 qPrintable(result.error().message));
    };
    expectTransportRefused(s->revoke({"s1", "s2"}), "revoke");
    expectTransportRefused(s->logoutUser(QStringLiteral("u1"), {}, {}), "logout-user");
    expectTransportRefused(s->destroyAll(false, {}, {}), "destroy-all");
    SessionLayout layout = *SessionLayout::preset(QStringLiteral("connect-redis"));
    layout.userIndexPattern = kIndex;
    Redis::SessionStore indexOnly(indexOnlyConfig, layout);
    QVERIFY(indexOnly.connect());
    indexOnly.router().setReadOnly(true);
    expectTransportRefused(indexOnly.destroyAll(false, {}, {}), "index clean-up");
    // The commands behind those paths, and others no read-only connection may send.
    for (const Command &write :
         QList<Command>{{"UNLINK", "sess:s1"},
                        {"DEL", "sess:s1"},
                        {"SREM", "user-sessions:u1", "s1"},
                        {"ZREM", "user-sessions:u1", "s1"},
                        {"SET", "sess:x", "{}"},
                        {"EXPIRE", "sess:s1", "1"},
                        {"FLUSHDB"},
                        {"FLUSHALL"},
                        {"CONFIG", "SET", "save", ""},
                        {"EVAL", "return redis.call('DEL', KEYS[1])", "1", "sess:s1"},
                        {"MIGRATE", "127.0.0.1", "1", "sess:s1", "0", "1"}}) {
        auto refused = s->router().run({{"PING"}, write});
        QVERIFY2(!refused, write.first().constData());
        QCOMPARE(refused.error().code, StorageError::Code::Refused);
    }
    // Reads still work through the same transport.
    QVERIFY(s->listUsers({}, {}));
    QVERIFY(s->describe({}, {}));
    QVERIFY(s->session("s1"));
    QVERIFY(s->destroyAll(true, {}, {}));

    // The server saw reads only, and holds every key it held.
    const QSet<QByteArray> reads = {
        "cmdstat_command|info", "cmdstat_info", "cmdstat_ping", "cmdstat_scan", "cmdstat_mget",
        "cmdstat_pttl", "cmdstat_type", "cmdstat_smembers", "cmdstat_dbsize", "cmdstat_get",
        "cmdstat_config|get", "cmdstat_select", "cmdstat_time", "cmdstat_acl|list",
        "cmdstat_acl|whoami", "cmdstat_pubsub|numsub",
        // the test's own
        "cmdstat_config|resetstat", "cmdstat_config|set"};
    const QByteArray stats = direct.command({"INFO", "commandstats"})->string;
    for (const QByteArray &name : infoFields(stats).keys())
        QVERIFY2(reads.contains(name), QByteArray(name + " in\n" + stats).constData());
    QVERIFY(stats.contains("cmdstat_scan"));
    QCOMPARE(direct.command({"DBSIZE"})->integer, keysBefore);

    // Lifting read-only at the store lifts it at the transport.
    s->setReadOnly(false);
    auto revoked = s->revoke({"s1"});
    QVERIFY2(revoked, revoked ? "" : qPrintable(revoked.error().message));
    QCOMPARE(revoked->revoked, QList<QByteArray>{"s1"});
    QCOMPARE(direct.command({"EXISTS", "sess:s1"})->integer, 0);
}

QTEST_GUILESS_MAIN(TestRedisFaults)
#include "tst_redisfaults.moc"
