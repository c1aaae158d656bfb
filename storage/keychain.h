#pragma once

#include <QObject>
#include <QString>

#include <functional>

// Passwords of saved connections in the system keychain: the freedesktop Secret Service (GNOME
// Keyring, KeePassXC, KWallet 5.97+) or KWallet, through QtKeychain. There is deliberately no
// plain-text fallback: when no keychain answers, the front ends ask for the password each time
// and keep it in memory only.
namespace SessionDesk::Keychain {

enum class Status {
    Ok,
    NotFound, // the keychain answered: no such entry
    Unavailable, // no keychain service on this session (no D-Bus session bus, or none running)
    Failed, // the keychain answered with an error (locked and not unlocked, access denied, ...)
};

struct Outcome
{
    Status status = Status::Failed;
    QString secret; // read(): the password when status is Ok
    QString message; // one sentence when status is not Ok; never contains the secret

    bool ok() const { return status == Status::Ok; }
};

using Callback = std::function<void(const Outcome &)>;

// Whether a keychain service is reachable on the D-Bus session bus (running or activatable).
// Quick and local; used to offer "remember" only where it can work.
bool serviceAvailable();

// Asynchronous: the job runs on the calling thread's event loop and `done` is called there, not
// at all if `context` is destroyed first. `key` names the entry (ConnectionProfile::secretKey()).
void read(const QString &key, QObject *context, Callback done);
void write(const QString &key, const QString &secret, QObject *context, Callback done);
void remove(const QString &key, QObject *context, Callback done);

// Blocking forms for the CLI: a local event loop runs until the keychain answers (a keychain
// that prompts the operator to unlock it may take a while) or `timeoutMs` passes.
Outcome readNow(const QString &key, int timeoutMs = 120000);
Outcome writeNow(const QString &key, const QString &secret, int timeoutMs = 120000);
Outcome removeNow(const QString &key, int timeoutMs = 120000);

} // namespace SessionDesk::Keychain
