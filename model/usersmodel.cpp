#include "usersmodel.h"

#include "valuetree.h"

#include <QLocale>
#include <QTimer>

namespace SessionDesk {

UsersModel::UsersModel(StoreClient *client, QObject *parent)
    : QAbstractTableModel(parent)
    , m_client(client)
{
    connect(client, &StoreClient::usersLoaded, this,
            [this](StoreClient::RequestId id, const UserList &list) {
                if (id != m_request)
                    return; // a reply to a request that was superseded
                m_request = 0;
                beginResetModel();
                m_list = list;
                m_list.users.clear();
                m_pending = list.users;
                m_pendingAt = 0;
                endResetModel();
                insertPending();
            });
    connect(client, &StoreClient::progress, this,
            [this](StoreClient::RequestId id, const Progress &p) {
                if (id != m_request)
                    return;
                m_progress = p;
                emit statusChanged();
            });
    connect(client, &StoreClient::failed, this,
            [this](StoreClient::RequestId id, const StorageError &error) {
                if (id != m_request)
                    return;
                m_request = 0;
                emit loadingChanged(false);
                emit statusChanged();
                if (error.code != StorageError::Code::Cancelled)
                    emit failed(error.message);
            });
}

int UsersModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_list.users.size());
}

int UsersModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant UsersModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const UserSummary &user = m_list.users.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return index.column() == UserColumn ? QVariant(displayText(user.user))
                                            : QVariant(QLocale().toString(user.sessions));
    case SortRole:
        return index.column() == UserColumn ? QVariant(user.user) : QVariant(user.sessions);
    case UserRole:
        return user.user;
    case Qt::TextAlignmentRole:
        return index.column() == SessionsColumn ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                                : QVariant();
    case Qt::ToolTipRole:
        return tr("%n session(s) of %1", "", int(user.sessions)).arg(displayText(user.user));
    default:
        return {};
    }
}

QString UsersModel::typicalText(int column)
{
    return column == UserColumn ? QStringLiteral("firstname.lastname@example.com")
                                : QLocale().toString(100000);
}

QVariant UsersModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == UserColumn ? tr("User") : tr("Sessions");
}

void UsersModel::insertPending()
{
    // Rows go in a few thousand at a time, each batch in its own event-loop turn, so that a
    // sorting proxy over a hundred thousand users never freezes the window.
    constexpr qsizetype kBatch = 4000;
    const qsizetype count = std::min(kBatch, m_pending.size() - m_pendingAt);
    if (count > 0) {
        const int first = int(m_list.users.size());
        beginInsertRows({}, first, first + int(count) - 1);
        m_list.users.append(m_pending.mid(m_pendingAt, count));
        endInsertRows();
        m_pendingAt += count;
    }
    if (m_pendingAt < m_pending.size()) {
        QTimer::singleShot(0, this, &UsersModel::insertPending);
        return;
    }
    m_pending.clear();
    m_pendingAt = 0;
    m_loaded = true;
    emit loadingChanged(false);
    emit statusChanged();
}

void UsersModel::reload()
{
    if (m_request != 0)
        m_client->cancel(m_request);
    m_pending.clear();
    m_pendingAt = 0;
    m_progress = {};
    m_request = m_client->loadUsers();
    emit loadingChanged(true);
    emit statusChanged();
}

qint64 UsersModel::sessionCount(const QString &user) const
{
    for (const UserSummary &u : m_list.users) {
        if (u.user == user)
            return u.sessions;
    }
    return 0;
}

QString UsersModel::statusText() const
{
    const QLocale locale;
    if (m_request != 0) {
        QString text = tr("Counting… %1 sessions so far").arg(locale.toString(m_progress.matched));
        if (m_progress.total > 0) {
            // Of the database's keys (summed over a cluster's masters), as the CLI says it.
            const int percent =
                int(std::min<qint64>(99, 100 * m_progress.examined / m_progress.total));
            text +=
                tr(" · %1 of %2 keys scanned (%3 %)")
                    .arg(locale.toString(m_progress.examined), locale.toString(m_progress.total))
                    .arg(percent);
        }
        return text;
    }
    if (!m_loaded)
        return QString();
    QString text = tr("%1 users · %2 sessions")
                       .arg(locale.toString(qint64(m_list.users.size())),
                            locale.toString(m_list.sessionsExamined));
    if (m_list.sessionsWithoutUser > 0)
        text += tr(" · %1 without a user").arg(locale.toString(m_list.sessionsWithoutUser));
    return text;
}

void UsersModel::sessionsRemoved(const QString &user, qint64 count)
{
    for (int row = 0; row < m_list.users.size(); ++row) {
        UserSummary &u = m_list.users[row];
        if (u.user != user)
            continue;
        m_list.sessionsExamined -= std::min(count, u.sessions);
        u.sessions -= std::min(count, u.sessions);
        if (u.sessions == 0) {
            beginRemoveRows({}, row, row);
            m_list.users.removeAt(row);
            endRemoveRows();
        } else {
            emit dataChanged(index(row, SessionsColumn), index(row, SessionsColumn));
        }
        emit statusChanged();
        return;
    }
}

} // namespace SessionDesk
