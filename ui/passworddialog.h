#pragma once

#include <QDialog>

#include <optional>

class QCheckBox;
class QLineEdit;

namespace SessionDesk {

// Asks for a store's password when connecting. Profiles never hold passwords, so this is the
// only place one is typed; it is kept in memory only.
class PasswordDialog final : public QDialog
{
    Q_OBJECT

public:
    // `target` is the store ("host:port/db"); `user` the ACL user, empty for the default user.
    PasswordDialog(const QString &target, const QString &user, QWidget *parent = nullptr);

    QString password() const;

    // The password, or nullopt when the operator cancelled.
    static std::optional<QString> ask(QWidget *parent, const QString &target, const QString &user);
    // Tests only: the next ask() returns `password` (nullopt: as if cancelled) without showing
    // anything.
    static void setNextPassword(std::optional<QString> password);

private:
    QLineEdit *m_password = nullptr;
    QCheckBox *m_show = nullptr;
};

} // namespace SessionDesk
