#include "redissessionstore.h"

#include "layoutdetect.h"
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

// What a long operation knows about each key it met, by a 61-bit hash of the key (collisions
// are negligible at any store size): open addressing in one flat array, so a million keys take
// 16 MB instead of the hundred a node-based set would.
class KeyStates
{
public:
    enum State : quint8 {
        Absent = 0,
        Seen = 1, // returned by SCAN
        Destroyed = 2, // its delete answered 1
        Failed = 3, // its delete answered an error
        Unconfirmed = 4, // its delete's reply was lost, or answered 0 after a lost reply
        Gone = 5, // its delete answered 0: removed by someone else, or expired
    };

    State value(const QByteArray &key) const
    {
        if (m_slots.empty())
            return Absent;
        const quint64 h = hashOf(key);
        for (size_t at = home(h);; at = (at + 1) & (m_slots.size() - 1)) {
            const quint64 entry = m_slots[at];
            if (entry == 0)
                return Absent;
            if ((entry & ~quint64(7)) == h)
                return State(entry & 7);
        }
    }

    void set(const QByteArray &key, State state)
    {
        if ((m_used + 1) * 2 > m_slots.size())
            grow();
        const quint64 h = hashOf(key);
        for (size_t at = home(h);; at = (at + 1) & (m_slots.size() - 1)) {
            quint64 &entry = m_slots[at];
            if (entry == 0)
                ++m_used;
            if (entry == 0 || (entry & ~quint64(7)) == h) {
                entry = h | state;
                return;
            }
        }
    }

    // Marks the key seen; false when it was met before.
    bool insert(const QByteArray &key)
    {
        if (value(key) != Absent)
            return false;
        set(key, Seen);
        return true;
    }

private:
    static quint64 hashOf(const QByteArray &key)
    {
        // The low three bits hold the state; the hash is never 0 so that 0 marks a free slot.
        const quint64 h = quint64(qHash(key, size_t(0x5e55104d))) & ~quint64(7);
        return h == 0 ? 8 : h;
    }

    // Where a hash's probe starts (the low bits hold the state, so they are skipped).
    size_t home(quint64 h) const { return size_t(h >> 3) & (m_slots.size() - 1); }

    void grow()
    {
        std::vector<quint64> old = std::move(m_slots);
        m_slots.assign(std::max<size_t>(1024, old.size() * 2), 0);
        for (const quint64 entry : old) {
            if (entry == 0)
                continue;
            for (size_t at = home(entry & ~quint64(7));; at = (at + 1) & (m_slots.size() - 1)) {
                if (m_slots[at] == 0) {
                    m_slots[at] = entry;
                    break;
                }
            }
        }
    }

    std::vector<quint64> m_slots; // a power of two in size, at most half full
    size_t m_used = 0;
};

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

Result<QList<Reply>> SessionStore::run(const QList<Command> &commands, const QString &what,
                                       RunInfo *info)
{
    auto replies = m_router.run(commands, info);
    if (!replies)
        return replies;
    // These errors are the same for every command (a permission, or a server that stayed
    // unavailable past the router's waiting): report the first.
    for (const Reply &reply : *replies) {
        const QByteArray code = reply.errorCode();
        if (code == "NOPERM" || code == "NOAUTH" || code == "LOADING" || code == "MASTERDOWN"
            || code == "READONLY" || code == "BUSY" || code == "CLUSTERDOWN")
            return std::unexpected(errorFromReply(reply, m_router.endpoint(), what));
    }
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

Result<void> SessionStore::scan(const QByteArray &pattern, const CancelToken &cancel,
                                const KeyVisitor &visit)
{
    // SCAN may repeat a key, and the router scans a master again after a failover: each key
    // is passed on once.
    KeyStates seen;
    return m_router.scan(pattern, m_batchSize, cancel, [&](const QList<QByteArray> &batch) {
        QList<QByteArray> keys;
        keys.reserve(batch.size());
        for (const QByteArray &key : batch) {
            if (seen.insert(key))
                keys.append(key);
        }
        return keys.isEmpty() ? Result<bool>(true) : visit(keys);
    });
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
    QList<QByteArray> ttlKeys;
    if (!userOnly && !m_layout.ttlKey.isEmpty()) {
        for (const QByteArray &key : std::as_const(keys)) {
            ttlKeys.append(
                SessionLayout::expandTemplate(m_layout.ttlKey,
                                              {{QStringLiteral("prefix"), m_layout.keyPrefix},
                                               {QStringLiteral("key"), key},
                                               {QStringLiteral("id"), *m_layout.idFromKey(key)}})
                    .value_or(QByteArray()));
        }
    }

    // One MGET for the values (nil for a key that is gone or not a string) and, unless only
    // users are wanted, a PTTL per key. Commands are what the server spends its time on: a
    // users count of a million sessions sends a thousand MGETs and nothing else.
    static const QByteArray mget = "MGET", pttlVerb = "PTTL"; // shared, not copied per key
    QList<Command> commands;
    commands.reserve(userOnly ? 1 : keys.size() + 1);
    Command values{mget};
    values.append(keys);
    commands.append(values);
    if (!userOnly) {
        for (const QByteArray &key : keys)
            commands.append({pttlVerb, key});
        for (const QByteArray &key : std::as_const(ttlKeys))
            commands.append({pttlVerb, key});
    }
    auto replies = run(commands, QStringLiteral("MGET"));
    if (!replies)
        return std::unexpected(replies.error());
    const Reply &valuesReply = replies->first();
    if (valuesReply.isError()) {
        return std::unexpected(
            errorFromReply(valuesReply, m_router.endpoint(), QStringLiteral("MGET")));
    }
    if (valuesReply.elements.size() != keys.size()) {
        return fail(
            Code::Protocol,
            QStringLiteral("MGET on %1 returned an unexpected reply.").arg(m_router.endpoint()));
    }

    QList<SessionSummary> out;
    out.reserve(keys.size());
    QList<qsizetype> unknown; // indexes into `out` of keys that are gone or not strings
    for (qsizetype i = 0; i < keys.size(); ++i) {
        const Reply &value = valuesReply.elements.at(i);
        qint64 pttl = userOnly ? -1 : replies->at(1 + i).integer;
        if (pttl == -2)
            continue; // expired or deleted since the SCAN
        if (!ttlKeys.isEmpty() && replies->at(1 + keys.size() + i).integer != -2)
            pttl = replies->at(1 + keys.size() + i).integer;
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
    auto counted = scan(m_layout.scanPattern(), cancel, [&](const QList<QByteArray> &keys) {
        QList<Command> commands;
        commands.reserve(keys.size());
        for (const QByteArray &key : keys) {
            if (m_layout.idFromKey(key)) // not the bookkeeping keys under the prefix
                commands.append({"PTTL", key});
        }
        if (commands.isEmpty())
            return Result<bool>(true);
        auto ttls = run(commands, QStringLiteral("PTTL"));
        if (!ttls)
            return Result<bool>(std::unexpected(ttls.error()));
        for (const Reply &ttl : *ttls) {
            if (ttl.integer == -2)
                continue;
            ++sessions;
            if (ttl.integer == -1)
                ++withoutTtl;
        }
        p.examined = p.matched = sessions;
        if (progress)
            progress(p);
        return Result<bool>(true);
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
    QHash<QString, qint64> counts;
    UserList list;
    Progress p;
    p.phase = QStringLiteral("reading sessions");
    // The database size (summed over masters) bounds the keys a scan can return: a fair
    // denominator for progress.
    if (auto size = m_router.databaseSize())
        p.total = *size;
    auto scanned = scan(m_layout.scanPattern(), cancel, [&](const QList<QByteArray> &keys) {
        auto summaries = summarize(keys, true);
        if (!summaries)
            return Result<bool>(std::unexpected(summaries.error()));
        for (const SessionSummary &s : *summaries) {
            ++list.sessionsExamined;
            if (s.user.isEmpty())
                ++list.sessionsWithoutUser;
            else
                ++counts[s.user];
        }
        p.examined += keys.size();
        p.matched = list.sessionsExamined;
        if (progress)
            progress(p);
        return Result<bool>(true);
    });
    if (!scanned)
        return std::unexpected(scanned.error());
    list.users.reserve(counts.size());
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        list.users.append({it.key(), it.value()});
    std::sort(list.users.begin(), list.users.end(), [](const UserSummary &a, const UserSummary &b) {
        return a.sessions != b.sessions ? a.sessions > b.sessions : a.user < b.user;
    });
    return list;
}

Result<QList<QByteArray>> SessionStore::readUserIndex(const QString &user)
{
    const QByteArray key = m_layout.userIndexKey(user);
    auto type = run({{"TYPE", key}}, QStringLiteral("TYPE"));
    if (!type)
        return std::unexpected(type.error());
    const QByteArray kind = type->first().string;
    Command read;
    if (kind == "set")
        read = {"SMEMBERS", key};
    else if (kind == "zset")
        read = {"ZRANGE", key, "0", "-1"};
    else if (kind == "none")
        return QList<QByteArray>{};
    else
        return fail(Code::Server,
                    QStringLiteral("The user index key %1 on %2 is a %3, not a set "
                                   "or sorted set of session ids.")
                        .arg(displayBytes(key), targetName(), QString::fromUtf8(kind)));
    auto members = run({read}, QString::fromLatin1(read.first()));
    if (!members)
        return std::unexpected(members.error());
    QList<QByteArray> ids;
    for (const Reply &member : members->first().elements)
        ids.append(member.string);
    return ids;
}

Result<SessionPage> SessionStore::sessionPage(const SessionPageRequest &request,
                                              const CancelToken &cancel)
{
    SessionPage page;
    if (request.user && m_layout.hasUserIndex()) {
        // An index is small: one page holds all of it.
        auto ids = readUserIndex(*request.user);
        if (!ids)
            return std::unexpected(ids.error());
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
    QList<QByteArray> ttlKeys;
    if (!userOnly) {
        for (const QByteArray &key : keys)
            commands.append({"PTTL", key});
        if (!m_layout.ttlKey.isEmpty()) {
            for (const QByteArray &key : keys) {
                ttlKeys.append(SessionLayout::expandTemplate(
                                   m_layout.ttlKey,
                                   {{QStringLiteral("prefix"), m_layout.keyPrefix},
                                    {QStringLiteral("key"), key},
                                    {QStringLiteral("id"), *m_layout.idFromKey(key)}})
                                   .value_or(QByteArray()));
                commands.append({"PTTL", ttlKeys.last()});
            }
        }
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
        QList<QPair<QByteArray, QByteArray>> fields;
        qint64 size = 0;
        for (qsizetype f = 0; f + 1 < value.elements.size(); f += 2) {
            fields.append({value.elements.at(f).string, value.elements.at(f + 1).string});
            size += value.elements.at(f).string.size() + value.elements.at(f + 1).string.size();
        }
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
        QList<QPair<QByteArray, QByteArray>> fields;
        qint64 size = 0;
        for (qsizetype f = 0; f + 1 < value.elements.size(); f += 2) {
            fields.append({value.elements.at(f).string, value.elements.at(f + 1).string});
            size += value.elements.at(f).string.size() + value.elements.at(f + 1).string.size();
        }
        detail.decoded = decodeHashFields(fields);
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
                                             const std::optional<QString> &user)
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
        auto results = run(commands, QString::fromLatin1(m_deleteVerb));
        if (!results)
            return std::unexpected(results.error());
        for (qsizetype i = 0; i < results->size(); ++i) {
            const Reply &r = results->at(i);
            if (r.isError() && r.errorCode() != "WRONGTYPE")
                return std::unexpected(
                    errorFromReply(r, m_router.endpoint(), QStringLiteral("Deleting a session")));
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
            if (!owner.isEmpty())
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

    QList<QByteArray> ids;
    if (m_layout.hasUserIndex()) {
        auto indexed = readUserIndex(user);
        if (!indexed)
            return std::unexpected(indexed.error());
        ids = *indexed;
    } else {
        SessionQuery query;
        query.user = user;
        auto found = listSessions(query, progress, cancel);
        if (!found)
            return std::unexpected(found.error());
        for (const SessionSummary &s : found->sessions)
            ids.append(s.id);
    }
    return revokeIds(ids, user);
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
    };
    Tally sessionTally;
    Tally indexTally;
    const auto book = [&](Tally &tally, const QByteArray &key, KeyStates::State next) {
        const KeyStates::State before = states.value(key);
        // A confirmed delete stays confirmed: a repeat that answers 0 changes nothing.
        if (before == next || before == KeyStates::Destroyed)
            return;
        if (qint64 *count = tally.counter(before))
            --*count;
        if (qint64 *count = tally.counter(next))
            ++*count;
        states.set(key, next);
    };
    // Deletes one batch and books each key. Errors that refuse a command as a whole (a
    // permission, a replica, a server still loading or busy after the router's waiting) stop
    // the run: those keys were not attempted.
    const auto destroyBatch = [&](const QList<QByteArray> &keys, Tally &tally) -> Result<void> {
        RunInfo info;
        auto results = unlink(keys, &info);
        if (!results) {
            for (qsizetype i = 0; i < keys.size(); ++i) {
                if (info.uncertain.value(i))
                    book(tally, keys.at(i), KeyStates::Unconfirmed);
            }
            return std::unexpected(results.error());
        }
        std::optional<StorageError> stop;
        for (qsizetype i = 0; i < keys.size(); ++i) {
            const Reply &r = results->at(i);
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
        if (stop)
            return std::unexpected(*stop);
        return {};
    };
    const auto publish = [&] {
        report.destroyed = sessionTally.destroyed;
        report.failed = sessionTally.failed;
        report.unconfirmed = sessionTally.unconfirmed;
        p.examined = report.examined;
        p.matched = report.matched;
        p.destroyed = report.destroyed;
        p.failed = report.failed;
    };

    // The layout's bookkeeping keys (shadow keys, lock keys, expiry sets) go with the sessions:
    // those under the session prefix in the same scan, the others in a scan of their own.
    Tally bookkeepingTally;
    qint64 bookkeepingFound = 0;
    const auto sortBookkeeping = [&](const QList<QByteArray> &keys, QList<QByteArray> *sessionKeys,
                                     QList<QByteArray> *bookkeeping) {
        for (const QByteArray &key : keys) {
            const bool isSession = m_layout.idFromKey(key).has_value();
            if (!isSession && !m_layout.isBookkeepingKey(key))
                continue;
            if (states.value(key) == KeyStates::Absent) {
                states.set(key, KeyStates::Seen);
                ++report.examined;
                if (isSession)
                    ++report.matched;
                else
                    ++bookkeepingFound;
            }
            (isSession ? sessionKeys : bookkeeping)->append(key);
        }
    };
    auto sessions = m_router.scan(
        m_layout.scanPattern(), m_batchSize, cancel, [&](const QList<QByteArray> &keys) {
            QList<QByteArray> sessionKeys, bookkeeping;
            sortBookkeeping(keys, &sessionKeys, &bookkeeping);
            Result<void> done;
            if (!dryRun && !sessionKeys.isEmpty())
                done = destroyBatch(sessionKeys, sessionTally);
            if (done && !dryRun && !bookkeeping.isEmpty())
                done = destroyBatch(bookkeeping, bookkeepingTally);
            publish();
            if (progress)
                progress(p);
            return done ? Result<bool>(true) : Result<bool>(std::unexpected(done.error()));
        });
    for (const QByteArray &pattern : m_layout.bookkeepingScanPatterns()) {
        if (!sessions || m_layout.scanCovers(pattern))
            continue;
        sessions = m_router.scan(pattern, m_batchSize, cancel, [&](const QList<QByteArray> &keys) {
            QList<QByteArray> sessionKeys, bookkeeping;
            sortBookkeeping(keys, &sessionKeys, &bookkeeping);
            Result<void> done;
            if (!dryRun && !bookkeeping.isEmpty())
                done = destroyBatch(bookkeeping, bookkeepingTally);
            publish();
            if (progress)
                progress(p);
            return done ? Result<bool>(true) : Result<bool>(std::unexpected(done.error()));
        });
    }
    // After the first delete an error must not lose the counts: report what was done.
    if (!sessions && sessions.error().code != Code::Cancelled) {
        if (report.destroyed == 0 && report.failed == 0 && report.unconfirmed == 0
            && bookkeepingTally.destroyed == 0)
            return std::unexpected(sessions.error());
        report.abortReason = sessions.error().message;
    }
    report.cancelled = !sessions && sessions.error().code == Code::Cancelled;

    // Index keys only go once every session is gone; a cancelled run leaves them for the
    // sessions that remain.
    qint64 indexKeysFound = 0;
    if (!report.cancelled && report.abortReason.isEmpty() && m_layout.hasUserIndex()) {
        auto indexes = m_router.scan(m_layout.userIndexScanPattern(), m_batchSize, cancel,
                                     [&](const QList<QByteArray> &keys) {
                                         QList<QByteArray> ours;
                                         for (const QByteArray &key : keys) {
                                             if (!m_layout.userFromIndexKey(key))
                                                 continue;
                                             ours.append(key);
                                             if (states.value(key) == KeyStates::Absent) {
                                                 states.set(key, KeyStates::Seen);
                                                 ++indexKeysFound;
                                             }
                                         }
                                         if (!dryRun && !ours.isEmpty()) {
                                             if (auto done = destroyBatch(ours, indexTally); !done)
                                                 return Result<bool>(std::unexpected(done.error()));
                                         }
                                         return Result<bool>(true);
                                     });
        if (!indexes && indexes.error().code != Code::Cancelled) {
            // As with sessions: an error before anything was deleted is just an error.
            if (report.destroyed == 0 && report.failed == 0 && report.unconfirmed == 0
                && indexTally.destroyed == 0 && indexTally.failed == 0
                && indexTally.unconfirmed == 0)
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
