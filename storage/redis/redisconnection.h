#pragma once

#include "rediscommands.h"
#include "redisreply.h"
#include "storeconfig.h"

#include <QByteArray>
#include <QList>

#include <map>
#include <memory>
#include <optional>

class QSslSocket;

namespace SessionDesk::Redis {

// A blocking Redis client: commands are formatted and replies parsed by hiredis, bytes travel
// over a Qt socket so that TLS uses Qt Network's OpenSSL backend. Thread-confined: create, use
// and destroy it on one thread (a store's worker thread or the CLI's main thread); it needs no
// event loop. Not copyable.
//
// After a transport failure (timeout, closed socket, unparsable bytes) the connection is closed
// and the next call reconnects once before failing, so one dropped socket does not stick.
//
// A read-only connection (StoreConfig::readOnly, or setReadOnly(true)) refuses, before sending
// anything, every command that is not on the read list of isReadCommand(): defence in depth
// beside the store's own checks and the server's ACLs.
class Connection final
{
public:
    explicit Connection(StoreConfig config);
    ~Connection();
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    // Connects, handshakes TLS, AUTHs and SELECTs. Errors name host:port and the cause.
    Result<void> open();
    bool isOpen() const;
    void close();

    // One command. A Redis error reply comes back as a Reply of Type::Error, not as a failure.
    Result<Reply> command(const Command &argv);
    // Sends all commands before reading, and returns one reply per command in order.
    Result<QList<Reply>> pipeline(const QList<Command> &commands);

    // Commands sent by send() and not yet answered. Replies come back in the order the commands
    // were sent; reading past a ticket not yet received keeps its replies for its receive(), so
    // tickets may be received in any order and commands may run while others are in flight
    // (a ticket that is never received holds its replies until the connection closes).
    struct Ticket
    {
        quint64 generation = 0; // the server session the commands went to
        quint64 first = 0; // sequence number of the first command on that session
        qsizetype count = 0;
    };
    // Writes commands without waiting for their replies (opening the connection first when it
    // is closed), so that several servers, or the server and this client, work at once.
    Result<Ticket> send(const QList<Command> &commands);
    // The replies of a ticket, one per command in order. When the connection broke after the
    // ticket was sent, fails and lastFailureMayHaveRun() is true.
    Result<QList<Reply>> receive(const Ticket &ticket);
    // How long the last receive() waited on the socket: how long the server took beyond the
    // time this client spent elsewhere (a lower bound on its work for those commands).
    qint64 lastWaitMicroseconds() const { return m_lastWaitUs; }

    void setReadOnly(bool readOnly) { m_readOnly = readOnly; }
    // Refuse, before sending, any command the tool never needs (see isToolCommand()): the
    // router's connections are made this way, so no script, KEYS, blocking command or flush
    // can reach a server whatever a caller builds. Test fixtures keep their own connections
    // unrestricted.
    void setToolCommandsOnly(bool only) { m_toolCommandsOnly = only; }
    bool isReadOnly() const { return m_readOnly; }
    // Counts successful opens: a changed value means a new server session, on which a SCAN
    // cursor of the old one means nothing.
    quint64 generation() const { return m_generation; }
    // After a failed pipeline(): whether the commands may have reached the server (they were
    // sent, or partly sent, before the connection broke or timed out).
    bool lastFailureMayHaveRun() const { return m_failedAfterSend; }

    const StoreConfig &config() const { return m_config; }
    // Set when TLS verification was switched off by the operator.
    bool tlsVerificationDisabled() const { return m_config.tls.enabled && m_config.tls.insecure; }

private:
    Result<void> connectSocket();
    Result<void> handshake();
    Result<QList<Reply>> exchange(const QList<Command> &commands);
    Result<void> write(const QList<Command> &commands);
    // Reads replies until reply number `upTo` (exclusive) has come; those from number
    // `keepFrom` on are appended to `out`, earlier ones are kept for their ticket when one is
    // outstanding and dropped otherwise.
    Result<void> read(quint64 upTo, quint64 keepFrom, QList<Reply> *out);
    void keepForTicket(quint64 number, Reply &&reply);
    void closeAfter(const StorageError &cause);
    StorageError transportError(const QString &what) const;

    struct ReaderDeleter
    {
        void operator()(void *reader) const;
    };

    StoreConfig m_config;
    bool m_readOnly = false;
    bool m_toolCommandsOnly = false;
    quint64 m_generation = 0;
    bool m_failedAfterSend = false;
    // Commands sent and replies read on the current server session (reset by open()).
    quint64 m_sent = 0;
    quint64 m_read = 0;
    // Tickets sent and not yet received (first command's number -> count), and the replies
    // already read for them: both of the current server session.
    std::map<quint64, qsizetype> m_outstanding;
    std::map<quint64, QList<Reply>> m_readAhead;
    qint64 m_lastWaitUs = 0;
    // Why the last server session ended, for tickets that outlived it.
    std::optional<StorageError> m_lostCause;
    QByteArray m_request; // reused between writes
    std::unique_ptr<QSslSocket> m_socket;
    std::unique_ptr<void, ReaderDeleter> m_reader;
};

// Maps a Redis error reply to a StorageError naming the endpoint and the server's own words.
StorageError errorFromReply(const Reply &reply, const QString &endpoint, const QString &what);

} // namespace SessionDesk::Redis
