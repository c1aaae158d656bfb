#include "passworddialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace SessionDesk {

namespace {

// Outer optional: whether the seam is set; inner: the answer (nullopt: cancelled).
std::optional<std::optional<QString>> g_nextPassword;

} // namespace

PasswordDialog::PasswordDialog(const QString &target, const QString &user, QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("passwordDialog"));
    setWindowTitle(tr("Password for %1").arg(target));

    auto *prompt = new QLabel(this);
    prompt->setObjectName(QStringLiteral("passwordPrompt"));
    prompt->setTextFormat(Qt::PlainText);
    prompt->setWordWrap(true);
    prompt->setText(
        user.isEmpty()
            ? tr("Enter the password of the store %1.").arg(target)
            : tr("Enter the password of user \"%1\" on the store %2.").arg(user, target));

    m_password = new QLineEdit(this);
    m_password->setObjectName(QStringLiteral("passwordEdit"));
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setAccessibleName(tr("Password"));
    prompt->setBuddy(m_password);

    m_show = new QCheckBox(tr("&Show password"), this);
    m_show->setObjectName(QStringLiteral("showPasswordCheck"));
    m_show->setAccessibleName(tr("Show password"));
    connect(m_show, &QCheckBox::toggled, this, [this](bool shown) {
        m_password->setEchoMode(shown ? QLineEdit::Normal : QLineEdit::Password);
    });

    auto *note = new QLabel(tr("The password is kept in memory only and never saved."), this);
    note->setWordWrap(true);
    note->setForegroundRole(QPalette::PlaceholderText);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    QPushButton *ok = buttons->button(QDialogButtonBox::Ok);
    ok->setText(tr("Connect"));
    ok->setObjectName(QStringLiteral("okButton"));
    ok->setAccessibleName(tr("Connect"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(prompt);
    layout->addWidget(m_password);
    layout->addWidget(m_show);
    layout->addWidget(note);
    layout->addWidget(buttons);
    m_password->setFocus();
}

QString PasswordDialog::password() const
{
    return m_password->text();
}

std::optional<QString> PasswordDialog::ask(QWidget *parent, const QString &target,
                                           const QString &user)
{
    if (g_nextPassword) {
        std::optional<QString> answer = *g_nextPassword;
        g_nextPassword.reset();
        return answer;
    }
    PasswordDialog dialog(target, user, parent);
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    QString password = dialog.password();
    dialog.m_password->clear();
    return password;
}

void PasswordDialog::setNextPassword(std::optional<QString> password)
{
    g_nextPassword.emplace(std::move(password));
}

} // namespace SessionDesk
