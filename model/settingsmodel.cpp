#include "settingsmodel.h"

#include <QFont>
#include <QLocale>

namespace SessionDesk {

namespace {

// FAIL outranks UNKNOWN outranks PASS: a fact shows the verdict that needs attention.
int worst(const QList<const RuleResult *> &results)
{
    int verdict = -1;
    const auto rank = [](Verdict v) {
        return v == Verdict::Fail ? 2 : v == Verdict::Unknown ? 1 : 0;
    };
    for (const RuleResult *r : results) {
        if (verdict < 0 || rank(r->verdict) > rank(Verdict(verdict)))
            verdict = int(r->verdict);
    }
    return verdict;
}

StoreFact plainRow(const QString &label, const QString &value)
{
    StoreFact row;
    row.group = QObject::tr("Store");
    row.label = label;
    row.display = value;
    row.source = QObject::tr("connection");
    return row;
}

} // namespace

SettingsModel::SettingsModel(QObject *parent)
    : QAbstractItemModel(parent)
{ }

QModelIndex SettingsModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    if (!parent.isValid())
        return createIndex(row, column, quintptr(0));
    return createIndex(row, column, quintptr(parent.row() + 1));
}

QModelIndex SettingsModel::parent(const QModelIndex &child) const
{
    if (!child.isValid() || child.internalId() == 0)
        return {};
    return createIndex(int(child.internalId() - 1), 0, quintptr(0));
}

int SettingsModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return int(m_groups.size());
    if (parent.internalId() != 0 || parent.column() != 0)
        return 0;
    return int(m_groups.at(parent.row()).facts.size());
}

int SettingsModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

const StoreFact *SettingsModel::factAt(const QModelIndex &index) const
{
    if (!index.isValid() || index.internalId() == 0)
        return nullptr;
    return &m_groups.at(int(index.internalId() - 1)).facts.at(index.row());
}

QString SettingsModel::details(const StoreFact &fact) const
{
    QStringList parts;
    parts << (fact.id.isEmpty() ? fact.label : QStringLiteral("%1 (%2)").arg(fact.label, fact.id));
    parts << tr("Value: %1").arg(fact.display);
    if (!fact.known)
        parts << tr("Unknown because: %1").arg(fact.unknownReason);
    if (!fact.source.isEmpty())
        parts << tr("Source: %1").arg(fact.source);
    if (!fact.explanation.isEmpty())
        parts << fact.explanation;
    if (m_report) {
        for (const RuleResult *r : m_report->resultsFor(fact.id)) {
            parts << QString();
            parts << tr("%1 [%2, %3]: %4")
                         .arg(verdictName(r->verdict), r->rule.id, r->rule.severity, r->rule.text);
            parts << tr("Evidence: %1").arg(r->evidence);
            if (!r->rule.rationale.isEmpty())
                parts << tr("Why: %1").arg(r->rule.rationale);
            if (!r->rule.reference.isEmpty())
                parts << tr("Reference: %1").arg(r->rule.reference);
        }
    }
    return parts.join(u'\n');
}

QVariant SettingsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const StoreFact *fact = factAt(index);
    if (!fact) {
        const Group &group = m_groups.at(index.row());
        if (role == IsGroupRole)
            return true;
        if (role == Qt::DisplayRole && index.column() == SettingColumn)
            return group.name;
        if (role == Qt::DisplayRole && index.column() == VerdictColumn && m_report) {
            int pass = 0, fail = 0, unknown = 0;
            for (const StoreFact &f : group.facts) {
                for (const RuleResult *r : m_report->resultsFor(f.id)) {
                    pass += r->verdict == Verdict::Pass;
                    fail += r->verdict == Verdict::Fail;
                    unknown += r->verdict == Verdict::Unknown;
                }
            }
            QStringList counts;
            if (fail)
                counts << tr("%1 FAIL").arg(fail);
            if (unknown)
                counts << tr("%1 UNKNOWN").arg(unknown);
            if (pass)
                counts << tr("%1 PASS").arg(pass);
            return counts.join(QStringLiteral(", "));
        }
        if (role == Qt::FontRole && index.column() == SettingColumn) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    }
    const QList<const RuleResult *> results = m_report && !fact->id.isEmpty()
        ? m_report->resultsFor(fact->id)
        : QList<const RuleResult *>();
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case SettingColumn:
            return fact->label;
        case ValueColumn:
            return fact->display;
        case VerdictColumn: {
            const int verdict = worst(results);
            return verdict < 0 ? QString() : verdictName(Verdict(verdict));
        }
        case SourceColumn:
            return fact->source;
        }
        return {};
    case Qt::ToolTipRole:
    case DetailsRole:
        return details(*fact);
    case FactIdRole:
        return fact->id;
    case VerdictRole:
        return worst(results);
    case IsGroupRole:
        return false;
    case Qt::AccessibleDescriptionRole:
        if (index.column() == VerdictColumn && !results.isEmpty())
            return tr("verdict %1").arg(verdictName(Verdict(worst(results))));
        return {};
    }
    return {};
}

QVariant SettingsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case SettingColumn:
        return tr("Setting");
    case ValueColumn:
        return tr("Value");
    case VerdictColumn:
        return tr("Verdict");
    case SourceColumn:
        return tr("Source");
    }
    return {};
}

void SettingsModel::setInfo(const StoreInfo &info)
{
    m_info = info;
    evaluate();
    rebuild();
}

void SettingsModel::setPolicy(const std::optional<Policy> &policy)
{
    m_policy = policy;
    evaluate();
    rebuild();
}

void SettingsModel::clear()
{
    beginResetModel();
    m_info = {};
    m_report.reset();
    m_policyError.clear();
    m_groups.clear();
    endResetModel();
}

void SettingsModel::evaluate()
{
    m_report.reset();
    m_policyError.clear();
    if (!m_policy || m_info.kind.isEmpty())
        return;
    auto report = evaluatePolicy(*m_policy, m_info);
    if (report)
        m_report = *report;
    else
        m_policyError = report.error().message;
}

void SettingsModel::rebuild()
{
    beginResetModel();
    m_groups.clear();
    if (!m_info.kind.isEmpty()) {
        const QLocale locale;
        Group store{tr("Store"), {}};
        store.facts << plainRow(tr("Kind"), m_info.kind) << plainRow(tr("Target"), m_info.target)
                    << plainRow(tr("Layout"), m_info.layout);
        if (m_info.sessions >= 0)
            store.facts << plainRow(tr("Sessions"), locale.toString(m_info.sessions));
        m_groups.append(store);
        QList<StoreFact> facts = m_info.facts;
        // Rules about things the store does not have (an index, a tag) get a row of their own.
        if (m_report) {
            for (const RuleResult &r : m_report->results) {
                if (!findFact(facts, r.fact.id))
                    facts.append(r.fact);
            }
        }
        for (const StoreFact &fact : std::as_const(facts)) {
            auto it = std::find_if(m_groups.begin(), m_groups.end(),
                                   [&](const Group &g) { return g.name == fact.group; });
            if (it == m_groups.end())
                m_groups.append(Group{fact.group, {fact}});
            else
                it->facts.append(fact);
        }
    }
    endResetModel();
}

QString SettingsModel::summaryText() const
{
    if (!m_report)
        return {};
    return tr("%1: %2 PASS, %3 FAIL, %4 UNKNOWN")
        .arg(m_report->policyName)
        .arg(m_report->passed)
        .arg(m_report->failed)
        .arg(m_report->unknown);
}

QModelIndex SettingsModel::indexOfFact(const QString &factId, int column) const
{
    for (int g = 0; g < m_groups.size(); ++g) {
        for (int f = 0; f < m_groups.at(g).facts.size(); ++f) {
            if (m_groups.at(g).facts.at(f).id == factId)
                return index(f, column, index(g, 0));
        }
    }
    return {};
}

QString SettingsModel::toText() const
{
    QString text;
    for (const Group &group : m_groups) {
        for (const StoreFact &fact : group.facts)
            text += fact.label.toLower() + QStringLiteral(": ") + fact.display + u'\n';
    }
    return text;
}

} // namespace SessionDesk
