#pragma once

#include <QString>

#include <atomic>
#include <functional>
#include <memory>

namespace SessionDesk {

// Shared between the thread that runs a long job and the thread that may cancel it. Cheap to
// copy; all copies see the same flag. A default-constructed token can still be cancelled.
class CancelToken
{
public:
    CancelToken()
        : m_flag(std::make_shared<std::atomic_bool>(false))
    { }
    void cancel() const { m_flag->store(true, std::memory_order_relaxed); }
    bool isCancelled() const { return m_flag->load(std::memory_order_relaxed); }

private:
    std::shared_ptr<std::atomic_bool> m_flag;
};

// What a long job has done so far. Every count is exact for the work already done.
struct Progress
{
    QString phase; // "scanning", "deleting", ...
    qint64 examined = 0; // keys or items looked at
    qint64 matched = 0; // of those, sessions of the layout
    qint64 destroyed = 0; // sessions removed
    qint64 failed = 0; // sessions that could not be removed
    qint64 total = -1; // expected total when known (e.g. DBSIZE), else -1
};

// Called on the job's own thread; implementations keep it cheap and rate-limit themselves.
using ProgressCallback = std::function<void(const Progress &)>;

} // namespace SessionDesk
