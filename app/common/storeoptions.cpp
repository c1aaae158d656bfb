#include "storeoptions.h"

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
    , readOnly(QStringLiteral("read-only"))
    , timeout(valueOption("timeout", "SECONDS"))
    , maskField(valueOption("mask-field", "NAME"))
    , noMaskField(valueOption("no-mask-field", "NAME"))
{ }

void StoreOptions::addTo(QCommandLineParser &parser) const
{
    parser.addOptions({store, schema, userField, userIndex, keyPrefix, idAttribute, valueAttribute,
                       expiresAttribute, userAttribute, tlsCa, tlsCert, tlsKey, tlsServerName,
                       tlsInsecure, readOnly, timeout, maskField, noMaskField});
}

Result<StoreOptions::Selection> StoreOptions::read(const QCommandLineParser &parser) const
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
    c.readOnly = parser.isSet(readOnly);
    const bool anyTls = parser.isSet(tlsCa) || parser.isSet(tlsCert) || parser.isSet(tlsKey)
        || parser.isSet(tlsServerName) || parser.isSet(tlsInsecure);
    if (anyTls && !c.tls.enabled && c.kind == StoreConfig::Kind::Redis)
        return fail(Code::InvalidArgument,
                    QStringLiteral("TLS options need a rediss:// store URL."));
    c.tls.caFile = parser.value(tlsCa);
    c.tls.certFile = parser.value(tlsCert);
    c.tls.keyFile = parser.value(tlsKey);
    c.tls.serverName = parser.value(tlsServerName);
    c.tls.insecure = parser.isSet(tlsInsecure);
    if (parser.isSet(timeout)) {
        bool ok = false;
        const double seconds = parser.value(timeout).toDouble(&ok);
        if (!ok || seconds <= 0) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("--timeout needs a positive number of seconds."));
        }
        c.connectTimeoutMs = c.commandTimeoutMs = int(seconds * 1000);
    }

    // DynamoDB tables default to the GOV.UK layout the seed documents describe.
    const QString defaultSchema = c.kind == StoreConfig::Kind::DynamoDB
        ? QStringLiteral("dynamodb-gds")
        : QStringLiteral("connect-redis");
    auto layout =
        SessionLayout::preset(parser.isSet(schema) ? parser.value(schema) : defaultSchema);
    if (!layout)
        return std::unexpected(layout.error());
    selection.layout = *layout;
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
            return fail(Code::InvalidArgument,
                        QStringLiteral("\"%1\" is given to both --mask-field and --no-mask-field.")
                            .arg(name));
        }
    }
    setMaskingRules(selection.masking);
    return selection;
}

} // namespace SessionDesk
