#include "dynaliteserver.h"
#include "redisserver.h" // freeLoopbackPort()

#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QStandardPaths>
#include <QUrl>

#ifndef SESSIONDESK_SOURCE_DIR
#error "SESSIONDESK_SOURCE_DIR must name the repository root (see tests/CMakeLists.txt)"
#endif

namespace SessionDesk::Test {

namespace {

const QString kNpmHint = QStringLiteral("run: npm ci --prefix tests/e2e");

QString dynaliteDir()
{
    return QDir(QStringLiteral(SESSIONDESK_SOURCE_DIR))
        .filePath(QStringLiteral("tests/e2e/node_modules/dynalite"));
}

QString nodeExecutable()
{
    for (const auto *name : {"node", "nodejs"}) {
        const QString path = QStandardPaths::findExecutable(QString::fromLatin1(name));
        if (!path.isEmpty())
            return path;
    }
    return {};
}

// argv: [node, dynalite dir, port]. Binds 127.0.0.1 only; SIGTERM ends it at once.
const char *const kBootstrap = R"js(
const server = require(process.argv[1])({createTableMs: 0, deleteTableMs: 0, updateTableMs: 0});
server.on('error', (e) => { console.log('dynalite error: ' + e.message); process.exit(3); });
server.listen(Number(process.argv[2]), '127.0.0.1', () => {
  const a = server.address();
  console.log('Listening at http://' + a.address + ':' + a.port);
});
process.on('SIGTERM', () => process.exit(0));
)js";

QString errorType(const QJsonObject &response)
{
    return response.value(QLatin1String("__type")).toString();
}

QString describe(const QJsonObject &response, int status)
{
    return QStringLiteral("HTTP %1 %2: %3")
        .arg(status)
        .arg(errorType(response), response.value(QLatin1String("message")).toString());
}

} // namespace

QJsonObject dynamoCall(const QString &endpoint, const QString &target, const QJsonObject &body,
                       int *httpStatus, QNetworkAccessManager *network)
{
    std::unique_ptr<QNetworkAccessManager> own;
    if (!network) {
        own = std::make_unique<QNetworkAccessManager>();
        network = own.get();
    }
    QNetworkRequest request{QUrl(endpoint + u'/')};
    request.setHeader(QNetworkRequest::ContentTypeHeader,
                      QByteArrayLiteral("application/x-amz-json-1.0"));
    request.setRawHeader("X-Amz-Target", "DynamoDB_20120810." + target.toLatin1());
    request.setRawHeader(
        "X-Amz-Date",
        QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMddThhmmssZ")).toLatin1());
    request.setRawHeader("Authorization",
                         "AWS4-HMAC-SHA256 Credential=AKID/20200101/us-east-1/dynamodb/"
                         "aws4_request, SignedHeaders=host, Signature=0");
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    request.setTransferTimeout(60000);

    QNetworkReply *reply =
        network->post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();

    const QVariant statusAttribute = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    const int status = statusAttribute.isValid() ? statusAttribute.toInt() : 0;
    const QByteArray data = reply->readAll();
    QJsonObject result;
    if (status == 0) {
        result.insert(QLatin1String("__type"), QLatin1String("NetworkError"));
        result.insert(QLatin1String("message"), reply->errorString());
    } else {
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(data, &parseError);
        if (document.isObject()) {
            result = document.object();
        } else if (!data.isEmpty()) {
            result.insert(QLatin1String("__type"), QLatin1String("UnparsableResponse"));
            result.insert(QLatin1String("message"), QString::fromUtf8(data.left(500)));
        }
    }
    reply->deleteLater();
    if (httpStatus)
        *httpStatus = status;
    return result;
}

DynaliteServer::DynaliteServer() = default;

DynaliteServer::~DynaliteServer()
{
    stop();
}

QString DynaliteServer::endpoint() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(m_port);
}

bool DynaliteServer::start()
{
    if (nodeExecutable().isEmpty()) {
        m_error = QStringLiteral("node is not installed (Node.js >= 20 is needed to run "
                                 "dynalite); run scripts/install-deps.sh");
        return false;
    }
    if (!QFileInfo::exists(QDir(dynaliteDir()).filePath(QStringLiteral("index.js")))) {
        m_error = QStringLiteral("dynalite is not installed in %1; %2")
                      .arg(QDir::toNativeSeparators(dynaliteDir()), kNpmHint);
        return false;
    }
    // Another process may take the port between probing and binding: try a few.
    for (int attempt = 0; attempt < 5; ++attempt) {
        const quint16 port = freeLoopbackPort();
        if (port != 0 && startOn(port))
            return true;
    }
    return false;
}

bool DynaliteServer::restart()
{
    const quint16 previous = m_port;
    stop();
    if (previous != 0 && startOn(previous))
        return true;
    return start();
}

bool DynaliteServer::startOn(quint16 port)
{
    stop();
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    dieWithThisProcess(*m_process);
    m_process->start(nodeExecutable(),
                     {QStringLiteral("-e"), QString::fromUtf8(kBootstrap), dynaliteDir(),
                      QString::number(port)});
    if (!m_process->waitForStarted(10000)) {
        m_error = QStringLiteral("node did not start: %1").arg(m_process->errorString());
        m_process.reset();
        return false;
    }
    // Ready when dynalite says it listens (the callback of listen()).
    QByteArray log;
    const QDeadlineTimer deadline(30000);
    while (!log.contains("Listening at http://")) {
        if (m_process->state() != QProcess::Running || deadline.hasExpired()) {
            log += m_process->readAll();
            m_error = QStringLiteral("dynalite failed to start on 127.0.0.1:%1: %2")
                          .arg(port)
                          .arg(QString::fromUtf8(log.right(600)).trimmed());
            stop();
            return false;
        }
        m_process->waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
        log += m_process->readAll();
    }
    m_port = port;
    return true;
}

void DynaliteServer::stop()
{
    if (m_process) {
        m_process->terminate();
        if (!m_process->waitForFinished(10000)) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
        m_process.reset();
    }
    m_network.reset(); // its pooled connections point at the old process
    m_port = 0;
}

QJsonObject DynaliteServer::call(const QString &target, const QJsonObject &body, int *httpStatus)
{
    if (!m_network)
        m_network = std::make_unique<QNetworkAccessManager>();
    if (m_port == 0) {
        if (httpStatus)
            *httpStatus = 0;
        return QJsonObject{{QLatin1String("__type"), QLatin1String("NetworkError")},
                           {QLatin1String("message"), QLatin1String("dynalite is not running")}};
    }
    return dynamoCall(endpoint(), target, body, httpStatus, m_network.get());
}

bool DynaliteServer::createTable(const QString &name, bool withUsersIndex)
{
    const auto attribute = [](const char *attributeName) {
        return QJsonObject{{QLatin1String("AttributeName"), QLatin1String(attributeName)},
                           {QLatin1String("AttributeType"), QLatin1String("S")}};
    };
    const auto hashKey = [](const char *attributeName) {
        return QJsonArray{
            QJsonObject{{QLatin1String("AttributeName"), QLatin1String(attributeName)},
                        {QLatin1String("KeyType"), QLatin1String("HASH")}}};
    };
    QJsonArray definitions{attribute("id")};
    QJsonObject body{{QLatin1String("TableName"), name},
                     {QLatin1String("KeySchema"), hashKey("id")},
                     {QLatin1String("BillingMode"), QLatin1String("PAY_PER_REQUEST")}};
    if (withUsersIndex) {
        definitions.append(attribute("user_id"));
        body.insert(
            QLatin1String("GlobalSecondaryIndexes"),
            QJsonArray{QJsonObject{
                {QLatin1String("IndexName"), QLatin1String("users-sessions")},
                {QLatin1String("KeySchema"), hashKey("user_id")},
                {QLatin1String("Projection"),
                 QJsonObject{{QLatin1String("ProjectionType"), QLatin1String("KEYS_ONLY")}}}}});
    }
    body.insert(QLatin1String("AttributeDefinitions"), definitions);

    int status = 0;
    QJsonObject response = call(QStringLiteral("CreateTable"), body, &status);
    if (status != 200) {
        m_error = QStringLiteral("CreateTable %1 failed: %2").arg(name, describe(response, status));
        return false;
    }
    // createTableMs is 0, so the table turns ACTIVE on dynalite's next tick: each round trip
    // here is the wait, there is no sleep.
    const QDeadlineTimer deadline(10000);
    while (!deadline.hasExpired()) {
        response =
            call(QStringLiteral("DescribeTable"), {{QLatin1String("TableName"), name}}, &status);
        if (status != 200) {
            m_error =
                QStringLiteral("DescribeTable %1 failed: %2").arg(name, describe(response, status));
            return false;
        }
        const QJsonObject table = response.value(QLatin1String("Table")).toObject();
        bool active = table.value(QLatin1String("TableStatus")).toString() == u"ACTIVE";
        for (const QJsonValue &index :
             table.value(QLatin1String("GlobalSecondaryIndexes")).toArray())
            active = active
                && index.toObject().value(QLatin1String("IndexStatus")).toString() == u"ACTIVE";
        if (active)
            return true;
    }
    m_error = QStringLiteral("table %1 did not become ACTIVE within 10 s").arg(name);
    return false;
}

bool DynaliteServer::deleteTable(const QString &name)
{
    int status = 0;
    const QJsonObject response =
        call(QStringLiteral("DeleteTable"), {{QLatin1String("TableName"), name}}, &status);
    if (status != 200) {
        m_error = QStringLiteral("DeleteTable %1 failed: %2").arg(name, describe(response, status));
        return false;
    }
    return true;
}

bool DynaliteServer::putItems(const QString &table, const QList<QJsonObject> &items)
{
    QJsonArray pending;
    for (const QJsonObject &item : items)
        pending.append(
            QJsonObject{{QLatin1String("PutRequest"), QJsonObject{{QLatin1String("Item"), item}}}});
    // Each request either makes progress or fails; a bound stops a server that never does.
    int rounds = 0;
    while (!pending.isEmpty()) {
        if (++rounds > 100 + int(items.size())) {
            m_error =
                QStringLiteral("BatchWriteItem to %1 kept returning UnprocessedItems").arg(table);
            return false;
        }
        QJsonArray chunk;
        while (!pending.isEmpty() && chunk.size() < 25) {
            chunk.append(pending.first());
            pending.removeFirst();
        }
        int status = 0;
        const QJsonObject response =
            call(QStringLiteral("BatchWriteItem"),
                 {{QLatin1String("RequestItems"), QJsonObject{{table, chunk}}}}, &status);
        if (status != 200) {
            m_error = QStringLiteral("BatchWriteItem to %1 failed: %2")
                          .arg(table, describe(response, status));
            return false;
        }
        const QJsonArray unprocessed =
            response.value(QLatin1String("UnprocessedItems")).toObject().value(table).toArray();
        for (const QJsonValue &request : unprocessed)
            pending.append(request);
    }
    return true;
}

qint64 DynaliteServer::countItems(const QString &table)
{
    qint64 count = 0;
    QJsonObject body{{QLatin1String("TableName"), table},
                     {QLatin1String("Select"), QLatin1String("COUNT")}};
    for (;;) {
        int status = 0;
        const QJsonObject response = call(QStringLiteral("Scan"), body, &status);
        if (status != 200) {
            m_error =
                QStringLiteral("Scan of %1 failed: %2").arg(table, describe(response, status));
            return -1;
        }
        count += response.value(QLatin1String("Count")).toInteger();
        const QJsonValue lastKey = response.value(QLatin1String("LastEvaluatedKey"));
        if (!lastKey.isObject())
            return count;
        body.insert(QLatin1String("ExclusiveStartKey"), lastKey);
    }
}

} // namespace SessionDesk::Test
