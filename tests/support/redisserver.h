#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace SessionDesk::Test {

// A real redis-server on a free 127.0.0.1 port, in its own temporary directory, without
// persistence. Started with start(), stopped by stop() or the destructor. Tests never share
// one with anything else on the machine.
class RedisServer
{
public:
    struct Options
    {
        QStringList configLines; // extra redis.conf lines, e.g. "requirepass x"
        QString tlsCertFile; // set these three to serve TLS only
        QString tlsKeyFile;
        QString tlsCaFile;
        bool tlsRequireClientCert = false;
    };

    RedisServer() = default;
    ~RedisServer();
    RedisServer(const RedisServer &) = delete;
    RedisServer &operator=(const RedisServer &) = delete;

    // Waits until the server logs that it accepts connections. On failure returns false and
    // errorString() says why (e.g. redis-server is not installed).
    bool start(const Options &options);
    bool start() { return start(Options()); }
    void stop();

    quint16 port() const { return m_port; }
    QString url() const;
    QString target() const; // "127.0.0.1:<port>/0"
    QString errorString() const { return m_error; }
    // Runs redis-cli against this server (plain connections only) and returns its stdout.
    QByteArray cli(const QStringList &args) const;

private:
    bool startOn(quint16 port, const Options &options);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
    bool m_tls = false;
    QString m_error;
};

// A port on 127.0.0.1 that was free a moment ago.
quint16 freeLoopbackPort();

} // namespace SessionDesk::Test
