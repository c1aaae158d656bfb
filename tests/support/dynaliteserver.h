#pragma once

#include <QJsonObject>
#include <QList>
#include <QProcess>
#include <QString>

#include <memory>

class QNetworkAccessManager;

namespace SessionDesk::Test {

// A real dynalite (DynamoDB-compatible server from npm, pinned by tests/e2e/package-lock.json)
// listening on a free 127.0.0.1 port with an in-memory store. Table creation, deletion and
// updates are instant (createTableMs/deleteTableMs/updateTableMs = 0). Started with start(),
// stopped by stop() or the destructor. dynalite leaks memory: restart() it between heavy tests.
//
// dynalite's own cli.js has no --host option and binds every interface, so the server is
// started through a two-line node bootstrap that calls its listen() with "127.0.0.1".
class DynaliteServer
{
public:
    DynaliteServer();
    ~DynaliteServer();
    DynaliteServer(const DynaliteServer &) = delete;
    DynaliteServer &operator=(const DynaliteServer &) = delete;

    // Waits until dynalite prints that it listens. On failure returns false and errorString()
    // says why (node missing, tests/e2e/node_modules missing, dynalite exited with ...).
    bool start();
    void stop();
    // Stops and starts a fresh, empty server, on the same port if it is still free.
    bool restart();

    quint16 port() const { return m_port; }
    QString endpoint() const; // "http://127.0.0.1:<port>"
    QString errorString() const { return m_error; }

    // One synchronous DynamoDB JSON 1.0 call, e.g. call("DescribeTable", {{"TableName", "t"}}).
    // Returns the response body; *httpStatus gets the HTTP status (0 when no response arrived,
    // and the returned object then has "__type" "NetworkError" and a "message").
    QJsonObject call(const QString &target, const QJsonObject &body, int *httpStatus = nullptr);

    // Creates table NAME with hash key "id" (S), PAY_PER_REQUEST and, when withUsersIndex,
    // the GSI "users-sessions" on "user_id" (S) projecting KEYS_ONLY; returns once it is ACTIVE.
    bool createTable(const QString &name, bool withUsersIndex);
    bool deleteTable(const QString &name);
    // Writes ITEMS (in DynamoDB attribute-value form: {"id": {"S": "..."}, ...}) with
    // BatchWriteItem, 25 per request, retrying any UnprocessedItems.
    bool putItems(const QString &table, const QList<QJsonObject> &items);
    // Number of items in TABLE by a paged Scan with Select COUNT; -1 on error.
    qint64 countItems(const QString &table);

private:
    bool startOn(quint16 port);

    std::unique_ptr<QProcess> m_process;
    std::unique_ptr<QNetworkAccessManager> m_network;
    quint16 m_port = 0;
    QString m_error;
};

// One synchronous DynamoDB JSON 1.0 call to ENDPOINT ("http://127.0.0.1:<port>") with a dummy
// SigV4 Authorization header, which dynalite requires but does not verify. Runs a local event
// loop until the reply finishes (at most 60 s). NETWORK may be null (a temporary one is used).
QJsonObject dynamoCall(const QString &endpoint, const QString &target, const QJsonObject &body,
                       int *httpStatus = nullptr, QNetworkAccessManager *network = nullptr);

} // namespace SessionDesk::Test
