#pragma once

#include "valuetree.h"

namespace SessionDesk::Codecs {

// Hard limits every decoder honours. Past one it stops, keeps the tree it has built so far and
// says why in DecodedValue::warning; it never throws, crashes, recurses without bound or loops
// on its own output. Decoders interpret bytes only: a class or module reference (pickle, Ruby
// Marshal, Java serialization, PHP objects) becomes a name in ValueNode::typeName, never code.
struct DecodeLimits
{
    int maxDepth = 64; // nesting of containers
    qsizetype maxNodes = 200'000; // nodes in the whole tree
    qsizetype maxStringBytes = 4 * 1024 * 1024; // one string or byte string
    // Text and bytes in the whole tree, counting every repeat a link or memo reference makes.
    qsizetype maxTotalBytes = 32 * 1024 * 1024;
};

// Each codec lives in its own file pair under storage/codecs/ and exposes one entry point of
// this shape, e.g. `DecodedValue decodeRubyMarshal(const QByteArray &raw, const DecodeLimits &)`.
// DecodedValue::encoding names the codec ("ruby-marshal", "php", "php-serialize", "pickle",
// "msgpack", "java", "django-signed"); secrets are marked by the caller (decodeValue).

} // namespace SessionDesk::Codecs
