// Python pickle, protocols 0–5: values pickled by CPython (tests/data/codecs/pickle, see the
// README there), hand-made opcode sequences, damaged input and bombs.

#include "codecs/pickle.h"
#include "codectesting.h"
#include "sessionlayout.h"

using namespace Qt::StringLiterals;
using namespace SessionDesk;
using namespace SessionDesk::Codecs;
using namespace CodecTesting;

namespace {

QByteArray pickled(const QString &name, int protocol)
{
    return fixture(u"pickle/%1.p%2.pickle"_s.arg(name).arg(protocol));
}

QByteArray jsonOf(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// Text of one child, as JSON (so that numbers, strings and containers compare alike).
QByteArray field(const ValueNode &root, QStringView name)
{
    const ValueNode *node = root.child(name);
    return node ? json(*node) : QByteArray("(missing)");
}

} // namespace

class TestPickle final : public QObject
{
    Q_OBJECT

private slots:
    void signatures_data();
    void signatures();
    void flaskSession_data();
    void flaskSession();
    void djangoSession_data();
    void djangoSession();
    void everyProtocolGivesTheSameTree_data();
    void everyProtocolGivesTheSameTree();
    void typesReadably();
    void linksAndCycles_data();
    void linksAndCycles();
    void persistentIds();
    void extensionCodesAreNames();
    void outOfBandBuffers();
    void handMadeOpcodes_data();
    void handMadeOpcodes();
    void globalsAreNeverCalled();
    void textThatLooksLikeProtocol0IsText_data();
    void textThatLooksLikeProtocol0IsText();
    void truncatedAtEveryByte_data();
    void truncatedAtEveryByte();
    void partialResultKeepsTheStack();
    void corruptInput_data();
    void corruptInput();
    void bombs_data();
    void bombs();
    void listingFindsUserInPickle();
};

void TestPickle::signatures_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("signature");
    QTest::newRow("protocol 2") << lit("\x80\x02N.") << int(PickleSignature::Certain);
    QTest::newRow("protocol 5") << lit("\x80\x05N.") << int(PickleSignature::Certain);
    QTest::newRow("protocol 6") << lit("\x80\x06N.") << int(PickleSignature::None);
    QTest::newRow("msgpack map") << lit("\x81\xa1"
                                        "a\x01")
                                 << int(PickleSignature::None);
    QTest::newRow("protocol 0 dict") << lit("(dp0\n.") << int(PickleSignature::Possible);
    QTest::newRow("protocol 1 dict") << lit("}q\x00.") << int(PickleSignature::Possible);
    QTest::newRow("protocol 0 object")
        << lit("ccopy_reg\n_reconstructor\n.") << int(PickleSignature::Possible);
    QTest::newRow("no STOP at the end") << lit("(dp0\n") << int(PickleSignature::None);
    QTest::newRow("JSON") << lit("{\"a\":1}") << int(PickleSignature::None);
}

void TestPickle::signatures()
{
    QFETCH(QByteArray, raw);
    QFETCH(int, signature);
    QCOMPARE(int(pickleSignature(raw)), signature);
}

void TestPickle::flaskSession_data()
{
    QTest::addColumn<int>("protocol");
    for (int protocol = 0; protocol <= 5; ++protocol)
        QTest::addRow("protocol %d", protocol) << protocol;
}

void TestPickle::flaskSession()
{
    QFETCH(int, protocol);
    const QByteArray raw = pickled(u"flask_session"_s, protocol);
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"pickle"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(findUser(decoded.root, {u"user_id"_s, u"_user_id"_s}), u"42"_s);
    QCOMPARE(field(decoded.root, u"_permanent"), QByteArray("[true]"));
    QCOMPARE(field(decoded.root, u"cart"), QByteArray(R"([{"qty":2,"sku":"A-1"}])"));
    // The CSRF token by name; Flask-Login's _id (a SHA-512 hex digest) by its shape.
    QVERIFY(decoded.root.child(u"csrf_token")->secret);
    QVERIFY(decoded.root.child(u"_id")->secret);
    QVERIFY(!decoded.root.child(u"_user_id")->secret);
    const QByteArray masked = json(decoded.root, false);
    QVERIFY2(!masked.contains("5f2c8e1a"), masked.constData());
    QVERIFY2(!masked.contains("9c1e5b6a"), masked.constData());
}

void TestPickle::djangoSession_data()
{
    flaskSession_data();
}

void TestPickle::djangoSession()
{
    QFETCH(int, protocol);
    const DecodedValue decoded = decodeValue(pickled(u"django_session"_s, protocol));
    QCOMPARE(decoded.encoding, u"pickle"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(findUser(decoded.root, {u"_auth_user_id"_s}), u"7"_s);
    QCOMPARE(decoded.root.child(u"_auth_user_backend")->scalar.toString(),
             u"django.contrib.auth.backends.ModelBackend"_s);
    QVERIFY(!decoded.root.child(u"_auth_user_backend")->secret);
    QVERIFY(decoded.root.child(u"_auth_user_hash")->secret); // 64 hex digits
    QCOMPARE(decoded.root.child(u"_session_expiry")->scalar.toLongLong(), 1209600LL);
}

void TestPickle::everyProtocolGivesTheSameTree_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("protocol");
    for (const char *name : {"types", "links", "flask_session", "django_session"}) {
        for (int protocol = 0; protocol <= 4; ++protocol)
            QTest::addRow("%s protocol %d", name, protocol)
                << QString::fromLatin1(name) << protocol;
    }
}

void TestPickle::everyProtocolGivesTheSameTree()
{
    // Protocols write the same value with different opcodes (text or binary numbers, REDUCE of
    // builtins.set or ADDITEMS, _codecs.encode or BINBYTES, copyreg._reconstructor or NEWOBJ);
    // the tree must not show which.
    QFETCH(QString, name);
    QFETCH(int, protocol);
    const DecodedValue newest = decodePickle(pickled(name, 5));
    const DecodedValue older = decodePickle(pickled(name, protocol));
    QVERIFY2(newest.warning.isEmpty(), qPrintable(newest.warning));
    QVERIFY2(older.warning.isEmpty(), qPrintable(older.warning));
    QJsonObject expected = toJson(newest.root, true).toObject();
    if (protocol < 2)
        expected.remove(u"slotted"_s); // objects with __slots__ need protocol 2
    QCOMPARE(jsonOf(toJson(older.root, true).toObject()), jsonOf(expected));
}

void TestPickle::typesReadably()
{
    const DecodedValue decoded = decodePickle(pickled(u"types"_s, 5));
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const ValueNode &root = decoded.root;
    QCOMPARE(field(root, u"none"), QByteArray("[null]"));
    QCOMPARE(field(root, u"true"), QByteArray("[true]"));
    QCOMPARE(field(root, u"ints"),
             QByteArray("[0,1,-1,255,256,65535,65536,-2147483648,2147483647,2147483648,"
                        "9223372036854775807,\"18446744073709551616\","
                        "\"-1267650600228229401496703205376\"]"));
    QCOMPARE(root.child(u"ints")->children.at(11).typeName, u"int"_s);
    QCOMPARE(field(root, u"floats"),
             QByteArray("[1.5,0,\"Infinity\",\"-Infinity\",\"NaN\",1e+300]"));
    QVERIFY(std::isnan(root.child(u"floats")->children.at(4).scalar.toDouble()));
    QCOMPARE(root.child(u"text")->scalar.toString(),
             u"café ☃ 😀 line\nbreak back\\slash \u0000 nul"_s);
    QCOMPARE(root.child(u"bytes")->kind, ValueNode::Kind::Bytes);
    QCOMPARE(root.child(u"bytes")->scalar.toByteArray(),
             lit("\x00\x01"
                 "binary\xff"));
    QCOMPARE(root.child(u"bytearray")->scalar.toByteArray(), QByteArray("mutable"));
    QCOMPARE(root.child(u"bytearray")->typeName, u"bytearray"_s);
    QCOMPARE(field(root, u"tuple"), QByteArray(R"([1,"two",[3]])"));
    QCOMPARE(root.child(u"tuple")->typeName, u"tuple"_s);
    QCOMPARE(field(root, u"empty"), QByteArray(R"([[],[],{},"",""])"));
    QCOMPARE(field(root, u"set"), QByteArray("[1,2,3]"));
    QCOMPARE(root.child(u"set")->typeName, u"set"_s);
    QCOMPARE(root.child(u"frozenset")->typeName, u"frozenset"_s);
    QCOMPARE(field(root, u"nested"), QByteArray(R"({"a":{"b":{"c":[1,[2,[3]]]}}})"));
    QCOMPARE(
        field(root, u"keys"),
        QByteArray(R"({"1":"int key","[1,2]":"tuple key","k":"bytes key","null":"none key"})"));
    QCOMPARE(field(root, u"datetime"), QByteArray(R"(["2024-05-01T12:34:56.789012"])"));
    QCOMPARE(root.child(u"datetime")->typeName, u"datetime.datetime"_s);
    QCOMPARE(field(root, u"aware"), QByteArray(R"(["2024-05-01T12:00:00+02:00"])"));
    QCOMPARE(field(root, u"utc"), QByteArray(R"(["2024-05-01T10:00:00Z"])"));
    QCOMPARE(field(root, u"date"), QByteArray(R"(["2024-02-29"])"));
    QCOMPARE(field(root, u"time"), QByteArray(R"(["23:59:58.000005"])"));
    QCOMPARE(field(root, u"timedelta"), QByteArray(R"(["2 days, 1:02:03.000006"])"));
    QCOMPARE(field(root, u"decimal"), QByteArray(R"(["12.50"])"));
    QCOMPARE(root.child(u"decimal")->typeName, u"decimal.Decimal"_s);
    QCOMPARE(field(root, u"ordered"),
             QByteArray(R"({"@type":"collections.OrderedDict","a":2,"z":1})"));
    QCOMPARE(root.child(u"ordered")->children.at(0).name, u"z"_s); // insertion order kept
    QCOMPARE(
        field(root, u"default"),
        QByteArray(
            R"({"@type":"collections.defaultdict","__default_factory__":"builtins.list","k":[1]})"));
    QCOMPARE(
        field(root, u"object"),
        QByteArray(
            R"({"@type":"__main__.Account","api_token":"sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0",)"
            R"("email":"ada@example.com","id":42})"));
    QCOMPARE(field(root, u"slotted"),
             QByteArray(R"({"@type":"__main__.Slotted","a":1,"b":"two"})"));
    QCOMPARE(field(root, u"subclass"),
             QByteArray(R"({"@type":"__main__.Tagged","__items__":[1,2]})"));
    // Class and function references are names, never resolved.
    QCOMPARE(root.child(u"class_ref")->scalar.toString(), u"__main__.Account"_s);
    QCOMPARE(root.child(u"class_ref")->typeName, u"class"_s);
    QCOMPARE(root.child(u"function_ref")->scalar.toString(), u"posixpath.join"_s);
}

void TestPickle::linksAndCycles_data()
{
    flaskSession_data();
}

void TestPickle::linksAndCycles()
{
    QFETCH(int, protocol);
    const DecodedValue decoded = decodePickle(pickled(u"links"_s, protocol));
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    // One list referenced twice is shown twice.
    QCOMPARE(field(decoded.root, u"first"), QByteArray(R"(["shared"])"));
    QCOMPARE(field(decoded.root, u"second"), QByteArray(R"(["shared"])"));
    // A list inside itself, a dict inside itself: a placeholder where the cycle closes.
    const ValueNode *loop = decoded.root.child(u"loop");
    QCOMPARE(loop->children.size(), 1);
    QCOMPARE(loop->children.at(0).typeName, u"reference"_s);
    QCOMPARE(loop->children.at(0).scalar.toString(), u"(a reference to an enclosing list)"_s);
    QCOMPARE(decoded.root.child(u"loop_dict")->child(u"self")->typeName, u"reference"_s);
}

void TestPickle::persistentIds()
{
    for (int protocol : {0, 2}) {
        const DecodedValue decoded = decodePickle(pickled(u"persistent"_s, protocol));
        QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
        const ValueNode *owner = decoded.root.child(u"owner");
        QCOMPARE(owner->scalar.toString(), u"row:42"_s);
        QCOMPARE(owner->typeName, u"persistent id"_s);
    }
}

void TestPickle::extensionCodesAreNames()
{
    const DecodedValue decoded = decodePickle(pickled(u"extension_codes"_s, 2));
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(json(decoded.root),
             QByteArray(R"x(["(copyreg extension 241)","(copyreg extension 61938)",)x"
                        R"x("(copyreg extension 2147483393)"])x"));
}

void TestPickle::outOfBandBuffers()
{
    DecodedValue decoded = decodePickle(fixture(u"pickle/buffers_out_of_band.p5.pickle"_s));
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(decoded.root.children.size(), 2);
    QCOMPARE(decoded.root.children.at(0).typeName, u"pickle.PickleBuffer"_s);
    QVERIFY(decoded.root.children.at(1).scalar.toString().contains(u"buffer 1"));
    decoded = decodePickle(fixture(u"pickle/buffers_in_band.p5.pickle"_s));
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(json(decoded.root), QByteArray(R"(["in band","writable"])"));
    QCOMPARE(decoded.root.children.at(1).typeName, u"bytearray"_s);
}

void TestPickle::handMadeOpcodes_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QByteArray>("expected");
    // Protocol 0 text forms as Python 2 wrote them.
    QTest::newRow("INT bools and numbers")
        << lit("(I01\nI00\nI-7\nI99999999999999999999\nL12L\nL-5\ntp0\n.")
        << QByteArray(R"([true,false,-7,"99999999999999999999",12,-5])");
    QTest::newRow("FLOAT text") << lit("(F1.5\nF-inf\nF1e-05\nl.")
                                << QByteArray("[1.5,\"-Infinity\",1e-05]");
    QTest::newRow("STRING escapes")
        << lit("(S'a\\'b'\nS\"q\\\"\"\nS'\\x41\\101\\n\\t\\\\'\nS'\\xff'\nl.")
        << QByteArray(R"(["a'b","q\"","AA\n\t\\","\\xff"])");
    QTest::newRow("UNICODE raw-unicode-escape")
        << lit("(V\\u00e9\\U0001f600\nVback\\u005cslash\nV\\\\u0041\nl.")
        << QByteArray(R"(["é😀","back\\slash","\\\\u0041"])");
    QTest::newRow("PUT and GET text")
        << lit("(lp0\nI1\nag0\na.") << QByteArray(R"x([1,"(a reference to an enclosing list)"])x");
    QTest::newRow("INST with attribute dict")
        << lit("(ifoo\nBar\np0\n(dp1\nS'a'\nI1\nsb.") << QByteArray(R"({"@type":"foo.Bar","a":1})");
    QTest::newRow("OBJ") << lit("(cfoo\nBar\nI5\no.")
                         << QByteArray(R"({"@type":"foo.Bar","__args__":[5]})");
    QTest::newRow("BUILD with other state") << lit("\x80\x02"
                                                   "cfoo\nBar\n)\x81K\x07"
                                                   "b.")
                                            << QByteArray(R"({"@type":"foo.Bar","__state__":7})");
    QTest::newRow("NEWOBJ_EX") << lit(
        "\x80\x04\x8c\x03"
        "foo\x8c\x03"
        "Bar\x93K\x01\x85}\x8c\x01"
        "kK\x02s\x92.") << QByteArray(R"({"@type":"foo.Bar","__args__":[1],"__kwargs__":{"k":2}})");
    QTest::newRow("binary ints")
        << lit("\x80\x02(J\xff\xff\xff\xffK\xffM\xff\xff\x8a\x00\x8a\x01\x80\x8b\x09\x00\x00\x00"
               "\x00\x00\x00\x00\x00\x00\x00\x80\xff\x8b\x09\x00\x00\x00"
               "\x00\x00\x00\x00\x00\x00\x00\x00\x80l.")
        << QByteArray(R"([-1,255,65535,0,-128,-9223372036854775808,"-2361183241434822606848"])");
    QTest::newRow("LONG1 of 8 bytes") << lit("\x80\x02\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80.")
                                      << QByteArray(R"([-9223372036854775808])");
    QTest::newRow("BINFLOAT") << lit("\x80\x02G?\xf8\x00\x00\x00\x00\x00\x00.")
                              << QByteArray("[1.5]");
    QTest::newRow("strings of every width") << lit("\x80\x05(U\x01"
                                                   "aT\x01\x00\x00\x00"
                                                   "bX\x01\x00\x00\x00"
                                                   "c\x8c\x01"
                                                   "d"
                                                   "\x8d\x01\x00\x00\x00\x00\x00\x00\x00"
                                                   "eB\x01\x00\x00\x00"
                                                   "fC\x01"
                                                   "g"
                                                   "\x8e\x01\x00\x00\x00\x00\x00\x00\x00"
                                                   "hl.")
                                            << QByteArray(R"(["a","b","c","d","e","f","g","h"])");
    QTest::newRow("POP, POP_MARK, DUP") << lit("\x80\x02K\x01K\x02"
                                               "0(K\x03K\x04"
                                               "12\x86.")
                                        << QByteArray("[1,1]");
    QTest::newRow("MEMOIZE, LONG_BINPUT, LONG_BINGET") << lit("\x80\x04K\x07\x94r\x05\x00\x00\x00"
                                                              "0j\x05\x00\x00\x00h\x00\x86.")
                                                       << QByteArray("[7,7]");
    QTest::newRow("FRAME") << lit("\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00N.")
                           << QByteArray("[null]");
    QTest::newRow("empty set and ADDITEMS, FROZENSET")
        << lit("\x80\x04\x8f(K\x01\x90(K\x02\x91\x86.") << QByteArray("[[1],[2]]");
    QTest::newRow("SETITEM on an OrderedDict")
        << lit("\x80\x02"
               "ccollections\nOrderedDict\n)RX\x01\x00\x00\x00"
               "bK\x02s.")
        << QByteArray(R"({"@type":"collections.OrderedDict","b":2})");
    QTest::newRow("duplicate keys stay visible") << lit("\x80\x02}(K\x01K\x02X\x01\x00\x00\x00"
                                                        "1K\x03u.")
                                                 << QByteArray(R"({"1":2,"1#2":3})");
}

void TestPickle::handMadeOpcodes()
{
    QFETCH(QByteArray, raw);
    QFETCH(QByteArray, expected);
    const DecodedValue decoded = decodePickle(raw);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(json(decoded.root), expected);
}

void TestPickle::globalsAreNeverCalled()
{
    // The classic exploit: os.system("…"). It is a name and an argument, nothing more.
    const QByteArray raw = lit("cos\nsystem\n(S'touch /tmp/sessiondesk-pwned'\ntR.");
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"pickle"_s);
    QCOMPARE(json(decoded.root),
             QByteArray(R"({"@type":"os.system","__args__":["touch /tmp/sessiondesk-pwned"]})"));
    QVERIFY(!QFile::exists(u"/tmp/sessiondesk-pwned"_s));
    // STACK_GLOBAL and REDUCE on a protocol 4 pickle.
    const QByteArray proto4 = lit("\x80\x04\x8c\x08"
                                  "builtins\x8c\x04"
                                  "eval\x93\x8c\x03"
                                  "1+1\x85R.");
    QCOMPARE(json(decodePickle(proto4).root),
             QByteArray(R"({"@type":"builtins.eval","__args__":["1+1"]})"));
}

void TestPickle::textThatLooksLikeProtocol0IsText_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::newRow("parenthesis") << QByteArray("(see the manual).");
    QTest::newRow("c word") << QByteArray("cats and dogs.");
    QTest::newRow("brace") << QByteArray("} done.");
}

void TestPickle::textThatLooksLikeProtocol0IsText()
{
    QFETCH(QByteArray, raw);
    QCOMPARE(pickleSignature(raw), PickleSignature::Possible);
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"text"_s);
    QCOMPARE(decoded.root.scalar.toString(), QString::fromUtf8(raw));
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning)); // a guess, not an error
}

void TestPickle::truncatedAtEveryByte_data()
{
    QTest::addColumn<QByteArray>("raw");
    // Protocol 0 is text and long; its binary successors share most opcodes.
    QTest::newRow("flask protocol 0") << pickled(u"flask_session"_s, 0);
    QTest::newRow("links protocol 0") << pickled(u"links"_s, 0);
    for (int protocol : {1, 2, 5}) {
        QTest::addRow("types protocol %d", protocol) << pickled(u"types"_s, protocol);
        QTest::addRow("flask protocol %d", protocol) << pickled(u"flask_session"_s, protocol);
        QTest::addRow("links protocol %d", protocol) << pickled(u"links"_s, protocol);
    }
}

void TestPickle::truncatedAtEveryByte()
{
    QFETCH(QByteArray, raw);
    checkEveryTruncation(raw, decodePickle);
}

void TestPickle::partialResultKeepsTheStack()
{
    // Cut before the final SETITEMS: the dict and the pairs waiting to go in are shown.
    const QByteArray raw = pickled(u"flask_session"_s, 2);
    const DecodedValue decoded = decodePickle(raw.left(raw.size() - 2));
    QVERIFY(decoded.warning.contains(u"ends early"));
    QCOMPARE(decoded.root.typeName, u"unfinished pickle stack"_s);
    const QByteArray text = json(decoded.root);
    QVERIFY2(text.contains("\"_user_id\",\"42\""), text.constData());
    // decodeValue shows it too (80 02 is unambiguous), with the warning.
    const DecodedValue shown = decodeValue(raw.left(raw.size() - 2));
    QCOMPARE(shown.encoding, u"pickle"_s);
    QVERIFY(!shown.warning.isEmpty());
    // A protocol 0 pickle is only a guess: damaged, it is shown as text.
    const QByteArray p0 = pickled(u"flask_session"_s, 0);
    QCOMPARE(decodeValue(p0.left(p0.size() / 2) + '.').encoding, u"text"_s);
}

void TestPickle::corruptInput_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown opcode") << lit("\x80\x02\xff.") << u"Unknown pickle opcode 0xff"_s;
    QTest::newRow("protocol 6") << lit("\x80\x06N.") << u"protocol 6"_s;
    QTest::newRow("stack underflow") << lit("\x80\x02s.") << u"stack is empty"_s;
    QTest::newRow("no mark") << lit("\x80\x02]e.") << u"needs a MARK"_s;
    QTest::newRow("missing memo") << lit("\x80\x02h\x07.") << u"entry 7"_s;
    QTest::newRow("append to a dict") << lit("\x80\x02}K\x01"
                                             "a.")
                                      << u"not a list"_s;
    QTest::newRow("setitem on a list") << lit("\x80\x02]K\x01K\x02s.") << u"not a dict"_s;
    QTest::newRow("odd setitems") << lit("\x80\x02}(K\x01u.") << u"key without a value"_s;
    QTest::newRow("build on an int") << lit("\x80\x02K\x01}b.") << u"plain value"_s;
    QTest::newRow("bad STRING quotes") << lit("S'abc\n.") << u"no quoted string"_s;
    QTest::newRow("bad INT") << lit("I12x\n.") << u"not a number"_s;
    QTest::newRow("bad unicode escape") << lit("V\\u12\n.") << u"bad \\u escape"_s;
    QTest::newRow("negative LONG4") << lit("\x80\x02\x8b\xff\xff\xff\xff.") << u"negative length"_s;
    QTest::newRow("STACK_GLOBAL of ints") << lit("\x80\x04K\x01K\x02\x93.") << u"names no module"_s;
    QTest::newRow("REDUCE without tuple") << lit("\x80\x02"
                                                 "cos\nsystem\nK\x01R.")
                                          << u"not a tuple"_s;
    QTest::newRow("trailing bytes") << lit("\x80\x02N.junk") << u"4 bytes follow"_s;
    QTest::newRow("empty") << QByteArray() << u"ends early"_s;
}

void TestPickle::corruptInput()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, message);
    const DecodedValue decoded = decodePickle(raw);
    QVERIFY2(decoded.warning.contains(message), qPrintable(decoded.warning));
    exercise(decoded);
    exercise(decodeValue(raw));
}

void TestPickle::bombs_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("message");
    // 100,000 nested lists: the machine is iterative; building the tree stops at depth 64.
    QByteArray deep = lit("\x80\x02");
    for (int i = 0; i < 100000; ++i)
        deep += ']';
    deep += QByteArray(99999, 'a') + '.';
    QTest::newRow("deep lists") << deep << u"nested more than 64"_s;
    // 30 doublings of a shared list: 2^30 leaves if expanded; the node limit stops it.
    QByteArray doubling = lit("\x80\x02]");
    for (int i = 0; i < 30; ++i)
        doubling += lit("\x94h") + char(i) + lit("h") + char(i) + lit("\x86");
    doubling += '.';
    QTest::newRow("shared doubling") << doubling << u"more than 200000 elements"_s;
    // A list that holds itself 500,000 times.
    QByteArray self = lit("\x80\x04]\x94(");
    for (int i = 0; i < 500000; ++i)
        self += lit("h\x00");
    self += lit("e.");
    QTest::newRow("self references") << self << u"more than 200000"_s;
    // Millions of objects: the machine stops before building them all.
    QTest::newRow("many objects") << lit("\x80\x04") + QByteArray(4'000'000, ']') + '.'
                                  << u"builds more than 200000 objects"_s;
    QTest::newRow("many DUPs") << lit("\x80\x04N") + QByteArray(4'000'000, '2') + '.'
                               << u"builds more than 200000 objects"_s;
    QTest::newRow("many marks") << lit("\x80\x04") + QByteArray(4'000'000, '(') + '.'
                                << u"builds more than 200000 objects"_s;
    // Declared lengths far beyond the data or the limits.
    QTest::newRow("BINUNICODE8 of 2^62")
        << lit("\x80\x04\x8d\x00\x00\x00\x00\x00\x00\x00\x40") << u"more than the limit"_s;
    QTest::newRow("BINBYTES past the end") << lit("\x80\x04"
                                                  "B\x00\x00\x10\x00"
                                                  "abc")
                                           << u"runs past the end"_s;
    QTest::newRow("LONG4 of 2 GiB")
        << lit("\x80\x02\x8b\xff\xff\xff\x7f") << u"more than the limit"_s;
    QTest::newRow("LONG4 of 4 MiB")
        << lit("\x80\x02\x8b\x00\x00\x40\x00") + QByteArray(4 << 20, '\x7f') + '.'
        << QString(); // decodes, in hexadecimal, without a quadratic conversion
}

void TestPickle::bombs()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, message);
    if (message.isEmpty()) {
        QElapsedTimer timer;
        timer.start();
        const DecodedValue decoded = decodePickle(raw);
        QVERIFY(timer.elapsed() < 2000);
        QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
        QVERIFY(decoded.root.scalar.toString().startsWith(u"0x7f7f"));
        return;
    }
    const DecodedValue decoded = decodeBomb(raw, decodePickle);
    QVERIFY2(decoded.warning.contains(message), qPrintable(decoded.warning));
    exercise(decodeValue(raw));
}

void TestPickle::listingFindsUserInPickle()
{
    SessionLayout layout;
    layout.userFields = {u"_auth_user_id"_s, u"_user_id"_s};
    const SessionFieldReader reader(layout);
    for (int protocol = 0; protocol <= 5; ++protocol) {
        QCOMPARE(reader.read(pickled(u"flask_session"_s, protocol)).user, u"42"_s);
        QCOMPARE(reader.read(pickled(u"django_session"_s, protocol)).user, u"7"_s);
        QCOMPARE(findUserInRaw(pickled(u"django_session"_s, protocol), layout.userFields), u"7"_s);
    }
}

QTEST_GUILESS_MAIN(TestPickle)
#include "tst_codecs_pickle.moc"
