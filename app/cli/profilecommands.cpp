#include "profilecommands.h"

#include "cliapp.h"
#include "keychain.h"
#include "profileimport.h"
#include "textoutput.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>

#include <cstdio>
#include <termios.h>
#include <unistd.h>

namespace SessionDesk::Cli {

namespace {

const char kProfileUsage[] =
    "profile needs one of: list, add NAME --store URL, remove NAME, set-password NAME, "
    "set-sentinel-password NAME, forget-password NAME, import-urls FILE, import-aws AWS_PROFILE "
    "TABLE [REGION].";

// The two secrets a saved connection may keep in the keychain.
enum class Secret { Store, Sentinels };

// `profile list`'s password column: where the store's password is, and the sentinels'.
QString passwordColumn(const ConnectionProfile &p)
{
    QString text = p.passwordInKeychain ? QStringLiteral("keychain") : QStringLiteral("-");
    if (!p.sentinelSecretKey().isEmpty()) {
        text += p.sentinelPasswordInKeychain ? QStringLiteral(", sentinels': keychain")
                                             : QStringLiteral(", sentinels': -");
    }
    return text;
}

class ProfileRunner
{
public:
    ProfileRunner(const ProfileCommand &command, QTextStream &out, QTextStream &err)
        : m_command(command)
        , m_out(out)
        , m_err(err)
        , m_settings(command.settingsPath, QSettings::IniFormat)
        , m_profiles(ConnectionProfile::load(m_settings))
    { }

    int run();

private:
    int list();
    int add(const QString &name);
    int remove(const QString &name);
    int setPassword(const QString &name, Secret secret);
    int forgetPassword(const QString &name);
    int importUrls(const QString &file);
    int importAws(const QString &awsProfile, const QString &table, const QString &region);

    // Saves the profiles; false (with the reason on stderr) when the file cannot be written.
    bool save();
    ConnectionProfile *find(const QString &name);
    QStringList names() const;
    // Puts `password` in the keychain for `profile` and sets its flag. On failure says why and
    // that nothing was saved; the profile stays without a saved password.
    bool remember(ConnectionProfile &profile, const QString &password, Secret secret);
    // Removes the saved passwords of `removed` that no profile in m_profiles shares; false (with
    // the keychain's reason on stderr) when the keychain failed.
    bool forgetUnshared(const ConnectionProfile &removed);
    int usage(const QString &message)
    {
        m_err << message << '\n';
        return Usage;
    }

    const ProfileCommand &m_command;
    QTextStream &m_out;
    QTextStream &m_err;
    QSettings m_settings;
    QList<ConnectionProfile> m_profiles;
};

int ProfileRunner::run()
{
    const QStringList &args = m_command.args;
    if (args.isEmpty())
        return usage(QString::fromLatin1(kProfileUsage));
    const QString &verb = args.first();
    const qsizetype count = args.size() - 1;
    const auto expect = [&](qsizetype min, qsizetype max) { return count >= min && count <= max; };
    if (verb == u"list" && expect(0, 0))
        return list();
    if (verb == u"add" && expect(1, 1))
        return add(args.at(1));
    if (verb == u"remove" && expect(1, 1))
        return remove(args.at(1));
    if (verb == u"set-password" && expect(1, 1))
        return setPassword(args.at(1), Secret::Store);
    if (verb == u"set-sentinel-password" && expect(1, 1))
        return setPassword(args.at(1), Secret::Sentinels);
    if (verb == u"forget-password" && expect(1, 1))
        return forgetPassword(args.at(1));
    if (verb == u"import-urls" && expect(1, 1))
        return importUrls(args.at(1));
    if (verb == u"import-aws" && expect(2, 3))
        return importAws(args.at(1), args.at(2), count == 3 ? args.at(3) : QString());
    return usage(QString::fromLatin1(kProfileUsage));
}

ConnectionProfile *ProfileRunner::find(const QString &name)
{
    for (ConnectionProfile &profile : m_profiles) {
        if (profile.name == name)
            return &profile;
    }
    return nullptr;
}

QStringList ProfileRunner::names() const
{
    QStringList result;
    for (const ConnectionProfile &profile : m_profiles)
        result << profile.name;
    return result;
}

bool ProfileRunner::save()
{
    ConnectionProfile::save(m_settings, m_profiles);
    m_settings.sync();
    if (m_settings.status() != QSettings::NoError) {
        m_err << "Could not write the settings file " << m_command.settingsPath
              << "; nothing was changed.\n";
        return false;
    }
    return true;
}

bool ProfileRunner::remember(ConnectionProfile &profile, const QString &password, Secret secret)
{
    const bool sentinels = secret == Secret::Sentinels;
    const QString key = sentinels ? profile.sentinelSecretKey() : profile.secretKey();
    if (key.isEmpty()) {
        m_err << "\"" << profile.name << "\" needs no password (" << profile.kindLabel()
              << "); nothing was saved in the keychain.\n";
        return false;
    }
    const Keychain::Outcome outcome = Keychain::writeNow(key, password);
    if (!outcome.ok()) {
        m_err << outcome.message << " The password was not saved anywhere; it will be asked for "
              << "(or give it in "
              << (sentinels ? "$SESSIONDESK_SENTINEL_PASSWORD" : "$SESSIONDESK_PASSWORD") << ").\n";
        return false;
    }
    (sentinels ? profile.sentinelPasswordInKeychain : profile.passwordInKeychain) = true;
    return true;
}

bool ProfileRunner::forgetUnshared(const ConnectionProfile &removed)
{
    bool ok = true;
    for (const QString &key : ConnectionProfile::unsharedSecretKeys(removed, m_profiles)) {
        const Keychain::Outcome outcome = Keychain::removeNow(key);
        if (!outcome.ok() && outcome.status != Keychain::Status::NotFound) {
            m_err << outcome.message << '\n';
            ok = false;
        }
    }
    return ok;
}

int ProfileRunner::list()
{
    if (m_command.json) {
        QJsonArray array;
        for (const ConnectionProfile &p : std::as_const(m_profiles)) {
            array.append(QJsonObject{
                {QStringLiteral("name"), p.name},
                {QStringLiteral("kind"), p.kindLabel()},
                {QStringLiteral("url"), p.url},
                {QStringLiteral("schema"), p.schema},
                {QStringLiteral("user_index"), p.userIndex},
                {QStringLiteral("read_only"), p.readOnlyLocked},
                {QStringLiteral("max_ops_per_second"),
                 p.maxOpsPerSecond > 0 ? QJsonValue(p.maxOpsPerSecond) : QJsonValue()},
                {QStringLiteral("password_in_keychain"), p.passwordInKeychain},
                {QStringLiteral("sentinel_password_in_keychain"), p.sentinelPasswordInKeychain}});
        }
        m_out << QJsonDocument(array).toJson(QJsonDocument::Indented);
        return Ok;
    }
    TextTable table({QStringLiteral("name"), QStringLiteral("kind"), QStringLiteral("url"),
                     QStringLiteral("schema"), QStringLiteral("password")});
    for (const ConnectionProfile &p : std::as_const(m_profiles)) {
        table.addRow({p.name,
                      p.kindLabel() + (p.readOnlyLocked ? QStringLiteral(", read-only") : QString())
                          + (p.maxOpsPerSecond > 0
                                 ? QStringLiteral(", at most %1 ops/s").arg(p.maxOpsPerSecond)
                                 : QString()),
                      p.url, p.schema, passwordColumn(p)});
    }
    m_out << table.render();
    m_out << m_profiles.size() << " saved connections in " << m_command.settingsPath << '\n';
    return Ok;
}

int ProfileRunner::add(const QString &name)
{
    if (name.trimmed().isEmpty())
        return usage(QStringLiteral("A connection needs a name."));
    if (m_command.storeUrl.isEmpty() || !m_command.selection)
        return usage(QStringLiteral("profile add needs --store URL."));
    if (!*m_command.selection)
        return usage(m_command.selection->error().message);
    if (m_command.layoutOverridesGiven) {
        return usage(QStringLiteral("--key-prefix and the attribute-name options cannot be saved "
                                    "in a connection; give them with --store instead."));
    }
    if (find(name))
        return usage(QStringLiteral("A connection named \"%1\" exists already.").arg(name));
    const StoreOptions::Selection &selection = **m_command.selection;
    ConnectionProfile profile;
    profile.name = name.trimmed();
    profile.url = selection.config.redactedUrl();
    profile.schema = selection.layout.schema;
    profile.schemaFile = selection.schemaFile;
    profile.userIndex = selection.layout.userIndexPattern;
    profile.tlsCaFile = selection.config.tls.caFile;
    profile.tlsCertFile = selection.config.tls.certFile;
    profile.tlsKeyFile = selection.config.tls.keyFile;
    profile.tlsServerName = selection.config.tls.serverName;
    profile.tlsInsecure = selection.config.tls.insecure;
    profile.sentinelUser = selection.config.sentinelUsername; // the password: keychain, below
    profile.clusterHostMap = m_command.clusterHostMap;
    profile.readOnlyLocked = selection.config.readOnly;
    profile.maxOpsPerSecond = selection.config.maxOpsPerSecond;
    // Only the paths given on the command line; the schema's defaults stay implicit.
    if (const auto defaults = SessionLayout::preset(profile.schema);
        defaults && defaults->userFields != selection.layout.userFields) {
        profile.userFields = selection.layout.userFields;
    }
    // The password written in the URL and --sentinel-password only; the environment's are for
    // one run.
    const auto given = StoreConfig::fromUrl(m_command.storeUrl);
    bool saved = false;
    if (given && !given->password.isEmpty())
        saved = remember(profile, given->password, Secret::Store);
    bool sentinelSaved = false;
    if (!m_command.sentinelPassword.isEmpty())
        sentinelSaved = remember(profile, m_command.sentinelPassword, Secret::Sentinels);
    m_profiles.append(profile);
    if (!save())
        return Failure;
    m_out << "Saved \"" << profile.name << "\" (" << profile.url << ")"
          << (saved ? ", password in the system keychain" : "")
          << (sentinelSaved ? ", the sentinels' password in the system keychain" : "") << ".\n";
    return Ok;
}

int ProfileRunner::remove(const QString &name)
{
    const ConnectionProfile *found = find(name);
    if (!found)
        return usage(QStringLiteral("There is no saved connection named \"%1\" in %2.")
                         .arg(name, m_command.settingsPath));
    const ConnectionProfile removed = *found;
    m_profiles.removeIf([&](const ConnectionProfile &p) { return p.name == name; });
    if (!save())
        return Failure;
    m_out << "Removed \"" << name << "\".\n";
    // The passwords go too, unless another saved connection uses the same one.
    return forgetUnshared(removed) ? Ok : Failure;
}

int ProfileRunner::setPassword(const QString &name, Secret secret)
{
    ConnectionProfile *profile = find(name);
    if (!profile)
        return usage(QStringLiteral("There is no saved connection named \"%1\" in %2.")
                         .arg(name, m_command.settingsPath));
    const bool sentinels = secret == Secret::Sentinels;
    if (sentinels && profile->sentinelSecretKey().isEmpty())
        return usage(QStringLiteral("\"%1\" is a %2 connection, which has no sentinels.")
                         .arg(name, profile->kindLabel()));
    if (profile->secretKey().isEmpty())
        return usage(QStringLiteral("\"%1\" is a %2 connection, which takes no password.")
                         .arg(name, profile->kindLabel()));
    const QString prompt = sentinels ? QStringLiteral("Password of the sentinels for %1 (%2): ")
                                     : QStringLiteral("Password for %1 (%2): ");
    const std::optional<QString> password = readPassword(prompt.arg(name, profile->url), m_err);
    if (!password || password->isEmpty()) {
        m_err << "No password given; nothing was saved.\n";
        return Usage;
    }
    if (!remember(*profile, *password, secret))
        return Failure;
    if (!save())
        return Failure;
    m_out << (sentinels ? "The sentinels' password of \"" : "The password of \"") << name
          << "\" is in the system keychain.\n";
    return Ok;
}

int ProfileRunner::forgetPassword(const QString &name)
{
    ConnectionProfile *profile = find(name);
    if (!profile)
        return usage(QStringLiteral("There is no saved connection named \"%1\" in %2.")
                         .arg(name, m_command.settingsPath));
    const QString storeKey = profile->secretKey();
    const QString sentinelKey = profile->sentinelSecretKey();
    // Both entries, whatever the flags say: an entry left by an older version goes too.
    for (const QString &key : {storeKey, sentinelKey}) {
        if (key.isEmpty())
            continue;
        const Keychain::Outcome outcome = Keychain::removeNow(key);
        if (!outcome.ok() && outcome.status != Keychain::Status::NotFound) {
            m_err << outcome.message << '\n';
            return Failure;
        }
    }
    profile->passwordInKeychain = false;
    profile->sentinelPasswordInKeychain = false;
    // The entries are gone for every connection that used them.
    QStringList others = ConnectionProfile::forgetSecretKey(m_profiles, storeKey)
        + ConnectionProfile::forgetSecretKey(m_profiles, sentinelKey);
    others.removeDuplicates();
    for (QString &other : others)
        other = QStringLiteral("\"%1\"").arg(other);
    if (!save())
        return Failure;
    m_out << "No password is saved for \"" << name << "\" any more";
    if (!others.isEmpty())
        m_out << " (nor for " << others.join(QStringLiteral(", ")) << ", which used the same)";
    m_out << ".\n";
    return Ok;
}

int ProfileRunner::importUrls(const QString &file)
{
    QFile input;
    const bool fromStdin = file == u"-";
    if (fromStdin ? !input.open(stdin, QIODevice::ReadOnly)
                  : (input.setFileName(file), !input.open(QIODevice::ReadOnly))) {
        m_err << "Cannot read " << file << ": " << input.errorString() << ".\n";
        return Failure;
    }
    constexpr qint64 kMaxBytes = 4 * 1024 * 1024;
    const QByteArray bytes = input.read(kMaxBytes + 1);
    if (bytes.size() > kMaxBytes) {
        m_err << file << " is larger than 4 MiB; that is not a list of store URLs.\n";
        return Usage;
    }
    const ProfileImport::UrlListResult parsed =
        ProfileImport::parseUrlList(QString::fromUtf8(bytes), names());
    for (const QString &problem : parsed.problems)
        m_err << problem << '\n';
    for (const QString &skipped : parsed.skipped)
        m_err << skipped << '\n';
    QStringList lines;
    int unsaved = 0;
    for (const ProfileImport::Imported &imported : parsed.profiles) {
        ConnectionProfile profile = imported.profile;
        bool remembered = false;
        if (!imported.password.isEmpty()) {
            remembered = remember(profile, imported.password, Secret::Store);
            unsaved += remembered ? 0 : 1;
        }
        m_profiles.append(profile);
        lines << QStringLiteral("imported \"%1\" (%2)%3")
                     .arg(profile.name, profile.url,
                          remembered ? QStringLiteral(", password in the system keychain")
                                     : QString());
    }
    if (!parsed.profiles.isEmpty() && !save())
        return Failure;
    for (const QString &line : std::as_const(lines))
        m_out << line << '\n';
    m_out << parsed.profiles.size() << " connections imported, " << parsed.skipped.size()
          << " skipped, " << parsed.problems.size() << " lines not understood.\n";
    if (unsaved == 1)
        m_err << "1 password was not saved (no keychain); it will be asked for.\n";
    else if (unsaved > 1)
        m_err << unsaved << " passwords were not saved (no keychain); they will be asked for.\n";
    return parsed.problems.isEmpty() ? Ok : Failure;
}

int ProfileRunner::importAws(const QString &awsProfile, const QString &table, const QString &region)
{
    auto profile = ProfileImport::fromAwsProfile(awsProfile, table, region);
    if (!profile) {
        m_err << profile.error().message << '\n';
        return profile.error().code == StorageError::Code::InvalidArgument ? Usage : Failure;
    }
    if (find(profile->name))
        return usage(
            QStringLiteral("A connection named \"%1\" exists already.").arg(profile->name));
    m_profiles.append(*profile);
    if (!save())
        return Failure;
    m_out << "Saved \"" << profile->name << "\" (" << profile->url << ").\n";
    return Ok;
}

} // namespace

bool stdinIsTerminal()
{
    return isatty(STDIN_FILENO);
}

std::optional<QString> readPassword(const QString &prompt, QTextStream &err)
{
    std::string line;
    if (stdinIsTerminal()) {
        // Echo off first, then the prompt (as getpass() does): turning echo off discards what
        // was typed before, so an answer typed as soon as the prompt shows must come after it.
        termios saved{};
        const bool canHide = tcgetattr(STDIN_FILENO, &saved) == 0;
        if (canHide) {
            termios hidden = saved;
            hidden.c_lflag &= ~tcflag_t(ECHO);
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden);
        }
        err << prompt;
        err.flush();
        int c = 0;
        bool sawEnd = true;
        while ((c = std::getchar()) != EOF) {
            if (c == '\n') {
                sawEnd = false;
                break;
            }
            line.push_back(char(c));
        }
        if (canHide)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        err << '\n';
        err.flush();
        if (sawEnd && line.empty())
            return std::nullopt;
    } else {
        int c = 0;
        bool any = false;
        while ((c = std::getchar()) != EOF && c != '\n') {
            line.push_back(char(c));
            any = true;
        }
        if (!any && c == EOF)
            return std::nullopt;
    }
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    QString password = QString::fromStdString(line);
    std::fill(line.begin(), line.end(), '\0');
    return password;
}

int runProfileCommand(const ProfileCommand &command, QTextStream &out, QTextStream &err)
{
    ProfileRunner runner(command, out, err);
    return runner.run();
}

} // namespace SessionDesk::Cli
