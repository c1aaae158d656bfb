#pragma once

#include "connectionprofile.h"
#include "passworddialog.h"
#include "sessionlookup.h"
#include "storeclient.h"

#include <QMainWindow>
#include <QPointer>

#include <functional>
#include <memory>

class QAction;
class QCheckBox;
class QComboBox;
class QDateEdit;
class QLabel;
class QLineEdit;
class QListView;
class QSettings;
class QSortFilterProxyModel;
class QSplitter;
class QTabWidget;
class QTableView;
class QTreeView;
class QPushButton;
class QToolButton;

namespace SessionDesk {

namespace Keychain {
struct Outcome;
}

class AuditFilterModel;
class AuditLogModel;
class ConnectionsModel;
class DemoStore;
class MessageBanner;
class PayloadModel;
class SessionsModel;
class SettingsModel;
class UsersModel;

// The one main window: saved connections on the left; users, sessions and the open session's
// payload side by side; tabs for store settings and the audit log. It holds one open store at a
// time through a StoreClient, so it never waits on the network.
class MainWindow final : public QMainWindow
{
    Q_OBJECT

public:
    struct Options
    {
        QString settingsPath; // an INI file: window layout and saved connections, no secrets
        QString auditLogPath;
        // Why every connection opens locked. The window fills it from the administrator's
        // SystemSettings (ForceReadOnly=true) when it is empty.
        QString forcedReadOnlyReason;
    };

    explicit MainWindow(Options options, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens a store. `name` titles the window; `password` may be empty.
    void openStore(const ConnectionProfile &profile, const QString &password = {});
    // Opens the saved connection `name` (an error banner when there is none). Its password
    // comes from $SESSIONDESK_PASSWORD, else from the system keychain when one was saved there,
    // else the operator is asked when the store wants one. `forceReadOnly` locks it read-only.
    void openProfile(const QString &name, bool forceReadOnly = false);
    void closeStore();

    // The first-run welcome, non-modal, when there are no saved connections and it was never
    // dismissed before.
    void showWelcomeIfFirstRun();
    // Starts (once) a throwaway redis-server filled with demo sessions and opens it. It stops
    // when this window is destroyed.
    void openDemoStore();
    DemoStore *demoStore() const { return m_demo; }
    // Adds the connections of a file of store URLs (see ProfileImport::parseUrlList); passwords
    // in it go to the system keychain, never to the settings file.
    void importConnections(const QString &fileName);
    void showAbout();

    // What the search box does on Enter: a user id, a session id, a key or a pasted cookie.
    void search(const QString &text);
    QString searchResultText() const;

    StoreClient *client() const { return m_client.get(); }
    QToolButton *layoutButton() const { return m_statusLayout; }
    UsersModel *usersModel() const { return m_users; }
    SessionsModel *sessionsModel() const { return m_sessions; }
    PayloadModel *payloadModel() const { return m_payload; }
    MessageBanner *banner() const { return m_banner; }
    SettingsModel *settingsModel() const { return m_settingsModel; }
    AuditLogModel *auditModel() const { return m_audit; }
    AuditFilterModel *auditFilterModel() const { return m_auditFilter; }
    QList<QAction *> allActions() const;

    // Judges the store settings against a policy file or preset; empty removes the policy.
    // Errors (a malformed file) go to the banner and leave no policy applied.
    bool applyPolicy(const QString &fileOrPreset);
    // Re-reads the audit log and checks its chain off the GUI thread; the result shows beside
    // the Verify button when it is done.
    void verifyAuditLog();

    // Test seams: the next export writes here, the next "open policy file" opens this,
    // instead of asking.
    static void setNextSaveFileName(const QString &fileName);
    static void setNextOpenFileName(const QString &fileName);

signals:
    // After each search has settled, with the sentence shown to the operator.
    void searchFinished(const QString &result);
    void storeOpened();
    // After a typed password was offered to the system keychain: whether it is saved there.
    void passwordRemembered(const QString &profileName, bool saved);
    // The same for the sentinels' own password of a Sentinel connection.
    void sentinelPasswordRemembered(const QString &profileName, bool saved);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void createMenus();
    void createWidgets();
    void connectClient();
    void updateActions();
    void updateTitle();
    void refresh();
    void showError(const QString &message);
    void showInfo(const QString &message);

    void onUserSelected();
    void onSessionSelected();
    void onSessionsPageLoaded();
    // Hides the session columns the operator chose to hide (View → Session columns), the user
    // column under a user's heading, and optional columns no listed session fills.
    void applySessionColumns();
    void revokeSelected();
    void logoutUser();
    void destroyAll();
    void revealSecrets();
    void exportSessions();
    void exportEvidence();
    void onPolicyChosen(int index);
    void reloadAudit(bool verify);
    void onAuditReloaded();
    void updateAuditFilters();
    void showAuditIntegrity();
    void copySelected(bool user);
    void copyPayloadValue();
    void toggleWrites(bool allowed);
    void newConnection();
    void editConnection();
    void removeConnection();
    // Removes the selected connection's passwords from the system keychain.
    void forgetSavedPasswords();
    void reloadProfiles();
    void saveProfiles();
    void finishSearch(const QString &result);
    // Reopens the current connection with another session layout ("auto" to detect again); a
    // saved connection keeps the choice.
    void chooseLayout(const QString &schema);
    void updateLayoutStatus();

    QList<QByteArray> selectedSessionIds() const;
    QString currentUser() const;

    // Passwords of saved connections (mainwindow_start.cpp).
    // Reads the sentinels' password from the keychain (when saved there), then the store's.
    void openSaved(ConnectionProfile profile);
    void openSavedWithStorePassword(const ConnectionProfile &profile);
    // Reads `key` (the sentinels' entry or the store's) while the window goes on, then calls
    // `then` unless another connection was opened meanwhile.
    void readFromKeychain(const ConnectionProfile &profile, const QString &key, bool sentinels,
                          std::function<void(const Keychain::Outcome &)> then);
    // After the store refused to authenticate: asks once and reconnects. False when not asked.
    bool askPasswordAndRetry();
    // The same for the sentinels' own password, when they refused theirs (Sentinel URLs).
    bool askSentinelPasswordAndRetry();
    // Whether the password dialog may offer to remember the password of keychain entry `key`
    // of the open connection.
    PasswordDialog::Remember rememberOffer(const QString &key) const;
    // After the store accepted them: keeps typed passwords whose "remember" was ticked.
    void rememberTypedPasswords();
    // Saves a password of connection `name`; marks the connection when the keychain took it,
    // else says why in the banner. Emits (sentinel)passwordRemembered either way.
    void saveInKeychain(const QString &name, const QString &key, const QString &password,
                        bool sentinels);
    // Removes a removed connection's passwords from the keychain unless another one shares them.
    void forgetSavedPassword(const ConnectionProfile &removed);
    enum class PasswordSource { None, Given, Keychain, Typed };
    PasswordSource m_passwordSource = PasswordSource::None;
    bool m_rememberTyped = false;
    QString m_keychainProblem; // why a saved password could not be read, for the prompt
    quint64 m_openAttempt = 0; // drops keychain answers that arrive after another open
    DemoStore *m_demo = nullptr;

    Options m_options;
    std::unique_ptr<QSettings> m_settings;
    QList<ConnectionProfile> m_profiles;
    ConnectionProfile m_profile;
    QString m_password;
    // The sentinels' own password, read from the keychain or typed, for the connection it was
    // read or typed for; none: SESSIONDESK_SENTINEL_PASSWORD's. In memory only.
    struct SentinelSecret
    {
        QString owner; // the connection's name and URL
        QString password;
        PasswordSource source = PasswordSource::None; // Keychain or Typed
        bool justTyped = false; // the attempt under way uses one typed for it
        bool remember = false; // typed with "remember" ticked: saved once the store connects
    };
    std::optional<SentinelSecret> m_sentinel;
    QString m_sentinelKeychainProblem; // why the saved one could not be read, for the prompt
    std::unique_ptr<StoreClient> m_client;
    QSet<StoreClient::RequestId> m_own; // requests whose failures this window reports
    QHash<StoreClient::RequestId, QString> m_logoutRequests;
    StoreClient::RequestId m_connectRequest = 0;
    StoreClient::RequestId m_sessionRequest = 0;
    StoreClient::RequestId m_searchRequest = 0;
    StoreClient::RequestId m_describeRequest = 0;
    SessionReference m_searchRef;
    QString m_searchText;
    QString m_pendingUserSearch;
    QByteArray m_selectAfterLoad;
    QString m_searchResult;
    qint64 m_totalSessions = -1;
    qint64 m_withoutTtl = -1;
    bool m_removingUsers = false; // rows of revoked users are leaving the users list

    UsersModel *m_users = nullptr;
    SessionsModel *m_sessions = nullptr;
    PayloadModel *m_payload = nullptr;
    SettingsModel *m_settingsModel = nullptr;
    AuditLogModel *m_audit = nullptr;
    ConnectionsModel *m_connectionsModel = nullptr;
    QSortFilterProxyModel *m_usersProxy = nullptr;
    QSortFilterProxyModel *m_sessionsProxy = nullptr;

    MessageBanner *m_banner = nullptr;
    QListView *m_connections = nullptr;
    QTabWidget *m_tabs = nullptr;
    QSplitter *m_outerSplitter = nullptr;
    QSplitter *m_sessionSplitter = nullptr;
    QTableView *m_usersView = nullptr;
    QTableView *m_sessionsView = nullptr;
    QTreeView *m_payloadView = nullptr;
    QTreeView *m_settingsView = nullptr;
    QComboBox *m_policyChooser = nullptr;
    QLabel *m_policySummary = nullptr;
    QLabel *m_settingsDetails = nullptr;
    QTableView *m_auditView = nullptr;
    AuditFilterModel *m_auditFilter = nullptr;
    QComboBox *m_auditActionFilter = nullptr;
    QComboBox *m_auditTargetFilter = nullptr;
    QLineEdit *m_auditTextFilter = nullptr;
    QCheckBox *m_auditDateFilter = nullptr;
    QDateEdit *m_auditFrom = nullptr;
    QDateEdit *m_auditTo = nullptr;
    QPushButton *m_auditVerifyButton = nullptr;
    QLineEdit *m_searchEdit = nullptr;
    QLineEdit *m_usersFilter = nullptr;
    QLineEdit *m_sessionsFilter = nullptr;
    QLabel *m_searchResultLabel = nullptr;
    QLabel *m_usersStatus = nullptr;
    QLabel *m_sessionsHeader = nullptr;
    QLabel *m_payloadHeader = nullptr;
    QLabel *m_auditIntegrity = nullptr;
    QLabel *m_emptyState = nullptr;
    QLabel *m_statusServer = nullptr;
    QLabel *m_statusMode = nullptr;
    QToolButton *m_statusLayout = nullptr; // the layout in use; its menu chooses another
    QPushButton *m_revealButton = nullptr;

    QAction *m_refreshAction = nullptr;
    QAction *m_allowChangesAction = nullptr;
    QAction *m_revokeAction = nullptr;
    QAction *m_logoutAction = nullptr;
    QAction *m_destroyAllAction = nullptr;
    QAction *m_revealAction = nullptr;
    QAction *m_exportAction = nullptr;
    QAction *m_exportEvidenceAction = nullptr;
    QAction *m_findAction = nullptr;
    QAction *m_copyIdAction = nullptr;
    QAction *m_copyUserAction = nullptr;
    QAction *m_copyValueAction = nullptr;
    QAction *m_newConnectionAction = nullptr;
    QAction *m_editConnectionAction = nullptr;
    QAction *m_removeConnectionAction = nullptr;
    QAction *m_forgetPasswordsAction = nullptr;
    QAction *m_disconnectAction = nullptr;
    QAction *m_shortcutsAction = nullptr;
    QAction *m_demoAction = nullptr;
    QAction *m_changelogAction = nullptr;
    QAction *m_aboutAction = nullptr;
    QAction *m_quitAction = nullptr;
    QList<QAction *> m_tabActions;
    QMenu *m_sessionColumnsMenu = nullptr;
    QList<QAction *> m_sessionColumnActions; // by column; none for the session id
};

} // namespace SessionDesk
