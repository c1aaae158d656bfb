// Unit tests for the Java serialization codec: values written by the JDK's ObjectOutputStream
// (tests/data/codecs/java, made by gen/…/Gen.java), Spring Session's hash fields with a Spring
// Security context, hand-built streams for the protocol's corners, truncation at every byte and
// the decode limits.

#include "codecs/javaserial.h"
#include "valuetree.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtEndian>
#include <QtTest>

#include <cmath>

using namespace Qt::StringLiterals;
using namespace SessionDesk;
using namespace SessionDesk::Codecs;

namespace {

QByteArray readData(const QString &name)
{
    QFile file(QStringLiteral(CODEC_DATA_DIR "/codecs/java/") + name);
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

QJsonValue json(const ValueNode *node)
{
    return node ? toJson(*node, true) : QJsonValue(QJsonValue::Undefined);
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

// Builds streams by hand, for what ObjectOutputStream never writes.
struct Stream
{
    QByteArray bytes = QByteArray("\xAC\xED\x00\x05", 4);
    Stream &u8(int v)
    {
        bytes.append(char(v));
        return *this;
    }
    Stream &u16(int v) { return u8(v >> 8).u8(v); }
    Stream &i32(qint32 v)
    {
        char buffer[4];
        qToBigEndian(v, buffer);
        bytes.append(buffer, 4);
        return *this;
    }
    Stream &i64(qint64 v)
    {
        char buffer[8];
        qToBigEndian(v, buffer);
        bytes.append(buffer, 8);
        return *this;
    }
    Stream &utf(const QByteArray &text) { return u16(int(text.size())).raw(text); }
    Stream &raw(const QByteArray &data)
    {
        bytes.append(data);
        return *this;
    }
    Stream &string(const QByteArray &text) { return u8(0x74).utf(text); }
    // TC_CLASSDESC with no superclass and the given fields ("Ivalue", "Ljava/lang/String;…").
    Stream &classDesc(const QByteArray &name, int flags, const QList<QByteArray> &fields)
    {
        u8(0x72).utf(name).i64(1).u8(flags).u16(int(fields.size()));
        for (const QByteArray &field : fields) {
            u8(field.at(0)).utf(field.mid(1).split(' ').first());
            if (field.at(0) == 'L' || field.at(0) == '[')
                string(field.split(' ').last());
        }
        return u8(0x78).u8(0x70); // no class annotation, no superclass
    }
    Stream &reference(int handle) { return u8(0x71).i32(0x7E0000 + handle); }
};

} // namespace

class TestCodecsJava final : public QObject
{
    Q_OBJECT

private slots:
    void springSessionScalars();
    void springSecurityContextPrincipal();
    void springSessionHashAsOneMap();
    void springStringPrincipal();
    void everyType();
    void collections();
    void objectsAndClasses();
    void backReferencesAreCopiesAndCyclesArePlaceholders();
    void topLevelBlockDataAndReset();
    void exceptionStopsWithWarning();
    void oldExternalizableFormatFallsBackToBytes();
    void longString();
    void modifiedUtf8();
    void handBuiltCorners();
    void badStreams_data();
    void badStreams();
    void truncatedAtEveryByte_data();
    void truncatedAtEveryByte();
    void deepChainStopsAtTheDepthLimit();
    void referenceBombStopsAtTheNodeLimit();
    void hugeArrayLengthsCostNothing();
    void costStaysLinear();
};

// ---------------------------------------------------------------------------------------------
// Spring Session

void TestCodecsJava::springSessionScalars()
{
    const DecodedValue created = decodeValue(readData(u"spring-creationTime.ser"_s));
    QCOMPARE(created.encoding, u"java"_s);
    QVERIFY2(created.warning.isEmpty(), qPrintable(created.warning));
    QCOMPARE(created.root.kind, ValueNode::Kind::Integer);
    QCOMPARE(created.root.scalar.toLongLong(), 1764508763123LL);
    QVERIFY(created.root.typeName.isEmpty());
    // Epoch milliseconds read as a time by the layouts' timestamp helper.
    QCOMPARE(timestampFromJson(toJson(created.root, true)),
             QDateTime::fromString(u"2025-11-30T13:19:23.123Z"_s, Qt::ISODateWithMs));

    const DecodedValue accessed = decodeValue(readData(u"spring-lastAccessedTime.ser"_s));
    QCOMPARE(accessed.root.scalar.toLongLong(), 1764508763123LL + 60'000);
    const DecodedValue interval = decodeValue(readData(u"spring-maxInactiveInterval.ser"_s));
    QCOMPARE(interval.root.kind, ValueNode::Kind::Integer);
    QCOMPARE(interval.root.scalar.toLongLong(), 1800);
    const DecodedValue name = decodeValue(readData(u"spring-principal-name.ser"_s));
    QCOMPARE(name.root.kind, ValueNode::Kind::String);
    QCOMPARE(name.root.scalar.toString(), u"alice@example.com"_s);
}

void TestCodecsJava::springSecurityContextPrincipal()
{
    const DecodedValue decoded = decodeValue(readData(u"spring-security-context.ser"_s));
    QCOMPARE(decoded.encoding, u"java"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const ValueNode &root = decoded.root;
    QCOMPARE(root.typeName, u"org.springframework.security.core.context.SecurityContextImpl"_s);
    QCOMPARE(findUser(root, {u"authentication.principal.username"_s}),
             std::optional<QString>(u"alice@example.com"_s));
    const ValueNode *token = root.child(u"authentication");
    QCOMPARE(token->typeName,
             u"org.springframework.security.authentication.UsernamePasswordAuthenticationToken"_s);
    // Fields of AbstractAuthenticationToken come first, then the subclass's.
    QCOMPARE(json(at(root, u"authentication/authenticated"_s)), QJsonValue(true));
    QCOMPARE(json(at(root, u"authentication/credentials"_s)), QJsonValue(QJsonValue::Null));
    QCOMPARE(json(at(root, u"authentication/details/remoteAddress"_s)), QJsonValue(u"127.0.0.1"_s));
    QCOMPARE(at(root, u"authentication/principal"_s)->typeName,
             u"org.springframework.security.core.userdetails.User"_s);
    // Collections.unmodifiableSet(TreeSet) is the set; its comparator is not an element.
    const ValueNode *authorities = at(root, u"authentication/principal/authorities"_s);
    QCOMPARE(authorities->kind, ValueNode::Kind::List);
    QCOMPARE(authorities->typeName, u"java.util.TreeSet"_s);
    QCOMPARE(authorities->children.size(), 2);
    QCOMPARE(json(at(*authorities, u"0/role"_s)), QJsonValue(u"ROLE_ADMIN"_s));
    QCOMPARE(json(at(*authorities, u"1/role"_s)), QJsonValue(u"ROLE_USER"_s));
    // The token's authorities refer back to the same objects: shown again, not as references.
    const ValueNode *tokenAuthorities = at(root, u"authentication/authorities"_s);
    QCOMPARE(tokenAuthorities->kind, ValueNode::Kind::List);
    QCOMPARE(json(tokenAuthorities), json(authorities));
    QCOMPARE(json(at(root, u"authentication/principal/password"_s)),
             QJsonValue(QJsonValue::Null)); // erased after login
}

// decodeHashFields() over the hash Spring Session writes: the principal name, the times and the
// CSRF token (masked) all reachable by path.
void TestCodecsJava::springSessionHashAsOneMap()
{
    const QList<QPair<QByteArray, QByteArray>> fields = {
        {"creationTime", readData(u"spring-creationTime.ser"_s)},
        {"lastAccessedTime", readData(u"spring-lastAccessedTime.ser"_s)},
        {"maxInactiveInterval", readData(u"spring-maxInactiveInterval.ser"_s)},
        {"sessionAttr:SPRING_SECURITY_CONTEXT", readData(u"spring-security-context.ser"_s)},
        {"sessionAttr:org.springframework.security.web.csrf.HttpSessionCsrfTokenRepository."
         "CSRF_TOKEN",
         readData(u"spring-csrf.ser"_s)},
        {"sessionAttr:removed", QByteArray()},
    };
    const DecodedValue decoded = decodeHashFields(fields);
    QCOMPARE(decoded.encoding, u"hash"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const ValueNode &root = decoded.root;
    QCOMPARE(root.children.size(), fields.size());
    for (qsizetype i = 0; i < fields.size(); ++i)
        QCOMPARE(root.children.at(i).name, QString::fromUtf8(fields.at(i).first));
    QCOMPARE(findUser(root,
                      {u"sessionAttr:org.springframework.session.FindByIndexNameSessionRepository."
                       "PRINCIPAL_NAME_INDEX_NAME"_s,
                       u"sessionAttr:SPRING_SECURITY_CONTEXT.authentication.principal.username"_s,
                       u"sessionAttr:SPRING_SECURITY_CONTEXT.authentication.principal"_s}),
             std::optional<QString>(u"alice@example.com"_s));
    QCOMPARE(root.child(u"creationTime")->scalar.toLongLong(), 1764508763123LL);
    QCOMPARE(root.child(u"maxInactiveInterval")->scalar.toLongLong(), 1800);
    QCOMPARE(root.child(u"sessionAttr:removed")->kind, ValueNode::Kind::Null);

    const ValueNode *csrf = root.children.at(4).child(u"token");
    QVERIFY(csrf);
    QVERIFY(csrf->secret);
    const QByteArray masked =
        QJsonDocument(toJson(root, false).toObject()).toJson(QJsonDocument::Compact);
    QVERIFY(!masked.contains("5f1c8e0a-csrf-token-value"));
    QVERIFY(masked.contains("alice@example.com"));

    // A field that is not Java-serialized keeps its raw value and names the field's problem.
    const DecodedValue damaged = decodeHashFields(
        {{"creationTime", readData(u"spring-creationTime.ser"_s).first(40)}, {"plain", "text"}});
    QVERIFY2(damaged.warning.startsWith(u"creationTime: The serialized data is cut off"),
             qPrintable(damaged.warning));
    QCOMPARE(damaged.root.child(u"plain")->scalar.toString(), u"text"_s);
}

void TestCodecsJava::springStringPrincipal()
{
    const DecodedValue decoded =
        decodeValue(readData(u"spring-security-context-string-principal.ser"_s));
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(findUser(decoded.root,
                      {u"authentication.principal.username"_s, u"authentication.principal"_s}),
             std::optional<QString>(u"bob"_s));
    const ValueNode *credentials = at(decoded.root, u"authentication/credentials"_s);
    QCOMPARE(credentials->scalar.toString(), u"not-erased-password"_s);
    QVERIFY(credentials->secret);
    QCOMPARE(toJson(*credentials, false), QJsonValue(kMaskText));
    // An empty List.of() authority list.
    QCOMPARE(json(at(decoded.root, u"authentication/authorities"_s)), QJsonValue(QJsonArray()));
}

// ---------------------------------------------------------------------------------------------
// Everything.ser: one object holding every kind of value

void TestCodecsJava::everyType()
{
    const DecodedValue decoded = decodeValue(readData(u"everything.ser"_s));
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const ValueNode &root = decoded.root;
    QCOMPARE(root.typeName, u"com.example.sessions.Gen$Everything"_s);
    // Primitive fields.
    QCOMPARE(json(root.child(u"b")), QJsonValue(-5));
    QCOMPARE(json(root.child(u"c")), QJsonValue(u"é"_s));
    QCOMPARE(json(root.child(u"d")), QJsonValue(2.5));
    QCOMPARE(json(root.child(u"f")), QJsonValue(0.25));
    QCOMPARE(json(root.child(u"i")), QJsonValue(-123456));
    QCOMPARE(root.child(u"j")->scalar.toLongLong(), 9007199254740993LL);
    QCOMPARE(json(root.child(u"s")), QJsonValue(-300));
    QCOMPARE(json(root.child(u"z")), QJsonValue(true));
    QVERIFY(std::isinf(root.child(u"inf")->scalar.toDouble()));
    // Boxed values are plain scalars.
    QCOMPARE(json(root.child(u"boxedInt")), QJsonValue(42));
    QCOMPARE(json(root.child(u"boxedLong")), QJsonValue(-7));
    QCOMPARE(json(root.child(u"boxedShort")), QJsonValue(12));
    QCOMPARE(json(root.child(u"boxedByte")), QJsonValue(3));
    QCOMPARE(json(root.child(u"boxedDouble")), QJsonValue(1.5));
    QCOMPARE(json(root.child(u"boxedFloat")), QJsonValue(0.5));
    QCOMPARE(json(root.child(u"boxedBool")), QJsonValue(false));
    QCOMPARE(json(root.child(u"boxedChar")), QJsonValue(u"Q"_s));
    for (const char *boxed : {"boxedInt", "boxedLong", "boxedBool", "boxedChar"})
        QVERIFY(root.child(QString::fromLatin1(boxed))->typeName.isEmpty());
    // Arrays.
    QCOMPARE(json(root.child(u"ints")), QJsonValue(QJsonArray{1, -2, 3}));
    QCOMPARE(root.child(u"ints")->typeName, u"int[]"_s);
    QCOMPARE(root.child(u"bytes")->kind, ValueNode::Kind::Bytes);
    QCOMPARE(root.child(u"bytes")->scalar.toByteArray(), QByteArray("\x00\x01\xff\x7f", 4));
    QCOMPARE(json(root.child(u"chars")), QJsonValue(u"hi"_s));
    QCOMPARE(json(root.child(u"matrix")), QJsonValue(QJsonArray{QJsonArray{1, 2}, QJsonArray{3}}));
    QCOMPARE(root.child(u"matrix")->typeName, u"long[][]"_s);
    QCOMPARE(json(root.child(u"strings")), QJsonValue(QJsonArray{u"a"_s, QJsonValue(), u"c"_s}));
    QCOMPARE(root.child(u"strings")->typeName, u"java.lang.String[]"_s);
    QCOMPARE(json(root.child(u"mixed")), QJsonValue(QJsonArray{1, u"two"_s, QJsonValue()}));
    // Times, UUIDs, enums, classes.
    QCOMPARE(json(root.child(u"date")), QJsonValue(u"2025-11-30T13:19:23.123Z"_s));
    QCOMPARE(root.child(u"date")->typeName, u"java.util.Date"_s);
    QCOMPARE(json(root.child(u"timestamp")), QJsonValue(u"2025-11-30T13:19:23.123Z"_s));
    QCOMPARE(root.child(u"timestamp")->typeName, u"java.sql.Timestamp"_s);
    QCOMPARE(json(root.child(u"instant")), QJsonValue(u"2025-11-30T13:19:23.456Z"_s));
    QCOMPARE(root.child(u"instant")->typeName, u"java.time.Instant"_s);
    QCOMPARE(json(root.child(u"uuid")), QJsonValue(u"123e4567-e89b-12d3-a456-426614174000"_s));
    QCOMPARE(json(root.child(u"color")), QJsonValue(u"RED"_s));
    QCOMPARE(root.child(u"color")->typeName, u"com.example.sessions.Gen$Color"_s);
    QCOMPARE(json(root.child(u"colorWithBody")), QJsonValue(u"GREEN"_s));
    QCOMPARE(root.child(u"colorWithBody")->typeName, u"com.example.sessions.Gen$Color"_s);
    QCOMPARE(json(root.child(u"unit")), QJsonValue(u"SECONDS"_s));
    QCOMPARE(root.child(u"unit")->typeName, u"java.util.concurrent.TimeUnit"_s);
    QCOMPARE(json(root.child(u"type")), QJsonValue(u"java.lang.String"_s));
    QCOMPARE(root.child(u"type")->typeName, u"java.lang.Class"_s);
    QCOMPARE(root.child(u"nothing")->kind, ValueNode::Kind::Null);
    QCOMPARE(json(root.child(u"text")), QJsonValue(u"Zoë ✓ 😀 \u0000 nul"_s));
}

void TestCodecsJava::collections()
{
    const DecodedValue decoded = decodeValue(readData(u"everything.ser"_s));
    const ValueNode &root = decoded.root;
    const auto list = [&](const char *name) {
        const ValueNode *node = root.child(QString::fromLatin1(name));
        return node && node->kind == ValueNode::Kind::List ? toJson(*node, true) : QJsonValue();
    };
    QCOMPARE(list("list"), QJsonValue(QJsonArray{1, u"two"_s, 3.0}));
    QCOMPARE(root.child(u"list")->typeName, u"java.util.ArrayList"_s);
    QCOMPARE(list("set"), QJsonValue(QJsonArray{u"only"_s}));
    QCOMPARE(list("linkedSet"), QJsonValue(QJsonArray{u"first"_s, u"second"_s}));
    QCOMPARE(root.child(u"linkedSet")->typeName, u"java.util.LinkedHashSet"_s);
    QCOMPARE(list("treeSet"), QJsonValue(QJsonArray{u"x"_s, u"y"_s}));
    QCOMPARE(list("linkedList"), QJsonValue(QJsonArray{5, 6}));
    QCOMPARE(list("deque"), QJsonValue(QJsonArray{u"d1"_s}));
    QCOMPARE(list("vector"), QJsonValue(QJsonArray{u"v1"_s, u"v2"_s}));
    QCOMPARE(list("cowList"), QJsonValue(QJsonArray{u"cow"_s}));
    QCOMPARE(list("unmodifiable"), QJsonValue(QJsonArray{u"u1"_s, u"u2"_s}));
    QCOMPARE(list("singleton"), QJsonValue(QJsonArray{u"one"_s}));
    QCOMPARE(list("asList"), QJsonValue(QJsonArray{u"as"_s, u"list"_s}));

    const auto map = [&](const char *name) {
        const ValueNode *node = root.child(QString::fromLatin1(name));
        QJsonObject object = node && node->kind == ValueNode::Kind::Map
            ? toJson(*node, true).toObject()
            : QJsonObject();
        object.remove(u"@type"_s);
        return object;
    };
    QCOMPARE(map("map"), (QJsonObject{{u"k"_s, u"v"_s}}));
    QCOMPARE(root.child(u"map")->typeName, u"java.util.HashMap"_s);
    // Keys in insertion order, non-string keys by their text.
    QCOMPARE(root.child(u"linkedMap")->children.at(0).name, u"first"_s);
    QCOMPARE(root.child(u"linkedMap")->children.at(1).name, u"2"_s);
    QCOMPARE(map("linkedMap"), (QJsonObject{{u"first"_s, 1}, {u"2"_s, u"second"_s}}));
    QCOMPARE(map("treeMap"), (QJsonObject{{u"a"_s, 1}, {u"b"_s, 2}}));
    QCOMPARE(map("hashtable"), (QJsonObject{{u"h"_s, u"t"_s}}));
    QCOMPARE(map("properties"), (QJsonObject{{u"p"_s, u"q"_s}}));
    QCOMPARE(map("concurrentMap"), (QJsonObject{{u"c"_s, 3}}));
    QCOMPARE(map("singletonMap"), (QJsonObject{{u"sk"_s, u"sv"_s}}));
    QCOMPARE(map("emptyMap"), QJsonObject());
}

void TestCodecsJava::objectsAndClasses()
{
    const DecodedValue decoded = decodeValue(readData(u"everything.ser"_s));
    const ValueNode &root = decoded.root;
    // A field hiding its superclass's is named after its declaring class.
    const ValueNode *child = root.child(u"child");
    QCOMPARE(child->typeName, u"com.example.sessions.Gen$Child"_s);
    QStringList names;
    for (const ValueNode &field : child->children)
        names << field.name;
    QCOMPARE(names,
             (QStringList{u"x"_s, u"label"_s, u"com.example.sessions.Gen$Child::x"_s, u"extra"_s}));
    QCOMPARE(json(child->child(u"x")), QJsonValue(1));
    QCOMPARE(json(child->child(u"com.example.sessions.Gen$Child::x")), QJsonValue(2));
    // writeObject() data beyond the fields: block data and objects, in order.
    const ValueNode *custom = root.child(u"custom");
    QCOMPARE(json(custom->child(u"name")), QJsonValue(u"custom"_s));
    const ValueNode *data = custom->child(u"@data");
    QVERIFY(data);
    QCOMPARE(data->children.size(), 2);
    QCOMPARE(data->children.at(0).kind, ValueNode::Kind::Bytes);
    QCOMPARE(data->children.at(0).scalar.toByteArray(),
             QByteArray("\x01\x02\x03\x04\x00\x05"
                        "extra",
                        11));
    QCOMPARE(data->children.at(1).scalar.toString(), u"an object"_s);
    // Externalizable data the same way.
    const ValueNode *external = root.child(u"external");
    QCOMPARE(json(at(*external, u"@data/1"_s)), QJsonValue(u"external"_s));
    // A dynamic proxy: its interfaces as the class, the handler as the field of Proxy.
    const ValueNode *proxy = root.child(u"proxy");
    QCOMPARE(proxy->typeName, u"proxy(java.lang.Runnable, java.lang.Comparable)"_s);
    QCOMPARE(json(at(*proxy, u"h/note"_s)), QJsonValue(u"proxy handler"_s));
}

void TestCodecsJava::backReferencesAreCopiesAndCyclesArePlaceholders()
{
    const DecodedValue decoded = decodeValue(readData(u"everything.ser"_s));
    const ValueNode &root = decoded.root;
    QCOMPARE(json(root.child(u"sameList")), json(root.child(u"list")));
    const ValueNode *self = root.child(u"self");
    QCOMPARE(self->typeName, u"reference"_s);
    QCOMPARE(self->scalar.toString(),
             u"(reference to the enclosing com.example.sessions.Gen$Everything)"_s);
    QVERIFY(treeDepth(root) < 10);
}

void TestCodecsJava::topLevelBlockDataAndReset()
{
    const DecodedValue decoded = decodeValue(readData(u"reset-and-blockdata.ser"_s));
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(decoded.root.kind, ValueNode::Kind::List);
    QCOMPARE(decoded.root.children.size(), 3);
    QCOMPARE(decoded.root.children.at(0).scalar.toByteArray(), QByteArray("\0\0\0\x07", 4));
    QCOMPARE(decoded.root.children.at(1).scalar.toString(), u"before reset"_s);
    QCOMPARE(toJson(decoded.root.children.at(2), true), QJsonValue(QJsonArray{u"after reset"_s}));
}

void TestCodecsJava::exceptionStopsWithWarning()
{
    const DecodedValue decoded = decodeValue(readData(u"exception.ser"_s));
    QCOMPARE(decoded.encoding, u"java"_s);
    QVERIFY2(decoded.warning.contains(
                 u"its writer failed (java.io.NotSerializableException: java.lang.Object)"),
             qPrintable(decoded.warning));
    QCOMPARE(decoded.root.typeName, u"com.example.sessions.Gen$Holder"_s);
    const ValueNode *exception = decoded.root.child(u"notSerializable");
    QCOMPARE(exception->typeName, u"java.io.NotSerializableException"_s);
    QCOMPARE(json(exception->child(u"detailMessage")), QJsonValue(u"java.lang.Object"_s));
    // Throwable.cause points at the exception itself.
    QCOMPARE(exception->child(u"cause")->typeName, u"reference"_s);
}

void TestCodecsJava::oldExternalizableFormatFallsBackToBytes()
{
    const QByteArray raw = readData(u"externalizable-v1.ser"_s);
    const DecodedValue direct = decodeJavaSerialization(raw);
    QVERIFY2(direct.warning.contains(u"old externalizable format"), qPrintable(direct.warning));
    const DecodedValue shown = decodeValue(raw);
    QCOMPARE(shown.encoding, u"binary"_s);
    QCOMPARE(shown.root.scalar.toByteArray(), raw);
    QCOMPARE(shown.warning, direct.warning);
}

void TestCodecsJava::longString()
{
    const DecodedValue decoded = decodeValue(readData(u"long-string.ser"_s));
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(decoded.root.scalar.toString(), u"é"_s.repeated(40'000));
    DecodeLimits small;
    small.maxStringBytes = 1000;
    const DecodedValue limited = decodeJavaSerialization(readData(u"long-string.ser"_s), small);
    QVERIFY2(limited.warning.contains(u"A string of 80000 bytes at byte 13 exceeds the limit of "
                                      u"1000 bytes."),
             qPrintable(limited.warning));
}

void TestCodecsJava::modifiedUtf8()
{
    // C0 80 is U+0000; a supplementary character is two 3-byte surrogates; bad bytes are
    // replaced and reported without stopping.
    const DecodedValue decoded = decodeJavaSerialization(Stream()
                                                             .string("a\xC0\x80"
                                                                     "b\xED\xA0\xBD\xED\xB8\x80")
                                                             .string("x\xFFy")
                                                             .bytes);
    QCOMPARE(decoded.root.children.at(0).scalar.toString(), u"a\u0000b😀"_s);
    QCOMPARE(decoded.root.children.at(1).scalar.toString(), u"x\uFFFDy"_s);
    QVERIFY2(decoded.warning.contains(u"not valid modified UTF-8"), qPrintable(decoded.warning));
}

void TestCodecsJava::handBuiltCorners()
{
    // A boxed Integer that writes an extra field is not flattened; its class stays.
    Stream odd;
    odd.u8(0x73).classDesc("java.lang.Integer", 0x02, {"Ivalue", "Iextra"}).i32(5).i32(6);
    const DecodedValue oddInteger = decodeJavaSerialization(odd.bytes);
    QVERIFY2(oddInteger.warning.isEmpty(), qPrintable(oddInteger.warning));
    QCOMPARE(oddInteger.root.kind, ValueNode::Kind::Map);
    QCOMPARE(oddInteger.root.typeName, u"java.lang.Integer"_s);

    // A class object and a class descriptor written as objects.
    Stream classes;
    classes.u8(0x76).classDesc("[Ljava.lang.Runtime;", 0x02, {});
    classes.u8(0x72).utf("java.lang.ProcessBuilder").i64(0).u8(0x02).u16(0).u8(0x78).u8(0x70);
    const DecodedValue classObjects = decodeJavaSerialization(classes.bytes);
    QVERIFY2(classObjects.warning.isEmpty(), qPrintable(classObjects.warning));
    QCOMPARE(toJson(classObjects.root, true),
             QJsonValue(QJsonArray{u"java.lang.Runtime[]"_s, u"java.lang.ProcessBuilder"_s}));
    QCOMPARE(classObjects.root.children.at(1).typeName, u"java.io.ObjectStreamClass"_s);

    // Block data longer than 255 bytes (TC_BLOCKDATALONG) between objects.
    Stream blocks;
    blocks.u8(0x7A).i32(300).raw(QByteArray(300, 'z')).string("after");
    const DecodedValue longBlock = decodeJavaSerialization(blocks.bytes);
    QVERIFY2(longBlock.warning.isEmpty(), qPrintable(longBlock.warning));
    QCOMPARE(longBlock.root.children.at(0).scalar.toByteArray(), QByteArray(300, 'z'));
    QCOMPARE(longBlock.root.children.at(1).scalar.toString(), u"after"_s);

    // A Date whose milliseconds are outside what a date can show stays a number of bytes.
    Stream farDate;
    farDate.u8(0x73).classDesc("java.util.Date", 0x03, {});
    farDate.u8(0x77).u8(8).i64(std::numeric_limits<qint64>::max()).u8(0x78);
    const DecodedValue date = decodeJavaSerialization(farDate.bytes);
    QVERIFY2(date.warning.isEmpty(), qPrintable(date.warning));
    QCOMPARE(date.root.typeName, u"java.util.Date"_s);
    QCOMPARE(date.root.child(u"@data")->children.at(0).kind, ValueNode::Kind::Bytes);

    // java.sql.Timestamp adds its nanoseconds to the milliseconds: no overflow at the extremes.
    for (const qint64 msecs : {std::numeric_limits<qint64>::max(),
                               std::numeric_limits<qint64>::min(), qint64(1764508763123)}) {
        Stream timestamp;
        timestamp.u8(0x73).u8(0x72).utf("java.sql.Timestamp").i64(0).u8(0x02).u16(1);
        timestamp.u8('I').utf("nanos").u8(0x78); // no class annotation; superclass follows
        timestamp.classDesc("java.util.Date", 0x03, {});
        timestamp.u8(0x77).u8(8).i64(msecs).u8(0x78).i32(999'999'999);
        const DecodedValue decoded = decodeJavaSerialization(timestamp.bytes);
        QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
        QCOMPARE(decoded.root.typeName, u"java.sql.Timestamp"_s);
        if (msecs == 1764508763123)
            QCOMPARE(toJson(decoded.root, true), QJsonValue(u"2025-11-30T13:19:23.999Z"_s));
    }
}

void TestCodecsJava::badStreams_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("warning");
    QTest::newRow("wrong version")
        << QByteArray("\xAC\xED\x00\x04t\x00\x01x", 8) << u"has version 4, not 5"_s;
    QTest::newRow("magic only") << QByteArray("\xAC\xED\x00\x05", 4) << u"holds no object"_s;
    QTest::newRow("unknown type code")
        << Stream().u8(0x42).bytes << u"Unknown type code 0x42 at byte 4."_s;
    QTest::newRow("dangling reference")
        << Stream().reference(3).bytes << u"points to handle 8257539, which does not exist"_s;
    QTest::newRow("reference to a string as a class")
        << Stream().string("s").u8(0x73).reference(0).bytes
        << u"does not point to a class description"_s;
    QTest::newRow("class whose superclass is itself")
        << Stream().u8(0x73).u8(0x72).utf("A").i64(0).u8(2).u16(0).u8(0x78).reference(0).bytes
        << u"still being read"_s;
    QTest::newRow("unknown field type")
        << Stream().u8(0x73).u8(0x72).utf("A").i64(0).u8(2).u16(1).u8('Q').utf("f").bytes
        << u"unknown type code 0x51"_s;
    QTest::newRow("negative array length")
        << Stream().u8(0x75).classDesc("[I", 0x02, {}).i32(-1).bytes << u"negative length"_s;
    QTest::newRow("array class that is not an array")
        << Stream().u8(0x75).classDesc("java.lang.String", 0x02, {}).i32(1).bytes
        << u"has no array class"_s;
    QTest::newRow("block data where an object belongs")
        << Stream().u8(0x73).classDesc("A", 0x02, {"Lo Ljava/lang/Object;"}).u8(0x77).u8(0).bytes
        << u"Unexpected block data at byte"_s;
    QTest::newRow("end of block data at the top")
        << Stream().u8(0x73).classDesc("A", 0x02, {"Lo Ljava/lang/Object;"}).u8(0x78).bytes
        << u"Unexpected end of block data"_s;
    QTest::newRow("field type name that is not a string")
        << Stream().u8(0x73).u8(0x72).utf("A").i64(0).u8(2).u16(1).u8('L').utf("f").u8(0x70).bytes
        << u"field type at byte"_s;
}

void TestCodecsJava::badStreams()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, warning);
    const DecodedValue decoded = decodeJavaSerialization(raw);
    QVERIFY2(decoded.warning.contains(warning), qPrintable(decoded.warning));
    QVERIFY2(decoded.warning.endsWith(u'.'), qPrintable(decoded.warning));
    // Through decodeValue() the same error shows with the raw bytes (a stream without the magic
    // is not taken for Java at all).
    const DecodedValue shown = decodeValue(raw);
    QCOMPARE(shown.warning, looksLikeJavaSerialization(raw) ? decoded.warning : QString());
}

void TestCodecsJava::truncatedAtEveryByte_data()
{
    QTest::addColumn<QString>("file");
    QTest::newRow("security context") << u"spring-security-context.ser"_s;
    QTest::newRow("everything") << u"everything.ser"_s;
    QTest::newRow("creation time") << u"spring-creationTime.ser"_s;
}

// Every prefix decodes without crashing and says it is cut off; what was read is kept, so the
// login's address is found in every prefix that reaches past it.
void TestCodecsJava::truncatedAtEveryByte()
{
    QFETCH(QString, file);
    const QByteArray raw = readData(file);
    const qsizetype addressEnd = raw.indexOf("127.0.0.1") + 9;
    int foundPartially = 0;
    for (qsizetype size = 0; size < raw.size(); ++size) {
        const QByteArray prefix = raw.first(size);
        DecodedValue decoded = decodeJavaSerialization(prefix);
        QVERIFY2(!decoded.warning.isEmpty(), qPrintable(u"no warning at %1 bytes"_s.arg(size)));
        QVERIFY2(decoded.warning.endsWith(u'.'), qPrintable(decoded.warning));
        markSecrets(decoded.root);
        toJson(decoded.root, false);
        if (addressEnd > 9 && size >= addressEnd) {
            QCOMPARE(findUser(decoded.root, {u"authentication.details.remoteAddress"_s}),
                     std::optional<QString>(u"127.0.0.1"_s));
            ++foundPartially;
        }
        const DecodedValue shown = decodeValue(prefix);
        QVERIFY(!shown.warning.isEmpty() || size < 4);
    }
    if (file == u"spring-security-context.ser")
        QVERIFY(foundPartially > 100);
}

void TestCodecsJava::deepChainStopsAtTheDepthLimit()
{
    QElapsedTimer timer;
    timer.start();
    const DecodedValue decoded = decodeValue(readData(u"deep-chain.ser"_s));
    QCOMPARE(decoded.encoding, u"java"_s);
    QVERIFY2(decoded.warning.contains(u"deeper than 64 levels"), qPrintable(decoded.warning));
    // The first 64 nodes of the chain are there, with their names.
    const ValueNode *node = &decoded.root;
    for (int i = 0; i < 63; ++i) {
        QCOMPARE(json(node->child(u"name")), QJsonValue(u"n%1"_s.arg(i)));
        node = node->child(u"next");
        QVERIFY(node);
    }
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
}

// Arrays of [new array, reference to it] nested 40 deep would be 2^40 nodes as a tree; copies
// of back-references count against the node limit, so the decode stops at once.
void TestCodecsJava::referenceBombStopsAtTheNodeLimit()
{
    Stream stream;
    int nextHandle = 0;
    bool describedArrayClass = false;
    std::function<int(int)> write = [&](int level) {
        if (level == 0) {
            stream.string("leaf");
            return nextHandle++;
        }
        stream.u8(0x75);
        if (describedArrayClass) {
            stream.reference(0);
        } else {
            stream.classDesc("[Ljava.lang.Object;", 0x02, {});
            describedArrayClass = true;
            ++nextHandle;
        }
        const int handle = nextHandle++;
        stream.i32(2);
        const int child = write(level - 1);
        stream.reference(child);
        return handle;
    };
    write(40);
    QVERIFY(stream.bytes.size() < 1000);
    QElapsedTimer timer;
    timer.start();
    DecodedValue decoded = decodeValue(stream.bytes);
    markSecrets(decoded.root);
    toJson(decoded.root, false);
    QVERIFY2(decoded.warning.contains(u"more than 200000 elements"), qPrintable(decoded.warning));
    QVERIFY(countNodes(decoded.root) <= 200'001);
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));

    // Below the limit the copies are all there.
    Stream small;
    nextHandle = 0;
    describedArrayClass = false;
    std::swap(stream, small);
    write(5);
    const DecodedValue complete = decodeValue(stream.bytes);
    QVERIFY2(complete.warning.isEmpty(), qPrintable(complete.warning));
    QCOMPARE(countNodes(complete.root), 63); // a full binary tree of depth 6
}

void TestCodecsJava::hugeArrayLengthsCostNothing()
{
    QElapsedTimer timer;
    timer.start();
    const DecodedValue ints =
        decodeJavaSerialization(Stream().u8(0x75).classDesc("[I", 0x02, {}).i32(0x7fffffff).bytes);
    QVERIFY2(ints.warning.contains(u"more than 200000 elements"), qPrintable(ints.warning));
    const DecodedValue bytes =
        decodeJavaSerialization(Stream().u8(0x75).classDesc("[B", 0x02, {}).i32(0x7fffffff).bytes);
    QVERIFY2(bytes.warning.contains(u"exceeds the limit"), qPrintable(bytes.warning));
    const DecodedValue objects = decodeJavaSerialization(
        Stream().u8(0x75).classDesc("[Ljava.lang.Object;", 0x02, {}).i32(0x7fffffff).bytes);
    QVERIFY2(objects.warning.contains(u"cut off"), qPrintable(objects.warning));
    const DecodedValue longString =
        decodeJavaSerialization(Stream().u8(0x7C).i64(0x7fffffffffffffffLL).bytes);
    QVERIFY2(longString.warning.contains(u"exceeds the limit"), qPrintable(longString.warning));
    QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
}

// Inputs that made earlier drafts of the decoder quadratic (found by review; the fuzzer,
// tests/fuzz/fuzz_javaserial.cpp, has found nothing so far).
void TestCodecsJava::costStaysLinear()
{
    QElapsedTimer timer;
    timer.start();
    // One class with 65,535 fields: hidden-field detection must not scan the fields so far.
    Stream wide;
    wide.u8(0x73).u8(0x72).utf("Wide").i64(0).u8(0x02).u16(65535);
    for (int i = 0; i < 65535; ++i)
        wide.u8('Z').utf("f" + QByteArray::number(i));
    wide.u8(0x78).u8(0x70).raw(QByteArray(65535, '\x01'));
    const DecodedValue fields = decodeJavaSerialization(wide.bytes);
    QVERIFY2(fields.warning.isEmpty(), qPrintable(fields.warning));
    QCOMPARE(fields.root.children.size(), 65535);
    QCOMPARE(fields.root.children.last().name, u"f65534"_s);

    // 300,000 one-byte blocks of writeObject() data: merged without copying what came before.
    Stream blocks;
    blocks.u8(0x73).classDesc("Blocks", 0x03, {});
    for (int i = 0; i < 300'000; ++i)
        blocks.u8(0x77).u8(1).u8(i);
    blocks.u8(0x78);
    const DecodedValue data = decodeJavaSerialization(blocks.bytes);
    QVERIFY2(data.warning.isEmpty(), qPrintable(data.warning));
    QCOMPARE(data.root.child(u"@data")->children.at(0).scalar.toByteArray().size(), 300'000);
    QVERIFY2(timer.elapsed() < 10'000, qPrintable(QString::number(timer.elapsed())));
}

QTEST_GUILESS_MAIN(TestCodecsJava)
#include "tst_codecs_java.moc"
