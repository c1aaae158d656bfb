#include "rediscommands.h"

#include <QHash>
#include <QSet>

#include <array>

namespace SessionDesk::Redis {

namespace {

// CRC16-CCITT as Redis Cluster uses it (XMODEM: polynomial 0x1021, initial value 0).
constexpr std::array<quint16, 256> makeCrcTable()
{
    std::array<quint16, 256> table{};
    for (int i = 0; i < 256; ++i) {
        quint16 crc = quint16(i << 8);
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 0x8000) ? quint16((crc << 1) ^ 0x1021) : quint16(crc << 1);
        table[size_t(i)] = crc;
    }
    return table;
}

constexpr std::array<quint16, 256> kCrcTable = makeCrcTable();

// The CRC of byte h followed by a zero byte. The CRC is linear, so two bytes b0 b1 after a
// CRC c take kPairTable[(c >> 8) ^ b0] ^ kCrcTable[(c & 0xff) ^ b1]: two independent lookups
// instead of two chained ones (twice as fast on session keys, which every cluster command
// hashes).
constexpr std::array<quint16, 256> makePairTable()
{
    std::array<quint16, 256> table{};
    for (size_t h = 0; h < 256; ++h)
        table[h] = quint16(((kCrcTable[h] << 8) & 0xffff) ^ kCrcTable[kCrcTable[h] >> 8]);
    return table;
}

constexpr std::array<quint16, 256> kPairTable = makePairTable();

quint16 crc16(QByteArrayView bytes)
{
    quint16 crc = 0;
    const auto *at = reinterpret_cast<const quint8 *>(bytes.data());
    qsizetype left = bytes.size();
    for (; left >= 2; at += 2, left -= 2)
        crc = quint16(kPairTable[((crc >> 8) ^ at[0]) & 0xff] ^ kCrcTable[(crc & 0xff) ^ at[1]]);
    if (left > 0)
        crc = quint16((crc << 8) ^ kCrcTable[((crc >> 8) ^ at[0]) & 0xff]);
    return crc;
}

// Commands that carry no key (or that the router never routes by key).
const QSet<QByteArray> &keylessCommands()
{
    static const QSet<QByteArray> set = {
        "ACL",        "ASKING",    "AUTH",     "BGREWRITEAOF", "BGSAVE",  "CLIENT",    "CLUSTER",
        "COMMAND",    "CONFIG",    "DBSIZE",   "DEBUG",        "DISCARD", "ECHO",      "EXEC",
        "FAILOVER",   "FLUSHALL",  "FLUSHDB",  "FUNCTION",     "HELLO",   "INFO",      "KEYS",
        "LASTSAVE",   "LATENCY",   "LOLWUT",   "MODULE",       "MONITOR", "MULTI",     "PING",
        "PSUBSCRIBE", "PUBLISH",   "PUBSUB",   "PUNSUBSCRIBE", "QUIT",    "RANDOMKEY", "READONLY",
        "READWRITE",  "REPLICAOF", "RESET",    "ROLE",         "SAVE",    "SCAN",      "SCRIPT",
        "SELECT",     "SENTINEL",  "SHUTDOWN", "SLAVEOF",      "SLOWLOG", "SUBSCRIBE", "SWAPDB",
        "SYNC",       "PSYNC",     "TIME",     "UNSUBSCRIBE",  "UNWATCH", "WAIT",      "WAITAOF",
    };
    return set;
}

// Reads, and the handshake and routing commands that change no data.
const QSet<QByteArray> &readCommands()
{
    static const QSet<QByteArray> set = {
        "ASKING",    "AUTH",          "DBSIZE",     "ECHO",        "EXISTS", "GET",
        "GETRANGE",  "HEXISTS",       "HGET",       "HGETALL",     "HKEYS",  "HLEN",
        "HMGET",     "HSCAN",         "HSTRLEN",    "HVALS",       "INFO",   "LASTSAVE",
        "LINDEX",    "LLEN",          "LRANGE",     "MGET",        "PING",   "PTTL",
        "READONLY",  "READWRITE",     "ROLE",       "SCAN",        "SCARD",  "SELECT",
        "SISMEMBER", "SMEMBERS",      "SMISMEMBER", "SRANDMEMBER", "SSCAN",  "STRLEN",
        "TIME",      "TTL",           "TYPE",       "ZCARD",       "ZCOUNT", "ZMSCORE",
        "ZRANGE",    "ZRANGEBYSCORE", "ZRANK",      "ZREVRANGE",   "ZSCAN",  "ZSCORE",
    };
    return set;
}

// Container commands whose read subcommands are allowed (and nothing else of them).
const QHash<QByteArray, QSet<QByteArray>> &readSubcommands()
{
    static const QHash<QByteArray, QSet<QByteArray>> map = {
        {"ACL", {"CAT", "GETUSER", "LIST", "USERS", "WHOAMI"}},
        {"CLIENT", {"GETNAME", "ID", "INFO"}},
        {"CLUSTER",
         {"COUNTKEYSINSLOT", "GETKEYSINSLOT", "INFO", "KEYSLOT", "MYID", "MYSHARDID", "NODES",
          "REPLICAS", "SHARDS", "SLAVES", "SLOTS"}},
        {"COMMAND", {"COUNT", "DOCS", "INFO"}},
        {"CONFIG", {"GET"}},
        {"MEMORY", {"STATS", "USAGE"}},
        {"OBJECT", {"ENCODING", "FREQ", "IDLETIME", "REFCOUNT"}},
        {"PUBSUB", {"CHANNELS", "NUMPAT", "NUMSUB", "SHARDCHANNELS", "SHARDNUMSUB"}},
        {"SENTINEL",
         {"GET-MASTER-ADDR-BY-NAME", "MASTER", "MASTERS", "MYID", "REPLICAS", "SENTINELS",
          "SLAVES"}},
        {"SLOWLOG", {"GET", "LEN"}},
    };
    return map;
}

// Commands with a key that is not argv[1].
const QHash<QByteArray, int> &keyPositions()
{
    static const QHash<QByteArray, int> map = {{"MEMORY", 2}, {"OBJECT", 2}};
    return map;
}

// The verb in capitals. The tool's own commands already are, and are then shared, not copied:
// these checks run for every command of a million-key operation.
QByteArray upper(const QByteArray &word)
{
    for (const char c : word) {
        if (c >= 'a' && c <= 'z')
            return word.toUpper();
    }
    return word;
}

} // namespace

int keySlot(QByteArrayView key)
{
    const qsizetype open = key.indexOf('{');
    if (open >= 0) {
        const qsizetype close = key.indexOf('}', open + 1);
        if (close > open + 1)
            key = key.sliced(open + 1, close - open - 1);
    }
    return crc16(key) & (kSlotCount - 1);
}

QByteArray commandName(const Command &argv)
{
    if (argv.isEmpty())
        return {};
    const QByteArray verb = upper(argv.first());
    if (argv.size() > 1 && readSubcommands().contains(verb))
        return verb + ' ' + upper(argv.at(1));
    if (argv.size() > 1 && (verb == "SCRIPT" || verb == "FUNCTION" || verb == "DEBUG"))
        return verb + ' ' + upper(argv.at(1));
    return verb;
}

KeySpec keySpec(const Command &argv)
{
    if (argv.isEmpty())
        return {};
    const QByteArray verb = upper(argv.first());
    if (verb == "MGET")
        return {KeySpec::Kind::MultiArray, 1};
    if (verb == "DEL" || verb == "UNLINK" || verb == "EXISTS" || verb == "TOUCH")
        return {KeySpec::Kind::MultiSum, 1};
    if (const auto at = keyPositions().constFind(verb); at != keyPositions().cend()) {
        const bool hasKey = argv.size() > *at && (verb != "MEMORY" || upper(argv.at(1)) == "USAGE")
            && (verb != "OBJECT" || upper(argv.at(1)) != "HELP");
        return hasKey ? KeySpec{KeySpec::Kind::Single, *at} : KeySpec{};
    }
    if (keylessCommands().contains(verb) || argv.size() < 2)
        return {};
    return {KeySpec::Kind::Single, 1};
}

bool isReadCommand(const Command &argv)
{
    if (argv.isEmpty())
        return false;
    const QByteArray verb = upper(argv.first());
    if (readCommands().contains(verb))
        return true;
    const auto sub = readSubcommands().constFind(verb);
    return sub != readSubcommands().cend() && argv.size() > 1 && sub->contains(upper(argv.at(1)));
}

bool isToolCommand(const Command &argv)
{
    if (isReadCommand(argv))
        return true;
    const QByteArray verb = argv.isEmpty() ? QByteArray() : upper(argv.first());
    return argv.size() > 1
        && (verb == "UNLINK" || verb == "DEL" || verb == "SREM" || verb == "ZREM");
}

bool isSafeToRetry(const Command &argv)
{
    if (isReadCommand(argv))
        return true;
    const QByteArray verb = argv.isEmpty() ? QByteArray() : upper(argv.first());
    return verb == "UNLINK" || verb == "DEL" || verb == "SREM" || verb == "ZREM" || verb == "HDEL";
}

} // namespace SessionDesk::Redis
