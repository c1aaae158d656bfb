#include "codecsupport.h"

#include <QDate>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringDecoder>

#include <cstdlib>
#include <limits>
#include <vector>

namespace SessionDesk::Codecs {

void stop(const QString &message)
{
    throw DecodeStop{message};
}

void DecodeBudget::takeNode()
{
    if (++m_nodes > m_limits.maxNodes)
        stop(QStringLiteral("The value has more than %1 elements; the rest is not shown.")
                 .arg(m_limits.maxNodes));
}

void DecodeBudget::checkLength(qint64 bytes, const char *what) const
{
    if (bytes < 0 || bytes > m_limits.maxStringBytes) {
        stop(QStringLiteral("A %1 declares %2 bytes, more than the limit of %3.")
                 .arg(QLatin1StringView(what))
                 .arg(bytes)
                 .arg(m_limits.maxStringBytes));
    }
}

void DecodeBudget::takeBytes(qsizetype bytes)
{
    m_bytes += bytes;
    if (m_bytes > m_limits.maxTotalBytes)
        stop(QStringLiteral("The value holds more than %1 bytes of text; the rest is not shown.")
                 .arg(m_limits.maxTotalBytes));
}

void DecodeBudget::takeBytes(const ValueNode &node)
{
    if (node.kind == ValueNode::Kind::String)
        takeBytes(node.scalar.toString().size());
    else if (node.kind == ValueNode::Kind::Bytes)
        takeBytes(node.scalar.toByteArray().size());
}

void DecodeBudget::enter()
{
    if (++m_depth > m_limits.maxDepth) {
        --m_depth;
        stop(QStringLiteral("The value is nested more than %1 levels deep; the rest is not shown.")
                 .arg(m_limits.maxDepth));
    }
}

QString UniqueNames::take(const QString &name)
{
    if (!m_used.contains(name)) {
        m_used.insert(name);
        return name;
    }
    for (int n = 2;; ++n) {
        QString candidate = name + u'#' + QString::number(n);
        if (!m_used.contains(candidate)) {
            m_used.insert(candidate);
            return candidate;
        }
    }
}

namespace {

QString keyTextUncut(const ValueNode &key)
{
    switch (key.kind) {
    case ValueNode::Kind::String:
        return key.scalar.toString();
    case ValueNode::Kind::Bytes:
        return displayBytes(key.scalar.toByteArray().left(4 * kMaxKeyChars));
    case ValueNode::Kind::Integer:
        return QString::number(key.scalar.toLongLong());
    case ValueNode::Kind::Double:
        return QString::number(key.scalar.toDouble(), 'g', 17);
    case ValueNode::Kind::Bool:
        return key.scalar.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case ValueNode::Kind::Null:
        return QStringLiteral("null");
    case ValueNode::Kind::List:
    case ValueNode::Kind::Map:
        break;
    }
    const QJsonValue json = toJson(key, true);
    return QString::fromUtf8(json.isArray()
                                 ? QJsonDocument(json.toArray()).toJson(QJsonDocument::Compact)
                                 : QJsonDocument(json.toObject()).toJson(QJsonDocument::Compact));
}

} // namespace

QString keyText(const ValueNode &key)
{
    QString text = keyTextUncut(key);
    if (text.size() > kMaxKeyChars) {
        text.truncate(kMaxKeyChars - 1);
        text += u'…';
    }
    return text;
}

ValueNode scalarNode(ValueNode::Kind kind, const QVariant &value, const QString &typeName)
{
    ValueNode node;
    node.kind = kind;
    node.scalar = value;
    node.typeName = typeName;
    return node;
}

ValueNode textOrBytes(const QByteArray &bytes, const QString &typeName)
{
    QStringDecoder decoder(QStringDecoder::Utf8,
                           QStringDecoder::Flag::Stateless
                               | QStringDecoder::Flag::ConvertInitialBom);
    QString text = decoder.decode(bytes);
    if (decoder.hasError())
        return scalarNode(ValueNode::Kind::Bytes, bytes, typeName);
    return scalarNode(ValueNode::Kind::String, text, typeName);
}

QString bigIntegerText(QByteArrayView magnitude, bool negative)
{
    qsizetype size = magnitude.size();
    while (size > 0 && magnitude[size - 1] == 0)
        --size;
    if (size == 0)
        return QStringLiteral("0");
    const QString sign = negative ? QStringLiteral("-") : QString();
    if (size > kMaxDecimalBytes) {
        static constexpr char digits[] = "0123456789abcdef";
        QByteArray hex = negative ? QByteArray("-0x") : QByteArray("0x");
        hex.reserve(size * 2 + 3);
        for (qsizetype i = size - 1; i >= 0; --i) {
            hex += digits[uchar(magnitude[i]) >> 4];
            hex += digits[uchar(magnitude[i]) & 0xf];
        }
        return QString::fromLatin1(hex);
    }
    // Base 2^32 limbs, most significant first, divided by 10^9 until nothing is left.
    std::vector<quint32> limbs((size + 3) / 4, 0);
    for (qsizetype i = 0; i < size; ++i)
        limbs[limbs.size() - 1 - i / 4] |= quint32(uchar(magnitude[i])) << (8 * (i % 4));
    std::vector<quint32> chunks; // base 10^9, least significant first
    size_t first = 0;
    while (first < limbs.size()) {
        quint64 remainder = 0;
        for (size_t i = first; i < limbs.size(); ++i) {
            const quint64 current = (remainder << 32) | limbs[i];
            limbs[i] = quint32(current / 1000000000u);
            remainder = current % 1000000000u;
        }
        chunks.push_back(quint32(remainder));
        while (first < limbs.size() && limbs[first] == 0)
            ++first;
    }
    QString digits = sign + QString::number(chunks.back());
    for (auto it = chunks.rbegin() + 1; it != chunks.rend(); ++it)
        digits += QStringLiteral("%1").arg(*it, 9, 10, QLatin1Char('0'));
    return digits;
}

ValueNode magnitudeNode(QByteArrayView littleEndian, bool negative, const QString &bigTypeName)
{
    qsizetype size = littleEndian.size();
    while (size > 0 && littleEndian[size - 1] == 0)
        --size;
    if (size <= 8) {
        quint64 magnitude = 0;
        for (qsizetype i = size - 1; i >= 0; --i)
            magnitude = (magnitude << 8) | uchar(littleEndian[i]);
        constexpr quint64 limit = quint64(std::numeric_limits<qint64>::max());
        if (magnitude <= limit) {
            const qint64 value = negative ? -qint64(magnitude) : qint64(magnitude);
            return scalarNode(ValueNode::Kind::Integer, value);
        }
        if (negative && magnitude == limit + 1)
            return scalarNode(ValueNode::Kind::Integer, std::numeric_limits<qint64>::min());
    }
    return scalarNode(ValueNode::Kind::String, bigIntegerText(littleEndian.first(size), negative),
                      bigTypeName);
}

ValueNode twosComplementNode(QByteArrayView littleEndian, const QString &bigTypeName)
{
    if (littleEndian.isEmpty())
        return scalarNode(ValueNode::Kind::Integer, qint64(0));
    const bool negative = uchar(littleEndian.back()) & 0x80;
    if (!negative)
        return magnitudeNode(littleEndian, false, bigTypeName);
    // Magnitude of a negative number: invert and add one.
    QByteArray magnitude(littleEndian.size(), Qt::Uninitialized);
    unsigned carry = 1;
    for (qsizetype i = 0; i < littleEndian.size(); ++i) {
        const unsigned sum = unsigned(uchar(~uchar(littleEndian[i]))) + carry;
        magnitude[i] = char(sum & 0xff);
        carry = sum >> 8;
    }
    return magnitudeNode(magnitude, true, bigTypeName);
}

namespace {

QString offsetText(std::optional<int> offsetSeconds)
{
    if (!offsetSeconds)
        return {};
    if (*offsetSeconds == 0)
        return QStringLiteral("Z");
    const int seconds = std::abs(*offsetSeconds);
    QString text = QStringLiteral("%1%2:%3")
                       .arg(QChar(*offsetSeconds < 0 ? u'-' : u'+'))
                       .arg(seconds / 3600, 2, 10, QLatin1Char('0'))
                       .arg(seconds / 60 % 60, 2, 10, QLatin1Char('0'));
    if (seconds % 60 != 0) // local mean time offsets such as +00:53:28
        text += QStringLiteral(":%1").arg(seconds % 60, 2, 10, QLatin1Char('0'));
    return text;
}

} // namespace

std::optional<QString> isoTime(qint64 secondsSinceEpoch, qint64 fraction, int fractionDigits,
                               std::optional<int> offsetSeconds)
{
    // 0001-01-01 and 9999-12-31T23:59:59, with a day of slack for the offset.
    constexpr qint64 earliest = -62135596800LL + 86400;
    constexpr qint64 latest = 253402300799LL - 86400;
    if (secondsSinceEpoch < earliest || secondsSinceEpoch > latest)
        return std::nullopt;
    if (offsetSeconds && (*offsetSeconds <= -86400 || *offsetSeconds >= 86400))
        return std::nullopt;
    const qint64 local = secondsSinceEpoch + offsetSeconds.value_or(0);
    qint64 days = local / 86400;
    qint64 secondOfDay = local % 86400;
    if (secondOfDay < 0) {
        secondOfDay += 86400;
        --days;
    }
    const QDate date = QDate::fromJulianDay(days + 2440588);
    QString text = QStringLiteral("%1-%2-%3T%4:%5:%6")
                       .arg(date.year(), 4, 10, QLatin1Char('0'))
                       .arg(date.month(), 2, 10, QLatin1Char('0'))
                       .arg(date.day(), 2, 10, QLatin1Char('0'))
                       .arg(secondOfDay / 3600, 2, 10, QLatin1Char('0'))
                       .arg(secondOfDay / 60 % 60, 2, 10, QLatin1Char('0'))
                       .arg(secondOfDay % 60, 2, 10, QLatin1Char('0'));
    if (fractionDigits > 0)
        text += u'.' + QStringLiteral("%1").arg(fraction, fractionDigits, 10, QLatin1Char('0'));
    return text + offsetText(offsetSeconds);
}

std::optional<QString> isoTime(int year, int month, int day, int hour, int minute, int second,
                               int microsecond, std::optional<int> offsetSeconds)
{
    if (year < 1 || year > 9999 || !QDate::isValid(year, month, day) || hour < 0 || hour > 23
        || minute < 0 || minute > 59 || second < 0 || second > 59 || microsecond < 0
        || microsecond > 999999) {
        return std::nullopt;
    }
    if (offsetSeconds && (*offsetSeconds <= -86400 || *offsetSeconds >= 86400))
        return std::nullopt;
    QString text = QStringLiteral("%1-%2-%3T%4:%5:%6")
                       .arg(year, 4, 10, QLatin1Char('0'))
                       .arg(month, 2, 10, QLatin1Char('0'))
                       .arg(day, 2, 10, QLatin1Char('0'))
                       .arg(hour, 2, 10, QLatin1Char('0'))
                       .arg(minute, 2, 10, QLatin1Char('0'))
                       .arg(second, 2, 10, QLatin1Char('0'));
    if (microsecond > 0)
        text += u'.' + QStringLiteral("%1").arg(microsecond, 6, 10, QLatin1Char('0'));
    return text + offsetText(offsetSeconds);
}

} // namespace SessionDesk::Codecs
