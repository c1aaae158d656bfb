#pragma once

#include "codecs/codec.h"

#include <QByteArrayView>

namespace SessionDesk::Codecs {

// Java object serialization (the ObjectOutputStream protocol, magic AC ED 00 05), read without a
// JVM: class names are shown, never loaded. encoding "java".
//
// Trees:
// - java.lang.String is a string; boxed Long/Integer/Short/Byte are integers, Double/Float
//   doubles, Boolean a bool, Character a one-character string (all without a typeName).
// - java.util.Date and java.sql.Timestamp, and java.time.Instant, are ISO-8601 UTC strings
//   ("2026-11-30T13:19:23.123Z") with typeName = the class; java.util.UUID is its text form.
// - ArrayList, LinkedList, ArrayDeque, HashSet, LinkedHashSet, TreeSet, PriorityQueue, Vector and
//   the java.util.concurrent lists and queues are lists; HashMap, LinkedHashMap, TreeMap,
//   Hashtable, Properties, IdentityHashMap, EnumMap, ConcurrentHashMap and ConcurrentSkipListMap
//   are maps keyed by the key's text (a key that is an object is named "<class> #<index>"), all
//   with typeName = the class. The Collections.unmodifiable…/synchronized…/checked… wrappers are
//   the collection they wrap; singletons and empty collections are lists or maps.
// - An enum constant is a string holding the constant's name with typeName = the enum class; a
//   Class object a string holding the class name with typeName "java.lang.Class".
// - Arrays are lists with typeName "int[]", "java.lang.String[]" …; byte[] is bytes, char[] a
//   string.
// - Any other object is a map of its fields (every class from the top superclass down; a field
//   that hides one of a superclass is named "<declaring class>::<field>") with typeName = the
//   class. Data its writeObject()/writeExternal() wrote beyond the fields is a list "@data" of
//   bytes (block data) and objects, "@data:<class>" for a superclass's.
// - A back-reference to an object already read is a copy of it (counted against the node limit,
//   so reference bombs stop quickly); one to an object still being read (a cycle) is a string
//   "(reference to the enclosing <class>)" with typeName "reference".
// - A stream with several top-level items (objects or block data) is a list of them.
// Spring Security's SecurityContextImpl thus reads as a map whose principal name is at
// `authentication.principal.username` (a UserDetails principal such as
// org.springframework.security.core.userdetails.User) or `authentication.principal` (a String
// principal).
DecodedValue decodeJavaSerialization(const QByteArray &raw, const DecodeLimits &limits = {});

// The stream magic and version, AC ED 00 05.
bool looksLikeJavaSerialization(QByteArrayView raw);

} // namespace SessionDesk::Codecs
