// Renders the main screens of SessionDesk to PNG files for docs/ and the README. Run by
// scripts/screenshots.sh under Xvfb against a demo store; not a test.
//   sessiondesk-screenshots --store URL [--user-index PATTERN] --out DIR

#include "destroyalldialog.h"
#include "dialogs.h"
#include "mainwindow.h"
#include "payloadmodel.h"
#include "sessionsmodel.h"
#include "settingsmodel.h"
#include "usersmodel.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QEventLoop>
#include <QLabel>
#include <QLineEdit>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>

using namespace SessionDesk;

namespace {

// Spins the event loop until `done` holds or `ms` pass; false on time-out.
bool waitFor(const std::function<bool()> &done, int ms = 15000)
{
    QElapsedTimer clock;
    clock.start();
    while (!done()) {
        if (clock.elapsed() > ms)
            return false;
        QEventLoop loop;
        QTimer::singleShot(20, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

bool save(QWidget *widget, const QString &path)
{
    const bool ok = widget->grab().save(path);
    std::printf("%s %s\n", ok ? "wrote" : "FAILED", qPrintable(path));
    return ok;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption store(QStringLiteral("store"), QString(), QStringLiteral("URL"));
    const QCommandLineOption index(QStringLiteral("user-index"), QString(), QStringLiteral("P"));
    const QCommandLineOption out(QStringLiteral("out"), QString(), QStringLiteral("DIR"));
    parser.addOptions({store, index, out});
    parser.process(app);
    QDir().mkpath(parser.value(out));
    const QDir dir(parser.value(out));

    QTemporaryDir temp;
    MainWindow::Options options;
    options.settingsPath = temp.filePath(QStringLiteral("settings.ini"));
    options.auditLogPath = temp.filePath(QStringLiteral("audit.log"));
    MainWindow window(options);
    window.resize(1440, 820);
    window.show();
    ConnectionProfile profile;
    profile.name = QStringLiteral("demo");
    profile.url = parser.value(store);
    profile.userIndex = parser.value(index);
    window.openStore(profile);
    if (!waitFor([&] {
            return window.usersModel() && window.usersModel()->rowCount() > 0
                && !window.usersModel()->isLoading() && window.sessionsModel()->rowCount() > 0;
        })) {
        std::fprintf(stderr, "the demo store did not load\n");
        return 1;
    }
    auto *users = window.findChild<QTableView *>(QStringLiteral("usersView"));
    users->selectRow(0);
    waitFor([&] { return !window.sessionsModel()->isLoading(); });
    auto *sessions = window.findChild<QTableView *>(QStringLiteral("sessionsView"));
    sessions->selectRow(0);
    waitFor([&] { return window.payloadModel()->hasSession(); });
    int ok = save(&window, dir.filePath(QStringLiteral("main-window.png")));

    // The settings as an auditor sees them: judged by the seed task's policy.
    waitFor([&] { return !window.settingsModel()->info().kind.isEmpty(); });
    window.applyPolicy(QStringLiteral("redis-session-ha"));
    window.findChild<QTabWidget *>(QStringLiteral("tabs"))->setCurrentIndex(1);
    waitFor([] { return true; }, 100);
    ok &= save(&window, dir.filePath(QStringLiteral("store-settings.png")));

    // The audit log after an audited reveal of the open session's secrets.
    window.findChild<QTabWidget *>(QStringLiteral("tabs"))->setCurrentIndex(0);
    if (window.payloadModel()->hasSecrets()) {
        Dialogs::setNextAnswer(Dialogs::Answer::Accept);
        window.findChild<QAction *>(QStringLiteral("actionReveal"))->trigger();
        waitFor([&] { return window.payloadModel()->isRevealed(); });
    }
    window.findChild<QTabWidget *>(QStringLiteral("tabs"))->setCurrentIndex(2);
    waitFor([] { return true; }, 100);
    ok &= save(&window, dir.filePath(QStringLiteral("audit-log.png")));
    window.findChild<QTabWidget *>(QStringLiteral("tabs"))->setCurrentIndex(0);

    window.client()->allowWrites(true);
    QMetaObject::invokeMethod(&window, [&window] {
        window.findChild<QAction *>(QStringLiteral("actionDestroyAll"))->trigger();
    });
    DestroyAllDialog *dialog = nullptr;
    waitFor([&] {
        dialog = window.findChild<DestroyAllDialog *>();
        return dialog && dialog->previewCount() >= 0;
    });
    if (dialog) {
        dialog->findChild<QLineEdit *>(QStringLiteral("confirmTargetEdit"))
            ->setText(window.client()->targetName());
        ok &= save(dialog, dir.filePath(QStringLiteral("destroy-all.png")));
        dialog->reject();
    }
    return ok ? 0 : 1;
}
