#include "auditlog.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLockFile>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QStandardPaths>
#include <QSysInfo>

#include <pwd.h>
#include <syslog.h>
#include <unistd.h>

namespace SessionDesk {

namespace {

using Code = StorageError::Code;

const QByteArray kGenesis(64, '0');
const QString kFormat = QStringLiteral("sessiondesk-audit/2");

QByteArray sha256Hex(const QByteArray &bytes)
{
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}

struct Line
{
    int number = 0; // 1-based, physical
    QByteArray bytes; // trimmed, without the newline
};

struct Contents
{
    QList<Line> lines; // non-empty lines only
    bool endsWithNewline = true;
    qint64 size = 0;
};

Contents split(const QByteArray &data)
{
    Contents c;
    c.size = data.size();
    c.endsWithNewline = data.isEmpty() || data.endsWith('\n');
    const QList<QByteArray> raw = data.split('\n');
    for (qsizetype i = 0; i < raw.size(); ++i) {
        const QByteArray line = raw.at(i).trimmed();
        if (!line.isEmpty())
            c.lines.append({int(i) + 1, line});
    }
    return c;
}

QJsonObject parseRecord(const QByteArray &line, bool *ok)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
    *ok = error.error == QJsonParseError::NoError && doc.isObject();
    return doc.object();
}

// The salt of the log's header, or empty when the log has none yet. Reads from the start:
// the header is the first line of every log written in format 2.
QByteArray headerSalt(QFile &file)
{
    file.seek(0);
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        if (!line.contains("\"header\""))
            continue;
        bool ok = false;
        const QJsonObject record = parseRecord(line, &ok);
        if (ok && record.value(QStringLiteral("event")).toString() == u"header")
            return QByteArray::fromHex(record.value(QStringLiteral("salt")).toString().toLatin1());
    }
    return {};
}

// Where the next record goes: the hash of the last line, the next sequence number and whether
// the file ends with a newline. Reads only the end of the file (growing the window until the
// last readable record is inside), so that appending stays cheap as the log grows.
struct AppendPoint
{
    QByteArray previous;
    qint64 lastSeq = 0; // the sequence number of the last line, damaged or not
    bool endsWithNewline = true;
};

AppendPoint appendPoint(QFile &file)
{
    AppendPoint p;
    p.previous = kGenesis;
    const qint64 size = file.size();
    qint64 window = 64 * 1024;
    while (size > 0) {
        const qint64 from = std::max<qint64>(0, size - window);
        file.seek(from);
        const QByteArray tail = file.read(size - from);
        p.endsWithNewline = tail.endsWith('\n');
        QList<QByteArray> raw = tail.split('\n');
        if (from > 0)
            raw.removeFirst(); // may start inside a line
        QList<QByteArray> lines;
        for (const QByteArray &line : std::as_const(raw)) {
            if (!line.trimmed().isEmpty())
                lines.append(line.trimmed());
        }
        if (!lines.isEmpty())
            p.previous = sha256Hex(lines.last());
        // Numbered on from the last readable record, so that a gap someone cut stays one gap.
        bool legacy = false;
        for (qsizetype i = lines.size() - 1; i >= 0; --i) {
            bool ok = false;
            const QJsonObject record = parseRecord(lines.at(i), &ok);
            if (!ok)
                continue;
            if (record.value(QStringLiteral("seq")).isDouble()) {
                p.lastSeq =
                    record.value(QStringLiteral("seq")).toInteger() + (lines.size() - 1 - i);
                return p;
            }
            legacy = true; // older format: records are counted from the start
            break;
        }
        if (from == 0) {
            p.lastSeq = lines.size();
            return p;
        }
        window = legacy ? size : window * 4;
    }
    return p;
}

QString osUserName()
{
    if (const passwd *pw = ::getpwuid(::geteuid()); pw && pw->pw_name)
        return QString::fromLocal8Bit(pw->pw_name);
    return qEnvironmentVariable("USER", QStringLiteral("unknown"));
}

QString toolName()
{
    if (!QCoreApplication::instance())
        return QStringLiteral("sessiondesk");
    const QString name = QFileInfo(QCoreApplication::applicationFilePath()).fileName();
    const QString version = QCoreApplication::applicationVersion();
    return version.isEmpty() ? name : name + u' ' + version;
}

QString plural(qint64 n, const char *one, const char *many)
{
    return QStringLiteral("%1 %2").arg(n).arg(QString::fromLatin1(n == 1 ? one : many));
}

QString g_defaultOperator;
std::function<void(const QByteArray &line)> g_defaultMirror;

} // namespace

void AuditContext::setProcessDefaults(const QString &operatorName,
                                      std::function<void(const QByteArray &line)> mirror)
{
    g_defaultOperator = operatorName;
    g_defaultMirror = std::move(mirror);
}

AuditContext AuditContext::current(const QString &operatorName)
{
    AuditContext c;
    c.osUser = osUserName();
    c.operatorName = operatorName;
    c.mirror = g_defaultMirror;
    if (c.operatorName.isEmpty())
        c.operatorName = g_defaultOperator;
    if (c.operatorName.isEmpty())
        c.operatorName = qEnvironmentVariable("SESSIONDESK_OPERATOR");
    if (c.operatorName.isEmpty())
        c.operatorName = c.osUser;
    c.host = QSysInfo::machineHostName();
    c.tool = toolName();
    return c;
}

std::function<void(const QByteArray &line)> syslogMirror()
{
    return [](const QByteArray &line) {
        static const bool opened = [] {
            ::openlog("sessiondesk", LOG_PID, LOG_AUTHPRIV);
            return true;
        }();
        Q_UNUSED(opened);
        ::syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s", line.constData());
    };
}

QString AuditVerification::summary() const
{
    if (!readable)
        return issues.isEmpty() ? QStringLiteral("unreadable") : issues.first().problem;
    if (issues.isEmpty()) {
        QString text = QStringLiteral("intact: %1").arg(plural(records, "record", "records"));
        if (legacyRecords > 0)
            text += QStringLiteral(" (%1 in the older format)").arg(legacyRecords);
        return text;
    }
    return QStringLiteral("BROKEN: %1; %2")
        .arg(plural(issues.size(), "problem", "problems"), issues.first().problem);
}

QJsonObject AuditVerification::toJson() const
{
    QJsonArray problems;
    for (const AuditIssue &issue : issues)
        problems.append(QJsonObject{{QStringLiteral("line"), issue.line},
                                    {QStringLiteral("problem"), issue.problem}});
    return {{QStringLiteral("path"), path},
            {QStringLiteral("intact"), intact()},
            {QStringLiteral("records"), records},
            {QStringLiteral("legacy_records"), legacyRecords},
            {QStringLiteral("issues"), problems},
            {QStringLiteral("notes"), QJsonArray::fromStringList(notes)},
            {QStringLiteral("summary"), summary()}};
}

bool AuditEntry::affects(const QByteArray &sessionId) const
{
    if (salt.isEmpty())
        return false;
    return idHashes.contains(AuditLog::saltedId(QByteArray::fromHex(salt.toLatin1()), sessionId));
}

QJsonObject AuditEntry::toJson() const
{
    const auto count = [](qint64 n) { return n < 0 ? QJsonValue() : QJsonValue(n); };
    const auto text = [](const QString &s) { return s.isEmpty() ? QJsonValue() : QJsonValue(s); };
    return {{QStringLiteral("op"), text(op)},
            {QStringLiteral("time"), time.toString(Qt::ISODateWithMs)},
            {QStringLiteral("completed_at"),
             completedAt.isValid() ? QJsonValue(completedAt.toString(Qt::ISODateWithMs))
                                   : QJsonValue()},
            {QStringLiteral("action"), action},
            {QStringLiteral("target"), target},
            {QStringLiteral("store"), text(store)},
            {QStringLiteral("layout"), text(layout)},
            {QStringLiteral("operator"), operatorName},
            {QStringLiteral("os_user"), text(osUser)},
            {QStringLiteral("host"), text(host)},
            {QStringLiteral("tool"), text(tool)},
            {QStringLiteral("scope"), text(scope)},
            {QStringLiteral("user"), text(user)},
            {QStringLiteral("reason"), text(reason)},
            {QStringLiteral("result"), result},
            {QStringLiteral("error"), text(error)},
            {QStringLiteral("planned"), count(planned)},
            {QStringLiteral("done"), count(done)},
            {QStringLiteral("failed"), count(failed)},
            {QStringLiteral("not_found"), count(notFound)},
            {QStringLiteral("ids"), QJsonArray::fromStringList(idHashes)},
            {QStringLiteral("line"), line},
            {QStringLiteral("completed_line"),
             completedLine ? QJsonValue(completedLine) : QJsonValue()},
            {QStringLiteral("legacy_format"), legacy}};
}

AuditLog::AuditLog(QString path, AuditContext context)
    : m_path(std::move(path))
    , m_context(std::move(context))
{ }

QString AuditLog::defaultPath()
{
    const QString fromEnv = qEnvironmentVariable("SESSIONDESK_AUDIT_LOG");
    if (!fromEnv.isEmpty())
        return fromEnv;
    QString dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return dir + QStringLiteral("/SessionDesk/audit.log");
}

QString AuditLog::saltedId(const QByteArray &salt, const QByteArray &sessionId)
{
    return QString::fromLatin1(
        QMessageAuthenticationCode::hash(sessionId, salt, QCryptographicHash::Sha256).toHex());
}

QByteArray AuditLog::idSalt() const
{
    QFile file(m_path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return headerSalt(file);
}

QString AuditLog::newOperationId()
{
    quint64 bits[2];
    QRandomGenerator::system()->fillRange(bits);
    return QString::fromLatin1(
        QByteArray(reinterpret_cast<const char *>(bits), sizeof bits).toHex());
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

Result<QJsonObject> AuditLog::append(QJsonObject fields, const QList<QByteArray> &sessionIds) const
{
    if (auto writable = checkWritable(); !writable)
        return std::unexpected(writable.error());
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
    const AppendPoint at = appendPoint(file);
    QByteArray previous = at.previous;
    qint64 seq = at.lastSeq;
    const QString now = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);

    // A line cut short (a crash mid-write, a truncated copy) stays as it is: the next record
    // starts on a line of its own and chains to the damaged one, so verify() reports the
    // damage at that line and nowhere else.
    QByteArray out = at.endsWithNewline ? QByteArray() : QByteArray("\n");
    QList<QByteArray> written;
    QByteArray salt = headerSalt(file);
    if (salt.isEmpty()) {
        salt.resize(32);
        QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(salt.data()), 8);
        QJsonObject header{{QStringLiteral("v"), 2},
                           {QStringLiteral("seq"), ++seq},
                           {QStringLiteral("event"), QStringLiteral("header")},
                           {QStringLiteral("format"), kFormat},
                           {QStringLiteral("salt"), QString::fromLatin1(salt.toHex())},
                           {QStringLiteral("time"), now},
                           {QStringLiteral("os_user"), m_context.osUser},
                           {QStringLiteral("host"), m_context.host},
                           {QStringLiteral("tool"), m_context.tool},
                           {QStringLiteral("prev"), QString::fromLatin1(previous)}};
        if (seq > 1)
            header.insert(QStringLiteral("follows_older_format"), true);
        const QByteArray line = QJsonDocument(header).toJson(QJsonDocument::Compact);
        written.append(line);
        out += line + '\n';
        previous = sha256Hex(line);
    }

    fields.insert(QStringLiteral("v"), 2);
    fields.insert(QStringLiteral("seq"), ++seq);
    fields.insert(QStringLiteral("time"), now);
    fields.insert(QStringLiteral("operator"), m_context.operatorName);
    fields.insert(QStringLiteral("os_user"), m_context.osUser);
    fields.insert(QStringLiteral("host"), m_context.host);
    fields.insert(QStringLiteral("tool"), m_context.tool);
    if (!sessionIds.isEmpty()) {
        QJsonArray ids;
        for (qsizetype i = 0; i < sessionIds.size() && i < kMaxIds; ++i)
            ids.append(saltedId(salt, sessionIds.at(i)));
        fields.insert(QStringLiteral("ids"), ids);
        if (sessionIds.size() > kMaxIds)
            fields.insert(QStringLiteral("ids_total"), sessionIds.size());
    }
    fields.insert(QStringLiteral("prev"), QString::fromLatin1(previous));
    const QByteArray line = QJsonDocument(fields).toJson(QJsonDocument::Compact);
    written.append(line);
    out += line + '\n';

    file.seek(file.size());
    if (file.write(out) != out.size() || !file.flush() || ::fsync(file.handle()) != 0) {
        return fail(
            Code::Server,
            QStringLiteral("Writing the audit log %1 failed: %2.").arg(m_path, file.errorString()));
    }
    file.close();

    // The head: how many records there are and the hash of the last, so that records cut off
    // the end are noticed.
    QSaveFile head(headPath());
    const QByteArray headBytes =
        QJsonDocument(QJsonObject{{QStringLiteral("records"), seq},
                                  {QStringLiteral("last"), QString::fromLatin1(sha256Hex(line))},
                                  {QStringLiteral("updated"), now}})
            .toJson(QJsonDocument::Compact)
        + '\n';
    if (!head.open(QIODevice::WriteOnly) || head.write(headBytes) != headBytes.size()
        || !head.commit()) {
        return fail(Code::Server,
                    QStringLiteral("Writing the audit log's head file %1 failed: %2.")
                        .arg(headPath(), head.errorString()));
    }
    QFile::setPermissions(headPath(), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (m_context.mirror) {
        for (const QByteArray &l : std::as_const(written))
            m_context.mirror(l);
    }
    return fields;
}

AuditVerification AuditLog::verify() const
{
    AuditVerification v;
    v.path = m_path;
    QFile file(m_path);
    const bool hasHead = QFileInfo::exists(headPath());
    if (!file.exists()) {
        if (hasHead) {
            v.issues.append({0,
                             QStringLiteral("The audit log %1 is missing, but its head file %2 "
                                            "says records were written: it was deleted or "
                                            "moved.")
                                 .arg(m_path, headPath())});
        }
        return v;
    }
    if (!QFileInfo(m_path).isFile() || !file.open(QIODevice::ReadOnly)) {
        v.readable = false;
        v.issues.append({0,
                         QStringLiteral("The audit log %1 cannot be read: %2.")
                             .arg(m_path,
                                  QFileInfo(m_path).isFile() ? file.errorString()
                                                             : QStringLiteral("not a file"))});
        return v;
    }
    const Contents c = split(file.readAll());
    v.records = c.lines.size();
    QHash<QByteArray, qsizetype> indexOfHash; // first line with that hash
    QList<QByteArray> hashes;
    hashes.reserve(c.lines.size());
    for (qsizetype i = 0; i < c.lines.size(); ++i) {
        hashes.append(sha256Hex(c.lines.at(i).bytes));
        if (!indexOfHash.contains(hashes.last()))
            indexOfHash.insert(hashes.last(), i);
    }
    const auto lineOf = [&](qsizetype i) { return c.lines.at(i).number; };
    QList<bool> outOfOrder(c.lines.size(), false);
    QByteArray expected = kGenesis;
    qint64 previousSeq = 0;
    bool sawHeader = false;
    qint64 currentRecords = 0; // of format 2
    qint64 maxSeq = 0;
    QList<qint64> seenSeqs; // sequence numbers read so far, sorted
    QList<int> seenLines; // their lines
    for (qsizetype i = 0; i < c.lines.size(); ++i) {
        const int line = lineOf(i);
        bool ok = false;
        const QJsonObject record = parseRecord(c.lines.at(i).bytes, &ok);
        if (!ok) {
            const bool cut = i == c.lines.size() - 1 && !c.endsWithNewline;
            v.issues.append(
                {line,
                 cut ? QStringLiteral("line %1 is incomplete: the file ends inside this "
                                      "record (truncated, %2 bytes kept).")
                           .arg(line)
                           .arg(c.lines.at(i).bytes.size())
                     : QStringLiteral("line %1 is not a complete JSON record (corrupted or "
                                      "cut short).")
                           .arg(line)});
            expected = hashes.at(i);
            ++previousSeq;
            continue;
        }
        const bool legacy = !record.contains(QStringLiteral("v"));
        if (legacy)
            ++v.legacyRecords;
        else
            ++currentRecords;
        if (record.value(QStringLiteral("event")).toString() == u"header")
            sawHeader = true;
        const qint64 seq = legacy ? previousSeq + 1
                                  : record.value(QStringLiteral("seq")).toInteger(previousSeq + 1);
        const QByteArray prev = record.value(QStringLiteral("prev")).toString().toLatin1();
        if (prev != expected) {
            const qsizetype j = indexOfHash.value(prev, -1);
            QString problem;
            int at = line; // the line the problem is about
            bool explained = false; // by a line already reported as out of order
            const qsizetype copyOf = indexOfHash.value(hashes.at(i), i);
            if (copyOf < i) {
                problem = QStringLiteral("line %1 repeats record %2 of line %3: a copied "
                                         "record.")
                              .arg(line)
                              .arg(seq)
                              .arg(lineOf(copyOf));
            } else if (j > i) {
                outOfOrder[i] = true;
                problem = QStringLiteral("line %1 is out of order: it was written after line %2, "
                                         "which now comes later.")
                              .arg(line)
                              .arg(lineOf(j));
            } else if (!legacy && seq <= maxSeq && !seenSeqs.contains(seq)) {
                // A record that belongs before records already read: moved down.
                outOfOrder[i] = true;
                qsizetype k = 0;
                while (k < seenSeqs.size() && seenSeqs.at(k) < seq)
                    ++k;
                problem = QStringLiteral("line %1 (record %2) is out of order: it belongs before "
                                         "line %3 (record %4).")
                              .arg(line)
                              .arg(seq)
                              .arg(seenLines.at(k))
                              .arg(seenSeqs.at(k));
            } else if (j >= 0 && j < i - 1) {
                bool allMoved = true;
                for (qsizetype k = j + 1; k < i; ++k)
                    allMoved &= outOfOrder.at(k);
                if (allMoved) {
                    explained = true; // the lines in between were moved here; this one is fine
                } else if (j == i - 2) {
                    at = lineOf(i - 1);
                    problem = QStringLiteral("line %1 was inserted: line %2 follows line %3 "
                                             "directly in the chain.")
                                  .arg(lineOf(i - 1))
                                  .arg(line)
                                  .arg(lineOf(j));
                } else {
                    at = lineOf(j + 1);
                    problem = QStringLiteral("lines %1 to %2 were inserted: line %3 follows "
                                             "line %4 directly in the chain.")
                                  .arg(lineOf(j + 1))
                                  .arg(lineOf(i - 1))
                                  .arg(line)
                                  .arg(lineOf(j));
                }
            } else if (!legacy && seenSeqs.contains(seq)) {
                const qsizetype k = seenSeqs.indexOf(seq);
                problem = QStringLiteral("line %1 repeats record %2 of line %3: a copied or "
                                         "re-inserted record.")
                              .arg(line)
                              .arg(seq)
                              .arg(seenLines.at(k));
            } else if (!legacy && seq <= previousSeq) {
                problem = QStringLiteral("line %1 repeats or goes back in the sequence (record "
                                         "%2 after record %3): a copied or re-inserted record.")
                              .arg(line)
                              .arg(seq)
                              .arg(previousSeq);
            } else if (!legacy && seq > previousSeq + 1) {
                const qint64 missing = seq - previousSeq - 1;
                problem = i == 0
                    ? QStringLiteral("%1 at the start of the log %2 missing "
                                     "(removed): line %3 is record %4.")
                          .arg(plural(missing, "record", "records"),
                               missing == 1 ? QStringLiteral("is") : QStringLiteral("are"))
                          .arg(line)
                          .arg(seq)
                    : QStringLiteral("%1 between line %2 and line %3 %4 missing "
                                     "(removed): the sequence jumps from %5 to %6.")
                          .arg(plural(missing, "record", "records"))
                          .arg(lineOf(i - 1))
                          .arg(line)
                          .arg(missing == 1 ? QStringLiteral("is") : QStringLiteral("are"))
                          .arg(previousSeq)
                          .arg(seq);
            } else if (i > 0) {
                at = lineOf(i - 1);
                problem = legacy ? QStringLiteral("line %1 does not follow line %2: line %2 was "
                                                  "edited, or a record between them was "
                                                  "removed.")
                                       .arg(line)
                                       .arg(lineOf(i - 1))
                                 : QStringLiteral("line %1 was edited: its content no longer "
                                                  "matches the hash that line %2 recorded.")
                                       .arg(lineOf(i - 1))
                                       .arg(line);
            } else {
                problem = QStringLiteral("line %1 does not start the chain: the records before "
                                         "it were removed or it was edited.")
                              .arg(line);
            }
            if (!explained)
                v.issues.append({at, problem});
        } else if (!legacy && seq != previousSeq + 1) {
            v.issues.append({line,
                             QStringLiteral("line %1 was edited: it says it is record %2, "
                                            "but it is record %3.")
                                 .arg(line)
                                 .arg(seq)
                                 .arg(previousSeq + 1)});
        }
        expected = hashes.at(i);
        previousSeq = seq;
        if (!legacy) {
            // Kept sorted by sequence number, to find where a moved record belongs.
            qsizetype k = 0;
            while (k < seenSeqs.size() && seenSeqs.at(k) < seq)
                ++k;
            seenSeqs.insert(k, seq);
            seenLines.insert(k, line);
            maxSeq = std::max(maxSeq, seq);
        }
    }

    // The head file catches what a chain cannot: records cut off the end.
    if (hasHead) {
        QFile headFile(headPath());
        bool ok = headFile.open(QIODevice::ReadOnly);
        const QJsonObject head =
            ok ? parseRecord(headFile.readAll().trimmed(), &ok) : QJsonObject();
        const qint64 headRecords = head.value(QStringLiteral("records")).toInteger(-1);
        const QByteArray headLast = head.value(QStringLiteral("last")).toString().toLatin1();
        if (!ok || headRecords < 0 || headLast.size() != 64) {
            v.issues.append({0,
                             QStringLiteral("The head file %1 is damaged, so records removed "
                                            "from the end cannot be ruled out.")
                                 .arg(headPath())});
        } else if (headRecords > v.records) {
            const qint64 missing = headRecords - v.records;
            v.issues.append(
                {v.records > 0 ? lineOf(c.lines.size() - 1) : 0,
                 QStringLiteral("%1 at the end %2 missing (removed or truncated): the head file "
                                "counts %3 records, the log holds %4.")
                     .arg(plural(missing, "record", "records"),
                          missing == 1 ? QStringLiteral("is") : QStringLiteral("are"))
                     .arg(headRecords)
                     .arg(v.records)});
        } else if (headRecords > 0 && hashes.at(headRecords - 1) != headLast) {
            const int line = lineOf(headRecords - 1);
            v.issues.append({line,
                             headRecords == v.records
                                 ? QStringLiteral("line %1, the last record, was edited or "
                                                  "replaced: it no longer matches the "
                                                  "head file.")
                                       .arg(line)
                                 : QStringLiteral("line %1 no longer matches the head "
                                                  "file: the end of the log was rewritten.")
                                       .arg(line)});
        } else if (headRecords < v.records) {
            v.notes << QStringLiteral("The head file lags by %1 (a write that stopped between "
                                      "the log and its head); the records it covers match.")
                           .arg(plural(v.records - headRecords, "record", "records"));
        }
    } else if (v.records > 0) {
        v.notes << QStringLiteral("No head file (%1): records removed from the end of the log "
                                  "cannot be detected.")
                       .arg(headPath());
    }
    if (v.legacyRecords > 0) {
        v.notes << QStringLiteral("%1 in the older format (before salted ids and sequence "
                                  "numbers) %2 checked by the hash chain only.")
                       .arg(plural(v.legacyRecords, "record", "records"),
                            v.legacyRecords == 1 ? QStringLiteral("is") : QStringLiteral("are"));
    }
    if (currentRecords > 0 && !sawHeader) {
        v.issues.append({c.lines.isEmpty() ? 0 : lineOf(0),
                         QStringLiteral("The log has no header record with its salt: the first "
                                        "records were removed.")});
    }
    std::stable_sort(v.issues.begin(), v.issues.end(),
                     [](const AuditIssue &a, const AuditIssue &b) { return a.line < b.line; });
    return v;
}

Result<QList<AuditEntry>> AuditLog::entries() const
{
    QFile file(m_path);
    if (!file.exists())
        return QList<AuditEntry>{};
    if (!file.open(QIODevice::ReadOnly)) {
        return fail(
            Code::NotFound,
            QStringLiteral("The audit log %1 cannot be read: %2.").arg(m_path, file.errorString()));
    }
    const Contents c = split(file.readAll());
    QList<AuditEntry> out;
    QHash<QString, qsizetype> started; // op → index in out
    QString salt;
    const auto number = [](const QJsonObject &r, const char *key) {
        const QJsonValue value = r.value(QString::fromLatin1(key));
        return value.isDouble() ? value.toInteger() : qint64(-1);
    };
    for (const Line &line : c.lines) {
        bool ok = false;
        const QJsonObject r = parseRecord(line.bytes, &ok);
        if (!ok)
            continue;
        const QString event = r.value(QStringLiteral("event")).toString();
        if (event == u"header") {
            salt = r.value(QStringLiteral("salt")).toString();
            continue;
        }
        const QString op = r.value(QStringLiteral("op")).toString();
        if (event == u"completed" && started.contains(op)) {
            AuditEntry &e = out[started.take(op)];
            e.completed = r;
            e.completedLine = line.number;
            e.completedAt = QDateTime::fromString(r.value(QStringLiteral("time")).toString(),
                                                  Qt::ISODateWithMs);
            e.result = r.value(QStringLiteral("result")).toString();
            e.error = r.value(QStringLiteral("error")).toString();
            e.done = number(r, "done");
            e.failed = number(r, "failed");
            e.notFound = number(r, "not_found");
            if (number(r, "planned") >= 0)
                e.planned = number(r, "planned");
            for (const QJsonValue &id : r.value(QStringLiteral("ids")).toArray()) {
                if (!e.idHashes.contains(id.toString()))
                    e.idHashes << id.toString();
            }
            continue;
        }
        AuditEntry e;
        e.line = line.number;
        e.started = r;
        e.op = op;
        e.time =
            QDateTime::fromString(r.value(QStringLiteral("time")).toString(), Qt::ISODateWithMs);
        e.action = r.value(QStringLiteral("action")).toString();
        e.target = r.value(QStringLiteral("target")).toString();
        e.store = r.value(QStringLiteral("store")).toString();
        e.layout = r.value(QStringLiteral("layout")).toString();
        e.operatorName = r.value(QStringLiteral("operator")).toString();
        e.osUser = r.value(QStringLiteral("os_user")).toString();
        e.host = r.value(QStringLiteral("host")).toString();
        e.tool = r.value(QStringLiteral("tool")).toString();
        e.scope = r.value(QStringLiteral("scope")).toString();
        e.user = r.value(QStringLiteral("user")).toString();
        e.reason = r.value(QStringLiteral("reason")).toString();
        e.planned = number(r, "planned");
        e.salt = salt;
        for (const QJsonValue &id : r.value(QStringLiteral("ids")).toArray())
            e.idHashes << id.toString();
        e.legacy = !r.contains(QStringLiteral("v"));
        if (e.legacy) {
            // Format 1: one record after the action, with its details.
            const QJsonObject details = r.value(QStringLiteral("details")).toObject();
            e.reason = details.value(QStringLiteral("reason")).toString();
            e.user = details.value(QStringLiteral("user")).toString();
            e.error = details.value(QStringLiteral("error")).toString();
            e.result = e.error.isEmpty() ? QStringLiteral("ok") : QStringLiteral("failed");
            const QJsonValue revoked = details.value(QStringLiteral("revoked"));
            e.done = revoked.isArray()              ? revoked.toArray().size()
                : number(details, "destroyed") >= 0 ? number(details, "destroyed")
                                                    : revoked.toInteger(-1);
            e.failed = number(details, "failed");
            e.completedAt = e.time;
        } else if (event == u"started") {
            e.result = QStringLiteral("no completion record");
            started.insert(op, out.size());
        } else {
            e.result = r.value(QStringLiteral("result")).toString(QStringLiteral("ok"));
            e.error = r.value(QStringLiteral("error")).toString();
            e.done = number(r, "done");
            e.completedAt = e.time;
        }
        out.append(e);
    }
    return out;
}

} // namespace SessionDesk
