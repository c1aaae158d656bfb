#pragma once

#include "sessionstore.h"

#include <QCryptographicHash>
#include <QFile>

namespace SessionDesk {

// Streams the report of a destroy-all to a file while the run goes, never holding it whole, as
// JSON Lines (one object per line):
//   {"report":"destroy-all","target":"host:6379/0","dry_run":false,"started_at":"...","tool":"..."}
//   {"session":{"prefix":"k3F…","sha256":"..."},"outcome":"destroyed"}
//   ...one line per session, as its outcome is known: destroyed, already-gone, failed, unconfirmed
//   {"summary":{"matched":N,"destroyed":N,"failed":N,"unconfirmed":N,...}}
// Session ids appear as the audit log shows them (AuditLog::redactedId): a short prefix and the
// SHA-256 of the id, never the id itself. A session may appear again with a later outcome (it
// was deleted again after a reconnect or a failover): its last line counts. A report without
// its summary line belongs to a run that did not finish.
class DestroyReportWriter final : public DestroyOutcomeSink
{
public:
    explicit DestroyReportWriter(QString path);
    ~DestroyReportWriter() override;

    // Creates (or truncates) the file, readable by its owner only, and writes the first line.
    // Fails in one sentence naming the file.
    Result<void> start(const QString &target, bool dryRun);
    void sessionOutcome(const QByteArray &id, DestroyOutcome outcome) override;
    // Writes the summary line and closes the file. Fails when any write failed (the disk
    // filled up, ...): the report is then incomplete, and says so.
    Result<void> finish(const DestroyReport &report);

    const QString &path() const { return m_path; }
    qint64 sessionLines() const { return m_lines; }

    // The line's "session" object as JSON text: {"prefix":"...","sha256":"..."}.
    QByteArray redactedIdJson(const QByteArray &id);
    static QByteArray outcomeName(DestroyOutcome outcome);

private:
    void flushBuffer();

    QString m_path;
    QFile m_file;
    QByteArray m_buffer;
    QCryptographicHash m_hash{QCryptographicHash::Sha256};
    qint64 m_lines = 0;
    bool m_writeFailed = false;
    QString m_writeError;
};

} // namespace SessionDesk
