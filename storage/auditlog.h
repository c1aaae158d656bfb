#pragma once

#include "storageerror.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

namespace SessionDesk {

// Who acts, from where: fixed for one run of a front end and written into every record.
struct AuditContext
{
    QString operatorName; // --operator, else $SESSIONDESK_OPERATOR, else the OS user
    QString osUser; // the account the process runs as (not taken from the environment)
    QString host;
    QString tool; // "sessiondesk-cli 0.1.0"
    // Receives each record's line after it is written (e.g. syslog); never blocks a record.
    std::function<void(const QByteArray &line)> mirror;

    // The current process's context; `operatorName` empty means the process default, else
    // $SESSIONDESK_OPERATOR, else the OS user.
    static AuditContext current(const QString &operatorName = QString());
    // Defaults for every later current(): a front end sets them once at start-up, before any
    // worker thread exists (the GUI's --operator and --audit-syslog).
    static void setProcessDefaults(const QString &operatorName,
                                   std::function<void(const QByteArray &line)> mirror);
};

// A mirror that sends each record to syslog(3) (facility authpriv, so journald keeps it too).
std::function<void(const QByteArray &line)> syslogMirror();

// One problem verify() found, tied to a line of the file (1-based; 0 for the file as a whole).
struct AuditIssue
{
    int line = 0;
    QString problem; // one sentence, e.g. "line 4 was edited: …"
};

struct AuditVerification
{
    QString path;
    bool readable = true; // false: the file exists but cannot be read (see `issues`)
    qint64 records = 0; // non-empty lines, damaged ones included
    qint64 legacyRecords = 0; // records in the format before salted ids (no "v")
    QList<AuditIssue> issues; // empty when intact
    QStringList notes; // facts worth knowing that are not damage ("older format", …)

    bool intact() const { return readable && issues.isEmpty(); }
    // "intact: 12 records" or "BROKEN: 2 problem(s); line 4 was edited: …"
    QString summary() const;
    QJsonObject toJson() const;
};

// One action as the log tells it: a started record and its completed record, or one record
// (a reveal, or a record of the older format).
struct AuditEntry
{
    QString op; // links started and completed
    QDateTime time; // when it started
    QDateTime completedAt; // invalid when no completed record follows (crash or still running)
    QString action; // revoke, logout-user, destroy-all, reveal
    QString target;
    QString store; // redis, dynamodb
    QString layout;
    QString operatorName;
    QString osUser;
    QString host;
    QString tool;
    QString scope;
    QString user; // logout-user's user
    QString reason;
    QString result; // ok, failed, cancelled, partial, refused, "no completion record"
    QString error;
    qint64 planned = -1;
    qint64 done = -1;
    qint64 failed = -1;
    qint64 notFound = -1;
    QStringList idHashes; // salted hashes of the affected session ids
    QString salt; // of the header in force, to check ids against idHashes
    int line = 0; // of the started (or only) record
    int completedLine = 0;
    bool legacy = false;
    QJsonObject started; // the raw records
    QJsonObject completed;

    // True when `sessionId` is one of this entry's ids (by its salted hash).
    bool affects(const QByteArray &sessionId) const;
    QJsonObject toJson() const;
};

// An append-only local log of destructive actions and reveals of masked secrets, one JSON
// object per line (format 2):
//  - the first record is a header holding a random salt; session ids appear only as
//    HMAC-SHA256(salt, id), so an id can be checked against the log but not read from it;
//  - every record carries "seq" (its 1-based position) and "prev", the SHA-256 of the line
//    before it, so an edited, removed, inserted or reordered record breaks the chain and
//    verify() says which line and what is wrong;
//  - "<log>.head" holds the count and the hash of the last record, so that records cut off
//    the end are detected too (an attacker who can write both files can still rewrite both:
//    mirror to syslog for evidence outside the operator's reach).
// Appends take a lock file, start on a fresh line after a truncated one, and chain to it as
// it is, so a damaged log stays damaged in one place and new records still verify.
// Logs of the older format (no header, ids as prefix + SHA-256) are read and verified; a
// header is appended before the first new record.
class AuditLog
{
public:
    explicit AuditLog(QString path, AuditContext context = AuditContext::current());

    // $SESSIONDESK_AUDIT_LOG, else "audit.log" in the platform's application data folder.
    static QString defaultPath();

    const QString &path() const { return m_path; }
    QString headPath() const { return m_path + QStringLiteral(".head"); }
    const AuditContext &context() const { return m_context; }
    // Fails when the log cannot be written, so a destructive action can refuse to start.
    Result<void> checkWritable() const;
    // Appends one record: `fields` plus v, seq, time, operator, os_user, host, tool and prev;
    // `sessionIds` are stored as salted hashes under "ids" (at most kMaxIds, with "ids_total").
    // Returns the record as written.
    Result<QJsonObject> append(QJsonObject fields, const QList<QByteArray> &sessionIds = {}) const;
    // Checks the whole chain and the head file. Never changes anything.
    AuditVerification verify() const;
    // Every action, oldest first. Damaged lines are skipped (verify() reports them).
    Result<QList<AuditEntry>> entries() const;

    static constexpr int kMaxIds = 10000;
    // HMAC-SHA256(salt, id) in hex: how ids appear in records.
    static QString saltedId(const QByteArray &salt, const QByteArray &sessionId);
    // The salt of the log's header (what saltedId() is keyed with); empty while the log has
    // no header (nothing was appended yet) or cannot be read.
    QByteArray idSalt() const;
    // A random operation id linking a started record to its completed record.
    static QString newOperationId();

private:
    QString m_path;
    AuditContext m_context;
};

} // namespace SessionDesk
