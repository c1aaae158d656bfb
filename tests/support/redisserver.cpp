#include "redisserver.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QStandardPaths>
#include <QTcpServer>

#include <signal.h>
#include <sys/prctl.h>

namespace SessionDesk::Test {

void dieWithThisProcess(QProcess &process)
{
    // In the child, between fork and exec: the signal comes when the forking thread ends.
    process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
}

quint16 freeLoopbackPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    return server.serverPort();
}

RedisServer::~RedisServer()
{
    stop();
}

QString RedisServer::url() const
{
    return QStringLiteral("%1://127.0.0.1:%2").arg(m_tls ? u"rediss" : u"redis").arg(m_port);
}

QString RedisServer::target() const
{
    return QStringLiteral("127.0.0.1:%1/0").arg(m_port);
}

bool RedisServer::start(const Options &options)
{
    if (QStandardPaths::findExecutable(QStringLiteral("redis-server")).isEmpty()) {
        m_error = QStringLiteral("redis-server is not installed; run scripts/install-deps.sh");
        return false;
    }
    if (options.port != 0)
        return startOn(options.port, options);
    // Another process may take the port between probing and binding: try a few.
    for (int attempt = 0; attempt < 5; ++attempt) {
        const quint16 port = freeLoopbackPort();
        if (port != 0 && startOn(port, options))
            return true;
    }
    return false;
}

bool RedisServer::startOn(quint16 port, const Options &options)
{
    stop();
    m_dir = std::make_unique<QTemporaryDir>();
    m_options = options;
    m_tls = !options.tlsCertFile.isEmpty();
    QStringList config = {
        QStringLiteral("bind 127.0.0.1"),    QStringLiteral("save \"\""),
        QStringLiteral("appendonly no"),     QStringLiteral("dir ") + m_dir->path(),
        QStringLiteral("logfile \"\""),      QStringLiteral("daemonize no"),
        QStringLiteral("protected-mode yes")};
    if (m_tls) {
        config << QStringLiteral("port 0") << QStringLiteral("tls-port %1").arg(port)
               << QStringLiteral("tls-cert-file ") + options.tlsCertFile
               << QStringLiteral("tls-key-file ") + options.tlsKeyFile
               << QStringLiteral("tls-ca-cert-file ") + options.tlsCaFile
               << QStringLiteral("tls-auth-clients %1")
                      .arg(options.tlsRequireClientCert ? u"yes" : u"no");
    } else {
        config << QStringLiteral("port %1").arg(port);
    }
    config << options.configLines;
    m_configPath = m_dir->filePath(QStringLiteral("redis.conf"));
    QFile file(m_configPath);
    if (!file.open(QIODevice::WriteOnly)) {
        m_error = QStringLiteral("cannot write %1").arg(m_configPath);
        return false;
    }
    file.write(config.join(u'\n').toUtf8() + '\n');
    file.close();
    m_port = port;
    if (!launch()) {
        stop();
        m_port = 0;
        return false;
    }
    return true;
}

bool RedisServer::launch()
{
    m_log.clear();
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    dieWithThisProcess(*m_process);
    m_process->start(QStringLiteral("redis-server"),
                     QStringList{m_configPath} + m_options.arguments);
    if (!m_process->waitForStarted(10000)) {
        m_error = QStringLiteral("redis-server did not start: %1").arg(m_process->errorString());
        return false;
    }
    // Ready when the server says so; it logs to stdout because logfile is "".
    if (!waitForLog(m_options.readyLine)) {
        m_error = QStringLiteral("redis-server failed to start on port %1: %2")
                      .arg(m_port)
                      .arg(QString::fromUtf8(m_log.right(600)));
        return false;
    }
    return true;
}

bool RedisServer::waitForLog(const QByteArray &needle, int times, int timeoutMs)
{
    if (!m_process)
        return false;
    const QDeadlineTimer deadline(timeoutMs);
    while (m_log.count(needle) < times) {
        m_log += m_process->readAll();
        if (m_log.count(needle) >= times)
            break;
        if (m_process->state() != QProcess::Running || deadline.hasExpired())
            return false;
        m_process->waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
    }
    return true;
}

QByteArray RedisServer::log()
{
    if (m_process)
        m_log += m_process->readAll();
    return m_log;
}

QString RedisServer::directory() const
{
    return m_dir ? m_dir->path() : QString();
}

bool RedisServer::restart()
{
    return restart(m_options.readyLine);
}

bool RedisServer::restart(const QByteArray &readyLine)
{
    if (!m_dir || m_port == 0) {
        m_error = QStringLiteral("restart() needs a server that was started");
        return false;
    }
    kill();
    const QByteArray usual = m_options.readyLine;
    m_options.readyLine = readyLine;
    const bool started = launch();
    m_options.readyLine = usual;
    return started;
}

void RedisServer::kill()
{
    if (!m_process)
        return;
    m_process->kill();
    m_process->waitForFinished(10000);
    m_process.reset();
}

void RedisServer::pause()
{
    if (m_process)
        ::kill(pid_t(m_process->processId()), SIGSTOP);
}

void RedisServer::resume()
{
    if (m_process)
        ::kill(pid_t(m_process->processId()), SIGCONT);
}

bool RedisServer::isRunning() const
{
    return m_process && m_process->state() == QProcess::Running;
}

qint64 RedisServer::pid() const
{
    return m_process ? m_process->processId() : 0;
}

void RedisServer::stop()
{
    if (m_process) {
        resume(); // a paused server cannot act on SIGTERM
        m_process->terminate();
        if (!m_process->waitForFinished(10000)) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
        m_process.reset();
    }
    m_dir.reset();
}

QByteArray RedisServer::cli(const QStringList &args) const
{
    QStringList connection{QStringLiteral("-h"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"),
                           QString::number(m_port)};
    if (m_tls) {
        connection << QStringLiteral("--tls") << QStringLiteral("--cacert") << m_options.tlsCaFile
                   << QStringLiteral("--cert") << m_options.tlsCertFile << QStringLiteral("--key")
                   << m_options.tlsKeyFile;
    }
    QProcess process;
    process.start(QStringLiteral("redis-cli"), connection + args);
    process.waitForFinished(30000);
    return process.readAllStandardOutput();
}

} // namespace SessionDesk::Test
