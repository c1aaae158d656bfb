#include "auditlog.h"

#include "valuetree.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLockFile>
#include <QStandardPaths>
#include <QSysInfo>

namespace SessionDesk {

namespace {

using Code = StorageError::Code;

const QByteArray kGenesis(64, '0');

QByteArray sha256Hex(const QByteArray &bytes)
{
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}

QString currentOperator()
{
    QString user = qEnvironmentVariable("USER");
    if (user.isEmpty())
        user = qEnvironmentVariable("USERNAME", QStringLiteral("unknown"));
    return user + u'@' + QSysInfo::machineHostName();
}

// The hash of the last line of `file`, or the genesis value for an empty log.
QByteArray lastHash(QFile &file)
{
    QByteArray last;
    file.seek(0);
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        if (!line.isEmpty())
            last = line;
    }
    return last.isEmpty() ? kGenesis : sha256Hex(last);
}

} // namespace

AuditLog::AuditLog(QString path)
    : m_path(std::move(path))
{ }

QString AuditLog::defaultPath()
{
    const QString fromEnv = qEnvironmentVariable("SESSIONDESK_AUDIT_LOG");
    if (!fromEnv.isEmpty())
        return fromEnv;
    QString dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return dir + QStringLiteral("/SessionDesk/audit.log");
}

Result<void> AuditLog::checkWritable() const
{
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    QFile file(m_path);
    if (!file.open(QIODevice::Append)) {
        return fail(Code::Refused,
                    QStringLiteral("The audit log %1 cannot be written (%2); "
                                   "nothing was changed.")
                        .arg(m_path, file.errorString()));
    }
    return {};
}

Result<void> AuditLog::append(const QString &action, const QString &target,
                              const QJsonObject &details) const
{
    if (auto writable = checkWritable(); !writable)
        return writable;
    QLockFile lock(m_path + QStringLiteral(".lock"));
    if (!lock.tryLock(10000)) {
        return fail(Code::Refused,
                    QStringLiteral("The audit log %1 is locked by another process.").arg(m_path));
    }
    QFile file(m_path);
    if (!file.open(QIODevice::ReadWrite)) {
        return fail(Code::Refused,
                    QStringLiteral("The audit log %1 cannot be opened: %2.")
                        .arg(m_path, file.errorString()));
    }
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    QJsonObject record;
    record.insert(QStringLiteral("time"),
                  QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    record.insert(QStringLiteral("operator"), currentOperator());
    record.insert(QStringLiteral("action"), action);
    record.insert(QStringLiteral("target"), target);
    record.insert(QStringLiteral("details"), details);
    record.insert(QStringLiteral("prev"), QString::fromLatin1(lastHash(file)));
    QByteArray line = QJsonDocument(record).toJson(QJsonDocument::Compact);
    line.append('\n');
    file.seek(file.size());
    if (file.write(line) != line.size() || !file.flush()) {
        return fail(
            Code::Server,
            QStringLiteral("Writing the audit log %1 failed: %2.").arg(m_path, file.errorString()));
    }
    return {};
}

Result<qint64> AuditLog::verify() const
{
    QFile file(m_path);
    if (!file.exists())
        return 0;
    if (!file.open(QIODevice::ReadOnly)) {
        return fail(
            Code::NotFound,
            QStringLiteral("The audit log %1 cannot be read: %2.").arg(m_path, file.errorString()));
    }
    QByteArray expected = kGenesis;
    qint64 count = 0;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        if (line.isEmpty())
            continue;
        ++count;
        const QJsonObject record = QJsonDocument::fromJson(line).object();
        if (record.value(QStringLiteral("prev")).toString().toLatin1() != expected) {
            return fail(Code::Server,
                        QStringLiteral("The audit log %1 was altered at record %2: "
                                       "it does not follow the record before it.")
                            .arg(m_path)
                            .arg(count));
        }
        expected = sha256Hex(line);
    }
    return count;
}

QJsonObject AuditLog::redactedId(const QByteArray &sessionId)
{
    return {{QStringLiteral("prefix"),
             QString(displayBytes(sessionId.left(std::min<qsizetype>(6, sessionId.size() / 4)))
                     + u"…")},
            {QStringLiteral("sha256"), QString::fromLatin1(sha256Hex(sessionId))}};
}

} // namespace SessionDesk
