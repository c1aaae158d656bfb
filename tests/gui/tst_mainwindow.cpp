// The real main window, driven with QTest on the offscreen platform against real redis-server
// processes: search by cookie, revoke with the Delete key, log a user out, destroy everything
// with typed confirmation and with cancel, read-only refusal, an error banner when the server
// dies, export and an audited reveal.

#include "auditlogmodel.h"
#include "destroyalldialog.h"
#include "dialogs.h"
#include "dynaliteserver.h"
#include "mainwindow.h"
#include "mainwindowtesting.h"
#include "messagebanner.h"
#include "passworddialog.h"
#include "payloadmodel.h"
#include "redisserver.h"
#include "sessionsmodel.h"
#include "usersmodel.h"

#include <QAction>
#include <QCheckBox>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeView>

using namespace SessionDesk;
using SessionDesk::Test::RedisServer;

namespace {

const char kIndex[] = "user-sessions:{user}";

QByteArray session(const QByteArray &user, const QByteArray &token)
{
    return R"({"cookie":{"originalMaxAge":7200000,"httpOnly":true,"path":"/"},"user_id":")" + user
        + R"(","user":{"tokens":{"accessToken":")" + token + R"("}}})";
}

// Feeds commands to redis-cli --pipe: fast enough for hundreds of thousands of keys.
bool pipe(const RedisServer &server, const QByteArray &commands)
{
    QProcess cli;
    cli.start(QStringLiteral("redis-cli"),
              {QStringLiteral("-p"), QString::number(server.port()), QStringLiteral("--pipe")});
    if (!cli.waitForStarted())
        return false;
    cli.write(commands);
    cli.closeWriteChannel();
    return cli.waitForFinished(60000) && cli.exitCode() == 0;
}

} // namespace

class TestMainWindow final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void searchByCookieSelectsSession();
    void searchByUserAndByNothing();
    void readOnlyRefusesChanges();
    void lockedProfileCannotUnlock();
    void revokeWithDeleteKey();
    void logoutUserEverywhere();
    void destroyAllNeedsTypedTarget();
    void destroyAllCancelReportsExactly();
    void revealIsAudited();
    void exportVisibleSessions();
    void errorBannerWhenServerDies();
    void rateLimitOfTheConnectionIsUsedAndShown();
    void asksForPasswordAndNeverSavesIt();
    void dynamoDbTableWorksTheSameWay();
    void detectsTheLayoutAndLetsTheOperatorChooseAnother();
    void columnsShowTheirValuesWhole();
    void sessionColumnsAreChosenAndKept();
    void oddUserIdsAreShownEscapedAndActedOnExactly();

private:
    // Opens the test store and waits until users and the first page of sessions are shown.
    void openWindow(bool locked = false, int firstPageRows = 6, int users = 3);
    bool exists(const QByteArray &key) const
    {
        return m_server.cli({QStringLiteral("EXISTS"), QString::fromUtf8(key)}).trimmed() == "1";
    }
    void allowChanges() { Test::allowChanges(*m_window); }
    QTableView *view(const char *name) const { return Test::tableView(*m_window, name); }
    QAction *action(const char *name) const { return Test::windowAction(*m_window, name); }
    int rowOfUser(const QString &user) const { return Test::rowOfUser(*m_window, user); }

    RedisServer m_server;
    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;
};

void TestMainWindow::initTestCase()
{
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
}

void TestMainWindow::init()
{
    m_server.cli({QStringLiteral("FLUSHALL")}); // the test's reset, never the product's
    QByteArray commands;
    const QList<QPair<QByteArray, QByteArray>> sessions = {{"alice", "a1"}, {"alice", "a2"},
                                                           {"alice", "a3"}, {"bob", "b1"},
                                                           {"bob", "b2"},   {"carol", "c1"}};
    for (const auto &[user, sid] : sessions) {
        QByteArray value = session(user, "tok-" + sid);
        value.replace('"', "\\\"");
        commands += "SET sess:" + sid + " \"" + value + "\" EX 7200\n";
        commands += "SADD user-sessions:" + user + " " + sid + "\n";
    }
    commands += "SET other:keep 1\n";
    QVERIFY(pipe(m_server, commands));
    QFile::remove(m_dir.filePath(QStringLiteral("audit.log")));
}

void TestMainWindow::cleanup()
{
    m_window.reset();
}

void TestMainWindow::openWindow(bool locked, int firstPageRows, int users)
{
    m_window = Test::newWindow(m_dir);
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    ConnectionProfile profile;
    profile.name = QStringLiteral("test");
    profile.url = m_server.url();
    profile.userIndex = QString::fromLatin1(kIndex);
    profile.readOnlyLocked = locked;
    m_window->openStore(profile);
    QVERIFY(m_window->client());
    QTRY_VERIFY_WITH_TIMEOUT(m_window->usersModel()->rowCount() == users
                                 && !m_window->usersModel()->isLoading()
                                 && !m_window->sessionsModel()->isLoading(),
                             10000);
    if (firstPageRows >= 0)
        QCOMPARE(m_window->sessionsModel()->rowCount(), firstPageRows);
    else
        QVERIFY(m_window->sessionsModel()->rowCount() > 0);
    QVERIFY(m_window->windowTitle().contains(QStringLiteral("READ-ONLY")));
}

void TestMainWindow::searchByCookieSelectsSession()
{
    openWindow();
    if (QTest::currentTestFailed())
        return;
    QSignalSpy finished(m_window.get(), &MainWindow::searchFinished);
    auto *search = m_window->findChild<QLineEdit *>(QStringLiteral("searchEdit"));
    QTest::keyClick(m_window.get(), Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(search->hasFocus());
    QTest::keyClicks(search, QStringLiteral("connect.sid=s%3Ab2.c2lnbmF0dXJlLXNpZw"));
    QTest::keyClick(search, Qt::Key_Return);
    QVERIFY(finished.wait(10000));
    const QString result = finished.first().at(0).toString();
    QVERIFY2(result.contains(QStringLiteral("cookie connect.sid of connect-redis")),
             qPrintable(result));
    QVERIFY2(result.contains(QStringLiteral("user bob")), qPrintable(result));
    QTRY_COMPARE(m_window->sessionsModel()->user().value_or(QString()), QStringLiteral("bob"));
    QTRY_COMPARE(view("sessionsView")->selectionModel()->selectedRows().size(), 1);
    QCOMPARE(view("sessionsView")
                 ->selectionModel()
                 ->selectedRows()
                 .first()
                 .data(SessionsModel::SessionIdRole)
                 .toByteArray(),
             QByteArray("b2"));
    QTRY_VERIFY(m_window->payloadModel()->hasSession());
    QCOMPARE(m_window->payloadModel()->summary().id, QByteArray("b2"));
    QVERIFY(m_window->findChild<QLabel *>(QStringLiteral("searchResultLabel"))->isVisible());
}

void TestMainWindow::searchByUserAndByNothing()
{
    openWindow();
    if (QTest::currentTestFailed())
        return;
    QSignalSpy finished(m_window.get(), &MainWindow::searchFinished);
    m_window->search(QStringLiteral("alice"));
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.last().at(0).toString(), QStringLiteral("user alice: 3 session(s)"));
    QCOMPARE(m_window->sessionsModel()->rowCount(), 3);

    m_window->search(QStringLiteral("nobody-at-all"));
    QVERIFY(finished.wait(10000));
    QVERIFY(finished.last().at(0).toString().startsWith(QStringLiteral("Nothing matches")));

    m_window->search(QStringLiteral("s%3Agone-session.sig"));
    QVERIFY(finished.wait(10000));
    QVERIFY(finished.last().at(0).toString().contains(QStringLiteral("expired or was revoked")));
}

void TestMainWindow::readOnlyRefusesChanges()
{
    openWindow();
    if (QTest::currentTestFailed())
        return;
    QVERIFY(!m_window->client()->writesAllowed());
    view("sessionsView")->setFocus();
    view("sessionsView")->selectRow(0);
    QVERIFY(!action("actionRevoke")->isEnabled());
    QVERIFY(!action("actionLogoutUser")->isEnabled());
    Dialogs::setNextAnswer(Dialogs::Answer::Accept);
    QTest::keyClick(view("sessionsView"), Qt::Key_Delete);
    m_window->findChild<QAction *>(QStringLiteral("actionRevoke"))->trigger();
    Dialogs::setNextAnswer(Dialogs::Answer::None);
    // Nothing was sent: every session is still there.
    for (const char *key : {"sess:a1", "sess:a2", "sess:a3", "sess:b1", "sess:b2", "sess:c1"})
        QVERIFY(exists(key));
    QVERIFY(m_window->statusBar()
                ->findChild<QLabel *>(QStringLiteral("statusMode"))
                ->text()
                .contains(QStringLiteral("READ-ONLY")));
}

void TestMainWindow::lockedProfileCannotUnlock()
{
    openWindow(true);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(m_window->client()->isLocked());
    QVERIFY(!action("actionAllowChanges")->isEnabled());
    action("actionAllowChanges")->setChecked(true); // even if something forces the toggle
    QVERIFY(!m_window->client()->writesAllowed());
    QVERIFY(m_window->windowTitle().contains(QStringLiteral("READ-ONLY")));
}

void TestMainWindow::revokeWithDeleteKey()
{
    openWindow();
    if (QTest::currentTestFailed())
        return;
    allowChanges();
    if (QTest::currentTestFailed())
        return;
    const int aliceRow = rowOfUser(QStringLiteral("alice"));
    QVERIFY(aliceRow >= 0);
    view("usersView")->selectRow(aliceRow);
    QTRY_COMPARE(m_window->sessionsModel()->user().value_or(QString()), QStringLiteral("alice"));
    QTRY_COMPARE(m_window->sessionsModel()->rowCount(), 3);
    QTableView *sessions = view("sessionsView");
    sessions->setFocus();
    sessions->selectRow(0);
    const QByteArray victim = sessions->selectionModel()
                                  ->selectedRows()
                                  .first()
                                  .data(SessionsModel::SessionIdRole)
                                  .toByteArray();
    QVERIFY(action("actionRevoke")->isEnabled());
    Dialogs::setNextAnswer(Dialogs::Answer::Accept);
    QTest::keyClick(sessions, Qt::Key_Delete);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->sessionsModel()->rowCount(), 2, 10000);
    QVERIFY(!exists("sess:" + victim));
    QCOMPARE(
        m_server.cli({QStringLiteral("SCARD"), QStringLiteral("user-sessions:alice")}).trimmed(),
        QByteArray("2"));
    QCOMPARE(m_window->usersModel()->sessionCount(QStringLiteral("alice")), 2);
    QVERIFY(Dialogs::lastQuestionText().contains(QStringLiteral("alice")));
    QVERIFY(exists("sess:b1"));
    QVERIFY(exists("other:keep"));
    AuditLogModel audit(m_dir.filePath(QStringLiteral("audit.log")));
    audit.reload();
    QCOMPARE(audit.rowCount(), 1);
    QCOMPARE(audit.index(0, AuditLogModel::ActionColumn).data().toString(),
             QStringLiteral("revoke"));
}

void TestMainWindow::logoutUserEverywhere()
{
    openWindow();
    if (QTest::currentTestFailed())
        return;
    allowChanges();
    if (QTest::currentTestFailed())
        return;
    view("usersView")->selectRow(rowOfUser(QStringLiteral("bob")));
    QTRY_COMPARE(m_window->sessionsModel()->rowCount(), 2);
    Dialogs::setNextAnswer(Dialogs::Answer::Accept);
    QTest::keyClick(m_window.get(), Qt::Key_L, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_VERIFY_WITH_TIMEOUT(!exists("sess:b1") && !exists("sess:b2"), 10000);
    QVERIFY(Dialogs::lastQuestionText().contains(QStringLiteral("bob")));
    QVERIFY(Dialogs::lastQuestionText().contains(QStringLiteral("2")));
    QTRY_COMPARE(rowOfUser(QStringLiteral("bob")), -1);
    QTRY_COMPARE(m_window->sessionsModel()->rowCount(), 0);
    for (const char *key : {"sess:a1", "sess:a2", "sess:a3", "sess:c1", "other:keep"})
        QVERIFY(exists(key));
}

void TestMainWindow::destroyAllNeedsTypedTarget()
{
    openWindow();
    if (QTest::currentTestFailed())
        return;
    allowChanges();
    if (QTest::currentTestFailed())
        return;
    QTest::keyClick(m_window.get(), Qt::Key_Delete, Qt::ControlModifier | Qt::ShiftModifier);
    DestroyAllDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = m_window->findChild<DestroyAllDialog *>()) != nullptr);
    QTRY_COMPARE_WITH_TIMEOUT(dialog->previewCount(), 6, 10000);
    QVERIFY(!dialog->findChild<QLabel *>(QStringLiteral("rateLimitValue"))); // no limit here
    auto *confirm = dialog->findChild<QLineEdit *>(QStringLiteral("confirmTargetEdit"));
    auto *destroy = dialog->findChild<QPushButton *>(QStringLiteral("destroyButton"));
    QVERIFY(!destroy->isEnabled());
    QTest::keyClicks(confirm, QStringLiteral("127.0.0.1:6379/0"));
    QVERIFY(!destroy->isEnabled());
    confirm->clear();
    QTest::keyClicks(confirm, m_server.target());
    QVERIFY(destroy->isEnabled());
    QVERIFY(destroy->text().contains(QStringLiteral("6")));

    // A per-session report: a file that cannot be created stops the run before it starts.
    auto *reportCheck = dialog->findChild<QCheckBox *>(QStringLiteral("sessionReportCheck"));
    auto *reportEdit = dialog->findChild<QLineEdit *>(QStringLiteral("sessionReportEdit"));
    QVERIFY(reportCheck && reportEdit);
    QVERIFY(!reportEdit->isEnabled());
    reportCheck->setChecked(true);
    QVERIFY(reportEdit->isEnabled());
    QVERIFY(reportEdit->text().endsWith(QStringLiteral(".jsonl"))); // a suggested name
    reportEdit->clear();
    QVERIFY(!destroy->isEnabled()); // checked without a file
    reportEdit->setText(m_dir.filePath(QStringLiteral("no-such-folder/sessions.jsonl")));
    QVERIFY(destroy->isEnabled());
    QTest::mouseClick(destroy, Qt::LeftButton);
    auto *banner = dialog->findChild<MessageBanner *>();
    QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible(), 10000);
    QVERIFY2(banner->text().contains(QStringLiteral("sessions.jsonl")), qPrintable(banner->text()));
    QCOMPARE(dialog->page(), DestroyAllDialog::Page::Preview);
    QVERIFY(!dialog->hasReport());
    QVERIFY(exists("sess:a1")); // nothing was destroyed

    const QString sessionReport = m_dir.filePath(QStringLiteral("sessions.jsonl"));
    reportEdit->setText(sessionReport);
    QTest::mouseClick(destroy, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->hasReport(), 10000);
    QCOMPARE(dialog->lastReport().destroyed, 6);
    QVERIFY(!dialog->lastReport().cancelled);
    for (const char *key : {"sess:a1", "sess:b1", "sess:c1", "user-sessions:alice"})
        QVERIFY(!exists(key));
    QVERIFY(exists("other:keep"));
    // The report names each destroyed session by a hash, never by its id, and ends with the
    // run's summary.
    QCOMPARE(dialog->lastReport().sessionReportPath, sessionReport);
    QVERIFY2(dialog->lastReport().sessionReportError.isEmpty(),
             qPrintable(dialog->lastReport().sessionReportError));
    QCOMPARE(dialog->lastReport().sessionReportLines, 6);
    QFile lines(sessionReport);
    QVERIFY(lines.open(QIODevice::ReadOnly));
    const QByteArray written = lines.readAll();
    QCOMPARE(written.count("\"outcome\":\"destroyed\""), 6);
    QVERIFY(written.trimmed().split('\n').last().startsWith("{\"summary\""));
    static const QRegularExpression hashedId(QStringLiteral("^[0-9a-f]{64}$"));
    int ids = 0;
    for (const QByteArray &line : written.trimmed().split('\n')) {
        const QJsonObject entry = QJsonDocument::fromJson(line).object();
        if (!entry.contains(QStringLiteral("id")))
            continue;
        ++ids;
        QVERIFY2(hashedId.match(entry.value(QStringLiteral("id")).toString()).hasMatch(),
                 line.constData());
    }
    QCOMPARE(ids, 6);
    QVERIFY(dialog->findChild<QLabel *>(QStringLiteral("reportSummary"))
                ->text()
                .contains(sessionReport));
    const QString reportFile = m_dir.filePath(QStringLiteral("report.json"));
    DestroyAllDialog::setNextSaveFileName(reportFile);
    QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("saveReportButton")),
                      Qt::LeftButton);
    QTRY_VERIFY(QFile::exists(reportFile));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->usersModel()->rowCount(), 0, 10000);
}

void TestMainWindow::destroyAllCancelReportsExactly()
{
    // Enough sessions that the run is still going when Cancel lands.
    QByteArray many;
    for (int i = 0; i < 300000; ++i)
        many += "SET sess:bulk" + QByteArray::number(i) + " {}\n";
    QVERIFY(pipe(m_server, many));
    openWindow(false, -1); // a first page of a store this size
    if (QTest::currentTestFailed())
        return;
    allowChanges();
    if (QTest::currentTestFailed())
        return;
    action("actionDestroyAll")->trigger();
    DestroyAllDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = m_window->findChild<DestroyAllDialog *>()) != nullptr);
    QTRY_COMPARE_WITH_TIMEOUT(dialog->previewCount(), 300006, 30000);
    dialog->findChild<QLineEdit *>(QStringLiteral("confirmTargetEdit"))->setText(m_server.target());
    QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("destroyButton")),
                      Qt::LeftButton);
    auto *destroyed = dialog->findChild<QLabel *>(QStringLiteral("destroyedValue"));
    QTRY_VERIFY_WITH_TIMEOUT(
        destroyed->text() != QStringLiteral("0") && !destroyed->text().isEmpty(), 30000);
    // Keys examined are shown against the database's size when the run started: the bulk
    // sessions, init()'s six and their three index keys, and other:keep.
    const QString examined = dialog->findChild<QLabel *>(QStringLiteral("examinedValue"))->text();
    QVERIFY2(examined.endsWith(QStringLiteral(" of %1 keys").arg(QLocale().toString(300010))),
             qPrintable(examined));
    QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("cancelRunButton")),
                      Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->hasReport(), 30000);
    const DestroyReport report = dialog->lastReport();
    QVERIFY(report.cancelled);
    QVERIFY(report.destroyed > 0);
    QVERIFY(report.destroyed < 300006);
    const qint64 left =
        m_server
            .cli({QStringLiteral("--scan"), QStringLiteral("--pattern"), QStringLiteral("sess:*")})
            .count('\n');
    QCOMPARE(left, 300006 - report.destroyed);
    QVERIFY(exists("other:keep"));
    QVERIFY(dialog->reportText().contains(QString::number(report.destroyed)));
}

void TestMainWindow::revealIsAudited()
{
    openWindow();
    if (QTest::currentTestFailed())
        return;
    QTableView *sessions = view("sessionsView");
    sessions->selectRow(0);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->payloadModel()->hasSession(), 10000);
    QVERIFY(m_window->payloadModel()->hasSecrets());
    QVERIFY(!m_window->payloadModel()->isRevealed());
    QVERIFY(action("actionReveal")->isEnabled()); // reading is allowed while read-only
    Dialogs::setNextAnswer(Dialogs::Answer::Reject);
    QTest::keyClick(m_window.get(), Qt::Key_R, Qt::ControlModifier);
    QVERIFY(!m_window->payloadModel()->isRevealed());
    Dialogs::setNextAnswer(Dialogs::Answer::Accept);
    QTest::keyClick(m_window.get(), Qt::Key_R, Qt::ControlModifier);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->payloadModel()->isRevealed(), 10000);
    AuditLogModel audit(m_dir.filePath(QStringLiteral("audit.log")));
    audit.reload();
    QCOMPARE(audit.rowCount(), 1);
    QCOMPARE(audit.index(0, AuditLogModel::ActionColumn).data().toString(),
             QStringLiteral("reveal"));
}

void TestMainWindow::exportVisibleSessions()
{
    // A user id a spreadsheet would run as a formula, with a comma that needs quoting.
    const QString formula = QStringLiteral("=SUM(1+2),z");
    m_server.cli({QStringLiteral("SET"), QStringLiteral("sess:f1"),
                  QString::fromUtf8(session(formula.toUtf8(), "tok-f1")), QStringLiteral("EX"),
                  QStringLiteral("7200")});
    openWindow(false, 7, 4);
    if (QTest::currentTestFailed())
        return;
    auto *filter = m_window->findChild<QLineEdit *>(QStringLiteral("sessionsFilter"));
    const QList<QPair<QString, QByteArray>> cases = {
        {QStringLiteral("carol"), "c1,carol,"},
        // Marked as text inside the quotes: a spreadsheet strips quotes before it looks for "=".
        {QStringLiteral("SUM"), "f1,\"'=SUM(1+2),z\","}};
    for (const auto &[shown, firstRow] : cases) {
        filter->clear();
        QTest::keyClicks(filter, shown);
        QTRY_COMPARE(view("sessionsView")->model()->rowCount(), 1);
        const QString file = m_dir.filePath(shown + QStringLiteral(".csv"));
        MainWindow::setNextSaveFileName(file);
        QTest::keyClick(m_window.get(), Qt::Key_E, Qt::ControlModifier);
        QTRY_VERIFY(QFile::exists(file));
        QFile csv(file);
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        QVERIFY(lines.at(0).startsWith("id,user,ttl_seconds"));
        QVERIFY2(lines.at(1).startsWith(firstRow), lines.at(1).constData());
    }
}

void TestMainWindow::errorBannerWhenServerDies()
{
    RedisServer doomed;
    QVERIFY2(doomed.start(), qPrintable(doomed.errorString()));
    doomed.cli({QStringLiteral("SET"), QStringLiteral("sess:x"), QStringLiteral("{}")});
    m_window = Test::newWindow(m_dir);
    ConnectionProfile profile;
    profile.name = QStringLiteral("doomed");
    profile.url = doomed.url();
    m_window->openStore(profile);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->sessionsModel()->rowCount(), 1, 10000);
    const quint16 port = doomed.port();
    doomed.stop();
    QTest::keyClick(m_window.get(), Qt::Key_F5);
    MessageBanner *banner = m_window->banner();
    QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible() && banner->kind() == MessageBanner::Kind::Error,
                             15000);
    QVERIFY2(banner->text().contains(QStringLiteral("127.0.0.1:%1").arg(port)),
             qPrintable(banner->text()));
    // The rest of the window keeps working: the search box still answers.
    QVERIFY(m_window->findChild<QLineEdit *>(QStringLiteral("searchEdit"))->isEnabled());
}

void TestMainWindow::rateLimitOfTheConnectionIsUsedAndShown()
{
    m_window = Test::newWindow(m_dir);
    ConnectionProfile profile;
    profile.name = QStringLiteral("busy hours");
    profile.url = m_server.url();
    profile.userIndex = QString::fromLatin1(kIndex);
    profile.maxOpsPerSecond = 200;
    m_window->openStore(profile);
    QCOMPARE(m_window->client()->config().maxOpsPerSecond, 200);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->usersModel()->rowCount(), 3, 10000);
    auto *server = m_window->findChild<QLabel *>(QStringLiteral("statusServer"));
    QTRY_VERIFY2(server->text().contains(QStringLiteral("at most 200 operations/s")),
                 qPrintable(server->text()));

    // Destroy-all says what the limit means for its run: 6 sessions and 3 index keys to delete.
    allowChanges();
    if (QTest::currentTestFailed())
        return;
    action("actionDestroyAll")->trigger();
    DestroyAllDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = m_window->findChild<DestroyAllDialog *>()) != nullptr);
    QTRY_COMPARE_WITH_TIMEOUT(dialog->previewCount(), 6, 10000);
    const QString rate = dialog->findChild<QLabel *>(QStringLiteral("rateLimitValue"))->text();
    QVERIFY2(rate.contains(QStringLiteral("at most 200 operations a second")), qPrintable(rate));
    QVERIFY2(rate.endsWith(QStringLiteral("at least 45 ms")), qPrintable(rate));
    dialog->reject();
    QVERIFY(exists("sess:a1"));
}

void TestMainWindow::asksForPasswordAndNeverSavesIt()
{
    RedisServer guarded;
    RedisServer::Options serverOptions;
    serverOptions.configLines << QStringLiteral("requirepass open-sesame-42");
    QVERIFY2(guarded.start(serverOptions), qPrintable(guarded.errorString()));
    QProcess::execute(QStringLiteral("redis-cli"),
                      {QStringLiteral("-p"), QString::number(guarded.port()), QStringLiteral("-a"),
                       QStringLiteral("open-sesame-42"), QStringLiteral("--no-auth-warning"),
                       QStringLiteral("SET"), QStringLiteral("sess:p1"),
                       QStringLiteral("{\"user_id\":\"pat\"}")});
    m_window = Test::newWindow(m_dir, QStringLiteral("password-settings.ini"));
    ConnectionProfile profile;
    profile.name = QStringLiteral("guarded");
    profile.url = guarded.url();
    PasswordDialog::setNextPassword(QStringLiteral("open-sesame-42"));
    m_window->openStore(profile);
    QTRY_VERIFY_WITH_TIMEOUT(
        m_window->sessionsModel() && m_window->sessionsModel()->rowCount() == 1, 10000);
    QCOMPARE(m_window->sessionsModel()->summaryAt(0).user, QStringLiteral("pat"));
    m_window->close();
    m_window.reset();
    QFile settings(m_dir.filePath(QStringLiteral("password-settings.ini")));
    QVERIFY(settings.open(QIODevice::ReadOnly));
    QVERIFY(!settings.readAll().contains("open-sesame-42"));
}

void TestMainWindow::dynamoDbTableWorksTheSameWay()
{
    qputenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
    qputenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    qputenv("AWS_REGION", "eu-west-2");
    Test::DynaliteServer dynalite;
    QVERIFY2(dynalite.start(), qPrintable(dynalite.errorString()));
    QVERIFY(dynalite.createTable(QStringLiteral("sessions"), true));
    QList<QJsonObject> items;
    for (const auto &[sid, user] : {std::pair{"d1", "dana"}, {"d2", "dana"}, {"e1", "eli"}}) {
        items << QJsonObject{
            {QStringLiteral("id"),
             QJsonObject{
                 {QStringLiteral("S"), QString(QStringLiteral("sess:") + QLatin1String(sid))}}},
            {QStringLiteral("user_id"),
             QJsonObject{{QStringLiteral("S"), QString(QLatin1String(user))}}},
            {QStringLiteral("sess"),
             QJsonObject{{QStringLiteral("S"),
                          QStringLiteral(R"({"user_id":"%1","csrfSecret":"x"})")
                              .arg(QLatin1String(user))}}},
            {QStringLiteral("expires"),
             QJsonObject{{QStringLiteral("N"),
                          QString::number(QDateTime::currentSecsSinceEpoch() + 3600)}}}};
    }
    QVERIFY(dynalite.putItems(QStringLiteral("sessions"), items));

    m_window = Test::newWindow(m_dir, QStringLiteral("dynamo-settings.ini"));
    ConnectionProfile profile;
    profile.name = QStringLiteral("accounts");
    profile.url = QStringLiteral("dynamodb://sessions?endpoint=") + dynalite.endpoint();
    profile.schema = QStringLiteral("dynamodb-gds");
    m_window->openStore(profile);
    QTRY_VERIFY2_WITH_TIMEOUT(m_window->usersModel() && m_window->usersModel()->rowCount() == 2
                                  && !m_window->usersModel()->isLoading(),
                              qPrintable(m_window->banner()->text()), 15000);
    QSignalSpy finished(m_window.get(), &MainWindow::searchFinished);
    m_window->search(QStringLiteral("connect.sid=s%3Ad2.signature"));
    QVERIFY(finished.wait(10000));
    QVERIFY2(finished.last().at(0).toString().contains(QStringLiteral("user dana")),
             qPrintable(finished.last().at(0).toString()));
    allowChanges();
    if (QTest::currentTestFailed())
        return;
    action("actionDestroyAll")->trigger();
    DestroyAllDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = m_window->findChild<DestroyAllDialog *>()) != nullptr);
    QTRY_COMPARE_WITH_TIMEOUT(dialog->previewCount(), 3, 10000);
    auto *cost = dialog->findChild<QLabel *>(QStringLiteral("costValue"));
    QVERIFY(cost->isVisibleTo(dialog));
    QVERIFY2(cost->text().contains(QStringLiteral("write units")), qPrintable(cost->text()));
    dialog->findChild<QLineEdit *>(QStringLiteral("confirmTargetEdit"))
        ->setText(m_window->client()->targetName());
    QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("destroyButton")),
                      Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->hasReport(), 15000);
    QCOMPARE(dialog->lastReport().destroyed, 3);
    QCOMPARE(dynalite.countItems(QStringLiteral("sessions")), 0);
}

// A connection whose schema is "auto": the status bar names the layout the store was detected
// as (phpredis here), the search reads a PHP cookie with it, and the layout button's menu
// reopens the store with another layout.
void TestMainWindow::detectsTheLayoutAndLetsTheOperatorChooseAnother()
{
    QVERIFY(pipe(m_server,
                 "SELECT 1\n"
                 "SET PHPREDIS_SESSION:k5g620qiv9gl03hmadve81l3kb "
                 "user_id|i:7;login_at|i:1796045805; EX 1440\n"
                 "SET PHPREDIS_SESSION:dss88kgku8sh5sk3q4q0opu3b5 user_id|i:8; EX 1440\n"
                 "SET PHPREDIS_SESSION:dss88kgku8sh5sk3q4q0opu3b5_LOCK web1|42 EX 30\n"));
    m_window = Test::newWindow(m_dir);
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    ConnectionProfile profile;
    profile.name = QStringLiteral("php");
    profile.url = m_server.url() + QStringLiteral("/1");
    profile.schema = SessionLayout::kAuto;
    m_window->openStore(profile);
    QTRY_VERIFY_WITH_TIMEOUT(
        m_window->usersModel()->rowCount() == 2 && !m_window->usersModel()->isLoading(), 10000);
    QToolButton *button = m_window->layoutButton();
    QVERIFY(button->isVisible());
    QCOMPARE(button->text(), QStringLiteral("Layout: phpredis (detected)"));
    QVERIFY2(button->toolTip().startsWith(QStringLiteral("Layout phpredis (detected from")),
             qPrintable(button->toolTip()));
    QCOMPARE(m_window->client()->layout().schema, QStringLiteral("phpredis"));
    QTRY_COMPARE(m_window->sessionsModel()->rowCount(), 2); // not the lock key

    QSignalSpy finished(m_window.get(), &MainWindow::searchFinished);
    m_window->search(QStringLiteral("Cookie: theme=dark; PHPSESSID=dss88kgku8sh5sk3q4q0opu3b5"));
    QVERIFY(finished.wait(10000));
    const QString result = finished.first().at(0).toString();
    QVERIFY2(result.startsWith(QStringLiteral("cookie PHPSESSID of phpredis → session dss88kgk")),
             qPrintable(result));
    QVERIFY2(result.endsWith(QStringLiteral("user 8")), qPrintable(result));

    // Another layout, chosen from the status bar: the store reopens with it.
    QMenu *menu = button->menu();
    QVERIFY(menu);
    emit menu->aboutToShow();
    QAction *connectRedis = menu->findChild<QAction *>(QStringLiteral("layout-connect-redis"));
    QVERIFY(connectRedis);
    QVERIFY(menu->findChild<QAction *>(QStringLiteral("layout-auto"))->isChecked());
    connectRedis->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(button->text(), QStringLiteral("Layout: connect-redis"), 10000);
    QCOMPARE(m_window->client()->layout().schema, QStringLiteral("connect-redis"));
    QTRY_VERIFY(!m_window->usersModel()->isLoading());
    QCOMPARE(m_window->usersModel()->rowCount(), 0);
}

// In a window of the README's screenshots (1440 x 820), an e-mail address, dates, TTLs and
// payload values are shown whole (no "…"), columns no session fills are hidden, and the user
// column is hidden while the heading names the user.
void TestMainWindow::columnsShowTheirValuesWhole()
{
    const QString user = QStringLiteral("amelia.rossi-whitfield@example.com");
    QByteArray value = session(user.toUtf8(), "tok-amelia");
    value.replace(R"("path":"/")", R"("path":"/","expires":"2026-12-31T23:59:59.000Z")");
    m_server.cli({QStringLiteral("SET"), QStringLiteral("sess:amelia"), QString::fromUtf8(value),
                  QStringLiteral("EX"), QStringLiteral("7200")});
    m_window = Test::newWindow(m_dir);
    m_window->resize(1440, 820);
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    ConnectionProfile profile;
    profile.name = QStringLiteral("test");
    profile.url = m_server.url();
    m_window->openStore(profile);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->usersModel()->rowCount() == 4
                                 && !m_window->usersModel()->isLoading()
                                 && !m_window->sessionsModel()->isLoading(),
                             10000);
    QTableView *users = view("usersView");
    QTableView *sessions = view("sessionsView");
    // Every visible cell of a view fits its column.
    const auto checkWhole = [](QTableView *table) {
        const QFontMetrics metrics = table->fontMetrics();
        for (int column = 0; column < table->model()->columnCount(); ++column) {
            if (table->isColumnHidden(column))
                continue;
            for (int row = 0; row < table->model()->rowCount(); ++row) {
                const QString text = table->model()->index(row, column).data().toString();
                QVERIFY2(metrics.horizontalAdvance(text) < table->columnWidth(column),
                         qPrintable(QStringLiteral("column %1 is %2 px, \"%3\" needs %4 px")
                                        .arg(column)
                                        .arg(table->columnWidth(column))
                                        .arg(text)
                                        .arg(metrics.horizontalAdvance(text))));
            }
        }
    };
    checkWhole(users);
    if (QTest::currentTestFailed())
        return;
    // Every session, with its user; none of them says when it started, was last used or from
    // which device.
    QVERIFY(!sessions->isColumnHidden(SessionsModel::UserColumn));
    QVERIFY(sessions->isColumnHidden(SessionsModel::StartedColumn));
    QVERIFY(sessions->isColumnHidden(SessionsModel::LastAccessColumn));
    QVERIFY(sessions->isColumnHidden(SessionsModel::DeviceColumn));
    QVERIFY(!sessions->isColumnHidden(SessionsModel::ExpiresColumn));

    users->selectRow(rowOfUser(user));
    QTRY_COMPARE(m_window->sessionsModel()->user().value_or(QString()), user);
    QTRY_VERIFY(!m_window->sessionsModel()->isLoading());
    QCOMPARE(m_window->sessionsModel()->rowCount(), 1);
    QVERIFY(sessions->isColumnHidden(SessionsModel::UserColumn));
    checkWhole(sessions);
    if (QTest::currentTestFailed())
        return;

    // The payload's values get the room: a cookie's expiry date shows whole.
    sessions->selectRow(0);
    QTRY_VERIFY(m_window->payloadModel()->hasSession());
    auto *payload = m_window->findChild<QTreeView *>(QStringLiteral("payloadView"));
    const QModelIndex cookie = m_window->payloadModel()->index(0, PayloadModel::KeyColumn);
    QCOMPARE(cookie.data().toString(), QStringLiteral("cookie"));
    bool sawExpires = false;
    for (int row = 0; row < m_window->payloadModel()->rowCount(cookie); ++row) {
        const QModelIndex key =
            m_window->payloadModel()->index(row, PayloadModel::KeyColumn, cookie);
        if (key.data().toString() != u"expires")
            continue;
        sawExpires = true;
        const QString text = key.siblingAtColumn(PayloadModel::ValueColumn).data().toString();
        QVERIFY2(payload->fontMetrics().horizontalAdvance(text)
                     < payload->columnWidth(PayloadModel::ValueColumn),
                 qPrintable(text));
    }
    QVERIFY(sawExpires);
}

// View → Session columns (also the header's context menu) hides and shows a column, and the
// choice outlives the window; a column no session fills stays hidden whatever is chosen.
void TestMainWindow::sessionColumnsAreChosenAndKept()
{
    openWindow();
    if (QTest::currentTestFailed())
        return;
    QTableView *sessions = view("sessionsView");
    QAction *size = action("actionSessionColumn_size");
    QAction *device = action("actionSessionColumn_device");
    QVERIFY(size && device);
    QVERIFY(size->isChecked());
    QVERIFY(!sessions->isColumnHidden(SessionsModel::SizeColumn));
    size->trigger();
    QVERIFY(!size->isChecked());
    QVERIFY(sessions->isColumnHidden(SessionsModel::SizeColumn));
    QVERIFY(!sessions->isColumnHidden(SessionsModel::TtlColumn));
    // Checked, but none of these sessions names a device.
    QVERIFY(device->isChecked());
    QVERIFY(sessions->isColumnHidden(SessionsModel::DeviceColumn));

    auto *menu = m_window->findChild<QMenu *>(QStringLiteral("sessionColumnsMenu"));
    QVERIFY(menu);
    QVERIFY(menu->actions().contains(size));
    QVERIFY(!menu->isVisible());
    emit sessions->horizontalHeader()->customContextMenuRequested(QPoint(4, 4));
    QTRY_VERIFY(menu->isVisible());
    menu->close();

    // A new window over the same settings keeps the choice, and gives it back.
    m_window.reset();
    openWindow();
    if (QTest::currentTestFailed())
        return;
    sessions = view("sessionsView");
    size = action("actionSessionColumn_size");
    QVERIFY(!size->isChecked());
    QVERIFY(sessions->isColumnHidden(SessionsModel::SizeColumn));
    size->trigger();
    QVERIFY(!sessions->isColumnHidden(SessionsModel::SizeColumn));
}

// A user id holding a right-to-left override and a line break (what a web app let someone
// register) is shown escaped in the list, the heading and the logout question, so that it
// cannot pass for another user; logging it out acts on the exact id.
void TestMainWindow::oddUserIdsAreShownEscapedAndActedOnExactly()
{
    const QString odd = QStringLiteral("mallory\u202eeciffo-kcab\r\nalice");
    const QString shown = QStringLiteral("mallory\\u202eeciffo-kcab\\x0d\\x0aalice");
    QByteArray value = session(odd.toUtf8(), "tok-odd");
    m_server.cli({QStringLiteral("SET"), QStringLiteral("sess:odd1"), QString::fromUtf8(value),
                  QStringLiteral("EX"), QStringLiteral("7200")});
    m_server.cli(
        {QStringLiteral("SADD"), QStringLiteral("user-sessions:") + odd, QStringLiteral("odd1")});
    openWindow(false, 7, 4);
    if (QTest::currentTestFailed())
        return;
    const int row = rowOfUser(odd); // by the exact id
    QVERIFY(row >= 0);
    const QModelIndex cell = view("usersView")->model()->index(row, UsersModel::UserColumn);
    QCOMPARE(cell.data().toString(), shown);
    QVERIFY(!cell.data(Qt::ToolTipRole).toString().contains(QChar(0x202e)));

    allowChanges();
    if (QTest::currentTestFailed())
        return;
    view("usersView")->selectRow(row);
    QTRY_COMPARE(m_window->sessionsModel()->user().value_or(QString()), odd);
    QTRY_COMPARE(m_window->sessionsModel()->rowCount(), 1);
    const QString heading = m_window->findChild<QLabel *>(QStringLiteral("sessionsHeader"))->text();
    QVERIFY2(heading.contains(shown) && !heading.contains(QChar(0x202e)), qPrintable(heading));
    Dialogs::setNextAnswer(Dialogs::Answer::Accept);
    action("actionLogoutUser")->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!exists("sess:odd1"), 10000);
    const QString question = Dialogs::lastQuestionText();
    QVERIFY2(question.contains(shown) && !question.contains(QChar(0x202e))
                 && !question.contains(u'\r'),
             qPrintable(question));
    QTRY_VERIFY(!exists("user-sessions:" + odd.toUtf8()));
    for (const char *key : {"sess:a1", "sess:b1", "sess:c1", "user-sessions:alice", "other:keep"})
        QVERIFY(exists(key));
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
