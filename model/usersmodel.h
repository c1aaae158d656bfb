#pragma once

#include "storeclient.h"

#include <QAbstractTableModel>

namespace SessionDesk {

// Users of the open store with their session counts, most sessions first. The whole list is
// one job on the worker thread (a store has no cheaper way to count per user); while it runs
// the model keeps the rows it had and statusText() says how far the count is.
class UsersModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { UserColumn, SessionsColumn, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, UserRole };

    explicit UsersModel(StoreClient *client, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Text as wide as a typical value of the column (see SessionsModel::typicalText).
    static QString typicalText(int column);

    void reload();
    // True from reload() until the last row is in the model.
    bool isLoading() const { return m_request != 0 || !m_pending.isEmpty(); }
    const UserList &users() const { return m_list; }
    qint64 sessionCount(const QString &user) const;
    // "12,408 users · 48,112 sessions · 12 without a TTL", or the count in progress.
    QString statusText() const;
    // Adjusts counts after sessions were revoked, without a reload.
    void sessionsRemoved(const QString &user, qint64 count);

signals:
    void loadingChanged(bool loading);
    void statusChanged();
    void failed(const QString &message);

private:
    void insertPending();

    StoreClient *m_client;
    QList<UserSummary> m_pending; // arrived, not yet inserted
    qsizetype m_pendingAt = 0;
    UserList m_list;
    StoreClient::RequestId m_request = 0;
    Progress m_progress;
    bool m_loaded = false;
};

} // namespace SessionDesk
