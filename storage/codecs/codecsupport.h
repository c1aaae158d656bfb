#pragma once

// Helpers shared by the binary decoders (Ruby Marshal, pickle, msgpack): limits, map keys,
// big integers and times. Internal to storage/codecs.

#include "codec.h"

#include <QSet>

#include <optional>

namespace SessionDesk::Codecs {

// Why a decode stopped. Decoders throw it from deep inside and catch it at their entry point,
// where the tree built so far is kept and the message becomes DecodedValue::warning.
struct DecodeStop
{
    QString message;
};
[[noreturn]] void stop(const QString &message);

// Counts nodes and nesting against DecodeLimits; throws DecodeStop past a limit.
class DecodeBudget
{
public:
    explicit DecodeBudget(const DecodeLimits &limits)
        : m_limits(limits)
    { }
    const DecodeLimits &limits() const { return m_limits; }
    void takeNode();
    void checkLength(qint64 bytes, const char *what) const;
    // Counts text or bytes placed in the tree (maxTotalBytes).
    void takeBytes(qsizetype bytes);
    // takeBytes() for a scalar node's string or bytes.
    void takeBytes(const ValueNode &node);
    // Entered for every container; leave() must follow (use DepthGuard).
    void enter();
    void leave() { --m_depth; }
    int depth() const { return m_depth; }

private:
    DecodeLimits m_limits;
    qsizetype m_nodes = 0;
    qsizetype m_bytes = 0;
    int m_depth = 0;
};

class DepthGuard
{
public:
    explicit DepthGuard(DecodeBudget &budget)
        : m_budget(budget)
    {
        m_budget.enter();
    }
    ~DepthGuard() { m_budget.leave(); }
    DepthGuard(const DepthGuard &) = delete;
    DepthGuard &operator=(const DepthGuard &) = delete;

private:
    DecodeBudget &m_budget;
};

// Gives the children of one map unique names: a second "a" becomes "a#2", so that no value is
// hidden when the tree is shown as a JSON object.
class UniqueNames
{
public:
    QString take(const QString &name);

private:
    QSet<QString> m_used;
};

// A map key of any kind as the name of a map child: text as is, numbers in decimal, anything
// else as compact JSON. Names are cut at kMaxKeyChars (ending in "…"): a key that is a map
// whose keys are maps would otherwise grow exponentially, each level escaping the one inside.
inline constexpr qsizetype kMaxKeyChars = 1024;
QString keyText(const ValueNode &key);

ValueNode scalarNode(ValueNode::Kind kind, const QVariant &value, const QString &typeName = {});

// A string node when `bytes` is valid UTF-8, else a bytes node.
ValueNode textOrBytes(const QByteArray &bytes, const QString &typeName = {});

// Decimal text of a big integer given as little-endian magnitude bytes. Magnitudes longer than
// kMaxDecimalBytes are shown in hexadecimal ("0x…"), which costs no quadratic conversion.
inline constexpr qsizetype kMaxDecimalBytes = 1024;
QString bigIntegerText(QByteArrayView magnitudeLittleEndian, bool negative);
// A little-endian two's complement integer as a node: Integer when it fits 64 bits, else a
// String holding its digits with `bigTypeName`.
ValueNode twosComplementNode(QByteArrayView littleEndian, const QString &bigTypeName);
// A little-endian magnitude with a sign as a node, as above.
ValueNode magnitudeNode(QByteArrayView littleEndian, bool negative, const QString &bigTypeName);

// ISO-8601 text of an instant with `fractionDigits` digits of `fraction` (none when 0), shown
// at the given UTC offset: "Z" for 0, "+01:00" and so on, nothing for a naive (local) time.
// Nullopt outside the years 1–9999.
std::optional<QString> isoTime(qint64 secondsSinceEpoch, qint64 fraction, int fractionDigits,
                               std::optional<int> offsetSeconds);
// Calendar fields to ISO-8601 text; nullopt when they do not form a valid date and time.
std::optional<QString> isoTime(int year, int month, int day, int hour, int minute, int second,
                               int microsecond, std::optional<int> offsetSeconds);

} // namespace SessionDesk::Codecs
