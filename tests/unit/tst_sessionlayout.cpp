// Unit tests for SessionLayout: presets, key <-> id mapping, SCAN MATCH patterns (checked with a
// matcher that follows Redis' glob rules), the per-user index and validate(); the framework
// presets against the recorded fixtures (tests/fixtures/sessions/): keys, bookkeeping keys,
// value encodings and cookie -> key mappings; layout files and their errors.

#include "sessionlayout.h"
#include "sessionlookup.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <optional>

using namespace Qt::StringLiterals;
using SessionDesk::SessionLayout;
using SessionDesk::StorageError;

namespace {

// Redis' stringmatchlen() rules: * ? [abc] [^a-z] and \ escaping any character.
bool globMatch(QByteArrayView pattern, QByteArrayView text)
{
    while (!pattern.isEmpty()) {
        switch (pattern.front()) {
        case '*': {
            while (pattern.size() > 1 && pattern.at(1) == '*')
                pattern = pattern.sliced(1);
            if (pattern.size() == 1)
                return true;
            for (qsizetype i = 0; i <= text.size(); ++i) {
                if (globMatch(pattern.sliced(1), text.sliced(i)))
                    return true;
            }
            return false;
        }
        case '?':
            if (text.isEmpty())
                return false;
            text = text.sliced(1);
            pattern = pattern.sliced(1);
            break;
        case '[': {
            if (text.isEmpty())
                return false;
            qsizetype i = 1;
            const bool negate = i < pattern.size() && pattern.at(i) == '^';
            if (negate)
                ++i;
            bool matched = false;
            while (i < pattern.size() && pattern.at(i) != ']') {
                if (pattern.at(i) == '\\' && i + 1 < pattern.size()) {
                    ++i;
                    matched |= pattern.at(i) == text.front();
                } else if (i + 2 < pattern.size() && pattern.at(i + 1) == '-') {
                    char lo = pattern.at(i), hi = pattern.at(i + 2);
                    if (lo > hi)
                        std::swap(lo, hi);
                    matched |= text.front() >= lo && text.front() <= hi;
                    i += 2;
                } else {
                    matched |= pattern.at(i) == text.front();
                }
                ++i;
            }
            if (matched == negate)
                return false;
            pattern = pattern.sliced(std::min(i + 1, pattern.size()));
            text = text.sliced(1);
            break;
        }
        case '\\':
            if (pattern.size() >= 2)
                pattern = pattern.sliced(1);
            [[fallthrough]];
        default:
            if (text.isEmpty() || text.front() != pattern.front())
                return false;
            text = text.sliced(1);
            pattern = pattern.sliced(1);
            break;
        }
    }
    return text.isEmpty();
}

SessionLayout connectRedis()
{
    auto layout = SessionLayout::preset(u"connect-redis"_s);
    Q_ASSERT(layout.has_value());
    return *layout;
}

SessionLayout presetNamed(const QString &name)
{
    auto layout = SessionLayout::preset(name);
    Q_ASSERT(layout.has_value());
    return *layout;
}

QJsonObject fixture(const QString &name)
{
    QFile file(QStringLiteral(FIXTURES_DIR "/") + name + u".json"_s);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

// The preset each recorded framework is kept by.
const QList<QPair<QString, QString>> kFixturePresets = {
    {u"express"_s, u"connect-redis"_s},
    {u"rack"_s, u"rack"_s},
    {u"rails"_s, u"rails"_s},
    {u"php"_s, u"phpredis"_s},
    {u"php-serialize"_s, u"phpredis"_s},
    {u"flask"_s, u"flask-session"_s},
    {u"django"_s, u"django-redis-sessions"_s},
    {u"django-cache"_s, u"django-cache"_s},
};

} // namespace

class TestSessionLayout final : public QObject
{
    Q_OBJECT

private slots:
    void globMatcherSelfCheck();
    void preset_data();
    void preset();
    void unknownPresetListsKnownNames_data();
    void unknownPresetListsKnownNames();
    void presetNamesAllResolve();
    void idFromKey_data();
    void idFromKey();
    void keyForIdRoundTrips();
    void globEscape_data();
    void globEscape();
    void scanPatternSelectsExactlyThePrefix_data();
    void scanPatternSelectsExactlyThePrefix();
    void userIndexRoundTrip_data();
    void userIndexRoundTrip();
    void userFromIndexKeyRejectsOtherKeys_data();
    void userFromIndexKeyRejectsOtherKeys();
    void validate_data();
    void validate();

    // Framework presets
    void globMatchFollowsRedis();
    void frameworkPresets_data();
    void frameworkPresets();
    void fixtureKeysAreSessionsOfTheirPreset_data();
    void fixtureKeysAreSessionsOfTheirPreset();
    void fixtureValuesClassify_data();
    void fixtureValuesClassify();
    void bookkeepingKeysAreNotSessions_data();
    void bookkeepingKeysAreNotSessions();
    void djangoKeysNeedTheirShape();
    void rackPublicIdsHashToTheStoredId();
    void cookiesOfEveryFrameworkFindTheirKey_data();
    void cookiesOfEveryFrameworkFindTheirKey();
    void springCookieIsBase64OfTheId();
    void flaskCookieDropsItsSignature();
    void cookieDescriptionNamesFrameworkAndCookie();
    void expandTemplate();

    // Layout files
    void layoutFileOverridesItsBase();
    void layoutFileGivesDynamoDbAttributes();
    void layoutFileErrorsNameThePath_data();
    void layoutFileErrorsNameThePath();
    void layoutFileThatCannotBeRead();
};

void TestSessionLayout::globMatcherSelfCheck()
{
    // The helper itself, so that the pattern tests below mean something.
    QVERIFY(globMatch("sess:*", "sess:abc"));
    QVERIFY(globMatch("sess:*", "sess:"));
    QVERIFY(!globMatch("sess:*", "sesx:abc"));
    QVERIFY(globMatch("a?c", "abc"));
    QVERIFY(!globMatch("a?c", "ac"));
    QVERIFY(globMatch("a[xb]c", "abc"));
    QVERIFY(globMatch("a[^x]c", "abc"));
    QVERIFY(!globMatch("a[^b]c", "abc"));
    QVERIFY(globMatch("a[a-c]c", "abc"));
    QVERIFY(globMatch("a\\*c", "a*c"));
    QVERIFY(!globMatch("a\\*c", "abc"));
    QVERIFY(globMatch("a*c", "abbbc"));
    QVERIFY(!globMatch("a*c", "abbbd"));
}

void TestSessionLayout::preset_data()
{
    QTest::addColumn<QString>("name");
    QTest::newRow("connect-redis") << u"connect-redis"_s;
    QTest::newRow("express alias") << u"express"_s;
    QTest::newRow("express-session alias") << u"express-session"_s;
    QTest::newRow("case-insensitive") << u"Connect-Redis"_s;
    QTest::newRow("surrounding blanks") << u"  EXPRESS "_s;
}

void TestSessionLayout::preset()
{
    QFETCH(QString, name);
    const auto layout = SessionLayout::preset(name);
    QVERIFY2(layout.has_value(), qPrintable(layout ? QString() : layout.error().message));
    QCOMPARE(layout->schema, u"connect-redis"_s);
    QVERIFY(!layout->description.isEmpty());
    QCOMPARE(layout->keyPrefix, QByteArray("sess:"));
    QCOMPARE(layout->cookieName(), u"connect.sid"_s);
    QVERIFY(layout->userFields.contains(u"user_id"_s));
    QVERIFY(layout->userFields.contains(u"passport.user"_s));
    QVERIFY(!layout->hasUserIndex());
    QVERIFY(layout->validate().has_value());
    QCOMPARE(layout->keyForId("abc"), QByteArray("sess:abc"));
}

void TestSessionLayout::unknownPresetListsKnownNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::newRow("nope") << u"nope"_s;
    QTest::newRow("empty") << QString();
    QTest::newRow("prefix of a name") << u"connect"_s;
    QTest::newRow("other framework") << u"laravel"_s;
}

void TestSessionLayout::unknownPresetListsKnownNames()
{
    QFETCH(QString, name);
    const auto layout = SessionLayout::preset(name);
    QVERIFY(!layout.has_value());
    QCOMPARE(layout.error().code, StorageError::Code::InvalidArgument);
    const QString message = layout.error().message;
    QVERIFY2(message.contains(u'"' + name + u'"'), qPrintable(message));
    const QStringList known = SessionLayout::presetNames();
    QVERIFY(!known.isEmpty());
    for (const QString &preset : known)
        QVERIFY2(message.contains(preset), qPrintable(message));
}

void TestSessionLayout::presetNamesAllResolve()
{
    const QStringList names = SessionLayout::presetNames();
    QVERIFY(names.contains(u"connect-redis"_s));
    for (const QString &name : names) {
        const auto layout = SessionLayout::preset(name);
        QVERIFY2(layout.has_value(), qPrintable(name));
        QCOMPARE(layout->schema, name);
        QVERIFY(layout->validate().has_value());
    }
}

void TestSessionLayout::idFromKey_data()
{
    QTest::addColumn<QByteArray>("prefix");
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<bool>("isSession");
    QTest::addColumn<QByteArray>("id");

    QTest::newRow("session key") << QByteArray("sess:") << QByteArray("sess:abc") << true
                                 << QByteArray("abc");
    QTest::newRow("id containing the prefix")
        << QByteArray("sess:") << QByteArray("sess:sess:x") << true << QByteArray("sess:x");
    QTest::newRow("binary id") << QByteArray("sess:") << QByteArray("sess:\x00\xff", 7) << true
                               << QByteArray("\x00\xff", 2);
    QTest::newRow("prefix only") << QByteArray("sess:") << QByteArray("sess:") << false
                                 << QByteArray();
    QTest::newRow("other prefix") << QByteArray("sess:") << QByteArray("cache:abc") << false
                                  << QByteArray();
    QTest::newRow("prefix without its colon")
        << QByteArray("sess:") << QByteArray("sessabc") << false << QByteArray();
    QTest::newRow("case differs") << QByteArray("sess:") << QByteArray("SESS:abc") << false
                                  << QByteArray();
    QTest::newRow("shorter than prefix")
        << QByteArray("sess:") << QByteArray("se") << false << QByteArray();
    QTest::newRow("empty key") << QByteArray("sess:") << QByteArray() << false << QByteArray();
    QTest::newRow("custom prefix")
        << QByteArray("myapp:s:") << QByteArray("myapp:s:42") << true << QByteArray("42");
    QTest::newRow("custom prefix, other key")
        << QByteArray("myapp:s:") << QByteArray("myapp:u:42") << false << QByteArray();
}

void TestSessionLayout::idFromKey()
{
    QFETCH(QByteArray, prefix);
    QFETCH(QByteArray, key);
    QFETCH(bool, isSession);
    QFETCH(QByteArray, id);

    SessionLayout layout = connectRedis();
    layout.keyPrefix = prefix;
    const std::optional<QByteArray> result = layout.idFromKey(key);
    QCOMPARE(result.has_value(), isSession);
    if (isSession) {
        QCOMPARE(*result, id);
        QCOMPARE(layout.keyForId(*result), key);
    }
}

void TestSessionLayout::keyForIdRoundTrips()
{
    SessionLayout layout = connectRedis();
    for (const QByteArray &prefix : {QByteArray("sess:"), QByteArray("a*b[1]?:")}) {
        layout.keyPrefix = prefix;
        for (int i = 0; i < 256; ++i) {
            const QByteArray id = "x" + QByteArray(1, char(i));
            const auto back = layout.idFromKey(layout.keyForId(id));
            QVERIFY(back.has_value());
            QCOMPARE(*back, id);
        }
    }
}

void TestSessionLayout::globEscape_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("escaped");
    QTest::newRow("plain") << QByteArray("sess:") << QByteArray("sess:");
    QTest::newRow("empty") << QByteArray() << QByteArray();
    QTest::newRow("all metacharacters") << QByteArray("a*b[1]?:") << QByteArray("a\\*b\\[1\\]\\?:");
    QTest::newRow("backslash") << QByteArray("a\\b") << QByteArray("a\\\\b");
    QTest::newRow("caret and dash are plain outside a class")
        << QByteArray("^a-b") << QByteArray("^a-b");
}

void TestSessionLayout::globEscape()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, escaped);
    const QByteArray result = SessionDesk::globEscape(text);
    QCOMPARE(result, escaped);
    // Whatever the text, the escaped pattern matches the text itself.
    QVERIFY(globMatch(result, text));
}

void TestSessionLayout::scanPatternSelectsExactlyThePrefix_data()
{
    QTest::addColumn<QByteArray>("prefix");
    QTest::addColumn<QList<QByteArray>>("inside");
    QTest::addColumn<QList<QByteArray>>("outside");

    QTest::newRow("connect-redis")
        << QByteArray("sess:") << QList<QByteArray>{"sess:a", "sess:*", "sess:\xff"}
        << QList<QByteArray>{"sess", "sesx:a", "user:sess:a", "Sess:a"};
    // Unescaped, "a*b[1]?:" would also match "aXXb1Z:..." keys of another application.
    QTest::newRow("glob characters")
        << QByteArray("a*b[1]?:") << QList<QByteArray>{"a*b[1]?:x", "a*b[1]?:"}
        << QList<QByteArray>{"ab1Z:x", "aXXb1?:x", "a*b1?:x", "a*b[1]X:x", "a*b[2]?:x"};
    QTest::newRow("backslash") << QByteArray("we\\ird:") << QList<QByteArray>{"we\\ird:1"}
                               << QList<QByteArray>{"weird:1", "we\\\\ird:1"};
}

void TestSessionLayout::scanPatternSelectsExactlyThePrefix()
{
    QFETCH(QByteArray, prefix);
    QFETCH(QList<QByteArray>, inside);
    QFETCH(QList<QByteArray>, outside);

    SessionLayout layout = connectRedis();
    layout.keyPrefix = prefix;
    const QByteArray pattern = layout.scanPattern();
    QVERIFY(pattern.endsWith('*'));
    for (const QByteArray &key : inside)
        QVERIFY2(globMatch(pattern, key), QByteArray(pattern + " should match " + key).constData());
    for (const QByteArray &key : outside)
        QVERIFY2(!globMatch(pattern, key),
                 QByteArray(pattern + " should not match " + key).constData());
}

void TestSessionLayout::userIndexRoundTrip_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QByteArray>("key");

    QTest::newRow("placeholder at the end")
        << u"user-sessions:{user}"_s << u"alice"_s << QByteArray("user-sessions:alice");
    QTest::newRow("text before and after")
        << u"idx:{user}:sessions"_s << u"alice"_s << QByteArray("idx:alice:sessions");
    QTest::newRow("user with separators") << u"idx:{user}:sessions"_s << u"tenant:7:user"_s
                                          << QByteArray("idx:tenant:7:user:sessions");
    QTest::newRow("user looks like the tail")
        << u"idx:{user}:sessions"_s << u":sessions"_s << QByteArray("idx::sessions:sessions");
    QTest::newRow("unicode user") << u"idx:{user}"_s << u"Zoë"_s << QByteArray("idx:Zo\xc3\xab");
    QTest::newRow("glob characters in pattern")
        << u"a*[{user}]?"_s << u"dave"_s << QByteArray("a*[dave]?");
    QTest::newRow("glob characters in user")
        << u"idx:{user}"_s << u"e*[1]?"_s << QByteArray("idx:e*[1]?");
    QTest::newRow("numeric user") << u"u:{user}:s"_s << u"42"_s << QByteArray("u:42:s");
}

void TestSessionLayout::userIndexRoundTrip()
{
    QFETCH(QString, pattern);
    QFETCH(QString, user);
    QFETCH(QByteArray, key);

    SessionLayout layout = connectRedis();
    layout.userIndexPattern = pattern;
    QVERIFY(layout.hasUserIndex());
    const auto valid = layout.validate();
    QVERIFY2(valid.has_value(), qPrintable(valid ? QString() : valid.error().message));

    QCOMPARE(layout.userIndexKey(user), key);
    const std::optional<QString> back = layout.userFromIndexKey(key);
    QVERIFY(back.has_value());
    QCOMPARE(*back, user);

    const QByteArray scan = layout.userIndexScanPattern();
    QVERIFY2(globMatch(scan, key), QByteArray(scan + " should match " + key).constData());
    // Another user's key matches the same pattern; a key without the fixed text does not.
    QVERIFY(globMatch(scan, layout.userIndexKey(u"someone-else"_s)));
    QVERIFY(!globMatch(scan, "zzz-unrelated"));
    QVERIFY(!globMatch(scan, layout.keyForId("abc")));
}

void TestSessionLayout::userFromIndexKeyRejectsOtherKeys_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QByteArray>("key");

    QTest::newRow("empty user") << u"idx:{user}:sessions"_s << QByteArray("idx::sessions");
    QTest::newRow("missing tail") << u"idx:{user}:sessions"_s << QByteArray("idx:alice");
    QTest::newRow("missing head") << u"idx:{user}:sessions"_s << QByteArray("alice:sessions");
    QTest::newRow("head and tail overlap") << u"idx:{user}:idx"_s << QByteArray("idx:idx");
    QTest::newRow("session key") << u"user-sessions:{user}"_s << QByteArray("sess:abc");
    QTest::newRow("head only") << u"user-sessions:{user}"_s << QByteArray("user-sessions:");
    QTest::newRow("case differs") << u"idx:{user}"_s << QByteArray("IDX:alice");
    QTest::newRow("empty key") << u"idx:{user}"_s << QByteArray();
}

void TestSessionLayout::userFromIndexKeyRejectsOtherKeys()
{
    QFETCH(QString, pattern);
    QFETCH(QByteArray, key);
    SessionLayout layout = connectRedis();
    layout.userIndexPattern = pattern;
    const std::optional<QString> user = layout.userFromIndexKey(key);
    QVERIFY2(!user.has_value(), qPrintable(user.value_or(QString())));
}

void TestSessionLayout::validate_data()
{
    QTest::addColumn<QByteArray>("prefix");
    QTest::addColumn<QString>("indexPattern");
    QTest::addColumn<QStringList>("userFields");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("named"); // text the error message must contain

    const QStringList fields = connectRedis().userFields;
    QTest::newRow("preset") << QByteArray("sess:") << QString() << fields << true << QString();
    QTest::newRow("with index") << QByteArray("sess:") << u"idx:{user}:sessions"_s << fields << true
                                << QString();
    QTest::newRow("index next to the prefix")
        << QByteArray("sess:") << u"sess-index:{user}"_s << fields << true << QString();
    QTest::newRow("no user fields")
        << QByteArray("sess:") << QString() << QStringList() << true << QString();
    QTest::newRow("deep field") << QByteArray("app:s:") << QString() << QStringList{u"a.b.c.d"_s}
                                << true << QString();

    QTest::newRow("empty prefix") << QByteArray() << QString() << fields << false << QString();
    QTest::newRow("empty prefix with index")
        << QByteArray() << u"idx:{user}"_s << fields << false << QString();
    QTest::newRow("pattern without placeholder")
        << QByteArray("sess:") << u"idx:sessions"_s << fields << false << u"idx:sessions"_s;
    QTest::newRow("pattern with two placeholders") << QByteArray("sess:") << u"idx:{user}:{user}"_s
                                                   << fields << false << u"idx:{user}:{user}"_s;
    QTest::newRow("misspelt placeholder")
        << QByteArray("sess:") << u"idx:{usr}"_s << fields << false << u"idx:{usr}"_s;
    QTest::newRow("pattern inside the session prefix")
        << QByteArray("sess:") << u"sess:idx:{user}"_s << fields << false << u"sess:idx:{user}"_s;
    QTest::newRow("pattern equal to prefix plus user")
        << QByteArray("sess:") << u"sess:{user}"_s << fields << false << u"sess:{user}"_s;
    // With no fixed text the index scan pattern is "*": every key of the database would be taken
    // for an index key (and destroyed by destroy-all), as with an empty session prefix.
    QTest::newRow("placeholder alone")
        << QByteArray("sess:") << u"{user}"_s << fields << false << u"{user}"_s;
    // The reverse of "inside the session prefix": the index scan "app:*" covers every session
    // key, and userFromIndexKey("app:sess:<id>") yields a user "sess:<id>".
    QTest::newRow("session prefix inside the pattern")
        << QByteArray("app:sess:") << u"app:{user}"_s << fields << false << u"app:{user}"_s;
    // No fixed text before the user: "*:sessions" also matches a session key such as
    // "sess:x:sessions", so index patterns must start with text of their own.
    QTest::newRow("placeholder at the start")
        << QByteArray("sess:") << u"{user}:sessions"_s << fields << false << u"{user}:sessions"_s;
    QTest::newRow("field ending with a dot")
        << QByteArray("sess:") << QString() << QStringList{u"user_id"_s, u"a."_s} << false
        << u"\"a.\""_s;
    QTest::newRow("field starting with a dot")
        << QByteArray("sess:") << QString() << QStringList{u".a"_s} << false << u"\".a\""_s;
    QTest::newRow("empty field") << QByteArray("sess:") << QString()
                                 << QStringList{u"user_id"_s, QString()} << false << u"\"\""_s;
    QTest::newRow("field with an empty step")
        << QByteArray("sess:") << QString() << QStringList{u"passport..user"_s} << false
        << u"passport..user"_s;
}

void TestSessionLayout::validate()
{
    QFETCH(QByteArray, prefix);
    QFETCH(QString, indexPattern);
    QFETCH(QStringList, userFields);
    QFETCH(bool, valid);
    QFETCH(QString, named);

    SessionLayout layout = connectRedis();
    layout.keyPrefix = prefix;
    layout.userIndexPattern = indexPattern;
    layout.userFields = userFields;
    const auto result = layout.validate();
    if (valid) {
        QVERIFY2(result.has_value(), qPrintable(result ? QString() : result.error().message));
        return;
    }
    QVERIFY2(!result.has_value(), "accepted");
    QCOMPARE(result.error().code, StorageError::Code::InvalidArgument);
    QVERIFY(!result.error().message.isEmpty());
    QVERIFY2(result.error().message.contains(named), qPrintable(result.error().message));
}

// ---------------------------------------------------------------------------------------------
// Framework presets

void TestSessionLayout::globMatchFollowsRedis()
{
    using SessionDesk::globMatch;
    // The same cases the reference matcher above checks itself with, and what layouts use.
    QVERIFY(globMatch("sess:*", "sess:abc"));
    QVERIFY(!globMatch("sess:*", "sesx:abc"));
    QVERIFY(globMatch("a?c", "abc"));
    QVERIFY(globMatch("a[^x]c", "abc"));
    QVERIFY(!globMatch("a[^b]c", "abc"));
    QVERIFY(globMatch("a\\*c", "a*c"));
    QVERIFY(!globMatch("a\\*c", "abc"));
    QVERIFY(globMatch("PHPREDIS_SESSION:*_LOCK", "PHPREDIS_SESSION:abc_LOCK"));
    QVERIFY(!globMatch("PHPREDIS_SESSION:*_LOCK", "PHPREDIS_SESSION:abc_LOCKED"));
    QVERIFY(globMatch("spring:session:sessions:*:idx", "spring:session:sessions:a:b:idx"));
    // Long patterns of classes (a Django key) and many stars stay fast and exact.
    const QByteArray django = QByteArray("[a-z0-9]").repeated(32);
    QVERIFY(globMatch(django, "qbqt1tnwluwbmiliod2ll11o33n02j12"));
    QVERIFY(!globMatch(django, "qbqt1tnwluwbmiliod2ll11o33n02j1"));
    QVERIFY(!globMatch(django, "Qbqt1tnwluwbmiliod2ll11o33n02j12"));
    const QByteArray stars = QByteArray("*a").repeated(20) + "*b";
    QVERIFY(!globMatch(stars, QByteArray(5000, 'a')));
    // Agreement with the reference matcher on the presets' own patterns.
    for (const QString &name : SessionLayout::redisPresetNames()) {
        const SessionLayout layout = presetNamed(name);
        for (const QByteArray &key :
             {layout.keyForId("abc"), layout.keyForId("2::" + QByteArray(64, 'f')),
              layout.keyForId(QByteArray(32, 'a')), QByteArray("other:key"),
              layout.keyForId("expires:abc"), layout.keyForId("abc_LOCK")}) {
            QCOMPARE(SessionDesk::globMatch(layout.scanPattern(), key),
                     ::globMatch(layout.scanPattern(), key));
        }
    }
}

void TestSessionLayout::frameworkPresets_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("key"); // a session key of the preset
    QTest::addColumn<QByteArray>("id");
    QTest::addColumn<bool>("hash");
    QTest::addColumn<QString>("cookie");
    QTest::addColumn<QString>("userField");
    QTest::addColumn<QString>("encoding");

    const QByteArray uuid = "0f3c5a4e-2b1d-4c7a-9e8f-6a5b4c3d2e1f";
    const QByteArray hex64 = QByteArray("ab").repeated(32);
    QTest::newRow("spring-session")
        << u"spring-session"_s << "spring:session:sessions:" + uuid << uuid << true << u"SESSION"_s
        << u"sessionAttr:SPRING_SECURITY_CONTEXT.authentication."
           "principal.username"_s
        << u"java"_s;
    QTest::newRow("spring-session-indexed")
        << u"spring-session-indexed"_s << "spring:session:sessions:" + uuid << uuid << true
        << u"SESSION"_s
        << u"sessionAttr:org.springframework.session.FindByIndexNameSessionRepository."
           "PRINCIPAL_NAME_INDEX_NAME"_s
        << u"java"_s;
    QTest::newRow("rack") << u"rack"_s << "rack:session:2::" + hex64 << "2::" + hex64 << false
                          << u"rack.session"_s << u"warden.user.*.key.0.0"_s << u"marshal"_s;
    QTest::newRow("rails") << u"rails"_s << "session:2::" + hex64 << "2::" + hex64 << false
                           << u"_myapp_session"_s << u"warden.user.*.key.0.0"_s << u"marshal"_s;
    QTest::newRow("redis-session-store")
        << u"redis-session-store"_s << "2::" + hex64 << "2::" + hex64 << false << u"_session_id"_s
        << u"warden.user.*.key.0.0"_s << u"json"_s;
    QTest::newRow("flask-session") << u"flask-session"_s << "session:" + uuid << uuid << false
                                   << u"session"_s << u"_user_id"_s << u"pickle"_s;
    QTest::newRow("django-redis-sessions")
        << u"django-redis-sessions"_s << QByteArray("qbqt1tnwluwbmiliod2ll11o33n02j12")
        << QByteArray("qbqt1tnwluwbmiliod2ll11o33n02j12") << false << u"sessionid"_s
        << u"_auth_user_id"_s << u"django-signed"_s;
    QTest::newRow("django-cache")
        << u"django-cache"_s
        << QByteArray(":1:django.contrib.sessions.cacheqbqt1tnwluwbmiliod2ll11o33n02j12")
        << QByteArray("qbqt1tnwluwbmiliod2ll11o33n02j12") << false << u"sessionid"_s
        << u"_auth_user_id"_s << u"pickle"_s;
    QTest::newRow("phpredis") << u"phpredis"_s << QByteArray("PHPREDIS_SESSION:dss88kgku8sh5sk3")
                              << QByteArray("dss88kgku8sh5sk3") << false << u"PHPSESSID"_s
                              << u"user_id"_s << u"php_serialize"_s;
}

void TestSessionLayout::frameworkPresets()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, id);
    QFETCH(bool, hash);
    QFETCH(QString, cookie);
    QFETCH(QString, userField);
    QFETCH(QString, encoding);

    const auto layout = SessionLayout::preset(name);
    QVERIFY2(layout.has_value(), qPrintable(layout ? QString() : layout.error().message));
    QCOMPARE(layout->schema, name);
    QVERIFY(!layout->forDynamoDb);
    QVERIFY(layout->validate().has_value());
    QVERIFY(SessionLayout::redisPresetNames().contains(name));
    QCOMPARE(layout->idFromKey(key), std::optional<QByteArray>(id));
    QCOMPARE(layout->keyForId(id), key);
    QVERIFY(layout->ownsKey(key));
    QVERIFY(::globMatch(layout->scanPattern(), key));
    QVERIFY(!::globMatch(layout->scanPattern(), QByteArray("other:" + key)));
    QCOMPARE(layout->valueType == SessionLayout::ValueType::Hash, hash);
    QVERIFY2(layout->hasCookieName(cookie), qPrintable(layout->cookieNames.join(u',')));
    QVERIFY(!layout->hasCookieName(u"tracking"_s));
    QVERIFY2(layout->userFields.contains(userField), qPrintable(layout->userFields.join(u',')));
    QVERIFY2(layout->encodings.contains(encoding), qPrintable(layout->encodings.join(u',')));
}

void TestSessionLayout::fixtureKeysAreSessionsOfTheirPreset_data()
{
    QTest::addColumn<QString>("framework");
    QTest::addColumn<QString>("preset");
    for (const auto &[framework, preset] : kFixturePresets)
        QTest::newRow(qPrintable(framework)) << framework << preset;
}

// Every key a real framework stored for a session is a session of its preset; every other key
// it wrote (the express app's user index) is not. No other preset of those fixtures takes the
// session keys for its own with the framework's encoding (auto-detection's premise).
void TestSessionLayout::fixtureKeysAreSessionsOfTheirPreset()
{
    QFETCH(QString, framework);
    QFETCH(QString, preset);
    const QJsonObject recorded = fixture(framework);
    QVERIFY2(!recorded.isEmpty(), qPrintable(framework));
    const SessionLayout layout = presetNamed(preset);
    int sessions = 0;
    for (const QJsonValue &entry : recorded.value(u"keys"_s).toArray()) {
        const QJsonObject key = entry.toObject();
        const QByteArray name =
            QByteArray::fromBase64(key.value(u"key_base64"_s).toString().toLatin1());
        const bool isSession = !key.value(u"session"_s).isNull();
        QCOMPARE(layout.idFromKey(name).has_value(), isSession);
        if (!isSession)
            continue;
        ++sessions;
        QVERIFY(::globMatch(layout.scanPattern(), name));
        const QString encoding = SessionDesk::classifyValue(
            QByteArray::fromBase64(key.value(u"value_base64"_s).toString().toLatin1()));
        QVERIFY2(layout.encodings.contains(encoding), qPrintable(encoding));
        for (const QString &other : SessionLayout::redisPresetNames()) {
            const SessionLayout rival = presetNamed(other);
            if (rival.schema == layout.schema)
                continue;
            QVERIFY2(!rival.idFromKey(name) || !rival.encodings.contains(encoding),
                     qPrintable(other + u" also claims "_s + QString::fromUtf8(name)));
        }
    }
    QVERIFY(sessions >= 4);
}

void TestSessionLayout::fixtureValuesClassify_data()
{
    QTest::addColumn<QString>("framework");
    for (const auto &[framework, preset] : kFixturePresets)
        QTest::newRow(qPrintable(framework)) << framework;
}

// The first-byte classification agrees with the recorder's (tests/frameworks/record.mjs).
void TestSessionLayout::fixtureValuesClassify()
{
    QFETCH(QString, framework);
    const QJsonObject recorded = fixture(framework);
    int checked = 0;
    for (const QJsonValue &entry : recorded.value(u"keys"_s).toArray()) {
        const QJsonObject key = entry.toObject();
        if (key.value(u"type"_s).toString() != u"string")
            continue;
        const QByteArray value =
            QByteArray::fromBase64(key.value(u"value_base64"_s).toString().toLatin1());
        QCOMPARE(SessionDesk::classifyValue(value), key.value(u"encoding"_s).toString());
        ++checked;
    }
    QVERIFY(checked >= 4);
}

void TestSessionLayout::bookkeepingKeysAreNotSessions_data()
{
    QTest::addColumn<QString>("preset");
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<bool>("owned"); // bookkeeping of the layout (destroy-all removes it)

    const QByteArray id = "0f3c5a4e-2b1d-4c7a-9e8f-6a5b4c3d2e1f";
    for (const QString &spring : {u"spring-session"_s, u"spring-session-indexed"_s}) {
        const QByteArray tag = spring.toLatin1() + ": ";
        QTest::newRow(QByteArray(tag + "shadow key").constData())
            << spring << "spring:session:sessions:expires:" + id << true;
        QTest::newRow(QByteArray(tag + "reactive idx set").constData())
            << spring << "spring:session:sessions:" + id + ":idx" << true;
        QTest::newRow(QByteArray(tag + "reactive index").constData())
            << spring
            << QByteArray("spring:session:sessions:index:"
                          "PRINCIPAL_NAME_INDEX_NAME:alice")
            << true;
        QTest::newRow(QByteArray(tag + "sorted-set expirations").constData())
            << spring << QByteArray("spring:session:sessions:expirations") << true;
        QTest::newRow(QByteArray(tag + "minute expirations").constData())
            << spring << QByteArray("spring:session:expirations:1764510420000") << true;
        QTest::newRow(QByteArray(tag + "event channel key").constData())
            << spring << QByteArray("spring:session:event:0:created:" + id) << false;
        QTest::newRow(QByteArray(tag + "other namespace").constData())
            << spring << "other:session:sessions:" + id << false;
    }
    QTest::newRow("indexed: principal index")
        << u"spring-session-indexed"_s
        << QByteArray("spring:session:index:org.springframework.session."
                      "FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME:alice")
        << true;
    QTest::newRow("phpredis lock")
        << u"phpredis"_s << QByteArray("PHPREDIS_SESSION:dss88kgku8sh5sk3_LOCK") << true;
    QTest::newRow("phpredis other prefix")
        << u"phpredis"_s << QByteArray("PHPREDIS_CLUSTER_SESSION:abc") << false;
    QTest::newRow("redis-session-store legacy public key")
        << u"redis-session-store"_s << QByteArray("85422e64c4a965153203e8efe50aa2a4") << true;
    QTest::newRow("redis-session-store unrelated key")
        << u"redis-session-store"_s << QByteArray("cache:85422e64") << false;
}

void TestSessionLayout::bookkeepingKeysAreNotSessions()
{
    QFETCH(QString, preset);
    QFETCH(QByteArray, key);
    QFETCH(bool, owned);
    const SessionLayout layout = presetNamed(preset);
    QVERIFY2(!layout.idFromKey(key).has_value(), key.constData());
    QCOMPARE(layout.ownsKey(key), owned);
}

void TestSessionLayout::djangoKeysNeedTheirShape()
{
    // django-redis-sessions has no prefix: only 32 characters of [a-z0-9] are its keys, so that
    // the other keys of the database stay outside the layout.
    const SessionLayout layout = presetNamed(u"django-redis-sessions"_s);
    QVERIFY(layout.keyPrefix.isEmpty());
    QVERIFY(layout.idFromKey("4hy16bdcfryzso7pnr3t57lfeo82wg6o"));
    for (const QByteArray &key :
         {QByteArray("4hy16bdcfryzso7pnr3t57lfeo82wg6"),
          QByteArray("4hy16bdcfryzso7pnr3t57lfeo82wg6oo"),
          QByteArray("4HY16BDCFRYZSO7PNR3T57LFEO82WG6O"),
          QByteArray("sess:4hy16bdcfryzso7pnr3t57lfeo"), QByteArray("other:keep"),
          QByteArray("4hy16bdcfryzso7pnr3t57lfeo82wg-o")}) {
        QVERIFY2(!layout.idFromKey(key), key.constData());
        QVERIFY2(!::globMatch(layout.scanPattern(), key), key.constData());
    }
    // An empty prefix without an id pattern is refused: it would take every key for a session.
    SessionLayout loose = layout;
    loose.idGlob = "*";
    QVERIFY(!loose.validate().has_value());
}

void TestSessionLayout::rackPublicIdsHashToTheStoredId()
{
    // Rack::Session::SessionId#private_id, checked against the keys real Rack and Rails wrote.
    for (const auto &[framework, preset] :
         {std::pair{u"rack"_s, u"rack"_s}, std::pair{u"rails"_s, u"rails"_s}}) {
        const SessionLayout layout = presetNamed(preset);
        int checked = 0;
        for (const QJsonValue &entry : fixture(framework).value(u"sessions"_s).toArray()) {
            const QJsonObject session = entry.toObject();
            if (session.value(u"cookie"_s).isNull())
                continue;
            const QByteArray cookie = session.value(u"cookie"_s).toString().toLatin1();
            QVERIFY(layout.isPublicId(cookie));
            const QByteArray stored = layout.storedIdFor(cookie);
            QVERIFY(stored.startsWith("2::"));
            QVERIFY(!layout.isPublicId(stored));
            QCOMPARE(layout.keyForId(stored), session.value(u"key"_s).toString().toLatin1());
            QCOMPARE(layout.storedIdFor(stored), stored); // already private
            QCOMPARE(stored,
                     "2::" + QCryptographicHash::hash(cookie, QCryptographicHash::Sha256).toHex());
            // The legacy key the framework also deletes is the public id under the prefix.
            QCOMPARE(layout.keyForId(cookie),
                     session.value(u"legacy_keys"_s).toArray().first().toString().toLatin1());
            ++checked;
        }
        QVERIFY(checked >= 4);
    }
    QVERIFY(!presetNamed(u"connect-redis"_s).isPublicId("abc"));
    QCOMPARE(presetNamed(u"connect-redis"_s).storedIdFor("abc"), QByteArray("abc"));
}

void TestSessionLayout::cookiesOfEveryFrameworkFindTheirKey_data()
{
    QTest::addColumn<QString>("framework");
    QTest::addColumn<QString>("preset");
    for (const auto &[framework, preset] : kFixturePresets)
        QTest::newRow(qPrintable(framework)) << framework << preset;
}

// The cookie each framework set, pasted as the browser holds it, as name=value, and inside a
// whole Cookie header, names the key that framework stored the session under.
void TestSessionLayout::cookiesOfEveryFrameworkFindTheirKey()
{
    QFETCH(QString, framework);
    QFETCH(QString, preset);
    const QJsonObject recorded = fixture(framework);
    const SessionLayout layout = presetNamed(preset);
    const QString cookieName = recorded.value(u"cookie_name"_s).toString();
    QVERIFY2(layout.hasCookieName(cookieName), qPrintable(cookieName));
    int checked = 0;
    for (const QJsonValue &entry : recorded.value(u"sessions"_s).toArray()) {
        const QJsonObject session = entry.toObject();
        if (session.value(u"cookie"_s).isNull() || !session.value(u"stored"_s).toBool())
            continue;
        const QString cookie = session.value(u"cookie"_s).toString();
        const QByteArray key = session.value(u"key"_s).toString().toLatin1();
        for (const QString &pasted : QStringList{cookie, cookieName + u'=' + cookie,
                                                 u"Cookie: _ga=GA1.2.3; "_s + cookieName + u'='
                                                     + cookie + u"; theme=dark"_s}) {
            const SessionDesk::SessionReference ref =
                SessionDesk::resolveSessionReference(pasted, layout);
            QCOMPARE(layout.keyForId(layout.storedIdFor(ref.id)), key);
            if (pasted != cookie) {
                QCOMPARE(ref.source, SessionDesk::SessionReference::Source::Cookie);
                QCOMPARE(ref.cookieName, cookieName);
            }
        }
        // The stored key itself, pasted, is a key.
        const SessionDesk::SessionReference asKey =
            SessionDesk::resolveSessionReference(QString::fromLatin1(key), layout);
        if (!layout.keyPrefix.isEmpty())
            QCOMPARE(asKey.source, SessionDesk::SessionReference::Source::Key);
        QCOMPARE(layout.keyForId(asKey.id), key);
        ++checked;
    }
    QVERIFY(checked >= 4);
}

void TestSessionLayout::springCookieIsBase64OfTheId()
{
    // DefaultCookieSerializer with useBase64Encoding: SESSION=base64(uuid).
    const SessionLayout layout = presetNamed(u"spring-session-indexed"_s);
    const QByteArray uuid = "0f3c5a4e-2b1d-4c7a-9e8f-6a5b4c3d2e1f";
    const QString cookie = QString::fromLatin1(uuid.toBase64());
    for (const QString &pasted :
         QStringList{cookie, u"SESSION="_s + cookie, u"Cookie: SESSION="_s + cookie,
                     u"JSESSIONID=x; SESSION="_s + cookie}) {
        const auto ref = SessionDesk::resolveSessionReference(pasted, layout);
        QCOMPARE(ref.id, uuid);
        QCOMPARE(ref.source, SessionDesk::SessionReference::Source::Cookie);
    }
    // The id itself and the key stay what they are.
    QCOMPARE(SessionDesk::resolveSessionReference(QString::fromLatin1(uuid), layout).id, uuid);
    const auto key = SessionDesk::resolveSessionReference(
        u"spring:session:sessions:"_s + QString::fromLatin1(uuid), layout);
    QCOMPARE(key.id, uuid);
    QCOMPARE(key.source, SessionDesk::SessionReference::Source::Key);
}

void TestSessionLayout::flaskCookieDropsItsSignature()
{
    const SessionLayout layout = presetNamed(u"flask-session"_s);
    const auto signedCookie = SessionDesk::resolveSessionReference(
        u"81ef40f2-4cb6-43ab-9546-fc5ef1942181.4C3mYoqVoGGhoQq6NuYV4qExZ1I"_s, layout);
    QCOMPARE(signedCookie.id, QByteArray("81ef40f2-4cb6-43ab-9546-fc5ef1942181"));
    QCOMPARE(signedCookie.source, SessionDesk::SessionReference::Source::Cookie);
    // Without a signer the cookie is the bare id (Flask-Session 0.7+: token_urlsafe, no dot).
    const auto bare = SessionDesk::resolveSessionReference(
        u"session=Vq3n0Yx_2kR8wLm4JpT6uB1cZ9aHdFe5GiKoNsQrUvW"_s, layout);
    QCOMPARE(bare.id, QByteArray("Vq3n0Yx_2kR8wLm4JpT6uB1cZ9aHdFe5GiKoNsQrUvW"));
}

void TestSessionLayout::cookieDescriptionNamesFrameworkAndCookie()
{
    const SessionLayout rails = presetNamed(u"rails"_s);
    const auto ref = SessionDesk::resolveSessionReference(
        u"_shop_session=85422e64c4a965153203e8efe50aa2a4"_s, rails);
    QCOMPARE(ref.describe(rails), u"cookie _shop_session of rails"_s);
    // A bare public id only ever comes from the cookie (the session is kept under its hash);
    // a private id is the session's own.
    const auto bare =
        SessionDesk::resolveSessionReference(u"85422e64c4a965153203e8efe50aa2a4"_s, rails);
    QCOMPARE(bare.describe(rails), u"cookie of rails"_s);
    const auto privateId = SessionDesk::resolveSessionReference(
        u"2::0a8d6e2b1f4c4f6e9b3e1c2d3f4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6"_s, rails);
    QCOMPARE(privateId.describe(rails), u"session id"_s);
}

void TestSessionLayout::expandTemplate()
{
    const QHash<QString, QByteArray> values{{u"prefix"_s, "spring:session:sessions:"},
                                            {u"id"_s, "abc"},
                                            {u"key"_s, "spring:session:sessions:abc"}};
    QCOMPARE(SessionLayout::expandTemplate(u"{prefix}expires:{id}"_s, values),
             std::optional<QByteArray>("spring:session:sessions:expires:abc"));
    QCOMPARE(SessionLayout::expandTemplate(u"{key}_LOCK"_s, values),
             std::optional<QByteArray>("spring:session:sessions:abc_LOCK"));
    // A placeholder the session lacks skips the step; unknown braces are plain text.
    QVERIFY(!SessionLayout::expandTemplate(u"{prefix}{publicId}"_s, values));
    QVERIFY(!SessionLayout::expandTemplate(u"idx:{user}"_s, values));
    QCOMPARE(SessionLayout::expandTemplate(u"a{b}c"_s, values), std::optional<QByteArray>("a{b}c"));
}

// ---------------------------------------------------------------------------------------------
// Layout files

void TestSessionLayout::layoutFileOverridesItsBase()
{
    const QByteArray json = R"({
        "base": "phpredis",
        "name": "shop-php",
        "keyPrefix": "shop:sess:",
        "userFields": ["auth.user_id", "user_id"],
        "deviceFields": "ip",
        "bookkeeping": ["{prefix}*:lock"],
        "cookie": {"names": ["SHOPSESSID"], "format": "plain"},
        "revoke": [{"delete": "{key}:lock"}, {"srem": "shop:online", "member": "{id}"}]
    })";
    const auto layout = SessionLayout::fromJson(json, u"shop.json"_s);
    QVERIFY2(layout.has_value(), qPrintable(layout ? QString() : layout.error().message));
    QCOMPARE(layout->schema, u"shop-php"_s);
    QCOMPARE(layout->keyPrefix, QByteArray("shop:sess:"));
    QCOMPARE(layout->userFields, (QStringList{u"auth.user_id"_s, u"user_id"_s}));
    QCOMPARE(layout->deviceFields, QStringList{u"ip"_s});
    QCOMPARE(layout->cookieNames, QStringList{u"SHOPSESSID"_s});
    QCOMPARE(layout->revokeSteps.size(), 2);
    QCOMPARE(layout->revokeSteps.at(1).op, SessionLayout::RevokeStep::Op::SetRemove);
    // What the file does not give comes from its base.
    QCOMPARE(layout->encodings, presetNamed(u"phpredis"_s).encodings);
    QVERIFY(layout->description.contains(u"shop.json"_s));
    QVERIFY(layout->idFromKey("shop:sess:abc"));
    QVERIFY(!layout->idFromKey("shop:sess:abc:lock"));
    QVERIFY(layout->ownsKey("shop:sess:abc:lock"));
    QVERIFY(!layout->ownsKey("PHPREDIS_SESSION:abc"));
}

void TestSessionLayout::layoutFileGivesDynamoDbAttributes()
{
    const auto layout = SessionLayout::fromJson(R"({"base": "connect-dynamodb", "keyPrefix": "app:",
        "dynamodb": {"valueAttribute": "payload", "expiresAttribute": "ttl", "userAttribute": "uid",
                     "userIndexName": "by-user"}})",
                                                u"table.json"_s);
    QVERIFY2(layout.has_value(), qPrintable(layout ? QString() : layout.error().message));
    QVERIFY(layout->forDynamoDb);
    QCOMPARE(layout->idAttribute, u"id"_s);
    QCOMPARE(layout->valueAttribute, u"payload"_s);
    QCOMPARE(layout->expiresAttribute, u"ttl"_s);
    QCOMPARE(layout->userAttribute, u"uid"_s);
    QCOMPARE(layout->userIndexName, u"by-user"_s);
}

void TestSessionLayout::layoutFileErrorsNameThePath_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("named"); // the message names this (a JSON path, a value)

    QTest::newRow("not JSON") << QByteArray(R"({"base": )") << u"not valid JSON"_s;
    QTest::newRow("not an object") << QByteArray(R"(["connect-redis"])") << u"$ must be"_s;
    QTest::newRow("unknown field") << QByteArray(R"({"keyPrefx": "a:"})") << u"$.keyPrefx"_s;
    QTest::newRow("unknown base") << QByteArray(R"({"base": "laravel"})") << u"$.base"_s;
    QTest::newRow("auto base") << QByteArray(R"({"base": "auto"})") << u"$.base"_s;
    QTest::newRow("number for a string") << QByteArray(R"({"keyPrefix": 4})") << u"$.keyPrefix"_s;
    QTest::newRow("number in a list")
        << QByteArray(R"({"userFields": ["a", 2]})") << u"$.userFields[1]"_s;
    QTest::newRow("bad value type") << QByteArray(R"({"valueType": "zset"})") << u"$.valueType"_s;
    QTest::newRow("cookie not an object") << QByteArray(R"({"cookie": "sid"})") << u"$.cookie"_s;
    QTest::newRow("bad cookie format")
        << QByteArray(R"({"cookie": {"format": "jwt"}})") << u"$.cookie.format"_s;
    QTest::newRow("unknown cookie field")
        << QByteArray(R"({"cookie": {"name": "sid"}})") << u"$.cookie.name"_s;
    QTest::newRow("revoke not a list")
        << QByteArray(R"({"revoke": {"delete": "x"}})") << u"$.revoke"_s;
    QTest::newRow("revoke step with two operations")
        << QByteArray(R"({"revoke": [{"delete": "a"}, {"delete": "{key}:x", "srem": "s"}]})")
        << u"$.revoke[1]"_s;
    QTest::newRow("srem without member")
        << QByteArray(R"({"revoke": [{"srem": "online"}]})") << u"$.revoke[0].member"_s;
    QTest::newRow("delete with member")
        << QByteArray(R"({"revoke": [{"delete": "x", "member": "y"}]})") << u"$.revoke[0].member"_s;
    QTest::newRow("unknown placeholder")
        << QByteArray(R"({"revoke": [{"delete": "{prefix}{sid}:lock"}]})") << u"{sid}"_s;
    QTest::newRow("dynamodb on a Redis base")
        << QByteArray(R"({"dynamodb": {"idAttribute": "pk"}})") << u"$.dynamodb"_s;
    QTest::newRow("unknown dynamodb field")
        << QByteArray(R"({"base": "dynamodb-gds", "dynamodb": {"table": "x"}})")
        << u"$.dynamodb.table"_s;
    QTest::newRow("empty prefix") << QByteArray(R"({"keyPrefix": ""})") << u"prefix"_s;
    QTest::newRow("bookkeeping of everything")
        << QByteArray(R"({"bookkeeping": ["{prefix}", "*"]})") << u"bookkeeping"_s;
    QTest::newRow("bad user field") << QByteArray(R"({"userFields": ["a..b"]})") << u"a..b"_s;
}

void TestSessionLayout::layoutFileErrorsNameThePath()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, named);
    const auto layout = SessionLayout::fromJson(json, u"mine.json"_s);
    QVERIFY2(!layout.has_value(), "accepted");
    QCOMPARE(layout.error().code, StorageError::Code::InvalidArgument);
    const QString message = layout.error().message;
    QVERIFY2(message.startsWith(u"mine.json"_s), qPrintable(message));
    QVERIFY2(message.contains(named), qPrintable(message));
    QVERIFY2(message.endsWith(u'.'), qPrintable(message));
    QCOMPARE(message.count(u'\n'), 0);
}

void TestSessionLayout::layoutFileThatCannotBeRead()
{
    const auto missing = SessionLayout::fromJsonFile(u"/nonexistent/layout.json"_s);
    QVERIFY(!missing.has_value());
    QVERIFY2(missing.error().message.contains(u"/nonexistent/layout.json"_s),
             qPrintable(missing.error().message));
    QTemporaryDir dir;
    const QString path = dir.filePath(u"spring.json"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"base": "spring-session-indexed", "keyPrefix": "myapp:sessions:"})");
    file.close();
    const auto layout = SessionLayout::fromJsonFile(path);
    QVERIFY2(layout.has_value(), qPrintable(layout ? QString() : layout.error().message));
    QVERIFY(layout->idFromKey("myapp:sessions:abc"));
    QVERIFY(!layout->idFromKey("myapp:sessions:expires:abc"));
}

QTEST_GUILESS_MAIN(TestSessionLayout)
#include "tst_sessionlayout.moc"
