#include "connectionprofile.h"

#include <QSettings>
#include <QStandardPaths>

#include <algorithm>

namespace SessionDesk {

Result<StoreConfig> ConnectionProfile::toConfig(const QString &password) const
{
    auto config = StoreConfig::fromUrl(url);
    if (!config)
        return config;
    if (!password.isEmpty())
        config->password = password;
    config->tls.caFile = tlsCaFile;
    config->tls.certFile = tlsCertFile;
    config->tls.keyFile = tlsKeyFile;
    config->tls.serverName = tlsServerName;
    config->tls.insecure = tlsInsecure;
    config->readOnly = readOnlyLocked;
    if (config->kind == StoreConfig::Kind::Redis)
        config->maxOpsPerSecond = maxOpsPerSecond; // load() and every editor keep it >= 0
    if (config->redisMode == StoreConfig::RedisMode::Sentinel) {
        config->sentinelUsername = sentinelUser;
        config->sentinelPassword = qEnvironmentVariable("SESSIONDESK_SENTINEL_PASSWORD");
    }
    if (config->redisMode == StoreConfig::RedisMode::Cluster) {
        for (const QString &text : clusterHostMap) {
            auto mapping = HostMapping::parse(text);
            if (!mapping)
                return std::unexpected(mapping.error());
            config->hostMap.append(*mapping);
        }
    }
    return config;
}

Result<SessionLayout> ConnectionProfile::toLayout() const
{
    const bool dynamo = url.startsWith(QStringLiteral("dynamodb:"), Qt::CaseInsensitive);
    auto layout = !schemaFile.isEmpty() ? SessionLayout::fromJsonFile(schemaFile)
        : dynamo && schema == SessionLayout::kAuto
        ? SessionLayout::preset(QStringLiteral("dynamodb-gds"))
        : SessionLayout::preset(schema);
    if (!layout)
        return layout;
    if (!layout->forDynamoDb)
        layout->userIndexPattern = userIndex;
    if (!userFields.isEmpty())
        layout->userFields = userFields;
    if (auto valid = layout->validate(); !valid)
        return std::unexpected(valid.error());
    return layout;
}

QString ConnectionProfile::kindLabel() const
{
    const QString scheme = url.section(QStringLiteral("://"), 0, 0).toLower();
    if (scheme == u"dynamodb")
        return QStringLiteral("DynamoDB");
    QString label = QStringLiteral("Redis");
    if (scheme.endsWith(u"-sentinel"))
        label = QStringLiteral("Redis Sentinel");
    else if (scheme.endsWith(u"-cluster"))
        label = QStringLiteral("Redis Cluster");
    return scheme.startsWith(u"rediss") ? label + QStringLiteral(" (TLS)") : label;
}

namespace {

// A keychain entry's name: scheme, ACL user and the addresses connected to, so that a saved
// password is only ever sent where it was saved for.
// `schemeSuffix` tells the entries of a Sentinel connection apart: "" or "-sentinel".
QString keychainKey(const StoreConfig &config, const QString &schemeSuffix, const QString &user)
{
    const QString scheme = config.tls.enabled ? QStringLiteral("rediss") : QStringLiteral("redis");
    return scheme + schemeSuffix + QStringLiteral("://")
        + (user.isEmpty() ? QString() : user + u'@') + config.endpoint();
}

} // namespace

QString ConnectionProfile::secretKey() const
{
    const auto config = StoreConfig::fromUrl(url);
    if (!config || config->kind != StoreConfig::Kind::Redis)
        return {};
    return keychainKey(*config, QString(), config->username);
}

QString ConnectionProfile::sentinelSecretKey() const
{
    const auto config = StoreConfig::fromUrl(url);
    if (!config || config->kind != StoreConfig::Kind::Redis
        || config->redisMode != StoreConfig::RedisMode::Sentinel)
        return {};
    return keychainKey(*config, QStringLiteral("-sentinel"), sentinelUser);
}

QStringList ConnectionProfile::unsharedSecretKeys(const ConnectionProfile &removed,
                                                  const QList<ConnectionProfile> &remaining)
{
    QStringList keys;
    const auto add = [&](bool ConnectionProfile::*saved,
                         QString (ConnectionProfile::*keyOf)() const) {
        const QString key = (removed.*keyOf)();
        if (!(removed.*saved) || key.isEmpty())
            return;
        const bool shared =
            std::any_of(remaining.cbegin(), remaining.cend(), [&](const ConnectionProfile &p) {
                return p.*saved && (p.*keyOf)() == key;
            });
        if (!shared)
            keys << key;
    };
    add(&ConnectionProfile::passwordInKeychain, &ConnectionProfile::secretKey);
    add(&ConnectionProfile::sentinelPasswordInKeychain, &ConnectionProfile::sentinelSecretKey);
    return keys;
}

QStringList ConnectionProfile::forgetSecretKey(QList<ConnectionProfile> &profiles,
                                               const QString &key)
{
    QStringList names;
    if (key.isEmpty())
        return names;
    for (ConnectionProfile &p : profiles) {
        const bool store = p.passwordInKeychain && p.secretKey() == key;
        const bool sentinels = p.sentinelPasswordInKeychain && p.sentinelSecretKey() == key;
        if (store)
            p.passwordInKeychain = false;
        if (sentinels)
            p.sentinelPasswordInKeychain = false;
        if (store || sentinels)
            names << p.name;
    }
    return names;
}

QList<ConnectionProfile> ConnectionProfile::load(QSettings &settings)
{
    QList<ConnectionProfile> profiles;
    const int count = settings.beginReadArray(QStringLiteral("profiles"));
    for (int i = 0; i < count; ++i) {
        settings.setArrayIndex(i);
        ConnectionProfile p;
        p.name = settings.value(QStringLiteral("name")).toString();
        p.url = settings.value(QStringLiteral("url")).toString();
        p.schema = settings.value(QStringLiteral("schema"), p.schema).toString();
        p.schemaFile = settings.value(QStringLiteral("schemaFile")).toString();
        p.userIndex = settings.value(QStringLiteral("userIndex")).toString();
        p.userFields = settings.value(QStringLiteral("userFields")).toStringList();
        p.tlsCaFile = settings.value(QStringLiteral("tlsCaFile")).toString();
        p.tlsCertFile = settings.value(QStringLiteral("tlsCertFile")).toString();
        p.tlsKeyFile = settings.value(QStringLiteral("tlsKeyFile")).toString();
        p.tlsServerName = settings.value(QStringLiteral("tlsServerName")).toString();
        p.tlsInsecure = settings.value(QStringLiteral("tlsInsecure")).toBool();
        p.sentinelUser = settings.value(QStringLiteral("sentinelUser")).toString();
        p.clusterHostMap = settings.value(QStringLiteral("clusterHostMap")).toStringList();
        p.readOnlyLocked = settings.value(QStringLiteral("readOnlyLocked")).toBool();
        p.maxOpsPerSecond = std::max(0, settings.value(QStringLiteral("maxOpsPerSecond")).toInt());
        p.color = settings.value(QStringLiteral("color")).toString();
        p.passwordInKeychain = settings.value(QStringLiteral("passwordInKeychain")).toBool();
        p.sentinelPasswordInKeychain =
            settings.value(QStringLiteral("sentinelPasswordInKeychain")).toBool();
        if (!p.name.isEmpty() && !p.url.isEmpty())
            profiles.append(p);
    }
    settings.endArray();
    return profiles;
}

void ConnectionProfile::save(QSettings &settings, const QList<ConnectionProfile> &profiles)
{
    settings.remove(QStringLiteral("profiles"));
    settings.beginWriteArray(QStringLiteral("profiles"), int(profiles.size()));
    for (int i = 0; i < profiles.size(); ++i) {
        const ConnectionProfile &p = profiles.at(i);
        settings.setArrayIndex(i);
        // The URL is stored as parsed and re-rendered, so a password typed into it is dropped.
        const auto config = StoreConfig::fromUrl(p.url);
        settings.setValue(QStringLiteral("name"), p.name);
        settings.setValue(QStringLiteral("url"), config ? config->redactedUrl() : QString());
        settings.setValue(QStringLiteral("schema"), p.schema);
        if (p.schemaFile.isEmpty())
            settings.remove(QStringLiteral("schemaFile"));
        else
            settings.setValue(QStringLiteral("schemaFile"), p.schemaFile);
        settings.setValue(QStringLiteral("userIndex"), p.userIndex);
        settings.setValue(QStringLiteral("userFields"), p.userFields);
        settings.setValue(QStringLiteral("tlsCaFile"), p.tlsCaFile);
        settings.setValue(QStringLiteral("tlsCertFile"), p.tlsCertFile);
        settings.setValue(QStringLiteral("tlsKeyFile"), p.tlsKeyFile);
        settings.setValue(QStringLiteral("tlsServerName"), p.tlsServerName);
        settings.setValue(QStringLiteral("tlsInsecure"), p.tlsInsecure);
        settings.setValue(QStringLiteral("sentinelUser"), p.sentinelUser);
        settings.setValue(QStringLiteral("clusterHostMap"), p.clusterHostMap);
        settings.setValue(QStringLiteral("readOnlyLocked"), p.readOnlyLocked);
        if (p.maxOpsPerSecond > 0)
            settings.setValue(QStringLiteral("maxOpsPerSecond"), p.maxOpsPerSecond);
        else
            settings.remove(QStringLiteral("maxOpsPerSecond"));
        settings.setValue(QStringLiteral("color"), p.color);
        settings.setValue(QStringLiteral("passwordInKeychain"), p.passwordInKeychain);
        if (p.sentinelPasswordInKeychain)
            settings.setValue(QStringLiteral("sentinelPasswordInKeychain"), true);
        else
            settings.remove(QStringLiteral("sentinelPasswordInKeychain"));
    }
    settings.endArray();
}

const ConnectionProfile *ConnectionProfile::find(const QList<ConnectionProfile> &profiles,
                                                 const QString &name)
{
    for (const ConnectionProfile &profile : profiles) {
        if (profile.name == name)
            return &profile;
    }
    return nullptr;
}

QString ConnectionProfile::defaultSettingsPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation)
        + QStringLiteral("/sessiondesk.ini");
}

} // namespace SessionDesk
