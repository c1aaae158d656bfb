#pragma once

#include <QDialog>

class QTextBrowser;

namespace SessionDesk {

// Help → About: the version (with git describe when built from a checkout), what the program
// is for, its licence, and the versions of Qt, hiredis and OpenSSL it runs on, with a button
// that copies them for a bug report and a link to the changelog.
class AboutDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit AboutDialog(QWidget *parent = nullptr);

    // The version lines as plain text, as "Copy versions" puts them on the clipboard.
    QString versionsText() const;
    // Opens the changelog (also what the link does).
    void showChangelog();
};

// The changelog shipped in the program's resources (CHANGELOG.md), rendered.
class ChangelogDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit ChangelogDialog(QWidget *parent = nullptr);
    QString markdown() const { return m_markdown; }

private:
    QString m_markdown;
    QTextBrowser *m_browser = nullptr;
};

} // namespace SessionDesk
