#pragma once

#include "evidence.h"
#include "storageerror.h"

#include <QString>

namespace SessionDesk {

// Writes `evidence` to `path`, as JSON, HTML or PDF by the file's suffix (.json, .html/.htm,
// .pdf). The PDF has the time, target and tool version in a header on every page and the page
// number in its footer; its document title carries the same header.
Result<void> writeEvidence(const Evidence &evidence, const QString &path);

} // namespace SessionDesk
