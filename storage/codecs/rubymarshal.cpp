#include "rubymarshal.h"

#include "codecsupport.h"

#include <QStringDecoder>

#include <algorithm>
#include <cmath>
#include <limits>

namespace SessionDesk::Codecs {

namespace {

using Kind = ValueNode::Kind;

// What Ruby's marshal.c calls the object table: every object that a later '@' link may name,
// in the order Ruby registers them. Scalars are kept so that a link can repeat them.
struct LinkTarget
{
    QString label; // "Hash", "Array", a class name
    std::optional<ValueNode> scalar; // set once a scalar object is complete
};

class MarshalReader
{
public:
    MarshalReader(const QByteArray &raw, const DecodeLimits &limits)
        : m_raw(raw)
        , m_budget(limits)
    { }

    // Reads the one object after the 04 08 signature into `root`; throws DecodeStop.
    void read(ValueNode &root)
    {
        m_pos = 2;
        readObject(root, nullptr);
        if (m_pos != m_raw.size())
            stop(QStringLiteral("%1 bytes follow the Marshal data.").arg(m_raw.size() - m_pos));
    }

private:
    // ---- bytes

    uchar byte()
    {
        if (m_pos >= m_raw.size())
            stop(QStringLiteral("The Marshal data ends early at byte %1.").arg(m_pos));
        return uchar(m_raw.at(m_pos++));
    }

    // Marshal's packed integer (w_long): one byte for -123..122, else a length byte and up to
    // four little-endian bytes.
    qint64 packedInt()
    {
        const auto c = qint8(byte());
        if (c == 0)
            return 0;
        if (c >= 5)
            return c - 5;
        if (c <= -5)
            return c + 5;
        if (c > 0) {
            qint64 value = 0;
            for (int i = 0; i < c; ++i)
                value |= qint64(byte()) << (8 * i);
            return value;
        }
        qint64 value = -1;
        for (int i = 0; i < -c; ++i) {
            value &= ~(qint64(0xff) << (8 * i));
            value |= qint64(byte()) << (8 * i);
        }
        return value;
    }

    QByteArray bytes(const char *what)
    {
        const qint64 length = packedInt();
        m_budget.checkLength(length, what);
        if (length > m_raw.size() - m_pos) {
            stop(QStringLiteral("A %1 of %2 bytes at byte %3 runs past the end of the data.")
                     .arg(QLatin1StringView(what))
                     .arg(length)
                     .arg(m_pos));
        }
        m_budget.takeBytes(length);
        const QByteArray out = m_raw.mid(m_pos, length);
        m_pos += length;
        return out;
    }

    qint64 count(const char *what)
    {
        const qint64 n = packedInt();
        if (n < 0)
            stop(QStringLiteral("A %1 declares a negative size at byte %2.")
                     .arg(QLatin1StringView(what))
                     .arg(m_pos));
        return n;
    }

    // ---- symbols

    QString symbolText(const QByteArray &bytes)
    {
        QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
        QString text = decoder.decode(bytes);
        return decoder.hasError() ? displayBytes(bytes) : text;
    }

    // A symbol (':') or a symbol link (';'), as what names classes, keys and instance variables.
    QString symbol()
    {
        const uchar type = byte();
        if (type == ':')
            return symbolBody(false);
        if (type == ';')
            return symbolLink();
        if (type == 'I' && m_pos < m_raw.size() && m_raw.at(m_pos) == ':') {
            ++m_pos;
            return symbolBody(true);
        }
        stop(QStringLiteral("Expected a symbol at byte %1, found 0x%2.")
                 .arg(m_pos - 1)
                 .arg(type, 2, 16, QLatin1Char('0')));
    }

    QString symbolBody(bool withIvars)
    {
        const QString text = symbolText(bytes("symbol"));
        m_symbols.append(text);
        if (withIvars) {
            // Only the encoding can follow; symbols are shown as UTF-8 either way.
            const qint64 n = count("symbol's encoding");
            for (qint64 i = 0; i < n; ++i) {
                symbol();
                ValueNode ignored;
                readObject(ignored, nullptr);
            }
        }
        return text;
    }

    QString symbolLink()
    {
        const qint64 index = packedInt();
        if (index < 0 || index >= m_symbols.size())
            stop(QStringLiteral("A symbol link at byte %1 names symbol %2, which was not read.")
                     .arg(m_pos)
                     .arg(index));
        // Repeats of a long symbol count, as each becomes text in the tree.
        m_budget.takeBytes(m_symbols.at(index).size());
        return m_symbols.at(index);
    }

    // ---- the object table

    qsizetype registerObject(const QString &label)
    {
        m_objects.append(LinkTarget{label, std::nullopt});
        return m_objects.size() - 1;
    }

    void completeScalar(qsizetype index, const ValueNode &node)
    {
        if (index >= 0 && index < m_objects.size() && !node.isContainer()) {
            ValueNode copy = node;
            copy.name.clear();
            m_objects[index].scalar = std::move(copy);
        }
    }

    void link(ValueNode &out)
    {
        const qint64 index = packedInt();
        if (index < 0 || index >= m_objects.size())
            stop(QStringLiteral("An object link at byte %1 names object %2, which was not read.")
                     .arg(m_pos)
                     .arg(index));
        const LinkTarget &target = m_objects.at(index);
        if (target.scalar) {
            m_budget.takeBytes(*target.scalar);
            const QString name = out.name;
            out = *target.scalar;
            out.name = name;
            return;
        }
        // A container: naming it keeps the tree finite even when the link is a cycle.
        out.kind = Kind::String;
        out.typeName = QStringLiteral("link");
        out.scalar =
            QStringLiteral("(object #%1, a %2 shown earlier)").arg(index).arg(target.label);
    }

    // ---- instance variables and encodings

    struct Ivar
    {
        QString name;
        ValueNode value;
    };

    QList<Ivar> ivars()
    {
        const qint64 n = count("list of instance variables");
        QList<Ivar> out;
        for (qint64 i = 0; i < n; ++i) {
            Ivar ivar;
            ivar.name = symbol();
            readObject(ivar.value, nullptr);
            out.append(std::move(ivar));
        }
        return out;
    }

    // Applies a string's encoding ivars (E true: UTF-8, E false: US-ASCII, encoding: a named
    // one) to a node holding the raw bytes. Without them the string is binary (ASCII-8BIT).
    static void applyEncoding(ValueNode &node, const QList<Ivar> &list)
    {
        if (node.kind != Kind::Bytes)
            return;
        const QByteArray raw = node.scalar.toByteArray();
        for (const Ivar &ivar : list) {
            std::optional<QStringDecoder::Encoding> encoding;
            QByteArray encodingName;
            if (ivar.name == u"E" && ivar.value.kind == Kind::Bool) {
                encoding =
                    ivar.value.scalar.toBool() ? QStringDecoder::Utf8 : QStringDecoder::Latin1;
                if (!ivar.value.scalar.toBool()) {
                    // US-ASCII: only 7-bit bytes are text.
                    if (std::any_of(raw.begin(), raw.end(), [](char c) { return c & 0x80; }))
                        return;
                }
            } else if (ivar.name == u"encoding") {
                encodingName = ivar.value.kind == Kind::Bytes
                    ? ivar.value.scalar.toByteArray()
                    : ivar.value.scalar.toString().toUtf8();
            } else {
                continue;
            }
            QStringDecoder decoder = encoding
                ? QStringDecoder(*encoding, QStringDecoder::Flag::Stateless)
                : QStringDecoder(encodingName.constData(), QStringDecoder::Flag::Stateless);
            if (!decoder.isValid())
                return;
            QString text = decoder.decode(raw);
            if (decoder.hasError())
                return;
            node.kind = Kind::String;
            node.scalar = text;
            return;
        }
    }

    // ---- objects

    void readObject(ValueNode &out, bool *ivarPending)
    {
        m_budget.takeNode();
        // Wrappers ('I', 'C', 'e') and encodings nest without containers; bound them too.
        if (++m_recursion > 4 * m_budget.limits().maxDepth + 16)
            stop(QStringLiteral("The value is nested too deeply at byte %1.").arg(m_pos));
        const struct Unwind
        {
            int &depth;
            ~Unwind() { --depth; }
        } unwind{m_recursion};
        const qsizetype at = m_pos;
        const uchar type = byte();
        switch (type) {
        case '0':
            out.kind = Kind::Null;
            return;
        case 'T':
        case 'F':
            out.kind = Kind::Bool;
            out.scalar = type == 'T';
            return;
        case 'i':
            out.kind = Kind::Integer;
            out.scalar = packedInt();
            return;
        case ':':
            out.kind = Kind::String;
            out.typeName = QStringLiteral("Symbol");
            out.scalar = symbolBody(ivarPending && *ivarPending);
            if (ivarPending)
                *ivarPending = false;
            return;
        case ';':
            out.kind = Kind::String;
            out.typeName = QStringLiteral("Symbol");
            out.scalar = symbolLink();
            return;
        case '@':
            link(out);
            return;
        case 'I': {
            // Instance variables wrapped around an object; for strings they name the encoding.
            bool pending = true;
            const qsizetype index = m_objects.size();
            readObject(out, &pending);
            if (pending) {
                QList<Ivar> list = ivars();
                applyEncoding(out, list);
                addIvarChildren(out, list);
                completeScalar(index, out);
            }
            return;
        }
        case 'f':
            readFloat(out);
            return;
        case 'l':
            readBignum(out);
            return;
        case '"': {
            const qsizetype index = registerObject(QStringLiteral("String"));
            out.kind = Kind::Bytes;
            out.scalar = bytes("string");
            completeScalar(index, out);
            return;
        }
        case '/': {
            const qsizetype index = registerObject(QStringLiteral("Regexp"));
            ValueNode source = scalarNode(Kind::Bytes, bytes("regular expression"));
            const uchar options = byte();
            if (ivarPending && *ivarPending) {
                applyEncoding(source, ivars());
                *ivarPending = false;
            }
            QString flags;
            if (options & 1)
                flags += u'i';
            if (options & 2)
                flags += u'x';
            if (options & 4)
                flags += u'm';
            const QString text = source.kind == Kind::String
                ? source.scalar.toString()
                : displayBytes(source.scalar.toByteArray());
            out.kind = Kind::String;
            out.typeName = QStringLiteral("Regexp");
            out.scalar = QString(u'/' + text + u'/' + flags);
            completeScalar(index, out);
            return;
        }
        case '[':
            readArray(out);
            return;
        case '{':
        case '}':
            readHash(out, type == '}');
            return;
        case 'o':
            readPlainObject(out);
            return;
        case 'S':
            readStruct(out);
            return;
        case 'u':
            readUserDump(out, ivarPending);
            return;
        case 'U':
            readUserMarshal(out);
            return;
        case 'C': {
            // A subclass of String, Array, Hash or Regexp: the base object with the class name.
            const QString className = symbol();
            readObject(out, ivarPending);
            out.typeName = className;
            return;
        }
        case 'e': {
            // An object extended with a module: the object, with the module beside its class.
            const QString module = symbol();
            readObject(out, ivarPending);
            out.typeName = out.typeName.isEmpty()
                ? QString(QStringLiteral("extended by ") + module)
                : QString(out.typeName + QStringLiteral(" + ") + module);
            return;
        }
        case 'c':
        case 'm':
        case 'M': {
            const qsizetype index =
                registerObject(type == 'c' ? QStringLiteral("Class") : QStringLiteral("Module"));
            out.kind = Kind::String;
            out.typeName = type == 'c' ? QStringLiteral("Class") : QStringLiteral("Module");
            out.scalar = symbolText(bytes("class name"));
            completeScalar(index, out);
            return;
        }
        case 'd': {
            // T_DATA: an extension object dumped through _dump_data; its state follows.
            const qsizetype index = registerObject(QStringLiteral("Data"));
            const QString className = symbol();
            m_objects[index].label = className;
            wrapInMap(out, className, QStringLiteral("data"));
            return;
        }
        default:
            stop(QStringLiteral("Unknown Marshal type 0x%1 at byte %2.")
                     .arg(type, 2, 16, QLatin1Char('0'))
                     .arg(at));
        }
    }

    void readFloat(ValueNode &out)
    {
        const qsizetype index = registerObject(QStringLiteral("Float"));
        QByteArray text = bytes("float");
        // Old dumps append mantissa bytes after a NUL; the decimal text before it suffices.
        if (const qsizetype nul = text.indexOf('\0'); nul >= 0)
            text.truncate(nul);
        out.kind = Kind::Double;
        if (text == "inf") {
            out.scalar = std::numeric_limits<double>::infinity();
        } else if (text == "-inf") {
            out.scalar = -std::numeric_limits<double>::infinity();
        } else if (text == "nan") {
            out.scalar = std::numeric_limits<double>::quiet_NaN();
        } else {
            bool ok = false;
            const double value = text.toDouble(&ok);
            if (!ok) {
                out.kind = Kind::String;
                out.typeName = QStringLiteral("Float");
                out.scalar = displayBytes(text);
            } else {
                out.scalar = value;
            }
        }
        completeScalar(index, out);
    }

    void readBignum(ValueNode &out)
    {
        const qsizetype index = registerObject(QStringLiteral("Integer"));
        const uchar sign = byte();
        if (sign != '+' && sign != '-')
            stop(QStringLiteral("A Bignum at byte %1 has no sign.").arg(m_pos - 1));
        const qint64 shorts = count("Bignum");
        m_budget.checkLength(shorts * 2, "Bignum");
        if (shorts * 2 > m_raw.size() - m_pos)
            stop(QStringLiteral("A Bignum at byte %1 runs past the end of the data.").arg(m_pos));
        const QByteArrayView digits = QByteArrayView(m_raw).sliced(m_pos, shorts * 2);
        m_pos += shorts * 2;
        const QString name = out.name;
        out = magnitudeNode(digits, sign == '-', QStringLiteral("Integer"));
        out.name = name;
        completeScalar(index, out);
    }

    void readArray(ValueNode &out)
    {
        registerObject(QStringLiteral("Array"));
        const qint64 n = count("Array");
        DepthGuard depth(m_budget);
        out.kind = Kind::List;
        for (qint64 i = 0; i < n; ++i) {
            out.children.append(ValueNode());
            readObject(out.children.last(), nullptr);
        }
    }

    void readPairs(ValueNode &out, qint64 n, UniqueNames &names)
    {
        for (qint64 i = 0; i < n; ++i) {
            ValueNode key;
            readObject(key, nullptr);
            out.children.append(ValueNode());
            out.children.last().name = names.take(keyText(key));
            m_budget.takeBytes(out.children.last().name.size());
            readObject(out.children.last(), nullptr);
        }
    }

    void readHash(ValueNode &out, bool withDefault)
    {
        registerObject(QStringLiteral("Hash"));
        const qint64 n = count("Hash");
        DepthGuard depth(m_budget);
        out.kind = Kind::Map;
        UniqueNames names;
        readPairs(out, n, names);
        if (withDefault) {
            out.children.append(ValueNode());
            out.children.last().name = names.take(QStringLiteral("(default)"));
            readObject(out.children.last(), nullptr);
        }
    }

    void readPlainObject(ValueNode &out)
    {
        const qsizetype index = registerObject(QStringLiteral("Object"));
        const QString className = symbol();
        m_objects[index].label = className;
        DepthGuard depth(m_budget); // before it becomes a container
        out.kind = Kind::Map;
        out.typeName = className;
        readVariables(out, true);
    }

    void readStruct(ValueNode &out)
    {
        const qsizetype index = registerObject(QStringLiteral("Struct"));
        const QString className = symbol();
        m_objects[index].label = className;
        DepthGuard depth(m_budget);
        out.kind = Kind::Map;
        out.typeName = className;
        readVariables(out, false);
    }

    // Name/value pairs of an object ('@'-prefixed instance variables) or a Struct (members).
    void readVariables(ValueNode &out, bool dropAt)
    {
        const qint64 n = count("list of instance variables");
        UniqueNames names;
        for (qint64 i = 0; i < n; ++i) {
            QString name = symbol();
            if (dropAt && name.startsWith(u'@') && name.size() > 1)
                name.remove(0, 1);
            out.children.append(ValueNode());
            out.children.last().name = names.take(name);
            readObject(out.children.last(), nullptr);
        }
    }

    // Instance variables on something other than a string (rare): kept as children of a map,
    // dropped elsewhere. Encoding variables were applied already.
    void addIvarChildren(ValueNode &out, QList<Ivar> &list)
    {
        if (out.kind != Kind::Map)
            return;
        UniqueNames names;
        for (const ValueNode &child : std::as_const(out.children))
            names.take(child.name);
        for (Ivar &ivar : list) {
            if (ivar.name == u"E" || ivar.name == u"encoding")
                continue;
            ivar.value.name = names.take(ivar.name);
            out.children.append(std::move(ivar.value));
        }
    }

    // 'u': a class with _dump/_load, whose state is a byte string (Time, BigDecimal, ...).
    void readUserDump(ValueNode &out, bool *ivarPending)
    {
        const QString className = symbol();
        const QByteArray data = bytes("user-defined dump");
        QList<Ivar> list;
        if (ivarPending && *ivarPending) {
            list = ivars();
            *ivarPending = false;
        }
        const qsizetype index = registerObject(className);
        if (className == u"Time" && readTime(out, data, list)) {
            completeScalar(index, out);
            return;
        }
        ValueNode dataNode = scalarNode(Kind::Bytes, data);
        applyEncoding(dataNode, list);
        if (dataNode.kind == Kind::Bytes) {
            // Text dumps such as BigDecimal's "18:0.15e1" read better as text.
            dataNode = textOrBytes(data);
        }
        const QString name = out.name;
        out = dataNode;
        out.name = name;
        out.typeName = className;
        completeScalar(index, out);
    }

    // Time#_dump: two little-endian 32-bit words holding the UTC calendar time, with the UTC
    // offset, zone and nanoseconds as instance variables.
    bool readTime(ValueNode &out, const QByteArray &data, const QList<Ivar> &list)
    {
        if (data.size() != 8)
            return false;
        const auto word = [&](int at) {
            quint32 value = 0;
            for (int i = 3; i >= 0; --i)
                value = (value << 8) | uchar(data.at(at + i));
            return value;
        };
        const quint32 p = word(0);
        const quint32 s = word(4);
        std::optional<int> offset;
        qint64 nanoNum = 0;
        qint64 nanoDen = 0;
        for (const Ivar &ivar : list) {
            if (ivar.value.kind != Kind::Integer)
                continue;
            const qint64 value = ivar.value.scalar.toLongLong();
            if (ivar.name == u"offset" && value > -86400 && value < 86400)
                offset = int(value);
            else if (ivar.name == u"nano_num")
                nanoNum = value;
            else if (ivar.name == u"nano_den")
                nanoDen = value;
        }
        std::optional<QString> text;
        if (!(p & (1u << 31))) {
            // The old format: seconds since the epoch and microseconds.
            text = isoTime(qint64(p), s % 1000000, s % 1000000 ? 6 : 0, offset.value_or(0));
        } else {
            const bool utc = p & (1u << 30);
            const int year = int((p >> 14) & 0xffff) + 1900;
            const int month = int((p >> 10) & 0xf) + 1;
            const int day = int((p >> 5) & 0x1f);
            const int hour = int(p & 0x1f);
            const int minute = int((s >> 26) & 0x3f);
            const int second = int((s >> 20) & 0x3f);
            const int microsecond = int(s & 0xfffff);
            if (!isoTime(year, month, day, hour, minute, second, qMin(microsecond, 999999),
                         std::nullopt)) {
                return false;
            }
            const QDate date(year, month, day);
            const qint64 epoch =
                (date.toJulianDay() - 2440588) * 86400 + hour * 3600 + minute * 60 + second;
            qint64 nanos = qint64(qMin(microsecond, 999999)) * 1000;
            if (nanoDen > 0 && nanoNum >= 0 && nanoNum / nanoDen < 1000)
                nanos += nanoNum / nanoDen;
            const int digits = nanos == 0 ? 0 : nanos % 1000 == 0 ? 6 : 9;
            const qint64 fraction = digits == 6 ? nanos / 1000 : nanos;
            text = isoTime(epoch, fraction, digits, utc ? 0 : offset.value_or(0));
        }
        if (!text)
            return false;
        out.kind = Kind::String;
        out.typeName = QStringLiteral("Time");
        out.scalar = *text;
        return true;
    }

    // 'U': a class with marshal_dump/marshal_load, whose state is any object.
    void readUserMarshal(ValueNode &out)
    {
        const qsizetype index = registerObject(QStringLiteral("Object"));
        const QString className = symbol();
        m_objects[index].label = className;
        wrapInMap(out, className, QStringLiteral("data"));
    }

    // A named object whose state is one nested object: a map with the class as its type and the
    // state as its one child, or the state itself when it is a map of its own.
    void wrapInMap(ValueNode &out, const QString &className, const QString &childName)
    {
        DepthGuard depth(m_budget);
        out.kind = Kind::Map;
        out.typeName = className;
        out.children.append(ValueNode());
        out.children.last().name = childName;
        readObject(out.children.last(), nullptr);
        ValueNode &state = out.children.last();
        if (state.kind == Kind::Map && state.typeName.isEmpty()) {
            QList<ValueNode> fields = std::move(state.children);
            out.children = std::move(fields);
        }
    }

    const QByteArray &m_raw;
    DecodeBudget m_budget;
    qsizetype m_pos = 0;
    int m_recursion = 0;
    QList<QString> m_symbols;
    QList<LinkTarget> m_objects;
};

} // namespace

bool looksLikeRubyMarshal(QByteArrayView raw)
{
    return raw.size() >= 2 && raw[0] == '\x04' && raw[1] == '\x08';
}

DecodedValue decodeRubyMarshal(const QByteArray &raw, const DecodeLimits &limits)
{
    DecodedValue decoded;
    decoded.encoding = QStringLiteral("ruby-marshal");
    if (!looksLikeRubyMarshal(raw)) {
        decoded.warning = raw.size() >= 2
            ? QStringLiteral("Not Ruby Marshal 4.8 data: it starts with %1 %2, not 04 08.")
                  .arg(uchar(raw.at(0)), 2, 16, QLatin1Char('0'))
                  .arg(uchar(raw.at(1)), 2, 16, QLatin1Char('0'))
            : QStringLiteral("Not Ruby Marshal 4.8 data: it is shorter than its signature.");
        return decoded;
    }
    try {
        MarshalReader(raw, limits).read(decoded.root);
    } catch (const DecodeStop &stopped) {
        decoded.warning = stopped.message;
    }
    return decoded;
}

} // namespace SessionDesk::Codecs
