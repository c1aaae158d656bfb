// GUI benchmark (issue 3): a store of N sessions (default 1,000,000), the real main window on
// the offscreen platform. Prints: time to the first visible rows, time until the users view is
// complete with its total, the longest GUI-thread stall while loading and while destroying
// everything, and the process RSS. For comparison it runs the obvious alternative in the same
// run: listing users synchronously on the GUI thread, which stalls for the whole scan.
// Not a pass/fail test:  bench_gui [--sessions N]

#include "mainwindow.h"
#include "redisserver.h"
#include "sessionsmodel.h"
#include "storefactory.h"
#include "usersmodel.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>

#include <unistd.h>

using namespace SessionDesk;

namespace {

// Measures the longest gap between ticks of a 5 ms timer on the GUI thread.
class StallProbe
{
public:
    StallProbe()
    {
        m_timer.setInterval(5);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            m_worst = std::max(m_worst, now - m_last);
            m_last = now;
        });
    }
    void start()
    {
        m_worst = 0;
        m_clock.start();
        m_last = 0;
        m_timer.start();
    }
    double worstMs() const { return m_worst / 1e6; }
    void stop() { m_timer.stop(); }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    qint64 m_worst = 0;
};

bool spinUntil(const std::function<bool()> &done, int ms)
{
    QElapsedTimer clock;
    clock.start();
    while (!done()) {
        if (clock.elapsed() > ms)
            return false;
        QEventLoop loop;
        QTimer::singleShot(1, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

// CPU milliseconds (user + system) a process has used so far, from /proc/PID/stat; -1 when
// unreadable.
qint64 cpuMs(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (pid <= 0 || !stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray text = stat.readAll();
    // Fields after the command name, which is in parentheses and may hold spaces.
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return -1;
    const qint64 ticks = fields.at(11).toLongLong() + fields.at(12).toLongLong(); // utime, stime
    return ticks * 1000 / sysconf(_SC_CLK_TCK);
}

long rssKb(const char *field)
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith(field))
            return line.mid(qsizetype(strlen(field))).trimmed().split(' ').first().toLong();
    }
    return -1;
}

bool fill(const Test::RedisServer &server, int sessions, int users)
{
    QProcess cli;
    cli.start(QStringLiteral("redis-cli"),
              {QStringLiteral("-p"), QString::number(server.port()), QStringLiteral("--pipe")});
    if (!cli.waitForStarted())
        return false;
    QByteArray chunk;
    for (int i = 0; i < sessions; ++i) {
        const QByteArray user = "user" + QByteArray::number(i % users) + "@example.org";
        const QByteArray sid = QByteArray::number(i).toHex().leftJustified(32, 'x');
        const QByteArray value =
            "{\"cookie\":{\"originalMaxAge\":7200000,\"expires\":\"2030-01-01T00:00:00.000Z\","
            "\"httpOnly\":true,\"path\":\"/\"},\"user_id\":\""
            + user + "\",\"loginAt\":\"2026-11-25T08:00:00.000Z\",\"user\":{\"email\":\"" + user
            + "\",\"tokens\":{\"accessToken\":\"eyJhbGciOiJIUzI1NiJ9.x.y\"}}}";
        const auto bulk = [](const QByteArray &s) -> QByteArray {
            return "$" + QByteArray::number(s.size()) + "\r\n" + s + "\r\n";
        };
        chunk +=
            "*5\r\n" + bulk("SET") + bulk("sess:" + sid) + bulk(value) + bulk("EX") + bulk("7200");
        if (chunk.size() > (1 << 20)) {
            cli.write(chunk);
            cli.waitForBytesWritten(-1);
            chunk.clear();
        }
    }
    cli.write(chunk);
    cli.closeWriteChannel();
    return cli.waitForFinished(600000) && cli.exitCode() == 0;
}

} // namespace

int main(int argc, char *argv[])
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    int sessions = 1000000;
    const QStringList args = app.arguments();
    if (const qsizetype at = args.indexOf(QStringLiteral("--sessions"));
        at > 0 && at + 1 < args.size())
        sessions = args.at(at + 1).toInt();
    const int users = std::max(1, sessions / 10);

    Test::RedisServer server;
    if (!server.start()) {
        std::fprintf(stderr, "%s\n", qPrintable(server.errorString()));
        return 1;
    }
    QElapsedTimer clock;
    clock.start();
    if (!fill(server, sessions, users)) {
        std::fprintf(stderr, "filling the store failed\n");
        return 1;
    }
    std::printf("store: %d sessions of %d users filled in %.1f s\n", sessions, users,
                clock.elapsed() / 1000.0);
    const long fillPeak = rssKb("VmHWM:");
    // Filling buffered data in this process; restart the peak count for the window alone.
    if (QFile clear(QStringLiteral("/proc/self/clear_refs")); clear.open(QIODevice::WriteOnly))
        clear.write("5");
    const long rssBefore = rssKb("VmRSS:");

    QTemporaryDir temp;
    MainWindow::Options options;
    options.settingsPath = temp.filePath(QStringLiteral("settings.ini"));
    options.auditLogPath = temp.filePath(QStringLiteral("audit.log"));
    MainWindow window(options);
    window.resize(1440, 820);
    window.show();
    ConnectionProfile profile;
    profile.name = QStringLiteral("bench");
    profile.url = server.url();

    StallProbe probe;
    probe.start();
    const qint64 serverCpuBefore = cpuMs(server.pid());
    clock.restart();
    window.openStore(profile);
    spinUntil([&] { return window.sessionsModel()->rowCount() > 0; }, 60000);
    const qint64 firstRowsMs = clock.elapsed();
    spinUntil(
        [&] {
            return !window.usersModel()->isLoading()
                && window.usersModel()->users().sessionsExamined > 0;
        },
        600000);
    const qint64 usersMs = clock.elapsed();
    // What the server itself spent meanwhile: the floor under the time to the complete view.
    const qint64 serverCpuUsers = cpuMs(server.pid()) - serverCpuBefore;
    const double loadStall = probe.worstMs();
    const qint64 usersShown = window.usersModel()->rowCount();
    // Scroll through a few pages, as a person would.
    for (int page = 0; page < 5 && window.sessionsModel()->canFetchMore({}); ++page) {
        const int before = window.sessionsModel()->rowCount();
        window.sessionsModel()->fetchMore({});
        spinUntil([&] { return window.sessionsModel()->rowCount() > before; }, 30000);
    }
    const long rssLoaded = rssKb("VmRSS:");
    const long peakLoaded = rssKb("VmHWM:");

    // The obvious alternative: the same listing, synchronously on the GUI thread.
    probe.start();
    clock.restart();
    {
        auto store = createStore(*StoreConfig::fromUrl(server.url()),
                                 *SessionLayout::preset(QStringLiteral("connect-redis")));
        store->connect();
        QTimer::singleShot(0, [&] { store->listUsers({}, {}); });
        spinUntil([] { return false; }, 10); // lets the blocking call run inside the loop
        spinUntil([&] { return clock.elapsed() > 50; }, 600000);
    }
    const qint64 syncMs = clock.elapsed();
    const double syncStall = probe.worstMs();

    // Destroy everything through the client, as the dialog does.
    window.client()->allowWrites(true);
    probe.start();
    clock.restart();
    bool destroyed = false;
    DestroyReport report;
    QObject::connect(window.client(), &StoreClient::destroyed,
                     [&](StoreClient::RequestId, const DestroyReport &r) {
                         report = r;
                         destroyed = true;
                     });
    window.client()->destroyAll(false, QStringLiteral("benchmark"));
    spinUntil([&] { return destroyed; }, 600000);
    const qint64 destroyMs = clock.elapsed();
    const double destroyStall = probe.worstMs();
    probe.stop();

    std::printf("\n%-58s %12s\n", "measure", "value");
    std::printf("%-58s %10lld ms\n", "first session rows visible after connecting", firstRowsMs);
    std::printf("%-58s %10lld ms\n", "users view complete with total", usersMs);
    std::printf("%-58s %10lld\n", "users listed", usersShown);
    std::printf("%-58s %10lld ms\n", "redis-server CPU until the users view was complete",
                serverCpuUsers);
    std::printf("%-58s %10.1f ms\n", "longest GUI-thread stall while loading", loadStall);
    std::printf("%-58s %10lld ms\n", "destroy-all of every session", destroyMs);
    std::printf("%-58s %10lld\n", "sessions destroyed", report.destroyed);
    std::printf("%-58s %10.1f ms\n", "longest GUI-thread stall during destroy-all", destroyStall);
    std::printf("%-58s %10ld MB\n", "peak RSS while filling (not the app; reset after)",
                fillPeak / 1024);
    std::printf("%-58s %10ld MB\n", "process RSS before the window", rssBefore / 1024);
    std::printf("%-58s %10ld MB\n", "process RSS with users and 6 pages loaded", rssLoaded / 1024);
    std::printf("%-58s %10ld MB\n", "process peak RSS while loading (VmHWM)", peakLoaded / 1024);
    std::printf("%-58s %10ld MB\n", "process peak RSS after destroy-all and the alternative",
                rssKb("VmHWM:") / 1024);
    std::printf("%-58s %10lld ms\n", "alternative: users listed on the GUI thread", syncMs);
    std::printf("%-58s %10.1f ms\n", "alternative: longest GUI-thread stall", syncStall);
    return 0;
}
