#include "settingsmodel.h"

#include <QLocale>

namespace SessionDesk {

SettingsModel::SettingsModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

int SettingsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SettingsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SettingsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    const auto &[name, value] = m_rows.at(index.row());
    return index.column() == NameColumn ? name : value;
}

QVariant SettingsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == NameColumn ? tr("Setting") : tr("Value");
}

void SettingsModel::setInfo(const StoreInfo &info)
{
    beginResetModel();
    m_info = info;
    const QLocale locale;
    m_rows = {{tr("kind"), info.kind},
              {tr("target"), info.target},
              {tr("layout"), info.layout},
              {tr("sessions"), locale.toString(info.sessions)},
              {tr("keys in database"), locale.toString(info.keysInDatabase)}};
    m_rows.append(info.settings);
    endResetModel();
}

void SettingsModel::clear()
{
    beginResetModel();
    m_info = {};
    m_rows.clear();
    endResetModel();
}

QString SettingsModel::toText() const
{
    QString text;
    for (const auto &[name, value] : m_rows)
        text += name + QStringLiteral(": ") + value + u'\n';
    return text;
}

} // namespace SessionDesk
