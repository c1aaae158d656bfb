// sessiondesk-cli's auditing as an auditor and an operator run it, as real processes against
// real redis-server and dynalite: settings with a policy (exit 3 on a failed rule, 2 on a
// malformed policy with its line), evidence files, audit records with operator and reason,
// `audit verify` catching an edited, removed, inserted, reordered or truncated record (exit 3,
// with the line), appends after a truncation, and read-only mode forced by the administrator's
// file refusing every write path on Redis and DynamoDB (exit 4, nothing changed).

#include "auditlog.h"
#include "dynaliteserver.h"
#include "redisserver.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using SessionDesk::AuditLog;
using SessionDesk::Test::DynaliteServer;
using SessionDesk::Test::RedisServer;

namespace {

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;

    QJsonDocument json() const { return QJsonDocument::fromJson(out); }
    bool oneLineError() const { return err.trimmed().count('\n') == 0 && !err.trimmed().isEmpty(); }
};

const QByteArray kSessionA = R"({"cookie":{"originalMaxAge":7200000},"user_id":"alice",)"
                             R"("user":{"tokens":{"refreshToken":"rt-very-secret"}}})";
const QByteArray kSessionB = R"({"cookie":{},"user_id":"alice"})";
const QByteArray kSessionC = R"({"cookie":{},"user_id":"bob"})";

QList<QByteArray> readLines(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QList<QByteArray> lines = file.readAll().split('\n');
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    return lines;
}

bool writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        && file.write(bytes) == bytes.size();
}

using Tamper = std::function<void(QList<QByteArray> &)>;

} // namespace

Q_DECLARE_METATYPE(Tamper)

class TestCliAudit final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void policiesListsThePresets();
    void settingsWithAPolicyExitsThreeOnFailure();
    void unknownAloneIsNotAFailure();
    void malformedPolicyIsAUsageErrorNamingTheLine();
    void policyForTheOtherStoreIsRefused();
    void settingsAndInfoJsonCarryFacts();
    void evidenceFilesHoldVerdictsPolicyHashAndNoSecret();
    void evidenceNeedsAnOutputFile();
    void actionsAreAuditedWithOperatorAndReason();
    void auditVerifyNamesTheBrokenLine_data();
    void auditVerifyNamesTheBrokenLine();
    void truncatedLogStillTakesNewRecords();
    void forcedReadOnlyRefusesEveryRedisWritePath();
    void forcedReadOnlyRefusesEveryDynamoWritePath();
    void auditSyslogMirrorIsAccepted();

private:
    Run cli(const QStringList &args, const QMap<QString, QString> &env = {});
    QStringList store() const { return {u"--store"_s, m_server.url()}; }
    QString writePolicy(const QByteArray &text);
    void actOnce(); // revoke, logout, reveal, destroy: the log of a busy day

    RedisServer m_server;
    QTemporaryDir m_home;
    QString m_auditPath;
    int m_files = 0;
};

Run TestCliAudit::cli(const QStringList &args, const QMap<QString, QString> &env)
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"SESSIONDESK_AUDIT_LOG"_s, m_auditPath);
    // The machine's own administrator settings, if any, stay out of the way.
    environment.insert(u"SESSIONDESK_SYSTEM_CONFIG"_s, m_home.filePath(u"no-system.conf"_s));
    for (const char *name :
         {"SESSIONDESK_PASSWORD", "SESSIONDESK_STORE", "SESSIONDESK_OPERATOR", "AWS_ACCESS_KEY_ID",
          "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
          "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS"}) {
        environment.remove(QString::fromLatin1(name));
    }
    environment.insert(u"AWS_SHARED_CREDENTIALS_FILE"_s, m_home.filePath(u"no-aws-credentials"_s));
    environment.insert(u"AWS_CONFIG_FILE"_s, m_home.filePath(u"no-aws-config"_s));
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

QString TestCliAudit::writePolicy(const QByteArray &text)
{
    const QString path = m_home.filePath(u"policy-%1.json"_s.arg(++m_files));
    writeBytes(path, text);
    return path;
}

void TestCliAudit::initTestCase()
{
    QVERIFY2(!qEnvironmentVariable("SESSIONDESK_CLI").isEmpty(),
             "SESSIONDESK_CLI must name the sessiondesk-cli binary (ctest sets it)");
    // Carelessly configured: plain text, default user without a password, no persistence.
    RedisServer::Options options;
    options.configLines << u"maxmemory-policy allkeys-lru"_s
                        << u"user ops on >ops-password-5521 ~* &* +@all"_s;
    QVERIFY2(m_server.start(options), qPrintable(m_server.errorString()));
    m_auditPath = m_home.filePath(u"audit.log"_s);
}

void TestCliAudit::init()
{
    QFile::remove(m_auditPath);
    QFile::remove(m_auditPath + u".head"_s);
    m_server.cli({u"FLUSHALL"_s}); // the test's own reset, not the product's
    m_server.cli({u"SET"_s, u"sess:aaa111"_s, QString::fromUtf8(kSessionA), u"EX"_s, u"3600"_s});
    m_server.cli({u"SET"_s, u"sess:bbb222"_s, QString::fromUtf8(kSessionB), u"EX"_s, u"3600"_s});
    m_server.cli({u"SET"_s, u"sess:ccc333"_s, QString::fromUtf8(kSessionC), u"EX"_s, u"3600"_s});
    m_server.cli({u"SET"_s, u"other:keep"_s, u"1"_s});
}

void TestCliAudit::policiesListsThePresets()
{
    const Run run = cli({u"policies"_s});
    QCOMPARE(run.exitCode, 0);
    for (const char *name : {"dynamodb-session-adr", "redis-session-ha", "strict"})
        QVERIFY2(run.out.contains(name), run.out.constData());
    const Run json = cli({u"--json"_s, u"policies"_s});
    QCOMPARE(json.json().array().size() >= 3, true);
}

void TestCliAudit::settingsWithAPolicyExitsThreeOnFailure()
{
    const Run failing = cli(store() << u"settings"_s << u"--policy"_s << u"redis-session-ha"_s);
    QCOMPARE(failing.exitCode, 3);
    QVERIFY(failing.out.contains("FAIL     critical  The connection to the store uses TLS."));
    QVERIFY(failing.out.contains("PASS"));
    QVERIFY(failing.out.contains("redis.memory.maxmemory_policy = \"allkeys-lru\""));
    QVERIFY(failing.out.contains("Policy redis-session-ha"));

    // A policy that holds on this server passes, exit 0.
    const QString holds = writePolicy(R"({"name": "holds", "store": "redis", "rules": [
        {"id": "v7", "fact": "redis.server.version", "op": "matches", "value": "^[6-9]\\.",
         "rule": "Redis 6 or later", "severity": "low"},
        {"id": "no-tls", "fact": "redis.tls.connection", "op": "equals", "value": false,
         "rule": "This test server speaks plain text"}]})");
    const Run passing = cli(store() << u"settings"_s << u"--policy"_s << holds);
    QCOMPARE(passing.exitCode, 0);
    QVERIFY(passing.out.contains("2 PASS, 0 FAIL, 0 UNKNOWN"));
}

void TestCliAudit::unknownAloneIsNotAFailure()
{
    // Session counts need a scan: without --scan the rule is UNKNOWN, shown, and exit 0.
    const QString policy = writePolicy(R"({"name": "counts", "store": "redis", "rules": [
        {"fact": "redis.sessions.without_ttl", "op": "equals", "value": 0,
         "rule": "Every session expires"}]})");
    const Run unknown = cli(store() << u"settings"_s << u"--policy"_s << policy);
    QCOMPARE(unknown.exitCode, 0);
    QVERIFY(unknown.out.contains("UNKNOWN"));
    QVERIFY(unknown.out.contains("full scan"));
    const Run scanned = cli(store() << u"settings"_s << u"--scan"_s << u"--policy"_s << policy);
    QCOMPARE(scanned.exitCode, 0);
    QVERIFY(scanned.out.contains("1 PASS, 0 FAIL, 0 UNKNOWN"));
    m_server.cli({u"SET"_s, u"sess:forever"_s, u"{}"_s});
    const Run failing = cli(store() << u"settings"_s << u"--scan"_s << u"--policy"_s << policy);
    QCOMPARE(failing.exitCode, 3);
}

void TestCliAudit::malformedPolicyIsAUsageErrorNamingTheLine()
{
    const QString typo = writePolicy("{\n  \"name\": \"typo\",\n  \"store\": \"redis\",\n"
                                     "  \"rules\": [\n    {\"fact\": \"redis.tls.conection\",\n"
                                     "     \"op\": \"equals\", \"value\": true, \"rule\": \"x\"}\n"
                                     "  ]\n}\n");
    Run run = cli(store() << u"settings"_s << u"--policy"_s << typo);
    QCOMPARE(run.exitCode, 2);
    QVERIFY(run.oneLineError());
    QVERIFY2(run.err.contains("line 5") && run.err.contains("unknown fact"), run.err.constData());
    QVERIFY(run.out.isEmpty()); // no verdicts from a policy that was not understood

    const QString broken =
        writePolicy("{\"name\": \"broken\",\n \"store\": \"redis\"\n \"rules\": []}");
    run = cli(store() << u"settings"_s << u"--policy"_s << broken);
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains("line 3, column"), run.err.constData());

    run = cli(store() << u"settings"_s << u"--policy"_s << u"no-such-preset"_s);
    QCOMPARE(run.exitCode, 2);
    QVERIFY(run.err.contains("redis-session-ha")); // lists what exists
}

void TestCliAudit::policyForTheOtherStoreIsRefused()
{
    const Run run = cli(store() << u"settings"_s << u"--policy"_s << u"dynamodb-session-adr"_s);
    QCOMPARE(run.exitCode, 2);
    QVERIFY(run.oneLineError());
    QVERIFY(run.err.contains("DynamoDB"));
}

void TestCliAudit::settingsAndInfoJsonCarryFacts()
{
    const Run settings =
        cli(store() << u"--json"_s << u"settings"_s << u"--policy"_s << u"strict"_s);
    QCOMPARE(settings.exitCode, 3);
    const QJsonObject object = settings.json().object();
    QCOMPARE(object[u"kind"_s].toString(), u"redis"_s);
    QCOMPARE(object[u"target"_s].toString(), m_server.target());
    QJsonObject fsync;
    for (const QJsonValue &fact : object[u"facts"_s].toArray()) {
        if (fact[u"id"_s].toString() == u"redis.persistence.appendfsync")
            fsync = fact.toObject();
    }
    QCOMPARE(fsync[u"type"_s].toString(), u"string"_s);
    QCOMPARE(fsync[u"source"_s].toString(), u"CONFIG GET appendfsync"_s);
    QVERIFY(fsync[u"known"_s].toBool());
    const QJsonObject policy = object[u"policy"_s].toObject();
    QCOMPARE(policy[u"name"_s].toString(), u"strict"_s);
    QVERIFY(policy[u"failed"_s].toInt() > 0);
    QVERIFY(policy[u"not_applicable"_s].toInt() > 0); // the DynamoDB rules of "any"
    for (const QJsonValue &rule : policy[u"rules"_s].toArray())
        QVERIFY(QStringList({u"PASS"_s, u"FAIL"_s, u"UNKNOWN"_s})
                    .contains(rule[u"verdict"_s].toString()));

    // info keeps its keys and adds the facts.
    const Run info = cli(store() << u"--json"_s << u"info"_s);
    QCOMPARE(info.exitCode, 0);
    const QJsonObject i = info.json().object();
    QCOMPARE(i[u"kind"_s].toString(), u"redis"_s);
    QCOMPARE(i[u"target"_s].toString(), m_server.target());
    QCOMPARE(i[u"sessions"_s].toInt(), 3);
    QVERIFY(i[u"facts"_s].toArray().size() > 20);
}

void TestCliAudit::evidenceFilesHoldVerdictsPolicyHashAndNoSecret()
{
    // An operator's connection with a password, and a revealed session in the audit log: none
    // of it may reach the evidence.
    const QStringList opsStore = {
        u"--store"_s, u"redis://ops:ops-password-5521@127.0.0.1:%1"_s.arg(m_server.port())};
    QCOMPARE(cli(QStringList(opsStore) << u"show"_s << u"aaa111"_s << u"--reveal"_s).exitCode, 0);
    const QString json = m_home.filePath(u"evidence.json"_s);
    const QString html = m_home.filePath(u"evidence.html"_s);
    const QDateTime before = QDateTime::currentDateTimeUtc().addSecs(-1);
    for (const QString &out : {json, html}) {
        const Run run = cli(QStringList(opsStore) << u"evidence"_s << u"--policy"_s
                                                  << u"redis-session-ha"_s << u"--out"_s << out);
        QCOMPARE(run.exitCode,
                 3); // the careless server fails rules; the file is written all the same
        QVERIFY2(run.out.contains("Evidence written to"), run.out.constData());
        QVERIFY(run.out.contains("audit log intact"));
    }
    QFile preset(
        QStringLiteral(SESSIONDESK_SOURCE_DIR "/resources/policies/redis-session-ha.json"));
    QVERIFY(preset.open(QIODevice::ReadOnly));
    const QString presetHash = QString::fromLatin1(
        QCryptographicHash::hash(preset.readAll(), QCryptographicHash::Sha256).toHex());

    QFile jsonFile(json);
    QVERIFY(jsonFile.open(QIODevice::ReadOnly));
    const QByteArray jsonBytes = jsonFile.readAll();
    const QJsonObject evidence = QJsonDocument::fromJson(jsonBytes).object();
    QCOMPARE(evidence[u"policy"_s][u"sha256"_s].toString(), presetHash);
    QCOMPARE(evidence[u"policy"_s][u"name"_s].toString(), u"redis-session-ha"_s);
    QCOMPARE(evidence[u"store"_s][u"target"_s].toString(), m_server.target());
    QVERIFY(evidence[u"tool"_s].toString().startsWith(u"sessiondesk-cli 0."_s));
    QVERIFY(QDateTime::fromString(evidence[u"generated_at"_s].toString(), Qt::ISODate) >= before);
    QCOMPARE(evidence[u"audit_log"_s][u"intact"_s].toBool(), true);
    QCOMPARE(evidence[u"audit_log"_s][u"records"_s].toInt(), 2); // header + the reveal
    QVERIFY(evidence[u"policy"_s][u"failed"_s].toInt() > 0);

    QFile htmlFile(html);
    QVERIFY(htmlFile.open(QIODevice::ReadOnly));
    const QByteArray htmlBytes = htmlFile.readAll();
    QVERIFY(htmlBytes.startsWith("<!DOCTYPE html>"));
    // time, target and tool in the running header that repeats on every printed page
    static const QRegularExpression header(
        u"<table class=\"page\"><thead><tr><td>\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC · "
        u"Redis 127\\.0\\.0\\.1:\\d+/0 · sessiondesk-cli 0\\.[^<]+</td></tr></thead>"_s);
    QVERIFY2(header.match(QString::fromUtf8(htmlBytes)).hasMatch(),
             htmlBytes.left(2000).constData());
    QVERIFY(htmlBytes.contains(presetHash.toLatin1()));
    QVERIFY(htmlBytes.contains("FAIL"));

    for (const QByteArray &bytes : {jsonBytes, htmlBytes}) {
        for (const QByteArray &secret :
             {QByteArray("ops-password-5521"), QByteArray("rt-very-secret"), QByteArray("aaa111")})
            QVERIFY2(!bytes.contains(secret), secret.constData());
    }
}

void TestCliAudit::evidenceNeedsAnOutputFile()
{
    Run run = cli(store() << u"evidence"_s << u"--policy"_s << u"strict"_s);
    QCOMPARE(run.exitCode, 2);
    QVERIFY(run.err.contains("--out"));
    run = cli(store() << u"evidence"_s << u"--out"_s << m_home.filePath(u"e.txt"_s));
    QCOMPARE(run.exitCode, 2);
    run = cli(store() << u"evidence"_s << u"--out"_s
                      << m_home.filePath(u"not-a-folder/../../../nope/e.json"_s));
    QCOMPARE(run.exitCode, 1);
    QVERIFY(run.oneLineError());
}

void TestCliAudit::actOnce()
{
    QCOMPARE(cli(store() << u"--operator"_s << u"ada"_s << u"revoke"_s << u"ccc333"_s
                         << u"--reason"_s << u"INC-101 stolen laptop"_s)
                 .exitCode,
             0);
    QCOMPARE(cli(store() << u"logout-user"_s << u"alice"_s << u"--reason"_s << u"account closed"_s,
                 {{u"SESSIONDESK_OPERATOR"_s, u"bea"_s}})
                 .exitCode,
             0);
    m_server.cli({u"SET"_s, u"sess:ddd444"_s, QString::fromUtf8(kSessionA), u"EX"_s, u"3600"_s});
    QCOMPARE(
        cli(store() << u"show"_s << u"ddd444"_s << u"--reveal"_s << u"--reason"_s << u"ticket 7"_s)
            .exitCode,
        0);
    QCOMPARE(cli(store() << u"destroy-all"_s << u"--confirm"_s << m_server.target()).exitCode, 0);
}

void TestCliAudit::actionsAreAuditedWithOperatorAndReason()
{
    actOnce();
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(m_server.cli({u"DBSIZE"_s}).trimmed(), QByteArray("1")); // only other:keep

    const Run shown = cli({u"--json"_s, u"audit"_s, u"show"_s});
    QCOMPARE(shown.exitCode, 0);
    const QJsonArray entries = shown.json().array();
    QCOMPARE(entries.size(), 4);
    const QJsonObject revoke = entries.at(0).toObject();
    QCOMPARE(revoke[u"action"_s].toString(), u"revoke"_s);
    QCOMPARE(revoke[u"operator"_s].toString(), u"ada"_s);
    QVERIFY(!revoke[u"os_user"_s].toString().isEmpty());
    QVERIFY(!revoke[u"host"_s].toString().isEmpty());
    QCOMPARE(revoke[u"reason"_s].toString(), u"INC-101 stolen laptop"_s);
    QCOMPARE(revoke[u"target"_s].toString(), m_server.target());
    QCOMPARE(revoke[u"layout"_s].toString(), u"connect-redis"_s);
    QCOMPARE(revoke[u"planned"_s].toInt(), 1);
    QCOMPARE(revoke[u"done"_s].toInt(), 1);
    QCOMPARE(revoke[u"result"_s].toString(), u"ok"_s);
    QCOMPARE(revoke[u"line"_s].toInt(), 2); // the started record, after the header
    QCOMPARE(revoke[u"completed_line"_s].toInt(), 3);
    const QJsonObject logout = entries.at(1).toObject();
    QCOMPARE(logout[u"operator"_s].toString(), u"bea"_s);
    QCOMPARE(logout[u"user"_s].toString(), u"alice"_s);
    QCOMPARE(logout[u"done"_s].toInt(), 2);
    QCOMPARE(logout[u"reason"_s].toString(), u"account closed"_s);
    QCOMPARE(entries.at(2)[u"action"_s].toString(), u"reveal"_s);
    QCOMPARE(entries.at(2)[u"reason"_s].toString(), u"ticket 7"_s);
    const QJsonObject destroy = entries.at(3).toObject();
    QCOMPARE(destroy[u"action"_s].toString(), u"destroy-all"_s);
    QCOMPARE(destroy[u"done"_s].toInt(), 1);
    QVERIFY(destroy[u"scope"_s].toString().contains(u"sess:"_s));

    // Ids are in the log only as salted hashes: checkable, not readable.
    QFile log(m_auditPath);
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QByteArray bytes = log.readAll();
    for (const char *id : {"ccc333", "aaa111", "bbb222", "ddd444"})
        QVERIFY2(!bytes.contains(id), id);
    const Run bySession = cli({u"--json"_s, u"audit"_s, u"show"_s, u"--session"_s, u"ccc333"_s});
    QCOMPARE(bySession.json().array().size(), 1);
    QCOMPARE(bySession.json().array().first()[u"action"_s].toString(), u"revoke"_s);
    const Run byAction = cli({u"audit"_s, u"show"_s, u"--action"_s, u"logout-user"_s});
    QCOMPARE(byAction.exitCode, 0);
    QVERIFY(byAction.out.contains("1 action in"));
    QVERIFY(byAction.out.contains("account closed"));

    const Run verify = cli({u"audit"_s, u"verify"_s});
    QCOMPARE(verify.exitCode, 0);
    QVERIFY2(verify.out.contains("intact: 8 records"), verify.out.constData());
}

void TestCliAudit::auditVerifyNamesTheBrokenLine_data()
{
    // On the log of actOnce(): header, revoke ×2, logout ×2, reveal, destroy ×2: 8 lines.
    QTest::addColumn<Tamper>("tamper");
    QTest::addColumn<QString>("says");
    QTest::newRow("edit") << Tamper([](QList<QByteArray> &l) {
        l[1].replace("INC-101 stolen laptop", "routine cleanup     ");
    }) << u"line 2: line 2 was edited"_s;
    QTest::newRow("delete") << Tamper([](QList<QByteArray> &l) { l.removeAt(3); })
                            << u"line 4: 1 record between line 3 and line 4 is missing"_s;
    QTest::newRow("insert") << Tamper([](QList<QByteArray> &l) {
        QJsonObject forged = QJsonDocument::fromJson(l.at(5)).object();
        forged.insert(u"reason"_s, u"approved by CISO"_s);
        forged.insert(u"prev"_s,
                      QString::fromLatin1(
                          QCryptographicHash::hash(l.at(5), QCryptographicHash::Sha256).toHex()));
        forged.insert(u"seq"_s, 7);
        l.insert(6, QJsonDocument(forged).toJson(QJsonDocument::Compact));
    }) << u"line 7: line 7 was inserted"_s;
    QTest::newRow("reorder") << Tamper([](QList<QByteArray> &l) { l.swapItemsAt(3, 4); })
                             << u"line 4: line 4 is out of order"_s;
    QTest::newRow("truncate") << Tamper([](QList<QByteArray> &l) { l.last().truncate(30); })
                              << u"line 8: line 8 is incomplete"_s;
    QTest::newRow("cut the last record off") << Tamper([](QList<QByteArray> &l) { l.removeLast(); })
                                             << u"1 record at the end is missing"_s;
}

void TestCliAudit::auditVerifyNamesTheBrokenLine()
{
    QFETCH(Tamper, tamper);
    QFETCH(QString, says);
    actOnce();
    if (QTest::currentTestFailed())
        return;
    QList<QByteArray> lines = readLines(m_auditPath);
    QCOMPARE(lines.size(), 8);
    tamper(lines);
    const bool truncated = QTest::currentDataTag() == QByteArray("truncate");
    QVERIFY(writeBytes(m_auditPath, lines.join('\n') + (truncated ? "" : "\n")));
    const Run verify = cli({u"audit"_s, u"verify"_s, u"--log"_s, m_auditPath});
    QCOMPARE(verify.exitCode, 3);
    QVERIFY2(verify.out.contains(says.toUtf8()), verify.out.constData());
    QVERIFY(verify.out.contains("BROKEN"));
    const Run json = cli({u"--json"_s, u"audit"_s, u"verify"_s});
    QCOMPARE(json.exitCode, 3);
    QCOMPARE(json.json()[u"intact"_s].toBool(), false);
}

void TestCliAudit::truncatedLogStillTakesNewRecords()
{
    QCOMPARE(cli(store() << u"revoke"_s << u"aaa111"_s).exitCode, 0);
    QList<QByteArray> lines = readLines(m_auditPath);
    QCOMPARE(lines.size(), 3);
    QVERIFY(writeBytes(m_auditPath, lines.join('\n').chopped(25))); // cut inside the last record
    QCOMPARE(cli({u"audit"_s, u"verify"_s}).exitCode, 3);

    // The next action is still audited: its records start on a fresh line and chain on.
    const Run revoke = cli(store() << u"revoke"_s << u"bbb222"_s << u"--reason"_s << u"after"_s);
    QCOMPARE(revoke.exitCode, 0);
    const Run verify = cli({u"audit"_s, u"verify"_s});
    QCOMPARE(verify.exitCode, 3); // the damage stays visible…
    QVERIFY2(verify.out.contains("line 3: line 3 is not a complete JSON record"),
             verify.out.constData());
    QVERIFY2(verify.out.contains("BROKEN: 1 problem"), verify.out.constData()); // …and alone
    const Run shown = cli({u"--json"_s, u"audit"_s, u"show"_s});
    const QJsonArray entries = shown.json().array();
    QCOMPARE(entries.last()[u"reason"_s].toString(), u"after"_s);
    QCOMPARE(entries.last()[u"result"_s].toString(), u"ok"_s);
}

void TestCliAudit::forcedReadOnlyRefusesEveryRedisWritePath()
{
    const QString system = m_home.filePath(u"system.conf"_s);
    QVERIFY(writeBytes(system, "[General]\nForceReadOnly=true\n"));
    const QMap<QString, QString> forced = {{u"SESSIONDESK_SYSTEM_CONFIG"_s, system}};
    for (const QStringList &command :
         {QStringList{u"revoke"_s, u"aaa111"_s}, QStringList{u"logout-user"_s, u"alice"_s},
          QStringList{u"destroy-all"_s, u"--confirm"_s, m_server.target()}}) {
        const Run run = cli(store() << command, forced);
        QCOMPARE(run.exitCode, 4);
        QVERIFY(run.oneLineError());
        QVERIFY2(run.err.contains("forced by the administrator")
                     && run.err.contains(system.toUtf8()),
                 run.err.constData());
    }
    QCOMPARE(m_server.cli({u"DBSIZE"_s}).trimmed(), QByteArray("4"));
    QVERIFY(!QFile::exists(m_auditPath)); // refused before anything happened: nothing to record
    // Reading still works.
    QCOMPARE(cli(store() << u"settings"_s, forced).exitCode, 0);
    const Run info = cli(store() << u"--json"_s << u"info"_s, forced);
    QCOMPARE(info.json()[u"read_only"_s].toBool(), true);
    // A file that says false leaves changes allowed.
    QVERIFY(writeBytes(system, "ForceReadOnly=false\n"));
    QCOMPARE(cli(store() << u"revoke"_s << u"aaa111"_s, forced).exitCode, 0);
}

void TestCliAudit::forcedReadOnlyRefusesEveryDynamoWritePath()
{
    DynaliteServer dynalite;
    QVERIFY2(dynalite.start(), qPrintable(dynalite.errorString()));
    QVERIFY(dynalite.createTable(u"forced"_s, true));
    const auto item = [](const QString &id) {
        return QJsonObject{{u"id"_s, QJsonObject{{u"S"_s, QString(u"sess:"_s + id)}}},
                           {u"user_id"_s, QJsonObject{{u"S"_s, u"dora"_s}}},
                           {u"sess"_s, QJsonObject{{u"S"_s, u"{\"user_id\":\"dora\"}"_s}}}};
    };
    QVERIFY(dynalite.putItems(u"forced"_s, {item(u"d1"_s), item(u"d2"_s)}));
    const QString system = m_home.filePath(u"system-dynamo.conf"_s);
    QVERIFY(writeBytes(system, "ForceReadOnly=yes\n"));
    QMap<QString, QString> env = {{u"AWS_ACCESS_KEY_ID"_s, u"AKID"_s},
                                  {u"AWS_SECRET_ACCESS_KEY"_s, u"x"_s},
                                  {u"AWS_REGION"_s, u"eu-west-1"_s},
                                  {u"SESSIONDESK_SYSTEM_CONFIG"_s, system}};
    const QStringList table = {u"--store"_s,
                               u"dynamodb://forced?endpoint="_s + dynalite.endpoint()};
    for (const QStringList &command :
         {QStringList{u"revoke"_s, u"d1"_s}, QStringList{u"logout-user"_s, u"dora"_s},
          QStringList{u"destroy-all"_s, u"--confirm"_s, u"forced@eu-west-1"_s}}) {
        const Run run = cli(QStringList(table) << command, env);
        QCOMPARE(run.exitCode, 4);
        QVERIFY2(run.err.contains("forced by the administrator"), run.err.constData());
    }
    // --read-only on the command line refuses the same way, without the administrator.
    env.remove(u"SESSIONDESK_SYSTEM_CONFIG"_s);
    for (const QStringList &command :
         {QStringList{u"revoke"_s, u"d1"_s}, QStringList{u"logout-user"_s, u"dora"_s},
          QStringList{u"destroy-all"_s, u"--confirm"_s, u"forced@eu-west-1"_s}}) {
        const Run run = cli(QStringList(table) << u"--read-only"_s << command, env);
        QCOMPARE(run.exitCode, 4);
        QVERIFY(run.err.contains("read-only"));
    }
    QCOMPARE(dynalite.countItems(u"forced"_s), 2);
    QVERIFY(!QFile::exists(m_auditPath));
}

void TestCliAudit::auditSyslogMirrorIsAccepted()
{
    // Where syslog delivers depends on the machine; here the record must still be written.
    const Run run = cli(store() << u"--audit-syslog"_s << u"revoke"_s << u"aaa111"_s);
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(AuditLog(m_auditPath).entries()->size(), 1);
    QVERIFY(AuditLog(m_auditPath).verify().intact());
}

QTEST_GUILESS_MAIN(TestCliAudit)
#include "tst_cli_audit.moc"
