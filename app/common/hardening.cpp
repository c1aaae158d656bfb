#include "hardening.h"

#include <sys/prctl.h>
#include <sys/resource.h>

namespace SessionDesk::Hardening {

void disableCoreDumps()
{
#ifdef SESSIONDESK_NO_CORE_DUMPS
    // Both, as KeePassXC does: the limit alone is ignored when core_pattern pipes to a handler
    // such as systemd-coredump, and PR_SET_DUMPABLE alone can be undone by a setuid exec.
    const rlimit none{0, 0};
    setrlimit(RLIMIT_CORE, &none);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

} // namespace SessionDesk::Hardening
