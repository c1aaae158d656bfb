#pragma once

#include "auditlog.h"

#include <QAbstractTableModel>
#include <QDate>
#include <QJsonObject>
#include <QSortFilterProxyModel>

#include <optional>

namespace SessionDesk {

// The local audit log, one row per action (a started record joined with its completed record,
// or a single record), oldest first, with the result of checking its hash chain. Reads the file
// on reload(); the log is small (one line per destructive action or reveal).
class AuditLogModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        TimeColumn,
        OperatorColumn,
        ActionColumn,
        TargetColumn,
        ResultColumn,
        CountColumn,
        ReasonColumn,
        DetailsColumn,
        ColumnCount
    };
    enum Role {
        TimeRole = Qt::UserRole + 1, // QDateTime (UTC) the action started
        SearchTextRole, // every text of the row, for a free-text filter
    };

    explicit AuditLogModel(QString path, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Re-reads the entries, and checks the chain when `verify` is set. Synchronous.
    void reload(bool verify = true);
    // The same on a pool thread, so that a long log never stalls the window; reloaded() follows
    // on this object's thread. A newer request supersedes an older one still running.
    void reloadInBackground(bool verify = true);
    // Checks the chain now and returns the result (also kept for integrityText()).
    AuditVerification verify();
    QString path() const { return m_path; }
    // "Chain intact: 12 record(s) in PATH" or why it is broken.
    QString integrityText() const { return m_integrity; }
    bool isIntact() const { return m_verification.intact(); }
    const AuditVerification &verification() const { return m_verification; }
    const AuditEntry &entryAt(int row) const { return m_entries.at(row); }
    QJsonObject recordAt(int row) const { return m_entries.at(row).started; }
    QStringList actions() const; // distinct, sorted
    QStringList targets() const;

signals:
    void verified(bool intact);
    void reloaded();

private:
    void apply(QList<AuditEntry> entries, const std::optional<AuditVerification> &verification);
    void setVerification(const AuditVerification &verification);

    QString m_path;
    quint64 m_generation = 0; // of the newest background reload
    QList<AuditEntry> m_entries;
    AuditVerification m_verification;
    QString m_integrity;
};

// Filters the audit log's rows by action, target, free text and a date range (local dates,
// inclusive). Empty filters let everything through.
class AuditFilterModel final : public QSortFilterProxyModel
{
    Q_OBJECT

public:
    explicit AuditFilterModel(QObject *parent = nullptr);

    void setAction(const QString &action);
    void setTarget(const QString &target);
    void setText(const QString &text);
    void setDateRange(const QDate &from, const QDate &to); // invalid dates: open ended

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_action;
    QString m_target;
    QString m_text;
    QDate m_from;
    QDate m_to;
};

} // namespace SessionDesk
