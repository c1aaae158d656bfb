#pragma once

#include "storageerror.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace SessionDesk {

// An append-only local log of destructive actions and reveals of masked secrets, one JSON
// object per line. Each record carries the SHA-256 of the previous line, so an edit or a
// removed line breaks the chain and verify() finds it. It never holds a secret: session ids
// appear only as a short prefix (at most a quarter of the id) plus their hash.
class AuditLog
{
public:
    explicit AuditLog(QString path);

    // $SESSIONDESK_AUDIT_LOG, else "audit.log" in the platform's application data folder.
    static QString defaultPath();

    const QString &path() const { return m_path; }
    // Fails when the log cannot be written, so a destructive action can refuse to start.
    Result<void> checkWritable() const;
    Result<void> append(const QString &action, const QString &target,
                        const QJsonObject &details) const;
    // Number of records when the chain is intact; an error naming the first bad line if not.
    Result<qint64> verify() const;

    static QJsonObject redactedId(const QByteArray &sessionId);

private:
    QString m_path;
};

} // namespace SessionDesk
