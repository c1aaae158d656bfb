#pragma once

#include <QList>
#include <QString>

// What this build is: the version both front ends print, and the libraries it runs on, for
// `--version` and Help → About. Lives in storage/ because hiredis and OpenSSL are private to it.
namespace SessionDesk::BuildInfo {

// The project version, "0.1.0".
QString version();
// The version and, when built from a git checkout, `git describe` of that checkout:
// "0.1.0 (git d009ebe-dirty)". What `--version` prints after the program name.
QString fullVersion();
struct LibraryVersion
{
    QString name; // "Qt", "hiredis", "OpenSSL", "Qt TLS backend"
    QString runtime; // the version running now (for hiredis: the headers', it has no other)
    QString builtWith; // the version compiled against, when it can differ; else empty
};

// Qt, hiredis, OpenSSL and the TLS backend Qt Network uses, in display order.
QList<LibraryVersion> libraryVersions();

} // namespace SessionDesk::BuildInfo
