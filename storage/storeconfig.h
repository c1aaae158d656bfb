#pragma once

#include "storageerror.h"

#include <QString>

namespace SessionDesk {

// TLS settings for a Redis connection. Verification against the system trust store (or caFile)
// with host-name checking is the default; `insecure` turns verification off and callers must
// warn the operator loudly when it is set.
struct TlsOptions
{
    bool enabled = false;
    QString caFile; // PEM bundle that replaces the system trust store when set
    QString certFile; // client certificate (PEM)
    QString keyFile; // client private key (PEM, unencrypted)
    QString serverName; // name to verify and send as SNI instead of the host
    bool insecure = false;
};

// Where a store is and how to reach it. Holds the password in memory only: nothing here is
// ever written to settings or logs (see redactedUrl()).
// Where a DynamoDB table is: dynamodb://TABLE[?region=R&profile=P&endpoint=URL&index=NAME].
struct DynamoTarget
{
    QString table;
    QString region; // empty: AWS_REGION, AWS_DEFAULT_REGION, then the profile's config
    QString profile; // empty: AWS_PROFILE, then "default"
    QString endpoint; // empty: https://dynamodb.REGION.amazonaws.com
    QString index; // per-user GSI overriding the layout's
};

struct StoreConfig
{
    enum class Kind { Redis, DynamoDB };

    Kind kind = Kind::Redis;
    DynamoTarget dynamo;
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 6379;
    int database = 0;
    QString username; // ACL user; empty means the default user
    QString password;
    TlsOptions tls;
    int connectTimeoutMs = 5000;
    int commandTimeoutMs = 30000;
    bool readOnly = false;

    // Parses redis://[user[:password]@]host[:port][/db], rediss://... (TLS on) and
    // dynamodb://TABLE[?region=R&profile=P&endpoint=URL&index=NAME].
    // Percent-encoded user and password are decoded. IPv6 hosts go in brackets.
    static Result<StoreConfig> fromUrl(const QString &url);

    // "host:port/db", the name an operator must type to confirm destroying everything.
    QString targetName() const;
    // "host:port", for error messages.
    QString endpoint() const;
    // The URL without the password, safe to show and store.
    QString redactedUrl() const;
};

} // namespace SessionDesk
