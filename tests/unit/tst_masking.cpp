// Masking by value shape (JWTs, bearer tokens, password hashes, long random tokens), the
// MaskingRules that extend or narrow it, and the --mask-field / --no-mask-field options.

#include "codectesting.h"
#include "storeoptions.h"

#include <QSettings>
#include <QTemporaryDir>

using namespace Qt::StringLiterals;
using namespace SessionDesk;
using namespace CodecTesting;

namespace {

const QString kJwt = u"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                     "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
                     "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"_s;

ValueNode stringNode(const QString &name, const QString &value)
{
    ValueNode node;
    node.name = name;
    node.kind = ValueNode::Kind::String;
    node.scalar = value;
    return node;
}

ValueNode mapOf(const QList<ValueNode> &children, const QString &name = {})
{
    ValueNode node;
    node.name = name;
    node.kind = ValueNode::Kind::Map;
    node.children = children;
    return node;
}

// Restores the process-wide rules whatever a test does.
struct RulesGuard
{
    MaskingRules saved = maskingRules();
    ~RulesGuard() { setMaskingRules(saved); }
};

} // namespace

class TestMasking final : public QObject
{
    Q_OBJECT

private slots:
    void secretShapes_data();
    void secretShapes();
    void harmlessShapes_data();
    void harmlessShapes();
    void shapeMasksWhateverTheName();
    void bareTokenValueIsMasked();
    void extraSecretNames();
    void namesNeverToMask();
    void neverMaskInsideSecretParent();
    void shapeDetectionCanBeTurnedOff();
    void processRulesReachDecodeValue();
    void storeOptionsReadMaskFlags();
    void storeOptionsRefuseContradiction();
    void storeOptionsMaskFlagsWithProfile();
};

void TestMasking::secretShapes_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("JWT (HS256)") << kJwt;
    QTest::newRow("JWE (five parts)")
        << u"eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDbSv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaVmqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je81860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ"_s;
    QTest::newRow("Bearer") << u"Bearer abcdef0123456789"_s;
    QTest::newRow("bearer, lower case") << u"bearer mF_9.B5f-4.1JqM"_s;
    QTest::newRow("Basic") << u"Basic dXNlcjpzM2NyZXQ="_s;
    QTest::newRow("bcrypt hash")
        << u"$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"_s;
    QTest::newRow("Devise salt (bcrypt prefix)") << u"$2a$12$K8yH1v5nVqz3bq9Q1wQeXe"_s;
    QTest::newRow("argon2id")
        << u"$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"_s;
    QTest::newRow("sha512-crypt") << u"$6$rounds=5000$usesomesillystri$D4IrlXatmP7rx3P3"_s;
    QTest::newRow("Django pbkdf2")
        << u"pbkdf2_sha256$600000$aBcDeFgHiJkL$Zm9vYmFyYmF6cXV4cXV1eHh5enp5MTIzNDU2Nzg5MA="_s;
    QTest::newRow("32 hex (Rails session id)") << u"3f1c9a7be2d04c5f8a6b1e0d9c7f2a41"_s;
    QTest::newRow("40 hex (SHA-1)") << u"5f2c8e1a9b7d3f6e0a4c8b2d6f1e9a3c7b5d0e8f"_s;
    QTest::newRow("64 hex, upper case")
        << u"B4D2E6F8A0C1E3F5A7B9C0D2E4F6A8B0C1D3E5F7A9B0C2D4E6F8A0B1C3D5E7F9"_s;
    QTest::newRow("base64 CSRF token") << u"q9WnT2xV8r3LkZ1mB7cY4uH6jD0sF5aE2gP8oN1iR3w="_s;
    QTest::newRow("base64url 32 bytes") << u"Xy3_kP9-qL2mN8vB4cR7tW1zA6sD0fG5hJ"_s;
    QTest::newRow("AWS-style secret key") << u"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"_s;
    QTest::newRow("prefixed hex key") << u"sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"_s;
    QTest::newRow("GitHub token") << u"ghp_16C7e42F292c6912E7710c838347Ae178B4a"_s;
    QTest::newRow("surrounding blanks") << u"  3f1c9a7be2d04c5f8a6b1e0d9c7f2a41\n"_s;
}

void TestMasking::secretShapes()
{
    QFETCH(QString, text);
    QVERIFY(looksLikeSecretValue(text));
}

void TestMasking::harmlessShapes_data()
{
    QTest::addColumn<QString>("text");
    for (const QString &text :
         {u"2024-05-01T12:34:56.789Z"_s, u"2024-05-01T12:34:56.123456789+02:00"_s, u"2024-05-01"_s,
          u"20240501123456"_s, u"1700000000123"_s, u"550e8400-e29b-41d4-a716-446655440000"_s,
          u"550E8400-E29B-41D4-A716-446655440000"_s, u"ada.lovelace@example.com"_s,
          u"ADA_LOVELACE+sessions@example.co.uk"_s, u"https://example.com/orders/5?page=2"_s,
          u"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"_s,
          u"ActiveSupport::HashWithIndifferentAccess"_s,
          u"django.contrib.auth.backends.ModelBackend"_s, u"accessTokenExpiresAtTimestamp"_s,
          u"camelCaseIdentifierWithNumbers123"_s, u"12345678901234567890123456789012"_s,
          u"deadbeefcafebabe"_s, u"00000000000000000000000000000000"_s,
          u"The quick brown fox jumps over the lazy dog"_s, u"application/x-www-form-urlencoded"_s,
          u"/var/lib/app/sessions/index"_s, u"Signed in successfully."_s,
          u"user_profile_settings_page"_s, u"Bearer"_s, u"Bearer x"_s, u"SGVsbG8gV29ybGQ="_s,
          QString(), u"$2a$12$short"_s, u"not.a.jwt.at.all"_s, u"abc.def.ghi"_s,
          // Three base64url parts whose header is not JSON with "alg".
          u"eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln"_s})
        QTest::newRow(qPrintable(text.left(40))) << text;
}

void TestMasking::harmlessShapes()
{
    QFETCH(QString, text);
    QVERIFY(!looksLikeSecretValue(text));
}

void TestMasking::shapeMasksWhateverTheName()
{
    ValueNode root = mapOf({stringNode(u"note"_s, kJwt), stringNode(u"email"_s, u"a@b.c"_s),
                            stringNode(u"when"_s, u"2024-05-01T12:34:56Z"_s),
                            stringNode(u"header"_s, u"Bearer abcdef0123456789"_s)});
    markSecrets(root, MaskingRules());
    QVERIFY(root.child(u"note")->secret);
    QVERIFY(!root.child(u"email")->secret);
    QVERIFY(!root.child(u"when")->secret);
    QVERIFY(root.child(u"header")->secret);
    const QByteArray masked = json(root, false);
    QVERIFY2(!masked.contains("eyJhbGci"), masked.constData());
    QVERIFY2(masked.contains(kMaskText.toUtf8()), masked.constData());
    QVERIFY(json(root, true).contains("eyJhbGci"));

    // Bytes are judged by how they are shown.
    ValueNode bytes = mapOf({stringNode(u"x"_s, QString())});
    bytes.children[0].kind = ValueNode::Kind::Bytes;
    bytes.children[0].scalar = QByteArray("3f1c9a7be2d04c5f8a6b1e0d9c7f2a41");
    markSecrets(bytes, MaskingRules());
    QVERIFY(bytes.children[0].secret);
}

void TestMasking::bareTokenValueIsMasked()
{
    const DecodedValue decoded = decodeValue(kJwt.toUtf8());
    QCOMPARE(decoded.encoding, u"text"_s);
    QVERIFY(decoded.root.secret);
    QCOMPARE(toJson(decoded.root, false).toString(), kMaskText);
    QVERIFY(!decodeValue("just words").root.secret);
}

void TestMasking::extraSecretNames()
{
    ValueNode root = mapOf({stringNode(u"ssn"_s, u"123-45-6789"_s),
                            mapOf({stringNode(u"street"_s, u"1 Main St"_s)}, u"HomeAddress"_s),
                            stringNode(u"name"_s, u"Ada"_s)});
    MaskingRules rules;
    rules.extraSecretNames = {u"SSN"_s, u"homeaddress"_s};
    markSecrets(root, rules);
    QVERIFY(root.child(u"ssn")->secret);
    QVERIFY(root.child(u"HomeAddress")->children.at(0).secret); // the whole subtree
    QVERIFY(!root.child(u"name")->secret);
    // Whole names only: "ssn" does not make "lessons" secret.
    ValueNode other = mapOf({stringNode(u"lessons"_s, u"3"_s)});
    markSecrets(other, rules);
    QVERIFY(!other.child(u"lessons")->secret);
}

void TestMasking::namesNeverToMask()
{
    ValueNode root = mapOf({stringNode(u"csrf_token"_s, u"abc"_s),
                            stringNode(u"session_id"_s, u"3f1c9a7be2d04c5f8a6b1e0d9c7f2a41"_s),
                            stringNode(u"password"_s, u"hunter2"_s)});
    markSecrets(root, MaskingRules());
    QVERIFY(root.child(u"csrf_token")->secret);
    QVERIFY(root.child(u"session_id")->secret);
    MaskingRules rules;
    rules.neverMaskNames = {u"CSRF_Token"_s, u"session_id"_s};
    markSecrets(root, rules); // marking again with other rules replaces the marks
    QVERIFY(!root.child(u"csrf_token")->secret); // by name
    QVERIFY(!root.child(u"session_id")->secret); // by shape
    QVERIFY(root.child(u"password")->secret);
}

void TestMasking::neverMaskInsideSecretParent()
{
    ValueNode root =
        mapOf({mapOf({stringNode(u"username"_s, u"ada"_s), stringNode(u"password"_s, u"hunter2"_s),
                      stringNode(u"realm"_s, u"prod"_s)},
                     u"credentials"_s)});
    MaskingRules rules;
    markSecrets(root, rules);
    const ValueNode &credentials = root.children.at(0);
    QVERIFY(credentials.child(u"username")->secret);
    rules.neverMaskNames = {u"username"_s};
    markSecrets(root, rules);
    QVERIFY(!credentials.child(u"username")->secret);
    QVERIFY(credentials.child(u"password")->secret);
    QVERIFY(credentials.child(u"realm")->secret); // still inherited from "credentials"
}

void TestMasking::shapeDetectionCanBeTurnedOff()
{
    ValueNode root = mapOf({stringNode(u"note"_s, kJwt), stringNode(u"token"_s, u"x"_s)});
    MaskingRules rules;
    rules.detectValueShapes = false;
    markSecrets(root, rules);
    QVERIFY(!root.child(u"note")->secret);
    QVERIFY(root.child(u"token")->secret); // names still count
}

void TestMasking::processRulesReachDecodeValue()
{
    const RulesGuard guard;
    const QByteArray raw = R"({"ssn":"123-45-6789","csrf":"abc","note":"hello"})";
    DecodedValue decoded = decodeValue(raw);
    QVERIFY(!decoded.root.child(u"ssn")->secret);
    QVERIFY(decoded.root.child(u"csrf")->secret);
    MaskingRules rules;
    rules.extraSecretNames = {u"ssn"_s};
    rules.neverMaskNames = {u"csrf"_s};
    setMaskingRules(rules);
    QCOMPARE(maskingRules().extraSecretNames, rules.extraSecretNames);
    decoded = decodeValue(raw);
    QVERIFY(decoded.root.child(u"ssn")->secret);
    QVERIFY(!decoded.root.child(u"csrf")->secret);
    QVERIFY(!decoded.root.child(u"note")->secret);
}

void TestMasking::storeOptionsReadMaskFlags()
{
    const RulesGuard guard;
    const StoreOptions options;
    QCommandLineParser parser;
    options.addTo(parser);
    QVERIFY(parser.parse({u"prog"_s, u"--mask-field"_s, u"ssn, dob"_s, u"--mask-field"_s, u"iban"_s,
                          u"--no-mask-field"_s, u"session_id"_s}));
    const auto selection = options.read(parser);
    if (!selection)
        QFAIL(qPrintable(selection.error().message));
    QCOMPARE(selection->masking.extraSecretNames, (QStringList{u"ssn"_s, u"dob"_s, u"iban"_s}));
    QCOMPARE(selection->masking.neverMaskNames, QStringList{u"session_id"_s});
    QVERIFY(selection->masking.detectValueShapes);
    // Installed for the whole process: every value either front end decodes follows them.
    QCOMPARE(maskingRules().extraSecretNames, selection->masking.extraSecretNames);
    const DecodedValue decoded = decodeValue(R"({"iban":"DE89370400440532013000"})");
    QVERIFY(decoded.root.child(u"iban")->secret);
}

void TestMasking::storeOptionsRefuseContradiction()
{
    const RulesGuard guard;
    const StoreOptions options;
    QCommandLineParser parser;
    options.addTo(parser);
    QVERIFY(
        parser.parse({u"prog"_s, u"--mask-field"_s, u"Token"_s, u"--no-mask-field"_s, u"token"_s}));
    const auto selection = options.read(parser);
    QVERIFY(!selection.has_value());
    QCOMPARE(selection.error().code, StorageError::Code::InvalidArgument);
    QCOMPARE(selection.error().message,
             u"\"Token\" is given to both --mask-field and --no-mask-field."_s);
}

void TestMasking::storeOptionsMaskFlagsWithProfile()
{
    // A saved connection is the whole store definition, but what to mask is the viewer's choice:
    // the masking options may be added to --profile.
    const RulesGuard guard;
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString settingsFile = dir.filePath(u"sessiondesk.ini"_s);
    {
        QSettings settings(settingsFile, QSettings::IniFormat);
        ConnectionProfile profile;
        profile.name = u"prod"_s;
        profile.url = u"redis://127.0.0.1:6379/2"_s;
        ConnectionProfile::save(settings, {profile});
    }
    const StoreOptions options;
    QCommandLineParser parser;
    options.addTo(parser);
    QVERIFY(parser.parse({u"prog"_s, u"--profile"_s, u"prod"_s, u"--settings"_s, settingsFile,
                          u"--mask-field"_s, u"iban"_s, u"--no-mask-field"_s, u"csrf"_s}));
    const auto selection = options.read(parser);
    if (!selection)
        QFAIL(qPrintable(selection.error().message));
    QVERIFY(selection->profile.has_value());
    QCOMPARE(selection->masking.extraSecretNames, QStringList{u"iban"_s});
    QCOMPARE(maskingRules().neverMaskNames, QStringList{u"csrf"_s});

    QCommandLineParser contradicting;
    options.addTo(contradicting);
    QVERIFY(
        contradicting.parse({u"prog"_s, u"--profile"_s, u"prod"_s, u"--settings"_s, settingsFile,
                             u"--mask-field"_s, u"a"_s, u"--no-mask-field"_s, u"A"_s}));
    QVERIFY(!options.read(contradicting).has_value());
}

QTEST_GUILESS_MAIN(TestMasking)
#include "tst_masking.moc"
