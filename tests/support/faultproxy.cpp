#include "faultproxy.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutexLocker>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QUrl>
#include <QUuid>

#include <functional>
#include <utility>

namespace SessionDesk::Test {

namespace {

const QLatin1String
    kThrottleType("com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException");
const QLatin1String kThrottleMessage(
    "The level of configured provisioned throughput for the table was exceeded. Consider "
    "increasing your provisioning level with the UpdateTable API.");
const QLatin1String kNotFoundType("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException");

quint32 crc32(const QByteArray &data)
{
    quint32 crc = 0xffffffffu;
    for (const char byte : data) {
        crc ^= quint8(byte);
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 411:
        return "Length Required";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    default:
        return "Status";
    }
}

QJsonObject errorBody(const QString &type, const QString &message)
{
    return QJsonObject{{QLatin1String("__type"), type}, {QLatin1String("message"), message}};
}

struct HttpRequest
{
    QByteArray method;
    QByteArray path;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;

    QByteArray header(const QByteArray &name) const
    {
        for (const auto &[key, value] : headers) {
            if (key.compare(name, Qt::CaseInsensitive) == 0)
                return value;
        }
        return {};
    }
};

struct HttpResponse
{
    int status = 0; // 0: no answer from upstream
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QString error;
};

} // namespace

// Lives on the proxy thread and owns everything that does I/O.
class FaultProxyWorker : public QObject
{
public:
    FaultProxyWorker(FaultProxy *proxy, const QString &upstream)
        : m_proxy(proxy)
        , m_upstream(upstream)
    { }

    bool listen(quint16 *port, QString *error)
    {
        m_network = new QNetworkAccessManager(this);
        m_server = new QTcpServer(this);
        if (!m_server->listen(QHostAddress(QStringLiteral("127.0.0.1")), 0)) {
            *error = QStringLiteral("fault proxy cannot listen on 127.0.0.1: %1")
                         .arg(m_server->errorString());
            return false;
        }
        QObject::connect(m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server->nextPendingConnection())
                accept(socket);
        });
        *port = m_server->serverPort();
        return true;
    }

private:
    struct Client
    {
        QByteArray buffer;
        bool busy = false;
        bool closeAfter = false;
    };

    void accept(QTcpSocket *socket)
    {
        socket->setParent(this);
        m_clients.insert(socket, Client());
        QObject::connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
            m_clients[socket].buffer += socket->readAll();
            next(socket);
        });
        QObject::connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            m_clients.remove(socket);
            socket->deleteLater();
        });
    }

    // Handles the next complete request buffered on SOCKET, one at a time per connection.
    void next(QTcpSocket *socket)
    {
        auto it = m_clients.find(socket);
        if (it == m_clients.end() || it->busy)
            return;
        Client &client = *it;
        const qsizetype headerEnd = client.buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return;
        HttpRequest request;
        const QList<QByteArray> lines = client.buffer.left(headerEnd).split('\n');
        const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
        request.method = requestLine.value(0);
        request.path = requestLine.value(1);
        const QByteArray version = requestLine.value(2);
        qsizetype contentLength = 0;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            if (colon <= 0)
                continue;
            const QByteArray name = lines[i].left(colon).trimmed();
            const QByteArray value = lines[i].mid(colon + 1).trimmed();
            request.headers.append({name, value});
            if (name.compare("content-length", Qt::CaseInsensitive) == 0)
                contentLength = value.toLongLong();
        }
        client.closeAfter = version != "HTTP/1.1"
            || request.header("connection").compare("close", Qt::CaseInsensitive) == 0;
        if (!request.header("transfer-encoding").isEmpty()) {
            client.buffer.clear();
            client.closeAfter = true;
            client.busy = true;
            respond(socket, 411,
                    errorBody(QStringLiteral("FaultProxy#LengthRequired"),
                              QStringLiteral("send Content-Length, not chunks")));
            return;
        }
        if (client.buffer.size() < headerEnd + 4 + contentLength)
            return;
        request.body = client.buffer.mid(headerEnd + 4, contentLength);
        client.buffer.remove(0, headerEnd + 4 + contentLength);
        client.busy = true;
        handle(socket, request);
    }

    void handle(QTcpSocket *socket, const HttpRequest &request)
    {
        const QByteArray targetHeader = request.header("x-amz-target");
        const QString target =
            QString::fromLatin1(targetHeader.mid(targetHeader.lastIndexOf('.') + 1));
        m_proxy->count([&](FaultProxy::Counters &c) {
            ++c.total;
            ++c.requests[target];
        });
        FaultProxy::Config config;
        const FaultProxy::Fault fault = m_proxy->decide(target, &config);
        const QPointer<QTcpSocket> guard(socket);

        switch (fault) {
        case FaultProxy::Fault::Drop:
            m_proxy->count([](FaultProxy::Counters &c) { ++c.drops; });
            if (config.dropAfterForwarding) {
                forward(request, request.body, [guard](const HttpResponse &) {
                    if (guard)
                        guard->abort();
                });
            } else {
                socket->abort();
            }
            return;
        case FaultProxy::Fault::ServerError:
            m_proxy->count([](FaultProxy::Counters &c) { ++c.serverErrors; });
            respond(socket, 500,
                    QJsonObject{{QLatin1String("__type"),
                                 QLatin1String("com.amazon.coral.service#InternalFailure")}});
            return;
        case FaultProxy::Fault::Throttle:
            throttle(socket);
            return;
        case FaultProxy::Fault::None:
            break;
        }

        const QJsonObject body = QJsonDocument::fromJson(request.body).object();
        if (target == u"DescribeTimeToLive" || target == u"DescribeContinuousBackups"
            || target == u"UpdateTimeToLive" || target == u"UpdateContinuousBackups") {
            answerLocally(socket, request, target, body);
        } else if (target == u"BatchWriteItem" && config.unprocessedRate > 0) {
            batchWrite(socket, request, body);
        } else if (target == u"DescribeKey" && !config.kmsKeyMetadata.isEmpty()) {
            QJsonObject metadata = config.kmsKeyMetadata;
            metadata.insert(QLatin1String("Arn"), body.value(QLatin1String("KeyId")));
            respond(socket, 200, QJsonObject{{QLatin1String("KeyMetadata"), metadata}});
        } else if (target == u"DescribeTable"
                   && (!config.sse.isEmpty() || !config.tableOverrides.isEmpty())) {
            forward(request, request.body,
                    [this, guard, sse = config.sse,
                     overrides = config.tableOverrides](HttpResponse response) {
                        if (!guard)
                            return;
                        QJsonObject object = QJsonDocument::fromJson(response.body).object();
                        if (response.status == 200 && object.contains(QLatin1String("Table"))) {
                            QJsonObject table = object.value(QLatin1String("Table")).toObject();
                            if (!sse.isEmpty())
                                table.insert(QLatin1String("SSEDescription"), sse);
                            for (auto it = overrides.begin(); it != overrides.end(); ++it)
                                table.insert(it.key(), it.value());
                            object.insert(QLatin1String("Table"), table);
                            response.body = QJsonDocument(object).toJson(QJsonDocument::Compact);
                        }
                        relay(guard, response);
                    });
        } else {
            forward(request, request.body, [this, guard](const HttpResponse &response) {
                if (guard)
                    relay(guard, response);
            });
        }
    }

    void throttle(QTcpSocket *socket)
    {
        m_proxy->count([](FaultProxy::Counters &c) { ++c.throttles; });
        respond(socket, 400, errorBody(kThrottleType, kThrottleMessage));
    }

    // Forwards only some of the write requests and returns the others as UnprocessedItems.
    void batchWrite(QTcpSocket *socket, const HttpRequest &request, const QJsonObject &body)
    {
        const QJsonObject requestItems = body.value(QLatin1String("RequestItems")).toObject();
        int itemCount = 0;
        for (const QJsonValue &writes : requestItems)
            itemCount += int(writes.toArray().size());
        const QList<bool> heldBack = m_proxy->holdBack(QStringLiteral("BatchWriteItem"), itemCount);
        if (itemCount > 0 && !heldBack.contains(false)) {
            throttle(socket); // AWS: no item could be processed
            return;
        }
        QJsonObject forwarded;
        QJsonObject unprocessed;
        int index = 0;
        int unprocessedCount = 0;
        for (auto it = requestItems.begin(); it != requestItems.end(); ++it) {
            QJsonArray keep;
            QJsonArray hold;
            for (const QJsonValue &write : it->toArray()) {
                if (heldBack.value(index++))
                    hold.append(write);
                else
                    keep.append(write);
            }
            if (!keep.isEmpty())
                forwarded.insert(it.key(), keep);
            if (!hold.isEmpty())
                unprocessed.insert(it.key(), hold);
            unprocessedCount += int(hold.size());
        }
        QJsonObject forwardedBody = body;
        forwardedBody.insert(QLatin1String("RequestItems"), forwarded);
        const QPointer<QTcpSocket> guard(socket);
        forward(request, QJsonDocument(forwardedBody).toJson(QJsonDocument::Compact),
                [this, guard, unprocessed, unprocessedCount](HttpResponse response) {
                    if (!guard)
                        return;
                    if (response.status == 200) {
                        QJsonObject object = QJsonDocument::fromJson(response.body).object();
                        QJsonObject merged =
                            object.value(QLatin1String("UnprocessedItems")).toObject();
                        for (auto it = unprocessed.begin(); it != unprocessed.end(); ++it) {
                            QJsonArray writes = merged.value(it.key()).toArray();
                            for (const QJsonValue &write : it->toArray())
                                writes.append(write);
                            merged.insert(it.key(), writes);
                        }
                        object.insert(QLatin1String("UnprocessedItems"), merged);
                        response.body = QJsonDocument(object).toJson(QJsonDocument::Compact);
                        m_proxy->count([&](FaultProxy::Counters &c) {
                            c.unprocessedItems += unprocessedCount;
                        });
                    }
                    relay(guard, response);
                });
    }

    // The operations dynalite lacks, answered after DescribeTable confirms that the table exists.
    void answerLocally(QTcpSocket *socket, const HttpRequest &request, const QString &target,
                       const QJsonObject &body)
    {
        const QString table = body.value(QLatin1String("TableName")).toString();
        HttpRequest describe = request;
        for (auto &[key, value] : describe.headers) {
            if (key.compare("x-amz-target", Qt::CaseInsensitive) == 0)
                value = "DynamoDB_20120810.DescribeTable";
        }
        const QByteArray describeBody =
            QJsonDocument(QJsonObject{{QLatin1String("TableName"), table}})
                .toJson(QJsonDocument::Compact);
        const QPointer<QTcpSocket> guard(socket);
        forward(describe, describeBody, [=, this](const HttpResponse &response) {
            if (!guard)
                return;
            if (response.status != 200) {
                const QJsonObject error = QJsonDocument::fromJson(response.body).object();
                if (target == u"DescribeContinuousBackups"
                    && error.value(QLatin1String("__type")).toString() == kNotFoundType) {
                    respond(
                        guard, 400,
                        errorBody(QStringLiteral(
                                      "com.amazonaws.dynamodb.v20120810#TableNotFoundException"),
                                  QStringLiteral("Table not found: %1").arg(table)));
                } else {
                    relay(guard, response);
                }
                return;
            }
            respond(guard, 200, localAnswer(target, body));
        });
    }

    QJsonObject localAnswer(const QString &target, const QJsonObject &body)
    {
        if (target == u"DescribeTimeToLive") {
            return {{QLatin1String("TimeToLiveDescription"), m_proxy->config().timeToLive}};
        }
        if (target == u"DescribeContinuousBackups") {
            return {{QLatin1String("ContinuousBackupsDescription"),
                     m_proxy->config().continuousBackups}};
        }
        if (target == u"UpdateTimeToLive") {
            const QJsonObject specification =
                body.value(QLatin1String("TimeToLiveSpecification")).toObject();
            QJsonObject description;
            if (specification.value(QLatin1String("Enabled")).toBool()) {
                description.insert(QLatin1String("AttributeName"),
                                   specification.value(QLatin1String("AttributeName")));
                description.insert(QLatin1String("TimeToLiveStatus"), QLatin1String("ENABLED"));
            } else {
                description.insert(QLatin1String("TimeToLiveStatus"), QLatin1String("DISABLED"));
            }
            m_proxy->updateConfig([&](FaultProxy::Config &c) { c.timeToLive = description; });
            return {{QLatin1String("TimeToLiveSpecification"), specification}};
        }
        // UpdateContinuousBackups
        const bool enabled = body.value(QLatin1String("PointInTimeRecoverySpecification"))
                                 .toObject()
                                 .value(QLatin1String("PointInTimeRecoveryEnabled"))
                                 .toBool();
        QJsonObject pitr{{QLatin1String("PointInTimeRecoveryStatus"),
                          enabled ? QLatin1String("ENABLED") : QLatin1String("DISABLED")}};
        if (enabled) {
            const double now = double(QDateTime::currentSecsSinceEpoch());
            pitr.insert(QLatin1String("EarliestRestorableDateTime"), now);
            pitr.insert(QLatin1String("LatestRestorableDateTime"), now);
        }
        const QJsonObject description{
            {QLatin1String("ContinuousBackupsStatus"), QLatin1String("ENABLED")},
            {QLatin1String("PointInTimeRecoveryDescription"), pitr}};
        m_proxy->updateConfig([&](FaultProxy::Config &c) { c.continuousBackups = description; });
        return {{QLatin1String("ContinuousBackupsDescription"), description}};
    }

    void forward(const HttpRequest &request, const QByteArray &body,
                 std::function<void(HttpResponse)> done)
    {
        QNetworkRequest upstream{QUrl(m_upstream + QString::fromLatin1(request.path))};
        static const QList<QByteArray> skipped = {
            "host",   "content-length",  "connection",      "keep-alive", "transfer-encoding",
            "expect", "accept-encoding", "proxy-connection"};
        for (const auto &[name, value] : request.headers) {
            if (!skipped.contains(name.toLower()))
                upstream.setRawHeader(name, value);
        }
        upstream.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
        upstream.setTransferTimeout(60000);
        QNetworkReply *reply = m_network->sendCustomRequest(upstream, request.method, body);
        QObject::connect(reply, &QNetworkReply::finished, this, [reply, done = std::move(done)] {
            HttpResponse response;
            const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
            response.status = status.isValid() ? status.toInt() : 0;
            response.headers = reply->rawHeaderPairs();
            response.body = reply->readAll();
            response.error = reply->errorString();
            reply->deleteLater();
            done(response);
        });
    }

    void relay(QTcpSocket *socket, const HttpResponse &response)
    {
        if (response.status == 0) {
            respond(socket, 502,
                    errorBody(QStringLiteral("FaultProxy#UpstreamUnavailable"),
                              QStringLiteral("%1: %2").arg(m_upstream, response.error)));
            return;
        }
        QList<QPair<QByteArray, QByteArray>> headers;
        static const QList<QByteArray> skipped = {"content-length", "connection", "keep-alive",
                                                  "transfer-encoding", "x-amz-crc32"};
        for (const auto &[name, value] : response.headers) {
            if (!skipped.contains(name.toLower()))
                headers.append({name, value});
        }
        write(socket, response.status, headers, response.body);
    }

    void respond(QTcpSocket *socket, int status, const QJsonObject &body)
    {
        const QList<QPair<QByteArray, QByteArray>> headers = {
            {"Content-Type", "application/x-amz-json-1.0"},
            {"x-amzn-RequestId", QUuid::createUuid().toByteArray(QUuid::WithoutBraces).toUpper()}};
        write(socket, status, headers, QJsonDocument(body).toJson(QJsonDocument::Compact));
    }

    void write(QTcpSocket *socket, int status, const QList<QPair<QByteArray, QByteArray>> &headers,
               const QByteArray &body)
    {
        auto it = m_clients.find(socket);
        if (it == m_clients.end())
            return;
        const bool close = it->closeAfter;
        QByteArray out =
            "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
        for (const auto &[name, value] : headers)
            out += name + ": " + value + "\r\n";
        out += "x-amz-crc32: " + QByteArray::number(crc32(body)) + "\r\n";
        out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
        out += close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
        out += body;
        socket->write(out);
        it->busy = false;
        if (close) {
            socket->disconnectFromHost();
            return;
        }
        next(socket);
    }

    FaultProxy *m_proxy;
    QString m_upstream;
    QTcpServer *m_server = nullptr;
    QNetworkAccessManager *m_network = nullptr;
    QHash<QTcpSocket *, Client> m_clients;
};

FaultProxy::FaultProxy(QObject *parent)
    : QObject(parent)
{
    clearFaults();
    m_config.continuousBackups = QJsonObject{
        {QLatin1String("ContinuousBackupsStatus"), QLatin1String("ENABLED")},
        {QLatin1String("PointInTimeRecoveryDescription"),
         QJsonObject{{QLatin1String("PointInTimeRecoveryStatus"), QLatin1String("DISABLED")}}}};
    m_config.timeToLive =
        QJsonObject{{QLatin1String("AttributeName"), QLatin1String("expires")},
                    {QLatin1String("TimeToLiveStatus"), QLatin1String("ENABLED")}};
}

FaultProxy::~FaultProxy()
{
    stop();
}

bool FaultProxy::start(const QString &upstreamEndpoint)
{
    stop();
    resetCounters();
    m_thread = std::make_unique<QThread>();
    m_thread->setObjectName(QStringLiteral("FaultProxy"));
    m_thread->start();
    QString upstream = upstreamEndpoint;
    while (upstream.endsWith(u'/'))
        upstream.chop(1);
    m_worker = new FaultProxyWorker(this, upstream);
    m_worker->moveToThread(m_thread.get());
    bool listening = false;
    quint16 port = 0;
    QString error;
    QMetaObject::invokeMethod(
        m_worker, [&] { listening = m_worker->listen(&port, &error); },
        Qt::BlockingQueuedConnection);
    if (!listening) {
        m_error = error;
        stop();
        return false;
    }
    m_port = port;
    return true;
}

void FaultProxy::stop()
{
    if (m_worker) {
        FaultProxyWorker *worker = std::exchange(m_worker, nullptr);
        QMetaObject::invokeMethod(
            worker, [worker] { delete worker; }, Qt::BlockingQueuedConnection);
    }
    if (m_thread) {
        m_thread->quit();
        m_thread->wait();
        m_thread.reset();
    }
    m_port = 0;
}

QString FaultProxy::endpoint() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(m_port);
}

void FaultProxy::setThrottleRate(double rate)
{
    updateConfig([rate](Config &c) { c.throttleRate = rate; });
}

void FaultProxy::setUnprocessedRate(double rate)
{
    updateConfig([rate](Config &c) { c.unprocessedRate = rate; });
}

void FaultProxy::setServerErrorRate(double rate)
{
    updateConfig([rate](Config &c) { c.serverErrorRate = rate; });
}

void FaultProxy::setDropConnectionRate(double rate)
{
    updateConfig([rate](Config &c) { c.dropRate = rate; });
}

void FaultProxy::setDropAfterForwarding(bool afterForwarding)
{
    updateConfig([afterForwarding](Config &c) { c.dropAfterForwarding = afterForwarding; });
}

void FaultProxy::setFaultTargets(const QStringList &targets)
{
    updateConfig([&targets](Config &c) { c.faultTargets = targets; });
}

void FaultProxy::setSeed(quint32 seed)
{
    QMutexLocker locker(&m_mutex);
    m_random.seed(seed);
}

void FaultProxy::clearFaults()
{
    updateConfig([](Config &c) {
        c.throttleRate = c.unprocessedRate = c.serverErrorRate = c.dropRate = 0;
        c.dropAfterForwarding = false;
        c.faultTargets.clear();
    });
}

void FaultProxy::setContinuousBackupsDescription(const QJsonObject &description)
{
    updateConfig([&description](Config &c) { c.continuousBackups = description; });
}

void FaultProxy::setTimeToLiveDescription(const QJsonObject &description)
{
    updateConfig([&description](Config &c) { c.timeToLive = description; });
}

void FaultProxy::setSseDescription(const QJsonObject &description)
{
    updateConfig([&description](Config &c) { c.sse = description; });
}

void FaultProxy::setTableOverrides(const QJsonObject &overrides)
{
    updateConfig([&overrides](Config &c) { c.tableOverrides = overrides; });
}

void FaultProxy::setKmsKeyMetadata(const QJsonObject &metadata)
{
    updateConfig([&metadata](Config &c) { c.kmsKeyMetadata = metadata; });
}

QJsonObject FaultProxy::kmsSseDescription()
{
    return QJsonObject{
        {QLatin1String("Status"), QLatin1String("ENABLED")},
        {QLatin1String("SSEType"), QLatin1String("KMS")},
        {QLatin1String("KMSMasterKeyArn"),
         QLatin1String(
             "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")}};
}

int FaultProxy::requests(const QString &target) const
{
    QMutexLocker locker(&m_mutex);
    return m_counters.requests.value(target);
}

int FaultProxy::totalRequests() const
{
    QMutexLocker locker(&m_mutex);
    return m_counters.total;
}

int FaultProxy::injectedThrottles() const
{
    QMutexLocker locker(&m_mutex);
    return m_counters.throttles;
}

int FaultProxy::injectedServerErrors() const
{
    QMutexLocker locker(&m_mutex);
    return m_counters.serverErrors;
}

int FaultProxy::droppedConnections() const
{
    QMutexLocker locker(&m_mutex);
    return m_counters.drops;
}

int FaultProxy::unprocessedItemsReturned() const
{
    QMutexLocker locker(&m_mutex);
    return m_counters.unprocessedItems;
}

void FaultProxy::resetCounters()
{
    QMutexLocker locker(&m_mutex);
    m_counters = Counters();
}

FaultProxy::Fault FaultProxy::decide(const QString &target, Config *config)
{
    QMutexLocker locker(&m_mutex);
    *config = m_config;
    if (!m_config.faultTargets.isEmpty() && !m_config.faultTargets.contains(target))
        return Fault::None;
    // Always three draws, so that one rate does not shift the sequence of the others.
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const double drop = uniform(m_random);
    const double serverError = uniform(m_random);
    const double throttle = uniform(m_random);
    if (drop < m_config.dropRate)
        return Fault::Drop;
    if (serverError < m_config.serverErrorRate)
        return Fault::ServerError;
    if (throttle < m_config.throttleRate)
        return Fault::Throttle;
    return Fault::None;
}

QList<bool> FaultProxy::holdBack(const QString &target, int itemCount)
{
    QMutexLocker locker(&m_mutex);
    QList<bool> result(itemCount, false);
    if (!m_config.faultTargets.isEmpty() && !m_config.faultTargets.contains(target))
        return result;
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    for (int i = 0; i < itemCount; ++i)
        result[i] = uniform(m_random) < m_config.unprocessedRate;
    return result;
}

FaultProxy::Config FaultProxy::config() const
{
    QMutexLocker locker(&m_mutex);
    return m_config;
}

void FaultProxy::updateConfig(const std::function<void(Config &)> &change)
{
    QMutexLocker locker(&m_mutex);
    change(m_config);
}

void FaultProxy::count(const std::function<void(Counters &)> &change)
{
    QMutexLocker locker(&m_mutex);
    change(m_counters);
}

} // namespace SessionDesk::Test
