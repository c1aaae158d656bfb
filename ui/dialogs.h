#pragma once

#include <QString>

#include <optional>

class QWidget;

// Modal decisions, behind a seam so that tests can answer them without a window.
namespace SessionDesk::Dialogs {

enum class Answer { None, Accept, Reject };

// Tests only: the next confirm() returns `answer` at once without showing anything, then the
// seam resets to None (ask for real). None clears a pending answer.
void setNextAnswer(Answer answer);

// The text of the most recent confirm(), answered by the seam or by the operator; for tests
// that check what the operator was asked.
QString lastQuestionText();

// Asks a yes/no question whose accept button carries the verb (e.g. "Revoke session"); Cancel
// is the default and the escape button. `text` is shown as plain text, so it may quote store
// data (user ids, session ids). Returns true when the operator chose `acceptLabel`.
bool confirm(QWidget *parent, const QString &title, const QString &text,
             const QString &acceptLabel);

// Tests only: the reason the next confirmWithReason() answers with (when the seam accepts).
void setNextReason(const QString &reason);

// confirm() with a one-line field for the operator's reason (e.g. a ticket number), which goes
// into the audit record. Returns the reason (possibly empty) when accepted, nullopt when not.
std::optional<QString> confirmWithReason(QWidget *parent, const QString &title, const QString &text,
                                         const QString &acceptLabel);

} // namespace SessionDesk::Dialogs
