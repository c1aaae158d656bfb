#include "storeclient.h"

#include "auditedstore.h"
#include "destroyreport.h"
#include "storefactory.h"

#include <QElapsedTimer>
#include <QThread>

#include <deque>

namespace SessionDesk {

// Lives on the client's worker thread and owns the store: the store, its sockets and its
// audit log are only ever touched there.
class StoreWorker final : public QObject
{
    Q_OBJECT

public:
    StoreWorker(StoreConfig config, SessionLayout layout, QString auditLogPath)
        : m_config(std::move(config))
        , m_layout(std::move(layout))
        , m_auditLogPath(std::move(auditLogPath))
    { }

    // Creates and connects the store on first use, and again after a failed connect, so that
    // a retry after the server is back works.
    Result<AuditedStore *> store()
    {
        if (!m_store) {
            m_store = std::make_unique<AuditedStore>(createStore(m_config, m_layout),
                                                     AuditLog(m_auditLogPath));
        }
        if (!m_connected) {
            auto connected = m_store->connect();
            if (!connected)
                return std::unexpected(connected.error());
            m_connected = true;
        }
        return m_store.get();
    }

    // The layout another lane detected: this lane's store then need not sample again. Ignored
    // once this lane's store exists (it detected on its own).
    void adoptLayout(const SessionLayout &layout)
    {
        if (!m_store)
            m_layout = layout;
    }

    // Forwards progress at most every 100 ms, well within the 250 ms a view needs.
    ProgressCallback throttled(StoreClient::RequestId id)
    {
        auto clock = std::make_shared<QElapsedTimer>();
        clock->start();
        return [this, id, clock](const Progress &p) {
            if (clock->elapsed() < 100)
                return;
            clock->restart();
            emit progressed(id, p);
        };
    }

    // Runs jobs one after another. A job may spin a local event loop (the DynamoDB client
    // does); a job posted meanwhile waits in the queue instead of running inside it.
    void enqueue(std::function<void()> job)
    {
        m_queue.push_back(std::move(job));
        if (m_busy)
            return;
        m_busy = true;
        while (!m_queue.empty()) {
            const std::function<void()> next = std::move(m_queue.front());
            m_queue.pop_front();
            next();
        }
        m_busy = false;
    }

signals:
    void deliver(const std::function<void()> &onClientThread);
    void progressed(quint64 id, const SessionDesk::Progress &progress);

private:
    StoreConfig m_config;
    SessionLayout m_layout;
    QString m_auditLogPath;
    std::unique_ptr<AuditedStore> m_store;
    bool m_connected = false;
    std::deque<std::function<void()>> m_queue;
    bool m_busy = false;
};

namespace {

void registerMetaTypes()
{
    static const bool once = [] {
        qRegisterMetaType<StoreInfo>();
        qRegisterMetaType<UserList>();
        qRegisterMetaType<SessionPage>();
        qRegisterMetaType<SessionDetail>();
        qRegisterMetaType<RevokeReport>();
        qRegisterMetaType<DestroyReport>();
        qRegisterMetaType<Progress>();
        qRegisterMetaType<StorageError>();
        qRegisterMetaType<std::function<void()>>();
        return true;
    }();
    Q_UNUSED(once);
}

} // namespace

StoreClient::StoreClient(StoreConfig config, SessionLayout layout, QString auditLogPath,
                         QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_layout(std::move(layout))
    , m_auditLogPath(std::move(auditLogPath))
{
    registerMetaTypes();
    for (int lane = 0; lane < 2; ++lane) {
        auto *thread = new QThread(this);
        thread->setObjectName((lane == 0 ? QStringLiteral("store ") : QStringLiteral("bulk "))
                              + m_config.targetName());
        auto *worker = new StoreWorker(m_config, m_layout, m_auditLogPath);
        worker->moveToThread(thread);
        connect(thread, &QThread::finished, worker, &QObject::deleteLater);
        connect(worker, &StoreWorker::deliver, this,
                [](const std::function<void()> &onClientThread) { onClientThread(); });
        connect(worker, &StoreWorker::progressed, this, [this](quint64 id, const Progress &p) {
            if (m_running.contains(id))
                emit progress(id, p);
        });
        thread->start();
        m_threads[lane] = thread;
        m_workers[lane] = worker;
    }
}

StoreClient::~StoreClient()
{
    for (const CancelToken &token : std::as_const(m_running))
        token.cancel();
    // Cancelled jobs stop at their next batch; a blocked socket call ends at its timeout.
    for (QThread *thread : m_threads)
        thread->quit();
    for (QThread *thread : m_threads)
        thread->wait();
}

bool StoreClient::allowWrites(bool allowed)
{
    if (allowed && isLocked())
        return false;
    if (m_writesAllowed != allowed) {
        m_writesAllowed = allowed;
        emit writesAllowedChanged(allowed);
    }
    return true;
}

void StoreClient::cancel(RequestId id)
{
    if (auto it = m_running.find(id); it != m_running.end())
        it->cancel();
}

template <typename T>
StoreClient::RequestId StoreClient::run(
    Lane lane,
    std::function<Result<T>(AuditedStore &, const ProgressCallback &, const CancelToken &)> call,
    std::function<void(RequestId, const T &)> onValue)
{
    const RequestId id = m_nextId++;
    const CancelToken token;
    m_running.insert(id, token);
    StoreWorker *worker = m_workers[lane == Lane::Interactive ? 0 : 1];
    auto job = [this, worker, id, token, call = std::move(call), onValue = std::move(onValue)] {
        auto store = worker->store();
        Result<T> result = store ? call(**store, worker->throttled(id), token)
                                 : Result<T>(std::unexpected(store.error()));
        // `this` is only dereferenced on the client's thread, where it is alive: the
        // destructor waits for this thread, and pending deliveries die with the client.
        emit worker->deliver([this, id, result = std::move(result), onValue] {
            m_running.remove(id);
            if (result)
                onValue(id, *result);
            else
                emit failed(id, result.error());
        });
    };
    QMetaObject::invokeMethod(
        worker, [worker, job = std::move(job)] { worker->enqueue(job); }, Qt::QueuedConnection);
    return id;
}

StoreClient::RequestId StoreClient::connectToStore()
{
    struct Resolved
    {
        SessionLayout layout;
        QString note;
    };
    return run<Resolved>(
        Lane::Interactive,
        [](AuditedStore &store, const ProgressCallback &, const CancelToken &) -> Result<Resolved> {
            return Resolved{store.layout(), store.layoutNote()};
        },
        [this](RequestId id, const Resolved &resolved) {
            const bool detected = m_layout.isAuto();
            m_layout = resolved.layout;
            m_layoutNote = resolved.note;
            if (detected) {
                StoreWorker *bulk = m_workers[1];
                QMetaObject::invokeMethod(
                    bulk, [bulk, layout = resolved.layout] { bulk->adoptLayout(layout); },
                    Qt::QueuedConnection);
            }
            emit connected(id);
        });
}

StoreClient::RequestId StoreClient::describe()
{
    return run<StoreInfo>(
        Lane::Bulk,
        [](AuditedStore &store, const ProgressCallback &progress, const CancelToken &cancel) {
            return store.describe(progress, cancel);
        },
        [this](RequestId id, const StoreInfo &info) { emit described(id, info); });
}

StoreClient::RequestId StoreClient::loadUsers()
{
    return run<UserList>(
        Lane::Bulk,
        [](AuditedStore &store, const ProgressCallback &progress, const CancelToken &cancel) {
            return store.listUsers(progress, cancel);
        },
        [this](RequestId id, const UserList &users) { emit usersLoaded(id, users); });
}

StoreClient::RequestId StoreClient::loadSessionPage(const SessionPageRequest &request)
{
    return run<SessionPage>(
        Lane::Interactive,
        [request](AuditedStore &store, const ProgressCallback &, const CancelToken &cancel) {
            return store.sessionPage(request, cancel);
        },
        [this](RequestId id, const SessionPage &page) { emit sessionPageLoaded(id, page); });
}

StoreClient::RequestId StoreClient::loadSession(const QByteArray &sessionId)
{
    return run<SessionDetail>(
        Lane::Interactive,
        [sessionId](AuditedStore &store, const ProgressCallback &, const CancelToken &) {
            return store.session(sessionId);
        },
        [this](RequestId id, const SessionDetail &detail) { emit sessionLoaded(id, detail); });
}

StoreClient::RequestId StoreClient::reveal(const QByteArray &sessionId)
{
    return run<QByteArray>(
        Lane::Interactive,
        [sessionId](AuditedStore &store, const ProgressCallback &,
                    const CancelToken &) -> Result<QByteArray> {
            if (auto recorded = store.recordReveal(sessionId); !recorded)
                return std::unexpected(recorded.error());
            return sessionId;
        },
        [this](RequestId id, const QByteArray &revealed) { emit revealAllowed(id, revealed); });
}

StoreClient::RequestId StoreClient::revoke(const QList<QByteArray> &ids)
{
    const bool writable = m_writesAllowed;
    return run<RevokeReport>(
        Lane::Interactive,
        [ids, writable](AuditedStore &store, const ProgressCallback &, const CancelToken &) {
            store.setReadOnly(!writable);
            return store.revoke(ids);
        },
        [this](RequestId id, const RevokeReport &report) {
            emit revoked(id, report);
            emit storeChanged();
        });
}

StoreClient::RequestId StoreClient::logoutUser(const QString &user, const QString &reason,
                                               qint64 planned)
{
    const bool writable = m_writesAllowed;
    return run<RevokeReport>(
        Lane::Interactive,
        [user, reason, planned, writable](AuditedStore &store, const ProgressCallback &progress,
                                          const CancelToken &cancel) {
            store.setReadOnly(!writable);
            store.setReason(reason);
            store.setPlannedCount(planned);
            return store.logoutUser(user, progress, cancel);
        },
        [this](RequestId id, const RevokeReport &report) {
            emit revoked(id, report);
            emit storeChanged();
        });
}

StoreClient::RequestId StoreClient::destroyAll(bool dryRun, const QString &reason, qint64 planned,
                                               const QString &sessionReportPath)
{
    const bool writable = m_writesAllowed;
    return run<DestroyReport>(
        Lane::Bulk,
        [dryRun, reason, planned, writable,
         sessionReportPath](AuditedStore &store, const ProgressCallback &progress,
                            const CancelToken &cancel) -> Result<DestroyReport> {
            store.setReadOnly(!writable);
            store.setReason(reason);
            store.setPlannedCount(planned);
            if (sessionReportPath.isEmpty() || dryRun)
                return store.destroyAll(dryRun, progress, cancel);
            return destroyAllWithSessionReport(store, sessionReportPath, false, progress, cancel);
        },
        [this, dryRun](RequestId id, const DestroyReport &report) {
            emit destroyed(id, report);
            if (!dryRun)
                emit storeChanged();
        });
}

} // namespace SessionDesk

#include "storeclient.moc"
