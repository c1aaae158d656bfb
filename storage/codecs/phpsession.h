#pragma once

#include "codecs/codec.h"

#include <QByteArrayView>

namespace SessionDesk::Codecs {

// PHP session data and serialize() output, read without PHP and without instantiating anything.
//
// Trees: a session (any handler) is a map of the session's variable names. A PHP array whose keys
// are exactly 0..n-1 in order is a list, any other array a map (integer keys as decimal text).
// An object (`O:`) is a map of its properties with typeName = the class name; protected
// (`\0*\0name`) and public properties appear as `name`, private ones (`\0Class\0name`) as `name`
// when declared by the object's own class and as `Class::name` when declared by an ancestor.
// A custom-serialized object (`C:`) is its payload decoded as serialize() data when it is one,
// otherwise the raw payload, with typeName = the class. An enum case (`E:`) is a string holding
// the case name with typeName = the enum class. A reference (`r:` / `R:`) is a string
// "(reference to PATH)" with typeName "reference" naming the dotted path of the value it points
// to; it is never followed, so the tree has no cycles. Floats include INF, -INF and NAN.

// The `php` serialize_handler (PHP's default): `name|<serialized>name2|<serialized>…`; a name
// written as `!name|` is an undefined variable and becomes a null. encoding "php".
DecodedValue decodePhpSession(const QByteArray &raw, const DecodeLimits &limits = {});

// The `php_serialize` handler and plain serialize(): one serialized value. A string whose content
// is itself serialize() data or JSON (Laravel's cache keeps the session as `s:<n>:"…";`) is
// unwrapped once. encoding "php-serialize".
DecodedValue decodePhpSerialize(const QByteArray &raw, const DecodeLimits &limits = {});

// The legacy `php_binary` handler: a length byte, the name, the serialized value, repeated; a
// length byte with the high bit set marks an undefined variable. encoding "php-binary".
DecodedValue decodePhpBinary(const QByteArray &raw, const DecodeLimits &limits = {});

// First-byte checks for decodeValue() (formats.md §9); cheap, no allocation.
bool looksLikePhpSession(QByteArrayView raw); // name|<type>:
bool looksLikePhpSerialize(QByteArrayView raw); // a:<n>:{, O:<n>:", C:<n>:", s:<n>:"
bool looksLikePhpBinary(QByteArrayView raw); // <len><name><type>:

} // namespace SessionDesk::Codecs
