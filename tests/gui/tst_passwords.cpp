// The desktop app's passwords for saved connections, with the real main window, the real
// password dialog and a real redis-server that wants a password. Built twice:
//   tst_passwords_keychain   (SESSIONDESK_WITH_KEYRING=1): a real secret service (GNOME Keyring
//                            on a private D-Bus bus, KeyringSession); "remember" keeps the
//                            password there and the next open needs no prompt.
//   tst_passwords_nokeychain (SESSIONDESK_WITH_KEYRING=0): the session bus leads nowhere;
//                            "remember" is shown disabled and explained, and the password is
//                            asked for each time.
// Either way, no file the test can see holds the password in plain text.

#include "connectionprofile.h"
#include "dialogs.h"
#include "keychain.h"
#include "keyringsession.h"
#include "mainwindow.h"
#include "messagebanner.h"
#include "passworddialog.h"
#include "redisha.h"
#include "redisserver.h"
#include "sessionsmodel.h"
#include "welcomedialog.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QDBusConnection>
#include <QDirIterator>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace SessionDesk;
using SessionDesk::Test::KeyringSession;
using SessionDesk::Test::RedisServer;
using SessionDesk::Test::SentinelSetup;

namespace {

constexpr bool kWithKeyring = SESSIONDESK_WITH_KEYRING;

// Runs `handle` on the next modal dialog once it is visible, then makes sure it is closed.
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

class TestPasswords final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void typedPasswordIsRememberedOrAskedAgain();
#if SESSIONDESK_WITH_KEYRING // needs a saved password, so a keychain
    void refusedSavedPasswordIsAskedForAndReplaced();
    void forgetSavedPasswordsFromTheWindow();
#endif
    void importedPasswordsFromTheWelcome();
    void sentinelPasswordIsRememberedApart();

private:
    MainWindow *openWindow();
    void saveProfile(const QString &name, const QString &url);
    ConnectionProfile savedProfile(const QString &name) const;
    QStringList filesContaining(const QByteArray &secret) const;
    // Answers the next password dialog: checks it, types `password`, ticks "remember" where it
    // can be ticked, and connects. `checked` is set when the dialog looked right.
    void answerPasswordDialog(const QString &password, bool *checked,
                              const QString &expectedReason = {}, bool sentinels = false);

    KeyringSession m_keyring;
    RedisServer m_guarded;
    QTemporaryDir m_dir; // settings and audit log: scanned for leaks
    QTemporaryDir m_inputs; // the URL list the test writes, which holds a password on purpose
    QString m_settingsPath;
    std::unique_ptr<MainWindow> m_window;
    int m_round = 0;
};

void TestPasswords::initTestCase()
{
    if (kWithKeyring) {
        QVERIFY2(m_keyring.start(), qPrintable(m_keyring.errorString()));
        QVERIFY2(QDBusConnection::sessionBus().isConnected(),
                 "the session bus was opened before the test keyring started");
        QVERIFY(Keychain::serviceAvailable());
    } else {
        // main() pointed the bus nowhere before QApplication existed.
        QVERIFY(!QDBusConnection::sessionBus().isConnected());
        QVERIFY(!Keychain::serviceAvailable());
    }
    RedisServer::Options options;
    options.configLines << QStringLiteral("requirepass first-pass-1");
    QVERIFY2(m_guarded.start(options), qPrintable(m_guarded.errorString()));
    QProcess::execute(QStringLiteral("redis-cli"),
                      {QStringLiteral("-p"), QString::number(m_guarded.port()),
                       QStringLiteral("-a"), QStringLiteral("first-pass-1"),
                       QStringLiteral("--no-auth-warning"), QStringLiteral("SET"),
                       QStringLiteral("sess:g1"), QStringLiteral("{\"user_id\":\"gina\"}")});
}

void TestPasswords::init()
{
    m_settingsPath = m_dir.filePath(QStringLiteral("settings-%1.ini").arg(++m_round));
}

void TestPasswords::cleanup()
{
    m_window.reset();
}

MainWindow *TestPasswords::openWindow()
{
    m_window.reset();
    MainWindow::Options options;
    options.settingsPath = m_settingsPath;
    options.auditLogPath = m_dir.filePath(QStringLiteral("audit.log"));
    m_window = std::make_unique<MainWindow>(options);
    m_window->show();
    return m_window.get();
}

void TestPasswords::saveProfile(const QString &name, const QString &url)
{
    QSettings settings(m_settingsPath, QSettings::IniFormat);
    QList<ConnectionProfile> profiles = ConnectionProfile::load(settings);
    ConnectionProfile profile;
    profile.name = name;
    profile.url = url;
    profiles << profile;
    ConnectionProfile::save(settings, profiles);
}

ConnectionProfile TestPasswords::savedProfile(const QString &name) const
{
    QSettings settings(m_settingsPath, QSettings::IniFormat);
    const QList<ConnectionProfile> profiles = ConnectionProfile::load(settings);
    const ConnectionProfile *found = ConnectionProfile::find(profiles, name);
    return found ? *found : ConnectionProfile();
}

QStringList TestPasswords::filesContaining(const QByteArray &secret) const
{
    QStringList found;
    for (const QString &root : {m_dir.path(), m_keyring.path()}) {
        if (root.isEmpty())
            continue;
        QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            QFile file(it.next());
            if (file.open(QIODevice::ReadOnly) && file.readAll().contains(secret))
                found << file.fileName();
        }
    }
    return found;
}

void TestPasswords::answerPasswordDialog(const QString &password, bool *checked,
                                         const QString &expectedReason, bool sentinels)
{
    *checked = false;
    whenModalShown([=](QWidget *modal) {
        QVERIFY(qobject_cast<PasswordDialog *>(modal));
        auto *remember = modal->findChild<QCheckBox *>(QStringLiteral("rememberCheckBox"));
        auto *note = modal->findChild<QLabel *>(QStringLiteral("passwordNote"));
        auto *reason = modal->findChild<QLabel *>(QStringLiteral("passwordReason"));
        QVERIFY(remember && note && reason);
        if (sentinels)
            QVERIFY2(modal->windowTitle().startsWith(QStringLiteral("Sentinel password")),
                     qPrintable(modal->windowTitle()));
        QCOMPARE(remember->isEnabled(), kWithKeyring);
        if (!kWithKeyring)
            QVERIFY2(note->text().contains(QStringLiteral("No system keychain")),
                     qPrintable(note->text()));
        if (!expectedReason.isEmpty())
            QVERIFY2(reason->text().contains(expectedReason), qPrintable(reason->text()));
        QTest::keyClicks(modal->findChild<QLineEdit *>(QStringLiteral("passwordEdit")), password);
        if (remember->isEnabled())
            remember->setChecked(true);
        *checked = true;
        modal->findChild<QPushButton *>(QStringLiteral("okButton"))->click();
    });
}

void TestPasswords::typedPasswordIsRememberedOrAskedAgain()
{
    saveProfile(QStringLiteral("guarded"), m_guarded.url());
    MainWindow *window = openWindow();
    QSignalSpy opened(window, &MainWindow::storeOpened);
    QSignalSpy remembered(window, &MainWindow::passwordRemembered);
    bool checked = false;
    answerPasswordDialog(QStringLiteral("first-pass-1"), &checked);
    window->openProfile(QStringLiteral("guarded"));
    QVERIFY(opened.wait(20000));
    QVERIFY(checked);
    QTRY_COMPARE_WITH_TIMEOUT(window->sessionsModel()->rowCount(), 1, 10000);
    if (kWithKeyring) {
        QVERIFY(remembered.count() == 1 || remembered.wait(20000));
        QCOMPARE(remembered.first().at(1).toBool(), true);
        QVERIFY(savedProfile(QStringLiteral("guarded")).passwordInKeychain);
        const Keychain::Outcome stored =
            Keychain::readNow(savedProfile(QStringLiteral("guarded")).secretKey());
        QVERIFY2(stored.ok(), qPrintable(stored.message));
        QCOMPARE(stored.secret, QStringLiteral("first-pass-1"));
    } else {
        QCOMPARE(remembered.count(), 0);
        QVERIFY(!savedProfile(QStringLiteral("guarded")).passwordInKeychain);
    }

    // A new window, as after a restart.
    const int askedBefore = PasswordDialog::timesAsked();
    window = openWindow();
    QSignalSpy reopened(window, &MainWindow::storeOpened);
    if (!kWithKeyring)
        PasswordDialog::setNextPassword(QStringLiteral("first-pass-1"));
    window->openProfile(QStringLiteral("guarded"));
    QVERIFY(reopened.wait(20000));
    QTRY_COMPARE_WITH_TIMEOUT(window->sessionsModel()->rowCount(), 1, 10000);
    // From the keychain without a prompt; without one, asked again.
    QCOMPARE(PasswordDialog::timesAsked(), askedBefore + (kWithKeyring ? 0 : 1));
    m_window.reset();
    const QStringList leaks = filesContaining("first-pass-1");
    QVERIFY2(leaks.isEmpty(), qPrintable(leaks.join(u' ')));
}

#if SESSIONDESK_WITH_KEYRING
void TestPasswords::refusedSavedPasswordIsAskedForAndReplaced()
{
    RedisServer moved;
    RedisServer::Options options;
    options.configLines << QStringLiteral("requirepass old-pass-2");
    QVERIFY2(moved.start(options), qPrintable(moved.errorString()));
    saveProfile(QStringLiteral("moved"), moved.url());
    ConnectionProfile profile = savedProfile(QStringLiteral("moved"));
    QVERIFY(Keychain::writeNow(profile.secretKey(), QStringLiteral("old-pass-2")).ok());
    profile.passwordInKeychain = true;
    {
        QSettings settings(m_settingsPath, QSettings::IniFormat);
        ConnectionProfile::save(settings, {profile});
    }
    // The store's password changes behind SessionDesk's back.
    QProcess::execute(QStringLiteral("redis-cli"),
                      {QStringLiteral("-p"), QString::number(moved.port()), QStringLiteral("-a"),
                       QStringLiteral("old-pass-2"), QStringLiteral("--no-auth-warning"),
                       QStringLiteral("CONFIG"), QStringLiteral("SET"),
                       QStringLiteral("requirepass"), QStringLiteral("new-pass-3")});
    MainWindow *window = openWindow();
    QSignalSpy opened(window, &MainWindow::storeOpened);
    QSignalSpy remembered(window, &MainWindow::passwordRemembered);
    bool checked = false;
    answerPasswordDialog(QStringLiteral("new-pass-3"), &checked,
                         QStringLiteral("refused the password saved in the system keychain"));
    window->openProfile(QStringLiteral("moved"));
    QVERIFY(opened.wait(20000));
    QVERIFY(checked);
    QVERIFY(remembered.count() == 1 || remembered.wait(20000));
    QCOMPARE(Keychain::readNow(profile.secretKey()).secret, QStringLiteral("new-pass-3"));
}

void TestPasswords::forgetSavedPasswordsFromTheWindow()
{
    // Two connections to the same server as the same user share one keychain entry.
    saveProfile(QStringLiteral("kept"), m_guarded.url());
    saveProfile(QStringLiteral("twin"), m_guarded.url());
    QList<ConnectionProfile> profiles;
    {
        QSettings settings(m_settingsPath, QSettings::IniFormat);
        profiles = ConnectionProfile::load(settings);
        for (ConnectionProfile &profile : profiles)
            profile.passwordInKeychain = true;
        ConnectionProfile::save(settings, profiles);
    }
    const QString key = profiles.first().secretKey();
    QVERIFY(Keychain::writeNow(key, QStringLiteral("first-pass-1")).ok());
    MainWindow *window = openWindow();
    auto *list = window->findChild<QListView *>(QStringLiteral("connectionsList"));
    auto *forget = window->findChild<QAction *>(QStringLiteral("actionForgetPasswords"));
    QVERIFY(list && forget);
    QVERIFY(!forget->isEnabled()); // nothing selected
    list->setCurrentIndex(list->model()->index(0, 0));
    QVERIFY(forget->isEnabled());
    forget->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!savedProfile(QStringLiteral("kept")).passwordInKeychain, 20000);
    QVERIFY(!savedProfile(QStringLiteral("twin")).passwordInKeychain); // the entry is gone
    QCOMPARE(Keychain::readNow(key).status, Keychain::Status::NotFound);
    QVERIFY(!forget->isEnabled());
    QCOMPARE(list->currentIndex().row(), 0); // still selected
    // The next open asks.
    const int askedBefore = PasswordDialog::timesAsked();
    QSignalSpy opened(window, &MainWindow::storeOpened);
    PasswordDialog::setNextPassword(QStringLiteral("first-pass-1"));
    window->openProfile(QStringLiteral("twin"));
    QVERIFY(opened.wait(20000));
    QCOMPARE(PasswordDialog::timesAsked(), askedBefore + 1);
}

#endif

void TestPasswords::importedPasswordsFromTheWelcome()
{
    const QString list = m_inputs.filePath(QStringLiteral("urls.txt"));
    QFile file(list);
    QVERIFY(file.open(QIODevice::WriteOnly));
    // As the ACL user "default": a keychain entry of its own, apart from the first test's.
    file.write("imported redis://default:first-pass-1@127.0.0.1:"
               + QByteArray::number(m_guarded.port()) + "\n");
    file.close();
    MainWindow *window = openWindow();
    QSignalSpy remembered(window, &MainWindow::passwordRemembered);
    window->showWelcomeIfFirstRun();
    auto *welcome = window->findChild<WelcomeDialog *>();
    QVERIFY(welcome);
    QTRY_VERIFY(welcome->isVisible());
    WelcomeDialog::setNextImportFileName(list);
    welcome->findChild<QPushButton *>(QStringLiteral("welcomeImportButton"))->click();
    QVERIFY(remembered.count() == 1 || remembered.wait(20000));
    QCOMPARE(remembered.first().at(0).toString(), QStringLiteral("imported"));
    const ConnectionProfile imported = savedProfile(QStringLiteral("imported"));
    QCOMPARE(imported.url, QStringLiteral("redis://default@127.0.0.1:%1/0").arg(m_guarded.port()));
    if (kWithKeyring) {
        QCOMPARE(remembered.first().at(1).toBool(), true);
        QVERIFY(imported.passwordInKeychain);
        QVERIFY(imported.secretKey().contains(QStringLiteral("default@")));
        QCOMPARE(Keychain::readNow(imported.secretKey()).secret, QStringLiteral("first-pass-1"));
        // Opens with it, no prompt.
        const int askedBefore = PasswordDialog::timesAsked();
        QSignalSpy opened(window, &MainWindow::storeOpened);
        window->openProfile(QStringLiteral("imported"));
        QVERIFY(opened.wait(20000));
        QCOMPARE(PasswordDialog::timesAsked(), askedBefore);
    } else {
        QCOMPARE(remembered.first().at(1).toBool(), false);
        QVERIFY(!imported.passwordInKeychain);
        QCOMPARE(window->banner()->kind(), MessageBanner::Kind::Warning);
        QVERIFY2(window->banner()->text().contains(QStringLiteral("No system keychain")),
                 qPrintable(window->banner()->text()));
    }
    m_window.reset();
    const QStringList leaks = filesContaining("first-pass-1");
    QVERIFY2(leaks.isEmpty(), qPrintable(leaks.join(u' ')));
}

void TestPasswords::sentinelPasswordIsRememberedApart()
{
    // Sentinels with a password of their own; the data nodes have none, so the sentinels' is
    // the only one asked for.
    const QString secret = QStringLiteral("sentinels-pass-5");
    SentinelSetup sentinel;
    SentinelSetup::Options options;
    options.sentinelPassword = secret;
    QVERIFY2(sentinel.start(options), qPrintable(sentinel.errorString()));
    saveProfile(QStringLiteral("watched"), sentinel.url());
    const ConnectionProfile profile = savedProfile(QStringLiteral("watched"));
    MainWindow *window = openWindow();
    QSignalSpy opened(window, &MainWindow::storeOpened);
    QSignalSpy remembered(window, &MainWindow::sentinelPasswordRemembered);
    QSignalSpy storeRemembered(window, &MainWindow::passwordRemembered);
    bool checked = false;
    answerPasswordDialog(secret, &checked, {}, true);
    window->openProfile(QStringLiteral("watched"));
    QVERIFY(opened.wait(20000));
    QVERIFY(checked);
    if (kWithKeyring) {
        QVERIFY(remembered.count() == 1 || remembered.wait(20000));
        QCOMPARE(remembered.first().at(1).toBool(), true);
        QVERIFY(savedProfile(QStringLiteral("watched")).sentinelPasswordInKeychain);
        QCOMPARE(Keychain::readNow(profile.sentinelSecretKey()).secret, secret);
    } else {
        QCOMPARE(remembered.count(), 0);
        QVERIFY(!savedProfile(QStringLiteral("watched")).sentinelPasswordInKeychain);
    }
    // Not the store's: that entry stays empty.
    QCOMPARE(storeRemembered.count(), 0);
    QVERIFY(!savedProfile(QStringLiteral("watched")).passwordInKeychain);
    QCOMPARE(Keychain::readNow(profile.secretKey()).status,
             kWithKeyring ? Keychain::Status::NotFound : Keychain::Status::Unavailable);

    // A new window, as after a restart: from the keychain without a prompt, or asked again.
    const int askedBefore = PasswordDialog::timesAsked();
    window = openWindow();
    QSignalSpy reopened(window, &MainWindow::storeOpened);
    // With a keychain a prompt would be the failure: it is cancelled at once, not left open.
    QTimer refuseAnyPrompt;
    refuseAnyPrompt.setInterval(0);
    connect(&refuseAnyPrompt, &QTimer::timeout, this, [] {
        if (auto *prompt = qobject_cast<PasswordDialog *>(QApplication::activeModalWidget()))
            prompt->reject();
    });
    if (kWithKeyring)
        refuseAnyPrompt.start();
    else
        PasswordDialog::setNextPassword(secret);
    window->openProfile(QStringLiteral("watched"));
    QVERIFY(reopened.wait(20000));
    refuseAnyPrompt.stop();
    QCOMPARE(PasswordDialog::timesAsked(), askedBefore + (kWithKeyring ? 0 : 1));

    if (kWithKeyring) {
        // A stale saved one is refused, asked for with the reason, and replaced.
        QVERIFY(Keychain::writeNow(profile.sentinelSecretKey(), QStringLiteral("stale-7")).ok());
        window = openWindow();
        QSignalSpy again(window, &MainWindow::storeOpened);
        QSignalSpy replaced(window, &MainWindow::sentinelPasswordRemembered);
        answerPasswordDialog(secret, &checked,
                             QStringLiteral("sentinels refused the password saved in the system "
                                            "keychain"),
                             true);
        window->openProfile(QStringLiteral("watched"));
        QVERIFY(again.wait(20000));
        QVERIFY(checked);
        QVERIFY(replaced.count() == 1 || replaced.wait(20000));
        QCOMPARE(Keychain::readNow(profile.sentinelSecretKey()).secret, secret);

        // Removing the connection removes its entry.
        Dialogs::setNextAnswer(Dialogs::Answer::Accept);
        window->findChild<QAction *>(QStringLiteral("actionRemoveConnection"))->trigger();
        QVERIFY(!ConnectionProfile::find(
            [&] {
                QSettings settings(m_settingsPath, QSettings::IniFormat);
                return ConnectionProfile::load(settings);
            }(),
            QStringLiteral("watched")));
        QTRY_COMPARE_WITH_TIMEOUT(Keychain::readNow(profile.sentinelSecretKey()).status,
                                  Keychain::Status::NotFound, 20000);
    }
    m_window.reset();
    const QStringList leaks = filesContaining(secret.toUtf8());
    QVERIFY2(leaks.isEmpty(), qPrintable(leaks.join(u' ')));
}

int main(int argc, char *argv[])
{
    // Without a keychain: a bus address that leads nowhere, before anything can open the bus.
    if (!kWithKeyring)
        qputenv("DBUS_SESSION_BUS_ADDRESS", Test::unreachableBusAddress().toUtf8());
    QApplication app(argc, argv);
    TestPasswords test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_passwords.moc"
