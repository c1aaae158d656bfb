// Unit tests for policies over store facts: the presets load by name (built in, or installed
// under share/sessiondesk/policies) and cite their seed documents; malformed files are refused
// with the line and the problem; every operator gives PASS, FAIL or UNKNOWN as documented;
// facts of the catalog; ACL LIST parsing that drops password hashes; the administrator's
// system settings; evidence documents.

#include "evidence.h"
#include "policy.h"
#include "redis/redisfacts.h"
#include "storefacts.h"
#include "systemsettings.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

using namespace Qt::StringLiterals;
using namespace SessionDesk;

namespace {

class EnvGuard
{
public:
    explicit EnvGuard(const char *name)
        : m_name(name)
        , m_had(qEnvironmentVariableIsSet(name))
    {
        if (m_had)
            m_value = qgetenv(name);
    }
    ~EnvGuard()
    {
        if (m_had)
            qputenv(m_name, m_value);
        else
            qunsetenv(m_name);
    }
    EnvGuard(const EnvGuard &) = delete;
    EnvGuard &operator=(const EnvGuard &) = delete;

private:
    const char *m_name;
    bool m_had;
    QByteArray m_value;
};

// A Redis store's facts as a careless server would report them, built through the catalog.
StoreInfo redisInfo()
{
    StoreInfo info;
    info.kind = u"redis"_s;
    info.target = u"127.0.0.1:6379/0"_s;
    FactSheet sheet;
    sheet.known(u"redis.server.version"_s, u"7.0.15"_s);
    sheet.known(u"redis.tls.connection"_s, false);
    sheet.known(u"redis.tls.plain_port"_s, 6379.0);
    sheet.known(u"redis.persistence.appendfsync"_s, u"everysec"_s);
    sheet.known(u"redis.memory.maxmemory_policy"_s, u"allkeys-lru"_s);
    sheet.known(u"redis.acl.users_nopass"_s, QJsonArray{u"default"_s});
    sheet.known(u"redis.acl.users_all_commands"_s, QJsonArray{u"default"_s, u"admin"_s});
    sheet.known(u"redis.notifications.keyspace_events"_s, QString());
    sheet.absent(u"redis.replication.master_link_status"_s, u"not a replica"_s);
    sheet.unknown(u"redis.persistence.appendonly"_s, u"NOPERM: no permissions"_s);
    info.facts = sheet.take();
    return info;
}

Policy policyWith(const QString &fact, const QString &op, const QJsonValue &value)
{
    QJsonObject rule{{u"id"_s, u"r"_s}, {u"fact"_s, fact}, {u"op"_s, op}, {u"rule"_s, u"t"_s}};
    if (!value.isUndefined() && !value.isNull())
        rule.insert(u"value"_s, value);
    const QJsonObject doc{
        {u"name"_s, u"p"_s}, {u"store"_s, u"any"_s}, {u"rules"_s, QJsonArray{rule}}};
    auto policy = Policy::parse(QJsonDocument(doc).toJson(), u"p.json"_s);
    if (!policy)
        qWarning("%s", qPrintable(policy.error().message));
    return policy.value_or(Policy());
}

} // namespace

class TestPolicy final : public QObject
{
    Q_OBJECT

private slots:
    void presetsLoadByNameAndCiteSources();
    void installedPresetIsFoundByName();
    void unknownPresetListsThePresets();
    void malformedPolicyNamesLineAndProblem_data();
    void malformedPolicyNamesLineAndProblem();
    void operatorsGiveVerdicts_data();
    void operatorsGiveVerdicts();
    void missingNamedThingsAreAbsentOthersUnknown();
    void policyForTheOtherStoreIsAnError();
    void anyPolicySkipsRulesOfTheOtherStore();
    void catalogIdsAreUniqueAndWildcardsMatch();
    void aclLinesLoseTheirPasswordHashes();
    void systemSettingsFailClosed_data();
    void systemSettingsFailClosed();
    void evidenceStampsEveryPageAndHidesNothingSecret();
};

void TestPolicy::presetsLoadByNameAndCiteSources()
{
    const QStringList names = Policy::presetNames();
    for (const char *name : {"dynamodb-session-adr", "redis-session-ha", "strict"}) {
        QVERIFY2(names.contains(QString::fromLatin1(name)), qPrintable(names.join(u", ")));
        auto policy = Policy::load(QString::fromLatin1(name));
        QVERIFY2(policy, qPrintable(policy ? QString() : policy.error().message));
        QCOMPARE(policy->name, QString::fromLatin1(name));
        QVERIFY(policy->rules.size() >= 10);
        // The SHA-256 is of the bytes a reader can check: the file in resources/policies.
        QFile source(QStringLiteral(SESSIONDESK_SOURCE_DIR "/resources/policies/%1.json")
                         .arg(QString::fromLatin1(name)));
        QVERIFY(source.open(QIODevice::ReadOnly));
        QCOMPARE(policy->sha256.toLatin1(),
                 QCryptographicHash::hash(source.readAll(), QCryptographicHash::Sha256).toHex());
        for (const PolicyRule &rule : policy->rules) {
            QVERIFY2(!rule.rationale.isEmpty(), qPrintable(rule.id));
            QVERIFY2(!rule.reference.isEmpty(), qPrintable(rule.id));
        }
    }
    // The project presets are derived from the seeds and say which.
    const auto ha = Policy::load(u"redis-session-ha"_s);
    for (const PolicyRule &rule : ha->rules)
        QVERIFY2(rule.reference.contains(u"seed 00"_s), qPrintable(rule.id));
    const auto adr = Policy::load(u"dynamodb-session-adr"_s);
    for (const PolicyRule &rule : adr->rules) {
        QVERIFY2(rule.reference.contains(u"seed 00"_s) || rule.reference.contains(u"7.4"_s),
                 qPrintable(rule.id));
    }
    QCOMPARE(adr->store, u"dynamodb"_s);
    const auto pitr = std::find_if(adr->rules.cbegin(), adr->rules.cend(),
                                   [](const PolicyRule &r) { return r.id == u"pitr-off"; });
    QVERIFY(pitr != adr->rules.cend());
    QCOMPARE(pitr->expected.toString(), u"DISABLED"_s); // disabled on purpose, as decided
}

void TestPolicy::installedPresetIsFoundByName()
{
    const EnvGuard guard("XDG_DATA_DIRS");
    QTemporaryDir share;
    QVERIFY(share.isValid());
    QVERIFY(QDir(share.path()).mkpath(u"sessiondesk/policies"_s));
    QFile file(share.filePath(u"sessiondesk/policies/site-local.json"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"name": "site-local", "store": "redis", "rules": [
        {"fact": "redis.persistence.appendonly", "op": "equals", "value": true,
         "rule": "AOF on"}]})");
    file.close();
    qputenv("XDG_DATA_DIRS", share.path().toLocal8Bit());
    QVERIFY(Policy::presetNames().contains(u"site-local"_s));
    auto policy = Policy::load(u"site-local"_s);
    QVERIFY2(policy, qPrintable(policy ? QString() : policy.error().message));
    QCOMPARE(policy->origin, file.fileName());
    // A built-in name is not shadowed by an installed file of the same name.
    QVERIFY(Policy::presetPath(u"strict"_s).startsWith(u":/policies/"_s));
}

void TestPolicy::unknownPresetListsThePresets()
{
    auto policy = Policy::load(u"no-such-preset"_s);
    QVERIFY(!policy);
    QCOMPARE(policy.error().code, StorageError::Code::InvalidArgument);
    QVERIFY(policy.error().message.contains(u"no-such-preset"_s));
    QVERIFY(policy.error().message.contains(u"redis-session-ha"_s));
    auto missingFile = Policy::load(u"/nonexistent/policy.json"_s);
    QVERIFY(!missingFile);
    QVERIFY(missingFile.error().message.contains(u"/nonexistent/policy.json"_s));
}

void TestPolicy::malformedPolicyNamesLineAndProblem_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("says");
    const QByteArray head = "{\n  \"name\": \"bad\",\n  \"store\": \"redis\",\n  \"rules\": [\n";
    const auto rules = [&](const QByteArray &body) -> QByteArray {
        return head + body + "\n  ]\n}\n";
    };
    QTest::newRow("missing comma") << rules("    {\"fact\": \"redis.tls.connection\"\n"
                                            "     \"op\": \"equals\"}")
                                   << 6 << u"not valid JSON: line 6, column"_s;
    QTest::newRow("unknown fact") << rules("    {\"fact\": \"redis.tls.connection\", \"op\": "
                                           "\"equals\", \"value\": true, \"rule\": \"a\"},\n"
                                           "    {\"id\": \"typo\",\n"
                                           "     \"fact\": \"redis.persistance.appendonly\", "
                                           "\"op\": \"equals\", \"value\": true, \"rule\": \"b\"}")
                                  << 7 << u"unknown fact \"redis.persistance.appendonly\""_s;
    QTest::newRow("unknown operator") << rules("    {\"fact\": \"redis.tls.connection\",\n"
                                               "     \"op\": \"eqals\", \"value\": true, "
                                               "\"rule\": \"a\"}")
                                      << 6 << u"unknown operator \"eqals\""_s;
    QTest::newRow("value of the wrong type")
        << rules("    {\"fact\": \"redis.tls.connection\", \"op\": \"equals\",\n"
                 "     \"value\": \"yes\", \"rule\": \"a\"}")
        << 6 << u"the value is a string but the fact is a bool"_s;
    QTest::newRow("atLeast on a string")
        << rules("    {\"fact\": \"redis.persistence.appendfsync\", \"op\": \"atLeast\", "
                 "\"value\": 1, \"rule\": \"a\"}")
        << 5 << u"applies to number or list facts"_s;
    QTest::newRow("value missing") << rules("    {\"fact\": \"redis.tls.connection\", \"op\": "
                                            "\"equals\", \"rule\": \"a\"}")
                                   << 5 << u"needs a \"value\""_s;
    QTest::newRow("rule text missing")
        << rules("    {\"fact\": \"redis.tls.connection\", \"op\": \"equals\", \"value\": true}")
        << 5 << u"has no \"rule\" text"_s;
    QTest::newRow("misspelt key") << rules("    {\"fact\": \"redis.tls.connection\", \"op\": "
                                           "\"equals\", \"value\": true, \"rule\": \"a\",\n"
                                           "     \"severty\": \"high\"}")
                                  << 6 << u"unknown key \"severty\""_s;
    QTest::newRow("invalid regular expression")
        << rules("    {\"fact\": \"redis.server.version\", \"op\": \"matches\", \"value\": "
                 "\"(7\", \"rule\": \"a\"}")
        << 5 << u"regular expression is invalid"_s;
    QTest::newRow("duplicate id") << rules(
        "    {\"id\": \"x\", \"fact\": \"redis.tls.connection\", "
        "\"op\": \"present\", \"rule\": \"a\"},\n"
        "    {\"id\": \"x\", \"fact\": \"redis.tls.port\", "
        "\"op\": \"present\", \"rule\": \"b\"}")
                                  << 6 << u"repeats an id"_s;
    QTest::newRow("DynamoDB fact in a Redis policy")
        << rules("    {\"fact\": \"dynamodb.sse.type\", \"op\": \"equals\", \"value\": \"KMS\", "
                 "\"rule\": \"a\"}")
        << 5 << u"names the dynamodb fact"_s;
    QTest::newRow("unknown severity")
        << rules("    {\"fact\": \"redis.tls.connection\", \"op\": \"present\", \"rule\": \"a\", "
                 "\"severity\": \"dire\"}")
        << 5 << u"unknown severity \"dire\""_s;
    QTest::newRow("no rules") << QByteArray("{\"name\": \"bad\", \"store\": \"redis\",\n"
                                            " \"rules\": []}")
                              << 2 << u"non-empty list of rules"_s;
    QTest::newRow("unknown store") << QByteArray("{\"name\": \"bad\",\n \"store\": \"mysql\", "
                                                 "\"rules\": []}")
                                   << 2 << u"\"store\" must be"_s;
    QTest::newRow("not an object") << QByteArray("[1, 2]") << 1 << u"one JSON object"_s;
    QTest::newRow("truncated file")
        << QByteArray(head + QByteArray("    {\"fact\": \"redis.tls.connection\"")) << 5
        << u"not valid JSON: line 5"_s;
}

void TestPolicy::malformedPolicyNamesLineAndProblem()
{
    QFETCH(QByteArray, text);
    QFETCH(int, line);
    QFETCH(QString, says);
    auto policy = Policy::parse(text, u"/etc/policies/bad.json"_s);
    QVERIFY2(!policy, "a malformed policy was accepted");
    const QString message = policy.error().message;
    QCOMPARE(policy.error().code, StorageError::Code::InvalidArgument);
    QVERIFY2(message.contains(u"/etc/policies/bad.json"_s), qPrintable(message));
    QVERIFY2(message.contains(says), qPrintable(message));
    static const QRegularExpression lineNumber(u"line (\\d+)"_s);
    QCOMPARE(lineNumber.match(message).captured(1).toInt(), line);
    QVERIFY(!message.contains(u'\n'));
}

void TestPolicy::operatorsGiveVerdicts_data()
{
    QTest::addColumn<QString>("fact");
    QTest::addColumn<QString>("op");
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QString>("verdict");
    const QJsonValue none(QJsonValue::Undefined);
    QTest::newRow("equals bool pass")
        << u"redis.tls.connection"_s << u"equals"_s << QJsonValue(false) << u"PASS"_s;
    QTest::newRow("equals bool fail")
        << u"redis.tls.connection"_s << u"equals"_s << QJsonValue(true) << u"FAIL"_s;
    QTest::newRow("equals number")
        << u"redis.tls.plain_port"_s << u"equals"_s << QJsonValue(0) << u"FAIL"_s;
    QTest::newRow("not") << u"redis.tls.plain_port"_s << u"not"_s << QJsonValue(0) << u"PASS"_s;
    QTest::newRow("in pass") << u"redis.memory.maxmemory_policy"_s << u"in"_s
                             << QJsonValue(QJsonArray{u"allkeys-lru"_s, u"noeviction"_s})
                             << u"PASS"_s;
    QTest::newRow("in fail") << u"redis.memory.maxmemory_policy"_s << u"in"_s
                             << QJsonValue(QJsonArray{u"volatile-ttl"_s}) << u"FAIL"_s;
    QTest::newRow("notIn") << u"redis.memory.maxmemory_policy"_s << u"notIn"_s
                           << QJsonValue(QJsonArray{u"volatile-ttl"_s}) << u"PASS"_s;
    QTest::newRow("matches") << u"redis.server.version"_s << u"matches"_s << QJsonValue(u"^7\\."_s)
                             << u"PASS"_s;
    QTest::newRow("matches fail") << u"redis.server.version"_s << u"matches"_s
                                  << QJsonValue(u"^8\\."_s) << u"FAIL"_s;
    QTest::newRow("atLeast number")
        << u"redis.tls.plain_port"_s << u"atLeast"_s << QJsonValue(1024) << u"PASS"_s;
    QTest::newRow("atMost number")
        << u"redis.tls.plain_port"_s << u"atMost"_s << QJsonValue(1024) << u"FAIL"_s;
    QTest::newRow("atMost list counts")
        << u"redis.acl.users_all_commands"_s << u"atMost"_s << QJsonValue(1) << u"FAIL"_s;
    QTest::newRow("contains list") << u"redis.acl.users_all_commands"_s << u"contains"_s
                                   << QJsonValue(u"admin"_s) << u"PASS"_s;
    QTest::newRow("notContains list") << u"redis.acl.users_all_commands"_s << u"notContains"_s
                                      << QJsonValue(u"default"_s) << u"FAIL"_s;
    QTest::newRow("contains string") << u"redis.persistence.appendfsync"_s << u"contains"_s
                                     << QJsonValue(u"every"_s) << u"PASS"_s;
    QTest::newRow("empty list fails")
        << u"redis.acl.users_nopass"_s << u"empty"_s << none << u"FAIL"_s;
    QTest::newRow("notEmpty list")
        << u"redis.acl.users_nopass"_s << u"notEmpty"_s << none << u"PASS"_s;
    QTest::newRow("empty string") << u"redis.notifications.keyspace_events"_s << u"empty"_s << none
                                  << u"PASS"_s;
    QTest::newRow("present") << u"redis.server.version"_s << u"present"_s << none << u"PASS"_s;
    QTest::newRow("absent known null")
        << u"redis.replication.master_link_status"_s << u"absent"_s << none << u"PASS"_s;
    QTest::newRow("equals on absent") << u"redis.replication.master_link_status"_s << u"equals"_s
                                      << QJsonValue(u"up"_s) << u"FAIL"_s;
    QTest::newRow("unknown fact is UNKNOWN")
        << u"redis.persistence.appendonly"_s << u"equals"_s << QJsonValue(true) << u"UNKNOWN"_s;
    QTest::newRow("unknown fact even for not")
        << u"redis.persistence.appendonly"_s << u"not"_s << QJsonValue(true) << u"UNKNOWN"_s;
    QTest::newRow("unreported fact is UNKNOWN")
        << u"redis.tls.replication"_s << u"equals"_s << QJsonValue(true) << u"UNKNOWN"_s;
}

void TestPolicy::operatorsGiveVerdicts()
{
    QFETCH(QString, fact);
    QFETCH(QString, op);
    QFETCH(QJsonValue, value);
    QFETCH(QString, verdict);
    const Policy policy = policyWith(fact, op, value);
    QCOMPARE(policy.rules.size(), 1);
    auto report = evaluatePolicy(policy, redisInfo());
    QVERIFY(report);
    QCOMPARE(report->results.size(), 1);
    const RuleResult &r = report->results.first();
    QCOMPARE(verdictName(r.verdict), verdict);
    QVERIFY2(r.evidence.contains(fact), qPrintable(r.evidence));
    if (verdict == u"UNKNOWN")
        QVERIFY(r.evidence.contains(u"unknown"_s));
    QCOMPARE(report->passed + report->failed + report->unknown, 1);
    QCOMPARE(report->hasFailure(), verdict == u"FAIL");
}

void TestPolicy::missingNamedThingsAreAbsentOthersUnknown()
{
    StoreInfo info;
    info.kind = u"dynamodb"_s;
    info.target = u"t@eu-west-1"_s;
    FactSheet sheet;
    sheet.known(u"dynamodb.gsi.names"_s, QJsonArray{u"other-index"_s});
    sheet.known(u"dynamodb.gsi.other-index.partition_key"_s, u"email"_s);
    info.facts = sheet.take();
    // An index the table does not have: its facts are absent, so "equals" fails.
    auto r = evaluatePolicy(
        policyWith(u"dynamodb.gsi.users-sessions.partition_key"_s, u"equals"_s, u"user_id"_s),
        info);
    QCOMPARE(r->results.first().verdict, Verdict::Fail);
    QVERIFY(r->results.first().evidence.contains(u"absent"_s));
    r = evaluatePolicy(policyWith(u"dynamodb.gsi.users-sessions.partition_key"_s, u"absent"_s, {}),
                       info);
    QCOMPARE(r->results.first().verdict, Verdict::Pass);
    // A fact the store should have reported but did not is unknown, never a pass.
    r = evaluatePolicy(policyWith(u"dynamodb.pitr.status"_s, u"not"_s, u"ENABLED"_s), info);
    QCOMPARE(r->results.first().verdict, Verdict::Unknown);
}

void TestPolicy::policyForTheOtherStoreIsAnError()
{
    auto adr = Policy::load(u"dynamodb-session-adr"_s);
    QVERIFY(adr);
    auto report = evaluatePolicy(*adr, redisInfo());
    QVERIFY(!report);
    QCOMPARE(report.error().code, StorageError::Code::InvalidArgument);
    QVERIFY(report.error().message.contains(u"DynamoDB"_s));
    QVERIFY(report.error().message.contains(u"127.0.0.1:6379/0"_s));
}

void TestPolicy::anyPolicySkipsRulesOfTheOtherStore()
{
    auto strict = Policy::load(u"strict"_s);
    QVERIFY(strict);
    auto report = evaluatePolicy(*strict, redisInfo());
    QVERIFY(report);
    int redisRules = 0;
    for (const PolicyRule &rule : strict->rules)
        redisRules += rule.fact.startsWith(u"redis."_s);
    QCOMPARE(report->results.size(), redisRules);
    QCOMPARE(report->notApplicable, int(strict->rules.size()) - redisRules);
    QVERIFY(report->hasFailure());
}

void TestPolicy::catalogIdsAreUniqueAndWildcardsMatch()
{
    QSet<QString> ids;
    for (const FactSpec &spec : factCatalog()) {
        QVERIFY2(!ids.contains(spec.id), qPrintable(spec.id));
        ids.insert(spec.id);
        QVERIFY(spec.kind == u"redis" || spec.kind == u"dynamodb");
        QVERIFY(!spec.group.isEmpty() && !spec.label.isEmpty() && !spec.source.isEmpty());
        QVERIFY2(!spec.explanation.isEmpty(), qPrintable(spec.id));
    }
    const auto tag = findFactSpec(u"dynamodb.tag.cost.centre"_s);
    QVERIFY(tag);
    QCOMPARE(tag->label, u"Tag cost.centre"_s);
    const auto gsi = findFactSpec(u"dynamodb.gsi.users-sessions.projection"_s);
    QVERIFY(gsi);
    QCOMPARE(gsi->label, u"Index users-sessions: projection"_s);
    QVERIFY(!findFactSpec(u"dynamodb.gsi..projection"_s));
    QVERIFY(!findFactSpec(u"redis.persistance.appendonly"_s));
}

void TestPolicy::aclLinesLoseTheirPasswordHashes()
{
    const QByteArray hash = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
    const Redis::AclUser app = Redis::parseAclUser(
        "user app on #" + hash + " ~sess:* ~user-sessions:* resetchannels -@all +get +unlink");
    QCOMPARE(app.name, u"app"_s);
    QVERIFY(app.enabled);
    QVERIFY(!app.nopass);
    QCOMPARE(app.passwords, 1);
    QVERIFY(!app.allCommands);
    QVERIFY(!app.allKeys);
    QVERIFY(!app.rules.contains(QString::fromLatin1(hash)));
    QVERIFY(!app.rules.contains(u'#'));

    const Redis::AclUser def = Redis::parseAclUser("user default on nopass ~* &* +@all");
    QVERIFY(def.nopass && def.allCommands && def.allKeys && def.enabled);
    const Redis::AclUser reader = Redis::parseAclUser("user reader off %R~* -@all +get");
    QVERIFY(!reader.enabled);
    QVERIFY(reader.allKeys);
    QVERIFY(!reader.allCommands);
    const Redis::AclUser narrowed =
        Redis::parseAclUser("user ops on #" + hash + " ~* +@all -@all +info");
    QVERIFY(!narrowed.allCommands);
}

void TestPolicy::systemSettingsFailClosed_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<bool>("forced");
    QTest::newRow("true") << QByteArray("[General]\nForceReadOnly=true\n") << true;
    QTest::newRow("yes") << QByteArray("ForceReadOnly=yes\n") << true;
    QTest::newRow("typo counts as on") << QByteArray("ForceReadOnly=ture\n") << true;
    QTest::newRow("false") << QByteArray("[General]\nForceReadOnly=false\n") << false;
    QTest::newRow("off") << QByteArray("ForceReadOnly=0\n") << false;
    QTest::newRow("not set") << QByteArray("[General]\nAuditSyslog=true\n") << false;
}

void TestPolicy::systemSettingsFailClosed()
{
    QFETCH(QByteArray, content);
    QFETCH(bool, forced);
    const EnvGuard guard("SESSIONDESK_SYSTEM_CONFIG");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"system.conf"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(content);
    file.close();
    qputenv("SESSIONDESK_SYSTEM_CONFIG", path.toLocal8Bit());
    const SystemSettings settings = SystemSettings::load();
    QVERIFY(settings.files.contains(path));
    QCOMPARE(settings.forceReadOnly, forced);
    if (forced) {
        QCOMPARE(settings.readOnlySource, path);
        QVERIFY(settings.readOnlyReason().contains(path));
        QVERIFY(settings.readOnlyReason().contains(u"ForceReadOnly=true"_s));
    } else {
        QVERIFY(settings.readOnlyReason().isEmpty());
    }
}

void TestPolicy::evidenceStampsEveryPageAndHidesNothingSecret()
{
    Evidence e;
    e.info = redisInfo();
    e.policy = *evaluatePolicy(*Policy::load(u"redis-session-ha"_s), e.info);
    e.audit.path = u"/tmp/audit.log"_s;
    e.audit.records = 3;
    e.tool = u"sessiondesk-cli 9.9.9"_s;
    e.operatorName = u"auditor-anne"_s;
    e.generatedAt = QDateTime(QDate(2026, 5, 1), QTime(10, 0), Qt::UTC);
    QCOMPARE(e.pageHeader(),
             u"2026-05-01 10:00:00 UTC · Redis 127.0.0.1:6379/0 · "
             u"sessiondesk-cli 9.9.9"_s);
    const QString html = e.toHtml();
    // The running header is the head of the table around everything, repeated on every page.
    QVERIFY(
        html.contains(u"<table class=\"page\"><thead><tr><td>"_s + e.pageHeader().toHtmlEscaped()));
    QVERIFY(html.contains(u"thead { display: table-header-group; }"_s));
    QVERIFY(html.contains(e.policy->policySha256));
    QVERIFY(html.contains(u"FAIL"_s) && html.contains(u"PASS"_s) && html.contains(u"UNKNOWN"_s));
    const QJsonObject json = e.toJson();
    QCOMPARE(json[u"tool"_s].toString(), e.tool);
    QCOMPARE(json[u"store"_s][u"target"_s].toString(), u"127.0.0.1:6379/0"_s);
    QCOMPARE(json[u"policy"_s][u"sha256"_s].toString(), e.policy->policySha256);
    QCOMPARE(json[u"audit_log"_s][u"intact"_s].toBool(), true);
    QCOMPARE(json[u"facts"_s].toArray().size(), e.info.facts.size());
    QVERIFY(!e.toHtml(false).contains(u"class=\"page\""_s));
}

QTEST_GUILESS_MAIN(TestPolicy)
#include "tst_policy.moc"
