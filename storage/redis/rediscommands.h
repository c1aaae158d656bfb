#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

namespace SessionDesk::Redis {

using Command = QList<QByteArray>;

// Redis Cluster's hash slots: CRC16-XMODEM of the key, or of its {hash tag} when the key has a
// non-empty one, modulo 16384.
constexpr int kSlotCount = 16384;
int keySlot(QByteArrayView key);

// Where a command's keys are, for routing by slot. Keyless commands go to any node (or every
// master, when the caller asks); single-key commands to the key's slot; multi-key commands are
// split per slot and their replies put back together.
struct KeySpec
{
    enum class Kind {
        None, // PING, INFO, SCAN, CLUSTER ..., SENTINEL ...: no key
        Single, // the key is argv[first]; any command not listed elsewhere is taken as one
        MultiArray, // MGET: keys from argv[first] on, the reply an array in key order
        MultiSum, // DEL, UNLINK, EXISTS, TOUCH: keys from argv[first] on, replies summed
    };
    Kind kind = Kind::None;
    int first = 1;
};
KeySpec keySpec(const Command &argv);

// Whether a connection opened read-only may send `argv`: an explicit list of reads (and of
// the handshake and routing commands that change no data). Everything else is refused before
// it is sent.
bool isReadCommand(const Command &argv);

// Whether the tool may send `argv` at all: the reads above and the deletes the store is made of
// (UNLINK, DEL, SREM, ZREM). Never a script (EVAL, FCALL, ...), KEYS, a blocking command
// (BLPOP, WAIT, XREAD, ...), FLUSHDB/FLUSHALL or anything else that can stall or empty a
// server: the router's connections refuse every other command before it is sent.
bool isToolCommand(const Command &argv);

// Whether sending `argv` again after an attempt whose reply was lost cannot do harm: reads,
// and deletes that only remove (UNLINK, DEL, SREM, ZREM, HDEL).
bool isSafeToRetry(const Command &argv);

// The command's name for messages: "UNLINK", "CONFIG SET".
QByteArray commandName(const Command &argv);

} // namespace SessionDesk::Redis
