#pragma once

// Helpers shared by the codec unit tests (tst_codecs_*.cpp, tst_masking.cpp).

#include "codecs/codec.h"
#include "valuetree.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <functional>

namespace CodecTesting {

using namespace SessionDesk;

// A byte string literal with every byte up to its end, NULs included.
template <size_t N> QByteArray lit(const char (&bytes)[N])
{
    return QByteArray(bytes, N - 1);
}

inline QByteArray fixture(const QString &relative)
{
    QFile file(QStringLiteral(CODEC_DATA_DIR "/") + relative);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("Cannot read test data %s", qPrintable(file.fileName()));
    return file.readAll();
}

// The tree as compact JSON text; NaN and infinities become null, as QJsonDocument writes them.
inline QByteArray json(const ValueNode &node, bool reveal = true)
{
    const QJsonValue value = toJson(node, reveal);
    if (value.isObject())
        return QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    if (value.isArray())
        return QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    return QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
}

inline void walk(const ValueNode &node, const std::function<void(const ValueNode &)> &visit)
{
    visit(node);
    for (const ValueNode &child : node.children)
        walk(child, visit);
}

inline qsizetype nodeCount(const ValueNode &node)
{
    qsizetype n = 0;
    walk(node, [&](const ValueNode &) { ++n; });
    return n;
}

inline int depth(const ValueNode &node)
{
    int deepest = 0;
    for (const ValueNode &child : node.children)
        deepest = qMax(deepest, depth(child));
    return deepest + (node.isContainer() ? 1 : 0);
}

// The small limits the fuzz targets use too (tests/fuzz/fuzzharness.h).
inline Codecs::DecodeLimits tightLimits()
{
    Codecs::DecodeLimits limits;
    limits.maxDepth = 6;
    limits.maxNodes = 300;
    limits.maxStringBytes = 512;
    limits.maxTotalBytes = 4096;
    return limits;
}

// What every consumer does with a decoded value; none of it may crash on any tree.
inline void exercise(DecodedValue decoded)
{
    markSecrets(decoded.root);
    (void)toJson(decoded.root, false);
    (void)toJson(decoded.root, true);
    (void)findUser(decoded.root, {QStringLiteral("user_id"), QStringLiteral("a.0.b")});
}

// Decodes every proper prefix of `raw`: each must stop with a warning (never a crash, never a
// silent success), keep within the limits, and take no noticeable time.
inline void checkEveryTruncation(const QByteArray &raw,
                                 DecodedValue (*decode)(const QByteArray &,
                                                        const Codecs::DecodeLimits &))
{
    const Codecs::DecodeLimits limits;
    for (qsizetype n = 0; n < raw.size(); ++n) {
        const DecodedValue decoded = decode(raw.left(n), limits);
        if (decoded.warning.isEmpty()) {
            QFAIL(qPrintable(QStringLiteral("The first %1 of %2 bytes decoded without a warning.")
                                 .arg(n)
                                 .arg(raw.size())));
        }
        QVERIFY(depth(decoded.root) <= limits.maxDepth + 1);
        exercise(decoded);
        exercise(decodeValue(raw.left(n)));
    }
}

// Runs `decode` and fails unless it returns a warning within `milliseconds` (generous: the
// test machines are shared; a decoder without limits takes minutes or never ends).
inline DecodedValue decodeBomb(const QByteArray &raw,
                               DecodedValue (*decode)(const QByteArray &,
                                                      const Codecs::DecodeLimits &),
                               int milliseconds = 5000)
{
    QElapsedTimer timer;
    timer.start();
    DecodedValue decoded = decode(raw, {});
    const qint64 elapsed = timer.elapsed();
    if (elapsed > milliseconds)
        qWarning("decoding took %lld ms", elapsed);
    [&] {
        QVERIFY2(elapsed <= milliseconds, "the decoder did not stop quickly");
        QVERIFY2(!decoded.warning.isEmpty(), "a bomb decoded without a warning");
        QVERIFY(depth(decoded.root) <= Codecs::DecodeLimits().maxDepth + 1);
        QVERIFY(nodeCount(decoded.root) <= Codecs::DecodeLimits().maxNodes + 1);
    }();
    exercise(decoded);
    return decoded;
}

} // namespace CodecTesting
