#pragma once

#include <QFrame>

#include <functional>

class QLabel;
class QPushButton;
class QToolButton;

namespace SessionDesk {

// An inline, non-modal message above a pane: one sentence with the cause, an optional action
// (e.g. "Retry") and a close button. The rest of the window keeps working while it is shown.
// The text is always shown as plain text, never as rich text: it may quote store data.
// Hidden until showMessage().
class MessageBanner final : public QFrame
{
    Q_OBJECT

public:
    enum class Kind { Info, Warning, Error };
    Q_ENUM(Kind)

    explicit MessageBanner(QWidget *parent = nullptr);

    // Replaces whatever the banner showed. With `actionText`, an action button calls `action`
    // and then hides the banner (the banner is hidden before the call, so the action may show
    // a new message).
    void showMessage(const QString &text, Kind kind, const QString &actionText = {},
                     std::function<void()> action = {});
    void hideMessage();

    QString text() const;
    Kind kind() const { return m_kind; }

signals:
    // The operator closed the banner with its close button.
    void dismissed();

protected:
    void paintEvent(QPaintEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void runAction();
    void updateIcon();
    QColor accentColor() const;

    Kind m_kind = Kind::Info;
    std::function<void()> m_action;
    QLabel *m_icon = nullptr;
    QLabel *m_text = nullptr;
    QPushButton *m_actionButton = nullptr;
    QToolButton *m_closeButton = nullptr;
};

} // namespace SessionDesk
