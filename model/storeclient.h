#pragma once

#include "cancel.h"
#include "sessionstore.h"
#include "storeconfig.h"

#include <QHash>
#include <QObject>
#include <QPointer>

class QThread;

namespace SessionDesk {

class AuditedStore;
class StoreWorker;

// The GUI thread's handle on one open store. It owns worker threads that own the store's
// connections, so the GUI thread never waits on the network. There are two lanes, each with its
// own thread and connection: interactive work (pages, one session, revoke, reveal) never queues
// behind a long scan (the users count, describe, destroy-all). Every call returns at once with a
// request id; the result arrives later as a signal carrying that id, so a view can drop stale
// replies. Long jobs report progress at least every 250 ms and stop promptly on cancel().
//
// Writes are refused until allowWrites(true); a profile flagged read-only (an auditor's) can
// never allow them. Every destructive call and every reveal leaves an audit record.
class StoreClient final : public QObject
{
    Q_OBJECT

public:
    using RequestId = quint64;

    StoreClient(StoreConfig config, SessionLayout layout, QString auditLogPath,
                QObject *parent = nullptr);
    ~StoreClient() override;
    Q_DISABLE_COPY_MOVE(StoreClient)

    QString targetName() const { return m_config.targetName(); }
    QString displayUrl() const { return m_config.redactedUrl(); }
    const StoreConfig &config() const { return m_config; }
    // The layout in use: after connected(), the detected one when it was "auto".
    const SessionLayout &layout() const { return m_layout; }
    // How an "auto" layout was chosen (one sentence), once connected; empty otherwise.
    QString layoutNote() const { return m_layoutNote; }
    QString auditLogPath() const { return m_auditLogPath; }

    // Read-only by default. A locked client (profile flagged read-only) refuses to unlock.
    bool writesAllowed() const { return m_writesAllowed; }
    bool isLocked() const { return m_config.readOnly; }
    bool allowWrites(bool allowed);

    RequestId connectToStore();
    RequestId describe();
    RequestId loadUsers();
    RequestId loadSessionPage(const SessionPageRequest &request);
    RequestId loadSession(const QByteArray &id);
    RequestId reveal(const QByteArray &id); // audited; answered by revealAllowed
    RequestId revoke(const QList<QByteArray> &ids);
    // `reason` and `planned` (the count the operator confirmed) are kept in the audit record.
    RequestId logoutUser(const QString &user, const QString &reason = QString(),
                         qint64 planned = -1);
    // dryRun counts only. `reason` and `planned` are kept in the audit record. With
    // `sessionReportPath`, each session's outcome streams to that file as the run goes (see
    // DestroyReportWriter); a file that cannot be created fails the request before anything is
    // destroyed.
    RequestId destroyAll(bool dryRun, const QString &reason = QString(), qint64 planned = -1,
                         const QString &sessionReportPath = QString());
    // Whether destroyAll() can write a per-session report (Redis stores can).
    bool reportsSessionOutcomes() const { return m_config.kind == StoreConfig::Kind::Redis; }
    void cancel(RequestId id);

signals:
    void writesAllowedChanged(bool allowed);
    void connected(StoreClient::RequestId id);
    void described(StoreClient::RequestId id, const SessionDesk::StoreInfo &info);
    void usersLoaded(StoreClient::RequestId id, const SessionDesk::UserList &users);
    void sessionPageLoaded(StoreClient::RequestId id, const SessionDesk::SessionPage &page);
    void sessionLoaded(StoreClient::RequestId id, const SessionDesk::SessionDetail &detail);
    void revealAllowed(StoreClient::RequestId id, const QByteArray &sessionId);
    void revoked(StoreClient::RequestId id, const SessionDesk::RevokeReport &report);
    void destroyed(StoreClient::RequestId id, const SessionDesk::DestroyReport &report);
    void progress(StoreClient::RequestId id, const SessionDesk::Progress &progress);
    void failed(StoreClient::RequestId id, const SessionDesk::StorageError &error);
    // After any successful change, so that views can refresh what they show.
    void storeChanged();

private:
    enum class Lane { Interactive, Bulk };
    // Runs `call` on the lane's worker thread against the connected store and hands its value to
    // `onValue` on this thread, or emits failed().
    template <typename T>
    RequestId
    run(Lane lane,
        std::function<Result<T>(AuditedStore &, const ProgressCallback &, const CancelToken &)>
            call,
        std::function<void(RequestId, const T &)> onValue);

    StoreConfig m_config;
    SessionLayout m_layout;
    QString m_layoutNote;
    QString m_auditLogPath;
    bool m_writesAllowed = false;
    QThread *m_threads[2] = {};
    StoreWorker *m_workers[2] = {}; // each lives on its thread
    RequestId m_nextId = 1;
    QHash<RequestId, CancelToken> m_running;
};

} // namespace SessionDesk

Q_DECLARE_METATYPE(SessionDesk::StoreInfo)
Q_DECLARE_METATYPE(SessionDesk::UserList)
Q_DECLARE_METATYPE(SessionDesk::SessionPage)
Q_DECLARE_METATYPE(SessionDesk::SessionDetail)
Q_DECLARE_METATYPE(SessionDesk::RevokeReport)
Q_DECLARE_METATYPE(SessionDesk::DestroyReport)
Q_DECLARE_METATYPE(SessionDesk::Progress)
Q_DECLARE_METATYPE(SessionDesk::StorageError)
