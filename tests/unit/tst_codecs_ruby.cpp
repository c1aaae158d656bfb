// Ruby Marshal 4.8: values written by Ruby itself (tests/data/codecs/ruby, see the README
// there), hand-made edge cases, damaged input and bombs.

#include "codecs/rubymarshal.h"
#include "codectesting.h"
#include "sessionlayout.h"

using namespace Qt::StringLiterals;
using namespace SessionDesk;
using namespace SessionDesk::Codecs;
using namespace CodecTesting;

namespace {

DecodedValue ruby(const QString &name)
{
    return decodeRubyMarshal(fixture(u"ruby/"_s + name + u".marshal"_s));
}

QByteArray marshal(const QByteArray &body)
{
    return QByteArray("\x04\x08", 2) + body;
}

} // namespace

class TestRubyMarshal final : public QObject
{
    Q_OBJECT

private slots:
    void deviseSession();
    void deviseSessionThroughDecodeValue();
    void hashWithIndifferentAccess();
    void scalars();
    void strings();
    void times_data();
    void times();
    void timeWithZone();
    void objectsAreNamesAndFields();
    void hashWithDefaultAndOddKeys();
    void linksRepeatScalarsAndNameContainers();
    void packedIntegerForms_data();
    void packedIntegerForms();
    void oldFloatWithMantissaBytes();
    void truncatedAtEveryByte_data();
    void truncatedAtEveryByte();
    void partialResultKeepsWhatWasRead();
    void corruptInput_data();
    void corruptInput();
    void bombs_data();
    void bombs();
    void trailingBytesAreReported();
    void listingFindsUserInMarshal();
};

void TestRubyMarshal::deviseSession()
{
    const DecodedValue decoded = ruby(u"devise_session"_s);
    QCOMPARE(decoded.encoding, u"ruby-marshal"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const QByteArray expected =
        R"({"_csrf_token":"q9WnT2xV8r3LkZ1mB7cY4uH6jD0sF5aE2gP8oN1iR3w=",)"
        R"("flash":{"discard":[],"flashes":{"notice":"Signed in successfully."}},)"
        R"("session_id":"3f1c9a7be2d04c5f8a6b1e0d9c7f2a41",)"
        R"("warden.user.user.key":[[42],"$2a$12$K8yH1v5nVqz3bq9Q1wQeXe"]})";
    QCOMPARE(json(decoded.root), expected);
    // Keys keep the order Ruby wrote them in.
    QCOMPARE(decoded.root.children.at(0).name, u"session_id"_s);
    QCOMPARE(decoded.root.children.at(1).name, u"warden.user.user.key"_s);
    // Devise's user: the first id of the record key, reached through a key containing dots.
    QCOMPARE(findUser(decoded.root, {u"warden.user.user.key.0.0"_s}), u"42"_s);
    QCOMPARE(findUser(decoded.root, {u"user_id"_s, u"warden.user.user.key.0.0"_s}), u"42"_s);
    QVERIFY(!findUser(decoded.root, {u"warden.user.user.key.0.1"_s}).has_value());
    QVERIFY(!findUser(decoded.root, {u"warden.user.user.key.2"_s}).has_value());
}

void TestRubyMarshal::deviseSessionThroughDecodeValue()
{
    const DecodedValue decoded = decodeValue(fixture(u"ruby/devise_session.marshal"_s));
    QCOMPARE(decoded.encoding, u"ruby-marshal"_s);
    QVERIFY(decoded.warning.isEmpty());
    // Masked: the CSRF token by name; the session id (a 32-hex public id, the cookie itself)
    // and the bcrypt salt Devise keeps by their shape. The notice is not a secret.
    const QByteArray masked = json(decoded.root, false);
    QVERIFY2(!masked.contains("q9WnT2x"), masked.constData());
    QVERIFY2(!masked.contains("3f1c9a7b"), masked.constData());
    QVERIFY2(!masked.contains("$2a$12$"), masked.constData());
    QVERIFY2(masked.contains("Signed in successfully."), masked.constData());
    QVERIFY2(masked.contains("[[42],"), masked.constData());
}

void TestRubyMarshal::hashWithIndifferentAccess()
{
    const DecodedValue decoded = ruby(u"hwia_session"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(decoded.root.kind, ValueNode::Kind::Map);
    QCOMPARE(decoded.root.typeName, u"ActiveSupport::HashWithIndifferentAccess"_s);
    QCOMPARE(json(decoded.root),
             QByteArray(R"({"@type":"ActiveSupport::HashWithIndifferentAccess",)"
                        R"("last_seen":"2023-11-14T22:13:20.250000Z","return_to":"/orders/5",)"
                        R"("user_id":7})"));
    QCOMPARE(decoded.root.child(u"last_seen")->typeName, u"Time"_s);
    QCOMPARE(findUser(decoded.root, {u"user_id"_s}), u"7"_s);
}

void TestRubyMarshal::scalars()
{
    const DecodedValue decoded = ruby(u"scalars"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(json(decoded.root),
             QByteArray("[null,true,false,0,1,-1,122,123,-123,-124,255,256,-256,65535,65536,"
                        "1073741823,-1073741824,2147483648,4611686018427387904,"
                        "\"18446744073709551616\",\"-1180591620717411303424\",1.5,0,"
                        "\"Infinity\",\"-Infinity\",\"NaN\",1e+100]"));
    const QList<ValueNode> &items = decoded.root.children;
    QCOMPARE(items.at(19).typeName, u"Integer"_s); // 2**64: beyond 64 bits, digits kept exact
    QCOMPARE(items.at(18).kind, ValueNode::Kind::Integer); // 2**62 fits
    QVERIFY(std::isinf(items.at(23).scalar.toDouble()) && items.at(23).scalar.toDouble() > 0);
    QVERIFY(std::isinf(items.at(24).scalar.toDouble()) && items.at(24).scalar.toDouble() < 0);
    QVERIFY(std::isnan(items.at(25).scalar.toDouble()));
    QVERIFY(std::signbit(items.at(22).scalar.toDouble()));
}

void TestRubyMarshal::strings()
{
    const DecodedValue decoded = ruby(u"strings"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const QList<ValueNode> &items = decoded.root.children;
    QCOMPARE(items.size(), 8);
    QCOMPARE(items.at(0).kind, ValueNode::Kind::String);
    QCOMPARE(items.at(0).scalar.toString(), u"utf-8 café"_s);
    QCOMPARE(items.at(1).kind, ValueNode::Kind::Bytes); // ASCII-8BIT
    QCOMPARE(items.at(1).scalar.toByteArray(), QByteArray("binary \xff\x00", 9));
    QCOMPARE(items.at(2).kind, ValueNode::Kind::String); // US-ASCII
    QCOMPARE(items.at(2).scalar.toString(), u"ascii"_s);
    QCOMPARE(items.at(3).kind, ValueNode::Kind::String); // ISO-8859-1, by name
    QCOMPARE(items.at(3).scalar.toString(), u"café"_s);
    for (int i : {4, 5}) { // the second :symbol is a symbol link
        QCOMPARE(items.at(i).scalar.toString(), u"symbol"_s);
        QCOMPARE(items.at(i).typeName, u"Symbol"_s);
    }
    QCOMPARE(items.at(6).scalar.toString(), u"café"_s); // a symbol with an encoding
    QCOMPARE(items.at(6).typeName, u"Symbol"_s);
    QCOMPARE(items.at(7).kind, ValueNode::Kind::String);
    QCOMPARE(items.at(7).scalar.toString(), QString());
}

void TestRubyMarshal::times_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("expected");
    QTest::newRow("utc with microseconds") << u"time_utc"_s << u"2023-11-14T22:13:20.123456Z"_s;
    QTest::newRow("offset with nanoseconds")
        << u"time_offset"_s << u"2023-11-15T00:13:20.123456789+02:00"_s;
}

void TestRubyMarshal::times()
{
    QFETCH(QString, file);
    QFETCH(QString, expected);
    const DecodedValue decoded = ruby(file);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(decoded.root.kind, ValueNode::Kind::String);
    QCOMPARE(decoded.root.typeName, u"Time"_s);
    QCOMPARE(decoded.root.scalar.toString(), expected);
    // The text is a timestamp the session list understands.
    QCOMPARE(timestampFromJson(QJsonValue(expected)).toSecsSinceEpoch(), 1700000000);
}

void TestRubyMarshal::timeWithZone()
{
    const DecodedValue decoded = ruby(u"time_with_zone"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(decoded.root.typeName, u"ActiveSupport::TimeWithZone"_s);
    // marshal_dump is [utc, zone name, local time]; the local time links to an object read
    // before (the zone's "UTC" string of the first Time).
    const QByteArray text = json(decoded.root);
    QVERIFY2(text.contains("\"2023-11-14T22:13:20Z\""), text.constData());
    QVERIFY2(text.contains("\"Europe/Berlin\""), text.constData());
}

void TestRubyMarshal::objectsAreNamesAndFields()
{
    const DecodedValue decoded = ruby(u"objects"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const QList<ValueNode> &items = decoded.root.children;
    QCOMPARE(items.size(), 13);
    QCOMPARE(json(items.at(0)), QByteArray(R"({"@type":"Point","x":1,"y":"two"})"));
    // Instance variables lose their "@"; a secret-looking one is masked once marked.
    QCOMPARE(
        json(items.at(1)),
        QByteArray(R"({"@type":"Account","api_token":"sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0",)"
                   R"("email":"ada@example.com","id":42})"));
    QCOMPARE(items.at(2).scalar.toString(), u"/ab+c/ix"_s);
    QCOMPARE(items.at(2).typeName, u"Regexp"_s);
    // Class and module references are names, nothing more.
    QCOMPARE(items.at(3).kind, ValueNode::Kind::String);
    QCOMPARE(items.at(3).scalar.toString(), u"String"_s);
    QCOMPARE(items.at(3).typeName, u"Class"_s);
    QCOMPARE(items.at(4).scalar.toString(), u"Kernel"_s);
    QCOMPARE(items.at(4).typeName, u"Module"_s);
    QCOMPARE(items.at(5).typeName, u"Object + Auditable"_s);
    QCOMPARE(items.at(6).scalar.toString(), u"tagged"_s);
    QCOMPARE(items.at(6).typeName, u"TaggedString"_s);
    QCOMPARE(items.at(7).kind, ValueNode::Kind::List);
    QCOMPARE(items.at(7).typeName, u"TaggedList"_s);
    QCOMPARE(items.at(8).scalar.toString(), u"18:0.15e1"_s); // BigDecimal#_dump
    QCOMPARE(items.at(8).typeName, u"BigDecimal"_s);
    QCOMPARE(items.at(9).typeName, u"Date"_s);
    QCOMPARE(json(items.at(10)), QByteArray(R"({"@type":"Range","begin":1,"end":5,"excl":false})"));
    QCOMPARE(json(items.at(11)), QByteArray(R"({"@type":"Rational","data":[1,3]})"));
    QCOMPARE(items.at(12).typeName, u"Set"_s);

    ValueNode marked = decoded.root;
    markSecrets(marked);
    QVERIFY(marked.children.at(1).child(u"api_token")->secret);
    QVERIFY(!marked.children.at(1).child(u"email")->secret);
}

void TestRubyMarshal::hashWithDefaultAndOddKeys()
{
    const DecodedValue decoded = ruby(u"hash_default"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(json(decoded.root),
             QByteArray(R"x({"(default)":"fallback","3":"three","[1,2]":"array key","a":1,)x"
                        R"x("b":2,"null":"nil key"})x"));
}

void TestRubyMarshal::linksRepeatScalarsAndNameContainers()
{
    const DecodedValue decoded = ruby(u"links"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const QList<ValueNode> &items = decoded.root.children;
    QCOMPARE(items.size(), 6);
    // A string seen twice is shown twice.
    QCOMPARE(items.at(0).scalar.toString(), u"shared string"_s);
    QCOMPARE(items.at(1).scalar.toString(), u"shared string"_s);
    QCOMPARE(items.at(1).kind, ValueNode::Kind::String);
    // An array seen twice is named the second time.
    QCOMPARE(json(items.at(2)), QByteArray("[1,2]"));
    QCOMPARE(items.at(3).typeName, u"link"_s);
    QVERIFY(items.at(3).scalar.toString().contains(u"Array"));
    // Cycles end in a placeholder.
    QCOMPARE(items.at(4).children.size(), 1);
    QCOMPARE(items.at(4).children.at(0).typeName, u"link"_s);
    QCOMPARE(items.at(5).child(u"self")->typeName, u"link"_s);
    QVERIFY(items.at(5).child(u"self")->scalar.toString().contains(u"Hash"));
}

void TestRubyMarshal::packedIntegerForms_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<qint64>("value");
    QTest::newRow("0") << QByteArray("i\x00", 2) << 0LL;
    QTest::newRow("1 byte small") << QByteArray("i\x06") << 1LL;
    QTest::newRow("122") << QByteArray("i\x7f") << 122LL;
    QTest::newRow("-123") << QByteArray("i\x80") << -123LL;
    QTest::newRow("1 byte long") << QByteArray("i\x01\xff") << 255LL;
    QTest::newRow("2 bytes") << QByteArray("i\x02\x00\x01", 4) << 256LL;
    QTest::newRow("3 bytes") << QByteArray("i\x03\x00\x00\x01", 5) << 65536LL;
    QTest::newRow("4 bytes") << QByteArray("i\x04\xff\xff\xff\x3f") << 1073741823LL;
    QTest::newRow("-1 byte") << QByteArray("i\xff\x00", 3) << -256LL;
    QTest::newRow("-2 bytes") << QByteArray("i\xfe\xff\xfe") << -257LL;
    QTest::newRow("-4 bytes") << QByteArray("i\xfc\x00\x00\x00\xc0", 6) << -1073741824LL;
}

void TestRubyMarshal::packedIntegerForms()
{
    QFETCH(QByteArray, body);
    QFETCH(qint64, value);
    const DecodedValue decoded = decodeRubyMarshal(marshal(body));
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(decoded.root.kind, ValueNode::Kind::Integer);
    QCOMPARE(decoded.root.scalar.toLongLong(), value);
}

void TestRubyMarshal::oldFloatWithMantissaBytes()
{
    // Ruby 1.8 appended mantissa bytes after a NUL; the text before it is the value.
    const DecodedValue decoded = decodeRubyMarshal(marshal(QByteArray("f\x0b"
                                                                      "2.5\x00\x12\x34",
                                                                      8)));
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(decoded.root.scalar.toDouble(), 2.5);
}

void TestRubyMarshal::truncatedAtEveryByte_data()
{
    QTest::addColumn<QString>("file");
    for (const char *name : {"devise_session", "hwia_session", "scalars", "strings", "time_offset",
                             "time_with_zone", "objects", "hash_default", "links"}) {
        QTest::newRow(name) << QString::fromLatin1(name);
    }
}

void TestRubyMarshal::truncatedAtEveryByte()
{
    QFETCH(QString, file);
    checkEveryTruncation(fixture(u"ruby/"_s + file + u".marshal"_s), decodeRubyMarshal);
}

void TestRubyMarshal::partialResultKeepsWhatWasRead()
{
    const QByteArray raw = fixture(u"ruby/devise_session.marshal"_s);
    // Cut inside the last value (the flash hash): the first three keys are all there.
    const DecodedValue decoded = decodeRubyMarshal(raw.left(raw.size() - 3));
    QVERIFY(decoded.warning.contains(u"ends early"));
    QCOMPARE(decoded.encoding, u"ruby-marshal"_s);
    QCOMPARE(findUser(decoded.root, {u"warden.user.user.key.0.0"_s}), u"42"_s);
    QVERIFY(decoded.root.child(u"_csrf_token"));
    QVERIFY(decoded.root.child(u"flash"));
    // decodeValue shows the partial tree with the warning, since 04 08 is unambiguous.
    const DecodedValue shown = decodeValue(raw.left(raw.size() - 3));
    QCOMPARE(shown.encoding, u"ruby-marshal"_s);
    QCOMPARE(shown.warning, decoded.warning);
    QVERIFY(shown.root.child(u"_csrf_token")->secret);
}

void TestRubyMarshal::corruptInput_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown type") << marshal("[\x06Z") << u"Unknown Marshal type 0x5a"_s;
    QTest::newRow("symlink out of range") << marshal(";\x0a") << u"symbol 5, which was not read"_s;
    QTest::newRow("object link out of range") << marshal("[\x06@\x0a") << u"object 5"_s;
    QTest::newRow("bignum without sign") << marshal("l*\x06\x01\x00") << u"no sign"_s;
    QTest::newRow("negative array size") << marshal("[\xfa") << u"negative size"_s;
    QTest::newRow("class name not a symbol") << marshal(lit("o\"\x06"
                                                            "A\x00"))
                                             << u"Expected a symbol"_s;
    QTest::newRow("wrong version") << QByteArray("\x04\x07[\x00", 4) << u"not 04 08"_s;
    QTest::newRow("empty") << QByteArray() << u"shorter than its signature"_s;
}

void TestRubyMarshal::corruptInput()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, message);
    const DecodedValue decoded = decodeRubyMarshal(raw);
    QVERIFY2(decoded.warning.contains(message), qPrintable(decoded.warning));
    exercise(decoded);
    exercise(decodeValue(raw));
}

void TestRubyMarshal::bombs_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("message");
    // 100,000 nested arrays.
    QByteArray deep;
    for (int i = 0; i < 100000; ++i)
        deep += "[\x06";
    QTest::newRow("deep arrays") << marshal(deep + "0") << u"nested more than 64"_s;
    QTest::newRow("deep wrappers") << marshal(QByteArray(100000, 'I')
                                              + lit("\"\x06"
                                                    "a\x00"))
                                   << u"nested too deeply"_s;
    QByteArray deepHashes;
    for (int i = 0; i < 100000; ++i)
        deepHashes += "{\x06i\x06";
    QTest::newRow("deep hashes") << marshal(deepHashes) << u"nested more than 64"_s;
    // Lengths far beyond the data or the limits.
    QTest::newRow("string of 2 GiB")
        << marshal("\"\x04\xff\xff\xff\x7f") << u"more than the limit"_s;
    QTest::newRow("string past the end") << marshal(lit("\"\x03\x00\x00\x10"
                                                        "abc"))
                                         << u"runs past the end"_s;
    QTest::newRow("array of 2^31 - 1") << marshal("[\x04\xff\xff\xff\x7f"
                                                  "0")
                                       << u"ends early"_s;
    QTest::newRow("hash of 2^31 - 1") << marshal("{\x04\xff\xff\xff\x7f") << u"ends early"_s;
    QTest::newRow("bignum of 2^31 shorts") << marshal("l+\x04\xff\xff\xff\x7f") << u"limit"_s;
    // 300,000 nils: more nodes than the limit.
    QTest::newRow("wide array") << marshal("[\x03\xe0\x93\x04" + QByteArray(300000, '0'))
                                << u"more than 200000 elements"_s;
    // An array holding a link to itself 300,000 times: never expanded, stopped by the limit.
    QByteArray links;
    for (int i = 0; i < 300000; ++i)
        links += lit("@\x00");
    QTest::newRow("self links") << marshal("[\x03\xe0\x93\x04" + links)
                                << u"more than 200000 elements"_s;
    // A 1 MiB string linked 300,000 times costs no copies of the bytes.
    QByteArray big = lit("[\x03\xe0\x93\x04\"\x03\x00\x00\x10") + QByteArray(1 << 20, 'x');
    for (int i = 0; i < 300000; ++i)
        big += "@\x06";
    QTest::newRow("linked big string") << marshal(big) << u"more than 33554432 bytes"_s;
}

void TestRubyMarshal::bombs()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, message);
    const DecodedValue decoded = decodeBomb(raw, decodeRubyMarshal);
    QVERIFY2(decoded.warning.contains(message), qPrintable(decoded.warning));
    exercise(decodeValue(raw));
}

void TestRubyMarshal::trailingBytesAreReported()
{
    const DecodedValue decoded = decodeRubyMarshal(marshal("T"
                                                           "junk"));
    QVERIFY(decoded.warning.contains(u"4 bytes follow"));
    QCOMPARE(decoded.root.kind, ValueNode::Kind::Bool);
}

void TestRubyMarshal::listingFindsUserInMarshal()
{
    SessionLayout layout;
    layout.userFields = {u"user_id"_s, u"warden.user.user.key.0.0"_s};
    layout.startedFields = {u"last_seen"_s};
    const SessionFieldReader reader(layout);
    QCOMPARE(reader.read(fixture(u"ruby/devise_session.marshal"_s)).user, u"42"_s);
    const SessionFields fields = reader.read(fixture(u"ruby/hwia_session.marshal"_s));
    QCOMPARE(fields.user, u"7"_s);
    QCOMPARE(fields.startedAt.toMSecsSinceEpoch(), 1700000000250LL);
    QCOMPARE(findUserInRaw(fixture(u"ruby/devise_session.marshal"_s), layout.userFields), u"42"_s);
    // A damaged value still gives its user when the user was read before the damage.
    const QByteArray raw = fixture(u"ruby/devise_session.marshal"_s);
    QCOMPARE(reader.read(raw.left(raw.size() - 3)).user, u"42"_s);
    QVERIFY(reader.read(QByteArray("\x04\x08", 2)).user.isEmpty());
}

QTEST_GUILESS_MAIN(TestRubyMarshal)
#include "tst_codecs_ruby.moc"
