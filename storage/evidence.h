#pragma once

#include "auditlog.h"
#include "policy.h"
#include "sessionstore.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace SessionDesk {

// What an auditor hands on: the store's settings with the policy's verdicts, the policy itself
// (name and SHA-256 of its file) and whether the audit log is intact, stamped with time, target
// and tool. Built from facts and verification results only, which never hold a secret.
struct Evidence
{
    StoreInfo info;
    std::optional<PolicyReport> policy;
    AuditVerification audit;
    QString tool; // "sessiondesk-cli 0.1.0"
    QString operatorName;
    QDateTime generatedAt; // UTC
    bool readOnly = true;

    QJsonObject toJson() const;
    // A complete HTML document. For print, a running header (time, target, tool) repeats on
    // every page: it is the head of a table around the content, which browsers and print
    // engines repeat per page. Without `runningHeader` the content alone (for a renderer that
    // draws its own page header, such as the PDF export).
    QString toHtml(bool runningHeader = true) const;
    // "2026-05-01 10:00 UTC · redis 127.0.0.1:6379/0 · sessiondesk-cli 0.1.0": the page header.
    QString pageHeader() const;
    // "9 PASS, 2 FAIL, 1 UNKNOWN; audit log intact: 12 records"
    QString summary() const;
};

} // namespace SessionDesk
