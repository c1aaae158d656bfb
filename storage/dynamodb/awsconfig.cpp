#include "awsconfig.h"

#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QXmlStreamReader>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QProcess>
#include <QRegularExpression>
#include <QStringList>

#include <map>
#include <optional>

using namespace Qt::StringLiterals;

namespace SessionDesk::Aws {

namespace {

using Section = std::map<QString, QString>; // lower-cased key -> value

// One parsed INI file. A missing file is not an error: the chain just moves on.
struct IniFile
{
    QString path;
    bool exists = false;
    std::map<QString, Section> sections; // section name as written between the brackets
};

constexpr int kProcessTimeoutMs = 60'000;

QString homePath()
{
    return QDir::homePath();
}

QString expandHome(const QString &path)
{
    if (path == u"~")
        return homePath();
    if (path.startsWith(u"~/"))
        return homePath() + path.mid(1);
    return path;
}

// Paths in messages: "~/.aws/credentials" reads better than the full home directory.
QString displayPath(const QString &path)
{
    const QString home = homePath();
    if (!home.isEmpty() && home != u"/" && path.startsWith(home + u'/'))
        return u"~"_s + path.mid(home.size());
    return path;
}

QString envValue(const char *name)
{
    return qEnvironmentVariable(name).trimmed();
}

// The AWS CLI's rules (botocore's RawConfigParser): full-line comments start with '#' or ';';
// "[name]" opens a section (anything after the closing bracket is ignored); "key = value" or
// "key: value" sets a key, case-insensitively, with surrounding whitespace trimmed; values keep
// '#' and ';' (no inline comments); an indented line continues the previous value (nested
// settings such as "s3 =" followed by indented lines). Later duplicates win.
Result<IniFile> readIni(const QString &path)
{
    IniFile ini;
    ini.path = path;
    QFile file(path);
    if (!file.exists())
        return ini;
    ini.exists = true;
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return fail(StorageError::Code::InvalidArgument,
                    u"Cannot read %1: %2."_s.arg(displayPath(path), file.errorString()));

    const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n');
    Section *section = nullptr;
    QString lastKey;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        QString line = lines.at(i);
        if (line.endsWith(u'\r'))
            line.chop(1);
        const QString trimmed = line.trimmed();
        if (trimmed.isEmpty() || trimmed.startsWith(u'#') || trimmed.startsWith(u';'))
            continue;
        const auto lineError = [&](const QString &what) {
            return fail(StorageError::Code::InvalidArgument,
                        u"%1 line %2: %3."_s.arg(displayPath(path)).arg(i + 1).arg(what));
        };

        if (line.front().isSpace() && section && !lastKey.isEmpty()) {
            QString &value = (*section)[lastKey];
            value += (value.isEmpty() ? QString() : u"\n"_s) + trimmed;
            continue;
        }
        if (trimmed.startsWith(u'[')) {
            const qsizetype close = trimmed.lastIndexOf(u']');
            const QString name = close > 0 ? trimmed.mid(1, close - 1).trimmed() : QString();
            if (name.isEmpty())
                return lineError(u"expected a section name such as [default]"_s);
            section = &ini.sections[name];
            lastKey.clear();
            continue;
        }

        qsizetype delimiter = line.indexOf(u'=');
        const qsizetype colon = line.indexOf(u':');
        if (colon >= 0 && (delimiter < 0 || colon < delimiter))
            delimiter = colon;
        const QString key = delimiter > 0 ? line.left(delimiter).trimmed().toLower() : QString();
        if (key.isEmpty())
            return lineError(u"expected \"[section]\" or \"key = value\""_s);
        if (!section)
            return lineError(u"\"%1\" appears before any [section]"_s.arg(key));
        (*section)[key] = line.mid(delimiter + 1).trimmed();
        lastKey = key;
    }
    return ini;
}

// A profile's settings from one file, if the file has the profile. The credentials file names
// sections plainly ([dev]); the config file uses [profile dev], except for [default] (and
// [profile default], which wins when both exist). Other config sections ([sso-session x],
// [services x], a bare [dev]) are not profiles.
std::optional<Section> profileSection(const IniFile &ini, const QString &profile, bool configFile)
{
    if (!configFile) {
        const auto it = ini.sections.find(profile);
        return it == ini.sections.end() ? std::nullopt : std::optional<Section>(it->second);
    }
    std::optional<Section> found;
    if (profile == u"default") {
        if (const auto it = ini.sections.find(u"default"_s); it != ini.sections.end())
            found = it->second;
    }
    static const QRegularExpression profileHeader(uR"(^profile\s+(.+)$)"_s);
    for (const auto &[name, section] : ini.sections) {
        const QRegularExpressionMatch match = profileHeader.match(name);
        if (!match.hasMatch())
            continue;
        QString declared = match.captured(1).trimmed();
        if (declared.size() >= 2 && declared.front() == u'"' && declared.back() == u'"')
            declared = declared.mid(1, declared.size() - 2);
        if (declared != profile)
            continue;
        if (!found)
            found = Section();
        for (const auto &[key, value] : section)
            (*found)[key] = value;
    }
    return found;
}

QString valueOf(const std::optional<Section> &section, const QString &key)
{
    if (!section)
        return {};
    const auto it = section->find(key);
    return it == section->end() ? QString() : it->second;
}

// Splits a credential_process command line the way the AWS CLI does on POSIX (shlex): blanks
// separate words; '...' is literal; "..." allows \" \\ \$ \`; a backslash elsewhere escapes the
// next character. No shell is involved.
std::optional<QStringList> splitCommand(const QString &command)
{
    QStringList words;
    QString word;
    bool inWord = false;
    for (qsizetype i = 0; i < command.size(); ++i) {
        const QChar c = command.at(i);
        if (c == u'\'') {
            const qsizetype end = command.indexOf(u'\'', i + 1);
            if (end < 0)
                return std::nullopt;
            word += command.mid(i + 1, end - i - 1);
            inWord = true;
            i = end;
        } else if (c == u'"') {
            ++i;
            for (; i < command.size() && command.at(i) != u'"'; ++i) {
                const QChar d = command.at(i);
                if (d == u'\\' && i + 1 < command.size()
                    && QStringView(u"\"\\$`").contains(command.at(i + 1))) {
                    word += command.at(++i);
                } else {
                    word += d;
                }
            }
            if (i >= command.size())
                return std::nullopt;
            inWord = true;
        } else if (c == u'\\') {
            if (i + 1 < command.size())
                word += command.at(++i);
            inWord = true;
        } else if (c.isSpace()) {
            if (inWord)
                words.append(word);
            word.clear();
            inWord = false;
        } else {
            word += c;
            inWord = true;
        }
    }
    if (inWord)
        words.append(word);
    return words;
}

QString firstLine(const QByteArray &bytes, qsizetype limit = 200)
{
    QString line = QString::fromUtf8(bytes).trimmed().section(u'\n', 0, 0).trimmed();
    if (line.size() > limit)
        line = line.left(limit) + u"…"_s;
    return line;
}

// Runs credential_process and reads its JSON (Version 1, AccessKeyId, SecretAccessKey,
// SessionToken, Expiration). Messages never quote stdout: it carries the secret.
Result<Credentials> runCredentialProcess(const QString &command, const QString &profile)
{
    const QString who = u"credential_process of profile \"%1\""_s.arg(profile);
    const auto failure = [&](const QString &what) {
        return fail(StorageError::Code::Authentication, who + u' ' + what);
    };

    const std::optional<QStringList> words = splitCommand(command);
    if (!words || words->isEmpty())
        return failure(u"is not a valid command line (check its quotes)."_s);

    QProcess process;
    process.setProgram(words->first());
    process.setArguments(words->mid(1));
    process.setStandardInputFile(QProcess::nullDevice());
    process.start();
    if (!process.waitForStarted())
        return failure(
            u"could not be started (%1): %2."_s.arg(words->first(), process.errorString()));
    if (!process.waitForFinished(kProcessTimeoutMs)) {
        process.kill();
        process.waitForFinished();
        return failure(u"did not finish within %1 seconds."_s.arg(kProcessTimeoutMs / 1000));
    }
    const QByteArray errorOutput = process.readAllStandardError();
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        const QString status = process.exitStatus() == QProcess::NormalExit
            ? u"exit code %1"_s.arg(process.exitCode())
            : u"crashed"_s;
        const QString detail = firstLine(errorOutput);
        return failure(
            u"failed (%1)%2."_s.arg(status, detail.isEmpty() ? QString() : u": "_s + detail));
    }

    QJsonParseError parseError;
    const QJsonDocument document =
        QJsonDocument::fromJson(process.readAllStandardOutput(), &parseError);
    if (!document.isObject())
        return failure(u"did not print a JSON object."_s);
    const QJsonObject json = document.object();
    if (json.value(u"Version").toInt(-1) != 1)
        return failure(u"printed Version %1; only Version 1 is supported."_s.arg(
            json.value(u"Version").isUndefined() ? u"(none)"_s
                                                 : json.value(u"Version").toVariant().toString()));

    Credentials credentials;
    credentials.accessKeyId = json.value(u"AccessKeyId").toString();
    credentials.secretAccessKey = json.value(u"SecretAccessKey").toString();
    credentials.sessionToken = json.value(u"SessionToken").toString();
    credentials.source = u"credential_process (profile %1)"_s.arg(profile);
    if (!credentials.isValid())
        return failure(u"did not print both AccessKeyId and SecretAccessKey."_s);

    const QJsonValue expiration = json.value(u"Expiration");
    if (!expiration.isUndefined() && !expiration.isNull()) {
        const QString text = expiration.toString();
        QDateTime when = QDateTime::fromString(text, Qt::ISODateWithMs);
        if (!when.isValid())
            when = QDateTime::fromString(text, Qt::ISODate);
        if (!when.isValid())
            return failure(u"printed an Expiration that is not an ISO 8601 time."_s);
        credentials.expiration = when.toUTC();
        if (credentials.isExpired(QDateTime::currentDateTimeUtc()))
            return failure(u"returned credentials that expired at %1; make the process print "
                           u"fresh ones (for example, sign in again)."_s.arg(
                               credentials.expiration.toString(Qt::ISODate)));
    }
    return credentials;
}

// Static keys from one file's profile section: nothing when the section has neither key, an
// error when it has only one of them.
Result<std::optional<Credentials>> staticKeys(const std::optional<Section> &section,
                                              const QString &profile, const QString &path)
{
    const QString keyId = valueOf(section, u"aws_access_key_id"_s);
    const QString secret = valueOf(section, u"aws_secret_access_key"_s);
    if (keyId.isEmpty() && secret.isEmpty())
        return std::optional<Credentials>();
    if (keyId.isEmpty() || secret.isEmpty())
        return fail(StorageError::Code::Authentication,
                    u"Profile \"%1\" in %2 has %3 but no %4."_s.arg(
                        profile, displayPath(path),
                        keyId.isEmpty() ? u"aws_secret_access_key"_s : u"aws_access_key_id"_s,
                        keyId.isEmpty() ? u"aws_access_key_id"_s : u"aws_secret_access_key"_s));
    Credentials credentials;
    credentials.accessKeyId = keyId;
    credentials.secretAccessKey = secret;
    credentials.sessionToken = valueOf(section, u"aws_session_token"_s);
    if (credentials.sessionToken.isEmpty()) // the older name, still honoured by the CLI
        credentials.sessionToken = valueOf(section, u"aws_security_token"_s);
    credentials.source = u"profile %1 (%2)"_s.arg(profile, displayPath(path));
    return std::optional<Credentials>(credentials);
}

// Where the profile's settings come from: the config file's section, overridden key by key by
// the credentials file's (as the AWS CLI merges them).
struct ProfileFiles
{
    IniFile credentials;
    IniFile config;
    std::optional<Section> credentialsSection;
    std::optional<Section> configSection;

    QString setting(const QString &key) const
    {
        const QString fromCredentials = valueOf(credentialsSection, key);
        return fromCredentials.isEmpty() ? valueOf(configSection, key) : fromCredentials;
    }
    QString looked() const
    {
        return u"looked in %1 and %2"_s.arg(displayPath(credentials.path),
                                            displayPath(config.path));
    }
};

Result<ProfileFiles> loadProfile(const QString &profile)
{
    ProfileFiles files;
    Result<IniFile> credentials = readIni(sharedCredentialsFilePath());
    if (!credentials)
        return std::unexpected(credentials.error());
    Result<IniFile> config = readIni(configFilePath());
    if (!config)
        return std::unexpected(config.error());
    files.credentials = std::move(*credentials);
    files.config = std::move(*config);
    files.credentialsSection = profileSection(files.credentials, profile, false);
    files.configSection = profileSection(files.config, profile, true);
    return files;
}

// Loose on purpose: local DynamoDB servers accept names such as "local". What matters is that
// it can go into a host name and the credential scope.
bool isRegionName(const QString &region)
{
    static const QRegularExpression pattern(u"^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$"_s);
    return pattern.match(region).hasMatch();
}

} // namespace

QString profileName(const AwsOptions &options)
{
    if (!options.profile.trimmed().isEmpty())
        return options.profile.trimmed();
    for (const char *variable : {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}) {
        const QString value = envValue(variable);
        if (!value.isEmpty())
            return value;
    }
    return u"default"_s;
}

QString sharedCredentialsFilePath()
{
    const QString fromEnv = envValue("AWS_SHARED_CREDENTIALS_FILE");
    return fromEnv.isEmpty() ? homePath() + u"/.aws/credentials"_s : expandHome(fromEnv);
}

QString configFilePath()
{
    const QString fromEnv = envValue("AWS_CONFIG_FILE");
    return fromEnv.isEmpty() ? homePath() + u"/.aws/config"_s : expandHome(fromEnv);
}

namespace {

// STS AssumeRole (Query protocol, XML answer), signed with the source credentials. The endpoint
// is $AWS_ENDPOINT_URL_STS when set (the standard per-service override), else the regional one.
Result<Credentials> assumeRole(const Credentials &source, const QString &roleArn,
                               const QString &externalId, QString sessionName,
                               const QString &region, const QString &profile)
{
    if (sessionName.isEmpty())
        sessionName = u"sessiondesk-%1"_s.arg(QDateTime::currentSecsSinceEpoch());
    const QString stsRegion = region.isEmpty() ? u"us-east-1"_s : region;
    QString endpoint = envValue("AWS_ENDPOINT_URL_STS");
    if (endpoint.isEmpty())
        endpoint = u"https://sts.%1.amazonaws.com/"_s.arg(stsRegion);
    const QUrl url(endpoint);
    QList<QPair<QString, QString>> form = {{u"Action"_s, u"AssumeRole"_s},
                                           {u"Version"_s, u"2011-06-15"_s},
                                           {u"RoleArn"_s, roleArn},
                                           {u"RoleSessionName"_s, sessionName},
                                           {u"DurationSeconds"_s, u"3600"_s}};
    if (!externalId.isEmpty())
        form.append({u"ExternalId"_s, externalId});
    QByteArrayList pairs; // application/x-www-form-urlencoded, every reserved byte escaped
    for (const auto &[name, value] : form)
        pairs << name.toUtf8() + '=' + QUrl::toPercentEncoding(value);
    const QByteArray body = pairs.join('&');
    QByteArray host = url.host().toUtf8();
    if (url.port() > 0)
        host += ':' + QByteArray::number(url.port());
    HttpRequest request;
    request.method = "POST";
    request.path = url.path().isEmpty() ? QByteArray("/") : url.path().toUtf8();
    request.headers = {{"Host", host},
                       {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    request.body = body;
    QNetworkRequest networkRequest(url);
    networkRequest.setRawHeader("Content-Type", request.headers.at(1).second);
    for (const auto &[name, value] :
         signV4(request, source, stsRegion, u"sts"_s, QDateTime::currentDateTimeUtc())) {
        networkRequest.setRawHeader(name, value);
    }
    QNetworkAccessManager network;
    network.setTransferTimeout(30000);
    QNetworkReply *reply = network.post(networkRequest, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    reply->deleteLater();
    const QByteArray answer = reply->readAll();

    QHash<QString, QString> fields;
    QXmlStreamReader xml(answer);
    QString element;
    while (!xml.atEnd()) {
        const auto token = xml.readNext();
        if (token == QXmlStreamReader::StartElement)
            element = xml.name().toString();
        else if (token == QXmlStreamReader::Characters && !xml.isWhitespace())
            fields[element] += xml.text().toString();
    }
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status != 200 || !fields.contains(u"AccessKeyId"_s)) {
        const QString cause = fields.contains(u"Code"_s)
            ? fields.value(u"Code"_s) + u": "_s + fields.value(u"Message"_s)
            : reply->errorString();
        return fail(StorageError::Code::Authentication,
                    u"Assuming role %1 for profile \"%2\" through %3 failed: %4."_s.arg(
                        roleArn, profile, url.host(), cause));
    }
    Credentials credentials;
    credentials.accessKeyId = fields.value(u"AccessKeyId"_s);
    credentials.secretAccessKey = fields.value(u"SecretAccessKey"_s);
    credentials.sessionToken = fields.value(u"SessionToken"_s);
    credentials.expiration = QDateTime::fromString(fields.value(u"Expiration"_s), Qt::ISODate);
    credentials.source =
        u"role %1 assumed for profile %2 (from %3)"_s.arg(roleArn, profile, source.source);
    return credentials;
}

} // namespace

Result<Credentials> resolveCredentials(const AwsOptions &options)
{
    return resolveCredentials(options, 0);
}

Result<Credentials> resolveCredentials(const AwsOptions &options, int depth)
{
    const bool explicitProfile = !options.profile.trimmed().isEmpty();
    const QString profile = profileName(options);

    // 1. Environment, unless the caller named a profile (the CLI's --profile beats it).
    if (!explicitProfile) {
        const QString keyId = envValue("AWS_ACCESS_KEY_ID");
        const QString secret = envValue("AWS_SECRET_ACCESS_KEY");
        if (!keyId.isEmpty() && !secret.isEmpty()) {
            Credentials credentials;
            credentials.accessKeyId = keyId;
            credentials.secretAccessKey = secret;
            credentials.sessionToken = envValue("AWS_SESSION_TOKEN");
            if (credentials.sessionToken.isEmpty())
                credentials.sessionToken = envValue("AWS_SECURITY_TOKEN");
            credentials.source = u"environment"_s;
            return credentials;
        }
        if (!keyId.isEmpty() || !secret.isEmpty())
            return fail(
                StorageError::Code::Authentication,
                u"%1 is set but %2 is not: set both, or unset it to use profile \"%3\"."_s.arg(
                    keyId.isEmpty() ? u"AWS_SECRET_ACCESS_KEY"_s : u"AWS_ACCESS_KEY_ID"_s,
                    keyId.isEmpty() ? u"AWS_ACCESS_KEY_ID"_s : u"AWS_SECRET_ACCESS_KEY"_s,
                    profile));
    }

    const Result<ProfileFiles> loaded = loadProfile(profile);
    if (!loaded)
        return std::unexpected(loaded.error());
    const ProfileFiles &files = *loaded;

    // An assume-role profile: credentials of its source, exchanged at STS for the role's.
    if (const QString roleArn = files.setting(u"role_arn"_s); !roleArn.isEmpty()) {
        if (depth > 4) {
            return fail(
                StorageError::Code::Authentication,
                u"Profile \"%1\" chains source profiles too deep (a loop?)."_s.arg(profile));
        }
        Result<Credentials> source = std::unexpected(StorageError{});
        const QString sourceProfile = files.setting(u"source_profile"_s);
        const QString credentialSource = files.setting(u"credential_source"_s);
        if (!sourceProfile.isEmpty()) {
            source = resolveCredentials(AwsOptions{sourceProfile, options.region}, depth + 1);
        } else if (credentialSource.compare(u"Environment"_s, Qt::CaseInsensitive) == 0) {
            source = resolveCredentials(AwsOptions{}, depth + 1);
        } else {
            return fail(StorageError::Code::Authentication,
                        u"Profile \"%1\" has role_arn but neither source_profile nor "
                        u"credential_source = Environment (%2)."_s.arg(profile, files.looked()));
        }
        if (!source)
            return source;
        QString region = options.region;
        if (region.isEmpty())
            region = envValue("AWS_REGION");
        if (region.isEmpty())
            region = files.setting(u"region"_s);
        return assumeRole(*source, roleArn, files.setting(u"external_id"_s),
                          files.setting(u"role_session_name"_s), region, profile);
    }

    // 2. and 3. Static keys: the credentials file first, then the config file.
    for (const auto &[section, path] :
         {std::pair{&files.credentialsSection, &files.credentials.path},
          std::pair{&files.configSection, &files.config.path}}) {
        const Result<std::optional<Credentials>> keys = staticKeys(*section, profile, *path);
        if (!keys)
            return std::unexpected(keys.error());
        if (*keys)
            return **keys;
    }

    // 4. credential_process.
    const QString process = files.setting(u"credential_process"_s);
    if (!process.isEmpty())
        return runCredentialProcess(process, profile);

    // Nothing usable: say why, as precisely as the files allow.
    const QString hint =
        explicitProfile ? QString() : u"set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or "_s;
    if (!files.credentialsSection && !files.configSection)
        return fail(StorageError::Code::Authentication,
                    u"No AWS credentials for profile \"%1\": %2add the profile to %3 (%4)."_s.arg(
                        profile, hint, displayPath(files.credentials.path), files.looked()));
    if (!files.setting(u"sso_session"_s).isEmpty() || !files.setting(u"sso_start_url"_s).isEmpty())
        return fail(StorageError::Code::Authentication,
                    u"Profile \"%1\" uses %2, which SessionDesk cannot resolve yet: export its "
                    u"temporary credentials with `aws configure export-credentials --profile %1 "
                    u"--format env` or use a profile with keys or credential_process."_s.arg(
                        profile, u"AWS IAM Identity Center (SSO)"_s));
    return fail(StorageError::Code::Authentication,
                u"Profile \"%1\" has no credentials: add aws_access_key_id and "
                u"aws_secret_access_key (or credential_process) to it (%2)."_s.arg(profile,
                                                                                   files.looked()));
}

Result<QString> resolveRegion(const AwsOptions &options)
{
    const auto checked = [](const QString &region, const QString &from) -> Result<QString> {
        if (isRegionName(region))
            return region;
        return fail(StorageError::Code::InvalidArgument,
                    u"%1 \"%2\" is not an AWS region name such as eu-west-1."_s.arg(from, region));
    };

    if (!options.region.trimmed().isEmpty())
        return checked(options.region.trimmed(), u"The region"_s);
    for (const char *variable : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
        const QString value = envValue(variable);
        if (!value.isEmpty())
            return checked(value, QString::fromLatin1(variable));
    }

    const QString profile = profileName(options);
    const Result<ProfileFiles> loaded = loadProfile(profile);
    if (!loaded)
        return std::unexpected(loaded.error());
    const QString region = loaded->setting(u"region"_s);
    if (!region.isEmpty())
        return checked(region, u"The region of profile \"%1\""_s.arg(profile));

    const QString section = profile == u"default" ? u"[default]"_s : u"[profile %1]"_s.arg(profile);
    return fail(
        StorageError::Code::InvalidArgument,
        u"No AWS region for profile \"%1\": give one explicitly, set AWS_REGION, or add "
        u"\"region = ...\" to %2 in %3."_s.arg(profile, section, displayPath(loaded->config.path)));
}

} // namespace SessionDesk::Aws
