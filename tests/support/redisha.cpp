#include "redisha.h"

#include <QSet>
#include <QTest>

namespace SessionDesk::Test {

namespace {

// Ports that were free a moment ago and differ from each other.
QList<quint16> distinctFreePorts(int count)
{
    QList<quint16> ports;
    for (int guard = 0; ports.size() < count && guard < count * 20; ++guard) {
        const quint16 port = freeLoopbackPort();
        if (port != 0 && !ports.contains(port))
            ports.append(port);
    }
    return ports;
}

RedisServer::Options serverOptions(const HaTls &tls, quint16 port, const QStringList &lines)
{
    RedisServer::Options options;
    options.port = port;
    options.configLines = lines;
    if (tls.enabled()) {
        options.tlsCertFile = tls.certFile;
        options.tlsKeyFile = tls.keyFile;
        options.tlsCaFile = tls.caFile;
        // Replication, the cluster bus and the sentinels' links go over TLS as well, each
        // server presenting its own certificate as a client.
        options.configLines << QStringLiteral("tls-replication yes")
                            << QStringLiteral("tls-client-cert-file ") + tls.certFile
                            << QStringLiteral("tls-client-key-file ") + tls.keyFile;
    }
    return options;
}

} // namespace

// ---- SentinelSetup ------------------------------------------------------------------------

bool SentinelSetup::start(const Options &options)
{
    stop();
    m_options = options;
    const QList<quint16> ports = distinctFreePorts(5);
    if (ports.size() < 5) {
        m_error = QStringLiteral("no free loopback ports");
        return false;
    }
    QStringList dataLines = options.dataConfigLines;
    // Without this the master waits 5 s before it sends a replica its first snapshot.
    dataLines << QStringLiteral("repl-diskless-sync-delay 0");
    if (!options.dataPassword.isEmpty()) {
        dataLines << QStringLiteral("requirepass ") + options.dataPassword
                  << QStringLiteral("masterauth ") + options.dataPassword;
    }
    for (int i = 0; i < 2; ++i) {
        QStringList lines = dataLines;
        if (i == 1)
            lines << QStringLiteral("replicaof 127.0.0.1 %1").arg(ports.at(0));
        auto server = std::make_shared<RedisServer>();
        if (!server->start(serverOptions(options.tls, ports.at(i), lines))) {
            m_error = QStringLiteral("data node %1: %2").arg(i).arg(server->errorString());
            return false;
        }
        m_data.append(server);
    }
    if (!m_data.at(1)->waitForLog("MASTER <-> REPLICA sync: Finished with success")) {
        m_error = QStringLiteral("the replica did not synchronise: %1")
                      .arg(QString::fromUtf8(m_data.at(1)->log().right(600)));
        return false;
    }

    const QString name = options.masterName;
    for (int i = 0; i < 3; ++i) {
        QStringList lines = {
            QStringLiteral("sentinel monitor %1 127.0.0.1 %2 2").arg(name).arg(ports.at(0)),
            QStringLiteral("sentinel down-after-milliseconds %1 1000").arg(name),
            QStringLiteral("sentinel failover-timeout %1 10000").arg(name),
        };
        if (!options.dataPassword.isEmpty())
            lines << QStringLiteral("sentinel auth-pass %1 %2").arg(name, options.dataPassword);
        if (!options.sentinelPassword.isEmpty())
            lines << QStringLiteral("requirepass ") + options.sentinelPassword
                  << QStringLiteral("sentinel sentinel-pass ") + options.sentinelPassword;
        RedisServer::Options sentinelOptions = serverOptions(options.tls, ports.at(2 + i), lines);
        sentinelOptions.arguments = {QStringLiteral("--sentinel")};
        sentinelOptions.readyLine = "+monitor master";
        auto server = std::make_shared<RedisServer>();
        if (!server->start(sentinelOptions)) {
            m_error = QStringLiteral("sentinel %1: %2").arg(i).arg(server->errorString());
            return false;
        }
        m_sentinels.append(server);
    }
    // A failover needs the sentinel to know the replica (it reads it from the master's INFO).
    const QByteArray replica = "+slave slave 127.0.0.1:" + QByteArray::number(ports.at(1));
    for (int i = 0; i < 3; ++i) {
        if (!m_sentinels.at(i)->waitForLog(replica)) {
            m_error = QStringLiteral("sentinel %1 did not find the replica: %2")
                          .arg(i)
                          .arg(QString::fromUtf8(m_sentinels.at(i)->log().right(600)));
            return false;
        }
        if (options.waitForQuorum && !m_sentinels.at(i)->waitForLog("+sentinel sentinel", 2)) {
            m_error = QStringLiteral("sentinel %1 did not meet the others").arg(i);
            return false;
        }
    }
    // "+slave" comes from the master's INFO; a sentinel promotes only a replica whose own INFO
    // it has read (else SENTINEL FAILOVER answers NOGOODSLAVE). Nothing is logged when that
    // happens, so its SENTINEL REPLICAS view is polled until it has (Redis reads a replica's
    // INFO every 10 s at the latest).
    for (int i = 0; i < 3; ++i) {
        if (!QTest::qWaitFor([&] { return replicaInfoRead(i); }, 15000)) {
            m_error = QStringLiteral("sentinel %1 never read the replica's INFO").arg(i);
            return false;
        }
    }
    return true;
}

QStringList SentinelSetup::sentinelCommand(const QStringList &command) const
{
    if (m_options.sentinelPassword.isEmpty())
        return command;
    return QStringList{QStringLiteral("--no-auth-warning"), QStringLiteral("-a"),
                       m_options.sentinelPassword}
    + command;
}

bool SentinelSetup::replicaInfoRead(int sentinel)
{
    // redis-cli prints the replica's fields as alternating name and value lines.
    const QList<QByteArray> lines =
        m_sentinels.at(sentinel)
            ->cli(sentinelCommand(
                {QStringLiteral("SENTINEL"), QStringLiteral("REPLICAS"), m_options.masterName}))
            .split('\n');
    const qsizetype at = lines.indexOf("info-refresh");
    if (at < 0 || at + 1 >= lines.size())
        return false;
    bool ok = false;
    const qint64 sinceRefresh = lines.at(at + 1).trimmed().toLongLong(&ok);
    return ok && sinceRefresh < 10000; // a replica never read shows the whole epoch here
}

void SentinelSetup::stop()
{
    for (auto &sentinel : m_sentinels)
        sentinel->stop();
    for (auto &server : m_data)
        server->stop();
    m_sentinels.clear();
    m_data.clear();
}

QString SentinelSetup::url() const
{
    QStringList hosts;
    for (const auto &sentinel : m_sentinels)
        hosts << QStringLiteral("127.0.0.1:%1").arg(sentinel->port());
    return QStringLiteral("%1://%2/%3")
        .arg(m_options.tls.enabled() ? u"rediss-sentinel" : u"redis-sentinel", hosts.join(u','),
             m_options.masterName);
}

int SentinelSetup::masterIndex()
{
    const QStringList args =
        sentinelCommand({QStringLiteral("SENTINEL"), QStringLiteral("GET-MASTER-ADDR-BY-NAME"),
                         m_options.masterName});
    const QList<QByteArray> lines = m_sentinels.at(0)->cli(args).trimmed().split('\n');
    const quint16 port = lines.size() == 2 ? quint16(lines.at(1).trimmed().toUInt()) : 0;
    for (int i = 0; i < m_data.size(); ++i) {
        if (m_data.at(i)->port() == port)
            return i;
    }
    return -1;
}

bool SentinelSetup::failover()
{
    const int before = masterIndex();
    QList<int> switches;
    for (auto &sentinel : m_sentinels)
        switches.append(int(sentinel->log().count("+switch-master")));
    const QStringList args = sentinelCommand(
        {QStringLiteral("SENTINEL"), QStringLiteral("FAILOVER"), m_options.masterName});
    // A sentinel now and then answers NOGOODSLAVE for a replica that is in sync, linked and
    // read a moment ago (on a 2-core VM, in about half the runs, with older code as well);
    // asked again, it promotes it.
    QByteArray answer;
    const bool answered = QTest::qWaitFor(
        [&] {
            answer = m_sentinels.at(0)->cli(args).trimmed();
            return !answer.startsWith("NOGOODSLAVE");
        },
        15000);
    if (!answered || answer != "OK") {
        m_error = QStringLiteral("SENTINEL FAILOVER answered %1").arg(QString::fromUtf8(answer));
        return false;
    }
    // Sentinel 0 switches when the replica is promoted; the others learn it from its hello
    // messages. Every one of them must name the new master before the test goes on.
    for (int i = 0; i < m_sentinels.size(); ++i) {
        if (!m_sentinels.at(i)->waitForLog("+switch-master", switches.at(i) + 1, 30000)) {
            m_error = QStringLiteral("sentinel %1 did not switch masters: %2")
                          .arg(i)
                          .arg(QString::fromUtf8(m_sentinels.at(i)->log().right(800)));
            return false;
        }
    }
    const int after = masterIndex();
    if (after < 0 || after == before) {
        m_error = QStringLiteral("the sentinels still name data node %1").arg(after);
        return false;
    }
    return true;
}

bool SentinelSetup::waitForSwitches(int count)
{
    for (int i = 0; i < m_sentinels.size(); ++i) {
        if (!m_sentinels.at(i)->waitForLog("+switch-master", count, 30000)) {
            m_error = QStringLiteral("sentinel %1 did not log %2 master switches: %3")
                          .arg(i)
                          .arg(count)
                          .arg(QString::fromUtf8(m_sentinels.at(i)->log().right(800)));
            return false;
        }
    }
    return true;
}

// ---- RedisCluster -------------------------------------------------------------------------

bool RedisCluster::start(const Options &options)
{
    stop();
    m_options = options;
    const int masters = options.masters;
    const int count = masters + (options.replicaOfFirst ? 1 : 0);
    // Per node: its port, its bus port, and (when announcing) a port where nothing listens.
    const QList<quint16> ports = distinctFreePorts(count * 3);
    if (ports.size() < count * 3) {
        m_error = QStringLiteral("no free loopback ports");
        return false;
    }
    for (int i = 0; i < count; ++i) {
        const quint16 port = ports.at(i);
        const quint16 bus = ports.at(count + i);
        const quint16 announced = options.announceUnreachablePorts ? ports.at(2 * count + i) : port;
        QStringList lines = options.configLines;
        lines << QStringLiteral("cluster-enabled yes")
              << QStringLiteral("cluster-config-file nodes.conf")
              << QStringLiteral("cluster-node-timeout 2000")
              << QStringLiteral("cluster-port %1").arg(bus)
              << QStringLiteral("repl-diskless-sync-delay 0"); // else a replica waits 5 s
        if (options.tls.enabled())
            lines << QStringLiteral("tls-cluster yes");
        if (options.announceUnreachablePorts) {
            lines << QStringLiteral("cluster-announce-bus-port %1").arg(bus)
                  << (options.tls.enabled()
                          ? QStringLiteral("cluster-announce-tls-port %1").arg(announced)
                          : QStringLiteral("cluster-announce-port %1").arg(announced));
        }
        auto server = std::make_shared<RedisServer>();
        if (!server->start(serverOptions(options.tls, port, lines))) {
            m_error = QStringLiteral("cluster node %1: %2").arg(i).arg(server->errorString());
            return false;
        }
        m_nodes.append(server);
        m_announced.append(announced);
    }
    for (int i = 0; i < masters; ++i) {
        const int first = i * 16384 / masters;
        const int last = (i + 1) * 16384 / masters - 1;
        const QByteArray added =
            node(i).cli({QStringLiteral("CLUSTER"), QStringLiteral("ADDSLOTSRANGE"),
                         QString::number(first), QString::number(last)});
        if (added.trimmed() != "OK") {
            m_error =
                QStringLiteral("ADDSLOTSRANGE on node %1: %2").arg(i).arg(QString::fromUtf8(added));
            return false;
        }
    }
    for (int i = 1; i < count; ++i) {
        const QByteArray met = node(0).cli(
            {QStringLiteral("CLUSTER"), QStringLiteral("MEET"), QStringLiteral("127.0.0.1"),
             QString::number(ports.at(i)), QString::number(ports.at(count + i))});
        if (met.trimmed() != "OK") {
            m_error =
                QStringLiteral("CLUSTER MEET of node %1: %2").arg(i).arg(QString::fromUtf8(met));
            return false;
        }
    }
    if (options.replicaOfFirst) {
        // The replica must have learnt of node 0 through the bus before it can follow it.
        const QByteArray masterId = nodeId(0);
        RedisServer &replica = node(masters);
        const bool known = QTest::qWaitFor(
            [&] {
                return replica.cli({QStringLiteral("CLUSTER"), QStringLiteral("NODES")})
                    .contains(masterId);
            },
            30000);
        const QByteArray following = known
            ? replica.cli({QStringLiteral("CLUSTER"), QStringLiteral("REPLICATE"),
                           QString::fromUtf8(masterId)})
            : QByteArray("node 0 unknown to the replica");
        if (following.trimmed() != "OK") {
            m_error = QStringLiteral("CLUSTER REPLICATE: %1").arg(QString::fromUtf8(following));
            return false;
        }
        if (!replica.waitForLog("MASTER <-> REPLICA sync: Finished with success", 1, 30000)) {
            m_error = QStringLiteral("the replica never synchronised: %1")
                          .arg(QString::fromUtf8(replica.log().right(800)));
            return false;
        }
    }
    for (int i = 0; i < count; ++i) {
        if (!node(i).waitForLog("Cluster state changed: ok", 1, 30000)) {
            m_error = QStringLiteral("cluster node %1 never reached state ok: %2")
                          .arg(i)
                          .arg(QString::fromUtf8(node(i).log().right(800)));
            return false;
        }
    }
    return true;
}

bool RedisCluster::failover(int replica)
{
    // TAKEOVER: no election. The other masters vote for a replica of a given master only once
    // in two node timeouts, which made back-to-back failovers time out now and then.
    const QByteArray answer = node(replica).cli(
        {QStringLiteral("CLUSTER"), QStringLiteral("FAILOVER"), QStringLiteral("TAKEOVER")});
    if (answer.trimmed() != "OK") {
        m_error = QStringLiteral("CLUSTER FAILOVER: %1").arg(QString::fromUtf8(answer));
        return false;
    }
    const auto role = [&] { return node(replica).cli({QStringLiteral("ROLE")}); };
    if (!QTest::qWaitFor([&] { return role().startsWith("master"); }, 30000)) {
        m_error = QStringLiteral("the replica never took over: %1").arg(QString::fromUtf8(role()));
        return false;
    }
    // Every node alive knows the new owner of the pair's slots (node 0's range starts at 0),
    // so that tests route by any node's map.
    for (int i = 0; i < m_nodes.size(); ++i) {
        if (!node(i).isRunning())
            continue;
        if (!QTest::qWaitFor([&] { return ownerOfSlot(0, i) == replica; }, 30000)) {
            m_error = QStringLiteral("node %1 never learnt of the failover").arg(i);
            return false;
        }
    }
    // Ready for the next failover: the old master follows the new one and is in sync.
    const bool followed = QTest::qWaitFor(
        [&] {
            const QByteArray info =
                node(replica).cli({QStringLiteral("INFO"), QStringLiteral("replication")});
            return info.contains("slave0:") && info.contains("state=online");
        },
        30000);
    if (!followed) {
        m_error = QStringLiteral("the old master never followed the new one: %1")
                      .arg(QString::fromUtf8(node(replica).cli(
                          {QStringLiteral("INFO"), QStringLiteral("replication")})));
        return false;
    }
    return true;
}

void RedisCluster::stop()
{
    for (auto &server : m_nodes)
        server->stop();
    m_nodes.clear();
    m_announced.clear();
}

QByteArray RedisCluster::nodeId(int index)
{
    return node(index).cli({QStringLiteral("CLUSTER"), QStringLiteral("MYID")}).trimmed();
}

QString RedisCluster::url(int seeds) const
{
    QStringList hosts;
    for (int i = 0; i < seeds && i < m_nodes.size(); ++i)
        hosts << QStringLiteral("127.0.0.1:%1").arg(m_nodes.at(i)->port());
    return QStringLiteral("%1://%2").arg(
        m_options.tls.enabled() ? u"rediss-cluster" : u"redis-cluster", hosts.join(u','));
}

QList<int> RedisCluster::slotOwners(int askIndex)
{
    QList<QByteArray> ids;
    for (int i = 0; i < m_nodes.size(); ++i)
        ids.append(nodeId(i));
    QList<int> owners(16384, -1);
    // CLUSTER NODES: "<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slots>"
    const QByteArray nodes =
        node(askIndex).cli({QStringLiteral("CLUSTER"), QStringLiteral("NODES")});
    for (const QByteArray &line : nodes.split('\n')) {
        const QList<QByteArray> fields = line.trimmed().split(' ');
        if (fields.size() < 9 || !fields.at(2).contains("master"))
            continue;
        const int index = int(ids.indexOf(fields.at(0)));
        for (qsizetype f = 8; f < fields.size(); ++f) {
            if (fields.at(f).startsWith('['))
                continue; // a migration in progress, not ownership
            const QList<QByteArray> range = fields.at(f).split('-');
            const int first = range.at(0).toInt();
            const int last = range.size() > 1 ? range.at(1).toInt() : first;
            for (int slot = first; slot <= last && slot < 16384; ++slot)
                owners[slot] = index;
        }
    }
    return owners;
}

bool RedisCluster::assignSlot(int slot, int to)
{
    const QString id = QString::fromUtf8(nodeId(to));
    // The new owner first, so that it never redirects back to a node that no longer has it.
    QList<int> order{to};
    for (int i = 0; i < m_nodes.size(); ++i) {
        if (i != to)
            order.append(i);
    }
    for (const int i : order) {
        const QByteArray answer = node(i).cli({QStringLiteral("CLUSTER"), QStringLiteral("SETSLOT"),
                                               QString::number(slot), QStringLiteral("NODE"), id});
        if (answer.trimmed() != "OK") {
            m_error = QStringLiteral("SETSLOT %1 NODE on node %2: %3")
                          .arg(slot)
                          .arg(i)
                          .arg(QString::fromUtf8(answer));
            return false;
        }
    }
    return true;
}

} // namespace SessionDesk::Test
