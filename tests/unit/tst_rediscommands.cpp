// Unit tests for what the Redis router knows about commands: Redis Cluster's hash slots (the
// CRC16 check value, Redis's documented examples, hash tags), where a command's keys are, the
// read allow-list a read-only connection enforces, the tool's own allow-list (no script, KEYS,
// blocking command or flush, ever), and which commands may be sent twice.

#include "redis/rediscommands.h"
#include "redis/redisconnection.h"

#include <QTest>

using namespace SessionDesk;
using namespace SessionDesk::Redis;

class TestRedisCommands final : public QObject
{
    Q_OBJECT

private slots:
    void hashSlots_data();
    void hashSlots();
    void hashTagsShareASlot();
    void keySpecs_data();
    void keySpecs();
    void readAllowList_data();
    void readAllowList();
    void retrySafety();
    void verdictsHoldForEverySpelling();
    void toolNeverSendsScriptsKeysBlockingOrFlushes_data();
    void toolNeverSendsScriptsKeysBlockingOrFlushes();
    void toolSendsWhatTheStoreNeeds();
    void routerConnectionsRefuseBeforeSending();
};

void TestRedisCommands::hashSlots_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<int>("slot");
    // CRC16/XMODEM's check value: crc("123456789") = 0x31C3 = 12739.
    QTest::newRow("crc16 check value") << QByteArray("123456789") << 0x31C3 % 16384;
    // Examples from the Redis Cluster specification and its test suite.
    QTest::newRow("foo") << QByteArray("foo") << 12182;
    QTest::newRow("bar") << QByteArray("bar") << 5061;
    QTest::newRow("empty key") << QByteArray() << 0;
    QTest::newRow("hash tag") << QByteArray("{user1000}.following") << 3443;
    QTest::newRow("same tag, other key") << QByteArray("{user1000}.followers") << 3443;
    // Only the first {...} counts, and an empty {} means the whole key is hashed.
    QTest::newRow("empty tag hashes whole key") << QByteArray("foo{}{bar}") << 8363;
    QTest::newRow("first tag only") << QByteArray("foo{{bar}}zap") << 4015; // hashes "{bar"
    QTest::newRow("tag of the first pair") << QByteArray("foo{bar}{zap}") << 5061;
    QTest::newRow("unclosed brace hashes whole key") << QByteArray("sess:{abc") << 8186;
    // Odd and even lengths (two bytes a step, then the last one), checked with redis-cli's
    // CLUSTER KEYSLOT on a real server.
    QTest::newRow("one byte") << QByteArray("a") << 15495;
    QTest::newRow("session key") << QByteArray("sess:0123456789abcdef0123456789abcdef") << 15349;
}

void TestRedisCommands::hashSlots()
{
    QFETCH(QByteArray, key);
    QFETCH(int, slot);
    QCOMPARE(keySlot(key), slot);
}

void TestRedisCommands::hashTagsShareASlot()
{
    QCOMPARE(keySlot("sess:{u1}a"), keySlot("u1"));
    QCOMPARE(keySlot("sess:{u1}a"), keySlot("user-sessions:{u1}"));
    // Binary keys hash byte by byte.
    const QByteArray binary("\x00\xff{\x01}", 5);
    QCOMPARE(keySlot(binary), keySlot(QByteArray("\x01", 1)));
}

void TestRedisCommands::keySpecs_data()
{
    QTest::addColumn<Command>("argv");
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("first");
    using K = KeySpec::Kind;
    QTest::newRow("get") << Command{"GET", "k"} << int(K::Single) << 1;
    QTest::newRow("lower case") << Command{"pttl", "k"} << int(K::Single) << 1;
    QTest::newRow("srem") << Command{"SREM", "idx", "a", "b"} << int(K::Single) << 1;
    QTest::newRow("unknown command: first argument")
        << Command{"HSETEX", "k", "f"} << int(K::Single) << 1;
    QTest::newRow("mget") << Command{"MGET", "a", "b"} << int(K::MultiArray) << 1;
    QTest::newRow("unlink") << Command{"UNLINK", "a", "b"} << int(K::MultiSum) << 1;
    QTest::newRow("del") << Command{"del", "a"} << int(K::MultiSum) << 1;
    QTest::newRow("exists") << Command{"EXISTS", "a", "b"} << int(K::MultiSum) << 1;
    QTest::newRow("memory usage") << Command{"MEMORY", "USAGE", "k"} << int(K::Single) << 2;
    QTest::newRow("memory stats") << Command{"MEMORY", "STATS"} << int(K::None) << 1;
    QTest::newRow("scan") << Command{"SCAN", "0", "MATCH", "sess:*"} << int(K::None) << 1;
    QTest::newRow("info") << Command{"INFO", "server"} << int(K::None) << 1;
    QTest::newRow("config get") << Command{"CONFIG", "GET", "save"} << int(K::None) << 1;
    QTest::newRow("cluster shards") << Command{"CLUSTER", "SHARDS"} << int(K::None) << 1;
    QTest::newRow("sentinel") << Command{"SENTINEL", "MASTERS"} << int(K::None) << 1;
    QTest::newRow("ping") << Command{"PING"} << int(K::None) << 1;
}

void TestRedisCommands::keySpecs()
{
    QFETCH(Command, argv);
    QFETCH(int, kind);
    QFETCH(int, first);
    const KeySpec spec = keySpec(argv);
    QCOMPARE(int(spec.kind), kind);
    if (spec.kind != KeySpec::Kind::None)
        QCOMPARE(spec.first, first);
}

void TestRedisCommands::readAllowList_data()
{
    QTest::addColumn<Command>("argv");
    QTest::addColumn<bool>("allowed");
    for (const Command &read : QList<Command>{
             {"PING"},
             {"INFO", "server"},
             {"DBSIZE"},
             {"SCAN", "0"},
             {"GET", "k"},
             {"get", "k"},
             {"MGET", "a", "b"},
             {"PTTL", "k"},
             {"TTL", "k"},
             {"TYPE", "k"},
             {"SMEMBERS", "k"},
             {"SSCAN", "k", "0"},
             {"ZRANGE", "k", "0", "-1"},
             {"ZSCAN", "k", "0"},
             {"HGETALL", "k"},
             {"HSCAN", "k", "0"},
             {"LRANGE", "k", "0", "9"},
             {"SRANDMEMBER", "k", "5"},
             {"EXISTS", "k"},
             {"STRLEN", "k"},
             {"MEMORY", "USAGE", "k"},
             {"COMMAND", "INFO", "UNLINK"},
             {"CONFIG", "GET", "save"},
             {"config", "get", "save"},
             {"ACL", "WHOAMI"},
             {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m"},
             {"SENTINEL", "MASTERS"},
             {"SENTINEL", "REPLICAS", "m"},
             {"SENTINEL", "SENTINELS", "m"},
             {"ROLE"},
             {"CLUSTER", "SHARDS"},
             {"CLUSTER", "SLOTS"},
             {"CLUSTER", "NODES"},
             {"CLUSTER", "INFO"},
             {"CLUSTER", "GETKEYSINSLOT", "42", "5001"},
             {"AUTH", "user", "pw"},
             {"SELECT", "3"},
             {"READONLY"},
             {"ASKING"},
             {"SLOWLOG", "GET", "10"},
             {"PUBSUB", "NUMSUB", "__sentinel__:hello"},
             {"ACL", "LIST"},
         })
        QTest::newRow(commandName(read).constData()) << read << true;
    for (const Command &write : QList<Command>{
             {"SET", "k", "v"},
             {"UNLINK", "k"},
             {"DEL", "k"},
             {"SREM", "k", "m"},
             {"ZREM", "k", "m"},
             {"HDEL", "k", "f"},
             {"EXPIRE", "k", "1"},
             {"FLUSHDB"},
             {"FLUSHALL", "ASYNC"},
             {"CONFIG", "SET", "save", ""},
             {"CONFIG", "REWRITE"},
             {"CONFIG", "RESETSTAT"},
             {"CLUSTER", "SETSLOT", "1", "STABLE"},
             {"CLUSTER", "FAILOVER"},
             {"SENTINEL", "FAILOVER", "m"},
             {"SENTINEL", "SET", "m", "quorum", "1"},
             {"ACL", "SETUSER", "x"},
             {"SLOWLOG", "RESET"},
             {"EVAL", "return 1", "0"},
             {"MIGRATE", "h", "1", "k", "0", "1"},
             {"SCRIPT", "FLUSH"},
             {"DEBUG", "SLEEP", "1"},
             {"SHUTDOWN"},
             {"REPLICAOF", "NO", "ONE"},
             {"SORT", "k", "STORE", "dst"},
             {"HELLO", "3"},
             {"PUBLISH", "channel", "message"},
             {"CONFIG"},
             {"COMMAND"},
             {},
         })
        QTest::newRow(QByteArray("refused " + commandName(write)).constData()) << write << false;
}

void TestRedisCommands::readAllowList()
{
    QFETCH(Command, argv);
    QFETCH(bool, allowed);
    QCOMPARE(isReadCommand(argv), allowed);
}

void TestRedisCommands::retrySafety()
{
    QVERIFY(isSafeToRetry({"GET", "k"}));
    QVERIFY(isSafeToRetry({"SCAN", "0"}));
    QVERIFY(isSafeToRetry({"UNLINK", "k"}));
    QVERIFY(isSafeToRetry({"SREM", "k", "m"}));
    QVERIFY(isSafeToRetry({"ZREM", "k", "m"}));
    QVERIFY(!isSafeToRetry({"SET", "k", "v"}));
    QVERIFY(!isSafeToRetry({"INCR", "k"}));
    QVERIFY(!isSafeToRetry({"LPUSH", "k", "v"}));
    QVERIFY(!isSafeToRetry({"EVAL", "return 1", "0"}));
}

void TestRedisCommands::verdictsHoldForEverySpelling()
{
    // Redis takes command names in any case: so do the allow-lists and the router, for every
    // mixed-case spelling of a verb and of a subcommand.
    const auto spellings = [](const QByteArray &verb) {
        QList<QByteArray> all;
        for (int mask = 0; mask < (1 << verb.size()); ++mask) {
            QByteArray spelled = verb;
            for (qsizetype i = 0; i < verb.size(); ++i)
                spelled[i] = (mask >> i) & 1 ? char(QChar::toUpper(uchar(verb[i]))) : verb[i];
            all.append(spelled);
        }
        return all;
    };
    for (const QByteArray &unlink : spellings("unlink")) {
        QVERIFY(isToolCommand({unlink, "k"}));
        QVERIFY(!isReadCommand({unlink, "k"}));
        QVERIFY(isSafeToRetry({unlink, "k"}));
        QCOMPARE(keySpec({unlink, "a", "b"}).kind, KeySpec::Kind::MultiSum);
    }
    for (const QByteArray &flushdb : spellings("flushdb")) {
        QVERIFY(!isToolCommand({flushdb}));
        QVERIFY(!isSafeToRetry({flushdb}));
        QCOMPARE(keySpec({flushdb, "ASYNC"}).kind, KeySpec::Kind::None);
    }
    for (const QByteArray &cluster : spellings("cluster")) {
        QVERIFY(isReadCommand({cluster, "getkeysinslot", "1", "10"}));
        QVERIFY(!isReadCommand({cluster, "SETSLOT", "1", "NODE", "x"}));
        QVERIFY(!isReadCommand({cluster}));
    }
    for (const QByteArray &nodes : spellings("nodes"))
        QVERIFY(isReadCommand({"Cluster", nodes}));
    for (const QByteArray &setslot : spellings("setslot"))
        QVERIFY(!isToolCommand({"cluster", setslot, "1", "STABLE"}));
    for (const QByteArray &get : spellings("get")) {
        QVERIFY(isReadCommand({get, "k"}));
        QCOMPARE(keySpec({get, "k"}).kind, KeySpec::Kind::Single);
        QCOMPARE(keySpec({get}).kind, KeySpec::Kind::None);
    }
    for (const QByteArray &memory : spellings("memory")) {
        QCOMPARE(keySpec({memory, "usage", "k"}).first, 2);
        QCOMPARE(keySpec({memory, "STATS"}).kind, KeySpec::Kind::None);
    }
}

void TestRedisCommands::toolNeverSendsScriptsKeysBlockingOrFlushes_data()
{
    QTest::addColumn<Command>("argv");
    // Every Redis 7 command that runs a script, lists all keys, blocks the connection (or the
    // server), empties data, or stalls a server for long.
    for (const Command &forbidden : QList<Command>{
             {"EVAL", "return 1", "0"},
             {"EVALSHA", "abc", "0"},
             {"EVAL_RO", "return 1", "0"},
             {"EVALSHA_RO", "abc", "0"},
             {"FCALL", "f", "0"},
             {"FCALL_RO", "f", "0"},
             {"SCRIPT", "LOAD", "return 1"},
             {"SCRIPT", "FLUSH"},
             {"FUNCTION", "LOAD", "#!lua name=x"},
             {"FUNCTION", "FLUSH"},
             {"KEYS", "*"},
             {"keys", "sess:*"},
             {"FLUSHDB"},
             {"FLUSHDB", "ASYNC"},
             {"FLUSHALL"},
             {"flushall", "async"},
             {"BLPOP", "k", "0"},
             {"BRPOP", "k", "0"},
             {"BRPOPLPUSH", "a", "b", "0"},
             {"BLMOVE", "a", "b", "LEFT", "LEFT", "0"},
             {"BLMPOP", "0", "1", "k", "LEFT"},
             {"BZPOPMIN", "k", "0"},
             {"BZPOPMAX", "k", "0"},
             {"BZMPOP", "0", "1", "k", "MIN"},
             {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"},
             {"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"},
             {"WAIT", "1", "0"},
             {"WAITAOF", "1", "0", "0"},
             {"SUBSCRIBE", "c"},
             {"PSUBSCRIBE", "*"},
             {"SSUBSCRIBE", "c"},
             {"MONITOR"},
             {"SYNC"},
             {"PSYNC", "?", "-1"},
             {"DEBUG", "SLEEP", "1"},
             {"CLIENT", "PAUSE", "1000"},
             {"SAVE"},
             {"BGSAVE"},
             {"SHUTDOWN"},
             {"SWAPDB", "0", "1"},
             {"SORT", "k"},
             {"MIGRATE", "h", "1", "k", "0", "1"},
             {"MULTI"},
             {"EXEC"},
             {"SET", "k", "v"},
             {"HELLO", "3"},
             {"UNLINK"},
             {},
         })
        QTest::newRow(commandName(forbidden).isEmpty() ? "empty"
                                                       : commandName(forbidden).constData())
            << forbidden;
}

void TestRedisCommands::toolNeverSendsScriptsKeysBlockingOrFlushes()
{
    QFETCH(Command, argv);
    QVERIFY(!isToolCommand(argv));
}

void TestRedisCommands::toolSendsWhatTheStoreNeeds()
{
    // The commands the store and the router are made of (see redissessionstore.cpp,
    // redisrouter.cpp, redisfacts.cpp): refusing one of them would break an operation.
    for (const Command &needed : QList<Command>{
             {"SCAN", "0", "MATCH", "sess:*", "COUNT", "1000"},
             {"MGET", "sess:a", "sess:b"},
             {"GET", "sess:a"},
             {"PTTL", "sess:a"},
             {"TYPE", "sess:a"},
             {"TIME"},
             {"DBSIZE"},
             {"UNLINK", "sess:a"},
             {"DEL", "sess:a"},
             {"SREM", "user-sessions:u", "a"},
             {"ZREM", "user-sessions:u", "a"},
             {"SMEMBERS", "user-sessions:u"},
             {"ZRANGE", "user-sessions:u", "0", "-1"},
             {"HGETALL", "sess:h"},
             {"COMMAND", "INFO", "UNLINK"},
             {"INFO", "server"},
             {"CONFIG", "GET", "save"},
             {"ACL", "WHOAMI"},
             {"PUBSUB", "NUMSUB", "__sentinel__:hello"},
             {"CLUSTER", "SHARDS"},
             {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m"},
             {"ROLE"},
             {"ASKING"},
             {"SLOWLOG", "GET", "10"},
         })
        QVERIFY2(isToolCommand(needed), commandName(needed).constData());
}

void TestRedisCommands::routerConnectionsRefuseBeforeSending()
{
    // Nothing listens on port 1: a command that were sent would fail to connect instead.
    StoreConfig config = *StoreConfig::fromUrl(QStringLiteral("redis://127.0.0.1:1"));
    config.connectTimeoutMs = 500;
    Connection connection(config);
    connection.setToolCommandsOnly(true);
    for (const Command &forbidden : QList<Command>{
             {"EVAL", "return 1", "0"}, {"KEYS", "*"}, {"FLUSHALL"}, {"BLPOP", "k", "0"}}) {
        auto refused = connection.pipeline({{"GET", "k"}, forbidden});
        QVERIFY(!refused);
        QCOMPARE(refused.error().code, StorageError::Code::Refused);
        QVERIFY2(refused.error().message.contains(QString::fromUtf8(commandName(forbidden))),
                 qPrintable(refused.error().message));
    }
    // An allowed command does go out (and fails to connect).
    auto unreachable = connection.pipeline({{"GET", "k"}});
    QVERIFY(!unreachable);
    QVERIFY(unreachable.error().code != StorageError::Code::Refused);
}

QTEST_GUILESS_MAIN(TestRedisCommands)
#include "tst_rediscommands.moc"
