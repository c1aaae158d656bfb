#include "destroyreport.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>

#include <openssl/core_names.h>
#include <openssl/evp.h>

namespace SessionDesk {

// HMAC-SHA256 of session ids under one key, as AuditLog::saltedId computes it: OpenSSL's,
// keyed once and re-initialised per id (0.27 µs an id on this machine's SHA extensions, where
// QMessageAuthenticationCode took 2.3 µs: over a million sessions, two seconds of a
// destroy-all's CPU). Qt's when OpenSSL cannot provide it.
class IdMac
{
public:
    explicit IdMac(const QByteArray &key)
        : m_fallback(QCryptographicHash::Sha256, key)
    {
        EVP_MAC *hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        if (!hmac)
            return;
        m_context = EVP_MAC_CTX_new(hmac); // holds its own reference to hmac
        EVP_MAC_free(hmac);
        char digest[] = "SHA256";
        const OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
            OSSL_PARAM_construct_end()};
        if (m_context
            && EVP_MAC_init(m_context, reinterpret_cast<const unsigned char *>(key.constData()),
                            size_t(key.size()), params)
                != 1) {
            EVP_MAC_CTX_free(m_context);
            m_context = nullptr;
        }
    }
    ~IdMac() { EVP_MAC_CTX_free(m_context); }
    Q_DISABLE_COPY_MOVE(IdMac)

    QByteArray of(const QByteArray &id)
    {
        unsigned char mac[32];
        size_t length = 0;
        // A null key re-initialises with the key already set.
        if (m_context && EVP_MAC_init(m_context, nullptr, 0, nullptr) == 1
            && EVP_MAC_update(m_context, reinterpret_cast<const unsigned char *>(id.constData()),
                              size_t(id.size()))
                == 1
            && EVP_MAC_final(m_context, mac, &length, sizeof mac) == 1 && length == sizeof mac) {
            return QByteArray(reinterpret_cast<const char *>(mac), qsizetype(length));
        }
        m_fallback.reset();
        m_fallback.addData(id);
        return m_fallback.result();
    }

private:
    EVP_MAC_CTX *m_context = nullptr;
    QMessageAuthenticationCode m_fallback;
};

namespace {

using Code = StorageError::Code;

// Lines are gathered and written in blocks of about this size.
constexpr qsizetype kBufferBytes = 256 * 1024;

} // namespace

DestroyReportWriter::DestroyReportWriter(QString path)
    : m_path(std::move(path))
    , m_file(m_path)
{ }

DestroyReportWriter::~DestroyReportWriter()
{
    if (m_file.isOpen()) {
        writeHeader(); // a report without a summary: the run did not finish
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
    m_header = QJsonObject{
        {QStringLiteral("report"), QStringLiteral("destroy-all")},
        {QStringLiteral("target"), target},
        {QStringLiteral("dry_run"), dryRun},
        {QStringLiteral("started_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
        {QStringLiteral("tool"), tool.trimmed()}};
    return {};
}

void DestroyReportWriter::useIdSalt(const QByteArray &salt, const QString &auditLogPath)
{
    if (salt.isEmpty() || m_headerWritten)
        return;
    m_salt = salt;
    m_auditLogPath = auditLogPath;
}

void DestroyReportWriter::writeHeader()
{
    if (m_headerWritten)
        return;
    m_headerWritten = true;
    QJsonObject header = m_header;
    if (m_salt.isEmpty()) {
        // Not audited: a salt of the report's own, so that ids are still not readable from it.
        m_salt.resize(32);
        QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(m_salt.data()), 8);
        header.insert(QStringLiteral("id_hash"),
                      QStringLiteral("HMAC-SHA256 of each session id keyed with id_salt"));
        header.insert(QStringLiteral("id_salt"), QString::fromLatin1(m_salt.toHex()));
    } else {
        header.insert(QStringLiteral("id_hash"),
                      QStringLiteral("HMAC-SHA256 of each session id keyed with the audit log's "
                                     "salt, as in its records"));
        header.insert(QStringLiteral("audit_log"), m_auditLogPath);
    }
    m_mac = std::make_unique<IdMac>(m_salt);
    m_buffer.prepend(QJsonDocument(header).toJson(QJsonDocument::Compact) + '\n');
}

void DestroyReportWriter::sessionOutcome(const QByteArray &id, DestroyOutcome outcome)
{
    if (!m_file.isOpen())
        return;
    writeHeader();
    m_buffer.append("{\"id\":\"");
    m_buffer.append(m_mac->of(id).toHex());
    m_buffer.append("\",\"outcome\":\"");
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
    writeHeader();
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

Result<DestroyReport> destroyAllWithSessionReport(SessionStore &store, const QString &reportPath,
                                                  bool dryRun, const ProgressCallback &progress,
                                                  const CancelToken &cancel)
{
    if (!store.reportsSessionOutcomes()) {
        return fail(Code::InvalidArgument,
                    QStringLiteral("A per-session report is not available for %1: only Redis "
                                   "stores report each session's outcome. Nothing was destroyed.")
                        .arg(store.targetName()));
    }
    // Opened before anything is destroyed, so that a report that cannot be written stops the
    // run first.
    DestroyReportWriter writer(reportPath);
    if (auto started = writer.start(store.targetName(), dryRun); !started)
        return std::unexpected(started.error());
    store.setDestroyOutcomeSink(&writer);
    auto report = store.destroyAll(dryRun, progress, cancel);
    store.setDestroyOutcomeSink(nullptr);
    if (!report)
        return report;
    report->sessionReportPath = reportPath;
    if (auto finished = writer.finish(*report); !finished)
        report->sessionReportError = finished.error().message;
    report->sessionReportLines = writer.sessionLines();
    return report;
}

} // namespace SessionDesk
