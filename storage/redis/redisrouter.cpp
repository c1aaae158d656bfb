#include "redisrouter.h"

#include <QHash>
#include <QMap>
#include <QThread>

#include <algorithm>

namespace SessionDesk::Redis {

namespace {

using Code = StorageError::Code;

// CLUSTER SHARDS answers with flat key/value arrays under RESP2.
QHash<QByteArray, Reply> fieldsOf(const Reply &flat)
{
    QHash<QByteArray, Reply> out;
    for (qsizetype i = 0; i + 1 < flat.elements.size(); i += 2)
        out.insert(flat.elements.at(i).string, flat.elements.at(i + 1));
    return out;
}

qint64 integerOf(const Reply &reply)
{
    return reply.type == Reply::Type::Integer ? reply.integer : reply.string.toLongLong();
}

Reply errorReply(const QByteArray &text)
{
    Reply reply;
    reply.type = Reply::Type::Error;
    reply.string = text;
    return reply;
}

// Causes joined into one sentence: "a; b; c".
QString joinCauses(QStringList causes)
{
    for (QString &cause : causes) {
        while (cause.endsWith(u'.'))
            cause.chop(1);
    }
    causes.removeDuplicates();
    return causes.join(QStringLiteral("; "));
}

} // namespace

Router::Router(StoreConfig config)
    : m_config(std::move(config))
    , m_readOnly(m_config.readOnly)
    , m_slotOwner(size_t(kSlotCount), nullptr)
{ }

Router::~Router() = default;

void Router::setReadOnly(bool readOnly)
{
    m_readOnly = readOnly;
    for (auto &[address, node] : m_nodes)
        node->connection->setReadOnly(readOnly);
}

Router::Node *Router::nodeFor(const HostPort &address)
{
    const QString key = address.text();
    auto &slot = m_nodes[key];
    if (!slot) {
        slot = std::make_unique<Node>();
        slot->address = address;
        slot->connection = std::make_unique<Connection>(m_config.forNode(address));
        slot->connection->setReadOnly(m_readOnly);
    }
    return slot.get();
}

HostPort Router::mapped(const HostPort &announced) const
{
    for (const HostMapping &mapping : m_config.hostMap) {
        if (auto reachable = mapping.apply(announced))
            return *reachable;
    }
    return announced;
}

void Router::setSingleMaster(Node *node)
{
    std::fill(m_slotOwner.begin(), m_slotOwner.end(), node);
    m_masters = {node};
    m_lastNode = node;
}

QList<int> Router::slotsOf(const Node *node) const
{
    QList<int> owned;
    for (int slot = 0; slot < kSlotCount; ++slot) {
        if (m_slotOwner[size_t(slot)] == node)
            owned.append(slot);
    }
    return owned;
}

int Router::lowestSlotOf(const Node *node) const
{
    const auto at = std::find(m_slotOwner.cbegin(), m_slotOwner.cend(), node);
    return at == m_slotOwner.cend() ? kSlotCount : int(at - m_slotOwner.cbegin());
}

Router::Node *Router::nextMasterAfter(int lowestSlot) const
{
    Node *next = nullptr;
    int best = kSlotCount;
    for (Node *master : m_masters) {
        const int lowest = lowestSlotOf(master);
        if (lowest > lowestSlot && lowest < best) {
            best = lowest;
            next = master;
        }
    }
    return next;
}

QString Router::endpoint() const
{
    return m_lastNode ? m_lastNode->address.text() : m_config.endpoint();
}

QList<HostPort> Router::masters() const
{
    QList<HostPort> out;
    for (const Node *master : m_masters)
        out.append(master->address);
    return out;
}

QString Router::modeDescription() const
{
    switch (m_config.redisMode) {
    case StoreConfig::RedisMode::Sentinel:
        return QStringLiteral("sentinel: master \"%1\" at %2")
            .arg(m_config.sentinelMaster,
                 m_masters.isEmpty() ? QStringLiteral("?") : m_masters.first()->address.text());
    case StoreConfig::RedisMode::Cluster:
        return QStringLiteral("cluster: %1 masters").arg(m_masters.size());
    case StoreConfig::RedisMode::Standalone:
        break;
    }
    return QStringLiteral("standalone");
}

Router::Fault Router::classify(const StorageError &error)
{
    switch (error.code) {
    case Code::Unreachable:
    case Code::Protocol:
        return Fault::Transport;
    case Code::Server:
        if (error.serverCode == u"LOADING" || error.serverCode == u"BUSY"
            || error.serverCode == u"MASTERDOWN" || error.serverCode == u"CLUSTERDOWN"
            || error.serverCode == u"TRYAGAIN")
            return Fault::Wait;
        if (error.serverCode == u"READONLY")
            return Fault::Resolve;
        return Fault::Fatal;
    default:
        return Fault::Fatal;
    }
}

Router::Fault Router::classify(const Reply &reply)
{
    const QByteArray code = reply.errorCode();
    if (code == "LOADING" || code == "BUSY" || code == "MASTERDOWN" || code == "CLUSTERDOWN"
        || code == "TRYAGAIN")
        return Fault::Wait;
    if (code == "READONLY")
        return Fault::Resolve;
    return Fault::None;
}

void Router::pause(int &delayMs, const QDeadlineTimer &deadline) const
{
    const qint64 remaining = deadline.remainingTime();
    QThread::msleep(ulong(std::clamp<qint64>(remaining, 0, delayMs)));
    delayMs = std::min(delayMs * 2, 500);
}

std::optional<HostPort> Router::redirectTarget(const Reply &reply, const Node *from) const
{
    // "MOVED 3999 127.0.0.1:6381"; an empty host means the node that answered; an IPv6 host
    // comes without brackets, so the port is after the last colon.
    const QList<QByteArray> words = reply.string.split(' ');
    if (words.size() < 3)
        return std::nullopt;
    const QByteArray &address = words.at(2);
    const qsizetype colon = address.lastIndexOf(':');
    bool ok = false;
    const uint port = address.mid(colon + 1).toUInt(&ok);
    if (colon < 0 || !ok || port == 0 || port > 65535)
        return std::nullopt;
    QString host = QString::fromUtf8(address.left(colon));
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    if (host.isEmpty() || host == u"?")
        return HostPort{from->address.host, quint16(port)};
    return mapped(HostPort{host, quint16(port)});
}

Result<void> Router::open()
{
    switch (m_config.redisMode) {
    case StoreConfig::RedisMode::Sentinel:
        return resolveSentinelMaster(QDeadlineTimer(m_config.commandTimeoutMs));
    case StoreConfig::RedisMode::Cluster:
        return refreshSlotMap(true);
    case StoreConfig::RedisMode::Standalone:
        break;
    }
    // A server still loading its data (or busy) is waited for; anything else is reported.
    Node *node = nodeFor(HostPort{m_config.host, m_config.port});
    const QDeadlineTimer deadline(m_config.commandTimeoutMs);
    int delay = 20;
    while (true) {
        auto opened = node->connection->open();
        if (opened || classify(opened.error()) != Fault::Wait || deadline.hasExpired()) {
            if (!opened)
                return opened;
            break;
        }
        pause(delay, deadline);
    }
    setSingleMaster(node);
    return {};
}

Result<void> Router::resolveSentinelMaster(const QDeadlineTimer &deadline)
{
    const QList<HostPort> &sentinels = m_config.seeds;
    const QByteArray name = m_config.sentinelMaster.toUtf8();
    const QString sentinelList = m_config.endpoint();
    int delay = 50;
    while (true) {
        QStringList causes;
        int unknown = 0;
        int unanswered = 0;
        const qsizetype start = std::max<qsizetype>(m_sentinelIndex, 0);
        for (qsizetype i = 0; i < sentinels.size(); ++i) {
            const qsizetype index = (start + i) % sentinels.size();
            const QString sentinel = sentinels.at(index).text();
            if (index != m_sentinelIndex || !m_sentinel) {
                m_sentinel =
                    std::make_unique<Connection>(m_config.forSentinel(sentinels.at(index)));
                m_sentinelIndex = index;
            }
            auto answer = m_sentinel->command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", name});
            if (!answer) {
                if (answer.error().code == Code::Authentication) {
                    return fail(Code::Authentication,
                                QStringLiteral("Sentinel %1 did not accept the sentinel "
                                               "credentials (--sentinel-user, --sentinel-password "
                                               "or SESSIONDESK_SENTINEL_PASSWORD): %2")
                                    .arg(sentinel, answer.error().message));
                }
                if (answer.error().code == Code::Tls
                    || answer.error().code == Code::InvalidArgument)
                    return std::unexpected(answer.error());
                ++unanswered;
                causes << answer.error().message;
                m_sentinel.reset();
                continue;
            }
            if (answer->isError()) {
                const QByteArray code = answer->errorCode();
                if (code == "NOAUTH" || code == "WRONGPASS" || code == "NOPERM") {
                    StorageError error = errorFromReply(
                        *answer, sentinel, QStringLiteral("SENTINEL GET-MASTER-ADDR-BY-NAME"));
                    error.message += QStringLiteral(
                        " (sentinel credentials: --sentinel-user, --sentinel-password or "
                        "SESSIONDESK_SENTINEL_PASSWORD)");
                    return std::unexpected(error);
                }
                ++unanswered;
                causes << QStringLiteral("sentinel %1 answered %2")
                              .arg(sentinel, QString::fromUtf8(answer->string));
                continue;
            }
            if (answer->type != Reply::Type::Array || answer->elements.size() != 2) {
                ++unknown;
                causes << QStringLiteral("sentinel %1 knows no master named \"%2\"")
                              .arg(sentinel, m_config.sentinelMaster);
                continue;
            }
            const HostPort address{QString::fromUtf8(answer->elements.at(0).string),
                                   quint16(answer->elements.at(1).string.toUInt())};
            Node *node = nodeFor(address);
            auto role = node->connection->command({"ROLE"});
            if (!role) {
                const Code code = role.error().code;
                if (code == Code::Authentication || code == Code::Permission || code == Code::Tls)
                    return std::unexpected(role.error());
                causes << role.error().message;
                continue;
            }
            if (role->isError()) {
                if (role->errorCode() == "NOPERM")
                    return std::unexpected(
                        errorFromReply(*role, address.text(), QStringLiteral("ROLE")));
                causes << errorFromReply(*role, address.text(), QStringLiteral("ROLE")).message;
                continue;
            }
            const QByteArray kind =
                role->elements.isEmpty() ? QByteArray() : role->elements.first().string;
            if (kind == "master") {
                if (!m_masters.isEmpty() && m_masters.first() != node) {
                    ++m_failovers;
                    m_masters.first()->connection->close(); // never write to a demoted master
                }
                setSingleMaster(node);
                m_sinceMasterCheck.start();
                return {};
            }
            causes << QStringLiteral("%1, which sentinel %2 names as master \"%3\", is a %4")
                          .arg(address.text(), sentinel, m_config.sentinelMaster,
                               QString::fromUtf8(kind.isEmpty() ? QByteArray("non-master") : kind));
        }
        if (unknown > 0 && unknown + unanswered == sentinels.size()) {
            return fail(Code::NotFound,
                        QStringLiteral("No sentinel at %1 knows a master named \"%2\": %3.")
                            .arg(sentinelList, m_config.sentinelMaster, joinCauses(causes)));
        }
        if (unanswered == sentinels.size()) {
            return fail(Code::Unreachable,
                        QStringLiteral("Cannot reach any sentinel at %1: %2.")
                            .arg(sentinelList, joinCauses(causes)));
        }
        if (deadline.hasExpired()) {
            return fail(Code::Unreachable,
                        QStringLiteral("Found no working master \"%1\" through the sentinels at "
                                       "%2 within %3 ms: %4.")
                            .arg(m_config.sentinelMaster, sentinelList)
                            .arg(m_config.commandTimeoutMs)
                            .arg(joinCauses(causes)));
        }
        pause(delay, deadline);
    }
}

Result<void> Router::checkSentinelMaster(bool force)
{
    if (m_config.redisMode != StoreConfig::RedisMode::Sentinel)
        return {};
    if (!force && m_sinceMasterCheck.isValid() && m_sinceMasterCheck.elapsed() < 250)
        return {};
    m_sinceMasterCheck.start();
    if (!m_sentinel && m_sentinelIndex >= 0)
        m_sentinel =
            std::make_unique<Connection>(m_config.forSentinel(m_config.seeds.at(m_sentinelIndex)));
    if (m_sentinel && !m_masters.isEmpty()) {
        auto answer = m_sentinel->command(
            {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", m_config.sentinelMaster.toUtf8()});
        if (answer && answer->type == Reply::Type::Array && answer->elements.size() == 2) {
            const HostPort named{QString::fromUtf8(answer->elements.at(0).string),
                                 quint16(answer->elements.at(1).string.toUInt())};
            if (named == m_masters.first()->address)
                return {};
        }
    }
    // The sentinel names another master, or could not be asked: find the master again.
    return resolveSentinelMaster(QDeadlineTimer(m_config.commandTimeoutMs));
}

Result<void> Router::loadSlotMap(Node *from)
{
    const QString where = from->address.text();
    auto shards = from->connection->command({"CLUSTER", "SHARDS"});
    if (!shards)
        return std::unexpected(shards.error());
    std::vector<Node *> owners(size_t(kSlotCount), nullptr);
    const auto own = [&](qint64 first, qint64 last, Node *node) {
        for (qint64 slot = std::max<qint64>(first, 0); slot <= last && slot < kSlotCount; ++slot)
            owners[size_t(slot)] = node;
    };
    if (shards->type == Reply::Type::Array) {
        for (const Reply &shard : shards->elements) {
            const auto shardFields = fieldsOf(shard);
            Node *master = nullptr;
            for (const Reply &nodeReply : shardFields.value("nodes").elements) {
                const auto node = fieldsOf(nodeReply);
                if (node.value("role").string != "master"
                    || (node.contains("health") && node.value("health").string != "online"))
                    continue;
                QString host = QString::fromUtf8(node.value("endpoint").string);
                if (host.isEmpty() || host == u"?")
                    host = QString::fromUtf8(node.value("ip").string);
                if (host.isEmpty() || host == u"?")
                    host = from->address.host;
                const char *first = m_config.tls.enabled ? "tls-port" : "port";
                const char *second = m_config.tls.enabled ? "port" : "tls-port";
                const qint64 port =
                    integerOf(node.contains(first) ? node.value(first) : node.value(second));
                if (port > 0 && port <= 65535)
                    master = nodeFor(mapped(HostPort{host, quint16(port)}));
            }
            const QList<Reply> ranges = shardFields.value("slots").elements;
            for (qsizetype i = 0; master && i + 1 < ranges.size(); i += 2)
                own(integerOf(ranges.at(i)), integerOf(ranges.at(i + 1)), master);
        }
    } else {
        if (shards->string.contains("cluster support disabled")) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("%1 is not a cluster node (cluster support is disabled); "
                                       "open it with redis:// or redis-sentinel://.")
                            .arg(where));
        }
        // Before Redis 7, or an ACL without CLUSTER SHARDS: the older CLUSTER SLOTS.
        auto ranges = from->connection->command({"CLUSTER", "SLOTS"});
        if (!ranges)
            return std::unexpected(ranges.error());
        if (ranges->isError())
            return std::unexpected(errorFromReply(*ranges, where, QStringLiteral("CLUSTER SLOTS")));
        for (const Reply &range : ranges->elements) {
            if (range.elements.size() < 3 || range.elements.at(2).elements.size() < 2)
                continue;
            const QList<Reply> &master = range.elements.at(2).elements;
            QString host = QString::fromUtf8(master.at(0).string);
            if (host.isEmpty() || host == u"?")
                host = from->address.host;
            const qint64 port = integerOf(master.at(1));
            if (port <= 0 || port > 65535)
                continue;
            own(integerOf(range.elements.at(0)), integerOf(range.elements.at(1)),
                nodeFor(mapped(HostPort{host, quint16(port)})));
        }
    }
    m_slotOwner = std::move(owners);
    m_masters.clear();
    for (Node *owner : m_slotOwner) {
        if (owner && !m_masters.contains(owner))
            m_masters.append(owner); // in order of lowest slot, as the slots are walked in order
    }
    return {};
}

Result<void> Router::refreshSlotMap(bool requireFullCoverage)
{
    QList<Node *> candidates = m_masters;
    for (const HostPort &seed : m_config.seeds) {
        Node *node = nodeFor(mapped(seed));
        if (!candidates.contains(node))
            candidates.append(node);
    }
    for (auto &[address, node] : m_nodes) {
        if (!candidates.contains(node.get()))
            candidates.append(node.get());
    }
    QStringList causes;
    for (Node *node : candidates) {
        auto loaded = loadSlotMap(node);
        if (!loaded) {
            if (classify(loaded.error()) == Fault::Fatal)
                return loaded;
            causes << loaded.error().message;
            continue;
        }
        const auto unserved = std::count(m_slotOwner.cbegin(), m_slotOwner.cend(), nullptr);
        if (requireFullCoverage && unserved > 0) {
            return fail(Code::Server,
                        QStringLiteral("The cluster at %1 does not serve every hash slot: %2 of "
                                       "16384 slots have no working master (see CLUSTER INFO).")
                            .arg(node->address.text())
                            .arg(unserved));
        }
        m_lastNode = node;
        return {};
    }
    return fail(Code::Unreachable,
                QStringLiteral("Cannot learn the slot map from any node of the cluster at %1: "
                               "%2.")
                    .arg(m_config.endpoint(), joinCauses(causes)));
}

Result<void> Router::recover(Node *node, const StorageError &cause, const QDeadlineTimer &deadline,
                             int &transportFailures)
{
    ++transportFailures;
    switch (m_config.redisMode) {
    case StoreConfig::RedisMode::Standalone:
        // Reconnect once (the next command does it); a server that stays away is reported.
        if (transportFailures > 1)
            return std::unexpected(cause);
        ++m_failovers;
        return {};
    case StoreConfig::RedisMode::Sentinel:
        return resolveSentinelMaster(deadline);
    case StoreConfig::RedisMode::Cluster:
        break;
    }
    // Cluster: wait until the node's slots have a new master, or the node is back.
    int delay = 50;
    while (true) {
        auto refreshed = refreshSlotMap(false);
        if (refreshed) {
            if (!node || !m_masters.contains(node)) {
                ++m_failovers;
                return {};
            }
            if (node->connection->isOpen() || node->connection->open())
                return {};
        } else if (classify(refreshed.error()) == Fault::Fatal) {
            return refreshed;
        }
        if (deadline.hasExpired())
            return std::unexpected(cause);
        pause(delay, deadline);
    }
}

Result<Reply> Router::runOn(Node *node, const Command &argv, const QDeadlineTimer &deadline)
{
    int delay = 20;
    while (true) {
        m_lastNode = node;
        auto reply = node->connection->command(argv);
        const bool wait =
            reply ? classify(*reply) == Fault::Wait : classify(reply.error()) == Fault::Wait;
        if (!wait || deadline.hasExpired())
            return reply;
        pause(delay, deadline);
    }
}

Result<QList<Reply>> Router::runOnEveryMaster(const Command &command)
{
    if (m_masters.isEmpty()) {
        if (auto opened = open(); !opened)
            return std::unexpected(opened.error());
    }
    const QDeadlineTimer deadline(m_config.commandTimeoutMs);
    QList<Reply> replies;
    for (Node *master : QList<Node *>(m_masters)) {
        auto reply = runOn(master, command, deadline);
        if (!reply)
            return std::unexpected(reply.error());
        replies.append(*reply);
    }
    return replies;
}

Result<qint64> Router::databaseSize()
{
    auto sizes = runOnEveryMaster({"DBSIZE"});
    if (!sizes)
        return std::unexpected(sizes.error());
    qint64 total = 0;
    for (const Reply &size : *sizes) {
        if (size.isError())
            return std::unexpected(errorFromReply(size, endpoint(), QStringLiteral("DBSIZE")));
        total += size.integer;
    }
    return total;
}

Result<QList<Reply>> Router::run(const QList<Command> &commands, RunInfo *info)
{
    // One command, or the part of a multi-key command whose keys share a slot, for one node.
    struct Part
    {
        Command argv;
        qsizetype owner = 0; // index into `commands`
        KeySpec::Kind combine = KeySpec::Kind::None; // how its reply joins the owner's
        int prefix = 1; // arguments before the keys (multi-key parts)
        QList<qsizetype> positions; // MGET: where each key's value goes in the owner's reply
        int slot = -1; // -1: keyless, sent to the first master
        Node *askTarget = nullptr; // set by ASK: the next attempt goes there, after ASKING
        int redirects = 0;
        bool uncertain = false;
        Reply lastError; // the last retryable error reply, returned when waiting runs out
    };

    if (m_masters.isEmpty()) {
        if (auto opened = open(); !opened)
            return std::unexpected(opened.error());
    }
    const bool cluster = m_config.redisMode == StoreConfig::RedisMode::Cluster;
    QList<Reply> out(commands.size());
    std::vector<Part> parts;
    parts.reserve(size_t(commands.size()));
    for (qsizetype i = 0; i < commands.size(); ++i) {
        const Command &argv = commands.at(i);
        if (!cluster) {
            // One node holds everything: no slot to compute, nothing to split.
            Part part;
            part.argv = argv;
            part.owner = i;
            parts.push_back(std::move(part));
            continue;
        }
        const KeySpec spec = keySpec(argv);
        if (spec.kind == KeySpec::Kind::None || argv.size() <= spec.first
            || spec.kind == KeySpec::Kind::Single) {
            Part part;
            part.argv = argv;
            part.owner = i;
            if (spec.kind != KeySpec::Kind::None && argv.size() > spec.first)
                part.slot = keySlot(argv.at(spec.first));
            parts.push_back(std::move(part));
            continue;
        }
        // A multi-key command: one part per slot, the reply put together from theirs.
        QMap<int, Part> bySlot;
        for (qsizetype k = spec.first; k < argv.size(); ++k) {
            const int slot = keySlot(argv.at(k));
            Part &part = bySlot[slot];
            if (part.argv.isEmpty()) {
                part.argv = argv.mid(0, spec.first);
                part.owner = i;
                part.combine = spec.kind;
                part.prefix = spec.first;
                part.slot = slot;
            }
            part.argv.append(argv.at(k));
            part.positions.append(k - spec.first);
        }
        Reply &combined = out[i];
        if (spec.kind == KeySpec::Kind::MultiArray) {
            combined.type = Reply::Type::Array;
            combined.elements.resize(argv.size() - spec.first);
        } else {
            combined.type = Reply::Type::Integer;
        }
        for (Part &part : bySlot)
            parts.push_back(std::move(part));
    }

    const auto place = [&out](const Part &part, const Reply &reply) {
        Reply &target = out[part.owner];
        if (part.combine == KeySpec::Kind::None || reply.isError()) {
            if (!target.isError())
                target = reply; // the first error of a multi-key command is its reply
            return;
        }
        if (target.isError())
            return;
        if (part.combine == KeySpec::Kind::MultiArray) {
            for (qsizetype j = 0; j < part.positions.size(); ++j)
                target.elements[part.positions.at(j)] = reply.elements.value(j);
        } else {
            target.integer += reply.integer;
        }
    };
    const auto fillInfo = [&] {
        if (!info)
            return;
        info->uncertain = QList<bool>(commands.size(), false);
        for (const Part &part : parts) {
            if (part.uncertain)
                info->uncertain[part.owner] = true;
        }
    };

    QDeadlineTimer deadline(m_config.commandTimeoutMs);
    std::vector<size_t> pending(parts.size());
    for (size_t i = 0; i < parts.size(); ++i)
        pending[i] = i;
    int transportFailures = 0;
    int delay = 20;
    const bool sentinel = m_config.redisMode == StoreConfig::RedisMode::Sentinel;
    while (!pending.empty()) {
        const bool writes = sentinel
            && std::any_of(pending.cbegin(), pending.cend(),
                           [&](size_t index) { return !isReadCommand(parts[index].argv); });
        if (auto checked = checkSentinelMaster(writes); !checked) {
            fillInfo();
            return std::unexpected(checked.error());
        }

        // Group by node, keeping the commands' order within each node's pipeline.
        QList<QPair<Node *, std::vector<size_t>>> groups;
        std::vector<size_t> next;
        bool waitNeeded = false;
        bool resolveNeeded = false;
        bool refreshNeeded = false;
        std::optional<StorageError> waitError;
        for (const size_t index : pending) {
            Part &part = parts[index];
            Node *node = part.askTarget ? part.askTarget
                : part.slot < 0         ? defaultNode()
                                        : ownerOf(part.slot);
            if (!node) {
                part.lastError = errorReply("CLUSTERDOWN Hash slot not served");
                next.push_back(index);
                waitNeeded = refreshNeeded = true;
                continue;
            }
            auto group = std::find_if(groups.begin(), groups.end(),
                                      [node](const auto &g) { return g.first == node; });
            if (group == groups.end()) {
                groups.append(qMakePair(node, std::vector<size_t>()));
                group = groups.end() - 1;
            }
            group->second.push_back(index);
        }

        std::optional<StorageError> transport;
        Node *failedNode = nullptr;
        for (auto &[node, indexes] : groups) {
            QList<Command> pipeline;
            pipeline.reserve(qsizetype(indexes.size()));
            for (const size_t index : indexes) {
                if (parts[index].askTarget)
                    pipeline.append(Command{"ASKING"});
                pipeline.append(parts[index].argv);
            }
            m_lastNode = node;
            auto replies = node->connection->pipeline(pipeline);
            if (!replies) {
                const Fault fault = classify(replies.error());
                const bool mayHaveRun = node->connection->lastFailureMayHaveRun();
                const bool allSafe = std::all_of(indexes.cbegin(), indexes.cend(), [&](size_t i) {
                    return isSafeToRetry(parts[i].argv);
                });
                for (const size_t index : indexes) {
                    parts[index].uncertain |= mayHaveRun && !isReadCommand(parts[index].argv);
                }
                if (fault == Fault::Fatal || (mayHaveRun && !allSafe)) {
                    fillInfo();
                    return std::unexpected(replies.error());
                }
                next.insert(next.end(), indexes.cbegin(), indexes.cend());
                if (fault == Fault::Wait) {
                    waitNeeded = true;
                    waitError = replies.error();
                } else if (fault == Fault::Resolve) {
                    resolveNeeded = true;
                    waitError = replies.error();
                } else {
                    transport = replies.error();
                    failedNode = node;
                }
                continue;
            }
            qsizetype at = 0;
            for (const size_t index : indexes) {
                Part &part = parts[index];
                if (part.askTarget)
                    ++at; // ASKING's +OK
                const Reply &reply = replies->at(at++);
                const QByteArray code = reply.errorCode();
                if (code == "MOVED" || code == "ASK") {
                    if (!cluster) {
                        fillInfo();
                        return fail(Code::InvalidArgument,
                                    QStringLiteral("%1 is a Redis Cluster node: open it with "
                                                   "redis-cluster://%1.")
                                        .arg(node->address.text()));
                    }
                    const auto target = redirectTarget(reply, node);
                    if (!target || ++part.redirects > 5) {
                        part.askTarget = nullptr;
                        place(part, reply);
                        continue;
                    }
                    Node *to = nodeFor(*target);
                    if (code == "MOVED") {
                        const int slot = reply.string.split(' ').value(1).toInt();
                        if (slot >= 0 && slot < kSlotCount)
                            m_slotOwner[size_t(slot)] = to;
                        if (!m_masters.contains(to))
                            m_masters.append(to);
                        part.askTarget = nullptr;
                        refreshNeeded = true;
                    } else {
                        part.askTarget = to;
                    }
                    next.push_back(index);
                    continue;
                }
                const bool wasAsk = part.askTarget != nullptr;
                if (code == "TRYAGAIN" && part.argv.size() - part.prefix > 1) {
                    // Keys of a migrating slot are split between two nodes: one key at a time,
                    // each followed to where it is. (A copy: push_back may move `parts`.)
                    const Part source = part;
                    for (qsizetype k = source.prefix; k < source.argv.size(); ++k) {
                        Part single = source;
                        single.argv = source.argv.mid(0, source.prefix);
                        single.argv.append(source.argv.at(k));
                        single.positions = {source.positions.value(k - source.prefix)};
                        single.askTarget = nullptr;
                        parts.push_back(std::move(single));
                        next.push_back(parts.size() - 1);
                    }
                    continue;
                }
                Fault fault = classify(reply);
                if (fault == Fault::Resolve
                    && m_config.redisMode == StoreConfig::RedisMode::Standalone)
                    fault = Fault::None; // a replica given as the server: nothing to find again
                if (fault == Fault::Wait || fault == Fault::Resolve) {
                    part.lastError = reply;
                    next.push_back(index);
                    waitNeeded |= fault == Fault::Wait;
                    resolveNeeded |= fault == Fault::Resolve;
                    continue;
                }
                if (wasAsk)
                    part.askTarget = nullptr; // ASK holds for one attempt only
                place(part, reply);
            }
        }
        if (!transport && !waitNeeded && !resolveNeeded)
            transportFailures = 0;
        pending = std::move(next);
        if (pending.empty())
            break;
        if (transport) {
            auto recovered = recover(failedNode, *transport, deadline, transportFailures);
            if (!recovered) {
                fillInfo();
                return std::unexpected(recovered.error());
            }
            continue;
        }
        if (resolveNeeded) {
            auto resolved = cluster ? refreshSlotMap(false) : resolveSentinelMaster(deadline);
            if (!resolved && classify(resolved.error()) == Fault::Fatal) {
                fillInfo();
                return std::unexpected(resolved.error());
            }
            waitNeeded = true;
        } else if (refreshNeeded) {
            refreshSlotMap(false); // best effort: MOVED already updated the slot that moved
        }
        if (waitNeeded) {
            if (deadline.hasExpired()) {
                if (waitError) {
                    fillInfo();
                    return std::unexpected(*waitError);
                }
                for (const size_t index : pending)
                    place(parts[index], parts[index].lastError);
                break;
            }
            pause(delay, deadline);
        }
    }
    fillInfo();
    return out;
}

Result<void> Router::scan(const QByteArray &pattern, int count, const CancelToken &cancel,
                          const KeyVisitor &visit)
{
    if (m_masters.isEmpty()) {
        if (auto opened = open(); !opened)
            return opened;
    }
    const QByteArray countText = QByteArray::number(count);
    QBitArray done(kSlotCount);
    int transportFailures = 0;
    int restarts = 0;
    QDeadlineTimer deadline(m_config.commandTimeoutMs);
    int delay = 50;
    while (true) {
        if (cancel.isCancelled())
            return fail(Code::Cancelled, QStringLiteral("Cancelled."));
        // The master that owns the lowest slot not yet scanned.
        int firstOpen = 0;
        while (firstOpen < kSlotCount && done.testBit(firstOpen))
            ++firstOpen;
        if (firstOpen == kSlotCount)
            return {};
        Node *master = ownerOf(firstOpen);
        if (!master) {
            if (deadline.hasExpired()) {
                return fail(Code::Server,
                            QStringLiteral("The cluster at %1 serves no master for hash slot %2.")
                                .arg(m_config.endpoint())
                                .arg(firstOpen));
            }
            refreshSlotMap(false);
            pause(delay, deadline);
            continue;
        }
        if (++restarts > 1000)
            return fail(Code::Server,
                        QStringLiteral("Scanning %1 kept restarting: the servers keep changing.")
                            .arg(m_config.endpoint()));

        const auto transportFailed = [&](const StorageError &error) -> Result<void> {
            if (classify(error) == Fault::Fatal)
                return std::unexpected(error);
            return recover(master, error, deadline, transportFailures);
        };
        if (!master->connection->isOpen()) {
            m_lastNode = master;
            if (auto opened = master->connection->open(); !opened) {
                if (classify(opened.error()) == Fault::Wait && !deadline.hasExpired()) {
                    pause(delay, deadline);
                    continue;
                }
                if (auto recovered = transportFailed(opened.error()); !recovered)
                    return recovered;
                continue;
            }
        }
        const QList<int> masterSlots = slotsOf(master);
        const quint64 generation = master->connection->generation();
        const auto unchanged = [&] {
            return m_masters.contains(master) && master->connection->generation() == generation;
        };
        QByteArray cursor = "0";
        bool restart = false;
        do {
            if (cancel.isCancelled())
                return fail(Code::Cancelled, QStringLiteral("Cancelled."));
            if (auto checked = checkSentinelMaster(false); !checked)
                return checked;
            if (!unchanged()) {
                restart = true;
                break;
            }
            auto reply =
                runOn(master, {"SCAN", cursor, "MATCH", pattern, "COUNT", countText}, deadline);
            if (!reply) {
                if (auto recovered = transportFailed(reply.error()); !recovered)
                    return recovered;
                restart = true;
                break;
            }
            if (reply->isError()) {
                if (classify(*reply) == Fault::Resolve
                    && m_config.redisMode != StoreConfig::RedisMode::Standalone) {
                    const StorageError error =
                        errorFromReply(*reply, master->address.text(), QStringLiteral("SCAN"));
                    if (auto recovered = transportFailed(error); !recovered)
                        return recovered;
                    restart = true;
                    break;
                }
                return std::unexpected(
                    errorFromReply(*reply, master->address.text(), QStringLiteral("SCAN")));
            }
            if (reply->type != Reply::Type::Array || reply->elements.size() != 2) {
                return fail(Code::Protocol,
                            QStringLiteral("SCAN on %1 returned an unexpected reply.")
                                .arg(master->address.text()));
            }
            transportFailures = 0;
            deadline = QDeadlineTimer(m_config.commandTimeoutMs);
            delay = 50;
            cursor = reply->elements.at(0).string;
            QList<QByteArray> keys;
            keys.reserve(reply->elements.at(1).elements.size());
            for (const Reply &key : reply->elements.at(1).elements)
                keys.append(key.string);
            if (!keys.isEmpty()) {
                auto more = visit(keys);
                if (!more)
                    return std::unexpected(more.error());
                if (!*more)
                    return {};
            }
            // The visitor's own commands may have found a new master or reconnected.
            if (!unchanged()) {
                restart = true;
                break;
            }
        } while (cursor != "0");
        if (restart)
            continue;
        // Sentinel: a failover noticed only now means this pass may have run on a demoted
        // master; scan the new one too.
        if (m_config.redisMode == StoreConfig::RedisMode::Sentinel) {
            if (auto checked = checkSentinelMaster(true); !checked)
                return checked;
            if (!unchanged())
                continue;
        }
        for (const int slot : masterSlots)
            done.setBit(slot);
    }
}

Result<Router::ScanStep> Router::scanStep(const QByteArray &cursorToken, const QByteArray &pattern,
                                          int count)
{
    if (m_masters.isEmpty()) {
        if (auto opened = open(); !opened)
            return std::unexpected(opened.error());
    }
    // "lowest slot|server session|cursor"; empty for the first page.
    int slot = 0;
    QByteArray session;
    QByteArray cursor = "0";
    if (!cursorToken.isEmpty()) {
        const QList<QByteArray> fields = cursorToken.split('|');
        bool ok = false;
        slot = fields.value(0).toInt(&ok);
        if (fields.size() != 3 || !ok || slot < 0 || slot >= kSlotCount) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("The page cursor was not made by this store."));
        }
        session = fields.at(1);
        cursor = fields.at(2);
    }
    QDeadlineTimer deadline(m_config.commandTimeoutMs);
    int transportFailures = 0;
    int delay = 50;
    while (true) {
        if (auto checked = checkSentinelMaster(false); !checked)
            return std::unexpected(checked.error());
        Node *master = ownerOf(slot);
        if (!master) {
            if (deadline.hasExpired()) {
                return fail(Code::Server,
                            QStringLiteral("The cluster at %1 serves no master for hash slot %2.")
                                .arg(m_config.endpoint())
                                .arg(slot));
            }
            refreshSlotMap(false);
            pause(delay, deadline);
            continue;
        }
        Result<Reply> reply = fail(Code::Unreachable, QString());
        if (!master->connection->isOpen()) {
            m_lastNode = master;
            if (auto opened = master->connection->open(); !opened)
                reply = std::unexpected(opened.error());
        }
        if (master->connection->isOpen()) {
            const QByteArray now = QByteArray::number(master->connection->generation()) + '@'
                + master->address.text().toUtf8();
            if (!session.isEmpty() && session != now)
                cursor = "0"; // another server session: this master starts again
            session = now;
            reply = runOn(master,
                          {"SCAN", cursor, "MATCH", pattern, "COUNT", QByteArray::number(count)},
                          deadline);
        }
        if (reply && reply->isError() && classify(*reply) == Fault::Resolve
            && m_config.redisMode != StoreConfig::RedisMode::Standalone)
            reply = std::unexpected(
                errorFromReply(*reply, master->address.text(), QStringLiteral("SCAN")));
        if (!reply) {
            if (classify(reply.error()) == Fault::Fatal)
                return std::unexpected(reply.error());
            if (classify(reply.error()) == Fault::Wait && !deadline.hasExpired()) {
                pause(delay, deadline);
                continue;
            }
            if (auto recovered = recover(master, reply.error(), deadline, transportFailures);
                !recovered)
                return std::unexpected(recovered.error());
            session.clear();
            cursor = "0";
            continue;
        }
        if (reply->isError())
            return std::unexpected(
                errorFromReply(*reply, master->address.text(), QStringLiteral("SCAN")));
        if (reply->type != Reply::Type::Array || reply->elements.size() != 2) {
            return fail(Code::Protocol,
                        QStringLiteral("SCAN on %1 returned an unexpected reply.")
                            .arg(master->address.text()));
        }
        ScanStep step;
        for (const Reply &key : reply->elements.at(1).elements)
            step.keys.append(key.string);
        const QByteArray next = reply->elements.at(0).string;
        const int lowest = lowestSlotOf(master);
        if (next != "0") {
            step.next = QByteArray::number(lowest) + '|' + session + '|' + next;
        } else if (Node *following = nextMasterAfter(lowest)) {
            step.next = QByteArray::number(lowestSlotOf(following)) + "||0";
        } else {
            step.atEnd = true;
        }
        return step;
    }
}

} // namespace SessionDesk::Redis
