#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace SessionDesk {

// The type of a fact's value. Lists hold strings.
enum class FactType { Bool, Number, String, List };

QString factTypeName(FactType type); // "bool", "number", "string", "list"

// One setting of a store as an auditor reads it: typed, with where it came from and why it
// matters. A fact that could not be read (a permission the connection lacks, an operation the
// endpoint does not implement, a count that needs a scan) is unknown with the reason; a fact
// the store answered with "nothing" (no KMS key, no sort key) is known with a null value.
// Facts never hold a secret: passwords and password hashes are reduced to "set" / "not set".
struct StoreFact
{
    QString id; // stable, e.g. "redis.persistence.appendfsync"
    QString group; // "Persistence"
    QString label; // "AOF fsync policy"
    FactType type = FactType::String;
    QJsonValue value; // bool, double, string or array of strings; null when absent or unknown
    QString display; // what a person reads: "everysec", "off", "none"
    QString source; // the command or API: "CONFIG GET appendfsync", "DescribeContinuousBackups"
    QString explanation; // why an auditor cares, one sentence
    bool known = true;
    QString unknownReason; // with known == false: "NOPERM: …", "AccessDeniedException: …"

    QJsonObject toJson() const;
};

// What the catalog knows about a fact id. Ids may have one "*" segment standing for a name
// the store supplies (a GSI's or a tag's name): "dynamodb.gsi.*.projection".
struct FactSpec
{
    QString id;
    QString kind; // "redis" or "dynamodb"
    QString group;
    QString label; // "%1" stands for the "*" segment
    FactType type = FactType::String;
    QString source;
    QString explanation;
    // Set for facts that only a full count (describe) reads; settings() leaves them unknown.
    bool needsScan = false;
};

// Every fact id a store may report, so that a policy naming anything else is an error.
const QList<FactSpec> &factCatalog();
// The spec for `id` (exact, or matching a "*" pattern), or nullopt for an id no store reports.
std::optional<FactSpec> findFactSpec(const QString &id);

// Builds a store's facts from the catalog, so that labels, sources and explanations are the
// same everywhere. Unknown ids are a programming error and are added with their id as label.
class FactSheet
{
public:
    // A value the store answered. `display` defaults to a rendering of the value.
    void known(const QString &id, const QJsonValue &value, const QString &display = QString(),
               const QString &source = QString());
    // Known to be absent (no KMS key, no sort key): null value; `display` says what that means.
    void absent(const QString &id, const QString &display, const QString &source = QString());
    void unknown(const QString &id, const QString &reason, const QString &source = QString());
    void add(StoreFact fact) { m_facts.append(std::move(fact)); }
    const QList<StoreFact> &facts() const { return m_facts; }
    // The facts in catalog order (groups stay together).
    QList<StoreFact> take();

private:
    StoreFact make(const QString &id, const QString &source) const;
    QList<StoreFact> m_facts;
};

// The fact with `id` in `facts`, or null.
const StoreFact *findFact(const QList<StoreFact> &facts, const QString &id);
// Replaces the fact with the same id (e.g. a count a scan has now read), or appends it.
void replaceFact(QList<StoreFact> &facts, StoreFact fact);

// "yes"/"no", a whole number without separators, the text, or a comma-separated list.
QString displayValue(const QJsonValue &value, FactType type);

} // namespace SessionDesk
