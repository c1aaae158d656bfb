// Unit tests for what the Redis router knows about commands: Redis Cluster's hash slots (the
// CRC16 check value, Redis's documented examples, hash tags), where a command's keys are, the
// read allow-list a read-only connection enforces, and which commands may be sent twice.

#include "redis/rediscommands.h"

#include <QTest>

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

QTEST_GUILESS_MAIN(TestRedisCommands)
#include "tst_rediscommands.moc"
