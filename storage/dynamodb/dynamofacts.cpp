#include "dynamofacts.h"

#include <QJsonArray>

namespace SessionDesk::Aws {

namespace {

QString reasonOf(const StorageError &error)
{
    return error.serverCode.isEmpty() ? error.message
                                      : error.serverCode + u':' + u' ' + error.message;
}

QJsonArray stringArray(const QStringList &items)
{
    QJsonArray array;
    for (const QString &item : items)
        array.append(item);
    return array;
}

// The key attribute of `type` ("HASH" or "RANGE") in a KeySchema.
QString keyOf(const QJsonArray &schema, const QString &type)
{
    for (const QJsonValue &k : schema) {
        if (k[QStringLiteral("KeyType")].toString() == type)
            return k[QStringLiteral("AttributeName")].toString();
    }
    return {};
}

// Where KMS is, or empty with *why when SessionDesk must not ask it.
QUrl kmsEndpoint(const DynamoClient::Options &dynamo, QString *why)
{
    for (const char *name : {"AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL"}) {
        const QString value = qEnvironmentVariable(name);
        if (!value.isEmpty())
            return QUrl(value);
    }
    if (!dynamo.endpoint.host().endsWith(QStringLiteral(".amazonaws.com"))) {
        *why = QStringLiteral("the table is on %1, not AWS; set AWS_ENDPOINT_URL_KMS to ask a KMS "
                              "endpoint")
                   .arg(dynamo.endpoint.host());
        return {};
    }
    return QUrl(QStringLiteral("https://kms.%1.amazonaws.com/").arg(dynamo.region));
}

} // namespace

QList<StoreFact> readTableFacts(DynamoClient &client, const QJsonObject &t,
                                const SessionLayout &layout, const QString &indexName)
{
    FactSheet sheet;
    const QString name = t.value(QStringLiteral("TableName")).toString();
    const QString arn = t.value(QStringLiteral("TableArn")).toString();
    sheet.known(QStringLiteral("dynamodb.table.name"), name);
    sheet.known(QStringLiteral("dynamodb.table.arn"), arn);
    sheet.known(QStringLiteral("dynamodb.table.status"),
                t.value(QStringLiteral("TableStatus")).toString());
    const QJsonArray keySchema = t.value(QStringLiteral("KeySchema")).toArray();
    QStringList keys;
    for (const QJsonValue &k : keySchema) {
        keys << k[QStringLiteral("AttributeName")].toString() + u' '
                + k[QStringLiteral("KeyType")].toString();
    }
    sheet.known(QStringLiteral("dynamodb.table.key_schema"), stringArray(keys));
    sheet.known(QStringLiteral("dynamodb.table.partition_key"),
                keyOf(keySchema, QStringLiteral("HASH")));
    if (const QString sortKey = keyOf(keySchema, QStringLiteral("RANGE")); sortKey.isEmpty())
        sheet.absent(QStringLiteral("dynamodb.table.sort_key"), QStringLiteral("none"));
    else
        sheet.known(QStringLiteral("dynamodb.table.sort_key"), sortKey);
    const QString tableClass = t.value(QStringLiteral("TableClassSummary"))
                                   .toObject()
                                   .value(QStringLiteral("TableClass"))
                                   .toString();
    sheet.known(QStringLiteral("dynamodb.table.class"),
                tableClass.isEmpty() ? QStringLiteral("STANDARD") : tableClass,
                tableClass.isEmpty() ? QStringLiteral("STANDARD (default)") : tableClass);
    sheet.known(QStringLiteral("dynamodb.table.item_count"),
                double(t.value(QStringLiteral("ItemCount")).toInteger()));
    sheet.known(QStringLiteral("dynamodb.table.size_bytes"),
                double(t.value(QStringLiteral("TableSizeBytes")).toInteger()));
    sheet.known(QStringLiteral("dynamodb.layout.key_prefix"), QString::fromUtf8(layout.keyPrefix));
    if (indexName.isEmpty())
        sheet.absent(QStringLiteral("dynamodb.layout.user_index"),
                     QStringLiteral("none (per-user lookups scan)"));
    else
        sheet.known(QStringLiteral("dynamodb.layout.user_index"), indexName);

    // Capacity. DescribeTable leaves BillingModeSummary out for tables that were always
    // provisioned.
    const QString billing = t.value(QStringLiteral("BillingModeSummary"))
                                .toObject()
                                .value(QStringLiteral("BillingMode"))
                                .toString(QStringLiteral("PROVISIONED"));
    sheet.known(QStringLiteral("dynamodb.billing.mode"), billing);
    const QJsonObject throughput = t.value(QStringLiteral("ProvisionedThroughput")).toObject();
    sheet.known(QStringLiteral("dynamodb.billing.read_capacity"),
                double(throughput.value(QStringLiteral("ReadCapacityUnits")).toInteger()));
    sheet.known(QStringLiteral("dynamodb.billing.write_capacity"),
                double(throughput.value(QStringLiteral("WriteCapacityUnits")).toInteger()));

    // Indexes.
    QStringList indexNames;
    for (const QJsonValue &value : t.value(QStringLiteral("GlobalSecondaryIndexes")).toArray()) {
        const QJsonObject index = value.toObject();
        const QString gsi = index.value(QStringLiteral("IndexName")).toString();
        const QString prefix = QStringLiteral("dynamodb.gsi.") + gsi;
        indexNames << gsi;
        const QJsonArray schema = index.value(QStringLiteral("KeySchema")).toArray();
        sheet.known(prefix + QStringLiteral(".partition_key"),
                    keyOf(schema, QStringLiteral("HASH")));
        if (const QString sortKey = keyOf(schema, QStringLiteral("RANGE")); sortKey.isEmpty())
            sheet.absent(prefix + QStringLiteral(".sort_key"), QStringLiteral("none"));
        else
            sheet.known(prefix + QStringLiteral(".sort_key"), sortKey);
        const QJsonObject projection = index.value(QStringLiteral("Projection")).toObject();
        QString projected = projection.value(QStringLiteral("ProjectionType")).toString();
        QString shown = projected;
        const QJsonArray extra = projection.value(QStringLiteral("NonKeyAttributes")).toArray();
        if (!extra.isEmpty()) {
            QStringList attributes;
            for (const QJsonValue &a : extra)
                attributes << a.toString();
            shown += QStringLiteral(" (") + attributes.join(QStringLiteral(", ")) + u')';
        }
        sheet.known(prefix + QStringLiteral(".projection"), projected, shown);
        sheet.known(prefix + QStringLiteral(".status"),
                    index.value(QStringLiteral("IndexStatus")).toString());
    }
    sheet.known(QStringLiteral("dynamodb.gsi.names"), stringArray(indexNames));

    // Encryption. No SSEDescription means the key DynamoDB owns (the default).
    const QJsonObject sse = t.value(QStringLiteral("SSEDescription")).toObject();
    QString kmsArn;
    if (sse.isEmpty()) {
        sheet.known(QStringLiteral("dynamodb.sse.status"), QStringLiteral("ENABLED"),
                    QStringLiteral("ENABLED (always, with a key owned by DynamoDB)"));
        sheet.known(QStringLiteral("dynamodb.sse.type"), QStringLiteral("AWS_OWNED"),
                    QStringLiteral("AWS_OWNED (no SSEDescription)"));
        sheet.absent(QStringLiteral("dynamodb.sse.kms_key_arn"), QStringLiteral("none"));
        sheet.absent(QStringLiteral("dynamodb.sse.key_manager"),
                     QStringLiteral("DynamoDB (not a KMS key)"));
    } else {
        sheet.known(QStringLiteral("dynamodb.sse.status"),
                    sse.value(QStringLiteral("Status")).toString());
        sheet.known(QStringLiteral("dynamodb.sse.type"),
                    sse.value(QStringLiteral("SSEType")).toString());
        kmsArn = sse.value(QStringLiteral("KMSMasterKeyArn")).toString();
        if (kmsArn.isEmpty())
            sheet.absent(QStringLiteral("dynamodb.sse.kms_key_arn"), QStringLiteral("none"));
        else
            sheet.known(QStringLiteral("dynamodb.sse.kms_key_arn"), kmsArn);
    }

    // Protection and streams. DescribeTable on AWS always says whether deletion protection is
    // on; an endpoint that does not say is not taken to mean "off".
    if (const QJsonValue protection = t.value(QStringLiteral("DeletionProtectionEnabled"));
        protection.isBool()) {
        sheet.known(QStringLiteral("dynamodb.deletion_protection"), protection.toBool());
    } else {
        sheet.unknown(QStringLiteral("dynamodb.deletion_protection"),
                      QStringLiteral("DescribeTable did not report DeletionProtectionEnabled "
                                     "(an endpoint that predates it)"));
    }
    const QJsonObject stream = t.value(QStringLiteral("StreamSpecification")).toObject();
    const bool streaming = stream.value(QStringLiteral("StreamEnabled")).toBool();
    sheet.known(QStringLiteral("dynamodb.streams.enabled"), streaming);
    if (streaming)
        sheet.known(QStringLiteral("dynamodb.streams.view_type"),
                    stream.value(QStringLiteral("StreamViewType")).toString());
    else
        sheet.absent(QStringLiteral("dynamodb.streams.view_type"), QStringLiteral("no stream"));

    // The calls DescribeTable does not cover, at once. Each may be denied or missing.
    const QJsonObject byName{{QStringLiteral("TableName"), name}};
    const QList<Result<QJsonObject>> extra = client.callAll(
        {{QStringLiteral("DescribeTimeToLive"), byName},
         {QStringLiteral("DescribeContinuousBackups"), byName},
         {QStringLiteral("ListTagsOfResource"), {{QStringLiteral("ResourceArn"), arn}}}});
    if (extra.at(0)) {
        const QJsonObject ttl =
            extra.at(0)->value(QStringLiteral("TimeToLiveDescription")).toObject();
        sheet.known(QStringLiteral("dynamodb.ttl.status"),
                    ttl.value(QStringLiteral("TimeToLiveStatus")).toString());
        const QString attribute = ttl.value(QStringLiteral("AttributeName")).toString();
        if (attribute.isEmpty())
            sheet.absent(QStringLiteral("dynamodb.ttl.attribute"), QStringLiteral("none"));
        else
            sheet.known(QStringLiteral("dynamodb.ttl.attribute"), attribute);
    } else {
        sheet.unknown(QStringLiteral("dynamodb.ttl.status"), reasonOf(extra.at(0).error()));
        sheet.unknown(QStringLiteral("dynamodb.ttl.attribute"), reasonOf(extra.at(0).error()));
    }
    if (extra.at(1)) {
        sheet.known(
            QStringLiteral("dynamodb.pitr.status"),
            (*extra.at(1))[QStringLiteral("ContinuousBackupsDescription")][QStringLiteral(
                "PointInTimeRecoveryDescription")][QStringLiteral("PointInTimeRecoveryStatus")]
                .toString());
    } else {
        sheet.unknown(QStringLiteral("dynamodb.pitr.status"), reasonOf(extra.at(1).error()));
    }
    if (extra.at(2)) {
        QStringList tags;
        for (const QJsonValue &tag : extra.at(2)->value(QStringLiteral("Tags")).toArray()) {
            const QString key = tag[QStringLiteral("Key")].toString();
            const QString value = tag[QStringLiteral("Value")].toString();
            tags << key + u'=' + value;
            sheet.known(QStringLiteral("dynamodb.tag.") + key, value);
        }
        sheet.known(QStringLiteral("dynamodb.tags"), stringArray(tags));
    } else {
        sheet.unknown(QStringLiteral("dynamodb.tags"), reasonOf(extra.at(2).error()));
    }

    // Customer-managed or AWS-managed: only KMS knows (KeyMetadata.KeyManager).
    if (!kmsArn.isEmpty()) {
        QString why;
        const QUrl endpoint = kmsEndpoint(client.options(), &why);
        if (endpoint.isEmpty()) {
            sheet.unknown(QStringLiteral("dynamodb.sse.key_manager"), why);
        } else {
            DynamoClient::Options options = client.options();
            options.endpoint = endpoint;
            options.service = QStringLiteral("kms");
            options.targetPrefix = "TrentService.";
            options.contentType = "application/x-amz-json-1.1";
            options.maxAttempts = 3;
            DynamoClient kms(options);
            kms.setReadOnly(client.isReadOnly());
            auto key = kms.call(QStringLiteral("DescribeKey"), {{QStringLiteral("KeyId"), kmsArn}});
            if (key) {
                const QJsonObject metadata = key->value(QStringLiteral("KeyMetadata")).toObject();
                const QString manager = metadata.value(QStringLiteral("KeyManager")).toString();
                const QString state = metadata.value(QStringLiteral("KeyState")).toString();
                sheet.known(QStringLiteral("dynamodb.sse.key_manager"), manager,
                            state.isEmpty() ? manager
                                            : QStringLiteral("%1 (key %2)").arg(manager, state));
            } else {
                sheet.unknown(QStringLiteral("dynamodb.sse.key_manager"), reasonOf(key.error()));
            }
        }
    }

    sheet.unknown(QStringLiteral("dynamodb.sessions.count"),
                  QStringLiteral("counted only by a full scan (info, or settings --scan)"));
    sheet.unknown(QStringLiteral("dynamodb.sessions.without_ttl"),
                  QStringLiteral("counted only by a full scan (info, or settings --scan)"));
    return sheet.take();
}

} // namespace SessionDesk::Aws
