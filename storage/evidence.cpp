#include "evidence.h"

#include <QJsonArray>

namespace SessionDesk {

namespace {

QString esc(const QString &text)
{
    return text.toHtmlEscaped();
}

QString kindName(const QString &kind)
{
    return kind == u"redis" ? QStringLiteral("Redis") : QStringLiteral("DynamoDB");
}

} // namespace

QString Evidence::pageHeader() const
{
    return QStringLiteral("%1 · %2 %3 · %4")
        .arg(generatedAt.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss 'UTC'")),
             kindName(info.kind), info.target, tool);
}

QString Evidence::summary() const
{
    QString text;
    if (policy) {
        text = QStringLiteral("%1: %2 PASS, %3 FAIL, %4 UNKNOWN")
                   .arg(policy->policyName)
                   .arg(policy->passed)
                   .arg(policy->failed)
                   .arg(policy->unknown);
    } else {
        text = QStringLiteral("no policy applied");
    }
    return text + QStringLiteral("; audit log ") + audit.summary();
}

QJsonObject Evidence::toJson() const
{
    QJsonArray facts;
    for (const StoreFact &fact : info.facts) {
        QJsonObject object = fact.toJson();
        if (policy) {
            QJsonArray verdicts;
            for (const RuleResult *r : policy->resultsFor(fact.id))
                verdicts.append(QJsonObject{{QStringLiteral("rule"), r->rule.id},
                                            {QStringLiteral("verdict"), verdictName(r->verdict)}});
            object.insert(QStringLiteral("verdicts"), verdicts);
        }
        facts.append(object);
    }
    QJsonObject out{
        {QStringLiteral("format"), QStringLiteral("sessiondesk-evidence/1")},
        {QStringLiteral("generated_at"), generatedAt.toUTC().toString(Qt::ISODate)},
        {QStringLiteral("tool"), tool},
        {QStringLiteral("operator"), operatorName},
        {QStringLiteral("read_only"), readOnly},
        {QStringLiteral("store"),
         QJsonObject{{QStringLiteral("kind"), info.kind},
                     {QStringLiteral("target"), info.target},
                     {QStringLiteral("server_version"), info.serverVersion},
                     {QStringLiteral("layout"), info.layout},
                     {QStringLiteral("sessions"),
                      info.sessions < 0 ? QJsonValue() : QJsonValue(info.sessions)}}},
        {QStringLiteral("facts"), facts},
        {QStringLiteral("policy"), policy ? QJsonValue(policy->toJson()) : QJsonValue()},
        {QStringLiteral("audit_log"), audit.toJson()},
        {QStringLiteral("summary"), summary()}};
    return out;
}

QString Evidence::toHtml(bool runningHeader) const
{
    QString h;
    h += QStringLiteral(
             "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<meta name=\"generator\" content=\"%1\">\n<title>SessionDesk evidence: %2</title>\n")
             .arg(esc(tool), esc(info.target));
    // The outer table's head is the running header: browsers and print engines repeat a
    // table-header-group on every printed page.
    h += QStringLiteral(
        "<style>\n"
        "@page { size: A4; margin: 1.5cm 1.4cm 1.6cm; "
        "@bottom-right { content: \"page \" counter(page) \" of \" counter(pages); "
        "font: 8pt sans-serif; } }\n"
        "body { font: 10pt/1.35 sans-serif; color: #111; margin: 0 1em; }\n"
        "table { border-collapse: collapse; width: 100%; }\n"
        "table.page > thead > tr > td { font-size: 8pt; color: #333; border-bottom: 1px solid "
        "#888; padding: 4px 0; }\n"
        "table.data th, table.data td { border: 1px solid #bbb; padding: 3px 5px; "
        "vertical-align: top; text-align: left; }\n"
        "table.data th { background: #eee; }\n"
        "thead { display: table-header-group; }\n"
        "tr { page-break-inside: avoid; break-inside: avoid; }\n"
        "h1 { font-size: 15pt; margin: .6em 0 .2em; } h2 { font-size: 12pt; margin: 1.2em 0 "
        ".3em; break-after: avoid; }\n"
        ".verdict { font-weight: bold; white-space: nowrap; }\n"
        ".PASS { color: #1b5e20; } .FAIL { color: #b71c1c; } .UNKNOWN { color: #8d6e00; }\n"
        ".muted { color: #555; } code { font-size: 9pt; }\n"
        "</style>\n</head>\n<body>\n");
    if (runningHeader) {
        h += QStringLiteral("<table class=\"page\"><thead><tr><td>%1</td></tr></thead><tbody><tr>"
                            "<td>\n")
                 .arg(esc(pageHeader()));
    }
    h += QStringLiteral("<h1>Store settings evidence: %1</h1>\n").arg(esc(info.target));
    h += QStringLiteral("<p>%1 store <b>%2</b>%3, layout %4. Generated %5 by %6 for operator "
                        "%7, %8.</p>\n")
             .arg(kindName(info.kind), esc(info.target),
                  info.serverVersion.isEmpty()
                      ? QString()
                      : QStringLiteral(" (%1)").arg(esc(info.serverVersion)),
                  esc(info.layout), esc(generatedAt.toUTC().toString(Qt::ISODate)), esc(tool),
                  esc(operatorName),
                  readOnly ? QStringLiteral("read-only") : QStringLiteral("changes allowed"));
    h += QStringLiteral("<p><b>Summary:</b> %1</p>\n").arg(esc(summary()));

    if (policy) {
        h += QStringLiteral("<h2>Policy %1</h2>\n<p>%2<br><span class=\"muted\">%3, SHA-256 "
                            "<code>%4</code></span></p>\n")
                 .arg(esc(policy->policyName), esc(policy->policyTitle), esc(policy->policyOrigin),
                      esc(policy->policySha256));
        h += QStringLiteral("<table class=\"data\"><thead><tr><th>Verdict</th><th>Severity</th>"
                            "<th>Rule</th><th>Evidence</th><th>Rationale and reference</th></tr>"
                            "</thead><tbody>\n");
        for (const RuleResult &r : policy->results) {
            const QString name = verdictName(r.verdict);
            h += QStringLiteral("<tr><td class=\"verdict %1\">%1</td><td>%2</td><td>%3<br><span "
                                "class=\"muted\"><code>%4</code></span></td><td>%5</td><td>%6%7"
                                "</td></tr>\n")
                     .arg(name, esc(r.rule.severity), esc(r.rule.text), esc(r.rule.id),
                          esc(r.evidence), esc(r.rule.rationale),
                          r.rule.reference.isEmpty()
                              ? QString()
                              : QStringLiteral("<br><span class=\"muted\">%1</span>")
                                    .arg(esc(r.rule.reference)));
        }
        h += QStringLiteral("</tbody></table>\n");
    }

    h += QStringLiteral("<h2>Settings</h2>\n<table class=\"data\"><thead><tr><th>Group</th>"
                        "<th>Setting</th><th>Value</th><th>Source</th>%1</tr></thead><tbody>\n")
             .arg(policy ? QStringLiteral("<th>Verdict</th>") : QString());
    for (const StoreFact &fact : info.facts) {
        QString verdicts;
        if (policy) {
            QStringList names;
            for (const RuleResult *r : policy->resultsFor(fact.id))
                names << QStringLiteral("<span class=\"verdict %1\">%1</span>")
                             .arg(verdictName(r->verdict));
            verdicts = QStringLiteral("<td>%1</td>").arg(names.join(QStringLiteral(" ")));
        }
        h +=
            QStringLiteral("<tr><td>%1</td><td>%2<br><span class=\"muted\"><code>%3</code>"
                           "</span></td><td>%4</td><td>%5</td>%6</tr>\n")
                .arg(esc(fact.group), esc(fact.label), esc(fact.id),
                     fact.known ? esc(fact.display)
                                : QStringLiteral("<i>unknown</i>: %1").arg(esc(fact.unknownReason)),
                     esc(fact.source), verdicts);
    }
    h += QStringLiteral("</tbody></table>\n");

    h += QStringLiteral("<h2>Audit log</h2>\n<p>%1<br><span class=\"muted\">%2</span></p>\n")
             .arg(esc(audit.summary()), esc(audit.path));
    if (!audit.issues.isEmpty()) {
        h += QStringLiteral("<table class=\"data\"><thead><tr><th>Line</th><th>Problem</th></tr>"
                            "</thead><tbody>\n");
        for (const AuditIssue &issue : audit.issues)
            h += QStringLiteral("<tr><td>%1</td><td>%2</td></tr>\n")
                     .arg(issue.line ? QString::number(issue.line) : QStringLiteral("-"),
                          esc(issue.problem));
        h += QStringLiteral("</tbody></table>\n");
    }
    for (const QString &note : audit.notes)
        h += QStringLiteral("<p class=\"muted\">%1</p>\n").arg(esc(note));
    if (runningHeader)
        h += QStringLiteral("</td></tr></tbody></table>\n");
    h += QStringLiteral("</body>\n</html>\n");
    return h;
}

} // namespace SessionDesk
