// libFuzzer target: Django signed session strings (plain, zlib-compressed and the pre-3.1
// base64 form), then everything the rest of SessionDesk does with a decoded tree.

#include "codecs/djangosigned.h"
#include "valuetree.h"

#include <cstddef>
#include <cstdint>

using namespace SessionDesk;

namespace {

void exercise(DecodedValue decoded)
{
    markSecrets(decoded.root);
    toJson(decoded.root, false);
    toJson(decoded.root, true);
    findUser(decoded.root, {QStringLiteral("_auth_user_id"), QStringLiteral("@signed.signed_at")});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray raw(reinterpret_cast<const char *>(data), qsizetype(size));
    exercise(Codecs::decodeDjangoSigned(raw));
    exercise(decodeValue(raw));
    return 0;
}
