#include "keychain.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QEventLoop>
#include <QPointer>
#include <QTimer>

#include <qt6keychain/keychain.h>

#include <optional>

namespace SessionDesk::Keychain {

namespace {

// The "service" of every entry; the key names the store.
const QString kService = QStringLiteral("SessionDesk");

const QStringList kKeychainServices = {QStringLiteral("org.freedesktop.secrets"),
                                       QStringLiteral("org.kde.kwalletd6"),
                                       QStringLiteral("org.kde.kwalletd5")};

Outcome outcomeOf(QKeychain::Job *job, const QString &key, const QString &what)
{
    Outcome outcome;
    switch (job->error()) {
    case QKeychain::NoError:
        outcome.status = Status::Ok;
        return outcome;
    case QKeychain::EntryNotFound:
        outcome.status = Status::NotFound;
        outcome.message = QStringLiteral("The system keychain holds no password for %1.").arg(key);
        return outcome;
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
        outcome.status = Status::Unavailable;
        break;
    default:
        // QtKeychain reports a missing session bus or secret service as a generic error.
        outcome.status = serviceAvailable() ? Status::Failed : Status::Unavailable;
        break;
    }
    const QString cause = job->errorString().trimmed();
    outcome.message = outcome.status == Status::Unavailable
        ? QStringLiteral("No system keychain is available to %1 the password for %2 (%3).")
              .arg(what, key, cause.isEmpty() ? QStringLiteral("no secret service") : cause)
        : QStringLiteral("The system keychain could not %1 the password for %2: %3.")
              .arg(what, key, cause.isEmpty() ? QStringLiteral("unknown error") : cause);
    return outcome;
}

template <typename Job>
void run(Job *job, const QString &key, const QString &what, QObject *context, Callback done)
{
    job->setAutoDelete(true);
    // Never a plain-text file: QtKeychain's fallback stays off (its default), said here on
    // purpose so that nobody turns it on.
    job->setInsecureFallback(false);
    job->setKey(key);
    QObject::connect(job, &QKeychain::Job::finished, context,
                     [key, what, done = std::move(done)](QKeychain::Job *finished) {
                         Outcome outcome = outcomeOf(finished, key, what);
                         if (outcome.ok()) {
                             if (auto *reader =
                                     qobject_cast<QKeychain::ReadPasswordJob *>(finished))
                                 outcome.secret = reader->textData();
                         }
                         done(outcome);
                     });
    job->start();
}

Outcome wait(const std::function<void(QObject *, Callback)> &start, const QString &key,
             int timeoutMs)
{
    QEventLoop loop;
    std::optional<Outcome> result;
    start(&loop, [&](const Outcome &outcome) {
        result = outcome;
        loop.quit();
    });
    if (!result) {
        QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
        loop.exec();
    }
    if (!result) {
        Outcome timedOut;
        timedOut.status = Status::Failed;
        timedOut.message =
            QStringLiteral("The system keychain did not answer within %1 s about %2.")
                .arg(timeoutMs / 1000)
                .arg(key);
        return timedOut;
    }
    return *result;
}

} // namespace

bool serviceAvailable()
{
    QDBusConnection bus = QDBusConnection::sessionBus();
    if (!bus.isConnected() || !bus.interface())
        return false;
    QDBusConnectionInterface *interface = bus.interface();
    const QStringList activatable = interface->activatableServiceNames();
    for (const QString &service : kKeychainServices) {
        if (interface->isServiceRegistered(service) || activatable.contains(service))
            return true;
    }
    return false;
}

void read(const QString &key, QObject *context, Callback done)
{
    run(new QKeychain::ReadPasswordJob(kService), key, QStringLiteral("read"), context,
        std::move(done));
}

void write(const QString &key, const QString &secret, QObject *context, Callback done)
{
    auto *job = new QKeychain::WritePasswordJob(kService);
    job->setTextData(secret);
    run(job, key, QStringLiteral("save"), context, std::move(done));
}

void remove(const QString &key, QObject *context, Callback done)
{
    run(new QKeychain::DeletePasswordJob(kService), key, QStringLiteral("remove"), context,
        std::move(done));
}

Outcome readNow(const QString &key, int timeoutMs)
{
    return wait([&](QObject *context, Callback done) { read(key, context, std::move(done)); }, key,
                timeoutMs);
}

Outcome writeNow(const QString &key, const QString &secret, int timeoutMs)
{
    return wait(
        [&](QObject *context, Callback done) { write(key, secret, context, std::move(done)); }, key,
        timeoutMs);
}

Outcome removeNow(const QString &key, int timeoutMs)
{
    return wait([&](QObject *context, Callback done) { remove(key, context, std::move(done)); },
                key, timeoutMs);
}

} // namespace SessionDesk::Keychain
