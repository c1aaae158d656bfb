// Unit tests for the Django signed-string codec: values encoded by Django 3.2's own
// SessionStore.encode() (tests/data/codecs/django, made by gen.py), the pre-3.1 format,
// compression limits, damaged input and truncation at every byte.

#include "codecs/djangosigned.h"
#include "valuetree.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace Qt::StringLiterals;
using namespace SessionDesk;
using namespace SessionDesk::Codecs;

namespace {

QByteArray readData(const QString &name)
{
    QFile file(QStringLiteral(CODEC_DATA_DIR "/codecs/django/") + name);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(file.fileName()));
    return file.readAll();
}

QString text(const ValueNode *node)
{
    return node ? node->scalar.toString() : u"(missing)"_s;
}

// signing.dumps() of `json`, compressed like Django does it (zlib), with a made-up signature.
QByteArray signedValue(const QByteArray &json, bool compress)
{
    QByteArray payload = json;
    if (compress)
        payload = qCompress(json).sliced(4); // qCompress prefixes the length to zlib data
    QByteArray encoded =
        payload.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    if (compress)
        encoded.prepend('.');
    return encoded + ":1vPhKl:" + QByteArray(43, 'S');
}

} // namespace

class TestCodecsDjango final : public QObject
{
    Q_OBJECT

private slots:
    void compressedSession();
    void uncompressedSession();
    void payloadThatIsNotAnObject();
    void legacyFormat();
    void signatureIsShownNotVerified();
    void signatureLengths_data();
    void signatureLengths();
    void damagedValues_data();
    void damagedValues();
    void notDjango_data();
    void notDjango();
    void zipBombStopsAtTheCap();
    void truncatedAtEveryByte_data();
    void truncatedAtEveryByte();
};

void TestCodecsDjango::compressedSession()
{
    const QByteArray raw = readData(u"compressed.txt"_s);
    QVERIFY(raw.startsWith('.'));
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"django-signed"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    const ValueNode &root = decoded.root;
    QCOMPARE(findUser(root, {u"_auth_user_id"_s}), std::optional<QString>(u"42"_s));
    QCOMPARE(text(root.child(u"_auth_user_backend")),
             u"django.contrib.auth.backends.ModelBackend"_s);
    QCOMPARE(text(root.child(u"note")), u"Zoë ✓ 日本 😀"_s);
    QCOMPARE(root.child(u"visits")->scalar.toLongLong(), 3);
    QCOMPARE(root.child(u"ratio")->scalar.toDouble(), 0.5);
    QCOMPARE(root.child(u"flag")->scalar.toBool(), true);
    QCOMPARE(root.child(u"nothing")->kind, ValueNode::Kind::Null);
    QCOMPARE(root.child(u"history")->children.size(), 40);
    QCOMPARE(toJson(*root.child(u"cart"), true),
             QJsonValue(QJsonArray{QJsonObject{{u"sku"_s, u"A-1"_s}, {u"qty"_s, 2}},
                                   QJsonObject{{u"sku"_s, u"B-22"_s}, {u"qty"_s, 1}}}));
    // The signing time, as a time the layouts' timestamp helper reads.
    const ValueNode *signedInfo = root.child(u"@signed");
    QCOMPARE(signedInfo->typeName, u"django.core.signing"_s);
    QCOMPARE(text(signedInfo->child(u"signed_at")), u"2025-11-30T13:19:23.000Z"_s);
    QCOMPARE(timestampFromJson(toJson(*signedInfo->child(u"signed_at"), true)),
             QDateTime::fromSecsSinceEpoch(1764508763, Qt::UTC));
    QCOMPARE(findUser(root, {u"@signed.signed_at"_s}),
             std::optional<QString>(u"2025-11-30T13:19:23.000Z"_s));
}

void TestCodecsDjango::uncompressedSession()
{
    const QByteArray raw = readData(u"small.txt"_s);
    QVERIFY(!raw.startsWith('.')); // too small for zlib to save anything
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"django-signed"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(findUser(decoded.root, {u"_auth_user_id"_s}), std::optional<QString>(u"7"_s));
    QCOMPARE(decoded.root.children.size(), 2); // _auth_user_id and @signed
}

void TestCodecsDjango::payloadThatIsNotAnObject()
{
    const DecodedValue decoded = decodeValue(readData(u"list.txt"_s));
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(toJson(*decoded.root.child(u"value"), true),
             QJsonValue(QJsonArray{u"not"_s, u"a"_s, u"dict"_s}));
}

void TestCodecsDjango::legacyFormat()
{
    const QByteArray raw = readData(u"legacy.txt"_s);
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"django-signed"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(findUser(decoded.root, {u"_auth_user_id"_s}), std::optional<QString>(u"9"_s));
    QCOMPARE(decoded.root.child(u"legacy")->scalar.toBool(), true);
    const ValueNode *signedInfo = decoded.root.child(u"@signed");
    QCOMPARE(text(signedInfo->child(u"hash")),
             QString::fromLatin1(QByteArray::fromBase64(raw).first(40)));
    QVERIFY(!signedInfo->child(u"signed_at"));
}

void TestCodecsDjango::signatureIsShownNotVerified()
{
    const QByteArray raw = readData(u"small.txt"_s);
    const DecodedValue decoded = decodeValue(raw);
    const ValueNode *signedInfo = decoded.root.child(u"@signed");
    QCOMPARE(text(signedInfo->child(u"signature")), QString::fromLatin1(raw.split(':').last()));
    QCOMPARE(signedInfo->child(u"verified")->scalar.toBool(), false);
    // A forged signature decodes the same: SessionDesk has no SECRET_KEY to check it with.
    QByteArray forged = raw;
    forged.chop(43);
    forged += QByteArray(43, 'A');
    const DecodedValue forgedDecoded = decodeValue(forged);
    QVERIFY2(forgedDecoded.warning.isEmpty(), qPrintable(forgedDecoded.warning));
    QCOMPARE(findUser(forgedDecoded.root, {u"_auth_user_id"_s}), std::optional<QString>(u"7"_s));
}

void TestCodecsDjango::signatureLengths_data()
{
    QTest::addColumn<int>("length");
    QTest::addColumn<bool>("warned");
    QTest::newRow("sha1") << 27 << false;
    QTest::newRow("sha256") << 43 << false;
    QTest::newRow("sha512") << 86 << false;
    QTest::newRow("cut sha256") << 40 << true;
}

void TestCodecsDjango::signatureLengths()
{
    QFETCH(int, length);
    QFETCH(bool, warned);
    const DecodedValue decoded =
        decodeValue("eyJfYXV0aF91c2VyX2lkIjoiNyJ9:1vPhKl:" + QByteArray(length, 'x'));
    QCOMPARE(decoded.encoding, u"django-signed"_s);
    QCOMPARE(findUser(decoded.root, {u"_auth_user_id"_s}), std::optional<QString>(u"7"_s));
    QCOMPARE(!decoded.warning.isEmpty(), warned);
}

void TestCodecsDjango::damagedValues_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("warning");
    QTest::addColumn<QString>("encoding"); // what decodeValue() shows
    QTest::newRow("payload not JSON") << signedValue("{\"a\":", false)
                                      << u"The signed payload is not JSON:"_s << u"django-signed"_s;
    QTest::newRow("compressed payload not zlib")
        << QByteArray(".eyJhIjoxfQ:1vPhKl:" + QByteArray(43, 'S'))
        << u"The compressed payload is not valid zlib data"_s << u"text"_s;
    QTest::newRow("compressed payload cut off")
        << QByteArray(signedValue(QByteArray(2000, 'a'), true)).replace(5, 6, "")
        << u"The compressed payload"_s << u"text"_s;
    QTest::newRow("timestamp beyond any date")
        << QByteArray("eyJhIjoxfQ:zzzzzzzzzzz:" + QByteArray(43, 'S')) << QString()
        << u"django-signed"_s;
}

void TestCodecsDjango::damagedValues()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, warning);
    QFETCH(QString, encoding);
    const DecodedValue decoded = decodeDjangoSigned(raw);
    QVERIFY2(decoded.warning.startsWith(warning), qPrintable(decoded.warning));
    QVERIFY(warning.isEmpty() || decoded.warning.endsWith(u'.'));
    const DecodedValue shown = decodeValue(raw);
    QCOMPARE(shown.encoding, encoding);
    QCOMPARE(shown.warning, decoded.warning);
    if (encoding == u"text")
        QCOMPARE(shown.root.scalar.toString(), QString::fromLatin1(raw));
}

void TestCodecsDjango::notDjango_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::newRow("two colons, short signature") << QByteArray("a:b:c");
    QTest::newRow("time of day") << QByteArray("12:30:45");
    QTest::newRow("base64 without hash") << QByteArray(QByteArray(60, 'x').toBase64());
    QTest::newRow("spaces") << QByteArray("eyJh Ijox:1vPhKl:" + QByteArray(43, 'S'));
}

void TestCodecsDjango::notDjango()
{
    QFETCH(QByteArray, raw);
    QVERIFY(!looksLikeDjangoSigned(raw));
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"text"_s);
    QVERIFY(decoded.warning.isEmpty());
    QVERIFY(!decodeDjangoSigned(raw).warning.isEmpty());
}

// A few kilobytes that inflate to 32 MiB stop at the cap instead of filling memory.
void TestCodecsDjango::zipBombStopsAtTheCap()
{
    const QByteArray bomb = signedValue(QByteArray(32 * 1024 * 1024, ' '), true);
    QVERIFY(bomb.size() < 64 * 1024);
    const DecodedValue decoded = decodeValue(bomb);
    QVERIFY2(decoded.warning.contains(u"expands to more than 16777216 bytes"),
             qPrintable(decoded.warning));
    QCOMPARE(decoded.encoding, u"text"_s);
}

void TestCodecsDjango::truncatedAtEveryByte_data()
{
    QTest::addColumn<QString>("file");
    QTest::newRow("compressed") << u"compressed.txt"_s;
    QTest::newRow("small") << u"small.txt"_s;
    QTest::newRow("legacy") << u"legacy.txt"_s;
}

// No prefix crashes or passes for complete (except the one that looks like a whole SHA-1
// signature): each is reported (a cut signature, payload, padding or compressed stream), and
// decodeValue() shows what it can.
void TestCodecsDjango::truncatedAtEveryByte()
{
    QFETCH(QString, file);
    const QByteArray raw = readData(file);
    for (qsizetype size = 0; size < raw.size(); ++size) {
        const QByteArray prefix = raw.first(size);
        DecodedValue decoded = decodeDjangoSigned(prefix);
        // A SHA-256 signature cut to 27 characters looks like a whole SHA-1 one.
        const qsizetype signatureSize = prefix.size() - prefix.lastIndexOf(':') - 1;
        QVERIFY2(!decoded.warning.isEmpty() || (file != u"legacy.txt" && signatureSize == 27),
                 qPrintable(u"no warning at %1 bytes"_s.arg(size)));
        markSecrets(decoded.root);
        toJson(decoded.root, false);
        const DecodedValue shown = decodeValue(prefix);
        QVERIFY(!shown.encoding.isEmpty());
    }
}

QTEST_GUILESS_MAIN(TestCodecsDjango)
#include "tst_codecs_django.moc"
