#pragma once

#include "codec.h"

namespace SessionDesk::Codecs {

// Ruby Marshal 4.8 (what redis-rack, redis-actionpack and redis-session-store write by
// default). Every type of the format is read; class and module names become typeName, never
// classes. Strings carry their encoding (UTF-8, US-ASCII, named ones); binary strings become
// bytes. Hash keys become child names (symbols without the colon); an object's instance
// variables become its children without the leading "@". A Time becomes ISO-8601 text. A link
// to an object already read repeats a scalar, and names a container instead of repeating it, so
// the tree never has cycles. Encoding "ruby-marshal".
DecodedValue decodeRubyMarshal(const QByteArray &raw, const DecodeLimits &limits = {});

// True when `raw` starts with the Marshal 4.8 signature 04 08.
bool looksLikeRubyMarshal(QByteArrayView raw);

} // namespace SessionDesk::Codecs
