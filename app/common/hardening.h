#pragma once

namespace SessionDesk::Hardening {

// Keeps session payloads, tokens and passwords out of core dumps: sets RLIMIT_CORE to 0 and
// marks the process non-dumpable (which also keeps other processes of the same user from
// attaching with ptrace or reading its memory through /proc). Call first thing in main().
// Does nothing in Debug builds, where developers want their core files.
void disableCoreDumps();

} // namespace SessionDesk::Hardening
