#pragma once

#include "cancel.h"

#include <QStringList>
#include <QTextStream>

namespace SessionDesk::Cli {

// 3: a policy rule failed (settings, evidence) or the audit log is broken (audit verify).
enum ExitCode : int { Ok = 0, Failure = 1, Usage = 2, Findings = 3, Refused = 4 };

// Runs one sessiondesk-cli invocation. `arguments` includes the program name. Results go to
// `out`, one-sentence errors and progress to `err`. `cancel` is set by Ctrl+C; long commands
// stop after the current batch and report what they did.
int run(const QStringList &arguments, QTextStream &out, QTextStream &err,
        const CancelToken &cancel);

} // namespace SessionDesk::Cli
