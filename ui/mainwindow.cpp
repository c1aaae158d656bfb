#include "mainwindow.h"

#include "aboutdialog.h"
#include "auditlogmodel.h"
#include "connectiondialog.h"
#include "connectionsmodel.h"
#include "destroyalldialog.h"
#include "dialogs.h"
#include "evidenceexport.h"
#include "messagebanner.h"
#include "passworddialog.h"
#include "payloadmodel.h"
#include "sessionsmodel.h"
#include "settingsmodel.h"
#include "shortcutsdialog.h"
#include "systemsettings.h"
#include "usersmodel.h"
#include "valuetree.h"
#include "verdictdelegate.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateEdit>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QLocale>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace SessionDesk {

namespace {

QString g_nextSaveFileName;
QString g_nextOpenFileName;

// Secrets copied to the clipboard are marked as such for clipboard managers and cleared after
// this long, unless something else was copied meanwhile.
constexpr int kClipboardClearMs = 30000;

QString shortId(const QByteArray &id)
{
    const QString shown = displayBytes(id);
    return shown.size() > 12 ? shown.left(8) + QStringLiteral("…") : shown;
}

QTableView *makeTable(QWidget *parent, const QString &objectName, const QString &accessibleName)
{
    auto *view = new QTableView(parent);
    view->setObjectName(objectName);
    view->setAccessibleName(accessibleName);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSortingEnabled(true);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 8);
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setHighlightSections(false);
    return view;
}

// Initial widths that show a typical value whole (and the header with its sort arrow), so that
// dates, counts and addresses are not cut off before the operator touches a column. Columns
// that stretch keep doing so; a saved header, restored afterwards, wins.
void fitColumnsToTypicalText(QTableView *view, QString (*typicalText)(int column))
{
    QHeaderView *header = view->horizontalHeader();
    const int padding =
        2 * (view->style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, view) + 1) + 8;
    const int last = header->count() - 1;
    for (int column = 0; column <= last; ++column) {
        if (header->sectionResizeMode(column) != QHeaderView::Interactive
            || (column == last && header->stretchLastSection()))
            continue;
        const int text = view->fontMetrics().horizontalAdvance(typicalText(column)) + padding;
        header->resizeSection(column, std::max(header->sectionSizeHint(column), text));
    }
}

QLabel *makeHeading(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    QFont font = label->font();
    font.setBold(true);
    label->setFont(font);
    return label;
}

QString saveFileName(QWidget *parent, const QString &title, const QString &filter)
{
    if (!g_nextSaveFileName.isEmpty())
        return std::exchange(g_nextSaveFileName, QString());
    return QFileDialog::getSaveFileName(parent, title, QString(), filter);
}

} // namespace

void MainWindow::setNextSaveFileName(const QString &fileName)
{
    g_nextSaveFileName = fileName;
}

void MainWindow::setNextOpenFileName(const QString &fileName)
{
    g_nextOpenFileName = fileName;
}

MainWindow::MainWindow(Options options, QWidget *parent)
    : QMainWindow(parent)
    , m_options(std::move(options))
    , m_settings(std::make_unique<QSettings>(m_options.settingsPath, QSettings::IniFormat))
{
    setObjectName(QStringLiteral("mainWindow"));
    if (m_options.forcedReadOnlyReason.isEmpty())
        m_options.forcedReadOnlyReason = SystemSettings::load().readOnlyReason();
    setWindowIcon(QIcon(QStringLiteral(":/icons/sessiondesk.svg")));
    m_payload = new PayloadModel(this);
    m_connectionsModel = new ConnectionsModel(this);
    m_settingsModel = new SettingsModel(this);
    m_audit = new AuditLogModel(m_options.auditLogPath, this);
    connect(m_audit, &AuditLogModel::reloaded, this, &MainWindow::onAuditReloaded);
    createActions();
    createWidgets();
    createMenus();
    reloadProfiles();
    reloadAudit(true);

    restoreGeometry(m_settings->value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(m_settings->value(QStringLiteral("window/state")).toByteArray());
    m_outerSplitter->restoreState(m_settings->value(QStringLiteral("window/outer")).toByteArray());
    m_sessionSplitter->restoreState(
        m_settings->value(QStringLiteral("window/sessions")).toByteArray());
    if (!m_settings->contains(QStringLiteral("window/geometry")))
        resize(1280, 760);
    updateActions();
    updateTitle();
}

MainWindow::~MainWindow() = default;

QList<QAction *> MainWindow::allActions() const
{
    QList<QAction *> actions = {m_findAction,
                                m_refreshAction,
                                m_allowChangesAction,
                                m_revokeAction,
                                m_logoutAction,
                                m_destroyAllAction,
                                m_revealAction,
                                m_copyIdAction,
                                m_copyUserAction,
                                m_copyValueAction,
                                m_exportAction,
                                m_exportEvidenceAction,
                                m_newConnectionAction,
                                m_editConnectionAction,
                                m_removeConnectionAction,
                                m_forgetPasswordsAction,
                                m_disconnectAction};
    actions << m_tabActions << m_shortcutsAction << m_quitAction;
    return actions;
}

void MainWindow::createActions()
{
    const auto make = [this](const QString &text, const QString &objectName,
                             const QKeySequence &shortcut, const QString &icon = QString()) {
        auto *action = new QAction(text, this);
        action->setObjectName(objectName);
        if (!shortcut.isEmpty())
            action->setShortcut(shortcut);
        if (!icon.isEmpty())
            action->setIcon(QIcon(QStringLiteral(":/icons/%1.svg").arg(icon)));
        addAction(action); // shortcuts work wherever the focus is
        return action;
    };
    m_findAction = make(tr("&Find user, session or cookie"), QStringLiteral("actionFind"),
                        QKeySequence::Find, QStringLiteral("search"));
    m_refreshAction = make(tr("&Refresh"), QStringLiteral("actionRefresh"), QKeySequence::Refresh,
                           QStringLiteral("refresh"));
    m_allowChangesAction = make(tr("&Allow changes"), QStringLiteral("actionAllowChanges"),
                                QKeySequence(tr("Ctrl+Shift+W")), QStringLiteral("unlock"));
    m_allowChangesAction->setCheckable(true);
    m_revokeAction = make(tr("Re&voke session"), QStringLiteral("actionRevoke"),
                          QKeySequence::Delete, QStringLiteral("revoke"));
    m_logoutAction = make(tr("&Log out user everywhere…"), QStringLiteral("actionLogoutUser"),
                          QKeySequence(tr("Ctrl+Shift+L")), QStringLiteral("logout-user"));
    m_destroyAllAction = make(tr("&Destroy all sessions…"), QStringLiteral("actionDestroyAll"),
                              QKeySequence(tr("Ctrl+Shift+Del")), QStringLiteral("destroy-all"));
    m_revealAction = make(tr("Reveal &secrets…"), QStringLiteral("actionReveal"),
                          QKeySequence(tr("Ctrl+R")), QStringLiteral("reveal"));
    m_copyIdAction = make(tr("Copy session &id"), QStringLiteral("actionCopyId"),
                          QKeySequence::Copy, QStringLiteral("copy"));
    m_copyUserAction =
        make(tr("Copy &user"), QStringLiteral("actionCopyUser"), QKeySequence(tr("Ctrl+Shift+C")));
    m_copyValueAction = make(tr("Copy payload &value"), QStringLiteral("actionCopyValue"),
                             QKeySequence(tr("Ctrl+Alt+C")));
    m_exportAction = make(tr("&Export visible sessions…"), QStringLiteral("actionExport"),
                          QKeySequence(tr("Ctrl+E")), QStringLiteral("export"));
    m_exportEvidenceAction = make(tr("Export e&vidence…"), QStringLiteral("actionExportEvidence"),
                                  QKeySequence(tr("Ctrl+Shift+E")), QStringLiteral("audit"));
    m_newConnectionAction = make(tr("&New connection…"), QStringLiteral("actionNewConnection"),
                                 QKeySequence::New, QStringLiteral("new-connection"));
    m_editConnectionAction =
        make(tr("&Edit connection…"), QStringLiteral("actionEditConnection"), QKeySequence());
    m_removeConnectionAction =
        make(tr("Re&move connection"), QStringLiteral("actionRemoveConnection"), QKeySequence());
    m_forgetPasswordsAction = make(tr("&Forget saved passwords"),
                                   QStringLiteral("actionForgetPasswords"), QKeySequence());
    m_disconnectAction =
        make(tr("&Disconnect"), QStringLiteral("actionDisconnect"), QKeySequence(tr("Ctrl+W")));
    m_shortcutsAction =
        make(tr("&Keyboard shortcuts"), QStringLiteral("actionShortcuts"), QKeySequence(tr("F1")));
    m_quitAction = make(tr("&Quit"), QStringLiteral("actionQuit"), QKeySequence::Quit);
    m_demoAction =
        make(tr("Try the &demo store"), QStringLiteral("actionDemoStore"), QKeySequence());
    m_changelogAction = make(tr("&What is new"), QStringLiteral("actionChangelog"), QKeySequence());
    m_aboutAction = make(tr("&About SessionDesk"), QStringLiteral("actionAbout"), QKeySequence());
    m_aboutAction->setMenuRole(QAction::AboutRole);
    const QStringList tabNames = {tr("&Sessions"), tr("Store se&ttings"), tr("&Audit log")};
    for (int i = 0; i < tabNames.size(); ++i) {
        QAction *action = make(tabNames.at(i), QStringLiteral("actionTab%1").arg(i + 1),
                               QKeySequence(tr("Ctrl+%1").arg(i + 1)));
        connect(action, &QAction::triggered, this, [this, i] { m_tabs->setCurrentIndex(i); });
        m_tabActions << action;
    }
    // Which session columns are shown: kept in the settings by name, so that a column added
    // later does not inherit another's choice.
    const QStringList columnNames = {QString(),
                                     QStringLiteral("user"),
                                     QStringLiteral("started"),
                                     QStringLiteral("lastAccess"),
                                     QStringLiteral("ttl"),
                                     QStringLiteral("expires"),
                                     QStringLiteral("size"),
                                     QStringLiteral("device")};
    Q_ASSERT(columnNames.size() == SessionsModel::ColumnCount);
    const QStringList hidden =
        m_settings->value(QStringLiteral("window/hiddenSessionColumns")).toStringList();
    m_sessionColumnActions.append(nullptr); // the session id is always shown
    for (int column = 1; column < SessionsModel::ColumnCount; ++column) {
        auto *action = new QAction(SessionsModel::columnTitle(column), this);
        action->setObjectName(QStringLiteral("actionSessionColumn_") + columnNames.at(column));
        action->setCheckable(true);
        action->setChecked(!hidden.contains(columnNames.at(column)));
        connect(action, &QAction::toggled, this, [this, columnNames] {
            QStringList names;
            for (int c = 1; c < m_sessionColumnActions.size(); ++c) {
                if (!m_sessionColumnActions.at(c)->isChecked())
                    names << columnNames.at(c);
            }
            m_settings->setValue(QStringLiteral("window/hiddenSessionColumns"), names);
            applySessionColumns();
        });
        m_sessionColumnActions.append(action);
    }

    connect(m_findAction, &QAction::triggered, this, [this] {
        m_searchEdit->setFocus();
        m_searchEdit->selectAll();
    });
    connect(m_refreshAction, &QAction::triggered, this, &MainWindow::refresh);
    connect(m_allowChangesAction, &QAction::toggled, this, &MainWindow::toggleWrites);
    connect(m_revokeAction, &QAction::triggered, this, &MainWindow::revokeSelected);
    connect(m_logoutAction, &QAction::triggered, this, &MainWindow::logoutUser);
    connect(m_destroyAllAction, &QAction::triggered, this, &MainWindow::destroyAll);
    connect(m_revealAction, &QAction::triggered, this, &MainWindow::revealSecrets);
    connect(m_copyIdAction, &QAction::triggered, this, [this] { copySelected(false); });
    connect(m_copyUserAction, &QAction::triggered, this, [this] { copySelected(true); });
    connect(m_copyValueAction, &QAction::triggered, this, &MainWindow::copyPayloadValue);
    connect(m_exportAction, &QAction::triggered, this, &MainWindow::exportSessions);
    connect(m_exportEvidenceAction, &QAction::triggered, this, &MainWindow::exportEvidence);
    connect(m_newConnectionAction, &QAction::triggered, this, &MainWindow::newConnection);
    connect(m_editConnectionAction, &QAction::triggered, this, &MainWindow::editConnection);
    connect(m_removeConnectionAction, &QAction::triggered, this, &MainWindow::removeConnection);
    connect(m_forgetPasswordsAction, &QAction::triggered, this, &MainWindow::forgetSavedPasswords);
    connect(m_disconnectAction, &QAction::triggered, this, &MainWindow::closeStore);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);
    connect(m_shortcutsAction, &QAction::triggered, this, [this] {
        ShortcutsDialog dialog(allActions(), this);
        dialog.exec();
    });
    connect(m_demoAction, &QAction::triggered, this, &MainWindow::openDemoStore);
    connect(m_changelogAction, &QAction::triggered, this, [this] {
        auto *dialog = new ChangelogDialog(this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->show();
    });
    connect(m_aboutAction, &QAction::triggered, this, &MainWindow::showAbout);
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_exportAction);
    file->addAction(m_exportEvidenceAction);
    file->addSeparator();
    file->addAction(m_quitAction);
    QMenu *connection = menuBar()->addMenu(tr("&Connection"));
    connection->addActions({m_newConnectionAction, m_editConnectionAction, m_removeConnectionAction,
                            m_forgetPasswordsAction, m_disconnectAction});
    connection->addSeparator();
    connection->addActions({m_refreshAction, m_allowChangesAction});
    QMenu *session = menuBar()->addMenu(tr("&Session"));
    session->addActions({m_findAction, m_revokeAction, m_logoutAction});
    session->addSeparator();
    session->addActions({m_revealAction, m_copyIdAction, m_copyUserAction, m_copyValueAction});
    session->addSeparator();
    session->addAction(m_destroyAllAction);
    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addActions(m_tabActions);
    view->addSeparator();
    m_sessionColumnsMenu = view->addMenu(tr("Session &columns"));
    m_sessionColumnsMenu->setObjectName(QStringLiteral("sessionColumnsMenu"));
    m_sessionColumnsMenu->addActions(m_sessionColumnActions.mid(1));
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addActions({m_shortcutsAction, m_demoAction});
    help->addSeparator();
    help->addActions({m_changelogAction, m_aboutAction});

    QToolBar *toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(QStringLiteral("mainToolBar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->addActions({m_refreshAction, m_allowChangesAction});
    toolbar->addSeparator();
    toolbar->addActions({m_revokeAction, m_logoutAction});
    toolbar->addSeparator();
    toolbar->addAction(m_destroyAllAction);
    auto *spacer = new QWidget(toolbar);
    spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    toolbar->addWidget(spacer);
    toolbar->addWidget(m_searchEdit);
}

void MainWindow::createWidgets()
{
    m_searchEdit = new QLineEdit(this);
    m_searchEdit->setObjectName(QStringLiteral("searchEdit"));
    m_searchEdit->setAccessibleName(tr("Search"));
    m_searchEdit->setPlaceholderText(tr("User, session id or pasted cookie (Ctrl+F)"));
    m_searchEdit->setClearButtonEnabled(true);
    m_searchEdit->setMinimumWidth(320);
    connect(m_searchEdit, &QLineEdit::returnPressed, this,
            [this] { search(m_searchEdit->text()); });

    auto *central = new QWidget(this);
    auto *centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(4, 4, 4, 4);
    m_banner = new MessageBanner(central);
    m_banner->setObjectName(QStringLiteral("banner"));
    centralLayout->addWidget(m_banner);
    m_searchResultLabel = new QLabel(central);
    m_searchResultLabel->setObjectName(QStringLiteral("searchResultLabel"));
    m_searchResultLabel->setTextFormat(Qt::PlainText);
    m_searchResultLabel->hide();
    centralLayout->addWidget(m_searchResultLabel);

    m_outerSplitter = new QSplitter(Qt::Horizontal, central);
    centralLayout->addWidget(m_outerSplitter, 1);

    // Connections
    auto *connectionsPane = new QWidget(m_outerSplitter);
    auto *connectionsLayout = new QVBoxLayout(connectionsPane);
    connectionsLayout->setContentsMargins(0, 0, 0, 0);
    connectionsLayout->addWidget(makeHeading(tr("Connections"), connectionsPane));
    m_connections = new QListView(connectionsPane);
    m_connections->setModel(m_connectionsModel);
    m_connections->setObjectName(QStringLiteral("connectionsList"));
    m_connections->setAccessibleName(tr("Saved connections"));
    m_connections->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_connections->addActions({m_newConnectionAction, m_editConnectionAction,
                               m_removeConnectionAction, m_forgetPasswordsAction});
    connectionsLayout->addWidget(m_connections);
    connect(m_connections, &QListView::activated, this, [this](const QModelIndex &index) {
        openSaved(m_connectionsModel->profileAt(index.row()));
    });
    connect(m_connections->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &MainWindow::updateActions);

    // Tabs
    m_tabs = new QTabWidget(m_outerSplitter);
    m_tabs->setObjectName(QStringLiteral("tabs"));
    m_tabs->setTabPosition(QTabWidget::South);
    m_outerSplitter->setStretchFactor(1, 1);

    // Sessions tab: users | sessions | payload
    m_sessionSplitter = new QSplitter(Qt::Horizontal, m_tabs);
    m_tabs->addTab(m_sessionSplitter, tr("Sessions"));

    auto *usersPane = new QWidget(m_sessionSplitter);
    auto *usersLayout = new QVBoxLayout(usersPane);
    usersLayout->setContentsMargins(0, 0, 0, 0);
    usersLayout->addWidget(makeHeading(tr("Users"), usersPane));
    m_usersFilter = new QLineEdit(usersPane);
    m_usersFilter->setObjectName(QStringLiteral("usersFilter"));
    m_usersFilter->setAccessibleName(tr("Filter users"));
    m_usersFilter->setPlaceholderText(tr("Filter users"));
    m_usersFilter->setClearButtonEnabled(true);
    usersLayout->addWidget(m_usersFilter);
    m_usersView = makeTable(usersPane, QStringLiteral("usersView"), tr("Users"));
    m_usersView->setSelectionMode(QAbstractItemView::SingleSelection);
    usersLayout->addWidget(m_usersView, 1);
    m_usersStatus = new QLabel(usersPane);
    m_usersStatus->setObjectName(QStringLiteral("usersStatus"));
    m_usersStatus->setWordWrap(true);
    usersLayout->addWidget(m_usersStatus);

    auto *sessionsPane = new QWidget(m_sessionSplitter);
    auto *sessionsLayout = new QVBoxLayout(sessionsPane);
    sessionsLayout->setContentsMargins(0, 0, 0, 0);
    m_sessionsHeader = makeHeading(tr("Sessions"), sessionsPane);
    m_sessionsHeader->setObjectName(QStringLiteral("sessionsHeader"));
    sessionsLayout->addWidget(m_sessionsHeader);
    m_sessionsFilter = new QLineEdit(sessionsPane);
    m_sessionsFilter->setObjectName(QStringLiteral("sessionsFilter"));
    m_sessionsFilter->setAccessibleName(tr("Filter loaded sessions"));
    m_sessionsFilter->setPlaceholderText(tr("Filter loaded sessions"));
    m_sessionsFilter->setClearButtonEnabled(true);
    sessionsLayout->addWidget(m_sessionsFilter);
    m_sessionsView = makeTable(sessionsPane, QStringLiteral("sessionsView"), tr("Sessions"));
    m_sessionsView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_sessionsView->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_sessionsView->addActions(
        {m_revokeAction, m_logoutAction, m_copyIdAction, m_copyUserAction, m_exportAction});
    sessionsLayout->addWidget(m_sessionsView, 1);
    QHeaderView *sessionsHeader = m_sessionsView->horizontalHeader();
    sessionsHeader->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(sessionsHeader, &QWidget::customContextMenuRequested, this,
            [this, sessionsHeader](const QPoint &at) {
                m_sessionColumnsMenu->popup(sessionsHeader->mapToGlobal(at));
            });
    m_emptyState = new QLabel(sessionsPane);
    m_emptyState->setObjectName(QStringLiteral("emptyState"));
    m_emptyState->setWordWrap(true);
    m_emptyState->setAlignment(Qt::AlignCenter);
    sessionsLayout->addWidget(m_emptyState);

    auto *payloadPane = new QWidget(m_sessionSplitter);
    auto *payloadLayout = new QVBoxLayout(payloadPane);
    payloadLayout->setContentsMargins(0, 0, 0, 0);
    m_payloadHeader = makeHeading(tr("Payload"), payloadPane);
    m_payloadHeader->setObjectName(QStringLiteral("payloadHeader"));
    m_payloadHeader->setWordWrap(true);
    payloadLayout->addWidget(m_payloadHeader);
    m_payloadView = new QTreeView(payloadPane);
    m_payloadView->setObjectName(QStringLiteral("payloadView"));
    m_payloadView->setAccessibleName(tr("Session payload"));
    m_payloadView->setModel(m_payload);
    m_payloadView->setAlternatingRowColors(true);
    m_payloadView->setUniformRowHeights(true);
    // Values get the room; a type name needs little.
    m_payloadView->header()->setStretchLastSection(false);
    m_payloadView->header()->setSectionResizeMode(PayloadModel::ValueColumn, QHeaderView::Stretch);
    m_payloadView->header()->setSectionResizeMode(PayloadModel::TypeColumn,
                                                  QHeaderView::ResizeToContents);
    m_payloadView->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_payloadView->addActions({m_revealAction, m_copyValueAction});
    payloadLayout->addWidget(m_payloadView, 1);
    auto *payloadButtons = new QHBoxLayout;
    m_revealButton = new QPushButton(m_revealAction->icon(), tr("Reveal secrets…"), payloadPane);
    m_revealButton->setObjectName(QStringLiteral("revealButton"));
    m_revealButton->setAccessibleName(tr("Reveal masked secrets, recorded in the audit log"));
    connect(m_revealButton, &QPushButton::clicked, m_revealAction, &QAction::trigger);
    payloadButtons->addStretch(1);
    payloadButtons->addWidget(m_revealButton);
    payloadLayout->addLayout(payloadButtons);
    // Room for an e-mail address and its count, a session's main columns, and a payload.
    m_sessionSplitter->setStretchFactor(0, 5);
    m_sessionSplitter->setStretchFactor(1, 8);
    m_sessionSplitter->setStretchFactor(2, 6);

    // Store settings tab: facts grouped, verdicts of the chosen policy, details of the selection.
    auto *settingsPane = new QWidget(m_tabs);
    auto *settingsLayout = new QVBoxLayout(settingsPane);
    auto *policyRow = new QHBoxLayout;
    auto *policyLabel = new QLabel(tr("&Policy:"), settingsPane);
    m_policyChooser = new QComboBox(settingsPane);
    m_policyChooser->setObjectName(QStringLiteral("policyChooser"));
    m_policyChooser->setAccessibleName(tr("Policy to check the settings against"));
    m_policyChooser->addItem(tr("No policy"), QString());
    for (const QString &preset : Policy::presetNames())
        m_policyChooser->addItem(preset, preset);
    m_policyChooser->addItem(tr("Open policy file…"), QStringLiteral("<file>"));
    policyLabel->setBuddy(m_policyChooser);
    connect(m_policyChooser, &QComboBox::activated, this, &MainWindow::onPolicyChosen);
    m_policySummary = new QLabel(settingsPane);
    m_policySummary->setObjectName(QStringLiteral("policySummary"));
    m_policySummary->setTextFormat(Qt::PlainText);
    m_policySummary->setWordWrap(true);
    policyRow->addWidget(policyLabel);
    policyRow->addWidget(m_policyChooser);
    policyRow->addWidget(m_policySummary, 1);
    settingsLayout->addLayout(policyRow);
    auto *settingsSplitter = new QSplitter(Qt::Vertical, settingsPane);
    m_settingsView = new QTreeView(settingsSplitter);
    m_settingsView->setObjectName(QStringLiteral("settingsView"));
    m_settingsView->setAccessibleName(tr("Store settings"));
    m_settingsView->setModel(m_settingsModel);
    m_settingsView->setAlternatingRowColors(true);
    m_settingsView->setUniformRowHeights(true);
    m_settingsView->setItemDelegateForColumn(SettingsModel::VerdictColumn,
                                             new VerdictDelegate(m_settingsView));
    m_settingsDetails = new QLabel(settingsSplitter);
    m_settingsDetails->setObjectName(QStringLiteral("settingsDetails"));
    m_settingsDetails->setTextFormat(Qt::PlainText);
    m_settingsDetails->setWordWrap(true);
    m_settingsDetails->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_settingsDetails->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_settingsDetails->setText(tr("Select a setting to see where it comes from and, with a "
                                  "policy, the rules about it and their evidence."));
    settingsSplitter->setStretchFactor(0, 4);
    settingsSplitter->setStretchFactor(1, 1);
    settingsLayout->addWidget(settingsSplitter, 1);
    connect(m_settingsView->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) {
                const QString details = current.data(SettingsModel::DetailsRole).toString();
                if (!details.isEmpty())
                    m_settingsDetails->setText(details);
            });
    connect(m_settingsModel, &QAbstractItemModel::modelReset, this, [this] {
        m_settingsView->expandAll();
        m_settingsView->resizeColumnToContents(SettingsModel::SettingColumn);
        m_settingsView->resizeColumnToContents(SettingsModel::ValueColumn);
        QString summary = m_settingsModel->summaryText();
        if (!m_settingsModel->policyError().isEmpty())
            summary = m_settingsModel->policyError();
        m_policySummary->setText(summary);
    });
    m_tabs->addTab(settingsPane, tr("Store settings"));

    // Audit log tab: filters, the records, and a Verify button with its result.
    auto *auditPane = new QWidget(m_tabs);
    auto *auditLayout = new QVBoxLayout(auditPane);
    auto *filters = new QHBoxLayout;
    m_auditActionFilter = new QComboBox(auditPane);
    m_auditActionFilter->setObjectName(QStringLiteral("auditActionFilter"));
    m_auditActionFilter->setAccessibleName(tr("Filter by action"));
    m_auditTargetFilter = new QComboBox(auditPane);
    m_auditTargetFilter->setObjectName(QStringLiteral("auditTargetFilter"));
    m_auditTargetFilter->setAccessibleName(tr("Filter by target"));
    m_auditActionFilter->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_auditTargetFilter->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_auditTextFilter = new QLineEdit(auditPane);
    m_auditTextFilter->setObjectName(QStringLiteral("auditTextFilter"));
    m_auditTextFilter->setAccessibleName(tr("Filter by text"));
    m_auditTextFilter->setPlaceholderText(tr("Operator, reason, user, …"));
    m_auditTextFilter->setClearButtonEnabled(true);
    m_auditDateFilter = new QCheckBox(tr("&From"), auditPane);
    m_auditDateFilter->setObjectName(QStringLiteral("auditDateFilter"));
    m_auditFrom = new QDateEdit(QDate::currentDate().addDays(-30), auditPane);
    m_auditFrom->setObjectName(QStringLiteral("auditFromFilter"));
    m_auditFrom->setAccessibleName(tr("From date"));
    m_auditFrom->setCalendarPopup(true);
    m_auditTo = new QDateEdit(QDate::currentDate(), auditPane);
    m_auditTo->setObjectName(QStringLiteral("auditToFilter"));
    m_auditTo->setAccessibleName(tr("To date"));
    m_auditTo->setCalendarPopup(true);
    m_auditFrom->setEnabled(false);
    m_auditTo->setEnabled(false);
    m_auditVerifyButton = new QPushButton(tr("&Verify"), auditPane);
    m_auditVerifyButton->setObjectName(QStringLiteral("auditVerifyButton"));
    m_auditVerifyButton->setAccessibleName(tr("Verify the audit log's hash chain"));
    m_auditVerifyButton->setToolTip(tr("Check that no record was edited, removed, inserted or "
                                       "reordered"));
    filters->addWidget(new QLabel(tr("Action:"), auditPane));
    filters->addWidget(m_auditActionFilter);
    filters->addWidget(new QLabel(tr("Target:"), auditPane));
    filters->addWidget(m_auditTargetFilter);
    filters->addWidget(m_auditTextFilter, 1);
    filters->addWidget(m_auditDateFilter);
    filters->addWidget(m_auditFrom);
    filters->addWidget(new QLabel(tr("to"), auditPane));
    filters->addWidget(m_auditTo);
    filters->addWidget(m_auditVerifyButton);
    auditLayout->addLayout(filters);
    m_auditIntegrity = new QLabel(auditPane);
    m_auditIntegrity->setObjectName(QStringLiteral("auditIntegrity"));
    m_auditIntegrity->setTextFormat(Qt::PlainText);
    m_auditIntegrity->setWordWrap(true);
    m_auditIntegrity->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auditLayout->addWidget(m_auditIntegrity);
    m_auditFilter = new AuditFilterModel(this);
    m_auditFilter->setSourceModel(m_audit);
    m_auditView = makeTable(auditPane, QStringLiteral("auditView"), tr("Audit log"));
    m_auditView->setModel(m_auditFilter);
    m_auditView->setSortingEnabled(false);
    auditLayout->addWidget(m_auditView, 1);
    m_tabs->addTab(auditPane, tr("Audit log"));
    connect(m_auditActionFilter, &QComboBox::currentIndexChanged, this,
            [this] { m_auditFilter->setAction(m_auditActionFilter->currentData().toString()); });
    connect(m_auditTargetFilter, &QComboBox::currentIndexChanged, this,
            [this] { m_auditFilter->setTarget(m_auditTargetFilter->currentData().toString()); });
    connect(m_auditTextFilter, &QLineEdit::textChanged, m_auditFilter, &AuditFilterModel::setText);
    const auto applyDates = [this] {
        const bool on = m_auditDateFilter->isChecked();
        m_auditFrom->setEnabled(on);
        m_auditTo->setEnabled(on);
        m_auditFilter->setDateRange(on ? m_auditFrom->date() : QDate(),
                                    on ? m_auditTo->date() : QDate());
    };
    connect(m_auditDateFilter, &QCheckBox::toggled, this, applyDates);
    connect(m_auditFrom, &QDateEdit::dateChanged, this, applyDates);
    connect(m_auditTo, &QDateEdit::dateChanged, this, applyDates);
    connect(m_auditVerifyButton, &QPushButton::clicked, this, &MainWindow::verifyAuditLog);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int index) {
        if (index == 2)
            reloadAudit(true);
    });

    m_outerSplitter->setSizes({200, 1080});
    setCentralWidget(central);

    m_statusServer = new QLabel(this);
    m_statusServer->setObjectName(QStringLiteral("statusServer"));
    m_statusMode = new QLabel(this);
    m_statusMode->setObjectName(QStringLiteral("statusMode"));
    m_statusLayout = new QToolButton(this);
    m_statusLayout->setObjectName(QStringLiteral("statusLayout"));
    m_statusLayout->setAccessibleName(tr("Session layout"));
    m_statusLayout->setAutoRaise(true);
    m_statusLayout->setPopupMode(QToolButton::InstantPopup);
    auto *layoutMenu = new QMenu(m_statusLayout);
    layoutMenu->setObjectName(QStringLiteral("layoutMenu"));
    // Built when shown: the presets that fit the open store's kind, the current one checked.
    connect(layoutMenu, &QMenu::aboutToShow, this, [this, layoutMenu] {
        layoutMenu->clear();
        if (!m_client)
            return;
        const bool dynamo = m_client->layout().forDynamoDb;
        QStringList names;
        if (!dynamo)
            names << SessionLayout::kAuto;
        for (const QString &name : SessionLayout::presetNames()) {
            const auto preset = SessionLayout::preset(name);
            if (preset && preset->forDynamoDb == dynamo)
                names << name;
        }
        for (const QString &name : std::as_const(names)) {
            const auto preset = SessionLayout::preset(name);
            QAction *action = layoutMenu->addAction(
                name == SessionLayout::kAuto ? tr("Detect automatically") : name);
            action->setObjectName(QStringLiteral("layout-") + name);
            action->setToolTip(preset ? preset->description : QString());
            action->setCheckable(true);
            action->setChecked(name == m_profile.schema && m_profile.schemaFile.isEmpty());
            connect(action, &QAction::triggered, this, [this, name] { chooseLayout(name); });
        }
    });
    m_statusLayout->setMenu(layoutMenu);
    m_statusLayout->hide();
    statusBar()->addPermanentWidget(m_statusLayout);
    statusBar()->addPermanentWidget(m_statusServer);
    statusBar()->addPermanentWidget(m_statusMode);
}

void MainWindow::updateLayoutStatus()
{
    if (!m_client) {
        m_statusLayout->hide();
        return;
    }
    const SessionLayout &layout = m_client->layout();
    const QString note = m_client->layoutNote();
    if (layout.isAuto()) {
        m_statusLayout->setText(tr("Layout: detecting…"));
        m_statusLayout->setToolTip(tr("The session layout is detected when the store connects; "
                                      "click to choose one."));
    } else {
        m_statusLayout->setText(note.isEmpty() ? tr("Layout: %1").arg(layout.schema)
                                               : tr("Layout: %1 (detected)").arg(layout.schema));
        m_statusLayout->setToolTip((note.isEmpty() ? layout.description : note) + u'\n'
                                   + tr("Click to choose another layout."));
    }
    m_statusLayout->show();
}

void MainWindow::chooseLayout(const QString &schema)
{
    if (!m_client)
        return;
    ConnectionProfile profile = m_profile;
    profile.schema = schema;
    profile.schemaFile.clear();
    for (ConnectionProfile &saved : m_profiles) {
        if (saved.name == profile.name) {
            saved.schema = schema;
            saved.schemaFile.clear();
            saveProfiles();
            break;
        }
    }
    openStore(profile, m_password);
}

void MainWindow::reloadProfiles()
{
    // The model is reset: the selected connection is selected again (by name), so that Edit and
    // Remove stay at hand after, say, a password was saved.
    const QModelIndex current = m_connections->currentIndex();
    const QString selected =
        current.isValid() ? m_connectionsModel->profileAt(current.row()).name : QString();
    m_profiles = ConnectionProfile::load(*m_settings);
    m_connectionsModel->setProfiles(m_profiles);
    if (const int row = selected.isEmpty() ? -1 : m_connectionsModel->rowOf(selected); row >= 0)
        m_connections->setCurrentIndex(m_connectionsModel->index(row));
    updateActions();
}

void MainWindow::saveProfiles()
{
    ConnectionProfile::save(*m_settings, m_profiles);
    m_settings->sync();
    reloadProfiles();
}

void MainWindow::openProfile(const QString &name, bool forceReadOnly)
{
    if (const ConnectionProfile *found = ConnectionProfile::find(m_profiles, name)) {
        ConnectionProfile profile = *found;
        profile.readOnlyLocked = profile.readOnlyLocked || forceReadOnly;
        openSaved(profile);
        return;
    }
    showError(tr("There is no saved connection named “%1”.").arg(name));
}

void MainWindow::openStore(const ConnectionProfile &profile, const QString &password)
{
    auto config = profile.toConfig(password);
    if (!config) {
        showError(config.error().message);
        return;
    }
    auto layout = profile.toLayout();
    if (!layout) {
        showError(layout.error().message);
        return;
    }
    closeStore();
    if (m_sentinel && m_sentinel->owner != profile.name + u'\n' + profile.url)
        m_sentinel.reset(); // read or typed for another store
    if (m_sentinel)
        config->sentinelPassword = m_sentinel->password;
    m_profile = profile;
    m_passwordSource = config->password.isEmpty() ? PasswordSource::None : PasswordSource::Given;
    m_rememberTyped = false;
    m_keychainProblem.clear();
    if (!m_options.forcedReadOnlyReason.isEmpty()) {
        m_profile.readOnlyLocked = true;
        config->readOnly = true;
    }
    // A connection opened from the command line is listed while open, not saved.
    m_connectionsModel->setTransient(profile);
    m_connectionsModel->setOpen(profile.name);
    m_connections->setCurrentIndex(
        m_connectionsModel->index(m_connectionsModel->rowOf(profile.name)));
    m_password = config->password;
    m_client = std::make_unique<StoreClient>(*config, *layout, m_options.auditLogPath);
    if (!m_options.forcedReadOnlyReason.isEmpty()) {
        m_banner->showMessage(
            tr("This connection is read-only: %1.").arg(m_options.forcedReadOnlyReason),
            MessageBanner::Kind::Info);
    }
    m_users = new UsersModel(m_client.get(), this);
    m_sessions = new SessionsModel(m_client.get(), this);
    m_usersProxy = new QSortFilterProxyModel(this);
    m_usersProxy->setSourceModel(m_users);
    m_usersProxy->setSortRole(UsersModel::SortRole);
    m_usersProxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_usersProxy->setFilterKeyColumn(UsersModel::UserColumn);
    m_sessionsProxy = new QSortFilterProxyModel(this);
    m_sessionsProxy->setSourceModel(m_sessions);
    m_sessionsProxy->setSortRole(SessionsModel::SortRole);
    m_sessionsProxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_sessionsProxy->setFilterKeyColumn(-1);
    m_usersView->setModel(m_usersProxy);
    m_sessionsView->setModel(m_sessionsProxy);
    m_usersView->horizontalHeader()->setSectionResizeMode(UsersModel::UserColumn,
                                                          QHeaderView::Stretch);
    m_usersView->horizontalHeader()->setStretchLastSection(false);
    fitColumnsToTypicalText(m_usersView, &UsersModel::typicalText);
    fitColumnsToTypicalText(m_sessionsView, &SessionsModel::typicalText);
    m_usersView->horizontalHeader()->restoreState(
        m_settings->value(QStringLiteral("window/usersHeader")).toByteArray());
    m_sessionsView->horizontalHeader()->restoreState(
        m_settings->value(QStringLiteral("window/sessionsHeader")).toByteArray());
    // Most sessions first; sessions in store order until the operator sorts.
    m_usersView->sortByColumn(UsersModel::SessionsColumn, Qt::DescendingOrder);
    m_sessionsView->sortByColumn(-1, Qt::AscendingOrder);
    connect(m_usersFilter, &QLineEdit::textChanged, m_usersProxy,
            &QSortFilterProxyModel::setFilterFixedString);
    connect(m_sessionsFilter, &QLineEdit::textChanged, m_sessionsProxy,
            &QSortFilterProxyModel::setFilterFixedString);
    connect(m_usersView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &MainWindow::onUserSelected);
    connect(m_sessionsView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::onSessionSelected);
    connectClient();

    m_banner->hideMessage();
    m_connectRequest = m_client->connectToStore();
    m_own.insert(m_connectRequest);
    m_emptyState->setText(tr("Connecting to %1…").arg(m_client->targetName()));
    m_emptyState->show();
    if (config->tls.enabled && config->tls.insecure) {
        m_banner->showMessage(tr("TLS certificate verification is OFF for this connection: "
                                 "anyone on the network path can impersonate the server."),
                              MessageBanner::Kind::Warning);
    }
    updateActions();
    updateTitle();
    updateLayoutStatus();
}

void MainWindow::connectClient()
{
    StoreClient *client = m_client.get();
    connect(client, &StoreClient::connected, this, [this](StoreClient::RequestId id) {
        if (id != m_connectRequest)
            return;
        m_own.remove(id);
        m_connectRequest = 0;
        updateLayoutStatus();
        if (!m_client->layoutNote().isEmpty())
            statusBar()->showMessage(m_client->layoutNote(), 15000);
        emit storeOpened();
        rememberTypedPasswords();
        refresh();
    });
    connect(client, &StoreClient::failed, this,
            [this](StoreClient::RequestId id, const StorageError &error) {
                if (!m_own.remove(id))
                    return; // a model's or a dialog's request: they report their own
                if (id == m_connectRequest) {
                    m_connectRequest = 0;
                    m_emptyState->setText(tr("Not connected."));
                    // A store that wants a password we do not have (or refused the saved one):
                    // ask once.
                    if (error.code == StorageError::Code::Authentication
                        && (error.sentinelCredentials ? askSentinelPasswordAndRetry()
                                                      : askPasswordAndRetry()))
                        return;
                }
                if (id == m_searchRequest) {
                    m_searchRequest = 0;
                    if (error.code == StorageError::Code::NotFound) {
                        if (m_searchRef.source == SessionReference::Source::SessionId) {
                            // Not a session id: perhaps a user.
                            m_pendingUserSearch = m_searchText;
                            m_sessions->showUser(m_searchText);
                        } else {
                            finishSearch(tr("No session for this %1: it has expired or was "
                                            "revoked.")
                                             .arg(m_searchRef.describe(m_client->layout())));
                        }
                        return;
                    }
                    finishSearch(error.message);
                }
                m_logoutRequests.remove(id);
                if (error.code != StorageError::Code::Cancelled) {
                    m_banner->showMessage(error.message, MessageBanner::Kind::Error, tr("Retry"),
                                          [this] { refresh(); });
                }
                updateActions();
            });
    connect(client, &StoreClient::described, this,
            [this](StoreClient::RequestId id, const StoreInfo &info) {
                if (id != m_describeRequest)
                    return;
                m_own.remove(id);
                m_describeRequest = 0;
                m_settingsModel->setInfo(info);
                m_totalSessions = info.sessions;
                m_withoutTtl = info.sessionsWithoutTtl;
                QString server = info.kind == u"redis"
                    ? tr("redis %1 · %2").arg(info.serverVersion, m_client->targetName())
                    : tr("%1 · %2").arg(info.kind, info.target);
                if (const int rate = m_client->config().maxOpsPerSecond; rate > 0)
                    server += tr(" · at most %1 operations/s").arg(QLocale().toString(rate));
                m_statusServer->setText(server);
                onSessionsPageLoaded();
            });
    connect(client, &StoreClient::sessionLoaded, this,
            [this](StoreClient::RequestId id, const SessionDetail &detail) {
                m_own.remove(id);
                if (id == m_searchRequest) {
                    m_searchRequest = 0;
                    const QString user = detail.summary.user.isEmpty()
                        ? tr("no user")
                        : displayText(detail.summary.user);
                    finishSearch(tr("%1 → session %2, user %3")
                                     .arg(m_searchRef.describe(m_client->layout()),
                                          shortId(detail.summary.id), user));
                    m_payload->setDetail(detail);
                    m_selectAfterLoad = detail.summary.id;
                    if (!detail.summary.user.isEmpty())
                        m_sessions->showUser(detail.summary.user);
                } else if (id == m_sessionRequest) {
                    m_sessionRequest = 0;
                    m_payload->setDetail(detail);
                } else {
                    return;
                }
                m_payloadView->expandToDepth(1);
                // Keys whole, unless an odd one would push the values out of sight.
                m_payloadView->resizeColumnToContents(PayloadModel::KeyColumn);
                m_payloadView->setColumnWidth(
                    PayloadModel::KeyColumn,
                    std::min(m_payloadView->columnWidth(PayloadModel::KeyColumn),
                             m_payloadView->viewport()->width() / 2));
                const QString warning = detail.decoded.warning.isEmpty()
                    ? QString()
                    : QStringLiteral(" — ") + detail.decoded.warning;
                m_payloadHeader->setText(
                    tr("Payload (%1, %2)%3")
                        .arg(m_client->layout().description, detail.decoded.encoding, warning));
                updateActions();
            });
    connect(client, &StoreClient::revealAllowed, this,
            [this](StoreClient::RequestId id, const QByteArray &sessionId) {
                if (!m_own.remove(id) || m_payload->summary().id != sessionId)
                    return;
                m_payload->setRevealed(true);
                m_payloadView->expandAll();
                reloadAudit(true);
                updateActions();
            });
    connect(client, &StoreClient::revoked, this,
            [this](StoreClient::RequestId id, const RevokeReport &report) {
                if (!m_own.remove(id))
                    return;
                // Count per user before the rows go. A logout names its user; a revoke of
                // listed rows knows them from the rows.
                QHash<QString, qint64> perUser;
                if (m_logoutRequests.contains(id)) {
                    perUser.insert(m_logoutRequests.take(id), report.revoked.size());
                } else {
                    for (const QByteArray &revoked : report.revoked) {
                        const int row = m_sessions->rowOf(revoked);
                        if (row >= 0)
                            ++perUser[m_sessions->summaryAt(row).user];
                    }
                }
                m_sessions->removeSessions(report.revoked);
                // A user whose last session went leaves the list; the selection must not then
                // wander to a neighbour and show someone else's sessions.
                m_removingUsers = true;
                for (auto it = perUser.cbegin(); it != perUser.cend(); ++it)
                    m_users->sessionsRemoved(it.key(), it.value());
                if (m_sessions->user() && m_users->sessionCount(*m_sessions->user()) == 0) {
                    m_usersView->selectionModel()->clearSelection();
                    m_usersView->selectionModel()->clearCurrentIndex();
                }
                m_removingUsers = false;
                if (report.revoked.contains(m_payload->summary().id))
                    m_payload->clear();
                if (m_totalSessions >= 0)
                    m_totalSessions -= report.revoked.size();
                showInfo(tr("Revoked %n session(s).", "", int(report.revoked.size()))
                         + (report.notFound.isEmpty()
                                ? QString()
                                : tr(" %n were already gone.", "", int(report.notFound.size()))));
                reloadAudit(true);
                onSessionsPageLoaded();
                updateActions();
            });
    connect(client, &StoreClient::writesAllowedChanged, this, [this](bool) {
        updateActions();
        updateTitle();
    });

    connect(m_users, &UsersModel::statusChanged, this, [this] {
        m_usersStatus->setText(m_users->statusText());
        if (!m_users->isLoading() && m_users->users().sessionsExamined > 0) {
            m_totalSessions = m_users->users().sessionsExamined;
            onSessionsPageLoaded();
        }
    });
    connect(m_users, &UsersModel::failed, this, &MainWindow::showError);
    connect(m_sessions, &SessionsModel::failed, this, &MainWindow::showError);
    connect(m_sessions, &SessionsModel::pageLoaded, this, &MainWindow::onSessionsPageLoaded);
    connect(m_sessions, &SessionsModel::loadingChanged, this, [this] { onSessionsPageLoaded(); });
}

void MainWindow::closeStore()
{
    ++m_openAttempt;
    if (!m_client)
        return;
    m_settings->setValue(QStringLiteral("window/usersHeader"),
                         m_usersView->horizontalHeader()->saveState());
    m_settings->setValue(QStringLiteral("window/sessionsHeader"),
                         m_sessionsView->horizontalHeader()->saveState());
    m_usersView->setModel(nullptr);
    m_sessionsView->setModel(nullptr);
    disconnect(m_usersFilter, nullptr, nullptr, nullptr);
    disconnect(m_sessionsFilter, nullptr, nullptr, nullptr);
    delete m_usersProxy;
    delete m_sessionsProxy;
    delete m_users;
    delete m_sessions;
    m_usersProxy = m_sessionsProxy = nullptr;
    m_users = nullptr;
    m_sessions = nullptr;
    m_client.reset();
    m_connectionsModel->setOpen(QString());
    m_own.clear();
    m_logoutRequests.clear();
    m_connectRequest = m_sessionRequest = m_searchRequest = m_describeRequest = 0;
    m_payload->clear();
    m_settingsModel->clear();
    m_totalSessions = -1;
    m_withoutTtl = -1;
    m_allowChangesAction->setChecked(false);
    m_sessionsHeader->setText(tr("Sessions"));
    m_usersStatus->clear();
    m_statusServer->clear();
    m_statusLayout->hide();
    m_emptyState->setText(m_profiles.isEmpty()
                              ? tr("No connection yet. Add one with Connection → New connection "
                                   "(Ctrl+N), or start sessiondesk with --store URL.")
                              : tr("Open a connection from the list on the left."));
    m_emptyState->show();
    updateActions();
    updateTitle();
}

void MainWindow::refresh()
{
    if (!m_client)
        return;
    m_banner->hideMessage();
    m_payload->clear();
    // The first page comes from the interactive lane at once; the counts follow from the bulk
    // lane, which scans the whole store.
    const std::optional<QString> user = m_sessions->user();
    if (user)
        m_sessions->showUser(*user);
    else
        m_sessions->showAll();
    m_users->reload();
    m_describeRequest = m_client->describe();
    m_own.insert(m_describeRequest);
    reloadAudit(true);
}

void MainWindow::updateTitle()
{
    QString title = QStringLiteral("SessionDesk");
    if (m_client) {
        title += QStringLiteral(" — ") + m_profile.name + QStringLiteral(" (")
            + m_profile.kindLabel() + QStringLiteral(")");
        title += m_client->writesAllowed() ? tr(" — CHANGES ALLOWED") : tr(" — READ-ONLY");
        m_statusMode->setText(!m_options.forcedReadOnlyReason.isEmpty()
                                  ? tr("READ-ONLY (forced by the administrator)")
                                  : m_client->isLocked()      ? tr("READ-ONLY (locked)")
                                  : m_client->writesAllowed() ? tr("CHANGES ALLOWED")
                                                              : tr("READ-ONLY"));
        m_statusMode->setToolTip(m_options.forcedReadOnlyReason);
        QPalette palette = m_statusMode->palette();
        palette.setColor(QPalette::WindowText,
                         m_client->writesAllowed() ? QColor(0xc6, 0x28, 0x28)
                                                   : this->palette().color(QPalette::WindowText));
        m_statusMode->setPalette(palette);
        if (const QColor color(m_profile.color); color.isValid()) {
            statusBar()->setStyleSheet(
                QStringLiteral("QStatusBar { border-top: 3px solid %1; }").arg(color.name()));
        } else {
            statusBar()->setStyleSheet(QString());
        }
    } else {
        m_statusMode->clear();
    }
    setWindowTitle(title);
}

void MainWindow::updateActions()
{
    const bool open = m_client != nullptr;
    const bool writable = open && m_client->writesAllowed();
    const bool hasSessionSelection = open && !selectedSessionIds().isEmpty();
    const bool hasUser = open && !currentUser().isEmpty();
    m_refreshAction->setEnabled(open);
    m_allowChangesAction->setEnabled(open && !m_client->isLocked());
    m_allowChangesAction->setToolTip(
        !m_options.forcedReadOnlyReason.isEmpty()
            ? tr("Changes cannot be allowed: %1.").arg(m_options.forcedReadOnlyReason)
            : open && m_client->isLocked()
            ? tr("This connection is read-only (an auditor's profile); changes cannot be allowed.")
            : tr("Allow revoking and destroying sessions on this connection"));
    {
        const QSignalBlocker blocker(m_allowChangesAction);
        m_allowChangesAction->setChecked(writable);
    }
    const QString readOnlyTip = tr("Read-only: allow changes first (Connection → Allow changes)");
    m_revokeAction->setEnabled(writable && hasSessionSelection);
    m_revokeAction->setToolTip(writable ? tr("Revoke the selected sessions (Del)") : readOnlyTip);
    m_logoutAction->setEnabled(writable && hasUser);
    m_logoutAction->setToolTip(writable ? tr("Revoke every session of the selected user")
                                        : readOnlyTip);
    // A locked connection can never destroy anything, so the action is off (not just its
    // final button).
    m_destroyAllAction->setEnabled(open && !m_client->isLocked());
    m_exportEvidenceAction->setEnabled(!m_settingsModel->info().kind.isEmpty());
    m_revealAction->setEnabled(open && m_payload->hasSecrets() && !m_payload->isRevealed());
    m_revealButton->setEnabled(m_revealAction->isEnabled());
    m_revealButton->setVisible(m_payload->hasSecrets());
    m_copyIdAction->setEnabled(hasSessionSelection);
    m_copyUserAction->setEnabled(hasUser);
    m_copyValueAction->setEnabled(m_payloadView->currentIndex().isValid());
    m_exportAction->setEnabled(open && m_sessions && m_sessions->rowCount() > 0);
    m_disconnectAction->setEnabled(open);
    const QModelIndex current = m_connections->currentIndex();
    const bool profileSelected = current.isValid() && m_connectionsModel->isSaved(current.row());
    m_editConnectionAction->setEnabled(profileSelected);
    m_removeConnectionAction->setEnabled(profileSelected);
    const ConnectionProfile *selected =
        profileSelected ? &m_connectionsModel->profileAt(current.row()) : nullptr;
    m_forgetPasswordsAction->setEnabled(
        selected && (selected->passwordInKeychain || selected->sentinelPasswordInKeychain));
}

void MainWindow::toggleWrites(bool allowed)
{
    if (!m_client)
        return;
    if (!m_client->allowWrites(allowed)) {
        showError(m_options.forcedReadOnlyReason.isEmpty()
                      ? tr("%1 is read-only: this profile is locked for auditing.")
                            .arg(m_client->targetName())
                      : tr("%1 is read-only: %2.")
                            .arg(m_client->targetName(), m_options.forcedReadOnlyReason));
    }
    updateActions();
    updateTitle();
}

void MainWindow::showError(const QString &message)
{
    m_banner->showMessage(message, MessageBanner::Kind::Error, m_client ? tr("Retry") : QString(),
                          [this] { refresh(); });
}

void MainWindow::showInfo(const QString &message)
{
    m_banner->showMessage(message, MessageBanner::Kind::Info);
}

QString MainWindow::currentUser() const
{
    if (m_usersView->selectionModel()) {
        const QModelIndex current = m_usersView->selectionModel()->currentIndex();
        if (current.isValid() && m_usersView->selectionModel()->isRowSelected(current.row(), {}))
            return current.data(UsersModel::UserRole).toString();
    }
    if (m_sessions && m_sessions->user())
        return *m_sessions->user();
    return {};
}

QList<QByteArray> MainWindow::selectedSessionIds() const
{
    QList<QByteArray> ids;
    if (!m_sessionsView->selectionModel())
        return ids;
    for (const QModelIndex &index : m_sessionsView->selectionModel()->selectedRows())
        ids << index.data(SessionsModel::SessionIdRole).toByteArray();
    return ids;
}

void MainWindow::onUserSelected()
{
    const QModelIndex current = m_usersView->currentIndex();
    if (!current.isValid() || !m_sessions || m_removingUsers)
        return;
    const QString user = current.data(UsersModel::UserRole).toString();
    if (m_sessions->user() != user) {
        m_payload->clear();
        m_sessions->showUser(user);
    }
    updateActions();
}

void MainWindow::onSessionSelected()
{
    const QList<QByteArray> ids = selectedSessionIds();
    if (ids.size() == 1) {
        const QByteArray &id = ids.first();
        if (m_payload->summary().id != id || !m_payload->hasSession()) {
            m_sessionRequest = m_client->loadSession(id);
            m_own.insert(m_sessionRequest);
        }
    }
    updateActions();
}

void MainWindow::applySessionColumns()
{
    if (!m_sessions)
        return;
    for (int column = 1; column < SessionsModel::ColumnCount; ++column) {
        // The heading names the user whose sessions are listed: the column would repeat it. An
        // optional column none of the loaded sessions fills (none while loading) only takes room.
        const bool hidden = !m_sessionColumnActions.at(column)->isChecked()
            || (column == SessionsModel::UserColumn && m_sessions->user())
            || m_sessions->isColumnBlank(column);
        m_sessionsView->setColumnHidden(column, hidden);
    }
}

void MainWindow::onSessionsPageLoaded()
{
    if (!m_sessions)
        return;
    const QLocale locale;
    const int rows = m_sessions->rowCount();
    QString header;
    if (m_sessions->user()) {
        header =
            tr("Sessions of %1 · %2").arg(displayText(*m_sessions->user()), locale.toString(rows));
    } else if (m_totalSessions >= 0) {
        header = tr("All sessions · %1 of %2 loaded")
                     .arg(locale.toString(rows), locale.toString(m_totalSessions));
    } else {
        header = tr("All sessions · %1 loaded, counting…").arg(locale.toString(rows));
    }
    if (!m_sessions->user() && m_withoutTtl > 0)
        header += tr(" · %1 without a TTL").arg(locale.toString(m_withoutTtl));
    if (m_sessions->isLoading())
        header += tr(" · loading…");
    if (!m_sessions->staleIndexIds().isEmpty())
        header += tr(" · index: %n stale id(s)", "", int(m_sessions->staleIndexIds().size()));
    m_sessionsHeader->setText(header);
    applySessionColumns();

    if (rows == 0 && !m_sessions->isLoading()) {
        m_emptyState->setText(
            m_sessions->user() ? tr("No sessions for %1.").arg(displayText(*m_sessions->user()))
                               : tr("No sessions of the layout “%1” in %2.")
                                     .arg(m_client->layout().description, m_client->targetName()));
        m_emptyState->show();
    } else {
        m_emptyState->hide();
    }

    if (!m_pendingUserSearch.isEmpty() && !m_sessions->isLoading()) {
        const QString user = std::exchange(m_pendingUserSearch, QString());
        finishSearch(rows > 0 ? tr("user %1: %n session(s)", "", rows).arg(displayText(user))
                              : tr("Nothing matches “%1”: no session id, cookie or user.")
                                    .arg(displayText(user)));
    }
    if (!m_selectAfterLoad.isEmpty() && !m_sessions->isLoading()) {
        const int row = m_sessions->rowOf(m_selectAfterLoad);
        m_selectAfterLoad.clear();
        if (row >= 0) {
            const QModelIndex index = m_sessionsProxy->mapFromSource(m_sessions->index(row, 0));
            m_sessionsView->selectionModel()->select(
                index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
            m_sessionsView->scrollTo(index);
        }
    }
    if (rows > 0 && m_sessionsView->horizontalHeader()->sectionSize(0) < 60)
        m_sessionsView->resizeColumnsToContents();
    updateActions();
}

void MainWindow::search(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (!m_client || trimmed.isEmpty())
        return;
    m_searchText = trimmed;
    m_searchRef = resolveSessionReference(trimmed, m_client->layout());
    m_pendingUserSearch.clear();
    m_searchResultLabel->setText(tr("Searching…"));
    m_searchResultLabel->show();
    if (m_searchRef.id.isEmpty()) {
        finishSearch(tr("“%1” is neither a session id nor a cookie.").arg(trimmed));
        return;
    }
    m_searchRequest = m_client->loadSession(m_searchRef.id);
    m_own.insert(m_searchRequest);
}

void MainWindow::finishSearch(const QString &result)
{
    m_searchResult = result;
    m_searchResultLabel->setText(result);
    m_searchResultLabel->show();
    emit searchFinished(result);
}

QString MainWindow::searchResultText() const
{
    return m_searchResult;
}

void MainWindow::revokeSelected()
{
    if (!m_client || !m_client->writesAllowed())
        return;
    const QList<QByteArray> ids = selectedSessionIds();
    QStringList users;
    for (const QByteArray &id : ids) {
        const int row = m_sessions->rowOf(id);
        if (row >= 0 && !users.contains(m_sessions->summaryAt(row).user))
            users << m_sessions->summaryAt(row).user;
    }
    if (ids.isEmpty())
        return;
    const QString who = users.size() == 1 && !users.first().isEmpty()
        ? displayText(users.first())
        : tr("%n users", "", int(users.size()));
    const QString text = ids.size() == 1
        ? tr("Revoke session %1 of %2? That device is signed out at once.")
              .arg(shortId(ids.first()), who)
        : tr("Revoke %n sessions of %1? Those devices are signed out at once.", "", int(ids.size()))
              .arg(who);
    if (!Dialogs::confirm(this, tr("Revoke session"), text,
                          tr("Revoke %n session(s)", "", int(ids.size())))) {
        return;
    }
    m_own.insert(m_client->revoke(ids));
}

void MainWindow::logoutUser()
{
    if (!m_client || !m_client->writesAllowed())
        return;
    const QString user = currentUser();
    if (user.isEmpty())
        return;
    qint64 count = m_users->sessionCount(user);
    if (m_sessions->user() == user)
        count = std::max<qint64>(count, m_sessions->rowCount());
    const auto reason =
        Dialogs::confirmWithReason(this, tr("Log out user everywhere"),
                                   tr("Log %1 out everywhere? This revokes all %n session(s) of "
                                      "this user.",
                                      "", int(count))
                                       .arg(displayText(user)),
                                   tr("Log out %1").arg(displayText(user)));
    if (!reason)
        return;
    const StoreClient::RequestId id = m_client->logoutUser(user, *reason, count);
    m_own.insert(id);
    m_logoutRequests.insert(id, user);
}

void MainWindow::destroyAll()
{
    if (!m_client)
        return;
    auto *dialog = new DestroyAllDialog(m_client.get(), this);
    dialog->setObjectName(QStringLiteral("destroyAllDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &DestroyAllDialog::finished, this,
            [this](const DestroyReport &) { refresh(); });
    dialog->open();
}

void MainWindow::revealSecrets()
{
    if (!m_client || !m_payload->hasSecrets() || m_payload->isRevealed())
        return;
    if (!Dialogs::confirm(this, tr("Reveal secrets"),
                          tr("Show the masked secrets of session %1 (tokens, passwords)? The "
                             "reveal is recorded in the audit log with your name.")
                              .arg(shortId(m_payload->summary().id)),
                          tr("Reveal"))) {
        return;
    }
    m_own.insert(m_client->reveal(m_payload->summary().id));
}

void MainWindow::copySelected(bool user)
{
    QString text;
    if (user) {
        text = currentUser();
    } else {
        QStringList ids;
        for (const QByteArray &id : selectedSessionIds())
            ids << displayBytes(id);
        text = ids.join(u'\n');
    }
    if (!text.isEmpty())
        QGuiApplication::clipboard()->setText(text);
}

void MainWindow::copyPayloadValue()
{
    const QModelIndex current = m_payloadView->currentIndex();
    if (!current.isValid())
        return;
    const QModelIndex valueIndex = current.siblingAtColumn(PayloadModel::ValueColumn);
    const QVariant raw = valueIndex.data(PayloadModel::RawValueRole);
    if (!raw.isValid()) {
        showError(tr("This value is a masked secret: reveal it first (Ctrl+R)."));
        return;
    }
    const QString text = raw.toString();
    auto *mime = new QMimeData;
    mime->setText(text);
    if (valueIndex.data(PayloadModel::SecretRole).toBool()) {
        // Hints that password managers and clipboard histories honour.
        mime->setData(QStringLiteral("x-kde-passwordManagerHint"), "secret");
        QTimer::singleShot(kClipboardClearMs, qApp, [text] {
            QClipboard *clipboard = QGuiApplication::clipboard();
            if (clipboard->text() == text)
                clipboard->clear();
        });
        showInfo(tr("Secret copied; the clipboard is cleared in %n second(s).", "",
                    kClipboardClearMs / 1000));
    }
    QGuiApplication::clipboard()->setMimeData(mime);
}

void MainWindow::exportSessions()
{
    if (!m_sessions || m_sessions->rowCount() == 0)
        return;
    const QString fileName =
        saveFileName(this, tr("Export visible sessions"), tr("CSV (*.csv);;JSON (*.json)"));
    if (fileName.isEmpty())
        return;
    const bool json = fileName.endsWith(QStringLiteral(".json"), Qt::CaseInsensitive);
    QJsonArray array;
    QString csv = QStringLiteral("id,user,ttl_seconds,expires_at,size_bytes,started,last_access,"
                                 "device\n");
    const auto csvField = [](QString value) {
        // A leading = + - @ (or tab, carriage return) would run as a formula in a spreadsheet:
        // marked as text before quoting, since a spreadsheet strips the quotes first.
        if (!value.isEmpty() && QStringLiteral("=+-@\t\r").contains(value.front()))
            value.prepend(u'\'');
        if (value.contains(u',') || value.contains(u'"') || value.contains(u'\n')
            || value.contains(u'\r'))
            value = u'"' + value.replace(QStringLiteral("\""), QStringLiteral("\"\"")) + u'"';
        return value;
    };
    for (int row = 0; row < m_sessionsProxy->rowCount(); ++row) {
        const QModelIndex source = m_sessionsProxy->mapToSource(m_sessionsProxy->index(row, 0));
        const SessionSummary &s = m_sessions->summaryAt(source.row());
        const qint64 ttl = s.ttlMs < 0 ? -1 : (s.ttlMs + 999) / 1000;
        const QString expires =
            s.expiresAt.isValid() ? s.expiresAt.toString(Qt::ISODate) : QString();
        const QString started =
            s.startedAt.isValid() ? s.startedAt.toString(Qt::ISODate) : QString();
        const QString last =
            s.lastAccessAt.isValid() ? s.lastAccessAt.toString(Qt::ISODate) : QString();
        if (json) {
            array.append(QJsonObject{{QStringLiteral("id"), displayBytes(s.id)},
                                     {QStringLiteral("user"), s.user},
                                     {QStringLiteral("ttl_seconds"), ttl},
                                     {QStringLiteral("expires_at"), expires},
                                     {QStringLiteral("size_bytes"), s.sizeBytes},
                                     {QStringLiteral("started"), started},
                                     {QStringLiteral("last_access"), last},
                                     {QStringLiteral("device"), s.device}});
        } else {
            csv += QStringList{csvField(displayBytes(s.id)),
                               csvField(s.user),
                               QString::number(ttl),
                               expires,
                               QString::number(s.sizeBytes),
                               started,
                               last,
                               csvField(s.device)}
                       .join(u',')
                + u'\n';
        }
    }
    QSaveFile file(fileName);
    const QByteArray bytes = json ? QJsonDocument(array).toJson() : csv.toUtf8();
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        showError(tr("Cannot write %1: %2.").arg(fileName, file.errorString()));
        return;
    }
    showInfo(tr("Exported %n session(s) to %1.", "", m_sessionsProxy->rowCount()).arg(fileName));
}

void MainWindow::newConnection()
{
    ConnectionDialog dialog(this);
    QStringList names;
    for (const ConnectionProfile &p : std::as_const(m_profiles))
        names << p.name;
    dialog.setExistingNames(names);
    if (dialog.exec() != QDialog::Accepted)
        return;
    m_profiles.append(dialog.profile());
    saveProfiles();
}

void MainWindow::editConnection()
{
    const QModelIndex current = m_connections->currentIndex();
    if (!current.isValid() || !m_connectionsModel->isSaved(current.row()))
        return;
    const int at = current.row();
    ConnectionDialog dialog(this);
    QStringList names;
    for (const ConnectionProfile &p : std::as_const(m_profiles))
        names << p.name;
    dialog.setExistingNames(names);
    dialog.setProfile(m_profiles.at(at));
    if (dialog.exec() != QDialog::Accepted)
        return;
    m_profiles[at] = dialog.profile();
    saveProfiles();
}

void MainWindow::removeConnection()
{
    const QModelIndex current = m_connections->currentIndex();
    if (!current.isValid() || !m_connectionsModel->isSaved(current.row()))
        return;
    if (!Dialogs::confirm(this, tr("Remove connection"),
                          tr("Remove the saved connection “%1”? Its sessions are not touched.")
                              .arg(m_connectionsModel->profileAt(current.row()).name),
                          tr("Remove"))) {
        return;
    }
    const ConnectionProfile removed = m_profiles.takeAt(current.row());
    saveProfiles();
    forgetSavedPassword(removed);
}

void MainWindow::reloadAudit(bool verify)
{
    // Read and checked off the GUI thread: a long log must not stall the window.
    m_audit->reloadInBackground(verify);
}

void MainWindow::verifyAuditLog()
{
    m_auditIntegrity->setText(tr("Verifying…"));
    m_audit->reloadInBackground(true);
}

void MainWindow::onAuditReloaded()
{
    updateAuditFilters();
    if (m_audit->rowCount() > 0) {
        for (int column = 0; column < AuditLogModel::DetailsColumn; ++column)
            m_auditView->resizeColumnToContents(column);
    }
    showAuditIntegrity();
}

void MainWindow::showAuditIntegrity()
{
    // The verdict leads with a word and a symbol, never colour alone.
    const bool intact = m_audit->isIntact();
    m_auditIntegrity->setText((intact ? QStringLiteral("✓ ") : QStringLiteral("✗ "))
                              + m_audit->integrityText());
    QPalette palette = m_auditIntegrity->palette();
    palette.setColor(QPalette::WindowText,
                     intact ? this->palette().color(QPalette::WindowText)
                            : QColor(0xb7, 0x1c, 0x1c));
    m_auditIntegrity->setPalette(palette);
}

void MainWindow::updateAuditFilters()
{
    const auto refill = [](QComboBox *combo, const QString &all, const QStringList &values) {
        const QString current = combo->currentData().toString();
        const QSignalBlocker blocker(combo);
        combo->clear();
        combo->addItem(all, QString());
        for (const QString &value : values)
            combo->addItem(value, value);
        const int at = combo->findData(current);
        combo->setCurrentIndex(at < 0 ? 0 : at);
    };
    refill(m_auditActionFilter, tr("All actions"), m_audit->actions());
    refill(m_auditTargetFilter, tr("All targets"), m_audit->targets());
    m_auditFilter->setAction(m_auditActionFilter->currentData().toString());
    m_auditFilter->setTarget(m_auditTargetFilter->currentData().toString());
}

bool MainWindow::applyPolicy(const QString &fileOrPreset)
{
    if (fileOrPreset.isEmpty()) {
        m_settingsModel->setPolicy(std::nullopt);
        m_policyChooser->setCurrentIndex(0);
        return true;
    }
    auto policy = Policy::load(fileOrPreset);
    if (!policy) {
        showError(policy.error().message);
        m_settingsModel->setPolicy(std::nullopt);
        m_policyChooser->setCurrentIndex(0);
        return false;
    }
    int at = m_policyChooser->findData(fileOrPreset);
    if (at < 0) {
        at = m_policyChooser->count() - 1; // before "Open policy file…"
        m_policyChooser->insertItem(at, QFileInfo(fileOrPreset).fileName(), fileOrPreset);
    }
    m_policyChooser->setCurrentIndex(at);
    m_settingsModel->setPolicy(*policy);
    m_settingsDetails->setText(policy->description);
    return true;
}

void MainWindow::onPolicyChosen(int index)
{
    QString choice = m_policyChooser->itemData(index).toString();
    if (choice == u"<file>") {
        choice = !g_nextOpenFileName.isEmpty()
            ? std::exchange(g_nextOpenFileName, QString())
            : QFileDialog::getOpenFileName(this, tr("Open policy"), QString(),
                                           tr("Policies (*.json)"));
        if (choice.isEmpty()) {
            m_policyChooser->setCurrentIndex(0);
            m_settingsModel->setPolicy(std::nullopt);
            return;
        }
    }
    applyPolicy(choice);
}

void MainWindow::exportEvidence()
{
    if (m_settingsModel->info().kind.isEmpty())
        return;
    QString fileName =
        saveFileName(this, tr("Export evidence"), tr("PDF (*.pdf);;HTML (*.html);;JSON (*.json)"));
    if (fileName.isEmpty())
        return;
    if (QFileInfo(fileName).suffix().isEmpty())
        fileName += QStringLiteral(".pdf");
    Evidence evidence;
    evidence.info = m_settingsModel->info();
    evidence.policy = m_settingsModel->report();
    evidence.audit = AuditLog(m_options.auditLogPath).verify();
    evidence.tool = QStringLiteral("sessiondesk ") + QCoreApplication::applicationVersion();
    evidence.operatorName = AuditContext::current().operatorName;
    evidence.generatedAt = QDateTime::currentDateTimeUtc();
    evidence.readOnly = !m_client || !m_client->writesAllowed();
    if (auto written = writeEvidence(evidence, fileName); !written) {
        showError(written.error().message);
        return;
    }
    showInfo(tr("Evidence exported to %1: %2.").arg(fileName, evidence.summary()));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    m_settings->setValue(QStringLiteral("window/geometry"), saveGeometry());
    m_settings->setValue(QStringLiteral("window/state"), saveState());
    m_settings->setValue(QStringLiteral("window/outer"), m_outerSplitter->saveState());
    m_settings->setValue(QStringLiteral("window/sessions"), m_sessionSplitter->saveState());
    closeStore();
    m_settings->sync();
    event->accept();
}

} // namespace SessionDesk
