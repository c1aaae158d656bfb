#pragma once

// What every fuzz target does with a decoded value: what the front ends do with it. Mark
// secrets, render the tree masked and revealed (and serialise it as the CLI does), look for a
// user; and check the decoder's promises (limits kept, no cycles, a warning when partial).

#include "codecs/codec.h"
#include "valuetree.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdint>
#include <cstdlib>

namespace SessionDesk::Fuzz {

// Small limits reach the limit paths with small inputs.
inline Codecs::DecodeLimits tightLimits()
{
    Codecs::DecodeLimits limits;
    limits.maxDepth = 6;
    limits.maxNodes = 300;
    limits.maxStringBytes = 512;
    limits.maxTotalBytes = 4096;
    return limits;
}

inline void require(bool condition)
{
    if (!condition)
        std::abort(); // a broken promise is a finding
}

inline int depthOf(const ValueNode &node, qsizetype &nodes)
{
    ++nodes;
    int deepest = 0;
    for (const ValueNode &child : node.children)
        deepest = qMax(deepest, depthOf(child, nodes));
    return deepest + (node.isContainer() ? 1 : 0);
}

inline void exercise(DecodedValue decoded, const Codecs::DecodeLimits &limits)
{
    qsizetype nodes = 0;
    require(depthOf(decoded.root, nodes) <= limits.maxDepth + 1);
    require(nodes <= limits.maxNodes + 1);
    markSecrets(decoded.root);
    for (const bool reveal : {false, true}) {
        const QJsonValue json = toJson(decoded.root, reveal);
        if (json.isObject())
            (void)QJsonDocument(json.toObject()).toJson(QJsonDocument::Compact);
        else if (json.isArray())
            (void)QJsonDocument(json.toArray()).toJson(QJsonDocument::Compact);
    }
    (void)findUser(decoded.root,
                   {QStringLiteral("user_id"), QStringLiteral("passport.user"),
                    QStringLiteral("_user_id"), QStringLiteral("warden.user.user.key.0.0"),
                    QStringLiteral("a.0.b.1")});
}

using Decoder = DecodedValue (*)(const QByteArray &, const Codecs::DecodeLimits &);

// The body of LLVMFuzzerTestOneInput for one decoder: default and tight limits.
inline int run(Decoder decode, const uint8_t *data, size_t size)
{
    const QByteArray raw(reinterpret_cast<const char *>(data), qsizetype(size));
    exercise(decode(raw, {}), {});
    exercise(decode(raw, tightLimits()), tightLimits());
    return 0;
}

} // namespace SessionDesk::Fuzz
