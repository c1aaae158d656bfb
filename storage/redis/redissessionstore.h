#pragma once

#include "redisrouter.h"
#include "sessionstore.h"

#include <functional>
#include <optional>

namespace SessionDesk {
class KeyStates;
}

namespace SessionDesk::Redis {

// SessionStore over one Redis database: a standalone server, the master a set of sentinels
// names, or every master of a cluster (the Router hides which). SCAN with COUNT and pipelining
// only (never KEYS), deletes by UNLINK (DEL before Redis 4) in pipelined batches, never
// FLUSHDB/FLUSHALL, and never a key outside the layout (its sessions, bookkeeping keys and user
// index).
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
    bool reportsSessionOutcomes() const override { return true; }

    // The most keys per SCAN call and commands per pipeline (SCAN COUNT and MGET width adapt
    // below it to the server's speed); tests lower it to exercise batching.
    void setBatchSize(int keys) { m_batchSize = keys; }
    // The transport under the store, for tests and benchmarks that need to reach past it.
    Router &router() { return m_router; }

private:
    // GET (HGETALL for hash layouts) + PTTL of every session key; keys that vanished meanwhile
    // and bookkeeping keys of the layout are left out.
    Result<QList<SessionSummary>> summarize(const QList<QByteArray> &keys, bool userOnly = false);
    Result<QList<SessionSummary>> summarizeHashes(const QList<QByteArray> &keys, bool userOnly);
    // Of the keys a SCAN returned, the session keys (not the layout's bookkeeping keys under its
    // prefix) not met before, in `seen`: SCAN may repeat a key, and a master may be scanned
    // again.
    QList<QByteArray> newSessionKeys(const QList<QByteArray> &keys, KeyStates &seen) const;
    // The keys whose PTTL is the real TTL of the sessions `keys` (the layout's ttlKey), one per
    // key; empty when the layout has none.
    QList<QByteArray> ttlKeysOf(const QList<QByteArray> &keys) const;
    // The session stored under `key`, or nullopt when there is none.
    Result<std::optional<SessionDetail>> readSession(const QByteArray &key);
    // Samples keys and values and replaces the "auto" layout by the preset they fit.
    Result<void> detectLayout();
    // Commands that read the values of `keys`: one MGET per `width` keys (on one server with
    // TIME before and after, when `timed`, so the server says how long they took; on a cluster
    // the router splits each MGET by slot). `where` says, per key, which command's reply holds
    // its value and where in its array (-1 for a HGETALL). `hashes`: a HGETALL per key instead
    // (see userReads()).
    struct ValueReads
    {
        QList<Command> commands;
        QList<QPair<qsizetype, qsizetype>> where;
        bool timed = false;
        bool hashes = false;
    };
    ValueReads valueReads(const QList<QByteArray> &keys, int width, bool timed) const;
    // The values those commands returned, one per key (nil for a key that is gone or that holds
    // no string). Fails on an error reply, naming it. `serverMicroseconds`, when the reads
    // were timed, gets the server's time per MGET (or -1).
    Result<QList<Reply>> valuesFrom(const QList<Reply> &replies, const ValueReads &reads,
                                    qint64 *serverMicroseconds) const;
    // Commands that read what the users of the sessions `keys` are found in: valueReads() for
    // a layout of strings, a HGETALL per key for a layout of hashes.
    ValueReads userReads(const QList<QByteArray> &keys, int width, bool timed) const;
    // Calls `visit` for each key of `reads` with its session's user as UTF-8 bytes (a view
    // into `replies` when SessionFieldReader::userBytes() found it; empty for a session without
    // a user), or nullopt for a key that holds no value of the layout's type (gone, or another
    // type: callers may ask TYPE), and the value's size. Fails on an error reply, naming it.
    using UserVisitor =
        std::function<void(qsizetype key, std::optional<QByteArrayView> user, qint64 bytes)>;
    Result<void> visitUsers(const QList<Reply> &replies, const ValueReads &reads,
                            qint64 *serverMicroseconds, const UserVisitor &visit) const;
    // The index's type ("set", "zset", "none", ...) and its session ids.
    struct UserIndex
    {
        QByteArray type;
        QList<QByteArray> ids;
    };
    Result<UserIndex> readUserIndex(const QString &user);
    // Deletes the sessions `ids` name with the layout's revoke recipe. `user`, when given, is
    // the user whose index entries go (logout-user); otherwise each session's own user's do.
    // `indexType` ("set" or "zset"), when known, takes the index entries out in the same round
    // trip as the deletes.
    Result<RevokeReport> revokeIds(const QList<QByteArray> &ids, const std::optional<QString> &user,
                                   const QByteArray &indexType = {});
    // Deletes keys and returns, per key, 1 removed, 0 already gone, or an error reply.
    Result<QList<Reply>> unlink(const QList<QByteArray> &keys, RunInfo *info = nullptr);
    Result<qint64> removeFromUserIndex(const QString &user, const QList<QByteArray> &ids);
    Result<QList<Reply>> run(const QList<Command> &commands, const QString &what,
                             RunInfo *info = nullptr);
    // The error of a reply that refuses a command as a whole (a permission, a server that
    // stayed unavailable past the router's waiting), if any.
    std::optional<StorageError> blockingError(const QList<Reply> &replies,
                                              const QString &what) const;

    Router m_router;
    SessionLayout m_layout;
    SessionFieldReader m_fields;
    QString m_layoutNote;
    QByteArray m_deleteVerb = "UNLINK";
    bool m_readOnly = false;
    // 200: listing users of a million sessions cost the server 4.1-4.6 CPU seconds with 100-200
    // keys per batch and 5.5-6.0 with 1,000 (its caches still hold a batch's keys when their
    // MGET or UNLINK comes); smaller batches saved nothing more.
    int m_batchSize = 200;
};

} // namespace SessionDesk::Redis
