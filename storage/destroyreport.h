#pragma once

#include "sessionstore.h"

#include <QFile>
#include <QJsonObject>

#include <memory>

namespace SessionDesk {

class IdMac;

// Streams the report of a destroy-all to a file while the run goes, never holding it whole, as
// JSON Lines (one object per line):
//   {"report":"destroy-all","target":"host:6379/0","dry_run":false,"started_at":"...",
//    "tool":"...","id_hash":"...","audit_log":"/path/audit.log"}
//   {"id":"<64 hex>","outcome":"destroyed"}
//   ...one line per session, as its outcome is known: destroyed, already-gone, failed, unconfirmed
//   {"summary":{"matched":N,"destroyed":N,"failed":N,"unconfirmed":N,...}}
// Session ids are never written: "id" is HMAC-SHA256 of the id keyed with the audit log's salt
// (AuditLog::saltedId, as the log's records hold ids), so an id can be checked against both.
// Without an audit log (useIdSalt() not called) the report uses a random salt of its own and
// names it in the header ("id_salt"). A session may appear again with a later outcome (it was
// deleted again after a reconnect or a failover): its last line counts. A report without its
// summary line belongs to a run that did not finish.
class DestroyReportWriter final : public DestroyOutcomeSink
{
public:
    explicit DestroyReportWriter(QString path);
    ~DestroyReportWriter() override;

    // Creates (or truncates) the file, readable by its owner only, so that a file that cannot
    // be written stops a run before it starts. Fails in one sentence naming the file.
    Result<void> start(const QString &target, bool dryRun);
    void useIdSalt(const QByteArray &salt, const QString &auditLogPath) override;
    void sessionOutcome(const QByteArray &id, DestroyOutcome outcome) override;
    // Writes the summary line and closes the file. Fails when any write failed (the disk
    // filled up, ...): the report is then incomplete, and says so.
    Result<void> finish(const DestroyReport &report);

    const QString &path() const { return m_path; }
    qint64 sessionLines() const { return m_lines; }

    static QByteArray outcomeName(DestroyOutcome outcome);

private:
    void writeHeader();
    void flushBuffer();

    QString m_path;
    QFile m_file;
    QByteArray m_buffer;
    QJsonObject m_header;
    bool m_headerWritten = false;
    QByteArray m_salt;
    QString m_auditLogPath;
    std::unique_ptr<IdMac> m_mac; // keyed with m_salt when the header is written
    qint64 m_lines = 0;
    bool m_writeFailed = false;
    QString m_writeError;
};

// store.destroyAll() with each session's outcome streamed to `reportPath` by a
// DestroyReportWriter. Fails before anything is destroyed when the store reports no per-session
// outcome or the file cannot be created. The run's report names the file and its session lines;
// a file that could not be finished (the disk filled up, ...) leaves the run's outcome as it
// is and says why in sessionReportError.
Result<DestroyReport> destroyAllWithSessionReport(SessionStore &store, const QString &reportPath,
                                                  bool dryRun, const ProgressCallback &progress,
                                                  const CancelToken &cancel);

} // namespace SessionDesk
