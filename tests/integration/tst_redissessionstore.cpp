// The Redis session store against a real redis-server: connect-redis sessions, odd keys under
// the prefix, keys outside the layout that must survive, per-user indexes (SET and ZSET),
// read-only refusal, batching, cancel, and an ACL user limited to what SessionDesk needs.

#include "redis/redisconnection.h"
#include "redis/redissessionstore.h"
#include "redisserver.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QTest>

using namespace SessionDesk;
using SessionDesk::Redis::Command;
using SessionDesk::Redis::Connection;
using SessionDesk::Test::RedisServer;

namespace {

const QString kIndex = QStringLiteral("user-sessions:{user}");

QByteArray sessionJson(const QString &user, const QByteArray &token)
{
    return R"({"cookie":{"originalMaxAge":7200000,"expires":"2030-01-01T00:00:00.000Z",)"
           R"("httpOnly":true,"path":"/"},"user_id":")"
        + user.toUtf8() + R"(","user":{"email":")" + user.toUtf8()
        + R"(","tokens":{"accessToken":")" + token + R"("}},"lastAccess":1700000000})";
}

// Keys outside the layout, with values that must be intact after every destructive test.
const QList<QPair<QByteArray, QByteArray>> kOutsiders = {
    {"other:keep", "1"}, {"sessx", "2"}, {"cache:sess:1", "3"}, {"SESS:upper", "4"}};

} // namespace

class TestRedisSessionStore final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void listsUsersAndCounts();
    void usersOfInvalidUtf8ShareTheirName();
    void listsSessionsWithTtlAndSize();
    void userLookupWithoutIndexScans();
    void pagesCoverEverySessionOnce();
    void summariesCarryStartedLastAccessDevice();
    void userLookupWithSetIndexReportsStale();
    void userLookupWithSortedSetIndex();
    void showsDecodedSessionMasked();
    void oddKeysAreListedShownAndRevocable();
    void revokeKeepsIndexConsistent();
    void logoutUserWithIndex();
    void logoutUserWithoutIndex();
    void destroyAllDryRunChangesNothing();
    void destroyAllTouchesOnlyTheLayout();
    void destroyAllCancelReportsExactly();
    void progressKeepsComingOnALongScanWithFewMatches();
    void cancelStopsWithinOneBatch();
    void readOnlyRefusesChanges();
    void describeReportsServer();
    void aclUserWithMinimalCommands();

private:
    std::unique_ptr<Redis::SessionStore> store(const QString &index = QString(),
                                               bool readOnly = false);
    void put(const QList<Command> &commands);
    QByteArray get(const QByteArray &key);
    void verifyOutsidersIntact();
    qint64 countKeys(const QByteArray &pattern);

    RedisServer m_server;
    std::unique_ptr<Connection> m_direct;
};

void TestRedisSessionStore::initTestCase()
{
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    m_direct = std::make_unique<Connection>(*StoreConfig::fromUrl(m_server.url()));
    QVERIFY(m_direct->open());
}

void TestRedisSessionStore::init()
{
    // Each test starts from the same data set; FLUSHDB here is the test's, never the product's.
    QVERIFY(m_direct->command({"FLUSHDB"}));
    QList<Command> commands;
    const QStringList users = {QStringLiteral("alice@example.org"),
                               QStringLiteral("bob@example.org"), QStringLiteral("carol")};
    const QList<int> counts = {3, 2, 1};
    for (int u = 0; u < users.size(); ++u) {
        for (int i = 0; i < counts.at(u); ++i) {
            const QByteArray sid = users.at(u).left(1).toUtf8() + "sid" + QByteArray::number(i);
            commands.append(
                {"SET", "sess:" + sid, sessionJson(users.at(u), "tok-" + sid), "EX", "7200"});
            commands.append({"SADD", "user-sessions:" + users.at(u).toUtf8(), sid});
        }
    }
    for (const auto &[key, value] : kOutsiders)
        commands.append({"SET", key, value});
    put(commands);
}

std::unique_ptr<Redis::SessionStore> TestRedisSessionStore::store(const QString &index,
                                                                  bool readOnly)
{
    StoreConfig config = *StoreConfig::fromUrl(m_server.url());
    config.readOnly = readOnly;
    SessionLayout layout = *SessionLayout::preset(QStringLiteral("connect-redis"));
    layout.userIndexPattern = index;
    auto s = std::make_unique<Redis::SessionStore>(config, layout);
    const auto connected = s->connect();
    if (!connected)
        qWarning() << connected.error().message;
    return s;
}

void TestRedisSessionStore::put(const QList<Command> &commands)
{
    auto replies = m_direct->pipeline(commands);
    QVERIFY(replies);
    for (const auto &reply : *replies)
        QVERIFY2(!reply.isError(), reply.string.constData());
}

QByteArray TestRedisSessionStore::get(const QByteArray &key)
{
    return m_direct->command({"GET", key})->string;
}

qint64 TestRedisSessionStore::countKeys(const QByteArray &pattern)
{
    qint64 count = 0;
    QByteArray cursor = "0";
    do {
        auto reply = m_direct->command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
        cursor = reply->elements.at(0).string;
        count += reply->elements.at(1).elements.size();
    } while (cursor != "0");
    return count;
}

void TestRedisSessionStore::verifyOutsidersIntact()
{
    for (const auto &[key, value] : kOutsiders)
        QCOMPARE(get(key), value);
}

void TestRedisSessionStore::listsUsersAndCounts()
{
    put({{"SET", "sess:anon", R"({"cookie":{}})"}});
    auto list = store()->listUsers({}, {});
    QVERIFY(list);
    QCOMPARE(list->users.size(), 3);
    QCOMPARE(list->users.at(0).user, QStringLiteral("alice@example.org"));
    QCOMPARE(list->users.at(0).sessions, 3);
    QCOMPARE(list->users.at(1).sessions, 2);
    QCOMPARE(list->users.at(2).user, QStringLiteral("carol"));
    QCOMPARE(list->sessionsExamined, 7);
    QCOMPARE(list->sessionsWithoutUser, 1);
}

void TestRedisSessionStore::usersOfInvalidUtf8ShareTheirName()
{
    // Two ids that differ only in bytes that are not UTF-8 read as the same text: the view
    // lists that name once, with both sessions, never twice with one each.
    put({{"SET", "sess:bad1",
          "{\"cookie\":{},\"passport\":{\"user\":\"\xff"
          "bob\"}}"},
         {"SET", "sess:bad2",
          "{\"cookie\":{},\"passport\":{\"user\":\"\xfe"
          "bob\"}}"}});
    auto list = store()->listUsers({}, {});
    QVERIFY(list);
    const QString replaced = QStringLiteral("\uFFFDbob");
    QList<UserSummary> named;
    for (const UserSummary &user : list->users) {
        if (user.user == replaced)
            named.append(user);
    }
    QCOMPARE(named.size(), 1);
    QCOMPARE(named.first().sessions, 2);
    QCOMPARE(list->users.size(), 4); // the fixture's three users and the replaced name
}

void TestRedisSessionStore::listsSessionsWithTtlAndSize()
{
    auto s = store();
    s->setBatchSize(2); // several SCAN pages and pipelines
    auto list = s->listSessions({}, {}, {});
    QVERIFY(list);
    QCOMPARE(list->sessions.size(), 6);
    for (const SessionSummary &summary : list->sessions) {
        QVERIFY(summary.ttlMs > 7000 * 1000 && summary.ttlMs <= 7200 * 1000);
        QVERIFY(summary.expiresAt > QDateTime::currentDateTimeUtc());
        QCOMPARE(summary.sizeBytes, get("sess:" + summary.id).size());
        QCOMPARE(summary.valueType, QStringLiteral("string"));
        QVERIFY(!summary.user.isEmpty());
    }
    SessionQuery limited;
    limited.limit = 4;
    auto page = s->listSessions(limited, {}, {});
    QVERIFY(page);
    QCOMPARE(page->sessions.size(), 4);
    QVERIFY(page->truncated);
}

void TestRedisSessionStore::userLookupWithoutIndexScans()
{
    SessionQuery query;
    query.user = QStringLiteral("bob@example.org");
    auto list = store()->listSessions(query, {}, {});
    QVERIFY(list);
    QCOMPARE(list->sessions.size(), 2);
    for (const SessionSummary &s : list->sessions)
        QCOMPARE(s.user, *query.user);
    QVERIFY(list->staleIndexIds.isEmpty());
}

void TestRedisSessionStore::pagesCoverEverySessionOnce()
{
    QList<Command> many;
    for (int i = 0; i < 1000; ++i)
        many.append({"SET", "sess:p-" + QByteArray::number(i), "{\"user_id\":\"pager\"}"});
    put(many);
    auto s = store();
    s->setBatchSize(100);
    SessionPageRequest request;
    request.pageSize = 150;
    QSet<QByteArray> ids;
    int pages = 0;
    while (true) {
        auto page = s->sessionPage(request, {});
        QVERIFY(page);
        ++pages;
        for (const SessionSummary &summary : page->sessions)
            ids.insert(summary.id);
        if (page->atEnd)
            break;
        QVERIFY(!page->nextCursor.isEmpty());
        request.cursor = page->nextCursor;
        QVERIFY(pages < 100);
    }
    QCOMPARE(ids.size(), 1006);
    QVERIFY(pages >= 5);

    // A filter that matches little still returns bounded pages that end.
    SessionPageRequest filtered;
    filtered.user = QStringLiteral("carol");
    filtered.pageSize = 10;
    qsizetype found = 0;
    for (int guard = 0; guard < 100; ++guard) {
        auto page = s->sessionPage(filtered, {});
        QVERIFY(page);
        found += page->sessions.size();
        if (page->atEnd)
            break;
        filtered.cursor = page->nextCursor;
    }
    QCOMPARE(found, 1);
}

void TestRedisSessionStore::summariesCarryStartedLastAccessDevice()
{
    put({{"SET", "sess:dev1",
          R"({"user_id":"dora","loginAt":"2026-11-20T08:00:00.000Z","lastAccess":1763625600000,)"
          R"("device":{"ip":"203.0.113.7","userAgent":"Firefox/133"}})"}});
    auto detail = store()->session("dev1");
    QVERIFY(detail);
    const SessionSummary &s = detail->summary;
    QCOMPARE(s.user, QStringLiteral("dora"));
    QCOMPARE(s.startedAt, QDateTime(QDate(2026, 11, 20), QTime(8, 0), Qt::UTC));
    QCOMPARE(s.lastAccessAt, QDateTime::fromMSecsSinceEpoch(1763625600000, Qt::UTC));
    QCOMPARE(s.device, QStringLiteral("203.0.113.7 · Firefox/133"));
    // Seconds since the epoch are read as seconds, not milliseconds.
    put({{"SET", "sess:dev2", R"({"user_id":"dora","lastAccess":1700000000})"}});
    QCOMPARE(store()->session("dev2")->summary.lastAccessAt,
             QDateTime::fromSecsSinceEpoch(1700000000, Qt::UTC));
}

void TestRedisSessionStore::userLookupWithSetIndexReportsStale()
{
    put({{"SADD", "user-sessions:alice@example.org", "gone-1", "gone-2"}});
    SessionQuery query;
    query.user = QStringLiteral("alice@example.org");
    auto list = store(kIndex)->listSessions(query, {}, {});
    QVERIFY(list);
    QCOMPARE(list->sessions.size(), 3);
    QList<QByteArray> stale = list->staleIndexIds;
    std::sort(stale.begin(), stale.end());
    QCOMPARE(stale, (QList<QByteArray>{"gone-1", "gone-2"}));

    query.user = QStringLiteral("nobody");
    auto none = store(kIndex)->listSessions(query, {}, {});
    QVERIFY(none);
    QVERIFY(none->sessions.isEmpty());
}

void TestRedisSessionStore::userLookupWithSortedSetIndex()
{
    // The old GOV.UK design: subject:<sub> is a ZSET scored by login time.
    put({{"ZADD", "subject:carol", "1700000000000", "csid0", "1700000000001", "stale-z"}});
    auto s = store(QStringLiteral("subject:{user}"));
    SessionQuery query;
    query.user = QStringLiteral("carol");
    auto list = s->listSessions(query, {}, {});
    QVERIFY(list);
    QCOMPARE(list->sessions.size(), 1);
    QCOMPARE(list->sessions.first().id, QByteArray("csid0"));
    QCOMPARE(list->staleIndexIds, QList<QByteArray>{"stale-z"});

    auto revoked = s->revoke({"csid0"});
    QVERIFY(revoked);
    QCOMPARE(revoked->indexEntriesRemoved, 1);
    QCOMPARE(m_direct->command({"ZSCORE", "subject:carol", "csid0"})->type,
             Redis::Reply::Type::Nil);
}

void TestRedisSessionStore::showsDecodedSessionMasked()
{
    auto detail = store()->session("asid1");
    QVERIFY(detail);
    QCOMPARE(detail->summary.user, QStringLiteral("alice@example.org"));
    QCOMPARE(detail->decoded.encoding, QStringLiteral("json"));
    QCOMPARE(detail->raw, get("sess:asid1"));
    const QJsonObject masked = toJson(detail->decoded.root, false).toObject();
    const QJsonObject tokens =
        masked[QStringLiteral("user")].toObject()[QStringLiteral("tokens")].toObject();
    QCOMPARE(tokens[QStringLiteral("accessToken")].toString(), kMaskText);
    QCOMPARE(masked[QStringLiteral("lastAccess")].toInteger(), 1700000000);
    const QJsonObject revealed = toJson(detail->decoded.root, true).toObject();
    QCOMPARE(revealed[QStringLiteral("user")]
                 .toObject()[QStringLiteral("tokens")]
                 .toObject()[QStringLiteral("accessToken")]
                 .toString(),
             QStringLiteral("tok-asid1"));

    auto missing = store()->session("no-such-session");
    QVERIFY(!missing);
    QCOMPARE(missing.error().code, StorageError::Code::NotFound);
}

void TestRedisSessionStore::oddKeysAreListedShownAndRevocable()
{
    const QByteArray binaryId("bin\xff\xfe\x00id", 8);
    // Not 04 08 (Ruby Marshal) or any other codec's signature: this one must stay raw bytes.
    const QByteArray binaryValue("\x00\x08{\x00\xff\xfe", 7);
    const QByteArray huge(10 * 1024 * 1024, 'h');
    put({{"SET", "sess:" + binaryId, binaryValue},
         {"SET", "sess:not-json", "{this is not json"},
         {"SET", "sess:huge", huge},
         {"HSET", "sess:a-hash", "user_id", "dave", "token", "hash-secret"},
         {"RPUSH", "sess:a-list", "x", "y"}});
    auto s = store();
    auto list = s->listSessions({}, {}, {});
    QVERIFY(list);
    QHash<QByteArray, SessionSummary> byId;
    for (const SessionSummary &summary : list->sessions)
        byId.insert(summary.id, summary);
    QCOMPARE(byId.size(), 11);
    QVERIFY(byId.contains(binaryId));
    QCOMPARE(byId.value(binaryId).sizeBytes, binaryValue.size());
    QCOMPARE(byId.value("huge").sizeBytes, huge.size());
    QCOMPARE(byId.value("a-hash").valueType, QStringLiteral("hash"));
    QCOMPARE(byId.value("a-list").valueType, QStringLiteral("list"));

    auto binary = s->session(binaryId);
    QVERIFY(binary);
    QCOMPARE(binary->decoded.encoding, QStringLiteral("binary"));
    QCOMPARE(binary->raw, binaryValue);
    QVERIFY(displayBytes(binaryId).contains(QStringLiteral("\\xff")));
    QCOMPARE(unescapeBytes(displayBytes(binaryId)), binaryId);

    auto notJson = s->session("not-json");
    QVERIFY(notJson);
    QCOMPARE(notJson->decoded.encoding, QStringLiteral("text"));
    QVERIFY(!notJson->decoded.warning.isEmpty());

    auto hash = s->session("a-hash");
    QVERIFY(hash);
    QCOMPARE(hash->decoded.encoding, QStringLiteral("redis-hash"));
    QCOMPARE(hash->summary.user, QStringLiteral("dave"));
    const QJsonObject hashJson = toJson(hash->decoded.root, false).toObject();
    QCOMPARE(hashJson[QStringLiteral("token")].toString(), kMaskText);

    auto revoked = s->revoke({binaryId, "a-hash", "huge"});
    QVERIFY(revoked);
    QCOMPARE(revoked->revoked.size(), 3);
    QCOMPARE(m_direct->command({"EXISTS", "sess:" + binaryId, "sess:a-hash", "sess:huge"})->integer,
             0);
    auto destroyed = s->destroyAll(false, {}, {});
    QVERIFY(destroyed);
    QCOMPARE(destroyed->destroyed, 8);
    QCOMPARE(countKeys("sess:*"), 0);
    verifyOutsidersIntact();
}

void TestRedisSessionStore::revokeKeepsIndexConsistent()
{
    auto s = store(kIndex);
    auto report = s->revoke({"asid0", "no-such-id"});
    QVERIFY(report);
    QCOMPARE(report->revoked, QList<QByteArray>{"asid0"});
    QCOMPARE(report->notFound, QList<QByteArray>{"no-such-id"});
    QCOMPARE(report->indexEntriesRemoved, 1);
    QCOMPARE(m_direct->command({"EXISTS", "sess:asid0"})->integer, 0);
    QCOMPARE(m_direct->command({"SISMEMBER", "user-sessions:alice@example.org", "asid0"})->integer,
             0);
    QCOMPARE(m_direct->command({"SCARD", "user-sessions:alice@example.org"})->integer, 2);
    QCOMPARE(m_direct->command({"EXISTS", "sess:asid1", "sess:asid2", "sess:bsid0"})->integer, 3);
    verifyOutsidersIntact();
}

void TestRedisSessionStore::logoutUserWithIndex()
{
    put({{"SADD", "user-sessions:alice@example.org", "stale-a"}});
    auto report = store(kIndex)->logoutUser(QStringLiteral("alice@example.org"), {}, {});
    QVERIFY(report);
    QCOMPARE(report->revoked.size(), 3);
    QCOMPARE(report->notFound, QList<QByteArray>{"stale-a"});
    QCOMPARE(report->indexEntriesRemoved, 4);
    QCOMPARE(countKeys("sess:a*"), 0);
    QCOMPARE(m_direct->command({"EXISTS", "user-sessions:alice@example.org"})->integer, 0);
    QCOMPARE(countKeys("sess:*"), 3);
    QCOMPARE(m_direct->command({"SCARD", "user-sessions:bob@example.org"})->integer, 2);
    verifyOutsidersIntact();
}

void TestRedisSessionStore::logoutUserWithoutIndex()
{
    auto report = store()->logoutUser(QStringLiteral("bob@example.org"), {}, {});
    QVERIFY(report);
    QCOMPARE(report->revoked.size(), 2);
    QCOMPARE(countKeys("sess:b*"), 0);
    QCOMPARE(countKeys("sess:*"), 4);
    // Without an index SessionDesk does not know the index; the app's own set is left alone.
    QCOMPARE(m_direct->command({"SCARD", "user-sessions:bob@example.org"})->integer, 2);

    auto none = store()->logoutUser(QStringLiteral("nobody"), {}, {});
    QVERIFY(none);
    QVERIFY(none->revoked.isEmpty());
}

void TestRedisSessionStore::destroyAllDryRunChangesNothing()
{
    const QByteArray before = m_server.cli({QStringLiteral("DBSIZE")});
    auto report = store(kIndex)->destroyAll(true, {}, {});
    QVERIFY(report);
    QVERIFY(report->dryRun);
    QCOMPARE(report->matched, 6);
    QCOMPARE(report->destroyed, 0);
    QCOMPARE(report->indexKeysDestroyed, 3);
    QCOMPARE(m_server.cli({QStringLiteral("DBSIZE")}), before);
}

void TestRedisSessionStore::destroyAllTouchesOnlyTheLayout()
{
    QList<Command> many;
    for (int i = 0; i < 2500; ++i)
        many.append({"SET", "sess:bulk-" + QByteArray::number(i), "{}", "EX", "600"});
    put(many);
    auto s = store(kIndex);
    s->setBatchSize(300);
    QList<Progress> seen;
    auto report = s->destroyAll(false, [&](const Progress &p) { seen.append(p); }, {});
    QVERIFY(report);
    QCOMPARE(report->matched, 2506);
    QCOMPARE(report->destroyed, 2506);
    QCOMPARE(report->failed, 0);
    QCOMPARE(report->indexKeysDestroyed, 3);
    QVERIFY(!report->cancelled);
    QVERIFY(seen.size() > 3);
    QCOMPARE(seen.last().destroyed, 2506);
    QCOMPARE(countKeys("sess:*"), 0);
    QCOMPARE(countKeys("user-sessions:*"), 0);
    verifyOutsidersIntact();
}

void TestRedisSessionStore::destroyAllCancelReportsExactly()
{
    QList<Command> many;
    for (int i = 0; i < 3000; ++i)
        many.append({"SET", "sess:c-" + QByteArray::number(i), "{}"});
    put(many);
    auto s = store(kIndex);
    s->setBatchSize(200);
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
    // The report is exact: what it says was destroyed is what is gone.
    QCOMPARE(countKeys("sess:*"), 3006 - report->destroyed);
    QCOMPARE(report->indexKeysDestroyed, 0);
    QCOMPARE(countKeys("user-sessions:*"), 3);
    verifyOutsidersIntact();
}

void TestRedisSessionStore::progressKeepsComingOnALongScanWithFewMatches()
{
    // 200,000 keys outside the layout around the six sessions: a long scan that matches little.
    for (int chunk = 0; chunk < 200; ++chunk) {
        Command mset{"MSET"};
        for (int i = 0; i < 1000; ++i) {
            mset.append("other:" + QByteArray::number(chunk * 1000 + i));
            mset.append("x");
        }
        put({mset});
    }
    const qint64 dbsize = m_direct->command({"DBSIZE"})->integer;
    auto s = store();
    s->setBatchSize(50); // many rounds, so that the run lasts
    QElapsedTimer clock;
    clock.start();
    qint64 last = 0;
    qint64 longestGap = 0;
    int calls = 0;
    Progress final;
    auto list = s->listUsers(
        [&](const Progress &p) {
            longestGap = std::max(longestGap, clock.elapsed() - last);
            last = clock.elapsed();
            ++calls;
            QVERIFY(p.examined <= p.total);
            final = p;
        },
        {});
    QVERIFY(list);
    QCOMPARE(list->sessionsExamined, 6);
    // Progress every round, whether or not the round matched anything: far more often than
    // every 250 ms, up to the end, with examined / DBSIZE as the measure.
    QVERIFY2(calls >= 200000 / 50 / 2, QByteArray::number(calls).constData());
    QVERIFY2(longestGap < 250, QByteArray::number(longestGap).constData());
    QVERIFY2(clock.elapsed() - last < 250, "the last progress came long before the end");
    QCOMPARE(final.total, dbsize);
    QCOMPARE(final.examined, dbsize);
    QCOMPARE(final.matched, 6);
}

void TestRedisSessionStore::cancelStopsWithinOneBatch()
{
    QList<Command> many;
    for (int i = 0; i < 5000; ++i)
        many.append({"SET", "sess:q-" + QByteArray::number(i), "{}"});
    put(many);
    auto s = store();
    const int batch = 100;
    s->setBatchSize(batch);
    CancelToken cancel;
    qint64 destroyedAtCancel = -1;
    auto report = s->destroyAll(
        false,
        [&](const Progress &p) {
            if (destroyedAtCancel < 0 && p.destroyed >= 500) {
                destroyedAtCancel = p.destroyed;
                cancel.cancel();
            }
        },
        cancel);
    QVERIFY(report);
    QVERIFY(report->cancelled);
    // At most the one batch already in flight when cancel came is finished after it. SCAN
    // COUNT counts hash buckets, so a batch holds about `batch` keys, a few more or fewer.
    QVERIFY(report->destroyed >= destroyedAtCancel);
    QVERIFY2(
        report->destroyed <= destroyedAtCancel + batch * 3 / 2,
        qPrintable(
            QStringLiteral("%1 after cancel at %2").arg(report->destroyed).arg(destroyedAtCancel)));
    QCOMPARE(countKeys("sess:*"), 5006 - report->destroyed);
    verifyOutsidersIntact();
}

void TestRedisSessionStore::readOnlyRefusesChanges()
{
    auto s = store(kIndex, true);
    QVERIFY(s->isReadOnly());
    const auto expectRefused = [](const auto &result) {
        QVERIFY(!result);
        QCOMPARE(result.error().code, StorageError::Code::Refused);
        QVERIFY(result.error().message.contains(QStringLiteral("read-only")));
    };
    expectRefused(s->revoke({"asid0"}));
    expectRefused(s->logoutUser(QStringLiteral("alice@example.org"), {}, {}));
    expectRefused(s->destroyAll(false, {}, {}));
    QVERIFY(s->destroyAll(true, {}, {})); // counting is allowed
    QVERIFY(s->listUsers({}, {}));
    QCOMPARE(countKeys("sess:*"), 6);
}

void TestRedisSessionStore::describeReportsServer()
{
    auto info = store(kIndex)->describe({}, {});
    QVERIFY(info);
    QCOMPARE(info->kind, QStringLiteral("redis"));
    QCOMPARE(info->target, m_server.target());
    QVERIFY(info->serverVersion.startsWith(u'7') || info->serverVersion.startsWith(u'6'));
    QCOMPARE(info->sessions, 6);
    QCOMPARE(info->sessionsWithoutTtl, 0);
    QCOMPARE(info->keysInDatabase, 6 + 3 + kOutsiders.size());
    put({{"SET", "sess:forever", "{}"}});
    auto again = store(kIndex)->describe({}, {});
    QVERIFY(again);
    QCOMPARE(again->sessions, 7);
    QCOMPARE(again->sessionsWithoutTtl, 1);
    const StoreFact *policy = info->fact(QStringLiteral("redis.memory.maxmemory_policy"));
    QVERIFY(policy && policy->known && !policy->value.toString().isEmpty());
    QCOMPARE(again->fact(QStringLiteral("redis.sessions.without_ttl"))->value.toInt(), 1);
}

void TestRedisSessionStore::aclUserWithMinimalCommands()
{
    // Exactly the commands SessionDesk needs, on exactly the layout's keys.
    RedisServer server;
    RedisServer::Options options;
    options.configLines << QStringLiteral(
        "user sessiondesk on >desk-pw ~sess:* ~user-sessions:* resetchannels -@all +ping "
        "+info +dbsize +scan +get +mget +pttl +type +unlink +del +smembers +zrange +srem +zrem "
        "+hgetall +lrange +srandmember +command|info");
    QVERIFY2(server.start(options), qPrintable(server.errorString()));
    Connection admin(*StoreConfig::fromUrl(server.url()));
    QVERIFY(admin.pipeline({{"SET", "sess:x1", sessionJson(QStringLiteral("eve"), "t")},
                            {"SET", "sess:x2", sessionJson(QStringLiteral("eve"), "t")},
                            {"SADD", "user-sessions:eve", "x1", "x2"},
                            {"SET", "other:keep", "1"}}));

    StoreConfig config = *StoreConfig::fromUrl(server.url());
    config.username = QStringLiteral("sessiondesk");
    config.password = QStringLiteral("desk-pw");
    SessionLayout layout = *SessionLayout::preset(QStringLiteral("connect-redis"));
    layout.userIndexPattern = kIndex;
    Redis::SessionStore s(config, layout);
    QVERIFY(s.connect());
    auto info = s.describe({}, {}); // CONFIG GET is denied: reported as absent, not an error
    QVERIFY2(info, info ? "" : qPrintable(info.error().message));
    QCOMPARE(info->sessions, 2);
    auto users = s.listUsers({}, {});
    QVERIFY(users);
    QCOMPARE(users->users.size(), 1);
    auto revoked = s.revoke({"x1"});
    QVERIFY2(revoked, revoked ? "" : qPrintable(revoked.error().message));
    auto destroyed = s.destroyAll(false, {}, {});
    QVERIFY(destroyed);
    QCOMPARE(destroyed->destroyed, 1);
    QCOMPARE(admin.command({"GET", "other:keep"})->string, QByteArray("1"));

    // A user without UNLINK/DEL gets one sentence naming the denial.
    RedisServer limited;
    RedisServer::Options readOnlyAcl;
    readOnlyAcl.configLines << QStringLiteral(
        "user viewer on >view-pw ~sess:* resetchannels -@all +ping +scan +get +pttl +type "
        "+command|info");
    QVERIFY2(limited.start(readOnlyAcl), qPrintable(limited.errorString()));
    Connection(*StoreConfig::fromUrl(limited.url())).command({"SET", "sess:v", "{}"});
    StoreConfig viewer = *StoreConfig::fromUrl(limited.url());
    viewer.username = QStringLiteral("viewer");
    viewer.password = QStringLiteral("view-pw");
    Redis::SessionStore v(viewer, *SessionLayout::preset(QStringLiteral("connect-redis")));
    QVERIFY(v.connect());
    auto denied = v.revoke({"v"});
    QVERIFY(!denied);
    QCOMPARE(denied.error().code, StorageError::Code::Permission);
    QVERIFY2(denied.error().message.contains(QStringLiteral("127.0.0.1:%1").arg(limited.port())),
             qPrintable(denied.error().message));
}

QTEST_GUILESS_MAIN(TestRedisSessionStore)
#include "tst_redissessionstore.moc"
