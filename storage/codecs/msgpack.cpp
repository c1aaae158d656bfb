#include "msgpack.h"

#include "codecsupport.h"

#include <cstring>
#include <limits>

namespace SessionDesk::Codecs {

namespace {

using Kind = ValueNode::Kind;

class MsgpackReader
{
public:
    MsgpackReader(const QByteArray &raw, const DecodeLimits &limits)
        : m_raw(raw)
        , m_budget(limits)
    { }

    void read(ValueNode &root)
    {
        readValue(root);
        if (m_pos != m_raw.size())
            stop(
                QStringLiteral("%1 bytes follow the MessagePack value.").arg(m_raw.size() - m_pos));
    }

private:
    quint64 bigEndian(int size)
    {
        if (size > m_raw.size() - m_pos)
            stop(QStringLiteral("The MessagePack data ends early at byte %1.").arg(m_raw.size()));
        quint64 value = 0;
        for (int i = 0; i < size; ++i)
            value = (value << 8) | uchar(m_raw.at(m_pos + i));
        m_pos += size;
        return value;
    }

    QByteArray take(quint64 length, const char *what)
    {
        m_budget.checkLength(qint64(qMin<quint64>(length, quint64(1) << 62)), what);
        if (qint64(length) > m_raw.size() - m_pos) {
            stop(QStringLiteral("A %1 of %2 bytes at byte %3 runs past the end of the data.")
                     .arg(QLatin1StringView(what))
                     .arg(length)
                     .arg(m_pos));
        }
        const QByteArray out = m_raw.mid(m_pos, qsizetype(length));
        m_pos += qsizetype(length);
        return out;
    }

    void readArray(ValueNode &out, quint64 count)
    {
        DepthGuard depth(m_budget);
        out.kind = Kind::List;
        // No reserve(count): the count is untrusted; every element needs at least one byte.
        for (quint64 i = 0; i < count; ++i) {
            out.children.append(ValueNode());
            readValue(out.children.last());
        }
    }

    void readMap(ValueNode &out, quint64 count)
    {
        DepthGuard depth(m_budget);
        out.kind = Kind::Map;
        UniqueNames names;
        for (quint64 i = 0; i < count; ++i) {
            ValueNode key;
            readValue(key);
            out.children.append(ValueNode());
            out.children.last().name = names.take(keyText(key));
            m_budget.takeBytes(out.children.last().name.size());
            readValue(out.children.last());
        }
    }

    void readExtension(ValueNode &out, quint64 length)
    {
        const auto type = qint8(bigEndian(1));
        const QByteArray data = take(length, "extension");
        if (type == -1) {
            // Timestamp: 32-bit seconds; 30-bit nanoseconds and 34-bit seconds; or 32-bit
            // nanoseconds and signed 64-bit seconds.
            std::optional<qint64> seconds;
            quint32 nanos = 0;
            const auto be = [&](int at, int size) {
                quint64 value = 0;
                for (int i = 0; i < size; ++i)
                    value = (value << 8) | uchar(data.at(at + i));
                return value;
            };
            if (data.size() == 4) {
                seconds = qint64(be(0, 4));
            } else if (data.size() == 8) {
                const quint64 value = be(0, 8);
                nanos = quint32(value >> 34);
                seconds = qint64(value & 0x3ffffffffULL);
            } else if (data.size() == 12) {
                nanos = quint32(be(0, 4));
                seconds = qint64(be(4, 8));
            }
            if (seconds && nanos <= 999999999) {
                const int digits = nanos == 0 ? 0 : nanos % 1000 == 0 ? 6 : 9;
                const auto text = isoTime(*seconds, digits == 6 ? nanos / 1000 : nanos, digits, 0);
                if (text) {
                    out.kind = Kind::String;
                    out.scalar = *text;
                    out.typeName = QStringLiteral("timestamp");
                    return;
                }
            }
        }
        out.kind = Kind::Bytes;
        out.scalar = data;
        out.typeName = QStringLiteral("ext %1").arg(type);
    }

    void readValue(ValueNode &out)
    {
        m_budget.takeNode();
        const qsizetype at = m_pos;
        if (m_pos >= m_raw.size())
            stop(QStringLiteral("The MessagePack data ends early at byte %1.").arg(m_pos));
        const uchar type = uchar(m_raw.at(m_pos++));
        const auto setInteger = [&](qint64 value) {
            out.kind = Kind::Integer;
            out.scalar = value;
        };
        const auto setText = [&](quint64 length) {
            const QString name = out.name;
            out = textOrBytes(take(length, "string"));
            out.name = name;
        };
        const auto setBytes = [&](quint64 length) {
            out.kind = Kind::Bytes;
            out.scalar = take(length, "byte string");
        };
        if (type <= 0x7f)
            return setInteger(type);
        if (type >= 0xe0)
            return setInteger(qint8(type));
        if (type >= 0x80 && type <= 0x8f)
            return readMap(out, type & 0x0f);
        if (type >= 0x90 && type <= 0x9f)
            return readArray(out, type & 0x0f);
        if (type >= 0xa0 && type <= 0xbf)
            return setText(type & 0x1f);
        switch (type) {
        case 0xc0:
            out.kind = Kind::Null;
            return;
        case 0xc2:
        case 0xc3:
            out.kind = Kind::Bool;
            out.scalar = type == 0xc3;
            return;
        case 0xc4:
            return setBytes(bigEndian(1));
        case 0xc5:
            return setBytes(bigEndian(2));
        case 0xc6:
            return setBytes(bigEndian(4));
        case 0xc7:
            return readExtension(out, bigEndian(1));
        case 0xc8:
            return readExtension(out, bigEndian(2));
        case 0xc9:
            return readExtension(out, bigEndian(4));
        case 0xca: {
            const auto bits = quint32(bigEndian(4));
            float value;
            std::memcpy(&value, &bits, sizeof value);
            out.kind = Kind::Double;
            out.scalar = double(value);
            return;
        }
        case 0xcb: {
            const quint64 bits = bigEndian(8);
            double value;
            std::memcpy(&value, &bits, sizeof value);
            out.kind = Kind::Double;
            out.scalar = value;
            return;
        }
        case 0xcc:
            return setInteger(qint64(bigEndian(1)));
        case 0xcd:
            return setInteger(qint64(bigEndian(2)));
        case 0xce:
            return setInteger(qint64(bigEndian(4)));
        case 0xcf: {
            const quint64 value = bigEndian(8);
            if (value <= quint64(std::numeric_limits<qint64>::max()))
                return setInteger(qint64(value));
            out.kind = Kind::String;
            out.scalar = QString::number(value);
            out.typeName = QStringLiteral("uint64");
            return;
        }
        case 0xd0:
            return setInteger(qint8(bigEndian(1)));
        case 0xd1:
            return setInteger(qint16(bigEndian(2)));
        case 0xd2:
            return setInteger(qint32(bigEndian(4)));
        case 0xd3:
            return setInteger(qint64(bigEndian(8)));
        case 0xd4:
            return readExtension(out, 1);
        case 0xd5:
            return readExtension(out, 2);
        case 0xd6:
            return readExtension(out, 4);
        case 0xd7:
            return readExtension(out, 8);
        case 0xd8:
            return readExtension(out, 16);
        case 0xd9:
            return setText(bigEndian(1));
        case 0xda:
            return setText(bigEndian(2));
        case 0xdb:
            return setText(bigEndian(4));
        case 0xdc:
            return readArray(out, bigEndian(2));
        case 0xdd:
            return readArray(out, bigEndian(4));
        case 0xde:
            return readMap(out, bigEndian(2));
        case 0xdf:
            return readMap(out, bigEndian(4));
        default: // 0xc1 is never used
            stop(QStringLiteral("Byte 0x%1 at byte %2 is not a MessagePack type.")
                     .arg(type, 2, 16, QLatin1Char('0'))
                     .arg(at));
        }
    }

    const QByteArray &m_raw;
    DecodeBudget m_budget;
    qsizetype m_pos = 0;
};

} // namespace

bool looksLikeMsgpackMap(QByteArrayView raw)
{
    if (raw.size() < 2)
        return false;
    const auto first = uchar(raw[0]);
    return (first >= 0x80 && first <= 0x8f) || first == 0xde || first == 0xdf;
}

DecodedValue decodeMsgpack(const QByteArray &raw, const DecodeLimits &limits)
{
    DecodedValue decoded;
    decoded.encoding = QStringLiteral("msgpack");
    try {
        MsgpackReader(raw, limits).read(decoded.root);
    } catch (const DecodeStop &stopped) {
        decoded.warning = stopped.message;
    }
    return decoded;
}

} // namespace SessionDesk::Codecs
