#pragma once

#include "policy.h"
#include "sessionstore.h"

#include <QAbstractItemModel>

#include <optional>

namespace SessionDesk {

// The store's settings as a tree: groups ("TLS", "Persistence", …) with their facts, each with
// its value, where it came from and, when a policy is applied, the verdict of the rules about
// it. What the Store settings tab shows and an auditor exports.
class SettingsModel final : public QAbstractItemModel
{
    Q_OBJECT

public:
    enum Column { SettingColumn, ValueColumn, VerdictColumn, SourceColumn, ColumnCount };
    enum Role {
        FactIdRole = Qt::UserRole + 1, // the fact's id; empty on group rows
        VerdictRole, // int(Verdict) of the worst rule about the fact, or -1 without rules
        DetailsRole, // explanation, rules, evidence: for a tooltip or a details pane
        IsGroupRole,
    };

    explicit SettingsModel(QObject *parent = nullptr);

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setInfo(const StoreInfo &info);
    // Judges the facts against `policy` now and whenever new facts arrive; nullopt removes it.
    void setPolicy(const std::optional<Policy> &policy);
    void clear();
    const StoreInfo &info() const { return m_info; }
    const std::optional<Policy> &policy() const { return m_policy; }
    const std::optional<PolicyReport> &report() const { return m_report; }
    // Why the policy could not be applied (e.g. it is for the other kind of store), or empty.
    QString policyError() const { return m_policyError; }
    // "redis-session-ha: 9 PASS, 2 FAIL, 1 UNKNOWN", or empty without a policy.
    QString summaryText() const;
    // The index of a fact by id, for views that select one.
    QModelIndex indexOfFact(const QString &factId, int column = SettingColumn) const;
    // The rows as "label: value" lines, for export as evidence.
    QString toText() const;

private:
    struct Group
    {
        QString name;
        QList<StoreFact> facts;
    };
    void rebuild();
    void evaluate();
    const StoreFact *factAt(const QModelIndex &index) const;
    QString details(const StoreFact &fact) const;

    StoreInfo m_info;
    std::optional<Policy> m_policy;
    std::optional<PolicyReport> m_report;
    QString m_policyError;
    QList<Group> m_groups;
};

} // namespace SessionDesk
