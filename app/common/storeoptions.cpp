#include "storeoptions.h"

#include <QSettings>

namespace SessionDesk {

namespace {

QCommandLineOption valueOption(const char *name, const char *value)
{
    return QCommandLineOption(QString::fromLatin1(name), QString(), QString::fromLatin1(value));
}

} // namespace

StoreOptions::StoreOptions()
    : store(valueOption("store", "URL"))
    , schema(valueOption("schema", "NAME"))
    , schemaFile(valueOption("schema-file", "FILE"))
    , userField(valueOption("user-field", "PATH"))
    , userIndex(valueOption("user-index", "PATTERN"))
    , keyPrefix(valueOption("key-prefix", "PREFIX"))
    , idAttribute(valueOption("id-attribute", "NAME"))
    , valueAttribute(valueOption("value-attribute", "NAME"))
    , expiresAttribute(valueOption("expires-attribute", "NAME"))
    , userAttribute(valueOption("user-attribute", "NAME"))
    , tlsCa(valueOption("tls-ca", "FILE"))
    , tlsCert(valueOption("tls-cert", "FILE"))
    , tlsKey(valueOption("tls-key", "FILE"))
    , tlsServerName(valueOption("tls-server-name", "NAME"))
    , tlsInsecure(QStringLiteral("tls-insecure"))
    , sentinelUser(valueOption("sentinel-user", "USER"))
    , sentinelPassword(valueOption("sentinel-password", "PASSWORD"))
    , clusterHostMap(valueOption("cluster-host-map", "ANNOUNCED=REACHABLE"))
    , readOnly(QStringLiteral("read-only"))
    , timeout(valueOption("timeout", "SECONDS"))
    , maxOps(valueOption("max-ops", "N"))
    , maskField(valueOption("mask-field", "NAME"))
    , noMaskField(valueOption("no-mask-field", "NAME"))
    , profile(valueOption("profile", "NAME"))
    , settings(valueOption("settings", "FILE"))
{ }

void StoreOptions::addTo(QCommandLineParser &parser) const
{
    parser.addOptions(
        {store,        schema,           schemaFile,     userField,        userIndex,
         keyPrefix,    idAttribute,      valueAttribute, expiresAttribute, userAttribute,
         tlsCa,        tlsCert,          tlsKey,         tlsServerName,    tlsInsecure,
         sentinelUser, sentinelPassword, clusterHostMap, readOnly,         timeout,
         maxOps,       profile,          settings,       maskField,        noMaskField});
}

QString StoreOptions::settingsPath(const QCommandLineParser &parser) const
{
    return parser.isSet(settings) ? parser.value(settings)
                                  : ConnectionProfile::defaultSettingsPath();
}

Result<void> StoreOptions::applyTimeout(const QCommandLineParser &parser, StoreConfig &config) const
{
    if (parser.isSet(timeout)) {
        bool ok = false;
        const double seconds = parser.value(timeout).toDouble(&ok);
        if (!ok || seconds <= 0) {
            return fail(StorageError::Code::InvalidArgument,
                        QStringLiteral("--timeout needs a positive number of seconds."));
        }
        config.connectTimeoutMs = config.commandTimeoutMs = int(seconds * 1000);
    }
    return {};
}

Result<void> StoreOptions::applyMaxOps(const QCommandLineParser &parser, StoreConfig &config) const
{
    if (parser.isSet(maxOps)) {
        bool ok = false;
        const int rate = parser.value(maxOps).toInt(&ok);
        if (!ok || rate <= 0) {
            return fail(StorageError::Code::InvalidArgument,
                        QStringLiteral("--max-ops needs a whole number of operations per second "
                                       "above 0."));
        }
        config.maxOpsPerSecond = rate;
    }
    return {};
}

Result<StoreOptions::Selection> StoreOptions::readProfile(const QCommandLineParser &parser) const
{
    using Code = StorageError::Code;
    if (parser.isSet(store))
        return fail(Code::InvalidArgument,
                    QStringLiteral("Give either --store or --profile, not both."));
    // The saved connection is the whole definition: a layout or TLS flag on top would make the
    // same name mean different stores in different places.
    for (const QCommandLineOption *option :
         {&schema, &schemaFile, &userField, &userIndex, &keyPrefix, &idAttribute, &valueAttribute,
          &expiresAttribute, &userAttribute, &tlsCa, &tlsCert, &tlsKey, &tlsServerName,
          &tlsInsecure, &sentinelUser, &clusterHostMap}) {
        if (parser.isSet(*option)) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("--%1 cannot be combined with --profile; change the saved "
                                       "connection or give --store instead.")
                            .arg(option->names().first()));
        }
    }
    const QString name = parser.value(profile);
    const QString path = settingsPath(parser);
    QSettings file(path, QSettings::IniFormat);
    const QList<ConnectionProfile> profiles = ConnectionProfile::load(file);
    const ConnectionProfile *found = ConnectionProfile::find(profiles, name);
    if (!found) {
        return fail(
            Code::NotFound,
            QStringLiteral("There is no saved connection named \"%1\" in %2.").arg(name, path));
    }
    Selection selection;
    selection.profile = *found;
    if (parser.isSet(readOnly))
        selection.profile->readOnlyLocked = true;
    auto config = selection.profile->toConfig(qEnvironmentVariable("SESSIONDESK_PASSWORD"));
    if (!config)
        return std::unexpected(config.error());
    selection.config = *config;
    if (parser.isSet(sentinelPassword)) {
        if (selection.config.redisMode != StoreConfig::RedisMode::Sentinel) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("--sentinel-password needs a saved Sentinel connection."));
        }
        selection.config.sentinelPassword = parser.value(sentinelPassword);
    }
    if (auto timed = applyTimeout(parser, selection.config); !timed)
        return std::unexpected(timed.error());
    if (auto limited = applyMaxOps(parser, selection.config); !limited)
        return std::unexpected(limited.error());
    auto layout = selection.profile->toLayout();
    if (!layout)
        return std::unexpected(layout.error());
    selection.layout = *layout;
    selection.storeGiven = true;
    return selection;
}

Result<StoreOptions::Selection> StoreOptions::read(const QCommandLineParser &parser) const
{
    auto selection = parser.isSet(profile) ? readProfile(parser) : readStore(parser);
    if (!selection)
        return selection;
    if (auto masked = applyMasking(parser, *selection); !masked)
        return std::unexpected(masked.error());
    setMaskingRules(selection->masking);
    return selection;
}

Result<void> StoreOptions::applyMasking(const QCommandLineParser &parser,
                                        Selection &selection) const
{
    const auto names = [&](const QCommandLineOption &option) {
        QStringList out;
        for (const QString &value : parser.values(option)) {
            for (const QString &name : value.split(u',', Qt::SkipEmptyParts))
                out << name.trimmed();
        }
        out.removeAll(QString());
        return out;
    };
    selection.masking.extraSecretNames = names(maskField);
    selection.masking.neverMaskNames = names(noMaskField);
    for (const QString &name : std::as_const(selection.masking.extraSecretNames)) {
        if (selection.masking.neverMaskNames.contains(name, Qt::CaseInsensitive)) {
            return fail(StorageError::Code::InvalidArgument,
                        QStringLiteral("\"%1\" is given to both --mask-field and --no-mask-field.")
                            .arg(name));
        }
    }
    return {};
}

Result<StoreOptions::Selection> StoreOptions::readStore(const QCommandLineParser &parser) const
{
    using Code = StorageError::Code;
    Selection selection;
    const QString fromEnv = qEnvironmentVariable("SESSIONDESK_STORE");
    selection.storeGiven = parser.isSet(store) || !fromEnv.isEmpty();
    const QString url = parser.isSet(store) ? parser.value(store)
        : fromEnv.isEmpty()                 ? QStringLiteral("redis://127.0.0.1:6379")
                                            : fromEnv;
    auto config = StoreConfig::fromUrl(url);
    if (!config)
        return std::unexpected(config.error());
    selection.config = *config;
    StoreConfig &c = selection.config;
    if (c.password.isEmpty())
        c.password = qEnvironmentVariable("SESSIONDESK_PASSWORD");
    const bool sentinel =
        c.kind == StoreConfig::Kind::Redis && c.redisMode == StoreConfig::RedisMode::Sentinel;
    if ((parser.isSet(sentinelUser) || parser.isSet(sentinelPassword)) && !sentinel) {
        return fail(Code::InvalidArgument,
                    QStringLiteral("--sentinel-user and --sentinel-password need a "
                                   "redis-sentinel:// or rediss-sentinel:// store URL."));
    }
    if (sentinel) {
        c.sentinelUsername = parser.value(sentinelUser);
        c.sentinelPassword = parser.isSet(sentinelPassword)
            ? parser.value(sentinelPassword)
            : qEnvironmentVariable("SESSIONDESK_SENTINEL_PASSWORD");
    }
    if (parser.isSet(clusterHostMap)) {
        if (c.kind != StoreConfig::Kind::Redis || c.redisMode != StoreConfig::RedisMode::Cluster) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("--cluster-host-map needs a redis-cluster:// or "
                                       "rediss-cluster:// store URL."));
        }
        for (const QString &text : parser.values(clusterHostMap)) {
            auto mapping = HostMapping::parse(text);
            if (!mapping)
                return std::unexpected(mapping.error());
            c.hostMap.append(*mapping);
        }
    }
    c.readOnly = parser.isSet(readOnly);
    const bool anyTls = parser.isSet(tlsCa) || parser.isSet(tlsCert) || parser.isSet(tlsKey)
        || parser.isSet(tlsServerName) || parser.isSet(tlsInsecure);
    if (anyTls && !c.tls.enabled && c.kind == StoreConfig::Kind::Redis)
        return fail(Code::InvalidArgument,
                    QStringLiteral("TLS options need a rediss://, rediss-sentinel:// or "
                                   "rediss-cluster:// store URL."));
    c.tls.caFile = parser.value(tlsCa);
    c.tls.certFile = parser.value(tlsCert);
    c.tls.keyFile = parser.value(tlsKey);
    c.tls.serverName = parser.value(tlsServerName);
    c.tls.insecure = parser.isSet(tlsInsecure);
    if (auto timed = applyTimeout(parser, c); !timed)
        return std::unexpected(timed.error());
    if (auto limited = applyMaxOps(parser, c); !limited)
        return std::unexpected(limited.error());

    // DynamoDB tables default to the GOV.UK layout the seed documents describe; Redis stores
    // are sampled when they connect (SessionLayout "auto").
    const bool dynamo = c.kind == StoreConfig::Kind::DynamoDB;
    if (parser.isSet(schema) && parser.isSet(schemaFile))
        return fail(Code::InvalidArgument,
                    QStringLiteral("Give either --schema or --schema-file, not both."));
    auto layout = parser.isSet(schemaFile)
        ? SessionLayout::fromJsonFile(parser.value(schemaFile))
        : SessionLayout::preset(parser.isSet(schema) ? parser.value(schema)
                                    : dynamo         ? QStringLiteral("dynamodb-gds")
                                                     : SessionLayout::kAuto);
    if (!layout)
        return std::unexpected(layout.error());
    if (layout->isAuto() && dynamo)
        layout = SessionLayout::preset(QStringLiteral("dynamodb-gds"));
    if (layout->forDynamoDb != dynamo) {
        return fail(
            Code::InvalidArgument,
            QStringLiteral("The layout %1 is for %2, but the store is %3.")
                .arg(layout->schema,
                     layout->forDynamoDb ? QStringLiteral("DynamoDB tables")
                                         : QStringLiteral("Redis"),
                     dynamo ? QStringLiteral("a DynamoDB table") : QStringLiteral("Redis")));
    }
    selection.layout = *layout;
    selection.schemaFile = parser.value(schemaFile);
    if (parser.isSet(userField)) {
        selection.layout.userFields.clear();
        for (const QString &value : parser.values(userField))
            selection.layout.userFields << value.split(u',', Qt::SkipEmptyParts);
    }
    if (parser.isSet(keyPrefix))
        selection.layout.keyPrefix = parser.value(keyPrefix).toUtf8();
    const bool attributeFlags = parser.isSet(idAttribute) || parser.isSet(valueAttribute)
        || parser.isSet(expiresAttribute) || parser.isSet(userAttribute);
    if (attributeFlags && !selection.layout.forDynamoDb) {
        return fail(Code::InvalidArgument,
                    QStringLiteral("--id-attribute, --value-attribute, --expires-attribute and "
                                   "--user-attribute apply to DynamoDB tables only."));
    }
    if (parser.isSet(idAttribute))
        selection.layout.idAttribute = parser.value(idAttribute);
    if (parser.isSet(valueAttribute))
        selection.layout.valueAttribute = parser.value(valueAttribute);
    if (parser.isSet(expiresAttribute))
        selection.layout.expiresAttribute = parser.value(expiresAttribute);
    if (parser.isSet(userAttribute))
        selection.layout.userAttribute = parser.value(userAttribute);
    if (selection.layout.forDynamoDb) {
        if (parser.isSet(userIndex)) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("--user-index is a Redis key pattern; for a DynamoDB table "
                                       "name the GSI with ?index=NAME in the store URL."));
        }
    } else {
        selection.layout.userIndexPattern = parser.value(userIndex);
    }
    if (auto valid = selection.layout.validate(); !valid)
        return std::unexpected(valid.error());
    return selection;
}

} // namespace SessionDesk
