// MessagePack: values packed by python3-msgpack (tests/data/codecs/msgpack, see the README
// there), the 32-bit length forms by hand, damaged input and bombs.

#include "codecs/msgpack.h"
#include "codectesting.h"
#include "sessionlayout.h"

#include <QtEndian>

using namespace Qt::StringLiterals;
using namespace SessionDesk;
using namespace SessionDesk::Codecs;
using namespace CodecTesting;

namespace {

DecodedValue packed(const QString &name)
{
    return decodeMsgpack(fixture(u"msgpack/"_s + name + u".msgpack"_s));
}

QByteArray be32(quint32 value)
{
    QByteArray out(4, Qt::Uninitialized);
    qToBigEndian(value, out.data());
    return out;
}

} // namespace

class TestMsgpack final : public QObject
{
    Q_OBJECT

private slots:
    void flaskSession();
    void integers();
    void floats();
    void strings();
    void binary();
    void containers();
    void nilAndBools();
    void extensions();
    void timestamps();
    void keysOfEveryType();
    void thirtyTwoBitForms_data();
    void thirtyTwoBitForms();
    void detection_data();
    void detection();
    void truncatedAtEveryByte_data();
    void truncatedAtEveryByte();
    void corruptInput_data();
    void corruptInput();
    void bombs_data();
    void bombs();
    void listingFindsUserInMsgpack();
};

void TestMsgpack::flaskSession()
{
    const DecodedValue decoded = decodeValue(fixture(u"msgpack/flask_session.msgpack"_s));
    QCOMPARE(decoded.encoding, u"msgpack"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(findUser(decoded.root, {u"_user_id"_s}), u"42"_s);
    QCOMPARE(decoded.root.children.at(0).name, u"_permanent"_s);
    QVERIFY(decoded.root.child(u"csrf_token")->secret);
    QVERIFY(decoded.root.child(u"_id")->secret);
    QVERIFY(!decoded.root.child(u"_fresh")->secret);
    const QByteArray masked = json(decoded.root, false);
    QVERIFY2(masked.contains(R"("_user_id":"42")"), masked.constData());
    QVERIFY2(!masked.contains("5f2c8e1a"), masked.constData());
}

void TestMsgpack::integers()
{
    const DecodedValue decoded = packed(u"ints"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(json(decoded.root),
             QByteArray("[0,127,128,255,256,65535,65536,4294967295,4294967296,9223372036854775807,"
                        "\"18446744073709551615\",-1,-32,-33,-128,-129,-32768,-32769,-2147483648,"
                        "-2147483649,-9223372036854775808]"));
    QCOMPARE(decoded.root.children.at(10).typeName, u"uint64"_s);
}

void TestMsgpack::floats()
{
    DecodedValue decoded = packed(u"floats"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const QList<ValueNode> &items = decoded.root.children;
    QCOMPARE(items.at(0).scalar.toDouble(), 1.5);
    QVERIFY(std::signbit(items.at(1).scalar.toDouble()));
    QVERIFY(std::isinf(items.at(2).scalar.toDouble()));
    QVERIFY(std::isnan(items.at(3).scalar.toDouble()));
    QCOMPARE(items.at(4).scalar.toDouble(), 1e300);
    decoded = packed(u"float32"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(decoded.root.children.at(0).scalar.toDouble(), 1.5);
    QCOMPARE(decoded.root.children.at(1).scalar.toDouble(), double(0.1f));
}

void TestMsgpack::strings()
{
    const DecodedValue decoded = packed(u"strings"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const QList<ValueNode> &items = decoded.root.children;
    QCOMPARE(items.size(), 6);
    const QList<QString> expected = {QString(),          QString(31, u'a'),  QString(32, u'b'),
                                     QString(255, u'c'), QString(256, u'd'), u"café ☃"_s};
    for (qsizetype i = 0; i < items.size(); ++i) {
        QCOMPARE(items.at(i).kind, ValueNode::Kind::String);
        QCOMPARE(items.at(i).scalar.toString(), expected.at(i));
    }
}

void TestMsgpack::binary()
{
    const DecodedValue decoded = packed(u"binary"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const QList<ValueNode> &items = decoded.root.children;
    QCOMPARE(items.size(), 3);
    for (const ValueNode &item : items)
        QCOMPARE(item.kind, ValueNode::Kind::Bytes);
    QCOMPARE(items.at(1).scalar.toByteArray(), lit("\x00\xff"));
    QCOMPARE(items.at(2).scalar.toByteArray(), QByteArray(256, 'x'));
}

void TestMsgpack::containers()
{
    const DecodedValue decoded = packed(u"containers"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(decoded.root.child(u"fixarray")->children.size(), 15);
    QCOMPARE(decoded.root.child(u"array16")->children.size(), 16);
    QCOMPARE(decoded.root.child(u"fixmap")->children.size(), 15);
    QCOMPARE(decoded.root.child(u"map16")->children.size(), 16);
    QCOMPARE(decoded.root.child(u"map16")->child(u"15")->scalar.toLongLong(), 15LL);
}

void TestMsgpack::nilAndBools()
{
    const DecodedValue decoded = packed(u"nil_bools"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(json(decoded.root), QByteArray("[null,true,false]"));
}

void TestMsgpack::extensions()
{
    const DecodedValue decoded = packed(u"extensions"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const QList<ValueNode> &items = decoded.root.children;
    const QList<QPair<int, QByteArray>> expected = {{5, "\x01"},
                                                    {6, "ab"},
                                                    {7, "abcd"},
                                                    {8, "abcdefgh"},
                                                    {9, QByteArray(16, 'a')},
                                                    {10, "abc"},
                                                    {11, QByteArray(300, 'z')}};
    QCOMPARE(items.size(), expected.size());
    for (qsizetype i = 0; i < items.size(); ++i) {
        QCOMPARE(items.at(i).kind, ValueNode::Kind::Bytes);
        QCOMPARE(items.at(i).typeName, u"ext %1"_s.arg(expected.at(i).first));
        QCOMPARE(items.at(i).scalar.toByteArray(), expected.at(i).second);
    }
}

void TestMsgpack::timestamps()
{
    const DecodedValue decoded = packed(u"timestamps"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const QList<ValueNode> &items = decoded.root.children;
    QCOMPARE(items.size(), 4);
    for (const ValueNode &item : items)
        QCOMPARE(item.typeName, u"timestamp"_s);
    QCOMPARE(items.at(0).scalar.toString(), u"2023-11-14T22:13:20Z"_s); // 32-bit
    QCOMPARE(items.at(1).scalar.toString(), u"2023-11-14T22:13:20.123456Z"_s); // 64-bit
    QCOMPARE(items.at(2).scalar.toString(), u"1969-12-31T23:59:59.000000500Z"_s); // 96-bit
    QCOMPARE(items.at(3).scalar.toString(), u"2514-05-30T01:53:09.000000007Z"_s); // 64-bit
    QCOMPARE(timestampFromJson(QJsonValue(items.at(1).scalar.toString())).toMSecsSinceEpoch(),
             1700000000123LL);
}

void TestMsgpack::keysOfEveryType()
{
    const DecodedValue decoded = packed(u"keys"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QStringList names;
    for (const ValueNode &child : decoded.root.children)
        names << child.name;
    QCOMPARE(names,
             (QStringList{u"1"_s, u"-2"_s, u"raw"_s, u"null"_s, u"false"_s, u"1.5"_s, u"[1,2]"_s}));
}

void TestMsgpack::thirtyTwoBitForms_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("str32") << lit("\xdb") + be32(2) + "hi" << QByteArray(R"(["hi"])");
    QTest::newRow("str16") << lit("\xda\x00\x02") + "hi" << QByteArray(R"(["hi"])");
    QTest::newRow("bin32") << lit("\xc6") + be32(1) + "z" << QByteArray(R"(["z"])");
    QTest::newRow("bin16") << lit("\xc5\x00\x01") + "z" << QByteArray(R"(["z"])");
    QTest::newRow("array32") << lit("\xdd") + be32(2) + lit("\x01\x02") << QByteArray("[1,2]");
    QTest::newRow("map32") << lit("\xdf") + be32(1)
            + lit("\xa1"
                  "a\x01") << QByteArray(R"({"a":1})");
    QTest::newRow("ext32") << lit("\xc9") + be32(2) + lit("\x05xy") << QByteArray(R"(["xy"])");
    QTest::newRow("ext8 timestamp96")
        << lit("\xc7\x0c\xff\x00\x00\x00\x00\x00\x00\x00\x00\x65\x53\xf1\x00")
        << QByteArray(R"(["2023-11-14T22:13:20Z"])");
    QTest::newRow("uint64 max") << lit("\xcf\xff\xff\xff\xff\xff\xff\xff\xff")
                                << QByteArray(R"(["18446744073709551615"])");
    QTest::newRow("int64 min") << lit("\xd3\x80\x00\x00\x00\x00\x00\x00\x00")
                               << QByteArray("[-9223372036854775808]");
    QTest::newRow("invalid UTF-8 str") << lit("\xa2\xff\xfe") << QByteArray(R"(["\\xff\\xfe"])");
    QTest::newRow("timestamp with nanoseconds out of range")
        << lit("\xd7\xff\xff\xff\xff\xff\x00\x00\x00\x00")
        << QByteArray(R"(["\\xff\\xff\\xff\\xff\\x00\\x00\\x00\\x00"])");
}

void TestMsgpack::thirtyTwoBitForms()
{
    QFETCH(QByteArray, raw);
    QFETCH(QByteArray, expected);
    const DecodedValue decoded = decodeMsgpack(raw);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(json(decoded.root), expected);
}

void TestMsgpack::detection_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("encoding");
    QTest::addColumn<bool>("warned");
    // One byte 80 could be an empty map or any byte: too little to call it msgpack.
    QTest::newRow("lone 80 byte") << lit("\x80") << u"binary"_s << false;
    QTest::newRow("map of one empty map") << lit("\x81\xa1"
                                                 "a\x80")
                                          << u"msgpack"_s << false;
    QTest::newRow("80 02 is a pickle") << lit("\x80\x02}.") << u"pickle"_s << false;
    QTest::newRow("map16") << lit("\xde\x00\x01\xa1"
                                  "a\xc3")
                           << u"msgpack"_s << false;
    // Only maps are tried: a lone array or number is not a session.
    QTest::newRow("array") << lit("\x92\x01\x02") << u"binary"_s << false;
    // A map with bytes after it is not msgpack: shown raw, saying why.
    QTest::newRow("trailing bytes") << lit("\x81\xa1"
                                           "a\x01\xff")
                                    << u"binary"_s << true;
    QTest::newRow("truncated map") << lit("\x82\xa1"
                                          "a\x01")
                                   << u"binary"_s << true;
}

void TestMsgpack::detection()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, encoding);
    QFETCH(bool, warned);
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, encoding);
    QCOMPARE(!decoded.warning.isEmpty(), warned);
    if (warned)
        QCOMPARE(decoded.warning, Codecs::decodeMsgpack(raw).warning); // the decoder's error
    if (encoding == u"binary")
        QCOMPARE(decoded.root.scalar.toByteArray(), raw); // nothing lost
}

void TestMsgpack::truncatedAtEveryByte_data()
{
    QTest::addColumn<QString>("file");
    for (const char *name : {"flask_session", "ints", "floats", "strings", "binary", "containers",
                             "extensions", "timestamps", "keys"})
        QTest::newRow(name) << QString::fromLatin1(name);
}

void TestMsgpack::truncatedAtEveryByte()
{
    QFETCH(QString, file);
    checkEveryTruncation(fixture(u"msgpack/"_s + file + u".msgpack"_s), decodeMsgpack);
}

void TestMsgpack::corruptInput_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("message");
    QTest::newRow("never used 0xc1") << lit("\x91\xc1") << u"0xc1"_s;
    QTest::newRow("trailing") << lit("\xc0\xc0") << u"1 bytes follow"_s;
    QTest::newRow("empty") << QByteArray() << u"ends early"_s;
    QTest::newRow("cut number") << lit("\xcd\x01") << u"ends early"_s;
}

void TestMsgpack::corruptInput()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, message);
    const DecodedValue decoded = decodeMsgpack(raw);
    QVERIFY2(decoded.warning.contains(message), qPrintable(decoded.warning));
    exercise(decoded);
    exercise(decodeValue(raw));
}

void TestMsgpack::bombs_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("message");
    QTest::newRow("deep arrays") << QByteArray(1'000'000, '\x91') << u"nested more than 64"_s;
    QByteArray deepMaps;
    for (int i = 0; i < 100000; ++i)
        deepMaps += lit("\x81\xa1k");
    QTest::newRow("deep maps") << deepMaps << u"nested more than 64"_s;
    QTest::newRow("array32 of 2^32 - 1") << lit("\xdd\xff\xff\xff\xff\xc0") << u"ends early"_s;
    QTest::newRow("map32 of 2^32 - 1") << lit("\xdf\xff\xff\xff\xff") << u"ends early"_s;
    QTest::newRow("str32 of 4 GiB") << lit("\xdb\xff\xff\xff\xff") << u"more than the limit"_s;
    QTest::newRow("bin32 past the end") << lit("\xc6\x00\x10\x00\x00"
                                               "abc")
                                        << u"runs past the end"_s;
    QTest::newRow("ext32 of 4 GiB") << lit("\xc9\xff\xff\xff\xff\x01") << u"more than the limit"_s;
    QTest::newRow("wide array") << lit("\xdd\x00\x10\x00\x00") + QByteArray(1 << 20, '\xc0')
                                << u"more than 200000 elements"_s;
}

void TestMsgpack::bombs()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, message);
    const DecodedValue decoded = decodeBomb(raw, decodeMsgpack);
    QVERIFY2(decoded.warning.contains(message), qPrintable(decoded.warning));
    exercise(decodeValue(raw));
}

void TestMsgpack::listingFindsUserInMsgpack()
{
    SessionLayout layout;
    layout.userFields = {u"_user_id"_s};
    QCOMPARE(SessionFieldReader(layout).read(fixture(u"msgpack/flask_session.msgpack"_s)).user,
             u"42"_s);
    QCOMPARE(findUserInRaw(fixture(u"msgpack/flask_session.msgpack"_s), layout.userFields),
             u"42"_s);
}

QTEST_GUILESS_MAIN(TestMsgpack)
#include "tst_codecs_msgpack.moc"
