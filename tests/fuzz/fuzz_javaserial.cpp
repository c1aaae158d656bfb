// libFuzzer target: Java serialization streams, then everything the rest of SessionDesk does with
// a decoded tree (including a Spring Session hash built from the input).

#include "codecs/javaserial.h"
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
    findUser(
        decoded.root,
        {QStringLiteral("sessionAttr:SPRING_SECURITY_CONTEXT.authentication.principal.username"),
         QStringLiteral("authentication.principal.username"),
         QStringLiteral("authentication.principal")});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    QByteArray raw(reinterpret_cast<const char *>(data), qsizetype(size));
    exercise(Codecs::decodeJavaSerialization(raw));
    // The same bytes behind the stream magic, so that mutations need not keep it intact.
    if (!Codecs::looksLikeJavaSerialization(raw)) {
        raw.prepend(QByteArray("\xAC\xED\x00\x05", 4));
        exercise(Codecs::decodeJavaSerialization(raw));
    }
    exercise(decodeHashFields({{QByteArrayLiteral("creationTime"), raw},
                               {QByteArrayLiteral("sessionAttr:SPRING_SECURITY_CONTEXT"), raw}}));
    return 0;
}
