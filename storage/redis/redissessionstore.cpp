#include "redissessionstore.h"

#include "keystates.h"
#include "layoutdetect.h"
#include "redisfacts.h"
#include "usercounts.h"

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
    s.idleTimeoutSeconds = fields.idleTimeoutSeconds;
    return s;
}

// The field-value pairs of a HGETALL reply; `size` gets their bytes.
QList<QPair<QByteArray, QByteArray>> hashFields(const Reply &reply, qint64 *size)
{
    QList<QPair<QByteArray, QByteArray>> fields;
    fields.reserve(reply.elements.size() / 2);
    *size = 0;
    for (qsizetype f = 0; f + 1 < reply.elements.size(); f += 2) {
        fields.append({reply.elements.at(f).string, reply.elements.at(f + 1).string});
        *size += reply.elements.at(f).string.size() + reply.elements.at(f + 1).string.size();
    }
    return fields;
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
    if (m_layout.isAuto())
        return detectLayout();
    return {};
}

Result<void> SessionStore::detectLayout()
{
    // A bounded sample: a few SCAN calls over every key (so that sessions of any preset can
    // turn up), then the type of each and the values of the first few hundred.
    constexpr qsizetype kSampleKeys = 400;
    constexpr qsizetype kSampleValues = 200;
    constexpr qsizetype kSampleHashes = 50;
    constexpr int kScanCalls = 8;
    QList<KeySample> samples;
    QSet<QByteArray> seen;
    QByteArray cursor;
    for (int call = 0; call < kScanCalls && samples.size() < kSampleKeys; ++call) {
        auto step = m_router.scanStep(cursor, "*", 500);
        if (!step)
            return std::unexpected(step.error());
        for (const QByteArray &key : step->keys) {
            if (samples.size() < kSampleKeys && !seen.contains(key)) {
                seen.insert(key);
                samples.append(KeySample{key, {}, {}, {}, false});
            }
        }
        if (step->atEnd)
            break;
        cursor = step->next;
    }
    if (!samples.isEmpty()) {
        QList<Command> types;
        for (const KeySample &sample : std::as_const(samples))
            types.append({"TYPE", sample.key});
        // Raw replies: an ACL that hides some keys answers NOPERM for them, and they are left
        // out of the sample rather than failing the connection.
        auto replies = m_router.run(types);
        if (!replies)
            return std::unexpected(replies.error());
        for (qsizetype i = 0; i < samples.size(); ++i) {
            if (!replies->at(i).isError())
                samples[i].type = replies->at(i).string;
        }
        QList<qsizetype> strings, hashes;
        for (qsizetype i = 0; i < samples.size(); ++i) {
            if (samples.at(i).type == "string" && strings.size() < kSampleValues)
                strings.append(i);
            else if (samples.at(i).type == "hash" && hashes.size() < kSampleHashes)
                hashes.append(i);
        }
        QList<Command> reads;
        for (const qsizetype i : std::as_const(strings))
            reads.append({"GET", samples.at(i).key});
        for (const qsizetype i : std::as_const(hashes))
            reads.append({"HGETALL", samples.at(i).key});
        auto values = m_router.run(reads);
        if (!values)
            return std::unexpected(values.error());
        for (qsizetype n = 0; n < reads.size(); ++n) {
            const Reply &reply = values->at(n);
            if (reply.isError() || reply.isNil())
                continue; // gone or changed type since the SCAN
            KeySample &sample =
                samples[n < strings.size() ? strings.at(n) : hashes.at(n - strings.size())];
            if (sample.type == "string") {
                sample.value = reply.string;
            } else {
                for (qsizetype f = 0; f + 1 < reply.elements.size(); f += 2)
                    sample.fields.append(
                        {reply.elements.at(f).string, reply.elements.at(f + 1).string});
            }
            sample.valueRead = true;
        }
    }
    qint64 keysInStore = -1;
    if (auto size = m_router.databaseSize())
        keysInStore = *size;
    const LayoutDetection detection = SessionDesk::detectLayout(samples, m_layout, keysInStore);
    if (detection.outcome == LayoutDetection::Outcome::Undecided)
        return fail(Code::InvalidArgument,
                    QStringLiteral("%1 (%2)").arg(detection.explanation, targetName()));
    if (auto valid = detection.layout.validate(); !valid)
        return valid;
    m_layout = detection.layout;
    m_fields = SessionFieldReader(m_layout);
    m_layoutNote = detection.explanation;
    return {};
}

SessionStore::ValueReads SessionStore::valueReads(const QList<QByteArray> &keys, int width,
                                                  bool timed) const
{
    static const QByteArray mget = "MGET", time = "TIME"; // shared, not copied
    ValueReads reads;
    reads.timed = timed && !m_router.isCluster();
    reads.where.reserve(keys.size());
    // On a cluster the router splits each MGET by slot: a slot walk's keys come slot by slot,
    // so most of its parts are whole slots.
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
        if (reply.isError())
            return std::unexpected(
                errorFromReply(reply, m_router.endpoint(), QStringLiteral("MGET")));
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
            const qint64 start = timeMicroseconds(replies.first());
            const qint64 end = timeMicroseconds(replies.at(reads.commands.size() - 1));
            if (start >= 0 && end >= start)
                *serverMicroseconds = (end - start) / count;
        }
    }
    return values;
}

QList<QByteArray> SessionStore::newSessionKeys(const QList<QByteArray> &keys, KeyStates &seen) const
{
    QList<QByteArray> candidates;
    candidates.reserve(keys.size());
    for (const QByteArray &key : keys) {
        if (m_layout.idFromKey(key))
            candidates.append(key);
    }
    QList<QByteArray> sessions;
    sessions.reserve(candidates.size());
    seen.insertBatch(candidates, [&](qsizetype i) { sessions.append(candidates.at(i)); });
    return sessions;
}

QList<QByteArray> SessionStore::ttlKeysOf(const QList<QByteArray> &keys) const
{
    QList<QByteArray> ttlKeys;
    if (m_layout.ttlKey.isEmpty())
        return ttlKeys;
    ttlKeys.reserve(keys.size());
    for (const QByteArray &key : keys) {
        ttlKeys.append(
            SessionLayout::expandTemplate(m_layout.ttlKey,
                                          {{QStringLiteral("prefix"), m_layout.keyPrefix},
                                           {QStringLiteral("key"), key},
                                           {QStringLiteral("id"), *m_layout.idFromKey(key)}})
                .value_or(QByteArray()));
    }
    return ttlKeys;
}

SessionStore::ValueReads SessionStore::userReads(const QList<QByteArray> &keys, int width,
                                                 bool timed) const
{
    if (m_layout.valueType != SessionLayout::ValueType::Hash)
        return valueReads(keys, width, timed);
    static const QByteArray hgetall = "HGETALL"; // shared, not copied per key
    ValueReads reads;
    reads.hashes = true;
    reads.commands.reserve(keys.size());
    reads.where.reserve(keys.size());
    for (const QByteArray &key : keys) {
        reads.where.append({reads.commands.size(), -1});
        reads.commands.append({hgetall, key});
    }
    return reads;
}

Result<void> SessionStore::visitUsers(const QList<Reply> &replies, const ValueReads &reads,
                                      qint64 *serverMicroseconds, const UserVisitor &visit) const
{
    if (!reads.hashes) {
        auto values = valuesFrom(replies, reads, serverMicroseconds);
        if (!values)
            return std::unexpected(values.error());
        for (qsizetype i = 0; i < values->size(); ++i) {
            const Reply &value = values->at(i);
            if (value.type != Reply::Type::String) {
                visit(i, std::nullopt, 0);
                continue;
            }
            QByteArrayView user;
            switch (m_fields.userBytes(value.string, &user)) {
            case SessionFieldReader::UserLookup::Found:
                visit(i, user, value.string.size());
                break;
            case SessionFieldReader::UserLookup::None:
                visit(i, QByteArrayView(), value.string.size());
                break;
            case SessionFieldReader::UserLookup::Unsure: {
                // Another encoding, escapes or an odd number: the full reader.
                const QByteArray name = m_fields.read(value.string, true).user.toUtf8();
                visit(i, QByteArrayView(name), value.string.size());
                break;
            }
            }
        }
        return {};
    }
    if (serverMicroseconds)
        *serverMicroseconds = -1;
    if (replies.size() < reads.commands.size()) {
        return fail(
            Code::Protocol,
            QStringLiteral("HGETALL on %1 returned an unexpected reply.").arg(m_router.endpoint()));
    }
    for (qsizetype i = 0; i < reads.commands.size(); ++i) {
        const Reply &value = replies.at(i);
        if (value.isError()) {
            // WRONGTYPE: the key holds no hash; callers ask TYPE.
            if (value.errorCode() != "WRONGTYPE")
                return std::unexpected(
                    errorFromReply(value, m_router.endpoint(), QStringLiteral("HGETALL")));
            visit(i, std::nullopt, 0);
            continue;
        }
        if (value.elements.isEmpty()) {
            visit(i, std::nullopt, 0); // gone since the SCAN
            continue;
        }
        qint64 size = 0;
        const DecodedValue decoded = decodeHashFields(hashFields(value, &size));
        const QByteArray name = m_fields.readTree(decoded.root, true).user.toUtf8();
        visit(i, QByteArrayView(name), size);
    }
    return {};
}

Result<QList<SessionSummary>> SessionStore::summarize(const QList<QByteArray> &candidates,
                                                      bool userOnly)
{
    // A SCAN of the session pattern also meets the layout's bookkeeping keys under the prefix
    // (Spring's shadow keys, phpredis' lock keys): they are not sessions.
    QList<QByteArray> keys;
    keys.reserve(candidates.size());
    for (const QByteArray &key : candidates) {
        if (m_layout.idFromKey(key))
            keys.append(key);
    }
    if (keys.isEmpty())
        return QList<SessionSummary>();
    if (m_layout.valueType == SessionLayout::ValueType::Hash)
        return summarizeHashes(keys, userOnly);
    // Where the framework keeps the real expiry on another key (a shadow key), its PTTL wins
    // while that key exists.
    const QList<QByteArray> ttlKeys = userOnly ? QList<QByteArray>() : ttlKeysOf(keys);

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
        for (const QByteArray &key : std::as_const(ttlKeys))
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
        qint64 pttl = userOnly ? -1 : replies->at(reads + i).integer;
        if (pttl == -2)
            continue; // expired or deleted since the SCAN
        if (!ttlKeys.isEmpty() && replies->at(reads + keys.size() + i).integer != -2)
            pttl = replies->at(reads + keys.size() + i).integer;
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
    if (!m_layoutNote.isEmpty()) {
        // How an "auto" layout was chosen, beside the layout's other facts.
        FactSheet sheet;
        sheet.known(QStringLiteral("redis.layout.detection"), m_layoutNote);
        const auto after =
            std::find_if(info.facts.begin(), info.facts.end(),
                         [](const StoreFact &f) { return f.id == u"redis.layout.user_index"; });
        info.facts.insert(after == info.facts.end() ? info.facts.size()
                                                    : after - info.facts.begin() + 1,
                          sheet.take().first());
    }
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
            for (const QByteArray &key : newSessionKeys(keys, seen))
                work.commands.append({"PTTL", key});
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
        },
        Router::KeySource::SlotsOnCluster);
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
    UserCounts counts;
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
    // On a cluster, the keys come slot by slot where that is cheaper, so that values are read
    // with MGETs instead of one GET per key.
    auto scanned = m_router.scanPipelined(
        m_layout.scanPattern(), m_batchSize, cancel,
        [&](const QList<QByteArray> &batch) -> Result<ScanWork> {
            const QList<QByteArray> keys = newSessionKeys(batch, seen);
            ScanWork work;
            if (keys.isEmpty())
                return work;
            const qint64 averageBytes = values > 0 ? valueBytes / values : 600;
            const int keysPerRead = int(std::clamp<qint64>(
                (512 * 1024) / std::max<qint64>(1, averageBytes), 1, width.size()));
            const ValueReads reads = userReads(keys, keysPerRead, timed);
            work.commands = reads.commands;
            work.finish = [&, keys, reads](const Result<QList<Reply>> &replies,
                                           const RunInfo &) -> Result<bool> {
                if (!replies)
                    return std::unexpected(replies.error());
                qint64 micros = -1;
                QList<QByteArray> unknown; // gone, or not of the layout's type
                auto visited =
                    visitUsers(*replies, reads, &micros,
                               [&](qsizetype i, std::optional<QByteArrayView> user, qint64 bytes) {
                                   if (!user) {
                                       unknown.append(keys.at(i));
                                       return;
                                   }
                                   ++values;
                                   valueBytes += bytes;
                                   ++list.sessionsExamined;
                                   if (user->isEmpty())
                                       ++list.sessionsWithoutUser;
                                   else
                                       counts.queue(*user);
                               });
                counts.flush();
                if (!visited)
                    return std::unexpected(visited.error());
                if (reads.timed && micros < 0)
                    timed = false; // TIME is not allowed: the byte budget alone
                if (micros >= 0)
                    width.observe(micros);
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
        },
        Router::KeySource::SlotsOnCluster);
    if (!scanned)
        return std::unexpected(scanned.error());
    list.users.reserve(counts.size());
    bool allUtf8 = true;
    counts.forEach([&](QByteArrayView user, qint64 sessions) {
        allUtf8 = allUtf8 && user.isValidUtf8();
        list.users.append({QString::fromUtf8(user), sessions});
    });
    counts = {};
    if (!allUtf8) {
        // Bytes that are not valid UTF-8 may name the same QString: such users are merged.
        QHash<QString, qint64> byName;
        byName.reserve(list.users.size());
        for (const UserSummary &user : std::as_const(list.users))
            byName[user.user] += user.sessions;
        list.users.clear();
        for (auto it = byName.cbegin(); it != byName.cend(); ++it)
            list.users.append({it.key(), it.value()});
    }
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

Result<QList<SessionSummary>> SessionStore::summarizeHashes(const QList<QByteArray> &keys,
                                                            bool userOnly)
{
    // Each hash whole: its values are small (Spring's are a few JDK-serialized objects) and the
    // user may sit in one of several attributes.
    QList<Command> commands;
    commands.reserve(keys.size() * (userOnly ? 1 : 3));
    for (const QByteArray &key : keys)
        commands.append({"HGETALL", key});
    const QList<QByteArray> ttlKeys = userOnly ? QList<QByteArray>() : ttlKeysOf(keys);
    if (!userOnly) {
        for (const QByteArray &key : keys)
            commands.append({"PTTL", key});
        for (const QByteArray &key : ttlKeys)
            commands.append({"PTTL", key});
    }
    auto replies = run(commands, QStringLiteral("HGETALL"));
    if (!replies)
        return std::unexpected(replies.error());
    QList<SessionSummary> out;
    QList<qsizetype> odd; // indexes into `out` of keys that are not hashes
    for (qsizetype i = 0; i < keys.size(); ++i) {
        const Reply &value = replies->at(i);
        qint64 pttl = userOnly ? -1 : replies->at(keys.size() + i).integer;
        if (pttl == -2)
            continue;
        if (!ttlKeys.isEmpty() && replies->at(2 * keys.size() + i).integer != -2)
            pttl = replies->at(2 * keys.size() + i).integer;
        const QByteArray id = *m_layout.idFromKey(keys.at(i));
        if (value.isError()) {
            if (value.errorCode() != "WRONGTYPE")
                return std::unexpected(
                    errorFromReply(value, m_router.endpoint(), QStringLiteral("HGETALL")));
            odd.append(out.size());
            out.append(summaryFrom(id, pttl, 0, {}, QString()));
            continue;
        }
        if (value.elements.isEmpty())
            continue; // gone since the SCAN
        qint64 size = 0;
        const auto fields = hashFields(value, &size);
        out.append(summaryFrom(id, pttl, size,
                               m_fields.readTree(decodeHashFields(fields).root, userOnly),
                               QStringLiteral("hash")));
    }
    if (!odd.isEmpty()) {
        QList<Command> typeCommands;
        for (const qsizetype at : std::as_const(odd))
            typeCommands.append({"TYPE", m_layout.keyForId(out.at(at).id)});
        auto types = run(typeCommands, QStringLiteral("TYPE"));
        if (!types)
            return std::unexpected(types.error());
        for (qsizetype i = odd.size() - 1; i >= 0; --i) {
            const QByteArray type = types->at(i).string;
            if (type == "none")
                out.removeAt(odd.at(i));
            else
                out[odd.at(i)].valueType = QString::fromUtf8(type);
        }
    }
    return out;
}

Result<std::optional<SessionDetail>> SessionStore::readSession(const QByteArray &key)
{
    const bool hash = m_layout.valueType == SessionLayout::ValueType::Hash;
    const QByteArray id = m_layout.idFromKey(key).value_or(key.mid(m_layout.keyPrefix.size()));
    QList<Command> commands{{hash ? "HGETALL" : "GET", key}, {"PTTL", key}};
    if (!m_layout.ttlKey.isEmpty()) {
        commands.append(
            {"PTTL",
             SessionLayout::expandTemplate(m_layout.ttlKey,
                                           {{QStringLiteral("prefix"), m_layout.keyPrefix},
                                            {QStringLiteral("key"), key},
                                            {QStringLiteral("id"), id}})
                 .value_or(QByteArray())});
    }
    auto replies = run(commands, QString::fromLatin1(commands.first().first()));
    if (!replies)
        return std::unexpected(replies.error());
    const Reply &value = replies->at(0);
    qint64 pttl = replies->at(1).integer;
    if (value.isNil() || pttl == -2)
        return std::optional<SessionDetail>();
    if (replies->size() > 2 && replies->at(2).integer != -2)
        pttl = replies->at(2).integer;
    SessionDetail detail;
    if (!value.isError() && !hash) {
        detail.raw = value.string;
        detail.decoded = decodeValue(value.string);
        detail.summary = summaryFrom(id, pttl, value.string.size(), m_fields.read(value.string),
                                     QStringLiteral("string"));
        return std::optional<SessionDetail>(std::move(detail));
    }
    if (!value.isError()) {
        // A hash session: each field decoded on its own (Spring's JDK-serialized values).
        qint64 size = 0;
        detail.decoded = decodeHashFields(hashFields(value, &size));
        detail.raw = QJsonDocument(toJson(detail.decoded.root, false).toObject())
                         .toJson(QJsonDocument::Compact);
        detail.summary = summaryFrom(id, pttl, size, m_fields.readTree(detail.decoded.root),
                                     QStringLiteral("hash"));
        return std::optional<SessionDetail>(std::move(detail));
    }
    if (value.errorCode() != "WRONGTYPE")
        return std::unexpected(errorFromReply(value, m_router.endpoint(),
                                              QString::fromLatin1(commands.first().first())));

    // Not of the layout's type: show what the key holds, capped, so that an odd key is still
    // inspectable.
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
    else if (kind == "string")
        read = {"GET", key};
    ValueNode root;
    if (kind == "string") {
        auto content = run({read}, QStringLiteral("GET"));
        if (!content)
            return std::unexpected(content.error());
        detail.raw = content->first().string;
        detail.decoded = decodeValue(detail.raw);
        detail.summary = summaryFrom(id, pttl, detail.raw.size(), m_fields.read(detail.raw),
                                     QStringLiteral("string"));
        return std::optional<SessionDetail>(std::move(detail));
    }
    if (!read.isEmpty()) {
        auto content = run({read}, QString::fromLatin1(read.first()));
        if (!content)
            return std::unexpected(content.error());
        const QList<Reply> &items = content->first().elements;
        const bool pairs = kind == "hash" || kind == "zset";
        root.kind = pairs ? ValueNode::Kind::Map : ValueNode::Kind::List;
        for (qsizetype i = 0; i + (pairs ? 1 : 0) < items.size(); i += pairs ? 2 : 1) {
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
    return std::optional<SessionDetail>(std::move(detail));
}

Result<SessionDetail> SessionStore::session(const QByteArray &id)
{
    // A public (cookie) id of a layout that hashes it: the private key first, then the legacy
    // key of the public id, as Rack reads them.
    QList<QByteArray> keys;
    if (m_layout.isPublicId(id))
        keys = {m_layout.keyForId(m_layout.storedIdFor(id)), m_layout.keyForId(id)};
    else
        keys = {m_layout.keyForId(id)};
    for (const QByteArray &key : std::as_const(keys)) {
        // Only keys of the layout: an id naming a bookkeeping key is no session.
        if (!m_layout.idFromKey(key) && !(key != keys.first() && m_layout.ownsKey(key)))
            continue;
        auto found = readSession(key);
        if (!found)
            return std::unexpected(found.error());
        if (*found)
            return std::move(**found);
    }
    return fail(Code::NotFound,
                QStringLiteral("No session \"%1\" in %2.").arg(displayBytes(id), targetName()));
}

Result<QList<Reply>> SessionStore::unlink(const QList<QByteArray> &keys, RunInfo *info)
{
    QList<Command> commands;
    commands.reserve(keys.size());
    for (const QByteArray &key : keys) {
        Q_ASSERT(m_layout.ownsKey(key));
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
    return revokeIds(ids, std::nullopt);
}

Result<RevokeReport> SessionStore::revokeIds(const QList<QByteArray> &ids,
                                             const std::optional<QString> &user,
                                             const QByteArray &indexType)
{
    using Step = SessionLayout::RevokeStep;
    const auto uses = [&](const QString &placeholder) {
        return std::any_of(
            m_layout.revokeSteps.begin(), m_layout.revokeSteps.end(), [&](const Step &step) {
                return step.key.contains(placeholder) || step.member.contains(placeholder);
            });
    };
    const bool needsTimes = uses(QStringLiteral("{expiryMinuteMs}"));
    const bool needsUser =
        (m_layout.hasUserIndex() && !user) || uses(QStringLiteral("{user}")) || needsTimes;

    RevokeReport report;
    for (qsizetype at = 0; at < ids.size(); at += m_batchSize) {
        const QList<QByteArray> batch = ids.mid(at, m_batchSize);
        // A cookie id of a layout that hashes it names the private key; the legacy key of the
        // public id goes too (the recipe's {publicId} step).
        struct Target
        {
            QByteArray storedId;
            QByteArray key;
            std::optional<QByteArray> publicId;
            qsizetype sessionCommand = -1;
            QList<qsizetype> publicIdDeletes; // legacy keys of the public id
            QList<qsizetype> relatedDeletes;
        };
        QList<Target> targets;
        QList<QByteArray> keys;
        for (const QByteArray &id : batch) {
            Target target;
            if (m_layout.isPublicId(id))
                target.publicId = id;
            target.storedId = m_layout.storedIdFor(id);
            target.key = m_layout.keyForId(target.storedId);
            keys.append(target.key);
            targets.append(target);
        }
        // The session is read before it is deleted when the recipe needs its user (index
        // entries, {user}) or its times (Spring's expiry bucket).
        QHash<QByteArray, SessionSummary> known;
        if (needsUser) {
            auto summaries = summarize(keys, !needsTimes);
            if (!summaries)
                return std::unexpected(summaries.error());
            for (const SessionSummary &s : *summaries)
                known.insert(s.id, s);
        }
        QList<Command> commands;
        for (Target &target : targets) {
            const SessionSummary summary = known.value(target.storedId);
            QHash<QString, QByteArray> values{{QStringLiteral("prefix"), m_layout.keyPrefix},
                                              {QStringLiteral("key"), target.key},
                                              {QStringLiteral("id"), target.storedId}};
            if (target.publicId)
                values.insert(QStringLiteral("publicId"), *target.publicId);
            const QString owner = user.value_or(summary.user);
            if (!owner.isEmpty())
                values.insert(QStringLiteral("user"), owner.toUtf8());
            if (summary.lastAccessAt.isValid() && summary.idleTimeoutSeconds >= 0) {
                // Spring's bucket: last access + timeout, rounded up to the next whole minute
                // (RedisSessionExpirationPolicy.roundUpToNextMinute adds a minute, then clears
                // the seconds).
                const qint64 expires =
                    summary.lastAccessAt.toMSecsSinceEpoch() + summary.idleTimeoutSeconds * 1000;
                values.insert(QStringLiteral("expiryMinuteMs"),
                              QByteArray::number((expires / 60000 + 1) * 60000));
            }
            for (const Step &step : m_layout.revokeSteps) {
                const auto key = SessionLayout::expandTemplate(step.key, values);
                const auto member = step.op == Step::Op::Delete
                    ? std::optional<QByteArray>(QByteArray())
                    : SessionLayout::expandTemplate(step.member, values);
                if (!key || !member)
                    continue; // names what this session lacks (no user, no public id)
                if (!m_layout.ownsKey(*key)) {
                    // A public id that cannot be a legacy key of this layout is simply not one.
                    if (step.key.contains(QStringLiteral("{publicId}")))
                        continue;
                    return fail(Code::InvalidArgument,
                                QStringLiteral("The revoke step \"%1\" of the layout %2 names %3, "
                                               "which is not a key of the layout; nothing was "
                                               "deleted.")
                                    .arg(step.key, m_layout.schema, displayBytes(*key)));
                }
                switch (step.op) {
                case Step::Op::Delete:
                    (step.key.contains(QStringLiteral("{publicId}")) ? target.publicIdDeletes
                                                                     : target.relatedDeletes)
                        .append(commands.size());
                    commands.append({m_deleteVerb, *key});
                    break;
                case Step::Op::SetRemove:
                    commands.append({"SREM", *key, *member});
                    break;
                case Step::Op::SortedSetRemove:
                    commands.append({"ZREM", *key, *member});
                    break;
                }
            }
            target.sessionCommand = commands.size();
            commands.append({m_deleteVerb, target.key});
        }
        // When the user's index and its type are known (logout-user), exactly these ids leave
        // it in the same round trip as the deletes.
        qsizetype indexCommand = -1;
        if (user && m_layout.hasUserIndex() && (indexType == "set" || indexType == "zset")) {
            Command remove{indexType == "zset" ? "ZREM" : "SREM", m_layout.userIndexKey(*user)};
            for (const Target &target : std::as_const(targets))
                remove.append(target.storedId);
            indexCommand = commands.size();
            commands.append(remove);
        }
        auto results = run(commands, QString::fromLatin1(m_deleteVerb));
        if (!results)
            return std::unexpected(results.error());
        for (qsizetype i = 0; i < results->size(); ++i) {
            const Reply &r = results->at(i);
            if (i != indexCommand && r.isError() && r.errorCode() != "WRONGTYPE")
                return std::unexpected(
                    errorFromReply(r, m_router.endpoint(), QStringLiteral("Deleting a session")));
        }
        if (indexCommand >= 0) {
            const Reply &removed = results->at(indexCommand);
            if (removed.errorCode() == "WRONGTYPE") {
                // The index changed its type meanwhile: SREM, then ZREM.
                QList<QByteArray> storedIds;
                for (const Target &target : std::as_const(targets))
                    storedIds.append(target.storedId);
                auto again = removeFromUserIndex(*user, storedIds);
                if (!again)
                    return std::unexpected(again.error());
                report.indexEntriesRemoved += *again;
            } else if (removed.isError()) {
                return std::unexpected(errorFromReply(removed, m_router.endpoint(),
                                                      QStringLiteral("Updating the user index")));
            } else {
                report.indexEntriesRemoved += removed.integer;
            }
        }
        QHash<QString, QList<QByteArray>> byUser;
        for (qsizetype t = 0; t < targets.size(); ++t) {
            const Target &target = targets.at(t);
            const bool session = results->at(target.sessionCommand).integer > 0;
            bool legacy = false;
            for (const qsizetype i : target.publicIdDeletes) {
                legacy |= results->at(i).integer > 0;
                report.relatedKeysRemoved += results->at(i).integer > 0 ? 1 : 0;
            }
            for (const qsizetype i : target.relatedDeletes)
                report.relatedKeysRemoved += results->at(i).integer > 0 ? 1 : 0;
            if (session)
                report.revoked.append(target.storedId);
            else if (legacy)
                report.revoked.append(*target.publicId);
            else
                report.notFound.append(batch.at(t));
            const QString owner = user.value_or(known.value(target.storedId).user);
            if (!owner.isEmpty() && indexCommand < 0)
                byUser[owner].append(target.storedId);
        }
        // Exactly the ids handled here leave the index, so a login racing with this stays.
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
    const auto add = [&report](const RevokeReport &batch) {
        report.revoked.append(batch.revoked);
        report.notFound.append(batch.notFound);
        report.indexEntriesRemoved += batch.indexEntriesRemoved;
        report.relatedKeysRemoved += batch.relatedKeysRemoved;
    };

    if (m_layout.hasUserIndex()) {
        auto index = readUserIndex(user);
        if (!index)
            return std::unexpected(index.error());
        for (qsizetype at = 0; at < index->ids.size(); at += m_batchSize) {
            if (at > 0 && cancel.isCancelled())
                return fail(Code::Cancelled, QStringLiteral("Cancelled."));
            auto done = revokeIds(index->ids.mid(at, m_batchSize), user, index->type);
            if (!done)
                return std::unexpected(done.error());
            add(*done);
        }
        return report;
    }

    // Without an index every session is read (its user only) and the user's are revoked, with
    // the layout's recipe, as they are found.
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
            const QList<QByteArray> keys = newSessionKeys(batch, seen);
            ScanWork work;
            if (keys.isEmpty())
                return work;
            const ValueReads reads = userReads(keys, m_batchSize, false);
            work.commands = reads.commands;
            work.finish = [&, keys, reads](const Result<QList<Reply>> &replies,
                                           const RunInfo &) -> Result<bool> {
                if (!replies)
                    return std::unexpected(replies.error());
                QList<QByteArray> ids;
                auto visited =
                    visitUsers(*replies, reads, nullptr,
                               [&](qsizetype i, std::optional<QByteArrayView> name, qint64) {
                                   if (name && *name == wanted)
                                       ids.append(*m_layout.idFromKey(keys.at(i)));
                               });
                if (!visited)
                    return std::unexpected(visited.error());
                found += ids.size();
                // Reads run ahead of this callback: after cancel, the sessions of batches read
                // before it are found but not revoked.
                if (!ids.isEmpty() && !cancel.isCancelled()) {
                    auto done = revokeIds(ids, user);
                    if (!done)
                        return std::unexpected(done.error());
                    add(*done);
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
        },
        Router::KeySource::SlotsOnCluster);
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
    // before the failure still count, and those sent without an answer are unconfirmed. The
    // deletes of `keys` are the batch's commands from `offset` on.
    const auto bookBatch = [&](const QList<QByteArray> &keys, qsizetype offset,
                               const Result<QList<Reply>> &results, const RunInfo &info,
                               Tally &tally) -> Result<void> {
        const QList<Reply> &replies = results ? *results : info.replies;
        std::optional<StorageError> stop;
        states.prefetch(keys);
        for (qsizetype k = 0; k < keys.size(); ++k) {
            const qsizetype i = offset + k;
            if (!results && !info.answered.value(i)) {
                if (info.uncertain.value(i))
                    book(tally, keys.at(k), KeyStates::Unconfirmed);
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
                book(tally, keys.at(k), KeyStates::Failed);
                causes.insert(QString::fromUtf8(r.string));
            } else if (r.integer > 0) {
                book(tally, keys.at(k), KeyStates::Destroyed);
            } else {
                book(tally, keys.at(k),
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
    const auto deletes = [&](const QList<QByteArray> &keys, QList<Command> *commands) {
        for (const QByteArray &key : keys) {
            Q_ASSERT(m_layout.ownsKey(key));
            commands->append({m_deleteVerb, key});
        }
    };
    // The keys of one batch that are deleted together, counted in `counter` when met for the
    // first time and booked in `tally`.
    struct DeleteGroup
    {
        QList<QByteArray> keys;
        qint64 *counter = nullptr;
        Tally *tally = nullptr;
    };
    // The keys SCAN returned (repeats too, so a key back after a failover is deleted again);
    // those met for the first time are counted when their batch is done.
    const auto planDeletes = [&](const QList<DeleteGroup> &groups) -> ScanWork {
        QList<qint64> fresh;
        ScanWork work;
        for (const DeleteGroup &group : groups) {
            qint64 count = 0;
            states.insertBatch(group.keys, [&](qsizetype) { ++count; });
            fresh.append(count);
            if (!dryRun)
                deletes(group.keys, &work.commands);
        }
        work.finish = [&, groups, fresh](const Result<QList<Reply>> &results,
                                         const RunInfo &info) -> Result<bool> {
            Result<void> booked;
            qsizetype offset = 0;
            for (qsizetype g = 0; g < groups.size(); ++g) {
                const DeleteGroup &group = groups.at(g);
                *group.counter += fresh.at(g);
                if (dryRun)
                    continue;
                // Every group is booked, also after another one's failure.
                auto done = bookBatch(group.keys, offset, results, info, *group.tally);
                if (!done && booked)
                    booked = std::unexpected(done.error());
                offset += group.keys.size();
            }
            publish();
            if (!booked)
                return std::unexpected(booked.error());
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

    // The layout's bookkeeping keys (shadow keys, lock keys, expiry sets) go with the sessions:
    // those under the session prefix in the same scan and batch, the others in a scan of their
    // own. Keys the pattern matches that are neither are left alone.
    Tally bookkeepingTally;
    qint64 bookkeepingFound = 0;
    const auto sortKeys = [&](const QList<QByteArray> &keys, QList<QByteArray> *sessionKeys,
                              QList<QByteArray> *bookkeeping) {
        for (const QByteArray &key : keys) {
            if (m_layout.idFromKey(key)) {
                if (sessionKeys)
                    sessionKeys->append(key);
            } else if (m_layout.isBookkeepingKey(key)) {
                bookkeeping->append(key);
            }
        }
    };
    auto sessions = m_router.scanPipelined(
        m_layout.scanPattern(), m_batchSize, cancel,
        [&](const QList<QByteArray> &keys) -> Result<ScanWork> {
            QList<QByteArray> sessionKeys, bookkeeping;
            sortKeys(keys, &sessionKeys, &bookkeeping);
            return planDeletes({{sessionKeys, &report.matched, &sessionTally},
                                {bookkeeping, &bookkeepingFound, &bookkeepingTally}});
        },
        tick, Router::KeySource::SlotsOnCluster);
    report.examined = p.examined;
    for (const QByteArray &pattern : m_layout.bookkeepingScanPatterns()) {
        if (!sessions || m_layout.scanCovers(pattern))
            continue;
        sessions = m_router.scanPipelined(
            pattern, m_batchSize, cancel,
            [&](const QList<QByteArray> &keys) -> Result<ScanWork> {
                QList<QByteArray> bookkeeping;
                sortKeys(keys, nullptr, &bookkeeping);
                return planDeletes({{bookkeeping, &bookkeepingFound, &bookkeepingTally}});
            },
            [&](const ScanProgress &) {
                // The sessions' counts stay; cancel and progress still come.
                if (progress)
                    progress(p);
            });
    }
    // After the first delete an error must not lose the counts: report what was done.
    if (!sessions && sessions.error().code != Code::Cancelled) {
        if (!sessionTally.any() && !bookkeepingTally.any())
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
                return planDeletes({{ours, &indexKeysFound, &indexTally}});
            },
            [&](const ScanProgress &) {
                // The sessions' counts stay; the index clean-up is
                // short, but cancel and progress still come.
                if (progress)
                    progress(p);
            },
            Router::KeySource::SlotsOnCluster);
        if (!indexes && indexes.error().code != Code::Cancelled) {
            // As with sessions: an error before anything was deleted is just an error.
            if (!sessionTally.any() && !bookkeepingTally.any() && !indexTally.any())
                return std::unexpected(indexes.error());
            report.abortReason = indexes.error().message;
        }
        report.cancelled = !indexes && indexes.error().code == Code::Cancelled;
    }
    publish();
    report.indexKeysDestroyed = dryRun ? indexKeysFound : indexTally.destroyed;
    report.bookkeepingKeysDestroyed = dryRun ? bookkeepingFound : bookkeepingTally.destroyed;
    report.errors = causes.values();
    report.errors.sort();
    report.durationMs = clock.elapsed();
    return report;
}

} // namespace SessionDesk::Redis
