// Help → About (versions of SessionDesk, Qt, hiredis, OpenSSL; the changelog) and the first-run
// welcome with its throwaway demo store, on the real main window (offscreen) and a real
// redis-server started by the demo itself.

#include "aboutdialog.h"
#include "buildinfo.h"
#include "connectionprofile.h"
#include "demodata.h"
#include "demostore.h"
#include "mainwindow.h"
#include "redisserver.h"
#include "sessionsmodel.h"
#include "usersmodel.h"
#include "welcomedialog.h"

#include <QApplication>
#include <QClipboard>
#include <QFile>
#include <QLabel>
#include <QMenuBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTimer>

using namespace SessionDesk;
using SessionDesk::Test::RedisServer;

namespace {

void whenModalShown(std::function<void(QWidget *)> handle)
{
    auto *timer = new QTimer(qApp);
    timer->setInterval(0);
    QObject::connect(timer, &QTimer::timeout, timer, [timer, handle = std::move(handle)] {
        QWidget *modal = QApplication::activeModalWidget();
        if (!modal || !modal->isVisible())
            return;
        timer->stop();
        timer->deleteLater();
        handle(modal);
        if (auto *dialog = qobject_cast<QDialog *>(modal); dialog && dialog->isVisible())
            dialog->reject();
    });
    timer->start();
}

} // namespace

class TestWelcomeAbout final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void helpMenuOffersAboutChangelogAndDemo();
    void aboutNamesTheVersions();
    void welcomeOnlyOnTheFirstRun();
    void demoStoreFromTheWelcome();
    void demoDataRefusesANonEmptyDatabase();
    void savedConnectionLockedFromTheCommandLine();

private:
    MainWindow *openWindow();

    QTemporaryDir m_dir;
    QString m_settingsPath;
    std::unique_ptr<MainWindow> m_window;
    int m_round = 0;
};

void TestWelcomeAbout::init()
{
    m_settingsPath = m_dir.filePath(QStringLiteral("settings-%1.ini").arg(++m_round));
}

void TestWelcomeAbout::cleanup()
{
    m_window.reset();
}

MainWindow *TestWelcomeAbout::openWindow()
{
    m_window.reset();
    MainWindow::Options options;
    options.settingsPath = m_settingsPath;
    options.auditLogPath = m_dir.filePath(QStringLiteral("audit.log"));
    m_window = std::make_unique<MainWindow>(options);
    m_window->show();
    return m_window.get();
}

void TestWelcomeAbout::helpMenuOffersAboutChangelogAndDemo()
{
    MainWindow *window = openWindow();
    QMenu *help = nullptr;
    for (QAction *menu : window->menuBar()->actions()) {
        if (menu->menu() && menu->text().remove(u'&') == u"Help")
            help = menu->menu();
    }
    QVERIFY(help);
    QStringList names;
    for (QAction *action : help->actions())
        names << action->objectName();
    for (const char *expected :
         {"actionShortcuts", "actionDemoStore", "actionChangelog", "actionAbout"}) {
        QVERIFY2(names.contains(QLatin1String(expected)), expected);
    }
}

void TestWelcomeAbout::aboutNamesTheVersions()
{
    MainWindow *window = openWindow();
    QString versions;
    QString changelogShown;
    bool checked = false;
    whenModalShown([&](QWidget *modal) {
        auto *about = qobject_cast<AboutDialog *>(modal);
        QVERIFY(about);
        auto *title = about->findChild<QLabel *>(QStringLiteral("aboutTitle"));
        QVERIFY(title);
        QCOMPARE(title->text(), QStringLiteral("SessionDesk ") + BuildInfo::fullVersion());
        versions = about->versionsText();
        // Every version line is on screen too.
        QStringList shown;
        for (QLabel *label : about->findChildren<QLabel *>())
            shown << label->text();
        for (const BuildInfo::LibraryVersion &library : BuildInfo::libraryVersions()) {
            QVERIFY2(std::any_of(shown.cbegin(), shown.cend(),
                                 [&](const QString &t) { return t.contains(library.runtime); }),
                     qPrintable(library.name));
        }
        about->findChild<QPushButton *>(QStringLiteral("copyVersionsButton"))->click();
        QCOMPARE(QApplication::clipboard()->text(), versions);
        // The changelog link opens the changelog compiled into the program.
        auto *link = about->findChild<QLabel *>(QStringLiteral("changelogLink"));
        QVERIFY(link);
        emit link->linkActivated(QStringLiteral("changelog"));
        auto *changelog = about->findChild<ChangelogDialog *>();
        QVERIFY(changelog);
        QTRY_VERIFY(changelog->isVisible());
        changelogShown = changelog->findChild<QTextBrowser *>()->toPlainText();
        QCOMPARE(changelog->markdown().isEmpty(), false);
        QFile source(QStringLiteral(SESSIONDESK_SOURCE_DIR "/CHANGELOG.md"));
        QVERIFY(source.open(QIODevice::ReadOnly));
        QCOMPARE(changelog->markdown(), QString::fromUtf8(source.readAll()));
        checked = true;
    });
    window->findChild<QAction *>(QStringLiteral("actionAbout"))->trigger();
    QVERIFY(checked);
    QVERIFY(versions.startsWith(QStringLiteral("SessionDesk ") + BuildInfo::version()));
    QVERIFY2(versions.contains(QStringLiteral("Qt: ") + QString::fromLatin1(qVersion())),
             qPrintable(versions));
    QVERIFY2(versions.contains(QStringLiteral("hiredis: ")), qPrintable(versions));
    QVERIFY2(versions.contains(QStringLiteral("OpenSSL: OpenSSL ")), qPrintable(versions));
    QVERIFY(changelogShown.contains(BuildInfo::version()));
}

void TestWelcomeAbout::welcomeOnlyOnTheFirstRun()
{
    MainWindow *window = openWindow();
    window->showWelcomeIfFirstRun();
    auto *welcome = window->findChild<WelcomeDialog *>();
    QVERIFY(welcome);
    QTRY_VERIFY(welcome->isVisible());
    QVERIFY(!welcome->isModal()); // the window stays usable behind it
    auto *text = welcome->findChild<QLabel *>(QStringLiteral("welcomeText"));
    QVERIFY(text && text->text().contains(QStringLiteral("read-only")));
    welcome->findChild<QPushButton *>(QStringLiteral("welcomeCloseButton"))->click();
    QTRY_VERIFY(!window->findChild<WelcomeDialog *>());
    // Dismissed once: never again, even with still no connections.
    window = openWindow();
    window->showWelcomeIfFirstRun();
    QVERIFY(!window->findChild<WelcomeDialog *>());

    // A user with saved connections is past the first run.
    init();
    {
        QSettings settings(m_settingsPath, QSettings::IniFormat);
        ConnectionProfile profile;
        profile.name = QStringLiteral("prod");
        profile.url = QStringLiteral("redis://127.0.0.1:6379");
        ConnectionProfile::save(settings, {profile});
    }
    window = openWindow();
    window->showWelcomeIfFirstRun();
    QVERIFY(!window->findChild<WelcomeDialog *>());
}

void TestWelcomeAbout::demoStoreFromTheWelcome()
{
    QVERIFY2(DemoStore::serverAvailable(), "redis-server is not installed");
    MainWindow *window = openWindow();
    window->showWelcomeIfFirstRun();
    auto *welcome = window->findChild<WelcomeDialog *>();
    QVERIFY(welcome);
    auto *demoButton = welcome->findChild<QPushButton *>(QStringLiteral("welcomeDemoButton"));
    QVERIFY(demoButton && demoButton->isEnabled());
    QSignalSpy opened(window, &MainWindow::storeOpened);
    demoButton->click();
    QVERIFY(window->demoStore());
    QVERIFY(opened.wait(30000));
    DemoStore *demo = window->demoStore();
    QVERIFY(demo->isReady());
    QVERIFY(demo->sessions() > 0);
    QVERIFY(demo->url().startsWith(QStringLiteral("redis://127.0.0.1:")));
    // The demo's users and sessions are listed like any store's, read-only.
    QTRY_VERIFY_WITH_TIMEOUT(window->usersModel() && window->usersModel()->rowCount() > 0, 20000);
    QVERIFY(window->windowTitle().contains(QStringLiteral("READ-ONLY")));
    QVERIFY(!window->client()->writesAllowed());
    qint64 users = window->usersModel()->rowCount();
    QVERIFY(users >= 10);
    // Opening it again reuses the same server.
    const qint64 pid = demo->serverProcessId();
    QVERIFY(pid > 0);
    QVERIFY(QFile::exists(QStringLiteral("/proc/%1").arg(pid)));
    window->findChild<QAction *>(QStringLiteral("actionDemoStore"))->trigger();
    QCOMPARE(window->demoStore(), demo);
    QCOMPARE(demo->serverProcessId(), pid);
    // The window takes the server with it.
    m_window.reset();
    QVERIFY(!QFile::exists(QStringLiteral("/proc/%1").arg(pid)));
}

void TestWelcomeAbout::demoDataRefusesANonEmptyDatabase()
{
    RedisServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    server.cli({QStringLiteral("SET"), QStringLiteral("precious"), QStringLiteral("1")});
    StoreConfig config;
    config.port = server.port();
    const auto refused = DemoData::fillRedis(config);
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, StorageError::Code::Refused);
    QVERIFY(refused.error().message.contains(server.target()));
    QCOMPARE(server.cli({QStringLiteral("DBSIZE")}).trimmed(), QByteArray("1"));
}

// `sessiondesk --profile NAME --read-only`: the saved connection, locked for this session only.
void TestWelcomeAbout::savedConnectionLockedFromTheCommandLine()
{
    RedisServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    {
        QSettings settings(m_settingsPath, QSettings::IniFormat);
        ConnectionProfile profile;
        profile.name = QStringLiteral("ops");
        profile.url = server.url();
        ConnectionProfile::save(settings, {profile});
    }
    MainWindow *window = openWindow();
    QSignalSpy opened(window, &MainWindow::storeOpened);
    window->openProfile(QStringLiteral("ops"), true);
    QVERIFY(opened.wait(20000));
    QVERIFY(window->client()->isLocked());
    QVERIFY(window->windowTitle().contains(QStringLiteral("ops")));
    // The saved connection itself is unchanged.
    window->openProfile(QStringLiteral("ops"));
    QVERIFY(opened.wait(20000));
    QVERIFY(!window->client()->isLocked());
    QSettings settings(m_settingsPath, QSettings::IniFormat);
    QVERIFY(!ConnectionProfile::load(settings).first().readOnlyLocked);
}

QTEST_MAIN(TestWelcomeAbout)
#include "tst_welcome_about.moc"
