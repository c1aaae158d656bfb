#include "storefacts.h"

#include <QJsonArray>
#include <QPair>

#include <algorithm>

namespace SessionDesk {

namespace {

FactSpec spec(const char *id, const char *group, const char *label, FactType type,
              const char *source, const char *explanation, bool needsScan = false)
{
    const QString fullId = QString::fromLatin1(id);
    return FactSpec{fullId,
                    fullId.section(u'.', 0, 0),
                    QString::fromUtf8(group),
                    QString::fromUtf8(label),
                    type,
                    QString::fromUtf8(source),
                    QString::fromUtf8(explanation),
                    needsScan};
}

QList<FactSpec> buildCatalog()
{
    using enum FactType;
    return {
        // Redis: server
        spec("redis.server.version", "Server", "Redis version", String, "INFO server",
             "The server's version; TLS needs 6.0 or later, ACL users too."),
        spec("redis.server.mode", "Server", "Mode", String, "INFO server, INFO replication",
             "What this connection reaches: standalone, replica, sentinel or cluster."),
        spec("redis.server.role", "Server", "Replication role", String, "INFO replication",
             "master or replica; a replica serves reads of a primary elsewhere."),
        spec("redis.keys.total", "Data", "Keys in the database", Number, "DBSIZE",
             "Every key of the selected database, sessions and anything else."),
        spec("redis.sessions.count", "Data", "Sessions of the layout", Number, "SCAN, PTTL",
             "Sessions counted by a full scan of the layout's keys.", true),
        spec("redis.sessions.without_ttl", "Data", "Sessions without a TTL", Number, "SCAN, PTTL",
             "Sessions that never expire stay valid until someone deletes them.", true),
        spec("redis.layout.key_prefix", "Layout", "Session key prefix", String, "layout",
             "The keys SessionDesk reads and deletes; nothing outside them is touched."),
        spec("redis.layout.user_index", "Layout", "Per-user index", String, "layout",
             "The key pattern of the application's per-user set of session ids, if any."),
        spec("redis.layout.detection", "Layout", "Layout detection", String,
             "SCAN, TYPE, GET, HGETALL",
             "Which framework's layout a sample of the keys and values showed, and the evidence."),
        // Redis: TLS
        spec("redis.tls.connection", "TLS", "This connection uses TLS", Bool, "connection",
             "Whether the bytes between SessionDesk and the server are encrypted."),
        spec("redis.tls.certificate_verified", "TLS", "Server certificate verified", Bool,
             "connection",
             "Without verification (--tls-insecure) anyone on the path can impersonate the "
             "server."),
        spec("redis.tls.port", "TLS", "TLS port", Number, "CONFIG GET tls-port",
             "0 means the server accepts no TLS connections."),
        spec("redis.tls.plain_port", "TLS", "Plain-text port", Number, "CONFIG GET port",
             "0 means plain-text connections are switched off: TLS only."),
        spec("redis.tls.auth_clients", "TLS", "Client certificates", String,
             "CONFIG GET tls-auth-clients",
             "yes: every client must present a certificate; optional; no: none asked for."),
        spec("redis.tls.replication", "TLS", "TLS between primary and replicas", Bool,
             "CONFIG GET tls-replication",
             "Replication traffic carries every session; without TLS it travels in clear."),
        // Redis: access control
        spec("redis.security.protected_mode", "Access control", "Protected mode", Bool,
             "CONFIG GET protected-mode",
             "Refuses clients from other hosts while the default user has no password."),
        spec("redis.acl.connected_user", "Access control", "Connected as", String, "ACL WHOAMI",
             "The ACL user SessionDesk itself uses."),
        spec("redis.acl.default_user_enabled", "Access control", "Default user enabled", Bool,
             "ACL LIST",
             "The default user is what a client gets without AUTH; by default it may do "
             "anything."),
        spec("redis.acl.default_user_nopass", "Access control", "Default user needs no password",
             Bool, "ACL LIST",
             "A default user without a password lets any client that reaches the port in."),
        spec("redis.acl.users", "Access control", "ACL users", List, "ACL LIST",
             "Each user with its rules; password hashes are left out."),
        spec("redis.acl.users_nopass", "Access control", "Enabled users without a password", List,
             "ACL LIST", "Users that accept any password (nopass)."),
        spec("redis.acl.users_all_commands", "Access control", "Users allowed every command", List,
             "ACL LIST", "Enabled users with +@all (allcommands): FLUSHALL, CONFIG SET, …"),
        spec("redis.acl.users_all_keys", "Access control", "Users allowed every key", List,
             "ACL LIST", "Enabled users with ~* (allkeys): not limited to the session keys."),
        // Redis: persistence
        spec("redis.persistence.appendonly", "Persistence", "Append-only file (AOF)", Bool,
             "CONFIG GET appendonly", "Without AOF or snapshots a restart loses every session."),
        spec("redis.persistence.appendfsync", "Persistence", "AOF fsync policy", String,
             "CONFIG GET appendfsync",
             "everysec loses at most about a second of writes on a crash; no leaves it to the "
             "OS."),
        spec("redis.persistence.save", "Persistence", "RDB snapshots", String, "CONFIG GET save",
             "Snapshot schedule as seconds/changes pairs; empty means no snapshots."),
        // Redis: memory
        spec("redis.memory.maxmemory", "Memory", "Memory limit (bytes)", Number,
             "CONFIG GET maxmemory",
             "0 means no limit: the server grows until the operating system stops it."),
        spec("redis.memory.maxmemory_policy", "Memory", "Eviction policy", String,
             "CONFIG GET maxmemory-policy",
             "What goes when the limit is reached: allkeys-* evicts live sessions and indexes "
             "without a TTL; volatile-* only keys that expire anyway; noeviction refuses "
             "writes."),
        // Redis: replication and high availability
        spec("redis.replication.connected_replicas", "High availability", "Connected replicas",
             Number, "INFO replication", "Replicas that copy this primary right now."),
        spec("redis.replication.master_link_status", "High availability", "Link to the primary",
             String, "INFO replication", "On a replica: up when it follows its primary."),
        spec("redis.replication.min_replicas_to_write", "High availability",
             "Replicas required for a write", Number, "CONFIG GET min-replicas-to-write",
             "Writes are refused unless this many replicas are connected; 0 means never."),
        spec("redis.sentinel.watching", "High availability", "Sentinels watching this server",
             Number, "PUBSUB NUMSUB __sentinel__:hello",
             "Each Sentinel that monitors a server subscribes to this channel on it; automatic "
             "failover needs a quorum of them."),
        spec("redis.sentinel.masters", "High availability", "Masters monitored by this Sentinel",
             List, "INFO sentinel", "On a Sentinel: each master with its status and quorum."),
        spec("redis.cluster.enabled", "High availability", "Cluster mode", Bool, "INFO cluster",
             "A Redis Cluster shards keys over several primaries."),
        // Redis: notifications
        spec("redis.notifications.keyspace_events", "Notifications", "Keyspace notifications",
             String, "CONFIG GET notify-keyspace-events",
             "Events published on key changes (e.g. Ex for expiries); empty means none."),

        // DynamoDB: table
        spec("dynamodb.table.name", "Table", "Table", String, "DescribeTable", "The table's name."),
        spec("dynamodb.table.arn", "Table", "Table ARN", String, "DescribeTable",
             "The table's Amazon Resource Name."),
        spec("dynamodb.table.status", "Table", "Status", String, "DescribeTable",
             "ACTIVE when the table serves reads and writes."),
        spec("dynamodb.table.key_schema", "Table", "Key schema", List, "DescribeTable",
             "The primary key: attribute and HASH or RANGE."),
        spec("dynamodb.table.partition_key", "Table", "Partition key", String, "DescribeTable",
             "The attribute every item is found by."),
        spec("dynamodb.table.sort_key", "Table", "Sort key", String, "DescribeTable",
             "Absent for a session table keyed by id alone."),
        spec("dynamodb.table.class", "Table", "Table class", String, "DescribeTable",
             "STANDARD or STANDARD_INFREQUENT_ACCESS (cheaper storage, dearer requests)."),
        spec("dynamodb.table.item_count", "Table", "Item count (refreshed about every 6 h)", Number,
             "DescribeTable", "AWS refreshes this figure about every six hours."),
        spec("dynamodb.table.size_bytes", "Table",
             "Table size in bytes (refreshed about every 6 h)", Number, "DescribeTable",
             "AWS refreshes this figure about every six hours."),
        spec("dynamodb.sessions.count", "Table", "Sessions of the layout", Number, "Scan",
             "Sessions counted by a full scan (billed by the size of the table).", true),
        spec("dynamodb.sessions.without_ttl", "Table", "Sessions without an expiry", Number, "Scan",
             "Items without the expiry attribute are never removed by TTL.", true),
        spec("dynamodb.layout.key_prefix", "Layout", "Session id prefix", String, "layout",
             "Items whose id lacks this prefix are never touched."),
        spec("dynamodb.layout.user_index", "Layout", "Per-user index used", String,
             "layout, DescribeTable",
             "The GSI per-user lookups query; without one they scan the table."),
        // DynamoDB: capacity
        spec("dynamodb.billing.mode", "Capacity", "Billing mode", String, "DescribeTable",
             "PAY_PER_REQUEST (on demand) or PROVISIONED."),
        spec("dynamodb.billing.read_capacity", "Capacity", "Provisioned read capacity", Number,
             "DescribeTable", "Read capacity units; 0 for on-demand tables."),
        spec("dynamodb.billing.write_capacity", "Capacity", "Provisioned write capacity", Number,
             "DescribeTable", "Write capacity units; 0 for on-demand tables."),
        // DynamoDB: indexes
        spec("dynamodb.gsi.names", "Indexes", "Global secondary indexes", List, "DescribeTable",
             "The table's GSIs by name."),
        spec("dynamodb.gsi.*.partition_key", "Indexes", "Index %1: partition key", String,
             "DescribeTable", "The attribute the index is queried by."),
        spec("dynamodb.gsi.*.sort_key", "Indexes", "Index %1: sort key", String, "DescribeTable",
             "The index's range key, if any."),
        spec("dynamodb.gsi.*.projection", "Indexes", "Index %1: projection", String,
             "DescribeTable",
             "KEYS_ONLY copies only keys; ALL copies whole sessions (tokens included) into the "
             "index."),
        spec("dynamodb.gsi.*.status", "Indexes", "Index %1: status", String, "DescribeTable",
             "ACTIVE when the index answers queries completely."),
        // DynamoDB: encryption
        spec("dynamodb.sse.status", "Encryption", "Encryption at rest", String, "DescribeTable",
             "DynamoDB always encrypts at rest; ENABLED here means a KMS key is in use."),
        spec("dynamodb.sse.type", "Encryption", "Key type", String, "DescribeTable",
             "AWS_OWNED (no SSEDescription: a key owned by DynamoDB) or KMS."),
        spec("dynamodb.sse.kms_key_arn", "Encryption", "KMS key ARN", String, "DescribeTable",
             "The KMS key that encrypts the table."),
        spec("dynamodb.sse.key_manager", "Encryption", "KMS key managed by", String,
             "KMS DescribeKey",
             "CUSTOMER for a customer-managed key (CMK), AWS for the aws/dynamodb key."),
        // DynamoDB: protection and recovery
        spec("dynamodb.deletion_protection", "Protection", "Deletion protection", Bool,
             "DescribeTable", "A protected table cannot be deleted until protection is off."),
        spec("dynamodb.pitr.status", "Protection", "Point-in-time recovery", String,
             "DescribeContinuousBackups",
             "ENABLED keeps 35 days of restorable history, session tokens included."),
        spec("dynamodb.streams.enabled", "Protection", "Streams", Bool, "DescribeTable",
             "A stream copies every change (whole sessions with NEW_IMAGE) to its readers."),
        spec("dynamodb.streams.view_type", "Protection", "Stream view type", String,
             "DescribeTable", "KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES."),
        // DynamoDB: expiry
        spec("dynamodb.ttl.status", "Expiry", "Time to live", String, "DescribeTimeToLive",
             "ENABLED: DynamoDB deletes items whose expiry time has passed (within days)."),
        spec("dynamodb.ttl.attribute", "Expiry", "TTL attribute", String, "DescribeTimeToLive",
             "The attribute holding each item's expiry in epoch seconds."),
        // DynamoDB: tags
        spec("dynamodb.tags", "Tags", "Tags", List, "ListTagsOfResource",
             "The table's tags as key=value."),
        spec("dynamodb.tag.*", "Tags", "Tag %1", String, "ListTagsOfResource",
             "The value of one tag."),
    };
}

bool matchesPattern(const QString &pattern, const QString &id, QString *wildcard)
{
    const QStringList p = pattern.split(u'.');
    const QStringList parts = id.split(u'.');
    const qsizetype star = p.indexOf(QStringLiteral("*"));
    if (star < 0)
        return pattern == id;
    // The "*" segment may itself contain dots (a tag key "cost.centre"): match the fixed
    // segments at both ends.
    const qsizetype tail = p.size() - star - 1;
    if (parts.size() < p.size())
        return false;
    for (qsizetype i = 0; i < star; ++i) {
        if (p.at(i) != parts.at(i))
            return false;
    }
    for (qsizetype i = 0; i < tail; ++i) {
        if (p.at(p.size() - 1 - i) != parts.at(parts.size() - 1 - i))
            return false;
    }
    const QString middle = parts.mid(star, parts.size() - star - tail).join(u'.');
    if (middle.isEmpty())
        return false;
    if (wildcard)
        *wildcard = middle;
    return true;
}

} // namespace

QString factTypeName(FactType type)
{
    switch (type) {
    case FactType::Bool:
        return QStringLiteral("bool");
    case FactType::Number:
        return QStringLiteral("number");
    case FactType::String:
        return QStringLiteral("string");
    case FactType::List:
        return QStringLiteral("list");
    }
    return {};
}

QJsonObject StoreFact::toJson() const
{
    QJsonObject object{{QStringLiteral("id"), id},
                       {QStringLiteral("group"), group},
                       {QStringLiteral("label"), label},
                       {QStringLiteral("type"), factTypeName(type)},
                       {QStringLiteral("value"), known ? value : QJsonValue()},
                       {QStringLiteral("display"), display},
                       {QStringLiteral("source"), source},
                       {QStringLiteral("explanation"), explanation},
                       {QStringLiteral("known"), known}};
    if (!known)
        object.insert(QStringLiteral("unknown_reason"), unknownReason);
    return object;
}

const QList<FactSpec> &factCatalog()
{
    static const QList<FactSpec> catalog = buildCatalog();
    return catalog;
}

std::optional<FactSpec> findFactSpec(const QString &id)
{
    for (const FactSpec &s : factCatalog()) {
        if (s.id == id)
            return s;
    }
    for (const FactSpec &s : factCatalog()) {
        QString wildcard;
        if (s.id.contains(u'*') && matchesPattern(s.id, id, &wildcard)) {
            FactSpec found = s;
            found.id = id;
            found.label = s.label.arg(wildcard);
            return found;
        }
    }
    return std::nullopt;
}

QString displayValue(const QJsonValue &value, FactType type)
{
    switch (type) {
    case FactType::Bool:
        return value.isBool() ? (value.toBool() ? QStringLiteral("yes") : QStringLiteral("no"))
                              : QString();
    case FactType::Number: {
        const double n = value.toDouble();
        return n == double(qint64(n)) ? QString::number(qint64(n)) : QString::number(n);
    }
    case FactType::String:
        return value.toString();
    case FactType::List: {
        QStringList items;
        for (const QJsonValue &item : value.toArray())
            items << item.toString();
        return items.isEmpty() ? QStringLiteral("none") : items.join(QStringLiteral(", "));
    }
    }
    return {};
}

StoreFact FactSheet::make(const QString &id, const QString &source) const
{
    StoreFact fact;
    fact.id = id;
    if (const auto found = findFactSpec(id)) {
        fact.group = found->group;
        fact.label = found->label;
        fact.type = found->type;
        fact.source = found->source;
        fact.explanation = found->explanation;
    } else {
        Q_ASSERT_X(false, "FactSheet", "fact id missing from the catalog");
        fact.label = id;
    }
    if (!source.isEmpty())
        fact.source = source;
    return fact;
}

void FactSheet::known(const QString &id, const QJsonValue &value, const QString &display,
                      const QString &source)
{
    StoreFact fact = make(id, source);
    fact.value = value;
    fact.display = display.isEmpty() ? displayValue(value, fact.type) : display;
    if (fact.display.isEmpty() && fact.type == FactType::String)
        fact.display = QStringLiteral("(empty)");
    m_facts.append(std::move(fact));
}

void FactSheet::absent(const QString &id, const QString &display, const QString &source)
{
    StoreFact fact = make(id, source);
    fact.value = QJsonValue(QJsonValue::Null);
    fact.display = display;
    m_facts.append(std::move(fact));
}

void FactSheet::unknown(const QString &id, const QString &reason, const QString &source)
{
    StoreFact fact = make(id, source);
    fact.known = false;
    fact.value = QJsonValue(QJsonValue::Null);
    fact.unknownReason = reason;
    // "unknown (NOPERM)": the code when the reason starts with one, the whole reason otherwise.
    const QString code = reason.section(u':', 0, 0).trimmed();
    fact.display = code.size() < 48 && !code.contains(u' ') && code != reason
        ? QStringLiteral("unknown (%1)").arg(code)
        : QStringLiteral("unknown: %1").arg(reason);
    m_facts.append(std::move(fact));
}

QList<StoreFact> FactSheet::take()
{
    // Position of each fact's catalog entry; wildcard entries match by pattern.
    const QList<FactSpec> &catalog = factCatalog();
    // Facts of one wildcard name (one index's keys, projection, status) stay together.
    const auto rank = [&catalog](const QString &id) {
        for (qsizetype i = 0; i < catalog.size(); ++i) {
            if (catalog.at(i).id == id)
                return i;
        }
        for (qsizetype i = 0; i < catalog.size(); ++i) {
            const QString &pattern = catalog.at(i).id;
            if (!pattern.contains(u'*') || !matchesPattern(pattern, id, nullptr))
                continue;
            const QString stem = pattern.left(pattern.indexOf(u'*'));
            for (qsizetype j = 0; j <= i; ++j) {
                if (catalog.at(j).id.startsWith(stem) && catalog.at(j).id.contains(u'*'))
                    return j;
            }
        }
        return catalog.size();
    };
    QList<QPair<qsizetype, StoreFact>> ranked;
    ranked.reserve(m_facts.size());
    for (StoreFact &fact : m_facts)
        ranked.append({rank(fact.id), std::move(fact)});
    m_facts.clear();
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    QList<StoreFact> sorted;
    sorted.reserve(ranked.size());
    for (auto &[position, fact] : ranked)
        sorted.append(std::move(fact));
    return sorted;
}

void replaceFact(QList<StoreFact> &facts, StoreFact fact)
{
    for (StoreFact &existing : facts) {
        if (existing.id == fact.id) {
            existing = std::move(fact);
            return;
        }
    }
    facts.append(std::move(fact));
}

const StoreFact *findFact(const QList<StoreFact> &facts, const QString &id)
{
    for (const StoreFact &fact : facts) {
        if (fact.id == id)
            return &fact;
    }
    return nullptr;
}

} // namespace SessionDesk
