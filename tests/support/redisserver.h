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
        QStringList arguments; // after the config file, e.g. "--sentinel"
        // The log line that says the server is ready; a sentinel logs "+monitor master".
        QByteArray readyLine = "Ready to accept connections";
        quint16 port = 0; // 0: a free one
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
    // Starts the server again on the same port and directory, so that it finds the data it
    // persisted (appendonly, or a dump). Kills the running process first, if any.
    bool restart();
    // The same, returning once `readyLine` is logged (e.g. "Loading RDB" to catch the server
    // while it still loads its data).
    bool restart(const QByteArray &readyLine);
    // SIGKILL: the process dies at once, without saving; the directory stays for restart().
    void kill();
    // SIGSTOP and SIGCONT: a server that stops answering without closing its sockets.
    void pause();
    void resume();
    bool isRunning() const;
    qint64 pid() const;

    // Waits until the server's log (its stdout) holds `needle` at least `times` times, reading
    // as lines arrive. False after `timeoutMs` or when the process ends.
    bool waitForLog(const QByteArray &needle, int times = 1, int timeoutMs = 20000);
    // Everything the server logged so far.
    QByteArray log();
    QString directory() const;

    quint16 port() const { return m_port; }
    QString url() const;
    QString target() const; // "127.0.0.1:<port>/0"
    QString errorString() const { return m_error; }
    // Runs redis-cli against this server (over TLS when it serves TLS, presenting its own
    // certificate) and returns its stdout.
    QByteArray cli(const QStringList &args) const;

private:
    bool startOn(quint16 port, const Options &options);
    bool launch();

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_process;
    Options m_options;
    QString m_configPath;
    QByteArray m_log;
    quint16 m_port = 0;
    bool m_tls = false;
    QString m_error;
};

// A port on 127.0.0.1 that was free a moment ago.
quint16 freeLoopbackPort();

// Makes `process`, when started from this thread, die with the test process (also when the
// test crashes or ctest kills it on a timeout) instead of lingering on its port.
void dieWithThisProcess(QProcess &process);

} // namespace SessionDesk::Test
