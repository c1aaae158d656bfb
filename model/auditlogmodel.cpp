#include "auditlogmodel.h"

#include "valuetree.h"

#include <QCoreApplication>
#include <QLocale>
#include <QPointer>
#include <QThreadPool>

namespace SessionDesk {

AuditLogModel::AuditLogModel(QString path, QObject *parent)
    : QAbstractTableModel(parent)
    , m_path(std::move(path))
{ }

int AuditLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int AuditLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AuditLogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const AuditEntry &e = m_entries.at(index.row());
    if (role == TimeRole)
        return e.time;
    const auto count = [](qint64 n) { return n < 0 ? QStringLiteral("–") : QString::number(n); };
    const auto text = [&](int column) -> QString {
        switch (column) {
        case TimeColumn:
            return QLocale().toString(e.time.toLocalTime(), QLocale::ShortFormat);
        case OperatorColumn:
            return e.osUser.isEmpty() || e.osUser == e.operatorName
                ? e.operatorName
                : tr("%1 (as %2)").arg(e.operatorName, e.osUser);
        case ActionColumn:
            return e.action;
        case TargetColumn:
            return e.target;
        case ResultColumn:
            return e.error.isEmpty() ? e.result : tr("%1: %2").arg(e.result, e.error);
        case CountColumn:
            return e.planned >= 0 ? tr("%1 of %2").arg(count(e.done), count(e.planned))
                                  : count(e.done);
        case ReasonColumn:
            return e.reason;
        case DetailsColumn: {
            QStringList parts;
            if (!e.scope.isEmpty())
                parts << e.scope;
            if (!e.layout.isEmpty())
                parts << tr("layout %1").arg(e.layout);
            if (!e.host.isEmpty())
                parts << tr("host %1").arg(e.host);
            if (e.legacy)
                parts << tr("older format");
            parts << tr("line %1").arg(e.line);
            return parts.join(QStringLiteral(" · "));
        }
        }
        return {};
    };
    if (role == Qt::DisplayRole)
        return displayText(text(index.column())); // the log is a file anyone may have edited
    if (role == Qt::ToolTipRole) {
        QStringList lines;
        for (int c = 0; c < ColumnCount; ++c) {
            const QString value = text(c);
            if (!value.isEmpty())
                lines << headerData(c, Qt::Horizontal).toString() + QStringLiteral(": ") + value;
        }
        if (!e.idHashes.isEmpty())
            lines << tr("%n session id(s), kept as salted hashes", "", int(e.idHashes.size()));
        return lines.join(u'\n');
    }
    if (role == SearchTextRole) {
        QStringList all;
        for (int c = 0; c < ColumnCount; ++c)
            all << text(c);
        all << e.user << e.store;
        return all.join(u'\n');
    }
    return {};
}

QVariant AuditLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TimeColumn:
        return tr("Time");
    case OperatorColumn:
        return tr("Operator");
    case ActionColumn:
        return tr("Action");
    case TargetColumn:
        return tr("Target");
    case ResultColumn:
        return tr("Result");
    case CountColumn:
        return tr("Done");
    case ReasonColumn:
        return tr("Reason");
    case DetailsColumn:
        return tr("Details");
    }
    return {};
}

void AuditLogModel::reload(bool verifyToo)
{
    ++m_generation; // a background reload still running is now stale
    auto entries = AuditLog(m_path).entries();
    apply(entries ? *entries : QList<AuditEntry>(),
          verifyToo ? std::optional<AuditVerification>(AuditLog(m_path).verify()) : std::nullopt);
}

void AuditLogModel::reloadInBackground(bool verifyToo)
{
    const quint64 generation = ++m_generation;
    const QPointer<AuditLogModel> self(this);
    const QString path = m_path;
    QThreadPool::globalInstance()->start([self, path, generation, verifyToo] {
        auto entries = AuditLog(path).entries();
        std::optional<AuditVerification> verification;
        if (verifyToo)
            verification = AuditLog(path).verify();
        QList<AuditEntry> list = entries ? *entries : QList<AuditEntry>();
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, generation, list = std::move(list), verification]() mutable {
                if (self && self->m_generation == generation)
                    self->apply(std::move(list), verification);
            },
            Qt::QueuedConnection);
    });
}

void AuditLogModel::apply(QList<AuditEntry> entries,
                          const std::optional<AuditVerification> &verification)
{
    beginResetModel();
    m_entries = std::move(entries);
    endResetModel();
    if (verification)
        setVerification(*verification);
    emit reloaded();
}

AuditVerification AuditLogModel::verify()
{
    setVerification(AuditLog(m_path).verify());
    return m_verification;
}

void AuditLogModel::setVerification(const AuditVerification &verification)
{
    m_verification = verification;
    const AuditVerification &v = m_verification;
    if (v.intact()) {
        m_integrity = tr("Chain intact: %n record(s) in %1", "", int(v.records)).arg(m_path);
        if (!v.notes.isEmpty())
            m_integrity += u'\n' + v.notes.join(u'\n');
    } else {
        QStringList lines;
        lines << tr("BROKEN: %n problem(s) in %1", "", int(v.issues.size())).arg(m_path);
        for (const AuditIssue &issue : v.issues)
            lines << issue.problem;
        m_integrity = lines.join(u'\n');
    }
    emit verified(v.intact());
}

QStringList AuditLogModel::actions() const
{
    QStringList list;
    for (const AuditEntry &e : m_entries)
        list << e.action;
    list.removeDuplicates();
    list.sort();
    return list;
}

QStringList AuditLogModel::targets() const
{
    QStringList list;
    for (const AuditEntry &e : m_entries)
        list << e.target;
    list.removeDuplicates();
    list.sort();
    return list;
}

AuditFilterModel::AuditFilterModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{ }

void AuditFilterModel::setAction(const QString &action)
{
    m_action = action;
    invalidateFilter();
}

void AuditFilterModel::setTarget(const QString &target)
{
    m_target = target;
    invalidateFilter();
}

void AuditFilterModel::setText(const QString &text)
{
    m_text = text.trimmed();
    invalidateFilter();
}

void AuditFilterModel::setDateRange(const QDate &from, const QDate &to)
{
    m_from = from;
    m_to = to;
    invalidateFilter();
}

bool AuditFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QAbstractItemModel *model = sourceModel();
    const auto cell = [&](int column, int role = Qt::DisplayRole) {
        return model->index(sourceRow, column, sourceParent).data(role);
    };
    if (!m_action.isEmpty() && cell(AuditLogModel::ActionColumn).toString() != m_action)
        return false;
    if (!m_target.isEmpty() && cell(AuditLogModel::TargetColumn).toString() != m_target)
        return false;
    if (!m_text.isEmpty()
        && !cell(0, AuditLogModel::SearchTextRole).toString().contains(m_text, Qt::CaseInsensitive))
        return false;
    const QDate day = cell(0, AuditLogModel::TimeRole).toDateTime().toLocalTime().date();
    if (m_from.isValid() && day < m_from)
        return false;
    if (m_to.isValid() && day > m_to)
        return false;
    return true;
}

} // namespace SessionDesk
