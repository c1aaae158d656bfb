// Ruby Marshal, pickle and msgpack sessions (values written by Ruby, CPython and
// python3-msgpack, tests/data/codecs) in a real redis-server: listed under the right user,
// shown decoded with secrets masked, through the store and through sessiondesk-cli with
// --mask-field / --no-mask-field.

#include "redis/redisconnection.h"
#include "redis/redissessionstore.h"
#include "redisserver.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace SessionDesk;
using SessionDesk::Test::RedisServer;

namespace {

QByteArray fixture(const QString &relative)
{
    QFile file(QStringLiteral(CODEC_DATA_DIR "/") + relative);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("Cannot read test data %s", qPrintable(file.fileName()));
    return file.readAll();
}

// Session id → the value stored under sess:<id>.
const QList<QPair<QByteArray, QString>> kSessions = {
    {"rails-devise", u"ruby/devise_session.marshal"_s},
    {"rails-hwia", u"ruby/hwia_session.marshal"_s},
    {"django-cache", u"pickle/django_session.p5.pickle"_s},
    {"flask-pickle", u"pickle/flask_session.p0.pickle"_s},
    {"flask-msgpack", u"msgpack/flask_session.msgpack"_s}};

// The error of a failed result, for a test message (the message is built even on success).
template <typename T> QByteArray errorOf(const Result<T> &result)
{
    return result ? QByteArray() : result.error().message.toUtf8();
}

const QStringList kUserFields = {u"warden.user.user.key.0.0"_s, u"user_id"_s, u"_auth_user_id"_s,
                                 u"_user_id"_s};

} // namespace

class TestCodecsStore final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void listsEveryFrameworksUser();
    void showsDecodedAndMasked_data();
    void showsDecodedAndMasked();
    void cliShowsMaskedAndFollowsMaskOptions();
    void cliListsUsers();

private:
    std::unique_ptr<Redis::SessionStore> store();
    struct Run
    {
        int exitCode = -1;
        QByteArray out, err;
    };
    Run cli(const QStringList &args);

    RedisServer m_server;
    QTemporaryDir m_home;
};

void TestCodecsStore::initTestCase()
{
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    QVERIFY2(!qEnvironmentVariable("SESSIONDESK_CLI").isEmpty(),
             "SESSIONDESK_CLI must name the sessiondesk-cli binary (ctest sets it)");
    Redis::Connection direct(*StoreConfig::fromUrl(m_server.url()));
    QVERIFY(direct.open());
    for (const auto &[id, file] : kSessions)
        QVERIFY(direct.command({"SET", "sess:" + id, fixture(file), "EX", "3600"}));
}

std::unique_ptr<Redis::SessionStore> TestCodecsStore::store()
{
    SessionLayout layout = *SessionLayout::preset(u"connect-redis"_s);
    layout.userFields = kUserFields;
    layout.startedFields = {u"last_seen"_s};
    auto s = std::make_unique<Redis::SessionStore>(*StoreConfig::fromUrl(m_server.url()), layout);
    const auto connected = s->connect();
    if (!connected)
        qWarning() << connected.error().message;
    return s;
}

TestCodecsStore::Run TestCodecsStore::cli(const QStringList &args)
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"HOME"_s, m_home.path());
    environment.insert(u"XDG_DATA_HOME"_s, m_home.filePath(u"data"_s));
    environment.remove(u"SESSIONDESK_STORE"_s);
    environment.remove(u"SESSIONDESK_PASSWORD"_s);
    process.setProcessEnvironment(environment);
    QStringList all = {u"--store"_s, m_server.url(), u"--audit-log"_s,
                       m_home.filePath(u"audit.log"_s)};
    for (const QString &field : kUserFields)
        all << u"--user-field"_s << field;
    process.start(qEnvironmentVariable("SESSIONDESK_CLI"), all + args);
    Run run;
    if (!process.waitForFinished(60000))
        return run;
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -2;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

void TestCodecsStore::listsEveryFrameworksUser()
{
    auto s = store();
    const auto sessions = s->listSessions({}, {}, {});
    QVERIFY2(sessions, errorOf(sessions).constData());
    QHash<QByteArray, SessionSummary> byId;
    for (const SessionSummary &summary : sessions->sessions)
        byId.insert(summary.id, summary);
    QCOMPARE(byId.size(), kSessions.size());
    QCOMPARE(byId.value("rails-devise").user, u"42"_s);
    QCOMPARE(byId.value("rails-hwia").user, u"7"_s);
    QCOMPARE(byId.value("rails-hwia").startedAt.toMSecsSinceEpoch(), 1700000000250LL);
    QCOMPARE(byId.value("django-cache").user, u"7"_s);
    QCOMPARE(byId.value("flask-pickle").user, u"42"_s);
    QCOMPARE(byId.value("flask-msgpack").user, u"42"_s);
    QVERIFY(byId.value("flask-msgpack").ttlMs > 0);

    const auto users = s->listUsers({}, {});
    QVERIFY2(users, errorOf(users).constData());
    QCOMPARE(users->users.size(), 2);
    QCOMPARE(users->users.at(0).user, u"42"_s);
    QCOMPARE(users->users.at(0).sessions, 3);
    QCOMPARE(users->users.at(1).sessions, 2);
    QCOMPARE(users->sessionsWithoutUser, 0);

    const auto mine = s->listSessions({u"7"_s, -1}, {}, {});
    QVERIFY(mine);
    QCOMPARE(mine->sessions.size(), 2);
}

void TestCodecsStore::showsDecodedAndMasked_data()
{
    QTest::addColumn<QByteArray>("id");
    QTest::addColumn<QString>("encoding");
    QTest::addColumn<QString>("secretField");
    QTest::addColumn<QByteArray>("secretText");
    QTest::newRow("devise") << QByteArray("rails-devise") << u"ruby-marshal"_s << u"_csrf_token"_s
                            << QByteArray("q9WnT2xV8r3");
    QTest::newRow("django") << QByteArray("django-cache") << u"pickle"_s << u"_auth_user_hash"_s
                            << QByteArray("b4d2e6f8a0c1");
    QTest::newRow("flask pickle") << QByteArray("flask-pickle") << u"pickle"_s << u"csrf_token"_s
                                  << QByteArray("5f2c8e1a9b7d");
    QTest::newRow("flask msgpack")
        << QByteArray("flask-msgpack") << u"msgpack"_s << u"_id"_s << QByteArray("9c1e5b6a0f2d");
}

void TestCodecsStore::showsDecodedAndMasked()
{
    QFETCH(QByteArray, id);
    QFETCH(QString, encoding);
    QFETCH(QString, secretField);
    QFETCH(QByteArray, secretText);
    auto s = store();
    const auto detail = s->session(id);
    QVERIFY2(detail, errorOf(detail).constData());
    QCOMPARE(detail->decoded.encoding, encoding);
    QVERIFY2(detail->decoded.warning.isEmpty(), qPrintable(detail->decoded.warning));
    const QJsonObject masked = toJson(detail->decoded.root, false).toObject();
    QCOMPARE(masked.value(secretField).toString(), kMaskText);
    const QJsonObject revealed = toJson(detail->decoded.root, true).toObject();
    QVERIFY(revealed.value(secretField).toString().toUtf8().startsWith(secretText));
}

void TestCodecsStore::cliShowsMaskedAndFollowsMaskOptions()
{
    Run run = cli({u"--json"_s, u"show"_s, u"rails-devise"_s});
    QCOMPARE(run.exitCode, 0);
    QJsonObject shown = QJsonDocument::fromJson(run.out).object();
    QCOMPARE(shown.value(u"user"_s).toString(), u"42"_s);
    QJsonObject value = shown.value(u"value"_s).toObject();
    QCOMPARE(value.value(u"_csrf_token"_s).toString(), kMaskText);
    QCOMPARE(value.value(u"session_id"_s).toString(), kMaskText); // by its shape
    QCOMPARE(value.value(u"flash"_s).toObject().value(u"flashes"_s).toObject().value(u"notice"_s),
             QJsonValue(u"Signed in successfully."_s));
    QVERIFY(!run.out.contains("q9WnT2xV8r3"));

    run = cli({u"--json"_s, u"--no-mask-field"_s, u"session_id"_s, u"--mask-field"_s, u"flash"_s,
               u"show"_s, u"rails-devise"_s});
    QCOMPARE(run.exitCode, 0);
    value = QJsonDocument::fromJson(run.out).object().value(u"value"_s).toObject();
    QCOMPARE(value.value(u"session_id"_s).toString(), u"3f1c9a7be2d04c5f8a6b1e0d9c7f2a41"_s);
    QCOMPARE(value.value(u"_csrf_token"_s).toString(), kMaskText);
    QCOMPARE(value.value(u"flash"_s).toObject().value(u"flashes"_s).toObject().value(u"notice"_s),
             QJsonValue(kMaskText));

    run = cli(
        {u"--mask-field"_s, u"a"_s, u"--no-mask-field"_s, u"A"_s, u"show"_s, u"rails-devise"_s});
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains("both --mask-field and --no-mask-field"), run.err.constData());
}

void TestCodecsStore::cliListsUsers()
{
    const Run run = cli({u"--json"_s, u"users"_s});
    QCOMPARE(run.exitCode, 0);
    const QJsonArray users = QJsonDocument::fromJson(run.out).array();
    QCOMPARE(users.size(), 2);
    QCOMPARE(users.at(0).toObject().value(u"user"_s).toString(), u"42"_s);
    QCOMPARE(users.at(0).toObject().value(u"sessions"_s).toInt(), 3);
}

QTEST_GUILESS_MAIN(TestCodecsStore)
#include "tst_codecs_store.moc"
