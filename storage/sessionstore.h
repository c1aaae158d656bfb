#pragma once

#include "cancel.h"
#include "sessionlayout.h"
#include "storageerror.h"
#include "storefacts.h"
#include "valuetree.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QPair>
#include <QString>

#include <optional>

namespace SessionDesk {

struct StoreInfo
{
    QString kind; // "redis"
    QString target; // the name a destroy-all confirmation must repeat
    QString serverVersion; // e.g. "7.0.15"
    QString layout; // layout description
    qint64 sessions = -1; // sessions of the layout, counted by a full scan
    qint64 sessionsWithoutTtl = -1; // of those, sessions that never expire
    qint64 keysInDatabase = -1;
    QList<StoreFact> facts; // the store's settings as typed facts, in catalog order

    const StoreFact *fact(const QString &id) const { return findFact(facts, id); }
};

// One row of a session list: what a list shows, never the payload.
struct SessionSummary
{
    QByteArray id;
    QString user; // empty when the value names no user
    qint64 ttlMs = -1; // -1: no expiry
    QDateTime expiresAt; // invalid when there is no expiry
    qint64 sizeBytes = 0; // bytes of the stored value
    QString valueType; // "string", or the Redis type of an odd key under the prefix
    QDateTime startedAt; // invalid when the layout or the value does not say
    QDateTime lastAccessAt; // likewise
    QString device; // IP and/or user agent where the value names them
    qint64 idleTimeoutSeconds = -1; // the framework's own idle timeout, where it stores one
};

struct SessionDetail
{
    SessionSummary summary;
    QByteArray raw; // the stored bytes (for non-string types: a readable rendering)
    DecodedValue decoded;
};

struct UserSummary
{
    QString user;
    qint64 sessions = 0;
};

struct UserList
{
    QList<UserSummary> users; // most sessions first, then by name
    qint64 sessionsExamined = 0;
    qint64 sessionsWithoutUser = 0;
};

struct SessionQuery
{
    std::optional<QString> user; // only this user's sessions
    qint64 limit = -1; // at most this many rows; -1 for all
};

// One page of a session listing. Pages follow a store cursor; a page may repeat a session of an
// earlier page while the store rehashes, so consumers keep ids unique.
struct SessionPageRequest
{
    QByteArray cursor; // empty for the first page
    qint64 pageSize = 500; // sessions wanted; a page may hold fewer (or none)
    std::optional<QString> user; // only this user's sessions
};

struct SessionPage
{
    QList<SessionSummary> sessions;
    QByteArray nextCursor; // pass back for the next page
    bool atEnd = false;
    qint64 examined = 0; // keys looked at for this page
    QList<QByteArray> staleIndexIds; // index entries whose session is gone
};

struct SessionList
{
    QList<SessionSummary> sessions;
    bool truncated = false; // stopped at the limit; more exist
    QList<QByteArray> staleIndexIds; // index entries whose session is gone (index lookups only)
};

struct RevokeReport
{
    QList<QByteArray> revoked;
    QList<QByteArray> notFound;
    qint64 indexEntriesRemoved = 0;
    // Keys the layout's revoke recipe removed beside the session keys: legacy public-id keys,
    // shadow keys, lock keys (index and expiry-set entries are not keys).
    qint64 relatedKeysRemoved = 0;
};

struct DestroyReport
{
    bool dryRun = false;
    bool cancelled = false;
    qint64 examined = 0; // keys looked at
    qint64 matched = 0; // sessions of the layout found
    qint64 destroyed = 0; // sessions removed
    qint64 failed = 0; // sessions that could not be removed
    // Sessions whose delete was sent but whose reply was lost (the connection broke or timed
    // out): they may or may not be gone. Sessions matched but neither destroyed, failed nor
    // unconfirmed were already gone when deleted (expired, or removed by someone else).
    qint64 unconfirmed = 0;
    qint64 indexKeysDestroyed = 0;
    // The layout's bookkeeping keys (shadow keys, expiry sets, lock keys) removed, or for a dry
    // run found.
    qint64 bookkeepingKeysDestroyed = 0;
    qint64 durationMs = 0;
    QStringList errors; // distinct causes of failures
    QString abortReason; // set when the run stopped on an error; the counts are still exact
    // Stores that bill by request (DynamoDB): capacity consumed by the run, and for a dry run
    // what the real run would cost; -1 and empty elsewhere.
    double consumedCapacityUnits = -1;
    QString costEstimate;
    // When the run streamed each session's outcome to a file (DestroyReportWriter): the file,
    // its session lines, and why it is incomplete (empty when it was written whole).
    QString sessionReportPath;
    qint64 sessionReportLines = 0;
    QString sessionReportError;

    // For a dry run under a rate limit (StoreConfig::maxOpsPerSecond): the least time the
    // deletes take, one operation per key (sessions, index and bookkeeping keys); the scan's
    // own operations come on top. 0 without a limit.
    qint64 leastDeleteMs(int opsPerSecond) const
    {
        if (opsPerSecond <= 0)
            return 0;
        const qint64 keys = matched + indexKeysDestroyed + bookkeepingKeysDestroyed;
        return keys * 1000 / opsPerSecond;
    }
};

// What became of one session in a destroy-all.
enum class DestroyOutcome {
    Destroyed, // deleted by this run
    AlreadyGone, // matched, but gone when deleted (expired, or removed by someone else)
    Failed, // the delete was refused
    Unconfirmed, // the delete was sent and its reply lost: it may or may not be gone
};

// Receives each session's outcome while a destroy-all runs, so that a report can be written as
// the run goes instead of being held in memory (see DestroyReportWriter). Called on the
// store's thread. A session may be reported again with a later outcome (deleted again after a
// reconnect or a failover); the last outcome counts.
class DestroyOutcomeSink
{
public:
    virtual ~DestroyOutcomeSink() = default;
    // Called before the first outcome of an audited run: the salt the audit log hashes session
    // ids with (AuditLog::saltedId) and the log's path, so that a report's ids can be checked
    // against the log's records.
    virtual void useIdSalt(const QByteArray &salt, const QString &auditLogPath)
    {
        Q_UNUSED(salt);
        Q_UNUSED(auditLogPath);
    }
    virtual void sessionOutcome(const QByteArray &id, DestroyOutcome outcome) = 0;
};

// The one interface both front ends use. Synchronous and thread-confined: create, use and
// destroy a store on one thread. Every destructive call refuses in read-only mode, touches only
// keys of the layout and never flushes a database.
class SessionStore
{
public:
    virtual ~SessionStore() = default;

    // The layout in use; after connect() the detected one when the layout was "auto".
    virtual const SessionLayout &layout() const = 0;
    // How the layout was chosen when it was detected (one sentence); empty otherwise.
    virtual QString layoutNote() const { return {}; }
    virtual QString targetName() const = 0;
    virtual bool isReadOnly() const = 0;
    // Starts from StoreConfig::readOnly; the GUI unlocks writes deliberately.
    virtual void setReadOnly(bool readOnly) = 0;

    virtual Result<void> connect() = 0;
    // The store's settings and cheap counts, without a scan: what an auditor reads.
    virtual Result<StoreInfo> settings() = 0;
    // settings() plus an exact count of the layout's sessions (a full scan).
    virtual Result<StoreInfo> describe(const ProgressCallback &progress,
                                       const CancelToken &cancel) = 0;
    virtual Result<UserList> listUsers(const ProgressCallback &progress,
                                       const CancelToken &cancel) = 0;
    // Every page of sessionPage() in turn, each session once, up to the query's limit.
    virtual Result<SessionList> listSessions(const SessionQuery &query,
                                             const ProgressCallback &progress,
                                             const CancelToken &cancel);
    // A sentence on what a per-user lookup costs when it is expensive (a scan of everything
    // for want of an index, on a store that bills by request); empty when it is cheap.
    virtual QString userLookupCost() const { return {}; }
    // One page; bounded in time even when few keys match (a user filter without an index).
    virtual Result<SessionPage> sessionPage(const SessionPageRequest &request,
                                            const CancelToken &cancel) = 0;
    // NotFound when the session does not exist.
    virtual Result<SessionDetail> session(const QByteArray &id) = 0;
    virtual Result<RevokeReport> revoke(const QList<QByteArray> &ids) = 0;
    virtual Result<RevokeReport> logoutUser(const QString &user, const ProgressCallback &progress,
                                            const CancelToken &cancel) = 0;
    // With dryRun, counts what would be destroyed and changes nothing. Cancel stops after the
    // current batch; the report then says exactly what was destroyed.
    virtual Result<DestroyReport> destroyAll(bool dryRun, const ProgressCallback &progress,
                                             const CancelToken &cancel) = 0;
    // Whether destroyAll() tells an outcome sink about each session (see below).
    virtual bool reportsSessionOutcomes() const { return false; }
    // Where destroyAll() reports each session's outcome as it goes; null for nowhere. The sink
    // must outlive the calls it is set for.
    virtual void setDestroyOutcomeSink(DestroyOutcomeSink *sink) { m_outcomeSink = sink; }

protected:
    // The one sentence every destructive call answers with in read-only mode.
    Result<void> refuseIfReadOnly(const QString &action) const;

    DestroyOutcomeSink *m_outcomeSink = nullptr;
};

} // namespace SessionDesk
