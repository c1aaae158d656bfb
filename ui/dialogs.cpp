#include "dialogs.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QVBoxLayout>

#include <utility>

namespace SessionDesk::Dialogs {

namespace {

Answer g_nextAnswer = Answer::None;
QString g_lastQuestion;
QString g_nextReason;

} // namespace

void setNextAnswer(Answer answer)
{
    g_nextAnswer = answer;
}

QString lastQuestionText()
{
    return g_lastQuestion;
}

bool confirm(QWidget *parent, const QString &title, const QString &text, const QString &acceptLabel)
{
    g_lastQuestion = text;
    if (const Answer seam = std::exchange(g_nextAnswer, Answer::None); seam != Answer::None)
        return seam == Answer::Accept;

    QMessageBox box(parent);
    box.setObjectName(QStringLiteral("confirmBox"));
    box.setIcon(QMessageBox::Question);
    box.setWindowTitle(title);
    box.setTextFormat(Qt::PlainText); // the text may quote store data
    box.setText(text);
    QPushButton *accept = box.addButton(acceptLabel, QMessageBox::AcceptRole);
    accept->setObjectName(QStringLiteral("confirmAcceptButton"));
    accept->setAccessibleName(acceptLabel);
    QPushButton *cancel = box.addButton(QMessageBox::Cancel);
    cancel->setObjectName(QStringLiteral("confirmCancelButton"));
    cancel->setAccessibleName(cancel->text());
    box.setDefaultButton(cancel);
    box.setEscapeButton(cancel);
    box.exec();
    return box.clickedButton() == accept;
}

void setNextReason(const QString &reason)
{
    g_nextReason = reason;
}

std::optional<QString> confirmWithReason(QWidget *parent, const QString &title, const QString &text,
                                         const QString &acceptLabel)
{
    g_lastQuestion = text;
    if (const Answer seam = std::exchange(g_nextAnswer, Answer::None); seam != Answer::None) {
        const QString reason = std::exchange(g_nextReason, QString());
        if (seam != Answer::Accept)
            return std::nullopt;
        return reason;
    }

    QDialog dialog(parent);
    dialog.setObjectName(QStringLiteral("confirmReasonDialog"));
    dialog.setWindowTitle(title);
    auto *layout = new QVBoxLayout(&dialog);
    auto *question = new QLabel(text, &dialog);
    question->setTextFormat(Qt::PlainText); // the text may quote store data
    question->setWordWrap(true);
    layout->addWidget(question);
    auto *reasonLabel =
        new QLabel(QObject::tr("&Reason (optional, kept in the audit record):"), &dialog);
    auto *reason = new QLineEdit(&dialog);
    reason->setObjectName(QStringLiteral("reasonEdit"));
    reason->setAccessibleName(QObject::tr("Reason"));
    reason->setPlaceholderText(QObject::tr("e.g. ticket or incident number"));
    reasonLabel->setBuddy(reason);
    layout->addWidget(reasonLabel);
    layout->addWidget(reason);
    auto *buttons = new QDialogButtonBox(&dialog);
    QPushButton *accept = buttons->addButton(acceptLabel, QDialogButtonBox::AcceptRole);
    accept->setObjectName(QStringLiteral("confirmAcceptButton"));
    QPushButton *cancel = buttons->addButton(QDialogButtonBox::Cancel);
    cancel->setObjectName(QStringLiteral("confirmCancelButton"));
    cancel->setDefault(true);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    reason->setFocus();
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    return reason->text().trimmed();
}

} // namespace SessionDesk::Dialogs
