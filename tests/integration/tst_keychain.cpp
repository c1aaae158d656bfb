// Saved connections and their passwords, against a real system keychain: GNOME Keyring's secret
// service on a private D-Bus session bus started by the test (KeyringSession), and a real
// redis-server that wants a password. The same CLI is also run with a bus address that leads
// nowhere, as on a machine without a keychain: then nothing is saved and the password is asked
// for each time. In every case no file the test can see holds the password in plain text.

#include "connectionprofile.h"
#include "keychain.h"
#include "keyringsession.h"
#include "redisha.h"
#include "redisserver.h"

#include <QDeadlineTimer>
#include <QDirIterator>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace SessionDesk;
using SessionDesk::Test::KeyringSession;
using SessionDesk::Test::RedisServer;
using SessionDesk::Test::SentinelSetup;

namespace {

constexpr char kPassword[] = "correct-horse-battery-7";
constexpr char kSentinelPassword[] = "sentinels-own-pass-9";

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

} // namespace

class TestKeychain final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void keychainRoundTrip();
    void importedPasswordGoesToTheKeychainOnly();
    void setAndForgetPassword();
    void removingAConnectionRemovesItsPassword();
    void withoutKeychainNothingIsSaved();
    void withoutKeychainTheTerminalIsAskedEachTime();
    void sentinelPasswordIsSavedApart();
    void profileOptionsFollowOneRule_data();
    void profileOptionsFollowOneRule();
    void cleanupTestCase();

private:
    Run cli(const QStringList &args, bool withKeychain, const QByteArray &input = {});
    QString settingsPath(const QString &name) const { return m_dir.filePath(name); }
    QList<ConnectionProfile> profiles(const QString &settings) const;
    // Runs the CLI under a terminal (script), typing each answer once its prompt is shown.
    Run inTerminal(const QStringList &args, const QList<QPair<QByteArray, QByteArray>> &answers);
    // Files under the test's folders (settings, audit log, keyring) holding `secret` in plain text.
    QStringList filesContaining(const QByteArray &secret) const;
    QString redisUrl(bool withPassword) const;

    KeyringSession m_keyring;
    RedisServer m_guarded;
    QTemporaryDir m_dir; // settings and audit log: scanned for leaks
    QTemporaryDir m_inputs; // the URL lists the test writes, which hold passwords on purpose
};

void TestKeychain::initTestCase()
{
    QVERIFY2(!qEnvironmentVariable("SESSIONDESK_CLI").isEmpty(),
             "SESSIONDESK_CLI must name the sessiondesk-cli binary (ctest sets it)");
    // First, before anything in this process touches D-Bus.
    QVERIFY2(m_keyring.start(), qPrintable(m_keyring.errorString()));
    RedisServer::Options options;
    options.configLines << QStringLiteral("requirepass %1").arg(QLatin1String(kPassword));
    QVERIFY2(m_guarded.start(options), qPrintable(m_guarded.errorString()));
}

void TestKeychain::cleanupTestCase()
{
    m_guarded.stop();
    m_keyring.stop();
}

QString TestKeychain::redisUrl(bool withPassword) const
{
    return withPassword ? QStringLiteral("redis://:%1@127.0.0.1:%2")
                              .arg(QLatin1String(kPassword))
                              .arg(m_guarded.port())
                        : m_guarded.url();
}

Run TestKeychain::cli(const QStringList &args, bool withKeychain, const QByteArray &input)
{
    QProcess process;
    QProcessEnvironment env = m_keyring.environment();
    if (!withKeychain)
        env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), Test::unreachableBusAddress());
    env.remove(QStringLiteral("SESSIONDESK_PASSWORD"));
    env.remove(QStringLiteral("SESSIONDESK_SENTINEL_PASSWORD"));
    env.remove(QStringLiteral("SESSIONDESK_STORE"));
    env.insert(QStringLiteral("SESSIONDESK_AUDIT_LOG"),
               m_dir.filePath(QStringLiteral("audit.log")));
    process.setProcessEnvironment(env);
    process.start(qEnvironmentVariable("SESSIONDESK_CLI"), args);
    process.write(input);
    process.closeWriteChannel();
    Run run;
    if (!process.waitForFinished(60000))
        return run;
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -2;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

QList<ConnectionProfile> TestKeychain::profiles(const QString &settings) const
{
    QSettings file(settings, QSettings::IniFormat);
    return ConnectionProfile::load(file);
}

QStringList TestKeychain::filesContaining(const QByteArray &secret) const
{
    QStringList found;
    for (const QString &root : {m_dir.path(), m_keyring.path()}) {
        QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            QFile file(it.next());
            if (file.open(QIODevice::ReadOnly) && file.readAll().contains(secret))
                found << file.fileName();
        }
    }
    return found;
}

void TestKeychain::keychainRoundTrip()
{
    QVERIFY(Keychain::serviceAvailable());
    const QString key = QStringLiteral("redis://roundtrip@127.0.0.1:1");
    QCOMPARE(Keychain::readNow(key).status, Keychain::Status::NotFound);
    const Keychain::Outcome written = Keychain::writeNow(key, QStringLiteral("päss wörd"));
    QVERIFY2(written.ok(), qPrintable(written.message));
    const Keychain::Outcome read = Keychain::readNow(key);
    QVERIFY2(read.ok(), qPrintable(read.message));
    QCOMPARE(read.secret, QStringLiteral("päss wörd"));
    QVERIFY(Keychain::removeNow(key).ok());
    const Keychain::Outcome gone = Keychain::readNow(key);
    QCOMPARE(gone.status, Keychain::Status::NotFound);
    QVERIFY(!gone.message.isEmpty());
    // The asynchronous form answers on the event loop.
    QSignalSpy answered(this, &QObject::objectNameChanged);
    Keychain::read(key, this, [this](const Keychain::Outcome &outcome) {
        setObjectName(outcome.status == Keychain::Status::NotFound ? QStringLiteral("nf")
                                                                   : QStringLiteral("other"));
    });
    QVERIFY(answered.wait(30000));
    QCOMPARE(objectName(), QStringLiteral("nf"));
}

void TestKeychain::importedPasswordGoesToTheKeychainOnly()
{
    const QString settings = settingsPath(QStringLiteral("import.ini"));
    const QString list = m_inputs.filePath(QStringLiteral("urls.txt"));
    QFile file(list);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("# two stores\nguarded " + redisUrl(true).toUtf8() + "\nplain redis://127.0.0.1:"
               + QByteArray::number(Test::freeLoopbackPort()) + "\n");
    file.close();
    const Run imported = cli({QStringLiteral("--settings"), settings, QStringLiteral("profile"),
                              QStringLiteral("import-urls"), list},
                             true);
    QVERIFY2(imported.exitCode == 0, imported.err.constData());
    QVERIFY(imported.out.contains("imported \"guarded\""));
    QVERIFY(imported.out.contains("password in the system keychain"));
    const QList<ConnectionProfile> saved = profiles(settings);
    QCOMPARE(saved.size(), 2);
    const ConnectionProfile *guarded = ConnectionProfile::find(saved, QStringLiteral("guarded"));
    QVERIFY(guarded && guarded->passwordInKeychain);
    QVERIFY(!ConnectionProfile::find(saved, QStringLiteral("plain"))->passwordInKeychain);

    // Read back from the keychain itself, and found in no file of ours.
    const Keychain::Outcome stored = Keychain::readNow(guarded->secretKey());
    QVERIFY2(stored.ok(), qPrintable(stored.message));
    QCOMPARE(stored.secret, QString::fromLatin1(kPassword));

    // --profile connects with the saved password: no URL password, no environment, no terminal.
    const Run info =
        cli({QStringLiteral("--settings"), settings, QStringLiteral("--profile"),
             QStringLiteral("guarded"), QStringLiteral("--json"), QStringLiteral("info")},
            true);
    QVERIFY2(info.exitCode == 0, info.err.constData());
    QCOMPARE(QJsonDocument::fromJson(info.out).object().value(u"target").toString(),
             m_guarded.target());
    const QStringList leaks = filesContaining(kPassword);
    QVERIFY2(leaks.isEmpty(), qPrintable(leaks.join(u' ')));
    QVERIFY(!info.out.contains(kPassword) && !info.err.contains(kPassword));
}

void TestKeychain::setAndForgetPassword()
{
    const QString settings = settingsPath(QStringLiteral("set.ini"));
    const QStringList base = {QStringLiteral("--settings"), settings};
    const Run added = cli(base
                              + QStringList{QStringLiteral("profile"), QStringLiteral("add"),
                                            QStringLiteral("later"), QStringLiteral("--store"),
                                            redisUrl(false), QStringLiteral("--read-only")},
                          true);
    QVERIFY2(added.exitCode == 0, added.err.constData());
    const QStringList info = base
        + QStringList{QStringLiteral("--profile"), QStringLiteral("later"), QStringLiteral("info")};
    const Run refused = cli(info, true);
    QCOMPARE(refused.exitCode, 1);
    QVERIFY2(refused.err.contains("No password is saved for \"later\""), refused.err.constData());

    // From stdin, as a script would pipe it.
    const Run set = cli(base
                            + QStringList{QStringLiteral("profile"), QStringLiteral("set-password"),
                                          QStringLiteral("later")},
                        true, QByteArray(kPassword) + '\n');
    QVERIFY2(set.exitCode == 0, set.err.constData());
    QVERIFY(profiles(settings).first().passwordInKeychain);
    QVERIFY(profiles(settings).first().readOnlyLocked);
    const Run works = cli(info, true);
    QVERIFY2(works.exitCode == 0, works.err.constData());

    // A second connection to the same server and user uses the same entry.
    QCOMPARE(
        cli(base
                + QStringList{QStringLiteral("profile"), QStringLiteral("add"),
                              QStringLiteral("twin"), QStringLiteral("--store"), redisUrl(true)},
            true)
            .exitCode,
        0);
    QVERIFY(profiles(settings).last().passwordInKeychain);
    const Run forgot =
        cli(base
                + QStringList{QStringLiteral("profile"), QStringLiteral("forget-password"),
                              QStringLiteral("later")},
            true);
    QVERIFY2(forgot.exitCode == 0, forgot.err.constData());
    QVERIFY2(forgot.out.contains("(nor for \"twin\", which used the same)"),
             forgot.out.constData());
    QVERIFY(!profiles(settings).first().passwordInKeychain);
    QVERIFY(!profiles(settings).last().passwordInKeychain); // its entry is gone too
    QCOMPARE(Keychain::readNow(profiles(settings).first().secretKey()).status,
             Keychain::Status::NotFound);
    QCOMPARE(cli(info, true).exitCode, 1);
    const QStringList leaks = filesContaining(kPassword);
    QVERIFY2(leaks.isEmpty(), qPrintable(leaks.join(u' ')));
}

void TestKeychain::removingAConnectionRemovesItsPassword()
{
    const QString settings = settingsPath(QStringLiteral("remove.ini"));
    const QStringList base = {QStringLiteral("--settings"), settings, QStringLiteral("profile")};
    QCOMPARE(cli(base
                     + QStringList{QStringLiteral("add"), QStringLiteral("doomed"),
                                   QStringLiteral("--store"), redisUrl(true)},
                 true)
                 .exitCode,
             0);
    const ConnectionProfile saved = profiles(settings).first();
    QVERIFY(saved.passwordInKeychain);
    QVERIFY(Keychain::readNow(saved.secretKey()).ok());
    const Run removed =
        cli(base + QStringList{QStringLiteral("remove"), QStringLiteral("doomed")}, true);
    QVERIFY2(removed.exitCode == 0, removed.err.constData());
    QVERIFY(profiles(settings).isEmpty());
    QCOMPARE(Keychain::readNow(saved.secretKey()).status, Keychain::Status::NotFound);
}

void TestKeychain::withoutKeychainNothingIsSaved()
{
    const QString settings = settingsPath(QStringLiteral("nokeychain.ini"));
    const QString list = m_inputs.filePath(QStringLiteral("urls-nokeychain.txt"));
    QFile file(list);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("guarded " + redisUrl(true).toUtf8() + "\n");
    file.close();
    const Run imported = cli({QStringLiteral("--settings"), settings, QStringLiteral("profile"),
                              QStringLiteral("import-urls"), list},
                             false);
    // The connection is saved, the password is not, and the operator is told.
    QVERIFY2(imported.exitCode == 0, imported.err.constData());
    QVERIFY2(imported.err.contains("No system keychain is available"), imported.err.constData());
    QVERIFY(!imported.out.contains("password in the system keychain"));
    const ConnectionProfile saved = profiles(settings).first();
    QVERIFY(!saved.passwordInKeychain);

    const Run set = cli({QStringLiteral("--settings"), settings, QStringLiteral("profile"),
                         QStringLiteral("set-password"), QStringLiteral("guarded")},
                        false, QByteArray(kPassword) + '\n');
    QCOMPARE(set.exitCode, 1);
    QVERIFY(set.err.contains("No system keychain is available"));
    QVERIFY(!profiles(settings).first().passwordInKeychain);

    // Without a terminal to ask, --profile fails and says how to give the password ...
    const QStringList info = {QStringLiteral("--settings"), settings, QStringLiteral("--profile"),
                              QStringLiteral("guarded"), QStringLiteral("info")};
    const Run refused = cli(info, false);
    QCOMPARE(refused.exitCode, 1);
    QVERIFY(refused.err.contains("SESSIONDESK_PASSWORD"));
    // ... and nothing was saved in the real keychain either.
    QCOMPARE(Keychain::readNow(saved.secretKey()).status, Keychain::Status::NotFound);
    const QStringList leaks = filesContaining(kPassword);
    QVERIFY2(leaks.isEmpty(), qPrintable(leaks.join(u' ')));
}

Run TestKeychain::inTerminal(const QStringList &args,
                             const QList<QPair<QByteArray, QByteArray>> &answers)
{
    Run run;
    const QString script = QStandardPaths::findExecutable(QStringLiteral("script"));
    if (script.isEmpty()) {
        run.out = "script (util-linux/bsdutils) is needed for a terminal";
        return run;
    }
    QString command = QStringLiteral("exec '%1'").arg(qEnvironmentVariable("SESSIONDESK_CLI"));
    for (const QString &arg : args)
        command += QStringLiteral(" '%1'").arg(arg);
    QProcess terminal;
    QProcessEnvironment env = m_keyring.environment();
    env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), Test::unreachableBusAddress());
    env.remove(QStringLiteral("SESSIONDESK_PASSWORD"));
    env.remove(QStringLiteral("SESSIONDESK_SENTINEL_PASSWORD"));
    env.insert(QStringLiteral("SESSIONDESK_AUDIT_LOG"),
               m_dir.filePath(QStringLiteral("audit.log")));
    terminal.setProcessEnvironment(env);
    terminal.setProcessChannelMode(QProcess::MergedChannels);
    terminal.start(script, {QStringLiteral("-qefc"), command, QStringLiteral("/dev/null")});
    for (const auto &[prompt, answer] : answers) {
        // Type only once the prompt is there (and echo is off).
        QDeadlineTimer deadline(30000);
        while (!run.out.contains(prompt) && !deadline.hasExpired()
               && terminal.state() != QProcess::NotRunning) {
            terminal.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
            run.out += terminal.readAll();
        }
        if (!run.out.contains(prompt)) {
            terminal.kill(); // it would wait for an answer forever
            terminal.waitForFinished();
            run.out += "\n[no prompt \"" + prompt + "\" was shown]";
            return run;
        }
        run.out.clear(); // the next prompt may repeat this one's words
        terminal.write(answer + '\n');
    }
    if (!terminal.waitForFinished(60000))
        return run;
    run.out += terminal.readAll();
    run.exitCode = terminal.exitStatus() == QProcess::NormalExit ? terminal.exitCode() : -2;
    return run;
}

void TestKeychain::withoutKeychainTheTerminalIsAskedEachTime()
{
    const QString settings = settingsPath(QStringLiteral("terminal.ini"));
    QCOMPARE(cli({QStringLiteral("--settings"), settings, QStringLiteral("profile"),
                  QStringLiteral("add"), QStringLiteral("guarded"), QStringLiteral("--store"),
                  redisUrl(false)},
                 false)
                 .exitCode,
             0);
    // Twice: nothing is remembered between runs.
    for (int round = 0; round < 2; ++round) {
        const Run run =
            inTerminal({QStringLiteral("--settings"), settings, QStringLiteral("--profile"),
                        QStringLiteral("guarded"), QStringLiteral("info")},
                       {{"Password for guarded", kPassword}});
        QVERIFY2(run.exitCode == 0, run.out.constData());
        QVERIFY2(run.out.contains("127.0.0.1"), run.out.constData());
        QVERIFY2(!run.out.contains(kPassword), "the typed password was echoed");
    }
    QVERIFY(!profiles(settings).first().passwordInKeychain);
    const QStringList leaks = filesContaining(kPassword);
    QVERIFY2(leaks.isEmpty(), qPrintable(leaks.join(u' ')));
}

void TestKeychain::sentinelPasswordIsSavedApart()
{
    SentinelSetup sentinel;
    SentinelSetup::Options options;
    options.sentinelPassword = QString::fromLatin1(kSentinelPassword);
    options.dataPassword = QString::fromLatin1(kPassword);
    QVERIFY2(sentinel.start(options), qPrintable(sentinel.errorString()));
    QString url = sentinel.url();
    url.replace(QStringLiteral("redis-sentinel://"),
                QStringLiteral("redis-sentinel://:%1@").arg(QLatin1String(kPassword)));
    const QString settings = settingsPath(QStringLiteral("sentinel.ini"));
    const QStringList base = {QStringLiteral("--settings"), settings, QStringLiteral("profile")};
    const Run added =
        cli(base
                + QStringList{QStringLiteral("add"), QStringLiteral("watched"),
                              QStringLiteral("--store"), url, QStringLiteral("--sentinel-password"),
                              QString::fromLatin1(kSentinelPassword)},
            true);
    QVERIFY2(added.exitCode == 0, added.err.constData());
    QVERIFY2(added.out.contains("the sentinels' password in the system keychain"),
             added.out.constData());
    const ConnectionProfile saved = profiles(settings).first();
    QVERIFY(saved.passwordInKeychain && saved.sentinelPasswordInKeychain);
    QCOMPARE(Keychain::readNow(saved.secretKey()).secret, QString::fromLatin1(kPassword));
    QCOMPARE(Keychain::readNow(saved.sentinelSecretKey()).secret,
             QString::fromLatin1(kSentinelPassword));

    // Both from the keychain: no flag, no environment, no terminal.
    const QStringList info = {QStringLiteral("--settings"), settings,
                              QStringLiteral("--profile"),  QStringLiteral("watched"),
                              QStringLiteral("--json"),     QStringLiteral("info")};
    const Run works = cli(info, true);
    QVERIFY2(works.exitCode == 0, works.err.constData());

    // A wrong one saved: refused, and the operator is told which password to replace.
    const QStringList setSentinels =
        base + QStringList{QStringLiteral("set-sentinel-password"), QStringLiteral("watched")};
    const Run setWrong = cli(setSentinels, true, "not-the-sentinels\n");
    QVERIFY2(setWrong.exitCode == 0, setWrong.err.constData());
    QVERIFY(setWrong.out.contains("The sentinels' password of \"watched\""));
    const Run refused = cli(info, true);
    QCOMPARE(refused.exitCode, 1);
    QVERIFY2(refused.err.contains("The sentinels' password saved in the system keychain for "
                                  "\"watched\" was refused; replace it with sessiondesk-cli "
                                  "profile set-sentinel-password."),
             refused.err.constData());
    QVERIFY(!refused.err.contains("not-the-sentinels"));
    QCOMPARE(cli(setSentinels, true, QByteArray(kSentinelPassword) + '\n').exitCode, 0);
    QCOMPARE(cli(info, true).exitCode, 0);
    const Run listed = cli(base + QStringList{QStringLiteral("list")}, true);
    QVERIFY2(listed.out.contains("keychain, sentinels': keychain"), listed.out.constData());

    // Forgetting forgets both.
    QCOMPARE(
        cli(base + QStringList{QStringLiteral("forget-password"), QStringLiteral("watched")}, true)
            .exitCode,
        0);
    QVERIFY(!profiles(settings).first().passwordInKeychain);
    QVERIFY(!profiles(settings).first().sentinelPasswordInKeychain);
    QCOMPARE(Keychain::readNow(saved.sentinelSecretKey()).status, Keychain::Status::NotFound);
    QCOMPARE(Keychain::readNow(saved.secretKey()).status, Keychain::Status::NotFound);
    const Run nothingSaved = cli(info, true);
    QCOMPARE(nothingSaved.exitCode, 1);
    QVERIFY2(nothingSaved.err.contains("No password of the sentinels is saved for \"watched\"")
                 && nothingSaved.err.contains("$SESSIONDESK_SENTINEL_PASSWORD"),
             nothingSaved.err.constData());

    // A terminal is asked for both, the sentinels' first (they are asked first).
    const Run typed =
        inTerminal({QStringLiteral("--settings"), settings, QStringLiteral("--profile"),
                    QStringLiteral("watched"), QStringLiteral("info")},
                   {{"Password of the sentinels for watched", kSentinelPassword},
                    {"Password for watched", kPassword}});
    QVERIFY2(typed.exitCode == 0, typed.out.constData());
    QVERIFY2(!typed.out.contains(kSentinelPassword) && !typed.out.contains(kPassword),
             "a typed password was echoed");

    // Only a Sentinel connection has sentinels.
    QCOMPARE(cli(base
                     + QStringList{QStringLiteral("add"), QStringLiteral("single"),
                                   QStringLiteral("--store"), redisUrl(false)},
                 true)
                 .exitCode,
             0);
    const Run noSentinels =
        cli(base + QStringList{QStringLiteral("set-sentinel-password"), QStringLiteral("single")},
            true, "whatever\n");
    QCOMPARE(noSentinels.exitCode, 2);
    QVERIFY2(noSentinels.err.contains("has no sentinels"), noSentinels.err.constData());

    // Removing the connection removes both entries.
    QCOMPARE(cli(setSentinels, true, QByteArray(kSentinelPassword) + '\n').exitCode, 0);
    QCOMPARE(
        cli(base + QStringList{QStringLiteral("remove"), QStringLiteral("watched")}, true).exitCode,
        0);
    QCOMPARE(Keychain::readNow(saved.sentinelSecretKey()).status, Keychain::Status::NotFound);
    const QStringList leaks = filesContaining(kSentinelPassword);
    QVERIFY2(leaks.isEmpty(), qPrintable(leaks.join(u' ')));
}

void TestKeychain::profileOptionsFollowOneRule_data()
{
    const QString settings = settingsPath(QStringLiteral("rules.ini"));
    QTest::addColumn<QString>("program");
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    const QString cli = qEnvironmentVariable("SESSIONDESK_CLI");
    QList<std::pair<const char *, QString>> programs = {{"cli", cli}};
#ifdef SESSIONDESK_GUI_BINARY
    programs.append({"gui", QStringLiteral(SESSIONDESK_GUI_BINARY)});
#endif
    const QStringList base = {QStringLiteral("--settings"), settings};
    // Both front ends refuse the same combinations, before anything is opened.
    for (const auto &[name, program] : programs) {
        const QStringList command =
            program == cli ? QStringList{QStringLiteral("info")} : QStringList();
        QTest::addRow("%s: --profile with --store", name) << program
                                                          << base
                + QStringList{QStringLiteral("--profile"), QStringLiteral("kept"),
                              QStringLiteral("--store"), QStringLiteral("redis://h")}
                + command << 2 << QStringLiteral("either --store or --profile");
        QTest::addRow("%s: --profile with --schema", name) << program
                                                           << base
                + QStringList{QStringLiteral("--profile"), QStringLiteral("kept"),
                              QStringLiteral("--schema"), QStringLiteral("connect-redis")}
                + command << 2 << QStringLiteral("--schema cannot be combined with --profile");
        QTest::addRow("%s: --profile with --tls-insecure", name) << program
                                                                 << base
                + QStringList{QStringLiteral("--profile"), QStringLiteral("kept"),
                              QStringLiteral("--tls-insecure")}
                + command << 2 << QStringLiteral("--tls-insecure cannot be combined");
    }
    QTest::addRow("cli: unknown profile")
        << cli
        << base
            + QStringList{QStringLiteral("--profile"), QStringLiteral("ghost"),
                          QStringLiteral("info")}
        << 2 << QStringLiteral("There is no saved connection named \"ghost\" in ") + settings;
    QTest::addRow("cli: profile add without --store")
        << cli
        << base + QStringList{QStringLiteral("profile"), QStringLiteral("add"), QStringLiteral("x")}
        << 2 << QStringLiteral("needs --store URL");
    QTest::addRow("cli: profile add of an existing name") << cli
                                                          << base
            + QStringList{QStringLiteral("profile"), QStringLiteral("add"), QStringLiteral("kept"),
                          QStringLiteral("--store"), QStringLiteral("redis://127.0.0.1:1")}
                                                          << 2 << QStringLiteral("exists already");
    QTest::addRow("cli: profile without subcommand")
        << cli << base + QStringList{QStringLiteral("profile")} << 2
        << QStringLiteral("profile needs one of");
    QTest::addRow("cli: import of a missing AWS profile")
        << cli
        << base
            + QStringList{QStringLiteral("profile"), QStringLiteral("import-aws"),
                          QStringLiteral("ghost"), QStringLiteral("sessions")}
        << 1 << QStringLiteral("There is no AWS profile \"ghost\"");
    QTest::addRow("cli: --list-profiles")
        << cli << base + QStringList{QStringLiteral("--list-profiles")} << 0 << QString();
}

void TestKeychain::profileOptionsFollowOneRule()
{
    QFETCH(QString, program);
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    const QString settings = settingsPath(QStringLiteral("rules.ini"));
    if (!QFile::exists(settings)) {
        QSettings file(settings, QSettings::IniFormat);
        ConnectionProfile kept;
        kept.name = QStringLiteral("kept");
        kept.url = QStringLiteral("redis://127.0.0.1:1");
        ConnectionProfile::save(file, {kept});
    }
    QProcess process;
    QProcessEnvironment env = m_keyring.environment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.insert(QStringLiteral("AWS_CONFIG_FILE"), m_dir.filePath(QStringLiteral("no-aws-config")));
    env.insert(QStringLiteral("AWS_SHARED_CREDENTIALS_FILE"),
               m_dir.filePath(QStringLiteral("no-aws-credentials")));
    process.setProcessEnvironment(env);
    process.start(program, args);
    QVERIFY(process.waitForFinished(30000));
    const QString err = QString::fromUtf8(process.readAllStandardError());
    QCOMPARE(process.exitCode(), exitCode);
    if (message.isEmpty()) {
        QCOMPARE(QString::fromUtf8(process.readAllStandardOutput()), QStringLiteral("kept\n"));
    } else {
        QVERIFY2(err.contains(message), qPrintable(err));
        QCOMPARE(err.trimmed().count(u'\n'), 0); // one sentence
    }
    QCOMPARE(profiles(settings).size(), 1); // nothing changed
}

QTEST_GUILESS_MAIN(TestKeychain)
#include "tst_keychain.moc"
