#include "auditedstore.h"

#include <QJsonArray>

namespace SessionDesk {

AuditedStore::AuditedStore(std::unique_ptr<SessionStore> inner, AuditLog log)
    : m_inner(std::move(inner))
    , m_log(std::move(log))
{ }

Result<void> AuditedStore::beforeChange()
{
    if (m_inner->isReadOnly())
        return {}; // the inner store refuses with its own sentence; nothing to record
    return m_log.checkWritable();
}

Result<void> AuditedStore::record(const QString &action, QJsonObject details)
{
    if (!m_reason.isEmpty()) {
        details.insert(QStringLiteral("reason"), m_reason);
        m_reason.clear();
    }
    return m_log.append(action, targetName(), details);
}

Result<void> AuditedStore::recordReveal(const QByteArray &id, const QString &reason)
{
    QJsonObject details{{QStringLiteral("session"), AuditLog::redactedId(id)}};
    if (!reason.isEmpty())
        details.insert(QStringLiteral("reason"), reason);
    return m_log.append(QStringLiteral("reveal"), targetName(), details);
}

Result<RevokeReport> AuditedStore::revoke(const QList<QByteArray> &ids)
{
    if (auto ready = beforeChange(); !ready)
        return std::unexpected(ready.error());
    auto result = m_inner->revoke(ids);
    if (!result) {
        // Some keys may be gone already: the attempt is recorded with its cause.
        if (result.error().code != StorageError::Code::Refused)
            record(QStringLiteral("revoke"),
                   {{QStringLiteral("requested"), ids.size()},
                    {QStringLiteral("error"), result.error().message}});
        return result;
    }
    QJsonArray revoked;
    for (const QByteArray &id : result->revoked)
        revoked.append(AuditLog::redactedId(id));
    if (auto audited =
            record(QStringLiteral("revoke"),
                   {{QStringLiteral("revoked"), revoked},
                    {QStringLiteral("not_found"), result->notFound.size()},
                    {QStringLiteral("index_entries_removed"), result->indexEntriesRemoved},
                    {QStringLiteral("related_keys_removed"), result->relatedKeysRemoved}});
        !audited) {
        return std::unexpected(audited.error());
    }
    return result;
}

Result<RevokeReport> AuditedStore::logoutUser(const QString &user, const ProgressCallback &progress,
                                              const CancelToken &cancel)
{
    if (auto ready = beforeChange(); !ready)
        return std::unexpected(ready.error());
    auto result = m_inner->logoutUser(user, progress, cancel);
    if (!result) {
        if (result.error().code != StorageError::Code::Refused)
            record(QStringLiteral("logout-user"),
                   {{QStringLiteral("user"), user},
                    {QStringLiteral("error"), result.error().message}});
        return result;
    }
    if (auto audited =
            record(QStringLiteral("logout-user"),
                   {{QStringLiteral("user"), user},
                    {QStringLiteral("revoked"), result->revoked.size()},
                    {QStringLiteral("index_entries_removed"), result->indexEntriesRemoved},
                    {QStringLiteral("related_keys_removed"), result->relatedKeysRemoved}});
        !audited) {
        return std::unexpected(audited.error());
    }
    return result;
}

Result<DestroyReport> AuditedStore::destroyAll(bool dryRun, const ProgressCallback &progress,
                                               const CancelToken &cancel)
{
    if (dryRun)
        return m_inner->destroyAll(true, progress, cancel);
    if (auto ready = beforeChange(); !ready)
        return std::unexpected(ready.error());
    auto result = m_inner->destroyAll(false, progress, cancel);
    if (!result) {
        if (result.error().code != StorageError::Code::Refused)
            record(QStringLiteral("destroy-all"),
                   {{QStringLiteral("destroyed"), 0},
                    {QStringLiteral("error"), result.error().message}});
        return result;
    }
    const DestroyReport &r = *result;
    if (auto audited =
            record(QStringLiteral("destroy-all"),
                   {{QStringLiteral("matched"), r.matched},
                    {QStringLiteral("destroyed"), r.destroyed},
                    {QStringLiteral("failed"), r.failed},
                    {QStringLiteral("unconfirmed"), r.unconfirmed},
                    {QStringLiteral("index_keys_destroyed"), r.indexKeysDestroyed},
                    {QStringLiteral("bookkeeping_keys_destroyed"), r.bookkeepingKeysDestroyed},
                    {QStringLiteral("cancelled"), r.cancelled},
                    {QStringLiteral("duration_ms"), r.durationMs},
                    {QStringLiteral("errors"), QJsonArray::fromStringList(r.errors)},
                    {QStringLiteral("aborted"), r.abortReason}});
        !audited) {
        return std::unexpected(audited.error());
    }
    return result;
}

} // namespace SessionDesk
