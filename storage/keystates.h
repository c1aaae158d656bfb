#pragma once

#include <QByteArray>
#include <QHashFunctions>

#include <algorithm>
#include <vector>

namespace SessionDesk {

// What a long operation knows about each key (or id) it met, by a 61-bit hash of the key
// (collisions are negligible at any store size): open addressing in one flat array, so that a
// million keys take 16 MB instead of the hundred a node-based set of the keys would, and no key
// is kept.
class KeyStates
{
public:
    enum State : quint8 {
        Absent = 0,
        Seen = 1, // met (returned by SCAN, listed on a page)
        Destroyed = 2, // its delete answered 1
        Failed = 3, // its delete answered an error
        Unconfirmed = 4, // its delete's reply was lost, or answered 0 after a lost reply
        Gone = 5, // its delete answered 0: removed by someone else, or expired
    };

    void set(const QByteArray &key, State state) { exchange(key, state); }

    // Sets the key's state and returns the one it had, with a single lookup.
    State exchange(const QByteArray &key, State state)
    {
        const quint64 h = hashOf(key);
        quint64 &entry = slotFor(h);
        const State before = State(entry & 7); // Absent for a free slot
        if (entry == 0)
            ++m_used;
        entry = h | state;
        return before;
    }

    // Marks every key of a batch seen, calling fresh(i) for each key met for the first time (a
    // key met before keeps its state). The slots are fetched from memory together, not one
    // cache miss after another: with a million keys the table is far larger than the caches.
    template <typename Fresh> void insertBatch(const QList<QByteArray> &keys, Fresh &&fresh)
    {
        std::vector<quint64> hashes;
        hashes.reserve(size_t(keys.size()));
        for (const QByteArray &key : keys)
            hashes.push_back(hashOf(key));
        while ((m_used + hashes.size()) * 2 > m_slots.size())
            grow();
        for (const quint64 h : hashes)
            __builtin_prefetch(&m_slots[home(h)], 1);
        for (size_t i = 0; i < hashes.size(); ++i) {
            quint64 &entry = slotFor(hashes[i]);
            if (entry != 0)
                continue;
            ++m_used;
            entry = hashes[i] | Seen;
            fresh(qsizetype(i));
        }
    }

    // Asks the memory for the slots of `keys` ahead of the lookups a batch is about to make.
    void prefetch(const QList<QByteArray> &keys) const
    {
        if (m_slots.empty())
            return;
        for (const QByteArray &key : keys)
            __builtin_prefetch(&m_slots[home(hashOf(key))]);
    }

private:
    static quint64 hashOf(const QByteArray &key)
    {
        // The low three bits hold the state; the hash is never 0 so that 0 marks a free slot.
        const quint64 h = quint64(qHash(key, size_t(0x5e55104d))) & ~quint64(7);
        return h == 0 ? 8 : h;
    }

    // Where a hash's probe starts (the low bits hold the state, so they are skipped).
    size_t home(quint64 h) const { return size_t(h >> 3) & (m_slots.size() - 1); }

    // The hash's slot: its entry, or the free slot where it goes (room is made first, so that
    // a new entry keeps the table at most half full).
    quint64 &slotFor(quint64 h)
    {
        if ((m_used + 1) * 2 > m_slots.size())
            grow();
        for (size_t at = home(h);; at = (at + 1) & (m_slots.size() - 1)) {
            quint64 &entry = m_slots[at];
            if (entry == 0 || (entry & ~quint64(7)) == h)
                return entry;
        }
    }

    void grow()
    {
        std::vector<quint64> old = std::move(m_slots);
        m_slots.assign(std::max<size_t>(1024, old.size() * 2), 0);
        for (const quint64 entry : old) {
            if (entry == 0)
                continue;
            for (size_t at = home(entry & ~quint64(7));; at = (at + 1) & (m_slots.size() - 1)) {
                if (m_slots[at] == 0) {
                    m_slots[at] = entry;
                    break;
                }
            }
        }
    }

    std::vector<quint64> m_slots; // a power of two in size, at most half full
    size_t m_used = 0;
};

} // namespace SessionDesk
