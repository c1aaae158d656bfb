#pragma once

#include "redisserver.h"

#include <QList>
#include <QString>

#include <memory>

namespace SessionDesk::Test {

// TLS for every process of a Sentinel or Cluster set-up: servers, replication, the cluster bus
// and the sentinels' links all use this certificate (from TlsMaterial).
struct HaTls
{
    QString certFile;
    QString keyFile;
    QString caFile;
    bool enabled() const { return !certFile.isEmpty(); }
};

// A Sentinel set-up on free 127.0.0.1 ports: data node 0 starts as master, data node 1 as its
// replica, and three sentinels (redis-server --sentinel) monitor the master under one name.
// start() returns once the replica has synchronised and every sentinel has found the replica,
// so that a failover can be forced at once; it waits on the servers' log lines, never on time.
class SentinelSetup
{
public:
    struct Options
    {
        QString masterName = QStringLiteral("mymaster");
        QStringList dataConfigLines; // for both data nodes, e.g. "appendonly yes"
        QString dataPassword; // requirepass on the data nodes (masterauth, sentinel auth-pass)
        QString sentinelPassword; // requirepass on the sentinels
        HaTls tls;
        // Wait until the sentinels know each other, which an automatic failover (a quorum of
        // two agreeing that the master is down) needs; a forced one does not.
        bool waitForQuorum = false;
    };

    SentinelSetup() = default;
    ~SentinelSetup() { stop(); }

    bool start(const Options &options);
    bool start() { return start(Options()); }
    void stop();
    QString errorString() const { return m_error; }

    RedisServer &data(int index) { return *m_data.at(index); }
    RedisServer &sentinel(int index) { return *m_sentinels.at(index); }
    // redis-sentinel://127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3/NAME (rediss-sentinel with TLS).
    QString url() const;
    // The index of the data node the sentinels name as master now, or -1.
    int masterIndex();
    // SENTINEL FAILOVER through sentinel 0; returns once every sentinel has logged the switch
    // to the other data node. False (and errorString()) when that does not happen.
    bool failover();
    // Waits until every sentinel has logged `count` master switches in all (e.g. after the
    // master was killed and the sentinels failed over on their own).
    bool waitForSwitches(int count);

private:
    QStringList sentinelCommand(const QStringList &command) const;
    // Whether sentinel `sentinel` has read the replica's own INFO lately.
    bool replicaInfoRead(int sentinel);
    Options m_options;
    QList<std::shared_ptr<RedisServer>> m_data;
    QList<std::shared_ptr<RedisServer>> m_sentinels;
    QString m_error;
};

// A Redis Cluster of `masters` masters on free 127.0.0.1 ports, each with an explicit
// --cluster-port, every slot assigned in even ranges, and optionally a replica of master 0 (the
// last node). start() returns when every node has logged "Cluster state changed: ok" and the
// replica has synchronised.
class RedisCluster
{
public:
    struct Options
    {
        int masters = 3;
        QStringList configLines;
        HaTls tls;
        // Each node announces a port where nothing listens instead of its own, as a node behind
        // NAT would; clients need --cluster-host-map to reach it (see announcedPort()).
        bool announceUnreachablePorts = false;
        // One more node, a replica of node 0 (index `masters`), for failovers.
        bool replicaOfFirst = false;
    };

    RedisCluster() = default;
    ~RedisCluster() { stop(); }

    bool start(const Options &options);
    bool start() { return start(Options()); }
    void stop();
    QString errorString() const { return m_error; }

    int size() const { return int(m_nodes.size()); }
    RedisServer &node(int index) { return *m_nodes.at(index); }
    QByteArray nodeId(int index);
    quint16 announcedPort(int index) const { return m_announced.at(index); }
    // redis-cluster://127.0.0.1:P0[,...] naming the first `seeds` nodes by their real ports.
    QString url(int seeds = 1) const;
    // The index of the node that owns each slot now (-1: none), as node `askIndex` sees it.
    QList<int> slotOwners(int askIndex = 0);
    int ownerOfSlot(int slot, int askIndex = 0) { return slotOwners(askIndex).value(slot, -1); }
    // Moves `slot` to node `to` on every node (CLUSTER SETSLOT slot NODE id), ending a migration.
    bool assignSlot(int slot, int to);
    // CLUSTER FAILOVER TAKEOVER on node `replica` (of node 0), which must be in sync with its
    // master (the caller has nothing in flight to it); returns once the replica is master,
    // every node's map says so, and the old master follows it, in sync.
    bool failover(int replica);

private:
    Options m_options;
    QList<std::shared_ptr<RedisServer>> m_nodes;
    QList<quint16> m_announced;
    QString m_error;
};

} // namespace SessionDesk::Test
