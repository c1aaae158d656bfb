// libFuzzer target: PHP session data (`php`, `php_binary`) and serialize() output, then
// everything the rest of SessionDesk does with a decoded tree.

#include "codecs/phpsession.h"
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
    findUser(decoded.root,
             {QStringLiteral("user_id"), QStringLiteral("user.name"),
              QStringLiteral("login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d")});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray raw(reinterpret_cast<const char *>(data), qsizetype(size));
    exercise(Codecs::decodePhpSession(raw));
    exercise(Codecs::decodePhpSerialize(raw));
    exercise(Codecs::decodePhpBinary(raw));
    exercise(decodeValue(raw));
    return 0;
}
