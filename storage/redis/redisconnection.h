#pragma once

#include "rediscommands.h"
#include "redisreply.h"
#include "storeconfig.h"

#include <QByteArray>
#include <QList>

#include <memory>

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

    void setReadOnly(bool readOnly) { m_readOnly = readOnly; }
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
    StorageError transportError(const QString &what) const;

    struct ReaderDeleter
    {
        void operator()(void *reader) const;
    };

    StoreConfig m_config;
    bool m_readOnly = false;
    quint64 m_generation = 0;
    bool m_failedAfterSend = false;
    std::unique_ptr<QSslSocket> m_socket;
    std::unique_ptr<void, ReaderDeleter> m_reader;
};

// Maps a Redis error reply to a StorageError naming the endpoint and the server's own words.
StorageError errorFromReply(const Reply &reply, const QString &endpoint, const QString &what);

} // namespace SessionDesk::Redis
