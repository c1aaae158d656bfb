// Unit tests for the AWS credential and region chain: environment precedence, profiles in the
// credentials and config files (and their different section naming), INI comments and
// whitespace, region order, credential_process (good, expired, failing) and error messages that
// name the profile and the files but never a secret. Each test runs with HOME pointing at a
// fresh temporary directory and every AWS_* variable unset; the originals are restored.

#include "dynamodb/awsconfig.h"

#include <QDir>
#include <QFile>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace SessionDesk::Aws;
using SessionDesk::StorageError;

namespace {

const char *const kVariables[] = {
    "HOME",
    "AWS_ENDPOINT_URL_STS",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
};

// Secrets written into the files below; no error message may contain any of them.
const QStringList kSecrets = {
    u"envSECRETenvSECRETenvSECRET"_s, u"devSECRETdevSECRETdevSECRET"_s,
    u"cfgSECRETcfgSECRETcfgSECRET"_s, u"defSECRETdefSECRETdefSECRET"_s,
    u"procSECRETprocSECRETproc"_s,    u"halfSECREThalfSECRET"_s,
};

bool writeFile(const QString &path, const QByteArray &content, bool executable = false)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    if (file.write(content) != content.size())
        return false;
    file.close();
    if (executable)
        file.setPermissions(file.permissions() | QFileDevice::ExeOwner);
    return true;
}

} // namespace

class TestAwsConfig : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void environmentComesFirst();
    void explicitProfileSkipsEnvironment();
    void awsProfileSelectsProfile();
    void partialEnvironmentIsAnError();
    void credentialsFileProfile();
    void configFileProfileNaming();
    void credentialsFileBeatsConfigFile();
    void defaultPathsUnderHome();
    void regionOrder();
    void regionMissingOrInvalid();
    void credentialProcess();
    void credentialProcessExpired();
    void credentialProcessFails();
    void missingProfileError();
    void profileWithoutKeys();
    void assumeRoleThroughSts();
    void malformedFile();

private:
    // Files named by AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE live outside HOME, so
    // messages show their full paths; home() is for the default ~/.aws locations.
    QString path(const QString &name) const { return m_dir->filePath(name); }
    QString home(const QString &name) const { return m_home->filePath(name); }
    void useFiles(); // AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE -> path("credentials") ...
    static void checkNoSecret(const QString &message);

    std::unique_ptr<QTemporaryDir> m_home;
    std::unique_ptr<QTemporaryDir> m_dir;
    QList<std::optional<QByteArray>> m_saved;
};

void TestAwsConfig::init()
{
    m_saved.clear();
    for (const char *name : kVariables) {
        m_saved.append(qEnvironmentVariableIsSet(name) ? std::optional(qgetenv(name))
                                                       : std::nullopt);
        qunsetenv(name);
    }
    m_home = std::make_unique<QTemporaryDir>();
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_home->isValid() && m_dir->isValid());
    qputenv("HOME", QFile::encodeName(m_home->path()));
}

void TestAwsConfig::cleanup()
{
    for (qsizetype i = 0; i < m_saved.size(); ++i) {
        if (m_saved.at(i))
            qputenv(kVariables[i], *m_saved.at(i));
        else
            qunsetenv(kVariables[i]);
    }
    m_home.reset();
    m_dir.reset();
}

void TestAwsConfig::useFiles()
{
    qputenv("AWS_SHARED_CREDENTIALS_FILE", QFile::encodeName(path(u"credentials"_s)));
    qputenv("AWS_CONFIG_FILE", QFile::encodeName(path(u"config"_s)));
}

void TestAwsConfig::checkNoSecret(const QString &message)
{
    for (const QString &secret : kSecrets)
        QVERIFY2(!message.contains(secret), qPrintable(u"secret in: "_s + message));
}

void TestAwsConfig::environmentComesFirst()
{
    useFiles();
    QVERIFY(writeFile(path(u"credentials"_s),
                      "[default]\n"
                      "aws_access_key_id = AKIDDEFAULT\n"
                      "aws_secret_access_key = defSECRETdefSECRETdefSECRET\n"));
    qputenv("AWS_ACCESS_KEY_ID", "AKIDENV");
    qputenv("AWS_SECRET_ACCESS_KEY", "envSECRETenvSECRETenvSECRET");
    qputenv("AWS_SESSION_TOKEN", "envTOKEN");

    const auto credentials = resolveCredentials({});
    QVERIFY2(credentials, qPrintable(credentials ? QString() : credentials.error().message));
    QCOMPARE(credentials->accessKeyId, u"AKIDENV"_s);
    QCOMPARE(credentials->secretAccessKey, u"envSECRETenvSECRETenvSECRET"_s);
    QCOMPARE(credentials->sessionToken, u"envTOKEN"_s);
    QCOMPARE(credentials->source, u"environment"_s);
}

void TestAwsConfig::explicitProfileSkipsEnvironment()
{
    useFiles();
    QVERIFY(writeFile(path(u"credentials"_s),
                      "[dev]\n"
                      "aws_access_key_id = AKIDDEV\n"
                      "aws_secret_access_key = devSECRETdevSECRETdevSECRET\n"));
    qputenv("AWS_ACCESS_KEY_ID", "AKIDENV");
    qputenv("AWS_SECRET_ACCESS_KEY", "envSECRETenvSECRETenvSECRET");

    const auto credentials = resolveCredentials({u"dev"_s, {}});
    QVERIFY2(credentials, qPrintable(credentials ? QString() : credentials.error().message));
    QCOMPARE(credentials->accessKeyId, u"AKIDDEV"_s);
    QVERIFY(credentials->sessionToken.isEmpty());
    QVERIFY2(credentials->source.startsWith(u"profile dev ("_s), qPrintable(credentials->source));
}

// AWS_PROFILE picks the profile but, as in the AWS CLI, does not outrank environment keys.
void TestAwsConfig::awsProfileSelectsProfile()
{
    useFiles();
    QVERIFY(writeFile(path(u"credentials"_s),
                      "[default]\n"
                      "aws_access_key_id = AKIDDEFAULT\n"
                      "aws_secret_access_key = defSECRETdefSECRETdefSECRET\n"
                      "[dev]\n"
                      "aws_access_key_id = AKIDDEV\n"
                      "aws_secret_access_key = devSECRETdevSECRETdevSECRET\n"));
    qputenv("AWS_PROFILE", "dev");
    QCOMPARE(profileName({}), u"dev"_s);
    auto credentials = resolveCredentials({});
    QVERIFY(credentials);
    QCOMPARE(credentials->accessKeyId, u"AKIDDEV"_s);

    qputenv("AWS_ACCESS_KEY_ID", "AKIDENV");
    qputenv("AWS_SECRET_ACCESS_KEY", "envSECRETenvSECRETenvSECRET");
    credentials = resolveCredentials({});
    QVERIFY(credentials);
    QCOMPARE(credentials->source, u"environment"_s);

    QCOMPARE(profileName({u"other"_s, {}}), u"other"_s);
    qunsetenv("AWS_PROFILE");
    QCOMPARE(profileName({}), u"default"_s);
}

void TestAwsConfig::partialEnvironmentIsAnError()
{
    useFiles();
    qputenv("AWS_ACCESS_KEY_ID", "AKIDENV");
    const auto credentials = resolveCredentials({});
    QVERIFY(!credentials);
    QCOMPARE(credentials.error().code, StorageError::Code::Authentication);
    QVERIFY2(credentials.error().message.contains(u"AWS_SECRET_ACCESS_KEY"_s),
             qPrintable(credentials.error().message));
}

// Comments with '#' and ';', blank lines, odd whitespace (an indented line right after a
// setting would continue it, as in the AWS CLI, so only the first key here is indented), ':' as
// delimiter, mixed-case keys, a nested setting, and the older aws_security_token name.
void TestAwsConfig::credentialsFileProfile()
{
    useFiles();
    QVERIFY(writeFile(path(u"credentials"_s),
                      "# leading comment\n"
                      "; another\n"
                      "\n"
                      "[default]\n"
                      "aws_access_key_id=AKIDDEFAULT\n"
                      "aws_secret_access_key=defSECRETdefSECRETdefSECRET\n"
                      "\n"
                      "[ dev ]  \r\n"
                      "\tAWS_Access_Key_ID   =   AKIDDEV  \r\n"
                      "aws_secret_access_key: devSECRETdevSECRETdevSECRET\n"
                      "   # indented comment\n"
                      "aws_security_token = tok/en+==\n"
                      "s3 =\n"
                      "    max_concurrent_requests = 20\n"
                      "[profile prod]\n"
                      "aws_access_key_id = AKIDPROD\n"
                      "aws_secret_access_key = x\n"));
    const auto credentials = resolveCredentials({u"dev"_s, {}});
    QVERIFY2(credentials, qPrintable(credentials ? QString() : credentials.error().message));
    QCOMPARE(credentials->accessKeyId, u"AKIDDEV"_s);
    QCOMPARE(credentials->secretAccessKey, u"devSECRETdevSECRETdevSECRET"_s);
    QCOMPARE(credentials->sessionToken, u"tok/en+=="_s);
    QCOMPARE(credentials->source, u"profile dev (%1)"_s.arg(path(u"credentials"_s)));

    // In the credentials file "[profile prod]" is a profile named "profile prod", not "prod".
    const auto prod = resolveCredentials({u"prod"_s, {}});
    QVERIFY(!prod);
    QVERIFY2(prod.error().message.contains(u"\"prod\""_s), qPrintable(prod.error().message));
}

// The config file spells profiles "[profile NAME]"; "[default]" is the exception, and a bare
// "[NAME]" there is not a profile.
void TestAwsConfig::configFileProfileNaming()
{
    useFiles();
    QVERIFY(writeFile(path(u"config"_s),
                      "[default]\n"
                      "aws_access_key_id = AKIDDEFAULT\n"
                      "aws_secret_access_key = defSECRETdefSECRETdefSECRET\n"
                      "[profile   cfg]\n"
                      "aws_access_key_id = AKIDCFG\n"
                      "aws_secret_access_key = cfgSECRETcfgSECRETcfgSECRET\n"
                      "aws_session_token = cfgTOKEN\n"
                      "[bare]\n"
                      "aws_access_key_id = AKIDBARE\n"
                      "aws_secret_access_key = x\n"
                      "[sso-session corp]\n"
                      "sso_region = eu-west-1\n"));
    const auto cfg = resolveCredentials({u"cfg"_s, {}});
    QVERIFY2(cfg, qPrintable(cfg ? QString() : cfg.error().message));
    QCOMPARE(cfg->accessKeyId, u"AKIDCFG"_s);
    QCOMPARE(cfg->sessionToken, u"cfgTOKEN"_s);
    QCOMPARE(cfg->source, u"profile cfg (%1)"_s.arg(path(u"config"_s)));

    const auto fallback = resolveCredentials({});
    QVERIFY(fallback);
    QCOMPARE(fallback->accessKeyId, u"AKIDDEFAULT"_s);

    const auto bare = resolveCredentials({u"bare"_s, {}});
    QVERIFY(!bare);
    checkNoSecret(bare.error().message);
}

void TestAwsConfig::credentialsFileBeatsConfigFile()
{
    useFiles();
    QVERIFY(writeFile(path(u"credentials"_s),
                      "[dev]\n"
                      "aws_access_key_id = AKIDFROMCREDENTIALS\n"
                      "aws_secret_access_key = devSECRETdevSECRETdevSECRET\n"));
    QVERIFY(writeFile(path(u"config"_s),
                      "[profile dev]\n"
                      "aws_access_key_id = AKIDFROMCONFIG\n"
                      "aws_secret_access_key = cfgSECRETcfgSECRETcfgSECRET\n"
                      "region = eu-central-1\n"));
    const auto credentials = resolveCredentials({u"dev"_s, {}});
    QVERIFY(credentials);
    QCOMPARE(credentials->accessKeyId, u"AKIDFROMCREDENTIALS"_s);
    const auto region = resolveRegion({u"dev"_s, {}});
    QVERIFY(region);
    QCOMPARE(*region, u"eu-central-1"_s);
}

// Without the AWS_*_FILE variables the files live in ~/.aws, and messages say "~/.aws/...".
void TestAwsConfig::defaultPathsUnderHome()
{
    QCOMPARE(sharedCredentialsFilePath(), home(u".aws/credentials"_s));
    QCOMPARE(configFilePath(), home(u".aws/config"_s));
    QVERIFY(writeFile(home(u".aws/credentials"_s),
                      "[default]\n"
                      "aws_access_key_id = AKIDHOME\n"
                      "aws_secret_access_key = defSECRETdefSECRETdefSECRET\n"));
    const auto credentials = resolveCredentials({});
    QVERIFY(credentials);
    QCOMPARE(credentials->source, u"profile default (~/.aws/credentials)"_s);

    qputenv("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds");
    QCOMPARE(sharedCredentialsFilePath(), home(u"elsewhere/creds"_s));
}

void TestAwsConfig::regionOrder()
{
    useFiles();
    QVERIFY(writeFile(path(u"config"_s),
                      "[default]\n"
                      "region = us-west-2\n"
                      "[profile dev]\n"
                      "region = ap-southeast-2 \n"));
    auto region = resolveRegion({});
    QVERIFY(region);
    QCOMPARE(*region, u"us-west-2"_s);
    region = resolveRegion({u"dev"_s, {}});
    QVERIFY(region);
    QCOMPARE(*region, u"ap-southeast-2"_s);

    qputenv("AWS_PROFILE", "dev");
    region = resolveRegion({});
    QVERIFY(region);
    QCOMPARE(*region, u"ap-southeast-2"_s);

    qputenv("AWS_DEFAULT_REGION", "eu-north-1");
    region = resolveRegion({u"dev"_s, {}});
    QVERIFY(region);
    QCOMPARE(*region, u"eu-north-1"_s);

    qputenv("AWS_REGION", "eu-west-3");
    region = resolveRegion({u"dev"_s, {}});
    QVERIFY(region);
    QCOMPARE(*region, u"eu-west-3"_s);

    region = resolveRegion({u"dev"_s, u"sa-east-1"_s});
    QVERIFY(region);
    QCOMPARE(*region, u"sa-east-1"_s);

    // Local servers are happy with made-up names.
    region = resolveRegion({{}, u"local"_s});
    QVERIFY(region);
    QCOMPARE(*region, u"local"_s);
}

void TestAwsConfig::regionMissingOrInvalid()
{
    useFiles();
    QVERIFY(writeFile(path(u"config"_s), "[profile dev]\noutput = json\n"));
    auto region = resolveRegion({u"dev"_s, {}});
    QVERIFY(!region);
    QCOMPARE(region.error().code, StorageError::Code::InvalidArgument);
    const QString message = region.error().message;
    QVERIFY2(message.contains(u"\"dev\""_s) && message.contains(u"AWS_REGION"_s)
                 && message.contains(u"[profile dev]"_s) && message.contains(path(u"config"_s)),
             qPrintable(message));

    region = resolveRegion({{}, u"eu west/1"_s});
    QVERIFY(!region);
    QVERIFY2(region.error().message.contains(u"eu west/1"_s), qPrintable(region.error().message));
}

// A script in a directory with a space in its name, called with quoted arguments: the command
// line is split like the AWS CLI splits it, and the JSON is read.
void TestAwsConfig::credentialProcess()
{
    useFiles();
    const QString script = path(u"bin dir/creds.sh"_s);
    QVERIFY(writeFile(script,
                      "#!/bin/sh\n"
                      "cat <<EOF\n"
                      "{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\",\n"
                      " \"SecretAccessKey\": \"procSECRETprocSECRETproc\",\n"
                      " \"SessionToken\": \"$1|$2\", \"Expiration\": \"$3\"}\n"
                      "EOF\n",
                      true));
    const QString expires = QDateTime::currentDateTimeUtc().addSecs(3600).toString(Qt::ISODate);
    QVERIFY(writeFile(path(u"config"_s),
                      (u"[profile proc]\n"
                       u"credential_process = \"%1\" 'two words' a\\ b %2\n"_s)
                          .arg(script, expires)
                          .toUtf8()));
    const auto credentials = resolveCredentials({u"proc"_s, {}});
    QVERIFY2(credentials, qPrintable(credentials ? QString() : credentials.error().message));
    QCOMPARE(credentials->accessKeyId, u"AKIDPROC"_s);
    QCOMPARE(credentials->secretAccessKey, u"procSECRETprocSECRETproc"_s);
    QCOMPARE(credentials->sessionToken, u"two words|a b"_s);
    QCOMPARE(credentials->expiration, QDateTime::fromString(expires, Qt::ISODate));
    QCOMPARE(credentials->source, u"credential_process (profile proc)"_s);

    // Static keys in the same profile come first.
    QVERIFY(writeFile(path(u"credentials"_s),
                      "[proc]\n"
                      "aws_access_key_id = AKIDSTATIC\n"
                      "aws_secret_access_key = devSECRETdevSECRETdevSECRET\n"));
    const auto statics = resolveCredentials({u"proc"_s, {}});
    QVERIFY(statics);
    QCOMPARE(statics->accessKeyId, u"AKIDSTATIC"_s);
}

void TestAwsConfig::credentialProcessExpired()
{
    useFiles();
    const QString script = path(u"expired.sh"_s);
    QVERIFY(writeFile(script,
                      "#!/bin/sh\n"
                      "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", "
                      "\"SecretAccessKey\": \"procSECRETprocSECRETproc\", "
                      "\"SessionToken\": \"t\", \"Expiration\": \"2020-01-01T00:00:00Z\"}'\n",
                      true));
    QVERIFY(writeFile(path(u"config"_s),
                      (u"[default]\ncredential_process = %1\n"_s).arg(script).toUtf8()));
    const auto credentials = resolveCredentials({});
    QVERIFY(!credentials);
    QCOMPARE(credentials.error().code, StorageError::Code::Authentication);
    const QString message = credentials.error().message;
    QVERIFY2(message.contains(u"expired at 2020-01-01T00:00:00Z"_s), qPrintable(message));
    QVERIFY2(message.contains(u"\"default\""_s), qPrintable(message));
    checkNoSecret(message);
}

void TestAwsConfig::credentialProcessFails()
{
    useFiles();
    const QString script = path(u"fails.sh"_s);
    QVERIFY(writeFile(script,
                      "#!/bin/sh\n"
                      "echo '{\"Version\": 1, \"AccessKeyId\": \"A\", "
                      "\"SecretAccessKey\": \"procSECRETprocSECRETproc\"}'\n"
                      "echo 'token for sso session has expired' >&2\n"
                      "exit 3\n",
                      true));
    QVERIFY(writeFile(path(u"config"_s),
                      (u"[profile broken]\ncredential_process = %1\n"
                       u"[profile missing]\ncredential_process = %2\n"
                       u"[profile v2]\ncredential_process = /bin/echo "
                       u"'{\"Version\":2}'\n"_s)
                          .arg(script, path(u"no-such-program"_s))
                          .toUtf8()));
    auto credentials = resolveCredentials({u"broken"_s, {}});
    QVERIFY(!credentials);
    QString message = credentials.error().message;
    QVERIFY2(message.contains(u"\"broken\""_s) && message.contains(u"exit code 3"_s)
                 && message.contains(u"token for sso session has expired"_s),
             qPrintable(message));
    checkNoSecret(message);

    credentials = resolveCredentials({u"missing"_s, {}});
    QVERIFY(!credentials);
    message = credentials.error().message;
    QVERIFY2(message.contains(u"could not be started"_s), qPrintable(message));

    credentials = resolveCredentials({u"v2"_s, {}});
    QVERIFY(!credentials);
    message = credentials.error().message;
    QVERIFY2(message.contains(u"Version 2"_s), qPrintable(message));
}

void TestAwsConfig::missingProfileError()
{
    QVERIFY(writeFile(home(u".aws/credentials"_s),
                      "[default]\n"
                      "aws_access_key_id = AKIDDEFAULT\n"
                      "aws_secret_access_key = defSECRETdefSECRETdefSECRET\n"));
    QVERIFY(writeFile(home(u".aws/config"_s), "[profile other]\nregion = eu-west-1\n"));

    auto credentials = resolveCredentials({u"dev"_s, {}});
    QVERIFY(!credentials);
    QCOMPARE(credentials.error().code, StorageError::Code::Authentication);
    QString message = credentials.error().message;
    QCOMPARE(message,
             u"No AWS credentials for profile \"dev\": add the profile to "
             u"~/.aws/credentials (looked in ~/.aws/credentials and ~/.aws/config)."_s);

    // Chosen through AWS_PROFILE the environment is still an option, so the message says so.
    qputenv("AWS_PROFILE", "dev");
    credentials = resolveCredentials({});
    QVERIFY(!credentials);
    message = credentials.error().message;
    QCOMPARE(message,
             u"No AWS credentials for profile \"dev\": set "
             u"AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or add the profile to "
             u"~/.aws/credentials (looked in ~/.aws/credentials and ~/.aws/config)."_s);
    checkNoSecret(message);
}

void TestAwsConfig::profileWithoutKeys()
{
    useFiles();
    QVERIFY(writeFile(path(u"credentials"_s),
                      "[half]\n"
                      "aws_secret_access_key = halfSECREThalfSECRET\n"));
    QVERIFY(writeFile(path(u"config"_s),
                      "[profile bare]\nregion = eu-west-1\n"
                      "[profile role]\nrole_arn = arn:aws:iam::1:role/x\n"
                      "source_profile = default\n"));
    auto credentials = resolveCredentials({u"half"_s, {}});
    QVERIFY(!credentials);
    QString message = credentials.error().message;
    QVERIFY2(message.contains(u"\"half\""_s) && message.contains(u"aws_access_key_id"_s),
             qPrintable(message));
    checkNoSecret(message);

    credentials = resolveCredentials({u"bare"_s, {}});
    QVERIFY(!credentials);
    message = credentials.error().message;
    QVERIFY2(message.contains(u"\"bare\" has no credentials"_s), qPrintable(message));

    // The role's source profile has no credentials: that is what the sentence names.
    credentials = resolveCredentials({u"role"_s, {}});
    QVERIFY(!credentials);
    message = credentials.error().message;
    QVERIFY2(message.contains(u"\"default\""_s), qPrintable(message));
}

void TestAwsConfig::assumeRoleThroughSts()
{
    // A local stand-in for STS that answers AssumeRole exactly in the shape of the AWS API
    // reference example, and remembers what it was sent.
    QTcpServer sts;
    QVERIFY(sts.listen(QHostAddress::LocalHost, 0));
    QByteArray received;
    bool deny = false;
    QObject::connect(&sts, &QTcpServer::newConnection, [&] {
        QTcpSocket *socket = sts.nextPendingConnection();
        QObject::connect(socket, &QTcpSocket::readyRead, socket, [&, socket] {
            received += socket->readAll();
            const qsizetype headerEnd = received.indexOf("\r\n\r\n");
            if (headerEnd < 0)
                return;
            const qsizetype at = received.toLower().indexOf("content-length:");
            const qsizetype length = received.mid(at + 15, received.indexOf("\r\n", at) - at - 15)
                                         .trimmed()
                                         .toLongLong();
            if (received.size() < headerEnd + 4 + length)
                return;
            const QByteArray body = deny
                ? QByteArray("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                             "<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User "
                             "is not authorized to perform: sts:AssumeRole</Message></Error>"
                             "<RequestId>1</RequestId></ErrorResponse>")
                : QByteArray("<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/"
                             "2011-06-15/\"><AssumeRoleResult><Credentials>"
                             "<SessionToken>FwoGZXIvYXdzEXAMPLETOKEN</SessionToken>"
                             "<SecretAccessKey>roleSECRETroleSECRETrole</SecretAccessKey>"
                             "<Expiration>2099-07-15T23:28:33.359Z</Expiration>"
                             "<AccessKeyId>ASIAROLEEXAMPLE</AccessKeyId></Credentials>"
                             "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/"
                             "sessions-admin/sd</Arn><AssumedRoleId>AROA3XFRBF535:sd"
                             "</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>"
                             "<ResponseMetadata><RequestId>c6104cbe</RequestId>"
                             "</ResponseMetadata></AssumeRoleResponse>");
            socket->write("HTTP/1.1 " + QByteArray(deny ? "403 Forbidden" : "200 OK")
                          + "\r\nContent-Type: text/xml\r\nContent-Length: "
                          + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n"
                          + body);
            socket->disconnectFromHost();
        });
    });
    qputenv("AWS_ENDPOINT_URL_STS",
            QByteArray("http://127.0.0.1:") + QByteArray::number(sts.serverPort()) + "/");
    useFiles();
    QVERIFY(writeFile(path(u"credentials"_s),
                      "[base]\naws_access_key_id = AKIDBASEEXAMPLE\n"
                      "aws_secret_access_key = baseSECRETbaseSECRET\n"));
    QVERIFY(writeFile(path(u"config"_s),
                      "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/sessions-admin\n"
                      "source_profile = base\nexternal_id = ext-42\nregion = eu-west-2\n"));
    auto credentials = resolveCredentials({u"admin"_s, {}});
    QVERIFY2(credentials, credentials ? "" : qPrintable(credentials.error().message));
    QCOMPARE(credentials->accessKeyId, u"ASIAROLEEXAMPLE"_s);
    QCOMPARE(credentials->sessionToken, u"FwoGZXIvYXdzEXAMPLETOKEN"_s);
    QCOMPARE(credentials->expiration.date().year(), 2099);
    QVERIFY(credentials->source.contains(u"sessions-admin"_s));
    // Signed with the source profile's key, for STS in the profile's region.
    QVERIFY(received.contains("Credential=AKIDBASEEXAMPLE/"));
    QVERIFY(received.contains("/eu-west-2/sts/aws4_request"));
    QVERIFY(received.contains("Action=AssumeRole"));
    QVERIFY(received.contains("ExternalId=ext-42"));
    QVERIFY(received.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fsessions-admin"));

    received.clear();
    deny = true;
    auto denied = resolveCredentials({u"admin"_s, {}});
    QVERIFY(!denied);
    QVERIFY2(denied.error().message.contains(u"AccessDenied"_s),
             qPrintable(denied.error().message));
    QVERIFY(!denied.error().message.contains(u"baseSECRET"_s));
}

void TestAwsConfig::malformedFile()
{
    useFiles();
    QVERIFY(writeFile(path(u"credentials"_s),
                      "[default]\n"
                      "aws_access_key_id = AKIDDEFAULT\n"
                      "this line has no delimiter\n"));
    const auto credentials = resolveCredentials({});
    QVERIFY(!credentials);
    QCOMPARE(credentials.error().code, StorageError::Code::InvalidArgument);
    QVERIFY2(credentials.error().message.contains(path(u"credentials"_s) + u" line 3"_s),
             qPrintable(credentials.error().message));
}

QTEST_GUILESS_MAIN(TestAwsConfig)
#include "tst_awsconfig.moc"
