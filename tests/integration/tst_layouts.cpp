// Framework layouts against a real redis-server: auto-detection of every recorded framework
// (tests/fixtures/sessions/, loaded key by key with its TTL), a mix that cannot be decided, an
// empty store; users, TTLs, times and devices listed for every encoding; Spring Session's
// indexed and plain repositories written exactly as formats.md §2 describes (hashes of
// JDK-serialized values from tests/data/codecs/java/, shadow keys, per-minute expiry sets, the
// principal index) and revoked, logged out and destroyed the way Spring does; Rails' private and
// legacy keys; phpredis' lock keys. Keys outside each layout must survive everything.
#include "redis/redisconnection.h"
#include "redis/redissessionstore.h"
#include "redisserver.h"
#include "storefacts.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QtEndian>

using namespace Qt::StringLiterals;
using namespace SessionDesk;
using SessionDesk::Redis::Command;
using SessionDesk::Redis::Connection;
using SessionDesk::Test::RedisServer;

namespace {

const QString kSource = QStringLiteral(SESSIONDESK_SOURCE_DIR);

QJsonObject fixture(const QString &name)
{
    QFile file(kSource + u"/tests/fixtures/sessions/"_s + name + u".json"_s);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

QByteArray javaData(const QString &name)
{
    QFile file(kSource + u"/tests/data/codecs/java/"_s + name);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// A java.lang.String as ObjectOutputStream writes it on its own: magic, TC_STRING, length.
QByteArray javaString(const QByteArray &utf8)
{
    QByteArray out("\xac\xed\x00\x05\x74", 5);
    out.append(char(utf8.size() >> 8)).append(char(utf8.size() & 0xff));
    return out + utf8;
}

// A recorded java.lang.Long with another value: the long is the stream's last 8 bytes.
QByteArray javaLong(qint64 value)
{
    QByteArray recorded = javaData(u"spring-lastAccessedTime.ser"_s);
    qToBigEndian(value, recorded.data() + recorded.size() - 8);
    return recorded;
}

// What a fixture's user_id field holds, as SessionDesk shows it: the first scalar.
QString shownUser(const QJsonValue &value)
{
    if (value.isArray())
        return value.toArray().isEmpty() ? QString() : shownUser(value.toArray().first());
    if (value.isDouble())
        return QString::number(value.toInteger());
    return value.toString();
}

const QList<QPair<QByteArray, QByteArray>> kOutsiders = {
    {"other:keep", "1"}, {"sess", "2"}, {"cache:session:1", "3"}, {"spring:session:other", "4"}};

// Spring's bucket: last access + timeout, rounded up to the next minute.
qint64 expiryMinute(qint64 lastAccessMs, qint64 timeoutSeconds)
{
    return ((lastAccessMs + timeoutSeconds * 1000) / 60000 + 1) * 60000;
}

const QByteArray kSpringPrefix = "spring:session:sessions:";
const QByteArray kPrincipalIndex = "spring:session:index:org.springframework.session."
                                   "FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME:";
const QByteArray kPrincipalAttribute = "sessionAttr:org.springframework.session."
                                       "FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME";

} // namespace

class TestLayouts final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();

    void detectsEachRecordedFramework_data();
    void detectsEachRecordedFramework();
    void listsUsersTimesAndDevicesOfEachFramework_data();
    void listsUsersTimesAndDevicesOfEachFramework();
    void logsUsersOutOfEachFramework_data();
    void logsUsersOutOfEachFramework();
    void mixedStoreCannotDecide();
    void strayKeysDoNotStopDetection();
    void emptyStoreFallsBackAndSaysSo();
    void storeWithoutSessionsFallsBack();
    void overridesApplyToTheDetectedLayout();

    void springIndexedIsDetectedAndListed();
    void springIndexedRevokeAsSpringDoes();
    void springIndexedLogoutAndDestroyAll();
    void springPlainRepository();

    void railsRevokeRemovesPrivateAndLegacyKeys();
    void phpredisLockKeysAreBookkeeping();

private:
    std::unique_ptr<Redis::SessionStore> open(const QString &schema, SessionLayout overrides = {});
    void put(const QList<Command> &commands);
    void loadFixture(const QString &name, const QByteArray &renamePrefix = {},
                     const QByteArray &toPrefix = {});
    QList<QByteArray> keys();
    bool exists(const QByteArray &key);
    void verifyOutsidersIntact();
    // Spring sessions as RedisIndexedSessionRepository writes them; returns the ids by user.
    QHash<QByteArray, QList<QByteArray>> writeSpringSessions(bool indexed);

    RedisServer m_server;
    std::unique_ptr<Connection> m_direct;
    qint64 m_lastAccessMs = 0;
};

void TestLayouts::initTestCase()
{
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    m_direct = std::make_unique<Connection>(*StoreConfig::fromUrl(m_server.url()));
    QVERIFY(m_direct->open());
    QVERIFY2(!fixture(u"express"_s).isEmpty(), "tests/fixtures/sessions/ is not readable");
    QVERIFY2(!javaData(u"spring-security-context.ser"_s).isEmpty(),
             "tests/data/codecs/java/ is not readable");
}

void TestLayouts::init()
{
    // Each test starts from an empty database plus the outsiders; FLUSHDB is the test's own,
    // never the product's.
    QVERIFY(m_direct->command({"FLUSHDB"}));
    QList<Command> commands;
    for (const auto &[key, value] : kOutsiders)
        commands.append({"SET", key, value});
    put(commands);
}

std::unique_ptr<Redis::SessionStore> TestLayouts::open(const QString &schema,
                                                       SessionLayout overrides)
{
    SessionLayout layout = *SessionLayout::preset(schema);
    if (!overrides.keyPrefix.isEmpty())
        layout.keyPrefix = overrides.keyPrefix;
    if (!overrides.userFields.isEmpty())
        layout.userFields = overrides.userFields;
    return std::make_unique<Redis::SessionStore>(*StoreConfig::fromUrl(m_server.url()), layout);
}

void TestLayouts::put(const QList<Command> &commands)
{
    if (commands.isEmpty())
        return;
    auto replies = m_direct->pipeline(commands);
    QVERIFY(replies);
    for (const auto &reply : *replies)
        QVERIFY2(!reply.isError(), reply.string.constData());
}

void TestLayouts::loadFixture(const QString &name, const QByteArray &renamePrefix,
                              const QByteArray &toPrefix)
{
    const QJsonObject recorded = fixture(name);
    QVERIFY2(!recorded.isEmpty(), qPrintable(name));
    QList<Command> commands;
    for (const QJsonValue &entry : recorded.value(u"keys"_s).toArray()) {
        const QJsonObject key = entry.toObject();
        QByteArray keyName =
            QByteArray::fromBase64(key.value(u"key_base64"_s).toString().toLatin1());
        if (!renamePrefix.isEmpty() && keyName.startsWith(renamePrefix))
            keyName = toPrefix + keyName.mid(renamePrefix.size());
        const QString type = key.value(u"type"_s).toString();
        if (type == u"string") {
            commands.append(
                {"SET", keyName,
                 QByteArray::fromBase64(key.value(u"value_base64"_s).toString().toLatin1())});
        } else if (type == u"set") {
            Command sadd{"SADD", keyName};
            for (const QJsonValue &member : key.value(u"members"_s).toArray())
                sadd.append(member.toString().toUtf8());
            commands.append(sadd);
        } else {
            QFAIL(qPrintable(u"fixture key of type "_s + type));
        }
        const qint64 ttl = key.value(u"ttl_ms"_s).toInteger();
        if (ttl > 0)
            commands.append({"PEXPIRE", keyName, QByteArray::number(ttl)});
    }
    put(commands);
}

QList<QByteArray> TestLayouts::keys()
{
    QList<QByteArray> all;
    QByteArray cursor = "0";
    do {
        auto reply = m_direct->command({"SCAN", cursor, "COUNT", "1000"});
        if (!reply)
            return all;
        cursor = reply->elements.at(0).string;
        for (const auto &key : reply->elements.at(1).elements)
            all.append(key.string);
    } while (cursor != "0");
    std::sort(all.begin(), all.end());
    return all;
}

bool TestLayouts::exists(const QByteArray &key)
{
    auto reply = m_direct->command({"EXISTS", key});
    return reply && reply->integer == 1;
}

void TestLayouts::verifyOutsidersIntact()
{
    for (const auto &[key, value] : kOutsiders) {
        auto reply = m_direct->command({"GET", key});
        QVERIFY(reply);
        QCOMPARE(reply->string, value);
    }
}

// --- detection -----------------------------------------------------------------------------

void TestLayouts::detectsEachRecordedFramework_data()
{
    QTest::addColumn<QString>("framework");
    QTest::addColumn<QString>("schema");
    QTest::newRow("express") << u"express"_s << u"connect-redis"_s;
    QTest::newRow("rack") << u"rack"_s << u"rack"_s;
    QTest::newRow("rails") << u"rails"_s << u"rails"_s;
    QTest::newRow("php") << u"php"_s << u"phpredis"_s;
    QTest::newRow("php-serialize") << u"php-serialize"_s << u"phpredis"_s;
    QTest::newRow("flask") << u"flask"_s << u"flask-session"_s;
    QTest::newRow("django") << u"django"_s << u"django-redis-sessions"_s;
    QTest::newRow("django-cache") << u"django-cache"_s << u"django-cache"_s;
}

void TestLayouts::detectsEachRecordedFramework()
{
    QFETCH(QString, framework);
    QFETCH(QString, schema);
    loadFixture(framework);
    auto store = open(SessionLayout::kAuto);
    const auto connected = store->connect();
    QVERIFY2(connected, qPrintable(connected ? QString() : connected.error().message));
    QCOMPARE(store->layout().schema, schema);
    const QString note = store->layoutNote();
    QVERIFY2(note.startsWith(u"Layout "_s + schema + u" (detected from"_s), qPrintable(note));
    // The evidence names the key shape and the encoding it found.
    QVERIFY2(note.contains(QString::fromUtf8(store->layout().keyPrefix)), qPrintable(note));
    QVERIFY2(note.contains(u"holding"_s), qPrintable(note));
    // The note is also one of the settings an auditor reads.
    const auto settings = store->settings();
    QVERIFY(settings);
    const StoreFact *fact = findFact(settings->facts, u"redis.layout.detection"_s);
    QVERIFY(fact);
    QCOMPARE(fact->display, note);
    QCOMPARE(fact->group, u"Layout"_s);
}

void TestLayouts::listsUsersTimesAndDevicesOfEachFramework_data()
{
    detectsEachRecordedFramework_data();
}

// Listings find users in every encoding, not only JSON; TTLs are the keys' own.
void TestLayouts::listsUsersTimesAndDevicesOfEachFramework()
{
    QFETCH(QString, framework);
    QFETCH(QString, schema);
    loadFixture(framework);
    const QJsonObject recorded = fixture(framework);
    auto store = open(schema);
    QVERIFY(store->connect());

    QHash<QString, qint64> expectedUsers;
    int sessionsWithoutUser = 0;
    for (const QJsonValue &entry : recorded.value(u"sessions"_s).toArray()) {
        const QJsonObject session = entry.toObject();
        if (!session.value(u"stored"_s).toBool())
            continue;
        const QString user = shownUser(session.value(u"user_id"_s));
        if (user.isEmpty())
            ++sessionsWithoutUser;
        else
            ++expectedUsers[user];
    }
    const auto users = store->listUsers({}, {});
    QVERIFY2(users, qPrintable(users ? QString() : users.error().message));
    QHash<QString, qint64> listed;
    for (const UserSummary &u : users->users)
        listed.insert(u.user, u.sessions);
    QCOMPARE(listed, expectedUsers);
    QCOMPARE(users->sessionsWithoutUser, sessionsWithoutUser);

    const auto sessions = store->listSessions({}, {}, {});
    QVERIFY(sessions);
    qint64 expectedSessions = sessionsWithoutUser;
    for (const qint64 count : std::as_const(expectedUsers))
        expectedSessions += count;
    QCOMPARE(sessions->sessions.size(), expectedSessions);
    for (const QJsonValue &entry : recorded.value(u"keys"_s).toArray()) {
        const QJsonObject key = entry.toObject();
        if (key.value(u"session"_s).isNull())
            continue;
        const QByteArray name =
            QByteArray::fromBase64(key.value(u"key_base64"_s).toString().toLatin1());
        const QByteArray id = *store->layout().idFromKey(name);
        const auto found = std::find_if(sessions->sessions.begin(), sessions->sessions.end(),
                                        [&](const SessionSummary &s) { return s.id == id; });
        QVERIFY2(found != sessions->sessions.end(), name.constData());
        const qint64 ttl = key.value(u"ttl_ms"_s).toInteger();
        if (ttl < 0) {
            QCOMPARE(found->ttlMs, -1);
        } else {
            QVERIFY2(
                found->ttlMs > ttl - 60000 && found->ttlMs <= ttl,
                qPrintable(
                    u"%1: %2 vs %3"_s.arg(QString::fromUtf8(name)).arg(found->ttlMs).arg(ttl)));
        }
        // The recorded apps keep the login time, IP and user agent of a logged-in session.
        if (!found->user.isEmpty()) {
            QVERIFY2(found->startedAt.isValid(), name.constData());
            QVERIFY2(found->device.contains(u"127.0.0.1"_s), qPrintable(found->device));
            QVERIFY2(found->device.contains(u"Mozilla/5.0"_s), qPrintable(found->device));
        }
    }
}

void TestLayouts::logsUsersOutOfEachFramework_data()
{
    detectsEachRecordedFramework_data();
}

// Without a user index logout-user reads every session's user in whatever encoding, as the
// listing does, and revokes exactly that user's sessions with the layout's recipe.
void TestLayouts::logsUsersOutOfEachFramework()
{
    QFETCH(QString, framework);
    QFETCH(QString, schema);
    loadFixture(framework);
    auto store = open(schema);
    QVERIFY(!store->layout().hasUserIndex());
    QVERIFY(store->connect());
    store->setBatchSize(2); // several scan rounds, each with its own revoke
    const auto before = store->listUsers({}, {});
    QVERIFY(before);
    QVERIFY2(!before->users.isEmpty(), qPrintable(framework));
    const UserSummary target = before->users.first();

    const auto logout = store->logoutUser(target.user, {}, {});
    QVERIFY2(logout, qPrintable(logout ? QString() : logout.error().message));
    QCOMPARE(logout->revoked.size(), target.sessions);
    QVERIFY(logout->notFound.isEmpty());
    for (const QByteArray &id : logout->revoked)
        QVERIFY2(!exists(store->layout().keyForId(id)), id.constData());

    const auto after = store->listUsers({}, {});
    QVERIFY(after);
    QList<UserSummary> expected = before->users.mid(1);
    QCOMPARE(after->users.size(), expected.size());
    for (qsizetype i = 0; i < expected.size(); ++i) {
        QCOMPARE(after->users.at(i).user, expected.at(i).user);
        QCOMPARE(after->users.at(i).sessions, expected.at(i).sessions);
    }
    QCOMPARE(after->sessionsWithoutUser, before->sessionsWithoutUser);
    verifyOutsidersIntact();
}

void TestLayouts::mixedStoreCannotDecide()
{
    loadFixture(u"rack"_s);
    loadFixture(u"flask"_s);
    auto store = open(SessionLayout::kAuto);
    const auto connected = store->connect();
    QVERIFY(!connected);
    QCOMPARE(connected.error().code, StorageError::Code::InvalidArgument);
    const QString message = connected.error().message;
    QVERIFY2(message.startsWith(u"Cannot tell the session layout"_s), qPrintable(message));
    // Both candidates with their evidence, and how to choose.
    QVERIFY2(message.contains(u"rack (5 keys rack:session:2::<sha256>, 5 holding marshal"_s),
             qPrintable(message));
    QVERIFY2(message.contains(u"flask-session (6 keys session:<id>, 6 holding pickle"_s),
             qPrintable(message));
    QVERIFY2(message.contains(u"--schema rack"_s), qPrintable(message));
    QVERIFY2(message.contains(m_server.target()), qPrintable(message));
    QCOMPARE(message.count(u'\n'), 0);
}

void TestLayouts::strayKeysDoNotStopDetection()
{
    // One pickled session beside the express ones: a stray, not a second framework.
    loadFixture(u"express"_s);
    put({{"SET", "session:stray", QByteArray::fromHex("80049505000000000000007d942e")}});
    auto store = open(SessionLayout::kAuto);
    QVERIFY(store->connect());
    QCOMPARE(store->layout().schema, u"connect-redis"_s);
}

void TestLayouts::emptyStoreFallsBackAndSaysSo()
{
    QVERIFY(m_direct->command({"FLUSHDB"}));
    auto store = open(SessionLayout::kAuto);
    QVERIFY(store->connect());
    QCOMPARE(store->layout().schema, u"connect-redis"_s);
    QVERIFY2(store->layoutNote().contains(u"the store is empty"_s),
             qPrintable(store->layoutNote()));
}

void TestLayouts::storeWithoutSessionsFallsBack()
{
    // Only keys of no framework (and a sess: key that is not JSON): connect-redis, saying why.
    put({{"SET", "sess:notjson", "plain text"}});
    auto store = open(SessionLayout::kAuto);
    QVERIFY(store->connect());
    QCOMPARE(store->layout().schema, u"connect-redis"_s);
    const QString note = store->layoutNote();
    QVERIFY2(note.contains(u"none of the 5 keys sampled"_s), qPrintable(note));
    QVERIFY2(note.contains(u"connect-redis (1 key sess:<id>, none holding json)"_s),
             qPrintable(note));
}

void TestLayouts::overridesApplyToTheDetectedLayout()
{
    // A namespace of the operator's own (--key-prefix) is detected with it; --user-field wins
    // over the detected preset's user paths.
    loadFixture(u"rails"_s, "session:", "shop:session:");
    SessionLayout overrides;
    overrides.keyPrefix = "shop:session:";
    overrides.userFields = {u"ip"_s};
    auto store = open(SessionLayout::kAuto, overrides);
    QVERIFY(store->connect());
    // Under one namespace Rack and Rails write the same keys (they differ in cookie names):
    // either is right.
    QVERIFY2(store->layout().schema == u"rack"_s || store->layout().schema == u"rails"_s,
             qPrintable(store->layout().schema));
    QCOMPARE(store->layout().keyPrefix, QByteArray("shop:session:"));
    QCOMPARE(store->layout().userFields, QStringList{u"ip"_s});
    const auto users = store->listUsers({}, {});
    QVERIFY(users);
    QCOMPARE(users->users.size(), 1);
    QCOMPARE(users->users.first().user, u"127.0.0.1"_s);
}

// --- Spring Session ------------------------------------------------------------------------

QHash<QByteArray, QList<QByteArray>> TestLayouts::writeSpringSessions(bool indexed)
{
    // Three sessions: two of alice (one with the recorded SecurityContext), one of bob.
    const QList<QPair<QByteArray, QByteArray>> sessions = {
        {"alice@example.com", "5f0c1e7a-0000-4000-8000-00000000a001"},
        {"alice@example.com", "5f0c1e7a-0000-4000-8000-00000000a002"},
        {"bob@example.com", "5f0c1e7a-0000-4000-8000-00000000b001"}};
    const qint64 timeout = 1800;
    m_lastAccessMs = QDateTime::currentMSecsSinceEpoch() - 30000;
    QHash<QByteArray, QList<QByteArray>> byUser;
    QList<Command> commands;
    for (qsizetype i = 0; i < sessions.size(); ++i) {
        const auto &[user, id] = sessions.at(i);
        const QByteArray key = kSpringPrefix + id;
        Command hset{"HSET",
                     key,
                     "creationTime",
                     javaLong(m_lastAccessMs - 600000),
                     "lastAccessedTime",
                     javaLong(m_lastAccessMs),
                     "maxInactiveInterval",
                     javaData(u"spring-maxInactiveInterval.ser"_s),
                     "sessionAttr:_csrf",
                     javaData(u"spring-csrf.ser"_s),
                     kPrincipalAttribute,
                     javaString(user)};
        if (i == 0) {
            hset << "sessionAttr:SPRING_SECURITY_CONTEXT"
                 << javaData(u"spring-security-context.ser"_s);
        }
        commands.append(hset);
        if (indexed) {
            // RedisIndexedSessionRepository: the hash lives 5 minutes past the session, the
            // shadow key expires with it, the minute bucket lists "expires:<id>", the principal
            // index lists the id.
            commands.append({"EXPIRE", key, QByteArray::number(timeout + 300)});
            commands.append(
                {"SET", kSpringPrefix + "expires:" + id, "", "EX", QByteArray::number(timeout)});
            const QByteArray bucket = "spring:session:expirations:"
                + QByteArray::number(expiryMinute(m_lastAccessMs, timeout));
            commands.append({"SADD", bucket, "expires:" + id});
            commands.append({"EXPIRE", bucket, QByteArray::number(timeout + 300)});
            commands.append({"SADD", kPrincipalIndex + user, id});
        } else {
            // RedisSessionRepository: EXPIREAT lastAccessedTime + maxInactiveInterval.
            commands.append(
                {"PEXPIREAT", key, QByteArray::number(m_lastAccessMs + timeout * 1000)});
        }
        byUser[user].append(id);
    }
    put(commands);
    return byUser;
}

void TestLayouts::springIndexedIsDetectedAndListed()
{
    const auto byUser = writeSpringSessions(true);
    auto store = open(SessionLayout::kAuto);
    const auto connected = store->connect();
    QVERIFY2(connected, qPrintable(connected ? QString() : connected.error().message));
    QCOMPARE(store->layout().schema, u"spring-session-indexed"_s);
    QVERIFY2(store->layoutNote().contains(u"hashes of java values"_s),
             qPrintable(store->layoutNote()));

    const auto users = store->listUsers({}, {});
    QVERIFY(users);
    QCOMPARE(users->users.size(), 2);
    QCOMPARE(users->users.at(0).user, u"alice@example.com"_s);
    QCOMPARE(users->users.at(0).sessions, 2);
    QCOMPARE(users->users.at(1).user, u"bob@example.com"_s);
    QCOMPARE(users->sessionsExamined, 3); // the shadow keys are not sessions

    const auto sessions = store->listSessions({}, {}, {});
    QVERIFY(sessions);
    QCOMPARE(sessions->sessions.size(), 3);
    for (const SessionSummary &s : sessions->sessions) {
        // The TTL is the shadow key's (the session's own timeout), not the hash's 5 min more.
        QVERIFY2(s.ttlMs > 1790000 && s.ttlMs <= 1800000, qPrintable(QString::number(s.ttlMs)));
        QCOMPARE(s.valueType, u"hash"_s);
        QCOMPARE(s.startedAt.toMSecsSinceEpoch(), m_lastAccessMs - 600000);
        QCOMPARE(s.lastAccessAt.toMSecsSinceEpoch(), m_lastAccessMs);
        QCOMPARE(s.idleTimeoutSeconds, 1800);
    }
    // A user's sessions come from the principal index.
    SessionQuery alice;
    alice.user = u"alice@example.com"_s;
    const auto own = store->listSessions(alice, {}, {});
    QVERIFY(own);
    QCOMPARE(own->sessions.size(), 2);

    // The session with the SecurityContext: decoded, the principal's password masked, the
    // remote address as its device; found by the SESSION cookie too.
    const QByteArray first = byUser.value("alice@example.com").first();
    const auto detail = store->session(first);
    QVERIFY2(detail, qPrintable(detail ? QString() : detail.error().message));
    QCOMPARE(detail->summary.user, u"alice@example.com"_s);
    QCOMPARE(detail->decoded.encoding, u"hash"_s);
    const QJsonObject masked = toJson(detail->decoded.root, false).toObject();
    const QByteArray text = QJsonDocument(masked).toJson();
    QVERIFY2(!text.contains("secrethash"), text.constData());
    QVERIFY(text.contains(kMaskText.toUtf8()));
    QVERIFY2(!detail->summary.device.isEmpty(), "no remote address");
}

void TestLayouts::springIndexedRevokeAsSpringDoes()
{
    const auto byUser = writeSpringSessions(true);
    auto store = open(u"spring-session-indexed"_s);
    QVERIFY(store->connect());
    const QByteArray id = byUser.value("alice@example.com").first();
    const QByteArray other = byUser.value("alice@example.com").last();
    const QByteArray bucket =
        "spring:session:expirations:" + QByteArray::number(expiryMinute(m_lastAccessMs, 1800));
    QVERIFY(exists(kSpringPrefix + "expires:" + id));

    const auto report = store->revoke({id});
    QVERIFY2(report, qPrintable(report ? QString() : report.error().message));
    QCOMPARE(report->revoked, QList<QByteArray>{id});
    QCOMPARE(report->indexEntriesRemoved, 1);
    QCOMPARE(report->relatedKeysRemoved, 1); // the shadow key
    // deleteById's steps: principal index, expiry bucket, shadow key; and the hash.
    QVERIFY(!exists(kSpringPrefix + id));
    QVERIFY(!exists(kSpringPrefix + "expires:" + id));
    auto bucketMembers = m_direct->command({"SMEMBERS", bucket});
    QVERIFY(bucketMembers);
    QList<QByteArray> members;
    for (const auto &m : bucketMembers->elements)
        members.append(m.string);
    QVERIFY(!members.contains("expires:" + id));
    QVERIFY(members.contains("expires:" + other));
    auto index = m_direct->command({"SMEMBERS", kPrincipalIndex + "alice@example.com"});
    QVERIFY(index);
    QCOMPARE(index->elements.size(), 1);
    QCOMPARE(index->elements.first().string, other);
    // The other sessions are untouched.
    QVERIFY(exists(kSpringPrefix + other));
    QVERIFY(exists(kSpringPrefix + "expires:" + other));
    verifyOutsidersIntact();
}

void TestLayouts::springIndexedLogoutAndDestroyAll()
{
    const auto byUser = writeSpringSessions(true);
    auto store = open(u"spring-session-indexed"_s);
    QVERIFY(store->connect());
    const auto logout = store->logoutUser(u"bob@example.com"_s, {}, {});
    QVERIFY(logout);
    QCOMPARE(logout->revoked, byUser.value("bob@example.com"));
    const QByteArray bob = byUser.value("bob@example.com").first();
    QVERIFY(!exists(kSpringPrefix + bob));
    QVERIFY(!exists(kSpringPrefix + "expires:" + bob));
    QVERIFY(!exists(kPrincipalIndex + "bob@example.com"));
    for (const QByteArray &id : byUser.value("alice@example.com"))
        QVERIFY(exists(kSpringPrefix + id));

    const auto dry = store->destroyAll(true, {}, {});
    QVERIFY(dry);
    QCOMPARE(dry->matched, 2);
    QCOMPARE(dry->indexKeysDestroyed, 1);
    QCOMPARE(dry->bookkeepingKeysDestroyed, 3); // two shadow keys and the minute bucket
    QCOMPARE(keys().size(), kOutsiders.size() + 2 + 3 + 1);

    const auto destroyed = store->destroyAll(false, {}, {});
    QVERIFY(destroyed);
    QCOMPARE(destroyed->destroyed, 2);
    QCOMPARE(destroyed->indexKeysDestroyed, 1);
    QCOMPARE(destroyed->bookkeepingKeysDestroyed, 3);
    QList<QByteArray> expected;
    for (const auto &[key, value] : kOutsiders)
        expected.append(key);
    std::sort(expected.begin(), expected.end());
    QCOMPARE(keys(), expected);
    verifyOutsidersIntact();
}

void TestLayouts::springPlainRepository()
{
    const auto byUser = writeSpringSessions(false);
    auto store = open(SessionLayout::kAuto);
    QVERIFY(store->connect());
    QCOMPARE(store->layout().schema, u"spring-session"_s);
    const auto sessions = store->listSessions({}, {}, {});
    QVERIFY(sessions);
    QCOMPARE(sessions->sessions.size(), 3);
    // EXPIREAT last access (30 s ago) + 30 min.
    for (const SessionSummary &s : sessions->sessions)
        QVERIFY2(s.ttlMs > 1760000 && s.ttlMs <= 1770000, qPrintable(QString::number(s.ttlMs)));
    // Found by the SESSION cookie (base64 of the id) and revoked with a plain DEL.
    const QByteArray id = byUser.value("bob@example.com").first();
    const auto report = store->revoke({id});
    QVERIFY(report);
    QCOMPARE(report->revoked, QList<QByteArray>{id});
    QCOMPARE(report->relatedKeysRemoved, 0);
    QVERIFY(!exists(kSpringPrefix + id));
    QCOMPARE(keys().size(), kOutsiders.size() + 2);

    // Without a principal index logout-user reads each hash for its user.
    const auto logout = store->logoutUser(u"alice@example.com"_s, {}, {});
    QVERIFY2(logout, qPrintable(logout ? QString() : logout.error().message));
    QList<QByteArray> revoked = logout->revoked;
    QList<QByteArray> alice = byUser.value("alice@example.com");
    std::sort(revoked.begin(), revoked.end());
    std::sort(alice.begin(), alice.end());
    QCOMPARE(revoked, alice);
    QCOMPARE(keys().size(), kOutsiders.size());
    verifyOutsidersIntact();
}

// --- Rails and PHP -------------------------------------------------------------------------

void TestLayouts::railsRevokeRemovesPrivateAndLegacyKeys()
{
    loadFixture(u"rails"_s);
    const QJsonArray sessions = fixture(u"rails"_s).value(u"sessions"_s).toArray();
    const QJsonObject alice = sessions.at(0).toObject();
    const QJsonObject bob = sessions.at(1).toObject();
    const QByteArray aliceCookie = alice.value(u"cookie"_s).toString().toLatin1();
    const QByteArray aliceKey = alice.value(u"key"_s).toString().toLatin1();
    const QByteArray aliceLegacy = "session:" + aliceCookie;
    // A legacy key of alice's public id beside her private one (written by redis-rack 2.0).
    auto value = m_direct->command({"GET", aliceKey});
    QVERIFY(value);
    put({{"SET", aliceLegacy, value->string}});

    auto store = open(u"rails"_s);
    QVERIFY(store->connect());
    // Shown by the cookie: the private key is read first.
    const auto shown = store->session(aliceCookie);
    QVERIFY(shown);
    QCOMPARE(shown->summary.id, aliceKey.mid(8));
    const auto report = store->revoke({aliceCookie});
    QVERIFY2(report, qPrintable(report ? QString() : report.error().message));
    QCOMPARE(report->revoked, QList<QByteArray>{aliceKey.mid(8)});
    QCOMPARE(report->relatedKeysRemoved, 1);
    QVERIFY(!exists(aliceKey));
    QVERIFY(!exists(aliceLegacy));

    // A session known only by its listed private id loses that key.
    const QByteArray bobKey = bob.value(u"key"_s).toString().toLatin1();
    const auto byId = store->revoke({bobKey.mid(8)});
    QVERIFY(byId);
    QCOMPARE(byId->revoked.size(), 1);
    QVERIFY(!exists(bobKey));

    // Only a legacy key left (a session from before redis-rack 2.1): found and revoked by the
    // cookie all the same.
    const QByteArray carolCookie =
        sessions.at(3).toObject().value(u"cookie"_s).toString().toLatin1();
    const QByteArray carolKey = sessions.at(3).toObject().value(u"key"_s).toString().toLatin1();
    put({{"RENAME", carolKey, "session:" + carolCookie}});
    QVERIFY(store->session(carolCookie));
    const auto legacy = store->revoke({carolCookie});
    QVERIFY(legacy);
    QCOMPARE(legacy->revoked, QList<QByteArray>{carolCookie});
    QVERIFY(!exists("session:" + carolCookie));
    const auto again = store->revoke({carolCookie});
    QVERIFY(again);
    QCOMPARE(again->notFound, QList<QByteArray>{carolCookie});
    verifyOutsidersIntact();
}

void TestLayouts::phpredisLockKeysAreBookkeeping()
{
    loadFixture(u"php"_s);
    const QJsonArray sessions = fixture(u"php"_s).value(u"sessions"_s).toArray();
    const QByteArray alice = sessions.at(0).toObject().value(u"sid"_s).toString().toLatin1();
    const QByteArray bob = sessions.at(1).toObject().value(u"sid"_s).toString().toLatin1();
    // phpredis' session locking: "<key>_LOCK" = "<host>|<pid>" while a request holds it.
    put({{"SET", "PHPREDIS_SESSION:" + alice + "_LOCK", "web1|4242", "PX", "30000"},
         {"SET", "PHPREDIS_SESSION:" + bob + "_LOCK", "web1|4243", "PX", "30000"}});
    auto store = open(SessionLayout::kAuto);
    QVERIFY(store->connect());
    QCOMPARE(store->layout().schema, u"phpredis"_s);
    const auto listed = store->listSessions({}, {}, {});
    QVERIFY(listed);
    QCOMPARE(listed->sessions.size(), 6);
    for (const SessionSummary &s : listed->sessions)
        QVERIFY2(!s.id.endsWith("_LOCK"), s.id.constData());

    const auto report = store->revoke({alice});
    QVERIFY(report);
    QCOMPARE(report->revoked, QList<QByteArray>{alice});
    QCOMPARE(report->relatedKeysRemoved, 1);
    QVERIFY(!exists("PHPREDIS_SESSION:" + alice));
    QVERIFY(!exists("PHPREDIS_SESSION:" + alice + "_LOCK"));
    QVERIFY(exists("PHPREDIS_SESSION:" + bob + "_LOCK"));

    const auto dry = store->destroyAll(true, {}, {});
    QVERIFY(dry);
    QCOMPARE(dry->matched, 5);
    QCOMPARE(dry->bookkeepingKeysDestroyed, 1);
    const auto destroyed = store->destroyAll(false, {}, {});
    QVERIFY(destroyed);
    QCOMPARE(destroyed->destroyed, 5);
    QCOMPARE(destroyed->bookkeepingKeysDestroyed, 1);
    QCOMPARE(keys().size(), kOutsiders.size());
    verifyOutsidersIntact();
}

QTEST_GUILESS_MAIN(TestLayouts)
#include "tst_layouts.moc"
