// The auditor's side of the main window, offscreen against a real (carelessly configured)
// redis-server: the Store settings tab groups facts and shows each rule's verdict as a badge with
// its rule text and evidence; a malformed policy file is refused with its line; the Audit log
// tab lists actions with their reasons, filters them and verifies the chain; a read-only mode
// forced by the administrator disables every change and cannot be unlocked; evidence exports as
// JSON, HTML and PDF.

#include "auditlogmodel.h"
#include "destroyalldialog.h"
#include "dialogs.h"
#include "mainwindow.h"
#include "messagebanner.h"
#include "redisserver.h"
#include "sessionsmodel.h"
#include "settingsmodel.h"
#include "usersmodel.h"
#include "verdictdelegate.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDateEdit>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMutex>
#include <QPushButton>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

using namespace Qt::StringLiterals;
using namespace SessionDesk;
using SessionDesk::Test::RedisServer;

class TestAuditGui final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void settingsTabShowsVerdictsWithRuleAndEvidence();
    void malformedPolicyFileIsRefusedWithItsLine();
    void auditTabListsFiltersAndVerifies();
    void destroyAllRecordsReasonAndPreviewedCount();
    void forcedReadOnlyDisablesEveryChange();
    void evidenceExportsAsJsonHtmlAndPdf();

private:
    void openWindow();
    template <typename T> T *child(const char *name) const
    {
        return m_window->findChild<T *>(QString::fromLatin1(name));
    }
    bool exists(const QString &key) const
    {
        return m_server.cli({u"EXISTS"_s, key}).trimmed() == "1";
    }
    int auditRows() const { return child<QTableView>("auditView")->model()->rowCount(); }

    RedisServer m_server;
    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;
};

void TestAuditGui::initTestCase()
{
    RedisServer::Options options;
    options.configLines << u"maxmemory-policy allkeys-lru"_s;
    QVERIFY2(m_server.start(options), qPrintable(m_server.errorString()));
}

void TestAuditGui::init()
{
    m_server.cli({u"FLUSHALL"_s}); // the test's reset, never the product's
    for (const auto &[sid, user] : QList<QPair<QString, QString>>{{u"a1"_s, u"alice"_s},
                                                                  {u"a2"_s, u"alice"_s},
                                                                  {u"b1"_s, u"bob"_s},
                                                                  {u"b2"_s, u"bob"_s}}) {
        m_server.cli(
            {u"SET"_s, u"sess:"_s + sid, u"{\"user_id\":\"%1\"}"_s.arg(user), u"EX"_s, u"7200"_s});
    }
    QFile::remove(m_dir.filePath(u"audit.log"_s));
    QFile::remove(m_dir.filePath(u"audit.log.head"_s));
}

void TestAuditGui::cleanup()
{
    m_window.reset();
}

void TestAuditGui::openWindow()
{
    MainWindow::Options options;
    options.settingsPath = m_dir.filePath(u"settings.ini"_s);
    options.auditLogPath = m_dir.filePath(u"audit.log"_s);
    m_window = std::make_unique<MainWindow>(options);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    ConnectionProfile profile;
    profile.name = u"careless"_s;
    profile.url = m_server.url();
    m_window->openStore(profile);
    QVERIFY(m_window->client());
    // Settings arrive with the describe that counts sessions.
    QTRY_VERIFY_WITH_TIMEOUT(m_window->settingsModel()->info().sessions == 4
                                 && m_window->usersModel()->rowCount() == 2
                                 && !m_window->usersModel()->isLoading(),
                             15000);
}

void TestAuditGui::settingsTabShowsVerdictsWithRuleAndEvidence()
{
    openWindow();
    if (QTest::currentTestFailed())
        return;
    child<QTabWidget>("tabs")->setCurrentIndex(1);
    SettingsModel *model = m_window->settingsModel();
    // Facts are grouped: the TLS group holds the connection's TLS fact.
    const QModelIndex tls = model->indexOfFact(u"redis.tls.connection"_s);
    QVERIFY(tls.isValid());
    QCOMPARE(tls.parent().data().toString(), u"TLS"_s);
    QVERIFY(tls.parent().data(SettingsModel::IsGroupRole).toBool());
    QCOMPARE(tls.siblingAtColumn(SettingsModel::ValueColumn).data().toString(), u"no"_s);
    QCOMPARE(tls.siblingAtColumn(SettingsModel::SourceColumn).data().toString(), u"connection"_s);
    QVERIFY(tls.siblingAtColumn(SettingsModel::VerdictColumn).data().toString().isEmpty());

    // Choosing a preset in the chooser judges every fact.
    QComboBox *chooser = child<QComboBox>("policyChooser");
    const int preset = chooser->findData(u"redis-session-ha"_s);
    QVERIFY(preset > 0);
    chooser->setCurrentIndex(preset);
    emit chooser->activated(preset);
    QVERIFY(model->report().has_value());
    const QModelIndex verdict =
        model->indexOfFact(u"redis.tls.connection"_s, SettingsModel::VerdictColumn);
    QCOMPARE(verdict.data().toString(), u"FAIL"_s);
    QCOMPARE(verdict.data(SettingsModel::VerdictRole).toInt(), int(Verdict::Fail));
    QCOMPARE(model->indexOfFact(u"redis.server.version"_s, SettingsModel::VerdictColumn)
                 .data()
                 .toString(),
             u"PASS"_s);
    // The badge says the verdict in words and a symbol, not by colour alone.
    auto *delegate = qobject_cast<VerdictDelegate *>(
        child<QTreeView>("settingsView")->itemDelegateForColumn(SettingsModel::VerdictColumn));
    QVERIFY(delegate);
    QCOMPARE(VerdictDelegate::badgeText(u"FAIL"_s), u"✗ FAIL"_s);
    QVERIFY(model->index(tls.parent().row(), SettingsModel::VerdictColumn)
                .data()
                .toString()
                .contains(u"FAIL"_s)); // the group sums its verdicts
    QVERIFY(child<QLabel>("policySummary")->text().startsWith(u"redis-session-ha: "_s));
    QVERIFY(child<QLabel>("policySummary")->text().contains(u"FAIL"_s));

    // Hovering shows the rule and its evidence; selecting shows them in the details pane.
    const QString tip = verdict.data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(u"The connection to the store uses TLS."_s), qPrintable(tip));
    QVERIFY2(tip.contains(u"Evidence: redis.tls.connection = false"_s), qPrintable(tip));
    QTreeView *view = child<QTreeView>("settingsView");
    view->setCurrentIndex(model->indexOfFact(u"redis.memory.maxmemory_policy"_s));
    const QString details = child<QLabel>("settingsDetails")->text();
    QVERIFY2(details.contains(u"allkeys-lru"_s) && details.contains(u"seed 003"_s),
             qPrintable(details));

    // Back to no policy: no verdicts.
    chooser->setCurrentIndex(0);
    emit chooser->activated(0);
    QVERIFY(!model->report().has_value());
    QVERIFY(model->indexOfFact(u"redis.tls.connection"_s, SettingsModel::VerdictColumn)
                .data()
                .toString()
                .isEmpty());
}

void TestAuditGui::malformedPolicyFileIsRefusedWithItsLine()
{
    openWindow();
    if (QTest::currentTestFailed())
        return;
    const QString path = m_dir.filePath(u"bad-policy.json"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{\"name\": \"bad\", \"store\": \"redis\",\n \"rules\": [\n"
               "  {\"fact\": \"redis.tls.conection\", \"op\": \"equals\", \"value\": true,"
               " \"rule\": \"TLS\"}]}\n");
    file.close();
    QComboBox *chooser = child<QComboBox>("policyChooser");
    MainWindow::setNextOpenFileName(path);
    const int open = chooser->count() - 1;
    chooser->setCurrentIndex(open);
    emit chooser->activated(open);
    QVERIFY(m_window->banner()->isVisible());
    const QString message = m_window->banner()->text();
    QVERIFY2(message.contains(u"line 3"_s) && message.contains(u"redis.tls.conection"_s),
             qPrintable(message));
    QVERIFY(!m_window->settingsModel()->report().has_value()); // no policy, not a silent pass
    QCOMPARE(chooser->currentIndex(), 0);

    // A correct file from disk is applied and listed in the chooser.
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(R"({"name": "local", "store": "redis", "rules": [
        {"fact": "redis.tls.connection", "op": "equals", "value": true, "rule": "TLS"}]})");
    file.close();
    QVERIFY(m_window->applyPolicy(path));
    QCOMPARE(m_window->settingsModel()->report()->failed, 1);
    QCOMPARE(chooser->currentData().toString(), path);
}

void TestAuditGui::auditTabListsFiltersAndVerifies()
{
    // What sessiondesk's --operator and --audit-syslog set up for every store it opens.
    // The mirror runs on the store's worker threads.
    QMutex mirroredLock;
    QList<QByteArray> mirrored;
    AuditContext::setProcessDefaults(u"gina"_s, [&](const QByteArray &line) {
        const QMutexLocker locker(&mirroredLock);
        mirrored << line;
    });
    const auto restore = qScopeGuard([] { AuditContext::setProcessDefaults(QString(), {}); });
    openWindow();
    if (QTest::currentTestFailed())
        return;
    child<QAction>("actionAllowChanges")->trigger();
    QVERIFY(m_window->client()->writesAllowed());
    // Log bob out, giving a reason when asked.
    QTableView *users = child<QTableView>("usersView");
    int bob = -1;
    for (int row = 0; row < users->model()->rowCount(); ++row) {
        if (users->model()->index(row, 0).data(UsersModel::UserRole).toString() == u"bob")
            bob = row;
    }
    users->selectRow(bob);
    QTRY_COMPARE(m_window->sessionsModel()->user().value_or(QString()), u"bob"_s);
    Dialogs::setNextAnswer(Dialogs::Answer::Accept);
    Dialogs::setNextReason(u"ticket 9: account compromised"_s);
    child<QAction>("actionLogoutUser")->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!exists(u"sess:b1"_s) && !exists(u"sess:b2"_s), 10000);
    QVERIFY(Dialogs::lastQuestionText().contains(u"bob"_s));
    // And revoke one of alice's sessions.
    m_window->client()->revoke({"a1"});
    QTRY_VERIFY_WITH_TIMEOUT(!exists(u"sess:a1"_s), 10000);

    child<QTabWidget>("tabs")->setCurrentIndex(2);
    QTRY_COMPARE(auditRows(), 2);
    AuditLogModel *audit = m_window->auditModel();
    QCOMPARE(audit->entryAt(0).action, u"logout-user"_s);
    QCOMPARE(audit->entryAt(0).operatorName, u"gina"_s);
    {
        const QMutexLocker locker(&mirroredLock);
        QCOMPARE(mirrored.size(), 5); // the header and two records per action, as written
    }
    QCOMPARE(audit->entryAt(0).reason, u"ticket 9: account compromised"_s);
    QCOMPARE(audit->entryAt(0).planned, 2); // the count the operator confirmed
    QCOMPARE(audit->entryAt(0).done, 2);
    QCOMPARE(audit->index(0, AuditLogModel::ReasonColumn).data().toString(),
             u"ticket 9: account compromised"_s);
    QCOMPARE(audit->index(0, AuditLogModel::CountColumn).data().toString(), u"2 of 2"_s);

    // Filters: action, target, text, dates.
    QComboBox *action = child<QComboBox>("auditActionFilter");
    action->setCurrentIndex(action->findData(u"revoke"_s));
    QCOMPARE(auditRows(), 1);
    action->setCurrentIndex(0);
    QCOMPARE(auditRows(), 2);
    QComboBox *target = child<QComboBox>("auditTargetFilter");
    QCOMPARE(target->findData(m_server.target()) > 0, true);
    target->setCurrentIndex(target->findData(m_server.target()));
    QCOMPARE(auditRows(), 2);
    QLineEdit *text = child<QLineEdit>("auditTextFilter");
    QTest::keyClicks(text, u"compromised"_s);
    QCOMPARE(auditRows(), 1);
    text->clear();
    QCOMPARE(auditRows(), 2);
    child<QDateEdit>("auditFromFilter")->setDate(QDate::currentDate().addDays(1));
    child<QCheckBox>("auditDateFilter")->setChecked(true);
    QCOMPARE(auditRows(), 0);
    child<QDateEdit>("auditFromFilter")->setDate(QDate::currentDate().addDays(-1));
    child<QDateEdit>("auditToFilter")->setDate(QDate::currentDate().addDays(1));
    QCOMPARE(auditRows(), 2);
    child<QCheckBox>("auditDateFilter")->setChecked(false);

    // Verify: intact, then broken after an edit, naming the line.
    QPushButton *verify = child<QPushButton>("auditVerifyButton");
    QTest::mouseClick(verify, Qt::LeftButton);
    QLabel *result = child<QLabel>("auditIntegrity");
    QTRY_VERIFY2(result->text().startsWith(u"✓ Chain intact: 5 record(s)"_s),
                 qPrintable(result->text()));
    QFile log(m_dir.filePath(u"audit.log"_s));
    QVERIFY(log.open(QIODevice::ReadOnly));
    QByteArray bytes = log.readAll();
    log.close();
    bytes.replace("ticket 9: account compromised", "routine cleanup, all fine");
    QVERIFY(log.open(QIODevice::WriteOnly | QIODevice::Truncate));
    log.write(bytes);
    log.close();
    QTest::mouseClick(verify, Qt::LeftButton);
    QTRY_VERIFY2(result->text().startsWith(u"✗ BROKEN"_s), qPrintable(result->text()));
    QVERIFY2(result->text().contains(u"line 2 was edited"_s), qPrintable(result->text()));
    QVERIFY(!audit->isIntact());
}

void TestAuditGui::destroyAllRecordsReasonAndPreviewedCount()
{
    openWindow();
    if (QTest::currentTestFailed())
        return;
    child<QAction>("actionAllowChanges")->trigger();
    child<QAction>("actionDestroyAll")->trigger();
    DestroyAllDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = m_window->findChild<DestroyAllDialog *>()) != nullptr);
    QTRY_COMPARE_WITH_TIMEOUT(dialog->previewCount(), 4, 10000);
    QTest::keyClicks(dialog->findChild<QLineEdit *>(u"reasonEdit"_s), u"INC-2042 leaked cookie"_s);
    QTest::keyClicks(dialog->findChild<QLineEdit *>(u"confirmTargetEdit"_s), m_server.target());
    QTest::mouseClick(dialog->findChild<QPushButton *>(u"destroyButton"_s), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->hasReport(), 10000);
    QCOMPARE(dialog->lastReport().destroyed, 4);
    const auto entries = AuditLog(m_dir.filePath(u"audit.log"_s)).entries();
    QVERIFY(entries);
    QCOMPARE(entries->size(), 1);
    const AuditEntry &e = entries->first();
    QCOMPARE(e.action, u"destroy-all"_s);
    QCOMPARE(e.reason, u"INC-2042 leaked cookie"_s);
    QCOMPARE(e.planned, 4); // what the preview showed before the operator confirmed
    QCOMPARE(e.done, 4);
    QCOMPARE(e.result, u"ok"_s);
    QVERIFY(e.completedLine > e.line); // started before, completed after
    dialog->reject();
}

void TestAuditGui::forcedReadOnlyDisablesEveryChange()
{
    // The administrator's file, as the window finds it.
    const QString system = m_dir.filePath(u"system.conf"_s);
    QFile file(system);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("[General]\nForceReadOnly=true\n");
    file.close();
    qputenv("SESSIONDESK_SYSTEM_CONFIG", system.toLocal8Bit());
    const QString reason =
        u"read-only is forced by the administrator (ForceReadOnly=true in %1)"_s.arg(system);
    openWindow();
    qunsetenv("SESSIONDESK_SYSTEM_CONFIG");
    if (QTest::currentTestFailed())
        return;
    QVERIFY(m_window->client()->isLocked());
    QVERIFY(m_window->windowTitle().contains(u"READ-ONLY"_s));
    QLabel *mode = child<QLabel>("statusMode");
    QVERIFY2(mode->text().contains(u"forced by the administrator"_s), qPrintable(mode->text()));
    QVERIFY(mode->toolTip().contains(reason));
    QTableView *users = child<QTableView>("usersView");
    users->selectRow(0);
    QTRY_VERIFY(m_window->sessionsModel()->user().has_value());
    QTRY_VERIFY(m_window->sessionsModel()->rowCount() > 0);
    child<QTableView>("sessionsView")->selectRow(0);
    for (const char *name :
         {"actionAllowChanges", "actionRevoke", "actionLogoutUser", "actionDestroyAll"}) {
        QVERIFY2(!child<QAction>(name)->isEnabled(), name);
    }
    QVERIFY(child<QAction>("actionAllowChanges")->toolTip().contains(reason));
    // Even a forced toggle or a direct request does not unlock.
    child<QAction>("actionAllowChanges")->setChecked(true);
    QVERIFY(!m_window->client()->writesAllowed());
    QVERIFY(!m_window->client()->allowWrites(true));
    QVERIFY(m_window->banner()->text().contains(reason));
    // Shortcuts of the disabled actions do nothing.
    Dialogs::setNextAnswer(Dialogs::Answer::Accept);
    QTest::keyClick(m_window.get(), Qt::Key_L, Qt::ControlModifier | Qt::ShiftModifier);
    QTest::keyClick(child<QTableView>("sessionsView"), Qt::Key_Delete);
    Dialogs::setNextAnswer(Dialogs::Answer::None);
    // A refusal arrives as a failure from the worker: wait for one request to settle.
    QSignalSpy failed(m_window->client(), &StoreClient::failed);
    m_window->client()->revoke({"a1"});
    QVERIFY(failed.wait(10000));
    QCOMPARE(failed.first().at(1).value<StorageError>().code, StorageError::Code::Refused);
    QCOMPARE(m_server.cli({u"DBSIZE"_s}).trimmed(), QByteArray("4"));
    QVERIFY(!QFile::exists(m_dir.filePath(u"audit.log"_s)));
}

void TestAuditGui::evidenceExportsAsJsonHtmlAndPdf()
{
    openWindow();
    if (QTest::currentTestFailed())
        return;
    QVERIFY(m_window->applyPolicy(u"redis-session-ha"_s));
    QAction *exportAction = child<QAction>("actionExportEvidence");
    QVERIFY(exportAction->isEnabled());
    const QString sha = m_window->settingsModel()->report()->policySha256;

    const QString json = m_dir.filePath(u"evidence.json"_s);
    MainWindow::setNextSaveFileName(json);
    exportAction->trigger();
    QFile jsonFile(json);
    QVERIFY(jsonFile.open(QIODevice::ReadOnly));
    const QJsonObject evidence = QJsonDocument::fromJson(jsonFile.readAll()).object();
    QCOMPARE(evidence[u"policy"_s][u"sha256"_s].toString(), sha);
    QCOMPARE(evidence[u"store"_s][u"target"_s].toString(), m_server.target());
    QVERIFY(evidence[u"tool"_s].toString().startsWith(u"sessiondesk"_s));
    QVERIFY(evidence[u"read_only"_s].toBool());

    const QString html = m_dir.filePath(u"evidence.html"_s);
    MainWindow::setNextSaveFileName(html);
    exportAction->trigger();
    QFile htmlFile(html);
    QVERIFY(htmlFile.open(QIODevice::ReadOnly));
    const QByteArray htmlBytes = htmlFile.readAll();
    QVERIFY(htmlBytes.contains("<table class=\"page\"><thead>"));
    QVERIFY(htmlBytes.contains(m_server.target().toUtf8()));

    const QString pdf = m_dir.filePath(u"evidence.pdf"_s);
    MainWindow::setNextSaveFileName(pdf);
    exportAction->trigger();
    QFile pdfFile(pdf);
    QVERIFY(pdfFile.open(QIODevice::ReadOnly));
    const QByteArray pdfBytes = pdfFile.readAll();
    QVERIFY(pdfBytes.startsWith("%PDF-"));
    QVERIFY(pdfBytes.count("/Type /Page\n") + pdfBytes.count("/Type /Page ")
                + pdfBytes.count("/Type /Page\r")
            >= 2); // the facts and verdicts take more than one page
    // The document title is the page header: time, target and tool, in UTF-16.
    QByteArray target;
    for (const QChar c : m_server.target())
        target += '\0' + QByteArray(1, char(c.unicode()));
    QVERIFY(pdfBytes.contains(target));
    QVERIFY(m_window->banner()->text().contains(u"Evidence exported"_s));
}

QTEST_MAIN(TestAuditGui)
#include "tst_auditgui.moc"
