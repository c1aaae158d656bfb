#pragma once

#include <QString>
#include <QStringList>

namespace SessionDesk {

// Settings an administrator installs for every user of the machine, in an INI file:
//
//   [General]
//   ForceReadOnly=true   # both front ends open every store read-only and cannot unlock
//   AuditSyslog=true     # every audit record is mirrored to syslog/journald
//
// Read from /etc/xdg/SessionDesk/system.conf and, in addition, from $SESSIONDESK_SYSTEM_CONFIG
// (tests, or a second file an administrator points to). A setting turned on in either file is
// on: the variable can add restrictions, never lift the installed file's. A value that is not
// a clear true/false counts as true (a typo must not unlock). This is a guard rail for
// auditors' desks, not a security boundary: least-privilege Redis ACLs and IAM policies are.
struct SystemSettings
{
    bool forceReadOnly = false;
    bool auditSyslog = false;
    QString readOnlySource; // the file that forces read-only
    QStringList files; // the files that were read

    static QString installedPath(); // /etc/xdg/SessionDesk/system.conf
    static SystemSettings load();
    // "read-only is forced by the administrator (ForceReadOnly=true in FILE)"
    QString readOnlyReason() const;
};

} // namespace SessionDesk
