#pragma once

#include "codec.h"

namespace SessionDesk::Codecs {

// Python pickle, protocols 0 to 5 (the opcodes of CPython 3.11), as Flask-Session ≤ 0.6 and
// Django's cache session backend store session dicts. The pickle machine is run on data only:
// GLOBAL and STACK_GLOBAL push a name, and REDUCE, NEWOBJ, INST, OBJ and BUILD make a map whose
// typeName is "module.qualname" and whose children are the arguments ("__args__") and the
// state (an attribute dict's items directly, else "__state__"). Nothing is imported, looked up
// or called. A few reductions are shown readably: datetime.datetime/date/time/timedelta,
// collections.OrderedDict and defaultdict, decimal.Decimal, set and frozenset, bytearray and
// copyreg._reconstructor. A memo reference to a container repeats it unless it is one of its
// own ancestors, which becomes a named placeholder, so the tree never has cycles.
// Encoding "pickle".
DecodedValue decodePickle(const QByteArray &raw, const DecodeLimits &limits = {});

// How sure the first bytes make a pickle: Certain for the protocol 2–5 header 80 0x; Possible
// for what protocol 0 and 1 pickles of containers and objects start with and end with ('(',
// '}', ']', ')', 'c' first, '.' last), which text can look like as well; None otherwise.
enum class PickleSignature { None, Possible, Certain };
PickleSignature pickleSignature(QByteArrayView raw);

} // namespace SessionDesk::Codecs
