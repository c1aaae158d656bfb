#include "mainwindow.h"
#include "storeoptions.h"

#include "auditlog.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QStandardPaths>

#include <cstdio>

using namespace SessionDesk;

namespace {

const char kUsage[] = R"(Usage: sessiondesk [--store URL | --profile NAME] [--schema NAME]
                  [--user-index PATTERN] [--user-field PATH] [--read-only]
                  [--tls-ca FILE] [--tls-cert FILE --tls-key FILE] [--tls-server-name NAME]
                  [--tls-insecure] [--timeout SECONDS] [--audit-log FILE]
                  [--mask-field NAME] [--no-mask-field NAME]

SessionDesk: find a user's web sessions, revoke one, log a user out everywhere, or destroy
every session of an application, in a Redis session store.

  --store URL        open this store at start-up: redis://[user[:password]@]host[:port][/db]
                     or rediss://... (TLS); the password may come from $SESSIONDESK_PASSWORD
  --profile NAME     open this saved connection at start-up
  --read-only        open read-only and lock it (writes cannot be allowed)
  --audit-log FILE   audit log (default $SESSIONDESK_AUDIT_LOG or the data folder)
  --mask-field NAME  mask fields called NAME too (repeatable); --no-mask-field NAME: never
  --version, --help  print and exit; these need no display

Without --store or --profile the saved connections are shown.
)";

} // namespace

int main(int argc, char *argv[])
{
    // --help and --version must work without a display, so they are answered before any
    // QGuiApplication exists.
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const StoreOptions storeOptions;
    storeOptions.addTo(parser);
    const QCommandLineOption profile(QStringLiteral("profile"), QString(), QStringLiteral("NAME"));
    const QCommandLineOption auditLog(QStringLiteral("audit-log"), QString(),
                                      QStringLiteral("FILE"));
    const QCommandLineOption settings(QStringLiteral("settings"), QString(),
                                      QStringLiteral("FILE"));
    const QCommandLineOption version(QStringLiteral("version"));
    const QCommandLineOption help(QStringList{QStringLiteral("help"), QStringLiteral("h")});
    parser.addOptions({profile, auditLog, settings, version, help});
    if (!parser.parse(arguments)) {
        std::fprintf(stderr, "%s\n", qPrintable(parser.errorText()));
        return 2;
    }
    if (parser.isSet(help)) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (parser.isSet(version)) {
        std::printf("sessiondesk %s\n", SESSIONDESK_VERSION);
        return 0;
    }
    if (!parser.positionalArguments().isEmpty()) {
        std::fprintf(stderr, "Unexpected argument \"%s\"; see sessiondesk --help.\n",
                     qPrintable(parser.positionalArguments().first()));
        return 2;
    }
    if (parser.isSet(profile) && parser.isSet(storeOptions.store)) {
        std::fprintf(stderr, "Give either --store or --profile, not both.\n");
        return 2;
    }
    auto selection = storeOptions.read(parser);
    if (!selection) {
        std::fprintf(stderr, "%s\n", qPrintable(selection.error().message));
        return 2;
    }

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("SessionDesk"));
    QApplication::setOrganizationName(QStringLiteral("SessionDesk"));
    QApplication::setApplicationVersion(QStringLiteral(SESSIONDESK_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("sessiondesk"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/sessiondesk.svg")));

    MainWindow::Options options;
    const QString configDir = QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation);
    QDir().mkpath(configDir);
    options.settingsPath = parser.isSet(settings) ? parser.value(settings)
                                                  : configDir + QStringLiteral("/sessiondesk.ini");
    options.auditLogPath =
        parser.isSet(auditLog) ? parser.value(auditLog) : AuditLog::defaultPath();
    MainWindow window(options);
    window.show();
    if (parser.isSet(profile)) {
        window.openProfile(parser.value(profile));
    } else if (selection->storeGiven) {
        ConnectionProfile adHoc;
        adHoc.name = selection->config.targetName();
        adHoc.url = selection->config.redactedUrl();
        adHoc.userIndex = selection->layout.userIndexPattern;
        adHoc.schema = selection->layout.schema;
        adHoc.userFields =
            parser.isSet(storeOptions.userField) ? selection->layout.userFields : QStringList();
        adHoc.tlsCaFile = selection->config.tls.caFile;
        adHoc.tlsCertFile = selection->config.tls.certFile;
        adHoc.tlsKeyFile = selection->config.tls.keyFile;
        adHoc.tlsServerName = selection->config.tls.serverName;
        adHoc.tlsInsecure = selection->config.tls.insecure;
        adHoc.readOnlyLocked = selection->config.readOnly;
        window.openStore(adHoc, selection->config.password);
    }
    return app.exec();
}
