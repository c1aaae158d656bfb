#pragma once

// Helpers for tests that drive the real MainWindow with QTest: its views and actions by object
// name, a user's row, and unlocking changes.

#include "mainwindow.h"
#include "usersmodel.h"

#include <QAction>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

namespace SessionDesk::Test {

// A new main window, shown, whose settings file (`settingsName`) and audit log are in `dir`.
inline std::unique_ptr<MainWindow>
newWindow(const QTemporaryDir &dir, const QString &settingsName = QStringLiteral("settings.ini"))
{
    MainWindow::Options options;
    options.settingsPath = dir.filePath(settingsName);
    options.auditLogPath = dir.filePath(QStringLiteral("audit.log"));
    auto window = std::make_unique<MainWindow>(options);
    window->show();
    return window;
}

inline QTableView *tableView(const MainWindow &window, const char *name)
{
    return window.findChild<QTableView *>(QString::fromLatin1(name));
}

inline QAction *windowAction(const MainWindow &window, const char *name)
{
    return window.findChild<QAction *>(QString::fromLatin1(name));
}

// The row of `user` in the users view (as sorted and filtered there), or -1.
inline int rowOfUser(const MainWindow &window, const QString &user)
{
    const QAbstractItemModel *model = tableView(window, "usersView")->model();
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->index(row, 0).data(UsersModel::UserRole).toString() == user)
            return row;
    }
    return -1;
}

// Triggers Allow Changes and checks that the store and the title say so. QVERIFY-style: the
// caller checks QTest::currentTestFailed().
inline void allowChanges(const MainWindow &window)
{
    QAction *allow = windowAction(window, "actionAllowChanges");
    QVERIFY(allow->isEnabled());
    allow->trigger();
    QVERIFY(window.client()->writesAllowed());
    QVERIFY(window.windowTitle().contains(QStringLiteral("CHANGES ALLOWED")));
}

} // namespace SessionDesk::Test
