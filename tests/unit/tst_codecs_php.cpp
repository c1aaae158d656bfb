// Unit tests for the PHP codecs: session data written by PHP 8.2's own session module with the
// php, php_serialize and php_binary handlers (tests/data/codecs/php, made by gen.php), Laravel's
// cache wrapping, hand-written edge cases, truncation at every byte and the decode limits.

#include "codecs/phpsession.h"
#include "valuetree.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <cmath>
#include <functional>
#include <limits>

using namespace Qt::StringLiterals;
using namespace SessionDesk;
using namespace SessionDesk::Codecs;

namespace {

QByteArray readData(const QString &name)
{
    QFile file(QStringLiteral(CODEC_DATA_DIR "/codecs/php/") + name);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(file.fileName()));
    return file.readAll();
}

const ValueNode *at(const ValueNode &root, const QString &path)
{
    const ValueNode *node = &root;
    for (const QString &part : path.split(u'/')) {
        if (!node)
            return nullptr;
        bool isIndex = false;
        const int index = part.toInt(&isIndex);
        if (node->kind == ValueNode::Kind::List && isIndex)
            node = index < node->children.size() ? &node->children.at(index) : nullptr;
        else
            node = node->child(part);
    }
    return node;
}

qsizetype countNodes(const ValueNode &node)
{
    qsizetype count = 1;
    for (const ValueNode &child : node.children)
        count += countNodes(child);
    return count;
}

int treeDepth(const ValueNode &node)
{
    int depth = 0;
    for (const ValueNode &child : node.children)
        depth = qMax(depth, treeDepth(child));
    return depth + 1;
}

QStringList childNames(const ValueNode &node)
{
    QStringList names;
    for (const ValueNode &child : node.children)
        names << child.name;
    return names;
}

} // namespace

class TestCodecsPhp final : public QObject
{
    Q_OBJECT

private slots:
    void recordedSessionsDecodeTheSameInEveryHandler_data();
    void recordedSessionsDecodeTheSameInEveryHandler();
    void recordedSessionTypes();
    void recordedSessionMasksSecrets();
    void laravelCacheIsUnwrappedOnce_data();
    void laravelCacheIsUnwrappedOnce();
    void plainSerializedScalar();
    void handWrittenValues_data();
    void handWrittenValues();
    void undefinedMarker();
    void objectPropertyNames();
    void classNamesAreNamesOnly();
    void referencesNeverFormCycles();
    void badInputKeepsWhatWasReadAndSaysWhy_data();
    void badInputKeepsWhatWasReadAndSaysWhy();
    void notPhpFallsBackToText_data();
    void notPhpFallsBackToText();
    void truncatedAtEveryByte_data();
    void truncatedAtEveryByte();
    void depthBombStopsAtTheLimit();
    void nodeBombStopsAtTheLimit();
    void stringLimit();
    void referenceBombStaysSmall();
    void costStaysLinear();
};

// ---------------------------------------------------------------------------------------------
// Recorded sessions

void TestCodecsPhp::recordedSessionsDecodeTheSameInEveryHandler_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("encoding");
    QTest::newRow("php") << u"session-php.bin"_s << u"php"_s;
    QTest::newRow("php_serialize") << u"session-php_serialize.bin"_s << u"php-serialize"_s;
    QTest::newRow("php_binary") << u"session-php_binary.bin"_s << u"php-binary"_s;
}

// The three handlers write the same $_SESSION; decodeValue() picks the right codec by signature
// and all three trees are the same.
void TestCodecsPhp::recordedSessionsDecodeTheSameInEveryHandler()
{
    QFETCH(QString, file);
    QFETCH(QString, encoding);
    const DecodedValue decoded = decodeValue(readData(file));
    QCOMPARE(decoded.encoding, encoding);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const DecodedValue reference = decodeValue(readData(u"session-php_serialize.bin"_s));
    QCOMPARE(toJson(decoded.root, true), toJson(reference.root, true));
    QCOMPARE(childNames(decoded.root), childNames(reference.root));
}

void TestCodecsPhp::recordedSessionTypes()
{
    const DecodedValue decoded = decodeValue(readData(u"session-php.bin"_s));
    const ValueNode &root = decoded.root;
    QCOMPARE(root.kind, ValueNode::Kind::Map);
    QCOMPARE(childNames(root), (QStringList{u"user_id"_s, u"login"_s,       u"utf8"_s,
                                            u"binary"_s,  u"negative"_s,    u"ratio"_s,
                                            u"big"_s,     u"inf"_s,         u"ninf"_s,
                                            u"nan"_s,     u"flag"_s,        u"off"_s,
                                            u"nothing"_s, u"list"_s,        u"map"_s,
                                            u"empty"_s,   u"user"_s,        u"same_user"_s,
                                            u"counter"_s, u"counter_ref"_s, u"cycle"_s,
                                            u"suit"_s,    u"status"_s,      u"legacy"_s,
                                            u"raw"_s,     u"csrf_token"_s,  u"key with spaces"_s}));

    QCOMPARE(root.child(u"user_id")->kind, ValueNode::Kind::Integer);
    QCOMPARE(root.child(u"user_id")->scalar.toLongLong(), 42);
    QCOMPARE(findUser(root, {u"user_id"_s}), std::optional<QString>(u"42"_s));
    QCOMPARE(root.child(u"login")->scalar.toString(), u"alice"_s);
    // s: lengths count bytes, not characters.
    QCOMPARE(root.child(u"utf8")->kind, ValueNode::Kind::String);
    QCOMPARE(root.child(u"utf8")->scalar.toString(), u"Zoë ✓ 日本 😀"_s);
    QCOMPARE(root.child(u"binary")->kind, ValueNode::Kind::Bytes);
    QCOMPARE(root.child(u"binary")->scalar.toByteArray(), QByteArray("\x00\xff\xfe\x01|;\"}", 8));
    QCOMPARE(root.child(u"negative")->scalar.toLongLong(), std::numeric_limits<qint64>::min());
    QCOMPARE(root.child(u"ratio")->kind, ValueNode::Kind::Double);
    QCOMPARE(root.child(u"ratio")->scalar.toDouble(), 0.1);
    QCOMPARE(root.child(u"big")->scalar.toDouble(), 1.0e25);
    QVERIFY(std::isinf(root.child(u"inf")->scalar.toDouble()));
    QVERIFY(root.child(u"inf")->scalar.toDouble() > 0);
    QVERIFY(std::isinf(root.child(u"ninf")->scalar.toDouble()));
    QVERIFY(root.child(u"ninf")->scalar.toDouble() < 0);
    QVERIFY(std::isnan(root.child(u"nan")->scalar.toDouble()));
    QCOMPARE(toJson(*root.child(u"nan"), true), QJsonValue(u"NaN"_s));
    QCOMPARE(toJson(*root.child(u"ninf"), true), QJsonValue(u"-Infinity"_s));
    QCOMPARE(root.child(u"flag")->kind, ValueNode::Kind::Bool);
    QCOMPARE(root.child(u"flag")->scalar.toBool(), true);
    QCOMPARE(root.child(u"off")->scalar.toBool(), false);
    QCOMPARE(root.child(u"nothing")->kind, ValueNode::Kind::Null);

    // Arrays: 0..n-1 keys make a list, anything else a map with decimal keys.
    const ValueNode *list = root.child(u"list");
    QCOMPARE(list->kind, ValueNode::Kind::List);
    QCOMPARE(toJson(*list, true), QJsonValue(QJsonArray{1, 2, 3}));
    const ValueNode *map = root.child(u"map");
    QCOMPARE(map->kind, ValueNode::Kind::Map);
    QCOMPARE(childNames(*map), (QStringList{u"a"_s, u"5"_s, u"nested"_s}));
    QCOMPARE(at(root, u"map/5"_s)->scalar.toString(), u"five"_s);
    QCOMPARE(at(root, u"map/nested/x/y"_s)->scalar.toString(), u"z"_s);
    QVERIFY(root.child(u"empty")->isContainer());
    QVERIFY(root.child(u"empty")->children.isEmpty());

    // Objects: class in typeName, properties by readable name.
    const ValueNode *user = root.child(u"user");
    QCOMPARE(user->kind, ValueNode::Kind::Map);
    QCOMPARE(user->typeName, u"User"_s);
    QCOMPARE(childNames(*user),
             (QStringList{u"Base::secretBase"_s, u"prot"_s, u"pub"_s, u"name"_s, u"password"_s,
                          u"roles"_s, u"manager"_s}));
    QCOMPARE(at(root, u"user/name"_s)->scalar.toString(), u"Zoë"_s);
    QCOMPARE(at(root, u"user/roles/1"_s)->scalar.toString(), u"ROLE_ADMIN"_s);
    QCOMPARE(findUser(root, {u"user.name"_s}), std::optional<QString>(u"Zoë"_s));

    // Enums: the case with the enum's class.
    QCOMPARE(root.child(u"suit")->scalar.toString(), u"Hearts"_s);
    QCOMPARE(root.child(u"suit")->typeName, u"Suit"_s);
    QCOMPARE(root.child(u"status")->scalar.toString(), u"Active"_s);
    QCOMPARE(root.child(u"status")->typeName, u"Status"_s);

    // C: custom serialization; a serialize() payload is decoded, anything else kept raw.
    const ValueNode *legacy = root.child(u"legacy");
    QCOMPARE(legacy->typeName, u"Legacy"_s);
    QCOMPARE(legacy->kind, ValueNode::Kind::Map);
    QCOMPARE(at(root, u"legacy/a"_s)->scalar.toLongLong(), 1);
    QCOMPARE(toJson(*at(root, u"legacy/b"_s), true), QJsonValue(QJsonArray{true, QJsonValue()}));
    QCOMPARE(root.child(u"raw")->typeName, u"RawPayload"_s);
    QCOMPARE(root.child(u"raw")->scalar.toString(), u"raw|payload;{}"_s);
    QCOMPARE(root.child(u"key with spaces")->scalar.toString(), u"ok"_s);
}

void TestCodecsPhp::recordedSessionMasksSecrets()
{
    const DecodedValue decoded = decodeValue(readData(u"session-php.bin"_s));
    QVERIFY(decoded.root.child(u"csrf_token")->secret);
    QVERIFY(at(decoded.root, u"user/password"_s)->secret);
    QVERIFY(!decoded.root.child(u"login")->secret);
    const QByteArray masked =
        QJsonDocument(toJson(decoded.root, false).toObject()).toJson(QJsonDocument::Compact);
    QVERIFY(!masked.contains("hunter2"));
    QVERIFY(!masked.contains("tok-123456"));
    QVERIFY(masked.contains("alice"));
    const QByteArray revealed =
        QJsonDocument(toJson(decoded.root, true).toObject()).toJson(QJsonDocument::Compact);
    QVERIFY(revealed.contains("hunter2"));
    QVERIFY(revealed.contains("tok-123456"));
}

void TestCodecsPhp::laravelCacheIsUnwrappedOnce_data()
{
    QTest::addColumn<QString>("file");
    QTest::newRow("serialize(serialize())") << u"laravel-cache.bin"_s;
    QTest::newRow("serialize(json_encode())") << u"laravel-json.bin"_s;
}

void TestCodecsPhp::laravelCacheIsUnwrappedOnce()
{
    QFETCH(QString, file);
    const QByteArray raw = readData(file);
    QVERIFY(raw.startsWith("s:"));
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"php-serialize"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(decoded.root.kind, ValueNode::Kind::Map);
    QCOMPARE(findUser(decoded.root, {u"login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d"_s}),
             std::optional<QString>(u"7"_s));
    QCOMPARE(at(decoded.root, u"_previous/url"_s)->scalar.toString(), u"http://127.0.0.1/home"_s);
    QVERIFY(decoded.root.child(u"_token")->secret);
}

void TestCodecsPhp::plainSerializedScalar()
{
    const DecodedValue decoded = decodeValue(readData(u"serialize-scalar.bin"_s));
    QCOMPARE(decoded.encoding, u"php-serialize"_s);
    QCOMPARE(decoded.root.kind, ValueNode::Kind::String);
    QCOMPARE(decoded.root.scalar.toString(), u"plain string"_s);
    // Only one level is unwrapped: serialize(serialize(serialize(x))) keeps the inner text.
    const DecodedValue twice = decodePhpSerialize(R"(s:19:"s:11:"s:4:"abcd";";";)");
    QVERIFY2(twice.warning.isEmpty(), qPrintable(twice.warning));
    QCOMPARE(twice.root.kind, ValueNode::Kind::String);
    QCOMPARE(twice.root.scalar.toString(), uR"(s:4:"abcd";)"_s);
}

// ---------------------------------------------------------------------------------------------
// Hand-written values

void TestCodecsPhp::handWrittenValues_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QByteArray>("json"); // toJson(root, true)
    QTest::newRow("integers") << QByteArray("a:3:{i:0;i:+5;i:1;i:-0;i:2;i:9223372036854775807;}")
                              << QByteArray("[5,0,9223372036854775807]");
    QTest::newRow("integer beyond 64 bits reads as float")
        << QByteArray("a:1:{s:1:\"n\";i:99999999999999999999;}") << QByteArray("{\"n\":1e+20}");
    QTest::newRow("floats") << QByteArray("a:4:{i:0;d:-0.5;i:1;d:1.0E-5;i:2;d:INF;i:3;d:-INF;}")
                            << QByteArray("[-0.5,1e-05,\"Infinity\",\"-Infinity\"]");
    QTest::newRow("escaped S: string")
        << QByteArray(R"(a:1:{s:1:"s";S:3:"a\00\7a";})") << QByteArray(R"({"s":"a\u0000z"})");
    QTest::newRow("keys out of order make a map")
        << QByteArray("a:2:{i:1;s:1:\"b\";i:0;s:1:\"a\";}")
        << QByteArray("{\"0\":\"a\",\"1\":\"b\"}");
    QTest::newRow("quotes and semicolons inside strings")
        << QByteArray(R"(a:1:{s:3:"k;}";s:5:"";}|{";})") << QByteArray(R"({"k;}":"\";}|{"})");
    QTest::newRow("empty class name and key")
        << QByteArray(R"(O:0:"":1:{s:0:"";N;})") << QByteArray(R"({"":null})");
    QTest::newRow("nested objects") << QByteArray(R"(O:1:"A":1:{s:1:"b";O:1:"B":1:{s:1:"c";b:1;}})")
                                    << QByteArray(R"({"@type":"A","b":{"@type":"B","c":true}})");
}

void TestCodecsPhp::handWrittenValues()
{
    QFETCH(QByteArray, raw);
    QFETCH(QByteArray, json);
    const DecodedValue decoded = decodePhpSerialize(raw);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const QJsonValue value = toJson(decoded.root, true);
    const QByteArray text = value.isArray()
        ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact)
        : QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    QCOMPARE(text, json);
}

// `!name|` (an undefined variable in older PHP) is a null and takes no value.
void TestCodecsPhp::undefinedMarker()
{
    const QByteArray raw = R"(user_id|i:42;!gone|name|s:5:"alice";)";
    QVERIFY(looksLikePhpSession(raw));
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"php"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(childNames(decoded.root), (QStringList{u"user_id"_s, u"gone"_s, u"name"_s}));
    QCOMPARE(decoded.root.child(u"gone")->kind, ValueNode::Kind::Null);
    QCOMPARE(decoded.root.child(u"name")->scalar.toString(), u"alice"_s);

    // php_binary: a length byte with the high bit set.
    const QByteArray binary = QByteArray("\x84gone\x04names:1:\"x\";");
    QVERIFY(looksLikePhpBinary(binary));
    const DecodedValue decodedBinary = decodeValue(binary);
    QCOMPARE(decodedBinary.encoding, u"php-binary"_s);
    QVERIFY2(decodedBinary.warning.isEmpty(), qPrintable(decodedBinary.warning));
    QCOMPARE(childNames(decodedBinary.root), (QStringList{u"gone"_s, u"name"_s}));
    QCOMPARE(decodedBinary.root.child(u"gone")->kind, ValueNode::Kind::Null);
}

void TestCodecsPhp::objectPropertyNames()
{
    // Protected and own private properties by their plain name; an ancestor's private one with
    // its class; malformed mangling shown escaped rather than dropped.
    QByteArray raw = R"(O:5:"Child":5:{s:6:"~*~pro";i:1;s:10:"~Child~own";i:2;)"
                     R"(s:11:"~Parent~own";i:3;s:4:"~bad";i:4;i:7;i:5;})";
    raw.replace('~', '\0');
    const DecodedValue decoded = decodePhpSerialize(raw);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(decoded.root.typeName, u"Child"_s);
    QCOMPARE(childNames(decoded.root),
             (QStringList{u"pro"_s, u"own"_s, u"Parent::own"_s, u"\\x00bad"_s, u"7"_s}));
    // An object is a map even with keys 0..n-1.
    const DecodedValue numbered = decodePhpSerialize(R"(O:8:"stdClass":1:{i:0;s:1:"x";})");
    QCOMPARE(numbered.root.kind, ValueNode::Kind::Map);
    QCOMPARE(childNames(numbered.root), QStringList{u"0"_s});
}

void TestCodecsPhp::classNamesAreNamesOnly()
{
    // Whatever a class is called, it is only shown: namespaces, odd bytes and a name that is
    // itself serialize() syntax.
    const QByteArray raw =
        R"(a:3:{i:0;O:29:"App\Security\Voter\AdminVoter":0:{}i:1;O:8:"a:1:{N;}":0:{}i:2;C:15:"Symfony\Foo\Bar":6:{abcdef}})";
    const DecodedValue decoded = decodePhpSerialize(raw);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(decoded.root.children.at(0).typeName, u"App\\Security\\Voter\\AdminVoter"_s);
    QCOMPARE(decoded.root.children.at(0).kind, ValueNode::Kind::Map);
    QCOMPARE(decoded.root.children.at(1).typeName, u"a:1:{N;}"_s);
    QCOMPARE(decoded.root.children.at(2).typeName, u"Symfony\\Foo\\Bar"_s);
    QCOMPARE(decoded.root.children.at(2).scalar.toString(), u"abcdef"_s);
}

void TestCodecsPhp::referencesNeverFormCycles()
{
    // The recorded session: an object referring to itself, the same object twice, a PHP
    // reference; each is a placeholder naming where the value is.
    const DecodedValue decoded = decodeValue(readData(u"session-php.bin"_s));
    const ValueNode *self = at(decoded.root, u"cycle/self"_s);
    QCOMPARE(self->typeName, u"reference"_s);
    QCOMPARE(self->scalar.toString(), u"(reference to cycle)"_s);
    QCOMPARE(decoded.root.child(u"same_user")->scalar.toString(), u"(reference to user)"_s);
    QCOMPARE(decoded.root.child(u"counter_ref")->scalar.toString(), u"(reference to counter)"_s);
    QCOMPARE(treeDepth(decoded.root), 5); // map/nested/x/y

    // An array that contains a reference to itself, and references to nested values.
    const DecodedValue loop = decodePhpSerialize(R"(a:3:{i:0;a:1:{s:1:"x";R:1;}i:1;r:1;i:2;R:3;})");
    QVERIFY2(loop.warning.isEmpty(), qPrintable(loop.warning));
    QCOMPARE(at(loop.root, u"0/x"_s)->scalar.toString(), u"(reference to the top-level value)"_s);
    QCOMPARE(at(loop.root, u"1"_s)->scalar.toString(), u"(reference to the top-level value)"_s);
    // `R:` takes no slot of its own, `r:` does: R:3 is the r: at index 1.
    QCOMPARE(at(loop.root, u"2"_s)->scalar.toString(), u"(reference to 1)"_s);
    const DecodedValue nested = decodePhpSerialize(R"(a:2:{i:0;a:1:{s:1:"x";i:5;}i:1;R:3;})");
    QCOMPARE(at(nested.root, u"1"_s)->scalar.toString(), u"(reference to 0.x)"_s);
}

// ---------------------------------------------------------------------------------------------
// Bad input

void TestCodecsPhp::badInputKeepsWhatWasReadAndSaysWhy_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("warning");
    QTest::addColumn<QStringList>("kept"); // top-level names read before the damage
    QTest::newRow("unknown type") << QByteArray(R"(a:2:{s:1:"a";i:1;s:1:"b";x:1;})")
                                  << u"Unexpected 'x' at byte 25"_s << QStringList{u"a"_s, u"b"_s};
    QTest::newRow("wrong string length") << QByteArray(R"(a:2:{s:1:"a";i:1;s:1:"b";s:2:"abc";})")
                                         << u"Unexpected"_s << QStringList{u"a"_s, u"b"_s};
    QTest::newRow("negative length")
        << QByteArray(R"(a:1:{s:-1:"a";i:1;})") << u"is negative"_s << QStringList{};
    QTest::newRow("boolean 2") << QByteArray(R"(a:1:{s:1:"b";b:2;})") << u"not 0 or 1"_s
                               << QStringList{u"b"_s};
    QTest::newRow("dangling reference")
        << QByteArray(R"(a:2:{s:1:"a";i:1;s:1:"b";r:9;})") << u"value #9, which does not exist"_s
        << QStringList{u"a"_s, u"b"_s};
    QTest::newRow("float that is not a number")
        << QByteArray(R"(a:1:{s:1:"f";d:1.2.3;})") << u"is not a number"_s << QStringList{u"f"_s};
    QTest::newRow("array key that is an array")
        << QByteArray(R"(a:1:{a:0:{}i:1;})") << u"where an array key"_s << QStringList{};
    QTest::newRow("trailing bytes") << QByteArray(R"(a:1:{s:1:"a";i:1;}junk)")
                                    << u"4 unexpected bytes"_s << QStringList{u"a"_s};
    QTest::newRow("enum without class") << QByteArray(R"(a:1:{s:1:"e";E:4:"Case";})")
                                        << u"has no class name"_s << QStringList{u"e"_s};
}

void TestCodecsPhp::badInputKeepsWhatWasReadAndSaysWhy()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, warning);
    QFETCH(QStringList, kept);
    const DecodedValue decoded = decodePhpSerialize(raw);
    QVERIFY2(decoded.warning.contains(warning), qPrintable(decoded.warning));
    QVERIFY2(decoded.warning.endsWith(u'.'), qPrintable(decoded.warning));
    QCOMPARE(childNames(decoded.root), kept);
    // Through decodeValue() the partial tree is kept when it holds anything, else the raw value
    // is shown; the codec's error is there either way.
    const DecodedValue shown = decodeValue(raw);
    QCOMPARE(shown.warning, decoded.warning);
    if (shown.encoding != u"php-serialize") {
        QCOMPARE(shown.encoding, u"text"_s);
        QCOMPARE(shown.root.scalar.toString(), QString::fromUtf8(raw));
    }
}

void TestCodecsPhp::notPhpFallsBackToText_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<bool>("warned");
    QTest::newRow("plain text") << QByteArray("hello world") << false;
    QTest::newRow("pipe without a value") << QByteArray("a|b|c") << false;
    QTest::newRow("looks like php, is not") << QByteArray("name|s:99:\"short\";") << true;
    QTest::newRow("a: prefix only") << QByteArray("a:1:{") << true;
    QTest::newRow("colon words") << QByteArray("a:b:c") << false;
}

void TestCodecsPhp::notPhpFallsBackToText()
{
    QFETCH(QByteArray, raw);
    QFETCH(bool, warned);
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"text"_s);
    QCOMPARE(decoded.root.scalar.toString(), QString::fromUtf8(raw));
    QCOMPARE(!decoded.warning.isEmpty(), warned);
}

void TestCodecsPhp::truncatedAtEveryByte_data()
{
    QTest::addColumn<QString>("file");
    QTest::newRow("php") << u"session-php.bin"_s;
    QTest::newRow("php_serialize") << u"session-php_serialize.bin"_s;
    QTest::newRow("php_binary") << u"session-php_binary.bin"_s;
    QTest::newRow("laravel") << u"laravel-cache.bin"_s;
}

// Every prefix of a recorded value decodes without crashing; what was complete before the cut is
// kept, and a cut inside a value is reported.
void TestCodecsPhp::truncatedAtEveryByte()
{
    QFETCH(QString, file);
    const QByteArray raw = readData(file);
    const DecodedValue full = decodeValue(raw);
    QVERIFY(full.warning.isEmpty());
    const QByteArray userIdEnd = "i:42;";
    const qsizetype userIdComplete = raw.indexOf(userIdEnd) + userIdEnd.size();
    int partialWithUser = 0;
    for (qsizetype size = 0; size < raw.size(); ++size) {
        const QByteArray prefix = raw.first(size);
        DecodedValue decoded = file == u"session-php.bin" ? decodePhpSession(prefix)
            : file == u"session-php_binary.bin"           ? decodePhpBinary(prefix)
                                                          : decodePhpSerialize(prefix);
        markSecrets(decoded.root);
        toJson(decoded.root, false);
        const bool atEntryBoundary = decoded.warning.isEmpty();
        if (atEntryBoundary) {
            // Only the handlers that concatenate variables have complete prefixes.
            QVERIFY2(file == u"session-php.bin" || file == u"session-php_binary.bin",
                     qPrintable(u"no warning for %1 bytes"_s.arg(size)));
        } else {
            QVERIFY2(decoded.warning.endsWith(u'.'), qPrintable(decoded.warning));
        }
        if (file.startsWith(u"session") && size >= userIdComplete) {
            QCOMPARE(findUser(decoded.root, {u"user_id"_s}), std::optional<QString>(u"42"_s));
            ++partialWithUser;
        }
        // decodeValue() keeps the partial tree or shows the raw bytes, never nothing.
        const DecodedValue shown = decodeValue(prefix);
        QVERIFY(!shown.encoding.isEmpty());
    }
    if (file.startsWith(u"session"))
        QVERIFY(partialWithUser > 800);
}

void TestCodecsPhp::depthBombStopsAtTheLimit()
{
    QByteArray raw;
    for (int i = 0; i < 200'000; ++i)
        raw += "a:1:{i:0;";
    QElapsedTimer timer;
    timer.start();
    const DecodedValue decoded = decodePhpSerialize(raw);
    QVERIFY2(decoded.warning.contains(u"deeper than 64 levels"), qPrintable(decoded.warning));
    // 64 nested arrays, then the null where the 65th would have started.
    QCOMPARE(treeDepth(decoded.root), 65);
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
    // Nothing but empty containers: decodeValue() shows the raw text with the error.
    const DecodedValue shown = decodeValue(raw);
    QCOMPARE(shown.encoding, u"text"_s);
    QCOMPARE(shown.warning, decoded.warning);

    DecodeLimits shallow;
    shallow.maxDepth = 3;
    const DecodedValue limited = decodePhpSession("a|a:1:{i:0;a:1:{i:0;a:1:{i:0;N;}}}", shallow);
    QVERIFY2(limited.warning.contains(u"deeper than 3 levels"), qPrintable(limited.warning));
    QCOMPARE(treeDepth(limited.root), 4); // the session map, two arrays, the cut-off null
}

void TestCodecsPhp::nodeBombStopsAtTheLimit()
{
    QByteArray raw = "a:1000000:{";
    for (int i = 0; i < 300'000; ++i)
        raw += "i:" + QByteArray::number(i) + ";b:1;";
    QElapsedTimer timer;
    timer.start();
    const DecodedValue decoded = decodeValue(raw);
    QVERIFY2(decoded.warning.contains(u"more than 200000 elements"), qPrintable(decoded.warning));
    // The node that hit the limit is kept as a null.
    QCOMPARE(countNodes(decoded.root), 200'001);
    QVERIFY2(timer.elapsed() < 10'000, qPrintable(QString::number(timer.elapsed())));
}

void TestCodecsPhp::stringLimit()
{
    DecodeLimits small;
    small.maxStringBytes = 4;
    const DecodedValue decoded = decodePhpSession(R"(a|s:4:"abcd";b|s:5:"abcde";)", small);
    QVERIFY2(decoded.warning.contains(u"A string of 5 bytes at byte 19 exceeds the limit of 4"),
             qPrintable(decoded.warning));
    QCOMPARE(decoded.root.child(u"a")->scalar.toString(), u"abcd"_s);
    // A declared length far beyond the data costs nothing.
    const DecodedValue huge = decodePhpSerialize("s:2000000000:\"abc\";");
    QVERIFY2(huge.warning.contains(u"exceeds the limit"), qPrintable(huge.warning));
    const DecodedValue cut = decodePhpSerialize("s:2000:\"abc\";");
    QVERIFY2(cut.warning.contains(u"cut off"), qPrintable(cut.warning));
}

// References are placeholders, so many references to a big array do not multiply it.
void TestCodecsPhp::referenceBombStaysSmall()
{
    QByteArray raw = "a:2:{i:0;a:1000:{";
    for (int i = 0; i < 1000; ++i)
        raw += "i:" + QByteArray::number(i) + ";i:" + QByteArray::number(i) + ";";
    raw += "}i:1;a:100000:{";
    for (int i = 0; i < 100'000; ++i)
        raw += "i:" + QByteArray::number(i) + ";R:2;";
    raw += "}}";
    const DecodedValue decoded = decodeValue(raw);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(countNodes(decoded.root), 1 + 1 + 1000 + 1 + 100'000);
    QCOMPARE(decoded.root.children.at(1).children.at(99'999).scalar.toString(),
             u"(reference to 0)"_s);
}

// Inputs that made earlier drafts of the decoder slow or overflow the stack (found by review;
// the fuzzer, tests/fuzz/fuzz_php.cpp, has found nothing so far).
void TestCodecsPhp::costStaysLinear()
{
    QElapsedTimer timer;
    timer.start();
    // 500,000 undefined php_binary variables: the signature check must not recurse per entry.
    const QByteArray undefined = QByteArray("\x81"
                                            "a")
                                     .repeated(500'000);
    QVERIFY(!looksLikePhpBinary(undefined)); // only the first few entries are looked at
    const DecodedValue binary = decodePhpBinary(undefined);
    QVERIFY2(binary.warning.contains(u"more than 200000 elements"), qPrintable(binary.warning));

    // A 1 MB key above 20,000 values: reference paths are capped, not copied per value.
    QByteArray raw = "a:1:{s:1000000:\"" + QByteArray(1'000'000, 'k') + "\";a:20000:{";
    for (int i = 0; i < 20'000; ++i)
        raw += "i:" + QByteArray::number(i) + ";r:2;";
    raw += "}}";
    const DecodedValue paths = decodePhpSerialize(raw);
    QVERIFY2(paths.warning.isEmpty(), qPrintable(paths.warning));
    const QString placeholder = paths.root.children.at(0).children.at(19'999).scalar.toString();
    QVERIFY2(placeholder.size() < 250, qPrintable(placeholder.left(300)));
    QVERIFY(placeholder.startsWith(u"(reference to kkkk"));
    QVERIFY2(timer.elapsed() < 10'000, qPrintable(QString::number(timer.elapsed())));
}

QTEST_GUILESS_MAIN(TestCodecsPhp)
#include "tst_codecs_php.moc"
