// Fuzz target: Python pickle, protocols 0-5 (seeds in tests/fuzz/corpus/pickle).

#include "codecs/pickle.h"
#include "fuzzharness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return SessionDesk::Fuzz::run(SessionDesk::Codecs::decodePickle, data, size);
}
