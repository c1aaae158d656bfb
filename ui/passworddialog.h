#pragma once

#include <QDialog>

#include <optional>

class QCheckBox;
class QLineEdit;

namespace SessionDesk {

// Asks for a store's password when connecting. Profiles never hold passwords, so this is the
// only place one is typed. It is kept in memory only, unless the operator ticks "remember",
// which puts it in the system keychain (never in a file of ours).
class PasswordDialog final : public QDialog
{
    Q_OBJECT

public:
    enum class Remember {
        NotOffered, // an unsaved connection: nothing to remember it for
        Offered, // a saved connection and a keychain to keep the password in
        NoKeychain, // a saved connection, but no keychain answers: shown, disabled, explained
    };
    // Whose password: the store's (its data nodes') or, for Sentinel URLs, the sentinels' own.
    enum class Secret { Store, Sentinels };
    struct Answer
    {
        QString password;
        bool remember = false;
    };

    // `target` is the store ("host:port/db"); `user` the ACL user (the sentinels' for
    // Secret::Sentinels), empty for the default user; `reason` an optional sentence shown first
    // (e.g. that a saved password was refused).
    PasswordDialog(const QString &target, const QString &user, QWidget *parent = nullptr,
                   Remember remember = Remember::NotOffered, const QString &reason = {},
                   Secret secret = Secret::Store);

    QString password() const;
    bool rememberChecked() const;

    // The password, or nullopt when the operator cancelled.
    static std::optional<QString> ask(QWidget *parent, const QString &target, const QString &user);
    // The same, with the remember choice.
    static std::optional<Answer> askToConnect(QWidget *parent, const QString &target,
                                              const QString &user, Remember remember,
                                              const QString &reason = {},
                                              Secret secret = Secret::Store);
    // Tests only: the next ask returns `password` (nullopt: as if cancelled) without showing
    // anything, and does not remember it. Answers set one after another go to the asks one
    // after another.
    static void setNextPassword(std::optional<QString> password);
    // Tests only: the next ask returns `answer` (nullopt: as if cancelled) without showing
    // anything; `answer->remember` only counts where remembering is offered. Queued like
    // setNextPassword's.
    static void setNextAnswer(std::optional<Answer> answer);
    // Tests only: how many times a password was asked for so far, by the seam or a dialog.
    static int timesAsked();
    // Tests only: whose password the last ask was for.
    static Secret lastSecretAsked();

private:
    QLineEdit *m_password = nullptr;
    QCheckBox *m_show = nullptr;
    QCheckBox *m_remember = nullptr;
};

} // namespace SessionDesk
