#pragma once

#include <QString>

#include <expected>

namespace SessionDesk {

// One failure, told to the user as one sentence. `message` names what failed (host:port, key,
// table) and the cause; it never contains a secret.
struct StorageError
{
    enum class Code {
        InvalidArgument, // bad URL, option or id: a usage problem
        Unreachable, // connect refused, host not found, network down
        Timeout, // connect or command took longer than allowed
        Tls, // handshake or certificate verification failed
        Authentication, // wrong password or unknown user
        Permission, // ACL denied a command or key
        Protocol, // the peer spoke something we cannot parse
        Server, // the server answered with an error
        NotFound, // the session or user does not exist
        Refused, // read-only mode or a confirmation mismatch
        Cancelled, // the operator cancelled a long job
    };

    Code code = Code::Server;
    QString message;
    QString serverCode; // the server's own error code when it gave one ("NOPERM", an AWS code)
    // Authentication or Permission from a sentinel: its own credentials (sentinel user and
    // password) were refused, not the data node's, so those are the ones to ask for again.
    bool sentinelCredentials = false;
};

template <typename T> using Result = std::expected<T, StorageError>;

inline std::unexpected<StorageError> fail(StorageError::Code code, const QString &message)
{
    return std::unexpected(StorageError{code, message, QString()});
}

} // namespace SessionDesk
