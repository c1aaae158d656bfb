#include "redissessionstore.h"

#include "keystates.h"
#include "redisfacts.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <algorithm>
#include <optional>
#include <vector>

namespace SessionDesk::Redis {

namespace {

using Code = StorageError::Code;

SessionSummary summaryFrom(const QByteArray &id, qint64 pttl, qint64 size, SessionFields fields,
                           QString type)
{
    SessionSummary s;
    s.id = id;
    s.user = std::move(fields.user);
    s.ttlMs = pttl >= 0 ? pttl : -1;
    if (pttl >= 0)
        s.expiresAt = QDateTime::currentDateTimeUtc().addMSecs(pttl);
    s.sizeBytes = size;
    s.valueType = std::move(type);
    s.startedAt = fields.startedAt;
    s.lastAccessAt = fields.lastAccessAt;
    s.device = std::move(fields.device);
    return s;
}

ValueNode scalarNode(const QByteArray &bytes, const QString &name)
{
    // The whole decoded tree: a field may hold JSON or any codec's container, not only text.
    ValueNode node = decodeValue(bytes).root;
    node.name = name;
    return node;
}

} // namespace

SessionStore::SessionStore(StoreConfig config, SessionLayout layout)
    : m_router(std::move(config))
    , m_layout(std::move(layout))
    , m_fields(m_layout)
    , m_readOnly(m_router.config().readOnly)
{ }

std::optional<StorageError> SessionStore::blockingError(const QList<Reply> &replies,
                                                        const QString &what) const
{
    // These errors are the same for every command (a permission, or a server that stayed
    // unavailable past the router's waiting): report the first.
    for (const Reply &reply : replies) {
        if (!reply.isError())
            continue;
        const QByteArray code = reply.errorCode();
        if (code == "NOPERM" || code == "NOAUTH" || code == "LOADING" || code == "MASTERDOWN"
            || code == "READONLY" || code == "BUSY" || code == "CLUSTERDOWN")
            return errorFromReply(reply, m_router.endpoint(), what);
    }
    return std::nullopt;
}

Result<QList<Reply>> SessionStore::run(const QList<Command> &commands, const QString &what,
                                       RunInfo *info)
{
    auto replies = m_router.run(commands, info);
    if (!replies)
        return replies;
    if (auto error = blockingError(*replies, what))
        return std::unexpected(*error);
    return replies;
}

Result<void> SessionStore::connect()
{
    if (auto valid = m_layout.validate(); !valid)
        return valid;
    auto opened = m_router.open();
    if (!opened)
        return opened;
    // UNLINK frees memory off the main thread; Redis < 4 only has DEL.
    auto probe = m_router.run({{"COMMAND", "INFO", "UNLINK"}});
    if (probe && probe->first().type == Reply::Type::Array && !probe->first().elements.isEmpty()
        && probe->first().elements.first().isNil()) {
        m_deleteVerb = "DEL";
    }
    return {};
}

SessionStore::ValueReads SessionStore::valueReads(const QList<QByteArray> &keys, int width,
                                                  bool timed) const
{
    static const QByteArray mget = "MGET", get = "GET", time = "TIME"; // shared, not copied
    ValueReads reads;
    reads.timed = timed && !m_router.isCluster();
    reads.where.reserve(keys.size());
    if (m_router.isCluster()) {
        // Keys that share a slot (a user's keys with a hash tag) go in one MGET; the others,
        // nearly all of a batch, one GET each.
        QHash<int, qsizetype> commandOfSlot;
        QList<int> slotOf(keys.size());
        QHash<int, int> keysInSlot;
        for (qsizetype i = 0; i < keys.size(); ++i)
            ++keysInSlot[slotOf[i] = keySlot(keys.at(i))];
        for (qsizetype i = 0; i < keys.size(); ++i) {
            const int slot = slotOf.at(i);
            if (keysInSlot.value(slot) == 1) {
                reads.where.append({reads.commands.size(), -1});
                reads.commands.append({get, keys.at(i)});
                continue;
            }
            auto at = commandOfSlot.find(slot);
            if (at == commandOfSlot.end()) {
                at = commandOfSlot.insert(slot, reads.commands.size());
                reads.commands.append({mget});
            }
            Command &command = reads.commands[*at];
            reads.where.append({*at, command.size() - 1});
            command.append(keys.at(i));
        }
        return reads;
    }
    width = std::max(1, width);
    if (reads.timed)
        reads.commands.append({time});
    for (qsizetype at = 0; at < keys.size(); at += width) {
        Command values{mget};
        values.append(keys.mid(at, width));
        for (qsizetype k = 0; k < values.size() - 1; ++k)
            reads.where.append({reads.commands.size(), k});
        reads.commands.append(values);
    }
    if (reads.timed)
        reads.commands.append({time});
    return reads;
}

Result<QList<Reply>> SessionStore::valuesFrom(const QList<Reply> &replies, const ValueReads &reads,
                                              qint64 *serverMicroseconds) const
{
    if (replies.size() < reads.commands.size()) {
        return fail(
            Code::Protocol,
            QStringLiteral("MGET on %1 returned an unexpected reply.").arg(m_router.endpoint()));
    }
    QList<Reply> values;
    values.reserve(reads.where.size());
    for (const auto &[command, element] : reads.where) {
        const Reply &reply = replies.at(command);
        const char *verb = element < 0 ? "GET" : "MGET";
        // WRONGTYPE (from GET): the key holds no string, as MGET's nil says; callers ask TYPE.
        if (reply.isError() && reply.errorCode() != "WRONGTYPE")
            return std::unexpected(
                errorFromReply(reply, m_router.endpoint(), QString::fromLatin1(verb)));
        if (element < 0) {
            values.append(reply.isError() ? Reply() : reply);
            continue;
        }
        if (reply.type != Reply::Type::Array || element >= reply.elements.size()) {
            return fail(Code::Protocol,
                        QStringLiteral("MGET on %1 returned an unexpected reply.")
                            .arg(m_router.endpoint()));
        }
        values.append(reply.elements.at(element));
    }
    if (serverMicroseconds) {
        // TIME before and after the MGETs: the server's own time for them, per MGET.
        *serverMicroseconds = -1;
        const qsizetype count = reads.commands.size() - 2;
        if (reads.timed && count > 0) {
            const auto micros = [](const Reply &time) -> qint64 {
                if (time.type != Reply::Type::Array || time.elements.size() != 2)
                    return -1;
                return time.elements.at(0).string.toLongLong() * 1000000
                    + time.elements.at(1).string.toLongLong();
            };
            const qint64 start = micros(replies.first());
            const qint64 end = micros(replies.at(reads.commands.size() - 1));
            if (start >= 0 && end >= start)
                *serverMicroseconds = (end - start) / count;
        }
    }
    return values;
}

Result<QList<SessionSummary>> SessionStore::summarize(const QList<QByteArray> &keys, bool userOnly)
{
    // The values (one MGET, or a GET per key on a cluster) and, unless only users are wanted, a
    // PTTL per key.
    static const QByteArray pttlVerb = "PTTL"; // shared, not copied per key
    const ValueReads valueRead = valueReads(keys, int(keys.size()), false);
    QList<Command> commands = valueRead.commands;
    const qsizetype reads = commands.size();
    if (!userOnly) {
        commands.reserve(reads + keys.size());
        for (const QByteArray &key : keys)
            commands.append({pttlVerb, key});
    }
    auto replies = run(commands, QStringLiteral("MGET"));
    if (!replies)
        return std::unexpected(replies.error());
    auto values = valuesFrom(*replies, valueRead, nullptr);
    if (!values)
        return std::unexpected(values.error());

    QList<SessionSummary> out;
    out.reserve(keys.size());
    QList<qsizetype> unknown; // indexes into `out` of keys that are gone or not strings
    for (qsizetype i = 0; i < keys.size(); ++i) {
        const Reply &value = values->at(i);
        const qint64 pttl = userOnly ? -1 : replies->at(reads + i).integer;
        if (pttl == -2)
            continue; // expired or deleted since the SCAN
        const QByteArray id = *m_layout.idFromKey(keys.at(i));
        if (value.isNil()) {
            unknown.append(out.size());
            out.append(summaryFrom(id, pttl, 0, {}, QString()));
            continue;
        }
        out.append(summaryFrom(id, pttl, value.string.size(), m_fields.read(value.string, userOnly),
                               QStringLiteral("string")));
    }
    if (!unknown.isEmpty()) {
        QList<Command> typeCommands;
        for (const qsizetype at : unknown)
            typeCommands.append({"TYPE", m_layout.keyForId(out.at(at).id)});
        auto types = run(typeCommands, QStringLiteral("TYPE"));
        if (!types)
            return std::unexpected(types.error());
        for (qsizetype i = unknown.size() - 1; i >= 0; --i) {
            const QByteArray type = types->at(i).string;
            if (type == "none")
                out.removeAt(unknown.at(i)); // gone since the SCAN
            else
                out[unknown.at(i)].valueType = QString::fromUtf8(type);
        }
    }
    return out;
}

Result<StoreInfo> SessionStore::settings()
{
    StoreInfo info;
    info.kind = QStringLiteral("redis");
    info.target = targetName();
    info.layout = m_layout.description;
    auto server = readServerFacts(m_router, m_layout);
    if (!server)
        return std::unexpected(server.error());
    info.serverVersion = server->version;
    info.keysInDatabase = server->keys;
    info.facts = std::move(server->facts);
    return info;
}

Result<StoreInfo> SessionStore::describe(const ProgressCallback &progress,
                                         const CancelToken &cancel)
{
    auto described = settings();
    if (!described)
        return described;
    StoreInfo info = *described;
    Progress p;
    p.phase = QStringLiteral("counting");
    p.total = info.keysInDatabase;
    // Counted with a PTTL per key: sessions that never expire are worth an operator's eye.
    qint64 sessions = 0;
    qint64 withoutTtl = 0;
    KeyStates seen; // SCAN may repeat a key, and a master may be scanned again
    auto counted = m_router.scanPipelined(
        m_layout.scanPattern(), m_batchSize, cancel,
        [&](const QList<QByteArray> &keys) -> Result<ScanWork> {
            ScanWork work;
            for (const QByteArray &key : keys) {
                if (seen.insert(key))
                    work.commands.append({"PTTL", key});
            }
            work.finish = [&](const Result<QList<Reply>> &ttls, const RunInfo &) -> Result<bool> {
                if (!ttls)
                    return std::unexpected(ttls.error());
                if (auto error = blockingError(*ttls, QStringLiteral("PTTL")))
                    return std::unexpected(*error);
                for (const Reply &ttl : *ttls) {
                    if (ttl.integer == -2)
                        continue;
                    ++sessions;
                    if (ttl.integer == -1)
                        ++withoutTtl;
                }
                return true;
            };
            return work;
        },
        [&](const ScanProgress &scanned) {
            p.examined = scanned.examined;
            p.matched = sessions;
            if (scanned.total > 0)
                p.total = scanned.total;
            if (progress)
                progress(p);
        });
    if (!counted)
        return std::unexpected(counted.error());
    info.sessions = sessions;
    info.sessionsWithoutTtl = withoutTtl;
    FactSheet counts;
    counts.known(QStringLiteral("redis.sessions.count"), double(sessions));
    counts.known(QStringLiteral("redis.sessions.without_ttl"), double(withoutTtl));
    for (StoreFact &fact : counts.take())
        replaceFact(info.facts, std::move(fact));
    return info;
}

Result<UserList> SessionStore::listUsers(const ProgressCallback &progress,
                                         const CancelToken &cancel)
{
    // Counts by the user's UTF-8 bytes, looked up without a copy; a QString is made once per
    // user at the end, not once per session.
    QHash<QByteArray, qint64> counts;
    UserList list;
    Progress p;
    p.phase = QStringLiteral("reading sessions");
    // The database size (summed over masters) bounds the keys a scan can return: a fair
    // denominator for progress.
    if (auto size = m_router.databaseSize())
        p.total = *size;
    KeyStates seen; // SCAN may repeat a key, and a master may be scanned again
    // MGET width: no wider than the server answers well within SLOWLOG's 10 ms, nor than
    // about half a megabyte of values.
    BatchTuner width(m_batchSize);
    bool timed = true;
    qint64 valueBytes = 0;
    qint64 values = 0;
    const auto countUser = [&](QByteArrayView user) {
        const QByteArray probe = QByteArray::fromRawData(user.data(), user.size());
        if (auto it = counts.find(probe); it != counts.end())
            ++*it;
        else
            counts.insert(user.toByteArray(), 1);
    };
    auto scanned = m_router.scanPipelined(
        m_layout.scanPattern(), m_batchSize, cancel,
        [&](const QList<QByteArray> &batch) -> Result<ScanWork> {
            QList<QByteArray> keys;
            keys.reserve(batch.size());
            for (const QByteArray &key : batch) {
                if (seen.insert(key))
                    keys.append(key);
            }
            ScanWork work;
            if (keys.isEmpty())
                return work;
            const qint64 averageBytes = values > 0 ? valueBytes / values : 600;
            const int keysPerRead = int(std::clamp<qint64>(
                (512 * 1024) / std::max<qint64>(1, averageBytes), 1, width.size()));
            const ValueReads reads = valueReads(keys, keysPerRead, timed);
            work.commands = reads.commands;
            work.finish = [&, keys, reads](const Result<QList<Reply>> &replies,
                                           const RunInfo &) -> Result<bool> {
                if (!replies)
                    return std::unexpected(replies.error());
                qint64 micros = -1;
                auto read = valuesFrom(*replies, reads, &micros);
                if (!read)
                    return std::unexpected(read.error());
                if (reads.timed && micros < 0)
                    timed = false; // TIME is not allowed: the byte budget alone
                if (micros >= 0)
                    width.observe(micros);
                QList<QByteArray> unknown; // gone, or not strings
                for (qsizetype i = 0; i < keys.size(); ++i) {
                    const Reply &value = read->at(i);
                    if (value.type != Reply::Type::String) {
                        unknown.append(keys.at(i));
                        continue;
                    }
                    ++values;
                    valueBytes += value.string.size();
                    ++list.sessionsExamined;
                    QByteArrayView user;
                    const auto found = m_fields.userBytes(value.string, &user);
                    if (found == SessionFieldReader::UserLookup::Found) {
                        countUser(user);
                    } else if (found == SessionFieldReader::UserLookup::Unsure) {
                        const QString name = m_fields.read(value.string, true).user;
                        if (name.isEmpty())
                            ++list.sessionsWithoutUser;
                        else
                            countUser(name.toUtf8());
                    } else {
                        ++list.sessionsWithoutUser;
                    }
                }
                if (!unknown.isEmpty()) {
                    // A key of another type under the prefix is a session without a user.
                    QList<Command> types;
                    for (const QByteArray &key : unknown)
                        types.append({"TYPE", key});
                    auto kinds = run(types, QStringLiteral("TYPE"));
                    if (!kinds)
                        return std::unexpected(kinds.error());
                    for (const Reply &kind : *kinds) {
                        if (kind.string != "none") {
                            ++list.sessionsExamined;
                            ++list.sessionsWithoutUser;
                        }
                    }
                }
                return true;
            };
            return work;
        },
        [&](const ScanProgress &at) {
            p.examined = at.examined;
            p.matched = list.sessionsExamined;
            if (at.total > 0)
                p.total = at.total;
            if (progress)
                progress(p);
        });
    if (!scanned)
        return std::unexpected(scanned.error());
    // Bytes that are not valid UTF-8 may name the same QString: such users are merged.
    QHash<QString, qint64> byName;
    byName.reserve(counts.size());
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        byName[QString::fromUtf8(it.key())] += it.value();
    counts.clear();
    list.users.reserve(byName.size());
    for (auto it = byName.cbegin(); it != byName.cend(); ++it)
        list.users.append({it.key(), it.value()});
    std::sort(list.users.begin(), list.users.end(), [](const UserSummary &a, const UserSummary &b) {
        return a.sessions != b.sessions ? a.sessions > b.sessions : a.user < b.user;
    });
    return list;
}

Result<SessionStore::UserIndex> SessionStore::readUserIndex(const QString &user)
{
    // The type and the members in one round trip; a sorted set needs a second (SMEMBERS
    // answers WRONGTYPE for it).
    const QByteArray key = m_layout.userIndexKey(user);
    auto replies = run({{"TYPE", key}, {"SMEMBERS", key}}, QStringLiteral("TYPE"));
    if (!replies)
        return std::unexpected(replies.error());
    UserIndex index;
    index.type = replies->at(0).string;
    const Reply *members = nullptr;
    if (index.type == "none")
        return index;
    if (index.type == "set") {
        members = &replies->at(1);
    } else if (index.type == "zset") {
        replies = run({{"ZRANGE", key, "0", "-1"}}, QStringLiteral("ZRANGE"));
        if (!replies)
            return std::unexpected(replies.error());
        members = &replies->at(0);
    } else {
        return fail(Code::Server,
                    QStringLiteral("The user index key %1 on %2 is a %3, not a set "
                                   "or sorted set of session ids.")
                        .arg(displayBytes(key), targetName(), QString::fromUtf8(index.type)));
    }
    if (members->isError()) {
        return std::unexpected(errorFromReply(*members, m_router.endpoint(),
                                              QStringLiteral("Reading the user index")));
    }
    index.ids.reserve(members->elements.size());
    for (const Reply &member : members->elements)
        index.ids.append(member.string);
    return index;
}

Result<SessionPage> SessionStore::sessionPage(const SessionPageRequest &request,
                                              const CancelToken &cancel)
{
    SessionPage page;
    if (request.user && m_layout.hasUserIndex()) {
        // An index is small: one page holds all of it.
        auto index = readUserIndex(*request.user);
        if (!index)
            return std::unexpected(index.error());
        const QList<QByteArray> *ids = &index->ids;
        for (qsizetype at = 0; at < ids->size(); at += m_batchSize) {
            if (cancel.isCancelled())
                return fail(Code::Cancelled, QStringLiteral("Cancelled."));
            const QList<QByteArray> batch = ids->mid(at, m_batchSize);
            QList<QByteArray> keys;
            for (const QByteArray &id : batch)
                keys.append(m_layout.keyForId(id));
            auto summaries = summarize(keys);
            if (!summaries)
                return std::unexpected(summaries.error());
            QSet<QByteArray> alive;
            for (const SessionSummary &s : *summaries)
                alive.insert(s.id);
            for (const QByteArray &id : batch) {
                if (!alive.contains(id))
                    page.staleIndexIds.append(id);
            }
            page.sessions.append(*summaries);
            page.examined += batch.size();
        }
        page.atEnd = true;
        return page;
    }

    // Without an index a filtered page may match nothing for a long while: stop after a bounded
    // number of keys so that the caller can show progress and cancel. The cursor is the
    // router's: on a cluster it names the master and that master's own cursor.
    const qint64 examineBudget = std::max<qint64>(request.pageSize * 20, 20000);
    QByteArray cursor = request.cursor;
    bool atEnd = false;
    do {
        if (cancel.isCancelled())
            return fail(Code::Cancelled, QStringLiteral("Cancelled."));
        auto step = m_router.scanStep(cursor, m_layout.scanPattern(), m_batchSize);
        if (!step)
            return std::unexpected(step.error());
        cursor = step->next;
        atEnd = step->atEnd;
        page.examined += step->keys.size();
        if (step->keys.isEmpty())
            continue;
        auto summaries = summarize(step->keys);
        if (!summaries)
            return std::unexpected(summaries.error());
        for (SessionSummary &s : *summaries) {
            if (!request.user || s.user == *request.user)
                page.sessions.append(std::move(s));
        }
    } while (!atEnd && page.sessions.size() < request.pageSize && page.examined < examineBudget);
    page.atEnd = atEnd;
    page.nextCursor = cursor;
    return page;
}

Result<SessionDetail> SessionStore::session(const QByteArray &id)
{
    const QByteArray key = m_layout.keyForId(id);
    auto replies = run({{"GET", key}, {"PTTL", key}}, QStringLiteral("GET"));
    if (!replies)
        return std::unexpected(replies.error());
    const Reply &value = replies->at(0);
    const qint64 pttl = replies->at(1).integer;
    if (value.isNil() || pttl == -2) {
        return fail(Code::NotFound,
                    QStringLiteral("No session \"%1\" in %2.").arg(displayBytes(id), targetName()));
    }
    SessionDetail detail;
    if (!value.isError()) {
        detail.raw = value.string;
        detail.decoded = decodeValue(value.string);
        detail.summary = summaryFrom(id, pttl, value.string.size(), m_fields.read(value.string),
                                     QStringLiteral("string"));
        return detail;
    }
    if (value.errorCode() != "WRONGTYPE")
        return std::unexpected(errorFromReply(value, m_router.endpoint(), QStringLiteral("GET")));

    // Not a string: show what the key holds, capped, so that an odd key is still inspectable.
    auto type = run({{"TYPE", key}}, QStringLiteral("TYPE"));
    if (!type)
        return std::unexpected(type.error());
    const QByteArray kind = type->first().string;
    Command read;
    if (kind == "hash")
        read = {"HGETALL", key};
    else if (kind == "list")
        read = {"LRANGE", key, "0", "999"};
    else if (kind == "set")
        read = {"SRANDMEMBER", key, "1000"};
    else if (kind == "zset")
        read = {"ZRANGE", key, "0", "999", "WITHSCORES"};
    ValueNode root;
    if (!read.isEmpty()) {
        auto content = run({read}, QString::fromLatin1(read.first()));
        if (!content)
            return std::unexpected(content.error());
        const QList<Reply> &items = content->first().elements;
        const bool pairs = kind == "hash" || kind == "zset";
        root.kind = pairs ? ValueNode::Kind::Map : ValueNode::Kind::List;
        for (qsizetype i = 0; i < items.size(); i += pairs ? 2 : 1) {
            const QString name = pairs ? displayBytes(items.at(i).string) : QString();
            const QByteArray &bytes = pairs ? items.at(i + 1).string : items.at(i).string;
            root.children.append(scalarNode(bytes, name));
        }
        markSecrets(root);
    } else {
        root.kind = ValueNode::Kind::String;
        root.scalar =
            QStringLiteral("(a %1 key; its content is not shown)").arg(QString::fromUtf8(kind));
    }
    detail.decoded.encoding = QStringLiteral("redis-") + QString::fromUtf8(kind);
    detail.decoded.root = root;
    if (kind == "list" || kind == "set" || kind == "zset")
        detail.decoded.warning = QStringLiteral("At most 1000 elements are shown.");
    detail.raw = QJsonDocument(toJson(root, false).toObject()).toJson(QJsonDocument::Compact);
    SessionFields fields;
    fields.user = findUser(root, m_layout.userFields).value_or(QString());
    detail.summary = summaryFrom(id, pttl, 0, fields, QString::fromUtf8(kind));
    return detail;
}

Result<QList<Reply>> SessionStore::unlink(const QList<QByteArray> &keys, RunInfo *info)
{
    QList<Command> commands;
    commands.reserve(keys.size());
    for (const QByteArray &key : keys) {
        Q_ASSERT(m_layout.idFromKey(key) || m_layout.userFromIndexKey(key));
        commands.append({m_deleteVerb, key});
    }
    // Raw replies: callers book each key's outcome, a refusal included.
    return m_router.run(commands, info);
}

Result<qint64> SessionStore::removeFromUserIndex(const QString &user, const QList<QByteArray> &ids)
{
    if (ids.isEmpty() || !m_layout.hasUserIndex())
        return 0;
    const QByteArray key = m_layout.userIndexKey(user);
    Command srem{"SREM", key};
    srem.append(ids);
    auto removed = run({srem}, QStringLiteral("SREM"));
    if (!removed)
        return std::unexpected(removed.error());
    if (removed->first().errorCode() == "WRONGTYPE") {
        Command zrem{"ZREM", key};
        zrem.append(ids);
        removed = run({zrem}, QStringLiteral("ZREM"));
        if (!removed)
            return std::unexpected(removed.error());
    }
    if (removed->first().isError())
        return std::unexpected(errorFromReply(removed->first(), m_router.endpoint(),
                                              QStringLiteral("Updating the user index")));
    return removed->first().integer;
}

Result<RevokeReport> SessionStore::revoke(const QList<QByteArray> &ids)
{
    if (auto refused = refuseIfReadOnly(QStringLiteral("revoke sessions")); !refused)
        return std::unexpected(refused.error());
    RevokeReport report;
    for (qsizetype at = 0; at < ids.size(); at += m_batchSize) {
        const QList<QByteArray> batch = ids.mid(at, m_batchSize);
        QList<QByteArray> keys;
        for (const QByteArray &id : batch)
            keys.append(m_layout.keyForId(id));
        // The user is read before the delete so that the index can be kept consistent.
        QHash<QString, QList<QByteArray>> byUser;
        if (m_layout.hasUserIndex()) {
            auto summaries = summarize(keys, true);
            if (!summaries)
                return std::unexpected(summaries.error());
            for (const SessionSummary &s : *summaries) {
                if (!s.user.isEmpty())
                    byUser[s.user].append(s.id);
            }
        }
        auto results = unlink(keys);
        if (!results)
            return std::unexpected(results.error());
        for (qsizetype i = 0; i < batch.size(); ++i) {
            const Reply &r = results->at(i);
            if (r.isError())
                return std::unexpected(
                    errorFromReply(r, m_router.endpoint(), QStringLiteral("Deleting a session")));
            (r.integer > 0 ? report.revoked : report.notFound).append(batch.at(i));
        }
        for (auto it = byUser.cbegin(); it != byUser.cend(); ++it) {
            auto removed = removeFromUserIndex(it.key(), it.value());
            if (!removed)
                return std::unexpected(removed.error());
            report.indexEntriesRemoved += *removed;
        }
    }
    return report;
}

Result<RevokeReport> SessionStore::logoutUser(const QString &user, const ProgressCallback &progress,
                                              const CancelToken &cancel)
{
    if (auto refused = refuseIfReadOnly(QStringLiteral("log a user out")); !refused)
        return std::unexpected(refused.error());
    if (user.isEmpty())
        return fail(Code::InvalidArgument, QStringLiteral("No user given."));

    RevokeReport report;
    // Deletes sessions and takes exactly those ids out of the index (of `indexType`), in one
    // round trip, so that a login racing with this stays.
    const auto revokeBatch = [&](const QList<QByteArray> &ids,
                                 const QByteArray &indexType) -> Result<void> {
        QList<Command> commands;
        commands.reserve(ids.size() + 1);
        for (const QByteArray &id : ids)
            commands.append({m_deleteVerb, m_layout.keyForId(id)});
        const bool indexed = indexType == "set" || indexType == "zset";
        if (indexed) {
            Command remove{indexType == "zset" ? "ZREM" : "SREM", m_layout.userIndexKey(user)};
            remove.append(ids);
            commands.append(remove);
        }
        auto results = run(commands, QStringLiteral("Deleting a session"));
        if (!results)
            return std::unexpected(results.error());
        for (qsizetype i = 0; i < ids.size(); ++i) {
            const Reply &r = results->at(i);
            if (r.isError())
                return std::unexpected(
                    errorFromReply(r, m_router.endpoint(), QStringLiteral("Deleting a session")));
            (r.integer > 0 ? report.revoked : report.notFound).append(ids.at(i));
        }
        if (!indexed)
            return {};
        const Reply &removed = results->last();
        if (removed.errorCode() == "WRONGTYPE") {
            // The index changed its type meanwhile: SREM, then ZREM.
            auto again = removeFromUserIndex(user, ids);
            if (!again)
                return std::unexpected(again.error());
            report.indexEntriesRemoved += *again;
            return {};
        }
        if (removed.isError())
            return std::unexpected(errorFromReply(removed, m_router.endpoint(),
                                                  QStringLiteral("Updating the user index")));
        report.indexEntriesRemoved += removed.integer;
        return {};
    };

    if (m_layout.hasUserIndex()) {
        auto index = readUserIndex(user);
        if (!index)
            return std::unexpected(index.error());
        for (qsizetype at = 0; at < index->ids.size(); at += m_batchSize) {
            if (at > 0 && cancel.isCancelled())
                return fail(Code::Cancelled, QStringLiteral("Cancelled."));
            if (auto done = revokeBatch(index->ids.mid(at, m_batchSize), index->type); !done)
                return std::unexpected(done.error());
        }
        return report;
    }

    // Without an index every session is read (its user only) and the user's are deleted as
    // they are found.
    const QByteArray wanted = user.toUtf8();
    Progress p;
    p.phase = QStringLiteral("finding sessions");
    if (auto size = m_router.databaseSize())
        p.total = *size;
    KeyStates seen;
    qint64 found = 0;
    auto scanned = m_router.scanPipelined(
        m_layout.scanPattern(), m_batchSize, cancel,
        [&](const QList<QByteArray> &batch) -> Result<ScanWork> {
            QList<QByteArray> keys;
            for (const QByteArray &key : batch) {
                if (seen.insert(key))
                    keys.append(key);
            }
            ScanWork work;
            if (keys.isEmpty())
                return work;
            const ValueReads reads = valueReads(keys, m_batchSize, false);
            work.commands = reads.commands;
            work.finish = [&, keys, reads](const Result<QList<Reply>> &replies,
                                           const RunInfo &) -> Result<bool> {
                if (!replies)
                    return std::unexpected(replies.error());
                auto values = valuesFrom(*replies, reads, nullptr);
                if (!values)
                    return std::unexpected(values.error());
                QList<QByteArray> ids;
                for (qsizetype i = 0; i < keys.size(); ++i) {
                    const Reply &value = values->at(i);
                    if (value.type != Reply::Type::String)
                        continue;
                    QByteArrayView name;
                    const auto lookup = m_fields.userBytes(value.string, &name);
                    const bool match = lookup == SessionFieldReader::UserLookup::Found
                        ? name == wanted
                        : lookup == SessionFieldReader::UserLookup::Unsure
                            && m_fields.read(value.string, true).user == user;
                    if (match)
                        ids.append(*m_layout.idFromKey(keys.at(i)));
                }
                found += ids.size();
                if (!ids.isEmpty()) {
                    if (auto done = revokeBatch(ids, QByteArray()); !done)
                        return std::unexpected(done.error());
                }
                return true;
            };
            return work;
        },
        [&](const ScanProgress &at) {
            p.examined = at.examined;
            p.matched = found;
            p.destroyed = report.revoked.size();
            if (at.total > 0)
                p.total = at.total;
            if (progress)
                progress(p);
        });
    if (!scanned)
        return std::unexpected(scanned.error());
    return report;
}

Result<DestroyReport> SessionStore::destroyAll(bool dryRun, const ProgressCallback &progress,
                                               const CancelToken &cancel)
{
    if (!dryRun) {
        if (auto refused = refuseIfReadOnly(QStringLiteral("destroy sessions")); !refused)
            return std::unexpected(refused.error());
    }
    QElapsedTimer clock;
    clock.start();
    DestroyReport report;
    report.dryRun = dryRun;
    Progress p;
    p.phase = dryRun ? QStringLiteral("counting") : QStringLiteral("destroying");
    if (auto size = m_router.databaseSize())
        p.total = *size;
    QSet<QString> causes;

    // Each key's latest outcome. A key can be met again: SCAN repeats keys, and a master is
    // scanned again after a reconnect or a failover, where a session that a demoted master had
    // deleted may be back. It is deleted again, and counted once, by its latest outcome.
    KeyStates states;
    struct Tally
    {
        qint64 destroyed = 0;
        qint64 failed = 0;
        qint64 unconfirmed = 0;
        bool sessions = false; // session keys (reported to the outcome sink), not index keys
        qint64 *counter(KeyStates::State state)
        {
            switch (state) {
            case KeyStates::Destroyed:
                return &destroyed;
            case KeyStates::Failed:
                return &failed;
            case KeyStates::Unconfirmed:
                return &unconfirmed;
            default:
                return nullptr;
            }
        }
        bool any() const { return destroyed > 0 || failed > 0 || unconfirmed > 0; }
    };
    Tally sessionTally;
    sessionTally.sessions = true;
    Tally indexTally;
    const auto book = [&](Tally &tally, const QByteArray &key, KeyStates::State next) {
        const KeyStates::State before = states.exchange(key, next);
        // A confirmed delete stays confirmed: a repeat that answers 0 changes nothing.
        if (before == next || before == KeyStates::Destroyed) {
            states.set(key, before);
            return;
        }
        if (qint64 *count = tally.counter(before))
            --*count;
        if (qint64 *count = tally.counter(next))
            ++*count;
        if (tally.sessions && m_outcomeSink) {
            const DestroyOutcome outcome = next == KeyStates::Destroyed ? DestroyOutcome::Destroyed
                : next == KeyStates::Failed                             ? DestroyOutcome::Failed
                : next == KeyStates::Unconfirmed ? DestroyOutcome::Unconfirmed
                                                 : DestroyOutcome::AlreadyGone;
            m_outcomeSink->sessionOutcome(*m_layout.idFromKey(key), outcome);
        }
    };
    // Books each key of one batch of deletes. Errors that refuse a command as a whole (a
    // permission, a replica, a server still loading or busy after the router's waiting) stop
    // the run: those keys were not attempted. When the batch failed, the deletes answered
    // before the failure still count, and those sent without an answer are unconfirmed.
    const auto bookBatch = [&](const QList<QByteArray> &keys, const Result<QList<Reply>> &results,
                               const RunInfo &info, Tally &tally) -> Result<void> {
        const QList<Reply> &replies = results ? *results : info.replies;
        std::optional<StorageError> stop;
        for (qsizetype i = 0; i < keys.size(); ++i) {
            if (!results && !info.answered.value(i)) {
                if (info.uncertain.value(i))
                    book(tally, keys.at(i), KeyStates::Unconfirmed);
                continue;
            }
            const Reply &r = replies.at(i);
            const QByteArray code = r.errorCode();
            if (code == "NOPERM" || code == "NOAUTH" || code == "READONLY" || code == "LOADING"
                || code == "BUSY" || code == "MASTERDOWN" || code == "CLUSTERDOWN") {
                if (!stop)
                    stop =
                        errorFromReply(r, m_router.endpoint(), QString::fromLatin1(m_deleteVerb));
            } else if (r.isError()) {
                book(tally, keys.at(i), KeyStates::Failed);
                causes.insert(QString::fromUtf8(r.string));
            } else if (r.integer > 0) {
                book(tally, keys.at(i), KeyStates::Destroyed);
            } else {
                book(tally, keys.at(i),
                     info.uncertain.value(i) ? KeyStates::Unconfirmed : KeyStates::Gone);
            }
        }
        if (!results)
            return std::unexpected(results.error());
        if (stop)
            return std::unexpected(*stop);
        return {};
    };
    const auto publish = [&] {
        report.destroyed = sessionTally.destroyed;
        report.failed = sessionTally.failed;
        report.unconfirmed = sessionTally.unconfirmed;
        p.matched = report.matched;
        p.destroyed = report.destroyed;
        p.failed = report.failed;
    };
    // One UNLINK per key: each key's own answer says whether this run removed it, which the
    // report and the outcome sink need (a multi-key UNLINK only says how many).
    const auto deletes = [&](const QList<QByteArray> &keys) {
        QList<Command> commands;
        commands.reserve(keys.size());
        for (const QByteArray &key : keys) {
            Q_ASSERT(m_layout.idFromKey(key) || m_layout.userFromIndexKey(key));
            commands.append({m_deleteVerb, key});
        }
        return commands;
    };
    // The keys SCAN returned (repeats too, so a key back after a failover is deleted again);
    // those met for the first time are counted when their batch is done.
    const auto planDeletes = [&](const QList<QByteArray> &keys, qint64 *counter,
                                 Tally &tally) -> ScanWork {
        qint64 fresh = 0;
        for (const QByteArray &key : keys)
            fresh += states.insert(key) ? 1 : 0;
        ScanWork work;
        if (!dryRun)
            work.commands = deletes(keys);
        work.finish = [&, keys, fresh, counter](const Result<QList<Reply>> &results,
                                                const RunInfo &info) -> Result<bool> {
            *counter += fresh;
            if (!dryRun) {
                if (auto booked = bookBatch(keys, results, info, tally); !booked) {
                    publish();
                    return std::unexpected(booked.error());
                }
            }
            publish();
            return true;
        };
        return work;
    };
    const auto tick = [&](const ScanProgress &scanned) {
        p.examined = scanned.examined;
        if (scanned.total > 0)
            p.total = scanned.total;
        if (progress)
            progress(p);
    };

    auto sessions = m_router.scanPipelined(
        m_layout.scanPattern(), m_batchSize, cancel,
        [&](const QList<QByteArray> &keys) -> Result<ScanWork> {
            return planDeletes(keys, &report.matched, sessionTally);
        },
        tick);
    report.examined = p.examined;
    // After the first delete an error must not lose the counts: report what was done.
    if (!sessions && sessions.error().code != Code::Cancelled) {
        if (!sessionTally.any())
            return std::unexpected(sessions.error());
        report.abortReason = sessions.error().message;
    }
    report.cancelled = !sessions && sessions.error().code == Code::Cancelled;

    // Index keys only go once every session is gone; a cancelled run leaves them for the
    // sessions that remain.
    qint64 indexKeysFound = 0;
    if (!report.cancelled && report.abortReason.isEmpty() && m_layout.hasUserIndex()) {
        auto indexes = m_router.scanPipelined(
            m_layout.userIndexScanPattern(), m_batchSize, cancel,
            [&](const QList<QByteArray> &keys) -> Result<ScanWork> {
                QList<QByteArray> ours;
                for (const QByteArray &key : keys) {
                    if (m_layout.userFromIndexKey(key))
                        ours.append(key);
                }
                return planDeletes(ours, &indexKeysFound, indexTally);
            },
            [&](const ScanProgress &) {
                // The sessions' counts stay; the index clean-up is
                // short, but cancel and progress still come.
                if (progress)
                    progress(p);
            });
        if (!indexes && indexes.error().code != Code::Cancelled) {
            // As with sessions: an error before anything was deleted is just an error.
            if (!sessionTally.any() && !indexTally.any())
                return std::unexpected(indexes.error());
            report.abortReason = indexes.error().message;
        }
        report.cancelled = !indexes && indexes.error().code == Code::Cancelled;
    }
    publish();
    report.indexKeysDestroyed = dryRun ? indexKeysFound : indexTally.destroyed;
    report.errors = causes.values();
    report.errors.sort();
    report.durationMs = clock.elapsed();
    return report;
}

} // namespace SessionDesk::Redis
