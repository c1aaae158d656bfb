#pragma once

#include "codecs/codec.h"

#include <QByteArrayView>

namespace SessionDesk::Codecs {

// Django's signed session strings (django.core.signing, SessionBase.encode()), as
// django-redis-sessions and the signed-cookie backend store them. encoding "django-signed".
//
// Formats:
// - Django ≥ 3.1: `<payload>:<timestamp>:<signature>`; the payload is URL-safe base64 without
//   padding of compact JSON, zlib-compressed when it starts with '.'; the timestamp is base 62
//   epoch seconds.
// - Before 3.1: standard base64 of `<40-hex hash>:<JSON>`.
// Tree: the session dictionary itself (so `_auth_user_id` is a top-level path), plus one map
// "@signed" with typeName "django.core.signing" holding `signed_at` (ISO-8601 UTC, new format),
// `signature` (new format) or `hash` (old format), and `verified` = false: SessionDesk has no
// SECRET_KEY, so the signature is shown, never checked. A payload that is not a JSON object is
// the value of a key "value" beside "@signed".
DecodedValue decodeDjangoSigned(const QByteArray &raw, const DecodeLimits &limits = {});

// `[.]<base64url>:<base62>:<base64url of 27+ characters>`, or base64 of `<40 hex>:`.
bool looksLikeDjangoSigned(QByteArrayView raw);

} // namespace SessionDesk::Codecs
