#include "codecs/javaserial.h"

#include <QDateTime>
#include <QHash>
#include <QSet>

#include <algorithm>
#include <bit>
#include <memory>
#include <optional>

namespace SessionDesk::Codecs {

namespace {

// Type codes and class flags of the stream protocol (java.io.ObjectStreamConstants).
enum : quint8 {
    TC_NULL = 0x70,
    TC_REFERENCE = 0x71,
    TC_CLASSDESC = 0x72,
    TC_OBJECT = 0x73,
    TC_STRING = 0x74,
    TC_ARRAY = 0x75,
    TC_CLASS = 0x76,
    TC_BLOCKDATA = 0x77,
    TC_ENDBLOCKDATA = 0x78,
    TC_RESET = 0x79,
    TC_BLOCKDATALONG = 0x7A,
    TC_EXCEPTION = 0x7B,
    TC_LONGSTRING = 0x7C,
    TC_PROXYCLASSDESC = 0x7D,
    TC_ENUM = 0x7E,
};
enum : quint8 {
    SC_WRITE_METHOD = 0x01,
    SC_SERIALIZABLE = 0x02,
    SC_EXTERNALIZABLE = 0x04,
    SC_BLOCK_DATA = 0x08,
};
constexpr qint32 kBaseWireHandle = 0x7E0000;
// Longer superclass chains than this are not real class hierarchies.
constexpr qsizetype kMaxClassChain = 256;

struct FieldDesc
{
    char type = 0; // B C D F I J S Z, or L / [ for objects
    QString name;
};

struct ClassDesc
{
    QString name; // as written: "java.util.ArrayList", "[I", "[Ljava.lang.String;"
    quint8 flags = 0;
    QList<FieldDesc> fields;
    std::shared_ptr<const ClassDesc> super;
    bool complete = false;
};
using ClassDescPtr = std::shared_ptr<const ClassDesc>;

// One entry of the stream's handle table.
struct Handle
{
    ClassDescPtr classDesc; // set for class descriptors
    QString description; // the class of an object, for a reference to it while it is read
    std::optional<ValueNode> value; // set once the object is read completely
    qsizetype nodes = 0; // nodes in `value`
};

// What a class's writeObject()/writeExternal() wrote beyond its fields, in order.
struct Annotation
{
    struct Item
    {
        bool isBlock = false;
        QByteArray bytes; // block data; consecutive blocks are merged
        ValueNode object;
    };
    QString className;
    QList<Item> items;

    QList<ValueNode> objects() const
    {
        QList<ValueNode> result;
        for (const Item &item : items) {
            if (!item.isBlock)
                result.append(item.object);
        }
        return result;
    }
    QByteArray blockBytes() const
    {
        QByteArray bytes;
        for (const Item &item : items) {
            if (item.isBlock)
                bytes += item.bytes;
        }
        return bytes;
    }
};

// "[I" → "int[]", "[[Ljava.lang.String;" → "java.lang.String[][]"; other names as they are.
QString readableClassName(const QString &name)
{
    qsizetype dimensions = 0;
    while (dimensions < name.size() && name.at(dimensions) == u'[')
        ++dimensions;
    if (dimensions == 0 || dimensions == name.size())
        return name;
    QString component;
    const QChar code = name.at(dimensions);
    switch (code.unicode()) {
    case 'B':
        component = QStringLiteral("byte");
        break;
    case 'C':
        component = QStringLiteral("char");
        break;
    case 'D':
        component = QStringLiteral("double");
        break;
    case 'F':
        component = QStringLiteral("float");
        break;
    case 'I':
        component = QStringLiteral("int");
        break;
    case 'J':
        component = QStringLiteral("long");
        break;
    case 'S':
        component = QStringLiteral("short");
        break;
    case 'Z':
        component = QStringLiteral("boolean");
        break;
    case 'L':
        component = name.mid(dimensions + 1);
        if (component.endsWith(u';'))
            component.chop(1);
        break;
    default:
        return name;
    }
    return component + QStringLiteral("[]").repeated(dimensions);
}

QString timeText(qint64 msecs)
{
    const QDateTime time = QDateTime::fromMSecsSinceEpoch(msecs, Qt::UTC);
    if (!time.isValid() || time.date().year() < 1 || time.date().year() > 9999)
        return QString();
    return time.toString(Qt::ISODateWithMs);
}

qint64 bigEndian(QByteArrayView bytes)
{
    quint64 value = 0;
    for (const char byte : bytes)
        value = (value << 8) | uchar(byte);
    return qint64(value);
}

// The text a map shows for a key.
QString keyText(const ValueNode &key, qsizetype index)
{
    switch (key.kind) {
    case ValueNode::Kind::Null:
        return QStringLiteral("null");
    case ValueNode::Kind::Bool:
        return key.scalar.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case ValueNode::Kind::Integer:
        return QString::number(key.scalar.toLongLong());
    case ValueNode::Kind::Double:
        return QString::number(key.scalar.toDouble(), 'g', 17);
    case ValueNode::Kind::String:
        return key.scalar.toString();
    case ValueNode::Kind::Bytes:
        return displayBytes(key.scalar.toByteArray());
    case ValueNode::Kind::List:
    case ValueNode::Kind::Map:
        break;
    }
    return QStringLiteral("%1 #%2")
        .arg(key.typeName.isEmpty() ? QStringLiteral("key") : key.typeName)
        .arg(index);
}

// Collections whose writeObject() data is their elements (all objects it wrote, less a leading
// comparator or a trailing null terminator), keyed by the class that writes it.
struct CollectionShape
{
    bool isMap = false;
    bool leadingComparator = false; // TreeSet writes its comparator first
    bool nullTerminated = false; // concurrent collections end with null (null, null for maps)
};
const QHash<QString, std::pair<QString, CollectionShape>> &knownCollections()
{
    // object class → (class whose annotation holds the data, shape)
    static const QHash<QString, std::pair<QString, CollectionShape>> table = [] {
        QHash<QString, std::pair<QString, CollectionShape>> t;
        const auto add = [&t](const char *cls, const char *writer, CollectionShape shape) {
            t.insert(QString::fromLatin1(cls), {QString::fromLatin1(writer), shape});
        };
        const CollectionShape list;
        const CollectionShape map{true, false, false};
        add("java.util.ArrayList", "java.util.ArrayList", list);
        add("java.util.LinkedList", "java.util.LinkedList", list);
        add("java.util.ArrayDeque", "java.util.ArrayDeque", list);
        add("java.util.HashSet", "java.util.HashSet", list);
        add("java.util.LinkedHashSet", "java.util.HashSet", list);
        add("java.util.TreeSet", "java.util.TreeSet", {false, true, false});
        add("java.util.PriorityQueue", "java.util.PriorityQueue", list);
        add("java.util.concurrent.CopyOnWriteArrayList",
            "java.util.concurrent.CopyOnWriteArrayList", list);
        add("java.util.concurrent.ConcurrentLinkedQueue",
            "java.util.concurrent.ConcurrentLinkedQueue", {false, false, true});
        add("java.util.concurrent.ConcurrentLinkedDeque",
            "java.util.concurrent.ConcurrentLinkedDeque", {false, false, true});
        add("java.util.concurrent.LinkedBlockingQueue", "java.util.concurrent.LinkedBlockingQueue",
            {false, false, true});
        add("java.util.concurrent.LinkedBlockingDeque", "java.util.concurrent.LinkedBlockingDeque",
            {false, false, true});
        add("java.util.HashMap", "java.util.HashMap", map);
        add("java.util.LinkedHashMap", "java.util.HashMap", map);
        add("java.util.TreeMap", "java.util.TreeMap", map);
        add("java.util.Hashtable", "java.util.Hashtable", map);
        add("java.util.Properties", "java.util.Hashtable", map);
        add("java.util.IdentityHashMap", "java.util.IdentityHashMap", map);
        add("java.util.EnumMap", "java.util.EnumMap", map);
        add("java.util.concurrent.ConcurrentHashMap", "java.util.concurrent.ConcurrentHashMap",
            {true, false, true});
        add("java.util.concurrent.ConcurrentSkipListMap",
            "java.util.concurrent.ConcurrentSkipListMap", {true, false, true});
        return t;
    }();
    return table;
}

class JavaReader
{
public:
    JavaReader(QByteArrayView input, const DecodeLimits &limits)
        : m_in(input)
        , m_limits(limits)
        , m_maxRecursion(limits.maxDepth * 4 + 16)
    { }

    bool readStream(ValueNode &root);
    QString warning() const { return m_error.isEmpty() ? m_note : m_error; }

private:
    struct RecursionGuard
    {
        explicit RecursionGuard(JavaReader &reader)
            : r(reader)
        {
            ok = ++r.m_recursion <= r.m_maxRecursion;
            if (!ok) {
                r.fail(QStringLiteral("The stream nests deeper than %1 levels at byte %2; the "
                                      "rest is not shown.")
                           .arg(r.m_limits.maxDepth)
                           .arg(r.m_pos));
            }
        }
        ~RecursionGuard() { --r.m_recursion; }
        JavaReader &r;
        bool ok = false;
    };

    bool fail(const QString &message)
    {
        if (m_error.isEmpty())
            m_error = message;
        return false;
    }
    bool need(qint64 bytes)
    {
        if (bytes <= m_in.size() - m_pos)
            return true;
        return fail(QStringLiteral("The serialized data is cut off at byte %1.").arg(m_in.size()));
    }
    bool countNodes(qsizetype count = 1)
    {
        m_nodes += count;
        if (m_nodes <= m_limits.maxNodes)
            return true;
        return fail(QStringLiteral("The value holds more than %1 elements; the rest is not shown.")
                        .arg(m_limits.maxNodes));
    }
    bool enterContainer(int depth)
    {
        if (depth < m_limits.maxDepth)
            return true;
        return fail(QStringLiteral("The value nests deeper than %1 levels at byte %2; the rest is "
                                   "not shown.")
                        .arg(m_limits.maxDepth)
                        .arg(m_pos));
    }
    // Unchecked reads; need() first.
    quint8 u8() { return quint8(m_in.at(m_pos++)); }
    quint16 u16()
    {
        const auto value = quint16(bigEndian(m_in.sliced(m_pos, 2)));
        m_pos += 2;
        return value;
    }
    qint32 i32()
    {
        const auto value = qint32(quint32(bigEndian(m_in.sliced(m_pos, 4))));
        m_pos += 4;
        return value;
    }
    qint64 i64()
    {
        const qint64 value = bigEndian(m_in.sliced(m_pos, 8));
        m_pos += 8;
        return value;
    }
    QString modifiedUtf8(qsizetype size);
    bool readUtf(QString &out, bool isLong);

    qsizetype newHandle(const QString &description)
    {
        m_handles.append(Handle{nullptr, description, std::nullopt, 0});
        return m_handles.size() - 1;
    }
    void finishHandle(qsizetype handle, quint32 generation, const ValueNode &value, qsizetype nodes)
    {
        // A TC_RESET inside the object (malformed, but possible) has emptied the table.
        if (generation != m_generation || handle >= m_handles.size())
            return;
        ValueNode stored = value;
        stored.name.clear();
        m_handles[handle].value = std::move(stored);
        m_handles[handle].nodes = nodes;
    }
    void reset()
    {
        m_handles.clear();
        ++m_generation;
    }

    bool readObject(ValueNode &out, int depth);
    bool readReference(ValueNode &out);
    bool readNewString(ValueNode &out, bool isLong);
    bool readNewObject(ValueNode &out, int depth);
    bool readNewArray(ValueNode &out, int depth);
    bool readEnum(ValueNode &out, int depth);
    bool readNewClass(ValueNode &out, int depth);
    bool readClassDesc(ClassDescPtr &out, int depth);
    bool readNewClassDesc(ClassDescPtr &out, int depth);
    bool readProxyClassDesc(ClassDescPtr &out, int depth);
    bool readStringObject(QString &out, int depth, const QString &what);
    bool readAnnotation(Annotation &out, int depth);
    bool readBlockData(QByteArray &out);
    bool readFieldValues(const ClassDesc &desc, ValueNode &object, QSet<QString> &names, int depth);
    void interpretObject(ValueNode &node, const QList<Annotation> &annotations, bool complete);

    QByteArrayView m_in;
    qsizetype m_pos = 0;
    const DecodeLimits &m_limits;
    const int m_maxRecursion;
    int m_recursion = 0;
    qsizetype m_nodes = 0;
    QList<Handle> m_handles;
    quint32 m_generation = 0;
    QString m_error; // why reading stopped
    QString m_note; // a problem that did not stop reading
};

QString JavaReader::modifiedUtf8(qsizetype size)
{
    // Java's modified UTF-8 encodes each UTF-16 unit on its own (surrogates as two 3-byte
    // sequences, U+0000 as C0 80), so every sequence maps to exactly one QChar.
    const QByteArrayView bytes = m_in.sliced(m_pos, size);
    QString text;
    text.reserve(size);
    for (qsizetype i = 0; i < bytes.size();) {
        const auto b = uchar(bytes.at(i));
        const auto continuation = [&](qsizetype at) {
            return at < bytes.size() && (uchar(bytes.at(at)) & 0xC0) == 0x80;
        };
        if (b < 0x80) {
            text += QChar(char16_t(b));
            i += 1;
        } else if ((b & 0xE0) == 0xC0 && continuation(i + 1)) {
            text += QChar(char16_t(((b & 0x1F) << 6) | (uchar(bytes.at(i + 1)) & 0x3F)));
            i += 2;
        } else if ((b & 0xF0) == 0xE0 && continuation(i + 1) && continuation(i + 2)) {
            text += QChar(char16_t(((b & 0x0F) << 12) | ((uchar(bytes.at(i + 1)) & 0x3F) << 6)
                                   | (uchar(bytes.at(i + 2)) & 0x3F)));
            i += 3;
        } else {
            if (m_note.isEmpty()) {
                m_note = QStringLiteral("The string at byte %1 is not valid modified UTF-8; bad "
                                        "bytes are shown as U+FFFD.")
                             .arg(m_pos);
            }
            text += QChar::ReplacementCharacter;
            i += 1;
        }
    }
    m_pos += size;
    return text;
}

bool JavaReader::readUtf(QString &out, bool isLong)
{
    if (!need(isLong ? 8 : 2))
        return false;
    const qint64 size = isLong ? i64() : u16();
    if (size < 0 || size > m_limits.maxStringBytes) {
        return fail(QStringLiteral("A string of %1 bytes at byte %2 exceeds the limit of %3 "
                                   "bytes.")
                        .arg(size)
                        .arg(m_pos)
                        .arg(m_limits.maxStringBytes));
    }
    if (!need(size))
        return false;
    out = modifiedUtf8(qsizetype(size));
    return true;
}

bool JavaReader::readStream(ValueNode &root)
{
    if (!need(4) || u16() != 0xACED) {
        m_pos = 0;
        return fail(QStringLiteral("The value does not start with the Java serialization magic "
                                   "AC ED."));
    }
    const quint16 version = u16();
    if (version != 5) {
        return fail(
            QStringLiteral("The Java serialization stream has version %1, not 5.").arg(version));
    }
    QList<ValueNode> items;
    bool ok = true;
    while (ok && m_pos < m_in.size()) {
        const auto code = quint8(m_in.at(m_pos));
        if (code == TC_RESET) {
            ++m_pos;
            reset();
            continue;
        }
        ValueNode item;
        if (code == TC_BLOCKDATA || code == TC_BLOCKDATALONG) {
            QByteArray bytes;
            ok = readBlockData(bytes) && countNodes();
            item.kind = ValueNode::Kind::Bytes;
            item.scalar = bytes;
        } else {
            ok = readObject(item, 1);
        }
        items.append(std::move(item));
    }
    if (items.size() == 1) {
        root = std::move(items.first());
    } else if (!items.isEmpty()) {
        root.kind = ValueNode::Kind::List;
        root.children = std::move(items);
    } else if (ok) {
        return fail(QStringLiteral("The Java serialization stream holds no object."));
    }
    return ok;
}

bool JavaReader::readObject(ValueNode &out, int depth)
{
    RecursionGuard guard(*this);
    if (!guard.ok || !need(1))
        return false;
    const qsizetype start = m_pos;
    quint8 code = u8();
    while (code == TC_RESET) {
        reset();
        if (!need(1))
            return false;
        code = u8();
    }
    switch (code) {
    case TC_NULL:
        out.kind = ValueNode::Kind::Null;
        return countNodes();
    case TC_REFERENCE:
        return readReference(out);
    case TC_OBJECT:
        return readNewObject(out, depth);
    case TC_STRING:
        return readNewString(out, false);
    case TC_LONGSTRING:
        return readNewString(out, true);
    case TC_ARRAY:
        return readNewArray(out, depth);
    case TC_ENUM:
        return readEnum(out, depth);
    case TC_CLASS:
        return readNewClass(out, depth);
    case TC_CLASSDESC:
    case TC_PROXYCLASSDESC: {
        --m_pos;
        ClassDescPtr desc;
        const bool ok = readClassDesc(desc, depth);
        out.kind = ValueNode::Kind::String;
        out.typeName = QStringLiteral("java.io.ObjectStreamClass");
        out.scalar = desc ? readableClassName(desc->name) : QString();
        return ok && countNodes();
    }
    case TC_EXCEPTION: {
        // The writer failed; what follows is the exception it threw, then nothing usable.
        reset();
        ValueNode exception;
        readObject(exception, depth);
        QString what = exception.typeName;
        if (const ValueNode *message = exception.child(u"detailMessage");
            message && message->kind == ValueNode::Kind::String) {
            what += QStringLiteral(": ") + message->scalar.toString();
        }
        out = std::move(exception);
        return fail(QStringLiteral("The stream records at byte %1 that its writer failed (%2); "
                                   "the rest is not shown.")
                        .arg(start)
                        .arg(what.isEmpty() ? QStringLiteral("unreadable exception") : what));
    }
    case TC_BLOCKDATA:
    case TC_BLOCKDATALONG:
        return fail(QStringLiteral("Unexpected block data at byte %1 where an object should be.")
                        .arg(start));
    case TC_ENDBLOCKDATA:
        return fail(QStringLiteral("Unexpected end of block data at byte %1 where an object "
                                   "should be.")
                        .arg(start));
    default:
        return fail(QStringLiteral("Unknown type code 0x%1 at byte %2.")
                        .arg(code, 2, 16, QLatin1Char('0'))
                        .arg(start));
    }
}

bool JavaReader::readReference(ValueNode &out)
{
    const qsizetype start = m_pos - 1;
    if (!need(4))
        return false;
    const qint64 index = qint64(i32()) - kBaseWireHandle;
    if (index < 0 || index >= m_handles.size()) {
        return fail(QStringLiteral("The reference at byte %1 points to handle %2, which does not "
                                   "exist.")
                        .arg(start)
                        .arg(index + kBaseWireHandle));
    }
    const Handle &handle = m_handles.at(index);
    if (handle.classDesc) {
        out.kind = ValueNode::Kind::String;
        out.typeName = QStringLiteral("java.io.ObjectStreamClass");
        out.scalar = readableClassName(handle.classDesc->name);
        return countNodes();
    }
    if (handle.value) {
        if (!countNodes(qMax<qsizetype>(handle.nodes, 1)))
            return false;
        out = *handle.value;
        return true;
    }
    out.kind = ValueNode::Kind::String;
    out.typeName = QStringLiteral("reference");
    out.scalar = QStringLiteral("(reference to the enclosing %1)").arg(handle.description);
    return countNodes();
}

bool JavaReader::readNewString(ValueNode &out, bool isLong)
{
    const qsizetype handle = newHandle(QStringLiteral("java.lang.String"));
    const quint32 generation = m_generation;
    QString text;
    if (!readUtf(text, isLong) || !countNodes())
        return false;
    out.kind = ValueNode::Kind::String;
    out.scalar = text;
    finishHandle(handle, generation, out, 1);
    return true;
}

bool JavaReader::readStringObject(QString &out, int depth, const QString &what)
{
    const qsizetype start = m_pos;
    ValueNode node;
    if (!readObject(node, depth))
        return false;
    if (node.kind != ValueNode::Kind::String || !node.typeName.isEmpty())
        return fail(QStringLiteral("The %1 at byte %2 is not a string.").arg(what).arg(start));
    out = node.scalar.toString();
    return true;
}

bool JavaReader::readBlockData(QByteArray &out)
{
    if (!need(1))
        return false;
    const quint8 code = u8();
    qint64 size = 0;
    if (code == TC_BLOCKDATA) {
        if (!need(1))
            return false;
        size = u8();
    } else {
        if (!need(4))
            return false;
        size = i32();
        if (size < 0) {
            return fail(
                QStringLiteral("The block data at byte %1 has a negative length.").arg(m_pos - 5));
        }
    }
    if (!need(size))
        return false;
    out += m_in.sliced(m_pos, size).toByteArray();
    m_pos += size;
    return true;
}

bool JavaReader::readAnnotation(Annotation &out, int depth)
{
    RecursionGuard guard(*this);
    if (!guard.ok)
        return false;
    while (true) {
        if (!need(1))
            return false;
        const auto code = quint8(m_in.at(m_pos));
        if (code == TC_ENDBLOCKDATA) {
            ++m_pos;
            return true;
        }
        if (code == TC_BLOCKDATA || code == TC_BLOCKDATALONG) {
            // Consecutive blocks are one stream of primitive data.
            if (out.items.isEmpty() || !out.items.last().isBlock) {
                if (!countNodes())
                    return false;
                out.items.append(Annotation::Item{true, {}, {}});
            }
            if (!readBlockData(out.items.last().bytes))
                return false;
            continue;
        }
        out.items.append(Annotation::Item{false, {}, {}});
        if (!readObject(out.items.last().object, depth))
            return false;
    }
}

bool JavaReader::readClassDesc(ClassDescPtr &out, int depth)
{
    RecursionGuard guard(*this);
    if (!guard.ok || !need(1))
        return false;
    const qsizetype start = m_pos;
    const quint8 code = u8();
    switch (code) {
    case TC_NULL:
        out = nullptr;
        return true;
    case TC_CLASSDESC:
        return readNewClassDesc(out, depth);
    case TC_PROXYCLASSDESC:
        return readProxyClassDesc(out, depth);
    case TC_REFERENCE: {
        if (!need(4))
            return false;
        const qint64 index = qint64(i32()) - kBaseWireHandle;
        if (index < 0 || index >= m_handles.size() || !m_handles.at(index).classDesc) {
            return fail(QStringLiteral("The reference at byte %1 does not point to a class "
                                       "description.")
                            .arg(start));
        }
        out = m_handles.at(index).classDesc;
        if (!out->complete) {
            return fail(QStringLiteral("The reference at byte %1 points to a class description "
                                       "that is still being read.")
                            .arg(start));
        }
        return true;
    }
    default:
        m_pos = start;
        return fail(QStringLiteral("Unexpected type code 0x%1 at byte %2 where a class "
                                   "description should be.")
                        .arg(code, 2, 16, QLatin1Char('0'))
                        .arg(start));
    }
}

bool JavaReader::readNewClassDesc(ClassDescPtr &out, int depth)
{
    auto desc = std::make_shared<ClassDesc>();
    out = desc;
    if (!readUtf(desc->name, false) || !need(8))
        return false;
    i64(); // serialVersionUID
    const qsizetype handle = newHandle(QString());
    m_handles[handle].classDesc = desc;
    if (!need(3))
        return false;
    desc->flags = u8();
    const quint16 count = u16();
    for (quint16 i = 0; i < count; ++i) {
        const qsizetype start = m_pos;
        if (!need(1))
            return false;
        FieldDesc field;
        field.type = char(u8());
        if (!QByteArrayView("BCDFIJSZL[").contains(field.type)) {
            return fail(QStringLiteral("The field at byte %1 of class %2 has the unknown type "
                                       "code 0x%3.")
                            .arg(start)
                            .arg(desc->name)
                            .arg(uchar(field.type), 2, 16, QLatin1Char('0')));
        }
        if (!readUtf(field.name, false))
            return false;
        if (field.type == 'L' || field.type == '[') {
            QString fieldClass;
            if (!readStringObject(fieldClass, depth, QStringLiteral("field type")))
                return false;
        }
        desc->fields.append(field);
    }
    Annotation annotation; // class annotations (RMI code bases) are not shown
    if (!readAnnotation(annotation, depth))
        return false;
    ClassDescPtr super;
    if (!readClassDesc(super, depth))
        return false;
    qsizetype chain = 1;
    for (const ClassDesc *c = super.get(); c; c = c->super.get()) {
        if (++chain > kMaxClassChain) {
            return fail(QStringLiteral("Class %1 has more than %2 superclasses.")
                            .arg(desc->name)
                            .arg(kMaxClassChain));
        }
    }
    desc->super = super;
    desc->complete = true;
    return true;
}

bool JavaReader::readProxyClassDesc(ClassDescPtr &out, int depth)
{
    auto desc = std::make_shared<ClassDesc>();
    out = desc;
    const qsizetype handle = newHandle(QString());
    m_handles[handle].classDesc = desc;
    if (!need(4))
        return false;
    const qint32 count = i32();
    if (count < 0 || count > 65535) {
        return fail(QStringLiteral("The proxy class at byte %1 lists %2 interfaces.")
                        .arg(m_pos - 4)
                        .arg(count));
    }
    QStringList interfaces;
    for (qint32 i = 0; i < count; ++i) {
        QString name;
        if (!readUtf(name, false))
            return false;
        interfaces << name;
    }
    desc->name = QStringLiteral("proxy(%1)").arg(interfaces.join(QStringLiteral(", ")));
    desc->flags = SC_SERIALIZABLE;
    Annotation annotation;
    if (!readAnnotation(annotation, depth))
        return false;
    ClassDescPtr super;
    if (!readClassDesc(super, depth))
        return false;
    desc->super = super;
    desc->complete = true;
    return true;
}

bool JavaReader::readFieldValues(const ClassDesc &desc, ValueNode &object, QSet<QString> &names,
                                 int depth)
{
    for (const FieldDesc &field : desc.fields) {
        ValueNode value;
        value.name = field.name;
        // A field hiding one of a superclass is named after its declaring class.
        if (names.contains(field.name))
            value.name = desc.name + QStringLiteral("::") + field.name;
        names.insert(value.name);
        bool ok = true;
        const int sizes[] = {1, 2, 8, 4, 4, 8, 2, 1};
        const qsizetype typeIndex = QByteArrayView("BCDFIJSZ").indexOf(field.type);
        if (typeIndex >= 0) {
            ok = need(sizes[typeIndex]) && countNodes();
            if (ok) {
                switch (field.type) {
                case 'B':
                    value.kind = ValueNode::Kind::Integer;
                    value.scalar = qint64(qint8(u8()));
                    break;
                case 'C':
                    value.kind = ValueNode::Kind::String;
                    value.scalar = QString(QChar(char16_t(u16())));
                    break;
                case 'D':
                    value.kind = ValueNode::Kind::Double;
                    value.scalar = std::bit_cast<double>(quint64(i64()));
                    break;
                case 'F':
                    value.kind = ValueNode::Kind::Double;
                    value.scalar = double(std::bit_cast<float>(quint32(i32())));
                    break;
                case 'I':
                    value.kind = ValueNode::Kind::Integer;
                    value.scalar = qint64(i32());
                    break;
                case 'J':
                    value.kind = ValueNode::Kind::Integer;
                    value.scalar = i64();
                    break;
                case 'S':
                    value.kind = ValueNode::Kind::Integer;
                    value.scalar = qint64(qint16(u16()));
                    break;
                case 'Z':
                    value.kind = ValueNode::Kind::Bool;
                    value.scalar = u8() != 0;
                    break;
                }
            }
        } else {
            const QString name = value.name;
            ok = readObject(value, depth);
            value.name = name;
        }
        object.children.append(std::move(value));
        if (!ok)
            return false;
    }
    return true;
}

bool JavaReader::readNewObject(ValueNode &out, int depth)
{
    const qsizetype start = m_pos - 1;
    ClassDescPtr desc;
    if (!readClassDesc(desc, depth))
        return false;
    if (!desc)
        return fail(QStringLiteral("The object at byte %1 has no class.").arg(start));
    out.kind = ValueNode::Kind::Map;
    out.typeName = readableClassName(desc->name);
    if (!enterContainer(depth))
        return false;
    const qsizetype nodesBefore = m_nodes;
    if (!countNodes())
        return false;
    const qsizetype handle = newHandle(out.typeName);
    const quint32 generation = m_generation;

    QList<const ClassDesc *> chain;
    for (const ClassDesc *c = desc.get(); c; c = c->super.get())
        chain.prepend(c);
    QList<Annotation> annotations;
    QSet<QString> fieldNames;
    bool ok = true;
    for (const ClassDesc *c : chain) {
        if (c->flags & SC_EXTERNALIZABLE) {
            if (!(c->flags & SC_BLOCK_DATA)) {
                ok = fail(QStringLiteral("The object of class %1 at byte %2 was written in the "
                                         "old externalizable format, which only the class itself "
                                         "can read.")
                              .arg(c->name)
                              .arg(start));
                break;
            }
            annotations.append(Annotation{c->name, {}});
            ok = readAnnotation(annotations.last(), depth + 1);
        } else if (c->flags & SC_SERIALIZABLE) {
            ok = readFieldValues(*c, out, fieldNames, depth + 1);
            if (ok && (c->flags & SC_WRITE_METHOD)) {
                annotations.append(Annotation{c->name, {}});
                ok = readAnnotation(annotations.last(), depth + 1);
            }
        }
        if (!ok)
            break;
    }
    interpretObject(out, annotations, ok);
    finishHandle(handle, generation, out, m_nodes - nodesBefore);
    return ok;
}

void JavaReader::interpretObject(ValueNode &node, const QList<Annotation> &annotations,
                                 bool complete)
{
    const QString cls = node.typeName;
    const auto annotationOf = [&](const QString &writer) -> const Annotation * {
        for (const Annotation &a : annotations) {
            if (a.className == writer)
                return &a;
        }
        return nullptr;
    };
    const auto replaceWith = [&node](ValueNode value) {
        value.name = node.name;
        node = std::move(value);
    };
    const auto scalarField = [&](ValueNode::Kind kind) {
        const ValueNode *value = node.child(u"value");
        if (value && value->kind == kind && node.children.size() == 1) {
            replaceWith(*value);
            node.typeName.clear();
            return true;
        }
        return false;
    };

    if (complete) {
        // Boxed primitives.
        if (cls == u"java.lang.Long" || cls == u"java.lang.Integer" || cls == u"java.lang.Short"
            || cls == u"java.lang.Byte") {
            if (scalarField(ValueNode::Kind::Integer))
                return;
        } else if (cls == u"java.lang.Double" || cls == u"java.lang.Float") {
            if (scalarField(ValueNode::Kind::Double))
                return;
        } else if (cls == u"java.lang.Boolean") {
            if (scalarField(ValueNode::Kind::Bool))
                return;
        } else if (cls == u"java.lang.Character") {
            if (scalarField(ValueNode::Kind::String))
                return;
        }

        // Dates: java.util.Date writes its time in milliseconds as block data.
        if (const Annotation *date = annotationOf(QStringLiteral("java.util.Date"))) {
            const QByteArray bytes = date->blockBytes();
            if (bytes.size() >= 8) {
                qint64 msecs = bigEndian(QByteArrayView(bytes).first(8));
                const ValueNode *nanos = node.child(u"nanos");
                // Within ±300,000 years the arithmetic below cannot overflow.
                constexpr qint64 kMaxMsecs = 10'000'000'000'000'000LL;
                if (cls == u"java.sql.Timestamp" && nanos && msecs > -kMaxMsecs && msecs < kMaxMsecs
                    && nanos->kind == ValueNode::Kind::Integer) {
                    msecs = msecs - msecs % 1000 + nanos->scalar.toLongLong() / 1'000'000;
                }
                if (const QString text = timeText(msecs); !text.isEmpty()) {
                    ValueNode time;
                    time.kind = ValueNode::Kind::String;
                    time.scalar = text;
                    time.typeName = cls;
                    replaceWith(time);
                    return;
                }
            }
        }
        // java.time types are written by java.time.Ser: a type byte, then the value.
        if (cls == u"java.time.Ser") {
            if (const Annotation *ser = annotationOf(cls)) {
                const QByteArray bytes = ser->blockBytes();
                if (bytes.size() >= 13 && bytes.at(0) == 2) { // Instant: seconds, nanos
                    const qint64 seconds = bigEndian(QByteArrayView(bytes).sliced(1, 8));
                    const qint64 nanos = qint32(bigEndian(QByteArrayView(bytes).sliced(9, 4)));
                    if (seconds > -62'000'000'000LL && seconds < 253'000'000'000LL) {
                        if (const QString text = timeText(seconds * 1000 + nanos / 1'000'000);
                            !text.isEmpty()) {
                            ValueNode time;
                            time.kind = ValueNode::Kind::String;
                            time.scalar = text;
                            time.typeName = QStringLiteral("java.time.Instant");
                            replaceWith(time);
                            return;
                        }
                    }
                }
            }
        }
        if (cls == u"java.util.UUID") {
            const ValueNode *most = node.child(u"mostSigBits");
            const ValueNode *least = node.child(u"leastSigBits");
            if (most && least && most->kind == ValueNode::Kind::Integer
                && least->kind == ValueNode::Kind::Integer) {
                const QString hex =
                    QStringLiteral("%1%2")
                        .arg(quint64(most->scalar.toLongLong()), 16, 16, QLatin1Char('0'))
                        .arg(quint64(least->scalar.toLongLong()), 16, 16, QLatin1Char('0'));
                ValueNode uuid;
                uuid.kind = ValueNode::Kind::String;
                uuid.scalar = QString(hex.mid(0, 8) + u'-' + hex.mid(8, 4) + u'-' + hex.mid(12, 4)
                                      + u'-' + hex.mid(16, 4) + u'-' + hex.mid(20));
                uuid.typeName = cls;
                replaceWith(uuid);
                return;
            }
        }

        // Collections whose writeObject() writes their elements.
        if (const auto known = knownCollections().constFind(cls);
            known != knownCollections().cend()) {
            if (const Annotation *data = annotationOf(known->first)) {
                QList<ValueNode> objects = data->objects();
                const CollectionShape shape = known->second;
                if (shape.leadingComparator && !objects.isEmpty())
                    objects.removeFirst();
                const int terminator = shape.isMap ? 2 : 1;
                if (shape.nullTerminated && objects.size() >= terminator
                    && std::all_of(
                        objects.end() - terminator, objects.end(),
                        [](const ValueNode &n) { return n.kind == ValueNode::Kind::Null; })) {
                    objects.resize(objects.size() - terminator);
                }
                ValueNode collection;
                collection.typeName = cls;
                if (shape.isMap) {
                    collection.kind = ValueNode::Kind::Map;
                    for (qsizetype i = 0; i + 1 < objects.size(); i += 2) {
                        ValueNode value = objects.at(i + 1);
                        value.name = keyText(objects.at(i), i / 2);
                        collection.children.append(std::move(value));
                    }
                } else {
                    collection.kind = ValueNode::Kind::List;
                    for (ValueNode &element : objects) {
                        element.name.clear();
                        collection.children.append(std::move(element));
                    }
                }
                replaceWith(collection);
                return;
            }
        }
        // List.of(), Set.of() and Map.of() are written through java.util.CollSer: a kind tag
        // (1 list, 2 set, 3 map, 4 list with nulls), then the elements or the keys and values.
        if (cls == u"java.util.CollSer") {
            const ValueNode *tag = node.child(u"tag");
            const Annotation *data = annotationOf(cls);
            if (tag && data && tag->kind == ValueNode::Kind::Integer) {
                const qint64 kind = tag->scalar.toLongLong() & 0xff;
                const QList<ValueNode> objects = data->objects();
                ValueNode collection;
                if (kind == 3) {
                    collection.kind = ValueNode::Kind::Map;
                    for (qsizetype i = 0; i + 1 < objects.size(); i += 2) {
                        ValueNode value = objects.at(i + 1);
                        value.name = keyText(objects.at(i), i / 2);
                        collection.children.append(std::move(value));
                    }
                } else if (kind >= 1 && kind <= 4) {
                    collection.kind = ValueNode::Kind::List;
                    for (ValueNode element : objects) {
                        element.name.clear();
                        collection.children.append(std::move(element));
                    }
                }
                if (collection.isContainer()) {
                    replaceWith(collection);
                    return;
                }
            }
        }
        if (cls == u"java.util.Vector") {
            const ValueNode *elements = node.child(u"elementData");
            const ValueNode *count = node.child(u"elementCount");
            if (elements && count && elements->kind == ValueNode::Kind::List
                && count->kind == ValueNode::Kind::Integer) {
                ValueNode list = *elements;
                list.children = list.children.mid(
                    0, qBound<qint64>(0, count->scalar.toLongLong(), list.children.size()));
                list.typeName = cls;
                replaceWith(list);
                return;
            }
        }
        if (cls.startsWith(u"java.util.Collections$")) {
            const QString inner = cls.mid(22);
            if (inner.startsWith(u"Unmodifiable") || inner.startsWith(u"Synchronized")
                || inner.startsWith(u"Checked")) {
                for (const QStringView field : {u"list", u"m", u"c", u"s"}) {
                    const ValueNode *wrapped = node.child(field);
                    if (wrapped && wrapped->isContainer()) {
                        replaceWith(*wrapped);
                        return;
                    }
                }
            }
            if (inner == u"EmptyList" || inner == u"EmptySet" || inner == u"EmptyMap") {
                ValueNode empty;
                empty.kind = inner == u"EmptyMap" ? ValueNode::Kind::Map : ValueNode::Kind::List;
                empty.typeName = cls;
                replaceWith(empty);
                return;
            }
            if (inner == u"SingletonList" || inner == u"SingletonSet") {
                if (const ValueNode *element = node.child(u"element")) {
                    ValueNode list;
                    list.kind = ValueNode::Kind::List;
                    list.typeName = cls;
                    list.children.append(*element);
                    list.children.first().name.clear();
                    replaceWith(list);
                    return;
                }
            }
            if (inner == u"SingletonMap") {
                const ValueNode *key = node.child(u"k");
                const ValueNode *value = node.child(u"v");
                if (key && value) {
                    ValueNode map;
                    map.kind = ValueNode::Kind::Map;
                    map.typeName = cls;
                    map.children.append(*value);
                    map.children.first().name = keyText(*key, 0);
                    replaceWith(map);
                    return;
                }
            }
        }
        if (cls == u"java.util.Arrays$ArrayList") {
            if (const ValueNode *array = node.child(u"a"); array && array->isContainer()) {
                ValueNode list = *array;
                list.typeName = cls;
                replaceWith(list);
                return;
            }
        }
    }

    // Anything else keeps its fields; what writeObject() added is shown as it is.
    for (const Annotation &annotation : annotations) {
        if (annotation.items.isEmpty())
            continue;
        ValueNode data;
        data.kind = ValueNode::Kind::List;
        data.name = annotation.className == cls ? QStringLiteral("@data")
                                                : QStringLiteral("@data:") + annotation.className;
        for (const Annotation::Item &item : annotation.items) {
            ValueNode child = item.object;
            if (item.isBlock) {
                child.kind = ValueNode::Kind::Bytes;
                child.scalar = item.bytes;
            }
            child.name.clear();
            data.children.append(std::move(child));
        }
        node.children.append(std::move(data));
    }
}

bool JavaReader::readNewArray(ValueNode &out, int depth)
{
    const qsizetype start = m_pos - 1;
    ClassDescPtr desc;
    if (!readClassDesc(desc, depth))
        return false;
    if (!desc || desc->name.size() < 2 || !desc->name.startsWith(u'[')) {
        return fail(QStringLiteral("The array at byte %1 has no array class.").arg(start));
    }
    const qsizetype handle = newHandle(readableClassName(desc->name));
    const quint32 generation = m_generation;
    const qsizetype nodesBefore = m_nodes;
    out.typeName = readableClassName(desc->name);
    out.kind = ValueNode::Kind::List;
    if (!enterContainer(depth) || !countNodes() || !need(4))
        return false;
    const qint32 size = i32();
    if (size < 0) {
        return fail(QStringLiteral("The array at byte %1 has a negative length.").arg(start));
    }
    const char type = char(desc->name.at(1).unicode());
    const int widths[] = {1, 2, 8, 4, 4, 8, 2, 1};
    const qsizetype typeIndex = QByteArrayView("BCDFIJSZ").indexOf(type);
    bool ok = true;
    if (typeIndex >= 0) {
        const qint64 bytes = qint64(size) * widths[typeIndex];
        if (type == 'B' || type == 'C') {
            if (bytes > m_limits.maxStringBytes) {
                return fail(QStringLiteral("An array of %1 bytes at byte %2 exceeds the limit of "
                                           "%3 bytes.")
                                .arg(bytes)
                                .arg(start)
                                .arg(m_limits.maxStringBytes));
            }
        } else if (!countNodes(size)) {
            return false;
        }
        if (!need(bytes))
            return false;
        if (type == 'B') {
            out.kind = ValueNode::Kind::Bytes;
            out.scalar = m_in.sliced(m_pos, size).toByteArray();
            m_pos += size;
        } else if (type == 'C') {
            QString text;
            text.reserve(size);
            for (qint32 i = 0; i < size; ++i)
                text += QChar(char16_t(u16()));
            out.kind = ValueNode::Kind::String;
            out.scalar = text;
        } else {
            out.children.reserve(size);
            for (qint32 i = 0; i < size; ++i) {
                ValueNode element;
                switch (type) {
                case 'D':
                    element.kind = ValueNode::Kind::Double;
                    element.scalar = std::bit_cast<double>(quint64(i64()));
                    break;
                case 'F':
                    element.kind = ValueNode::Kind::Double;
                    element.scalar = double(std::bit_cast<float>(quint32(i32())));
                    break;
                case 'I':
                    element.kind = ValueNode::Kind::Integer;
                    element.scalar = qint64(i32());
                    break;
                case 'J':
                    element.kind = ValueNode::Kind::Integer;
                    element.scalar = i64();
                    break;
                case 'S':
                    element.kind = ValueNode::Kind::Integer;
                    element.scalar = qint64(qint16(u16()));
                    break;
                case 'Z':
                    element.kind = ValueNode::Kind::Bool;
                    element.scalar = u8() != 0;
                    break;
                }
                out.children.append(std::move(element));
            }
        }
    } else if (type == 'L' || type == '[') {
        // Every element takes at least one byte, which bounds what is worth reserving.
        out.children.reserve(qMin<qsizetype>(size, m_in.size() - m_pos));
        for (qint32 i = 0; i < size && ok; ++i) {
            ValueNode element;
            ok = readObject(element, depth + 1);
            element.name.clear();
            out.children.append(std::move(element));
        }
    } else {
        return fail(QStringLiteral("The array at byte %1 has the unknown element type %2.")
                        .arg(start)
                        .arg(desc->name));
    }
    finishHandle(handle, generation, out, m_nodes - nodesBefore);
    return ok;
}

bool JavaReader::readEnum(ValueNode &out, int depth)
{
    const qsizetype start = m_pos - 1;
    ClassDescPtr desc;
    if (!readClassDesc(desc, depth))
        return false;
    if (!desc)
        return fail(QStringLiteral("The enum constant at byte %1 has no class.").arg(start));
    // A constant with a body has its own subclass of the enum class.
    const ClassDesc *enumClass = desc.get();
    if (enumClass->super && enumClass->super->name != u"java.lang.Enum")
        enumClass = enumClass->super.get();
    out.kind = ValueNode::Kind::String;
    out.typeName = readableClassName(enumClass->name);
    const qsizetype handle = newHandle(out.typeName);
    const quint32 generation = m_generation;
    QString name;
    if (!readStringObject(name, depth, QStringLiteral("enum constant name")) || !countNodes())
        return false;
    out.scalar = name;
    finishHandle(handle, generation, out, 1);
    return true;
}

bool JavaReader::readNewClass(ValueNode &out, int depth)
{
    const qsizetype start = m_pos - 1;
    ClassDescPtr desc;
    if (!readClassDesc(desc, depth))
        return false;
    if (!desc)
        return fail(QStringLiteral("The class object at byte %1 names no class.").arg(start));
    out.kind = ValueNode::Kind::String;
    out.typeName = QStringLiteral("java.lang.Class");
    out.scalar = readableClassName(desc->name);
    const qsizetype handle = newHandle(out.typeName);
    if (!countNodes())
        return false;
    finishHandle(handle, m_generation, out, 1);
    return true;
}

} // namespace

DecodedValue decodeJavaSerialization(const QByteArray &raw, const DecodeLimits &limits)
{
    DecodedValue decoded;
    decoded.encoding = QStringLiteral("java");
    JavaReader reader(raw, limits);
    reader.readStream(decoded.root);
    decoded.warning = reader.warning();
    return decoded;
}

bool looksLikeJavaSerialization(QByteArrayView raw)
{
    return raw.size() >= 4 && raw.startsWith(QByteArrayView("\xAC\xED\x00\x05", 4));
}

} // namespace SessionDesk::Codecs
