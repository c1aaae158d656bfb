// Fuzz target: MessagePack (seeds in tests/fuzz/corpus/msgpack).

#include "codecs/msgpack.h"
#include "fuzzharness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return SessionDesk::Fuzz::run(SessionDesk::Codecs::decodeMsgpack, data, size);
}
