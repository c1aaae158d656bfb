#pragma once

#include <QDialog>

class QLabel;
class QPushButton;

namespace SessionDesk {

// The first-run welcome: what SessionDesk is for, how it keeps stores safe, and three ways to
// start: a throwaway demo store, a new connection, or importing a list of store URLs. Only
// emits what the operator chose; the main window does it.
class WelcomeDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit WelcomeDialog(QWidget *parent = nullptr);

    // Tests only: the next "Import…" uses this file instead of asking.
    static void setNextImportFileName(const QString &fileName);

signals:
    void demoRequested();
    void newConnectionRequested();
    void importRequested(const QString &fileName);

private:
    QPushButton *m_demo = nullptr;
};

} // namespace SessionDesk
