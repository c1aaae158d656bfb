#pragma once

#include <QByteArrayView>
#include <QHashFunctions>

#include <algorithm>
#include <vector>

namespace SessionDesk {

// Sessions per user while a scan runs, keyed by the user's bytes. A user is found by two
// independently seeded 64-bit hashes of its bytes, held with its count in one 32-byte slot of
// a flat table: a lookup reads one slot, where QHash<QByteArray, qint64> reads its span, its
// node and every probed key's own allocation. That matters because a scan runs while the
// server streams the store through the same caches, so each read is a trip to memory. Two
// different users would have to agree on all 128 bits to be counted as one (at ten million
// users, a chance of 1 in 10^24). The bytes are kept once per user, for forEach().
class UserCounts
{
public:
    // Adds `sessions` to the user's count (a new user starts at 0).
    void add(QByteArrayView user, qint64 sessions = 1) { add(user, sessions, hashOf(user)); }

    // Queues one session of `user` (the bytes are copied): counted at flush(), so that the
    // slots of a whole batch are fetched from memory together rather than one cache miss after
    // another.
    void queue(QByteArrayView user)
    {
        if ((m_names.size() + m_queue.size() + 1) * 2 > m_slots.size())
            grow();
        const quint64 hash = hashOf(user);
        __builtin_prefetch(&m_slots[size_t(hash) & (m_slots.size() - 1)], 1);
        m_queue.push_back({hash, qsizetype(m_queueBytes.size()), qsizetype(user.size())});
        m_queueBytes.insert(m_queueBytes.end(), user.begin(), user.end());
    }

    // Counts the queued sessions.
    void flush()
    {
        for (const Queued &queued : m_queue) {
            add(QByteArrayView(m_queueBytes.data() + queued.offset, queued.length), 1, queued.hash);
        }
        m_queue.clear();
        m_queueBytes.clear();
    }

    // Users counted so far (queued sessions are not, until flush()).
    qsizetype size() const { return qsizetype(m_names.size()); }

    // Calls visit(QByteArrayView user, qint64 sessions) for each user counted, in table order.
    // The views stay valid until the next add() or flush().
    template <typename Visit> void forEach(Visit &&visit) const
    {
        for (const Slot &slot : m_slots) {
            if (slot.name != 0) {
                const Name &name = m_names[slot.name - 1];
                visit(QByteArrayView(m_bytes.data() + name.offset, name.length), slot.count);
            }
        }
    }

private:
    struct Slot
    {
        quint64 hash = 0;
        quint64 check = 0;
        qint64 count = 0;
        size_t name = 0; // number of the user's Name + 1; 0 marks a free slot
    };
    struct Name
    {
        qsizetype offset; // into m_bytes
        qsizetype length;
    };
    struct Queued
    {
        quint64 hash;
        qsizetype offset; // into m_queueBytes
        qsizetype length;
    };

    static quint64 hashOf(QByteArrayView user) { return qHash(user, size_t(0x75736572)); }

    void add(QByteArrayView user, qint64 sessions, quint64 hash)
    {
        const quint64 check = qHash(user, size_t(0x636f756e74));
        if ((m_names.size() + 1) * 2 > m_slots.size())
            grow();
        const size_t mask = m_slots.size() - 1;
        for (size_t at = size_t(hash) & mask;; at = (at + 1) & mask) {
            Slot &slot = m_slots[at];
            if (slot.name == 0) {
                m_names.push_back({qsizetype(m_bytes.size()), qsizetype(user.size())});
                m_bytes.insert(m_bytes.end(), user.begin(), user.end());
                slot = {hash, check, sessions, m_names.size()}; // name number + 1: never 0
                return;
            }
            if (slot.hash == hash && slot.check == check) {
                slot.count += sessions;
                return;
            }
        }
    }

    // Doubles the table (at least 1024 slots), keeping it at most half full.
    void grow()
    {
        std::vector<Slot> table(std::max<size_t>(1024, m_slots.size() * 2));
        const size_t mask = table.size() - 1;
        for (const Slot &slot : m_slots) {
            if (slot.name == 0)
                continue;
            size_t at = size_t(slot.hash) & mask;
            while (table[at].name != 0)
                at = (at + 1) & mask;
            table[at] = slot;
        }
        m_slots = std::move(table);
    }

    std::vector<Slot> m_slots;
    std::vector<Name> m_names;
    std::vector<char> m_bytes;
    std::vector<Queued> m_queue;
    std::vector<char> m_queueBytes;
};

} // namespace SessionDesk
