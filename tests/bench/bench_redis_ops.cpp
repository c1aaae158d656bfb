// Benchmark helper for bench_redis_scale.sh: times store operations inside one process, where
// the CLI's process start and audit log fsync would otherwise dominate a short operation.
//
//   bench_redis_ops --store URL [--user-index PATTERN] logout-users N USERS [SEED]
//       logs N distinct random users out of user0@example.org .. user{USERS-1}@example.org,
//       one logoutUser() each, and prints p50 / p99 / max latency in milliseconds, the
//       sessions revoked and the operations sent.
// Prints figures, not pass/fail. Talks only to the store it is given.

#include "redis/redissessionstore.h"
#include "sessionlayout.h"
#include "storeconfig.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QSet>
#include <QTextStream>

#include <algorithm>
#include <cstdio>

using namespace SessionDesk;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    QString url;
    QString index;
    while (args.size() >= 2 && args.first().startsWith(u"--")) {
        const QString name = args.takeFirst();
        const QString value = args.takeFirst();
        if (name == u"--store")
            url = value;
        else if (name == u"--user-index")
            index = value;
    }
    if (url.isEmpty() || args.size() < 3 || args.first() != u"logout-users") {
        std::fputs("usage: bench_redis_ops --store URL [--user-index PATTERN] logout-users N "
                   "USERS [SEED]\n",
                   stderr);
        return 2;
    }
    const int count = args.at(1).toInt();
    const int users = args.at(2).toInt();
    const quint32 seed = args.size() > 3 ? args.at(3).toUInt() : 1;

    auto config = StoreConfig::fromUrl(url);
    if (!config) {
        std::fprintf(stderr, "%s\n", qPrintable(config.error().message));
        return 2;
    }
    SessionLayout layout = *SessionLayout::preset(QStringLiteral("connect-redis"));
    layout.userIndexPattern = index;
    Redis::SessionStore store(*config, layout);
    if (auto connected = store.connect(); !connected) {
        std::fprintf(stderr, "%s\n", qPrintable(connected.error().message));
        return 1;
    }

    QRandomGenerator random(seed);
    QSet<int> chosen;
    while (chosen.size() < std::min(count, users))
        chosen.insert(int(random.bounded(users)));
    QList<qint64> micros;
    micros.reserve(chosen.size());
    qint64 revoked = 0;
    const qint64 opsBefore = store.router().operationsSent();
    QElapsedTimer clock;
    for (const int u : chosen) {
        const QString user = QStringLiteral("user%1@example.org").arg(u);
        clock.start();
        auto result = store.logoutUser(user, {}, {});
        micros.append(clock.nsecsElapsed() / 1000);
        if (!result) {
            std::fprintf(stderr, "logout-user %s: %s\n", qPrintable(user),
                         qPrintable(result.error().message));
            return 1;
        }
        revoked += result->revoked.size();
    }
    std::sort(micros.begin(), micros.end());
    const auto at = [&](double q) {
        return micros.isEmpty()
            ? 0.0
            : micros.at(std::min<qsizetype>(micros.size() - 1, qsizetype(q * micros.size())))
                / 1000.0;
    };
    std::printf("logout-user x%lld: p50 %.3f ms, p99 %.3f ms, max %.3f ms; %lld sessions "
                "revoked, %lld operations sent\n",
                static_cast<long long>(micros.size()), at(0.5), at(0.99), at(1.0),
                static_cast<long long>(revoked),
                static_cast<long long>(store.router().operationsSent() - opsBefore));
    return 0;
}
