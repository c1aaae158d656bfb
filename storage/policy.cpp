#include "policy.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>

namespace SessionDesk {

namespace {

using Code = StorageError::Code;

const QStringList kOperators = {
    QStringLiteral("equals"),   QStringLiteral("not"),         QStringLiteral("in"),
    QStringLiteral("notIn"),    QStringLiteral("matches"),     QStringLiteral("atLeast"),
    QStringLiteral("atMost"),   QStringLiteral("present"),     QStringLiteral("absent"),
    QStringLiteral("contains"), QStringLiteral("notContains"), QStringLiteral("empty"),
    QStringLiteral("notEmpty")};
const QStringList kValueless = {QStringLiteral("present"), QStringLiteral("absent"),
                                QStringLiteral("empty"), QStringLiteral("notEmpty")};
const QStringList kSeverities = {QStringLiteral("critical"), QStringLiteral("high"),
                                 QStringLiteral("medium"), QStringLiteral("low"),
                                 QStringLiteral("info")};
const QStringList kPolicyKeys = {QStringLiteral("name"),        QStringLiteral("title"),
                                 QStringLiteral("description"), QStringLiteral("store"),
                                 QStringLiteral("version"),     QStringLiteral("sources"),
                                 QStringLiteral("rules")};
const QStringList kRuleKeys = {QStringLiteral("id"),        QStringLiteral("fact"),
                               QStringLiteral("op"),        QStringLiteral("value"),
                               QStringLiteral("severity"),  QStringLiteral("rule"),
                               QStringLiteral("rationale"), QStringLiteral("reference")};

// The line of every object member and array element of a JSON text that QJsonDocument has
// already accepted, keyed by its JSON Pointer ("/rules/3/op"), so that errors found after
// parsing can still name a line.
class LineMap
{
public:
    explicit LineMap(const QByteArray &text)
        : m_text(text)
    {
        value(QString());
    }
    // The line of `pointer`, else of the nearest enclosing value (a key that is missing is
    // reported where its object is).
    int line(QString pointer) const
    {
        while (!m_lines.contains(pointer) && !pointer.isEmpty())
            pointer.truncate(pointer.lastIndexOf(u'/'));
        return m_lines.value(pointer, 1);
    }

private:
    void skipSpace()
    {
        while (m_at < m_text.size()) {
            const char c = m_text.at(m_at);
            if (c == '\n')
                ++m_line;
            else if (c != ' ' && c != '\t' && c != '\r')
                return;
            ++m_at;
        }
    }
    QString string()
    {
        const qsizetype start = m_at;
        ++m_at; // opening quote
        while (m_at < m_text.size() && m_text.at(m_at) != '"')
            m_at += m_text.at(m_at) == '\\' ? 2 : 1;
        ++m_at; // closing quote
        const QByteArray raw = m_text.mid(start, m_at - start);
        return QJsonDocument::fromJson('[' + raw + ']').array().first().toString();
    }
    static QString escape(QString key)
    {
        return key.replace(u'~', QStringLiteral("~0")).replace(u'/', QStringLiteral("~1"));
    }
    void value(const QString &pointer)
    {
        skipSpace();
        if (m_at >= m_text.size())
            return;
        m_lines.insert(pointer, m_line);
        const char c = m_text.at(m_at);
        if (c == '{') {
            ++m_at;
            skipSpace();
            if (m_at < m_text.size() && m_text.at(m_at) == '}') {
                ++m_at;
                return;
            }
            while (m_at < m_text.size()) {
                skipSpace();
                const int keyLine = m_line;
                const QString key = pointer + u'/' + escape(string());
                skipSpace();
                ++m_at; // ':'
                value(key);
                m_lines.insert(key, keyLine);
                skipSpace();
                if (m_at >= m_text.size() || m_text.at(m_at++) == '}')
                    return;
            }
        } else if (c == '[') {
            ++m_at;
            skipSpace();
            if (m_at < m_text.size() && m_text.at(m_at) == ']') {
                ++m_at;
                return;
            }
            for (int index = 0; m_at < m_text.size(); ++index) {
                value(pointer + u'/' + QString::number(index));
                skipSpace();
                if (m_at >= m_text.size() || m_text.at(m_at++) == ']')
                    return;
            }
        } else if (c == '"') {
            string();
        } else {
            while (m_at < m_text.size() && !QByteArrayView(",]} \t\r\n").contains(m_text.at(m_at)))
                ++m_at;
        }
    }

    const QByteArray &m_text;
    qsizetype m_at = 0;
    int m_line = 1;
    QHash<QString, int> m_lines;
};

QString jsonText(const QJsonValue &value)
{
    if (value.isString())
        return u'"' + value.toString() + u'"';
    if (value.isNull() || value.isUndefined())
        return QStringLiteral("nothing");
    if (value.isBool())
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (value.isDouble())
        return displayValue(value, FactType::Number);
    const QJsonDocument doc =
        value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
    return QString::fromUtf8(doc.toJson(QJsonDocument::Compact));
}

QString jsonTypeName(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Bool:
        return QStringLiteral("a boolean");
    case QJsonValue::Double:
        return QStringLiteral("a number");
    case QJsonValue::String:
        return QStringLiteral("a string");
    case QJsonValue::Array:
        return QStringLiteral("a list");
    case QJsonValue::Object:
        return QStringLiteral("an object");
    default:
        return QStringLiteral("null");
    }
}

bool fitsScalar(const QJsonValue &value, FactType type)
{
    switch (type) {
    case FactType::Bool:
        return value.isBool();
    case FactType::Number:
        return value.isDouble();
    case FactType::String:
    case FactType::List:
        return value.isString();
    }
    return false;
}

// Why `expected` cannot go with `op` on a fact of `type`, or empty when it can.
QString typeProblem(const QString &op, const QJsonValue &expected, FactType type)
{
    const QString factType = factTypeName(type);
    if (kValueless.contains(op)) {
        if (!expected.isUndefined())
            return QStringLiteral("\"%1\" takes no \"value\"").arg(op);
        if ((op == u"empty" || op == u"notEmpty") && type != FactType::List
            && type != FactType::String)
            return QStringLiteral("\"%1\" applies to list or string facts, not a %2")
                .arg(op, factType);
        return {};
    }
    if (expected.isUndefined())
        return QStringLiteral("\"%1\" needs a \"value\"").arg(op);
    if (op == u"equals" || op == u"not") {
        if (type == FactType::List) {
            if (!expected.isArray())
                return QStringLiteral("\"%1\" on a list fact needs a list value").arg(op);
            for (const QJsonValue &item : expected.toArray()) {
                if (!item.isString())
                    return QStringLiteral("the list value must hold strings");
            }
            return {};
        }
        if (!fitsScalar(expected, type))
            return QStringLiteral("the value is %1 but the fact is a %2")
                .arg(jsonTypeName(expected), factType);
        return {};
    }
    if (op == u"in" || op == u"notIn") {
        if (!expected.isArray() || expected.toArray().isEmpty())
            return QStringLiteral("\"%1\" needs a non-empty list value").arg(op);
        for (const QJsonValue &item : expected.toArray()) {
            if (!fitsScalar(item, type))
                return QStringLiteral("the list holds %1 but the fact is a %2")
                    .arg(jsonTypeName(item), factType);
        }
        return {};
    }
    if (op == u"matches") {
        if (type != FactType::String && type != FactType::List)
            return QStringLiteral("\"matches\" applies to string or list facts, not a %1")
                .arg(factType);
        if (!expected.isString())
            return QStringLiteral("\"matches\" needs a regular expression string");
        const QRegularExpression re(expected.toString());
        if (!re.isValid())
            return QStringLiteral("the regular expression is invalid: %1").arg(re.errorString());
        return {};
    }
    if (op == u"atLeast" || op == u"atMost") {
        if (type != FactType::Number && type != FactType::List)
            return QStringLiteral("\"%1\" applies to number or list facts, not a %2")
                .arg(op, factType);
        if (!expected.isDouble())
            return QStringLiteral("\"%1\" needs a number").arg(op);
        return {};
    }
    if (op == u"contains" || op == u"notContains") {
        if (type != FactType::String && type != FactType::List)
            return QStringLiteral("\"%1\" applies to string or list facts, not a %2")
                .arg(op, factType);
        if (!expected.isString())
            return QStringLiteral("\"%1\" needs a string value").arg(op);
        return {};
    }
    return {};
}

QString readableOrigin(const QString &origin)
{
    return origin.startsWith(u':')
        ? QStringLiteral("the built-in policy ") + QFileInfo(origin).fileName()
        : origin;
}

// The candidate folders of installed presets, most specific first.
QStringList presetFolders()
{
    QStringList folders;
    const QString beside = QCoreApplication::instance()
        ? QCoreApplication::applicationDirPath() + QStringLiteral("/../share/sessiondesk/policies")
        : QString();
    if (!beside.isEmpty())
        folders << QDir::cleanPath(beside);
    for (const QString &data :
         QStandardPaths::standardLocations(QStandardPaths::GenericDataLocation))
        folders << data + QStringLiteral("/sessiondesk/policies");
    folders.removeDuplicates();
    return folders;
}

bool sameValue(const QJsonValue &a, const QJsonValue &b, FactType type)
{
    if (type == FactType::Number)
        return a.isDouble() && b.isDouble() && a.toDouble() == b.toDouble();
    return a == b;
}

} // namespace

QString verdictName(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Pass:
        return QStringLiteral("PASS");
    case Verdict::Fail:
        return QStringLiteral("FAIL");
    case Verdict::Unknown:
        return QStringLiteral("UNKNOWN");
    }
    return {};
}

Result<Policy> Policy::parse(const QByteArray &json, const QString &origin)
{
    const QString where = readableOrigin(origin);
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        const QByteArray before = json.left(parseError.offset);
        const int line = int(before.count('\n')) + 1;
        const int column = int(parseError.offset - (before.lastIndexOf('\n') + 1)) + 1;
        return fail(Code::InvalidArgument,
                    QStringLiteral("The policy %1 is not valid JSON: line %2, column %3: %4.")
                        .arg(where)
                        .arg(line)
                        .arg(column)
                        .arg(parseError.errorString()));
    }
    if (!doc.isObject()) {
        return fail(Code::InvalidArgument,
                    QStringLiteral("The policy %1, line 1: the file must hold one JSON object.")
                        .arg(where));
    }
    const LineMap lines(json);
    const auto problem = [&](const QString &pointer, const QString &what) {
        return fail(Code::InvalidArgument,
                    QStringLiteral("The policy %1, line %2: %3.")
                        .arg(where)
                        .arg(lines.line(pointer))
                        .arg(what));
    };

    const QJsonObject root = doc.object();
    for (auto it = root.begin(); it != root.end(); ++it) {
        if (!kPolicyKeys.contains(it.key())) {
            return problem(u'/' + it.key(),
                           QStringLiteral("unknown key \"%1\" (known: %2)")
                               .arg(it.key(), kPolicyKeys.join(QStringLiteral(", "))));
        }
    }
    Policy policy;
    policy.origin = origin;
    policy.sha256 =
        QString::fromLatin1(QCryptographicHash::hash(json, QCryptographicHash::Sha256).toHex());
    policy.name = root.value(QStringLiteral("name")).toString();
    if (policy.name.isEmpty())
        return problem(QStringLiteral("/name"), QStringLiteral("\"name\" is missing or empty"));
    policy.title = root.value(QStringLiteral("title")).toString(policy.name);
    policy.description = root.value(QStringLiteral("description")).toString();
    policy.store = root.value(QStringLiteral("store")).toString();
    if (!QStringList{QStringLiteral("redis"), QStringLiteral("dynamodb"), QStringLiteral("any")}
             .contains(policy.store)) {
        return problem(QStringLiteral("/store"),
                       QStringLiteral("\"store\" must be \"redis\", \"dynamodb\" or \"any\""));
    }
    const QJsonValue rulesValue = root.value(QStringLiteral("rules"));
    if (!rulesValue.isArray() || rulesValue.toArray().isEmpty()) {
        return problem(QStringLiteral("/rules"),
                       QStringLiteral("\"rules\" must be a non-empty list of rules"));
    }
    QSet<QString> ids;
    const QJsonArray rules = rulesValue.toArray();
    for (qsizetype i = 0; i < rules.size(); ++i) {
        const QString at = QStringLiteral("/rules/%1").arg(i);
        if (!rules.at(i).isObject())
            return problem(at, QStringLiteral("rule %1 is not an object").arg(i + 1));
        const QJsonObject r = rules.at(i).toObject();
        PolicyRule rule;
        rule.line = lines.line(at);
        rule.id = r.value(QStringLiteral("id")).toString(QStringLiteral("rule-%1").arg(i + 1));
        const QString named = QStringLiteral("rule %1 (\"%2\")").arg(i + 1).arg(rule.id);
        for (auto it = r.begin(); it != r.end(); ++it) {
            if (!kRuleKeys.contains(it.key())) {
                return problem(at + u'/' + it.key(),
                               QStringLiteral("%1 has an unknown key \"%2\" (known: %3)")
                                   .arg(named, it.key(), kRuleKeys.join(QStringLiteral(", "))));
            }
        }
        if (ids.contains(rule.id))
            return problem(at + QStringLiteral("/id"),
                           QStringLiteral("%1 repeats an id used before").arg(named));
        ids.insert(rule.id);
        rule.fact = r.value(QStringLiteral("fact")).toString();
        if (rule.fact.isEmpty())
            return problem(at, QStringLiteral("%1 has no \"fact\"").arg(named));
        const auto spec = findFactSpec(rule.fact);
        if (!spec) {
            return problem(at + QStringLiteral("/fact"),
                           QStringLiteral("%1 names an unknown fact \"%2\"").arg(named, rule.fact));
        }
        if (policy.store != u"any" && spec->kind != policy.store) {
            return problem(at + QStringLiteral("/fact"),
                           QStringLiteral("%1 names the %2 fact \"%3\" in a %4 policy")
                               .arg(named, spec->kind, rule.fact, policy.store));
        }
        rule.op = r.value(QStringLiteral("op")).toString();
        if (!kOperators.contains(rule.op)) {
            return problem(at + QStringLiteral("/op"),
                           QStringLiteral("%1 has an unknown operator \"%2\" (known: %3)")
                               .arg(named, rule.op, kOperators.join(QStringLiteral(", "))));
        }
        rule.expected = r.value(QStringLiteral("value"));
        if (const QString why = typeProblem(rule.op, rule.expected, spec->type); !why.isEmpty())
            return problem(at + QStringLiteral("/value"), named + QStringLiteral(": ") + why);
        rule.severity = r.value(QStringLiteral("severity")).toString(QStringLiteral("medium"));
        if (!kSeverities.contains(rule.severity)) {
            return problem(at + QStringLiteral("/severity"),
                           QStringLiteral("%1 has an unknown severity \"%2\" (known: %3)")
                               .arg(named, rule.severity, kSeverities.join(QStringLiteral(", "))));
        }
        rule.text = r.value(QStringLiteral("rule")).toString();
        if (rule.text.isEmpty())
            return problem(at, QStringLiteral("%1 has no \"rule\" text").arg(named));
        rule.rationale = r.value(QStringLiteral("rationale")).toString();
        rule.reference = r.value(QStringLiteral("reference")).toString();
        for (const char *text : {"id", "rule", "rationale", "reference", "severity"}) {
            const QString key = QString::fromLatin1(text);
            if (r.contains(key) && !r.value(key).isString())
                return problem(at + u'/' + key,
                               QStringLiteral("%1: \"%2\" must be a string").arg(named, key));
        }
        policy.rules.append(rule);
    }
    return policy;
}

QString Policy::presetPath(const QString &name)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_.-]*$"));
    if (!plain.match(name).hasMatch())
        return {};
    const QString builtIn = QStringLiteral(":/policies/%1.json").arg(name);
    if (QFile::exists(builtIn))
        return builtIn;
    for (const QString &folder : presetFolders()) {
        const QString file = folder + u'/' + name + QStringLiteral(".json");
        if (QFileInfo(file).isFile())
            return file;
    }
    return {};
}

QStringList Policy::presetNames()
{
    QStringList names;
    QStringList folders = {QStringLiteral(":/policies")};
    folders << presetFolders();
    for (const QString &folder : std::as_const(folders)) {
        for (const QFileInfo &file :
             QDir(folder).entryInfoList({QStringLiteral("*.json")}, QDir::Files, QDir::Name))
            names << file.completeBaseName();
    }
    names.removeDuplicates();
    names.sort();
    return names;
}

Result<Policy> Policy::load(const QString &fileOrPreset)
{
    QString path = fileOrPreset;
    const bool looksLikeFile = fileOrPreset.contains(u'/')
        || fileOrPreset.endsWith(QStringLiteral(".json"), Qt::CaseInsensitive)
        || QFileInfo(fileOrPreset).isFile();
    if (!looksLikeFile) {
        path = presetPath(fileOrPreset);
        if (path.isEmpty()) {
            return fail(Code::InvalidArgument,
                        QStringLiteral("There is no policy file or preset named \"%1\" (presets: "
                                       "%2).")
                            .arg(fileOrPreset, presetNames().join(QStringLiteral(", "))));
        }
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return fail(
            Code::InvalidArgument,
            QStringLiteral("The policy %1 cannot be read: %2.").arg(path, file.errorString()));
    }
    return parse(file.readAll(), path);
}

QList<const RuleResult *> PolicyReport::resultsFor(const QString &factId) const
{
    QList<const RuleResult *> found;
    for (const RuleResult &r : results) {
        if (r.rule.fact == factId)
            found.append(&r);
    }
    return found;
}

QJsonObject PolicyReport::toJson() const
{
    QJsonArray rules;
    for (const RuleResult &r : results) {
        rules.append(
            QJsonObject{{QStringLiteral("id"), r.rule.id},
                        {QStringLiteral("fact"), r.rule.fact},
                        {QStringLiteral("op"), r.rule.op},
                        {QStringLiteral("value"),
                         r.rule.expected.isUndefined() ? QJsonValue() : r.rule.expected},
                        {QStringLiteral("severity"), r.rule.severity},
                        {QStringLiteral("rule"), r.rule.text},
                        {QStringLiteral("rationale"), r.rule.rationale},
                        {QStringLiteral("reference"), r.rule.reference},
                        {QStringLiteral("verdict"), verdictName(r.verdict)},
                        {QStringLiteral("evidence"), r.evidence},
                        {QStringLiteral("found"), r.fact.known ? r.fact.value : QJsonValue()},
                        {QStringLiteral("source"), r.fact.source}});
    }
    return {
        {QStringLiteral("name"), policyName},     {QStringLiteral("title"), policyTitle},
        {QStringLiteral("origin"), policyOrigin}, {QStringLiteral("sha256"), policySha256},
        {QStringLiteral("passed"), passed},       {QStringLiteral("failed"), failed},
        {QStringLiteral("unknown"), unknown},     {QStringLiteral("not_applicable"), notApplicable},
        {QStringLiteral("rules"), rules}};
}

Result<PolicyReport> evaluatePolicy(const Policy &policy, const StoreInfo &info)
{
    if (policy.store != u"any" && policy.store != info.kind) {
        const auto kindName = [](const QString &kind) {
            return kind == u"redis" ? QStringLiteral("Redis") : QStringLiteral("DynamoDB");
        };
        return fail(
            Code::InvalidArgument,
            QStringLiteral("The policy \"%1\" is for %2 stores, but %3 is a %4 store.")
                .arg(policy.name, kindName(policy.store), info.target, kindName(info.kind)));
    }
    PolicyReport report;
    report.policyName = policy.name;
    report.policyTitle = policy.title;
    report.policyOrigin = policy.origin;
    report.policySha256 = policy.sha256;
    for (const PolicyRule &rule : policy.rules) {
        const auto spec = findFactSpec(rule.fact);
        if (!spec || spec->kind != info.kind) {
            ++report.notApplicable;
            continue;
        }
        RuleResult result;
        result.rule = rule;
        if (const StoreFact *fact = info.fact(rule.fact)) {
            result.fact = *fact;
        } else {
            // In the catalog but not reported: a named thing that does not exist (an index, a
            // tag) is known to be absent; anything else the store could not tell.
            result.fact.id = rule.fact;
            result.fact.group = spec->group;
            result.fact.label = spec->label;
            result.fact.type = spec->type;
            result.fact.source = spec->source;
            result.fact.explanation = spec->explanation;
            result.fact.value = QJsonValue(QJsonValue::Null);
            bool exact = false;
            for (const FactSpec &s : factCatalog())
                exact |= s.id == rule.fact;
            if (exact) {
                result.fact.known = false;
                result.fact.unknownReason = QStringLiteral("the store did not report this fact");
                result.fact.display = QStringLiteral("unknown");
            } else {
                result.fact.display = QStringLiteral("absent");
            }
        }
        const StoreFact &f = result.fact;
        const QString found =
            QStringLiteral("%1 = %2 (%3)")
                .arg(rule.fact, f.value.isNull() ? f.display : jsonText(f.value), f.source);
        if (!f.known) {
            result.verdict = Verdict::Unknown;
            result.evidence = QStringLiteral("%1 is unknown: %2").arg(rule.fact, f.unknownReason);
        } else {
            const QJsonValue &v = f.value;
            const QJsonValue &e = rule.expected;
            const QJsonArray list = v.toArray();
            bool pass = false;
            const QString &op = rule.op;
            if (op == u"present") {
                pass = !v.isNull();
            } else if (op == u"absent") {
                pass = v.isNull();
            } else if (op == u"empty" || op == u"notEmpty") {
                const bool isEmpty = v.isNull() || (v.isArray() && list.isEmpty())
                    || (v.isString() && v.toString().isEmpty());
                pass = (op == u"empty") == isEmpty;
            } else if (v.isNull()) {
                pass = op == u"not" || op == u"notIn" || op == u"notContains";
            } else if (op == u"equals" || op == u"not") {
                pass = sameValue(v, e, f.type) == (op == u"equals");
            } else if (op == u"in" || op == u"notIn") {
                // A list fact is "in" when every element is.
                const QJsonArray allowed = e.toArray();
                const auto isIn = [&](const QJsonValue &item) {
                    for (const QJsonValue &a : allowed) {
                        if (sameValue(item, a,
                                      f.type == FactType::List ? FactType::String : f.type))
                            return true;
                    }
                    return false;
                };
                bool all = true;
                if (f.type == FactType::List) {
                    for (const QJsonValue &item : list)
                        all &= isIn(item);
                } else {
                    all = isIn(v);
                }
                pass = all == (op == u"in");
            } else if (op == u"matches") {
                const QRegularExpression re(e.toString());
                if (f.type == FactType::List) {
                    pass = true;
                    for (const QJsonValue &item : list)
                        pass &= re.match(item.toString()).hasMatch();
                } else {
                    pass = re.match(v.toString()).hasMatch();
                }
            } else if (op == u"atLeast" || op == u"atMost") {
                const double n = f.type == FactType::List ? double(list.size()) : v.toDouble();
                pass = op == u"atLeast" ? n >= e.toDouble() : n <= e.toDouble();
            } else if (op == u"contains" || op == u"notContains") {
                const bool has = f.type == FactType::List ? list.contains(e)
                                                          : v.toString().contains(e.toString());
                pass = has == (op == u"contains");
            }
            result.verdict = pass ? Verdict::Pass : Verdict::Fail;
            const QString wanted =
                kValueless.contains(op) ? op : QStringLiteral("%1 %2").arg(op, jsonText(e));
            result.evidence = pass ? QStringLiteral("%1; %2 holds").arg(found, wanted)
                                   : QStringLiteral("%1; expected %2").arg(found, wanted);
        }
        switch (result.verdict) {
        case Verdict::Pass:
            ++report.passed;
            break;
        case Verdict::Fail:
            ++report.failed;
            break;
        case Verdict::Unknown:
            ++report.unknown;
            break;
        }
        report.results.append(std::move(result));
    }
    return report;
}

} // namespace SessionDesk
