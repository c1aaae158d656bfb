// Unit tests for AuditLog: the hash-chained JSON-lines format, detection of edited, removed,
// reordered or forged records, refusing to run when the log cannot be written, and redactedId().

#include "auditlog.h"
#include "valuetree.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

using namespace Qt::StringLiterals;
using SessionDesk::AuditLog;
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

bool writeLines(const QString &path, const QList<QByteArray> &lines)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    for (const QByteArray &line : lines) {
        if (file.write(line + '\n') != line.size() + 1)
            return false;
    }
    return true;
}

// The number after "record" in a verify() error, or -1.
int namedRecord(const QString &message)
{
    static const QRegularExpression re(u"record (\\d+)"_s);
    const QRegularExpressionMatch match = re.match(message);
    return match.hasMatch() ? match.captured(1).toInt() : -1;
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

using Tamper = std::function<void(QList<QByteArray> &)>;

} // namespace

Q_DECLARE_METATYPE(Tamper)

class TestAuditLog final : public QObject
{
    Q_OBJECT

private slots:
    void appendWritesChainedJsonLines();
    void appendContinuesTheChainAcrossInstances();
    void concurrentAppendsKeepTheChain();
    void logIsPrivateToItsOwner();
    void verifyOfMissingOrEmptyLogIsZero();
    void verifyDetectsTampering_data();
    void verifyDetectsTampering();
    void appendAfterTamperingDoesNotHealTheChain();
    void checkWritableCreatesFolders();
    void checkWritableRefusesUnwritablePaths_data();
    void checkWritableRefusesUnwritablePaths();
    void verifyOfUnreadableLogFails();
    void redactedIdHidesTheId_data();
    void redactedIdHidesTheId();
    void redactedIdDiffersPerId();
    void defaultPathHonoursEnvironment();

private:
    static QJsonObject detailsFor(int i)
    {
        return {{u"count"_s, i}, {u"dryRun"_s, i % 2 == 0}, {u"note"_s, u"n%1"_s.arg(i)}};
    }
};

void TestAuditLog::appendWritesChainedJsonLines()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"nested/folders/audit.log"_s);
    const AuditLog log(path);
    QCOMPARE(log.path(), path);

    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-1);
    for (int i = 1; i <= 3; ++i) {
        const auto appended =
            log.append(u"destroy"_s + QString::number(i), u"target-%1"_s.arg(i), detailsFor(i));
        QVERIFY2(appended.has_value(), qPrintable(appended ? QString() : appended.error().message));
    }
    const QDateTime after = QDateTime::currentDateTimeUtc().addMSecs(1);

    const auto verified = log.verify();
    QVERIFY2(verified.has_value(), qPrintable(verified ? QString() : verified.error().message));
    QCOMPARE(*verified, qint64(3));

    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray content = file.readAll();
    QVERIFY(content.endsWith('\n'));
    const QList<QByteArray> lines = readLines(path);
    QCOMPARE(lines.size(), 3);

    QByteArray expectedPrev(64, '0');
    for (int i = 1; i <= 3; ++i) {
        const QByteArray &line = lines.at(i - 1);
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
        QVERIFY2(error.error == QJsonParseError::NoError, line.constData());
        QVERIFY(doc.isObject());
        const QJsonObject record = doc.object();
        QCOMPARE(record.value(u"action"_s).toString(), u"destroy"_s + QString::number(i));
        QCOMPARE(record.value(u"target"_s).toString(), u"target-%1"_s.arg(i));
        QCOMPARE(record.value(u"details"_s).toObject(), detailsFor(i));
        QCOMPARE(record.value(u"prev"_s).toString().toLatin1(), expectedPrev);
        const QString op = record.value(u"operator"_s).toString();
        QVERIFY(!op.isEmpty());
        QVERIFY(op.contains(u'@'));
        const QDateTime time =
            QDateTime::fromString(record.value(u"time"_s).toString(), Qt::ISODateWithMs);
        QVERIFY2(time.isValid(), qPrintable(record.value(u"time"_s).toString()));
        QVERIFY(time >= before);
        QVERIFY(time <= after);
        expectedPrev = sha256Hex(line);
    }
}

void TestAuditLog::appendContinuesTheChainAcrossInstances()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"audit.log"_s);
    QVERIFY(AuditLog(path).append(u"reveal"_s, u"h:6379/0"_s, {}).has_value());
    QVERIFY(AuditLog(path).append(u"revoke"_s, u"h:6379/0"_s, {}).has_value());
    const AuditLog third(path);
    QVERIFY(third.append(u"destroy-all"_s, u"h:6379/0"_s, {}).has_value());
    QCOMPARE(third.verify().value_or(-1), qint64(3));

    const QList<QByteArray> lines = readLines(path);
    QCOMPARE(lines.size(), 3);
    const QJsonObject last = QJsonDocument::fromJson(lines.at(2)).object();
    QCOMPARE(last.value(u"prev"_s).toString().toLatin1(), sha256Hex(lines.at(1)));
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
            const AuditLog log(path);
            for (int i = 0; i < perThread; ++i) {
                if (!log.append(u"revoke"_s, u"t%1-%2"_s.arg(t).arg(i), {}))
                    ++failures;
            }
        });
    }
    for (std::thread &worker : workers)
        worker.join();
    QCOMPARE(failures.load(), 0);
    const auto verified = AuditLog(path).verify();
    QVERIFY2(verified.has_value(), qPrintable(verified ? QString() : verified.error().message));
    QCOMPARE(*verified, qint64(threads * perThread));
}

void TestAuditLog::logIsPrivateToItsOwner()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"audit.log"_s);
    QVERIFY(AuditLog(path).append(u"reveal"_s, u"t"_s, {}).has_value());
    const QFileDevice::Permissions perms = QFile::permissions(path);
    QVERIFY(perms & QFileDevice::ReadOwner);
    QVERIFY(perms & QFileDevice::WriteOwner);
    QCOMPARE(perms
                 & (QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ReadOther
                    | QFileDevice::WriteOther),
             QFileDevice::Permissions());
}

void TestAuditLog::verifyOfMissingOrEmptyLogIsZero()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"audit.log"_s);
    const AuditLog log(path);
    QCOMPARE(log.verify().value_or(-1), qint64(0));
    QVERIFY(!QFile::exists(path)); // verify() creates nothing

    QVERIFY(writeLines(path, {}));
    QCOMPARE(log.verify().value_or(-1), qint64(0));
}

void TestAuditLog::verifyDetectsTampering_data()
{
    QTest::addColumn<Tamper>("tamper");
    // verify() names the first record that does not follow the record before it. An edit to
    // record N shows there or at N + 1 (an edit cannot be told from a forged "prev" after it).
    QTest::addColumn<int>("firstBad");
    QTest::addColumn<int>("lastBad");

    QTest::newRow("one byte of the middle record") << Tamper([](QList<QByteArray> &lines) {
        const qsizetype at = lines[1].indexOf("target-2");
        Q_ASSERT(at >= 0);
        lines[1][at + 7] = '9';
    }) << 2 << 3;
    QTest::newRow("details of the first record")
        << Tamper([](QList<QByteArray> &lines) { lines[0].replace("\"count\":1", "\"count\":7"); })
        << 1 << 2;
    QTest::newRow("middle record removed")
        << Tamper([](QList<QByteArray> &lines) { lines.removeAt(1); }) << 2 << 2;
    QTest::newRow("first record removed")
        << Tamper([](QList<QByteArray> &lines) { lines.removeAt(0); }) << 1 << 1;
    QTest::newRow("records swapped")
        << Tamper([](QList<QByteArray> &lines) { lines.swapItemsAt(1, 2); }) << 2 << 2;
    QTest::newRow("record duplicated")
        << Tamper([](QList<QByteArray> &lines) { lines.insert(1, lines.at(0)); }) << 2 << 2;
    QTest::newRow("forged record inserted") << Tamper([](QList<QByteArray> &lines) {
        QJsonObject forged = QJsonDocument::fromJson(lines.at(1)).object();
        forged.insert(u"action"_s, u"nothing-to-see"_s);
        lines.insert(2, QJsonDocument(forged).toJson(QJsonDocument::Compact));
    }) << 3 << 3;
    QTest::newRow("prev of the last record changed") << Tamper([](QList<QByteArray> &lines) {
        QJsonObject record = QJsonDocument::fromJson(lines.at(2)).object();
        record.insert(u"prev"_s, QString(64, u'f'));
        lines[2] = QJsonDocument(record).toJson(QJsonDocument::Compact);
    }) << 3 << 3;
    QTest::newRow("garbage line") << Tamper([](QList<QByteArray> &lines) {
        lines.insert(1, "not json at all");
    }) << 2 << 2;
    QTest::newRow("whole log replaced by one line")
        << Tamper([](QList<QByteArray> &lines) { lines = {lines.at(2)}; }) << 1 << 1;
}

void TestAuditLog::verifyDetectsTampering()
{
    QFETCH(Tamper, tamper);
    QFETCH(int, firstBad);
    QFETCH(int, lastBad);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"audit.log"_s);
    const AuditLog log(path);
    for (int i = 1; i <= 3; ++i)
        QVERIFY(log.append(u"destroy"_s, u"target-%1"_s.arg(i), detailsFor(i)).has_value());
    QCOMPARE(log.verify().value_or(-1), qint64(3));

    QList<QByteArray> lines = readLines(path);
    QCOMPARE(lines.size(), 3);
    tamper(lines);
    QVERIFY(writeLines(path, lines));

    const auto verified = log.verify();
    QVERIFY2(!verified.has_value(), "tampering was not detected");
    const QString message = verified.error().message;
    QVERIFY2(message.contains(path), qPrintable(message));
    const int named = namedRecord(message);
    QVERIFY2(named >= firstBad && named <= lastBad, qPrintable(message));
}

void TestAuditLog::appendAfterTamperingDoesNotHealTheChain()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"audit.log"_s);
    const AuditLog log(path);
    for (int i = 1; i <= 3; ++i)
        QVERIFY(log.append(u"destroy"_s, u"target-%1"_s.arg(i), {}).has_value());
    QList<QByteArray> lines = readLines(path);
    lines.removeAt(1);
    QVERIFY(writeLines(path, lines));

    QVERIFY(log.append(u"revoke"_s, u"target-4"_s, {}).has_value());
    const auto verified = log.verify();
    QVERIFY(!verified.has_value());
    QCOMPARE(namedRecord(verified.error().message), 2);
}

void TestAuditLog::checkWritableCreatesFolders()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"a/b/c/audit.log"_s);
    const auto writable = AuditLog(path).checkWritable();
    QVERIFY2(writable.has_value(), qPrintable(writable ? QString() : writable.error().message));
    QVERIFY(QFileInfo(dir.filePath(u"a/b/c"_s)).isDir());
    // Checking adds no record.
    QCOMPARE(AuditLog(path).verify().value_or(-1), qint64(0));
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
    const auto appended = log.append(u"destroy"_s, u"t"_s, {});
    QVERIFY(!appended.has_value());
    QCOMPARE(appended.error().code, StorageError::Code::Refused);
    QCOMPARE(readLines(dir.filePath(u"file"_s)), QList<QByteArray>{"not a folder"});
}

void TestAuditLog::verifyOfUnreadableLogFails()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // A folder where the log should be: exists, but cannot be read as a log.
    const auto verified = AuditLog(dir.path()).verify();
    QVERIFY(!verified.has_value());
    QVERIFY(verified.error().message.contains(dir.path()));
}

void TestAuditLog::redactedIdHidesTheId_data()
{
    QTest::addColumn<QByteArray>("id");
    QTest::newRow("express sid") << QByteArray("k3yqZ0_Vh1pS-aXb2cD4eF5gH6iJ7kL8");
    QTest::newRow("uuid") << QByteArray("3f2b8c1e-9d4a-4e6b-8f7a-1c2d3e4f5a6b");
    QTest::newRow("binary") << QByteArray("\x01\x02\xff\xfe"
                                          "abcdefghijklmnop\x00zz",
                                          23);
    QTest::newRow("utf-8 cut in the middle")
        << QByteArray("a\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9-0123456789abc");
}

void TestAuditLog::redactedIdHidesTheId()
{
    QFETCH(QByteArray, id);
    const QJsonObject redacted = AuditLog::redactedId(id);
    QCOMPARE(redacted.value(u"sha256"_s).toString().toLatin1(), sha256Hex(id));
    const QString prefix = redacted.value(u"prefix"_s).toString();
    QVERIFY(!prefix.isEmpty());

    const QByteArray json = QJsonDocument(redacted).toJson(QJsonDocument::Compact);
    QVERIFY2(!json.contains(id), json.constData());
    QVERIFY2(!json.contains(id.toHex()), json.constData());
    // The readable part is a short leading part of the id, shown like any id (escaped when
    // it is not text) and marked as cut.
    QVERIFY2(prefix.endsWith(u'…'), qPrintable(prefix));
    const QByteArray shown = SessionDesk::unescapeBytes(prefix.chopped(1));
    QVERIFY(!shown.isEmpty());
    QVERIFY2(id.startsWith(shown), qPrintable(prefix));
    QVERIFY2(shown.size() <= id.size() / 4, qPrintable(prefix)); // "at most a quarter"

    // A redacted id in a record keeps the id out of the log.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const AuditLog log(dir.filePath(u"audit.log"_s));
    QVERIFY(log.append(u"revoke"_s, u"h:6379/0"_s, {{u"session"_s, redacted}}).has_value());
    QFile file(log.path());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray content = file.readAll();
    QVERIFY(!content.contains(id));
    QVERIFY(content.contains(sha256Hex(id)));
}

void TestAuditLog::redactedIdDiffersPerId()
{
    // Ids sharing their first bytes are still told apart by the hash.
    const QJsonObject a = AuditLog::redactedId("abcdefgh-0001");
    const QJsonObject b = AuditLog::redactedId("abcdefgh-0002");
    QCOMPARE(a.value(u"prefix"_s), b.value(u"prefix"_s));
    QVERIFY(a.value(u"sha256"_s) != b.value(u"sha256"_s));
    QCOMPARE(a.value(u"sha256"_s).toString().size(), 64);
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
