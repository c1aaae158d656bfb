#pragma once

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace SessionDesk::Test {

// A real system keychain for tests: a private D-Bus session bus (dbus-daemon) with GNOME
// Keyring's secret service on it, unlocked with a throwaway password, everything in one
// temporary directory (its HOME, XDG data and runtime folders), so the user's own keyring is
// never touched. start() also points this process's DBUS_SESSION_BUS_ADDRESS at the bus, so
// call it before anything in the process uses D-Bus; child processes inherit it.
class KeyringSession
{
public:
    KeyringSession() = default;
    ~KeyringSession();
    KeyringSession(const KeyringSession &) = delete;
    KeyringSession &operator=(const KeyringSession &) = delete;

    // Waits until the secret service owns its bus name. On failure returns false and
    // errorString() says why (e.g. gnome-keyring is not installed).
    bool start();
    void stop();

    QString busAddress() const { return m_address; }
    // The folder holding the keyring files and the bus socket; nothing of the test should
    // contain a password in plain text in here.
    QString path() const { return m_dir ? m_dir->path() : QString(); }
    // An environment for child processes: this one with the bus and the temporary folders.
    QProcessEnvironment environment() const;
    QString errorString() const { return m_error; }

private:
    bool fail(const QString &message);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_bus;
    std::unique_ptr<QProcess> m_keyring;
    QString m_address;
    QString m_error;
};

// A bus address that leads nowhere: D-Bus clients fail at once, as on a machine without a
// session bus.
QString unreachableBusAddress();

} // namespace SessionDesk::Test
