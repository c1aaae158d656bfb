#include "demostore.h"

#include "demodata.h"

#include <QCoreApplication>
#include <QFile>
#include <QPointer>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>

namespace SessionDesk {

namespace {

// The port can be taken between probing and binding; a few tries settle it.
constexpr int kMaxAttempts = 5;

} // namespace

DemoStore::DemoStore(QObject *parent)
    : QObject(parent)
{ }

DemoStore::~DemoStore()
{
    if (m_process) {
        m_process->disconnect(this);
        m_process->terminate();
        if (!m_process->waitForFinished(5000)) {
            m_process->kill();
            m_process->waitForFinished(2000);
        }
    }
}

bool DemoStore::serverAvailable()
{
    return !QStandardPaths::findExecutable(QStringLiteral("redis-server")).isEmpty();
}

QString DemoStore::url() const
{
    return QStringLiteral("redis://127.0.0.1:%1/0").arg(m_port);
}

QString DemoStore::userIndexPattern() const
{
    return QString::fromLatin1(DemoData::kUserIndexPattern);
}

qint64 DemoStore::serverProcessId() const
{
    return m_process && m_process->state() == QProcess::Running ? m_process->processId() : 0;
}

void DemoStore::start()
{
    if (!serverAvailable()) {
        fail(tr("The demo needs redis-server, which is not installed; install the redis-server "
                "package (or run scripts/demo.sh from the source tree)."));
        return;
    }
    startServer();
}

void DemoStore::startServer()
{
    ++m_attempts;
    m_log.clear();
    m_dir = std::make_unique<QTemporaryDir>();
    m_port = DemoData::freeLoopbackPort();
    if (!m_dir->isValid() || m_port == 0) {
        fail(tr("Could not prepare the demo store: no temporary folder or free local port."));
        return;
    }
    // Loopback only, nothing persisted, logging to stdout so that readiness can be seen.
    const QStringList config = {
        QStringLiteral("bind 127.0.0.1"),     QStringLiteral("port %1").arg(m_port),
        QStringLiteral("protected-mode yes"), QStringLiteral("save \"\""),
        QStringLiteral("appendonly no"),      QStringLiteral("dir ") + m_dir->path(),
        QStringLiteral("logfile \"\""),       QStringLiteral("daemonize no")};
    const QString configPath = m_dir->filePath(QStringLiteral("redis.conf"));
    QFile file(configPath);
    if (!file.open(QIODevice::WriteOnly) || file.write(config.join(u'\n').toUtf8() + '\n') < 0) {
        fail(tr("Could not write the demo store's configuration in %1.").arg(m_dir->path()));
        return;
    }
    file.close();
    m_process = new QProcess(this);
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    connect(m_process, &QProcess::readyRead, this, &DemoStore::onServerOutput);
    connect(m_process, &QProcess::finished, this, &DemoStore::onServerEnded);
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            onServerEnded();
    });
    m_process->start(QStandardPaths::findExecutable(QStringLiteral("redis-server")), {configPath});
}

void DemoStore::onServerOutput()
{
    m_log += m_process->readAll();
    if (m_log.size() > 64 * 1024)
        m_log = m_log.right(16 * 1024);
    if (!m_ready && m_log.contains("Ready to accept connections")) {
        m_log.clear();
        fill();
    }
}

void DemoStore::onServerEnded()
{
    QProcess *ended = m_process;
    if (!ended || m_failed)
        return;
    ended->disconnect(this);
    ended->deleteLater();
    m_process = nullptr;
    if (m_ready) {
        fail(tr("The demo store (redis-server on port %1) stopped.").arg(m_port));
        return;
    }
    // Most often the port was taken meanwhile: try another.
    if (m_attempts < kMaxAttempts) {
        startServer();
        return;
    }
    const QString log = QString::fromUtf8(m_log.right(300)).trimmed();
    fail(tr("The demo store's redis-server did not start: %1")
             .arg(log.isEmpty() ? ended->errorString() : log));
}

void DemoStore::fill()
{
    // Filling is quick on loopback, but it is network work: not on the GUI thread.
    StoreConfig config;
    config.host = QStringLiteral("127.0.0.1");
    config.port = m_port;
    QPointer<DemoStore> self(this);
    auto *thread = QThread::create([self, config] {
        auto filled = DemoData::fillRedis(config);
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, filled] {
                if (!self)
                    return;
                if (!filled) {
                    self->fail(filled.error().message);
                    return;
                }
                self->m_sessions = filled->sessions;
                self->m_ready = true;
                emit self->ready();
            },
            Qt::QueuedConnection);
    });
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->start();
}

void DemoStore::fail(const QString &message)
{
    if (m_failed)
        return;
    m_failed = true;
    emit failed(message);
}

} // namespace SessionDesk
