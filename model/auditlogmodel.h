#pragma once

#include <QAbstractTableModel>
#include <QJsonObject>

namespace SessionDesk {

// The local audit log, newest record first, with the result of checking its hash chain.
// Reads the file on reload(); the log is small (one line per destructive action or reveal).
class AuditLogModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        TimeColumn,
        OperatorColumn,
        ActionColumn,
        TargetColumn,
        DetailsColumn,
        ColumnCount
    };

    explicit AuditLogModel(QString path, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void reload();
    QString path() const { return m_path; }
    // "Chain intact: 12 records" or why it is broken.
    QString integrityText() const { return m_integrity; }
    bool isIntact() const { return m_intact; }
    QJsonObject recordAt(int row) const { return m_records.at(row); }

private:
    QString m_path;
    QList<QJsonObject> m_records;
    QString m_integrity;
    bool m_intact = true;
};

} // namespace SessionDesk
