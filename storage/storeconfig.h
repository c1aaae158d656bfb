#pragma once

#include "storageerror.h"

#include <QList>
#include <QString>

#include <optional>

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

// One Redis node's address. IPv6 hosts are kept without brackets.
struct HostPort
{
    QString host;
    quint16 port = 0;

    // "host:port", with brackets around an IPv6 host.
    QString text() const;
    bool operator==(const HostPort &) const = default;
};

// A Redis Cluster node announces `announced` (host, or host and port); SessionDesk connects to
// `reachable` instead. A zero port matches any port (announced) or keeps the port (reachable).
struct HostMapping
{
    HostPort announced;
    HostPort reachable;

    // Parses "ANNOUNCED=REACHABLE", each side host or host:port ([v6]:port).
    static Result<HostMapping> parse(const QString &text);
    // `node` rewritten when this mapping applies to it.
    std::optional<HostPort> apply(const HostPort &node) const;
};

struct StoreConfig
{
    enum class Kind { Redis, DynamoDB };
    // How the Redis data nodes are found: one server, the master a set of sentinels names, or
    // the masters of a cluster's slot map.
    enum class RedisMode { Standalone, Sentinel, Cluster };

    Kind kind = Kind::Redis;
    RedisMode redisMode = RedisMode::Standalone;
    DynamoTarget dynamo;
    // Standalone: the server. Sentinel and Cluster: the first of `seeds`, for messages only.
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 6379;
    // Sentinel: the sentinels to ask. Cluster: the nodes to learn the slot map from.
    QList<HostPort> seeds;
    QString sentinelMaster; // the master's name in the sentinels' configuration
    // Sentinels may have their own ACL user and password (the URL's are the data nodes').
    QString sentinelUsername;
    QString sentinelPassword;
    QList<HostMapping> hostMap; // Cluster: addresses nodes announce that cannot be reached
    int database = 0;
    QString username; // ACL user; empty means the default user
    QString password;
    TlsOptions tls;
    int connectTimeoutMs = 5000;
    // Idle timeout of one command; also how long a long operation waits out a failover, a
    // loading server or a busy script before it gives up.
    int commandTimeoutMs = 30000;
    bool readOnly = false;
    // Redis: at most this many operations per second (a command naming several keys counts
    // once per key), to spare a production server; 0 for no limit.
    int maxOpsPerSecond = 0;

    // Parses redis://[user[:password]@]host[:port][/db], rediss://... (TLS on),
    // redis-sentinel://[user[:password]@]host[:port][,host[:port]...]/MASTER[/db],
    // redis-cluster://[user[:password]@]host[:port][,host[:port]...], their TLS forms
    // rediss-sentinel:// and rediss-cluster://, and
    // dynamodb://TABLE[?region=R&profile=P&endpoint=URL&index=NAME].
    // Percent-encoded user and password are decoded. IPv6 hosts go in brackets. Sentinel
    // ports default to 26379, others to 6379.
    static Result<StoreConfig> fromUrl(const QString &url);

    // The name an operator must type to confirm destroying everything: "host:port/db";
    // "sentinel:MASTER/db"; "cluster:host:port,host:port" (the seed nodes as given).
    QString targetName() const;
    // "host:port" (Sentinel and Cluster: the seed nodes, comma-separated), for messages.
    QString endpoint() const;
    // The URL without the password, safe to show and store.
    QString redactedUrl() const;
    // A standalone config for one node of a Sentinel or Cluster set-up: the same credentials,
    // TLS options and timeouts, pointed at `node`.
    StoreConfig forNode(const HostPort &node) const;
    // Where the sentinels are, as a standalone config using the sentinel credentials.
    StoreConfig forSentinel(const HostPort &sentinel) const;
};

} // namespace SessionDesk
