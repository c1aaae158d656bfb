#include "dynamoclient.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QTimer>

namespace SessionDesk::Aws {

namespace {

using Code = StorageError::Code;

bool isRetryable(int httpStatus, const QString &code)
{
    static const QStringList throttling = {QStringLiteral("ProvisionedThroughputExceededException"),
                                           QStringLiteral("ThrottlingException"),
                                           QStringLiteral("RequestLimitExceeded"),
                                           QStringLiteral("LimitExceededException"),
                                           QStringLiteral("InternalServerError"),
                                           QStringLiteral("InternalFailure"),
                                           QStringLiteral("ServiceUnavailable")};
    return httpStatus >= 500 || throttling.contains(code);
}

Code codeFor(const QString &awsCode)
{
    if (awsCode == u"ResourceNotFoundException" || awsCode == u"ConditionalCheckFailedException")
        return Code::NotFound;
    if (awsCode == u"AccessDeniedException")
        return Code::Permission;
    if (awsCode == u"UnrecognizedClientException" || awsCode == u"InvalidSignatureException"
        || awsCode == u"ExpiredTokenException" || awsCode == u"MissingAuthenticationTokenException"
        || awsCode == u"IncompleteSignatureException") {
        return Code::Authentication;
    }
    if (awsCode.contains(QStringLiteral("Throughput"))
        || awsCode.contains(QStringLiteral("Throttl")))
        return Code::Timeout;
    return Code::Server;
}

} // namespace

struct DynamoClient::Pending
{
    Call call;
    int attempt = 0;
    bool done = false;
    QNetworkReply *reply = nullptr;
    Result<QJsonObject> result = QJsonObject();
};

DynamoClient::DynamoClient(Options options)
    : m_options(std::move(options))
    , m_network(std::make_unique<QNetworkAccessManager>())
{
    m_network->setTransferTimeout(m_options.timeoutMs);
}

DynamoClient::~DynamoClient() = default;

Result<QJsonObject> DynamoClient::call(const QString &operation, const QJsonObject &body)
{
    return callAll({{operation, body}}).first();
}

void DynamoClient::send(Pending &pending)
{
    const QByteArray body = QJsonDocument(pending.call.body).toJson(QJsonDocument::Compact);
    const QUrl &endpoint = m_options.endpoint;
    QByteArray host = endpoint.host().toUtf8();
    if (endpoint.port() > 0)
        host += ':' + QByteArray::number(endpoint.port());
    HttpRequest request;
    request.method = "POST";
    request.path = endpoint.path().isEmpty() ? QByteArray("/") : endpoint.path().toUtf8();
    request.headers = {{"Host", host},
                       {"Content-Type", m_options.contentType},
                       {"X-Amz-Target", m_options.targetPrefix + pending.call.operation.toUtf8()}};
    request.body = body;
    QNetworkRequest networkRequest(endpoint);
    for (const auto &[name, value] : request.headers) {
        if (name != "Host")
            networkRequest.setRawHeader(name, value);
    }
    for (const auto &[name, value] : signV4(request, m_options.credentials, m_options.region,
                                            m_options.service, QDateTime::currentDateTimeUtc())) {
        networkRequest.setRawHeader(name, value);
    }
    ++m_requests;
    pending.reply = m_network->post(networkRequest, body);
}

bool DynamoClient::isReadOperation(const QString &operation)
{
    // An allow-list: an operation this list does not name is a write.
    static const QStringList readPrefixes = {QStringLiteral("Describe"), QStringLiteral("List"),
                                             QStringLiteral("Get")};
    static const QStringList reads = {QStringLiteral("BatchGetItem"), QStringLiteral("Scan"),
                                      QStringLiteral("Query")};
    if (reads.contains(operation))
        return true;
    for (const QString &prefix : readPrefixes) {
        if (operation.startsWith(prefix) && operation.size() > prefix.size()
            && operation.at(prefix.size()).isUpper())
            return true;
    }
    return false;
}

QList<Result<QJsonObject>> DynamoClient::callAll(const QList<Call> &calls)
{
    std::vector<Pending> pending(size_t(calls.size()));
    for (qsizetype i = 0; i < calls.size(); ++i)
        pending[size_t(i)].call = calls.at(i);
    QEventLoop loop;
    qsizetype remaining = calls.size();
    // In read-only mode a write is answered here and never reaches the network.
    if (m_readOnly) {
        for (Pending &p : pending) {
            if (isReadOperation(p.call.operation))
                continue;
            p.done = true;
            p.result = std::unexpected(StorageError{
                Code::Refused,
                QStringLiteral("Refused to send %1 to %2: the connection is read-only.")
                    .arg(p.call.operation, m_options.endpoint.toString(QUrl::RemoveUserInfo)),
                QString()});
            --remaining;
        }
    }

    const std::function<void(Pending &)> start = [&](Pending &p) {
        send(p);
        QObject::connect(p.reply, &QNetworkReply::finished, &loop, [&, reply = p.reply, pp = &p] {
            reply->deleteLater();
            pp->reply = nullptr;
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            const QByteArray data = reply->readAll();
            const QJsonObject json = QJsonDocument::fromJson(data).object();
            QString awsCode;
            QString message;
            bool retry = false;
            if (reply->error() != QNetworkReply::NoError && status == 0) {
                // No HTTP answer at all: refused, reset, TLS or timeout.
                retry = reply->error() == QNetworkReply::RemoteHostClosedError
                    || reply->error() == QNetworkReply::OperationCanceledError
                    || reply->error() == QNetworkReply::TimeoutError
                    || reply->error() == QNetworkReply::TemporaryNetworkFailureError;
                message = reply->errorString();
            } else if (status != 200) {
                awsCode = json.value(QStringLiteral("__type")).toString().section(u'#', -1);
                message = json.value(QStringLiteral("message")).toString();
                if (message.isEmpty())
                    message = json.value(QStringLiteral("Message")).toString();
                retry = isRetryable(status, awsCode);
            }
            if (retry && pp->attempt + 1 < m_options.maxAttempts) {
                // Full jitter: a random wait up to a capped exponential bound.
                const qint64 cap = std::min<qint64>(m_options.maxDelayMs,
                                                    qint64(m_options.baseDelayMs) << pp->attempt);
                ++pp->attempt;
                ++m_retries;
                QTimer::singleShot(int(QRandomGenerator::global()->bounded(cap + 1)), &loop,
                                   [&, pp] { start(*pp); });
                return;
            }
            pp->done = true;
            if (message.isEmpty() && awsCode.isEmpty() && status == 200) {
                for (const QJsonValue &consumed :
                     json.value(QStringLiteral("ConsumedCapacity")).isArray()
                         ? json.value(QStringLiteral("ConsumedCapacity")).toArray()
                         : QJsonArray{json.value(QStringLiteral("ConsumedCapacity"))}) {
                    m_consumed +=
                        consumed.toObject().value(QStringLiteral("CapacityUnits")).toDouble();
                }
                pp->result = json;
            } else {
                const QString what =
                    QStringLiteral("%1 on %2")
                        .arg(pp->call.operation, m_options.endpoint.toString(QUrl::RemoveUserInfo));
                if (awsCode.isEmpty()) {
                    pp->result = fail(Code::Unreachable,
                                      QStringLiteral("%1 failed: %2.").arg(what, message));
                } else {
                    QString sentence =
                        QStringLiteral("%1 failed: %2: %3").arg(what, awsCode, message);
                    if (message.contains(QStringLiteral("Signature expired"))
                        || message.contains(QStringLiteral("too skewed"))) {
                        sentence += QStringLiteral(" (this computer's clock is off; set it right "
                                                   "and retry)");
                    }
                    pp->result =
                        std::unexpected(StorageError{codeFor(awsCode), sentence + u'.', awsCode});
                }
            }
            if (--remaining == 0)
                loop.quit();
        });
    };
    for (Pending &p : pending) {
        if (!p.done)
            start(p);
    }
    if (remaining > 0)
        loop.exec();
    QList<Result<QJsonObject>> results;
    results.reserve(calls.size());
    for (Pending &p : pending)
        results.append(std::move(p.result));
    return results;
}

} // namespace SessionDesk::Aws
