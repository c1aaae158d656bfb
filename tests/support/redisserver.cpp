#include "redisserver.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QStandardPaths>
#include <QTcpServer>

namespace SessionDesk::Test {

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
    const QString configPath = m_dir->filePath(QStringLiteral("redis.conf"));
    QFile file(configPath);
    if (!file.open(QIODevice::WriteOnly)) {
        m_error = QStringLiteral("cannot write %1").arg(configPath);
        return false;
    }
    file.write(config.join(u'\n').toUtf8() + '\n');
    file.close();

    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->start(QStringLiteral("redis-server"), {configPath});
    if (!m_process->waitForStarted(10000)) {
        m_error = QStringLiteral("redis-server did not start: %1").arg(m_process->errorString());
        return false;
    }
    // Ready when the server says so; it logs to stdout because logfile is "".
    QByteArray log;
    const QDeadlineTimer deadline(20000);
    while (!log.contains("Ready to accept connections")) {
        if (m_process->state() != QProcess::Running || deadline.hasExpired()) {
            log += m_process->readAll();
            m_error = QStringLiteral("redis-server failed to start on port %1: %2")
                          .arg(port)
                          .arg(QString::fromUtf8(log.right(600)));
            stop();
            return false;
        }
        m_process->waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
        log += m_process->readAll();
    }
    m_port = port;
    return true;
}

void RedisServer::stop()
{
    if (m_process) {
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
    QProcess process;
    process.start(QStringLiteral("redis-cli"),
                  QStringList{QStringLiteral("-h"), QStringLiteral("127.0.0.1"),
                              QStringLiteral("-p"), QString::number(m_port)}
                      + args);
    process.waitForFinished(30000);
    return process.readAllStandardOutput();
}

} // namespace SessionDesk::Test
