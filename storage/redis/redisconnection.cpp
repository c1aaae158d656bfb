#include "redisconnection.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslSocket>

#include <hiredis/hiredis.h>

#include <QElapsedTimer>

#include <cstdlib>
#include <new>

namespace SessionDesk::Redis {

namespace {

using Code = StorageError::Code;

// hiredis builds our Reply values directly (no redisReply in between): an array's elements are
// made in place in the parent's list, which is sized when the array starts and never grows.
Reply *replySlot(const redisReadTask *task)
{
    if (!task->parent)
        return new (std::nothrow) Reply;
    auto *parent = static_cast<Reply *>(task->parent->obj);
    return &parent->elements[task->idx];
}

void *createString(const redisReadTask *task, char *str, size_t len)
{
    Reply *reply = replySlot(task);
    if (!reply)
        return nullptr;
    reply->type = task->type == REDIS_REPLY_ERROR ? Reply::Type::Error
        : task->type == REDIS_REPLY_STATUS        ? Reply::Type::Status
                                                  : Reply::Type::String;
    reply->string = QByteArray(str, qsizetype(len));
    return reply;
}

void *createArray(const redisReadTask *task, int elements)
{
    Reply *reply = replySlot(task);
    if (!reply)
        return nullptr;
    reply->type = Reply::Type::Array;
    reply->elements.resize(elements);
    return reply;
}

void *createInteger(const redisReadTask *task, long long value)
{
    Reply *reply = replySlot(task);
    if (!reply)
        return nullptr;
    reply->type = Reply::Type::Integer;
    reply->integer = value;
    return reply;
}

void *createNil(const redisReadTask *task)
{
    Reply *reply = replySlot(task);
    if (reply)
        reply->type = Reply::Type::Nil;
    return reply;
}

// Only a whole reply (the root) is ever freed; its elements live inside it.
void freeReply(void *reply)
{
    delete static_cast<Reply *>(reply);
}

redisReplyObjectFunctions kReplyFunctions = {createString, createArray, createInteger, createNil,
                                             freeReply};

// Appends the RESP encoding of argv to `out`, formatted by hiredis.
bool appendFormatted(QByteArray &out, const Command &argv)
{
    // Reused between calls: a pipeline formats thousands of commands.
    thread_local std::vector<const char *> ptrs;
    thread_local std::vector<size_t> lens;
    ptrs.clear();
    lens.clear();
    for (const QByteArray &arg : argv) {
        ptrs.push_back(arg.constData());
        lens.push_back(size_t(arg.size()));
    }
    // The sds variant writes the lengths with hiredis's own integer formatting; the plain one
    // calls sprintf for each, which was a tenth of the CPU of a million single-key UNLINKs.
    sds formatted = nullptr;
    const long long len =
        redisFormatSdsCommandArgv(&formatted, int(argv.size()), ptrs.data(), lens.data());
    if (len < 0 || !formatted)
        return false;
    out.append(formatted, qsizetype(len));
    redisFreeSdsCommand(formatted);
    return true;
}

QString socketErrorCause(const QSslSocket &socket)
{
    switch (socket.error()) {
    case QAbstractSocket::ConnectionRefusedError:
        return QStringLiteral("connection refused (is the server running on that port?)");
    case QAbstractSocket::HostNotFoundError:
        return QStringLiteral("host not found");
    case QAbstractSocket::SocketTimeoutError:
        return QStringLiteral("timed out");
    case QAbstractSocket::RemoteHostClosedError:
        return QStringLiteral("the server closed the connection");
    case QAbstractSocket::NetworkError:
        return QStringLiteral("network unreachable");
    default:
        return socket.errorString();
    }
}

Result<QSslKey> loadPrivateKey(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return fail(
            Code::InvalidArgument,
            QStringLiteral("TLS key file %1 cannot be read: %2.").arg(path, file.errorString()));
    }
    const QByteArray pem = file.readAll();
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        QSslKey key(pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            return key;
    }
    return fail(Code::InvalidArgument,
                QStringLiteral("TLS key file %1 holds no unencrypted PEM private key.").arg(path));
}

Result<QSslConfiguration> tlsConfiguration(const TlsOptions &tls)
{
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setProtocol(QSsl::TlsV1_2OrLater);
    if (!tls.caFile.isEmpty()) {
        const QList<QSslCertificate> cas = QSslCertificate::fromPath(tls.caFile, QSsl::Pem);
        if (cas.isEmpty()) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("TLS CA file %1 cannot be read or holds no PEM "
                                       "certificate.")
                            .arg(tls.caFile));
        }
        config.setCaCertificates(cas);
    }
    if (tls.certFile.isEmpty() != tls.keyFile.isEmpty()) {
        return fail(Code::InvalidArgument,
                    QStringLiteral("A TLS client certificate needs both --tls-cert and "
                                   "--tls-key."));
    }
    if (!tls.certFile.isEmpty()) {
        const QList<QSslCertificate> certs = QSslCertificate::fromPath(tls.certFile, QSsl::Pem);
        if (certs.isEmpty()) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("TLS certificate file %1 cannot be read or holds no PEM "
                                       "certificate.")
                            .arg(tls.certFile));
        }
        auto key = loadPrivateKey(tls.keyFile);
        if (!key)
            return std::unexpected(key.error());
        config.setLocalCertificateChain(certs);
        config.setPrivateKey(*key);
    }
    config.setPeerVerifyMode(tls.insecure ? QSslSocket::VerifyNone : QSslSocket::VerifyPeer);
    return config;
}

} // namespace

QByteArray Reply::errorCode() const
{
    if (type != Type::Error)
        return {};
    const qsizetype space = string.indexOf(' ');
    return space < 0 ? string : string.left(space);
}

StorageError errorFromReply(const Reply &reply, const QString &endpoint, const QString &what)
{
    const QByteArray code = reply.errorCode();
    const QString text = QString::fromUtf8(reply.string);
    StorageError::Code kind = Code::Server;
    if (code == "NOPERM")
        kind = Code::Permission;
    else if (code == "WRONGPASS" || code == "NOAUTH")
        kind = Code::Authentication;
    return StorageError{kind, QStringLiteral("%1 on %2 failed: %3").arg(what, endpoint, text),
                        QString::fromUtf8(code)};
}

void Connection::ReaderDeleter::operator()(void *reader) const
{
    redisReaderFree(static_cast<redisReader *>(reader));
}

Connection::Connection(StoreConfig config)
    : m_config(std::move(config))
    , m_readOnly(m_config.readOnly)
{ }

Connection::~Connection() = default;

bool Connection::isOpen() const
{
    return m_socket && m_socket->state() == QAbstractSocket::ConnectedState
        && (!m_config.tls.enabled || m_socket->isEncrypted());
}

void Connection::close()
{
    if (m_socket) {
        m_socket->abort();
        m_socket.reset();
    }
    m_reader.reset();
    m_outstanding.clear();
    m_readAhead.clear();
}

void Connection::closeAfter(const StorageError &cause)
{
    m_lostCause = cause;
    close();
}

StorageError Connection::transportError(const QString &what) const
{
    const QString cause = m_socket ? socketErrorCause(*m_socket) : QStringLiteral("not connected");
    const Code code = m_socket && m_socket->error() == QAbstractSocket::SocketTimeoutError
        ? Code::Timeout
        : Code::Unreachable;
    return StorageError{code, QStringLiteral("%1 %2: %3.").arg(what, m_config.endpoint(), cause),
                        QString()};
}

Result<void> Connection::connectSocket()
{
    close();
    m_socket = std::make_unique<QSslSocket>();
    m_reader.reset(redisReaderCreateWithFunctions(&kReplyFunctions));
    m_sent = m_read = 0;
    m_outstanding.clear();
    m_readAhead.clear();
    if (!m_reader)
        return fail(Code::Protocol, QStringLiteral("Out of memory creating a Redis reader."));

    if (!m_config.tls.enabled) {
        m_socket->connectToHost(m_config.host, m_config.port);
        if (!m_socket->waitForConnected(m_config.connectTimeoutMs)) {
            StorageError error = transportError(QStringLiteral("Cannot connect to"));
            close();
            return std::unexpected(error);
        }
        m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        return {};
    }

    if (!QSslSocket::supportsSsl()) {
        return fail(Code::Tls,
                    QStringLiteral("TLS is not available: Qt found no OpenSSL "
                                   "backend."));
    }
    auto tls = tlsConfiguration(m_config.tls);
    if (!tls)
        return std::unexpected(tls.error());
    m_socket->setSslConfiguration(*tls);
    const QString peerName =
        m_config.tls.serverName.isEmpty() ? m_config.host : m_config.tls.serverName;
    m_socket->connectToHostEncrypted(m_config.host, m_config.port, peerName);
    if (!m_socket->waitForEncrypted(m_config.connectTimeoutMs)) {
        const QList<QSslError> errors = m_socket->sslHandshakeErrors();
        StorageError error;
        if (!errors.isEmpty()) {
            QStringList causes;
            for (const QSslError &e : errors)
                causes << e.errorString();
            causes.removeDuplicates();
            error = {Code::Tls,
                     QStringLiteral("TLS verification of %1 (as \"%2\") failed: %3.")
                         .arg(m_config.endpoint(), peerName, causes.join(u"; ")),
                     QString()};
        } else if (m_socket->state() == QAbstractSocket::ConnectedState
                   || m_socket->error() == QAbstractSocket::SslHandshakeFailedError
                   || m_socket->error() == QAbstractSocket::RemoteHostClosedError) {
            error = {Code::Tls,
                     QStringLiteral("TLS handshake with %1 failed: %2.")
                         .arg(m_config.endpoint(), m_socket->errorString()),
                     QString()};
        } else {
            error = transportError(QStringLiteral("Cannot connect to"));
        }
        close();
        return std::unexpected(error);
    }
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    return {};
}

Result<void> Connection::handshake()
{
    QList<Command> commands;
    if (!m_config.password.isEmpty()) {
        if (m_config.username.isEmpty())
            commands.append({"AUTH", m_config.password.toUtf8()});
        else
            commands.append({"AUTH", m_config.username.toUtf8(), m_config.password.toUtf8()});
    }
    if (m_config.database != 0)
        commands.append({"SELECT", QByteArray::number(m_config.database)});
    // PING proves the server speaks Redis and that we are allowed in.
    commands.append({"PING"});
    auto replies = exchange(commands);
    if (!replies)
        return std::unexpected(replies.error());
    for (qsizetype i = 0; i < replies->size(); ++i) {
        const Reply &reply = replies->at(i);
        if (!reply.isError())
            continue;
        const QByteArray verb = commands.at(i).first();
        if (verb == "AUTH") {
            const QString who = m_config.username.isEmpty()
                ? QStringLiteral("the password")
                : QStringLiteral("user \"%1\"").arg(m_config.username);
            return fail(Code::Authentication,
                        QStringLiteral("Authentication to %1 with %2 failed: %3")
                            .arg(m_config.endpoint(), who, QString::fromUtf8(reply.string)));
        }
        if (reply.errorCode() == "NOAUTH") {
            return fail(Code::Authentication,
                        QStringLiteral("%1 requires a password: give one in the URL or in "
                                       "SESSIONDESK_PASSWORD.")
                            .arg(m_config.endpoint()));
        }
        return std::unexpected(
            errorFromReply(reply, m_config.endpoint(), QString::fromLatin1(verb)));
    }
    return {};
}

Result<void> Connection::open()
{
    auto connected = connectSocket();
    if (!connected)
        return connected;
    auto greeted = handshake();
    if (!greeted)
        close();
    else
        ++m_generation;
    return greeted;
}

Result<Reply> Connection::command(const Command &argv)
{
    auto replies = pipeline({argv});
    if (!replies)
        return std::unexpected(replies.error());
    return replies->first();
}

Result<QList<Reply>> Connection::pipeline(const QList<Command> &commands)
{
    auto ticket = send(commands);
    if (!ticket)
        return std::unexpected(ticket.error());
    return receive(*ticket);
}

Result<Connection::Ticket> Connection::send(const QList<Command> &commands)
{
    m_failedAfterSend = false;
    if (m_readOnly) {
        for (const Command &argv : commands) {
            if (isReadCommand(argv))
                continue;
            const QString name = QString::fromUtf8(commandName(argv));
            return fail(Code::Refused,
                        QStringLiteral("Refused to send %1 to %2: the connection is read-only and "
                                       "%1 is not on its list of reads.")
                            .arg(name, m_config.endpoint()));
        }
    }
    if (m_toolCommandsOnly) {
        for (const Command &argv : commands) {
            if (isToolCommand(argv))
                continue;
            return fail(Code::Refused,
                        QStringLiteral("Refused to send %1 to %2: SessionDesk never sends "
                                       "scripts, KEYS, blocking commands or flushes.")
                            .arg(QString::fromUtf8(commandName(argv)), m_config.endpoint()));
        }
    }
    if (!isOpen()) {
        auto opened = open();
        if (!opened)
            return std::unexpected(opened.error());
    }
    Ticket ticket{m_generation, m_sent, commands.size()};
    if (commands.isEmpty())
        return ticket;
    auto written = write(commands);
    if (!written) {
        m_failedAfterSend = written.error().code != Code::InvalidArgument;
        return std::unexpected(written.error());
    }
    m_outstanding.emplace(ticket.first, ticket.count);
    return ticket;
}

Result<QList<Reply>> Connection::receive(const Ticket &ticket)
{
    m_failedAfterSend = false;
    m_lastWaitUs = 0;
    QList<Reply> replies;
    if (ticket.count == 0)
        return replies;
    if (ticket.generation != m_generation || !m_socket) {
        // The server session these commands went to has ended: they may have run.
        m_failedAfterSend = true;
        if (m_lostCause)
            return std::unexpected(*m_lostCause);
        return fail(Code::Unreachable,
                    QStringLiteral("Lost the connection to %1.").arg(m_config.endpoint()));
    }
    const bool outstanding = m_outstanding.erase(ticket.first) > 0;
    if (ticket.first < m_read) {
        // Read ahead while other commands were answered: its replies so far were kept.
        auto kept = m_readAhead.find(ticket.first);
        const quint64 readSoFar = std::min(m_read, ticket.first + quint64(ticket.count));
        if (!outstanding || kept == m_readAhead.end()
            || quint64(kept->second.size()) != readSoFar - ticket.first) {
            return fail(Code::Protocol,
                        QStringLiteral("The replies of commands to %1 were read twice.")
                            .arg(m_config.endpoint()));
        }
        replies = std::move(kept->second);
        m_readAhead.erase(kept);
    } else {
        replies.reserve(ticket.count);
    }
    auto read = this->read(ticket.first + quint64(ticket.count), ticket.first, &replies);
    if (!read) {
        m_failedAfterSend = true;
        return std::unexpected(read.error());
    }
    return replies;
}

Result<QList<Reply>> Connection::exchange(const QList<Command> &commands)
{
    if (auto written = write(commands); !written)
        return std::unexpected(written.error());
    QList<Reply> replies;
    replies.reserve(commands.size());
    if (auto read = this->read(m_sent, m_sent - quint64(commands.size()), &replies); !read)
        return std::unexpected(read.error());
    return replies;
}

Result<void> Connection::write(const QList<Command> &commands)
{
    m_request.clear();
    for (const Command &argv : commands) {
        if (argv.isEmpty() || !appendFormatted(m_request, argv))
            return fail(Code::InvalidArgument, QStringLiteral("Cannot format a Redis command."));
    }
    if (m_socket->write(m_request) != m_request.size()) {
        StorageError error = transportError(QStringLiteral("Cannot send to"));
        closeAfter(error);
        return std::unexpected(error);
    }
    m_sent += quint64(commands.size());
    // Hand the bytes to the kernel now, so that the server starts while this thread goes on
    // (to other servers, or to its own work); what does not fit goes out while waiting.
    m_socket->flush();
    // A large request is not kept for the life of the connection.
    if (m_request.capacity() > (1 << 20))
        m_request = QByteArray();
    return {};
}

Result<void> Connection::read(quint64 upTo, quint64 keepFrom, QList<Reply> *out)
{
    auto *reader = static_cast<redisReader *>(m_reader.get());
    QElapsedTimer waited;
    // The timeout is an idle timeout: a large reply that keeps arriving is not cut off.
    while (m_read < upTo) {
        void *raw = nullptr;
        if (redisReaderGetReply(reader, &raw) != REDIS_OK) {
            const QString cause = QString::fromLatin1(reader->errstr);
            StorageError error{Code::Protocol,
                               QStringLiteral("%1 sent something that is not Redis "
                                              "protocol: %2.")
                                   .arg(m_config.endpoint(), cause),
                               QString()};
            closeAfter(error);
            return std::unexpected(error);
        }
        if (raw) {
            std::unique_ptr<Reply> reply(static_cast<Reply *>(raw));
            const quint64 number = m_read++;
            if (number >= keepFrom)
                out->append(std::move(*reply));
            else
                keepForTicket(number, std::move(*reply));
            continue;
        }
        if (m_socket->bytesAvailable() == 0) {
            waited.start();
            const bool ready = m_socket->waitForReadyRead(m_config.commandTimeoutMs);
            m_lastWaitUs += waited.nsecsElapsed() / 1000;
            if (!ready) {
                const bool timedOut = m_socket->error() == QAbstractSocket::SocketTimeoutError;
                StorageError error = timedOut
                    ? StorageError{Code::Timeout,
                                   QStringLiteral("%1 did not answer within %2 ms.")
                                       .arg(m_config.endpoint())
                                       .arg(m_config.commandTimeoutMs),
                                   QString()}
                    : transportError(QStringLiteral("Lost the connection to"));
                closeAfter(error);
                return std::unexpected(error);
            }
        }
        // hiredis 0.14 moves its unread buffer after every reply it returns, so feeding it
        // megabytes at once costs quadratic time: feed bounded chunks and drain in between.
        char chunk[16384];
        const qint64 got = m_socket->read(chunk, sizeof chunk);
        if (got < 0 || redisReaderFeed(reader, chunk, size_t(got)) != REDIS_OK) {
            StorageError error{
                Code::Protocol,
                QStringLiteral("Cannot parse the reply of %1.").arg(m_config.endpoint()),
                QString()};
            closeAfter(error);
            return std::unexpected(error);
        }
    }
    return {};
}

void Connection::keepForTicket(quint64 number, Reply &&reply)
{
    auto ticket = m_outstanding.upper_bound(number);
    if (ticket == m_outstanding.begin())
        return;
    --ticket;
    if (number < ticket->first + quint64(ticket->second))
        m_readAhead[ticket->first].append(std::move(reply));
}

} // namespace SessionDesk::Redis
