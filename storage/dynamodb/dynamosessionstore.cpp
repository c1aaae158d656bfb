#include "dynamosessionstore.h"

#include "awsconfig.h"
#include "dynamofacts.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSet>
#include <QTimer>

#include <cmath>

namespace SessionDesk::Aws {

namespace {

using Code = StorageError::Code;

// DynamoDB's attribute-value JSON to plain JSON (numbers as numbers, binary as base64 text).
QJsonValue unmarshal(const QJsonObject &attribute)
{
    const QString type = attribute.isEmpty() ? QString() : attribute.begin().key();
    const QJsonValue v = attribute.isEmpty() ? QJsonValue() : attribute.begin().value();
    if (type == u"S" || type == u"B")
        return v.toString();
    if (type == u"N") {
        bool ok = false;
        const qlonglong integer = v.toString().toLongLong(&ok);
        return ok ? QJsonValue(integer) : QJsonValue(v.toString().toDouble());
    }
    if (type == u"BOOL")
        return v.toBool();
    if (type == u"M") {
        QJsonObject object;
        const QJsonObject map = v.toObject();
        for (auto it = map.begin(); it != map.end(); ++it)
            object.insert(it.key(), unmarshal(it.value().toObject()));
        return object;
    }
    if (type == u"L") {
        QJsonArray array;
        for (const QJsonValue &item : v.toArray())
            array.append(unmarshal(item.toObject()));
        return array;
    }
    if (type == u"SS" || type == u"NS" || type == u"BS")
        return v.toArray();
    return QJsonValue::Null;
}

QJsonObject stringAttribute(const QString &value)
{
    return {{QStringLiteral("S"), value}};
}

// Waits on the calling thread without blocking its event processing.
void backoff(int attempt)
{
    const int cap = std::min(5000, 25 << std::min(attempt, 10));
    QEventLoop loop;
    QTimer::singleShot(int(QRandomGenerator::global()->bounded(cap + 1)), &loop, &QEventLoop::quit);
    loop.exec();
}

constexpr int kBatchWriteLimit = 25;
constexpr int kRequestsInFlight = 8;

} // namespace

DynamoSessionStore::DynamoSessionStore(StoreConfig config, SessionLayout layout)
    : m_config(std::move(config))
    , m_layout(std::move(layout))
    , m_fields(m_layout)
    , m_readOnly(m_config.readOnly)
{ }

DynamoSessionStore::~DynamoSessionStore() = default;

void DynamoSessionStore::setReadOnly(bool readOnly)
{
    m_readOnly = readOnly;
    if (m_client)
        m_client->setReadOnly(readOnly);
}

QString DynamoSessionStore::targetName() const
{
    const QString region = m_region.isEmpty() ? m_config.dynamo.region : m_region;
    return region.isEmpty() ? m_config.dynamo.table : m_config.dynamo.table + u'@' + region;
}

Result<void> DynamoSessionStore::connect()
{
    if (!m_layout.forDynamoDb) {
        return fail(Code::InvalidArgument,
                    QStringLiteral("The schema \"%1\" is for Redis; DynamoDB tables take "
                                   "dynamodb-gds or connect-dynamodb.")
                        .arg(m_layout.schema));
    }
    const AwsOptions options{m_config.dynamo.profile, m_config.dynamo.region};
    auto region = resolveRegion(options);
    if (!region)
        return std::unexpected(region.error());
    m_region = *region;
    auto credentials = resolveCredentials(options);
    if (!credentials)
        return std::unexpected(credentials.error());
    DynamoClient::Options clientOptions;
    clientOptions.endpoint =
        QUrl(m_config.dynamo.endpoint.isEmpty()
                 ? QStringLiteral("https://dynamodb.%1.amazonaws.com/").arg(m_region)
                 : m_config.dynamo.endpoint);
    clientOptions.region = m_region;
    clientOptions.credentials = *credentials;
    clientOptions.timeoutMs = m_config.commandTimeoutMs;
    m_client = std::make_unique<DynamoClient>(clientOptions);
    m_client->setReadOnly(m_readOnly);

    auto described = m_client->call(QStringLiteral("DescribeTable"),
                                    {{QStringLiteral("TableName"), m_config.dynamo.table}});
    if (!described) {
        StorageError error = described.error();
        if (error.serverCode == u"ResourceNotFoundException") {
            error.message =
                QStringLiteral("There is no table \"%1\" in %2 (%3); check the table "
                               "name and the region.")
                    .arg(m_config.dynamo.table, m_region, clientOptions.endpoint.host());
        }
        return std::unexpected(error);
    }
    m_table = described->value(QStringLiteral("Table")).toObject();
    const QString wanted =
        m_config.dynamo.index.isEmpty() ? m_layout.userIndexName : m_config.dynamo.index;
    m_indexName.clear();
    for (const QJsonValue &index :
         m_table.value(QStringLiteral("GlobalSecondaryIndexes")).toArray()) {
        if (index.toObject().value(QStringLiteral("IndexName")).toString() == wanted)
            m_indexName = wanted;
    }
    if (!m_config.dynamo.index.isEmpty() && m_indexName.isEmpty()) {
        return fail(Code::NotFound,
                    QStringLiteral("The table %1 has no index \"%2\".")
                        .arg(m_config.dynamo.table, m_config.dynamo.index));
    }
    return {};
}

QJsonObject DynamoSessionStore::prefixFilter(QJsonObject request) const
{
    request.insert(QStringLiteral("TableName"), m_config.dynamo.table);
    request.insert(QStringLiteral("FilterExpression"), QStringLiteral("begins_with(#id, :prefix)"));
    QJsonObject names = request.value(QStringLiteral("ExpressionAttributeNames")).toObject();
    names.insert(QStringLiteral("#id"), m_layout.idAttribute);
    request.insert(QStringLiteral("ExpressionAttributeNames"), names);
    request.insert(QStringLiteral("ExpressionAttributeValues"),
                   QJsonObject{{QStringLiteral(":prefix"),
                                stringAttribute(QString::fromUtf8(m_layout.keyPrefix))}});
    request.insert(QStringLiteral("ReturnConsumedCapacity"), QStringLiteral("TOTAL"));
    return request;
}

Result<void> DynamoSessionStore::scanAll(const QJsonObject &request, const CancelToken &cancel,
                                         const ItemVisitor &visit)
{
    struct Segment
    {
        QJsonObject startKey;
        bool done = false;
    };
    std::vector<Segment> segments(static_cast<size_t>(m_segments));
    while (true) {
        if (cancel.isCancelled())
            return fail(Code::Cancelled, QStringLiteral("Cancelled."));
        QList<DynamoClient::Call> calls;
        QList<int> which;
        for (int s = 0; s < m_segments; ++s) {
            if (segments[size_t(s)].done)
                continue;
            QJsonObject body = request;
            if (m_segments > 1) {
                body.insert(QStringLiteral("Segment"), s);
                body.insert(QStringLiteral("TotalSegments"), m_segments);
            }
            if (!segments[size_t(s)].startKey.isEmpty())
                body.insert(QStringLiteral("ExclusiveStartKey"), segments[size_t(s)].startKey);
            calls.append({QStringLiteral("Scan"), body});
            which.append(s);
        }
        if (calls.isEmpty())
            return {};
        const QList<Result<QJsonObject>> results = m_client->callAll(calls);
        for (qsizetype i = 0; i < results.size(); ++i) {
            if (!results.at(i))
                return std::unexpected(results.at(i).error());
            const QJsonObject &page = *results.at(i);
            Segment &segment = segments[size_t(which.at(i))];
            segment.startKey = page.value(QStringLiteral("LastEvaluatedKey")).toObject();
            segment.done = segment.startKey.isEmpty();
            auto more = visit(page.value(QStringLiteral("Items")).toArray());
            if (!more)
                return std::unexpected(more.error());
            if (!*more)
                return {};
        }
    }
}

std::optional<QByteArray> DynamoSessionStore::idOf(const QJsonObject &item) const
{
    const QJsonObject attribute = item.value(m_layout.idAttribute).toObject();
    QByteArray key;
    if (attribute.contains(QStringLiteral("S")))
        key = attribute.value(QStringLiteral("S")).toString().toUtf8();
    else if (attribute.contains(QStringLiteral("B")))
        key = QByteArray::fromBase64(attribute.value(QStringLiteral("B")).toString().toLatin1());
    else
        return std::nullopt;
    return m_layout.idFromKey(key);
}

QJsonObject DynamoSessionStore::keyFor(const QByteArray &id) const
{
    return {{m_layout.idAttribute, stringAttribute(QString::fromUtf8(m_layout.keyForId(id)))}};
}

QByteArray DynamoSessionStore::rawValue(const QJsonObject &item) const
{
    const QJsonObject attribute = item.value(m_layout.valueAttribute).toObject();
    if (attribute.contains(QStringLiteral("S")))
        return attribute.value(QStringLiteral("S")).toString().toUtf8();
    if (attribute.contains(QStringLiteral("B")))
        return QByteArray::fromBase64(attribute.value(QStringLiteral("B")).toString().toLatin1());
    if (attribute.contains(QStringLiteral("M"))) {
        return QJsonDocument(unmarshal(attribute).toObject()).toJson(QJsonDocument::Compact);
    }
    return {};
}

SessionSummary DynamoSessionStore::summaryOf(const QJsonObject &item, bool userOnly) const
{
    SessionSummary s;
    s.id = idOf(item).value_or(QByteArray());
    const QByteArray raw = rawValue(item);
    SessionFields fields = m_fields.read(raw, userOnly);
    // A top-level user attribute (the GSI key) wins over what the value says.
    const QString topUser = unmarshal(item.value(m_layout.userAttribute).toObject()).toString();
    s.user = !topUser.isEmpty() ? topUser : fields.user;
    s.startedAt = fields.startedAt;
    s.lastAccessAt = fields.lastAccessAt;
    s.device = fields.device;
    s.sizeBytes = raw.size();
    s.valueType = QStringLiteral("item");
    const QJsonObject expires = item.value(m_layout.expiresAttribute).toObject();
    if (expires.contains(QStringLiteral("N"))) {
        // Epoch seconds, possibly fractional. A past value is expired but not yet swept by TTL.
        const double seconds = expires.value(QStringLiteral("N")).toString().toDouble();
        s.expiresAt = QDateTime::fromMSecsSinceEpoch(qint64(seconds * 1000), Qt::UTC);
        s.ttlMs = std::max<qint64>(0, QDateTime::currentDateTimeUtc().msecsTo(s.expiresAt));
    }
    return s;
}

Result<StoreInfo> DynamoSessionStore::settings()
{
    StoreInfo info;
    info.kind = QStringLiteral("dynamodb");
    info.target = targetName();
    info.serverVersion = QStringLiteral("DynamoDB API 2012-08-10");
    info.layout = m_layout.description;
    info.keysInDatabase = m_table.value(QStringLiteral("ItemCount")).toInteger();
    info.facts = readTableFacts(*m_client, m_table, m_layout, m_indexName);
    return info;
}

Result<StoreInfo> DynamoSessionStore::describe(const ProgressCallback &progress,
                                               const CancelToken &cancel)
{
    auto described = settings();
    if (!described)
        return described;
    StoreInfo info = *described;
    Progress p;
    p.phase = QStringLiteral("counting");
    qint64 sessions = 0;
    qint64 withoutTtl = 0;
    // Only the key and the expiry are read: the scan is billed by item size all the same, but
    // transfers little.
    QJsonObject ids =
        prefixFilter({{QStringLiteral("ProjectionExpression"), QStringLiteral("#id, #e")},
                      {QStringLiteral("ExpressionAttributeNames"),
                       QJsonObject{{QStringLiteral("#e"), m_layout.expiresAttribute}}}});
    auto counted = scanAll(ids, cancel, [&](const QJsonArray &items) {
        sessions += items.size();
        for (const QJsonValue &item : items) {
            if (!item.toObject().contains(m_layout.expiresAttribute))
                ++withoutTtl;
        }
        p.examined = p.matched = sessions;
        if (progress)
            progress(p);
        return Result<bool>(true);
    });
    if (!counted)
        return std::unexpected(counted.error());
    info.sessionsWithoutTtl = withoutTtl;
    info.sessions = sessions;
    FactSheet counts;
    counts.known(QStringLiteral("dynamodb.sessions.count"), double(sessions));
    counts.known(QStringLiteral("dynamodb.sessions.without_ttl"), double(withoutTtl));
    for (StoreFact &fact : counts.take())
        replaceFact(info.facts, std::move(fact));
    return info;
}

Result<UserList> DynamoSessionStore::listUsers(const ProgressCallback &progress,
                                               const CancelToken &cancel)
{
    QJsonObject request = prefixFilter({});
    // With a top-level user attribute (the GSI key) the value is not read at all: a fraction
    // of the bytes to transfer and parse.
    QStringList projection{QStringLiteral("#id")};
    QJsonObject names{{QStringLiteral("#id"), m_layout.idAttribute}};
    if (!m_layout.userAttribute.isEmpty()) {
        projection << QStringLiteral("#u");
        names.insert(QStringLiteral("#u"), m_layout.userAttribute);
    } else {
        projection << QStringLiteral("#v");
        names.insert(QStringLiteral("#v"), m_layout.valueAttribute);
    }
    request.insert(QStringLiteral("ProjectionExpression"), projection.join(u','));
    request.insert(QStringLiteral("ExpressionAttributeNames"), names);
    QHash<QString, qint64> counts;
    UserList list;
    Progress p;
    p.phase = QStringLiteral("reading sessions");
    auto scanned = scanAll(request, cancel, [&](const QJsonArray &items) {
        for (const QJsonValue &value : items) {
            const SessionSummary s = summaryOf(value.toObject(), true);
            ++list.sessionsExamined;
            if (s.user.isEmpty())
                ++list.sessionsWithoutUser;
            else
                ++counts[s.user];
        }
        p.examined = p.matched = list.sessionsExamined;
        if (progress)
            progress(p);
        return Result<bool>(true);
    });
    if (!scanned)
        return std::unexpected(scanned.error());
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        list.users.append({it.key(), it.value()});
    std::sort(list.users.begin(), list.users.end(), [](const UserSummary &a, const UserSummary &b) {
        return a.sessions != b.sessions ? a.sessions > b.sessions : a.user < b.user;
    });
    return list;
}

Result<QList<QByteArray>> DynamoSessionStore::idsOfUser(const QString &user,
                                                        const CancelToken &cancel)
{
    QList<QByteArray> ids;
    if (!m_indexName.isEmpty()) {
        QJsonObject startKey;
        do {
            if (cancel.isCancelled())
                return fail(Code::Cancelled, QStringLiteral("Cancelled."));
            QJsonObject query{{QStringLiteral("TableName"), m_config.dynamo.table},
                              {QStringLiteral("IndexName"), m_indexName},
                              {QStringLiteral("KeyConditionExpression"), QStringLiteral("#u = :u")},
                              {QStringLiteral("ExpressionAttributeNames"),
                               QJsonObject{{QStringLiteral("#u"), m_layout.userAttribute}}},
                              {QStringLiteral("ExpressionAttributeValues"),
                               QJsonObject{{QStringLiteral(":u"), stringAttribute(user)}}}};
            if (!startKey.isEmpty())
                query.insert(QStringLiteral("ExclusiveStartKey"), startKey);
            auto page = m_client->call(QStringLiteral("Query"), query);
            if (!page)
                return std::unexpected(page.error());
            for (const QJsonValue &item : page->value(QStringLiteral("Items")).toArray()) {
                if (auto id = idOf(item.toObject()))
                    ids.append(*id);
            }
            startKey = page->value(QStringLiteral("LastEvaluatedKey")).toObject();
        } while (!startKey.isEmpty());
        return ids;
    }
    SessionQuery query;
    query.user = user;
    auto found = listSessions(query, {}, cancel);
    if (!found)
        return std::unexpected(found.error());
    for (const SessionSummary &s : found->sessions)
        ids.append(s.id);
    return ids;
}

Result<SessionPage> DynamoSessionStore::sessionPage(const SessionPageRequest &request,
                                                    const CancelToken &cancel)
{
    SessionPage page;
    if (request.user && !m_indexName.isEmpty()) {
        auto ids = idsOfUser(*request.user, cancel);
        if (!ids)
            return std::unexpected(ids.error());
        for (qsizetype at = 0; at < ids->size(); at += kRequestsInFlight * 4) {
            QList<DynamoClient::Call> calls;
            const QList<QByteArray> batch = ids->mid(at, kRequestsInFlight * 4);
            for (const QByteArray &id : batch) {
                calls.append({QStringLiteral("GetItem"),
                              {{QStringLiteral("TableName"), m_config.dynamo.table},
                               {QStringLiteral("Key"), keyFor(id)},
                               {QStringLiteral("ConsistentRead"), true}}});
            }
            const auto results = m_client->callAll(calls);
            for (qsizetype i = 0; i < results.size(); ++i) {
                if (!results.at(i))
                    return std::unexpected(results.at(i).error());
                const QJsonObject item = results.at(i)->value(QStringLiteral("Item")).toObject();
                if (item.isEmpty())
                    page.staleIndexIds.append(batch.at(i)); // the index lags the table
                else
                    page.sessions.append(summaryOf(item, false));
            }
            page.examined += batch.size();
        }
        page.atEnd = true;
        return page;
    }
    QJsonObject scan =
        prefixFilter({{QStringLiteral("Limit"), int(std::max<qint64>(request.pageSize, 25))}});
    if (!request.cursor.isEmpty()) {
        scan.insert(QStringLiteral("ExclusiveStartKey"),
                    QJsonDocument::fromJson(QByteArray::fromBase64(request.cursor)).object());
    }
    // A filtered page may hold few matches: keep reading a bounded number of pages.
    for (int round = 0; round < 20; ++round) {
        if (cancel.isCancelled())
            return fail(Code::Cancelled, QStringLiteral("Cancelled."));
        auto result = m_client->call(QStringLiteral("Scan"), scan);
        if (!result)
            return std::unexpected(result.error());
        for (const QJsonValue &item : result->value(QStringLiteral("Items")).toArray()) {
            SessionSummary s = summaryOf(item.toObject(), false);
            if (!request.user || s.user == *request.user)
                page.sessions.append(std::move(s));
        }
        page.examined += result->value(QStringLiteral("ScannedCount")).toInteger();
        const QJsonObject last = result->value(QStringLiteral("LastEvaluatedKey")).toObject();
        if (last.isEmpty()) {
            page.atEnd = true;
            return page;
        }
        page.nextCursor = QJsonDocument(last).toJson(QJsonDocument::Compact).toBase64();
        scan.insert(QStringLiteral("ExclusiveStartKey"), last);
        if (page.sessions.size() >= request.pageSize)
            break;
    }
    return page;
}

Result<SessionDetail> DynamoSessionStore::session(const QByteArray &id)
{
    auto result = m_client->call(QStringLiteral("GetItem"),
                                 {{QStringLiteral("TableName"), m_config.dynamo.table},
                                  {QStringLiteral("Key"), keyFor(id)},
                                  {QStringLiteral("ConsistentRead"), true}});
    if (!result)
        return std::unexpected(result.error());
    const QJsonObject item = result->value(QStringLiteral("Item")).toObject();
    if (item.isEmpty()) {
        return fail(Code::NotFound,
                    QStringLiteral("No session \"%1\" in %2.").arg(displayBytes(id), targetName()));
    }
    SessionDetail detail;
    detail.summary = summaryOf(item, false);
    detail.raw = rawValue(item);
    detail.decoded = decodeValue(detail.raw);
    return detail;
}

QString DynamoSessionStore::userLookupCost() const
{
    if (!m_indexName.isEmpty())
        return {};
    const double tableBytes = m_table.value(QStringLiteral("TableSizeBytes")).toDouble();
    return QStringLiteral("%1 has no per-user index, so finding a user's sessions scans the whole "
                          "table: about %2 read units.")
        .arg(m_config.dynamo.table)
        .arg(qint64(std::ceil(tableBytes / 4096.0 / 2.0)));
}

QString DynamoSessionStore::costEstimate(qint64 sessions) const
{
    // A scan reads every item of the table (filters apply after the read): 0.5 read unit per
    // 4 KB, eventually consistent. A delete writes 1 unit per started KB of the item.
    const double tableBytes = m_table.value(QStringLiteral("TableSizeBytes")).toDouble();
    const double items = std::max(1.0, m_table.value(QStringLiteral("ItemCount")).toDouble());
    const double averageItem = tableBytes > 0 ? tableBytes / items : 1024;
    const double readUnits = std::ceil(tableBytes / 4096.0 / 2.0);
    const double writeUnits = double(sessions) * std::ceil(std::max(1.0, averageItem / 1024.0));
    QString text = QStringLiteral("about %1 read units to scan and %2 write units to delete")
                       .arg(qint64(readUnits))
                       .arg(qint64(writeUnits));
    const QString billing = m_table.value(QStringLiteral("BillingModeSummary"))
                                .toObject()
                                .value(QStringLiteral("BillingMode"))
                                .toString();
    if (billing == u"PAY_PER_REQUEST") {
        // On-demand list prices in us-east-1 (USD per million request units, since Nov 2024).
        const double dollars = readUnits * 0.125 / 1e6 + writeUnits * 0.625 / 1e6;
        text += QStringLiteral(", about $%1 on demand at us-east-1 list prices")
                    .arg(dollars, 0, 'f', dollars < 0.01 ? 4 : 2);
    } else {
        text += QStringLiteral(" (provisioned: the table's write capacity sets the pace)");
    }
    return text + QStringLiteral("; item count and size are refreshed by AWS about every 6 h");
}

Result<RevokeReport> DynamoSessionStore::revoke(const QList<QByteArray> &ids)
{
    if (auto refused = refuseIfReadOnly(QStringLiteral("revoke sessions")); !refused)
        return std::unexpected(refused.error());
    RevokeReport report;
    for (qsizetype at = 0; at < ids.size(); at += kRequestsInFlight * 4) {
        const QList<QByteArray> batch = ids.mid(at, kRequestsInFlight * 4);
        QList<DynamoClient::Call> calls;
        for (const QByteArray &id : batch) {
            // Conditional, so that "not found" is an answer and nothing is created.
            calls.append(
                {QStringLiteral("DeleteItem"),
                 {{QStringLiteral("TableName"), m_config.dynamo.table},
                  {QStringLiteral("Key"), keyFor(id)},
                  {QStringLiteral("ConditionExpression"), QStringLiteral("attribute_exists(#id)")},
                  {QStringLiteral("ExpressionAttributeNames"),
                   QJsonObject{{QStringLiteral("#id"), m_layout.idAttribute}}}}});
        }
        const auto results = m_client->callAll(calls);
        for (qsizetype i = 0; i < results.size(); ++i) {
            if (results.at(i)) {
                report.revoked.append(batch.at(i));
            } else if (results.at(i).error().serverCode == u"ConditionalCheckFailedException") {
                report.notFound.append(batch.at(i));
            } else {
                return std::unexpected(results.at(i).error());
            }
        }
    }
    return report;
}

Result<RevokeReport> DynamoSessionStore::logoutUser(const QString &user,
                                                    const ProgressCallback &progress,
                                                    const CancelToken &cancel)
{
    if (auto refused = refuseIfReadOnly(QStringLiteral("log a user out")); !refused)
        return std::unexpected(refused.error());
    Q_UNUSED(progress);
    auto ids = idsOfUser(user, cancel);
    if (!ids)
        return std::unexpected(ids.error());
    return revoke(*ids);
}

Result<DestroyReport> DynamoSessionStore::destroyAll(bool dryRun, const ProgressCallback &progress,
                                                     const CancelToken &cancel)
{
    if (!dryRun) {
        if (auto refused = refuseIfReadOnly(QStringLiteral("destroy sessions")); !refused)
            return std::unexpected(refused.error());
    }
    QElapsedTimer clock;
    clock.start();
    DestroyReport report;
    report.dryRun = dryRun;
    Progress p;
    p.phase = dryRun ? QStringLiteral("counting") : QStringLiteral("destroying");
    QSet<QString> causes;
    const double capacityBefore = m_client->consumedCapacity();
    const QJsonObject scan =
        prefixFilter({{QStringLiteral("ProjectionExpression"), QStringLiteral("#id")}});

    // Scan pages and delete batches travel together: each round sends the next page of every
    // segment that is not done (while few deletes wait) and up to kRequestsInFlight batches of
    // 25 deletes, so the table is read and written at once.
    struct Segment
    {
        QJsonObject startKey;
        bool done = false;
    };
    std::vector<Segment> segments(static_cast<size_t>(m_segments));
    QList<QJsonObject> pending; // DeleteRequests not yet accepted by the table
    int busyRounds = 0; // rounds in a row that returned unprocessed items
    bool stopped = false;
    while (true) {
        if (cancel.isCancelled()) {
            report.cancelled = true;
            break;
        }
        QList<DynamoClient::Call> calls;
        QList<int> scanned; // segment of each Scan call, in order
        if (pending.size() < kBatchWriteLimit * kRequestsInFlight * 2) {
            for (int s = 0; s < m_segments; ++s) {
                if (segments[size_t(s)].done)
                    continue;
                QJsonObject body = scan;
                if (m_segments > 1) {
                    body.insert(QStringLiteral("Segment"), s);
                    body.insert(QStringLiteral("TotalSegments"), m_segments);
                }
                if (!segments[size_t(s)].startKey.isEmpty())
                    body.insert(QStringLiteral("ExclusiveStartKey"), segments[size_t(s)].startKey);
                calls.append({QStringLiteral("Scan"), body});
                scanned.append(s);
            }
        }
        QList<qsizetype> batchSizes;
        while (!pending.isEmpty() && batchSizes.size() < kRequestsInFlight) {
            QJsonArray requests;
            for (const QJsonObject &r : pending.mid(0, kBatchWriteLimit))
                requests.append(r);
            pending.remove(0, requests.size());
            calls.append(
                {QStringLiteral("BatchWriteItem"),
                 {{QStringLiteral("RequestItems"), QJsonObject{{m_config.dynamo.table, requests}}},
                  {QStringLiteral("ReturnConsumedCapacity"), QStringLiteral("TOTAL")}}});
            batchSizes.append(requests.size());
        }
        if (calls.isEmpty())
            break;
        const auto results = m_client->callAll(calls);
        bool unprocessedSeen = false;
        const qint64 destroyedBefore = report.destroyed;
        for (qsizetype i = 0; i < results.size(); ++i) {
            const bool isScan = i < scanned.size();
            if (!results.at(i)) {
                const StorageError &error = results.at(i).error();
                if (isScan || error.code == Code::Permission
                    || error.code == Code::Authentication) {
                    // Without the scan (or the right) nothing more can be done; the counts
                    // so far stay exact.
                    if (report.destroyed == 0 && report.failed == 0 && isScan)
                        return std::unexpected(error);
                    report.abortReason = error.message;
                    stopped = true;
                    if (!isScan)
                        report.failed += batchSizes.at(i - scanned.size());
                    continue;
                }
                report.failed += batchSizes.at(i - scanned.size());
                causes.insert(error.message);
                continue;
            }
            const QJsonObject &answer = *results.at(i);
            if (isScan) {
                Segment &segment = segments[size_t(scanned.at(i))];
                segment.startKey = answer.value(QStringLiteral("LastEvaluatedKey")).toObject();
                segment.done = segment.startKey.isEmpty();
                for (const QJsonValue &item : answer.value(QStringLiteral("Items")).toArray()) {
                    ++report.examined;
                    // The filter already asked for the prefix; check again before any delete.
                    if (const auto id = idOf(item.toObject())) {
                        ++report.matched;
                        if (!dryRun) {
                            pending.append(
                                QJsonObject{{QStringLiteral("DeleteRequest"),
                                             QJsonObject{{QStringLiteral("Key"), keyFor(*id)}}}});
                        }
                    }
                }
                continue;
            }
            const QJsonArray unprocessed =
                answer[QStringLiteral("UnprocessedItems")][m_config.dynamo.table].toArray();
            report.destroyed += batchSizes.at(i - scanned.size()) - unprocessed.size();
            for (const QJsonValue &r : unprocessed)
                pending.append(r.toObject());
            unprocessedSeen = unprocessedSeen || !unprocessed.isEmpty();
        }
        p.examined = report.examined;
        p.matched = report.matched;
        p.destroyed = report.destroyed;
        p.failed = report.failed;
        if (progress)
            progress(p);
        if (stopped)
            break;
        // Unprocessed items mean the table is busy: give it air, longer while nothing at all
        // gets through, and give up after a while.
        if (!unprocessedSeen)
            busyRounds = 0;
        else
            busyRounds = report.destroyed > destroyedBefore ? 1 : busyRounds + 1;
        if (busyRounds > 12) {
            causes.insert(QStringLiteral("%1 deletes stayed unprocessed after 12 rounds of "
                                         "retries")
                              .arg(pending.size()));
            report.failed += pending.size();
            pending.clear();
            busyRounds = 0;
        } else if (busyRounds > 0) {
            backoff(busyRounds);
        }
    }
    report.consumedCapacityUnits = m_client->consumedCapacity() - capacityBefore;
    if (dryRun)
        report.costEstimate = costEstimate(report.matched);
    report.errors = causes.values();
    report.errors.sort();
    report.durationMs = clock.elapsed();
    return report;
}

} // namespace SessionDesk::Aws
