// Unit tests for valuetree (decoding session values, secret masking, finding the user,
// displayBytes/unescapeBytes) and for sessionlookup (resolving what an operator pasted).

#include "jsonscan.h"
#include "sessionlayout.h"
#include "sessionlookup.h"
#include "valuetree.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <functional>
#include <limits>
#include <optional>

using namespace Qt::StringLiterals;
using namespace SessionDesk;

Q_DECLARE_METATYPE(SessionDesk::SessionReference::Source)

namespace {

// Every node of the tree, depth first, with its path from the root ("a/b/0").
void walk(const ValueNode &node, const QString &path,
          const std::function<void(const ValueNode &, const QString &)> &visit)
{
    visit(node, path);
    for (qsizetype i = 0; i < node.children.size(); ++i) {
        const ValueNode &child = node.children.at(i);
        const QString step = child.name.isEmpty() ? QString::number(i) : child.name;
        walk(child, path.isEmpty() ? step : path + u'/' + step, visit);
    }
}

QStringList childNames(const ValueNode &node)
{
    QStringList names;
    for (const ValueNode &child : node.children)
        names << child.name;
    return names;
}

SessionLayout connectRedis()
{
    auto layout = SessionLayout::preset(u"connect-redis"_s);
    Q_ASSERT(layout.has_value());
    return *layout;
}

} // namespace

class TestValueTree final : public QObject
{
    Q_OBJECT

private slots:
    // secret names
    void secretNames_data();
    void secretNames();
    void isSecretNameSplitsLeadingAcronyms_data();
    void isSecretNameSplitsLeadingAcronyms();

    // decoding
    void decodesJsonObject();
    void decodesJsonArrayInOrder();
    void secretsCoverWholeSubtrees();
    void markSecretsOnHandBuiltTree();
    void toJsonMasksSecretScalars();
    void toJsonRoundTripsValuesWithoutSecrets_data();
    void toJsonRoundTripsValuesWithoutSecrets();
    void integersStayExact_data();
    void integersStayExact();
    void invalidJsonFallsBackToText_data();
    void invalidJsonFallsBackToText();
    void decodesPlainText_data();
    void decodesPlainText();
    void decodesBinary_data();
    void decodesBinary();
    void oversizedValueIsShownRawAndTruncated();
    void deepNestingDoesNotCrash_data();
    void deepNestingDoesNotCrash();

    // finding the user
    void findsUser_data();
    void findsUser();
    void findUserInRawRejectsNonJson_data();
    void findUserInRawRejectsNonJson();
    void userIdsAboveTwoPow53StayExact();
    void timestampsFromJson_data();
    void timestampsFromJson();
    void extractsSessionFields();
    void extractSessionFieldsOfNonJson_data();
    void extractSessionFieldsOfNonJson();
    void extractSessionFieldsOfTruncatedJson();
    void scanJsonPath_data();
    void scanJsonPath();
    void extractSessionFieldsWithEscapesFallsBackToParser();
    void userBytesAgreesWithRead_data();
    void userBytesAgreesWithRead();

    // displayBytes / unescapeBytes
    void displayBytesRoundTrip_data();
    void displayBytesRoundTrip();
    void displayBytesKeepsLeadingByteOrderMark();
    void displayBytesFormat_data();
    void displayBytesFormat();
    void unescapeBytesLeavesPlainTextAlone_data();
    void unescapeBytesLeavesPlainTextAlone();
    void displayBytesRoundTripsEveryByte();
    void displayTextShowsWhatATerminalWouldObey_data();
    void displayTextShowsWhatATerminalWouldObey();

    // sessionlookup
    void resolvesReferences_data();
    void resolvesReferences();
    void resolveWithCustomLayout();
    void resolvesDisplayedIdsOfEveryByte();
    void describeNamesTheSource();
};

// ---------------------------------------------------------------------------------------------
// Secret names

void TestValueTree::secretNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("secret");

    const char *secrets[] = {
        "accessToken",   "refresh_token", "refreshToken",    "idToken",
        "id_token",      "token",         "tokens",          "password",
        "Password",      "newPassword",   "passwd",          "csrfSecret",
        "_csrf",         "xsrf-token",    "XSRF-TOKEN",      "apiKey",
        "api_key",       "X-Api-Key",     "Authorization",   "authorization",
        "client_secret", "clientSecret",  "secrets",         "accountDataApiAccessToken",
        "privateKey",    "private_key",   "secretKey",       "accessKey",
        "access_key_id", "credentials",   "bearer",          "otp",
        "jwt",           "passphrase",    "oauthAccessToken"};
    for (const char *name : secrets)
        QTest::newRow(name) << QString::fromUtf8(name) << true;

    const char *plain[] = {"lastAccess",
                           "last_access_at",
                           "lastAccessTime",
                           "accessCount",
                           "accessLevel",
                           "user_id",
                           "userId",
                           "email",
                           "cookie",
                           "originalMaxAge",
                           "expires",
                           "httpOnly",
                           "path",
                           "name",
                           "passport",
                           "user",
                           "roles",
                           "flash",
                           "returnTo",
                           "keyboardLayout",
                           "tokenizer",
                           "sessions",
                           ""};
    for (const char *name : plain)
        QTest::newRow(*name ? name : "(empty)") << QString::fromUtf8(name) << false;
}

void TestValueTree::secretNames()
{
    QFETCH(QString, name);
    QFETCH(bool, secret);
    QCOMPARE(isSecretName(name), secret);
}

// A run of capitals followed by a capitalised word ("CSRFToken") is two words, as in
// "XMLHttpRequest"; otherwise "csrftoken" is one unknown word and the value is shown in clear.
void TestValueTree::isSecretNameSplitsLeadingAcronyms_data()
{
    QTest::addColumn<QString>("name");
    QTest::newRow("CSRFToken") << u"CSRFToken"_s;
    QTest::newRow("APIToken") << u"APIToken"_s;
    QTest::newRow("JWTSecret") << u"JWTSecret"_s;
    QTest::newRow("userAPIToken") << u"userAPIToken"_s;
}

void TestValueTree::isSecretNameSplitsLeadingAcronyms()
{
    QFETCH(QString, name);
    QVERIFY2(isSecretName(name), qPrintable(name + u" is not treated as a secret"_s));
}

// ---------------------------------------------------------------------------------------------
// Decoding

void TestValueTree::decodesJsonObject()
{
    const QByteArray raw =
        R"({"cookie":{"originalMaxAge":86400000,"expires":"2030-01-01T00:00:00.000Z",
        "httpOnly":true,"path":"/"},"passport":{"user":"u-17"},"accessToken":"at-123",
        "ratio":0.25,"nothing":null,"views":-3})";
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"json"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));

    const ValueNode &root = decoded.root;
    QCOMPARE(root.kind, ValueNode::Kind::Map);
    QVERIFY(root.isContainer());
    QVERIFY(root.name.isEmpty());
    QVERIFY(!root.secret);
    QStringList names = childNames(root);
    names.sort();
    QCOMPARE(names,
             (QStringList{u"accessToken"_s, u"cookie"_s, u"nothing"_s, u"passport"_s, u"ratio"_s,
                          u"views"_s}));

    const ValueNode *cookie = root.child(u"cookie");
    QVERIFY(cookie);
    QCOMPARE(cookie->kind, ValueNode::Kind::Map);
    QCOMPARE(cookie->children.size(), 4);
    QVERIFY(!cookie->secret);

    const ValueNode *maxAge = cookie->child(u"originalMaxAge");
    QVERIFY(maxAge);
    QCOMPARE(maxAge->kind, ValueNode::Kind::Integer);
    QCOMPARE(maxAge->scalar.toLongLong(), 86400000LL);
    QVERIFY(!maxAge->isContainer());

    const ValueNode *httpOnly = cookie->child(u"httpOnly");
    QVERIFY(httpOnly);
    QCOMPARE(httpOnly->kind, ValueNode::Kind::Bool);
    QCOMPARE(httpOnly->scalar.toBool(), true);

    const ValueNode *path = cookie->child(u"path");
    QVERIFY(path);
    QCOMPARE(path->kind, ValueNode::Kind::String);
    QCOMPARE(path->scalar.toString(), u"/"_s);
    QCOMPARE(path->name, u"path"_s);

    const ValueNode *token = root.child(u"accessToken");
    QVERIFY(token);
    QVERIFY(token->secret);
    QCOMPARE(token->scalar.toString(), u"at-123"_s); // masked only on output

    const ValueNode *ratio = root.child(u"ratio");
    QVERIFY(ratio);
    QCOMPARE(ratio->kind, ValueNode::Kind::Double);
    QCOMPARE(ratio->scalar.toDouble(), 0.25);

    const ValueNode *nothing = root.child(u"nothing");
    QVERIFY(nothing);
    QCOMPARE(nothing->kind, ValueNode::Kind::Null);

    const ValueNode *views = root.child(u"views");
    QVERIFY(views);
    QCOMPARE(views->kind, ValueNode::Kind::Integer);
    QCOMPARE(views->scalar.toLongLong(), -3LL);

    QVERIFY(!root.child(u"missing"));
    QVERIFY(!path->child(u"anything")); // child() of a scalar
    // Only the credential is secret.
    int secrets = 0;
    walk(root, QString(), [&](const ValueNode &node, const QString &) { secrets += node.secret; });
    QCOMPARE(secrets, 1);
}

void TestValueTree::decodesJsonArrayInOrder()
{
    const DecodedValue decoded = decodeValue(R"(  [3, "two", false, null, {"k":1}, [ ]] )");
    QCOMPARE(decoded.encoding, u"json"_s);
    QVERIFY(decoded.warning.isEmpty());
    const ValueNode &root = decoded.root;
    QCOMPARE(root.kind, ValueNode::Kind::List);
    QCOMPARE(root.children.size(), 6);
    QCOMPARE(root.children.at(0).kind, ValueNode::Kind::Integer);
    QCOMPARE(root.children.at(0).scalar.toLongLong(), 3LL);
    QCOMPARE(root.children.at(1).kind, ValueNode::Kind::String);
    QCOMPARE(root.children.at(1).scalar.toString(), u"two"_s);
    QCOMPARE(root.children.at(2).kind, ValueNode::Kind::Bool);
    QCOMPARE(root.children.at(2).scalar.toBool(), false);
    QCOMPARE(root.children.at(3).kind, ValueNode::Kind::Null);
    QCOMPARE(root.children.at(4).kind, ValueNode::Kind::Map);
    QCOMPARE(root.children.at(5).kind, ValueNode::Kind::List);
    QVERIFY(root.children.at(5).children.isEmpty());
    for (const ValueNode &child : root.children)
        QVERIFY(child.name.isEmpty());
    QVERIFY(!root.child(u"k")); // child() looks up map keys only
}

void TestValueTree::secretsCoverWholeSubtrees()
{
    const DecodedValue decoded = decodeValue(
        R"({"user":{"name":"ann","tokens":{"a":"x","list":["y",{"deep":"z"}]}},
            "credentials":[{"kind":"basic","value":"u:p"}],"plain":{"a":"b"}})");
    QCOMPARE(decoded.encoding, u"json"_s);

    QHash<QString, bool> secretByPath;
    walk(decoded.root, QString(), [&](const ValueNode &node, const QString &path) {
        secretByPath.insert(path, node.secret);
    });

    const QStringList secret = {u"user/tokens"_s,        u"user/tokens/a"_s,
                                u"user/tokens/list"_s,   u"user/tokens/list/0"_s,
                                u"user/tokens/list/1"_s, u"user/tokens/list/1/deep"_s,
                                u"credentials"_s,        u"credentials/0"_s,
                                u"credentials/0/kind"_s, u"credentials/0/value"_s};
    const QStringList notSecret = {QString(), u"user"_s, u"user/name"_s, u"plain"_s, u"plain/a"_s};
    for (const QString &path : secret) {
        QVERIFY2(secretByPath.contains(path), qPrintable(path));
        QVERIFY2(secretByPath.value(path), qPrintable(path + u" should be secret"_s));
    }
    for (const QString &path : notSecret) {
        QVERIFY2(secretByPath.contains(path), qPrintable(path));
        QVERIFY2(!secretByPath.value(path), qPrintable(path + u" should not be secret"_s));
    }
    QCOMPARE(secretByPath.size(), secret.size() + notSecret.size());
}

void TestValueTree::markSecretsOnHandBuiltTree()
{
    ValueNode leaf;
    leaf.kind = ValueNode::Kind::String;
    leaf.name = u"v"_s;
    leaf.scalar = u"x"_s;

    ValueNode password;
    password.kind = ValueNode::Kind::Map;
    password.name = u"password"_s;
    password.children = {leaf};

    ValueNode other;
    other.kind = ValueNode::Kind::Map;
    other.name = u"profile"_s;
    other.children = {leaf};

    ValueNode root;
    root.kind = ValueNode::Kind::Map;
    root.children = {password, other};

    markSecrets(root);
    QVERIFY(!root.secret);
    QVERIFY(root.children.at(0).secret);
    QVERIFY(root.children.at(0).children.at(0).secret); // "v" inherits from "password"
    QVERIFY(!root.children.at(1).secret);
    QVERIFY(!root.children.at(1).children.at(0).secret);
}

void TestValueTree::toJsonMasksSecretScalars()
{
    const QByteArray raw = R"({"sid":"abc","accessToken":"at-1","pin":{"password":1234},
        "auth":{"refresh_token":["r1","r2"],"expiresIn":3600,"clientSecret":null},
        "csrfSecret":true})";
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"json"_s);
    const QJsonObject original = QJsonDocument::fromJson(raw).object();

    const QJsonObject masked = toJson(decoded.root, false).toObject();
    QCOMPARE(masked.value(u"sid"_s).toString(), u"abc"_s);
    QCOMPARE(masked.value(u"accessToken"_s).toString(), kMaskText);
    QCOMPARE(masked.value(u"pin"_s).toObject().value(u"password"_s).toString(), kMaskText);
    QCOMPARE(masked.value(u"csrfSecret"_s).toString(), kMaskText);
    const QJsonObject auth = masked.value(u"auth"_s).toObject();
    // A secret container keeps its shape; its scalars are masked.
    QVERIFY(auth.value(u"refresh_token"_s).isArray());
    QCOMPARE(auth.value(u"refresh_token"_s).toArray(), (QJsonArray{kMaskText, kMaskText}));
    QCOMPARE(auth.value(u"expiresIn"_s).toInteger(), 3600LL);
    // There is nothing to hide in a null.
    QVERIFY(auth.value(u"clientSecret"_s).isNull());
    QVERIFY(auth.contains(u"clientSecret"_s));

    const QByteArray maskedText = QJsonDocument(masked).toJson(QJsonDocument::Compact);
    for (const char *secret : {"at-1", "1234", "r1", "r2"})
        QVERIFY2(!maskedText.contains(secret), maskedText.constData());

    const QJsonObject revealed = toJson(decoded.root, true).toObject();
    QCOMPARE(revealed, original);
}

void TestValueTree::toJsonRoundTripsValuesWithoutSecrets_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::newRow("express session")
        << QByteArray(R"({"cookie":{"originalMaxAge":null,"expires":null,"secure":false,)"
                      R"("httpOnly":true,"path":"/"},"passport":{"user":7},"views":12})");
    QTest::newRow("nested arrays") << QByteArray(R"([[1,[2,[3,[]]]],{"a":[{"b":{}}]},"s",-0.5])");
    QTest::newRow("unicode") << QByteArray(R"({"name":"Zoë ✓ 日本","emoji":"😀"})");
    QTest::newRow("escapes") << QByteArray(R"({"q":"a\"b\\c\n\u0001"})");
}

void TestValueTree::toJsonRoundTripsValuesWithoutSecrets()
{
    QFETCH(QByteArray, raw);
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"json"_s);
    const QJsonDocument expected = QJsonDocument::fromJson(raw);
    const QJsonValue masked = toJson(decoded.root, false);
    const QJsonValue revealed = toJson(decoded.root, true);
    const QJsonValue expectedValue =
        expected.isObject() ? QJsonValue(expected.object()) : QJsonValue(expected.array());
    QCOMPARE(masked, expectedValue);
    QCOMPARE(revealed, expectedValue);
}

void TestValueTree::integersStayExact_data()
{
    QTest::addColumn<qint64>("value");
    QTest::newRow("zero") << qint64(0);
    QTest::newRow("negative") << qint64(-42);
    QTest::newRow("16 digits") << qint64(8999999999999999LL);
    QTest::newRow("-2^53 + 1") << qint64(-9007199254740991LL);
    QTest::newRow("2^53") << qint64(9007199254740992LL);
    QTest::newRow("2^53 + 1") << qint64(9007199254740993LL);
    QTest::newRow("snowflake id") << qint64(1234567890123456789LL);
    QTest::newRow("int64 max") << std::numeric_limits<qint64>::max();
}

void TestValueTree::integersStayExact()
{
    QFETCH(qint64, value);
    const QByteArray raw = "{\"n\":" + QByteArray::number(value) + '}';
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"json"_s);
    const ValueNode *n = decoded.root.child(u"n");
    QVERIFY(n);
    QCOMPARE(n->kind, ValueNode::Kind::Integer);
    QCOMPARE(n->scalar.toLongLong(), value);
    QCOMPARE(toJson(decoded.root, false).toObject().value(u"n"_s).toInteger(), value);
}

void TestValueTree::invalidJsonFallsBackToText_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::newRow("unterminated object") << QByteArray(R"({"a":1)");
    QTest::newRow("not json at all") << QByteArray("{not json}");
    QTest::newRow("trailing comma") << QByteArray(R"({"a":1,})");
    QTest::newRow("unterminated array") << QByteArray("[1,2");
    QTest::newRow("leading whitespace") << QByteArray("\n  {oops");
    QTest::newRow("garbage after") << QByteArray(R"({"a":1} x)");
}

void TestValueTree::invalidJsonFallsBackToText()
{
    QFETCH(QByteArray, raw);
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"text"_s);
    QVERIFY(!decoded.warning.isEmpty());
    QCOMPARE(decoded.root.kind, ValueNode::Kind::String);
    QCOMPARE(decoded.root.scalar.toString(), QString::fromUtf8(raw));
    QVERIFY(decoded.root.children.isEmpty());
}

void TestValueTree::decodesPlainText_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::newRow("word") << QByteArray("hello");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("utf-8") << QByteArray("caf\xc3\xa9 \xe2\x9c\x93");
    QTest::newRow("lines and tabs") << QByteArray("a\tb\r\nc\n");
    QTest::newRow("json string") << QByteArray(R"("just a string")");
    QTest::newRow("json number") << QByteArray("12345");
    // `user|s:3:"ann";` is a PHP session now (tst_codecs_php); bars alone are still text.
    QTest::newRow("bars, not php") << QByteArray("user|ann|admin");
}

void TestValueTree::decodesPlainText()
{
    QFETCH(QByteArray, raw);
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"text"_s);
    QVERIFY2(decoded.warning.isEmpty(), qPrintable(decoded.warning));
    QCOMPARE(decoded.root.kind, ValueNode::Kind::String);
    QCOMPARE(decoded.root.scalar.toString(), QString::fromUtf8(raw));
    QCOMPARE(toJson(decoded.root, false).toString(), QString::fromUtf8(raw));
}

void TestValueTree::decodesBinary_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::newRow("invalid utf-8") << QByteArray("ab\xff\xfe");
    QTest::newRow("lone continuation byte") << QByteArray("\x80");
    QTest::newRow("truncated sequence") << QByteArray("caf\xc3");
    QTest::newRow("nul byte") << QByteArray("a\0b", 3);
    QTest::newRow("control character") << QByteArray("a\x01z");
    QTest::newRow("escape sequence") << QByteArray("\x1b[31mred");
    QTest::newRow("serialized java object") << QByteArray("\xac\xed\x00\x05sr\x00", 7);
    QTest::newRow("invalid json with binary") << QByteArray("{\"a\":\xff}");
}

void TestValueTree::decodesBinary()
{
    QFETCH(QByteArray, raw);
    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"binary"_s);
    QCOMPARE(decoded.root.kind, ValueNode::Kind::Bytes);
    QCOMPARE(decoded.root.scalar.toByteArray(), raw);
    // Shown as the escaped form, which maps back to the bytes.
    const QString shown = toJson(decoded.root, false).toString();
    QCOMPARE(shown, displayBytes(raw));
    QCOMPARE(unescapeBytes(shown), raw);
}

void TestValueTree::oversizedValueIsShownRawAndTruncated()
{
    // Valid JSON, so only the size can make it fall back to raw bytes.
    QByteArray raw = "{\"pad\":\"";
    raw.append(QByteArray(kMaxDecodedBytes, 'x'));
    raw.append("\"}");
    QVERIFY(raw.size() > kMaxDecodedBytes);

    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"binary"_s);
    QCOMPARE(decoded.root.kind, ValueNode::Kind::Bytes);
    QVERIFY(!decoded.warning.isEmpty());
    const QByteArray kept = decoded.root.scalar.toByteArray();
    QVERIFY(!kept.isEmpty());
    QVERIFY(kept.size() < raw.size());
    QVERIFY(raw.startsWith(kept));
    // The operator is told how large the value is.
    QVERIFY2(decoded.warning.contains(QString::number(raw.size())), qPrintable(decoded.warning));

    // A value of exactly the limit is still decoded.
    QByteArray fits = "[\"";
    fits.append(QByteArray(kMaxDecodedBytes - 4, 'y'));
    fits.append("\"]");
    QCOMPARE(fits.size(), kMaxDecodedBytes);
    const DecodedValue ok = decodeValue(fits);
    QCOMPARE(ok.encoding, u"json"_s);
    QCOMPARE(ok.root.children.size(), 1);
    QCOMPARE(ok.root.children.at(0).scalar.toString().size(), kMaxDecodedBytes - 4);
}

void TestValueTree::deepNestingDoesNotCrash_data()
{
    QTest::addColumn<int>("depth");
    QTest::addColumn<bool>("object");
    QTest::newRow("500 arrays") << 500 << false;
    QTest::newRow("500 objects") << 500 << true;
    QTest::newRow("5000 arrays") << 5000 << false;
    QTest::newRow("200000 arrays") << 200000 << false;
    QTest::newRow("200000 objects") << 200000 << true;
}

void TestValueTree::deepNestingDoesNotCrash()
{
    QFETCH(int, depth);
    QFETCH(bool, object);
    QByteArray raw;
    if (object) {
        for (int i = 0; i < depth; ++i)
            raw.append("{\"token\":");
        raw.append("1");
        raw.append(QByteArray(depth, '}'));
    } else {
        raw = QByteArray(depth, '[') + QByteArray(depth, ']');
    }

    const DecodedValue decoded = decodeValue(raw);
    if (decoded.encoding == u"json") {
        QVERIFY(decoded.warning.isEmpty());
        // The tree is as deep as the input.
        int levels = 0;
        const ValueNode *node = &decoded.root;
        while (node->isContainer() && !node->children.isEmpty()) {
            node = &node->children.at(0);
            ++levels;
        }
        QCOMPARE(levels, object ? depth : depth - 1);
        if (object) {
            QVERIFY(node->secret); // the innermost "token" and all under the first one
            QCOMPARE(node->scalar.toLongLong(), 1LL);
        }
        const QJsonValue json = toJson(decoded.root, false);
        QVERIFY(json.isArray() || json.isObject());
        QVERIFY(!findUser(decoded.root, {u"a.b.c"_s}).has_value());
    } else {
        // Too deep to decode: shown as text with an explanation, never a crash.
        QVERIFY(depth > 500);
        QCOMPARE(decoded.encoding, u"text"_s);
        QVERIFY(!decoded.warning.isEmpty());
    }
    // "token" names an object (or the root is an array): no user, and no crash getting there.
    QVERIFY(!findUserInRaw(raw, {u"token"_s}).has_value());
}

// ---------------------------------------------------------------------------------------------
// Finding the user

void TestValueTree::findsUser_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QStringList>("paths");
    QTest::addColumn<bool>("found");
    QTest::addColumn<QString>("user");

    const QStringList preset = connectRedis().userFields;

    QTest::newRow("user_id") << QByteArray(R"({"cookie":{},"user_id":"u-1"})") << preset << true
                             << u"u-1"_s;
    QTest::newRow("passport.user string")
        << QByteArray(R"({"passport":{"user":"alice@example.com"}})") << preset << true
        << u"alice@example.com"_s;
    QTest::newRow("passport.user number")
        << QByteArray(R"({"passport":{"user":42}})") << preset << true << u"42"_s;
    QTest::newRow("negative number")
        << QByteArray(R"({"user_id":-7})") << preset << true << u"-7"_s;
    QTest::newRow("first path wins")
        << QByteArray(R"({"userId":"from-userId","user_id":"from-user_id"})")
        << QStringList{u"user_id"_s, u"userId"_s} << true << u"from-user_id"_s;
    QTest::newRow("order of paths, reversed")
        << QByteArray(R"({"userId":"from-userId","user_id":"from-user_id"})")
        << QStringList{u"userId"_s, u"user_id"_s} << true << u"from-userId"_s;
    QTest::newRow("later path when first is missing")
        << QByteArray(R"({"sub":"oidc|123"})") << preset << true << u"oidc|123"_s;
    QTest::newRow("empty string is skipped")
        << QByteArray(R"({"user_id":"","passport":{"user":"p"}})") << preset << true << u"p"_s;
    QTest::newRow("object is skipped")
        << QByteArray(R"({"user_id":{"id":1},"userId":"u"})") << preset << true << u"u"_s;
    QTest::newRow("three levels") << QByteArray(R"({"a":{"b":{"c":"deep"}}})")
                                  << QStringList{u"a.b"_s, u"a.b.c"_s} << true << u"deep"_s;
    QTest::newRow("unicode") << QByteArray(R"({"user_id":"Zoë"})") << preset << true << u"Zoë"_s;
    QTest::newRow("missing") << QByteArray(R"({"cookie":{"path":"/"}})") << preset << false
                             << QString();
    QTest::newRow("no paths") << QByteArray(R"({"user_id":"x"})") << QStringList() << false
                              << QString();
    QTest::newRow("path through a string") << QByteArray(R"({"passport":"user"})")
                                           << QStringList{u"passport.user"_s} << false << QString();
    QTest::newRow("path through an array") << QByteArray(R"({"passport":[{"user":"x"}]})")
                                           << QStringList{u"passport.user"_s} << false << QString();
    QTest::newRow("boolean is not a user")
        << QByteArray(R"({"user_id":true})") << preset << false << QString();
    QTest::newRow("null is not a user")
        << QByteArray(R"({"user_id":null})") << preset << false << QString();
    QTest::newRow("nested name is not top-level")
        << QByteArray(R"({"x":{"user_id":"nested"}})") << QStringList{u"user_id"_s} << false
        << QString();
}

void TestValueTree::findsUser()
{
    QFETCH(QByteArray, raw);
    QFETCH(QStringList, paths);
    QFETCH(bool, found);
    QFETCH(QString, user);

    const DecodedValue decoded = decodeValue(raw);
    QCOMPARE(decoded.encoding, u"json"_s);
    const std::optional<QString> fromTree = findUser(decoded.root, paths);
    QCOMPARE(fromTree.has_value(), found);
    if (found)
        QCOMPARE(*fromTree, user);

    // The listing's fast paths must agree with the tree.
    const std::optional<QString> fromRaw = findUserInRaw(raw, paths);
    QCOMPARE(fromRaw.has_value(), found);
    if (found)
        QCOMPARE(*fromRaw, user);

    SessionLayout layout = connectRedis();
    layout.userFields = paths;
    QCOMPARE(extractSessionFields(raw, layout).user, found ? user : QString());
}

void TestValueTree::findUserInRawRejectsNonJson_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("text") << QByteArray("user_id=5");
    QTest::newRow("text mentioning the field") << QByteArray("\"user_id\": \"x\"");
    QTest::newRow("binary") << QByteArray("\xff\"user_id\"\x00", 11);
    // Damage after the field still yields it (see extractSessionFieldsOfTruncatedJson).
    QTest::newRow("broken before the field") << QByteArray(R"({"a":[1,{"user_id":"x")");
    QTest::newRow("array root") << QByteArray(R"([{"user_id":"x"}])");
}

void TestValueTree::findUserInRawRejectsNonJson()
{
    QFETCH(QByteArray, raw);
    QVERIFY(!findUserInRaw(raw, {u"user_id"_s}).has_value());
}

// Numeric user ids above 2^53 (Twitter/Discord snowflakes, 64-bit database keys) are common.
// Qt keeps them exactly (QJsonValue::toInteger()); going through double changes the digits.
void TestValueTree::userIdsAboveTwoPow53StayExact()
{
    const QByteArray raw = R"({"passport":{"user":1234567890123456789}})";
    const QStringList paths = {u"passport.user"_s};
    const QString expected = u"1234567890123456789"_s;

    const std::optional<QString> fromRaw = findUserInRaw(raw, paths);
    QVERIFY(fromRaw.has_value());
    QCOMPARE(*fromRaw, expected);

    SessionLayout layout = connectRedis();
    layout.userFields = paths;
    QCOMPARE(extractSessionFields(raw, layout).user, expected);

    const std::optional<QString> fromTree = findUser(decodeValue(raw).root, paths);
    QVERIFY2(fromTree.has_value(), "findUser finds no user where findUserInRaw finds one");
    QCOMPARE(*fromTree, expected);
}

void TestValueTree::timestampsFromJson_data()
{
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QDateTime>("expected"); // invalid: no timestamp

    const QDateTime noon = QDateTime(QDate(2024, 5, 1), QTime(12, 34, 56, 789), Qt::UTC);
    const QDateTime noonSeconds = QDateTime(QDate(2024, 5, 1), QTime(12, 34, 56), Qt::UTC);
    QTest::newRow("epoch milliseconds") << QJsonValue(double(noon.toMSecsSinceEpoch())) << noon;
    QTest::newRow("epoch seconds")
        << QJsonValue(double(noonSeconds.toSecsSinceEpoch())) << noonSeconds;
    QTest::newRow("epoch seconds, 1990")
        << QJsonValue(631152000.0) << QDateTime(QDate(1990, 1, 1), QTime(0, 0), Qt::UTC);
    QTest::newRow("iso with milliseconds") << QJsonValue(u"2024-05-01T12:34:56.789Z"_s) << noon;
    QTest::newRow("iso without milliseconds")
        << QJsonValue(u"2024-05-01T12:34:56Z"_s) << noonSeconds;
    QTest::newRow("iso with offset") << QJsonValue(u"2024-05-01T14:34:56.789+02:00"_s) << noon;
    QTest::newRow("zero") << QJsonValue(0) << QDateTime();
    QTest::newRow("negative") << QJsonValue(-5) << QDateTime();
    QTest::newRow("words") << QJsonValue(u"yesterday"_s) << QDateTime();
    QTest::newRow("empty string") << QJsonValue(QString()) << QDateTime();
    QTest::newRow("bool") << QJsonValue(true) << QDateTime();
    QTest::newRow("null") << QJsonValue(QJsonValue::Null) << QDateTime();
    QTest::newRow("object") << QJsonValue(QJsonObject{{u"t"_s, 1}}) << QDateTime();
    QTest::newRow("undefined") << QJsonValue(QJsonValue::Undefined) << QDateTime();
}

void TestValueTree::timestampsFromJson()
{
    QFETCH(QJsonValue, value);
    QFETCH(QDateTime, expected);
    const QDateTime result = timestampFromJson(value);
    QCOMPARE(result.isValid(), expected.isValid());
    if (expected.isValid())
        QCOMPARE(result.toMSecsSinceEpoch(), expected.toMSecsSinceEpoch());
}

void TestValueTree::extractsSessionFields()
{
    const SessionLayout layout = connectRedis();
    const QByteArray raw = R"({"cookie":{"path":"/"},"passport":{"user":"ann"},
        "createdAt":"2024-05-01T12:00:00.000Z","loginAt":"not a time","lastAccess":1714567890123,
        "userAgent":"Firefox","device":{"ip":"10.1.2.3"},"accessToken":"tok-SECRET"})";
    const SessionFields fields = extractSessionFields(raw, layout);
    QCOMPARE(fields.user, u"ann"_s);
    // "loginAt" comes first but is no timestamp, so the next field counts.
    QVERIFY(fields.startedAt.isValid());
    QCOMPARE(fields.startedAt.toMSecsSinceEpoch(),
             QDateTime(QDate(2024, 5, 1), QTime(12, 0), Qt::UTC).toMSecsSinceEpoch());
    QCOMPARE(fields.lastAccessAt.toMSecsSinceEpoch(), 1714567890123LL);
    // In the order of deviceFields, joined with " · ".
    QCOMPARE(fields.device, u"10.1.2.3 · Firefox"_s);

    // The user found by the tree and by the fast path is the same.
    QCOMPARE(fields.user, findUser(decodeValue(raw).root, layout.userFields).value_or(QString()));

    const SessionFields none = extractSessionFields(R"({"cookie":{"path":"/"}})", layout);
    QVERIFY(none.user.isEmpty());
    QVERIFY(!none.startedAt.isValid());
    QVERIFY(!none.lastAccessAt.isValid());
    QVERIFY(none.device.isEmpty());
}

void TestValueTree::userBytesAgreesWithRead_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QStringList>("userFields");
    QTest::addColumn<int>("lookup"); // SessionFieldReader::UserLookup
    QTest::addColumn<QString>("user"); // what read() finds
    using Lookup = SessionFieldReader::UserLookup;
    const QStringList plain{u"user_id"_s, u"passport.user"_s};
    QTest::newRow("json string") << QByteArray(R"({"passport":{"user":"ann"}})") << plain
                                 << int(Lookup::Found) << u"ann"_s;
    QTest::newRow("json integer") << QByteArray(R"({"user_id":42})") << plain << int(Lookup::Found)
                                  << u"42"_s;
    QTest::newRow("json without user")
        << QByteArray(R"({"cookie":{}})") << plain << int(Lookup::None) << QString();
    QTest::newRow("empty") << QByteArray() << plain << int(Lookup::None) << QString();
    QTest::newRow("escape") << QByteArray(R"({"user_id":"\u00e9ve"})") << plain
                            << int(Lookup::Unsure) << u"éve"_s;
    QTest::newRow("fraction") << QByteArray(R"({"user_id":4.5})") << plain << int(Lookup::Unsure)
                              << u"4.5"_s;
    // Not JSON: only read() decodes it.
    QTest::newRow("php session") << QByteArray(R"(user_id|s:3:"ann";)") << plain
                                 << int(Lookup::Unsure) << u"ann"_s;
    QTest::newRow("json array") << QByteArray(R"([{"user_id":"ann"}])") << plain
                                << int(Lookup::Unsure) << QString();
    // Paths with a wildcard or an index need the tree.
    QTest::newRow("wildcard path") << QByteArray(R"({"warden":{"user":{"key":[["ann"]]}}})")
                                   << QStringList{u"warden.user.*.0.0"_s, u"warden.*.key.0.0"_s}
                                   << int(Lookup::Unsure) << u"ann"_s;
    QTest::newRow("index path") << QByteArray(R"({"users":["ann","bob"]})")
                                << QStringList{u"users.1"_s} << int(Lookup::Unsure) << u"bob"_s;
}

// The listings' fast path finds the same user as read(), or leaves the value to read().
void TestValueTree::userBytesAgreesWithRead()
{
    QFETCH(QByteArray, raw);
    QFETCH(QStringList, userFields);
    QFETCH(int, lookup);
    QFETCH(QString, user);
    SessionLayout layout = connectRedis();
    layout.userFields = userFields;
    const SessionFieldReader reader(layout);
    QCOMPARE(reader.read(raw, true).user, user);
    QByteArrayView found;
    QCOMPARE(int(reader.userBytes(raw, &found)), lookup);
    if (lookup == int(SessionFieldReader::UserLookup::Found))
        QCOMPARE(QString::fromUtf8(found), user);
}

void TestValueTree::extractSessionFieldsOfNonJson_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("text") << QByteArray("user_id=ann; lastAccess=1");
    QTest::newRow("binary") << QByteArray("\xff{\"user_id\":\"ann\"}");
    QTest::newRow("broken before the user") << QByteArray(R"({"cookie":{"path":"/",)");
    QTest::newRow("array") << QByteArray(R"([{"user_id":"ann"}])");
}

void TestValueTree::extractSessionFieldsOfTruncatedJson()
{
    // Listing reads what it can of a damaged value, so that a truncated session still shows
    // (and is revoked with) its user; fields after the damage stay empty.
    const SessionFields fields =
        extractSessionFields(R"({"user_id":"ann","lastAccess":)", connectRedis());
    QCOMPARE(fields.user, QStringLiteral("ann"));
    QVERIFY(!fields.lastAccessAt.isValid());
}

void TestValueTree::scanJsonPath_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<int>("result");
    QTest::addColumn<QJsonValue>("value");
    const int found = int(JsonScan::Found), missing = int(JsonScan::Missing),
              unsure = int(JsonScan::Unsure);
    QTest::newRow("top-level string") << QByteArray(R"({"a":1,"user_id":"ann"})")
                                      << QByteArray("user_id") << found << QJsonValue(u"ann"_s);
    QTest::newRow("nested number") << QByteArray(R"( { "passport" : { "user" : 42 } } )")
                                   << QByteArray("passport.user") << found << QJsonValue(42);
    QTest::newRow("skips tricky values")
        << QByteArray(R"({"x":"}{][,\"","y":[{"user":1},"]"],"z":{"user":2},"user":3})")
        << QByteArray("user") << found << QJsonValue(3);
    QTest::newRow("nested key is not a top-level key")
        << QByteArray(R"({"z":{"user":2}})") << QByteArray("user") << missing << QJsonValue();
    QTest::newRow("object at the end of the path")
        << QByteArray(R"({"user":{"id":1}})") << QByteArray("user") << missing << QJsonValue();
    QTest::newRow("path through a scalar")
        << QByteArray(R"({"passport":"x"})") << QByteArray("passport.user") << missing
        << QJsonValue();
    QTest::newRow("booleans and null")
        << QByteArray(R"({"a":true,"b":null})") << QByteArray("a") << found << QJsonValue(true);
    QTest::newRow("double") << QByteArray(R"({"t":1.5e3})") << QByteArray("t") << found
                            << QJsonValue(1500.0);
    QTest::newRow("escaped value")
        << QByteArray(R"({"user":"a\"b"})") << QByteArray("user") << unsure << QJsonValue();
    QTest::newRow("escaped key") << QByteArray(R"({"us\u0065r":"a"})") << QByteArray("user")
                                 << unsure << QJsonValue();
    QTest::newRow("not an object")
        << QByteArray("[1]") << QByteArray("user") << unsure << QJsonValue();
    QTest::newRow("garbage token")
        << QByteArray(R"({"user":nope})") << QByteArray("user") << unsure << QJsonValue();
}

void TestValueTree::scanJsonPath()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, path);
    QFETCH(int, result);
    QFETCH(QJsonValue, value);
    QJsonValue out;
    QCOMPARE(int(SessionDesk::scanJsonPath(json, path.split('.'), &out)), result);
    if (result == int(JsonScan::Found))
        QCOMPARE(out, value);
}

void TestValueTree::extractSessionFieldsWithEscapesFallsBackToParser()
{
    const SessionFields fields = extractSessionFields(
        R"({"note":"a \"quoted\" word","user_id":"b\u00e9a","device":{"ip":"203.0.113.9"}})",
        connectRedis());
    QCOMPARE(fields.user, QStringLiteral("béa"));
    QCOMPARE(fields.device, QStringLiteral("203.0.113.9"));
}

void TestValueTree::extractSessionFieldsOfNonJson()
{
    QFETCH(QByteArray, raw);
    const SessionFields fields = extractSessionFields(raw, connectRedis());
    QVERIFY(fields.user.isEmpty());
    QVERIFY(!fields.startedAt.isValid());
    QVERIFY(!fields.lastAccessAt.isValid());
    QVERIFY(fields.device.isEmpty());
}

// ---------------------------------------------------------------------------------------------
// displayBytes / unescapeBytes

void TestValueTree::displayBytesRoundTrip_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("plain"); // shown unchanged

    QTest::newRow("empty") << QByteArray() << true;
    QTest::newRow("ascii") << QByteArray("abcDEF-_.~:123") << true;
    QTest::newRow("express sid") << QByteArray("k3yqZ0_Vh1pS-aXb2cD4eF5gH6iJ7kL8") << true;
    QTest::newRow("utf-8") << QByteArray("caf\xc3\xa9") << true;
    QTest::newRow("utf-8 4-byte") << QByteArray("\xf0\x9f\x98\x80 smile") << true;
    QTest::newRow("looks like an escape") << QByteArray("x41") << true;
    QTest::newRow("nul") << QByteArray("a\0b", 3) << false;
    QTest::newRow("0xff") << QByteArray("ab\xff") << false;
    QTest::newRow("only 0x00 and 0xff") << QByteArray("\x00\xff", 2) << false;
    QTest::newRow("backslash") << QByteArray("a\\b") << false;
    QTest::newRow("trailing backslash") << QByteArray("ab\\") << false;
    QTest::newRow("literal escape text") << QByteArray("\\x41\\\\") << false;
    QTest::newRow("backslash and utf-8") << QByteArray("caf\xc3\xa9\\") << false;
    QTest::newRow("newline") << QByteArray("a\nb") << false;
    QTest::newRow("tab") << QByteArray("a\tb") << false;
    QTest::newRow("delete") << QByteArray("a\x7f") << false;
    QTest::newRow("utf-8 and invalid") << QByteArray("\xc3\xa9\xff") << false;
    QTest::newRow("encoded surrogate") << QByteArray("\xed\xa0\x80") << false;
    QTest::newRow("replacement character") << QByteArray("\xef\xbf\xbd") << false;
    QTest::newRow("right-to-left override") << QByteArray("ab\xe2\x80\xae"
                                                          "cd")
                                            << false;
    QTest::newRow("isolate") << QByteArray("\xe2\x81\xa6x") << false;
}

void TestValueTree::displayBytesRoundTrip()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, plain);

    const QString shown = displayBytes(bytes);
    QCOMPARE(unescapeBytes(shown), bytes);
    if (plain) {
        QCOMPARE(shown, QString::fromUtf8(bytes));
    } else {
        QVERIFY(shown.contains(u'\\'));
        // The escaped form is printable ASCII only.
        for (const QChar c : shown)
            QVERIFY2(c.unicode() >= 0x20 && c.unicode() < 0x7f, qPrintable(shown));
    }
}

// A UTF-8 byte order mark is bytes like any other in a key or session id: whether it is shown
// escaped or as U+FEFF, pasting the shown text back must give the same bytes.
void TestValueTree::displayBytesKeepsLeadingByteOrderMark()
{
    const QByteArray id = "\xef\xbb\xbf"
                          "abc";
    const QString shown = displayBytes(id);
    QCOMPARE(unescapeBytes(shown), id);
    QVERIFY(shown != u"abc"_s);
    QCOMPARE(resolveSessionReference(shown, connectRedis()).id, id);
}

void TestValueTree::displayBytesFormat_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("shown");
    QTest::newRow("0xff") << QByteArray("ab\xff") << u"ab\\xff"_s;
    QTest::newRow("nul") << QByteArray("\0", 1) << u"\\x00"_s;
    QTest::newRow("newline") << QByteArray("a\nb") << u"a\\x0ab"_s;
    QTest::newRow("backslash") << QByteArray("a\\b") << u"a\\\\b"_s;
    QTest::newRow("utf-8 next to invalid") << QByteArray("\xc3\xa9\xff") << u"\\xc3\\xa9\\xff"_s;
}

void TestValueTree::displayBytesFormat()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, shown);
    QCOMPARE(displayBytes(bytes), shown);
}

void TestValueTree::unescapeBytesLeavesPlainTextAlone_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("ascii") << u"hello"_s << QByteArray("hello");
    QTest::newRow("utf-8") << u"café"_s << QByteArray("caf\xc3\xa9");
    QTest::newRow("upper-case hex") << u"a\\xFFb"_s
                                    << QByteArray("a\xff"
                                                  "b");
    QTest::newRow("not hex") << u"\\xzz"_s << QByteArray("\\xzz");
    QTest::newRow("lone backslash at end") << u"ab\\"_s << QByteArray("ab\\");
    QTest::newRow("truncated escape") << u"ab\\x4"_s << QByteArray("ab\\x4");
}

void TestValueTree::unescapeBytesLeavesPlainTextAlone()
{
    QFETCH(QString, text);
    QFETCH(QByteArray, bytes);
    QCOMPARE(unescapeBytes(text), bytes);
}

void TestValueTree::displayBytesRoundTripsEveryByte()
{
    QByteArray all;
    for (int i = 0; i < 256; ++i)
        all.append(char(i));
    QCOMPARE(unescapeBytes(displayBytes(all)), all);
    for (int i = 0; i < 256; ++i) {
        const QByteArray one(1, char(i));
        QCOMPARE(unescapeBytes(displayBytes(one)), one);
        const QByteArray framed = "<" + one + ">";
        QCOMPARE(unescapeBytes(displayBytes(framed)), framed);
    }
}

void TestValueTree::displayTextShowsWhatATerminalWouldObey_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("keepLineBreaks");
    QTest::addColumn<QString>("shown");

    const QString same; // shown unchanged
    QTest::newRow("plain") << QStringLiteral("alice@example.org") << false << same;
    QTest::newRow("backslash") << QStringLiteral("CORP\\alice") << false << same;
    QTest::newRow("accents, CJK, emoji")
        << QStringLiteral("ren\u00e9e \u4e2d \U0001F600") << false << same;
    QTest::newRow("arabic and hebrew letters")
        << QStringLiteral("\u0633\u0644\u0627\u05e9") << false << same;
    QTest::newRow("escape sequence") << QStringLiteral("m\u001b[31mRED\u001b[0m") << false
                                     << QStringLiteral("m\\x1b[31mRED\\x1b[0m");
    QTest::newRow("bell, CR, LF, tab") << QStringLiteral("a\u0007b\r\nc\td") << false
                                       << QStringLiteral("a\\x07b\\x0d\\x0ac\\x09d");
    QTest::newRow("line breaks kept")
        << QStringLiteral("a\r\nb\tc") << true << QStringLiteral("a\\x0d\nb\tc");
    QTest::newRow("nul and delete")
        << QString::fromUtf16(u"a\u0000b\u007f", 4) << false << QStringLiteral("a\\x00b\\x7f");
    QTest::newRow("C1 control (8-bit CSI)")
        << QStringLiteral("a\u009b2J") << false << QStringLiteral("a\\u009b2J");
    QTest::newRow("right-to-left override")
        << QStringLiteral("admin\u202egnp.exe") << false << QStringLiteral("admin\\u202egnp.exe");
    QTest::newRow("isolates and marks") << QStringLiteral("\u2066x\u2069\u200e\u200f\u061c") << true
                                        << QStringLiteral("\\u2066x\\u2069\\u200e\\u200f\\u061c");
    QTest::newRow("line separator")
        << QStringLiteral("a\u2028b") << true << QStringLiteral("a\\u2028b");
}

void TestValueTree::displayTextShowsWhatATerminalWouldObey()
{
    QFETCH(QString, text);
    QFETCH(bool, keepLineBreaks);
    QFETCH(QString, shown);
    const QString expected = shown.isNull() ? text : shown;
    QCOMPARE(displayText(text, keepLineBreaks ? LineBreaks::Keep : LineBreaks::Escape), expected);
}

// ---------------------------------------------------------------------------------------------
// sessionlookup

void TestValueTree::resolvesReferences_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QByteArray>("id");
    QTest::addColumn<SessionReference::Source>("source");

    using Source = SessionReference::Source;
    const QByteArray sid = "k3yqZ0_Vh1pS-aXb2cD4eF5gH6iJ7kL8";
    const QString sidText = QString::fromLatin1(sid);
    // A realistic signature: base64 of an HMAC without padding, which can contain '+' and '/'.
    const QString sig = u"pQ+7t/Lm9v0Xw2yZ3aB4cD5eF6gH7iJ8kL9mN0oP1qR"_s;
    const QString sigEncoded = u"pQ%2B7t%2FLm9v0Xw2yZ3aB4cD5eF6gH7iJ8kL9mN0oP1qR"_s;

    QTest::newRow("raw id") << sidText << sid << Source::SessionId;
    QTest::newRow("raw id with whitespace")
        << QString(u"  "_s + sidText + u"\n"_s) << sid << Source::SessionId;
    QTest::newRow("session key") << QString(u"sess:"_s + sidText) << sid << Source::Key;
    QTest::newRow("prefix alone is an id")
        << u"sess:"_s << QByteArray("sess:") << Source::SessionId;
    QTest::newRow("signed cookie value")
        << QString(u"s:"_s + sidText + u'.' + sig) << sid << Source::Cookie;
    QTest::newRow("url-encoded signed cookie value")
        << QString(u"s%3A"_s + sidText + u'.' + sigEncoded) << sid << Source::Cookie;
    QTest::newRow("url-encoded, lower-case escape")
        << QString(u"s%3a"_s + sidText + u'.' + sigEncoded) << sid << Source::Cookie;
    QTest::newRow("name=value") << QString(u"connect.sid=s%3A"_s + sidText + u'.' + sigEncoded)
                                << sid << Source::Cookie;
    QTest::newRow("name=value, not url-encoded")
        << QString(u"connect.sid=s:"_s + sidText + u'.' + sig) << sid << Source::Cookie;
    QTest::newRow("cookie header")
        << QString(u"Cookie: a=1; connect.sid=s%3A"_s + sidText + u'.' + sigEncoded + u"; b=2"_s)
        << sid << Source::Cookie;
    QTest::newRow("cookie header, lower case, first pair")
        << QString(u"cookie: connect.sid=s%3A"_s + sidText + u'.' + sigEncoded + u"; theme=dark"_s)
        << sid << Source::Cookie;
    QTest::newRow("cookie pairs without header name")
        << QString(u"_ga=GA1.2.3.4; connect.sid=s%3A"_s + sidText + u'.' + sigEncoded) << sid
        << Source::Cookie;
    QTest::newRow("displayed id with \\xff") << u"ab\\xffcd"_s
                                             << QByteArray("ab\xff"
                                                           "cd")
                                             << Source::SessionId;
    QTest::newRow("displayed key with \\x00")
        << u"sess:a\\x00b"_s << QByteArray("a\0b", 3) << Source::Key;
    QTest::newRow("displayed id with backslash")
        << u"a\\\\b"_s << QByteArray("a\\b") << Source::SessionId;
    QTest::newRow("utf-8 id") << u"sitzung-ü"_s << QByteArray("sitzung-\xc3\xbc")
                              << Source::SessionId;
}

void TestValueTree::resolvesReferences()
{
    QFETCH(QString, input);
    QFETCH(QByteArray, id);
    QFETCH(SessionReference::Source, source);

    const SessionReference ref = resolveSessionReference(input, connectRedis());
    QCOMPARE(ref.id, id);
    QCOMPARE(ref.source, source);
}

void TestValueTree::resolveWithCustomLayout()
{
    SessionLayout layout = connectRedis();
    layout.keyPrefix = "myapp:sess:";
    layout.cookieNames = {u"sid"_s};

    // Only the layout's cookie counts, even when another signed session cookie comes first.
    const SessionReference fromHeader =
        resolveSessionReference(u"Cookie: connect.sid=s%3Aother.sig1; sid=s%3Amine.sig2"_s, layout);
    QCOMPARE(fromHeader.id, QByteArray("mine"));
    QCOMPARE(fromHeader.source, SessionReference::Source::Cookie);

    const SessionReference fromKey = resolveSessionReference(u"myapp:sess:abc"_s, layout);
    QCOMPARE(fromKey.id, QByteArray("abc"));
    QCOMPARE(fromKey.source, SessionReference::Source::Key);

    // The connect-redis prefix means nothing to this layout.
    const SessionReference foreign = resolveSessionReference(u"sess:abc"_s, layout);
    QCOMPARE(foreign.id, QByteArray("sess:abc"));
    QCOMPARE(foreign.source, SessionReference::Source::SessionId);
}

void TestValueTree::resolvesDisplayedIdsOfEveryByte()
{
    // Whatever the listing showed for an id, pasting it back finds the same id.
    const SessionLayout layout = connectRedis();
    for (int i = 0; i < 256; ++i) {
        const QByteArray id = "id" + QByteArray(1, char(i)) + "x";
        if (id.contains('=') || id.contains(';'))
            continue; // look like cookie syntax on purpose
        const SessionReference asId = resolveSessionReference(displayBytes(id), layout);
        QVERIFY2(asId.id == id, qPrintable(displayBytes(id)));
        const SessionReference asKey =
            resolveSessionReference(displayBytes(layout.keyForId(id)), layout);
        QVERIFY2(asKey.id == id, qPrintable(displayBytes(layout.keyForId(id))));
        QCOMPARE(asKey.source, SessionReference::Source::Key);
    }
}

void TestValueTree::describeNamesTheSource()
{
    const SessionLayout layout = connectRedis();
    SessionReference ref;
    ref.source = SessionReference::Source::Cookie;
    QVERIFY(ref.describe(layout).contains(u"connect.sid"_s));
    ref.source = SessionReference::Source::Key;
    const QString key = ref.describe(layout);
    ref.source = SessionReference::Source::SessionId;
    const QString id = ref.describe(layout);
    QVERIFY(!key.isEmpty());
    QVERIFY(!id.isEmpty());
    QVERIFY(key != id);
    QVERIFY(!key.contains(u"connect.sid"_s));
}

QTEST_GUILESS_MAIN(TestValueTree)
#include "tst_valuetree.moc"
