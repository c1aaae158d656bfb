// Fuzz target: decodeValue() as the stores call it (JSON, every codec picked by its signature,
// the text and binary fallbacks), then the listing path (SessionFieldReader). Seeds in
// tests/fuzz/corpus/decodevalue.

#include "fuzzharness.h"
#include "sessionlayout.h"

namespace {

// decodeValue() has no limits parameter; JSON nests as deep as Qt's parser allows.
SessionDesk::Codecs::DecodeLimits unlimited()
{
    SessionDesk::Codecs::DecodeLimits limits;
    limits.maxDepth = 1 << 20;
    limits.maxNodes = qsizetype(1) << 40;
    return limits;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace SessionDesk;
    const QByteArray raw(reinterpret_cast<const char *>(data), qsizetype(size));
    Fuzz::exercise(decodeValue(raw), unlimited());
    SessionLayout layout;
    layout.userFields = {QStringLiteral("user_id"), QStringLiteral("passport.user"),
                         QStringLiteral("_user_id"), QStringLiteral("warden.user.user.key.0.0")};
    layout.startedFields = {QStringLiteral("created"), QStringLiteral("cookie.expires")};
    layout.lastAccessFields = {QStringLiteral("last_seen")};
    layout.deviceFields = {QStringLiteral("ua"), QStringLiteral("ip")};
    (void)SessionFieldReader(layout).read(raw);
    (void)findUserInRaw(raw, layout.userFields);
    return 0;
}
