// The DynamoDB test fixtures themselves: a real dynalite on 127.0.0.1 and the fault-injecting
// proxy in front of it (throttling, UnprocessedItems, 5xx, dropped connections, and the
// Describe calls dynalite lacks), checked with raw DynamoDB JSON, without the product's client.

#include "dynaliteserver.h"
#include "faultproxy.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTcpSocket>
#include <QTest>

using SessionDesk::Test::DynaliteServer;
using SessionDesk::Test::dynamoCall;
using SessionDesk::Test::FaultProxy;

namespace {

QJsonObject tableName(const QString &table)
{
    return QJsonObject{{QLatin1String("TableName"), table}};
}

QJsonObject stringValue(const QString &value)
{
    return QJsonObject{{QLatin1String("S"), value}};
}

QJsonObject sessionItem(int i)
{
    return QJsonObject{
        {QLatin1String("id"),
         stringValue(QStringLiteral("sess:%1").arg(i, 4, 10, QLatin1Char('0')))},
        {QLatin1String("user_id"), stringValue(QStringLiteral("user-%1").arg(i % 7))},
        {QLatin1String("sess"), stringValue(QStringLiteral(R"({"n":%1})").arg(i))},
        {QLatin1String("expires"), QJsonObject{{QLatin1String("N"), QLatin1String("1900000000")}}}};
}

QSet<QString> allIds(DynaliteServer &server, const QString &table)
{
    QSet<QString> ids;
    QJsonObject body{{QLatin1String("TableName"), table},
                     {QLatin1String("ProjectionExpression"), QLatin1String("id")}};
    for (;;) {
        int status = 0;
        const QJsonObject response = server.call(QStringLiteral("Scan"), body, &status);
        if (status != 200)
            return {};
        for (const QJsonValue &item : response.value(QLatin1String("Items")).toArray())
            ids.insert(item[QLatin1String("id")][QLatin1String("S")].toString());
        if (!response.contains(QLatin1String("LastEvaluatedKey")))
            return ids;
        body.insert(QLatin1String("ExclusiveStartKey"),
                    response.value(QLatin1String("LastEvaluatedKey")));
    }
}

} // namespace

class TestDynaliteFixture final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void createsTablesWithTheUsersIndex();
    void unprocessedItemsMustBeRetried();
    void throttlingHasTheAwsErrorBody();
    void serverErrorsAndDroppedConnections();
    void faultsAreRepeatable();
    void answersTheDescribeCallsDynaliteLacks();
    void servesAClientThatBlocksItsThread();
    void upstreamDownIsReported();
    void restartGivesAnEmptyServerOnTheSamePort();

private:
    // BatchWriteItem through the proxy, re-sending UnprocessedItems and throttled batches by
    // hand until none remain; returns the first unprocessed write seen, for its shape.
    bool writeAll(const QString &table, QJsonArray pending, QJsonObject *firstUnprocessed);

    DynaliteServer m_dynalite;
    FaultProxy m_proxy;
};

void TestDynaliteFixture::initTestCase()
{
    QVERIFY2(m_dynalite.start(), qPrintable(m_dynalite.errorString()));
    QVERIFY(m_dynalite.endpoint().startsWith(u"http://127.0.0.1:"));
    QVERIFY2(m_proxy.start(m_dynalite.endpoint()), qPrintable(m_proxy.errorString()));
    QVERIFY(m_proxy.port() != 0);
    QVERIFY(m_dynalite.createTable(QStringLiteral("sessions"), true));
}

void TestDynaliteFixture::init()
{
    m_proxy.clearFaults();
    m_proxy.resetCounters();
}

void TestDynaliteFixture::createsTablesWithTheUsersIndex()
{
    int status = 0;
    const QJsonObject table =
        m_dynalite
            .call(QStringLiteral("DescribeTable"), tableName(QStringLiteral("sessions")), &status)
            .value(QLatin1String("Table"))
            .toObject();
    QCOMPARE(status, 200);
    QCOMPARE(table[QLatin1String("TableStatus")].toString(), QStringLiteral("ACTIVE"));
    QCOMPARE(table[QLatin1String("BillingModeSummary")][QLatin1String("BillingMode")].toString(),
             QStringLiteral("PAY_PER_REQUEST"));
    const QJsonObject index =
        table[QLatin1String("GlobalSecondaryIndexes")].toArray().first().toObject();
    QCOMPARE(index[QLatin1String("IndexName")].toString(), QStringLiteral("users-sessions"));
    QCOMPARE(index[QLatin1String("KeySchema")][0][QLatin1String("AttributeName")].toString(),
             QStringLiteral("user_id"));
    QCOMPARE(index[QLatin1String("Projection")][QLatin1String("ProjectionType")].toString(),
             QStringLiteral("KEYS_ONLY"));

    QVERIFY2(m_dynalite.createTable(QStringLiteral("plain"), false),
             qPrintable(m_dynalite.errorString()));
    QList<QJsonObject> items;
    for (int i = 0; i < 30; ++i)
        items.append(sessionItem(i));
    QVERIFY2(m_dynalite.putItems(QStringLiteral("plain"), items),
             qPrintable(m_dynalite.errorString()));
    QCOMPARE(m_dynalite.countItems(QStringLiteral("plain")), 30);
    QVERIFY(m_dynalite.deleteTable(QStringLiteral("plain")));
    QVERIFY(!m_dynalite.createTable(QStringLiteral("sessions"), true)); // exists already
    QVERIFY(m_dynalite.errorString().contains(u"ResourceInUseException"));
}

bool TestDynaliteFixture::writeAll(const QString &table, QJsonArray pending,
                                   QJsonObject *firstUnprocessed)
{
    for (int round = 0; !pending.isEmpty(); ++round) {
        if (round > 500)
            return false;
        QJsonArray chunk;
        while (!pending.isEmpty() && chunk.size() < 25) {
            chunk.append(pending.first());
            pending.removeFirst();
        }
        int status = 0;
        const QJsonObject response =
            dynamoCall(m_proxy.endpoint(), QStringLiteral("BatchWriteItem"),
                       {{QLatin1String("RequestItems"), QJsonObject{{table, chunk}}}}, &status);
        if (status == 400
            && response[QLatin1String("__type")].toString().endsWith(
                u"#ProvisionedThroughputExceededException")) {
            for (const QJsonValue &write : chunk)
                pending.append(write);
            continue;
        }
        if (status != 200)
            return false;
        const QJsonObject unprocessed = response[QLatin1String("UnprocessedItems")].toObject();
        for (auto it = unprocessed.begin(); it != unprocessed.end(); ++it) {
            if (it.key() != table)
                return false;
            for (const QJsonValue &write : it->toArray()) {
                if (firstUnprocessed->isEmpty())
                    *firstUnprocessed = write.toObject();
                pending.append(write);
            }
        }
    }
    return true;
}

void TestDynaliteFixture::unprocessedItemsMustBeRetried()
{
    const QString table = QStringLiteral("sessions");
    QJsonArray puts;
    QSet<QString> expected;
    for (int i = 0; i < 60; ++i) {
        const QJsonObject item = sessionItem(i);
        expected.insert(item[QLatin1String("id")][QLatin1String("S")].toString());
        puts.append(
            QJsonObject{{QLatin1String("PutRequest"), QJsonObject{{QLatin1String("Item"), item}}}});
    }
    m_proxy.setUnprocessedRate(0.5);
    QJsonObject firstUnprocessed;
    QVERIFY(writeAll(table, puts, &firstUnprocessed));
    QVERIFY(m_proxy.unprocessedItemsReturned() > 0);
    QVERIFY(m_proxy.requests(QStringLiteral("BatchWriteItem")) > 3);
    QCOMPARE(firstUnprocessed.keys(), QStringList{QStringLiteral("PutRequest")});
    QVERIFY(puts.contains(firstUnprocessed)); // returned exactly as sent
    QCOMPARE(allIds(m_dynalite, table), expected);

    // Deletes come back as {"DeleteRequest":{"Key":{...}}}, and all of them end up done.
    QJsonArray deletes;
    for (const QString &id : std::as_const(expected))
        deletes.append(
            QJsonObject{{QLatin1String("DeleteRequest"),
                         QJsonObject{{QLatin1String("Key"),
                                      QJsonObject{{QLatin1String("id"), stringValue(id)}}}}}});
    m_proxy.resetCounters();
    firstUnprocessed = QJsonObject();
    QVERIFY(writeAll(table, deletes, &firstUnprocessed));
    QVERIFY(m_proxy.unprocessedItemsReturned() > 0);
    QVERIFY(deletes.contains(firstUnprocessed));
    QCOMPARE(m_dynalite.countItems(table), 0);
}

void TestDynaliteFixture::throttlingHasTheAwsErrorBody()
{
    m_proxy.setThrottleRate(1.0);
    int status = 0;
    const QJsonObject response = dynamoCall(m_proxy.endpoint(), QStringLiteral("DescribeTable"),
                                            tableName(QStringLiteral("sessions")), &status);
    QCOMPARE(status, 400);
    const QJsonObject expected =
        QJsonDocument::fromJson(R"({"__type":"com.amazonaws.dynamodb.v20120810#)"
                                R"(ProvisionedThroughputExceededException","message":"The )"
                                R"(level of configured provisioned throughput for the )"
                                R"(table was exceeded. Consider increasing your )"
                                R"(provisioning level with the UpdateTable API."})")
            .object();
    QCOMPARE(response, expected);
    QCOMPARE(m_proxy.injectedThrottles(), 1);
    QCOMPARE(m_proxy.requests(QStringLiteral("DescribeTable")), 1);

    // Restricted to BatchWriteItem, other operations pass.
    m_proxy.setFaultTargets({QStringLiteral("BatchWriteItem")});
    dynamoCall(m_proxy.endpoint(), QStringLiteral("DescribeTable"),
               tableName(QStringLiteral("sessions")), &status);
    QCOMPARE(status, 200);
    QCOMPARE(m_proxy.injectedThrottles(), 1);
}

void TestDynaliteFixture::serverErrorsAndDroppedConnections()
{
    m_proxy.setServerErrorRate(1.0);
    int status = 0;
    QJsonObject response = dynamoCall(m_proxy.endpoint(), QStringLiteral("DescribeTable"),
                                      tableName(QStringLiteral("sessions")), &status);
    QCOMPARE(status, 500);
    QCOMPARE(response[QLatin1String("__type")].toString(),
             QStringLiteral("com.amazon.coral.service#InternalFailure"));
    QCOMPARE(m_proxy.injectedServerErrors(), 1);

    m_proxy.clearFaults();
    m_proxy.setDropConnectionRate(1.0);
    response = dynamoCall(m_proxy.endpoint(), QStringLiteral("DescribeTable"),
                          tableName(QStringLiteral("sessions")), &status);
    QCOMPARE(status, 0);
    QVERIFY(m_proxy.droppedConnections() >= 1);

    // Dropped after forwarding: the write happened, the answer was lost.
    m_proxy.setDropAfterForwarding(true);
    dynamoCall(m_proxy.endpoint(), QStringLiteral("PutItem"),
               {{QLatin1String("TableName"), QLatin1String("sessions")},
                {QLatin1String("Item"), sessionItem(900)}},
               &status);
    QCOMPARE(status, 0);
    m_proxy.clearFaults();
    QCOMPARE(m_dynalite.countItems(QStringLiteral("sessions")), 1);
    QVERIFY(
        m_dynalite
            .call(QStringLiteral("DeleteItem"),
                  {{QLatin1String("TableName"), QLatin1String("sessions")},
                   {QLatin1String("Key"),
                    QJsonObject{{QLatin1String("id"), stringValue(QStringLiteral("sess:0900"))}}}})
            .isEmpty());
}

void TestDynaliteFixture::faultsAreRepeatable()
{
    const auto run = [this] {
        QList<int> statuses;
        for (int i = 0; i < 20; ++i) {
            int status = 0;
            dynamoCall(m_proxy.endpoint(), QStringLiteral("ListTables"), {}, &status);
            statuses.append(status);
        }
        return statuses;
    };
    m_proxy.setThrottleRate(0.3);
    m_proxy.setSeed(7);
    const QList<int> first = run();
    m_proxy.setSeed(7);
    QCOMPARE(run(), first);
    QVERIFY(first.contains(400));
    QVERIFY(first.contains(200));
}

void TestDynaliteFixture::answersTheDescribeCallsDynaliteLacks()
{
    int status = 0;
    QJsonObject response = dynamoCall(m_proxy.endpoint(), QStringLiteral("DescribeTimeToLive"),
                                      tableName(QStringLiteral("sessions")), &status);
    QCOMPARE(status, 200);
    QCOMPARE(response,
             QJsonDocument::fromJson(R"({"TimeToLiveDescription":{"AttributeName":)"
                                     R"("expires","TimeToLiveStatus":"ENABLED"}})")
                 .object());
    response = dynamoCall(m_proxy.endpoint(), QStringLiteral("DescribeContinuousBackups"),
                          tableName(QStringLiteral("sessions")), &status);
    QCOMPARE(status, 200);
    QCOMPARE(response,
             QJsonDocument::fromJson(R"({"ContinuousBackupsDescription":{"ContinuousBackupsStatus")"
                                     R"(:"ENABLED","PointInTimeRecoveryDescription":)"
                                     R"({"PointInTimeRecoveryStatus":"DISABLED"}}})")
                 .object());

    // Unknown tables get the errors AWS gives.
    response = dynamoCall(m_proxy.endpoint(), QStringLiteral("DescribeTimeToLive"),
                          tableName(QStringLiteral("nope")), &status);
    QCOMPARE(status, 400);
    QCOMPARE(response[QLatin1String("__type")].toString(),
             QStringLiteral("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"));
    response = dynamoCall(m_proxy.endpoint(), QStringLiteral("DescribeContinuousBackups"),
                          tableName(QStringLiteral("nope")), &status);
    QCOMPARE(status, 400);
    QCOMPARE(response[QLatin1String("__type")].toString(),
             QStringLiteral("com.amazonaws.dynamodb.v20120810#TableNotFoundException"));

    // UpdateTimeToLive is remembered.
    response = dynamoCall(m_proxy.endpoint(), QStringLiteral("UpdateTimeToLive"),
                          {{QLatin1String("TableName"), QLatin1String("sessions")},
                           {QLatin1String("TimeToLiveSpecification"),
                            QJsonObject{{QLatin1String("AttributeName"), QLatin1String("ttl")},
                                        {QLatin1String("Enabled"), true}}}},
                          &status);
    QCOMPARE(status, 200);
    response = dynamoCall(m_proxy.endpoint(), QStringLiteral("DescribeTimeToLive"),
                          tableName(QStringLiteral("sessions")), &status);
    QCOMPARE(
        response[QLatin1String("TimeToLiveDescription")][QLatin1String("AttributeName")].toString(),
        QStringLiteral("ttl"));
    m_proxy.setTimeToLiveDescription(
        QJsonObject{{QLatin1String("AttributeName"), QLatin1String("expires")},
                    {QLatin1String("TimeToLiveStatus"), QLatin1String("ENABLED")}});

    // SSE, which dynalite drops, is added to DescribeTable.
    m_proxy.setSseDescription(FaultProxy::kmsSseDescription());
    response = dynamoCall(m_proxy.endpoint(), QStringLiteral("DescribeTable"),
                          tableName(QStringLiteral("sessions")), &status);
    QCOMPARE(status, 200);
    QCOMPARE(response[QLatin1String("Table")][QLatin1String("SSEDescription")].toObject(),
             FaultProxy::kmsSseDescription());
    QCOMPARE(response[QLatin1String("Table")][QLatin1String("TableName")].toString(),
             QStringLiteral("sessions"));
    m_proxy.setSseDescription({});
}

void TestDynaliteFixture::servesAClientThatBlocksItsThread()
{
    // Only blocking socket calls here: the test's event loop never runs, as with the product's
    // synchronous client. Two requests on one keep-alive connection.
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), m_proxy.port());
    QVERIFY(socket.waitForConnected(10000));
    for (int i = 0; i < 2; ++i) {
        const QByteArray body = R"({"TableName":"sessions"})";
        socket.write("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/x-amz-json-1.0\r\n"
                     "X-Amz-Target: DynamoDB_20120810.DescribeTimeToLive\r\n"
                     "X-Amz-Date: 20200101T000000Z\r\n"
                     "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20200101/us-east-1/"
                     "dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\n"
                     "Content-Length: "
                     + QByteArray::number(body.size()) + "\r\n\r\n" + body);
        QByteArray response;
        qsizetype expectedSize = -1;
        while (expectedSize < 0 || response.size() < expectedSize) {
            QVERIFY2(socket.waitForReadyRead(10000), qPrintable(socket.errorString()));
            response += socket.readAll();
            const qsizetype headerEnd = response.indexOf("\r\n\r\n");
            const qsizetype lengthAt = response.indexOf("Content-Length: ");
            if (headerEnd > 0 && lengthAt > 0 && lengthAt < headerEnd)
                expectedSize = headerEnd + 4
                    + response.mid(lengthAt + 16, response.indexOf('\r', lengthAt) - lengthAt - 16)
                          .toLongLong();
        }
        QVERIFY(response.startsWith("HTTP/1.1 200 OK\r\n"));
        // zlib.crc32 of the body, which the AWS SDKs check.
        QVERIFY(response.contains("\r\nx-amz-crc32: 3589275558\r\n"));
        QVERIFY(response.endsWith(R"("TimeToLiveStatus":"ENABLED"}})"));
    }
    QCOMPARE(m_proxy.requests(QStringLiteral("DescribeTimeToLive")), 2);
}

void TestDynaliteFixture::upstreamDownIsReported()
{
    FaultProxy proxy;
    QVERIFY(proxy.start(QStringLiteral("http://127.0.0.1:1")));
    int status = 0;
    const QJsonObject response =
        dynamoCall(proxy.endpoint(), QStringLiteral("ListTables"), {}, &status);
    QCOMPARE(status, 502);
    QVERIFY(response[QLatin1String("message")].toString().contains(u"127.0.0.1:1"));
}

void TestDynaliteFixture::restartGivesAnEmptyServerOnTheSamePort()
{
    const quint16 port = m_dynalite.port();
    QVERIFY2(m_dynalite.restart(), qPrintable(m_dynalite.errorString()));
    QCOMPARE(m_dynalite.port(), port); // the proxy in front of it keeps working
    int status = 0;
    const QJsonObject response =
        dynamoCall(m_proxy.endpoint(), QStringLiteral("ListTables"), {}, &status);
    QCOMPARE(status, 200);
    QCOMPARE(response[QLatin1String("TableNames")].toArray(), QJsonArray());
}

QTEST_GUILESS_MAIN(TestDynaliteFixture)
#include "tst_dynalite_fixture.moc"
