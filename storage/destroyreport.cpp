#include "destroyreport.h"

#include "valuetree.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace SessionDesk {

namespace {

using Code = StorageError::Code;

// Lines are gathered and written in blocks of about this size.
constexpr qsizetype kBufferBytes = 256 * 1024;

void appendJsonString(QByteArray &out, QByteArrayView text)
{
    out.append('"');
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out.append('\\');
            out.append(c);
        } else if (uchar(c) < 0x20) {
            static const char hex[] = "0123456789abcdef";
            out.append("\\u00");
            out.append(hex[(uchar(c) >> 4) & 0xf]);
            out.append(hex[uchar(c) & 0xf]);
        } else {
            out.append(c);
        }
    }
    out.append('"');
}

} // namespace

DestroyReportWriter::DestroyReportWriter(QString path)
    : m_path(std::move(path))
    , m_file(m_path)
{ }

DestroyReportWriter::~DestroyReportWriter()
{
    if (m_file.isOpen()) {
        flushBuffer();
        m_file.close();
    }
}

QByteArray DestroyReportWriter::outcomeName(DestroyOutcome outcome)
{
    switch (outcome) {
    case DestroyOutcome::Destroyed:
        return "destroyed";
    case DestroyOutcome::AlreadyGone:
        return "already-gone";
    case DestroyOutcome::Failed:
        return "failed";
    case DestroyOutcome::Unconfirmed:
        return "unconfirmed";
    }
    return "unknown";
}

Result<void> DestroyReportWriter::start(const QString &target, bool dryRun)
{
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return fail(Code::InvalidArgument,
                    QStringLiteral("The report file %1 cannot be written: %2.")
                        .arg(m_path, m_file.errorString()));
    }
    m_file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    const QString tool = QCoreApplication::applicationName().isEmpty()
        ? QStringLiteral("sessiondesk")
        : QCoreApplication::applicationName() + u' ' + QCoreApplication::applicationVersion();
    const QJsonObject header{
        {QStringLiteral("report"), QStringLiteral("destroy-all")},
        {QStringLiteral("target"), target},
        {QStringLiteral("dry_run"), dryRun},
        {QStringLiteral("started_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
        {QStringLiteral("tool"), tool.trimmed()},
        {QStringLiteral("ids"),
         QStringLiteral("prefix and SHA-256 of each session id, as in the audit log")}};
    m_buffer = QJsonDocument(header).toJson(QJsonDocument::Compact);
    m_buffer.append('\n');
    flushBuffer();
    return m_writeFailed
        ? fail(Code::Server,
               QStringLiteral("Writing the report file %1 failed: %2.").arg(m_path, m_writeError))
        : Result<void>();
}

QByteArray DestroyReportWriter::redactedIdJson(const QByteArray &id)
{
    // As AuditLog::redactedId: at most a quarter of the id (and no more than 6 bytes) as a
    // prefix, and the SHA-256 of the whole id in hex.
    m_hash.reset();
    m_hash.addData(id);
    const QByteArrayView digest = m_hash.resultView();
    QByteArray out;
    out.reserve(112);
    out.append("{\"prefix\":");
    const QString prefix =
        displayBytes(id.left(std::min<qsizetype>(6, id.size() / 4))) + QStringLiteral("…");
    appendJsonString(out, prefix.toUtf8());
    out.append(",\"sha256\":\"");
    static const char hex[] = "0123456789abcdef";
    for (const char byte : digest) {
        out.append(hex[(uchar(byte) >> 4) & 0xf]);
        out.append(hex[uchar(byte) & 0xf]);
    }
    out.append("\"}");
    return out;
}

void DestroyReportWriter::sessionOutcome(const QByteArray &id, DestroyOutcome outcome)
{
    if (!m_file.isOpen())
        return;
    m_buffer.append("{\"session\":");
    m_buffer.append(redactedIdJson(id));
    m_buffer.append(",\"outcome\":\"");
    m_buffer.append(outcomeName(outcome));
    m_buffer.append("\"}\n");
    ++m_lines;
    if (m_buffer.size() >= kBufferBytes)
        flushBuffer();
}

void DestroyReportWriter::flushBuffer()
{
    if (m_buffer.isEmpty())
        return;
    if (!m_writeFailed && m_file.write(m_buffer) != m_buffer.size()) {
        m_writeFailed = true;
        m_writeError = m_file.errorString();
    }
    m_buffer.clear();
}

Result<void> DestroyReportWriter::finish(const DestroyReport &r)
{
    if (!m_file.isOpen())
        return fail(Code::InvalidArgument,
                    QStringLiteral("The report file %1 was not started.").arg(m_path));
    const QJsonObject summary{{QStringLiteral("dry_run"), r.dryRun},
                              {QStringLiteral("matched"), r.matched},
                              {QStringLiteral("examined"), r.examined},
                              {QStringLiteral("destroyed"), r.destroyed},
                              {QStringLiteral("failed"), r.failed},
                              {QStringLiteral("unconfirmed"), r.unconfirmed},
                              {QStringLiteral("index_keys_destroyed"), r.indexKeysDestroyed},
                              {QStringLiteral("cancelled"), r.cancelled},
                              {QStringLiteral("aborted"),
                               r.abortReason.isEmpty() ? QJsonValue() : QJsonValue(r.abortReason)},
                              {QStringLiteral("errors"), QJsonArray::fromStringList(r.errors)},
                              {QStringLiteral("duration_ms"), r.durationMs},
                              {QStringLiteral("session_lines"), m_lines},
                              {QStringLiteral("finished_at"),
                               QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)}};
    m_buffer.append(QJsonDocument(QJsonObject{{QStringLiteral("summary"), summary}})
                        .toJson(QJsonDocument::Compact));
    m_buffer.append('\n');
    flushBuffer();
    if (!m_writeFailed && !m_file.flush()) {
        m_writeFailed = true;
        m_writeError = m_file.errorString();
    }
    m_file.close();
    if (m_writeFailed) {
        return fail(Code::Server,
                    QStringLiteral("Writing the report file %1 failed (%2): the report is "
                                   "incomplete.")
                        .arg(m_path, m_writeError));
    }
    return {};
}

} // namespace SessionDesk
