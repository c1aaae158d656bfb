// The item models over a real store on a real redis-server, driven through StoreClient's
// worker thread. Every model runs under QAbstractItemModelTester.

#include "auditlogmodel.h"
#include "connectionprofile.h"
#include "connectionsmodel.h"
#include "payloadmodel.h"
#include "redisserver.h"
#include "sessionsmodel.h"
#include "settingsmodel.h"
#include "storeclient.h"
#include "usersmodel.h"

#include <QAbstractItemModelTester>
#include <QColor>
#include <QFont>
#include <QLocale>
#include <QProcess>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using namespace SessionDesk;
using SessionDesk::Test::RedisServer;

class TestModels final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void sessionsArriveInPagesWithoutDuplicates();
    void staleRepliesAreDropped();
    void userSessionsFromIndex();
    void ttlCountsDownInItsColumnOnly();
    void timesAreCompactWithTheWholeInTheTooltip();
    void usersModelCountsAndAdjusts();
    void usersCountingShowsTheKeysScanned();
    void payloadMasksUntilRevealed();
    void revokeIsAuditedAndRefusedWhenReadOnly();
    void lockedClientCannotUnlock();
    void settingsAndFailures();
    void guiThreadNeverRunsStoreWork();
    void profilesNeverStorePasswords();
    void connectionsModelListsSavedAndTransient();

private:
    // `maxOpsPerSecond` > 0: a rate-limited connection, slow enough to show progress.
    std::unique_ptr<StoreClient> client(bool locked = false, int maxOpsPerSecond = 0);

    RedisServer m_server;
    QTemporaryDir m_dir;
};

void TestModels::initTestCase()
{
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
}

void TestModels::init()
{
    m_server.cli({QStringLiteral("FLUSHALL")});
    // 1,200 sessions of 300 users, through redis-cli's pipe mode for speed.
    QByteArray commands;
    for (int i = 0; i < 1200; ++i) {
        const QByteArray user = "user" + QByteArray::number(i % 300) + "@example.org";
        const QByteArray value = "{\"user_id\":\"" + user + "\",\"tokens\":{\"accessToken\":\"at-"
            + QByteArray::number(i) + "\"},\"lastAccess\":1763625600000}";
        QByteArray escaped = value;
        escaped.replace('"', "\\\"");
        commands += "SET sess:s" + QByteArray::number(i) + " \"" + escaped + "\" EX 3600\n";
        commands += "SADD user-sessions:" + user + " s" + QByteArray::number(i) + "\n";
    }
    QProcess cli;
    cli.start(QStringLiteral("redis-cli"),
              {QStringLiteral("-p"), QString::number(m_server.port()), QStringLiteral("--pipe")});
    QVERIFY(cli.waitForStarted());
    cli.write(commands);
    cli.closeWriteChannel();
    QVERIFY(cli.waitForFinished(30000));
    QCOMPARE(m_server.cli({QStringLiteral("DBSIZE")}).trimmed(), QByteArray("1500"));
}

std::unique_ptr<StoreClient> TestModels::client(bool locked, int maxOpsPerSecond)
{
    StoreConfig config = *StoreConfig::fromUrl(m_server.url());
    config.readOnly = locked;
    config.maxOpsPerSecond = maxOpsPerSecond;
    SessionLayout layout = *SessionLayout::preset(QStringLiteral("connect-redis"));
    layout.userIndexPattern = QStringLiteral("user-sessions:{user}");
    return std::make_unique<StoreClient>(config, layout,
                                         m_dir.filePath(QStringLiteral("audit.log")));
}

void TestModels::sessionsArriveInPagesWithoutDuplicates()
{
    auto c = client();
    SessionsModel model(c.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setPageSize(250);
    QSignalSpy pages(&model, &SessionsModel::pageLoaded);
    model.showAll();
    QVERIFY(model.isLoading());
    QCOMPARE(model.rowCount(), 0); // rows come later, never on the calling thread
    QVERIFY(pages.wait(10000));
    const int firstPage = model.rowCount();
    QVERIFY(firstPage >= 250);
    QVERIFY(firstPage < 1200);
    // The tester may start a fetch too; either way, wait for each page in turn.
    for (int guard = 0; !model.isComplete() && guard < 100; ++guard) {
        if (model.canFetchMore({}))
            model.fetchMore({});
        QVERIFY(pages.wait(10000));
    }
    QVERIFY(model.isComplete());
    QCOMPARE(model.rowCount(), 1200);
    QSet<QByteArray> ids;
    for (int row = 0; row < model.rowCount(); ++row)
        ids.insert(model.index(row, 0).data(SessionsModel::SessionIdRole).toByteArray());
    QCOMPARE(ids.size(), 1200);
    QVERIFY(model.index(0, SessionsModel::LastAccessColumn).data().toString().size() > 0);
}

void TestModels::staleRepliesAreDropped()
{
    auto c = client();
    SessionsModel model(c.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy pages(&model, &SessionsModel::pageLoaded);
    model.showAll(); // superseded at once
    model.showUser(QStringLiteral("user7@example.org"));
    QVERIFY(pages.wait(10000));
    QCOMPARE(pages.size(), 1);
    QCOMPARE(model.rowCount(), 4);
    for (int row = 0; row < 4; ++row)
        QCOMPARE(model.index(row, SessionsModel::UserColumn).data().toString(),
                 QStringLiteral("user7@example.org"));
    // A later reply for the first request would have added rows; give it every chance.
    QSignalSpy connected(c.get(), &StoreClient::connected);
    c->connectToStore();
    QVERIFY(connected.wait(10000));
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(pages.size(), 1);
}

void TestModels::userSessionsFromIndex()
{
    m_server.cli({QStringLiteral("SADD"), QStringLiteral("user-sessions:user1@example.org"),
                  QStringLiteral("gone")});
    auto c = client();
    SessionsModel model(c.get());
    QSignalSpy pages(&model, &SessionsModel::pageLoaded);
    model.showUser(QStringLiteral("user1@example.org"));
    QVERIFY(pages.wait(10000));
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.staleIndexIds(), QList<QByteArray>{"gone"});
    QVERIFY(!model.canFetchMore({}));
    // Which optional columns these sessions fill (a last access only), as rows come and go.
    QVERIFY(!model.isColumnBlank(SessionsModel::LastAccessColumn));
    QVERIFY(model.isColumnBlank(SessionsModel::StartedColumn));
    QVERIFY(model.isColumnBlank(SessionsModel::DeviceColumn));
    QVERIFY(!model.isColumnBlank(SessionsModel::IdColumn));
    QList<QByteArray> ids;
    for (int row = 0; row < model.rowCount(); ++row)
        ids << model.index(row, 0).data(SessionsModel::SessionIdRole).toByteArray();
    model.removeSessions(ids.mid(1));
    QVERIFY(!model.isColumnBlank(SessionsModel::LastAccessColumn));
    model.removeSessions(ids.mid(0, 1));
    QCOMPARE(model.rowCount(), 0);
    QVERIFY(model.isColumnBlank(SessionsModel::LastAccessColumn));
}

void TestModels::ttlCountsDownInItsColumnOnly()
{
    auto c = client();
    SessionsModel model(c.get());
    QDateTime now = QDateTime::currentDateTimeUtc();
    model.setClock([&now] { return now; });
    QSignalSpy pages(&model, &SessionsModel::pageLoaded);
    model.showUser(QStringLiteral("user2@example.org"));
    QVERIFY(pages.wait(10000));
    const QModelIndex ttl = model.index(0, SessionsModel::TtlColumn);
    const QString before = ttl.data().toString();
    QVERIFY2(before.startsWith(QStringLiteral("0:59:")) || before == QStringLiteral("1:00:00"),
             qPrintable(before));
    now = now.addSecs(600);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QVERIFY(changed.wait(3000));
    const QModelIndex topLeft = changed.first().at(0).value<QModelIndex>();
    const QModelIndex bottomRight = changed.first().at(1).value<QModelIndex>();
    QCOMPARE(topLeft.column(), int(SessionsModel::TtlColumn));
    QCOMPARE(bottomRight.column(), int(SessionsModel::TtlColumn));
    QCOMPARE(bottomRight.row(), model.rowCount() - 1);
    // A new minute: the other times too ("12 min ago", "today"), never the id, user or size.
    QSet<int> columns;
    for (const QList<QVariant> &emitted : std::as_const(changed)) {
        for (int column = emitted.at(0).value<QModelIndex>().column();
             column <= emitted.at(1).value<QModelIndex>().column(); ++column)
            columns.insert(column);
    }
    QCOMPARE(columns,
             (QSet<int>{SessionsModel::StartedColumn, SessionsModel::LastAccessColumn,
                        SessionsModel::TtlColumn, SessionsModel::ExpiresColumn}));
    // Within the minute, the TTL alone.
    changed.clear();
    QVERIFY(changed.wait(3000));
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.first().at(0).value<QModelIndex>().column(), int(SessionsModel::TtlColumn));
    QCOMPARE(changed.first().at(1).value<QModelIndex>().column(), int(SessionsModel::TtlColumn));
    QVERIFY2(ttl.data().toString().startsWith(QStringLiteral("0:49:"))
                 || ttl.data().toString() == QStringLiteral("0:50:00"),
             qPrintable(ttl.data().toString()));
    now = now.addSecs(7200);
    QTRY_COMPARE(ttl.data().toString(), QStringLiteral("expired"));
    QCOMPARE(SessionsModel::formatTtl(-1), QStringLiteral("no expiry"));
    QCOMPARE(SessionsModel::formatTtl((2 * 86400 + 3600 + 61) * 1000LL),
             QStringLiteral("2d 1:01:01"));
}

// Started and expires read like a mail client's dates, a last access as how long ago; the
// tooltip has the whole date and time.
void TestModels::timesAreCompactWithTheWholeInTheTooltip()
{
    const QLocale locale;
    const QDateTime now(QDate(2026, 12, 2), QTime(12, 0)); // local time, a Wednesday
    const QDateTime morning(QDate(2026, 12, 2), QTime(9, 12));
    QCOMPARE(SessionsModel::formatWhen(morning, now),
             locale.toString(QTime(9, 12), QLocale::ShortFormat));
    QCOMPARE(SessionsModel::formatWhen(morning.addDays(-2), now),
             locale.dayName(1, QLocale::ShortFormat) + u' '
                 + locale.toString(QTime(9, 12), QLocale::ShortFormat));
    QCOMPARE(SessionsModel::formatWhen(morning.addDays(5), now),
             locale.dayName(1, QLocale::ShortFormat) + u' '
                 + locale.toString(QTime(9, 12), QLocale::ShortFormat));
    QCOMPARE(SessionsModel::formatWhen(morning.addDays(-10), now),
             locale.toString(QDate(2026, 11, 22), QLocale::ShortFormat));
    QCOMPARE(SessionsModel::formatWhen(QDateTime(), now), QString());

    QCOMPARE(SessionsModel::formatAgo(now.addSecs(-30), now), QStringLiteral("just now"));
    QCOMPARE(SessionsModel::formatAgo(now.addSecs(-12 * 60 - 59), now),
             QStringLiteral("12 min ago"));
    QCOMPARE(SessionsModel::formatAgo(now.addSecs(-5 * 3600), now), QStringLiteral("5 h ago"));
    QCOMPARE(SessionsModel::formatAgo(now.addDays(-3), now), QStringLiteral("3 d ago"));
    QCOMPARE(SessionsModel::formatAgo(now.addDays(-10), now),
             SessionsModel::formatWhen(now.addDays(-10), now));
    // A last access in the future (clocks disagree) is a time, not "-5 min ago".
    QCOMPARE(SessionsModel::formatAgo(now.addSecs(300), now),
             locale.toString(now.addSecs(300).time(), QLocale::ShortFormat));

    // In the model: the sessions' last access (20 Nov 2025) as a date, the whole in the tooltip.
    auto c = client();
    SessionsModel model(c.get());
    model.setClock([now] { return now.toUTC(); });
    QSignalSpy pages(&model, &SessionsModel::pageLoaded);
    model.showUser(QStringLiteral("user2@example.org"));
    QVERIFY(pages.wait(10000));
    const QModelIndex lastAccess = model.index(0, SessionsModel::LastAccessColumn);
    const QDateTime stored = QDateTime::fromMSecsSinceEpoch(1763625600000, Qt::UTC);
    QCOMPARE(lastAccess.data().toString(),
             locale.toString(stored.toLocalTime().date(), QLocale::ShortFormat));
    QCOMPARE(lastAccess.data(Qt::ToolTipRole).toString(),
             locale.toString(stored.toLocalTime(), QLocale::LongFormat));
}

void TestModels::usersModelCountsAndAdjusts()
{
    auto c = client();
    UsersModel model(c.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy loading(&model, &UsersModel::loadingChanged);
    model.reload();
    QVERIFY(model.isLoading());
    QTRY_VERIFY_WITH_TIMEOUT(!model.isLoading(), 10000);
    QCOMPARE(model.rowCount(), 300);
    QCOMPARE(model.users().sessionsExamined, 1200);
    QCOMPARE(model.sessionCount(QStringLiteral("user5@example.org")), 4);
    QVERIFY(model.statusText().contains(QStringLiteral("300")));
    model.sessionsRemoved(QStringLiteral("user5@example.org"), 4);
    QCOMPARE(model.rowCount(), 299);
    QCOMPARE(model.sessionCount(QStringLiteral("user5@example.org")), 0);
    QCOMPARE(model.users().sessionsExamined, 1196);
}

void TestModels::usersCountingShowsTheKeysScanned()
{
    // At most 4,000 operations a second: the 1,500 keys take about half a second, so progress
    // arrives while counting.
    auto c = client(false, 4000);
    UsersModel model(c.get());
    QStringList counting; // the status while counting
    connect(&model, &UsersModel::statusChanged, this, [&] {
        if (model.isLoading())
            counting << model.statusText();
    });
    model.reload();
    QTRY_VERIFY_WITH_TIMEOUT(!model.isLoading(), 20000);
    QCOMPARE(model.users().sessionsExamined, 1200);
    // Examined of the database's size (1,200 sessions and 300 index keys), as the CLI says.
    static const QRegularExpression progress(
        QStringLiteral("^Counting… ([\\d,]+) sessions so far · ([\\d,]+) of %1 keys scanned "
                       "\\((\\d+) %\\)$")
            .arg(QRegularExpression::escape(QLocale().toString(1500))));
    const QStringList withKeys = counting.filter(progress);
    QVERIFY2(!withKeys.isEmpty(), qPrintable(counting.join(u'|')));
    const QRegularExpressionMatch last = progress.match(withKeys.last());
    const qint64 examined = QLocale().toLongLong(last.captured(2));
    QVERIFY2(examined > 0 && examined <= 1500, qPrintable(withKeys.last()));
    QCOMPARE(last.captured(3).toInt(), int(std::min<qint64>(99, examined * 100 / 1500)));
}

void TestModels::payloadMasksUntilRevealed()
{
    auto c = client();
    PayloadModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy loaded(c.get(), &StoreClient::sessionLoaded);
    c->loadSession("s3");
    QVERIFY(loaded.wait(10000));
    model.setDetail(loaded.first().at(1).value<SessionDetail>());
    QVERIFY(model.hasSecrets());
    QModelIndex tokens;
    for (int row = 0; row < model.rowCount(); ++row) {
        if (model.index(row, 0).data().toString() == u"tokens")
            tokens = model.index(row, 0);
    }
    QVERIFY(tokens.isValid());
    QCOMPARE(model.rowCount(tokens), 1);
    const QModelIndex secret = model.index(0, PayloadModel::ValueColumn, tokens);
    QCOMPARE(secret.data().toString(), kMaskText);
    QVERIFY(!secret.data(PayloadModel::RawValueRole).isValid());

    QSignalSpy revealed(c.get(), &StoreClient::revealAllowed);
    c->reveal("s3");
    QVERIFY(revealed.wait(10000));
    model.setRevealed(true);
    QCOMPARE(model.index(0, PayloadModel::ValueColumn, tokens).data().toString(),
             QStringLiteral("at-3"));
    AuditLogModel audit(c->auditLogPath());
    audit.reload();
    QCOMPARE(audit.rowCount(), 1);
    QCOMPARE(audit.index(0, AuditLogModel::ActionColumn).data().toString(),
             QStringLiteral("reveal"));
    QVERIFY(audit.isIntact());
}

void TestModels::revokeIsAuditedAndRefusedWhenReadOnly()
{
    QFile::remove(m_dir.filePath(QStringLiteral("audit.log")));
    auto c = client();
    QVERIFY(!c->writesAllowed()); // connections open read-only
    QSignalSpy failed(c.get(), &StoreClient::failed);
    QSignalSpy revoked(c.get(), &StoreClient::revoked);
    QSignalSpy changed(c.get(), &StoreClient::storeChanged);
    const auto refusedId = c->revoke({"s1"});
    QVERIFY(failed.wait(10000));
    QCOMPARE(failed.first().at(0).value<StoreClient::RequestId>(), refusedId);
    QCOMPARE(failed.first().at(1).value<StorageError>().code, StorageError::Code::Refused);
    QCOMPARE(m_server.cli({QStringLiteral("EXISTS"), QStringLiteral("sess:s1")}).trimmed(),
             QByteArray("1"));

    QVERIFY(c->allowWrites(true));
    c->revoke({"s1"});
    QVERIFY(revoked.wait(10000));
    QCOMPARE(revoked.first().at(1).value<RevokeReport>().revoked, QList<QByteArray>{"s1"});
    QCOMPARE(changed.size(), 1);
    QCOMPARE(m_server.cli({QStringLiteral("EXISTS"), QStringLiteral("sess:s1")}).trimmed(),
             QByteArray("0"));
    AuditLogModel audit(c->auditLogPath());
    QAbstractItemModelTester tester(&audit, QAbstractItemModelTester::FailureReportingMode::QtTest);
    audit.reload();
    QCOMPARE(audit.rowCount(), 1); // the refused attempt changed nothing and left no record
    QCOMPARE(audit.index(0, AuditLogModel::ActionColumn).data().toString(),
             QStringLiteral("revoke"));
}

void TestModels::lockedClientCannotUnlock()
{
    auto c = client(true);
    QVERIFY(c->isLocked());
    QVERIFY(!c->allowWrites(true));
    QVERIFY(!c->writesAllowed());
    QSignalSpy failed(c.get(), &StoreClient::failed);
    c->destroyAll(false);
    QVERIFY(failed.wait(10000));
    QCOMPARE(failed.first().at(1).value<StorageError>().code, StorageError::Code::Refused);
    QCOMPARE(m_server.cli({QStringLiteral("DBSIZE")}).trimmed(), QByteArray("1500"));
}

void TestModels::settingsAndFailures()
{
    auto c = client();
    SettingsModel settings;
    QAbstractItemModelTester tester(&settings,
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy described(c.get(), &StoreClient::described);
    c->describe();
    QVERIFY(described.wait(10000));
    settings.setInfo(described.first().at(1).value<StoreInfo>());
    QVERIFY(settings.toText().contains(QStringLiteral("sessions: 1,200"))
            || settings.toText().contains(QStringLiteral("sessions: 1200")));

    StoreConfig nowhere;
    nowhere.port = Test::freeLoopbackPort();
    StoreClient dead(nowhere, *SessionLayout::preset(QStringLiteral("connect-redis")),
                     m_dir.filePath(QStringLiteral("audit.log")));
    UsersModel users(&dead);
    QSignalSpy failed(&users, &UsersModel::failed);
    users.reload();
    QVERIFY(failed.wait(10000));
    QVERIFY(failed.first().at(0).toString().contains(QString::number(nowhere.port)));
    QVERIFY(!users.isLoading());
}

void TestModels::guiThreadNeverRunsStoreWork()
{
    // A server that accepts and never answers: the call must still return at once.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    StoreConfig config;
    config.port = silent.serverPort();
    config.commandTimeoutMs = 2000;
    StoreClient c(config, *SessionLayout::preset(QStringLiteral("connect-redis")),
                  m_dir.filePath(QStringLiteral("audit.log")));
    QElapsedTimer clock;
    clock.start();
    const auto id = c.loadUsers();
    QVERIFY(clock.elapsed() < 50);
    QSignalSpy failed(&c, &StoreClient::failed);
    QVERIFY(failed.wait(10000));
    QCOMPARE(failed.first().at(0).value<StoreClient::RequestId>(), id);
    QCOMPARE(failed.first().at(1).value<StorageError>().code, StorageError::Code::Timeout);
}

void TestModels::profilesNeverStorePasswords()
{
    const QString path = m_dir.filePath(QStringLiteral("profiles.ini"));
    {
        QSettings settings(path, QSettings::IniFormat);
        ConnectionProfile profile;
        profile.name = QStringLiteral("prod");
        profile.url = QStringLiteral("rediss://support:hunter2-pw@cache.internal:6380/2");
        profile.userIndex = QStringLiteral("user-sessions:{user}");
        profile.readOnlyLocked = true;
        profile.color = QColor(Qt::red).name();
        ConnectionProfile::save(settings, {profile});
    }
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QVERIFY(!text.contains("hunter2"));
    QSettings settings(path, QSettings::IniFormat);
    const QList<ConnectionProfile> loaded = ConnectionProfile::load(settings);
    QCOMPARE(loaded.size(), 1);
    QCOMPARE(loaded.first().url, QStringLiteral("rediss://support@cache.internal:6380/2"));
    QVERIFY(loaded.first().readOnlyLocked);
    QCOMPARE(QColor(loaded.first().color), QColor(Qt::red));
    auto config = loaded.first().toConfig(QStringLiteral("typed-at-connect"));
    QVERIFY(config);
    QVERIFY(config->tls.enabled);
    QVERIFY(config->readOnly);
    QCOMPARE(config->database, 2);
    QCOMPARE(config->password, QStringLiteral("typed-at-connect"));
}

void TestModels::connectionsModelListsSavedAndTransient()
{
    ConnectionsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    ConnectionProfile a;
    a.name = QStringLiteral("prod");
    a.url = QStringLiteral("rediss://cache:6380/0");
    a.readOnlyLocked = true;
    ConnectionProfile b;
    b.name = QStringLiteral("staging");
    b.url = QStringLiteral("redis://staging:6379/0");
    model.setProfiles({a, b});
    QCOMPARE(model.rowCount(), 2);
    ConnectionProfile adHoc;
    adHoc.name = QStringLiteral("127.0.0.1:6379/0");
    adHoc.url = QStringLiteral("redis://127.0.0.1:6379/0");
    model.setTransient(adHoc);
    QCOMPARE(model.rowCount(), 3);
    QVERIFY(!model.isSaved(2));
    QVERIFY(model.index(2).data(Qt::FontRole).value<QFont>().italic());
    QVERIFY(model.index(0).data(Qt::ToolTipRole).toString().contains(QStringLiteral("read-only")));
    model.setTransient(b); // a saved name is not listed twice
    QCOMPARE(model.rowCount(), 3);
    model.setOpen(QStringLiteral("staging"));
    QVERIFY(model.index(1).data(Qt::FontRole).value<QFont>().bold());
    QVERIFY(!model.index(0).data(Qt::FontRole).value<QFont>().bold());
    QCOMPARE(model.rowOf(QStringLiteral("127.0.0.1:6379/0")), 2);
    QCOMPARE(model.savedProfiles().size(), 2);
}

QTEST_GUILESS_MAIN(TestModels)
#include "tst_models.moc"
