#pragma once

#include "sessionstore.h"
#include "storageerror.h"
#include "storefacts.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

namespace SessionDesk {

// One rule of a policy: a fact, an operator and (for most operators) an expected value.
struct PolicyRule
{
    QString id; // unique in its policy, e.g. "aof-everysec"
    QString fact; // a fact id from the catalog
    QString op; // equals, not, in, notIn, matches, atLeast, atMost, present, absent,
                // contains, notContains, empty, notEmpty
    QJsonValue expected; // null for present/absent/empty/notEmpty
    QString severity; // critical, high, medium, low, info
    QString text; // what must hold, for people: "AOF fsyncs every second"
    QString rationale; // why, with the reference to the document it comes from
    QString reference; // e.g. "Redis HA task (seed 003): 'AOF with fsync every second'"
    int line = 0; // where the rule starts in its file
};

// A written policy: JSON rules over store facts. Parsing checks everything it can without a
// store: syntax (with line and column), known keys, known facts, operators and value types.
struct Policy
{
    QString name; // "redis-session-ha"
    QString title;
    QString description;
    QString store; // "redis", "dynamodb" or "any"
    QString origin; // the file, or ":/policies/NAME.json" for a built-in preset
    QString sha256; // of the file's bytes, so evidence names exactly what was applied
    QList<PolicyRule> rules;

    // `origin` names the file in error messages. Errors are one sentence with the line.
    static Result<Policy> parse(const QByteArray &json, const QString &origin);
    // A path to a file, or the name of a preset (built in, or installed in
    // share/sessiondesk/policies).
    static Result<Policy> load(const QString &fileOrPreset);
    static QStringList presetNames();
    // Where a preset's file is (":/policies/NAME.json" or an installed file), or empty.
    static QString presetPath(const QString &name);
};

enum class Verdict { Pass, Fail, Unknown };
QString verdictName(Verdict verdict); // "PASS", "FAIL", "UNKNOWN"

struct RuleResult
{
    PolicyRule rule;
    Verdict verdict = Verdict::Unknown;
    StoreFact fact; // the fact as judged (a placeholder when the store did not report it)
    QString evidence; // "redis.persistence.appendfsync = \"no\" (CONFIG GET appendfsync);
                      // expected equals \"everysec\""
};

struct PolicyReport
{
    QString policyName;
    QString policyTitle;
    QString policyOrigin;
    QString policySha256;
    QList<RuleResult>
        results; // in the policy's order; rules for another kind of store are left out
    int passed = 0;
    int failed = 0;
    int unknown = 0;
    int notApplicable = 0; // rules of an "any" policy for the other kind of store

    bool hasFailure() const { return failed > 0; }
    // The rules about one fact, for views that show verdicts beside facts.
    QList<const RuleResult *> resultsFor(const QString &factId) const;
    QJsonObject toJson() const;
};

// Judges `info` against `policy`. Fails (InvalidArgument) when the policy is for the other kind of
// store; a rule whose fact is unknown is UNKNOWN, never PASS.
Result<PolicyReport> evaluatePolicy(const Policy &policy, const StoreInfo &info);

} // namespace SessionDesk
