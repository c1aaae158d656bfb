// The real main window on a Redis Cluster and through Sentinel, driven with QTest on the
// offscreen platform against real servers.
// Cluster: 3 masters and a replica of master 0; sessions and their users' index keys on
// different masters. The window lists the users, revokes with the Delete key, logs a user out
// everywhere and destroys everything under the cluster's target name, after a failover it was
// not told about.
// Sentinel: three sentinels with a password of their own and data nodes with another. The
// window asks for the sentinels' password when they refuse (then for the store's), asks once
// only when the typed one is wrong (and again when the store is opened again), and follows a
// failover.

#include "auditlogmodel.h"
#include "destroyalldialog.h"
#include "dialogs.h"
#include "mainwindow.h"
#include "mainwindowtesting.h"
#include "messagebanner.h"
#include "passworddialog.h"
#include "redis/redisconnection.h"
#include "redisha.h"
#include "sessionsmodel.h"
#include "usersmodel.h"

#include <QAction>
#include <QLineEdit>
#include <QPushButton>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <map>

using namespace SessionDesk;
using SessionDesk::Redis::Command;
using SessionDesk::Redis::Connection;
using SessionDesk::Test::RedisCluster;
using SessionDesk::Test::RedisServer;
using SessionDesk::Test::SentinelSetup;

namespace {

const QString kIndex = QStringLiteral("user-sessions:{user}");
const QString kSentinelPassword = QStringLiteral("sentinel-secret");
const QString kDataPassword = QStringLiteral("data-secret");

QByteArray session(const QByteArray &user)
{
    return R"({"cookie":{"originalMaxAge":7200000,"httpOnly":true,"path":"/"},"user_id":")" + user
        + R"(","tokens":{"accessToken":"at-)" + user + R"("}})";
}

Redis::Reply errorReply(const QString &message)
{
    Redis::Reply reply;
    reply.type = Redis::Reply::Type::Error;
    reply.string = message.toUtf8();
    return reply;
}

std::unique_ptr<Connection> connectTo(const RedisServer &server, const QString &password = {})
{
    StoreConfig config = *StoreConfig::fromUrl(server.url());
    config.password = password;
    return std::make_unique<Connection>(config);
}

} // namespace

class TestMainWindowHa final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();
    void clusterAcrossMastersAndAFailover();
    void sentinelAsksForItsOwnPasswordThenTheStores();
    void wrongSentinelPasswordIsAskedOnce();
    void sentinelFailoverUnderAnOpenWindow();

private:
    void openWindow(const QString &url, const QString &password = {});
    static ConnectionProfile profile(const QString &url);
    // Waits until the users view shows `users` users and nothing is loading.
    void waitForUsers(int users);
    void allowChanges() { Test::allowChanges(*m_window); }
    QTableView *view(const char *name) const { return Test::tableView(*m_window, name); }
    int rowOfUser(const QString &user) const { return Test::rowOfUser(*m_window, user); }
    // The cluster: each slot's master as node 1 (a master throughout) sees it; learnt again
    // after a failover.
    void learnOwners() { m_owners = m_cluster.slotOwners(1); }
    // Runs `command` on the master that owns its key's slot (as last learnt).
    Redis::Reply onOwner(const Command &command);
    void seedCluster();
    void seedSentinel();
    Redis::Reply onSentinelMaster(const Command &command);

    RedisCluster m_cluster;
    QList<int> m_owners; // see learnOwners()
    std::map<int, std::unique_ptr<Connection>> m_nodeConnections; // by node index
    SentinelSetup m_sentinel;
    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;
};

void TestMainWindowHa::initTestCase()
{
    // The window must ask: the sentinels' password from the environment would answer for it.
    qunsetenv("SESSIONDESK_SENTINEL_PASSWORD");
    qunsetenv("SESSIONDESK_PASSWORD");
    RedisCluster::Options clusterOptions;
    clusterOptions.replicaOfFirst = true;
    QVERIFY2(m_cluster.start(clusterOptions), qPrintable(m_cluster.errorString()));
    SentinelSetup::Options sentinelOptions;
    sentinelOptions.sentinelPassword = kSentinelPassword;
    sentinelOptions.dataPassword = kDataPassword;
    QVERIFY2(m_sentinel.start(sentinelOptions), qPrintable(m_sentinel.errorString()));
}

void TestMainWindowHa::cleanup()
{
    m_window.reset();
    QFile::remove(m_dir.filePath(QStringLiteral("audit.log")));
}

void TestMainWindowHa::openWindow(const QString &url, const QString &password)
{
    m_window = Test::newWindow(m_dir);
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->openStore(profile(url), password);
    QVERIFY(m_window->client());
}

ConnectionProfile TestMainWindowHa::profile(const QString &url)
{
    ConnectionProfile profile;
    profile.name = QStringLiteral("ha");
    profile.url = url;
    profile.userIndex = kIndex;
    return profile;
}

void TestMainWindowHa::waitForUsers(int users)
{
    QTRY_VERIFY2_WITH_TIMEOUT(m_window->usersModel() && m_window->usersModel()->rowCount() == users
                                  && !m_window->usersModel()->isLoading()
                                  && !m_window->sessionsModel()->isLoading(),
                              qPrintable(m_window->banner()->text()), 15000);
}

Redis::Reply TestMainWindowHa::onOwner(const Command &command)
{
    const int owner = m_owners.value(Redis::keySlot(command.at(1)), -1);
    if (owner < 0)
        return errorReply(QStringLiteral("no master owns the slot"));
    std::unique_ptr<Connection> &connection = m_nodeConnections[owner];
    if (!connection)
        connection = connectTo(m_cluster.node(owner));
    auto reply = connection->command(command);
    return reply ? *reply : errorReply(reply.error().message);
}

void TestMainWindowHa::seedCluster()
{
    learnOwners();
    for (int i = 0; i < m_cluster.size(); ++i)
        QVERIFY(connectTo(m_cluster.node(i))->command({"FLUSHALL"})); // the test's reset
    for (int i = 0; i < 30; ++i) {
        const QByteArray sid = "c" + QByteArray::number(i);
        const QByteArray user = "user" + QByteArray::number(i % 3);
        QVERIFY(!onOwner({"SET", "sess:" + sid, session(user), "EX", "3600"}).isError());
        QVERIFY(!onOwner({"SADD", "user-sessions:" + user, sid}).isError());
    }
    QVERIFY(!onOwner({"SET", "other:keep", "1"}).isError());
}

void TestMainWindowHa::clusterAcrossMastersAndAFailover()
{
    seedCluster();
    if (QTest::currentTestFailed())
        return;
    // The layout spans masters: master 0 (which fails over) holds sessions of every user, and
    // the users' index keys are not all on the masters of their sessions.
    QList<int> holders;
    for (int i = 0; i < 30; ++i)
        holders << m_owners.value(Redis::keySlot(QByteArray("sess:c" + QByteArray::number(i))));
    for (int user = 0; user < 3; ++user) {
        bool onMasterZero = false;
        for (int i = user; i < 30; i += 3)
            onMasterZero = onMasterZero || holders.at(i) == 0;
        QVERIFY2(onMasterZero, "each user has a session on master 0");
    }

    openWindow(m_cluster.url(2));
    waitForUsers(3);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(m_window->usersModel()->sessionCount(QStringLiteral("user0")), 10);
    QVERIFY(m_window->client()->targetName().startsWith(QStringLiteral("cluster:")));

    // Master 0 hands over to its replica; the window's store knows the old map.
    QVERIFY2(m_cluster.failover(m_cluster.size() - 1), qPrintable(m_cluster.errorString()));
    learnOwners();
    allowChanges();
    if (QTest::currentTestFailed())
        return;

    // Revoke with the Delete key.
    view("usersView")->selectRow(rowOfUser(QStringLiteral("user0")));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->sessionsModel()->rowCount(), 10, 10000);
    QTableView *sessions = view("sessionsView");
    sessions->setFocus();
    sessions->selectRow(0);
    const QByteArray victim = sessions->selectionModel()
                                  ->selectedRows()
                                  .first()
                                  .data(SessionsModel::SessionIdRole)
                                  .toByteArray();
    Dialogs::setNextAnswer(Dialogs::Answer::Accept);
    QTest::keyClick(sessions, Qt::Key_Delete);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->sessionsModel()->rowCount(), 9, 10000);
    QCOMPARE(onOwner({"EXISTS", "sess:" + victim}).integer, 0);
    QCOMPARE(onOwner({"SCARD", "user-sessions:user0"}).integer, 9);

    // Log user1 out everywhere: sessions on every master, the index key on one.
    view("usersView")->selectRow(rowOfUser(QStringLiteral("user1")));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->sessionsModel()->rowCount(), 10, 10000);
    Dialogs::setNextAnswer(Dialogs::Answer::Accept);
    QTest::keyClick(m_window.get(), Qt::Key_L, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_COMPARE_WITH_TIMEOUT(rowOfUser(QStringLiteral("user1")), -1, 10000);
    for (int i = 1; i < 30; i += 3)
        QCOMPARE(onOwner({"EXISTS", "sess:c" + QByteArray::number(i)}).integer, 0);
    QCOMPARE(onOwner({"EXISTS", "user-sessions:user1"}).integer, 0);
    qint64 othersLeft = 0; // user0's but the revoked one, and user2's
    for (int i = 0; i < 30; ++i) {
        if (i % 3 != 1)
            othersLeft += onOwner({"EXISTS", "sess:c" + QByteArray::number(i)}).integer;
    }
    QCOMPARE(othersLeft, 19);

    // Destroy everything, confirmed with the cluster's target name.
    QTest::keyClick(m_window.get(), Qt::Key_Delete, Qt::ControlModifier | Qt::ShiftModifier);
    DestroyAllDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = m_window->findChild<DestroyAllDialog *>()) != nullptr);
    QTRY_COMPARE_WITH_TIMEOUT(dialog->previewCount(), 19, 10000);
    auto *destroy = dialog->findChild<QPushButton *>(QStringLiteral("destroyButton"));
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("confirmTargetEdit")),
                     m_window->client()->targetName());
    QVERIFY(destroy->isEnabled());
    QTest::mouseClick(destroy, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->hasReport(), 15000);
    const DestroyReport report = dialog->lastReport();
    QCOMPARE(report.destroyed, 19);
    QCOMPARE(report.unconfirmed, 0);
    QCOMPARE(report.failed, 0);
    QCOMPARE(report.indexKeysDestroyed, 2);
    QVERIFY(!report.cancelled);
    for (int i = 0; i < 30; ++i)
        QCOMPARE(onOwner({"EXISTS", "sess:c" + QByteArray::number(i)}).integer, 0);
    QCOMPARE(onOwner({"GET", "other:keep"}).string, QByteArray("1"));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->usersModel()->rowCount(), 0, 10000);
    QVERIFY(!m_window->banner()->isVisible()
            || m_window->banner()->kind() != MessageBanner::Kind::Error);

    // Every change is audited under the cluster's name.
    AuditLogModel audit(m_dir.filePath(QStringLiteral("audit.log")));
    audit.reload();
    QStringList actions;
    for (int row = 0; row < audit.rowCount(); ++row)
        actions << audit.index(row, AuditLogModel::ActionColumn).data().toString();
    actions.sort();
    QCOMPARE(actions,
             (QStringList{QStringLiteral("destroy-all"), QStringLiteral("logout-user"),
                          QStringLiteral("revoke")}));
}

Redis::Reply TestMainWindowHa::onSentinelMaster(const Command &command)
{
    auto reply =
        connectTo(m_sentinel.data(m_sentinel.masterIndex()), kDataPassword)->command(command);
    return reply ? *reply : errorReply(reply.error().message);
}

void TestMainWindowHa::seedSentinel()
{
    QVERIFY(!onSentinelMaster({"FLUSHALL"}).isError()); // the test's reset
    for (const auto &[sid, user] :
         QList<QPair<QByteArray, QByteArray>>{{"a1", "ann"}, {"a2", "ann"}, {"b1", "ben"}}) {
        QVERIFY(!onSentinelMaster({"SET", "sess:" + sid, session(user), "EX", "3600"}).isError());
        QVERIFY(!onSentinelMaster({"SADD", "user-sessions:" + user, sid}).isError());
    }
    QVERIFY(!onSentinelMaster({"SET", "other:keep", "1"}).isError());
}

void TestMainWindowHa::sentinelAsksForItsOwnPasswordThenTheStores()
{
    seedSentinel();
    const int asked = PasswordDialog::timesAsked();
    // The sentinels are asked first, so theirs is the first password asked for.
    PasswordDialog::setNextPassword(kSentinelPassword);
    PasswordDialog::setNextPassword(kDataPassword);
    openWindow(m_sentinel.url());
    waitForUsers(2);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(PasswordDialog::timesAsked(), asked + 2);
    QCOMPARE(PasswordDialog::lastSecretAsked(), PasswordDialog::Secret::Store);
    QCOMPARE(m_window->usersModel()->sessionCount(QStringLiteral("ann")), 2);

    // Neither password reaches the settings file.
    m_window->close();
    m_window.reset();
    QFile settings(m_dir.filePath(QStringLiteral("settings.ini")));
    QVERIFY(settings.open(QIODevice::ReadOnly));
    const QByteArray saved = settings.readAll();
    QVERIFY(!saved.contains(kSentinelPassword.toUtf8()));
    QVERIFY(!saved.contains(kDataPassword.toUtf8()));
}

void TestMainWindowHa::wrongSentinelPasswordIsAskedOnce()
{
    seedSentinel();
    const int asked = PasswordDialog::timesAsked();
    PasswordDialog::setNextPassword(QStringLiteral("not-the-sentinels"));
    openWindow(m_sentinel.url(), kDataPassword);
    MessageBanner *banner = m_window->banner();
    QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible() && banner->kind() == MessageBanner::Kind::Error,
                             15000);
    QCOMPARE(PasswordDialog::timesAsked(), asked + 1);
    QCOMPARE(PasswordDialog::lastSecretAsked(), PasswordDialog::Secret::Sentinels);
    QVERIFY2(banner->text().contains(QStringLiteral("sentinel credentials")),
             qPrintable(banner->text()));
    // The GUI's banner does not point at command-line options.
    QVERIFY2(!banner->text().contains(QStringLiteral("--sentinel")), qPrintable(banner->text()));
    QVERIFY(!banner->text().contains(QStringLiteral("not-the-sentinels")));

    // Opening the store again asks again, and the right password opens it.
    PasswordDialog::setNextPassword(kSentinelPassword);
    m_window->openStore(profile(m_sentinel.url()), kDataPassword);
    waitForUsers(2);
    QCOMPARE(PasswordDialog::timesAsked(), asked + 2);
    QCOMPARE(PasswordDialog::lastSecretAsked(), PasswordDialog::Secret::Sentinels);
}

void TestMainWindowHa::sentinelFailoverUnderAnOpenWindow()
{
    seedSentinel();
    PasswordDialog::setNextPassword(kSentinelPassword);
    openWindow(m_sentinel.url(), kDataPassword);
    waitForUsers(2);
    if (QTest::currentTestFailed())
        return;
    const int before = m_sentinel.masterIndex();
    QVERIFY2(m_sentinel.failover(), qPrintable(m_sentinel.errorString()));
    QCOMPARE(m_sentinel.masterIndex(), 1 - before);
    allowChanges();
    if (QTest::currentTestFailed())
        return;
    view("usersView")->selectRow(rowOfUser(QStringLiteral("ann")));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->sessionsModel()->rowCount(), 2, 10000);
    Dialogs::setNextAnswer(Dialogs::Answer::Accept);
    QTest::keyClick(m_window.get(), Qt::Key_L, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_COMPARE_WITH_TIMEOUT(rowOfUser(QStringLiteral("ann")), -1, 15000);
    // Gone on the new master, and nothing else touched there.
    QCOMPARE(onSentinelMaster({"EXISTS", "sess:a1", "sess:a2", "user-sessions:ann"}).integer, 0);
    QCOMPARE(onSentinelMaster({"EXISTS", "sess:b1", "other:keep"}).integer, 2);
    QVERIFY(!m_window->banner()->isVisible()
            || m_window->banner()->kind() != MessageBanner::Kind::Error);
}

QTEST_MAIN(TestMainWindowHa)
#include "tst_mainwindow_ha.moc"
