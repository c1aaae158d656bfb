#include "redisrouter.h"

#include "sessionlayout.h"

#include <QHash>
#include <QThread>

#include <algorithm>
#include <deque>
#include <numeric>

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
    , m_rateLimiter(m_config.maxOpsPerSecond)
{ }

Router::~Router() = default;

void Router::setReadOnly(bool readOnly)
{
    m_readOnly = readOnly;
    for (auto &[address, node] : m_nodes)
        node->connection->setReadOnly(readOnly);
}

void Router::setToolCommandsOnly(bool only)
{
    m_toolCommandsOnly = only;
    for (auto &[address, node] : m_nodes)
        node->connection->setToolCommandsOnly(only);
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
        slot->connection->setToolCommandsOnly(m_toolCommandsOnly);
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
    if (m_masters.size() != 1 || m_masters.first() != node || m_slotOwner.front() != node) {
        std::fill(m_slotOwner.begin(), m_slotOwner.end(), node);
        m_masters = {node};
        ++m_topologyVersion;
    }
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
                m_sentinel->setToolCommandsOnly(true);
                m_sentinelIndex = index;
            }
            auto answer = m_sentinel->command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", name});
            if (!answer) {
                if (answer.error().code == Code::Authentication) {
                    // Connection's own text would point at the data password.
                    const QString message = m_config.sentinelPassword.isEmpty()
                        ? QStringLiteral("Sentinel %1 requires the sentinels' own password.")
                              .arg(sentinel)
                        : QStringLiteral("Sentinel %1 did not accept the sentinel credentials: %2")
                              .arg(sentinel, answer.error().message);
                    StorageError error{Code::Authentication, message, answer.error().serverCode};
                    error.sentinelCredentials = true;
                    return std::unexpected(error);
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
                    error.sentinelCredentials = true;
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
    if (!m_sentinel && m_sentinelIndex >= 0) {
        m_sentinel =
            std::make_unique<Connection>(m_config.forSentinel(m_config.seeds.at(m_sentinelIndex)));
        m_sentinel->setToolCommandsOnly(true);
    }
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
    ++m_topologyVersion;
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
        auto ticket = sendTo(node, {argv});
        Result<Reply> reply = fail(Code::Unreachable, QString());
        if (!ticket) {
            reply = std::unexpected(ticket.error());
        } else if (auto replies = node->connection->receive(*ticket); !replies) {
            reply = std::unexpected(replies.error());
        } else {
            reply = replies->first();
        }
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

Result<Connection::Ticket> Router::sendTo(Node *node, const QList<Command> &commands)
{
    qint64 operations = 0;
    for (const Command &argv : commands) {
        const KeySpec spec = keySpec(argv);
        operations += spec.kind == KeySpec::Kind::MultiArray || spec.kind == KeySpec::Kind::MultiSum
            ? std::max<qint64>(1, argv.size() - spec.first)
            : 1;
    }
    m_rateLimiter.acquire(operations);
    m_operationsSent += operations;
    m_lastNode = node;
    return node->connection->send(commands);
}

// One command, or the part of a multi-key command whose keys share a slot, for one node.
struct RouterPart
{
    enum class State { Pending, Placed, Split };
    Command argv;
    qsizetype owner = 0; // index into the batch's commands
    KeySpec::Kind combine = KeySpec::Kind::None; // how its reply joins the owner's
    int prefix = 1; // arguments before the keys (multi-key parts)
    QList<qsizetype> positions; // MGET: where each key's value goes in the owner's reply
    int slot = -1; // -1: keyless, sent to the first master
    void *askTarget = nullptr; // set by ASK: the next attempt goes to that node, after ASKING
    int redirects = 0;
    bool uncertain = false;
    State state = State::Pending;
    Reply lastError; // the last retryable error reply, returned when waiting runs out
};

struct Router::Batch
{
    // The parts of one round that went to one node, and the ticket of their pipeline (or why
    // it could not be sent).
    struct Sent
    {
        Node *node = nullptr;
        std::vector<size_t> indexes;
        Result<Connection::Ticket> ticket;
        bool mayHaveRun = false; // when the send failed: whether bytes went out
    };

    qsizetype commandCount = 0;
    std::vector<RouterPart> parts;
    QList<Reply> out;
    std::vector<size_t> pending; // parts still to send
    std::vector<Sent> inFlight; // the round sent and not yet collected
    std::vector<size_t> unrouted; // parts of this round that had no node to go to
    bool unroutedWait = false;
    QDeadlineTimer deadline;
    int transportFailures = 0;
    int delay = 20;
    RunInfo *info = nullptr;
};

std::unique_ptr<Router::Batch> Router::prepare(const QList<Command> &commands, RunInfo *info)
{
    auto batch = std::make_unique<Batch>();
    Batch &b = *batch;
    b.commandCount = commands.size();
    b.info = info;
    b.deadline = QDeadlineTimer(m_config.commandTimeoutMs);
    const bool cluster = isCluster();
    b.out.resize(commands.size());
    b.parts.reserve(size_t(commands.size()));
    for (qsizetype i = 0; i < commands.size(); ++i) {
        const Command &argv = commands.at(i);
        if (!cluster) {
            // One node holds everything: no slot to compute, nothing to split.
            RouterPart part;
            part.argv = argv;
            part.owner = i;
            b.parts.push_back(std::move(part));
            continue;
        }
        const KeySpec spec = keySpec(argv);
        if (spec.kind == KeySpec::Kind::None || argv.size() <= spec.first
            || spec.kind == KeySpec::Kind::Single) {
            RouterPart part;
            part.argv = argv;
            part.owner = i;
            if (spec.kind != KeySpec::Kind::None && argv.size() > spec.first)
                part.slot = keySlot(argv.at(spec.first));
            b.parts.push_back(std::move(part));
            continue;
        }
        // A multi-key command: one part per slot, the reply put together from theirs. When all
        // its keys share a slot (a slot walk's MGETs) the command goes whole.
        std::vector<std::pair<int, qsizetype>> bySlot; // slot, key's argument
        bySlot.reserve(size_t(argv.size() - spec.first));
        for (qsizetype k = spec.first; k < argv.size(); ++k)
            bySlot.emplace_back(keySlot(argv.at(k)), k);
        std::sort(bySlot.begin(), bySlot.end());
        for (size_t run = 0; run < bySlot.size();) {
            size_t end = run + 1;
            while (end < bySlot.size() && bySlot[end].first == bySlot[run].first)
                ++end;
            RouterPart part;
            part.owner = i;
            part.combine = spec.kind;
            part.prefix = spec.first;
            part.slot = bySlot[run].first;
            if (end - run == bySlot.size()) {
                part.argv = argv;
                part.positions.resize(argv.size() - spec.first);
                std::iota(part.positions.begin(), part.positions.end(), 0);
            } else {
                part.argv = argv.mid(0, spec.first);
                for (size_t at = run; at < end; ++at) {
                    part.argv.append(argv.at(bySlot[at].second));
                    part.positions.append(bySlot[at].second - spec.first);
                }
            }
            b.parts.push_back(std::move(part));
            run = end;
        }
        Reply &combined = b.out[i];
        if (spec.kind == KeySpec::Kind::MultiArray) {
            combined.type = Reply::Type::Array;
            combined.elements.resize(argv.size() - spec.first);
        } else {
            combined.type = Reply::Type::Integer;
        }
    }
    b.pending.resize(b.parts.size());
    for (size_t i = 0; i < b.parts.size(); ++i)
        b.pending[i] = i;
    return batch;
}

void Router::fillInfo(Batch &b, bool failed) const
{
    if (!b.info)
        return;
    RunInfo &info = *b.info;
    info.uncertain = QList<bool>(b.commandCount, false);
    info.answered = QList<bool>(b.commandCount, true);
    for (const RouterPart &part : b.parts) {
        if (part.uncertain)
            info.uncertain[part.owner] = true;
        if (part.state == RouterPart::State::Pending)
            info.answered[part.owner] = false;
    }
    info.replies = failed ? b.out : QList<Reply>();
}

Result<void> Router::sendRound(Batch &b)
{
    b.inFlight.clear();
    b.unrouted.clear();
    b.unroutedWait = false;
    if (b.pending.empty())
        return {};
    const bool writes = m_config.redisMode == StoreConfig::RedisMode::Sentinel
        && std::any_of(b.pending.cbegin(), b.pending.cend(),
                       [&](size_t index) { return !isReadCommand(b.parts[index].argv); });
    if (auto checked = checkSentinelMaster(writes); !checked)
        return checked;

    // Group by node, keeping the commands' order within each node's pipeline.
    for (const size_t index : b.pending) {
        RouterPart &part = b.parts[index];
        Node *node = part.askTarget ? static_cast<Node *>(part.askTarget)
            : part.slot < 0         ? defaultNode()
                                    : ownerOf(part.slot);
        if (!node) {
            part.lastError = errorReply("CLUSTERDOWN Hash slot " + QByteArray::number(part.slot)
                                        + " has no master (a master is down and no replica "
                                          "has taken over)");
            b.unrouted.push_back(index);
            b.unroutedWait = true;
            continue;
        }
        auto group = std::find_if(b.inFlight.begin(), b.inFlight.end(),
                                  [node](const Batch::Sent &sent) { return sent.node == node; });
        if (group == b.inFlight.end()) {
            b.inFlight.push_back(Batch::Sent{node, {}, {}, false});
            group = b.inFlight.end() - 1;
        }
        group->indexes.push_back(index);
    }
    b.pending.clear();
    // Every node gets its pipeline before any reply is read: the nodes work at once.
    for (Batch::Sent &sent : b.inFlight) {
        QList<Command> pipeline;
        pipeline.reserve(qsizetype(sent.indexes.size()));
        for (const size_t index : sent.indexes) {
            if (b.parts[index].askTarget)
                pipeline.append(Command{"ASKING"});
            pipeline.append(b.parts[index].argv);
        }
        sent.ticket = sendTo(sent.node, pipeline);
        sent.mayHaveRun = !sent.ticket && sent.node->connection->lastFailureMayHaveRun();
    }
    return {};
}

Result<bool> Router::collectRound(Batch &b)
{
    const bool cluster = isCluster();
    const auto place = [&b](RouterPart &part, const Reply &reply) {
        part.state = RouterPart::State::Placed;
        Reply &target = b.out[part.owner];
        if (part.combine == KeySpec::Kind::None || reply.isError()) {
            if (!target.isError())
                target = reply; // the first error of a multi-key command is its reply
            return;
        }
        if (target.isError())
            return;
        if (part.combine == KeySpec::Kind::MultiArray
            && part.positions.size() == target.elements.size()
            && reply.elements.size() == target.elements.size()) {
            target.elements = reply.elements; // the whole command went as one part
        } else if (part.combine == KeySpec::Kind::MultiArray) {
            for (qsizetype j = 0; j < part.positions.size(); ++j)
                target.elements[part.positions.at(j)] = reply.elements.value(j);
        } else {
            target.integer += reply.integer;
        }
    };

    std::vector<size_t> next = std::move(b.unrouted);
    b.unrouted.clear();
    bool waitNeeded = b.unroutedWait;
    bool refreshNeeded = b.unroutedWait;
    bool resolveNeeded = false;
    std::optional<StorageError> waitError;
    std::optional<StorageError> transport;
    std::optional<StorageError> fatal;
    Node *failedNode = nullptr;
    // Every node's replies are read, also after one failed, so that what the others did counts.
    for (Batch::Sent &sent : b.inFlight) {
        Node *node = sent.node;
        Result<QList<Reply>> replies = sent.ticket
            ? node->connection->receive(*sent.ticket)
            : Result<QList<Reply>>(std::unexpected(sent.ticket.error()));
        if (!replies) {
            const Fault fault = classify(replies.error());
            const bool mayHaveRun =
                sent.ticket ? node->connection->lastFailureMayHaveRun() : sent.mayHaveRun;
            const bool allSafe =
                std::all_of(sent.indexes.cbegin(), sent.indexes.cend(),
                            [&](size_t i) { return isSafeToRetry(b.parts[i].argv); });
            for (const size_t index : sent.indexes)
                b.parts[index].uncertain |= mayHaveRun && !isReadCommand(b.parts[index].argv);
            if (fault == Fault::Fatal || (mayHaveRun && !allSafe)) {
                if (!fatal)
                    fatal = replies.error();
                continue;
            }
            next.insert(next.end(), sent.indexes.cbegin(), sent.indexes.cend());
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
        for (const size_t index : sent.indexes) {
            if (b.parts[index].askTarget)
                ++at; // ASKING's +OK
            const Reply &reply = replies->at(at++);
            RouterPart &part = b.parts[index];
            const QByteArray code = reply.errorCode();
            if (code == "MOVED" || code == "ASK") {
                if (!cluster) {
                    if (!fatal) {
                        fatal = StorageError{Code::InvalidArgument,
                                             QStringLiteral("%1 is a Redis Cluster node: open it "
                                                            "with redis-cluster://%1.")
                                                 .arg(node->address.text()),
                                             QString()};
                    }
                    continue;
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
                    ++m_topologyVersion;
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
                part.state = RouterPart::State::Split;
                const RouterPart source = part;
                for (qsizetype k = source.prefix; k < source.argv.size(); ++k) {
                    RouterPart single = source;
                    single.state = RouterPart::State::Pending;
                    single.argv = source.argv.mid(0, source.prefix);
                    single.argv.append(source.argv.at(k));
                    single.positions = {source.positions.value(k - source.prefix)};
                    single.askTarget = nullptr;
                    b.parts.push_back(std::move(single));
                    next.push_back(b.parts.size() - 1);
                }
                continue;
            }
            Fault fault = classify(reply);
            if (fault == Fault::Resolve && m_config.redisMode == StoreConfig::RedisMode::Standalone)
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
    b.inFlight.clear();
    if (fatal) {
        fillInfo(b, true);
        return std::unexpected(*fatal);
    }
    if (!transport && !waitNeeded && !resolveNeeded)
        b.transportFailures = 0;
    b.pending = std::move(next);
    if (b.pending.empty())
        return true;
    if (transport) {
        auto recovered = recover(failedNode, *transport, b.deadline, b.transportFailures);
        if (!recovered) {
            fillInfo(b, true);
            return std::unexpected(recovered.error());
        }
        return false;
    }
    if (resolveNeeded) {
        auto resolved = cluster ? refreshSlotMap(false) : resolveSentinelMaster(b.deadline);
        if (!resolved && classify(resolved.error()) == Fault::Fatal) {
            fillInfo(b, true);
            return std::unexpected(resolved.error());
        }
        waitNeeded = true;
    } else if (refreshNeeded) {
        refreshSlotMap(false); // best effort: MOVED already updated the slot that moved
    }
    if (waitNeeded) {
        if (b.deadline.hasExpired()) {
            if (waitError) {
                fillInfo(b, true);
                return std::unexpected(*waitError);
            }
            for (const size_t index : b.pending)
                place(b.parts[index], b.parts[index].lastError);
            b.pending.clear();
            return true;
        }
        pause(b.delay, b.deadline);
    }
    return false;
}

Result<QList<Reply>> Router::finish(Batch &b)
{
    while (true) {
        auto done = collectRound(b);
        if (!done)
            return std::unexpected(done.error());
        if (*done) {
            fillInfo(b, false);
            return b.out;
        }
        if (auto sent = sendRound(b); !sent) {
            fillInfo(b, true);
            return std::unexpected(sent.error());
        }
    }
}

Result<QList<Reply>> Router::run(const QList<Command> &commands, RunInfo *info)
{
    if (m_masters.isEmpty()) {
        if (auto opened = open(); !opened)
            return std::unexpected(opened.error());
    }
    auto batch = prepare(commands, info);
    if (auto sent = sendRound(*batch); !sent) {
        fillInfo(*batch, true);
        return std::unexpected(sent.error());
    }
    return finish(*batch);
}

namespace {

// How far through its hash table a SCAN cursor is: Redis walks buckets in reverse-binary
// order, so the cursor's bits read backwards count the buckets done (as a fraction of 2^64).
double cursorFraction(const QByteArray &cursor)
{
    bool ok = false;
    quint64 v = cursor.toULongLong(&ok);
    if (!ok)
        return 0;
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    v = ((v >> 8) & 0x00FF00FF00FF00FFULL) | ((v & 0x00FF00FF00FF00FFULL) << 8);
    v = ((v >> 16) & 0x0000FFFF0000FFFFULL) | ((v & 0x0000FFFF0000FFFFULL) << 16);
    v = (v >> 32) | (v << 32);
    return std::clamp(double(v) / 18446744073709551616.0, 0.0, 1.0);
}

// Whether `pattern` has no '?' and no class: only characters, escapes and '*', which
// globMatch() reads exactly as the server does.
bool hasOnlyStars(QByteArrayView pattern)
{
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        if (pattern.at(i) == '\\')
            ++i;
        else if (pattern.at(i) == '?' || pattern.at(i) == '[')
            return false;
    }
    return true;
}

// The literal prefix of a pattern that is one, escaped, followed by a single '*' at its end
// ("sess:*"): a key matches it when it starts with that prefix.
std::optional<QByteArray> starSuffixPrefix(QByteArrayView pattern)
{
    QByteArray prefix;
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        const char c = pattern.at(i);
        if (c == '*')
            return i + 1 == pattern.size() ? std::optional(prefix) : std::nullopt;
        if (c == '?' || c == '[')
            return std::nullopt;
        if (c == '\\' && i + 1 < pattern.size())
            ++i;
        prefix.append(pattern.at(i));
    }
    return std::nullopt;
}

using SlotRanges = QList<std::pair<int, int>>; // [first, last], ascending, not adjacent

SlotRanges rangesOf(const QList<int> &ascendingSlots)
{
    SlotRanges ranges;
    for (const int slot : ascendingSlots) {
        if (!ranges.isEmpty() && ranges.last().second + 1 == slot)
            ranges.last().second = slot;
        else
            ranges.append({slot, slot});
    }
    return ranges;
}

// Whether the "myself" line of a CLUSTER NODES reply serves exactly `ranges`, with no slot
// migrating or importing ("[slot->-id]", "[slot-<-id]").
bool servesExactly(const Reply &nodes, const SlotRanges &ranges)
{
    if (nodes.type != Reply::Type::String)
        return false;
    for (const QByteArray &line : nodes.string.split('\n')) {
        const QList<QByteArray> fields = line.trimmed().split(' ');
        if (fields.size() < 8 || !fields.at(2).split(',').contains("myself"))
            continue;
        SlotRanges served;
        for (qsizetype i = 8; i < fields.size(); ++i) {
            const QByteArray &field = fields.at(i);
            if (field.isEmpty())
                continue;
            if (field.startsWith('['))
                return false;
            const qsizetype dash = field.indexOf('-');
            bool firstOk = false, lastOk = true;
            const int first = (dash < 0 ? field : field.left(dash)).toInt(&firstOk);
            const int last = dash < 0 ? first : field.mid(dash + 1).toInt(&lastOk);
            if (!firstOk || !lastOk || first < 0 || last < first || last >= kSlotCount)
                return false;
            served.append({first, last});
        }
        std::sort(served.begin(), served.end());
        SlotRanges merged;
        for (const auto &range : std::as_const(served)) {
            if (!merged.isEmpty() && merged.last().second + 1 >= range.first)
                merged.last().second = std::max(merged.last().second, range.second);
            else
                merged.append(range);
        }
        return merged == ranges;
    }
    return false;
}

} // namespace

qint64 timeMicroseconds(const Reply &reply)
{
    if (reply.type != Reply::Type::Array || reply.elements.size() != 2)
        return -1;
    return reply.elements.at(0).string.toLongLong() * 1000000
        + reply.elements.at(1).string.toLongLong();
}

void BatchTuner::observe(qint64 microseconds)
{
    if (microseconds > kTargetMicroseconds) {
        const double factor = std::min(0.5, 0.8 * double(kTargetMicroseconds) / microseconds);
        m_size = std::max(m_minimum, int(m_size * factor));
    } else if (microseconds < kTargetMicroseconds / 3) {
        m_size = std::min(m_maximum, m_size + std::max(1, m_size / 8));
    }
}

RateLimiter::RateLimiter(int opsPerSecond)
    : m_rate(std::max(0, opsPerSecond))
    , m_tokens(m_rate / 10.0)
{
    m_clock.start();
}

void RateLimiter::acquire(qint64 operations)
{
    if (m_rate <= 0)
        return;
    // A tenth of a second of operations may go at once; more is paid for by sleeping.
    const double burst = std::max(1.0, m_rate / 10.0);
    m_tokens = std::min(burst, m_tokens + m_clock.nsecsElapsed() * 1e-9 * m_rate);
    m_clock.restart();
    m_tokens -= double(operations);
    if (m_tokens < 0) {
        const qint64 waitUs = qint64(-m_tokens * 1e6 / m_rate);
        QThread::usleep(ulong(waitUs));
        m_tokens += m_clock.nsecsElapsed() * 1e-9 * m_rate;
        m_clock.restart();
    }
}

struct Router::MasterScan
{
    // Scan: SCAN's cursor. Slots: CLUSTER GETKEYSINSLOT on each of ownedSlots. Undecided: the
    // first round asks DBSIZE and CLUSTER NODES to choose between them.
    enum class Method { Scan, Undecided, Slots };
    Node *node = nullptr;
    Method method = Method::Scan;
    QByteArray cursor = "0";
    qsizetype nextSlot = 0; // Slots: the index in ownedSlots of the next slot to walk
    QList<int> ownedSlots; // the slots it owned when the pass began
    SlotRanges ownedRanges; // the same as ranges, as CLUSTER NODES gives them
    quint64 generation = 0; // the server session of the pass
    qint64 size = -1; // DBSIZE when the pass began
    double fraction = 0; // of its keys examined so far (estimated from the cursor)
    BatchTuner tuner;
    bool timed = true; // TIME is allowed: each SCAN is measured by the server's own clock
    // This round:
    bool sent = false;
    bool askedSize = false;
    bool timedRound = false; // TIME went before and after
    int walking = 0; // Slots: slots asked for
    bool checking = false; // Slots: CLUSTER NODES asked for (see step 1)
    int walkRounds = 0; // Slots: rounds of this pass
    Result<Connection::Ticket> ticket;
    QElapsedTimer sentAt;
};

Result<void> Router::scanPipelined(const QByteArray &pattern, int maxCount,
                                   const CancelToken &cancel, const ScanPlanner &plan,
                                   const ScanTick &tick, KeySource source)
{
    // One GETKEYSINSLOT returns at most this many keys (about 3 ms of server time); a slot with
    // more is read by SCAN, which has a cursor.
    constexpr int kMostSlotKeys = 5000;
    const bool mayWalk =
        source == KeySource::SlotsOnCluster && isCluster() && hasOnlyStars(pattern);
    // A walk filters keys here; most patterns are a prefix and a star.
    const std::optional<QByteArray> patternPrefix = starSuffixPrefix(pattern);
    const auto matches = [&](const QByteArray &key) {
        return patternPrefix ? key.startsWith(*patternPrefix) : globMatch(pattern, key);
    };
    if (m_masters.isEmpty()) {
        if (auto opened = open(); !opened)
            return opened;
    }
    if (m_rateLimiter.isLimited()) {
        // A round (a batch per master) fits in about a tenth of a second of the rate, so that
        // progress and cancel keep coming while the limiter paces the run.
        const int perMaster =
            m_rateLimiter.rate() / (10 * int(std::max<qsizetype>(1, m_masters.size())));
        maxCount = std::min(maxCount, std::max(1, perMaster));
    }
    maxCount = std::max(1, maxCount);

    QBitArray done(kSlotCount);
    std::vector<std::unique_ptr<MasterScan>> passes;
    ScanProgress progress;
    qint64 examinedDone = 0; // keys of the passes that are complete
    int transportFailures = 0;
    int restarts = 0;
    QDeadlineTimer deadline(m_config.commandTimeoutMs);
    int delay = 50;
    std::optional<ScanWork> planned; // work for the keys of the last round, not yet sent
    // Work sent and not yet finished, oldest first (see step 3). On the heap: its batch points
    // at its RunInfo.
    struct SentWork
    {
        ScanWork work;
        std::unique_ptr<Batch> batch;
        RunInfo info;
        std::optional<StorageError> sendError;
        bool readsOnly = true;
    };
    std::deque<std::unique_ptr<SentWork>> inFlight;
    std::optional<StorageError> stop;
    bool cancelled = false;
    bool finishing = false; // the planner or a batch said stop: no more SCANs

    // The passes are planned again only when the slot map, the masters or the slots scanned
    // change: walking every slot each round would cost more than a small batch.
    quint64 plannedTopology = m_topologyVersion - 1;
    bool replanNeeded = true;
    bool unserved = false; // a slot not yet scanned has no master (at the last planning)
    const auto restartPass = [&](MasterScan &pass) {
        pass.cursor = "0";
        pass.nextSlot = 0;
        if (pass.method == MasterScan::Method::Slots)
            pass.method = MasterScan::Method::Undecided; // the store may have changed
        pass.size = -1;
        pass.fraction = 0;
        ++restarts;
        replanNeeded = true;
    };
    // The tuner learns how long the server took for a round's SCAN or walk.
    const auto observeRound = [](MasterScan &pass, const Reply *before, const Reply *after) {
        const qint64 start = before ? timeMicroseconds(*before) : -1;
        const qint64 end = after ? timeMicroseconds(*after) : -1;
        if (start >= 0 && end >= start) {
            pass.tuner.observe(end - start);
        } else {
            pass.timed = false; // TIME is not allowed (an ACL): the round trip instead
            pass.tuner.observe(pass.sentAt.nsecsElapsed() / 1000);
        }
    };
    const auto passFor = [&](const Node *node) {
        return std::find_if(passes.begin(), passes.end(),
                            [node](const auto &pass) { return pass->node == node; });
    };

    while (true) {
        if (!stop && !cancelled && !finishing && cancel.isCancelled()) {
            cancelled = true;
            planned.reset(); // planned, not attempted
        }
        bool scanning = !stop && !cancelled && !finishing;
        if (scanning) {
            if (auto checked = checkSentinelMaster(false); !checked) {
                stop = checked.error();
                scanning = false;
            }
        }
        if (!scanning)
            unserved = false; // nothing more is scanned: nothing to wait for
        if (scanning && (replanNeeded || unserved || plannedTopology != m_topologyVersion)) {
            replanNeeded = false;
            plannedTopology = m_topologyVersion;
            unserved = false;
            // A pass whose master is no longer one is dropped (its slots are scanned again
            // where they are now); every master that owns a slot not yet scanned gets a pass.
            std::erase_if(passes,
                          [&](const auto &pass) { return !m_masters.contains(pass->node); });
            for (int slot = 0; slot < kSlotCount; ++slot) {
                if (done.testBit(slot))
                    continue;
                Node *owner = ownerOf(slot);
                if (!owner) {
                    unserved = true;
                    continue;
                }
                if (passFor(owner) == passes.end()) {
                    auto pass = std::make_unique<MasterScan>();
                    pass->node = owner;
                    pass->method =
                        mayWalk ? MasterScan::Method::Undecided : MasterScan::Method::Scan;
                    pass->tuner = BatchTuner(maxCount);
                    passes.push_back(std::move(pass));
                }
            }
            if (restarts > 1000) {
                stop = StorageError{Code::Server,
                                    QStringLiteral("Scanning %1 kept restarting: the servers keep "
                                                   "changing.")
                                        .arg(m_config.endpoint()),
                                    QString()};
                scanning = false;
            } else if (unserved) {
                if (deadline.hasExpired()) {
                    int slot = 0;
                    while (slot < kSlotCount && (done.testBit(slot) || ownerOf(slot)))
                        ++slot;
                    stop = StorageError{
                        Code::Server,
                        QStringLiteral("The cluster at %1 serves no master for hash slot %2.")
                            .arg(m_config.endpoint())
                            .arg(slot),
                        QString()};
                    scanning = false;
                } else {
                    refreshSlotMap(false);
                }
            }
        }
        if (!scanning && !planned && inFlight.empty())
            break;
        if (scanning && passes.empty() && !unserved && !planned && inFlight.empty())
            break; // every slot is scanned and every batch done

        // 1. Each master's next SCAN, bracketed by TIME so the server says how long it took.
        bool waitNeeded = false;
        for (auto &pass : passes) {
            pass->sent = false;
            if (!scanning)
                continue;
            Connection &connection = *pass->node->connection;
            if (!connection.isOpen()) {
                m_lastNode = pass->node;
                if (auto opened = connection.open(); !opened) {
                    pass->ticket = std::unexpected(opened.error());
                    pass->sent = true;
                    continue;
                }
            }
            const auto atStart = [](const MasterScan &p) {
                return p.cursor == "0" && p.nextSlot == 0;
            };
            if (!atStart(*pass) && connection.generation() != pass->generation)
                restartPass(*pass); // another server session: its cursor means nothing there
            if (atStart(*pass)) {
                pass->generation = connection.generation();
                pass->ownedSlots = slotsOf(pass->node);
                pass->ownedRanges = rangesOf(pass->ownedSlots);
            }
            QList<Command> commands;
            pass->askedSize = pass->size < 0;
            if (pass->askedSize)
                commands.append(Command{"DBSIZE"});
            pass->timedRound = pass->timed && pass->method != MasterScan::Method::Undecided;
            if (pass->timedRound)
                commands.append(Command{"TIME"});
            if (pass->method == MasterScan::Method::Scan) {
                commands.append(Command{"SCAN", pass->cursor, "MATCH", pattern, "COUNT",
                                        QByteArray::number(pass->tuner.size())});
            } else if (pass->method == MasterScan::Method::Slots) {
                // As many slots as hold about the tuned number of keys, at the pass's average.
                const qint64 perSlot = std::max<qint64>(
                    1, pass->size / std::max<qsizetype>(1, pass->ownedSlots.size()));
                pass->walking =
                    int(std::min<qint64>(std::max<qint64>(1, pass->tuner.size() / perSlot),
                                         pass->ownedSlots.size() - pass->nextSlot));
                for (int i = 0; i < pass->walking; ++i) {
                    commands.append(
                        Command{"CLUSTER", "GETKEYSINSLOT",
                                QByteArray::number(pass->ownedSlots.at(pass->nextSlot + i)),
                                QByteArray::number(kMostSlotKeys + 1)});
                }
                ++pass->walkRounds;
            }
            // CLUSTER NODES (80 us here) says whether the master serves the slots of the pass,
            // none of them migrating. It goes with the first round, which chooses, with the last,
            // which must see any slot that left or joined the master during the walk, and now
            // and then in between, to notice that early.
            pass->checking = pass->method == MasterScan::Method::Undecided
                || (pass->method == MasterScan::Method::Slots
                    && (pass->nextSlot + pass->walking >= pass->ownedSlots.size()
                        || pass->walkRounds % 32 == 0));
            if (pass->checking)
                commands.append(Command{"CLUSTER", "NODES"});
            if (pass->timedRound)
                commands.append(Command{"TIME"});
            pass->sentAt.start();
            pass->ticket = sendTo(pass->node, commands);
            pass->sent = true;
        }

        // 2. The work of the last round's keys goes right behind them.
        std::unique_ptr<SentWork> sending;
        if (planned) {
            sending = std::make_unique<SentWork>();
            sending->work = std::move(*planned);
            planned.reset();
            sending->readsOnly = std::all_of(sending->work.commands.cbegin(),
                                             sending->work.commands.cend(), isReadCommand);
            if (!sending->work.commands.isEmpty()) {
                sending->batch = prepare(sending->work.commands, &sending->info);
                if (auto sent = sendRound(*sending->batch); !sent) {
                    fillInfo(*sending->batch, true);
                    sending->sendError = sent.error();
                    sending->batch.reset();
                }
            }
        }

        // 3. The outcome of the oldest work sent, always taken in (even when the scan stops), so
        // it is counted. Its replies come before this round's on every connection.
        // Reads go two batches deep (the one being finished and two sent), which keeps a server
        // busy while this client parses values; changes go one deep, so that cancel or a fault
        // meets at most one batch sent and not yet answered.
        const bool readsOnly = std::all_of(inFlight.cbegin(), inFlight.cend(),
                                           [](const auto &sent) { return sent->readsOnly; })
            && (!sending || sending->readsOnly);
        const size_t depth = readsOnly ? 2 : 1;
        if (!inFlight.empty() && (inFlight.size() >= depth || !scanning || !sending)) {
            SentWork &previous = *inFlight.front();
            Result<QList<Reply>> replies = previous.batch ? finish(*previous.batch)
                : previous.sendError ? Result<QList<Reply>>(std::unexpected(*previous.sendError))
                                     : Result<QList<Reply>>(QList<Reply>());
            auto more = previous.work.finish ? previous.work.finish(replies, previous.info)
                                             : Result<bool>(true);
            inFlight.pop_front();
            if (!more) {
                if (!stop)
                    stop = more.error();
            } else if (!*more) {
                finishing = true;
            }
        }
        if (sending)
            inFlight.push_back(std::move(sending));

        // 4. The keys of this round.
        QList<QByteArray> keys;
        bool mapChanged = false; // a walked master serves other slots (or some are moving)
        std::vector<MasterScan *> completed;
        std::vector<std::pair<MasterScan *, StorageError>> failed;
        for (auto &pass : passes) {
            if (!pass->sent)
                continue;
            Node *node = pass->node;
            Result<QList<Reply>> replies = pass->ticket
                ? node->connection->receive(*pass->ticket)
                : Result<QList<Reply>>(std::unexpected(pass->ticket.error()));
            if (!replies) {
                failed.emplace_back(pass.get(), replies.error());
                continue;
            }
            qsizetype at = 0;
            if (pass->askedSize) {
                const Reply &size = replies->at(at++);
                if (size.type == Reply::Type::Integer)
                    pass->size = size.integer;
            }
            const Reply *before = pass->timedRound ? &replies->at(at++) : nullptr;
            if (pass->method != MasterScan::Method::Scan) {
                // GETKEYSINSLOT per slot walked, then CLUSTER NODES when asked, then TIME.
                const qsizetype walked =
                    pass->method == MasterScan::Method::Slots ? pass->walking : 0;
                const Reply *after = pass->timedRound
                    ? &replies->at(at + walked + (pass->checking ? 1 : 0))
                    : nullptr;
                const Reply *nodes = pass->checking ? &replies->at(at + walked) : nullptr;
                bool wait = false;
                bool fallBack = false;
                bool moved = false;
                std::optional<StorageError> resolve;
                const auto judge = [&](const Reply &error, const QString &what) {
                    const Fault fault = classify(error);
                    if (fault == Fault::Wait && !deadline.hasExpired())
                        wait = true;
                    else if (fault == Fault::Resolve)
                        resolve = errorFromReply(error, node->address.text(), what);
                    else
                        fallBack = true; // refused (an ACL, a proxy): SCAN instead
                };
                for (qsizetype i = 0; i < walked; ++i) {
                    const Reply &slotKeys = replies->at(at + i);
                    if (slotKeys.isError())
                        judge(slotKeys, QStringLiteral("CLUSTER GETKEYSINSLOT"));
                    else if (slotKeys.type != Reply::Type::Array
                             || slotKeys.elements.size() > kMostSlotKeys)
                        fallBack = true; // more keys than one call may return
                }
                if (nodes && nodes->isError())
                    judge(*nodes, QStringLiteral("CLUSTER NODES"));
                else if (nodes && !servesExactly(*nodes, pass->ownedRanges))
                    moved = fallBack = true;
                if (wait) {
                    waitNeeded = true;
                } else if (resolve) {
                    failed.emplace_back(pass.get(), *resolve);
                } else if (fallBack) {
                    // Keys of a slot that left this master during the walk are where the map
                    // now says; its new owner is scanned for them (that slot is not done).
                    mapChanged |= moved;
                    restartPass(*pass);
                    pass->method = MasterScan::Method::Scan;
                } else if (pass->method == MasterScan::Method::Undecided) {
                    const double perSlot = pass->size < 0 ? -1.0
                                                          : double(pass->size)
                            / double(std::max<qsizetype>(1, pass->ownedSlots.size()));
                    // Slots well below the limit (one with several times the average is rare).
                    // Under a rate limit a slot must fit in a round (a tenth of a second of the
                    // rate), so that progress and cancel keep coming.
                    pass->method = perSlot >= m_slotWalkMinimum && perSlot < kMostSlotKeys / 4.0
                            && (!m_rateLimiter.isLimited() || perSlot <= pass->tuner.maximum())
                        ? MasterScan::Method::Slots
                        : MasterScan::Method::Scan;
                } else {
                    transportFailures = 0;
                    deadline = QDeadlineTimer(m_config.commandTimeoutMs);
                    delay = 50;
                    observeRound(*pass, before, after);
                    for (qsizetype i = 0; i < walked; ++i) {
                        const QList<Reply> &returned = replies->at(at + i).elements;
                        progress.returned += returned.size();
                        for (const Reply &key : returned) {
                            if (matches(key.string))
                                keys.append(key.string);
                        }
                    }
                    pass->nextSlot += walked;
                    pass->fraction = double(pass->nextSlot)
                        / double(std::max<qsizetype>(1, pass->ownedSlots.size()));
                    if (pass->nextSlot >= pass->ownedSlots.size())
                        completed.push_back(pass.get());
                }
                continue;
            }
            const Reply &reply = replies->at(at++);
            const Reply *after = pass->timedRound ? &replies->at(at++) : nullptr;
            if (reply.isError()) {
                const Fault fault = classify(reply);
                const StorageError error =
                    errorFromReply(reply, node->address.text(), QStringLiteral("SCAN"));
                if (fault == Fault::Wait && !deadline.hasExpired()) {
                    waitNeeded = true;
                } else if (fault == Fault::Resolve
                           && m_config.redisMode != StoreConfig::RedisMode::Standalone) {
                    failed.emplace_back(pass.get(), error);
                } else if (!stop) {
                    stop = error;
                }
                continue;
            }
            if (reply.type != Reply::Type::Array || reply.elements.size() != 2) {
                if (!stop) {
                    stop = StorageError{Code::Protocol,
                                        QStringLiteral("SCAN on %1 returned an unexpected reply.")
                                            .arg(node->address.text()),
                                        QString()};
                }
                continue;
            }
            transportFailures = 0;
            deadline = QDeadlineTimer(m_config.commandTimeoutMs);
            delay = 50;
            observeRound(*pass, before, after);
            pass->cursor = reply.elements.at(0).string;
            pass->fraction = std::max(pass->fraction, cursorFraction(pass->cursor));
            const QList<Reply> &returned = reply.elements.at(1).elements;
            progress.returned += returned.size();
            for (const Reply &key : returned)
                keys.append(key.string);
            if (pass->cursor == "0")
                completed.push_back(pass.get());
        }

        // 5. While the servers do the work, this client plans the next batch.
        if (!stop && !cancelled && !finishing && !keys.isEmpty()) {
            auto next = plan(keys);
            if (!next) {
                stop = next.error();
            } else {
                finishing |= next->last;
                planned = std::move(*next);
            }
        }
        if (stop)
            planned.reset(); // planned, not attempted

        if (mapChanged && !stop)
            refreshSlotMap(false);

        // 6. SCAN failures: find the master again (or wait) and scan it again from its start.
        for (auto &[pass, error] : failed) {
            if (stop)
                break;
            if (classify(error) == Fault::Fatal) {
                stop = error;
                break;
            }
            if (classify(error) == Fault::Wait && !deadline.hasExpired()) {
                waitNeeded = true;
                continue;
            }
            if (auto recovered = recover(pass->node, error, deadline, transportFailures);
                !recovered) {
                stop = recovered.error();
                break;
            }
            restartPass(*pass);
        }

        // 7. Masters whose pass is complete. With Sentinel, a failover noticed only now means
        // the pass may have run on a demoted master: the new one is scanned too.
        for (MasterScan *pass : completed) {
            if (stop)
                break;
            if (m_config.redisMode == StoreConfig::RedisMode::Sentinel) {
                if (auto checked = checkSentinelMaster(true); !checked) {
                    stop = checked.error();
                    break;
                }
            }
            if (!m_masters.contains(pass->node)
                || pass->node->connection->generation() != pass->generation) {
                restartPass(*pass);
                continue;
            }
            for (const int slot : pass->ownedSlots)
                done.setBit(slot);
            replanNeeded = true;
            examinedDone += std::max<qint64>(0, pass->size);
            std::erase_if(passes, [pass](const auto &p) { return p.get() == pass; });
        }

        // 8. Progress, every round.
        qint64 examined = examinedDone;
        qint64 total = examinedDone;
        for (const auto &pass : passes) {
            examined += qint64(std::max<qint64>(0, pass->size) * pass->fraction);
            total += std::max<qint64>(0, pass->size);
        }
        progress.examined = std::max(progress.examined, examined);
        progress.total = std::max(total, progress.examined);
        if (tick)
            tick(progress);

        if (waitNeeded && !stop)
            pause(delay, deadline);
        else if (unserved && passes.empty() && !stop)
            pause(delay, deadline);
    }
    if (stop)
        return std::unexpected(*stop);
    if (cancelled)
        return fail(Code::Cancelled, QStringLiteral("Cancelled."));
    return {};
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
