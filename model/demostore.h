#pragma once

#include "storeconfig.h"

#include <QObject>
#include <QString>

#include <memory>

class QProcess;
class QTemporaryDir;

namespace SessionDesk {

// A throwaway demo store for first-time users: a redis-server of this machine on a free
// 127.0.0.1 port, in a temporary directory, without persistence, filled with demo sessions
// (storage's DemoData). It lives as long as this object; destroying it stops the server and
// removes its directory. Runs on the GUI thread without blocking it: the server is started
// and watched through signals, and the filling runs on a short-lived thread.
class DemoStore final : public QObject
{
    Q_OBJECT

public:
    explicit DemoStore(QObject *parent = nullptr);
    ~DemoStore() override;

    // Whether redis-server is on PATH, which the demo needs.
    static bool serverAvailable();

    // Starts the server and fills it; ends in ready() or failed(). Call once.
    void start();
    bool isReady() const { return m_ready; }
    QString url() const; // redis://127.0.0.1:PORT/0
    QString userIndexPattern() const;
    int sessions() const { return m_sessions; }
    // The server's process id while it runs, else 0.
    qint64 serverProcessId() const;

signals:
    void ready();
    void failed(const QString &message);

private:
    void startServer();
    void onServerOutput();
    void onServerEnded();
    void fill();
    void fail(const QString &message);

    std::unique_ptr<QTemporaryDir> m_dir;
    QProcess *m_process = nullptr;
    QByteArray m_log;
    quint16 m_port = 0;
    int m_attempts = 0;
    int m_sessions = 0;
    bool m_ready = false;
    bool m_failed = false;
};

} // namespace SessionDesk
