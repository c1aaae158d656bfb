#include "keyringsession.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusServiceWatcher>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>

namespace SessionDesk::Test {

namespace {

const QString kSecretService = QStringLiteral("org.freedesktop.secrets");
const QString kWatcherConnection = QStringLiteral("keyringsession-watcher");

} // namespace

QString unreachableBusAddress()
{
    return QStringLiteral("unix:path=/nonexistent/sessiondesk-test/no-bus");
}

KeyringSession::~KeyringSession()
{
    stop();
}

bool KeyringSession::fail(const QString &message)
{
    m_error = message;
    stop();
    return false;
}

QProcessEnvironment KeyringSession::environment() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), m_address);
    env.insert(QStringLiteral("HOME"), m_dir->filePath(QStringLiteral("home")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir->filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir->filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), m_dir->filePath(QStringLiteral("run")));
    return env;
}

bool KeyringSession::start()
{
    for (const char *tool : {"dbus-daemon", "gnome-keyring-daemon"}) {
        if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty())
            return fail(QStringLiteral("%1 is not installed; run scripts/install-deps.sh")
                            .arg(QLatin1String(tool)));
    }
    m_dir = std::make_unique<QTemporaryDir>();
    if (!m_dir->isValid())
        return fail(QStringLiteral("no temporary directory"));
    for (const char *sub : {"home", "data", "config", "run"})
        QDir(m_dir->path()).mkpath(QString::fromLatin1(sub));
    QFile::setPermissions(m_dir->filePath(QStringLiteral("run")),
                          QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    m_address = QStringLiteral("unix:path=") + m_dir->filePath(QStringLiteral("bus"));
    // Even a service the bus activates by itself lives in the temporary folders.
    const QProcessEnvironment env = environment();

    m_bus = std::make_unique<QProcess>();
    m_bus->setProcessEnvironment(env);
    m_bus->setProcessChannelMode(QProcess::SeparateChannels);
    m_bus->start(QStringLiteral("dbus-daemon"),
                 {QStringLiteral("--session"), QStringLiteral("--nofork"),
                  QStringLiteral("--print-address=1"), QStringLiteral("--address=") + m_address});
    // Ready when it prints the address it listens on.
    QByteArray printed;
    const QDeadlineTimer deadline(20000);
    while (!printed.contains('\n')) {
        if (m_bus->state() == QProcess::NotRunning || deadline.hasExpired())
            return fail(QStringLiteral("dbus-daemon did not start: %1")
                            .arg(QString::fromUtf8(m_bus->readAllStandardError())));
        m_bus->waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
        printed += m_bus->readAllStandardOutput();
    }
    m_address = QString::fromUtf8(printed.left(printed.indexOf('\n'))).trimmed();

    QDBusConnection watcherBus = QDBusConnection::connectToBus(m_address, kWatcherConnection);
    if (!watcherBus.isConnected())
        return fail(QStringLiteral("cannot connect to the test bus %1").arg(m_address));
    QDBusServiceWatcher watcher(kSecretService, watcherBus,
                                QDBusServiceWatcher::WatchForRegistration);
    QSignalSpy registered(&watcher, &QDBusServiceWatcher::serviceRegistered);

    m_keyring = std::make_unique<QProcess>();
    QProcessEnvironment keyringEnv = env;
    keyringEnv.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), m_address);
    m_keyring->setProcessEnvironment(keyringEnv);
    m_keyring->setProcessChannelMode(QProcess::MergedChannels);
    m_keyring->start(QStringLiteral("gnome-keyring-daemon"),
                     {QStringLiteral("--foreground"), QStringLiteral("--unlock"),
                      QStringLiteral("--components=secrets")});
    if (!m_keyring->waitForStarted(10000))
        return fail(
            QStringLiteral("gnome-keyring-daemon did not start: %1").arg(m_keyring->errorString()));
    // The login keyring is created and unlocked with whatever arrives on stdin.
    m_keyring->write("throwaway-test-keyring-password");
    m_keyring->closeWriteChannel();
    if (!watcherBus.interface()->isServiceRegistered(kSecretService) && !registered.wait(20000)) {
        return fail(QStringLiteral("gnome-keyring-daemon did not register %1: %2")
                        .arg(kSecretService, QString::fromUtf8(m_keyring->readAll())));
    }
    qputenv("DBUS_SESSION_BUS_ADDRESS", m_address.toUtf8());
    return true;
}

void KeyringSession::stop()
{
    QDBusConnection::disconnectFromBus(kWatcherConnection);
    for (auto *process : {m_keyring.get(), m_bus.get()}) {
        if (!process)
            continue;
        process->terminate();
        if (!process->waitForFinished(10000)) {
            process->kill();
            process->waitForFinished(5000);
        }
    }
    m_keyring.reset();
    m_bus.reset();
    m_dir.reset();
}

} // namespace SessionDesk::Test
