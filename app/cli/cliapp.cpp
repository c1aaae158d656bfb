#include "cliapp.h"

#include "auditedstore.h"
#include "buildinfo.h"
#include "destroyreport.h"
#include "evidence.h"
#include "keychain.h"
#include "policy.h"
#include "profilecommands.h"
#include "sessionlookup.h"
#include "storefactory.h"
#include "storeoptions.h"
#include "systemsettings.h"
#include "textoutput.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QSettings>

#include <algorithm>

#include <unistd.h>

namespace SessionDesk::Cli {

namespace {

using Code = StorageError::Code;

const char kUsage[] = R"(Usage: sessiondesk-cli [OPTIONS] COMMAND [ARGS]

Administer the web sessions kept in a Redis or DynamoDB session store.

Options:
  --store URL              redis://[user[:password]@]host[:port][/db], rediss://... (TLS),
                           redis-sentinel://[user[:password]@]HOSTS/MASTER[/db] (HOSTS: the
                           sentinels, host[:port] comma-separated, default port 26379),
                           redis-cluster://[user[:password]@]HOSTS (some nodes of the cluster),
                           rediss-sentinel://... and rediss-cluster://... (TLS to every node),
                           or dynamodb://TABLE[?region=R&profile=P&endpoint=URL&index=NAME];
                           default $SESSIONDESK_STORE, else redis://127.0.0.1:6379. The URL's
                           user and password are the data nodes' (with Sentinel: the master's,
                           not the sentinels')
  --profile NAME           a saved connection (see `profile`) instead of --store; its password
                           comes from the system keychain when one was saved there
  --settings FILE          the saved connections (default: the desktop app's settings file)
  --schema NAME            session layout: auto (the Redis default: sampled when connecting,
                           the choice and why on stderr), connect-redis, spring-session,
                           spring-session-indexed, rack, rails, redis-session-store,
                           flask-session, django-redis-sessions, django-cache, phpredis;
                           dynamodb-gds (the DynamoDB default), connect-dynamodb, ...
                           (--list-schemas)
  --schema-file FILE       a custom layout: JSON whose fields override a preset (see README)
  --user-field PATH        dotted path of the user id inside a session; repeat to try several
                           ("*" matches any key, a number a list index; default: the
                           layout's, e.g. user_id, passport.user, userId, sub)
  --user-index PATTERN     per-user index key, e.g. 'user-sessions:{user}' (SET or ZSET of ids)
  --key-prefix PREFIX      the session key (or DynamoDB id) prefix instead of the schema's
  --id-attribute NAME, --value-attribute NAME, --expires-attribute NAME, --user-attribute NAME
                           DynamoDB attribute names instead of the schema's
  --tls-ca FILE            trust only the CAs in FILE (PEM) instead of the system store
  --tls-cert FILE          client certificate (PEM), with --tls-key FILE
  --tls-server-name NAME   verify the server certificate for NAME (and send it as SNI)
  --tls-insecure           do NOT verify the server certificate (warns; avoid)
  --sentinel-user USER, --sentinel-password PASSWORD
                           the sentinels' own ACL user and password, when they have one (the
                           password also from $SESSIONDESK_SENTINEL_PASSWORD)
  --cluster-host-map ANNOUNCED=REACHABLE
                           connect to REACHABLE when a cluster node announces ANNOUNCED (each
                           host or host:port); repeat for several
  --read-only              refuse every change
  --mask-field NAME        mask fields called NAME too; repeat or separate with commas
  --no-mask-field NAME     never mask fields called NAME (by name or by value shape)
  --json                   print one JSON document
  --audit-log FILE         audit log (default $SESSIONDESK_AUDIT_LOG or the data folder)
  --audit-syslog           also send every audit record to syslog (authpriv; journald keeps it)
  --operator NAME          who acts, for the audit log (default $SESSIONDESK_OPERATOR, else the
                           OS user)
  --reason TEXT            why, kept in the audit record (revoke, logout-user, destroy-all,
                           show --reveal)
  --timeout SECONDS        connect and command idle timeout (default 5 and 30); also how
                           long a failover, a loading or a busy server is waited out
  --max-ops N              Redis: send at most N operations a second (a command naming
                           several keys counts once per key), to spare a production server
  --list-schemas           print the session layouts --schema knows, one a line
  --list-profiles          print the names of the saved connections, one a line
  --version, --help

The password may also come from $SESSIONDESK_PASSWORD, so that it need not be in the URL.
With --profile and no saved password, a terminal is asked for it when the store wants one.

Commands:
  info                                 store kind, target name, server version, session count
                                       and the settings
  settings [--policy FILE|PRESET] [--scan]
                                       the store's settings as facts, read-only, without a scan
                                       (--scan also counts sessions); with --policy, each rule's
                                       PASS / FAIL / UNKNOWN with its evidence
  evidence [--policy FILE|PRESET] [--scan] --out FILE.json|FILE.html
                                       settings, verdicts, the policy's SHA-256 and the audit
                                       log's verification, stamped with time, target and tool
  policies                             the built-in and installed policy presets
  users [--limit N]                    users with their session counts
  sessions [--user U] [--limit N]      id, user, ttl_seconds, expires_at, size_bytes
  show ID|COOKIE [--reveal]            one session decoded; secrets masked unless --reveal
                                       (COOKIE: the value, name=value or a Cookie: header)
  revoke ID|COOKIE...                  destroy the given sessions
  logout-user USER                     destroy every session of USER (global logout)
  destroy-all (--dry-run | --confirm TARGET) [--report FILE]
                                       destroy every session of the layout; TARGET must equal
                                       the target name `info` prints: host:port/db,
                                       sentinel:MASTER/db, or cluster:host:port,... (the
                                       nodes as the URL lists them); --report (Redis) writes
                                       each session's outcome to FILE as it goes (JSON Lines,
                                       ids hashed as in the audit log)
  profile list                         saved connections (shared with the desktop app)
  profile add NAME --store URL [OPTIONS]
                                       save a connection; a password in URL (and one given
                                       with --sentinel-password) goes to the system
                                       keychain, never to the settings file
  profile remove NAME                  delete a saved connection and its saved passwords
  profile set-password NAME            read a password (terminal or stdin) into the keychain
  profile set-sentinel-password NAME   the same for the sentinels' own password
  profile forget-password NAME         remove the saved passwords from the keychain
  profile import-urls FILE             one store URL a line ("NAME URL" too; "-": stdin)
  profile import-aws AWS_PROFILE TABLE [REGION]
                                       a DynamoDB connection using that AWS profile
  audit verify [--log FILE]            check the audit log's hash chain; says which line is
                                       wrong and how
  audit show [--log FILE] [--action A] [--session ID] [--limit N]
                                       the audit log's actions, oldest first

An administrator can force read-only mode for everyone with ForceReadOnly=true in
/etc/xdg/SessionDesk/system.conf.

Exit codes: 0 ok, 1 failure, 2 usage, 3 a policy rule failed or the audit log is broken,
4 refused (read-only, confirmation mismatch, audit log not writable).
)";

struct Options
{
    QString command;
    QStringList args;
    bool json = false;
    bool reveal = false;
    bool dryRun = false;
    QString confirm;
    QString report; // destroy-all --report FILE
    std::optional<QString> user;
    qint64 limit = -1;
    QString auditPath;
    std::optional<ConnectionProfile> profile; // --profile
    ProfileCommand profileCommand; // the "profile" command
    QString operatorName;
    QString reason;
    bool auditSyslog = false;
    QString policy;
    QString out;
    bool scan = false;
    QString action; // audit show --action
    QString session; // audit show --session
    SystemSettings system;
};

class UsageError
{
public:
    QString message;
};

int exitCodeFor(const StorageError &error)
{
    switch (error.code) {
    case Code::InvalidArgument:
        return Usage;
    case Code::Refused:
        return Refused;
    default:
        return Failure;
    }
}

// `text` as a JSON string, escaped as QJsonDocument escapes it: quotes, backslashes and
// control characters; everything else as it is.
QString jsonString(const QString &text)
{
    QString out;
    out.reserve(text.size() + 2);
    out += u'"';
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if (u == u'"' || u == u'\\') {
            out += u'\\';
            out += c;
        } else if (u >= 0x20) {
            out += c;
        } else if (const int named = QByteArrayView("\b\f\n\r\t").indexOf(char(u)); named >= 0) {
            out += u'\\';
            out += QLatin1Char("bfnrt"[named]);
        } else {
            out += QStringLiteral("\\u%1").arg(int(u), 4, 16, QLatin1Char('0'));
        }
    }
    out += u'"';
    return out;
}

QJsonValue ttlJson(qint64 ttlMs)
{
    return ttlMs < 0 ? QJsonValue(QJsonValue::Null) : QJsonValue((ttlMs + 999) / 1000);
}

QJsonValue timeJson(const QDateTime &time)
{
    return time.isValid() ? QJsonValue(time.toString(Qt::ISODate)) : QJsonValue(QJsonValue::Null);
}

QJsonArray idsJson(const QList<QByteArray> &ids)
{
    QJsonArray array;
    for (const QByteArray &id : ids)
        array.append(displayBytes(id));
    return array;
}

QJsonObject summaryJson(const SessionSummary &s)
{
    return {{QStringLiteral("id"), displayBytes(s.id)},
            {QStringLiteral("user"), s.user.isEmpty() ? QJsonValue() : QJsonValue(s.user)},
            {QStringLiteral("ttl_seconds"), ttlJson(s.ttlMs)},
            {QStringLiteral("expires_at"), timeJson(s.expiresAt)},
            {QStringLiteral("size_bytes"), s.sizeBytes},
            {QStringLiteral("type"), s.valueType}};
}

// Writes progress to a terminal at most five times a second; silent when stderr is redirected.
class ProgressPrinter
{
public:
    explicit ProgressPrinter(QTextStream &err)
        : m_err(err)
        , m_enabled(isatty(STDERR_FILENO))
    {
        m_clock.start();
    }
    ~ProgressPrinter()
    {
        if (m_printed) {
            m_err << "\r\033[K";
            m_err.flush();
        }
    }
    ProgressCallback callback()
    {
        return [this](const Progress &p) {
            if (!m_enabled || m_clock.elapsed() < 200)
                return;
            m_clock.restart();
            m_printed = true;
            m_err << "\r\033[K" << p.phase << ": examined " << p.examined;
            if (p.total > 0) {
                // Of the database's keys (DBSIZE, summed over a cluster's masters).
                m_err << " of " << p.total << " keys ("
                      << std::clamp<qint64>(p.examined * 100 / p.total, 0, 100) << " %)";
            }
            m_err << ", matched " << p.matched;
            if (p.phase == u"destroying")
                m_err << ", destroyed " << p.destroyed << ", failed " << p.failed;
            m_err.flush();
        };
    }

private:
    QTextStream &m_err;
    bool m_enabled;
    bool m_printed = false;
    QElapsedTimer m_clock;
};

class Runner
{
public:
    Runner(QTextStream &out, QTextStream &err, const CancelToken &cancel)
        : m_out(out)
        , m_err(err)
        , m_cancel(cancel)
    { }

    int run(const QStringList &arguments);

private:
    Options parse(const QStringList &arguments, StoreConfig &config, SessionLayout &layout);
    int connectStore(StoreConfig config, const SessionLayout &layout);
    int execute();
    int info();
    int settings();
    int evidence();
    int policies();
    int audit();
    AuditLog auditLog() const;
    Result<StoreInfo> readSettings(ProgressPrinter &printer);
    int users();
    int sessions();
    int show();
    int revoke();
    int logoutUser();
    int destroyAll();

    int report(const StorageError &error)
    {
        QString message = error.message;
        // A refusal by read-only mode says who decided it when it was the administrator.
        if (error.code == StorageError::Code::Refused && m_options.system.forceReadOnly
            && message.contains(QStringLiteral("read-only"))) {
            if (message.endsWith(u'.'))
                message.chop(1);
            message +=
                QStringLiteral(": %1; nothing was changed.").arg(m_options.system.readOnlyReason());
        }
        if (error.sentinelCredentials) {
            if (message.endsWith(u'.'))
                message.chop(1);
            message += QStringLiteral(" (the sentinels' own credentials come from "
                                      "--sentinel-user, --sentinel-password or "
                                      "SESSIONDESK_SENTINEL_PASSWORD).");
        }
        m_err << message << '\n';
        return exitCodeFor(error);
    }
    static QByteArray jsonText(const QJsonValue &value)
    {
        const QJsonDocument doc =
            value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
        return doc.toJson(QJsonDocument::Indented);
    }
    void printJson(const QJsonValue &value) { m_out << jsonText(value); }
    Result<SessionReference> resolve(const QString &input);
    // "cookie connect.sid of connect-redis → session abc, user alice", for a cookie or a key.
    QString matchSentence(const SessionReference &ref, const QByteArray &id, const QString &user);

    QTextStream &m_out;
    QTextStream &m_err;
    CancelToken m_cancel;
    Options m_options;
    std::unique_ptr<AuditedStore> m_store;
    int m_maxOpsPerSecond = 0; // the store's rate limit, 0 for none
};

Options Runner::parse(const QStringList &arguments, StoreConfig &config, SessionLayout &layout)
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const auto valueOption = [](const char *name, const char *value) {
        return QCommandLineOption(QString::fromLatin1(name), QString(), QString::fromLatin1(value));
    };
    const StoreOptions storeOptions;
    storeOptions.addTo(parser);
    const QCommandLineOption json(QStringLiteral("json"));
    const QCommandLineOption auditLog = valueOption("audit-log", "FILE");
    const QCommandLineOption limit = valueOption("limit", "N");
    const QCommandLineOption user = valueOption("user", "USER");
    const QCommandLineOption reveal(QStringLiteral("reveal"));
    const QCommandLineOption dryRun(QStringLiteral("dry-run"));
    const QCommandLineOption confirm = valueOption("confirm", "TARGET");
    const QCommandLineOption reportFile = valueOption("report", "FILE");
    const QCommandLineOption listSchemas(QStringLiteral("list-schemas"));
    const QCommandLineOption listProfiles(QStringLiteral("list-profiles"));
    const QCommandLineOption auditSyslog(QStringLiteral("audit-syslog"));
    const QCommandLineOption operatorName = valueOption("operator", "NAME");
    const QCommandLineOption reason = valueOption("reason", "TEXT");
    const QCommandLineOption policy = valueOption("policy", "FILE|PRESET");
    const QCommandLineOption outFile = valueOption("out", "FILE");
    const QCommandLineOption scan(QStringLiteral("scan"));
    const QCommandLineOption log = valueOption("log", "FILE");
    const QCommandLineOption action = valueOption("action", "ACTION");
    const QCommandLineOption session = valueOption("session", "ID");
    const QCommandLineOption version(QStringLiteral("version"));
    const QCommandLineOption help(QStringList{QStringLiteral("help"), QStringLiteral("h")});
    parser.addOptions({json,    auditLog,    limit,        user,        reveal,       dryRun,
                       confirm, listSchemas, listProfiles, auditSyslog, operatorName, reason,
                       policy,  outFile,     scan,         log,         action,       session,
                       version, help,        reportFile});
    if (!parser.parse(arguments))
        throw UsageError{parser.errorText().endsWith(u'.') ? parser.errorText()
                                                           : parser.errorText() + u'.'};

    Options options;
    if (parser.isSet(help)) {
        options.command = QStringLiteral("--help");
        return options;
    }
    if (parser.isSet(version)) {
        options.command = QStringLiteral("--version");
        return options;
    }
    if (parser.isSet(listSchemas)) {
        options.command = QStringLiteral("--list-schemas");
        return options;
    }
    if (parser.isSet(listProfiles)) {
        options.command = QStringLiteral("--list-profiles");
        options.profileCommand.settingsPath = storeOptions.settingsPath(parser);
        return options;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.isEmpty())
        throw UsageError{QStringLiteral("No command given; see sessiondesk-cli --help.")};
    options.command = positional.first();
    options.args = positional.mid(1);
    options.json = parser.isSet(json);

    // Options that belong to one command only are refused elsewhere, so a typo is not ignored.
    const QList<QPair<const QCommandLineOption *, QStringList>> owners = {
        {&limit, {QStringLiteral("users"), QStringLiteral("sessions"), QStringLiteral("audit")}},
        {&user, {QStringLiteral("sessions")}},
        {&reveal, {QStringLiteral("show")}},
        {&dryRun, {QStringLiteral("destroy-all")}},
        {&confirm, {QStringLiteral("destroy-all")}},
        {&reportFile, {QStringLiteral("destroy-all")}},
        {&reason,
         {QStringLiteral("revoke"), QStringLiteral("logout-user"), QStringLiteral("destroy-all"),
          QStringLiteral("show")}},
        {&policy, {QStringLiteral("settings"), QStringLiteral("evidence")}},
        {&scan, {QStringLiteral("settings"), QStringLiteral("evidence")}},
        {&outFile, {QStringLiteral("evidence")}},
        {&log, {QStringLiteral("audit")}},
        {&action, {QStringLiteral("audit")}},
        {&session, {QStringLiteral("audit")}}};
    for (const auto &[option, commands] : owners) {
        if (parser.isSet(*option) && !commands.contains(options.command)) {
            throw UsageError{QStringLiteral("--%1 does not apply to \"%2\".")
                                 .arg(option->names().first(), options.command)};
        }
    }
    if (parser.isSet(limit)) {
        bool ok = false;
        options.limit = parser.value(limit).toLongLong(&ok);
        if (!ok || options.limit < 0)
            throw UsageError{QStringLiteral("--limit needs a whole number of 0 or more.")};
    }
    if (parser.isSet(user))
        options.user = parser.value(user);
    options.reveal = parser.isSet(reveal);
    options.dryRun = parser.isSet(dryRun);
    options.confirm = parser.value(confirm);
    options.report = parser.value(reportFile);
    if (parser.isSet(reportFile) && options.report.isEmpty())
        throw UsageError{QStringLiteral("--report needs a file name.")};
    options.auditPath = parser.isSet(log) ? parser.value(log)
        : parser.isSet(auditLog)          ? parser.value(auditLog)
                                          : AuditLog::defaultPath();
    options.operatorName = parser.value(operatorName).trimmed();
    if (parser.isSet(operatorName) && options.operatorName.isEmpty())
        throw UsageError{QStringLiteral("--operator needs a name.")};
    options.reason = parser.value(reason).trimmed();
    if (parser.isSet(reason) && options.reason.isEmpty())
        throw UsageError{QStringLiteral("--reason needs a text.")};
    if (parser.isSet(reason) && options.command == u"show" && !parser.isSet(reveal))
        throw UsageError{QStringLiteral("--reason applies to show only with --reveal.")};
    options.auditSyslog = parser.isSet(auditSyslog);
    options.policy = parser.value(policy);
    options.out = parser.value(outFile);
    options.scan = parser.isSet(scan);
    options.action = parser.value(action);
    options.session = parser.value(session);

    if (options.command == u"profile") {
        // Saved connections are managed without connecting to anything.
        ProfileCommand &command = options.profileCommand;
        command.args = options.args;
        command.settingsPath = storeOptions.settingsPath(parser);
        command.json = options.json;
        command.storeUrl = parser.value(storeOptions.store);
        command.layoutOverridesGiven = parser.isSet(storeOptions.keyPrefix)
            || parser.isSet(storeOptions.idAttribute) || parser.isSet(storeOptions.valueAttribute)
            || parser.isSet(storeOptions.expiresAttribute)
            || parser.isSet(storeOptions.userAttribute);
        command.clusterHostMap = parser.values(storeOptions.clusterHostMap);
        command.sentinelPassword = parser.value(storeOptions.sentinelPassword);
        if (parser.isSet(storeOptions.store))
            command.selection = storeOptions.read(parser);
        return options;
    }
    auto selection = storeOptions.read(parser);
    if (!selection)
        throw UsageError{selection.error().message};
    config = selection->config;
    layout = selection->layout;
    options.profile = selection->profile;
    return options;
}

int Runner::run(const QStringList &arguments)
{
    StoreConfig config;
    SessionLayout layout;
    try {
        m_options = parse(arguments, config, layout);
    } catch (const UsageError &error) {
        m_err << error.message << '\n';
        return Usage;
    }
    if (m_options.command == u"--help") {
        m_out << kUsage;
        return Ok;
    }
    if (m_options.command == u"--version") {
        m_out << "sessiondesk-cli " << BuildInfo::fullVersion() << '\n';
        return Ok;
    }
    if (m_options.command == u"--list-schemas") {
        m_out << SessionLayout::kAuto << '\n';
        for (const QString &name : SessionLayout::presetNames())
            m_out << name << '\n';
        return Ok;
    }
    if (m_options.command == u"--list-profiles") {
        QSettings settings(m_options.profileCommand.settingsPath, QSettings::IniFormat);
        for (const ConnectionProfile &profile : ConnectionProfile::load(settings))
            m_out << profile.name << '\n';
        return Ok;
    }
    if (m_options.command == u"profile")
        return runProfileCommand(m_options.profileCommand, m_out, m_err);
    const QStringList known = {
        QStringLiteral("settings"),    QStringLiteral("info"),        QStringLiteral("users"),
        QStringLiteral("sessions"),    QStringLiteral("show"),        QStringLiteral("revoke"),
        QStringLiteral("logout-user"), QStringLiteral("destroy-all"), QStringLiteral("evidence"),
        QStringLiteral("policies"),    QStringLiteral("audit")};
    if (!known.contains(m_options.command)) {
        m_err << "Unknown command \"" << m_options.command << "\"; see sessiondesk-cli --help.\n";
        return Usage;
    }
    const QStringList noArgs = {QStringLiteral("settings"),    QStringLiteral("info"),
                                QStringLiteral("users"),       QStringLiteral("sessions"),
                                QStringLiteral("destroy-all"), QStringLiteral("evidence"),
                                QStringLiteral("policies")};
    if (noArgs.contains(m_options.command) && !m_options.args.isEmpty()) {
        m_err << '"' << m_options.command << "\" takes no arguments.\n";
        return Usage;
    }
    m_options.system = SystemSettings::load();
    if (m_options.command == u"policies")
        return policies();
    if (m_options.command == u"audit")
        return audit();
    if (m_options.command == u"evidence") {
        const QString suffix = QFileInfo(m_options.out).suffix().toLower();
        if (m_options.out.isEmpty()) {
            m_err << "evidence needs --out FILE.json or --out FILE.html.\n";
            return Usage;
        }
        if (suffix != u"json" && suffix != u"html" && suffix != u"htm") {
            m_err << "--out must end in .json or .html (PDF comes from the desktop app's File → "
                     "Export evidence).\n";
            return Usage;
        }
    }
    if ((m_options.command == u"show" || m_options.command == u"logout-user")
        && m_options.args.size() != 1) {
        m_err << '"' << m_options.command << "\" takes exactly one argument.\n";
        return Usage;
    }
    if (m_options.command == u"revoke" && m_options.args.isEmpty()) {
        m_err << "\"revoke\" needs at least one session id or cookie.\n";
        return Usage;
    }
    if (m_options.command == u"destroy-all") {
        if (m_options.dryRun == !m_options.confirm.isEmpty()) {
            m_err << "destroy-all needs exactly one of --dry-run or --confirm TARGET.\n";
            return Usage;
        }
    }
    if (config.tls.insecure) {
        m_err << "WARNING: TLS certificate verification is OFF (--tls-insecure); anyone on the "
                 "network path can impersonate "
              << config.endpoint() << ".\n";
    }
    // The administrator's setting wins over the command line: the store refuses every change.
    if (m_options.system.forceReadOnly)
        config.readOnly = true;
    if (auto connected = connectStore(config, layout); connected != Ok)
        return connected;

    // Compared with the connected store's name: a DynamoDB target includes the region that
    // was resolved from the environment or the profile.
    if (m_options.command == u"destroy-all" && !m_options.dryRun
        && m_options.confirm != m_store->targetName()) {
        m_err << "Refused: --confirm \"" << m_options.confirm << "\" does not match the target \""
              << m_store->targetName() << "\"; nothing was destroyed.\n";
        return Refused;
    }
    const int code = execute();
    // The detected layout and why, so that a wrong guess is noticed: after a command that
    // succeeded (stdout stays the result; a failure stays one sentence, naming the layout
    // where it matters).
    if (const QString note = m_store->layoutNote(); code == Ok && !note.isEmpty())
        m_err << note << '\n';
    return code;
}

int Runner::connectStore(StoreConfig config, const SessionLayout &layout)
{
    m_maxOpsPerSecond = config.maxOpsPerSecond;
    // A saved connection's passwords, the store's and (Sentinel) the sentinels' own: from the
    // environment or the command line (already in config), else from the system keychain when
    // one was saved there, else from the operator's terminal.
    const std::optional<ConnectionProfile> &profile = m_options.profile;
    struct Secret
    {
        bool given = false; // before any was typed: from the environment, flags or the keychain
        bool fromKeychain = false;
        bool typed = false;
        QString keychainNote; // why the keychain did not give it
    };
    Secret store;
    Secret sentinels;
    const auto fill = [&](bool saved, const QString &key, QString &password, Secret &secret) {
        if (saved && password.isEmpty() && !key.isEmpty()) {
            const Keychain::Outcome outcome = Keychain::readNow(key);
            secret.fromKeychain = outcome.ok();
            if (outcome.ok())
                password = outcome.secret;
            else
                secret.keychainNote = outcome.message;
        }
        secret.given = !password.isEmpty();
    };
    if (profile) {
        fill(profile->passwordInKeychain, profile->secretKey(), config.password, store);
        if (config.redisMode == StoreConfig::RedisMode::Sentinel) {
            fill(profile->sentinelPasswordInKeychain, profile->sentinelSecretKey(),
                 config.sentinelPassword, sentinels);
        }
    }
    const auto open = [&] {
        m_store = std::make_unique<AuditedStore>(createStore(config, layout), auditLog());
        return m_store->connect();
    };
    auto connected = open();
    const auto refused = [&] {
        return !connected && connected.error().code == StorageError::Code::Authentication;
    };
    // The sentinels refuse before the store is reached, so one open may need both; each is
    // asked for once at most.
    while (refused() && profile && stdinIsTerminal()) {
        const bool bySentinels = connected.error().sentinelCredentials;
        Secret &secret = bySentinels ? sentinels : store;
        if (secret.given || secret.typed)
            break;
        if (!secret.keychainNote.isEmpty())
            m_err << secret.keychainNote << '\n';
        const QString prompt = bySentinels ? QStringLiteral("Password of the sentinels for %1: ")
                                           : QStringLiteral("Password for %1 (%2): ");
        const std::optional<QString> password =
            readPassword(prompt.arg(profile->name, config.targetName()), m_err);
        if (!password || password->isEmpty())
            break;
        (bySentinels ? config.sentinelPassword : config.password) = *password;
        secret.typed = true;
        connected = open();
    }
    if (connected)
        return Ok;
    const int code = report(connected.error());
    if (!refused() || !profile)
        return code;
    const bool bySentinels = connected.error().sentinelCredentials;
    const Secret &secret = bySentinels ? sentinels : store;
    const char *setVerb = bySentinels ? "set-sentinel-password" : "set-password";
    if (secret.fromKeychain) {
        m_err << (bySentinels ? "The sentinels' password" : "The password")
              << " saved in the system keychain for \"" << profile->name
              << "\" was refused; replace it with sessiondesk-cli profile " << setVerb << ".\n";
    } else if (!secret.given && !secret.typed) {
        if (!secret.keychainNote.isEmpty())
            m_err << secret.keychainNote << '\n';
        m_err << (bySentinels ? "No password of the sentinels" : "No password")
              << " is saved for \"" << profile->name << "\": save one with sessiondesk-cli profile "
              << setVerb << ", or give it in "
              << (bySentinels ? "$SESSIONDESK_SENTINEL_PASSWORD" : "$SESSIONDESK_PASSWORD")
              << ".\n";
    }
    return code;
}

AuditLog Runner::auditLog() const
{
    AuditContext context = AuditContext::current(m_options.operatorName);
    if (m_options.auditSyslog || m_options.system.auditSyslog)
        context.mirror = syslogMirror();
    return AuditLog(m_options.auditPath, context);
}

int Runner::execute()
{
    const QString &c = m_options.command;
    if (c == u"info")
        return info();
    if (c == u"settings")
        return settings();
    if (c == u"evidence")
        return evidence();
    if (c == u"users")
        return users();
    if (c == u"sessions")
        return sessions();
    if (c == u"show")
        return show();
    if (c == u"revoke")
        return revoke();
    if (c == u"logout-user")
        return logoutUser();
    return destroyAll();
}

int Runner::info()
{
    ProgressPrinter printer(m_err);
    auto info = m_store->describe(printer.callback(), m_cancel);
    if (!info)
        return report(info.error());
    if (m_options.json) {
        QJsonArray facts;
        for (const StoreFact &fact : info->facts)
            facts.append(fact.toJson());
        printJson(QJsonObject{{QStringLiteral("kind"), info->kind},
                              {QStringLiteral("target"), info->target},
                              {QStringLiteral("server_version"), info->serverVersion},
                              {QStringLiteral("schema"), m_store->layout().schema},
                              {QStringLiteral("layout"), info->layout},
                              {QStringLiteral("layout_detection"), m_store->layoutNote()},
                              {QStringLiteral("sessions"), info->sessions},
                              {QStringLiteral("sessions_without_ttl"), info->sessionsWithoutTtl},
                              {QStringLiteral("keys_in_database"), info->keysInDatabase},
                              {QStringLiteral("read_only"), m_store->isReadOnly()},
                              {QStringLiteral("facts"), facts}});
        return Ok;
    }
    TextTable table({QStringLiteral("field"), QStringLiteral("value")});
    table.addRow({QStringLiteral("kind"), info->kind});
    table.addRow({QStringLiteral("target"), info->target});
    table.addRow({QStringLiteral("schema"), m_store->layout().schema});
    table.addRow({QStringLiteral("layout"), info->layout});
    table.addRow({QStringLiteral("sessions"), QString::number(info->sessions)});
    table.addRow({info->kind == u"redis" ? QStringLiteral("keys in database")
                                         : QStringLiteral("items in table (refreshed ~6 h)"),
                  QString::number(info->keysInDatabase)});
    if (info->sessionsWithoutTtl >= 0) {
        table.addRow(
            {QStringLiteral("sessions without a TTL"), QString::number(info->sessionsWithoutTtl)});
    }
    for (const StoreFact &fact : info->facts)
        table.addRow({fact.label, fact.display});
    m_out << table.render();
    return Ok;
}

Result<StoreInfo> Runner::readSettings(ProgressPrinter &printer)
{
    return m_options.scan ? m_store->describe(printer.callback(), m_cancel) : m_store->settings();
}

int Runner::settings()
{
    std::optional<Policy> policy;
    if (!m_options.policy.isEmpty()) {
        auto loaded = Policy::load(m_options.policy);
        if (!loaded)
            return report(loaded.error());
        policy = *loaded;
    }
    ProgressPrinter printer(m_err);
    auto info = readSettings(printer);
    if (!info)
        return report(info.error());
    std::optional<PolicyReport> verdicts;
    if (policy) {
        auto evaluated = evaluatePolicy(*policy, *info);
        if (!evaluated)
            return report(evaluated.error());
        verdicts = *evaluated;
    }
    if (m_options.json) {
        QJsonArray facts;
        for (const StoreFact &fact : info->facts)
            facts.append(fact.toJson());
        QJsonObject object{
            {QStringLiteral("kind"), info->kind},
            {QStringLiteral("target"), info->target},
            {QStringLiteral("read_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
            {QStringLiteral("facts"), facts}};
        if (verdicts)
            object.insert(QStringLiteral("policy"), verdicts->toJson());
        printJson(object);
        return verdicts && verdicts->hasFailure() ? Findings : Ok;
    }
    if (!verdicts) {
        // Evidence for an auditor: every fact, grouped, with where it came from.
        TextTable table({QStringLiteral("group"), QStringLiteral("setting"),
                         QStringLiteral("value"), QStringLiteral("source")});
        for (const StoreFact &fact : info->facts)
            table.addRow({fact.group, fact.label, fact.display, fact.source});
        m_out << table.render();
        return Ok;
    }
    TextTable table({QStringLiteral("verdict"), QStringLiteral("severity"), QStringLiteral("rule"),
                     QStringLiteral("evidence")});
    for (const RuleResult &r : verdicts->results)
        table.addRow({verdictName(r.verdict), r.rule.severity, r.rule.text, r.evidence});
    m_out << table.render();
    m_out << "Policy " << verdicts->policyName << " (" << verdicts->policyOrigin << ", sha256 "
          << verdicts->policySha256.left(16) << "…) on " << info->target << ": " << verdicts->passed
          << " PASS, " << verdicts->failed << " FAIL, " << verdicts->unknown << " UNKNOWN";
    if (verdicts->notApplicable > 0)
        m_out << " (" << verdicts->notApplicable << " rules are for the other kind of store)";
    m_out << ".\n";
    if (verdicts->unknown > 0)
        m_out << "UNKNOWN is not a failure: the fact could not be read (see the evidence).\n";
    return verdicts->hasFailure() ? Findings : Ok;
}

int Runner::evidence()
{
    Evidence e;
    if (!m_options.policy.isEmpty()) {
        auto loaded = Policy::load(m_options.policy);
        if (!loaded)
            return report(loaded.error());
        ProgressPrinter printer(m_err);
        auto info = readSettings(printer);
        if (!info)
            return report(info.error());
        auto evaluated = evaluatePolicy(*loaded, *info);
        if (!evaluated)
            return report(evaluated.error());
        e.info = *info;
        e.policy = *evaluated;
    } else {
        ProgressPrinter printer(m_err);
        auto info = readSettings(printer);
        if (!info)
            return report(info.error());
        e.info = *info;
    }
    e.audit = m_store->auditLog().verify();
    e.tool = QStringLiteral("sessiondesk-cli ") + QCoreApplication::applicationVersion();
    e.operatorName = m_store->auditLog().context().operatorName;
    e.generatedAt = QDateTime::currentDateTimeUtc();
    e.readOnly = m_store->isReadOnly();
    const QString suffix = QFileInfo(m_options.out).suffix().toLower();
    const QByteArray bytes = suffix == u"json"
        ? QJsonDocument(e.toJson()).toJson(QJsonDocument::Indented)
        : e.toHtml().toUtf8();
    QSaveFile file(m_options.out);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        m_err << "Cannot write the evidence to " << m_options.out << ": " << file.errorString()
              << ".\n";
        return Failure;
    }
    m_out << "Evidence written to " << m_options.out << ": " << e.summary() << ".\n";
    const bool broken = !e.audit.intact();
    return (e.policy && e.policy->hasFailure()) || broken ? Findings : Ok;
}

int Runner::policies()
{
    const QStringList names = Policy::presetNames();
    if (m_options.json) {
        QJsonArray array;
        for (const QString &name : names) {
            auto policy = Policy::load(name);
            QJsonObject object{{QStringLiteral("name"), name},
                               {QStringLiteral("path"), Policy::presetPath(name)}};
            if (policy) {
                object.insert(QStringLiteral("title"), policy->title);
                object.insert(QStringLiteral("store"), policy->store);
                object.insert(QStringLiteral("rules"), policy->rules.size());
                object.insert(QStringLiteral("sha256"), policy->sha256);
            } else {
                object.insert(QStringLiteral("error"), policy.error().message);
            }
            array.append(object);
        }
        printJson(array);
        return Ok;
    }
    TextTable table({QStringLiteral("preset"), QStringLiteral("store"), QStringLiteral("rules"),
                     QStringLiteral("title")});
    for (const QString &name : names) {
        auto policy = Policy::load(name);
        if (policy)
            table.addRow(
                {name, policy->store, QString::number(policy->rules.size()), policy->title});
        else
            table.addRow({name, QStringLiteral("-"), QStringLiteral("-"), policy.error().message});
    }
    m_out << table.render();
    return Ok;
}

int Runner::audit()
{
    const QString sub = m_options.args.value(0);
    if (m_options.args.size() != 1 || (sub != u"verify" && sub != u"show")) {
        m_err << "audit needs one of: verify, show.\n";
        return Usage;
    }
    if (sub == u"verify"
        && (!m_options.action.isEmpty() || !m_options.session.isEmpty() || m_options.limit >= 0)) {
        m_err << "--action, --session and --limit apply to \"audit show\".\n";
        return Usage;
    }
    const AuditLog log(m_options.auditPath);
    if (sub == u"verify") {
        const AuditVerification v = log.verify();
        if (m_options.json) {
            printJson(v.toJson());
        } else {
            if (!QFileInfo::exists(v.path) && v.intact()) {
                m_out << "There is no audit log at " << v.path << " yet: nothing was recorded.\n";
                return Ok;
            }
            for (const AuditIssue &issue : v.issues)
                m_out << (issue.line > 0 ? QStringLiteral("line %1: ").arg(issue.line) : QString())
                      << issue.problem << '\n';
            for (const QString &note : v.notes)
                m_out << "note: " << note << '\n';
            m_out << v.path << ": " << v.summary() << '\n';
        }
        if (!v.readable)
            return Failure;
        return v.intact() ? Ok : Findings;
    }
    auto entries = log.entries();
    if (!entries)
        return report(entries.error());
    QList<AuditEntry> shown;
    const QByteArray session = m_options.session.toUtf8();
    for (const AuditEntry &e : std::as_const(*entries)) {
        if (!m_options.action.isEmpty() && e.action != m_options.action)
            continue;
        if (!session.isEmpty() && !e.affects(session))
            continue;
        shown.append(e);
    }
    if (m_options.limit >= 0 && shown.size() > m_options.limit)
        shown = shown.mid(shown.size() - m_options.limit);
    if (m_options.json) {
        QJsonArray array;
        for (const AuditEntry &e : std::as_const(shown))
            array.append(e.toJson());
        printJson(array);
        return Ok;
    }
    TextTable table({QStringLiteral("time"), QStringLiteral("operator"), QStringLiteral("action"),
                     QStringLiteral("target"), QStringLiteral("result"), QStringLiteral("done"),
                     QStringLiteral("reason")});
    const auto count = [](qint64 n) { return n < 0 ? QStringLiteral("-") : QString::number(n); };
    for (const AuditEntry &e : std::as_const(shown)) {
        const QString done =
            e.planned >= 0 ? count(e.done) + u'/' + count(e.planned) : count(e.done);
        table.addRow({e.time.toString(Qt::ISODate), e.operatorName, e.action, e.target, e.result,
                      done, e.reason.isEmpty() ? QStringLiteral("-") : e.reason});
    }
    m_out << table.render();
    m_out << shown.size() << (shown.size() == 1 ? " action" : " actions") << " in " << log.path()
          << '\n';
    return Ok;
}

int Runner::users()
{
    ProgressPrinter printer(m_err);
    auto list = m_store->listUsers(printer.callback(), m_cancel);
    if (!list)
        return report(list.error());
    const qsizetype shown = m_options.limit < 0
        ? list->users.size()
        : std::min<qint64>(m_options.limit, list->users.size());
    if (m_options.json) {
        // Written as it goes, in QJsonDocument's indented layout: at 100,000 users a QJsonArray
        // cost 0.4 s of CPU and 60 MB more peak memory.
        m_out << "[\n";
        for (qsizetype i = 0; i < shown; ++i) {
            m_out << "    {\n        \"sessions\": " << list->users.at(i).sessions
                  << ",\n        \"user\": " << jsonString(list->users.at(i).user) << "\n    }"
                  << (i + 1 < shown ? ",\n" : "\n");
        }
        m_out << "]\n";
        return Ok;
    }
    TextTable table({QStringLiteral("user"), QStringLiteral("sessions")});
    for (qsizetype i = 0; i < shown; ++i)
        table.addRow({list->users.at(i).user, QString::number(list->users.at(i).sessions)});
    m_out << table.render();
    m_out << list->users.size() << " users, " << list->sessionsExamined << " sessions ("
          << list->sessionsWithoutUser << " without a user)";
    if (shown < list->users.size())
        m_out << "; " << shown << " users shown";
    m_out << '\n';
    return Ok;
}

int Runner::sessions()
{
    ProgressPrinter printer(m_err);
    SessionQuery query;
    query.user = m_options.user;
    query.limit = m_options.limit;
    if (const QString cost = m_store->userLookupCost(); query.user && !cost.isEmpty())
        m_err << "Note: " << cost << '\n';
    auto list = m_store->listSessions(query, printer.callback(), m_cancel);
    if (!list)
        return report(list.error());
    if (!list->staleIndexIds.isEmpty()) {
        m_err << "Note: the user index lists " << list->staleIndexIds.size()
              << " session(s) that no longer exist.\n";
    }
    if (m_options.json) {
        QJsonArray array;
        for (const SessionSummary &s : list->sessions)
            array.append(summaryJson(s));
        printJson(array);
        return Ok;
    }
    TextTable table({QStringLiteral("id"), QStringLiteral("user"), QStringLiteral("ttl"),
                     QStringLiteral("expires_at"), QStringLiteral("size"), QStringLiteral("type")});
    for (const SessionSummary &s : list->sessions) {
        table.addRow(
            {displayBytes(s.id), s.user.isEmpty() ? QStringLiteral("-") : s.user,
             formatTtl(s.ttlMs),
             s.expiresAt.isValid() ? s.expiresAt.toString(Qt::ISODate) : QStringLiteral("-"),
             QString::number(s.sizeBytes), s.valueType});
    }
    m_out << table.render();
    m_out << list->sessions.size() << " sessions" << (list->truncated ? " (limit reached)" : "")
          << '\n';
    return Ok;
}

Result<SessionReference> Runner::resolve(const QString &input)
{
    const SessionReference ref = resolveSessionReference(input, m_store->layout());
    if (ref.id.isEmpty()) {
        return fail(Code::InvalidArgument,
                    QStringLiteral("\"%1\" is neither a session id nor a cookie.").arg(input));
    }
    return ref;
}

QString Runner::matchSentence(const SessionReference &ref, const QByteArray &id,
                              const QString &user)
{
    return QStringLiteral("%1 → session %2, user %3")
        .arg(ref.describe(m_store->layout()), displayBytes(id),
             user.isEmpty() ? QStringLiteral("-") : displayText(user));
}

int Runner::show()
{
    auto ref = resolve(m_options.args.first());
    if (!ref)
        return report(ref.error());
    const QByteArray *id = &ref->id;
    if (m_options.reveal) {
        // The reveal is recorded before anything is shown.
        if (auto audited = m_store->recordReveal(*id, m_options.reason); !audited)
            return report(audited.error());
    }
    auto detail = m_store->session(*id);
    if (!detail) {
        if (detail.error().code == Code::NotFound
            && ref->source != SessionReference::Source::SessionId) {
            // One sentence that names the layout the cookie was read with.
            m_err << "No session for this " << ref->describe(m_store->layout()) << " in "
                  << m_store->targetName() << ": it has expired or was revoked.\n";
            return Failure;
        }
        return report(detail.error());
    }
    const QString matched = matchSentence(*ref, detail->summary.id, detail->summary.user);
    const QJsonValue value = toJson(detail->decoded.root, m_options.reveal);
    if (m_options.json) {
        QJsonObject object = summaryJson(detail->summary);
        object.insert(QStringLiteral("encoding"), detail->decoded.encoding);
        object.insert(QStringLiteral("masked"), !m_options.reveal);
        object.insert(QStringLiteral("matched"), matched);
        object.insert(QStringLiteral("started_at"), timeJson(detail->summary.startedAt));
        object.insert(QStringLiteral("last_access_at"), timeJson(detail->summary.lastAccessAt));
        object.insert(QStringLiteral("device"),
                      detail->summary.device.isEmpty() ? QJsonValue()
                                                       : QJsonValue(detail->summary.device));
        object.insert(QStringLiteral("value"), value);
        if (!detail->decoded.warning.isEmpty())
            object.insert(QStringLiteral("warning"), detail->decoded.warning);
        printJson(object);
        return Ok;
    }
    const SessionSummary &s = detail->summary;
    const auto orDash = [](const QString &text) {
        return text.isEmpty() ? QStringLiteral("-") : displayText(text);
    };
    if (ref->source != SessionReference::Source::SessionId)
        m_out << "matched:    " << matched << '\n';
    m_out << "id:         " << displayBytes(s.id) << '\n'
          << "user:       " << orDash(s.user) << '\n'
          << "ttl:        " << formatTtl(s.ttlMs) << '\n'
          << "expires_at: " << orDash(s.expiresAt.toString(Qt::ISODate)) << '\n';
    if (s.startedAt.isValid())
        m_out << "started:    " << s.startedAt.toString(Qt::ISODate) << '\n';
    if (s.lastAccessAt.isValid())
        m_out << "last seen:  " << s.lastAccessAt.toString(Qt::ISODate) << '\n';
    if (!s.device.isEmpty())
        m_out << "device:     " << displayText(s.device) << '\n';
    m_out << "size:       " << s.sizeBytes << " bytes\n"
          << "encoding:   " << detail->decoded.encoding
          << (m_options.reveal ? "" : " (secrets masked; --reveal shows them, audited)") << '\n';
    if (!detail->decoded.warning.isEmpty())
        m_out << "warning:    " << detail->decoded.warning << '\n';
    // The payload as people read it: line breaks kept, nothing a terminal would obey (JSON
    // escapes control characters but not bidirectional ones; \uHHHH keeps it JSON).
    const QString payload = value.isObject() || value.isArray() ? QString::fromUtf8(jsonText(value))
                                                                : value.toString() + u'\n';
    m_out << displayText(payload, LineBreaks::Keep);
    return Ok;
}

int Runner::revoke()
{
    QList<QByteArray> ids;
    QJsonArray matchedJson;
    QStringList matched;
    for (const QString &input : std::as_const(m_options.args)) {
        auto ref = resolve(input);
        if (!ref)
            return report(ref.error());
        ids.append(ref->id);
        // Say what each id, cookie or key stands for (whose session) before it is gone.
        auto detail = m_store->session(ref->id);
        if (!detail && detail.error().code != Code::NotFound)
            return report(detail.error());
        const QString sentence = detail
            ? matchSentence(*ref, detail->summary.id, detail->summary.user)
            : QStringLiteral("%1 → no session").arg(ref->describe(m_store->layout()));
        matched << sentence;
        matchedJson.append(sentence);
    }
    m_store->setReason(m_options.reason);
    auto result = m_store->revoke(ids);
    if (!result)
        return report(result.error());
    if (m_options.json) {
        printJson(
            QJsonObject{{QStringLiteral("revoked"), idsJson(result->revoked)},
                        {QStringLiteral("not_found"), idsJson(result->notFound)},
                        {QStringLiteral("matched"), matchedJson},
                        {QStringLiteral("index_entries_removed"), result->indexEntriesRemoved},
                        {QStringLiteral("related_keys_removed"), result->relatedKeysRemoved}});
    } else {
        for (const QString &sentence : std::as_const(matched))
            m_out << sentence << '\n';
        for (const QByteArray &id : result->revoked)
            m_out << "revoked " << displayBytes(id) << '\n';
    }
    if (!result->notFound.isEmpty()) {
        QStringList shown;
        for (const QByteArray &id : result->notFound)
            shown << displayBytes(id);
        m_err << result->notFound.size() << " of " << ids.size()
              << " sessions were not found (already gone?): " << shown.join(QStringLiteral(", "))
              << '\n';
        return Failure;
    }
    return Ok;
}

int Runner::logoutUser()
{
    const QString user = m_options.args.first();
    if (const QString cost = m_store->userLookupCost(); !cost.isEmpty())
        m_err << "Note: " << cost << '\n';
    ProgressPrinter printer(m_err);
    m_store->setReason(m_options.reason);
    auto result = m_store->logoutUser(user, printer.callback(), m_cancel);
    if (!result)
        return report(result.error());
    if (m_options.json) {
        printJson(
            QJsonObject{{QStringLiteral("user"), user},
                        {QStringLiteral("revoked"), idsJson(result->revoked)},
                        {QStringLiteral("stale_index_entries"), idsJson(result->notFound)},
                        {QStringLiteral("index_entries_removed"), result->indexEntriesRemoved}});
    } else {
        m_out << "Logged " << user << " out: " << result->revoked.size()
              << (result->revoked.size() == 1 ? " session revoked" : " sessions revoked");
        if (!result->notFound.isEmpty())
            m_out << ", " << result->notFound.size() << " stale index entries removed";
        m_out << ".\n";
    }
    return Ok;
}

int Runner::destroyAll()
{
    ProgressPrinter printer(m_err);
    m_store->setReason(m_options.reason);
    // The report is written while the run goes, never held whole.
    auto result = m_options.report.isEmpty()
        ? m_store->destroyAll(m_options.dryRun, printer.callback(), m_cancel)
        : destroyAllWithSessionReport(*m_store, m_options.report, m_options.dryRun,
                                      printer.callback(), m_cancel);
    if (!result)
        return report(result.error());
    const DestroyReport &r = *result;
    // A report that could not be finished is a failure of its own, after the outcome.
    const bool reportBroken = !r.sessionReportError.isEmpty();
    if (reportBroken) {
        m_err << r.sessionReportError << '\n';
    } else if (!r.sessionReportPath.isEmpty() && !m_options.json) {
        m_err << "Report: " << r.sessionReportPath << " (" << r.sessionReportLines
              << " session lines).\n";
    }
    const QString target = m_store->targetName();
    const bool indexed = m_store->layout().hasUserIndex();
    if (m_options.json) {
        printJson(
            QJsonObject{{QStringLiteral("target"), target},
                        {QStringLiteral("dry_run"), r.dryRun},
                        {QStringLiteral("sessions"), r.matched},
                        {QStringLiteral("examined"), r.examined},
                        {QStringLiteral("destroyed"), r.destroyed},
                        {QStringLiteral("failed"), r.failed},
                        {QStringLiteral("unconfirmed"), r.unconfirmed},
                        {QStringLiteral("index_keys"), r.indexKeysDestroyed},
                        {QStringLiteral("bookkeeping_keys"), r.bookkeepingKeysDestroyed},
                        {QStringLiteral("cancelled"), r.cancelled},
                        {QStringLiteral("duration_ms"), r.durationMs},
                        {QStringLiteral("errors"), QJsonArray::fromStringList(r.errors)},
                        {QStringLiteral("aborted"),
                         r.abortReason.isEmpty() ? QJsonValue() : QJsonValue(r.abortReason)}});
    } else if (r.dryRun) {
        m_out << "Would destroy " << r.matched << " sessions";
        if (indexed)
            m_out << " and " << r.indexKeysDestroyed << " user index keys";
        if (r.bookkeepingKeysDestroyed > 0)
            m_out << " (and " << r.bookkeepingKeysDestroyed << " bookkeeping keys of the layout)";
        m_out << " in " << target << ". Nothing was changed.\n";
        if (!r.costEstimate.isEmpty())
            m_out << "Cost: " << r.costEstimate << ".\n";
        if (m_maxOpsPerSecond > 0) {
            const qint64 ms = r.leastDeleteMs(m_maxOpsPerSecond);
            m_out << "At most " << m_maxOpsPerSecond
                  << " operations a second: the deletes alone take at least "
                  << (ms < 1000 ? QStringLiteral("%1 ms").arg(ms)
                                : QStringLiteral("%1 s").arg(ms / 1000))
                  << ".\n";
        }
        m_out << "To go ahead: destroy-all --confirm " << target << '\n';
    } else {
        m_out << (r.cancelled ? "Cancelled: destroyed " : "Destroyed ") << r.destroyed << " of "
              << r.matched << " sessions";
        if (indexed)
            m_out << " and " << r.indexKeysDestroyed << " user index keys";
        if (r.bookkeepingKeysDestroyed > 0)
            m_out << " (and " << r.bookkeepingKeysDestroyed << " bookkeeping keys of the layout)";
        m_out << " in " << target << " (" << r.failed << " failed, " << r.durationMs << " ms).\n";
        if (r.unconfirmed > 0 && r.abortReason.isEmpty()) {
            // Sent again after the connection came back, they answered 0: gone, by this run's
            // first delete or by expiry or another client.
            m_out << r.unconfirmed
                  << " more lost their delete's reply to a fault and were gone when it was sent "
                     "again: removed by this run or by someone else.\n";
        } else if (r.unconfirmed > 0) {
            m_out << r.unconfirmed
                  << " more were sent for deletion but their reply was lost: they may or may not "
                     "be gone.\n";
        }
        if (r.consumedCapacityUnits >= 0)
            m_out << "Consumed " << qRound64(r.consumedCapacityUnits) << " capacity units.\n";
        for (const QString &error : r.errors)
            m_err << "failure: " << error << '\n';
    }
    if (!r.abortReason.isEmpty()) {
        m_err << "Stopped after destroying " << r.destroyed << " sessions";
        if (r.unconfirmed > 0)
            m_err << " (and " << r.unconfirmed << " whose delete got no reply)";
        m_err << "; the rest were not attempted: " << r.abortReason << '\n';
        return Failure;
    }
    if (r.cancelled) {
        m_err << "Cancelled by the operator after " << r.destroyed << " sessions.\n";
        return Failure;
    }
    return r.failed > 0 || reportBroken ? Failure : Ok;
}

} // namespace

int run(const QStringList &arguments, QTextStream &out, QTextStream &err, const CancelToken &cancel)
{
    Runner runner(out, err, cancel);
    return runner.run(arguments);
}

} // namespace SessionDesk::Cli
