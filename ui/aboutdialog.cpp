#include "aboutdialog.h"

#include "buildinfo.h"

#include <QApplication>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QFile>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace SessionDesk {

namespace {

QString versionText(const BuildInfo::LibraryVersion &library)
{
    if (library.builtWith.isEmpty() || library.builtWith == library.runtime)
        return library.runtime;
    return AboutDialog::tr("%1 (built with %2)").arg(library.runtime, library.builtWith);
}

} // namespace

AboutDialog::AboutDialog(QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("aboutDialog"));
    setWindowTitle(tr("About SessionDesk"));

    auto *icon = new QLabel(this);
    icon->setPixmap(QIcon(QStringLiteral(":/icons/sessiondesk.svg")).pixmap(64, 64));
    icon->setAlignment(Qt::AlignTop);

    auto *title = new QLabel(this);
    title->setObjectName(QStringLiteral("aboutTitle"));
    title->setTextFormat(Qt::PlainText);
    title->setText(tr("SessionDesk %1").arg(BuildInfo::fullVersion()));
    QFont font = title->font();
    font.setBold(true);
    font.setPointSizeF(font.pointSizeF() * 1.4);
    title->setFont(font);

    auto *description = new QLabel(
        tr("Administers server-side web session stores in Redis and Amazon DynamoDB: find a "
           "user's sessions, revoke one, log a user out everywhere, destroy every session of an "
           "application under supervision, and inspect how the store is set up. Every "
           "destructive action and every revealed secret is recorded in a local audit log."),
        this);
    description->setWordWrap(true);

    auto *license = new QLabel(tr("Free software under the GNU General Public License, version 3 "
                                  "or later (GPL-3.0-or-later). It comes with no warranty."),
                               this);
    license->setWordWrap(true);

    auto *versions = new QFormLayout;
    versions->setObjectName(QStringLiteral("versionsForm"));
    for (const BuildInfo::LibraryVersion &library : BuildInfo::libraryVersions()) {
        auto *value = new QLabel(versionText(library), this);
        value->setTextFormat(Qt::PlainText);
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        versions->addRow(tr("%1:").arg(library.name), value);
    }

    auto *changelog = new QLabel(
        QStringLiteral("<a href=\"changelog\">%1</a>").arg(tr("What is new: the changelog")), this);
    changelog->setObjectName(QStringLiteral("changelogLink"));
    changelog->setTextFormat(Qt::RichText);
    connect(changelog, &QLabel::linkActivated, this, &AboutDialog::showChangelog);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    QPushButton *copy = buttons->addButton(tr("&Copy versions"), QDialogButtonBox::ActionRole);
    copy->setObjectName(QStringLiteral("copyVersionsButton"));
    connect(copy, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(versionsText()); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *text = new QVBoxLayout;
    text->addWidget(title);
    text->addWidget(description);
    text->addWidget(license);
    text->addLayout(versions);
    text->addWidget(changelog);
    auto *top = new QHBoxLayout;
    top->addWidget(icon);
    top->addLayout(text, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(buttons);
    resize(560, sizeHint().height());
}

QString AboutDialog::versionsText() const
{
    QStringList lines{QStringLiteral("SessionDesk %1").arg(BuildInfo::fullVersion())};
    for (const BuildInfo::LibraryVersion &library : BuildInfo::libraryVersions())
        lines << tr("%1: %2").arg(library.name, versionText(library));
    return lines.join(u'\n') + u'\n';
}

void AboutDialog::showChangelog()
{
    auto *dialog = new ChangelogDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

ChangelogDialog::ChangelogDialog(QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("changelogDialog"));
    setWindowTitle(tr("SessionDesk Changelog"));
    QFile file(QStringLiteral(":/docs/CHANGELOG.md"));
    if (file.open(QIODevice::ReadOnly))
        m_markdown = QString::fromUtf8(file.readAll());
    m_browser = new QTextBrowser(this);
    m_browser->setObjectName(QStringLiteral("changelogText"));
    m_browser->setOpenExternalLinks(true);
    if (m_markdown.isEmpty())
        m_browser->setPlainText(tr("The changelog is missing from this build."));
    else
        m_browser->setMarkdown(m_markdown);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_browser);
    layout->addWidget(buttons);
    resize(640, 560);
}

} // namespace SessionDesk
