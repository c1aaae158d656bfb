#pragma once

#include "redisrouter.h"
#include "sessionstore.h"

#include <functional>
#include <optional>

namespace SessionDesk::Redis {

// SessionStore over one Redis database: a standalone server, the master a set of sentinels
// names, or every master of a cluster (the Router hides which). SCAN with COUNT and pipelining
// only (never KEYS), deletes by UNLINK (DEL before Redis 4) in pipelined batches, never
// FLUSHDB/FLUSHALL, and never a key outside the layout's prefix or its user index.
//
// A read-only store is read-only twice: its own checks refuse destructive calls, and its
// connections refuse to send anything but reads (see Connection).
class SessionStore final : public SessionDesk::SessionStore
{
public:
    SessionStore(StoreConfig config, SessionLayout layout);

    // With an "auto" layout, connect() samples the store and picks the preset (layoutdetect.h).
    const SessionLayout &layout() const override { return m_layout; }
    QString layoutNote() const override { return m_layoutNote; }
    QString targetName() const override { return m_router.config().targetName(); }
    bool isReadOnly() const override { return m_readOnly; }
    void setReadOnly(bool readOnly) override
    {
        m_readOnly = readOnly;
        m_router.setReadOnly(readOnly);
    }

    Result<void> connect() override;
    Result<StoreInfo> settings() override;
    Result<StoreInfo> describe(const ProgressCallback &progress,
                               const CancelToken &cancel) override;
    Result<UserList> listUsers(const ProgressCallback &progress,
                               const CancelToken &cancel) override;
    Result<SessionPage> sessionPage(const SessionPageRequest &request,
                                    const CancelToken &cancel) override;
    Result<SessionDetail> session(const QByteArray &id) override;
    Result<RevokeReport> revoke(const QList<QByteArray> &ids) override;
    Result<RevokeReport> logoutUser(const QString &user, const ProgressCallback &progress,
                                    const CancelToken &cancel) override;
    Result<DestroyReport> destroyAll(bool dryRun, const ProgressCallback &progress,
                                     const CancelToken &cancel) override;

    // Keys per SCAN call and commands per pipeline; tests lower it to exercise batching.
    void setBatchSize(int keys) { m_batchSize = keys; }
    // The transport under the store, for tests and benchmarks that need to reach past it.
    Router &router() { return m_router; }

private:
    // Calls `visit` with each batch of keys matching `pattern`, each key once. `visit` returns
    // false to stop early. Fails with Cancelled when `cancel` is set between batches.
    using KeyVisitor = std::function<Result<bool>(const QList<QByteArray> &keys)>;
    Result<void> scan(const QByteArray &pattern, const CancelToken &cancel,
                      const KeyVisitor &visit);
    // GET (HGETALL for hash layouts) + PTTL of every session key; keys that vanished meanwhile
    // and bookkeeping keys of the layout are left out.
    Result<QList<SessionSummary>> summarize(const QList<QByteArray> &keys, bool userOnly = false);
    Result<QList<SessionSummary>> summarizeHashes(const QList<QByteArray> &keys, bool userOnly);
    // The session stored under `key`, or nullopt when there is none.
    Result<std::optional<SessionDetail>> readSession(const QByteArray &key);
    // Samples keys and values and replaces the "auto" layout by the preset they fit.
    Result<void> detectLayout();
    // Deletes the sessions `ids` name with the layout's revoke recipe. `user`, when given, is
    // the user whose index entries go (logout-user); otherwise each session's own user's do.
    Result<RevokeReport> revokeIds(const QList<QByteArray> &ids,
                                   const std::optional<QString> &user);
    Result<QList<QByteArray>> readUserIndex(const QString &user);
    // Deletes keys and returns, per key, 1 removed, 0 already gone, or an error reply.
    Result<QList<Reply>> unlink(const QList<QByteArray> &keys, RunInfo *info = nullptr);
    Result<qint64> removeFromUserIndex(const QString &user, const QList<QByteArray> &ids);
    Result<QList<Reply>> run(const QList<Command> &commands, const QString &what,
                             RunInfo *info = nullptr);

    Router m_router;
    SessionLayout m_layout;
    SessionFieldReader m_fields;
    QString m_layoutNote;
    QByteArray m_deleteVerb = "UNLINK";
    bool m_readOnly = false;
    int m_batchSize = 1000;
};

} // namespace SessionDesk::Redis
