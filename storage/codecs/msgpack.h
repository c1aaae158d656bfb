#pragma once

#include "codec.h"

namespace SessionDesk::Codecs {

// MessagePack (Flask-Session 0.7+ writes sessions with msgspec). Every type of the spec: str
// as text (invalid UTF-8 as bytes), bin as bytes, unsigned integers above 2^63 - 1 as their
// digits, the timestamp extension (-1) as ISO-8601 text with typeName "timestamp", any other
// extension as bytes with typeName "ext N". Map keys of any type become child names (text
// as is, numbers in decimal, containers as compact JSON). Encoding "msgpack".
DecodedValue decodeMsgpack(const QByteArray &raw, const DecodeLimits &limits = {});

// True when the first byte is a map header (fixmap 80–8F, map16 DE, map32 DF), the shape of a
// session, and more follows: a lone byte 80 (an empty map, or any binary byte) is too little
// to call msgpack. A pickle has its protocol byte after 80, so callers test for pickle first.
// Not proof: only a complete decode is.
bool looksLikeMsgpackMap(QByteArrayView raw);

} // namespace SessionDesk::Codecs
