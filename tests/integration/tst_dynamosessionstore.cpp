// The DynamoDB session store against dynalite (a real DynamoDB-compatible server), directly and
// through the fault-injecting proxy for what dynalite never does: throttling, unprocessed
// items, 5xx, dropped connections, the TTL/PITR/SSE descriptions.

#include "dynaliteserver.h"
#include "dynamodb/dynamosessionstore.h"
#include "faultproxy.h"

#include <QJsonArray>
#include <QTest>

using namespace SessionDesk;
using SessionDesk::Test::DynaliteServer;
using SessionDesk::Test::FaultProxy;

namespace {

QJsonObject S(const QString &value)
{
    return {{QStringLiteral("S"), value}};
}

QJsonObject N(double value)
{
    return {{QStringLiteral("N"), QString::number(value, 'f', 3)}};
}

QJsonObject sessionItem(const QString &sid, const QString &user, double expiresInSeconds)
{
    const double expires = QDateTime::currentSecsSinceEpoch() + expiresInSeconds;
    const QString sess = QStringLiteral(R"({"cookie":{"originalMaxAge":7200000},"user_id":"%1",)"
                                        R"("user":{"tokens":{"accessToken":"at-%2"}}})")
                             .arg(user, sid);
    return {{QStringLiteral("id"), S(QStringLiteral("sess:") + sid)},
            {QStringLiteral("user_id"), S(user)},
            {QStringLiteral("sess"), S(sess)},
            {QStringLiteral("expires"), N(expires)}};
}

} // namespace

class TestDynamoSessionStore final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void listsUsersAndSessions();
    void userLookupUsesTheIndex();
    void expiredItemsShowAsExpired();
    void showsDecodedSessionMasked();
    void revokeIsConditional();
    void logoutUserEverywhere();
    void destroyAllTouchesOnlyThePrefix();
    void destroyAllUnderThrottlingIsExact();
    void settingsShowWhatTheEndpointTells();
    void destroyAllCancelLeavesExactCounts();
    void unknownTableIsOneSentence();
    void readOnlyRefuses();
    void mapValuesOfPwrdrvrLayout();

private:
    std::unique_ptr<Aws::DynamoSessionStore> store(const QString &endpoint = QString(),
                                                   QString table = QString());

    DynaliteServer m_dynalite;
    QString kTable; // a fresh table per test: dynalite deletes tables asynchronously
    int m_tables = 0;
};

void TestDynamoSessionStore::initTestCase()
{
    // The signer needs credentials; dynalite accepts any.
    qputenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
    qputenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    qputenv("AWS_REGION", "eu-west-2");
    qunsetenv("AWS_PROFILE");
    QVERIFY2(m_dynalite.start(), qPrintable(m_dynalite.errorString()));
}

void TestDynamoSessionStore::init()
{
    kTable = QStringLiteral("account-SessionStore-%1").arg(++m_tables);
    QVERIFY(m_dynalite.createTable(kTable, true));
    QList<QJsonObject> items;
    for (int i = 0; i < 3; ++i)
        items << sessionItem(QStringLiteral("a%1").arg(i), QStringLiteral("alice"), 7200);
    for (int i = 0; i < 2; ++i)
        items << sessionItem(QStringLiteral("b%1").arg(i), QStringLiteral("bob"), 7200);
    items << sessionItem(QStringLiteral("c0"), QStringLiteral("carol"), -60); // not yet swept
    items << QJsonObject{{QStringLiteral("id"), S(QStringLiteral("other:keep"))},
                         {QStringLiteral("sess"), S(QStringLiteral("{}"))}};
    QVERIFY(m_dynalite.putItems(kTable, items));
}

std::unique_ptr<Aws::DynamoSessionStore> TestDynamoSessionStore::store(const QString &endpoint,
                                                                       QString table)
{
    if (table.isEmpty())
        table = kTable;
    auto config = StoreConfig::fromUrl(
        QStringLiteral("dynamodb://%1?endpoint=%2")
            .arg(table, endpoint.isEmpty() ? m_dynalite.endpoint() : endpoint));
    Q_ASSERT(config);
    auto s = std::make_unique<Aws::DynamoSessionStore>(
        *config, *SessionLayout::preset(QStringLiteral("dynamodb-gds")));
    s->setScanSegments(3);
    return s;
}

void TestDynamoSessionStore::listsUsersAndSessions()
{
    auto s = store();
    QVERIFY(s->connect());
    QCOMPARE(s->targetName(), kTable + QStringLiteral("@eu-west-2"));
    auto users = s->listUsers({}, {});
    QVERIFY2(users, users ? "" : qPrintable(users.error().message));
    QCOMPARE(users->users.size(), 3);
    QCOMPARE(users->users.first().user, QStringLiteral("alice"));
    QCOMPARE(users->users.first().sessions, 3);
    QCOMPARE(users->sessionsExamined, 6); // other:keep is not a session
    auto all = s->listSessions({}, {}, {});
    QVERIFY(all);
    QCOMPARE(all->sessions.size(), 6);
    SessionPageRequest small;
    small.pageSize = 2;
    QSet<QByteArray> ids;
    for (int guard = 0; guard < 20; ++guard) {
        auto page = s->sessionPage(small, {});
        QVERIFY(page);
        for (const SessionSummary &summary : page->sessions)
            ids.insert(summary.id);
        if (page->atEnd)
            break;
        small.cursor = page->nextCursor;
    }
    QCOMPARE(ids.size(), 6);
}

void TestDynamoSessionStore::userLookupUsesTheIndex()
{
    auto s = store();
    QVERIFY(s->connect());
    SessionQuery query;
    query.user = QStringLiteral("bob");
    auto list = s->listSessions(query, {}, {});
    QVERIFY(list);
    QCOMPARE(list->sessions.size(), 2);
    for (const SessionSummary &summary : list->sessions) {
        QCOMPARE(summary.user, QStringLiteral("bob"));
        QVERIFY(summary.ttlMs > 7000 * 1000);
    }
}

void TestDynamoSessionStore::expiredItemsShowAsExpired()
{
    auto s = store();
    QVERIFY(s->connect());
    auto detail = s->session("c0");
    QVERIFY(detail);
    QCOMPARE(detail->summary.ttlMs, 0);
    QVERIFY(detail->summary.expiresAt < QDateTime::currentDateTimeUtc());
}

void TestDynamoSessionStore::showsDecodedSessionMasked()
{
    auto s = store();
    QVERIFY(s->connect());
    auto detail = s->session("a1");
    QVERIFY(detail);
    QCOMPARE(detail->summary.user, QStringLiteral("alice"));
    QCOMPARE(detail->decoded.encoding, QStringLiteral("json"));
    const QJsonObject masked = toJson(detail->decoded.root, false).toObject();
    QCOMPARE(masked[QStringLiteral("user")][QStringLiteral("tokens")][QStringLiteral("accessToken")]
                 .toString(),
             kMaskText);
    auto missing = s->session("nope");
    QVERIFY(!missing);
    QCOMPARE(missing.error().code, StorageError::Code::NotFound);
}

void TestDynamoSessionStore::revokeIsConditional()
{
    auto s = store();
    QVERIFY(s->connect());
    auto report = s->revoke({"a0", "never-was"});
    QVERIFY2(report, report ? "" : qPrintable(report.error().message));
    QCOMPARE(report->revoked, QList<QByteArray>{"a0"});
    QCOMPARE(report->notFound, QList<QByteArray>{"never-was"});
    QCOMPARE(m_dynalite.countItems(kTable), 6); // and nothing was created for "never-was"
}

void TestDynamoSessionStore::logoutUserEverywhere()
{
    auto s = store();
    QVERIFY(s->connect());
    auto report = s->logoutUser(QStringLiteral("alice"), {}, {});
    QVERIFY(report);
    QCOMPARE(report->revoked.size(), 3);
    SessionQuery query;
    query.user = QStringLiteral("alice");
    QCOMPARE(s->listSessions(query, {}, {})->sessions.size(), 0);
    QCOMPARE(m_dynalite.countItems(kTable), 4);
}

void TestDynamoSessionStore::destroyAllTouchesOnlyThePrefix()
{
    auto s = store();
    QVERIFY(s->connect());
    auto dry = s->destroyAll(true, {}, {});
    QVERIFY(dry);
    QCOMPARE(dry->matched, 6);
    QVERIFY2(dry->costEstimate.contains(QStringLiteral("write units")),
             qPrintable(dry->costEstimate));
    QCOMPARE(m_dynalite.countItems(kTable), 7);
    auto done = s->destroyAll(false, {}, {});
    QVERIFY(done);
    QCOMPARE(done->destroyed, 6);
    QCOMPARE(done->failed, 0);
    QVERIFY(done->consumedCapacityUnits >= 0);
    QVERIFY(done->costEstimate.isEmpty()); // estimates are for dry runs
    QCOMPARE(m_dynalite.countItems(kTable), 1); // other:keep
}

void TestDynamoSessionStore::destroyAllUnderThrottlingIsExact()
{
    QList<QJsonObject> many;
    for (int i = 0; i < 600; ++i)
        many << sessionItem(QStringLiteral("bulk%1").arg(i), QStringLiteral("u%1").arg(i % 50),
                            600);
    QVERIFY(m_dynalite.putItems(kTable, many));
    FaultProxy proxy;
    QVERIFY2(proxy.start(m_dynalite.endpoint()), qPrintable(proxy.errorString()));
    proxy.setThrottleRate(0.2);
    proxy.setUnprocessedRate(0.3);
    auto s = store(proxy.endpoint());
    QVERIFY(s->connect());
    QList<Progress> progress;
    auto done = s->destroyAll(false, [&](const Progress &p) { progress.append(p); }, {});
    QVERIFY2(done, done ? "" : qPrintable(done.error().message));
    QCOMPARE(done->matched, 606);
    QCOMPARE(done->destroyed, 606);
    QCOMPARE(done->failed, 0);
    QVERIFY(proxy.injectedThrottles() > 0);
    QVERIFY(proxy.unprocessedItemsReturned() > 0);
    QVERIFY(!progress.isEmpty());
    QCOMPARE(m_dynalite.countItems(kTable), 1);
}

void TestDynamoSessionStore::destroyAllCancelLeavesExactCounts()
{
    QList<QJsonObject> many;
    for (int i = 0; i < 1500; ++i)
        many << sessionItem(QStringLiteral("k%1").arg(i), QStringLiteral("u%1").arg(i % 9), 600);
    QVERIFY(m_dynalite.putItems(kTable, many));
    auto s = store();
    QVERIFY(s->connect());
    CancelToken cancel;
    auto done = s->destroyAll(
        false,
        [&](const Progress &p) {
            if (p.destroyed > 0)
                cancel.cancel();
        },
        cancel);
    QVERIFY(done);
    QVERIFY(done->cancelled);
    QVERIFY(done->destroyed > 0);
    QVERIFY(done->destroyed < 1506);
    // What the report says was destroyed is exactly what is gone (other:keep stays).
    QCOMPARE(m_dynalite.countItems(kTable), 1507 - done->destroyed);
}

void TestDynamoSessionStore::settingsShowWhatTheEndpointTells()
{
    FaultProxy proxy;
    QVERIFY2(proxy.start(m_dynalite.endpoint()), qPrintable(proxy.errorString()));
    proxy.setSseDescription(FaultProxy::kmsSseDescription());
    auto s = store(proxy.endpoint());
    QVERIFY(s->connect());
    auto info = s->describe({}, {});
    QVERIFY2(info, info ? "" : qPrintable(info.error().message));
    QCOMPARE(info->kind, QStringLiteral("dynamodb"));
    QCOMPARE(info->sessions, 6);
    QCOMPARE(info->sessionsWithoutTtl, 0);
    QVERIFY(s->userLookupCost().isEmpty()); // the table has the users-sessions index
    const auto value = [&](const StoreInfo &i, const char *id) {
        const StoreFact *fact = i.fact(QString::fromLatin1(id));
        return fact ? fact->value : QJsonValue(QJsonValue::Undefined);
    };
    QCOMPARE(value(*info, "dynamodb.sse.type").toString(), QStringLiteral("KMS"));
    QCOMPARE(value(*info, "dynamodb.ttl.attribute").toString(), QStringLiteral("expires"));
    QCOMPARE(value(*info, "dynamodb.gsi.users-sessions.partition_key").toString(),
             QStringLiteral("user_id"));
    QVERIFY(!value(*info, "dynamodb.pitr.status").toString().isEmpty());
    QCOMPARE(value(*info, "dynamodb.sessions.count").toInt(), 6);
    // dynalite alone lacks DescribeContinuousBackups: that fact is unknown, the view still works.
    auto direct = store();
    QVERIFY(direct->connect());
    auto partial = direct->describe({}, {});
    QVERIFY(partial);
    const StoreFact *pitr = partial->fact(QStringLiteral("dynamodb.pitr.status"));
    QVERIFY(pitr);
    QVERIFY2(!pitr->known && pitr->display.startsWith(QStringLiteral("unknown")),
             qPrintable(pitr->display));
}

void TestDynamoSessionStore::unknownTableIsOneSentence()
{
    auto s = store(QString(), QStringLiteral("no-such-table"));
    auto connected = s->connect();
    QVERIFY(!connected);
    QCOMPARE(connected.error().code, StorageError::Code::NotFound);
    QVERIFY2(connected.error().message.contains(QStringLiteral("no-such-table")),
             qPrintable(connected.error().message));
    QVERIFY(!connected.error().message.contains(u'\n'));
}

void TestDynamoSessionStore::readOnlyRefuses()
{
    auto s = store();
    QVERIFY(s->connect());
    s->setReadOnly(true);
    auto refused = s->destroyAll(false, {}, {});
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, StorageError::Code::Refused);
    QVERIFY(!s->revoke({"a1"}));
    QCOMPARE(m_dynalite.countItems(kTable), 7);
}

void TestDynamoSessionStore::mapValuesOfPwrdrvrLayout()
{
    const QString table = QStringLiteral("pwrdrvr-%1").arg(++m_tables);
    QVERIFY(m_dynalite.createTable(table, false));
    const QJsonObject sess{
        {QStringLiteral("M"),
         QJsonObject{{QStringLiteral("user_id"), S(QStringLiteral("dora"))},
                     {QStringLiteral("tokens"),
                      QJsonObject{{QStringLiteral("M"),
                                   QJsonObject{{QStringLiteral("refreshToken"),
                                                S(QStringLiteral("rt-secret"))}}}}},
                     {QStringLiteral("lastModified"), S(QStringLiteral("2026-11-20T08:00:00Z"))},
                     {QStringLiteral("count"), N(3)}}}};
    QVERIFY(m_dynalite.putItems(
        table,
        {QJsonObject{{QStringLiteral("id"), S(QStringLiteral("session#p1"))},
                     {QStringLiteral("sess"), sess},
                     {QStringLiteral("expires"), N(QDateTime::currentSecsSinceEpoch() + 60)}},
         QJsonObject{{QStringLiteral("id"), S(QStringLiteral("sess:not-this-layout"))}}}));
    auto config = StoreConfig::fromUrl(
        QStringLiteral("dynamodb://%1?endpoint=%2").arg(table, m_dynalite.endpoint()));
    Aws::DynamoSessionStore s(*config, *SessionLayout::preset(QStringLiteral("dynamodb-pwrdrvr")));
    QVERIFY(s.connect());
    auto users = s.listUsers({}, {});
    QVERIFY(users);
    QCOMPARE(users->sessionsExamined, 1);
    QCOMPARE(users->users.first().user, QStringLiteral("dora"));
    auto detail = s.session("p1");
    QVERIFY(detail);
    QCOMPARE(detail->decoded.encoding, QStringLiteral("json"));
    QCOMPARE(detail->summary.lastAccessAt, QDateTime(QDate(2026, 11, 20), QTime(8, 0), Qt::UTC));
    const QJsonObject masked = toJson(detail->decoded.root, false).toObject();
    QCOMPARE(masked[QStringLiteral("tokens")][QStringLiteral("refreshToken")].toString(),
             kMaskText);
    QCOMPARE(masked[QStringLiteral("count")].toInt(), 3);
    auto settings = s.settings();
    QVERIFY(settings);
    QCOMPARE(settings->sessions, -1); // no scan behind the settings
    QVERIFY(s.userLookupCost().contains(QStringLiteral("no per-user index")));
}

QTEST_GUILESS_MAIN(TestDynamoSessionStore)
#include "tst_dynamosessionstore.moc"
