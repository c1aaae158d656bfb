#include "auditlogmodel.h"

#include "auditlog.h"

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QLocale>

namespace SessionDesk {

AuditLogModel::AuditLogModel(QString path, QObject *parent)
    : QAbstractTableModel(parent)
    , m_path(std::move(path))
{ }

int AuditLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_records.size());
}

int AuditLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AuditLogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    const QJsonObject &record = m_records.at(index.row());
    switch (index.column()) {
    case TimeColumn: {
        const QDateTime time = QDateTime::fromString(
            record.value(QStringLiteral("time")).toString(), Qt::ISODateWithMs);
        return QLocale().toString(time.toLocalTime(), QLocale::ShortFormat);
    }
    case OperatorColumn:
        return record.value(QStringLiteral("operator")).toString();
    case ActionColumn:
        return record.value(QStringLiteral("action")).toString();
    case TargetColumn:
        return record.value(QStringLiteral("target")).toString();
    case DetailsColumn:
        return QString::fromUtf8(QJsonDocument(record.value(QStringLiteral("details")).toObject())
                                     .toJson(QJsonDocument::Compact));
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
    case DetailsColumn:
        return tr("Details");
    }
    return {};
}

void AuditLogModel::reload()
{
    QList<QJsonObject> records;
    QFile file(m_path);
    if (file.open(QIODevice::ReadOnly)) {
        while (!file.atEnd()) {
            const QByteArray line = file.readLine().trimmed();
            if (!line.isEmpty())
                records.prepend(QJsonDocument::fromJson(line).object());
        }
    }
    beginResetModel();
    m_records = records;
    endResetModel();
    const auto verified = AuditLog(m_path).verify();
    m_intact = bool(verified);
    m_integrity = verified ? tr("Chain intact: %n record(s) in %1", "", int(*verified)).arg(m_path)
                           : verified.error().message;
}

} // namespace SessionDesk
