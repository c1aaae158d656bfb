#include "passworddialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QList>
#include <QPushButton>
#include <QVBoxLayout>

namespace SessionDesk {

namespace {

// The answers of the next asks, in order (nullopt: cancelled); empty: the dialog is shown.
QList<std::optional<PasswordDialog::Answer>> g_nextAnswers;
int g_timesAsked = 0;
PasswordDialog::Secret g_lastSecret = PasswordDialog::Secret::Store;

} // namespace

PasswordDialog::PasswordDialog(const QString &target, const QString &user, QWidget *parent,
                               Remember remember, const QString &reason, Secret secret)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("passwordDialog"));
    const bool sentinels = secret == Secret::Sentinels;
    setWindowTitle(sentinels ? tr("Sentinel password for %1").arg(target)
                             : tr("Password for %1").arg(target));

    auto *prompt = new QLabel(this);
    prompt->setObjectName(QStringLiteral("passwordPrompt"));
    prompt->setTextFormat(Qt::PlainText);
    prompt->setWordWrap(true);
    if (sentinels) {
        prompt->setText(user.isEmpty()
                            ? tr("The sentinels of %1 want a password of their own. Enter the "
                                 "sentinels' password.")
                                  .arg(target)
                            : tr("The sentinels of %1 want a password of their own. Enter the "
                                 "password of sentinel user \"%2\".")
                                  .arg(target, user));
    } else {
        prompt->setText(
            user.isEmpty()
                ? tr("Enter the password of the store %1.").arg(target)
                : tr("Enter the password of user \"%1\" on the store %2.").arg(user, target));
    }

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

    auto *why = new QLabel(reason, this);
    why->setObjectName(QStringLiteral("passwordReason"));
    why->setTextFormat(Qt::PlainText);
    why->setWordWrap(true);
    why->setVisible(!reason.isEmpty());

    if (remember != Remember::NotOffered) {
        m_remember = new QCheckBox(tr("&Remember the password in the system keychain"), this);
        m_remember->setObjectName(QStringLiteral("rememberCheckBox"));
        m_remember->setAccessibleName(tr("Remember the password in the system keychain"));
        m_remember->setEnabled(remember == Remember::Offered);
    }
    QString noteText;
    switch (remember) {
    case Remember::NotOffered:
        noteText = tr("The password is kept in memory only and never saved.");
        break;
    case Remember::Offered:
        noteText = tr("Otherwise it is kept in memory only. It is never written to a file.");
        break;
    case Remember::NoKeychain:
        noteText = tr("No system keychain is available, so the password is kept in memory only "
                      "and asked for each time.");
        break;
    }
    auto *note = new QLabel(noteText, this);
    note->setObjectName(QStringLiteral("passwordNote"));
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
    layout->addWidget(why);
    layout->addWidget(prompt);
    layout->addWidget(m_password);
    layout->addWidget(m_show);
    if (m_remember)
        layout->addWidget(m_remember);
    layout->addWidget(note);
    layout->addWidget(buttons);
    m_password->setFocus();
}

QString PasswordDialog::password() const
{
    return m_password->text();
}

bool PasswordDialog::rememberChecked() const
{
    return m_remember && m_remember->isEnabled() && m_remember->isChecked();
}

std::optional<QString> PasswordDialog::ask(QWidget *parent, const QString &target,
                                           const QString &user)
{
    const auto answer = askToConnect(parent, target, user, Remember::NotOffered);
    return answer ? std::optional<QString>(answer->password) : std::nullopt;
}

std::optional<PasswordDialog::Answer>
PasswordDialog::askToConnect(QWidget *parent, const QString &target, const QString &user,
                             Remember remember, const QString &reason, Secret secret)
{
    ++g_timesAsked;
    g_lastSecret = secret;
    if (!g_nextAnswers.isEmpty()) {
        std::optional<Answer> answer = g_nextAnswers.takeFirst();
        if (answer && remember != Remember::Offered)
            answer->remember = false;
        return answer;
    }
    PasswordDialog dialog(target, user, parent, remember, reason, secret);
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    Answer answer{dialog.password(), dialog.rememberChecked()};
    dialog.m_password->clear();
    return answer;
}

void PasswordDialog::setNextPassword(std::optional<QString> password)
{
    setNextAnswer(password ? std::optional<Answer>(Answer{*password, false}) : std::nullopt);
}

int PasswordDialog::timesAsked()
{
    return g_timesAsked;
}

PasswordDialog::Secret PasswordDialog::lastSecretAsked()
{
    return g_lastSecret;
}

void PasswordDialog::setNextAnswer(std::optional<Answer> answer)
{
    g_nextAnswers.append(std::move(answer));
}

} // namespace SessionDesk
