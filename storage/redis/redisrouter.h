#pragma once

#include "cancel.h"
#include "redisconnection.h"

#include <QBitArray>
#include <QDeadlineTimer>
#include <QElapsedTimer>

#include <functional>
#include <map>
#include <memory>
#include <vector>

namespace SessionDesk::Redis {

// What run() knows about each command beyond its reply.
struct RunInfo
{
    // Per command: it was sent again after an attempt whose reply was lost, or (when run()
    // fails) it may have run although no reply came back. A delete that answers 0 after such a
    // retry may have been done by the lost attempt.
    QList<bool> uncertain;
    // When run() fails: per command, whether its reply came (it is in `replies`), so that what
    // was done before the failure is still counted.
    QList<bool> answered;
    QList<Reply> replies;
};

// How far a scan has come: keys examined so far (estimated from each master's SCAN cursor and
// DBSIZE; exact once a master is done) of `total` (DBSIZE summed over the masters).
struct ScanProgress
{
    qint64 examined = 0;
    qint64 total = -1;
    qint64 returned = 0; // keys SCAN returned (a key may come twice)
};

// The work a scan does for one batch of keys, overlapped with the SCAN of the next batch: the
// commands to run for them, and what to do with their replies (or with run()'s failure and
// what RunInfo knows). `finish` returns false to stop the scan.
struct ScanWork
{
    QList<Command> commands;
    bool last = false; // no SCAN after this batch: the operation has what it needs
    std::function<Result<bool>(const Result<QList<Reply>> &replies, const RunInfo &info)> finish;
};

// Microseconds of a TIME reply ([seconds, microseconds]), or -1 for any other reply.
qint64 timeMicroseconds(const Reply &reply);

// Chooses the SCAN COUNT of one master from how long the server took for the last SCAN (as
// measured between two TIME calls around it, or the round trip when TIME is not allowed), so
// that no SCAN the tool sends shows in a server's SLOWLOG: it shrinks fast above the target and
// grows slowly below a third of it, within [minimum, maximum].
class BatchTuner
{
public:
    static constexpr qint64 kTargetMicroseconds = 4000; // well under SLOWLOG's usual 10 ms

    explicit BatchTuner(int maximum = 1000, int minimum = 16)
        : m_size(maximum)
        , m_minimum(std::min(minimum, maximum))
        , m_maximum(maximum)
    { }
    int size() const { return m_size; }
    int maximum() const { return m_maximum; }
    // Reports that a command of the current size took `microseconds` on the server.
    void observe(qint64 microseconds);

private:
    int m_size;
    int m_minimum;
    int m_maximum;
};

// A token bucket for StoreConfig::maxOpsPerSecond: acquire(n) sleeps until n more operations
// fit in the rate. Unlimited when the rate is 0.
class RateLimiter
{
public:
    explicit RateLimiter(int opsPerSecond = 0);
    bool isLimited() const { return m_rate > 0; }
    int rate() const { return m_rate; }
    void acquire(qint64 operations);

private:
    int m_rate = 0;
    double m_tokens = 0;
    QElapsedTimer m_clock;
};

// Sends a store's commands to the right Redis node: one standalone server, the master that a
// set of sentinels names, or the masters of a cluster's slot map. Callers see one database.
// Thread-confined and blocking, like Connection.
//
// - Per-key commands go to the owner of the key's slot; MGET, DEL, UNLINK, EXISTS and TOUCH are
//   split per slot and their replies put back in order (see keySpec()). Commands for one node
//   travel in one pipeline.
// - Cluster: MOVED updates the slot map and retries; ASK retries once on the target with
//   ASKING; TRYAGAIN splits a multi-key command into single keys.
// - Sentinel: the master is asked for by name and checked with ROLE. Before every round that
//   writes (and at most every 250 ms otherwise) the sentinel is asked again, so that a failover
//   moves the work to the new master instead of writing to a demoted one.
// - LOADING, BUSY, MASTERDOWN and CLUSTERDOWN are waited out, and a lost connection re-resolved
//   (Sentinel, Cluster) or reconnected once (standalone), within StoreConfig::commandTimeoutMs.
//   After a lost reply only commands that are safe to repeat are sent again (isSafeToRetry()).
// - A read-only router refuses every non-read before it is sent (see Connection).
class Router final
{
public:
    explicit Router(StoreConfig config);
    ~Router();
    Router(const Router &) = delete;
    Router &operator=(const Router &) = delete;

    // Connects to the server, finds the master through the sentinels, or learns the cluster's
    // slot map (which must cover every slot). Errors name what failed and where.
    Result<void> open();
    void setReadOnly(bool readOnly);
    bool isReadOnly() const { return m_readOnly; }
    // On (the default): every connection refuses what the tool never sends (isToolCommand()).
    // Only tests that use a router as an application's client turn it off.
    void setToolCommandsOnly(bool only);

    // Runs `commands` and returns one reply per command, in order. Error replies that remain
    // after redirections and waiting are values, as with Connection::pipeline(). `info`, when
    // given, is filled in on success and on failure. Commands for different nodes are sent to
    // all of them before any reply is read, so the nodes work at once.
    Result<QList<Reply>> run(const QList<Command> &commands, RunInfo *info = nullptr);
    // A keyless command on every master, replies in master order (see masters()).
    Result<QList<Reply>> runOnEveryMaster(const Command &command);

    // The streaming scan under every long operation. Every master is scanned at once (one SCAN
    // per master per round, SCAN COUNT tuned per master by BatchTuner up to `maxCount`); the
    // keys of a round go to `plan`, and the work it returns is sent right behind the next
    // round's SCANs; its outcome (`finish`) is taken in a round or two later, behind the
    // following SCANs and work, so that the servers always have a batch to do while this client
    // books the last one and plans the next. Work that changes keys is finished one round
    // later (at most one batch sent and unanswered when a round ends), reads two rounds later.
    // `finish` runs in the order the batches were planned; it may run commands of its own.
    // `plan` sees each key the servers return; a key may come more than once (SCAN repeats
    // keys, and a master that changed, reconnected or failed over is read again from its
    // start), so planners keep their own seen-set.
    // `tick` is called after every round, also when a round found nothing. Cancel stops after
    // the batches in flight; errors end the scan once they are finished, so that no outcome of
    // a batch sent is ever lost.
    //
    // Where the keys come from. Scan: SCAN MATCH on every master. SlotsOnCluster: on a cluster
    // master that holds at least setSlotWalkMinimum()'s keys per slot, its slots are walked
    // with CLUSTER GETKEYSINSLOT and the keys filtered by `pattern` here instead: a fraction of
    // SCAN's server time, and keys that come grouped by slot (a batch can read them with one
    // MGET per slot). CLUSTER NODES goes with a walk's first and last round and every 32nd in
    // between; the master falls back to SCAN when it shows a slot migrating to or from it or
    // other slots than the router's map, when the master refuses GETKEYSINSLOT (an ACL), when
    // a slot holds more keys than one call may return, and from the start when `pattern` has a
    // '?' or a class. Unlike SCAN, a walk can return a key that has expired and is not
    // reclaimed yet.
    enum class KeySource { Scan, SlotsOnCluster };
    using ScanPlanner = std::function<Result<ScanWork>(const QList<QByteArray> &keys)>;
    using ScanTick = std::function<void(const ScanProgress &progress)>;
    Result<void> scanPipelined(const QByteArray &pattern, int maxCount, const CancelToken &cancel,
                               const ScanPlanner &plan, const ScanTick &tick,
                               KeySource source = KeySource::Scan);
    // Keys per slot (DBSIZE over the slots a master serves) from which KeySource::SlotsOnCluster
    // walks slots; below it a SCAN is as cheap. Tests set 0 to walk any store.
    void setSlotWalkMinimum(double keysPerSlot) { m_slotWalkMinimum = keysPerSlot; }

    // One SCAN call for paged listings. The cursor is opaque: it names the master (by its
    // lowest slot), the master's own cursor and the server session it belongs to, so that a
    // page after a failover starts that master again instead of using a foreign cursor.
    struct ScanStep
    {
        QList<QByteArray> keys;
        QByteArray next; // empty when atEnd
        bool atEnd = false;
    };
    Result<ScanStep> scanStep(const QByteArray &cursor, const QByteArray &pattern, int count);

    // DBSIZE summed over the masters.
    Result<qint64> databaseSize();

    const StoreConfig &config() const { return m_config; }
    // The node last spoken to ("host:port"), for messages.
    QString endpoint() const;
    // "standalone", "sentinel: master "mymaster" at host:port", "cluster: 3 masters".
    QString modeDescription() const;
    // The masters' addresses, ordered by their lowest slot.
    QList<HostPort> masters() const;
    // Counts sentinel master switches and reconnections after a lost connection.
    int failovers() const { return m_failovers; }
    bool isCluster() const { return m_config.redisMode == StoreConfig::RedisMode::Cluster; }
    // Commands sent so far, for tests and benchmarks (a multi-key command counts once per key).
    qint64 operationsSent() const { return m_operationsSent; }

private:
    struct Node
    {
        HostPort address;
        std::unique_ptr<Connection> connection;
    };
    enum class Fault { None, Fatal, Transport, Wait, Resolve };
    struct Batch; // one run() in progress, see redisrouter.cpp
    struct MasterScan; // one master's pass of scanPipelined()

    Node *nodeFor(const HostPort &address);
    HostPort mapped(const HostPort &announced) const;
    void setSingleMaster(Node *node);
    Node *ownerOf(int slot) const { return m_slotOwner[size_t(slot)]; }
    QList<int> slotsOf(const Node *node) const;
    int lowestSlotOf(const Node *node) const;

    Result<void> resolveSentinelMaster(const QDeadlineTimer &deadline);
    Result<void> checkSentinelMaster(bool force);
    Result<void> refreshSlotMap(bool requireFullCoverage);
    Result<void> loadSlotMap(Node *from);
    Node *nextMasterAfter(int lowestSlot) const;
    Node *defaultNode() const { return m_masters.isEmpty() ? nullptr : m_masters.first(); }
    // After `cause` on `node`: find the master again (Sentinel), refresh the slot map and wait
    // for the node's slots to be served (Cluster), or allow one reconnect (standalone).
    Result<void> recover(Node *node, const StorageError &cause, const QDeadlineTimer &deadline,
                         int &transportFailures);
    static Fault classify(const StorageError &error);
    static Fault classify(const Reply &reply);
    std::optional<HostPort> redirectTarget(const Reply &reply, const Node *from) const;
    void pause(int &delayMs, const QDeadlineTimer &deadline) const;
    // One command on one node, with waits for LOADING/BUSY; transport failures are returned.
    Result<Reply> runOn(Node *node, const Command &argv, const QDeadlineTimer &deadline);
    // run() in steps: prepare() splits the commands; sendRound() writes the pending parts to
    // their nodes; collectRound() reads and places their replies, follows redirections and
    // waits out faults, and says whether the batch is finished.
    std::unique_ptr<Batch> prepare(const QList<Command> &commands, RunInfo *info);
    Result<void> sendRound(Batch &batch);
    Result<bool> collectRound(Batch &batch);
    Result<QList<Reply>> finish(Batch &batch);
    void fillInfo(Batch &batch, bool failed) const;
    // Sends `commands` on `node`'s connection, counting them against the rate limit.
    Result<Connection::Ticket> sendTo(Node *node, const QList<Command> &commands);

    StoreConfig m_config;
    bool m_readOnly = false;
    bool m_toolCommandsOnly = true;
    std::map<QString, std::unique_ptr<Node>> m_nodes; // by "host:port"
    std::vector<Node *> m_slotOwner; // kSlotCount entries; null while a slot is not served
    QList<Node *> m_masters; // by lowest slot
    // Changes whenever m_slotOwner or m_masters may have: long scans re-plan their passes then.
    quint64 m_topologyVersion = 0;
    Node *m_lastNode = nullptr;
    // Sentinel mode: the sentinel that answered last, and when it was last asked.
    std::unique_ptr<Connection> m_sentinel;
    qsizetype m_sentinelIndex = -1;
    QElapsedTimer m_sinceMasterCheck;
    int m_failovers = 0;
    RateLimiter m_rateLimiter;
    qint64 m_operationsSent = 0;
    double m_slotWalkMinimum = 4;
};

} // namespace SessionDesk::Redis
