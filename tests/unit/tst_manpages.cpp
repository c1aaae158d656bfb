// The man pages and the bash completion stay in step with what the programs say they accept:
// every option and command in `sessiondesk-cli --help` and `sessiondesk --help` is documented
// in its man page (and the man pages document nothing the programs do not have), the
// completion offers every CLI option and command, and the pages render without groff warnings.

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTest>

namespace {

QString run(const QString &program, const QStringList &args)
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    process.setProcessEnvironment(env);
    process.start(program, args);
    if (!process.waitForFinished(30000) || process.exitCode() != 0)
        return {};
    return QString::fromUtf8(process.readAllStandardOutput());
}

QString readSource(const QString &relative)
{
    QFile file(QStringLiteral(SESSIONDESK_SOURCE_DIR "/") + relative);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
}

// Man page source as a reader sees it: "\-\-store" is "--store", font escapes dropped.
QString plainManText(const QString &troff)
{
    QString text = troff;
    text.replace(QStringLiteral("\\-"), QStringLiteral("-"));
    text.remove(QRegularExpression(QStringLiteral("\\\\f[BIRP]")));
    return text;
}

QSet<QString> optionsIn(const QString &text)
{
    QSet<QString> options;
    static const QRegularExpression option(QStringLiteral("(?<![\\w-])--[a-z][a-z-]*[a-z]"));
    for (auto it = option.globalMatch(text); it.hasNext();)
        options.insert(it.next().captured(0));
    return options;
}

// "info", "users", ..., and "profile list", "profile add", ... from the Commands section.
QStringList commandsIn(const QString &help)
{
    QStringList commands;
    const qsizetype start = help.indexOf(QStringLiteral("\nCommands:\n"));
    if (start < 0)
        return commands;
    static const QRegularExpression line(QStringLiteral("^  ([a-z][a-z-]+)(?: ([a-z][a-z-]+))?"),
                                         QRegularExpression::MultilineOption);
    const QString section =
        help.mid(start, help.indexOf(QStringLiteral("\n\n"), start + 11) - start);
    for (auto it = line.globalMatch(section); it.hasNext();) {
        const auto match = it.next();
        commands << (match.captured(1) == u"profile" ? match.captured(1) + u' ' + match.captured(2)
                                                     : match.captured(1));
    }
    return commands;
}

} // namespace

class TestManPages final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cliManPageCoversHelp();
    void guiManPageCoversHelp();
    void completionCoversHelp();
    void manPagesRenderWithoutWarnings();

private:
    QString m_cliHelp;
    QString m_guiHelp;
    QString m_cliMan;
    QString m_guiMan;
};

void TestManPages::initTestCase()
{
    m_cliHelp = run(qEnvironmentVariable("SESSIONDESK_CLI"), {QStringLiteral("--help")});
    m_guiHelp = run(QStringLiteral(SESSIONDESK_GUI_BINARY), {QStringLiteral("--help")});
    QVERIFY2(m_cliHelp.contains(QStringLiteral("Commands:")), "sessiondesk-cli --help failed");
    QVERIFY2(m_guiHelp.contains(QStringLiteral("--profile")), "sessiondesk --help failed");
    m_cliMan = plainManText(readSource(QStringLiteral("packaging/man/sessiondesk-cli.1")));
    m_guiMan = plainManText(readSource(QStringLiteral("packaging/man/sessiondesk.1")));
    QVERIFY(m_cliMan.contains(QStringLiteral(".TH SESSIONDESK-CLI 1")));
    QVERIFY(m_guiMan.contains(QStringLiteral(".TH SESSIONDESK 1")));
}

void TestManPages::cliManPageCoversHelp()
{
    const QSet<QString> helpOptions = optionsIn(m_cliHelp);
    QVERIFY(helpOptions.size() > 20);
    for (const QString &option : helpOptions)
        QVERIFY2(optionsIn(m_cliMan).contains(option),
                 qPrintable(option + u" is not in the man page"));
    for (const QString &option : optionsIn(m_cliMan))
        QVERIFY2(helpOptions.contains(option),
                 qPrintable(option + u" is in the man page but not in --help"));
    const QStringList commands = commandsIn(m_cliHelp);
    QVERIFY2(commands.contains(QStringLiteral("destroy-all"))
                 && commands.contains(QStringLiteral("profile import-urls")),
             qPrintable(commands.join(u", ")));
    for (const QString &command : commands) {
        // Documented as a term of its own: ".TP" then a line starting with the command.
        const QRegularExpression entry(QStringLiteral("\\.TP\\n(\\.B[IR]? )?\"?")
                                       + QRegularExpression::escape(command)
                                       + QStringLiteral("\\b"));
        QVERIFY2(entry.match(m_cliMan).hasMatch(),
                 qPrintable(command + u" is not in the man page"));
    }
}

void TestManPages::guiManPageCoversHelp()
{
    const QSet<QString> helpOptions = optionsIn(m_guiHelp);
    QVERIFY(helpOptions.contains(QStringLiteral("--settings")));
    for (const QString &option : helpOptions)
        QVERIFY2(optionsIn(m_guiMan).contains(option),
                 qPrintable(option + u" is not in the man page"));
    // The GUI page may name the CLI's store options it shares, nothing else.
    const QSet<QString> known = helpOptions + optionsIn(m_cliHelp);
    for (const QString &option : optionsIn(m_guiMan))
        QVERIFY2(known.contains(option), qPrintable(option + u" is documented but does not exist"));
}

void TestManPages::completionCoversHelp()
{
    const QString completion =
        readSource(QStringLiteral("packaging/completion/sessiondesk-cli.bash"));
    QVERIFY(completion.contains(QStringLiteral("complete -F _sessiondesk_cli sessiondesk-cli")));
    for (const QString &option : optionsIn(m_cliHelp))
        QVERIFY2(optionsIn(completion).contains(option), qPrintable(option + u" is not completed"));
    for (const QString &command : commandsIn(m_cliHelp)) {
        const QString word = command.section(u' ', -1);
        QVERIFY2(QRegularExpression(QStringLiteral("[\" ]") + QRegularExpression::escape(word)
                                    + QStringLiteral("[\" \\n]"))
                     .match(completion)
                     .hasMatch(),
                 qPrintable(command + u" is not completed"));
    }
    // And the completion works: bash offers the layouts the program knows for --schema.
    const QString bash = QStandardPaths::findExecutable(QStringLiteral("bash"));
    QVERIFY(!bash.isEmpty());
    const QString script = QStringLiteral(
        "source \"$1\"; COMP_WORDS=(\"$2\" --schema ''); COMP_CWORD=2; _sessiondesk_cli; "
        "printf '%s\\n' \"${COMPREPLY[@]}\"; COMP_WORDS=(\"$2\" profile imp); COMP_CWORD=2; "
        "_sessiondesk_cli; printf '%s\\n' \"${COMPREPLY[@]}\"");
    const QString offered =
        run(bash,
            {QStringLiteral("-c"), script, QStringLiteral("bash"),
             QStringLiteral(SESSIONDESK_SOURCE_DIR "/packaging/completion/sessiondesk-cli.bash"),
             qEnvironmentVariable("SESSIONDESK_CLI")});
    const QStringList lines = offered.split(u'\n', Qt::SkipEmptyParts);
    QVERIFY2(lines.contains(QStringLiteral("connect-redis"))
                 && lines.contains(QStringLiteral("dynamodb-gds")),
             qPrintable(offered));
    QVERIFY2(lines.contains(QStringLiteral("import-urls"))
                 && lines.contains(QStringLiteral("import-aws")),
             qPrintable(offered));
}

void TestManPages::manPagesRenderWithoutWarnings()
{
    const QString groff = QStandardPaths::findExecutable(QStringLiteral("groff"));
    QVERIFY2(!groff.isEmpty(), "groff is not installed (Debian: groff-base)");
    for (const char *page : {"packaging/man/sessiondesk.1", "packaging/man/sessiondesk-cli.1"}) {
        QProcess process;
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.start(groff,
                      {QStringLiteral("-man"), QStringLiteral("-ww"), QStringLiteral("-z"),
                       QStringLiteral("-Tutf8"),
                       QStringLiteral(SESSIONDESK_SOURCE_DIR "/") + QLatin1String(page)});
        QVERIFY(process.waitForFinished(30000));
        const QByteArray warnings = process.readAll();
        QVERIFY2(process.exitCode() == 0 && warnings.isEmpty(), warnings.constData());
    }
}

QTEST_GUILESS_MAIN(TestManPages)
#include "tst_manpages.moc"
