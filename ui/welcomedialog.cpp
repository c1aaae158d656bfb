#include "welcomedialog.h"

#include "demostore.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace SessionDesk {

namespace {

QString g_nextImportFileName;

} // namespace

void WelcomeDialog::setNextImportFileName(const QString &fileName)
{
    g_nextImportFileName = fileName;
}

WelcomeDialog::WelcomeDialog(QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("welcomeDialog"));
    setWindowTitle(tr("Welcome to SessionDesk"));

    auto *icon = new QLabel(this);
    icon->setPixmap(QIcon(QStringLiteral(":/icons/sessiondesk.svg")).pixmap(64, 64));
    icon->setAlignment(Qt::AlignTop);

    auto *heading = new QLabel(tr("Welcome to SessionDesk"), this);
    QFont font = heading->font();
    font.setBold(true);
    font.setPointSizeF(font.pointSizeF() * 1.4);
    heading->setFont(font);

    auto *text = new QLabel(this);
    text->setObjectName(QStringLiteral("welcomeText"));
    text->setWordWrap(true);
    text->setTextFormat(Qt::RichText);
    text->setText(
        tr("<p>SessionDesk looks after the web sessions your applications keep in Redis or "
           "Amazon DynamoDB. Find a user by id, session id or a pasted cookie; see their "
           "sessions with time left; revoke one, or log the user out everywhere. In an "
           "incident, destroy every session of an application: you see the exact count first "
           "and type the store's name to confirm.</p>"
           "<p>Connections open <b>read-only</b>; changes need <i>Connection → Allow "
           "changes</i>. Secrets in sessions stay masked until you reveal them, and every "
           "change and reveal is written to a local audit log. Passwords are never saved in a "
           "file: they are asked for, or kept in the system keychain if you choose.</p>"));

    m_demo = new QPushButton(tr("Try the &demo store"), this);
    m_demo->setObjectName(QStringLiteral("welcomeDemoButton"));
    auto *demoNote = new QLabel(this);
    demoNote->setObjectName(QStringLiteral("welcomeDemoNote"));
    demoNote->setWordWrap(true);
    demoNote->setForegroundRole(QPalette::PlaceholderText);
    if (DemoStore::serverAvailable()) {
        demoNote->setText(tr("Starts a throwaway Redis on this computer (127.0.0.1 only, nothing "
                             "saved) with made-up sessions; it stops when you quit."));
    } else {
        m_demo->setEnabled(false);
        demoNote->setText(tr("The demo needs redis-server: install the redis-server package, or "
                             "run scripts/demo.sh from SessionDesk's source tree."));
    }
    connect(m_demo, &QPushButton::clicked, this, [this] {
        emit demoRequested();
        accept();
    });

    auto *newConnection = new QPushButton(tr("&New connection…"), this);
    newConnection->setObjectName(QStringLiteral("welcomeNewConnectionButton"));
    connect(newConnection, &QPushButton::clicked, this, [this] {
        accept();
        emit newConnectionRequested();
    });

    auto *import = new QPushButton(tr("&Import connections…"), this);
    import->setObjectName(QStringLiteral("welcomeImportButton"));
    import->setToolTip(tr("A text file with one store URL a line (redis://, rediss://, "
                          "redis-sentinel://, redis-cluster:// or dynamodb://), optionally after "
                          "a name; passwords in it go to the system keychain"));
    connect(import, &QPushButton::clicked, this, [this] {
        QString fileName = std::exchange(g_nextImportFileName, QString());
        if (fileName.isEmpty()) {
            fileName = QFileDialog::getOpenFileName(this, tr("Import Connections"), QString(),
                                                    tr("Store URL lists (*.txt *.list);;All "
                                                       "files (*)"));
        }
        if (fileName.isEmpty())
            return;
        accept();
        emit importRequested(fileName);
    });

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->button(QDialogButtonBox::Close)->setObjectName(QStringLiteral("welcomeCloseButton"));
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *choices = new QHBoxLayout;
    choices->addWidget(m_demo);
    choices->addWidget(newConnection);
    choices->addWidget(import);
    choices->addStretch(1);

    auto *column = new QVBoxLayout;
    column->addWidget(heading);
    column->addWidget(text);
    column->addLayout(choices);
    column->addWidget(demoNote);
    auto *top = new QHBoxLayout;
    top->addWidget(icon);
    top->addLayout(column, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(buttons);
    resize(620, sizeHint().height());
}

} // namespace SessionDesk
