#include "codecs/phpsession.h"

#include <QStringDecoder>

#include <algorithm>
#include <cmath>
#include <limits>

namespace SessionDesk::Codecs {

namespace {

std::optional<QString> utf8Text(QByteArrayView bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8,
                           QStringDecoder::Flag::Stateless
                               | QStringDecoder::Flag::ConvertInitialBom);
    QString text = decoder.decode(bytes);
    if (decoder.hasError())
        return std::nullopt;
    return text;
}

// Names (keys, classes) are text; names that are not UTF-8 or hold control characters are
// escaped as displayBytes() does.
QString nameText(QByteArrayView bytes)
{
    if (auto text = utf8Text(bytes)) {
        if (std::none_of(text->cbegin(), text->cend(),
                         [](QChar c) { return c.category() == QChar::Other_Control; })) {
            return *text;
        }
    }
    return displayBytes(bytes.toByteArray());
}

ValueNode stringNode(QByteArrayView bytes)
{
    ValueNode node;
    if (auto text = utf8Text(bytes)) {
        node.kind = ValueNode::Kind::String;
        node.scalar = *text;
    } else {
        node.kind = ValueNode::Kind::Bytes;
        node.scalar = bytes.toByteArray();
    }
    return node;
}

QString byteText(char c)
{
    const auto u = uchar(c);
    if (u >= 0x20 && u < 0x7f)
        return u'\'' + QString(QLatin1Char(c)) + u'\'';
    return QStringLiteral("byte 0x%1").arg(u, 2, 16, QLatin1Char('0'));
}

bool isValueType(char c)
{
    return QByteArrayView("NbidsSaOCErR").contains(c);
}

// Whether `raw` at `pos` starts like a serialized value: "N;" or a type letter and ':'.
bool valueStartsAt(QByteArrayView raw, qsizetype pos)
{
    if (pos + 1 >= raw.size())
        return false;
    if (raw.at(pos) == 'N')
        return raw.at(pos + 1) == ';';
    return isValueType(raw.at(pos)) && raw.at(pos + 1) == ':';
}

// Reads serialize() data; every value gets a slot number as in PHP's var_hash (all values but
// `R:` ones, in reading order, from 1), so that `r:n;` and `R:n;` can name what they point to.
class PhpReader
{
public:
    PhpReader(QByteArrayView input, const DecodeLimits &limits, qsizetype *nodes)
        : m_in(input)
        , m_limits(limits)
        , m_nodes(nodes)
    { }

    // Reads one value into `out`. False on any error; `out` then holds what could be read.
    bool readValue(ValueNode &out, const QString &path, int depth);

    bool atEnd() const { return m_pos >= m_in.size(); }
    qsizetype pos() const { return m_pos; }
    void setPos(qsizetype pos) { m_pos = pos; }
    const QString &error() const { return m_error; }
    bool fail(const QString &message)
    {
        if (m_error.isEmpty())
            m_error = message;
        return false;
    }
    bool countNode()
    {
        if (++*m_nodes > m_limits.maxNodes) {
            return fail(QStringLiteral("The value holds more than %1 elements; the rest is not "
                                       "shown.")
                            .arg(m_limits.maxNodes));
        }
        return true;
    }
    bool truncated()
    {
        return fail(QStringLiteral("The serialized data is cut off at byte %1.").arg(m_in.size()));
    }

private:
    bool expect(char c)
    {
        if (atEnd())
            return truncated();
        if (m_in.at(m_pos) != c) {
            return fail(QStringLiteral("Unexpected %1 at byte %2 where '%3' should be.")
                            .arg(byteText(m_in.at(m_pos)))
                            .arg(m_pos)
                            .arg(QLatin1Char(c)));
        }
        ++m_pos;
        return true;
    }
    // The bytes up to `terminator`, which is consumed; at most `maxLength` of them.
    std::optional<QByteArrayView> token(char terminator, qsizetype maxLength);
    std::optional<qint64> integer(char terminator);
    std::optional<qsizetype> length(char terminator);
    std::optional<QByteArrayView> quoted(qsizetype size);
    bool readKey(QString &key, bool &isInteger, qint64 &integerKey);
    // The `count` key/value pairs of an array, or the properties of an object of `ownClass`.
    bool readEntries(ValueNode &out, qint64 count, const QString &path, int depth, bool isObject,
                     const QString &ownClass);
    bool enterContainer(int depth)
    {
        if (depth >= m_limits.maxDepth) {
            return fail(QStringLiteral("The value nests deeper than %1 levels at byte %2; the "
                                       "rest is not shown.")
                            .arg(m_limits.maxDepth)
                            .arg(m_pos));
        }
        return true;
    }
    QString slotDescription(qint64 slot) const
    {
        if (slot < 1 || slot > m_slots.size())
            return QStringLiteral("value #%1, which does not exist").arg(slot);
        const QString &path = m_slots.at(slot - 1);
        return path.isEmpty() ? QStringLiteral("the top-level value") : path;
    }

    QByteArrayView m_in;
    qsizetype m_pos = 0;
    const DecodeLimits &m_limits;
    qsizetype *m_nodes;
    QString m_error;
    QStringList m_slots;
    QByteArrayView m_lastKeyBytes; // the raw bytes of the last string key read
};

std::optional<QByteArrayView> PhpReader::token(char terminator, qsizetype maxLength)
{
    const qsizetype start = m_pos;
    for (qsizetype i = start; i < m_in.size(); ++i) {
        if (m_in.at(i) == terminator) {
            m_pos = i + 1;
            return m_in.sliced(start, i - start);
        }
        if (i - start >= maxLength) {
            fail(QStringLiteral("Unexpected %1 at byte %2 where '%3' should be.")
                     .arg(byteText(m_in.at(i)))
                     .arg(i)
                     .arg(QLatin1Char(terminator)));
            return std::nullopt;
        }
    }
    truncated();
    return std::nullopt;
}

std::optional<qint64> PhpReader::integer(char terminator)
{
    const qsizetype start = m_pos;
    const auto digits = token(terminator, 24);
    if (!digits)
        return std::nullopt;
    bool ok = false;
    const qint64 value = digits->toByteArray().toLongLong(&ok);
    const bool plain = !digits->isEmpty()
        && std::all_of(digits->begin(), digits->end(),
                       [](char c) { return (c >= '0' && c <= '9') || c == '-' || c == '+'; });
    if (!ok || !plain) {
        fail(QStringLiteral("The number \"%1\" at byte %2 is not a 64-bit integer.")
                 .arg(nameText(*digits))
                 .arg(start));
        return std::nullopt;
    }
    return value;
}

std::optional<qsizetype> PhpReader::length(char terminator)
{
    const qsizetype start = m_pos;
    const auto value = integer(terminator);
    if (!value)
        return std::nullopt;
    if (*value < 0) {
        fail(QStringLiteral("The length %1 at byte %2 is negative.").arg(*value).arg(start));
        return std::nullopt;
    }
    return qsizetype(*value);
}

// `"` + exactly `size` bytes + `"`.
std::optional<QByteArrayView> PhpReader::quoted(qsizetype size)
{
    if (size > m_limits.maxStringBytes) {
        fail(QStringLiteral("A string of %1 bytes at byte %2 exceeds the limit of %3 bytes.")
                 .arg(size)
                 .arg(m_pos)
                 .arg(m_limits.maxStringBytes));
        return std::nullopt;
    }
    if (!expect('"'))
        return std::nullopt;
    if (size > m_in.size() - m_pos) {
        truncated();
        return std::nullopt;
    }
    const QByteArrayView bytes = m_in.sliced(m_pos, size);
    m_pos += size;
    if (!expect('"'))
        return std::nullopt;
    return bytes;
}

bool PhpReader::readKey(QString &key, bool &isInteger, qint64 &integerKey)
{
    if (atEnd())
        return truncated();
    const char type = m_in.at(m_pos);
    const qsizetype start = m_pos;
    ++m_pos;
    if (type == 'i') {
        if (!expect(':'))
            return false;
        const auto value = integer(';');
        if (!value)
            return false;
        isInteger = true;
        integerKey = *value;
        key = QString::number(*value);
        return true;
    }
    if (type == 's') {
        if (!expect(':'))
            return false;
        const auto size = length(':');
        if (!size)
            return false;
        const auto bytes = quoted(*size);
        if (!bytes || !expect(';'))
            return false;
        isInteger = false;
        key = bytes->isEmpty() ? QString() : nameText(*bytes);
        // Raw bytes are kept for the caller's property-name demangling.
        m_lastKeyBytes = *bytes;
        return true;
    }
    m_pos = start;
    return fail(QStringLiteral("Unexpected %1 at byte %2 where an array key (i or s) should be.")
                    .arg(byteText(type))
                    .arg(start));
}

// The dotted path a reference names; capped so that long keys cannot make paths costly.
QString pathTo(const QString &parent, const QString &key)
{
    constexpr qsizetype kMaxPath = 200;
    if (parent.size() >= kMaxPath)
        return parent;
    QString path = parent.isEmpty() ? key.left(kMaxPath) : parent + u'.' + key.left(kMaxPath);
    if (path.size() > kMaxPath) {
        path.truncate(kMaxPath);
        path += u'…';
    }
    return path;
}

// A property name as PHP mangles it: "\0*\0name" (protected), "\0Class\0name" (private).
QString propertyName(QByteArrayView bytes, const QString &ownClass)
{
    if (bytes.size() < 3 || bytes.at(0) != '\0')
        return nameText(bytes);
    const qsizetype second = bytes.indexOf('\0', 1);
    if (second < 0)
        return nameText(bytes);
    const QByteArrayView scope = bytes.sliced(1, second - 1);
    const QString name = nameText(bytes.sliced(second + 1));
    if (scope == "*")
        return name;
    const QString declaringClass = nameText(scope);
    if (declaringClass.compare(ownClass, Qt::CaseInsensitive) == 0)
        return name;
    return declaringClass + QStringLiteral("::") + name;
}

bool PhpReader::readEntries(ValueNode &out, qint64 count, const QString &path, int depth,
                            bool isObject, const QString &ownClass)
{
    bool sequential = !isObject;
    out.kind = ValueNode::Kind::Map;
    bool ok = true;
    for (qint64 i = 0; i < count; ++i) {
        QString key;
        bool isInteger = false;
        qint64 integerKey = 0;
        m_lastKeyBytes = {};
        if (!readKey(key, isInteger, integerKey)) {
            ok = false;
            break;
        }
        if (!isInteger && isObject)
            key = propertyName(m_lastKeyBytes, ownClass);
        sequential = sequential && isInteger && integerKey == i;
        ValueNode child;
        ok = readValue(child, pathTo(path, key), depth + 1);
        child.name = key;
        out.children.append(std::move(child));
        if (!ok)
            break;
    }
    if (ok)
        ok = expect('}');
    if (sequential) {
        out.kind = ValueNode::Kind::List;
        for (ValueNode &child : out.children)
            child.name.clear();
    }
    return ok;
}

bool PhpReader::readValue(ValueNode &out, const QString &path, int depth)
{
    if (atEnd())
        return truncated();
    if (!countNode())
        return false;
    const qsizetype start = m_pos;
    const char type = m_in.at(m_pos);
    if (type != 'R')
        m_slots.append(path);
    ++m_pos;
    if (type == 'N') {
        out.kind = ValueNode::Kind::Null;
        return expect(';');
    }
    if (!isValueType(type)) {
        m_pos = start;
        return fail(QStringLiteral("Unexpected %1 at byte %2 where a value (N, b, i, d, s, a, O, "
                                   "C, E, r or R) should start.")
                        .arg(byteText(type))
                        .arg(start));
    }
    if (!expect(':'))
        return false;
    switch (type) {
    case 'b': {
        const auto value = integer(';');
        if (!value)
            return false;
        if (*value != 0 && *value != 1) {
            return fail(
                QStringLiteral("The boolean at byte %1 is %2, not 0 or 1.").arg(start).arg(*value));
        }
        out.kind = ValueNode::Kind::Bool;
        out.scalar = *value == 1;
        return true;
    }
    case 'i': {
        const qsizetype numberStart = m_pos;
        const auto digits = token(';', 400);
        if (!digits)
            return false;
        bool ok = false;
        const qint64 value = digits->toByteArray().toLongLong(&ok);
        if (ok) {
            out.kind = ValueNode::Kind::Integer;
            out.scalar = value;
            return true;
        }
        // PHP reads integers beyond 64 bits as floats.
        const double number = digits->toByteArray().toDouble(&ok);
        if (!ok) {
            return fail(QStringLiteral("The integer \"%1\" at byte %2 is not a number.")
                            .arg(nameText(*digits))
                            .arg(numberStart));
        }
        out.kind = ValueNode::Kind::Double;
        out.scalar = number;
        return true;
    }
    case 'd': {
        const qsizetype numberStart = m_pos;
        const auto digits = token(';', 400);
        if (!digits)
            return false;
        double number = 0;
        bool ok = true;
        if (*digits == "INF")
            number = std::numeric_limits<double>::infinity();
        else if (*digits == "-INF")
            number = -std::numeric_limits<double>::infinity();
        else if (*digits == "NAN")
            number = std::numeric_limits<double>::quiet_NaN();
        else
            number = digits->toByteArray().toDouble(&ok);
        if (!ok) {
            return fail(QStringLiteral("The float \"%1\" at byte %2 is not a number.")
                            .arg(nameText(*digits))
                            .arg(numberStart));
        }
        out.kind = ValueNode::Kind::Double;
        out.scalar = number;
        return true;
    }
    case 's': {
        const auto size = length(':');
        if (!size)
            return false;
        const auto bytes = quoted(*size);
        if (!bytes)
            return false;
        out = stringNode(*bytes);
        return expect(';');
    }
    case 'S': {
        // Old escaped strings: `\xx` stands for one byte; the length counts decoded bytes.
        const auto size = length(':');
        if (!size)
            return false;
        if (*size > m_limits.maxStringBytes || *size > m_in.size() - m_pos)
            return quoted(*size).has_value();
        if (!expect('"'))
            return false;
        QByteArray bytes;
        bytes.reserve(*size);
        while (bytes.size() < *size) {
            if (atEnd())
                return truncated();
            const char c = m_in.at(m_pos++);
            if (c != '\\') {
                bytes.append(c);
                continue;
            }
            if (m_pos + 2 > m_in.size())
                return truncated();
            bool ok = false;
            const int value = m_in.sliced(m_pos, 2).toByteArray().toInt(&ok, 16);
            if (!ok) {
                return fail(
                    QStringLiteral("The escape at byte %1 is not two hex digits.").arg(m_pos - 1));
            }
            bytes.append(char(value));
            m_pos += 2;
        }
        out = stringNode(bytes);
        return expect('"') && expect(';');
    }
    case 'a': {
        const auto count = length(':');
        if (!count || !expect('{') || !enterContainer(depth))
            return false;
        return readEntries(out, *count, path, depth, false, QString());
    }
    case 'O': {
        const auto nameSize = length(':');
        if (!nameSize)
            return false;
        const auto className = quoted(*nameSize);
        if (!className || !expect(':'))
            return false;
        out.kind = ValueNode::Kind::Map;
        out.typeName = nameText(*className);
        const auto count = length(':');
        if (!count || !expect('{'))
            return false;
        if (!enterContainer(depth))
            return false;
        return readEntries(out, *count, path, depth, true, out.typeName);
    }
    case 'C': {
        const auto nameSize = length(':');
        if (!nameSize)
            return false;
        const auto className = quoted(*nameSize);
        if (!className || !expect(':'))
            return false;
        const QString typeName = nameText(*className);
        const auto size = length(':');
        if (!size || !expect('{'))
            return false;
        if (*size > m_in.size() - m_pos)
            return truncated();
        const QByteArrayView payload = m_in.sliced(m_pos, *size);
        m_pos += *size;
        // Serializable::serialize() usually returns serialize() data; show it decoded if so.
        ValueNode inner;
        PhpReader nested(payload, m_limits, m_nodes);
        if (enterContainer(depth) && nested.readValue(inner, path, depth + 1) && nested.atEnd()
            && inner.isContainer()) {
            out = std::move(inner);
        } else {
            if (!m_error.isEmpty())
                return false;
            out = stringNode(payload);
        }
        out.typeName = typeName;
        return expect('}');
    }
    case 'E': {
        const auto size = length(':');
        if (!size)
            return false;
        const auto text = quoted(*size);
        if (!text || !expect(';'))
            return false;
        const qsizetype colon = text->lastIndexOf(':');
        if (colon < 0) {
            return fail(QStringLiteral("The enum case \"%1\" at byte %2 has no class name.")
                            .arg(nameText(*text))
                            .arg(start));
        }
        out = stringNode(text->sliced(colon + 1));
        out.typeName = nameText(text->first(colon));
        return true;
    }
    case 'r':
    case 'R': {
        const auto slot = integer(';');
        if (!slot)
            return false;
        out.kind = ValueNode::Kind::String;
        out.typeName = QStringLiteral("reference");
        out.scalar = QStringLiteral("(reference to %1)").arg(slotDescription(*slot));
        // The slot of an `r:` is already taken by the reference itself.
        const qsizetype known = m_slots.size() - (type == 'r' ? 1 : 0);
        if (*slot < 1 || *slot > known) {
            return fail(QStringLiteral("The reference at byte %1 points to value #%2, which "
                                       "does not exist.")
                            .arg(start)
                            .arg(*slot));
        }
        return true;
    }
    }
    return false;
}

DecodedValue decodeSerialized(const QByteArray &raw, const DecodeLimits &limits, bool unwrap)
{
    DecodedValue decoded;
    decoded.encoding = QStringLiteral("php-serialize");
    qsizetype nodes = 0;
    PhpReader reader(raw, limits, &nodes);
    const bool ok = reader.readValue(decoded.root, QString(), 0);
    if (ok && !reader.atEnd()) {
        reader.fail(QStringLiteral("%1 unexpected bytes follow the serialized value at byte %2.")
                        .arg(raw.size() - reader.pos())
                        .arg(reader.pos()));
    }
    decoded.warning = reader.error();
    // Laravel's cache stores serialize() of the session payload, which is itself serialize()
    // data or JSON: unwrap that one level.
    if (ok && unwrap
        && (decoded.root.kind == ValueNode::Kind::String
            || decoded.root.kind == ValueNode::Kind::Bytes)) {
        const QByteArray inner = decoded.root.kind == ValueNode::Kind::String
            ? decoded.root.scalar.toString().toUtf8()
            : decoded.root.scalar.toByteArray();
        if (looksLikePhpSerialize(inner)) {
            DecodedValue unwrapped = decodeSerialized(inner, limits, false);
            if (unwrapped.warning.isEmpty() || unwrapped.root.isContainer())
                return unwrapped;
        } else if (inner.startsWith('{') || inner.startsWith('[')) {
            QString error;
            if (auto tree = decodeJsonTree(inner, &error)) {
                decoded.root = std::move(*tree);
                return decoded;
            }
        }
    }
    return decoded;
}

} // namespace

DecodedValue decodePhpSession(const QByteArray &raw, const DecodeLimits &limits)
{
    DecodedValue decoded;
    decoded.encoding = QStringLiteral("php");
    decoded.root.kind = ValueNode::Kind::Map;
    qsizetype nodes = 0;
    PhpReader reader(raw, limits, &nodes);
    reader.countNode();
    while (!reader.atEnd() && reader.error().isEmpty()) {
        const qsizetype start = reader.pos();
        const qsizetype bar = raw.indexOf('|', start);
        if (bar < 0) {
            reader.fail(QStringLiteral("The session data ends with a name without '|' and a "
                                       "value at byte %1.")
                            .arg(start));
            break;
        }
        QByteArrayView name = QByteArrayView(raw).sliced(start, bar - start);
        reader.setPos(bar + 1);
        ValueNode child;
        if (name.startsWith('!')) {
            name = name.sliced(1);
            child.name = nameText(name);
            if (!reader.countNode())
                break;
            decoded.root.children.append(std::move(child));
            continue;
        }
        const QString key = nameText(name);
        const bool ok = reader.readValue(child, pathTo(QString(), key), 1);
        child.name = key;
        decoded.root.children.append(std::move(child));
        if (!ok)
            break;
    }
    decoded.warning = reader.error();
    return decoded;
}

DecodedValue decodePhpSerialize(const QByteArray &raw, const DecodeLimits &limits)
{
    return decodeSerialized(raw, limits, true);
}

DecodedValue decodePhpBinary(const QByteArray &raw, const DecodeLimits &limits)
{
    DecodedValue decoded;
    decoded.encoding = QStringLiteral("php-binary");
    decoded.root.kind = ValueNode::Kind::Map;
    qsizetype nodes = 0;
    PhpReader reader(raw, limits, &nodes);
    reader.countNode();
    while (!reader.atEnd() && reader.error().isEmpty()) {
        const qsizetype start = reader.pos();
        const auto lengthByte = uchar(raw.at(start));
        const bool undefined = lengthByte & 0x80;
        const qsizetype nameSize = lengthByte & 0x7f;
        if (nameSize > raw.size() - start - 1) {
            reader.truncated();
            break;
        }
        ValueNode child;
        const QString key = nameText(QByteArrayView(raw).sliced(start + 1, nameSize));
        reader.setPos(start + 1 + nameSize);
        if (undefined) {
            if (!reader.countNode())
                break;
            child.name = key;
            decoded.root.children.append(std::move(child));
            continue;
        }
        const bool ok = reader.readValue(child, pathTo(QString(), key), 1);
        child.name = key;
        decoded.root.children.append(std::move(child));
        if (!ok)
            break;
    }
    decoded.warning = reader.error();
    return decoded;
}

bool looksLikePhpSession(QByteArrayView raw)
{
    qsizetype start = 0;
    // One leading undefined variable (`!name|`) may come first.
    for (int entry = 0; entry < 2; ++entry) {
        const qsizetype bar =
            raw.sliced(start).first(qMin<qsizetype>(raw.size() - start, 1025)).indexOf('|');
        if (bar <= 0)
            return false;
        const QByteArrayView name = raw.sliced(start, bar);
        for (const char c : name) {
            if (uchar(c) < 0x20 || c == 0x7f)
                return false;
        }
        if (valueStartsAt(raw, start + bar + 1))
            return true;
        if (!name.startsWith('!'))
            return false;
        start += bar + 1;
    }
    return false;
}

bool looksLikePhpSerialize(QByteArrayView raw)
{
    if (raw.size() < 4 || raw.at(1) != ':' || !QByteArrayView("aOCsE").contains(raw.at(0)))
        return false;
    qsizetype i = 2;
    while (i < raw.size() && i < 14 && raw.at(i) >= '0' && raw.at(i) <= '9')
        ++i;
    if (i == 2 || i + 1 >= raw.size() || raw.at(i) != ':')
        return false;
    return raw.at(i + 1) == (raw.at(0) == 'a' ? '{' : '"');
}

bool looksLikePhpBinary(QByteArrayView raw)
{
    qsizetype start = 0;
    // A few undefined variables (length byte with the high bit set, no value) may come first.
    for (int entry = 0; entry < 8 && start < raw.size(); ++entry) {
        const auto lengthByte = uchar(raw.at(start));
        const qsizetype nameSize = lengthByte & 0x7f;
        if (nameSize == 0 || nameSize + 1 > raw.size() - start)
            return false;
        for (const char c : raw.sliced(start + 1, nameSize)) {
            if (uchar(c) < 0x20 || uchar(c) >= 0x7f)
                return false;
        }
        start += nameSize + 1;
        if (!(lengthByte & 0x80))
            return valueStartsAt(raw, start);
        if (start == raw.size())
            return true;
    }
    return false;
}

} // namespace SessionDesk::Codecs
