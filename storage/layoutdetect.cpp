#include "layoutdetect.h"

#include "valuetree.h"

#include <QSet>

#include <algorithm>
#include <cmath>

namespace SessionDesk {

namespace {

// Values larger than this are classified by their first bytes but not decoded for a user.
constexpr qsizetype kDecodeBudget = 256 * 1024;

// Globs for the keys a preset's shadow keys, user index and revoke steps name, with every
// placeholder a wildcard: the bookkeeping a preset positively accounts for.
QList<QByteArray> explainingGlobs(const SessionLayout &layout)
{
    QStringList templates;
    if (!layout.ttlKey.isEmpty())
        templates << layout.ttlKey;
    if (layout.hasUserIndex())
        templates << layout.userIndexPattern;
    for (const SessionLayout::RevokeStep &step : layout.revokeSteps)
        templates << step.key; // e.g. phpredis' "{key}_LOCK", Spring's shadow key
    QList<QByteArray> globs;
    for (const QString &text : std::as_const(templates)) {
        QByteArray glob;
        qsizetype at = 0;
        while (at < text.size()) {
            const qsizetype open = text.indexOf(u'{', at);
            const qsizetype close = open < 0 ? -1 : text.indexOf(u'}', open);
            if (open < 0 || close < 0) {
                glob += globEscape(text.mid(at).toUtf8());
                break;
            }
            glob += globEscape(text.mid(at, open - at).toUtf8());
            const QString name = text.mid(open + 1, close - open - 1);
            if (name == u"prefix")
                glob += globEscape(layout.keyPrefix);
            else if (name == u"key")
                glob += globEscape(layout.keyPrefix) + '*';
            else
                glob += '*';
            at = close + 1;
        }
        globs.append(glob);
    }
    return globs;
}

bool typeMatches(const SessionLayout &layout, const QByteArray &type)
{
    return layout.valueType == SessionLayout::ValueType::Hash ? type == "hash" : type == "string";
}

QString joinNames(const QStringList &names)
{
    if (names.size() <= 1)
        return names.value(0);
    return names.mid(0, names.size() - 1).join(QStringLiteral(", ")) + QStringLiteral(" and ")
        + names.last();
}

QString plural(qsizetype n, const QString &one, const QString &many)
{
    return QStringLiteral("%1 %2").arg(n).arg(n == 1 ? one : many);
}

} // namespace

QString keyShape(const SessionLayout &layout)
{
    QString id = QStringLiteral("<id>");
    if (layout.publicIdHash == SessionLayout::PublicIdHash::Sha256Hex)
        id = QString::fromUtf8(layout.privateIdPrefix) + QStringLiteral("<sha256>");
    return displayBytes(layout.keyPrefix) + id;
}

LayoutDetection detectLayout(const QList<KeySample> &samples, const SessionLayout &requested,
                             qint64 keysInStore)
{
    LayoutDetection detection;
    detection.sampled = samples.size();

    QList<SessionLayout> presets;
    for (const QString &name : SessionLayout::redisPresetNames()) {
        SessionLayout layout = *SessionLayout::preset(name);
        if (!requested.keyPrefix.isEmpty())
            layout.keyPrefix = requested.keyPrefix;
        presets.append(layout);
    }

    // Values are decoded once however many presets look at them.
    QHash<QByteArray, QString> encodingOf;
    QHash<QByteArray, DecodedValue> decodedOf;
    const auto decoded = [&](const KeySample &s) -> const DecodedValue & {
        auto it = decodedOf.find(s.key);
        if (it == decodedOf.end()) {
            DecodedValue value;
            if (s.type == "hash")
                value = decodeHashFields(s.fields);
            else if (s.value.size() <= kDecodeBudget)
                value = decodeValue(s.value);
            it = decodedOf.insert(s.key, value);
        }
        return *it;
    };
    const auto encoding = [&](const KeySample &s) {
        auto it = encodingOf.find(s.key);
        if (it != encodingOf.end())
            return *it;
        QString name;
        if (s.type == "string") {
            name = s.valueRead ? classifyValue(s.value) : QString();
        } else if (s.type == "hash") {
            // A hash's encoding is that of its field values, when they agree.
            QSet<QString> kinds;
            for (const auto &[field, value] : s.fields) {
                if (!value.isEmpty())
                    kinds.insert(classifyValue(value));
            }
            name = kinds.size() == 1 ? *kinds.begin() : QStringLiteral("mixed");
        }
        encodingOf.insert(s.key, name);
        return name;
    };

    for (qsizetype p = 0; p < presets.size(); ++p) {
        const SessionLayout &layout = presets.at(p);
        const SessionFieldReader reader(layout);
        const QList<QByteArray> explaining = explainingGlobs(layout);
        LayoutCandidate candidate;
        candidate.schema = layout.schema;
        QSet<QString> seen;
        for (const KeySample &s : samples) {
            if (layout.idFromKey(s.key)) {
                ++candidate.sessionKeys;
                if (!typeMatches(layout, s.type) || !s.valueRead)
                    continue;
                const QString kind = encoding(s);
                if (!layout.encodings.contains(kind))
                    continue;
                ++candidate.encoded;
                candidate.claimed.append(s.key);
                seen.insert(kind);
                const DecodedValue &value = decoded(s);
                if (!reader.readTree(value.root, true).user.isEmpty())
                    ++candidate.withUser;
            } else if (std::any_of(
                           explaining.begin(), explaining.end(),
                           [&](const QByteArray &glob) { return globMatch(glob, s.key); })) {
                ++candidate.explained;
            }
        }
        candidate.encodingsSeen = seen.values();
        candidate.encodingsSeen.sort();
        if (candidate.sessionKeys == 0)
            continue;
        QString evidence = QStringLiteral("%1 %2").arg(
            plural(candidate.sessionKeys, QStringLiteral("key"), QStringLiteral("keys")),
            keyShape(layout));
        if (candidate.encoded > 0) {
            evidence +=
                QStringLiteral(", %1 holding %2")
                    .arg(candidate.encoded)
                    .arg(layout.valueType == SessionLayout::ValueType::Hash
                             ? QStringLiteral("hashes of %1 values")
                                   .arg(joinNames(candidate.encodingsSeen))
                             : joinNames(candidate.encodingsSeen) + QStringLiteral(" values"));
            if (candidate.withUser > 0)
                evidence += QStringLiteral(", %1 naming a user").arg(candidate.withUser);
        } else {
            evidence += QStringLiteral(", none holding %1")
                            .arg(layout.encodings.join(QStringLiteral(" or ")));
        }
        if (candidate.explained > 0)
            evidence += QStringLiteral(", %1 of its bookkeeping")
                            .arg(plural(candidate.explained, QStringLiteral("key"),
                                        QStringLiteral("keys")));
        candidate.evidence = evidence;
        detection.candidates.append(candidate);
    }
    // Best first: most sessions in the framework's encoding, then the most bookkeeping accounted
    // for (Spring's indexed repository over the plain one), then users found; ties keep the
    // preset order.
    std::stable_sort(detection.candidates.begin(), detection.candidates.end(),
                     [](const LayoutCandidate &a, const LayoutCandidate &b) {
                         if (a.encoded != b.encoded)
                             return a.encoded > b.encoded;
                         if (a.explained != b.explained)
                             return a.explained > b.explained;
                         return a.withUser > b.withUser;
                     });

    const auto finish = [&](const QString &schema) {
        SessionLayout layout = *SessionLayout::preset(schema);
        if (!requested.keyPrefix.isEmpty())
            layout.keyPrefix = requested.keyPrefix;
        if (!requested.userFields.isEmpty())
            layout.userFields = requested.userFields;
        if (!requested.userIndexPattern.isEmpty())
            layout.userIndexPattern = requested.userIndexPattern;
        detection.layout = layout;
    };
    const QString sampledText = keysInStore > samples.size()
        ? QStringLiteral("%1 of the store's %2 keys").arg(samples.size()).arg(keysInStore)
        : plural(samples.size(), QStringLiteral("key"), QStringLiteral("keys"));

    if (samples.isEmpty()) {
        detection.outcome = LayoutDetection::Outcome::EmptyStore;
        finish(QStringLiteral("connect-redis"));
        detection.explanation = QStringLiteral("Layout connect-redis: the store is empty, so "
                                               "there is nothing to detect (choose another with "
                                               "--schema).");
        return detection;
    }
    if (detection.candidates.isEmpty() || detection.candidates.first().encoded == 0) {
        detection.outcome = LayoutDetection::Outcome::NoMatch;
        finish(QStringLiteral("connect-redis"));
        QString seen;
        if (!detection.candidates.isEmpty()) {
            QStringList parts;
            for (const LayoutCandidate &c : std::as_const(detection.candidates))
                parts << QStringLiteral("%1 (%2)").arg(c.schema, c.evidence);
            seen = QStringLiteral("; nearest: ") + parts.join(QStringLiteral("; "));
        }
        detection.explanation =
            QStringLiteral("Layout connect-redis: none of the %1 sampled looks like a session of "
                           "a known framework%2 (choose one with --schema).")
                .arg(sampledText, seen);
        return detection;
    }

    const LayoutCandidate &best = detection.candidates.first();
    const QSet<QByteArray> bestKeys(best.claimed.begin(), best.claimed.end());
    QList<const LayoutCandidate *> rivals;
    for (qsizetype i = 1; i < detection.candidates.size(); ++i) {
        const LayoutCandidate &other = detection.candidates.at(i);
        qsizetype unexplained = 0;
        for (const QByteArray &key : other.claimed)
            unexplained += bestKeys.contains(key) ? 0 : 1;
        // Another framework's sessions beside the best one's: a few strays are tolerated, a
        // tenth or more of the sample is not.
        if (unexplained >= 2 && unexplained * 10 >= best.encoded)
            rivals.append(&other);
    }
    if (!rivals.isEmpty()) {
        detection.outcome = LayoutDetection::Outcome::Undecided;
        QStringList parts{QStringLiteral("%1 (%2)").arg(best.schema, best.evidence)};
        QStringList names{best.schema};
        for (const LayoutCandidate *rival : std::as_const(rivals)) {
            parts << QStringLiteral("%1 (%2)").arg(rival->schema, rival->evidence);
            names << rival->schema;
        }
        detection.explanation =
            QStringLiteral("Cannot tell the session layout: the %1 sampled hold sessions of "
                           "several frameworks: %2; choose one with --schema %3.")
                .arg(sampledText, parts.join(QStringLiteral("; ")),
                     names.join(QStringLiteral(" or --schema ")));
        return detection;
    }
    detection.outcome = LayoutDetection::Outcome::Detected;
    finish(best.schema);
    detection.explanation = QStringLiteral("Layout %1 (detected from %2 sampled: %3).")
                                .arg(best.schema, sampledText, best.evidence);
    return detection;
}

} // namespace SessionDesk
