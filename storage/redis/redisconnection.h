#pragma once

#include "redisreply.h"
#include "storeconfig.h"

#include <QByteArray>
#include <QList>

#include <memory>

class QSslSocket;

namespace SessionDesk::Redis {

using Command = QList<QByteArray>;

// A blocking Redis client: commands are formatted and replies parsed by hiredis, bytes travel
// over a Qt socket so that TLS uses Qt Network's OpenSSL backend. Thread-confined: create, use
// and destroy it on one thread (a store's worker thread or the CLI's main thread); it needs no
// event loop. Not copyable.
//
// After a transport failure (timeout, closed socket, unparsable bytes) the connection is closed
// and the next call reconnects once before failing, so one dropped socket does not stick.
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
    std::unique_ptr<QSslSocket> m_socket;
    std::unique_ptr<void, ReaderDeleter> m_reader;
};

// Maps a Redis error reply to a StorageError naming the endpoint and the server's own words.
StorageError errorFromReply(const Reply &reply, const QString &endpoint, const QString &what);

} // namespace SessionDesk::Redis
