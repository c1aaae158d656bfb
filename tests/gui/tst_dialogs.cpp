// The small dialogs and the message banner, driven as real widgets on the offscreen platform:
// banner show/hide/action, connection profile validation, the modal-decision seams and the
// keyboard shortcut list.

#include "connectiondialog.h"
#include "dialogs.h"
#include "messagebanner.h"
#include "passworddialog.h"
#include "shortcutsdialog.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolButton>

#include <functional>

using namespace SessionDesk;

namespace {

// Runs `handle` on the next modal dialog as soon as it is shown (inside its exec()), without
// sleeping: a zero-interval timer looks for it from the dialog's own event loop. The dialog
// is closed afterwards if `handle` left it open.
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
        // A failed check returns from `handle` early: close the dialog so exec() returns.
        if (auto *dialog = qobject_cast<QDialog *>(modal); dialog && dialog->isVisible())
            dialog->reject();
    });
    timer->start();
}

template <typename T> T *child(QWidget *parent, const char *name)
{
    return parent->findChild<T *>(QString::fromLatin1(name));
}

} // namespace

class TestDialogs final : public QObject
{
    Q_OBJECT

private slots:
    void bannerIsHiddenByDefault();
    void bannerShowsPlainTextAndHides();
    void bannerActionRunsAndHides();
    void bannerActionMayShowANewMessage();
    void bannerCloseButtonDismisses();

    void connectionNeedsNameAndValidUrl();
    void connectionRejectsBadUserIndexPattern();
    void connectionWarnsAboutPasswordInUrl();
    void connectionInsecureTlsWarnsAndNeedsRediss();
    void connectionRefusesMissingTlsFiles();
    void connectionRefusesDuplicateName();
    void connectionProfileRoundTrip();
    void connectionSentinelAndClusterKinds();
    void connectionHighAvailabilityProfileRoundTrip();

    void confirmSeamAnswersWithoutAWindow();
    void confirmShowsPlainTextWithCancelAsDefault();
    void confirmAcceptButtonCarriesTheVerb();

    void passwordSeamAnswersWithoutAWindow();
    void passwordDialogHidesAndShowsThePassword();
    void passwordDialogNamesTheSentinels();

    void shortcutsListActionsInMenuOrder();
    void shortcutsFilter();
};

// ---- MessageBanner ----------------------------------------------------------------------

void TestDialogs::bannerIsHiddenByDefault()
{
    QWidget window;
    auto *banner = new MessageBanner(&window);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(!banner->isVisible());
    QVERIFY(banner->text().isEmpty());
}

void TestDialogs::bannerShowsPlainTextAndHides()
{
    QWidget window;
    auto *banner = new MessageBanner(&window);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    // Store data is untrusted: markup must show as typed, never be interpreted.
    const QString text = QStringLiteral("Cannot reach <b>127.0.0.1:6379</b>: connection refused.");
    banner->showMessage(text, MessageBanner::Kind::Error);
    QVERIFY(banner->isVisible());
    QCOMPARE(banner->text(), text);
    QCOMPARE(banner->kind(), MessageBanner::Kind::Error);
    auto *label = child<QLabel>(banner, "bannerText");
    QVERIFY(label);
    QCOMPARE(label->textFormat(), Qt::PlainText);
    QCOMPARE(label->text(), text);
    auto *action = child<QPushButton>(banner, "bannerAction");
    QVERIFY(action);
    QVERIFY(!action->isVisible()); // no action given

    banner->showMessage(QStringLiteral("Counting…"), MessageBanner::Kind::Info);
    QCOMPARE(banner->kind(), MessageBanner::Kind::Info);
    QCOMPARE(banner->text(), QStringLiteral("Counting…"));

    banner->hideMessage();
    QVERIFY(!banner->isVisible());
}

void TestDialogs::bannerActionRunsAndHides()
{
    QWidget window;
    auto *banner = new MessageBanner(&window);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    int calls = 0;
    banner->showMessage(QStringLiteral("Lost the connection to 127.0.0.1:6379."),
                        MessageBanner::Kind::Warning, QStringLiteral("Retry"), [&] { ++calls; });
    auto *action = child<QPushButton>(banner, "bannerAction");
    QVERIFY(action);
    QVERIFY(action->isVisible());
    QCOMPARE(action->text(), QStringLiteral("Retry"));
    QCOMPARE(action->accessibleName(), QStringLiteral("Retry"));

    QTest::mouseClick(action, Qt::LeftButton);
    QCOMPARE(calls, 1);
    QVERIFY(!banner->isVisible());

    // A later message without an action must not keep the old one.
    banner->showMessage(QStringLiteral("Saved."), MessageBanner::Kind::Info);
    QVERIFY(!action->isVisible());
    action->click();
    QCOMPARE(calls, 1);
}

void TestDialogs::bannerActionMayShowANewMessage()
{
    QWidget window;
    auto *banner = new MessageBanner(&window);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    banner->showMessage(QStringLiteral("first failure"), MessageBanner::Kind::Error,
                        QStringLiteral("Retry"), [banner] {
                            banner->showMessage(QStringLiteral("second failure"),
                                                MessageBanner::Kind::Error);
                        });
    child<QPushButton>(banner, "bannerAction")->click();
    QVERIFY(banner->isVisible());
    QCOMPARE(banner->text(), QStringLiteral("second failure"));
}

void TestDialogs::bannerCloseButtonDismisses()
{
    QWidget window;
    auto *banner = new MessageBanner(&window);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy dismissed(banner, &MessageBanner::dismissed);

    int calls = 0;
    banner->showMessage(QStringLiteral("x"), MessageBanner::Kind::Warning, QStringLiteral("Retry"),
                        [&] { ++calls; });
    auto *close = child<QToolButton>(banner, "bannerClose");
    QVERIFY(close);
    QVERIFY(!close->accessibleName().isEmpty());
    QTest::mouseClick(close, Qt::LeftButton);
    QVERIFY(!banner->isVisible());
    QCOMPARE(dismissed.count(), 1);
    QCOMPARE(calls, 0); // closing is not the action
}

// ---- ConnectionDialog -------------------------------------------------------------------

void TestDialogs::connectionNeedsNameAndValidUrl()
{
    ConnectionDialog dialog;
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *ok = child<QPushButton>(&dialog, "okButton");
    auto *error = child<QLabel>(&dialog, "validationError");
    auto *name = child<QLineEdit>(&dialog, "nameEdit");
    auto *url = child<QLineEdit>(&dialog, "urlEdit");
    QVERIFY(ok && error && name && url);
    QCOMPARE(url->placeholderText(), QStringLiteral("redis://host:6379/0"));

    QVERIFY(!ok->isEnabled()); // nothing entered yet
    QTest::keyClicks(name, QStringLiteral("staging"));
    QVERIFY(!ok->isEnabled()); // still no URL

    QTest::keyClicks(url, QStringLiteral("http://example.org/"));
    QVERIFY(!ok->isEnabled());
    QVERIFY(error->isVisible());
    QVERIFY(error->text().contains(QStringLiteral("redis://")));
    QCOMPARE(error->text(), dialog.validationError());

    url->clear();
    QTest::keyClicks(url, QStringLiteral("redis://127.0.0.1:99999/0"));
    QVERIFY(!ok->isEnabled());
    QVERIFY(error->text().contains(QStringLiteral("port")));

    url->setText(QStringLiteral("redis://127.0.0.1:6379/notadb"));
    QVERIFY(!ok->isEnabled());

    url->setText(QStringLiteral("redis://127.0.0.1:6379/2"));
    QVERIFY(ok->isEnabled());
    QVERIFY(!error->isVisible());
    QVERIFY(dialog.validationError().isEmpty());
    QCOMPARE(dialog.profile().url, QStringLiteral("redis://127.0.0.1:6379/2"));
    QCOMPARE(dialog.profile().name, QStringLiteral("staging"));
}

void TestDialogs::connectionRejectsBadUserIndexPattern()
{
    ConnectionDialog dialog;
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *ok = child<QPushButton>(&dialog, "okButton");
    auto *index = child<QLineEdit>(&dialog, "userIndexEdit");
    QVERIFY(ok && index);
    QCOMPARE(index->placeholderText(), QStringLiteral("user-sessions:{user}"));
    child<QLineEdit>(&dialog, "nameEdit")->setText(QStringLiteral("local"));
    child<QLineEdit>(&dialog, "urlEdit")->setText(QStringLiteral("redis://localhost"));
    QVERIFY(ok->isEnabled()); // no index is fine

    index->setText(QStringLiteral("user-sessions"));
    QVERIFY(!ok->isEnabled());
    QVERIFY(dialog.validationError().contains(QStringLiteral("{user}")));
    index->setText(QStringLiteral("{user}:{user}"));
    QVERIFY(!ok->isEnabled());
    // Inside the session prefix: known once a preset is chosen ("auto" has no prefix yet).
    auto *schema = child<QComboBox>(&dialog, "schemaCombo");
    QVERIFY(schema);
    QCOMPARE(schema->currentData().toString(), QStringLiteral("auto"));
    QVERIFY(schema->findData(QStringLiteral("connect-redis")) >= 0);
    schema->setCurrentIndex(schema->findData(QStringLiteral("connect-redis")));
    index->setText(QStringLiteral("sess:{user}"));
    QVERIFY(!ok->isEnabled());
    index->setText(QStringLiteral("user-sessions:{user}"));
    QVERIFY(ok->isEnabled());
    QCOMPARE(dialog.profile().userIndex, QStringLiteral("user-sessions:{user}"));
}

void TestDialogs::connectionWarnsAboutPasswordInUrl()
{
    ConnectionDialog dialog;
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *ok = child<QPushButton>(&dialog, "okButton");
    auto *warning = child<QLabel>(&dialog, "passwordWarning");
    auto *url = child<QLineEdit>(&dialog, "urlEdit");
    QVERIFY(ok && warning && url);
    child<QLineEdit>(&dialog, "nameEdit")->setText(QStringLiteral("prod"));

    QTest::keyClicks(url, QStringLiteral("redis://admin:s3cret@10.0.0.5:6380/1"));
    QVERIFY(warning->isVisible());
    QVERIFY(warning->text().contains(QStringLiteral("not be saved")));
    QVERIFY(ok->isEnabled()); // a warning, not an error
    const ConnectionProfile profile = dialog.profile();
    QVERIFY(!profile.url.contains(QStringLiteral("s3cret")));
    QCOMPARE(profile.url, QStringLiteral("redis://admin@10.0.0.5:6380/1"));

    url->setText(QStringLiteral("redis://admin@10.0.0.5:6380/1"));
    QVERIFY(!warning->isVisible());
}

void TestDialogs::connectionInsecureTlsWarnsAndNeedsRediss()
{
    ConnectionDialog dialog;
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *ok = child<QPushButton>(&dialog, "okButton");
    auto *insecure = child<QCheckBox>(&dialog, "tlsInsecureCheck");
    auto *warning = child<QLabel>(&dialog, "insecureWarning");
    QVERIFY(ok && insecure && warning);
    child<QLineEdit>(&dialog, "nameEdit")->setText(QStringLiteral("tls"));
    child<QLineEdit>(&dialog, "urlEdit")->setText(QStringLiteral("rediss://redis.internal:6380"));
    QVERIFY(ok->isEnabled());
    QVERIFY(!warning->isVisible());

    QTest::mouseClick(insecure, Qt::LeftButton, {}, QPoint(5, insecure->height() / 2));
    QVERIFY(insecure->isChecked());
    QVERIFY(warning->isVisible());
    QVERIFY(ok->isEnabled());
    QVERIFY(dialog.profile().tlsInsecure);

    // TLS settings on a plain URL would not be used: refuse rather than mislead.
    child<QLineEdit>(&dialog, "urlEdit")->setText(QStringLiteral("redis://redis.internal:6380"));
    QVERIFY(!ok->isEnabled());
    QVERIFY(dialog.validationError().contains(QStringLiteral("rediss://")));

    insecure->setChecked(false);
    QVERIFY(!warning->isVisible());
    QVERIFY(ok->isEnabled());
}

void TestDialogs::connectionRefusesMissingTlsFiles()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString ca = dir.filePath(QStringLiteral("ca.pem"));
    QFile file(ca);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("-----BEGIN CERTIFICATE-----\n");
    file.close();

    ConnectionDialog dialog;
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *ok = child<QPushButton>(&dialog, "okButton");
    child<QLineEdit>(&dialog, "nameEdit")->setText(QStringLiteral("tls"));
    child<QLineEdit>(&dialog, "urlEdit")->setText(QStringLiteral("rediss://redis.internal"));
    auto *caEdit = child<QLineEdit>(&dialog, "tlsCaFileEdit");
    QVERIFY(caEdit);
    caEdit->setText(dir.filePath(QStringLiteral("missing.pem")));
    QVERIFY(!ok->isEnabled());
    caEdit->setText(ca);
    QVERIFY(ok->isEnabled());

    // A client certificate without its key is refused.
    child<QLineEdit>(&dialog, "tlsCertFileEdit")->setText(ca);
    QVERIFY(!ok->isEnabled());
    child<QLineEdit>(&dialog, "tlsKeyFileEdit")->setText(ca);
    QVERIFY(ok->isEnabled());
    QCOMPARE(dialog.profile().tlsCaFile, ca);
}

void TestDialogs::connectionRefusesDuplicateName()
{
    ConnectionDialog dialog;
    dialog.setExistingNames({QStringLiteral("prod"), QStringLiteral("staging")});
    auto *ok = child<QPushButton>(&dialog, "okButton");
    child<QLineEdit>(&dialog, "nameEdit")->setText(QStringLiteral("prod"));
    child<QLineEdit>(&dialog, "urlEdit")->setText(QStringLiteral("redis://localhost"));
    QVERIFY(!ok->isEnabled());
    child<QLineEdit>(&dialog, "nameEdit")->setText(QStringLiteral("prod 2"));
    QVERIFY(ok->isEnabled());

    // Editing "prod" itself keeps its name.
    ConnectionProfile prod;
    prod.name = QStringLiteral("prod");
    prod.url = QStringLiteral("redis://localhost");
    ConnectionDialog edit;
    edit.setExistingNames({QStringLiteral("prod"), QStringLiteral("staging")});
    edit.setProfile(prod);
    QVERIFY(child<QPushButton>(&edit, "okButton")->isEnabled());
}

void TestDialogs::connectionProfileRoundTrip()
{
    ConnectionProfile p;
    p.name = QStringLiteral("prod-sessions");
    p.url = QStringLiteral("rediss://auditor@10.1.2.3:6380/3");
    p.schema = QStringLiteral("connect-redis");
    p.userIndex = QStringLiteral("user-sessions:{user}");
    p.userFields = {QStringLiteral("passport.user")};
    p.tlsServerName = QStringLiteral("redis.prod.internal");
    p.tlsInsecure = false;
    p.readOnlyLocked = true;
    p.color = QColor(0xc6, 0x28, 0x28).name();
    p.maxOpsPerSecond = 5000;

    ConnectionDialog dialog;
    dialog.setProfile(p);
    QVERIFY(dialog.validationError().isEmpty());
    QVERIFY(child<QCheckBox>(&dialog, "readOnlyCheck")->isChecked());
    const ConnectionProfile q = dialog.profile();
    QCOMPARE(q.name, p.name);
    QCOMPARE(q.url, p.url);
    QCOMPARE(q.schema, p.schema);
    QCOMPARE(q.userIndex, p.userIndex);
    QCOMPARE(q.userFields, p.userFields); // not edited here, but kept
    QCOMPARE(q.tlsServerName, p.tlsServerName);
    QCOMPARE(q.tlsInsecure, p.tlsInsecure);
    QCOMPARE(q.readOnlyLocked, p.readOnlyLocked);
    QCOMPARE(q.color, p.color);
    QCOMPARE(q.maxOpsPerSecond, 5000);
    auto *rate = child<QSpinBox>(&dialog, "maxOpsSpin");
    QVERIFY(rate->isEnabled());
    rate->setValue(0);
    QCOMPARE(dialog.profile().maxOpsPerSecond, 0);
    QCOMPARE(rate->text(), QStringLiteral("no limit"));
    // A DynamoDB table has no such limit: the field is off.
    child<QLineEdit>(&dialog, "urlEdit")->setText(QStringLiteral("dynamodb://sessions"));
    QVERIFY(!rate->isEnabled());

    child<QPushButton>(&dialog, "clearColorButton")->click();
    QVERIFY(dialog.profile().color.isEmpty());
}

void TestDialogs::connectionSentinelAndClusterKinds()
{
    ConnectionDialog dialog;
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *ok = child<QPushButton>(&dialog, "okButton");
    auto *url = child<QLineEdit>(&dialog, "urlEdit");
    auto *kind = child<QLabel>(&dialog, "kindLabel");
    auto *sentinelUser = child<QLineEdit>(&dialog, "sentinelUserEdit");
    auto *hostMap = child<QLineEdit>(&dialog, "clusterHostMapEdit");
    auto *warning = child<QLabel>(&dialog, "passwordWarning");
    QVERIFY(ok && url && kind && sentinelUser && hostMap && warning);
    child<QLineEdit>(&dialog, "nameEdit")->setText(QStringLiteral("ha"));

    // Sentinel: the dialog names the master and the number of sentinels, and offers the
    // sentinels' own user; the host map is for clusters.
    QTest::keyClicks(url, QStringLiteral("redis-sentinel://app:pw@s1:26379,s2,s3/sessions/2"));
    QVERIFY(ok->isEnabled());
    QVERIFY2(kind->text().contains(QStringLiteral("Sentinel"))
                 && kind->text().contains(QStringLiteral("sessions"))
                 && kind->text().contains(QStringLiteral("3 sentinel")),
             qPrintable(kind->text()));
    QVERIFY(warning->isVisible()); // the data password in the URL is not kept
    QVERIFY(sentinelUser->isEnabled());
    QVERIFY(!hostMap->isEnabled());
    QTest::keyClicks(sentinelUser, QStringLiteral("watcher"));
    QVERIFY(ok->isEnabled());
    ConnectionProfile sentinel = dialog.profile();
    QCOMPARE(sentinel.url,
             QStringLiteral("redis-sentinel://app@s1:26379,s2:26379,s3:26379/sessions/2"));
    QCOMPARE(sentinel.sentinelUser, QStringLiteral("watcher"));
    QCOMPARE(sentinel.kindLabel(), QStringLiteral("Redis Sentinel"));
    QVERIFY(!sentinel.url.contains(QStringLiteral("pw")));

    // Cluster: a sentinel user does not apply (refused, not silently dropped); a host map does.
    url->setText(QStringLiteral("rediss-cluster://c1:7000,c2:7001"));
    QVERIFY(!ok->isEnabled());
    QVERIFY(dialog.validationError().contains(QStringLiteral("redis-sentinel://")));
    sentinelUser->clear();
    QVERIFY(ok->isEnabled());
    QVERIFY2(kind->text().contains(QStringLiteral("Cluster"))
                 && kind->text().contains(QStringLiteral("2 node"))
                 && kind->text().contains(QStringLiteral("TLS")),
             qPrintable(kind->text()));
    QVERIFY(!sentinelUser->isEnabled());
    QVERIFY(hostMap->isEnabled());
    QTest::keyClicks(hostMap, QStringLiteral("10.0.0.5:7000=127.0.0.1:17000, 10.0.0.6=localhost"));
    QVERIFY(ok->isEnabled());
    ConnectionProfile cluster = dialog.profile();
    QCOMPARE(cluster.clusterHostMap,
             (QStringList{QStringLiteral("10.0.0.5:7000=127.0.0.1:17000"),
                          QStringLiteral("10.0.0.6=localhost")}));
    QCOMPARE(cluster.kindLabel(), QStringLiteral("Redis Cluster (TLS)"));
    hostMap->setText(QStringLiteral("10.0.0.5"));
    QVERIFY(!ok->isEnabled());
    QVERIFY(dialog.validationError().contains(QStringLiteral("ANNOUNCED=REACHABLE")));
    hostMap->setText(QStringLiteral("10.0.0.5=127.0.0.1"));
    QVERIFY(ok->isEnabled());

    // TLS settings need a TLS form of the URL; a host map needs a cluster URL.
    child<QCheckBox>(&dialog, "tlsInsecureCheck")->setChecked(true);
    QVERIFY(ok->isEnabled());
    url->setText(QStringLiteral("redis-cluster://c1:7000"));
    QVERIFY(!ok->isEnabled());
    QVERIFY(dialog.validationError().contains(QStringLiteral("rediss-cluster://")));
    child<QCheckBox>(&dialog, "tlsInsecureCheck")->setChecked(false);
    QVERIFY(ok->isEnabled());
    url->setText(QStringLiteral("redis://c1:7000"));
    QVERIFY(!ok->isEnabled());
    QVERIFY(dialog.validationError().contains(QStringLiteral("redis-cluster://")));

    // Malformed forms are refused with their reason.
    hostMap->clear();
    url->setText(QStringLiteral("redis-sentinel://s1:26379"));
    QVERIFY(!ok->isEnabled());
    QVERIFY(dialog.validationError().contains(QStringLiteral("master")));
    url->setText(QStringLiteral("redis-cluster://c1:7000/4"));
    QVERIFY(!ok->isEnabled());
    QVERIFY(dialog.validationError().contains(QStringLiteral("database 0")));
}

void TestDialogs::connectionHighAvailabilityProfileRoundTrip()
{
    ConnectionProfile p;
    p.name = QStringLiteral("prod cluster");
    p.url = QStringLiteral("redis-cluster://ops@10.1.0.1:7000,10.1.0.2:7000");
    p.clusterHostMap = {QStringLiteral("10.1.0.1=127.0.0.1"),
                        QStringLiteral("10.1.0.2:7000=127.0.0.1:17000")};
    ConnectionDialog dialog;
    dialog.setProfile(p);
    QVERIFY(dialog.validationError().isEmpty());
    QCOMPARE(dialog.profile().clusterHostMap, p.clusterHostMap);
    QCOMPARE(dialog.profile().url, p.url);

    ConnectionProfile s;
    s.name = QStringLiteral("prod sentinel");
    s.url = QStringLiteral("rediss-sentinel://app@s1:26379,s2:26380/mymaster/1");
    s.sentinelUser = QStringLiteral("watcher");

    // Saved and loaded again: the new fields survive, no password is written.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("profiles.ini"));
    {
        QSettings settings(path, QSettings::IniFormat);
        ConnectionProfile::save(settings, {p, s});
    }
    QSettings settings(path, QSettings::IniFormat);
    const QList<ConnectionProfile> loaded = ConnectionProfile::load(settings);
    QCOMPARE(loaded.size(), 2);
    QCOMPARE(loaded.at(0).clusterHostMap, p.clusterHostMap);
    QCOMPARE(loaded.at(1).sentinelUser, QStringLiteral("watcher"));
    QCOMPARE(loaded.at(1).url, s.url);

    // Opening: the host map becomes the config's, the sentinels' password comes from the
    // environment, the data password from the caller.
    qputenv("SESSIONDESK_SENTINEL_PASSWORD", "from-environment");
    auto sentinelConfig = loaded.at(1).toConfig(QStringLiteral("typed"));
    qunsetenv("SESSIONDESK_SENTINEL_PASSWORD");
    QVERIFY(sentinelConfig);
    QCOMPARE(sentinelConfig->sentinelUsername, QStringLiteral("watcher"));
    QCOMPARE(sentinelConfig->sentinelPassword, QStringLiteral("from-environment"));
    QCOMPARE(sentinelConfig->password, QStringLiteral("typed"));
    QCOMPARE(sentinelConfig->targetName(), QStringLiteral("sentinel:mymaster/1"));
    auto clusterConfig = loaded.at(0).toConfig(QString());
    QVERIFY(clusterConfig);
    QCOMPARE(clusterConfig->hostMap.size(), 2);
    QCOMPARE(clusterConfig->hostMap.at(1).apply({QStringLiteral("10.1.0.2"), 7000})->text(),
             QStringLiteral("127.0.0.1:17000"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(!file.readAll().contains("typed"));
}

// ---- Dialogs::confirm -------------------------------------------------------------------

void TestDialogs::confirmSeamAnswersWithoutAWindow()
{
    Dialogs::setNextAnswer(Dialogs::Answer::Accept);
    QVERIFY(Dialogs::confirm(nullptr, QStringLiteral("Revoke"), QStringLiteral("Revoke 9f2c?"),
                             QStringLiteral("Revoke session")));
    QCOMPARE(Dialogs::lastQuestionText(), QStringLiteral("Revoke 9f2c?"));

    Dialogs::setNextAnswer(Dialogs::Answer::Reject);
    QVERIFY(!Dialogs::confirm(nullptr, QStringLiteral("Log out"), QStringLiteral("Log out alice?"),
                              QStringLiteral("Log out user")));
    QCOMPARE(Dialogs::lastQuestionText(), QStringLiteral("Log out alice?"));
    QVERIFY(QApplication::topLevelWidgets().isEmpty()
            || !QApplication::activeModalWidget()); // nothing was shown
}

void TestDialogs::confirmShowsPlainTextWithCancelAsDefault()
{
    const QString text =
        QStringLiteral("Log out <i>alice</i>@example.org everywhere (3 sessions)?");
    bool checked = false;
    whenModalShown([&](QWidget *modal) {
        auto *box = qobject_cast<QMessageBox *>(modal);
        QVERIFY(box);
        QCOMPARE(box->textFormat(), Qt::PlainText);
        QCOMPARE(box->text(), text);
        QVERIFY(box->defaultButton());
        QCOMPARE(box->defaultButton()->objectName(), QStringLiteral("confirmCancelButton"));
        auto *accept = child<QPushButton>(box, "confirmAcceptButton");
        QVERIFY(accept);
        QCOMPARE(accept->text(), QStringLiteral("Log out user"));
        checked = true;
        QTest::keyClick(box, Qt::Key_Escape);
    });
    const bool answer = Dialogs::confirm(nullptr, QStringLiteral("Log out user"), text,
                                         QStringLiteral("Log out user"));
    QVERIFY(checked);
    QVERIFY(!answer);

    // Enter takes the default button, Cancel.
    whenModalShown([](QWidget *modal) { QTest::keyClick(modal, Qt::Key_Return); });
    QVERIFY(!Dialogs::confirm(nullptr, QStringLiteral("Log out user"), text,
                              QStringLiteral("Log out user")));
}

void TestDialogs::confirmAcceptButtonCarriesTheVerb()
{
    whenModalShown([](QWidget *modal) {
        auto *accept = child<QPushButton>(modal, "confirmAcceptButton");
        QVERIFY(accept);
        QCOMPARE(accept->text(), QStringLiteral("Revoke session"));
        accept->click();
    });
    QVERIFY(Dialogs::confirm(nullptr, QStringLiteral("Revoke session"),
                             QStringLiteral("Revoke session 9f2c…?"),
                             QStringLiteral("Revoke session")));
}

// ---- PasswordDialog ---------------------------------------------------------------------

void TestDialogs::passwordSeamAnswersWithoutAWindow()
{
    PasswordDialog::setNextPassword(QStringLiteral("hunter2"));
    QCOMPARE(PasswordDialog::ask(nullptr, QStringLiteral("127.0.0.1:6379/0"), QString()),
             std::optional<QString>(QStringLiteral("hunter2")));
    PasswordDialog::setNextPassword(std::nullopt); // as if cancelled
    QCOMPARE(PasswordDialog::ask(nullptr, QStringLiteral("127.0.0.1:6379/0"), QString()),
             std::optional<QString>());
}

void TestDialogs::passwordDialogHidesAndShowsThePassword()
{
    whenModalShown([](QWidget *modal) {
        auto *edit = child<QLineEdit>(modal, "passwordEdit");
        auto *show = child<QCheckBox>(modal, "showPasswordCheck");
        auto *prompt = child<QLabel>(modal, "passwordPrompt");
        QVERIFY(edit && show && prompt);
        QVERIFY(prompt->text().contains(QStringLiteral("10.0.0.5:6380/1")));
        QVERIFY(prompt->text().contains(QStringLiteral("auditor")));
        QCOMPARE(edit->echoMode(), QLineEdit::Password);
        show->setChecked(true);
        QCOMPARE(edit->echoMode(), QLineEdit::Normal);
        show->setChecked(false);
        QCOMPARE(edit->echoMode(), QLineEdit::Password);
        QTest::keyClicks(edit, QStringLiteral("s3cret"));
        child<QPushButton>(modal, "okButton")->click();
    });
    QCOMPARE(
        PasswordDialog::ask(nullptr, QStringLiteral("10.0.0.5:6380/1"), QStringLiteral("auditor")),
        std::optional<QString>(QStringLiteral("s3cret")));

    whenModalShown([](QWidget *modal) { QTest::keyClick(modal, Qt::Key_Escape); });
    QCOMPARE(PasswordDialog::ask(nullptr, QStringLiteral("10.0.0.5:6380/1"), QString()),
             std::optional<QString>());
}

void TestDialogs::passwordDialogNamesTheSentinels()
{
    // The sentinels' own password is told apart from the store's, and never remembered.
    PasswordDialog dialog(QStringLiteral("sentinel:mymaster/0"), QStringLiteral("watcher"), nullptr,
                          PasswordDialog::Remember::NotOffered, QString(),
                          PasswordDialog::Secret::Sentinels);
    QVERIFY(dialog.windowTitle().startsWith(QStringLiteral("Sentinel password")));
    const QString prompt = child<QLabel>(&dialog, "passwordPrompt")->text();
    QVERIFY2(prompt.contains(QStringLiteral("sentinels of sentinel:mymaster/0")),
             qPrintable(prompt));
    QVERIFY2(prompt.contains(QStringLiteral("sentinel user \"watcher\"")), qPrintable(prompt));
    QVERIFY(!child<QCheckBox>(&dialog, "rememberCheckBox"));

    PasswordDialog store(QStringLiteral("sentinel:mymaster/0"), QString());
    QVERIFY(!child<QLabel>(&store, "passwordPrompt")->text().contains(u"sentinels of"));
    QCOMPARE(store.windowTitle(), QStringLiteral("Password for sentinel:mymaster/0"));
}

// ---- ShortcutsDialog --------------------------------------------------------------------

void TestDialogs::shortcutsListActionsInMenuOrder()
{
    QAction refresh(QStringLiteral("&Refresh"));
    refresh.setShortcut(QKeySequence(Qt::Key_F5));
    QAction separator;
    separator.setSeparator(true);
    QAction revoke(QStringLiteral("Re&voke Session"));
    revoke.setShortcuts({QKeySequence(Qt::Key_Delete), QKeySequence(Qt::Key_Backspace)});
    QAction about(QStringLiteral("&About SessionDesk")); // no shortcut: not listed
    QAction logout(QStringLiteral("Log Out User && Everywhere"));
    logout.setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));

    ShortcutsDialog dialog({&refresh, &separator, &revoke, &about, &logout, nullptr});
    auto *table = child<QTableWidget>(&dialog, "shortcutTable");
    QVERIFY(table);
    QCOMPARE(table->rowCount(), 3);
    QCOMPARE(table->item(0, 0)->text(), QStringLiteral("Refresh"));
    QCOMPARE(table->item(0, 1)->text(),
             QKeySequence(Qt::Key_F5).toString(QKeySequence::NativeText));
    QCOMPARE(table->item(1, 0)->text(), QStringLiteral("Revoke Session"));
    QCOMPARE(table->item(1, 1)->text(),
             QKeySequence(Qt::Key_Delete).toString(QKeySequence::NativeText) + QStringLiteral(", ")
                 + QKeySequence(Qt::Key_Backspace).toString(QKeySequence::NativeText));
    QCOMPARE(table->item(2, 0)->text(), QStringLiteral("Log Out User & Everywhere"));
    QCOMPARE(table->item(2, 1)->text(),
             QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L).toString(QKeySequence::NativeText));
    QVERIFY(!(table->item(0, 0)->flags() & Qt::ItemIsEditable));
    QCOMPARE(table->editTriggers(), QAbstractItemView::NoEditTriggers);
    QVERIFY(!table->isSortingEnabled());
}

void TestDialogs::shortcutsFilter()
{
    QAction refresh(QStringLiteral("&Refresh"));
    refresh.setShortcut(QKeySequence(Qt::Key_F5));
    QAction revoke(QStringLiteral("Re&voke Session"));
    revoke.setShortcut(QKeySequence(Qt::Key_Delete));
    QAction search(QStringLiteral("&Search"));
    search.setShortcut(QKeySequence(Qt::CTRL | Qt::Key_F));

    ShortcutsDialog dialog({&refresh, &revoke, &search});
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *table = child<QTableWidget>(&dialog, "shortcutTable");
    auto *filter = child<QLineEdit>(&dialog, "shortcutFilter");
    QVERIFY(table && filter);

    QTest::keyClicks(filter, QStringLiteral("REVOKE"));
    QVERIFY(table->isRowHidden(0));
    QVERIFY(!table->isRowHidden(1));
    QVERIFY(table->isRowHidden(2));

    // Matches the shortcut column too.
    filter->setText(QStringLiteral("F5"));
    QVERIFY(!table->isRowHidden(0));
    QVERIFY(table->isRowHidden(1));
    QVERIFY(table->isRowHidden(2));

    filter->clear();
    for (int row = 0; row < table->rowCount(); ++row)
        QVERIFY(!table->isRowHidden(row));
    QCOMPARE(ShortcutsDialog::plainActionText(QStringLiteral("&Destroy All Sessions…")),
             QStringLiteral("Destroy All Sessions…"));
}

QTEST_MAIN(TestDialogs)
#include "tst_dialogs.moc"
