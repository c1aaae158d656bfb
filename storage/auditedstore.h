#pragma once

#include "auditlog.h"
#include "sessionstore.h"

#include <memory>

namespace SessionDesk {

// A SessionStore that leaves audit records for every destructive call and every reveal. A
// change writes a "started" record (target, layout, scope, planned count, the affected ids as
// salted hashes, the operator's reason) before it begins, and is refused when that record cannot
// be written; a "completed" record with the same operation id follows with the exact result
// (done, failed, not found, cancelled, the error), so a crash in between still leaves evidence.
// Attempts refused by read-only mode change nothing and leave no record.
class AuditedStore final : public SessionStore
{
public:
    AuditedStore(std::unique_ptr<SessionStore> inner, AuditLog log);

    const AuditLog &auditLog() const { return m_log; }
    // Records that the operator revealed the masked secrets of one session. Show them only
    // when this succeeds.
    Result<void> recordReveal(const QByteArray &id, const QString &reason = QString());
    // A free-text reason kept with the next destructive action (e.g. an incident number).
    void setReason(const QString &reason) { m_reason = reason; }
    // The count the operator was shown before confirming the next destructive action (a dry
    // run's, or a user's session count); recorded as "planned".
    void setPlannedCount(qint64 planned) { m_planned = planned; }

    const SessionLayout &layout() const override { return m_inner->layout(); }
    QString layoutNote() const override { return m_inner->layoutNote(); }
    QString targetName() const override { return m_inner->targetName(); }
    bool isReadOnly() const override { return m_inner->isReadOnly(); }
    void setReadOnly(bool readOnly) override { m_inner->setReadOnly(readOnly); }
    Result<void> connect() override { return m_inner->connect(); }
    Result<StoreInfo> settings() override { return m_inner->settings(); }
    QString userLookupCost() const override { return m_inner->userLookupCost(); }
    Result<StoreInfo> describe(const ProgressCallback &progress, const CancelToken &cancel) override
    {
        return m_inner->describe(progress, cancel);
    }
    Result<UserList> listUsers(const ProgressCallback &progress, const CancelToken &cancel) override
    {
        return m_inner->listUsers(progress, cancel);
    }
    Result<SessionList> listSessions(const SessionQuery &query, const ProgressCallback &progress,
                                     const CancelToken &cancel) override
    {
        return m_inner->listSessions(query, progress, cancel);
    }
    Result<SessionPage> sessionPage(const SessionPageRequest &request,
                                    const CancelToken &cancel) override
    {
        return m_inner->sessionPage(request, cancel);
    }
    Result<SessionDetail> session(const QByteArray &id) override { return m_inner->session(id); }

    Result<RevokeReport> revoke(const QList<QByteArray> &ids) override;
    Result<RevokeReport> logoutUser(const QString &user, const ProgressCallback &progress,
                                    const CancelToken &cancel) override;
    Result<DestroyReport> destroyAll(bool dryRun, const ProgressCallback &progress,
                                     const CancelToken &cancel) override;
    bool reportsSessionOutcomes() const override { return m_inner->reportsSessionOutcomes(); }
    void setDestroyOutcomeSink(DestroyOutcomeSink *sink) override
    {
        m_outcomeSink = sink;
        m_inner->setDestroyOutcomeSink(sink);
    }

private:
    // Writes the started record; its operation id is returned for the completed record.
    Result<QString> start(const QString &action, QJsonObject fields,
                          const QList<QByteArray> &ids = {});
    // Writes the completed record. Failing to write it after the change is reported as an
    // error that says what was done.
    Result<void> complete(const QString &op, const QString &action, QJsonObject fields,
                          const QList<QByteArray> &ids = {});
    QJsonObject common(const QString &action) const;

    std::unique_ptr<SessionStore> m_inner;
    AuditLog m_log;
    QString m_reason;
    qint64 m_planned = -1;
};

} // namespace SessionDesk
