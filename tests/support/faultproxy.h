#pragma once

#include <QHash>
#include <QJsonObject>
#include <QMutex>
#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <random>

class QThread;

namespace SessionDesk::Test {

class FaultProxyWorker;

// An HTTP/1.1 proxy on 127.0.0.1 in front of a DynamoDB-compatible server (dynalite) that
// injects the faults dynalite never produces, and answers the operations it lacks.
//
// It serves from its own internal thread, so a client that blocks the test's thread (the
// product's synchronous DynamoDB client) is served all the same. The FaultProxy object itself
// stays on the thread that created it; an internal worker object lives on the proxy thread.
// All setters and counters are thread-safe and take effect for the next request.
//
// Faults are decided per request, in arrival order, from a std::mt19937 seeded with seed()
// (default 1), so a run with the same request order injects the same faults. Checked in this
// order: dropped connection, 500, throttling, then (BatchWriteItem only) unprocessed items.
class FaultProxy : public QObject
{
    Q_OBJECT

public:
    explicit FaultProxy(QObject *parent = nullptr);
    ~FaultProxy() override;

    // Starts the proxy thread and listens on a free 127.0.0.1 port, forwarding to
    // UPSTREAMENDPOINT ("http://127.0.0.1:<port>"). Returns false with errorString() on failure.
    bool start(const QString &upstreamEndpoint);
    void stop();
    quint16 port() const { return m_port; }
    QString endpoint() const; // "http://127.0.0.1:<port>"
    QString errorString() const { return m_error; }

    // Fraction (0..1) of requests answered with HTTP 400 ProvisionedThroughputExceededException.
    void setThrottleRate(double rate);
    // Fraction (0..1) of the write requests of each BatchWriteItem not forwarded but returned in
    // UnprocessedItems. If every item of a request is held back the request is throttled instead,
    // as AWS does when it cannot process any item.
    void setUnprocessedRate(double rate);
    // Fraction (0..1) of requests answered with HTTP 500 InternalFailure.
    void setServerErrorRate(double rate);
    // Fraction (0..1) of requests whose connection is closed without an answer.
    void setDropConnectionRate(double rate);
    // When true, dropped requests are forwarded first (the write happened, the answer is lost).
    void setDropAfterForwarding(bool afterForwarding);
    // Only requests whose target (e.g. "BatchWriteItem") is listed get faults; empty = all.
    void setFaultTargets(const QStringList &targets);
    // Reseeds the fault generator (and restarts its sequence).
    void setSeed(quint32 seed);
    // Sets every rate to 0 and the fault targets to all.
    void clearFaults();

    // Bodies of the operations the proxy answers itself (after checking with DescribeTable that
    // the table exists). Update* calls replace the corresponding description.
    // Default: {"ContinuousBackupsStatus":"ENABLED",
    //           "PointInTimeRecoveryDescription":{"PointInTimeRecoveryStatus":"DISABLED"}}
    void setContinuousBackupsDescription(const QJsonObject &description);
    // Default: {"AttributeName":"expires","TimeToLiveStatus":"ENABLED"}
    void setTimeToLiveDescription(const QJsonObject &description);
    // Added as Table.SSEDescription to DescribeTable answers when not empty (default: empty),
    // e.g. {"Status":"ENABLED","SSEType":"KMS","KMSMasterKeyArn":"arn:aws:kms:..."}.
    void setSseDescription(const QJsonObject &description);
    static QJsonObject kmsSseDescription(); // the example above with a fixed key ARN
    // Keys merged into Table of DescribeTable answers (default: none), for what dynalite leaves
    // out: {"DeletionProtectionEnabled": true, "TableClassSummary": {...}, ...}.
    void setTableOverrides(const QJsonObject &overrides);
    // When not empty, KMS DescribeKey (X-Amz-Target TrentService.DescribeKey, sent to this proxy
    // as AWS_ENDPOINT_URL_KMS) is answered with {"KeyMetadata": METADATA}, e.g.
    // {"KeyManager": "CUSTOMER", "KeyState": "Enabled"}. Default: empty (forwarded, and
    // dynalite answers that it does not know the operation).
    void setKmsKeyMetadata(const QJsonObject &metadata);

    // Counters since start() or resetCounters().
    int requests(const QString &target) const; // every request received with that target
    int totalRequests() const;
    int injectedThrottles() const;
    int injectedServerErrors() const;
    int droppedConnections() const;
    int unprocessedItemsReturned() const;
    void resetCounters();

private:
    friend class FaultProxyWorker;

    enum class Fault { None, Drop, ServerError, Throttle };
    struct Config
    {
        double throttleRate = 0;
        double unprocessedRate = 0;
        double serverErrorRate = 0;
        double dropRate = 0;
        bool dropAfterForwarding = false;
        QStringList faultTargets;
        QJsonObject continuousBackups;
        QJsonObject timeToLive;
        QJsonObject sse;
        QJsonObject tableOverrides;
        QJsonObject kmsKeyMetadata;
    };
    struct Counters
    {
        QHash<QString, int> requests;
        int total = 0;
        int throttles = 0;
        int serverErrors = 0;
        int drops = 0;
        int unprocessedItems = 0;
    };

    // Called on the proxy thread.
    Fault decide(const QString &target, Config *config);
    QList<bool> holdBack(const QString &target, int itemCount);
    Config config() const;
    void updateConfig(const std::function<void(Config &)> &change);
    void count(const std::function<void(Counters &)> &change);

    mutable QMutex m_mutex;
    Config m_config;
    Counters m_counters;
    std::mt19937 m_random{1};

    std::unique_ptr<QThread> m_thread;
    FaultProxyWorker *m_worker = nullptr; // lives on m_thread
    quint16 m_port = 0;
    QString m_error;
};

} // namespace SessionDesk::Test
