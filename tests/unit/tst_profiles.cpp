// Saved connections and importers: what reaches the settings file (never a password), which
// keychain entry a password belongs to, and how URL lists and AWS profiles become connections.
// Also what the build says about itself (BuildInfo).

#include "buildinfo.h"
#include "connectionprofile.h"
#include "profileimport.h"

#include <QFile>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace SessionDesk;

class TestProfiles final : public QObject
{
    Q_OBJECT

private slots:
    void settingsKeepEverythingButThePassword();
    void secretKeyNamesTheEndpointNotThePassword();
    void sentinelSecretKeyIsApartFromTheStores();
    void layoutOfAProfile();
    void urlListBecomesConnections();
    void urlListSkipsExistingNamesAndReportsBadLines();
    void awsProfileBecomesDynamoDbConnection();
    void unknownAwsProfileIsRefused();
    void buildInfoNamesVersionsAndLibraries();

private:
    QTemporaryDir m_dir;
};

void TestProfiles::settingsKeepEverythingButThePassword()
{
    const QString path = m_dir.filePath(QStringLiteral("roundtrip.ini"));
    ConnectionProfile p;
    p.name = QStringLiteral("prod sessions");
    p.url = QStringLiteral("rediss://auditor:hunter2-secret@10.0.0.5:6380/3");
    p.schema = QStringLiteral("connect-redis");
    p.userIndex = QStringLiteral("user-sessions:{user}");
    p.userFields = {QStringLiteral("passport.user"), QStringLiteral("sub")};
    p.tlsCaFile = QStringLiteral("/etc/ssl/ca.pem");
    p.tlsServerName = QStringLiteral("redis.internal");
    p.readOnlyLocked = true;
    p.color = QStringLiteral("#c62828");
    p.passwordInKeychain = true;
    p.maxOpsPerSecond = 2500;
    {
        QSettings settings(path, QSettings::IniFormat);
        ConnectionProfile::save(settings, {p});
    }
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QVERIFY2(!text.contains("hunter2"), text.constData());

    QSettings settings(path, QSettings::IniFormat);
    const QList<ConnectionProfile> loaded = ConnectionProfile::load(settings);
    QCOMPARE(loaded.size(), 1);
    const ConnectionProfile &q = loaded.first();
    QCOMPARE(q.name, p.name);
    QCOMPARE(q.url, QStringLiteral("rediss://auditor@10.0.0.5:6380/3"));
    QCOMPARE(q.userIndex, p.userIndex);
    QCOMPARE(q.userFields, p.userFields);
    QCOMPARE(q.tlsCaFile, p.tlsCaFile);
    QCOMPARE(q.tlsServerName, p.tlsServerName);
    QVERIFY(q.readOnlyLocked);
    QCOMPARE(q.color, p.color);
    QVERIFY(q.passwordInKeychain);
    QCOMPARE(q.maxOpsPerSecond, 2500);
    QCOMPARE(q.toConfig(QString())->maxOpsPerSecond, 2500);
    QVERIFY(ConnectionProfile::find(loaded, QStringLiteral("prod sessions")));
    QVERIFY(!ConnectionProfile::find(loaded, QStringLiteral("prod")));
}

void TestProfiles::secretKeyNamesTheEndpointNotThePassword()
{
    ConnectionProfile p;
    p.url = QStringLiteral("redis://alice:pw@db.example:6379/2");
    QCOMPARE(p.secretKey(), QStringLiteral("redis://alice@db.example:6379"));
    // Another database of the same server shares the password; TLS, user or port do not.
    ConnectionProfile sameServer = p;
    sameServer.url = QStringLiteral("redis://alice@db.example:6379/5");
    QCOMPARE(sameServer.secretKey(), p.secretKey());
    for (const char *other : {"rediss://alice@db.example:6379/2", "redis://bob@db.example:6379/2",
                              "redis://alice@db.example:6380/2", "redis://alice@other:6379/2"}) {
        ConnectionProfile q;
        q.url = QString::fromLatin1(other);
        QVERIFY2(q.secretKey() != p.secretKey(), other);
        QVERIFY(!q.secretKey().isEmpty());
    }
    ConnectionProfile dynamo;
    dynamo.url = QStringLiteral("dynamodb://sessions?region=eu-west-2");
    QVERIFY(dynamo.secretKey().isEmpty());
    ConnectionProfile broken;
    broken.url = QStringLiteral("redis://[::1");
    QVERIFY(broken.secretKey().isEmpty());
    QVERIFY(p.sentinelSecretKey().isEmpty()); // no sentinels, no second entry
    QVERIFY(dynamo.sentinelSecretKey().isEmpty());
    QVERIFY(broken.sentinelSecretKey().isEmpty());
}

void TestProfiles::sentinelSecretKeyIsApartFromTheStores()
{
    ConnectionProfile p;
    p.name = QStringLiteral("watched");
    p.url = QStringLiteral("redis-sentinel://alice:pw@s1:26379,s2:26380/mymaster/2");
    p.sentinelUser = QStringLiteral("watcher");
    QCOMPARE(p.sentinelSecretKey(), QStringLiteral("redis-sentinel://watcher@s1:26379,s2:26380"));
    QCOMPARE(p.secretKey(), QStringLiteral("redis://alice@s1:26379,s2:26380"));
    // Another master or database behind the same sentinels shares their password; TLS, the
    // sentinels' user or another set of sentinels do not.
    ConnectionProfile sameSentinels = p;
    sameSentinels.url = QStringLiteral("redis-sentinel://s1:26379,s2:26380/other/0");
    QCOMPARE(sameSentinels.sentinelSecretKey(), p.sentinelSecretKey());
    ConnectionProfile tls = p;
    tls.url = QStringLiteral("rediss-sentinel://s1:26379,s2:26380/mymaster");
    QCOMPARE(tls.sentinelSecretKey(),
             QStringLiteral("rediss-sentinel://watcher@s1:26379,s2:26380"));
    ConnectionProfile anonymous = p;
    anonymous.name = QStringLiteral("anonymous");
    anonymous.sentinelUser.clear();
    QCOMPARE(anonymous.sentinelSecretKey(), QStringLiteral("redis-sentinel://s1:26379,s2:26380"));
    ConnectionProfile fewer = p;
    fewer.url = QStringLiteral("redis-sentinel://s1:26379/mymaster");
    QVERIFY(fewer.sentinelSecretKey() != p.sentinelSecretKey());

    // The flag is saved with the connection; the password is not.
    const QString path = m_dir.filePath(QStringLiteral("sentinel.ini"));
    p.sentinelPasswordInKeychain = true;
    {
        QSettings settings(path, QSettings::IniFormat);
        ConnectionProfile::save(settings, {p, anonymous});
    }
    QSettings settings(path, QSettings::IniFormat);
    const QList<ConnectionProfile> loaded = ConnectionProfile::load(settings);
    QCOMPARE(loaded.size(), 2);
    QVERIFY(loaded.at(0).sentinelPasswordInKeychain);
    QVERIFY(!loaded.at(0).passwordInKeychain);
    QVERIFY(!loaded.at(1).sentinelPasswordInKeychain);
    QCOMPARE(loaded.at(0).sentinelUser, QStringLiteral("watcher"));

    // Removing a connection takes out the entries nobody else uses.
    p.passwordInKeychain = true;
    QCOMPARE(ConnectionProfile::unsharedSecretKeys(p, {}),
             QStringList({p.secretKey(), p.sentinelSecretKey()}));
    ConnectionProfile sameStore = p; // another name, the same endpoints and users
    sameStore.name = QStringLiteral("copy");
    sameStore.sentinelPasswordInKeychain = false;
    QCOMPARE(ConnectionProfile::unsharedSecretKeys(p, {sameStore}),
             QStringList({p.sentinelSecretKey()}));
    sameStore.sentinelPasswordInKeychain = true;
    QVERIFY(ConnectionProfile::unsharedSecretKeys(p, {sameStore}).isEmpty());
    // Nothing saved, nothing to take out; another set of sentinels shares nothing.
    QVERIFY(ConnectionProfile::unsharedSecretKeys(anonymous, {}).isEmpty());
    fewer.passwordInKeychain = fewer.sentinelPasswordInKeychain = true;
    QCOMPARE(ConnectionProfile::unsharedSecretKeys(p, {fewer}),
             QStringList({p.secretKey(), p.sentinelSecretKey()}));
}

void TestProfiles::layoutOfAProfile()
{
    ConnectionProfile p;
    p.url = QStringLiteral("redis://127.0.0.1:6379");
    p.userIndex = QStringLiteral("user-sessions:{user}");
    p.userFields = {QStringLiteral("account.id")};
    const auto layout = p.toLayout();
    QVERIFY2(layout, qPrintable(layout ? QString() : layout.error().message));
    QCOMPARE(layout->userIndexPattern, p.userIndex);
    QCOMPARE(layout->userFields, p.userFields);
    p.schema = QStringLiteral("no-such-layout");
    QVERIFY(!p.toLayout());
}

void TestProfiles::urlListBecomesConnections()
{
    const QString text = QStringLiteral("# exported from the old tool\n"
                                        "\n"
                                        "redis://:s3cr%40t@10.1.2.3:6379/1\n"
                                        "  staging redis   rediss://ops:pw2@redis.staging:6380  \n"
                                        "dynamodb://account-sessions?region=eu-west-2\n"
                                        "redis-sentinel://:dpw@s1:26379,s2/mymaster/2\n"
                                        "REDISS-CLUSTER://c1:7000,c2:7001\n");
    const ProfileImport::UrlListResult result = ProfileImport::parseUrlList(text, {});
    QVERIFY2(result.problems.isEmpty(), qPrintable(result.problems.join(u'\n')));
    QCOMPARE(result.profiles.size(), 5);

    const ProfileImport::Imported &first = result.profiles.at(0);
    QCOMPARE(first.profile.name, QStringLiteral("10.1.2.3:6379/1"));
    QCOMPARE(first.profile.url, QStringLiteral("redis://10.1.2.3:6379/1"));
    QCOMPARE(first.password, QStringLiteral("s3cr@t"));
    QCOMPARE(first.profile.schema, QStringLiteral("connect-redis"));

    const ProfileImport::Imported &second = result.profiles.at(1);
    QCOMPARE(second.profile.name, QStringLiteral("staging redis"));
    QCOMPARE(second.profile.url, QStringLiteral("rediss://ops@redis.staging:6380/0"));
    QCOMPARE(second.password, QStringLiteral("pw2"));

    const ProfileImport::Imported &third = result.profiles.at(2);
    QCOMPARE(third.profile.name, QStringLiteral("account-sessions@eu-west-2"));
    QCOMPARE(third.profile.schema, QStringLiteral("dynamodb-gds"));
    QVERIFY(third.password.isEmpty());
    // Sentinel and Cluster URLs too; a Sentinel URL's password is the data nodes'.
    const ProfileImport::Imported &sentinel = result.profiles.at(3);
    QCOMPARE(sentinel.profile.name, QStringLiteral("sentinel:mymaster/2"));
    QCOMPARE(sentinel.profile.url, QStringLiteral("redis-sentinel://s1:26379,s2:26379/mymaster/2"));
    QCOMPARE(sentinel.password, QStringLiteral("dpw"));
    const ProfileImport::Imported &cluster = result.profiles.at(4);
    QCOMPARE(cluster.profile.name, QStringLiteral("cluster:c1:7000,c2:7001"));
    QCOMPARE(cluster.profile.kindLabel(), QStringLiteral("Redis Cluster (TLS)"));
    QVERIFY(cluster.password.isEmpty());
    // What would be saved holds no password.
    for (const auto &imported : result.profiles) {
        QVERIFY(!imported.profile.url.contains(QStringLiteral("pw2")));
        QVERIFY(!imported.profile.url.contains(QStringLiteral("dpw")));
    }
}

void TestProfiles::urlListSkipsExistingNamesAndReportsBadLines()
{
    const QString text = QStringLiteral("redis://10.0.0.1:6379\n"
                                        "ftp://files.example/\n"
                                        "redis://u:leaked-pw@bad host:6379\n"
                                        "redis://10.0.0.1:6379\n"
                                        "other redis://10.0.0.2:70000\n"
                                        "known redis://10.0.0.3\n");
    const ProfileImport::UrlListResult result =
        ProfileImport::parseUrlList(text, {QStringLiteral("known")});
    QCOMPARE(result.profiles.size(), 1);
    QCOMPARE(result.profiles.first().profile.name, QStringLiteral("10.0.0.1:6379/0"));
    // Line 4 repeats line 1; line 6 names an existing connection.
    QCOMPARE(result.skipped.size(), 2);
    QVERIFY(result.skipped.at(0).startsWith(QStringLiteral("line 4:")));
    QVERIFY(result.skipped.at(1).startsWith(QStringLiteral("line 6:")));
    QCOMPARE(result.problems.size(), 3);
    QVERIFY(result.problems.at(0).startsWith(QStringLiteral("line 2:")));
    QVERIFY(result.problems.at(1).startsWith(QStringLiteral("line 3:")));
    QVERIFY(result.problems.at(2).startsWith(QStringLiteral("line 5:")));
    for (const QString &problem : result.problems)
        QVERIFY2(!problem.contains(QStringLiteral("leaked-pw")), qPrintable(problem));
}

void TestProfiles::awsProfileBecomesDynamoDbConnection()
{
    const QString config = m_dir.filePath(QStringLiteral("aws-config"));
    const QString credentials = m_dir.filePath(QStringLiteral("aws-credentials"));
    QFile c(config);
    QVERIFY(c.open(QIODevice::WriteOnly));
    c.write("[default]\nregion = us-east-1\n\n[profile audit]\nregion = eu-west-2\n"
            "role_arn = arn:aws:iam::123456789012:role/audit\nsource_profile = default\n");
    c.close();
    QFile k(credentials);
    QVERIFY(k.open(QIODevice::WriteOnly));
    k.write("[keys-only]\naws_access_key_id = AKIDEXAMPLE\n"
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n");
    k.close();
    qputenv("AWS_CONFIG_FILE", config.toUtf8());
    qputenv("AWS_SHARED_CREDENTIALS_FILE", credentials.toUtf8());

    auto fromConfig =
        ProfileImport::fromAwsProfile(QStringLiteral("audit"), QStringLiteral("account-sessions"));
    QVERIFY2(fromConfig, qPrintable(fromConfig ? QString() : fromConfig.error().message));
    QCOMPARE(fromConfig->url, QStringLiteral("dynamodb://account-sessions?profile=audit"));
    QCOMPARE(fromConfig->schema, QStringLiteral("dynamodb-gds"));
    QCOMPARE(fromConfig->name, QStringLiteral("account-sessions (AWS audit)"));
    QVERIFY(fromConfig->toConfig(QString()));

    auto fromCredentials = ProfileImport::fromAwsProfile(
        QStringLiteral("keys-only"), QStringLiteral("sessions"), QStringLiteral("ap-south-1"));
    QVERIFY(fromCredentials);
    QCOMPARE(fromCredentials->url,
             QStringLiteral("dynamodb://sessions?region=ap-south-1&profile=keys-only"));
    QVERIFY(ProfileImport::fromAwsProfile(QStringLiteral("default"), QStringLiteral("tab")));
    // DynamoDB rules for table names apply (3 to 255 characters).
    QVERIFY(!ProfileImport::fromAwsProfile(QStringLiteral("default"), QStringLiteral("t")));
    // The secret key never reaches the connection.
    QVERIFY(!fromCredentials->url.contains(QStringLiteral("wJalr")));
}

void TestProfiles::unknownAwsProfileIsRefused()
{
    qputenv("AWS_CONFIG_FILE", m_dir.filePath(QStringLiteral("no-config")).toUtf8());
    qputenv("AWS_SHARED_CREDENTIALS_FILE", m_dir.filePath(QStringLiteral("no-creds")).toUtf8());
    auto missing = ProfileImport::fromAwsProfile(QStringLiteral("ghost"), QStringLiteral("t"));
    QVERIFY(!missing);
    QCOMPARE(missing.error().code, StorageError::Code::NotFound);
    QVERIFY(missing.error().message.contains(QStringLiteral("\"ghost\"")));
    QVERIFY(missing.error().message.contains(m_dir.filePath(QStringLiteral("no-config"))));
    auto badName = ProfileImport::fromAwsProfile(QStringLiteral("two words"), QStringLiteral("t"));
    QVERIFY(!badName);
    QCOMPARE(badName.error().code, StorageError::Code::InvalidArgument);
    auto noTable = ProfileImport::fromAwsProfile(QStringLiteral("ghost"), QStringLiteral(" "));
    QVERIFY(!noTable);
    QCOMPARE(noTable.error().code, StorageError::Code::InvalidArgument);
}

void TestProfiles::buildInfoNamesVersionsAndLibraries()
{
    QCOMPARE(BuildInfo::version(), QStringLiteral(SESSIONDESK_VERSION));
    QVERIFY(BuildInfo::fullVersion().startsWith(BuildInfo::version()));
    QHash<QString, BuildInfo::LibraryVersion> libraries;
    for (const BuildInfo::LibraryVersion &library : BuildInfo::libraryVersions())
        libraries.insert(library.name, library);
    QVERIFY(libraries.contains(QStringLiteral("Qt")));
    QCOMPARE(libraries.value(QStringLiteral("Qt")).runtime, QString::fromLatin1(qVersion()));
    QCOMPARE(libraries.value(QStringLiteral("Qt")).builtWith, QStringLiteral(QT_VERSION_STR));
    QVERIFY(QRegularExpression(QStringLiteral("^\\d+\\.\\d+\\.\\d+$"))
                .match(libraries.value(QStringLiteral("hiredis")).runtime)
                .hasMatch());
    QVERIFY(libraries.value(QStringLiteral("OpenSSL")).runtime.startsWith(u"OpenSSL "));
    QVERIFY(libraries.value(QStringLiteral("OpenSSL")).builtWith.startsWith(u"OpenSSL "));
    QVERIFY(libraries.contains(QStringLiteral("Qt TLS backend")));
}

QTEST_GUILESS_MAIN(TestProfiles)
#include "tst_profiles.moc"
