#include "cliapp.h"

#include "auditedstore.h"
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

#include <unistd.h>

namespace SessionDesk::Cli {

namespace {

using Code = StorageError::Code;

const char kUsage[] = R"(Usage: sessiondesk-cli [OPTIONS] COMMAND [ARGS]

Administer the web sessions kept in a Redis or DynamoDB session store.

Options:
  --store URL              redis://[user[:password]@]host[:port][/db], rediss://... (TLS) or
                           dynamodb://TABLE[?region=R&profile=P&endpoint=URL&index=NAME];
                           default $SESSIONDESK_STORE, else redis://127.0.0.1:6379
  --schema NAME            session layout: connect-redis (Redis default), dynamodb-gds
                           (DynamoDB default), connect-dynamodb
  --user-field PATH        dotted path of the user id inside a session; repeat to try several
                           (default: user_id, passport.user, userId, sub)
  --user-index PATTERN     per-user index key, e.g. 'user-sessions:{user}' (SET or ZSET of ids)
  --key-prefix PREFIX      the session key (or DynamoDB id) prefix instead of the schema's
  --id-attribute NAME, --value-attribute NAME, --expires-attribute NAME, --user-attribute NAME
                           DynamoDB attribute names instead of the schema's
  --tls-ca FILE            trust only the CAs in FILE (PEM) instead of the system store
  --tls-cert FILE          client certificate (PEM), with --tls-key FILE
  --tls-server-name NAME   verify the server certificate for NAME (and send it as SNI)
  --tls-insecure           do NOT verify the server certificate (warns; avoid)
  --read-only              refuse every change
  --mask-field NAME        mask fields called NAME too; repeat or separate with commas
  --no-mask-field NAME     never mask fields called NAME (by name or by value shape)
  --json                   print one JSON document
  --audit-log FILE         audit log (default $SESSIONDESK_AUDIT_LOG or the data folder)
  --timeout SECONDS        connect and command idle timeout (default 5 and 30)
  --version, --help

The password may also come from $SESSIONDESK_PASSWORD, so that it need not be in the URL.

Commands:
  info                                 store kind, target name, server version, session count
  settings                             the store's settings, read-only, without a scan
  users [--limit N]                    users with their session counts
  sessions [--user U] [--limit N]      id, user, ttl_seconds, expires_at, size_bytes
  show ID|COOKIE [--reveal]            one session decoded; secrets masked unless --reveal
  revoke ID|COOKIE...                  destroy the given sessions
  logout-user USER                     destroy every session of USER (global logout)
  destroy-all (--dry-run | --confirm TARGET)
                                       destroy every session of the layout; TARGET must equal
                                       the target name `info` prints (host:port/db)

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
    Result<QByteArray> resolve(const QString &input);

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
    const QCommandLineOption version(QStringLiteral("version"));
    const QCommandLineOption help(QStringList{QStringLiteral("help"), QStringLiteral("h")});
    parser.addOptions({json, auditLog, limit, user, reveal, dryRun, confirm, version, help});
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

    auto selection = storeOptions.read(parser);
    if (!selection)
        throw UsageError{selection.error().message};
    config = selection->config;
    layout = selection->layout;
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
        m_out << "sessiondesk-cli " << QCoreApplication::applicationVersion() << '\n';
        return Ok;
    }
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
    m_store =
        std::make_unique<AuditedStore>(createStore(config, layout), AuditLog(m_options.auditPath));
    if (auto connected = m_store->connect(); !connected)
        return report(connected.error());
    // Compared with the connected store's name: a DynamoDB target includes the region that
    // was resolved from the environment or the profile.
    if (m_options.command == u"destroy-all" && !m_options.dryRun
        && m_options.confirm != m_store->targetName()) {
        m_err << "Refused: --confirm \"" << m_options.confirm << "\" does not match the target \""
              << m_store->targetName() << "\"; nothing was destroyed.\n";
        return Refused;
    }
    return execute();
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

Result<QByteArray> Runner::resolve(const QString &input)
{
    const SessionReference ref = resolveSessionReference(input, m_store->layout());
    if (ref.id.isEmpty()) {
        return fail(Code::InvalidArgument,
                    QStringLiteral("\"%1\" is neither a session id nor a cookie.").arg(input));
    }
    return ref.id;
}

int Runner::show()
{
    auto id = resolve(m_options.args.first());
    if (!id)
        return report(id.error());
    if (m_options.reveal) {
        // The reveal is recorded before anything is shown.
        if (auto audited = m_store->recordReveal(*id); !audited)
            return report(audited.error());
    }
    auto detail = m_store->session(*id);
    if (!detail)
        return report(detail.error());
    const QJsonValue value = toJson(detail->decoded.root, m_options.reveal);
    if (m_options.json) {
        QJsonObject object = summaryJson(detail->summary);
        object.insert(QStringLiteral("encoding"), detail->decoded.encoding);
        object.insert(QStringLiteral("masked"), !m_options.reveal);
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
    m_out << "id:         " << displayBytes(s.id) << '\n'
          << "user:       " << orDash(s.user) << '\n'
          << "ttl:        " << formatTtl(s.ttlMs) << '\n'
          << "expires_at: " << orDash(s.expiresAt.toString(Qt::ISODate)) << '\n'
          << "size:       " << s.sizeBytes << " bytes\n"
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
    for (const QString &input : std::as_const(m_options.args)) {
        auto id = resolve(input);
        if (!id)
            return report(id.error());
        ids.append(*id);
    }
    auto result = m_store->revoke(ids);
    if (!result)
        return report(result.error());
    if (m_options.json) {
        printJson(
            QJsonObject{{QStringLiteral("revoked"), idsJson(result->revoked)},
                        {QStringLiteral("not_found"), idsJson(result->notFound)},
                        {QStringLiteral("index_entries_removed"), result->indexEntriesRemoved}});
    } else {
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
                        {QStringLiteral("index_keys"), r.indexKeysDestroyed},
                        {QStringLiteral("cancelled"), r.cancelled},
                        {QStringLiteral("duration_ms"), r.durationMs},
                        {QStringLiteral("errors"), QJsonArray::fromStringList(r.errors)},
                        {QStringLiteral("aborted"),
                         r.abortReason.isEmpty() ? QJsonValue() : QJsonValue(r.abortReason)}});
    } else if (r.dryRun) {
        m_out << "Would destroy " << r.matched << " sessions";
        if (indexed)
            m_out << " and " << r.indexKeysDestroyed << " user index keys";
        m_out << " in " << target << ". Nothing was changed.\n";
        if (!r.costEstimate.isEmpty())
            m_out << "Cost: " << r.costEstimate << ".\n";
        m_out << "To go ahead: destroy-all --confirm " << target << '\n';
    } else {
        m_out << (r.cancelled ? "Cancelled: destroyed " : "Destroyed ") << r.destroyed << " of "
              << r.matched << " sessions";
        if (indexed)
            m_out << " and " << r.indexKeysDestroyed << " user index keys";
        m_out << " in " << target << " (" << r.failed << " failed, " << r.durationMs << " ms).\n";
        if (r.consumedCapacityUnits >= 0)
            m_out << "Consumed " << qRound64(r.consumedCapacityUnits) << " capacity units.\n";
        for (const QString &error : r.errors)
            m_err << "failure: " << error << '\n';
    }
    if (!r.abortReason.isEmpty()) {
        m_err << "Stopped after destroying " << r.destroyed << " sessions: " << r.abortReason
              << '\n';
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
