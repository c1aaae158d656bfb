#pragma once

#include "sigv4.h"
#include "storageerror.h"

#include <QJsonObject>
#include <QList>
#include <QUrl>

#include <memory>

class QNetworkAccessManager;

namespace SessionDesk::Aws {

// A blocking DynamoDB client (JSON 1.0 protocol over Qt Network, SigV4-signed). Thread-confined
// like every store: create, use and destroy it on one thread; it spins a local event loop while
// requests are in flight. Throttling, 5xx and dropped connections are retried with capped
// exponential backoff and full jitter; any other AWS error comes back at once as one sentence
// with the AWS error code and message (the code also in StorageError::serverCode).
class DynamoClient final
{
public:
    struct Options
    {
        QUrl endpoint; // https://dynamodb.REGION.amazonaws.com or a local server
        QString region;
        Credentials credentials;
        int timeoutMs = 30000;
        int maxAttempts = 10;
        int baseDelayMs = 25;
        int maxDelayMs = 5000;
        // The JSON protocol of another AWS service on the same machinery (KMS: "kms",
        // "TrentService.", "application/x-amz-json-1.1").
        QString service = QStringLiteral("dynamodb");
        QByteArray targetPrefix = "DynamoDB_20120810.";
        QByteArray contentType = "application/x-amz-json-1.0";
    };

    struct Call
    {
        QString operation; // "Scan", "BatchWriteItem", ...
        QJsonObject body;
    };

    explicit DynamoClient(Options options);
    ~DynamoClient();
    DynamoClient(const DynamoClient &) = delete;
    DynamoClient &operator=(const DynamoClient &) = delete;

    Result<QJsonObject> call(const QString &operation, const QJsonObject &body);
    // Sends every call at once (Qt keeps a few connections per host busy) and returns the
    // results in the same order.
    QList<Result<QJsonObject>> callAll(const QList<Call> &calls);

    const Options &options() const { return m_options; }
    // Read-only: every operation that is not a read (Describe*, List*, Get*, BatchGetItem,
    // Scan, Query) is refused with Code::Refused before any byte is sent.
    void setReadOnly(bool readOnly) { m_readOnly = readOnly; }
    bool isReadOnly() const { return m_readOnly; }
    static bool isReadOperation(const QString &operation);
    qint64 requestsSent() const { return m_requests; }
    qint64 retries() const { return m_retries; }
    double consumedCapacity() const { return m_consumed; }

private:
    struct Pending;
    void send(Pending &pending);

    Options m_options;
    std::unique_ptr<QNetworkAccessManager> m_network;
    qint64 m_requests = 0;
    qint64 m_retries = 0;
    double m_consumed = 0;
    bool m_readOnly = false;
};

} // namespace SessionDesk::Aws
