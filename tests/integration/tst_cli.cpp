// sessiondesk-cli as a user runs it: a real process against a real redis-server, checking exit
// codes, one-sentence errors, JSON shapes, masking, audit records and that refused or failed
// commands change nothing.

#include "auditlog.h"
#include "dynaliteserver.h"
#include "redisserver.h"
#include "tlsmaterial.h"
#include "valuetree.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using SessionDesk::AuditLog;
using SessionDesk::Test::RedisServer;
using SessionDesk::Test::TlsMaterial;

namespace {

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;

    QJsonDocument json() const { return QJsonDocument::fromJson(out); }
    // Errors are one sentence on one line.
    bool oneLineError() const { return err.trimmed().count('\n') == 0 && !err.trimmed().isEmpty(); }
};

const QByteArray kSessionA =
    R"({"cookie":{"originalMaxAge":7200000,"httpOnly":true,"path":"/"},"user_id":"alice",)"
    R"("user":{"tokens":{"refreshToken":"rt-very-secret"}},"csrfSecret":"csrf-very-secret"})";
const QByteArray kSessionB = R"({"cookie":{},"passport":{"user":"bob"}})";

} // namespace

class TestCli final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void versionAndHelpNeedNoStore();
    void usageErrorsExitTwo_data();
    void usageErrorsExitTwo();
    void unreachableStoreExitsOne();
    void wrongPasswordNeverEchoed();
    void tlsFailureNamesEndpoint();
    void tlsInsecureWarns();
    void infoJson();
    void usersAndSessionsJson();
    void usersJsonKeepsOddNames();
    void textOutputNeverCarriesTerminalControls();
    void tablesLineUpWithWideCharacters();
    void showMasksUnlessRevealed();
    void revokeByCookie();
    void revokeUnknownExitsOne();
    void readOnlyRefuses();
    void destroyAllConfirmation();
    void destroyAllStreamsReport();
    void maxOpsLimitsTheRate();
    void progressOnATerminalCountsAgainstTheDatabase();
    void unwritableAuditLogRefusesChanges();
    void dynamoDbWithCustomAttributes();

private:
    Run cli(const QStringList &args, const QMap<QString, QString> &env = {});
    QStringList store() const { return {QStringLiteral("--store"), m_server.url()}; }

    RedisServer m_server;
    QTemporaryDir m_home;
    QString m_auditPath;
};

Run TestCli::cli(const QStringList &args, const QMap<QString, QString> &env)
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("SESSIONDESK_AUDIT_LOG"), m_auditPath);
    environment.remove(QStringLiteral("SESSIONDESK_PASSWORD"));
    environment.remove(QStringLiteral("SESSIONDESK_STORE"));
    // AWS settings of the machine running the tests must not leak in.
    for (const char *name :
         {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
          "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"}) {
        environment.remove(QString::fromLatin1(name));
    }
    environment.insert(QStringLiteral("AWS_SHARED_CREDENTIALS_FILE"),
                       m_home.filePath(QStringLiteral("no-aws-credentials")));
    environment.insert(QStringLiteral("AWS_CONFIG_FILE"),
                       m_home.filePath(QStringLiteral("no-aws-config")));
    for (auto it = env.cbegin(); it != env.cend(); ++it)
        environment.insert(it.key(), it.value());
    process.setProcessEnvironment(environment);
    process.start(qEnvironmentVariable("SESSIONDESK_CLI"), args);
    Run run;
    if (!process.waitForFinished(60000))
        return run;
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -2;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

void TestCli::initTestCase()
{
    QVERIFY2(!qEnvironmentVariable("SESSIONDESK_CLI").isEmpty(),
             "SESSIONDESK_CLI must name the sessiondesk-cli binary (ctest sets it)");
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    m_auditPath = m_home.filePath(QStringLiteral("audit.log"));
}

void TestCli::init()
{
    QFile::remove(m_auditPath);
    m_server.cli({QStringLiteral("FLUSHALL")}); // the test's own reset, not the product's
    m_server.cli({QStringLiteral("SET"), QStringLiteral("sess:aaa111"),
                  QString::fromUtf8(kSessionA), QStringLiteral("EX"), QStringLiteral("3600")});
    m_server.cli({QStringLiteral("SET"), QStringLiteral("sess:bbb222"),
                  QString::fromUtf8(kSessionB), QStringLiteral("EX"), QStringLiteral("3600")});
    m_server.cli({QStringLiteral("SET"), QStringLiteral("other:keep"), QStringLiteral("1")});
}

void TestCli::versionAndHelpNeedNoStore()
{
    const Run version = cli({QStringLiteral("--version")});
    QCOMPARE(version.exitCode, 0);
    QVERIFY(version.out.startsWith("sessiondesk-cli "));
    const Run help = cli({QStringLiteral("--help")});
    QCOMPARE(help.exitCode, 0);
    QVERIFY(help.out.contains("destroy-all (--dry-run | --confirm TARGET)"));
}

void TestCli::usageErrorsExitTwo_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentions");
    const QString url = QStringLiteral("redis://127.0.0.1:1");
    QTest::newRow("no command") << QStringList{QStringLiteral("--store"), url}
                                << QStringLiteral("No command");
    QTest::newRow("malformed url")
        << QStringList{QStringLiteral("--store"), QStringLiteral("http://x:1"),
                       QStringLiteral("info")}
        << QStringLiteral("redis://");
    QTest::newRow("bad db") << QStringList{QStringLiteral("--store"),
                                           QStringLiteral("redis://127.0.0.1:6379/x"),
                                           QStringLiteral("info")}
                            << QStringLiteral("database");
    QTest::newRow("unknown option")
        << QStringList{QStringLiteral("--frobnicate"), QStringLiteral("info")}
        << QStringLiteral("frobnicate");
    QTest::newRow("unknown command")
        << QStringList{QStringLiteral("--store"), url, QStringLiteral("flush")}
        << QStringLiteral("flush");
    QTest::newRow("option of another command")
        << QStringList{QStringLiteral("--store"), url,
                       QStringLiteral("show"),    QStringLiteral("x"),
                       QStringLiteral("--limit"), QStringLiteral("3")}
        << QStringLiteral("--limit");
    QTest::newRow("destroy-all without mode")
        << QStringList{QStringLiteral("--store"), url, QStringLiteral("destroy-all")}
        << QStringLiteral("--dry-run");
    QTest::newRow("tls options on redis://")
        << QStringList{QStringLiteral("--store"), url, QStringLiteral("--tls-insecure"),
                       QStringLiteral("info")}
        << QStringLiteral("rediss://");
    QTest::newRow("bad limit") << QStringList{
        QStringLiteral("--store"), url, QStringLiteral("users"), QStringLiteral("--limit"),
        QStringLiteral("-4")} << QStringLiteral("--limit");
    QTest::newRow("unknown schema")
        << QStringList{QStringLiteral("--store"), url, QStringLiteral("--schema"),
                       QStringLiteral("nope"), QStringLiteral("info")}
        << QStringLiteral("connect-redis");
    QTest::newRow("max-ops zero") << QStringList{
        QStringLiteral("--store"), url, QStringLiteral("--max-ops"), QStringLiteral("0"),
        QStringLiteral("users")} << QStringLiteral("--max-ops");
    QTest::newRow("max-ops not a number")
        << QStringList{QStringLiteral("--store"), url, QStringLiteral("--max-ops"),
                       QStringLiteral("fast"), QStringLiteral("users")}
        << QStringLiteral("--max-ops");
    QTest::newRow("report of another command")
        << QStringList{QStringLiteral("--store"), url, QStringLiteral("users"),
                       QStringLiteral("--report"), QStringLiteral("r.jsonl")}
        << QStringLiteral("--report");
    QTest::newRow("index pattern without placeholder")
        << QStringList{QStringLiteral("--store"), url, QStringLiteral("--user-index"),
                       QStringLiteral("idx"), QStringLiteral("info")}
        << QStringLiteral("{user}");
}

void TestCli::usageErrorsExitTwo()
{
    QFETCH(QStringList, args);
    QFETCH(QString, mentions);
    const Run run = cli(args);
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.oneLineError(), run.err.constData());
    QVERIFY2(QString::fromUtf8(run.err).contains(mentions), run.err.constData());
    QVERIFY(run.out.isEmpty());
}

void TestCli::unreachableStoreExitsOne()
{
    const quint16 port = SessionDesk::Test::freeLoopbackPort();
    const Run run = cli({QStringLiteral("--store"),
                         QStringLiteral("redis://127.0.0.1:%1").arg(port), QStringLiteral("info")});
    QCOMPARE(run.exitCode, 1);
    QVERIFY(run.oneLineError());
    QVERIFY2(run.err.contains(QByteArray("127.0.0.1:" + QByteArray::number(port))),
             run.err.constData());
}

void TestCli::wrongPasswordNeverEchoed()
{
    RedisServer server;
    RedisServer::Options options;
    options.configLines << QStringLiteral("requirepass right-horse-battery");
    QVERIFY2(server.start(options), qPrintable(server.errorString()));
    const QStringList args = {QStringLiteral("--store"), server.url(), QStringLiteral("info")};

    const Run wrong =
        cli(args, {{QStringLiteral("SESSIONDESK_PASSWORD"), QStringLiteral("wrong-staple")}});
    QCOMPARE(wrong.exitCode, 1);
    QVERIFY(wrong.oneLineError());
    QVERIFY(!wrong.err.contains("wrong-staple"));
    QVERIFY(wrong.err.contains("Authentication"));

    const Run inUrl = cli({QStringLiteral("--store"),
                           QStringLiteral("redis://:wrong-staple@127.0.0.1:%1").arg(server.port()),
                           QStringLiteral("info")});
    QCOMPARE(inUrl.exitCode, 1);
    QVERIFY(!inUrl.err.contains("wrong-staple"));

    const Run right = cli(
        {QStringLiteral("--json"), QStringLiteral("--store"), server.url(), QStringLiteral("info")},
        {{QStringLiteral("SESSIONDESK_PASSWORD"), QStringLiteral("right-horse-battery")}});
    QCOMPARE(right.exitCode, 0);
    QVERIFY(!right.out.contains("right-horse-battery"));
    QCOMPARE(right.json()[QStringLiteral("kind")].toString(), QStringLiteral("redis"));
}

void TestCli::tlsFailureNamesEndpoint()
{
    TlsMaterial tls;
    QVERIFY2(tls.generate(), qPrintable(tls.errorString()));
    RedisServer server;
    RedisServer::Options options;
    options.tlsCertFile = tls.serverCert();
    options.tlsKeyFile = tls.serverKey();
    options.tlsCaFile = tls.caCert();
    QVERIFY2(server.start(options), qPrintable(server.errorString()));

    const Run unknownCa = cli({QStringLiteral("--store"), server.url(), QStringLiteral("info")});
    QCOMPARE(unknownCa.exitCode, 1);
    QVERIFY(unknownCa.oneLineError());
    QVERIFY(unknownCa.err.contains(QByteArray("127.0.0.1:" + QByteArray::number(server.port()))));
    QVERIFY(unknownCa.err.contains("TLS"));

    const Run verified = cli({QStringLiteral("--store"), server.url(), QStringLiteral("--tls-ca"),
                              tls.caCert(), QStringLiteral("--json"), QStringLiteral("info")});
    QCOMPARE(verified.exitCode, 0);
    QCOMPARE(verified.json()[QStringLiteral("sessions")].toInt(), 0);

    const Run wrongName = cli({QStringLiteral("--store"), server.url(), QStringLiteral("--tls-ca"),
                               tls.caCert(), QStringLiteral("--tls-server-name"),
                               QStringLiteral("db.example.org"), QStringLiteral("info")});
    QCOMPARE(wrongName.exitCode, 1);
    QVERIFY(wrongName.err.contains("db.example.org"));
}

void TestCli::tlsInsecureWarns()
{
    TlsMaterial tls;
    QVERIFY2(tls.generate(), qPrintable(tls.errorString()));
    RedisServer server;
    RedisServer::Options options;
    options.tlsCertFile = tls.serverCert();
    options.tlsKeyFile = tls.serverKey();
    options.tlsCaFile = tls.caCert();
    QVERIFY2(server.start(options), qPrintable(server.errorString()));
    const Run run = cli({QStringLiteral("--store"), server.url(), QStringLiteral("--tls-insecure"),
                         QStringLiteral("info")});
    QCOMPARE(run.exitCode, 0);
    QVERIFY(run.err.contains("WARNING"));
    QVERIFY(run.err.contains("verification is OFF"));
}

void TestCli::infoJson()
{
    const Run run = cli(store() << QStringLiteral("--json") << QStringLiteral("info"));
    QCOMPARE(run.exitCode, 0);
    const QJsonObject info = run.json().object();
    QCOMPARE(info[QStringLiteral("kind")].toString(), QStringLiteral("redis"));
    QCOMPARE(info[QStringLiteral("target")].toString(), m_server.target());
    QCOMPARE(info[QStringLiteral("sessions")].toInt(), 2);
    QCOMPARE(info[QStringLiteral("keys_in_database")].toInt(), 3);
}

void TestCli::usersAndSessionsJson()
{
    const Run users = cli(store() << QStringLiteral("--json") << QStringLiteral("users"));
    QCOMPARE(users.exitCode, 0);
    const QJsonArray list = users.json().array();
    QCOMPARE(list.size(), 2);
    QStringList names;
    for (const QJsonValue &u : list) {
        names << u[QStringLiteral("user")].toString();
        QCOMPARE(u[QStringLiteral("sessions")].toInt(), 1);
    }
    names.sort();
    QCOMPARE(names, (QStringList{QStringLiteral("alice"), QStringLiteral("bob")}));

    const Run sessions = cli(store() << QStringLiteral("--json") << QStringLiteral("sessions")
                                     << QStringLiteral("--user") << QStringLiteral("bob"));
    QCOMPARE(sessions.exitCode, 0);
    const QJsonArray rows = sessions.json().array();
    QCOMPARE(rows.size(), 1);
    const QJsonObject row = rows.first().toObject();
    QCOMPARE(row[QStringLiteral("id")].toString(), QStringLiteral("bbb222"));
    QCOMPARE(row[QStringLiteral("user")].toString(), QStringLiteral("bob"));
    QVERIFY(row[QStringLiteral("ttl_seconds")].toInt() > 3500);
    QCOMPARE(row[QStringLiteral("size_bytes")].toInt(), kSessionB.size());
    const QDateTime expires =
        QDateTime::fromString(row[QStringLiteral("expires_at")].toString(), Qt::ISODate);
    QVERIFY(expires > QDateTime::currentDateTimeUtc().addSecs(3500));

    const Run limited =
        cli(store() << QStringLiteral("users") << QStringLiteral("--limit") << QStringLiteral("1"));
    QCOMPARE(limited.exitCode, 0);
    QVERIFY(limited.out.contains("2 users, 2 sessions (0 without a user)"));
    QVERIFY(limited.out.contains("1 users shown"));
}

void TestCli::usersJsonKeepsOddNames()
{
    // `users --json` writes its array itself: every character a user id can hold must come
    // back unchanged through a JSON parser.
    const QString odd = QStringLiteral("q\"uo\\te\nd\t\u0001\u001f\u00e9\u4e2d/\U0001F600 x");
    const QJsonObject session{
        {QStringLiteral("cookie"), QJsonObject()},
        {QStringLiteral("passport"), QJsonObject{{QStringLiteral("user"), odd}}}};
    m_server.cli({QStringLiteral("SET"), QStringLiteral("sess:ccc333"),
                  QString::fromUtf8(QJsonDocument(session).toJson(QJsonDocument::Compact)),
                  QStringLiteral("EX"), QStringLiteral("3600")});
    const Run users = cli(store() << QStringLiteral("--json") << QStringLiteral("users"));
    QCOMPARE(users.exitCode, 0);
    QJsonParseError error;
    const QJsonDocument parsed = QJsonDocument::fromJson(users.out, &error);
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
    QStringList names;
    for (const QJsonValue &u : parsed.array())
        names << u[QStringLiteral("user")].toString();
    QVERIFY2(names.contains(odd), qPrintable(names.join(u'|')));
    QCOMPARE(names.size(), 3);
    // The layout QJsonDocument would have written.
    QCOMPARE(users.out, parsed.toJson(QJsonDocument::Indented));

    m_server.cli({QStringLiteral("FLUSHALL")});
    const Run none = cli(store() << QStringLiteral("--json") << QStringLiteral("users"));
    QCOMPARE(none.exitCode, 0);
    QCOMPARE(none.out, QByteArray("[\n]\n"));
}

// A user id is whatever a web app stored: escape sequences, carriage returns, line breaks and
// bidirectional overrides in it are shown escaped on a terminal (a terminal would obey them:
// recolour, retitle, forge lines, reorder text), and come back exact through --json.
void TestCli::textOutputNeverCarriesTerminalControls()
{
    const QString odd =
        QStringLiteral("mallory\u001b]0;owned\u0007\r\nfake line\u202eevil\u009b2J");
    const QString shown =
        QStringLiteral("mallory\\x1b]0;owned\\x07\\x0d\\x0afake line\\u202eevil\\u009b2J");
    const QJsonObject session{{QStringLiteral("cookie"), QJsonObject()},
                              {QStringLiteral("user_id"), odd},
                              {QStringLiteral("ip"), QStringLiteral("10.0.0.1\u001b[2J")},
                              {QStringLiteral("note"), QStringLiteral("left\u202eright")}};
    m_server.cli({QStringLiteral("SET"), QStringLiteral("sess:odd777"),
                  QString::fromUtf8(QJsonDocument(session).toJson(QJsonDocument::Compact)),
                  QStringLiteral("EX"), QStringLiteral("3600")});
    const auto obeyable = [](const QByteArray &out) {
        for (const char c : out) {
            if ((uchar(c) < 0x20 && c != '\n') || uchar(c) == 0x7f)
                return true;
        }
        return out.contains("\xe2\x80\xae") || out.contains("\xc2\x9b");
    };
    const QList<QStringList> commands = {{QStringLiteral("users")},
                                         {QStringLiteral("sessions")},
                                         {QStringLiteral("show"), QStringLiteral("odd777")}};
    for (const QStringList &command : commands) {
        const Run run = cli(store() << command);
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(!obeyable(run.out), run.out.constData());
        QVERIFY2(run.out.contains(shown.toUtf8()), run.out.constData());
    }
    const Run show = cli(store() << QStringLiteral("show") << QStringLiteral("odd777"));
    QVERIFY2(show.out.contains("\"left\\u202eright\""), show.out.constData()); // still JSON
    QVERIFY2(show.out.contains("10.0.0.1\\x1b[2J"), show.out.constData());

    const Run json = cli(store() << QStringLiteral("--json") << QStringLiteral("users"));
    QCOMPARE(json.exitCode, 0);
    QStringList names;
    for (const QJsonValue &u : json.json().array())
        names << u[QStringLiteral("user")].toString();
    QVERIFY2(names.contains(odd), qPrintable(names.join(u'|')));
}

// Chinese and Korean names and emoji take two terminal columns, a combining accent none: the
// column after them still starts where its header does.
void TestCli::tablesLineUpWithWideCharacters()
{
    const QStringList users = {QStringLiteral("\u5f20\u4f1f@example.cn"),
                               QStringLiteral("\uae40\ubbfc\uc900"),
                               QStringLiteral("\U0001F600 smile"), QStringLiteral("re\u0301my")};
    for (int i = 0; i < users.size(); ++i) {
        const QJsonObject session{{QStringLiteral("cookie"), QJsonObject()},
                                  {QStringLiteral("user_id"), users.at(i)}};
        m_server.cli({QStringLiteral("SET"), QStringLiteral("sess:wide%1").arg(i),
                      QString::fromUtf8(QJsonDocument(session).toJson(QJsonDocument::Compact)),
                      QStringLiteral("EX"), QStringLiteral("3600")});
    }
    // Terminal columns of these test strings: CJK, Hangul and the emoji two, the accent none.
    const auto columns = [](const QString &text) {
        int width = 0;
        for (const char32_t c : text.toUcs4())
            width += c == 0x301                                                                ? 0
                : (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7a3) || c == 0x1F600 ? 2
                                                                                               : 1;
        return width;
    };
    const Run run = cli(store() << QStringLiteral("users"));
    QCOMPARE(run.exitCode, 0);
    const QStringList lines = QString::fromUtf8(run.out).split(u'\n');
    const int countColumn = int(lines.first().indexOf(QStringLiteral("sessions")));
    QVERIFY(countColumn > 0);
    int checked = 0;
    for (const QString &line : lines) {
        for (const QString &user : users) {
            if (!line.startsWith(user + u' '))
                continue;
            const qsizetype count = line.indexOf(QRegularExpression(QStringLiteral("\\d+$")));
            QVERIFY2(count > 0, qPrintable(line));
            QCOMPARE(columns(line.left(count)), countColumn);
            ++checked;
        }
    }
    QCOMPARE(checked, users.size());
}

void TestCli::showMasksUnlessRevealed()
{
    const Run masked = cli(store() << QStringLiteral("--json") << QStringLiteral("show")
                                   << QStringLiteral("aaa111"));
    QCOMPARE(masked.exitCode, 0);
    QVERIFY(!masked.out.contains("rt-very-secret"));
    QVERIFY(!masked.out.contains("csrf-very-secret"));
    const QJsonObject object = masked.json().object();
    QCOMPARE(object[QStringLiteral("user")].toString(), QStringLiteral("alice"));
    QVERIFY(object[QStringLiteral("masked")].toBool());
    QCOMPARE(object[QStringLiteral("value")][QStringLiteral("csrfSecret")].toString(),
             SessionDesk::kMaskText);
    QVERIFY(!QFile::exists(m_auditPath)); // looking is not audited; revealing is

    const Run text = cli(store() << QStringLiteral("show") << QStringLiteral("aaa111"));
    QCOMPARE(text.exitCode, 0);
    QVERIFY(!text.out.contains("rt-very-secret"));

    const Run revealed = cli(store() << QStringLiteral("--json") << QStringLiteral("show")
                                     << QStringLiteral("aaa111") << QStringLiteral("--reveal"));
    QCOMPARE(revealed.exitCode, 0);
    QVERIFY(revealed.out.contains("rt-very-secret"));
    QFile audit(m_auditPath);
    QVERIFY(audit.open(QIODevice::ReadOnly));
    const QByteArray log = audit.readAll();
    QVERIFY(log.contains("\"action\":\"reveal\""));
    QVERIFY(!log.contains("aaa111")); // the id itself is a credential
    QVERIFY(AuditLog(m_auditPath).verify().intact());
    QCOMPARE(AuditLog(m_auditPath).entries()->size(), 1);
}

void TestCli::revokeByCookie()
{
    const Run run = cli(store() << QStringLiteral("revoke")
                                << QStringLiteral("connect.sid=s%3Aaaa111.c2lnbmF0dXJl"));
    QCOMPARE(run.exitCode, 0);
    QVERIFY(run.out.contains("revoked aaa111"));
    QCOMPARE(m_server.cli({QStringLiteral("EXISTS"), QStringLiteral("sess:aaa111")}).trimmed(),
             QByteArray("0"));
    QCOMPARE(m_server.cli({QStringLiteral("EXISTS"), QStringLiteral("sess:bbb222")}).trimmed(),
             QByteArray("1"));
    QVERIFY(AuditLog(m_auditPath).verify().intact());
    const auto entries = AuditLog(m_auditPath).entries();
    QCOMPARE(entries->size(), 1);
    QCOMPARE(entries->first().action, QStringLiteral("revoke"));
    QCOMPARE(entries->first().done, 1);
}

void TestCli::revokeUnknownExitsOne()
{
    const Run run = cli(store() << QStringLiteral("revoke") << QStringLiteral("nope")
                                << QStringLiteral("bbb222"));
    QCOMPARE(run.exitCode, 1);
    QVERIFY(run.err.contains("1 of 2 sessions were not found"));
    QCOMPARE(m_server.cli({QStringLiteral("EXISTS"), QStringLiteral("sess:bbb222")}).trimmed(),
             QByteArray("0"));
}

void TestCli::readOnlyRefuses()
{
    for (const QStringList &command :
         {QStringList{QStringLiteral("revoke"), QStringLiteral("aaa111")},
          QStringList{QStringLiteral("logout-user"), QStringLiteral("alice")},
          QStringList{QStringLiteral("destroy-all"), QStringLiteral("--confirm"),
                      m_server.target()}}) {
        const Run run = cli(store() << QStringLiteral("--read-only") << command);
        QCOMPARE(run.exitCode, 4);
        QVERIFY(run.oneLineError());
        QVERIFY(run.err.contains("read-only"));
    }
    QCOMPARE(m_server.cli({QStringLiteral("DBSIZE")}).trimmed(), QByteArray("3"));
}

void TestCli::destroyAllConfirmation()
{
    const Run dry = cli(store() << QStringLiteral("--json") << QStringLiteral("destroy-all")
                                << QStringLiteral("--dry-run"));
    QCOMPARE(dry.exitCode, 0);
    QCOMPARE(dry.json()[QStringLiteral("sessions")].toInt(), 2);
    QVERIFY(dry.json()[QStringLiteral("dry_run")].toBool());
    // Under a rate limit the dry run says how long the deletes take at least.
    const Run slow = cli(store() << QStringLiteral("--max-ops") << QStringLiteral("4")
                                 << QStringLiteral("destroy-all") << QStringLiteral("--dry-run"));
    QCOMPARE(slow.exitCode, 0);
    QVERIFY2(slow.out.contains("At most 4 operations a second: the deletes alone take at least "
                               "500 ms."),
             slow.out.constData());
    const Run unlimited =
        cli(store() << QStringLiteral("destroy-all") << QStringLiteral("--dry-run"));
    QCOMPARE(unlimited.exitCode, 0);
    QVERIFY2(!unlimited.out.contains("At most"), unlimited.out.constData());

    const Run mismatch = cli(store() << QStringLiteral("destroy-all") << QStringLiteral("--confirm")
                                     << QStringLiteral("127.0.0.1:6379/0"));
    QCOMPARE(mismatch.exitCode, 4);
    QVERIFY(mismatch.err.contains(m_server.target().toUtf8()));
    QCOMPARE(m_server.cli({QStringLiteral("DBSIZE")}).trimmed(), QByteArray("3"));

    const Run done = cli(store() << QStringLiteral("--json") << QStringLiteral("destroy-all")
                                 << QStringLiteral("--confirm") << m_server.target());
    QCOMPARE(done.exitCode, 0);
    QCOMPARE(done.json()[QStringLiteral("destroyed")].toInt(), 2);
    QCOMPARE(m_server.cli({QStringLiteral("DBSIZE")}).trimmed(), QByteArray("1"));
    QCOMPARE(m_server.cli({QStringLiteral("GET"), QStringLiteral("other:keep")}).trimmed(),
             QByteArray("1"));
    QFile audit(m_auditPath);
    QVERIFY(audit.open(QIODevice::ReadOnly));
    QVERIFY(audit.readAll().contains("\"action\":\"destroy-all\""));
}

void TestCli::destroyAllStreamsReport()
{
    // 500 more sessions, so that the report spans many batches.
    QStringList mset{QStringLiteral("MSET")};
    for (int i = 0; i < 500; ++i)
        mset << QStringLiteral("sess:bulk%1").arg(i) << QStringLiteral("{}");
    m_server.cli(mset);
    const QString path = m_home.filePath(QStringLiteral("destroy-report.jsonl"));

    // A report that cannot be written stops the run before anything is destroyed.
    const Run unwritable =
        cli(store() << QStringLiteral("destroy-all") << QStringLiteral("--confirm")
                    << m_server.target() << QStringLiteral("--report")
                    << m_home.filePath(QStringLiteral("no/such/dir/r.jsonl")));
    QCOMPARE(unwritable.exitCode, 2); // a bad argument
    QVERIFY2(unwritable.oneLineError(), unwritable.err.constData());
    QVERIFY(unwritable.err.contains("no/such/dir/r.jsonl"));
    QCOMPARE(m_server.cli({QStringLiteral("DBSIZE")}).trimmed(), QByteArray("503"));

    const Run done = cli(store() << QStringLiteral("--json") << QStringLiteral("destroy-all")
                                 << QStringLiteral("--confirm") << m_server.target()
                                 << QStringLiteral("--report") << path);
    QCOMPARE(done.exitCode, 0);
    QCOMPARE(done.json()[QStringLiteral("destroyed")].toInt(), 502);
    QCOMPARE(m_server.cli({QStringLiteral("DBSIZE")}).trimmed(), QByteArray("1"));

    QFile report(path);
    QVERIFY(report.open(QIODevice::ReadOnly));
    QCOMPARE(report.permissions() & (QFileDevice::ReadOther | QFileDevice::ReadGroup),
             QFileDevice::Permissions());
    const QList<QByteArray> lines = report.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 1 + 502 + 1); // header, one line per session, summary
    const QJsonObject header = QJsonDocument::fromJson(lines.first()).object();
    QCOMPARE(header[QStringLiteral("report")].toString(), QStringLiteral("destroy-all"));
    QCOMPARE(header[QStringLiteral("target")].toString(), m_server.target());
    QCOMPARE(header[QStringLiteral("audit_log")].toString(), m_auditPath);
    const QJsonObject summary =
        QJsonDocument::fromJson(lines.last()).object()[QStringLiteral("summary")].toObject();
    QCOMPARE(summary[QStringLiteral("destroyed")].toInt(), 502);
    QCOMPARE(summary[QStringLiteral("session_lines")].toInt(), 502);

    // Ids are hashed as the audit log hashes them: each session's line is found by the salt
    // of the log's destroy-all record, and no id appears in clear.
    auto entries = AuditLog(m_auditPath).entries();
    QVERIFY(entries);
    QString salt;
    for (const auto &entry : *entries) {
        if (entry.action == u"destroy-all")
            salt = entry.salt;
    }
    QVERIFY(!salt.isEmpty());
    QSet<QString> ids;
    for (qsizetype i = 1; i + 1 < lines.size(); ++i) {
        const QJsonObject line = QJsonDocument::fromJson(lines.at(i)).object();
        QCOMPARE(line[QStringLiteral("outcome")].toString(), QStringLiteral("destroyed"));
        ids.insert(line[QStringLiteral("id")].toString());
    }
    QCOMPARE(ids.size(), 502);
    const QByteArray key = QByteArray::fromHex(salt.toLatin1());
    QVERIFY(ids.contains(AuditLog::saltedId(key, "aaa111")));
    QVERIFY(ids.contains(AuditLog::saltedId(key, "bbb222")));
    for (int i = 0; i < 500; ++i)
        QVERIFY(ids.contains(AuditLog::saltedId(key, "bulk" + QByteArray::number(i))));
    report.seek(0);
    const QByteArray all = report.readAll();
    QVERIFY(!all.contains("aaa111"));
    QVERIFY(!all.contains("bulk1"));
}

void TestCli::maxOpsLimitsTheRate()
{
    QStringList mset{QStringLiteral("MSET")};
    for (int i = 0; i < 400; ++i)
        mset << QStringLiteral("sess:rate%1").arg(i) << QStringLiteral("{}");
    m_server.cli(mset);
    // About 400 MGET keys plus SCANs at 200 a second: at least a second and a half (a tenth of
    // a second may go at once). Unlimited, the same takes a few milliseconds.
    QElapsedTimer clock;
    clock.start();
    const Run limited = cli(store() << QStringLiteral("--json") << QStringLiteral("--max-ops")
                                    << QStringLiteral("200") << QStringLiteral("users"));
    const qint64 elapsed = clock.elapsed();
    QCOMPARE(limited.exitCode, 0);
    QVERIFY2(elapsed >= 1500, QByteArray::number(elapsed).constData());
    // The limit slows the run down; it changes nothing it finds.
    const Run unlimited = cli(store() << QStringLiteral("--json") << QStringLiteral("users"));
    QCOMPARE(unlimited.exitCode, 0);
    QCOMPARE(limited.json(), unlimited.json());

    // A saved connection keeps its limit.
    const QString settings = m_home.filePath(QStringLiteral("rate.ini"));
    QCOMPARE(cli(QStringList{QStringLiteral("--settings"), settings, QStringLiteral("profile"),
                             QStringLiteral("add"), QStringLiteral("busy-hours")}
                 << store() << QStringLiteral("--max-ops") << QStringLiteral("200"))
                 .exitCode,
             0);
    const Run listed = cli({QStringLiteral("--settings"), settings, QStringLiteral("--json"),
                            QStringLiteral("profile"), QStringLiteral("list")});
    QCOMPARE(listed.exitCode, 0);
    QCOMPARE(listed.json().array().first()[QStringLiteral("max_ops_per_second")].toInt(), 200);
    clock.restart();
    const Run saved =
        cli({QStringLiteral("--settings"), settings, QStringLiteral("--profile"),
             QStringLiteral("busy-hours"), QStringLiteral("--json"), QStringLiteral("users")});
    const qint64 savedElapsed = clock.elapsed();
    QCOMPARE(saved.exitCode, 0);
    QVERIFY2(savedElapsed >= 1500, QByteArray::number(savedElapsed).constData());
    QCOMPARE(saved.json(), unlimited.json());
}

void TestCli::progressOnATerminalCountsAgainstTheDatabase()
{
    const QString script = QStandardPaths::findExecutable(QStringLiteral("script"));
    QVERIFY2(!script.isEmpty(), "script (util-linux/bsdutils) is needed for a terminal");
    QStringList mset{QStringLiteral("MSET")};
    for (int i = 0; i < 400; ++i)
        mset << QStringLiteral("sess:tty%1").arg(i) << QStringLiteral("{}");
    m_server.cli(mset);
    const QByteArray keys = m_server.cli({QStringLiteral("DBSIZE")}).trimmed();
    QCOMPARE(keys, QByteArray("403"));
    // Slowed down (about two seconds) so that progress, drawn at most five times a second on
    // a terminal only, shows up.
    const QString command = QStringLiteral("exec '%1' --store '%2' --max-ops 200 users")
                                .arg(qEnvironmentVariable("SESSIONDESK_CLI"), m_server.url());
    QProcess terminal;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("SESSIONDESK_AUDIT_LOG"), m_auditPath);
    terminal.setProcessEnvironment(env);
    terminal.setProcessChannelMode(QProcess::MergedChannels);
    terminal.start(script, {QStringLiteral("-qefc"), command, QStringLiteral("/dev/null")});
    QVERIFY(terminal.waitForFinished(60000));
    const QByteArray shown = terminal.readAll();
    QCOMPARE(terminal.exitCode(), 0);
    static const QRegularExpression line(
        QStringLiteral("reading sessions: examined (\\d+) of 403 keys \\((\\d+) %\\), matched "
                       "(\\d+)"));
    const QRegularExpressionMatch progress = line.match(QString::fromUtf8(shown));
    QVERIFY2(progress.hasMatch(), shown.constData());
    QVERIFY(progress.captured(1).toInt() <= 403);
    QVERIFY(progress.captured(3).toInt() <= progress.captured(1).toInt());
}

void TestCli::unwritableAuditLogRefusesChanges()
{
    // A path below a regular file cannot be created, not even by root.
    const QString blocker = m_home.filePath(QStringLiteral("not-a-dir"));
    QFile file(blocker);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    const Run run =
        cli(store() << QStringLiteral("--audit-log") << blocker + QStringLiteral("/a.log")
                    << QStringLiteral("revoke") << QStringLiteral("aaa111"));
    QCOMPARE(run.exitCode, 4);
    QVERIFY(run.err.contains("audit log"));
    QCOMPARE(m_server.cli({QStringLiteral("EXISTS"), QStringLiteral("sess:aaa111")}).trimmed(),
             QByteArray("1"));
}

void TestCli::dynamoDbWithCustomAttributes()
{
    SessionDesk::Test::DynaliteServer dynalite;
    QVERIFY2(dynalite.start(), qPrintable(dynalite.errorString()));
    QVERIFY(dynalite.createTable(QStringLiteral("custom"), false));
    const auto item = [](const QString &id, const QString &user) {
        return QJsonObject{
            {QStringLiteral("id"), QJsonObject{{QStringLiteral("S"), id}}},
            {QStringLiteral("payload"),
             QJsonObject{{QStringLiteral("S"), QStringLiteral(R"({"account":"%1"})").arg(user)}}},
            {QStringLiteral("ttl"),
             QJsonObject{{QStringLiteral("N"),
                          QString::number(QDateTime::currentSecsSinceEpoch() + 900)}}}};
    };
    QVERIFY(dynalite.putItems(QStringLiteral("custom"),
                              {item(QStringLiteral("app:1"), QStringLiteral("ann")),
                               item(QStringLiteral("app:2"), QStringLiteral("ann")),
                               item(QStringLiteral("sess:3"), QStringLiteral("ben"))}));
    const QMap<QString, QString> aws{{QStringLiteral("AWS_ACCESS_KEY_ID"), QStringLiteral("AKID")},
                                     {QStringLiteral("AWS_SECRET_ACCESS_KEY"), QStringLiteral("x")},
                                     {QStringLiteral("AWS_REGION"), QStringLiteral("eu-west-1")}};
    const QStringList store = {QStringLiteral("--store"),
                               QStringLiteral("dynamodb://custom?endpoint=") + dynalite.endpoint(),
                               QStringLiteral("--schema"),
                               QStringLiteral("connect-dynamodb"),
                               QStringLiteral("--key-prefix"),
                               QStringLiteral("app:"),
                               QStringLiteral("--value-attribute"),
                               QStringLiteral("payload"),
                               QStringLiteral("--expires-attribute"),
                               QStringLiteral("ttl"),
                               QStringLiteral("--user-field"),
                               QStringLiteral("account")};
    const Run users =
        cli(QStringList(store) << QStringLiteral("--json") << QStringLiteral("users"), aws);
    QCOMPARE(users.exitCode, 0);
    const QJsonArray list = users.json().array();
    QCOMPARE(list.size(), 1);
    QCOMPARE(list.first()[QStringLiteral("user")].toString(), QStringLiteral("ann"));
    QCOMPARE(list.first()[QStringLiteral("sessions")].toInt(), 2);
    // The same names from a layout file instead of flags.
    QTemporaryDir layoutDir;
    const QString layoutFile = layoutDir.filePath(QStringLiteral("custom.json"));
    QFile file(layoutFile);
    QVERIFY(file.open(QIODevice::WriteOnly)
            && file.write(R"({"base": "connect-dynamodb", "keyPrefix": "app:",
                "userFields": ["account"],
                "dynamodb": {"valueAttribute": "payload", "expiresAttribute": "ttl"}})")
                > 0);
    file.close();
    const Run fromFile = cli({QStringLiteral("--store"),
                              QStringLiteral("dynamodb://custom?endpoint=") + dynalite.endpoint(),
                              QStringLiteral("--schema-file"), layoutFile, QStringLiteral("--json"),
                              QStringLiteral("users")},
                             aws);
    QVERIFY2(fromFile.exitCode == 0, fromFile.err.constData());
    QCOMPARE(fromFile.json().array(), list);
    const Run sessions =
        cli(QStringList(store) << QStringLiteral("--json") << QStringLiteral("sessions"), aws);
    QCOMPARE(sessions.exitCode, 0);
    QVERIFY(sessions.json().array().first()[QStringLiteral("ttl_seconds")].toInt() > 800);
    const Run settings = cli(QStringList(store) << QStringLiteral("settings"), aws);
    QCOMPARE(settings.exitCode, 0);
    QVERIFY(settings.out.contains("Key schema"));
    const Run destroy =
        cli(QStringList(store) << QStringLiteral("destroy-all") << QStringLiteral("--confirm")
                               << QStringLiteral("custom@eu-west-1"),
            aws);
    QCOMPARE(destroy.exitCode, 0);
    QCOMPARE(dynalite.countItems(QStringLiteral("custom")), 1); // sess:3 is outside the prefix

    const Run redisIndex =
        cli({QStringLiteral("--store"), QStringLiteral("dynamodb://custom"),
             QStringLiteral("--user-index"), QStringLiteral("u:{user}"), QStringLiteral("info")},
            aws);
    QCOMPARE(redisIndex.exitCode, 2);
    const Run attributeOnRedis =
        cli({QStringLiteral("--store"), m_server.url(), QStringLiteral("--value-attribute"),
             QStringLiteral("x"), QStringLiteral("info")});
    QCOMPARE(attributeOnRedis.exitCode, 2);
    const Run noCredentials = cli(QStringList(store) << QStringLiteral("users"),
                                  {{QStringLiteral("AWS_REGION"), QStringLiteral("eu-west-1")},
                                   {QStringLiteral("HOME"), m_home.path()}});
    QCOMPARE(noCredentials.exitCode, 1);
    QVERIFY(noCredentials.oneLineError());
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
