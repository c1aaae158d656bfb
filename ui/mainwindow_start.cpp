// MainWindow, continued: the passwords of saved connections (system keychain, asking), the
// first-run welcome with the demo store, importing connections, and Help → About.

#include "mainwindow.h"

#include "aboutdialog.h"
#include "connectionsmodel.h"
#include "demostore.h"
#include "keychain.h"
#include "messagebanner.h"
#include "passworddialog.h"
#include "profileimport.h"
#include "welcomedialog.h"

#include <QAction>
#include <QFile>
#include <QLabel>
#include <QListView>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>

namespace SessionDesk {

namespace {

const QString kWelcomeDismissed = QStringLiteral("welcome/dismissed");

} // namespace

void MainWindow::openSaved(ConnectionProfile profile)
{
    m_keychainProblem.clear();
    m_sentinelKeychainProblem.clear();
    const QString sentinelKey = profile.sentinelSecretKey();
    if (!profile.sentinelPasswordInKeychain || sentinelKey.isEmpty()
        || !qEnvironmentVariable("SESSIONDESK_SENTINEL_PASSWORD").isEmpty()) {
        openSavedWithStorePassword(profile);
        return;
    }
    // The sentinels are asked first, so theirs is read first.
    readFromKeychain(profile, sentinelKey, true, [this, profile](const Keychain::Outcome &outcome) {
        if (outcome.ok()) {
            m_sentinel = SentinelSecret{profile.name + u'\n' + profile.url, outcome.secret,
                                        PasswordSource::Keychain, false, false};
        } else {
            m_sentinel.reset();
            m_sentinelKeychainProblem = outcome.message;
        }
        openSavedWithStorePassword(profile);
    });
}

void MainWindow::openSavedWithStorePassword(const ConnectionProfile &profile)
{
    const QString fromEnvironment = qEnvironmentVariable("SESSIONDESK_PASSWORD");
    if (!fromEnvironment.isEmpty() || !profile.passwordInKeychain
        || profile.secretKey().isEmpty()) {
        openStore(profile, fromEnvironment);
        return;
    }
    readFromKeychain(profile, profile.secretKey(), false,
                     [this, profile](const Keychain::Outcome &outcome) {
                         const QString problem = outcome.ok() ? QString() : outcome.message;
                         openStore(profile, outcome.secret);
                         m_keychainProblem = problem;
                         if (outcome.ok())
                             m_passwordSource = PasswordSource::Keychain;
                     });
}

void MainWindow::readFromKeychain(const ConnectionProfile &profile, const QString &key,
                                  bool sentinels,
                                  std::function<void(const Keychain::Outcome &)> then)
{
    // The keychain may ask the operator to unlock it, so the window goes on meanwhile.
    closeStore();
    const quint64 attempt = ++m_openAttempt;
    m_emptyState->setText(
        (sentinels ? tr("Reading the sentinels' password of “%1” from the system keychain…")
                   : tr("Reading the password of “%1” from the system keychain…"))
            .arg(profile.name));
    m_emptyState->show();
    Keychain::read(key, this,
                   [this, attempt, then = std::move(then)](const Keychain::Outcome &outcome) {
                       if (attempt == m_openAttempt) // else another connection was opened
                           then(outcome);
                   });
}

bool MainWindow::askPasswordAndRetry()
{
    if (!m_client)
        return false;
    QString reason;
    if (m_passwordSource == PasswordSource::Keychain)
        reason = tr("The store refused the password saved in the system keychain.");
    else if (!m_password.isEmpty())
        return false; // a password given or typed just now was refused: no loop of prompts
    else if (!m_keychainProblem.isEmpty())
        reason = m_keychainProblem;
    const auto answer =
        PasswordDialog::askToConnect(this, m_client->targetName(), m_client->config().username,
                                     rememberOffer(m_profile.secretKey()), reason);
    if (!answer)
        return false;
    const ConnectionProfile profile = m_profile;
    QTimer::singleShot(0, this, [this, profile, answer] {
        openStore(profile, answer->password);
        m_passwordSource = PasswordSource::Typed;
        m_rememberTyped = answer->remember;
    });
    return true;
}

bool MainWindow::askSentinelPasswordAndRetry()
{
    if (!m_client || (m_sentinel && m_sentinel->justTyped)) {
        if (m_sentinel)
            m_sentinel->justTyped = false; // a later attempt may ask again
        return false; // the one typed just now was refused: no loop of prompts
    }
    QString reason;
    if (m_sentinel && m_sentinel->source == PasswordSource::Keychain)
        reason = tr("The sentinels refused the password saved in the system keychain.");
    else if (m_sentinel)
        reason = tr("The sentinels refused the password typed earlier.");
    else if (!m_client->config().sentinelPassword.isEmpty())
        reason = tr("The sentinels refused the password in SESSIONDESK_SENTINEL_PASSWORD.");
    else
        reason = m_sentinelKeychainProblem;
    const auto answer = PasswordDialog::askToConnect(
        this, m_client->targetName(), m_client->config().sentinelUsername,
        rememberOffer(m_profile.sentinelSecretKey()), reason, PasswordDialog::Secret::Sentinels);
    if (!answer)
        return false;
    // The store's own password stays what it was, and so does where it came from.
    const ConnectionProfile profile = m_profile;
    QTimer::singleShot(0, this, [this, profile, answer] {
        const PasswordSource source = m_passwordSource;
        const bool rememberTyped = m_rememberTyped;
        m_sentinel = SentinelSecret{profile.name + u'\n' + profile.url, answer->password,
                                    PasswordSource::Typed, true, answer->remember};
        openStore(profile, m_password);
        m_passwordSource = source;
        m_rememberTyped = rememberTyped;
    });
    return true;
}

PasswordDialog::Remember MainWindow::rememberOffer(const QString &key) const
{
    // Remembering needs a saved connection to remember it for, and a keychain to keep it in.
    if (!ConnectionProfile::find(m_profiles, m_profile.name) || key.isEmpty())
        return PasswordDialog::Remember::NotOffered;
    return Keychain::serviceAvailable() ? PasswordDialog::Remember::Offered
                                        : PasswordDialog::Remember::NoKeychain;
}

void MainWindow::rememberTypedPasswords()
{
    // Only now, after the store accepted them: a mistyped password is never saved.
    if (m_passwordSource == PasswordSource::Typed && m_rememberTyped) {
        m_rememberTyped = false;
        saveInKeychain(m_profile.name, m_profile.secretKey(), m_password, false);
    }
    if (m_sentinel) {
        m_sentinel->justTyped = false;
        if (m_sentinel->source == PasswordSource::Typed && m_sentinel->remember) {
            m_sentinel->remember = false;
            saveInKeychain(m_profile.name, m_profile.sentinelSecretKey(), m_sentinel->password,
                           true);
        }
    }
}

void MainWindow::saveInKeychain(const QString &name, const QString &key, const QString &password,
                                bool sentinels)
{
    Keychain::write(key, password, this, [this, name, sentinels](const Keychain::Outcome &outcome) {
        const auto done = [&](bool saved) {
            if (sentinels)
                emit sentinelPasswordRemembered(name, saved);
            else
                emit passwordRemembered(name, saved);
        };
        if (!outcome.ok()) {
            m_banner->showMessage(
                tr("%1 It will be asked for when connecting.").arg(outcome.message),
                MessageBanner::Kind::Warning);
            done(false);
            return;
        }
        for (ConnectionProfile &profile : m_profiles) {
            if (profile.name == name)
                (sentinels ? profile.sentinelPasswordInKeychain : profile.passwordInKeychain) =
                    true;
        }
        saveProfiles();
        done(true);
    });
}

void MainWindow::forgetSavedPassword(const ConnectionProfile &removed)
{
    // Each entry stays while another saved connection uses it.
    for (const QString &key : ConnectionProfile::unsharedSecretKeys(removed, m_profiles)) {
        Keychain::remove(key, this, [this](const Keychain::Outcome &outcome) {
            if (!outcome.ok() && outcome.status != Keychain::Status::NotFound)
                m_banner->showMessage(outcome.message, MessageBanner::Kind::Warning);
        });
    }
}

void MainWindow::forgetSavedPasswords()
{
    const QModelIndex current = m_connections->currentIndex();
    if (!current.isValid() || !m_connectionsModel->isSaved(current.row()))
        return;
    const ConnectionProfile chosen = m_connectionsModel->profileAt(current.row());
    const auto forget = [this, name = chosen.name](const QString &key, bool sentinels) {
        Keychain::remove(key, this, [this, name, key, sentinels](const Keychain::Outcome &outcome) {
            if (!outcome.ok() && outcome.status != Keychain::Status::NotFound) {
                m_banner->showMessage(outcome.message, MessageBanner::Kind::Warning);
                return; // still saved: the connection still says so
            }
            ConnectionProfile::forgetSecretKey(m_profiles, key); // for all that used it
            saveProfiles();
            statusBar()->showMessage(
                (sentinels ? tr("Forgot the sentinels' saved password of “%1”; it will be asked "
                                "for when connecting.")
                           : tr("Forgot the saved password of “%1”; it will be asked for when "
                                "connecting."))
                    .arg(name),
                10000);
        });
    };
    if (chosen.passwordInKeychain && !chosen.secretKey().isEmpty())
        forget(chosen.secretKey(), false);
    if (chosen.sentinelPasswordInKeychain && !chosen.sentinelSecretKey().isEmpty())
        forget(chosen.sentinelSecretKey(), true);
}

void MainWindow::showWelcomeIfFirstRun()
{
    if (!m_profiles.isEmpty() || m_settings->value(kWelcomeDismissed).toBool())
        return;
    auto *welcome = new WelcomeDialog(this);
    welcome->setAttribute(Qt::WA_DeleteOnClose);
    connect(welcome, &WelcomeDialog::demoRequested, this, &MainWindow::openDemoStore);
    connect(welcome, &WelcomeDialog::newConnectionRequested, m_newConnectionAction,
            &QAction::trigger);
    connect(welcome, &WelcomeDialog::importRequested, this, &MainWindow::importConnections);
    // Closed in any way counts as seen: it does not come back (Help has the demo too).
    connect(welcome, &QDialog::finished, this, [this] {
        m_settings->setValue(kWelcomeDismissed, true);
        m_settings->sync();
    });
    welcome->show();
}

void MainWindow::openDemoStore()
{
    const auto open = [this] {
        ConnectionProfile demo;
        demo.name = tr("demo (throwaway)");
        demo.url = m_demo->url();
        demo.userIndex = m_demo->userIndexPattern();
        openStore(demo);
        showInfo(tr("The demo store holds %n made-up sessions on this computer only; it stops "
                    "when you quit.",
                    nullptr, m_demo->sessions()));
    };
    if (m_demo && m_demo->isReady()) {
        open();
        return;
    }
    if (m_demo)
        return; // still starting
    m_demo = new DemoStore(this);
    connect(m_demo, &DemoStore::ready, this, open);
    connect(m_demo, &DemoStore::failed, this, [this](const QString &message) {
        showError(message);
        m_demo->deleteLater();
        m_demo = nullptr;
    });
    m_emptyState->setText(tr("Starting the demo store…"));
    m_emptyState->show();
    m_demo->start();
}

void MainWindow::importConnections(const QString &fileName)
{
    QFile file(fileName);
    if (!file.open(QIODevice::ReadOnly)) {
        showError(tr("Could not read %1: %2.").arg(fileName, file.errorString()));
        return;
    }
    constexpr qint64 kMaxBytes = 4 * 1024 * 1024;
    const QByteArray bytes = file.read(kMaxBytes + 1);
    if (bytes.size() > kMaxBytes) {
        showError(tr("%1 is larger than 4 MiB; that is not a list of store URLs.").arg(fileName));
        return;
    }
    QStringList names;
    for (const ConnectionProfile &profile : std::as_const(m_profiles))
        names << profile.name;
    const ProfileImport::UrlListResult parsed =
        ProfileImport::parseUrlList(QString::fromUtf8(bytes), names);
    for (const ProfileImport::Imported &imported : parsed.profiles)
        m_profiles.append(imported.profile);
    saveProfiles();
    // Passwords go to the keychain one by one; each success marks its connection.
    for (const ProfileImport::Imported &imported : parsed.profiles) {
        if (!imported.password.isEmpty() && !imported.profile.secretKey().isEmpty())
            saveInKeychain(imported.profile.name, imported.profile.secretKey(), imported.password,
                           false);
    }
    QString summary = tr("Imported %n connection(s)", nullptr, int(parsed.profiles.size()));
    if (!parsed.skipped.isEmpty())
        summary += tr("; %n skipped (the name exists)", nullptr, int(parsed.skipped.size()));
    if (!parsed.problems.isEmpty()) {
        summary += tr("; %n line(s) not understood: %1", nullptr, int(parsed.problems.size()))
                       .arg(parsed.problems.first());
        showError(summary + u'.');
    } else {
        showInfo(summary + u'.');
    }
}

void MainWindow::showAbout()
{
    AboutDialog dialog(this);
    dialog.exec();
}

} // namespace SessionDesk
