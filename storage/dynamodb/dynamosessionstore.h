#pragma once

#include "dynamoclient.h"
#include "sessionstore.h"
#include "storeconfig.h"

#include <optional>

namespace SessionDesk::Aws {

// SessionStore over one DynamoDB table. Listing and destroy-all use a parallel Scan that
// projects only what they need; per-user lookups Query the layout's GSI when the table has it
// and scan otherwise; deletes go through BatchWriteItem (25 per request, several in flight) with
// UnprocessedItems retried, or a conditional DeleteItem for named sessions. Never touches an
// item whose id lacks the layout's prefix.
class DynamoSessionStore final : public SessionDesk::SessionStore
{
public:
    DynamoSessionStore(StoreConfig config, SessionLayout layout);
    ~DynamoSessionStore() override;

    const SessionLayout &layout() const override { return m_layout; }
    QString targetName() const override;
    bool isReadOnly() const override { return m_readOnly; }
    // Also makes the DynamoDB client refuse every write before it is sent.
    void setReadOnly(bool readOnly) override;

    Result<void> connect() override;
    QString userLookupCost() const override;
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

    void setScanSegments(int segments) { m_segments = std::max(1, segments); }
    const DynamoClient *client() const { return m_client.get(); }

private:
    using ItemVisitor = std::function<Result<bool>(const QJsonArray &items)>;
    // Scans every segment until done; `visit` may stop early by returning false.
    Result<void> scanAll(const QJsonObject &request, const CancelToken &cancel,
                         const ItemVisitor &visit);
    QJsonObject prefixFilter(QJsonObject request) const;
    std::optional<QByteArray> idOf(const QJsonObject &item) const;
    QJsonObject keyFor(const QByteArray &id) const;
    SessionSummary summaryOf(const QJsonObject &item, bool userOnly) const;
    QByteArray rawValue(const QJsonObject &item) const;
    Result<QList<QByteArray>> idsOfUser(const QString &user, const CancelToken &cancel);
    QString costEstimate(qint64 sessions) const;

    StoreConfig m_config;
    SessionLayout m_layout;
    SessionFieldReader m_fields;
    std::unique_ptr<DynamoClient> m_client;
    QString m_region;
    QString m_indexName; // the per-user GSI when the table has it
    QJsonObject m_table; // DescribeTable's Table
    bool m_readOnly = false;
    int m_segments = 4;
};

} // namespace SessionDesk::Aws
