#include "dialogs.h"

#include <QMessageBox>
#include <QPushButton>

#include <utility>

namespace SessionDesk::Dialogs {

namespace {

Answer g_nextAnswer = Answer::None;
QString g_lastQuestion;

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

} // namespace SessionDesk::Dialogs
