// Fuzz target: Ruby Marshal 4.8 (seeds in tests/fuzz/corpus/rubymarshal).

#include "codecs/rubymarshal.h"
#include "fuzzharness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return SessionDesk::Fuzz::run(SessionDesk::Codecs::decodeRubyMarshal, data, size);
}
