#include "cliapp.h"

#include "auditedstore.h"
#include "buildinfo.h"
#include "keychain.h"
#include "profilecommands.h"
#include "sessionlookup.h"
#include "storefactory.h"
#include "storeoptions.h"
#include "textoutput.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>

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
  --json                   print one JSON document
  --audit-log FILE         audit log (default $SESSIONDESK_AUDIT_LOG or the data folder)
  --timeout SECONDS        connect and command idle timeout (default 5 and 30); also how
                           long a failover, a loading or a busy server is waited out
  --list-schemas           print the session layouts --schema knows, one a line
  --list-profiles          print the names of the saved connections, one a line
  --version, --help

The password may also come from $SESSIONDESK_PASSWORD, so that it need not be in the URL.
With --profile and no saved password, a terminal is asked for it when the store wants one.

Commands:
  info                                 store kind, target name, server version, session count
  settings                             the store's settings, read-only, without a scan
  users [--limit N]                    users with their session counts
  sessions [--user U] [--limit N]      id, user, ttl_seconds, expires_at, size_bytes
  show ID|COOKIE [--reveal]            one session decoded; secrets masked unless --reveal
                                       (COOKIE: the value, name=value or a Cookie: header)
  revoke ID|COOKIE...                  destroy the given sessions
  logout-user USER                     destroy every session of USER (global logout)
  destroy-all (--dry-run | --confirm TARGET)
                                       destroy every session of the layout; TARGET must equal
                                       the target name `info` prints: host:port/db,
                                       sentinel:MASTER/db, or cluster:host:port,... (the
                                       nodes as the URL lists them)
  profile list                         saved connections (shared with the desktop app)
  profile add NAME --store URL [OPTIONS]
                                       save a connection; a password in URL goes to the
                                       system keychain, never to the settings file
  profile remove NAME                  delete a saved connection and its saved password
  profile set-password NAME            read a password (terminal or stdin) into the keychain
  profile forget-password NAME         remove the saved password from the keychain
  profile import-urls FILE             one store URL a line ("NAME URL" too; "-": stdin)
  profile import-aws AWS_PROFILE TABLE [REGION]
                                       a DynamoDB connection using that AWS profile

Exit codes: 0 ok, 1 failure, 2 usage, 4 refused (read-only, confirmation mismatch).
)";

struct Options
{
    QString command;
    QStringList args;
    bool json = false;
    bool reveal = false;
    bool dryRun = false;
    QString confirm;
    std::optional<QString> user;
    qint64 limit = -1;
    QString auditPath;
    std::optional<ConnectionProfile> profile; // --profile
    ProfileCommand profileCommand; // the "profile" command
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
            m_err << "\r\033[K" << p.phase << ": examined " << p.examined << ", matched "
                  << p.matched;
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
    int info(bool countSessions);
    int users();
    int sessions();
    int show();
    int revoke();
    int logoutUser();
    int destroyAll();

    int report(const StorageError &error)
    {
        m_err << error.message << '\n';
        return exitCodeFor(error);
    }
    void printJson(const QJsonValue &value)
    {
        const QJsonDocument doc =
            value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
        m_out << doc.toJson(QJsonDocument::Indented);
    }
    Result<SessionReference> resolve(const QString &input);
    // "cookie connect.sid of connect-redis → session abc, user alice", for a cookie or a key.
    QString matchSentence(const SessionReference &ref, const QByteArray &id, const QString &user);

    QTextStream &m_out;
    QTextStream &m_err;
    CancelToken m_cancel;
    Options m_options;
    std::unique_ptr<AuditedStore> m_store;
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
    const QCommandLineOption listSchemas(QStringLiteral("list-schemas"));
    const QCommandLineOption listProfiles(QStringLiteral("list-profiles"));
    const QCommandLineOption version(QStringLiteral("version"));
    const QCommandLineOption help(QStringList{QStringLiteral("help"), QStringLiteral("h")});
    parser.addOptions({json, auditLog, limit, user, reveal, dryRun, confirm, listSchemas,
                       listProfiles, version, help});
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
        {&limit, {QStringLiteral("users"), QStringLiteral("sessions")}},
        {&user, {QStringLiteral("sessions")}},
        {&reveal, {QStringLiteral("show")}},
        {&dryRun, {QStringLiteral("destroy-all")}},
        {&confirm, {QStringLiteral("destroy-all")}}};
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
    options.auditPath = parser.isSet(auditLog) ? parser.value(auditLog) : AuditLog::defaultPath();

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
    const QStringList known = {QStringLiteral("settings"),    QStringLiteral("info"),
                               QStringLiteral("users"),       QStringLiteral("sessions"),
                               QStringLiteral("show"),        QStringLiteral("revoke"),
                               QStringLiteral("logout-user"), QStringLiteral("destroy-all")};
    if (!known.contains(m_options.command)) {
        m_err << "Unknown command \"" << m_options.command << "\"; see sessiondesk-cli --help.\n";
        return Usage;
    }
    const QStringList noArgs = {QStringLiteral("settings"), QStringLiteral("info"),
                                QStringLiteral("users"), QStringLiteral("sessions"),
                                QStringLiteral("destroy-all")};
    if (noArgs.contains(m_options.command) && !m_options.args.isEmpty()) {
        m_err << '"' << m_options.command << "\" takes no arguments.\n";
        return Usage;
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
    // A saved connection's password: from $SESSIONDESK_PASSWORD (already in config), else from
    // the system keychain when one was saved there, else from the operator's terminal.
    const std::optional<ConnectionProfile> &profile = m_options.profile;
    QString keychainNote;
    bool fromKeychain = false;
    if (profile && config.password.isEmpty() && profile->passwordInKeychain) {
        const Keychain::Outcome secret = Keychain::readNow(profile->secretKey());
        fromKeychain = secret.ok();
        if (secret.ok())
            config.password = secret.secret;
        else
            keychainNote = secret.message;
    }
    const bool hadPassword = !config.password.isEmpty();
    bool typed = false;
    const auto open = [&] {
        m_store = std::make_unique<AuditedStore>(createStore(config, layout),
                                                 AuditLog(m_options.auditPath));
        return m_store->connect();
    };
    auto connected = open();
    const auto refused = [&] {
        return !connected && connected.error().code == StorageError::Code::Authentication;
    };
    if (refused() && profile && !hadPassword && stdinIsTerminal()) {
        if (!keychainNote.isEmpty())
            m_err << keychainNote << '\n';
        const std::optional<QString> password = readPassword(
            QStringLiteral("Password for %1 (%2): ").arg(profile->name, config.targetName()),
            m_err);
        if (password && !password->isEmpty()) {
            config.password = *password;
            typed = true;
            connected = open();
        }
    }
    if (connected)
        return Ok;
    const int code = report(connected.error());
    if (refused() && profile && fromKeychain) {
        m_err << "The password saved in the system keychain for \"" << profile->name
              << "\" was refused; replace it with sessiondesk-cli profile set-password.\n";
    } else if (refused() && profile && !hadPassword && !typed) {
        if (!keychainNote.isEmpty())
            m_err << keychainNote << '\n';
        m_err << "No password is saved for \"" << profile->name
              << "\": save one with sessiondesk-cli profile set-password, or give it in "
                 "$SESSIONDESK_PASSWORD.\n";
    }
    return code;
}

int Runner::execute()
{
    const QString &c = m_options.command;
    if (c == u"info")
        return info(true);
    if (c == u"settings")
        return info(false);
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

int Runner::info(bool countSessions)
{
    ProgressPrinter printer(m_err);
    auto info =
        countSessions ? m_store->describe(printer.callback(), m_cancel) : m_store->settings();
    if (!info)
        return report(info.error());
    if (!countSessions) {
        // Evidence for an auditor: the settings in the order the store reports them.
        if (m_options.json) {
            QJsonArray rows;
            for (const auto &[name, value] : info->settings)
                rows.append(
                    QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("value"), value}});
            printJson(QJsonObject{
                {QStringLiteral("kind"), info->kind},
                {QStringLiteral("target"), info->target},
                {QStringLiteral("read_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
                {QStringLiteral("settings"), rows}});
            return Ok;
        }
        TextTable table({QStringLiteral("setting"), QStringLiteral("value")});
        for (const auto &[name, value] : info->settings)
            table.addRow({name, value});
        m_out << table.render();
        return Ok;
    }
    if (m_options.json) {
        QJsonObject settings;
        for (const auto &[name, value] : info->settings)
            settings.insert(name, value);
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
                              {QStringLiteral("settings"), settings}});
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
    for (const auto &[name, value] : info->settings)
        table.addRow({name, value});
    m_out << table.render();
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
        QJsonArray array;
        for (qsizetype i = 0; i < shown; ++i) {
            array.append(QJsonObject{{QStringLiteral("user"), list->users.at(i).user},
                                     {QStringLiteral("sessions"), list->users.at(i).sessions}});
        }
        printJson(array);
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
             user.isEmpty() ? QStringLiteral("-") : user);
}

int Runner::show()
{
    auto ref = resolve(m_options.args.first());
    if (!ref)
        return report(ref.error());
    const QByteArray *id = &ref->id;
    if (m_options.reveal) {
        // The reveal is recorded before anything is shown.
        if (auto audited = m_store->recordReveal(*id); !audited)
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
        return text.isEmpty() ? QStringLiteral("-") : text;
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
        m_out << "device:     " << s.device << '\n';
    m_out << "size:       " << s.sizeBytes << " bytes\n"
          << "encoding:   " << detail->decoded.encoding
          << (m_options.reveal ? "" : " (secrets masked; --reveal shows them, audited)") << '\n';
    if (!detail->decoded.warning.isEmpty())
        m_out << "warning:    " << detail->decoded.warning << '\n';
    if (value.isObject() || value.isArray())
        printJson(value);
    else
        m_out << value.toString() << '\n';
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
    auto result = m_store->destroyAll(m_options.dryRun, printer.callback(), m_cancel);
    if (!result)
        return report(result.error());
    const DestroyReport &r = *result;
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
        m_out << "To go ahead: destroy-all --confirm " << target << '\n';
    } else {
        m_out << (r.cancelled ? "Cancelled: destroyed " : "Destroyed ") << r.destroyed << " of "
              << r.matched << " sessions";
        if (indexed)
            m_out << " and " << r.indexKeysDestroyed << " user index keys";
        if (r.bookkeepingKeysDestroyed > 0)
            m_out << " (and " << r.bookkeepingKeysDestroyed << " bookkeeping keys of the layout)";
        m_out << " in " << target << " (" << r.failed << " failed, " << r.durationMs << " ms).\n";
        if (r.unconfirmed > 0) {
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
    return r.failed > 0 ? Failure : Ok;
}

} // namespace

int run(const QStringList &arguments, QTextStream &out, QTextStream &err, const CancelToken &cancel)
{
    Runner runner(out, err, cancel);
    return runner.run(arguments);
}

} // namespace SessionDesk::Cli
