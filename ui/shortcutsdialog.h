#pragma once

#include <QDialog>
#include <QList>

class QAction;
class QLineEdit;
class QTableWidget;

namespace SessionDesk {

// Help → Keyboard shortcuts: every given action that has a shortcut, in the order given (menu
// order), with its shortcuts in the platform's notation, and a filter box.
class ShortcutsDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit ShortcutsDialog(const QList<QAction *> &actions, QWidget *parent = nullptr);

    // The text shown for an action: its text without mnemonic markers ("&Refresh" → "Refresh").
    static QString plainActionText(const QString &text);

private:
    void applyFilter(const QString &filter);

    QLineEdit *m_filter = nullptr;
    QTableWidget *m_table = nullptr;
};

} // namespace SessionDesk
