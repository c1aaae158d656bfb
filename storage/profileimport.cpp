#include "profileimport.h"

#include "dynamodb/awsconfig.h"

#include <QFile>
#include <QRegularExpression>
#include <QUrlQuery>

namespace SessionDesk::ProfileImport {

namespace {

bool looksLikeStoreUrl(const QString &text)
{
    static const QRegularExpression scheme(
        QStringLiteral("^(rediss?(-sentinel|-cluster)?|dynamodb)://"),
        QRegularExpression::CaseInsensitiveOption);
    return scheme.match(text).hasMatch();
}

// Section names of an AWS INI file, e.g. "default", "profile work", "work".
QStringList sectionsOf(const QString &path)
{
    QStringList sections;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return sections;
    static const QRegularExpression header(QStringLiteral("^\\s*\\[\\s*([^\\]]+?)\\s*\\]"));
    while (!file.atEnd()) {
        const QString line = QString::fromUtf8(file.readLine());
        if (const auto match = header.match(line); match.hasMatch())
            sections << match.captured(1).simplified();
    }
    return sections;
}

} // namespace

UrlListResult parseUrlList(const QString &text, const QStringList &existingNames)
{
    UrlListResult result;
    QStringList taken = existingNames;
    const QStringList lines = text.split(u'\n');
    for (int i = 0; i < lines.size(); ++i) {
        const QString line = lines.at(i).trimmed();
        const int number = i + 1;
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        // "NAME URL" or "URL": the URL is the last whitespace-separated word.
        const qsizetype split = line.lastIndexOf(QRegularExpression(QStringLiteral("\\s")));
        const QString url = split < 0 ? line : line.mid(split + 1);
        QString name = split < 0 ? QString() : line.left(split).trimmed();
        if (!looksLikeStoreUrl(url)) {
            result.problems << QStringLiteral("line %1: not a redis://, rediss://, "
                                              "redis-sentinel://, redis-cluster:// (or their TLS "
                                              "forms) or dynamodb:// URL; skipped.")
                                   .arg(number);
            continue;
        }
        const auto config = StoreConfig::fromUrl(url);
        if (!config) {
            result.problems
                << QStringLiteral("line %1: %2").arg(number).arg(config.error().message);
            continue;
        }
        if (name.isEmpty()) {
            name = config->kind == StoreConfig::Kind::DynamoDB || config->username.isEmpty()
                ? config->targetName()
                : config->username + u'@' + config->targetName();
        }
        if (taken.contains(name)) {
            result.skipped << QStringLiteral(
                                  "line %1: a connection named \"%2\" exists already; skipped.")
                                  .arg(number)
                                  .arg(name);
            continue;
        }
        taken << name;
        Imported imported;
        imported.profile.name = name;
        imported.profile.url = config->redactedUrl();
        if (config->kind == StoreConfig::Kind::DynamoDB)
            imported.profile.schema = QStringLiteral("dynamodb-gds");
        imported.password = config->password;
        result.profiles << imported;
    }
    return result;
}

Result<ConnectionProfile> fromAwsProfile(const QString &awsProfile, const QString &table,
                                         const QString &region)
{
    using Code = StorageError::Code;
    const QString profile = awsProfile.trimmed();
    if (profile.isEmpty() || profile.contains(QRegularExpression(QStringLiteral("[\\s\\[\\]]"))))
        return fail(Code::InvalidArgument,
                    QStringLiteral("\"%1\" is not an AWS profile name.").arg(awsProfile));
    if (table.trimmed().isEmpty())
        return fail(Code::InvalidArgument, QStringLiteral("A DynamoDB table name is needed."));
    const QString configPath = Aws::configFilePath();
    const QString credentialsPath = Aws::sharedCredentialsFilePath();
    const QStringList configSections = sectionsOf(configPath);
    const bool inConfig = configSections.contains(QStringLiteral("profile ") + profile)
        || (profile == u"default" && configSections.contains(QStringLiteral("default")));
    if (!inConfig && !sectionsOf(credentialsPath).contains(profile)) {
        return fail(Code::NotFound,
                    QStringLiteral("There is no AWS profile \"%1\" in %2 or %3.")
                        .arg(profile, configPath, credentialsPath));
    }
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("profile"), profile);
    if (!region.trimmed().isEmpty())
        query.addQueryItem(QStringLiteral("region"), region.trimmed());
    const QString url =
        QStringLiteral("dynamodb://") + table.trimmed() + u'?' + query.toString(QUrl::FullyEncoded);
    const auto config = StoreConfig::fromUrl(url);
    if (!config)
        return std::unexpected(config.error());
    ConnectionProfile result;
    result.name = QStringLiteral("%1 (AWS %2)").arg(config->dynamo.table, profile);
    result.url = config->redactedUrl();
    result.schema = QStringLiteral("dynamodb-gds");
    return result;
}

} // namespace SessionDesk::ProfileImport
