// UserCounts against QHash<QByteArray, qint64> as the reference: same users, same counts,
// whatever the bytes (shared prefixes, NUL bytes, non-UTF-8) and across every growth of the
// table.
#include "usercounts.h"

#include <QHash>
#include <QRandomGenerator>
#include <QTest>

using namespace SessionDesk;

class TestUserCounts : public QObject
{
    Q_OBJECT

private:
    static QHash<QByteArray, qint64> contents(const UserCounts &counts)
    {
        QHash<QByteArray, qint64> out;
        counts.forEach([&](QByteArrayView user, qint64 sessions) {
            QVERIFY2(!out.contains(user.toByteArray()), "a user is listed twice");
            out.insert(user.toByteArray(), sessions);
        });
        return out;
    }

private slots:
    void emptyHasNoUsers()
    {
        UserCounts counts;
        QCOMPARE(counts.size(), 0);
        QVERIFY(contents(counts).isEmpty());
    }

    void countsMatchAReferenceAcrossGrowth()
    {
        QRandomGenerator random(7);
        UserCounts counts;
        QHash<QByteArray, qint64> expected;
        for (int i = 0; i < 60000; ++i) {
            // Many near-identical names (as real ids are), a few with bytes that are not text.
            QByteArray user = "user" + QByteArray::number(random.bounded(20000)) + "@example.org";
            if (i % 97 == 0)
                user = QByteArray("\0\xff", 2) + QByteArray::number(random.bounded(50));
            const qint64 sessions = 1 + random.bounded(3);
            counts.add(user, sessions);
            expected[user] += sessions;
            if (i == 500)
                QCOMPARE(contents(counts), expected); // before the first growth
        }
        QCOMPARE(counts.size(), expected.size());
        QCOMPARE(contents(counts), expected);
    }

    void queuedSessionsCountAtFlush()
    {
        UserCounts counts;
        QHash<QByteArray, qint64> expected;
        for (int round = 0; round < 40; ++round) {
            for (int i = 0; i < 300; ++i) {
                // A temporary: queue() must keep its own copy of the bytes.
                const QByteArray user = "u" + QByteArray::number((round * 7 + i) % 2500);
                counts.queue(user);
                expected[user] += 1;
            }
            if (round == 0)
                QCOMPARE(counts.size(), 0); // nothing counted before flush()
            counts.flush();
            counts.add("direct", 2); // add() and queue() count the same users
            expected["direct"] += 2;
        }
        QCOMPARE(contents(counts), expected);
    }

    void prefixesAndEmptyBytesAreDistinctUsers()
    {
        UserCounts counts;
        for (const char *user : {"a", "ab", "abc", "", "ab", "a"})
            counts.add(QByteArrayView(user));
        const auto seen = contents(counts);
        QCOMPARE(seen.value("a"), 2);
        QCOMPARE(seen.value("ab"), 2);
        QCOMPARE(seen.value("abc"), 1);
        QCOMPARE(seen.value(""), 1);
        QCOMPARE(counts.size(), 4);
    }
};

QTEST_APPLESS_MAIN(TestUserCounts)
#include "tst_usercounts.moc"
