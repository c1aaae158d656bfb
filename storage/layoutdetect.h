#pragma once

#include "sessionlayout.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

#include <optional>

namespace SessionDesk {

// One key a store sampled for auto-detection: its type and, for strings and hashes, what it
// holds (possibly left empty for keys beyond the store's value budget).
struct KeySample
{
    QByteArray key;
    QByteArray type; // "string", "hash", "set", ...
    QByteArray value; // string keys
    QList<QPair<QByteArray, QByteArray>> fields; // hash keys
    bool valueRead = false;
};

// What speaks for one preset in a sample.
struct LayoutCandidate
{
    QString schema;
    int sessionKeys = 0; // keys of its session pattern
    int encoded = 0; // of those, holding the type and encoding the framework writes
    int withUser = 0; // of those, naming a user at one of its user paths
    int explained = 0; // bookkeeping keys its shadow keys, index or revoke steps account for
    QStringList encodingsSeen;
    QList<QByteArray> claimed; // the keys counted in `encoded`
    QString evidence; // one phrase: "5 keys session:<id> holding pickle, 4 with _user_id"
};

struct LayoutDetection
{
    enum class Outcome {
        Detected, // one preset explains the sample
        EmptyStore, // nothing to sample: connect-redis
        NoMatch, // keys, but none a session of a known preset: connect-redis
        Undecided, // several presets each explain many keys the others do not
    };
    Outcome outcome = Outcome::EmptyStore;
    SessionLayout layout; // the chosen preset with the overrides applied (not for Undecided)
    QList<LayoutCandidate> candidates; // with evidence, best first
    qsizetype sampled = 0;
    // One sentence: which layout and why, or why none could be chosen (lists the candidates).
    QString explanation;
};

// Scores every Redis preset on the sample: key pattern, value type and encoding, users found at
// its user paths, and bookkeeping keys it accounts for. `requested` is the "auto" layout of the
// command line: a non-empty keyPrefix replaces each preset's prefix before scoring, and non-empty
// userFields / userIndexPattern replace the chosen preset's. `keysInStore` (or -1) only words the
// explanation. Deterministic for a given sample.
LayoutDetection detectLayout(const QList<KeySample> &samples, const SessionLayout &requested,
                             qint64 keysInStore = -1);

// A key shown with its id replaced, "session:2::<id>", for evidence.
QString keyShape(const SessionLayout &layout);

} // namespace SessionDesk
