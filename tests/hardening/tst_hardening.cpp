// Release-build hardening, checked on the real programs: both start with core dumps off
// (RLIMIT_CORE 0, read from /proc/PID/limits of the running process, no display needed) so that
// session payloads never land in a dump, and the start-up call also marks the process
// non-dumpable. The ELF side (PIE, RELRO, BIND_NOW, FORTIFY) is check_elf.sh's.

#include "hardening.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <sys/prctl.h>
#include <sys/resource.h>

namespace {

#ifdef SESSIONDESK_NO_CORE_DUMPS
constexpr bool kReleaseBuild = true;
#else
constexpr bool kReleaseBuild = false; // Debug: developers keep their core files
#endif

// "Max core file size        0                    0                    bytes"
QStringList coreLimit(qint64 pid)
{
    QFile limits(QStringLiteral("/proc/%1/limits").arg(pid));
    if (!limits.open(QIODevice::ReadOnly))
        return {};
    // /proc files claim size 0, so read to the end instead of asking atEnd().
    const QStringList lines = QString::fromLatin1(limits.readAll()).split(u'\n');
    for (const QString &line : lines) {
        if (line.startsWith(QStringLiteral("Max core file size")))
            return line.mid(26).simplified().split(u' ').mid(0, 2);
    }
    return {};
}

} // namespace

class TestHardening final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void runningProgramHasNoCoreDumps_data();
    void runningProgramHasNoCoreDumps();
    void startUpCallDisablesDumps(); // last: it makes this process non-dumpable too

private:
    QTemporaryDir m_dir;
};

void TestHardening::initTestCase()
{
    // Let children inherit a core limit, so that 0 can only come from the program itself.
    rlimit limit{};
    QCOMPARE(getrlimit(RLIMIT_CORE, &limit), 0);
    QVERIFY2(limit.rlim_max != 0, "the hard core limit is already 0: nothing to check against");
    limit.rlim_cur = limit.rlim_max;
    QCOMPARE(setrlimit(RLIMIT_CORE, &limit), 0);
    const QStringList own = coreLimit(QCoreApplication::applicationPid());
    QCOMPARE(own.size(), 2);
    QVERIFY(own.at(0) != u"0");
}

void TestHardening::runningProgramHasNoCoreDumps_data()
{
    QTest::addColumn<QString>("program");
    QTest::addColumn<QStringList>("arguments");
    QTest::newRow("sessiondesk-cli")
        << qEnvironmentVariable("SESSIONDESK_CLI") << QStringList{QStringLiteral("info")};
    QTest::newRow("sessiondesk") << QStringLiteral(SESSIONDESK_GUI_BINARY)
                                 << QStringList{QStringLiteral("--settings"),
                                                m_dir.filePath(QStringLiteral("gui.ini"))};
}

void TestHardening::runningProgramHasNoCoreDumps()
{
    QFETCH(QString, program);
    QFETCH(QStringList, arguments);
    // A "store" that accepts and never answers: when the program connects, main() has long run
    // its start-up, and the process waits for us to look at it.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    QSignalSpy connected(&silent, &QTcpServer::newConnection);
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("SESSIONDESK_AUDIT_LOG"),
               m_dir.filePath(QStringLiteral("audit.log")));
    env.remove(QStringLiteral("SESSIONDESK_PASSWORD"));
    process.setProcessEnvironment(env);
    process.start(program,
                  QStringList{QStringLiteral("--store"),
                              QStringLiteral("redis://127.0.0.1:%1").arg(silent.serverPort()),
                              QStringLiteral("--timeout"), QStringLiteral("60")}
                      + arguments);
    QVERIFY2(process.waitForStarted(20000), qPrintable(process.errorString()));
    QVERIFY2(connected.wait(30000), process.readAllStandardError().constData());
    const QStringList limit = coreLimit(process.processId());
    QCOMPARE(limit.size(), 2);
    if (kReleaseBuild) {
        QCOMPARE(limit.at(0), QStringLiteral("0")); // soft
        QCOMPARE(limit.at(1), QStringLiteral("0")); // hard: cannot be raised again
    } else {
        QVERIFY(limit.at(0) != u"0");
    }
    process.kill();
    QVERIFY(process.waitForFinished(10000));
}

void TestHardening::startUpCallDisablesDumps()
{
    SessionDesk::Hardening::disableCoreDumps();
    rlimit limit{};
    QCOMPARE(getrlimit(RLIMIT_CORE, &limit), 0);
    if (kReleaseBuild) {
        QCOMPARE(limit.rlim_cur, rlim_t(0));
        QCOMPARE(limit.rlim_max, rlim_t(0));
        QCOMPARE(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
    } else {
        QVERIFY(limit.rlim_cur != 0);
        QCOMPARE(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
    }
}

QTEST_GUILESS_MAIN(TestHardening)
#include "tst_hardening.moc"
