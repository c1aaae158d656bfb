#include "hardening.h"
#include "mainwindow.h"
#include "storeoptions.h"

#include "auditlog.h"
#include "buildinfo.h"
#include "systemsettings.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

#include <cstdio>

using namespace SessionDesk;

namespace {

const char kUsage[] =
    R"(Usage: sessiondesk [--store URL | --profile NAME] [--schema NAME | --schema-file FILE]
                  [--user-index PATTERN] [--user-field PATH] [--key-prefix PREFIX]
                  [--read-only] [--tls-ca FILE] [--tls-cert FILE --tls-key FILE]
                  [--tls-server-name NAME] [--tls-insecure] [--sentinel-user USER]
                  [--sentinel-password PASSWORD] [--cluster-host-map ANNOUNCED=REACHABLE]...
                  [--timeout SECONDS] [--max-ops N]
                  [--audit-log FILE] [--settings FILE] [--operator NAME] [--audit-syslog]
                  [--mask-field NAME] [--no-mask-field NAME]

SessionDesk: find a user's web sessions, revoke one, log a user out everywhere, or destroy
every session of an application, in a Redis or DynamoDB session store.

  --store URL        open this store at start-up: redis://[user[:password]@]host[:port][/db]
                     or rediss://... (TLS), redis-sentinel://[user[:password]@]HOSTS/MASTER[/db],
                     redis-cluster://[user[:password]@]HOSTS (and rediss-...),
                     dynamodb://TABLE[?region=R&profile=P&endpoint=URL]; the password may come
                     from $SESSIONDESK_PASSWORD, the sentinels' from --sentinel-password or
                     $SESSIONDESK_SENTINEL_PASSWORD
  --profile NAME     open this saved connection at start-up (with --read-only: locked)
  --read-only        open read-only and lock it (writes cannot be allowed)
  --audit-log FILE   audit log (default $SESSIONDESK_AUDIT_LOG or the data folder)
  --settings FILE    window layout and saved connections (default: the configuration folder)
  --operator NAME    who acts, for the audit log (default $SESSIONDESK_OPERATOR, else the
                     OS user)
  --audit-syslog     also send every audit record to syslog (authpriv; journald keeps it)
  --mask-field NAME, --no-mask-field NAME
                     also mask fields called NAME / never mask them (each repeatable)
  --version, --help  print and exit; these need no display

The other store options mean what they mean for sessiondesk-cli (see its --help).
Without --store or --profile the saved connections are shown. An administrator can force
read-only mode for everyone with ForceReadOnly=true in /etc/xdg/SessionDesk/system.conf.
)";

} // namespace

int main(int argc, char *argv[])
{
    Hardening::disableCoreDumps();
    // Set before anything reads them: the default settings path depends on them.
    QCoreApplication::setApplicationName(QStringLiteral("SessionDesk"));
    QCoreApplication::setOrganizationName(QStringLiteral("SessionDesk"));
    QCoreApplication::setApplicationVersion(BuildInfo::version());

    // --help and --version must work without a display, so they are answered before any
    // QGuiApplication exists.
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const StoreOptions storeOptions;
    storeOptions.addTo(parser);
    const QCommandLineOption auditLog(QStringLiteral("audit-log"), QString(),
                                      QStringLiteral("FILE"));
    const QCommandLineOption operatorName(QStringLiteral("operator"), QString(),
                                          QStringLiteral("NAME"));
    const QCommandLineOption auditSyslog(QStringLiteral("audit-syslog"));
    const QCommandLineOption version(QStringLiteral("version"));
    const QCommandLineOption help(QStringList{QStringLiteral("help"), QStringLiteral("h")});
    parser.addOptions({auditLog, operatorName, auditSyslog, version, help});
    if (!parser.parse(arguments)) {
        std::fprintf(stderr, "%s\n", qPrintable(parser.errorText()));
        return 2;
    }
    if (parser.isSet(help)) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (parser.isSet(version)) {
        std::printf("sessiondesk %s\n", qPrintable(BuildInfo::fullVersion()));
        return 0;
    }
    if (!parser.positionalArguments().isEmpty()) {
        std::fprintf(stderr, "Unexpected argument \"%s\"; see sessiondesk --help.\n",
                     qPrintable(parser.positionalArguments().first()));
        return 2;
    }
    // The same rules as sessiondesk-cli. An unknown profile name is shown in the window instead,
    // next to the saved connections it could have been.
    auto selection = storeOptions.read(parser);
    const bool unknownProfile = parser.isSet(storeOptions.profile) && !selection
        && selection.error().code == StorageError::Code::NotFound;
    if (!selection && !unknownProfile) {
        std::fprintf(stderr, "%s\n", qPrintable(selection.error().message));
        return 2;
    }

    QApplication app(argc, argv);
    // The installed desktop file is named after the application id (see packaging/).
    QApplication::setDesktopFileName(QStringLiteral(SESSIONDESK_APP_ID));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/sessiondesk.svg")));

    // Who acts and where records also go, for every store the window opens.
    const SystemSettings system = SystemSettings::load();
    AuditContext::setProcessDefaults(parser.value(operatorName).trimmed(),
                                     parser.isSet(auditSyslog) || system.auditSyslog
                                         ? syslogMirror()
                                         : std::function<void(const QByteArray &)>());

    MainWindow::Options options; // the window reads ForceReadOnly itself
    options.settingsPath = storeOptions.settingsPath(parser);
    QDir().mkpath(QFileInfo(options.settingsPath).absolutePath());
    options.auditLogPath =
        parser.isSet(auditLog) ? parser.value(auditLog) : AuditLog::defaultPath();
    MainWindow window(options);
    window.show();
    if (parser.isSet(storeOptions.profile)) {
        window.openProfile(parser.value(storeOptions.profile), parser.isSet(storeOptions.readOnly));
    } else if (selection->storeGiven) {
        ConnectionProfile adHoc;
        adHoc.name = selection->config.targetName();
        adHoc.url = selection->config.redactedUrl();
        adHoc.userIndex = selection->layout.userIndexPattern;
        adHoc.schema = selection->layout.schema;
        adHoc.schemaFile = selection->schemaFile;
        adHoc.userFields =
            parser.isSet(storeOptions.userField) ? selection->layout.userFields : QStringList();
        adHoc.tlsCaFile = selection->config.tls.caFile;
        adHoc.tlsCertFile = selection->config.tls.certFile;
        adHoc.tlsKeyFile = selection->config.tls.keyFile;
        adHoc.tlsServerName = selection->config.tls.serverName;
        adHoc.tlsInsecure = selection->config.tls.insecure;
        adHoc.sentinelUser = selection->config.sentinelUsername;
        adHoc.clusterHostMap = parser.values(storeOptions.clusterHostMap);
        // A profile never holds a password; the sentinels' reaches the connection the way a
        // saved profile's does, through the environment variable it reads.
        if (!selection->config.sentinelPassword.isEmpty())
            qputenv("SESSIONDESK_SENTINEL_PASSWORD", selection->config.sentinelPassword.toUtf8());
        adHoc.readOnlyLocked = selection->config.readOnly;
        window.openStore(adHoc, selection->config.password);
    } else {
        window.showWelcomeIfFirstRun();
    }
    return app.exec();
}
