#pragma once

#include "sessionstore.h"

#include <QAbstractTableModel>

namespace SessionDesk {

// Store settings as setting / value rows, read-only: what the Store settings tab shows and an
// auditor exports.
class SettingsModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { NameColumn, ValueColumn, ColumnCount };

    explicit SettingsModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setInfo(const StoreInfo &info);
    void clear();
    const StoreInfo &info() const { return m_info; }
    // The rows as "name: value" lines, for export as evidence.
    QString toText() const;

private:
    StoreInfo m_info;
    QList<QPair<QString, QString>> m_rows;
};

} // namespace SessionDesk
