#pragma once

#include "auditlog.h"
#include "sessionstore.h"

#include <memory>

namespace SessionDesk {

// A SessionStore that leaves an audit record for every destructive call and every reveal.
// A change is refused before it starts when the audit log cannot be written; the record is
// written after the change with its exact result (also for a cancelled destroy-all).
class AuditedStore final : public SessionStore
{
public:
    AuditedStore(std::unique_ptr<SessionStore> inner, AuditLog log);

    const AuditLog &auditLog() const { return m_log; }
    // Records that the operator revealed the masked secrets of one session. Show them only
    // when this succeeds.
    Result<void> recordReveal(const QByteArray &id, const QString &reason = QString());
    // A free-text reason kept with the next destructive record (e.g. an incident number).
    void setReason(const QString &reason) { m_reason = reason; }

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

private:
    Result<void> beforeChange();
    Result<void> record(const QString &action, QJsonObject details);

    std::unique_ptr<SessionStore> m_inner;
    AuditLog m_log;
    QString m_reason;
};

} // namespace SessionDesk
