#include "connectionsmodel.h"

#include <QColor>
#include <QFont>
#include <QIcon>

namespace SessionDesk {

ConnectionsModel::ConnectionsModel(QObject *parent)
    : QAbstractListModel(parent)
{ }

int ConnectionsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_saved.size() + (m_transient ? 1 : 0));
}

const ConnectionProfile &ConnectionsModel::profileAt(int row) const
{
    return row < m_saved.size() ? m_saved.at(row) : *m_transient;
}

QVariant ConnectionsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ConnectionProfile &profile = profileAt(index.row());
    const bool saved = isSaved(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case ProfileNameRole:
        return profile.name;
    case Qt::ToolTipRole: {
        QString tip = profile.kindLabel() + QStringLiteral(" · ") + profile.url;
        if (profile.readOnlyLocked)
            tip += tr(" · read-only");
        if (!saved)
            tip += tr(" (opened from the command line, not saved)");
        return tip;
    }
    case Qt::DecorationRole:
        return QIcon(QStringLiteral(":/icons/connection-redis.svg"));
    case Qt::FontRole: {
        QFont font;
        font.setItalic(!saved);
        font.setBold(profile.name == m_open);
        return font;
    }
    case Qt::ForegroundRole: {
        const QColor color(profile.color);
        return color.isValid() ? QVariant(color) : QVariant();
    }
    case SavedRole:
        return saved;
    default:
        return {};
    }
}

void ConnectionsModel::setProfiles(const QList<ConnectionProfile> &saved)
{
    beginResetModel();
    m_saved = saved;
    if (m_transient && rowOf(m_transient->name) >= 0 && rowOf(m_transient->name) < m_saved.size())
        m_transient.reset();
    endResetModel();
}

QList<ConnectionProfile> ConnectionsModel::savedProfiles() const
{
    return m_saved;
}

void ConnectionsModel::setTransient(const ConnectionProfile &profile)
{
    for (const ConnectionProfile &p : std::as_const(m_saved)) {
        if (p.name == profile.name)
            return;
    }
    beginResetModel();
    m_transient = profile;
    endResetModel();
}

void ConnectionsModel::setOpen(const QString &name)
{
    m_open = name;
    if (rowCount() > 0)
        emit dataChanged(index(0), index(rowCount() - 1), {Qt::FontRole});
}

int ConnectionsModel::rowOf(const QString &name) const
{
    for (int row = 0; row < rowCount(); ++row) {
        if (profileAt(row).name == name)
            return row;
    }
    return -1;
}

} // namespace SessionDesk
