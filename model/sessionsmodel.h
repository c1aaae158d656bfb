#pragma once

#include "storeclient.h"

#include <QAbstractTableModel>
#include <QSet>
#include <QTimer>

#include <functional>
#include <optional>

namespace SessionDesk {

// Sessions of the open store, all of them or one user's. Rows arrive a page at a time:
// canFetchMore()/fetchMore() start an asynchronous page and rows are inserted when it comes.
// Only what a row shows is kept, never a payload. One timer counts the TTL column down and
// signals dataChanged() for that column alone.
class SessionsModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        IdColumn,
        UserColumn,
        StartedColumn,
        LastAccessColumn,
        TtlColumn,
        ExpiresColumn,
        SizeColumn,
        DeviceColumn,
        ColumnCount
    };
    enum Role { SortRole = Qt::UserRole + 1, SessionIdRole, UserRole };
    using Clock = std::function<QDateTime()>;

    explicit SessionsModel(StoreClient *client, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

    // Starts over with every session, or with one user's.
    void showAll();
    void showUser(const QString &user);
    void clear();
    std::optional<QString> user() const { return m_user; }

    bool isLoading() const { return m_request != 0; }
    bool isComplete() const { return m_atEnd; }
    const QList<QByteArray> &staleIndexIds() const { return m_stale; }
    const SessionSummary &summaryAt(int row) const { return m_rows.at(row); }
    int rowOf(const QByteArray &id) const;
    // True when no loaded row has a value in an optional column (started, last access,
    // device): the layout names the field, but these sessions do not carry it.
    bool isColumnBlank(int column) const;
    // Drops rows of sessions that no longer exist (after a revoke), without a reload.
    void removeSessions(const QList<QByteArray> &ids);

    void setPageSize(int rows) { m_pageSize = rows; }
    void setClock(Clock clock) { m_now = std::move(clock); }
    // Formats a remaining TTL as the column shows it: "1:58:01", "3d 04:10:00".
    static QString formatTtl(qint64 ms);
    // The column's header text.
    static QString columnTitle(int column);
    // A time as mail clients show one, compact and unambiguous beside `now`: the time alone
    // today, weekday and time within six days either side, the date otherwise.
    static QString formatWhen(const QDateTime &time, const QDateTime &now);
    // How long ago, for a last access: "just now", "12 min ago", "5 h ago", "3 d ago"; older
    // than a week (or in the future, a clock skew) as formatWhen() has it.
    static QString formatAgo(const QDateTime &time, const QDateTime &now);
    // Text as wide as a typical value of the column, as the column shows it: what a view needs
    // to size its columns before any row is loaded.
    static QString typicalText(int column);

signals:
    void loadingChanged(bool loading);
    void pageLoaded(int rowsAdded);
    void failed(const QString &message);

private:
    // Cancels the page in flight and drops every row; `started` lets fetchMore() load pages.
    void reset(std::optional<QString> user, bool started);
    void start(std::optional<QString> user);
    void tick();
    qint64 remainingMs(const SessionSummary &s) const;
    // Keeps the counts behind isColumnBlank() as a row comes (+1) or goes (-1): a page of a
    // million loaded rows must not mean a pass over all of them.
    void countOptional(const SessionSummary &s, int delta);

    StoreClient *m_client;
    std::optional<QString> m_user;
    QList<SessionSummary> m_rows;
    qsizetype m_withStarted = 0; // rows with a start time
    qsizetype m_withLastAccess = 0;
    qsizetype m_withDevice = 0;
    QSet<QByteArray> m_ids;
    QList<QByteArray> m_stale;
    QByteArray m_cursor;
    bool m_atEnd = true;
    bool m_started = false;
    StoreClient::RequestId m_request = 0;
    int m_pageSize = 500;
    QTimer m_ttlTimer;
    qint64 m_tickMinute = 0; // minutes since the epoch at the last tick
    Clock m_now = [] { return QDateTime::currentDateTimeUtc(); };
};

} // namespace SessionDesk
