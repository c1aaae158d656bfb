// Unit tests for AuditLog (format 2): the header with its salt, sequence numbers and the hash
// chain, salted session ids, the head file, precise reports of edited, removed, inserted,
// reordered, duplicated and truncated records, safe appends after damage, logs of the older
// format, started/completed pairs as entries, refusing unwritable paths, and the mirror.

#include "auditlog.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

using namespace Qt::StringLiterals;
using SessionDesk::AuditContext;
using SessionDesk::AuditEntry;
using SessionDesk::AuditLog;
using SessionDesk::AuditVerification;
using SessionDesk::StorageError;

namespace {

QByteArray sha256Hex(const QByteArray &bytes)
{
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}

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

bool writeLines(const QString &path, const QList<QByteArray> &lines, bool finalNewline = true)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const bool newline = finalNewline || i + 1 < lines.size();
        const QByteArray bytes = lines.at(i) + (newline ? "\n" : "");
        if (file.write(bytes) != bytes.size())
            return false;
    }
    return true;
}

QJsonObject json(const QByteArray &line)
{
    return QJsonDocument::fromJson(line).object();
}

// Restores an environment variable when the test ends, whatever happens.
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

AuditContext context(const QString &operatorName = u"olga"_s)
{
    AuditContext c = AuditContext::current(operatorName);
    c.tool = u"tst_auditlog 1.0"_s;
    return c;
}

// A log of a header and three actions written the way AuditedStore writes them: a revoke
// (started, completed), a reveal (one record), a destroy-all (started, completed). 6 lines.
void writeSampleLog(const AuditLog &log)
{
    QVERIFY(log.append({{u"event"_s, u"started"_s},
                        {u"op"_s, u"op1"_s},
                        {u"action"_s, u"revoke"_s},
                        {u"target"_s, u"h:6379/0"_s},
                        {u"planned"_s, 2},
                        {u"reason"_s, u"INC-1"_s}},
                       {"sid-one", "sid-two"}));
    QVERIFY(log.append({{u"event"_s, u"completed"_s},
                        {u"op"_s, u"op1"_s},
                        {u"action"_s, u"revoke"_s},
                        {u"target"_s, u"h:6379/0"_s},
                        {u"result"_s, u"ok"_s},
                        {u"done"_s, 2}},
                       {"sid-one", "sid-two"}));
    QVERIFY(log.append({{u"event"_s, u"done"_s},
                        {u"op"_s, u"op2"_s},
                        {u"action"_s, u"reveal"_s},
                        {u"target"_s, u"h:6379/0"_s},
                        {u"result"_s, u"ok"_s},
                        {u"done"_s, 1}},
                       {"sid-three"}));
    QVERIFY(log.append({{u"event"_s, u"started"_s},
                        {u"op"_s, u"op3"_s},
                        {u"action"_s, u"destroy-all"_s},
                        {u"target"_s, u"h:6379/0"_s}}));
    QVERIFY(log.append({{u"event"_s, u"completed"_s},
                        {u"op"_s, u"op3"_s},
                        {u"action"_s, u"destroy-all"_s},
                        {u"target"_s, u"h:6379/0"_s},
                        {u"result"_s, u"cancelled"_s},
                        {u"done"_s, 40}}));
}

using Tamper = std::function<void(QList<QByteArray> &)>;

} // namespace

Q_DECLARE_METATYPE(Tamper)

class TestAuditLog final : public QObject
{
    Q_OBJECT

private slots:
    void appendStartsWithHeaderAndChains();
    void idsAreSaltedHashes();
    void operatorComesFromOptionEnvironmentOrAccount();
    void appendContinuesTheChainAcrossInstances();
    void concurrentAppendsKeepTheChain();
    void logAndHeadArePrivateToTheirOwner();
    void verifyOfMissingOrEmptyLog();
    void deletedLogIsNoticedThroughItsHead();
    void verifyDetectsTampering_data();
    void verifyDetectsTampering();
    void appendAfterTruncationStartsAFreshLine();
    void appendAfterTamperingDoesNotHealTheChain();
    void olderFormatIsVerifiedAndUpgraded();
    void entriesJoinStartedAndCompleted();
    void crashBetweenStartAndCompletionLeavesEvidence();
    void mirrorReceivesEveryLine();
    void checkWritableCreatesFolders();
    void checkWritableRefusesUnwritablePaths_data();
    void checkWritableRefusesUnwritablePaths();
    void verifyOfUnreadableLogFails();
    void defaultPathHonoursEnvironment();
};

void TestAuditLog::appendStartsWithHeaderAndChains()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"nested/folders/audit.log"_s);
    const AuditLog log(path, context());
    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-1);
    writeSampleLog(log);
    if (QTest::currentTestFailed())
        return;
    const QDateTime after = QDateTime::currentDateTimeUtc().addMSecs(1);

    const QList<QByteArray> lines = readLines(path);
    QCOMPARE(lines.size(), 6);
    const QJsonObject header = json(lines.first());
    QCOMPARE(header.value(u"event"_s).toString(), u"header"_s);
    QCOMPARE(header.value(u"format"_s).toString(), u"sessiondesk-audit/2"_s);
    QCOMPARE(QByteArray::fromHex(header.value(u"salt"_s).toString().toLatin1()).size(), 32);
    QByteArray expectedPrev(64, '0');
    for (int i = 0; i < lines.size(); ++i) {
        const QJsonObject record = json(lines.at(i));
        QVERIFY2(!record.isEmpty(), lines.at(i).constData());
        QCOMPARE(record.value(u"v"_s).toInt(), 2);
        QCOMPARE(record.value(u"seq"_s).toInt(), i + 1);
        QCOMPARE(record.value(u"prev"_s).toString().toLatin1(), expectedPrev);
        const QDateTime time =
            QDateTime::fromString(record.value(u"time"_s).toString(), Qt::ISODateWithMs);
        QVERIFY(time >= before && time <= after);
        QCOMPARE(record.value(u"host"_s).toString(), log.context().host);
        QCOMPARE(record.value(u"tool"_s).toString(), u"tst_auditlog 1.0"_s);
        QVERIFY(!record.value(u"os_user"_s).toString().isEmpty());
        if (i > 0)
            QCOMPARE(record.value(u"operator"_s).toString(), u"olga"_s);
        expectedPrev = sha256Hex(lines.at(i));
    }
    const QJsonObject second = json(lines.at(1));
    QCOMPARE(second.value(u"reason"_s).toString(), u"INC-1"_s);
    QCOMPARE(second.value(u"planned"_s).toInt(), 2);

    const AuditVerification v = log.verify();
    QVERIFY2(v.intact(), qPrintable(v.summary()));
    QCOMPARE(v.records, qint64(6));
    QVERIFY(v.notes.isEmpty());
    // The head names the count and the last record's hash.
    const QJsonObject head = json(readLines(log.headPath()).value(0));
    QCOMPARE(head.value(u"records"_s).toInt(), 6);
    QCOMPARE(head.value(u"last"_s).toString().toLatin1(), sha256Hex(lines.last()));
}

void TestAuditLog::idsAreSaltedHashes()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const AuditLog first(dir.filePath(u"a.log"_s), context());
    const AuditLog second(dir.filePath(u"b.log"_s), context());
    const QByteArray id = "k3yqZ0_Vh1pS-aXb2cD4eF5gH6iJ7kL8";
    QVERIFY(first.append({{u"event"_s, u"done"_s}, {u"action"_s, u"reveal"_s}}, {id}));
    QVERIFY(second.append({{u"event"_s, u"done"_s}, {u"action"_s, u"reveal"_s}}, {id}));

    for (const AuditLog *log : {&first, &second}) {
        QFile file(log->path());
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray content = file.readAll();
        QVERIFY(!content.contains(id));
        QVERIFY(!content.contains(sha256Hex(id))); // not an unsalted hash either
        QVERIFY(!content.contains(id.left(8)));
    }
    // HMAC-SHA256 with each log's own salt: the same id looks different in each log.
    const QList<QByteArray> a = readLines(first.path());
    const QList<QByteArray> b = readLines(second.path());
    const QByteArray saltA =
        QByteArray::fromHex(json(a.at(0)).value(u"salt"_s).toString().toLatin1());
    const QString hashA = json(a.at(1)).value(u"ids"_s).toArray().first().toString();
    const QString hashB = json(b.at(1)).value(u"ids"_s).toArray().first().toString();
    QCOMPARE(hashA.toLatin1(),
             QMessageAuthenticationCode::hash(id, saltA, QCryptographicHash::Sha256).toHex());
    QVERIFY(hashA != hashB);

    // An id can be checked against the log, not read from it.
    const auto entries = first.entries();
    QVERIFY(entries);
    QCOMPARE(entries->size(), 1);
    QVERIFY(entries->first().affects(id));
    QVERIFY(!entries->first().affects("another-session-id"));
}

void TestAuditLog::operatorComesFromOptionEnvironmentOrAccount()
{
    const EnvGuard guard("SESSIONDESK_OPERATOR");
    qunsetenv("SESSIONDESK_OPERATOR");
    const AuditContext account = AuditContext::current();
    QVERIFY(!account.osUser.isEmpty());
    QCOMPARE(account.operatorName, account.osUser);
    QVERIFY(!account.host.isEmpty());
    qputenv("SESSIONDESK_OPERATOR", "env-operator");
    QCOMPARE(AuditContext::current().operatorName, u"env-operator"_s);
    QCOMPARE(AuditContext::current(u"option-operator"_s).operatorName, u"option-operator"_s);
    // The OS user is the account's, whatever the operator says.
    QCOMPARE(AuditContext::current(u"option-operator"_s).osUser, account.osUser);
}

void TestAuditLog::appendContinuesTheChainAcrossInstances()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"audit.log"_s);
    QVERIFY(AuditLog(path, context()).append({{u"action"_s, u"reveal"_s}}));
    QVERIFY(AuditLog(path, context()).append({{u"action"_s, u"revoke"_s}}));
    const AuditLog third(path, context());
    QVERIFY(third.append({{u"action"_s, u"destroy-all"_s}}));
    const AuditVerification v = third.verify();
    QVERIFY2(v.intact(), qPrintable(v.summary()));
    QCOMPARE(v.records, qint64(4)); // one header only
    const QList<QByteArray> lines = readLines(path);
    QCOMPARE(json(lines.at(3)).value(u"prev"_s).toString().toLatin1(), sha256Hex(lines.at(2)));
    QCOMPARE(json(lines.at(3)).value(u"seq"_s).toInt(), 4);
}

void TestAuditLog::concurrentAppendsKeepTheChain()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"audit.log"_s);
    constexpr int threads = 4;
    constexpr int perThread = 20;
    std::atomic<int> failures = 0;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            const AuditLog log(path, context());
            for (int i = 0; i < perThread; ++i) {
                if (!log.append(
                        {{u"action"_s, u"revoke"_s}, {u"target"_s, u"t%1-%2"_s.arg(t).arg(i)}}))
                    ++failures;
            }
        });
    }
    for (std::thread &worker : workers)
        worker.join();
    QCOMPARE(failures.load(), 0);
    const AuditVerification v = AuditLog(path).verify();
    QVERIFY2(v.intact(), qPrintable(v.summary()));
    QCOMPARE(v.records, qint64(threads * perThread + 1));
}

void TestAuditLog::logAndHeadArePrivateToTheirOwner()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const AuditLog log(dir.filePath(u"audit.log"_s), context());
    QVERIFY(log.append({{u"action"_s, u"reveal"_s}}));
    for (const QString &path : {log.path(), log.headPath()}) {
        const QFileDevice::Permissions perms = QFile::permissions(path);
        QVERIFY(perms & QFileDevice::ReadOwner);
        QVERIFY(perms & QFileDevice::WriteOwner);
        QCOMPARE(perms
                     & (QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ReadOther
                        | QFileDevice::WriteOther),
                 QFileDevice::Permissions());
    }
}

void TestAuditLog::verifyOfMissingOrEmptyLog()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"audit.log"_s);
    const AuditLog log(path);
    QVERIFY(log.verify().intact());
    QCOMPARE(log.verify().records, qint64(0));
    QVERIFY(!QFile::exists(path)); // verify() creates nothing
    QVERIFY(writeLines(path, {}));
    QVERIFY(log.verify().intact());
    QCOMPARE(log.entries()->size(), 0);
}

void TestAuditLog::deletedLogIsNoticedThroughItsHead()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const AuditLog log(dir.filePath(u"audit.log"_s), context());
    writeSampleLog(log);
    QVERIFY(QFile::remove(log.path()));
    const AuditVerification v = log.verify();
    QVERIFY(!v.intact());
    QVERIFY2(v.issues.first().problem.contains(u"deleted"_s), qPrintable(v.summary()));
}

void TestAuditLog::verifyDetectsTampering_data()
{
    // On the sample log of 6 lines (1 header, 5 records). `line` is the line the first problem
    // names; `says` is what it must call it.
    QTest::addColumn<Tamper>("tamper");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("says");

    QTest::newRow("reason of a record edited")
        << Tamper([](QList<QByteArray> &l) { l[1].replace("INC-1", "INC-9"); }) << 2
        << u"line 2 was edited"_s;
    QTest::newRow("count of a result edited")
        << Tamper([](QList<QByteArray> &l) { l[2].replace("\"done\":2", "\"done\":1"); }) << 3
        << u"line 3 was edited"_s;
    QTest::newRow("salt of the header edited") << Tamper([](QList<QByteArray> &l) {
        QJsonObject header = json(l[0]);
        header.insert(u"salt"_s, QString(64, u'a'));
        l[0] = QJsonDocument(header).toJson(QJsonDocument::Compact);
    }) << 1 << u"line 1 was edited"_s;
    QTest::newRow("last record edited")
        << Tamper([](QList<QByteArray> &l) { l[5].replace("cancelled", "ok"); }) << 6
        << u"line 6, the last record, was edited"_s;
    QTest::newRow("middle record removed")
        << Tamper([](QList<QByteArray> &l) { l.removeAt(2); }) << 3
        << u"1 record between line 2 and line 3 is missing"_s;
    QTest::newRow("two records removed")
        << Tamper([](QList<QByteArray> &l) { l.remove(2, 2); }) << 3
        << u"2 records between line 2 and line 3 are missing"_s;
    QTest::newRow("header removed") << Tamper([](QList<QByteArray> &l) { l.removeAt(0); }) << 1
                                    << u"1 record at the start of the log is missing"_s;
    QTest::newRow("last record removed") << Tamper([](QList<QByteArray> &l) { l.removeLast(); })
                                         << 5 << u"1 record at the end is missing"_s;
    QTest::newRow("neighbours swapped")
        << Tamper([](QList<QByteArray> &l) { l.swapItemsAt(2, 3); }) << 3 << u"out of order"_s;
    QTest::newRow("record moved to the end")
        << Tamper([](QList<QByteArray> &l) { l.append(l.takeAt(1)); }) << 2 << u"out of order"_s;
    QTest::newRow("record duplicated") << Tamper([](QList<QByteArray> &l) { l.insert(3, l.at(2)); })
                                       << 4 << u"line 4 repeats record 3 of line 3"_s;
    QTest::newRow("forged record inserted") << Tamper([](QList<QByteArray> &l) {
        QJsonObject forged = json(l.at(2));
        forged.insert(u"action"_s, u"nothing-to-see"_s);
        forged.insert(u"prev"_s, QString::fromLatin1(sha256Hex(l.at(2))));
        forged.insert(u"seq"_s, 4);
        l.insert(3, QJsonDocument(forged).toJson(QJsonDocument::Compact));
    }) << 4 << u"line 4 was inserted"_s;
    QTest::newRow("garbage line inserted")
        << Tamper([](QList<QByteArray> &l) { l.insert(2, "not json at all"); }) << 3
        << u"line 3 is not a complete JSON record"_s;
    QTest::newRow("sequence number of the last record edited") << Tamper([](QList<QByteArray> &l) {
        QJsonObject last = json(l.at(5));
        last.insert(u"seq"_s, 9);
        l[5] = QJsonDocument(last).toJson(QJsonDocument::Compact);
    }) << 6 << u"line 6 was edited: it says it is record 9"_s;
    QTest::newRow("whole log replaced by its last line")
        << Tamper([](QList<QByteArray> &l) { l = {l.last()}; }) << 1
        << u"5 records at the start of the log are missing"_s;
}

void TestAuditLog::verifyDetectsTampering()
{
    QFETCH(Tamper, tamper);
    QFETCH(int, line);
    QFETCH(QString, says);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const AuditLog log(dir.filePath(u"audit.log"_s), context());
    writeSampleLog(log);
    QVERIFY(log.verify().intact());
    QList<QByteArray> lines = readLines(log.path());
    QCOMPARE(lines.size(), 6);
    tamper(lines);
    QVERIFY(writeLines(log.path(), lines));

    const AuditVerification v = log.verify();
    QVERIFY2(!v.intact(), "tampering was not detected");
    QVERIFY(!v.issues.isEmpty());
    QVERIFY2(v.summary().startsWith(u"BROKEN"_s), qPrintable(v.summary()));
    const SessionDesk::AuditIssue &first = v.issues.first();
    QVERIFY2(first.line == line && first.problem.contains(says),
             qPrintable(u"line %1: %2"_s.arg(first.line).arg(first.problem)));
}

void TestAuditLog::appendAfterTruncationStartsAFreshLine()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const AuditLog log(dir.filePath(u"audit.log"_s), context());
    writeSampleLog(log);
    // The last record cut in the middle, as a crash or a careless copy would leave it.
    QList<QByteArray> lines = readLines(log.path());
    lines.last().truncate(lines.last().size() / 2);
    QVERIFY(writeLines(log.path(), lines, false));
    AuditVerification v = log.verify();
    QVERIFY(!v.intact());
    QCOMPARE(v.issues.first().line, 6);
    QVERIFY2(v.issues.first().problem.contains(u"truncated"_s), qPrintable(v.summary()));

    QVERIFY(log.append({{u"event"_s, u"done"_s}, {u"action"_s, u"reveal"_s}}, {"after-crash"}));
    const QList<QByteArray> after = readLines(log.path());
    QCOMPARE(after.size(), 7);
    QCOMPARE(after.at(5), lines.last()); // the damage stays as it was, on its own line
    const QJsonObject appended = json(after.at(6));
    QVERIFY(!appended.isEmpty());
    QCOMPARE(appended.value(u"prev"_s).toString().toLatin1(), sha256Hex(after.at(5)));
    QCOMPARE(appended.value(u"seq"_s).toInt(), 7);
    // Only the damaged line is reported; the new record chains and counts.
    v = log.verify();
    QCOMPARE(v.issues.size(), 1);
    QCOMPARE(v.issues.first().line, 6);
    QVERIFY2(v.issues.first().problem.contains(u"not a complete JSON record"_s),
             qPrintable(v.issues.first().problem));
    const auto entries = log.entries();
    QVERIFY(entries);
    QVERIFY(entries->last().affects("after-crash"));
}

void TestAuditLog::appendAfterTamperingDoesNotHealTheChain()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const AuditLog log(dir.filePath(u"audit.log"_s), context());
    writeSampleLog(log);
    QList<QByteArray> lines = readLines(log.path());
    lines.removeAt(2);
    QVERIFY(writeLines(log.path(), lines));
    QVERIFY(log.append({{u"action"_s, u"revoke"_s}}));
    const AuditVerification v = log.verify();
    QVERIFY(!v.intact());
    QCOMPARE(v.issues.first().line, 3);
    QVERIFY(v.issues.first().problem.contains(u"missing"_s));
}

void TestAuditLog::olderFormatIsVerifiedAndUpgraded()
{
    // Format 1: {time, operator, action, target, details, prev}, one record after each action.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"audit.log"_s);
    QList<QByteArray> lines;
    QByteArray prev(64, '0');
    const QList<QJsonObject> records = {
        {{u"time"_s, u"2025-01-02T03:04:05.000Z"_s},
         {u"operator"_s, u"old@host"_s},
         {u"action"_s, u"revoke"_s},
         {u"target"_s, u"h:6379/0"_s},
         {u"details"_s, QJsonObject{{u"revoked"_s, QJsonArray{QJsonObject{}}}}}},
        {{u"time"_s, u"2025-01-02T03:05:05.000Z"_s},
         {u"operator"_s, u"old@host"_s},
         {u"action"_s, u"destroy-all"_s},
         {u"target"_s, u"h:6379/0"_s},
         {u"details"_s, QJsonObject{{u"destroyed"_s, 12}, {u"reason"_s, u"INC-0"_s}}}}};
    for (QJsonObject record : records) {
        record.insert(u"prev"_s, QString::fromLatin1(prev));
        lines << QJsonDocument(record).toJson(QJsonDocument::Compact);
        prev = sha256Hex(lines.last());
    }
    QVERIFY(writeLines(path, lines));
    const AuditLog log(path, context());
    AuditVerification v = log.verify();
    QVERIFY2(v.intact(), qPrintable(v.summary()));
    QCOMPARE(v.legacyRecords, qint64(2));
    QVERIFY(v.notes.join(u' ').contains(u"older format"_s));
    auto entries = log.entries();
    QCOMPARE(entries->size(), 2);
    QVERIFY(entries->at(1).legacy);
    QCOMPARE(entries->at(1).done, 12);
    QCOMPARE(entries->at(1).reason, u"INC-0"_s);

    // The next record comes after a header that says it follows the older format.
    QVERIFY(log.append({{u"action"_s, u"reveal"_s}, {u"event"_s, u"done"_s}}, {"x"}));
    const QList<QByteArray> after = readLines(path);
    QCOMPARE(after.size(), 4);
    QCOMPARE(json(after.at(2)).value(u"event"_s).toString(), u"header"_s);
    QVERIFY(json(after.at(2)).value(u"follows_older_format"_s).toBool());
    QCOMPARE(json(after.at(2)).value(u"seq"_s).toInt(), 3);
    v = log.verify();
    QVERIFY2(v.intact(), qPrintable(v.summary()));

    // Tampering with an old record is still caught by the chain.
    QList<QByteArray> edited = after;
    edited[0].replace("h:6379/0", "h:6379/1");
    QVERIFY(writeLines(path, edited));
    v = log.verify();
    QVERIFY(!v.intact());
    QCOMPARE(v.issues.first().line, 1);
}

void TestAuditLog::entriesJoinStartedAndCompleted()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const AuditLog log(dir.filePath(u"audit.log"_s), context(u"rita"_s));
    writeSampleLog(log);
    const auto entries = log.entries();
    QVERIFY(entries);
    QCOMPARE(entries->size(), 3);
    const AuditEntry &revoke = entries->at(0);
    QCOMPARE(revoke.action, u"revoke"_s);
    QCOMPARE(revoke.operatorName, u"rita"_s);
    QCOMPARE(revoke.result, u"ok"_s);
    QCOMPARE(revoke.planned, 2);
    QCOMPARE(revoke.done, 2);
    QCOMPARE(revoke.reason, u"INC-1"_s);
    QCOMPARE(revoke.line, 2);
    QCOMPARE(revoke.completedLine, 3);
    QVERIFY(revoke.completedAt.isValid());
    QVERIFY(revoke.affects("sid-one") && revoke.affects("sid-two"));
    QCOMPARE(entries->at(1).action, u"reveal"_s);
    QCOMPARE(entries->at(2).result, u"cancelled"_s);
    QCOMPARE(entries->at(2).done, 40);
}

void TestAuditLog::crashBetweenStartAndCompletionLeavesEvidence()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const AuditLog log(dir.filePath(u"audit.log"_s), context());
    QVERIFY(log.append({{u"event"_s, u"started"_s},
                        {u"op"_s, u"lost"_s},
                        {u"action"_s, u"destroy-all"_s},
                        {u"target"_s, u"h:6379/0"_s}}));
    // The process dies here: no completed record.
    QVERIFY(log.verify().intact());
    const auto entries = log.entries();
    QCOMPARE(entries->size(), 1);
    QCOMPARE(entries->first().result, u"no completion record"_s);
    QVERIFY(!entries->first().completedAt.isValid());
}

void TestAuditLog::mirrorReceivesEveryLine()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QList<QByteArray> mirrored;
    AuditContext c = context();
    c.mirror = [&mirrored](const QByteArray &line) { mirrored << line; };
    const AuditLog log(dir.filePath(u"audit.log"_s), c);
    writeSampleLog(log);
    QCOMPARE(mirrored, readLines(log.path()));
}

void TestAuditLog::checkWritableCreatesFolders()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"a/b/c/audit.log"_s);
    const auto writable = AuditLog(path).checkWritable();
    QVERIFY2(writable.has_value(), qPrintable(writable ? QString() : writable.error().message));
    QVERIFY(QFileInfo(dir.filePath(u"a/b/c"_s)).isDir());
    QCOMPARE(AuditLog(path).verify().records, qint64(0)); // checking adds no record
}

void TestAuditLog::checkWritableRefusesUnwritablePaths_data()
{
    // Relative to a fresh temporary folder that holds a regular file "file" and a folder "dir".
    // Permissions do not stop root, so these use paths no one can write.
    QTest::addColumn<QString>("relative");
    QTest::newRow("parent is a regular file") << u"file/audit.log"_s;
    QTest::newRow("grandparent is a regular file") << u"file/sub/audit.log"_s;
    QTest::newRow("log is a folder") << u"dir"_s;
}

void TestAuditLog::checkWritableRefusesUnwritablePaths()
{
    QFETCH(QString, relative);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeLines(dir.filePath(u"file"_s), {"not a folder"}));
    QVERIFY(QDir(dir.path()).mkdir(u"dir"_s));
    const QString path = dir.filePath(relative);

    const AuditLog log(path);
    const auto writable = log.checkWritable();
    QVERIFY(!writable.has_value());
    QCOMPARE(writable.error().code, StorageError::Code::Refused);
    QVERIFY2(writable.error().message.contains(path), qPrintable(writable.error().message));

    // append() refuses the same way and leaves the file that is in the way alone.
    const auto appended = log.append({{u"action"_s, u"destroy-all"_s}});
    QVERIFY(!appended.has_value());
    QCOMPARE(appended.error().code, StorageError::Code::Refused);
    QCOMPARE(readLines(dir.filePath(u"file"_s)), QList<QByteArray>{"not a folder"});
}

void TestAuditLog::verifyOfUnreadableLogFails()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // A folder where the log should be: exists, but cannot be read as a log.
    const AuditVerification v = AuditLog(dir.path()).verify();
    QVERIFY(!v.readable);
    QVERIFY(!v.intact());
    QVERIFY(v.summary().contains(dir.path()));
}

void TestAuditLog::defaultPathHonoursEnvironment()
{
    const EnvGuard guard("SESSIONDESK_AUDIT_LOG");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString custom = dir.filePath(u"custom.log"_s);
    qputenv("SESSIONDESK_AUDIT_LOG", custom.toLocal8Bit());
    QCOMPARE(AuditLog::defaultPath(), custom);

    qunsetenv("SESSIONDESK_AUDIT_LOG");
    const QString fallback = AuditLog::defaultPath();
    QVERIFY2(fallback.endsWith(u"/SessionDesk/audit.log"_s), qPrintable(fallback));
    QVERIFY(QFileInfo(fallback).isAbsolute());
}

QTEST_GUILESS_MAIN(TestAuditLog)
#include "tst_auditlog.moc"
