// Unit tests for SessionLayout: presets, key <-> id mapping, SCAN MATCH patterns (checked with a
// matcher that follows Redis' glob rules), the per-user index and validate().

#include "sessionlayout.h"

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
    QCOMPARE(layout->cookieName, u"connect.sid"_s);
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
    QTest::newRow("other framework") << u"django"_s;
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

QTEST_GUILESS_MAIN(TestSessionLayout)
#include "tst_sessionlayout.moc"
