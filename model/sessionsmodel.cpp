#include "sessionsmodel.h"

#include "valuetree.h"

#include <QLocale>

namespace SessionDesk {

SessionsModel::SessionsModel(StoreClient *client, QObject *parent)
    : QAbstractTableModel(parent)
    , m_client(client)
{
    m_ttlTimer.setInterval(1000);
    connect(&m_ttlTimer, &QTimer::timeout, this, &SessionsModel::tick);
    m_ttlTimer.start();

    connect(client, &StoreClient::sessionPageLoaded, this,
            [this](StoreClient::RequestId id, const SessionPage &page) {
                if (id != m_request)
                    return; // superseded by a newer request
                m_request = 0;
                QList<SessionSummary> fresh;
                for (const SessionSummary &s : page.sessions) {
                    if (!m_ids.contains(s.id)) {
                        m_ids.insert(s.id);
                        fresh.append(s);
                    }
                }
                m_stale.append(page.staleIndexIds);
                m_cursor = page.nextCursor;
                m_atEnd = page.atEnd;
                if (!fresh.isEmpty()) {
                    beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + fresh.size() - 1));
                    m_rows.append(fresh);
                    for (const SessionSummary &s : std::as_const(fresh))
                        countOptional(s, +1);
                    endInsertRows();
                }
                emit loadingChanged(false);
                emit pageLoaded(int(fresh.size()));
            });
    connect(client, &StoreClient::failed, this,
            [this](StoreClient::RequestId id, const StorageError &error) {
                if (id != m_request)
                    return;
                m_request = 0;
                m_atEnd = true; // no endless retries through fetchMore; a refresh starts over
                emit loadingChanged(false);
                if (error.code != StorageError::Code::Cancelled)
                    emit failed(error.message);
            });
}

int SessionsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SessionsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

qint64 SessionsModel::remainingMs(const SessionSummary &s) const
{
    if (!s.expiresAt.isValid())
        return -1;
    return std::max<qint64>(0, m_now().msecsTo(s.expiresAt));
}

QString SessionsModel::formatTtl(qint64 ms)
{
    if (ms < 0)
        return tr("no expiry");
    if (ms == 0)
        return tr("expired");
    const qint64 s = (ms + 999) / 1000;
    const QString hms = QStringLiteral("%1:%2:%3")
                            .arg((s % 86400) / 3600)
                            .arg((s % 3600) / 60, 2, 10, QLatin1Char('0'))
                            .arg(s % 60, 2, 10, QLatin1Char('0'));
    return s >= 86400 ? tr("%1d %2").arg(s / 86400).arg(hms) : hms;
}

QString SessionsModel::formatWhen(const QDateTime &time, const QDateTime &now)
{
    if (!time.isValid())
        return {};
    const QLocale locale;
    const QDateTime local = time.toLocalTime();
    const qint64 days = now.toLocalTime().date().daysTo(local.date());
    const QString clock = locale.toString(local.time(), QLocale::ShortFormat);
    if (days == 0)
        return clock;
    if (days >= -6 && days <= 6) {
        return tr("%1 %2", "weekday and time")
            .arg(locale.dayName(local.date().dayOfWeek(), QLocale::ShortFormat), clock);
    }
    return locale.toString(local.date(), QLocale::ShortFormat);
}

QString SessionsModel::formatAgo(const QDateTime &time, const QDateTime &now)
{
    if (!time.isValid())
        return {};
    const qint64 seconds = time.secsTo(now);
    if (seconds < 0 || seconds >= 7 * 86400)
        return formatWhen(time, now);
    if (seconds < 60)
        return tr("just now");
    if (seconds < 3600)
        return tr("%1 min ago").arg(seconds / 60);
    if (seconds < 86400)
        return tr("%1 h ago").arg(seconds / 3600);
    return tr("%1 d ago").arg(seconds / 86400);
}

QString SessionsModel::typicalText(int column)
{
    const QLocale locale;
    switch (column) {
    case IdColumn:
        return QStringLiteral("wSbdlk_mi6HkQ2p8"); // enough of an id to tell it from others
    case UserColumn:
        return QStringLiteral("firstname.lastname@example.com");
    case StartedColumn:
    case LastAccessColumn:
    case ExpiresColumn: {
        // The longer of a weekday with a time and a date.
        const QDateTime now(QDate(2026, 12, 30), QTime(12, 0));
        const QString weekday = formatWhen(now.addDays(-1).addSecs(11 * 3600 + 59 * 60), now);
        const QString date = formatWhen(now.addDays(-300), now);
        return weekday.size() > date.size() ? weekday : date;
    }
    case TtlColumn:
        return formatTtl((13 * 86400 + 23 * 3600 + 59 * 60 + 59) * 1000LL);
    case SizeColumn:
        return locale.formattedDataSize(999 * 1024 + 1000);
    case DeviceColumn:
        return QStringLiteral("Mozilla/5.0 (X11; Linux x86_64)");
    }
    return {};
}

QVariant SessionsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const SessionSummary &s = m_rows.at(index.row());
    const QLocale locale;
    if (role == Qt::ToolTipRole) {
        // The whole date and time behind a compact one.
        const auto whole = [&locale](const QDateTime &t) {
            return t.isValid() ? locale.toString(t.toLocalTime(), QLocale::LongFormat) : QString();
        };
        switch (index.column()) {
        case StartedColumn:
            return whole(s.startedAt);
        case LastAccessColumn:
            return whole(s.lastAccessAt);
        case ExpiresColumn:
            return whole(s.expiresAt);
        default:
            break;
        }
    }
    if (role == SessionIdRole)
        return s.id;
    if (role == UserRole)
        return s.user;
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case IdColumn:
            return displayBytes(s.id);
        case UserColumn:
            return s.user.isEmpty() && role == Qt::DisplayRole ? tr("(none)") : displayText(s.user);
        case StartedColumn:
            return formatWhen(s.startedAt, m_now());
        case LastAccessColumn:
            return formatAgo(s.lastAccessAt, m_now());
        case TtlColumn:
            return formatTtl(remainingMs(s));
        case ExpiresColumn:
            return formatWhen(s.expiresAt, m_now());
        case SizeColumn:
            if (role == Qt::ToolTipRole && s.valueType != u"string")
                return tr("A Redis %1 under the session prefix").arg(s.valueType);
            return s.valueType == u"string" ? locale.formattedDataSize(s.sizeBytes) : s.valueType;
        case DeviceColumn:
            return displayText(s.device);
        }
    }
    if (role == SortRole) {
        switch (index.column()) {
        case StartedColumn:
            return s.startedAt;
        case LastAccessColumn:
            return s.lastAccessAt;
        case TtlColumn:
        case ExpiresColumn: {
            const qint64 ms = remainingMs(s);
            return ms < 0 ? std::numeric_limits<qint64>::max() : ms;
        }
        case SizeColumn:
            return s.sizeBytes;
        default:
            return data(index, Qt::DisplayRole);
        }
    }
    if (role == Qt::TextAlignmentRole
        && (index.column() == TtlColumn || index.column() == SizeColumn)) {
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    }
    if (role == Qt::AccessibleTextRole && index.column() == TtlColumn)
        return tr("time to live %1").arg(formatTtl(remainingMs(s)));
    return {};
}

QVariant SessionsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return columnTitle(section);
}

QString SessionsModel::columnTitle(int column)
{
    switch (column) {
    case IdColumn:
        return tr("Session");
    case UserColumn:
        return tr("User");
    case StartedColumn:
        return tr("Started");
    case LastAccessColumn:
        return tr("Last access");
    case TtlColumn:
        return tr("TTL");
    case ExpiresColumn:
        return tr("Expires");
    case SizeColumn:
        return tr("Size");
    case DeviceColumn:
        return tr("Device / IP");
    }
    return {};
}

bool SessionsModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && m_started && !m_atEnd && m_request == 0;
}

void SessionsModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent))
        return;
    SessionPageRequest request;
    request.cursor = m_cursor;
    request.pageSize = m_pageSize;
    request.user = m_user;
    m_request = m_client->loadSessionPage(request);
    emit loadingChanged(true);
}

void SessionsModel::reset(std::optional<QString> user, bool started)
{
    if (m_request != 0)
        m_client->cancel(m_request);
    m_request = 0;
    beginResetModel();
    m_rows.clear();
    m_withStarted = m_withLastAccess = m_withDevice = 0;
    m_ids.clear();
    m_stale.clear();
    m_cursor.clear();
    m_user = std::move(user);
    m_started = started;
    m_atEnd = !started;
    endResetModel();
}

void SessionsModel::start(std::optional<QString> user)
{
    reset(std::move(user), true);
    fetchMore({});
}

void SessionsModel::showAll()
{
    start(std::nullopt);
}

void SessionsModel::showUser(const QString &user)
{
    start(user);
}

void SessionsModel::clear()
{
    reset(std::nullopt, false);
}

int SessionsModel::rowOf(const QByteArray &id) const
{
    for (int row = 0; row < m_rows.size(); ++row) {
        if (m_rows.at(row).id == id)
            return row;
    }
    return -1;
}

void SessionsModel::countOptional(const SessionSummary &s, int delta)
{
    m_withStarted += s.startedAt.isValid() ? delta : 0;
    m_withLastAccess += s.lastAccessAt.isValid() ? delta : 0;
    m_withDevice += s.device.isEmpty() ? 0 : delta;
}

bool SessionsModel::isColumnBlank(int column) const
{
    switch (column) {
    case StartedColumn:
        return m_withStarted == 0;
    case LastAccessColumn:
        return m_withLastAccess == 0;
    case DeviceColumn:
        return m_withDevice == 0;
    default:
        return false;
    }
}

void SessionsModel::removeSessions(const QList<QByteArray> &ids)
{
    for (const QByteArray &id : ids) {
        const int row = rowOf(id);
        if (row < 0)
            continue;
        beginRemoveRows({}, row, row);
        countOptional(m_rows.at(row), -1);
        m_rows.removeAt(row);
        m_ids.remove(id);
        endRemoveRows();
    }
}

void SessionsModel::tick()
{
    if (m_rows.isEmpty())
        return;
    const int last = int(m_rows.size()) - 1;
    const QList<int> roles{Qt::DisplayRole, Qt::ToolTipRole, Qt::AccessibleTextRole};
    emit dataChanged(index(0, TtlColumn), index(last, TtlColumn), roles);
    // "12 min ago" and "today" move with the minute, not the second.
    const qint64 minute = m_now().toSecsSinceEpoch() / 60;
    if (minute != m_tickMinute) {
        m_tickMinute = minute;
        emit dataChanged(index(0, StartedColumn), index(last, LastAccessColumn), roles);
        emit dataChanged(index(0, ExpiresColumn), index(last, ExpiresColumn), roles);
    }
}

} // namespace SessionDesk
