#include "auditedstore.h"

#include <QJsonArray>

namespace SessionDesk {

namespace {

using Code = StorageError::Code;

QJsonValue countOrNull(qint64 n)
{
    return n < 0 ? QJsonValue() : QJsonValue(n);
}

} // namespace

AuditedStore::AuditedStore(std::unique_ptr<SessionStore> inner, AuditLog log)
    : m_inner(std::move(inner))
    , m_log(std::move(log))
{ }

QJsonObject AuditedStore::common(const QString &action) const
{
    const SessionLayout &l = m_inner->layout();
    return {{QStringLiteral("action"), action},
            {QStringLiteral("target"), targetName()},
            {QStringLiteral("store"),
             l.forDynamoDb ? QStringLiteral("dynamodb") : QStringLiteral("redis")},
            {QStringLiteral("layout"), l.schema}};
}

Result<QString> AuditedStore::start(const QString &action, QJsonObject fields,
                                    const QList<QByteArray> &ids)
{
    const QString op = AuditLog::newOperationId();
    QJsonObject record = common(action);
    for (auto it = fields.begin(); it != fields.end(); ++it)
        record.insert(it.key(), it.value());
    record.insert(QStringLiteral("event"), QStringLiteral("started"));
    record.insert(QStringLiteral("op"), op);
    if (!m_reason.isEmpty())
        record.insert(QStringLiteral("reason"), m_reason);
    record.insert(QStringLiteral("planned"), countOrNull(m_planned));
    m_reason.clear();
    m_planned = -1;
    if (auto written = m_log.append(record, ids); !written) {
        StorageError error = written.error();
        error.code = Code::Refused;
        if (!error.message.contains(QStringLiteral("nothing was changed"))) {
            if (error.message.endsWith(u'.'))
                error.message.chop(1);
            error.message += QStringLiteral("; nothing was changed.");
        }
        return std::unexpected(error);
    }
    return op;
}

Result<void> AuditedStore::complete(const QString &op, const QString &action, QJsonObject fields,
                                    const QList<QByteArray> &ids)
{
    QJsonObject record = common(action);
    for (auto it = fields.begin(); it != fields.end(); ++it)
        record.insert(it.key(), it.value());
    record.insert(QStringLiteral("event"), QStringLiteral("completed"));
    record.insert(QStringLiteral("op"), op);
    if (auto written = m_log.append(record, ids); !written) {
        StorageError error = written.error();
        error.code = StorageError::Code::Server; // the change happened: not a refusal
        error.message = QStringLiteral("The %1 ran (%2 done), but its result could not be added "
                                       "to the audit log, which holds only its start: %3")
                            .arg(action)
                            .arg(fields.value(QStringLiteral("done")).toInteger())
                            .arg(error.message);
        return std::unexpected(error);
    }
    return {};
}

Result<void> AuditedStore::recordReveal(const QByteArray &id, const QString &reason)
{
    QJsonObject record = common(QStringLiteral("reveal"));
    record.insert(QStringLiteral("event"), QStringLiteral("done"));
    record.insert(QStringLiteral("op"), AuditLog::newOperationId());
    record.insert(QStringLiteral("scope"), QStringLiteral("the masked values of one session"));
    record.insert(QStringLiteral("done"), 1);
    record.insert(QStringLiteral("result"), QStringLiteral("ok"));
    if (!reason.isEmpty())
        record.insert(QStringLiteral("reason"), reason);
    auto written = m_log.append(record, {id});
    if (!written)
        return std::unexpected(written.error());
    return {};
}

Result<RevokeReport> AuditedStore::revoke(const QList<QByteArray> &ids)
{
    if (m_inner->isReadOnly())
        return m_inner->revoke(ids); // refuses with its own sentence; nothing to record
    m_planned = ids.size();
    auto op = start(QStringLiteral("revoke"),
                    {{QStringLiteral("scope"),
                      ids.size() == 1 ? QStringLiteral("1 named session")
                                      : QStringLiteral("%1 named sessions").arg(ids.size())}},
                    ids);
    if (!op)
        return std::unexpected(op.error());
    auto result = m_inner->revoke(ids);
    if (!result) {
        complete(*op, QStringLiteral("revoke"),
                 {{QStringLiteral("result"), QStringLiteral("failed")},
                  {QStringLiteral("error"), result.error().message}});
        return result;
    }
    if (auto done = complete(
            *op, QStringLiteral("revoke"),
            {{QStringLiteral("result"),
              result->notFound.isEmpty() ? QStringLiteral("ok") : QStringLiteral("partial")},
             {QStringLiteral("done"), result->revoked.size()},
             {QStringLiteral("not_found"), result->notFound.size()},
             {QStringLiteral("failed"), 0},
             {QStringLiteral("index_entries_removed"), result->indexEntriesRemoved}},
            result->revoked);
        !done) {
        return std::unexpected(done.error());
    }
    return result;
}

Result<RevokeReport> AuditedStore::logoutUser(const QString &user, const ProgressCallback &progress,
                                              const CancelToken &cancel)
{
    if (m_inner->isReadOnly())
        return m_inner->logoutUser(user, progress, cancel);
    auto op =
        start(QStringLiteral("logout-user"),
              {{QStringLiteral("user"), user},
               {QStringLiteral("scope"), QStringLiteral("every session of user %1").arg(user)}});
    if (!op)
        return std::unexpected(op.error());
    auto result = m_inner->logoutUser(user, progress, cancel);
    if (!result) {
        complete(*op, QStringLiteral("logout-user"),
                 {{QStringLiteral("user"), user},
                  {QStringLiteral("result"),
                   result.error().code == Code::Cancelled ? QStringLiteral("cancelled")
                                                          : QStringLiteral("failed")},
                  {QStringLiteral("error"), result.error().message}});
        return result;
    }
    if (auto done =
            complete(*op, QStringLiteral("logout-user"),
                     {{QStringLiteral("user"), user},
                      {QStringLiteral("result"), QStringLiteral("ok")},
                      {QStringLiteral("done"), result->revoked.size()},
                      {QStringLiteral("not_found"), result->notFound.size()},
                      {QStringLiteral("failed"), 0},
                      {QStringLiteral("index_entries_removed"), result->indexEntriesRemoved}},
                     result->revoked);
        !done) {
        return std::unexpected(done.error());
    }
    return result;
}

Result<DestroyReport> AuditedStore::destroyAll(bool dryRun, const ProgressCallback &progress,
                                               const CancelToken &cancel)
{
    if (dryRun || m_inner->isReadOnly()) {
        m_reason.clear();
        m_planned = -1;
        return m_inner->destroyAll(dryRun, progress, cancel);
    }
    const SessionLayout &l = m_inner->layout();
    const QString scope = QStringLiteral("every session of the layout %1 (%2*) in %3")
                              .arg(l.schema, QString::fromUtf8(l.keyPrefix), targetName());
    auto op = start(QStringLiteral("destroy-all"), {{QStringLiteral("scope"), scope}});
    if (!op)
        return std::unexpected(op.error());
    // The log has its header (and salt) now: a report hashes ids as the log's records do.
    if (m_outcomeSink)
        m_outcomeSink->useIdSalt(m_log.idSalt(), m_log.path());
    auto result = m_inner->destroyAll(false, progress, cancel);
    if (!result) {
        complete(*op, QStringLiteral("destroy-all"),
                 {{QStringLiteral("result"),
                   result.error().code == Code::Cancelled ? QStringLiteral("cancelled")
                                                          : QStringLiteral("failed")},
                  {QStringLiteral("error"), result.error().message}});
        return result;
    }
    const DestroyReport &r = *result;
    const QString outcome = r.cancelled            ? QStringLiteral("cancelled")
        : !r.abortReason.isEmpty() || r.failed > 0 ? QStringLiteral("partial")
                                                   : QStringLiteral("ok");
    QJsonObject fields{{QStringLiteral("result"), outcome},
                       {QStringLiteral("matched"), r.matched},
                       {QStringLiteral("done"), r.destroyed},
                       {QStringLiteral("failed"), r.failed},
                       {QStringLiteral("unconfirmed"), r.unconfirmed},
                       {QStringLiteral("index_keys_destroyed"), r.indexKeysDestroyed},
                       {QStringLiteral("bookkeeping_keys_destroyed"), r.bookkeepingKeysDestroyed},
                       {QStringLiteral("duration_ms"), r.durationMs},
                       {QStringLiteral("errors"), QJsonArray::fromStringList(r.errors)}};
    if (!r.abortReason.isEmpty())
        fields.insert(QStringLiteral("error"), r.abortReason);
    if (auto done = complete(*op, QStringLiteral("destroy-all"), fields); !done)
        return std::unexpected(done.error());
    return result;
}

} // namespace SessionDesk
