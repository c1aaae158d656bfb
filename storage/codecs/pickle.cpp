#include "pickle.h"

#include "codecsupport.h"

#include <QDate>
#include <QHash>
#include <QSet>

#include <algorithm>
#include <cstring>
#include <limits>

namespace SessionDesk::Codecs {

namespace {

using Kind = ValueNode::Kind;

// One Python object built by the pickle machine. Containers refer to other objects by index,
// as the memo lets one object appear in several places (and inside itself).
struct PyObject
{
    enum class Type { Scalar, List, Tuple, Dict, Set, FrozenSet, Global, Instance };
    Type type = Type::Scalar;
    ValueNode scalar; // Scalar: the value; Global: a String holding the dotted name
    QList<int> items; // List, Tuple, Set, FrozenSet; Instance: what APPEND(S) added
    QList<QPair<int, int>> pairs; // Dict; Instance: what SETITEM(S) added
    // Instance: made by REDUCE, NEWOBJ(_EX), INST or OBJ.
    int callable = -1; // an object index, or -1 when `name` says it (INST)
    QString name;
    QList<int> args;
    int kwargs = -1;
    int state = -1; // BUILD
};

// Python 2 module names, as protocols 0–2 write them, read as their Python 3 names.
QString normalizedModule(const QString &module)
{
    if (module == u"__builtin__")
        return QStringLiteral("builtins");
    if (module == u"copy_reg")
        return QStringLiteral("copyreg");
    return module;
}

class PickleMachine
{
public:
    PickleMachine(const QByteArray &raw, const DecodeLimits &limits)
        : m_raw(raw)
        , m_budget(limits)
        , m_operationLimit(4 * limits.maxNodes + 1024)
    { }

    // Runs to STOP; throws DecodeStop. Afterwards `result()` is the pickled object, and
    // `stopped()` tells whether STOP was reached.
    void run();
    bool stopped() const { return m_result >= 0; }
    qsizetype end() const { return m_pos; }

    // The tree of what was read: the result, or after an error everything on the stack.
    void buildResult(ValueNode &root);

private:
    // ---- input
    uchar byte();
    QByteArrayView take(qint64 length, const char *what);
    quint64 littleEndian(int size);
    QByteArray line();
    qint64 lineIndex();

    // ---- objects and the stack
    int add(PyObject object);
    int scalar(ValueNode node)
    {
        PyObject object;
        object.scalar = std::move(node);
        return add(std::move(object));
    }
    void push(int id);
    int pop();
    int top();
    QList<int> popMark();
    void spend(qsizetype units = 1);
    void memoPut(qint64 index);
    void memoGet(qint64 index);

    // ---- opcodes with some logic
    void textInt(const QByteArray &text, bool longForm);
    void textString(const QByteArray &quoted);
    void rawUnicodeEscape(const QByteArray &bytes);
    void appendTo(int target, const QList<int> &values);
    void setItems(int target, const QList<int> &keysAndValues);
    void addItems(int target, const QList<int> &values);
    int instance(int callable, QString name, QList<int> args);
    QList<int> tupleItems(int id, const char *what);
    QString globalName(int id) const;

    // ---- building the tree
    void build(int id, ValueNode &out);
    bool buildReadable(const PyObject &object, const QString &name, ValueNode &out);
    void buildInstance(const PyObject &object, ValueNode &out);
    std::optional<QByteArray> bytesOf(int id) const;
    std::optional<QByteArray> encodedBytes(const PyObject &object) const;
    std::optional<qint64> intOf(int id) const;
    std::optional<QString> textOf(int id) const;
    std::optional<int> utcOffsetOf(int id) const;
    QString keyOf(int id);

    const QByteArray &m_raw;
    DecodeBudget m_budget;
    qsizetype m_operationLimit;
    qsizetype m_operations = 0;
    qsizetype m_pos = 0;
    int m_protocol = 0;
    QList<PyObject> m_objects;
    QList<int> m_stack;
    QList<qsizetype> m_marks; // stack sizes at each MARK
    QHash<qint64, int> m_memo;
    int m_buffers = 0;
    int m_result = -1;
    QSet<int> m_building; // objects being built: a reference to one is a cycle
};

uchar PickleMachine::byte()
{
    if (m_pos >= m_raw.size())
        stop(
            QStringLiteral("The pickle ends early at byte %1, before its STOP opcode.").arg(m_pos));
    return uchar(m_raw.at(m_pos++));
}

QByteArrayView PickleMachine::take(qint64 length, const char *what)
{
    m_budget.checkLength(length, what);
    if (length > m_raw.size() - m_pos) {
        stop(QStringLiteral("A %1 of %2 bytes at byte %3 runs past the end of the pickle.")
                 .arg(QLatin1StringView(what))
                 .arg(length)
                 .arg(m_pos));
    }
    const QByteArrayView out = QByteArrayView(m_raw).sliced(m_pos, length);
    m_pos += length;
    return out;
}

quint64 PickleMachine::littleEndian(int size)
{
    if (size > m_raw.size() - m_pos)
        stop(QStringLiteral("The pickle ends early at byte %1, inside an argument.")
                 .arg(m_raw.size()));
    quint64 value = 0;
    for (int i = size - 1; i >= 0; --i)
        value = (value << 8) | uchar(m_raw.at(m_pos + i));
    m_pos += size;
    return value;
}

QByteArray PickleMachine::line()
{
    const qsizetype newline = m_raw.indexOf('\n', m_pos);
    if (newline < 0)
        stop(QStringLiteral("The pickle ends early at byte %1, inside a line of text.")
                 .arg(m_raw.size()));
    m_budget.checkLength(newline - m_pos, "line of text");
    QByteArray out = m_raw.mid(m_pos, newline - m_pos);
    m_pos = newline + 1;
    if (out.endsWith('\r'))
        out.chop(1);
    return out;
}

qint64 PickleMachine::lineIndex()
{
    const qsizetype at = m_pos;
    bool ok = false;
    const qint64 index = line().trimmed().toLongLong(&ok);
    if (!ok || index < 0)
        stop(QStringLiteral("A memo index at byte %1 is not a number.").arg(at));
    return index;
}

void PickleMachine::spend(qsizetype units)
{
    m_operations += units;
    if (m_operations > m_operationLimit)
        stop(QStringLiteral("The pickle builds more than %1 objects; the rest is not shown.")
                 .arg(m_budget.limits().maxNodes));
}

int PickleMachine::add(PyObject object)
{
    spend();
    m_objects.append(std::move(object));
    return int(m_objects.size() - 1);
}

void PickleMachine::push(int id)
{
    spend();
    m_stack.append(id);
}

int PickleMachine::pop()
{
    const qsizetype floor = m_marks.isEmpty() ? 0 : m_marks.last();
    if (m_stack.size() <= floor)
        stop(QStringLiteral("The opcode at byte %1 needs an object, but the stack is empty.")
                 .arg(m_pos - 1));
    return m_stack.takeLast();
}

int PickleMachine::top()
{
    const qsizetype floor = m_marks.isEmpty() ? 0 : m_marks.last();
    if (m_stack.size() <= floor)
        stop(QStringLiteral("The opcode at byte %1 needs an object, but the stack is empty.")
                 .arg(m_pos - 1));
    return m_stack.last();
}

QList<int> PickleMachine::popMark()
{
    if (m_marks.isEmpty())
        stop(QStringLiteral("The opcode at byte %1 needs a MARK, but there is none.")
                 .arg(m_pos - 1));
    const qsizetype mark = m_marks.takeLast();
    QList<int> items = m_stack.mid(mark);
    m_stack.resize(mark);
    return items;
}

void PickleMachine::memoPut(qint64 index)
{
    spend();
    m_memo.insert(index, top());
}

void PickleMachine::memoGet(qint64 index)
{
    const auto it = m_memo.constFind(index);
    if (it == m_memo.constEnd())
        stop(QStringLiteral("The memo reference at byte %1 names entry %2, which was not stored.")
                 .arg(m_pos - 1)
                 .arg(index));
    push(*it);
}

void PickleMachine::textInt(const QByteArray &text, bool longForm)
{
    QByteArray digits = text.trimmed();
    if (longForm && digits.endsWith('L'))
        digits.chop(1);
    if (!longForm && (digits == "00" || digits == "01")) {
        push(scalar(scalarNode(Kind::Bool, digits == "01")));
        return;
    }
    bool ok = false;
    const qint64 value = digits.toLongLong(&ok);
    if (ok) {
        push(scalar(scalarNode(Kind::Integer, value)));
        return;
    }
    // Beyond 64 bits: the decimal digits are already the best way to show it.
    qsizetype first = digits.startsWith('-') || digits.startsWith('+') ? 1 : 0;
    const bool allDigits = digits.size() > first
        && std::all_of(digits.begin() + first, digits.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
    if (!allDigits)
        stop(QStringLiteral("An integer at byte %1 is not a number.").arg(m_pos));
    if (digits.startsWith('+'))
        digits.remove(0, 1);
    push(scalar(scalarNode(Kind::String, QString::fromLatin1(digits), QStringLiteral("int"))));
}

// Protocol 0's STRING: a Python 2 repr, quoted and backslash-escaped.
void PickleMachine::textString(const QByteArray &quoted)
{
    const QByteArray text = quoted.trimmed();
    if (text.size() < 2 || (text.front() != '\'' && text.front() != '"')
        || text.back() != text.front()) {
        stop(QStringLiteral("A STRING opcode before byte %1 holds no quoted string.").arg(m_pos));
    }
    QByteArray out;
    const qsizetype end = text.size() - 1;
    for (qsizetype i = 1; i < end; ++i) {
        const char c = text.at(i);
        if (c != '\\' || i + 1 >= end) {
            out.append(c);
            continue;
        }
        const char e = text.at(++i);
        switch (e) {
        case 'n':
            out.append('\n');
            break;
        case 't':
            out.append('\t');
            break;
        case 'r':
            out.append('\r');
            break;
        case 'a':
            out.append('\a');
            break;
        case 'b':
            out.append('\b');
            break;
        case 'f':
            out.append('\f');
            break;
        case 'v':
            out.append('\v');
            break;
        case '\\':
        case '\'':
        case '"':
            out.append(e);
            break;
        case '\n':
            break;
        case 'x': {
            const QByteArray hex = text.mid(i + 1, 2);
            bool ok = false;
            const int value = hex.size() == 2 ? hex.toInt(&ok, 16) : 0;
            if (!ok)
                stop(QStringLiteral("A STRING opcode before byte %1 has a bad \\x escape.")
                         .arg(m_pos));
            out.append(char(value));
            i += 2;
            break;
        }
        default:
            if (e >= '0' && e <= '7') {
                int value = e - '0';
                for (int n = 0;
                     n < 2 && i + 1 < end && text.at(i + 1) >= '0' && text.at(i + 1) <= '7'; ++n) {
                    value = value * 8 + (text.at(++i) - '0');
                }
                out.append(char(value & 0xff));
            } else {
                out.append('\\');
                out.append(e);
            }
        }
    }
    push(scalar(textOrBytes(out)));
}

// Protocol 0's UNICODE: Latin-1 text where \uXXXX and \UXXXXXXXX (after an odd number of
// backslashes) are code points.
void PickleMachine::rawUnicodeEscape(const QByteArray &bytes)
{
    QString out;
    out.reserve(bytes.size());
    for (qsizetype i = 0; i < bytes.size();) {
        if (bytes.at(i) != '\\') {
            out += QChar(char16_t(uchar(bytes.at(i++))));
            continue;
        }
        const qsizetype start = i;
        while (i < bytes.size() && bytes.at(i) == '\\')
            out += u'\\', ++i;
        if ((i - start) % 2 == 0 || i >= bytes.size()
            || (bytes.at(i) != 'u' && bytes.at(i) != 'U')) {
            continue;
        }
        out.chop(1);
        const int digits = bytes.at(i) == 'u' ? 4 : 8;
        bool ok = false;
        const QByteArray hex = bytes.mid(i + 1, digits);
        const uint code = hex.size() == digits ? hex.toUInt(&ok, 16) : 0;
        if (!ok || code > 0x10FFFF)
            stop(
                QStringLiteral("A UNICODE opcode before byte %1 has a bad \\u escape.").arg(m_pos));
        const char32_t codePoint = code;
        out += QString::fromUcs4(&codePoint, 1);
        i += 1 + digits;
    }
    push(scalar(scalarNode(Kind::String, out)));
}

void PickleMachine::appendTo(int target, const QList<int> &values)
{
    PyObject &object = m_objects[target];
    if (object.type != PyObject::Type::List && object.type != PyObject::Type::Instance)
        stop(QStringLiteral("APPEND at byte %1 adds to something that is not a list.")
                 .arg(m_pos - 1));
    spend(values.size());
    object.items += values;
}

void PickleMachine::setItems(int target, const QList<int> &keysAndValues)
{
    if (keysAndValues.size() % 2 != 0)
        stop(QStringLiteral("SETITEMS at byte %1 has a key without a value.").arg(m_pos - 1));
    PyObject &object = m_objects[target];
    if (object.type != PyObject::Type::Dict && object.type != PyObject::Type::Instance)
        stop(QStringLiteral("SETITEM at byte %1 adds to something that is not a dict.")
                 .arg(m_pos - 1));
    spend(keysAndValues.size());
    for (qsizetype i = 0; i < keysAndValues.size(); i += 2)
        object.pairs.append({keysAndValues.at(i), keysAndValues.at(i + 1)});
}

void PickleMachine::addItems(int target, const QList<int> &values)
{
    PyObject &object = m_objects[target];
    if (object.type != PyObject::Type::Set && object.type != PyObject::Type::Instance)
        stop(QStringLiteral("ADDITEMS at byte %1 adds to something that is not a set.")
                 .arg(m_pos - 1));
    spend(values.size());
    object.items += values;
}

int PickleMachine::instance(int callable, QString name, QList<int> args)
{
    PyObject object;
    object.type = PyObject::Type::Instance;
    object.callable = callable;
    object.name = std::move(name);
    object.args = std::move(args);
    return add(std::move(object));
}

QList<int> PickleMachine::tupleItems(int id, const char *what)
{
    const PyObject &object = m_objects.at(id);
    if (object.type == PyObject::Type::Tuple || object.type == PyObject::Type::List)
        return object.items;
    stop(QStringLiteral("The %1 at byte %2 are not a tuple.")
             .arg(QLatin1StringView(what))
             .arg(m_pos - 1));
}

QString PickleMachine::globalName(int id) const
{
    const PyObject &object = m_objects.at(id);
    if (object.type == PyObject::Type::Global)
        return object.scalar.scalar.toString();
    if (object.type == PyObject::Type::Instance)
        return object.name.isEmpty() ? QStringLiteral("call") : object.name + u"()";
    return QStringLiteral("call");
}

void PickleMachine::run()
{
    using Type = PyObject::Type;
    const auto global = [this](const QString &module, const QString &name) {
        PyObject object;
        object.type = Type::Global;
        object.scalar = scalarNode(Kind::String, QString(normalizedModule(module) + u'.' + name),
                                   QStringLiteral("class"));
        push(add(std::move(object)));
    };
    const auto container = [this](Type type, QList<int> items = {}) {
        PyObject object;
        object.type = type;
        spend(items.size());
        object.items = std::move(items);
        push(add(std::move(object)));
    };
    const auto utf8 = [](QByteArrayView bytes) { return textOrBytes(bytes.toByteArray()); };

    while (true) {
        const qsizetype at = m_pos;
        const uchar op = byte();
        switch (op) {
        // ---- framing and control
        case 0x80: { // PROTO
            m_protocol = byte();
            if (m_protocol > 5)
                stop(QStringLiteral("The pickle uses protocol %1; protocols 0 to 5 are known.")
                         .arg(m_protocol));
            break;
        }
        case 0x95: // FRAME: a length prefix for buffering; the opcodes follow as usual
            littleEndian(8);
            break;
        case '.': // STOP
            m_result = pop();
            return;
        case '(': // MARK
            spend();
            m_marks.append(m_stack.size());
            break;
        case '0': // POP
            if (m_stack.size() > (m_marks.isEmpty() ? 0 : m_marks.last()))
                m_stack.removeLast();
            else
                popMark();
            break;
        case '1': // POP_MARK
            popMark();
            break;
        case '2': // DUP
            push(top());
            break;

        // ---- scalars
        case 'N':
            push(scalar(scalarNode(Kind::Null, {})));
            break;
        case 0x88: // NEWTRUE
        case 0x89: // NEWFALSE
            push(scalar(scalarNode(Kind::Bool, op == 0x88)));
            break;
        case 'I': // INT (text; 00 and 01 are False and True)
            textInt(line(), false);
            break;
        case 'L': // LONG (text)
            textInt(line(), true);
            break;
        case 'J': // BININT
            push(scalar(scalarNode(Kind::Integer, qint64(qint32(quint32(littleEndian(4)))))));
            break;
        case 'K': // BININT1
            push(scalar(scalarNode(Kind::Integer, qint64(littleEndian(1)))));
            break;
        case 'M': // BININT2
            push(scalar(scalarNode(Kind::Integer, qint64(littleEndian(2)))));
            break;
        case 0x8a: // LONG1
        case 0x8b: { // LONG4
            const qint64 length =
                op == 0x8a ? qint64(littleEndian(1)) : qint64(qint32(quint32(littleEndian(4))));
            if (length < 0)
                stop(QStringLiteral("LONG4 at byte %1 has a negative length.").arg(at));
            push(scalar(twosComplementNode(take(length, "long integer"), QStringLiteral("int"))));
            break;
        }
        case 'F': { // FLOAT (text)
            const QByteArray text = line().trimmed();
            bool ok = false;
            const double value = text.toDouble(&ok);
            if (!ok)
                stop(QStringLiteral("A FLOAT at byte %1 is not a number.").arg(at));
            push(scalar(scalarNode(Kind::Double, value)));
            break;
        }
        case 'G': { // BINFLOAT: big-endian IEEE 754
            const QByteArrayView bytes = take(8, "float");
            quint64 bits = 0;
            for (const char b : bytes)
                bits = (bits << 8) | uchar(b);
            double value;
            std::memcpy(&value, &bits, sizeof value);
            push(scalar(scalarNode(Kind::Double, value)));
            break;
        }

        // ---- strings and bytes
        case 'S': // STRING (a quoted repr)
            textString(line());
            break;
        case 'T': { // BINSTRING
            const qint64 length = qint32(quint32(littleEndian(4)));
            push(scalar(utf8(take(length, "string"))));
            break;
        }
        case 'U': // SHORT_BINSTRING
            push(scalar(utf8(take(qint64(littleEndian(1)), "string"))));
            break;
        case 'V': // UNICODE (raw-unicode-escape text)
            rawUnicodeEscape(line());
            break;
        case 'X': // BINUNICODE
        case 0x8c: // SHORT_BINUNICODE
        case 0x8d: { // BINUNICODE8
            const int width = op == 'X' ? 4 : op == 0x8c ? 1 : 8;
            const quint64 length = littleEndian(width);
            push(scalar(utf8(take(qint64(qMin<quint64>(length, quint64(1) << 62)), "string"))));
            break;
        }
        case 'B': // BINBYTES
        case 'C': // SHORT_BINBYTES
        case 0x8e: // BINBYTES8
        case 0x96: { // BYTEARRAY8
            const int width = op == 'B' ? 4 : op == 'C' ? 1 : 8;
            const quint64 length = littleEndian(width);
            const QByteArrayView bytes =
                take(qint64(qMin<quint64>(length, quint64(1) << 62)), "byte string");
            push(scalar(scalarNode(Kind::Bytes, bytes.toByteArray(),
                                   op == 0x96 ? QStringLiteral("bytearray") : QString())));
            break;
        }
        case 0x97: // NEXT_BUFFER: an out-of-band buffer, which is not part of the data
            push(scalar(
                scalarNode(Kind::String,
                           QStringLiteral("(out-of-band buffer %1, not stored in the pickle)")
                               .arg(m_buffers++),
                           QStringLiteral("pickle.PickleBuffer"))));
            break;
        case 0x98: // READONLY_BUFFER
            top();
            break;

        // ---- containers
        case ']': // EMPTY_LIST
            container(Type::List);
            break;
        case 'l': // LIST
            container(Type::List, popMark());
            break;
        case ')': // EMPTY_TUPLE
            container(Type::Tuple);
            break;
        case 't': // TUPLE
            container(Type::Tuple, popMark());
            break;
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: { // TUPLE3
            QList<int> items;
            for (int n = op - 0x84; n > 0; --n)
                items.prepend(pop());
            container(Type::Tuple, items);
            break;
        }
        case '}': // EMPTY_DICT
            container(Type::Dict);
            break;
        case 'd': { // DICT
            const QList<int> items = popMark();
            container(Type::Dict);
            setItems(m_stack.last(), items);
            break;
        }
        case 0x8f: // EMPTY_SET
            container(Type::Set);
            break;
        case 0x91: // FROZENSET
            container(Type::FrozenSet, popMark());
            break;
        case 'a': { // APPEND
            const int value = pop();
            appendTo(top(), {value});
            break;
        }
        case 'e': { // APPENDS
            const QList<int> values = popMark();
            appendTo(top(), values);
            break;
        }
        case 's': { // SETITEM
            const int value = pop();
            const int key = pop();
            setItems(top(), {key, value});
            break;
        }
        case 'u': { // SETITEMS
            const QList<int> items = popMark();
            setItems(top(), items);
            break;
        }
        case 0x90: { // ADDITEMS
            const QList<int> items = popMark();
            addItems(top(), items);
            break;
        }

        // ---- memo
        case 'p': // PUT
            memoPut(lineIndex());
            break;
        case 'q': // BINPUT
            memoPut(qint64(littleEndian(1)));
            break;
        case 'r': // LONG_BINPUT
            memoPut(qint64(littleEndian(4)));
            break;
        case 0x94: // MEMOIZE
            memoPut(m_memo.size());
            break;
        case 'g': // GET
            memoGet(lineIndex());
            break;
        case 'h': // BINGET
            memoGet(qint64(littleEndian(1)));
            break;
        case 'j': // LONG_BINGET
            memoGet(qint64(littleEndian(4)));
            break;

        // ---- names and objects: recorded, never resolved or called
        case 'c': { // GLOBAL
            const QString module = QString::fromUtf8(line());
            const QString name = QString::fromUtf8(line());
            global(module, name);
            break;
        }
        case 0x93: { // STACK_GLOBAL
            const int name = pop();
            const int module = pop();
            const auto text = [this](int id) {
                const PyObject &object = m_objects.at(id);
                return object.type == Type::Scalar && object.scalar.kind == Kind::String
                    ? std::optional<QString>(object.scalar.scalar.toString())
                    : std::nullopt;
            };
            if (!text(module) || !text(name))
                stop(QStringLiteral("STACK_GLOBAL at byte %1 names no module and name.").arg(at));
            global(*text(module), *text(name));
            break;
        }
        case 0x82: // EXT1
        case 0x83: // EXT2
        case 0x84: { // EXT4
            const qint64 code = qint64(littleEndian(op == 0x82 ? 1 : op == 0x83 ? 2 : 4));
            PyObject object;
            object.type = Type::Global;
            object.scalar =
                scalarNode(Kind::String, QStringLiteral("(copyreg extension %1)").arg(code),
                           QStringLiteral("class"));
            push(add(std::move(object)));
            break;
        }
        case 'R': { // REDUCE
            const int args = pop();
            const int callable = pop();
            push(instance(callable, globalName(callable), tupleItems(args, "REDUCE arguments")));
            break;
        }
        case 0x81: { // NEWOBJ
            const int args = pop();
            const int cls = pop();
            push(instance(cls, globalName(cls), tupleItems(args, "NEWOBJ arguments")));
            break;
        }
        case 0x92: { // NEWOBJ_EX
            const int kwargs = pop();
            const int args = pop();
            const int cls = pop();
            const int id = instance(cls, globalName(cls), tupleItems(args, "NEWOBJ_EX arguments"));
            m_objects[id].kwargs = kwargs;
            push(id);
            break;
        }
        case 'i': { // INST
            const QString module = QString::fromUtf8(line());
            const QString name = QString::fromUtf8(line());
            const QList<int> args = popMark();
            push(instance(-1, normalizedModule(module) + u'.' + name, args));
            break;
        }
        case 'o': { // OBJ
            QList<int> args = popMark();
            if (args.isEmpty())
                stop(QStringLiteral("OBJ at byte %1 has no class.").arg(at));
            const int cls = args.takeFirst();
            push(instance(cls, globalName(cls), args));
            break;
        }
        case 'b': { // BUILD
            const int state = pop();
            PyObject &object = m_objects[top()];
            if (object.type != Type::Instance)
                stop(QStringLiteral("BUILD at byte %1 sets the state of a plain value.").arg(at));
            object.state = state;
            break;
        }
        case 'P': { // PERSID
            const QByteArray id = line();
            push(scalar(textOrBytes(id, QStringLiteral("persistent id"))));
            break;
        }
        case 'Q': { // BINPERSID: shown like PERSID when the id is text
            const int id = pop();
            if (m_objects.at(id).type == Type::Scalar
                && m_objects.at(id).scalar.kind == Kind::String) {
                ValueNode node = m_objects.at(id).scalar;
                node.typeName = QStringLiteral("persistent id");
                push(scalar(std::move(node)));
            } else {
                push(instance(-1, QStringLiteral("persistent id"), {id}));
            }
            break;
        }
        default:
            stop(QStringLiteral("Unknown pickle opcode 0x%1 at byte %2.")
                     .arg(op, 2, 16, QLatin1Char('0'))
                     .arg(at));
        }
    }
}

// ---- building the tree

std::optional<QByteArray> PickleMachine::bytesOf(int id) const
{
    const PyObject &object = m_objects.at(id);
    if (object.type == PyObject::Type::Scalar) {
        if (object.scalar.kind == Kind::Bytes)
            return object.scalar.scalar.toByteArray();
        if (object.scalar.kind == Kind::String) {
            // Python 2 str, read as Latin-1 text.
            const QString text = object.scalar.scalar.toString();
            if (std::all_of(text.begin(), text.end(), [](QChar c) { return c.unicode() < 256; }))
                return text.toLatin1();
        }
        return std::nullopt;
    }
    if (object.type == PyObject::Type::Instance)
        return encodedBytes(object);
    return std::nullopt;
}

// Protocols 0–2 write bytes as _codecs.encode(text, "latin1"): the text's code points are the
// bytes.
std::optional<QByteArray> PickleMachine::encodedBytes(const PyObject &object) const
{
    if (object.name != u"_codecs.encode" || object.args.isEmpty() || object.args.size() > 2)
        return std::nullopt;
    if (object.args.size() == 2) {
        const auto encoding = textOf(object.args.at(1));
        if (!encoding || (*encoding != u"latin1" && *encoding != u"latin-1"))
            return std::nullopt;
    }
    const auto text = textOf(object.args.at(0));
    if (!text
        || !std::all_of(text->begin(), text->end(), [](QChar c) { return c.unicode() < 256; }))
        return std::nullopt;
    return text->toLatin1();
}

std::optional<qint64> PickleMachine::intOf(int id) const
{
    const PyObject &object = m_objects.at(id);
    if (object.type == PyObject::Type::Scalar && object.scalar.kind == Kind::Integer)
        return object.scalar.scalar.toLongLong();
    return std::nullopt;
}

std::optional<QString> PickleMachine::textOf(int id) const
{
    const PyObject &object = m_objects.at(id);
    if (object.type == PyObject::Type::Scalar && object.scalar.kind == Kind::String)
        return object.scalar.scalar.toString();
    return std::nullopt;
}

// The offset of a datetime.timezone(datetime.timedelta(...)), in seconds.
std::optional<int> PickleMachine::utcOffsetOf(int id) const
{
    const PyObject &zone = m_objects.at(id);
    if (zone.type != PyObject::Type::Instance || zone.name != u"datetime.timezone"
        || zone.args.isEmpty())
        return std::nullopt;
    const PyObject &delta = m_objects.at(zone.args.at(0));
    if (delta.type != PyObject::Type::Instance || delta.name != u"datetime.timedelta"
        || delta.args.size() < 2)
        return std::nullopt;
    const auto days = intOf(delta.args.at(0));
    const auto seconds = intOf(delta.args.at(1));
    if (!days || !seconds || *days < -1 || *days > 0 || *seconds < 0 || *seconds >= 86400)
        return std::nullopt;
    return int(*days * 86400 + *seconds);
}

QString PickleMachine::keyOf(int id)
{
    ValueNode key;
    build(id, key);
    QString text = keyText(key);
    m_budget.takeBytes(text.size());
    return text;
}

void PickleMachine::build(int id, ValueNode &out)
{
    m_budget.takeNode();
    const PyObject &object = m_objects.at(id);
    using Type = PyObject::Type;
    if (object.type == Type::Scalar || object.type == Type::Global) {
        m_budget.takeBytes(object.scalar); // memo references repeat values
        const QString name = out.name;
        out = object.scalar;
        out.name = name;
        return;
    }
    if (m_building.contains(id)) {
        out.kind = Kind::String;
        out.typeName = QStringLiteral("reference");
        out.scalar = QStringLiteral("(a reference to an enclosing %1)")
                         .arg(object.type == Type::Dict           ? QStringLiteral("dict")
                                  : object.type == Type::List     ? QStringLiteral("list")
                                  : object.type == Type::Instance ? object.name
                                                                  : QStringLiteral("collection"));
        return;
    }
    DepthGuard depth(m_budget);
    m_building.insert(id);
    const struct Leave
    {
        QSet<int> &set;
        int id;
        ~Leave() { set.remove(id); }
    } leave{m_building, id};

    switch (object.type) {
    case Type::List:
    case Type::Tuple:
    case Type::Set:
    case Type::FrozenSet:
        out.kind = Kind::List;
        out.typeName = object.type == Type::Tuple ? QStringLiteral("tuple")
            : object.type == Type::Set            ? QStringLiteral("set")
            : object.type == Type::FrozenSet      ? QStringLiteral("frozenset")
                                                  : QString();
        for (const int item : object.items) {
            out.children.append(ValueNode());
            build(item, out.children.last());
        }
        return;
    case Type::Dict: {
        out.kind = Kind::Map;
        UniqueNames names;
        for (const auto &[key, value] : object.pairs) {
            const QString name = names.take(keyOf(key));
            out.children.append(ValueNode());
            out.children.last().name = name;
            build(value, out.children.last());
        }
        return;
    }
    case Type::Instance:
        buildInstance(object, out);
        return;
    case Type::Scalar:
    case Type::Global:
        break;
    }
}

// Reductions common in sessions, shown as what they mean. False when `object` is not one.
bool PickleMachine::buildReadable(const PyObject &object, const QString &name, ValueNode &out)
{
    const bool plain = object.state < 0 && object.items.isEmpty() && object.kwargs < 0;
    const auto setText = [&](const QString &text) {
        out.kind = Kind::String;
        out.scalar = text;
        out.typeName = name;
        return true;
    };
    if (name == u"datetime.datetime" && plain && !object.args.isEmpty() && object.args.size() <= 2
        && object.pairs.isEmpty()) {
        const auto bytes = bytesOf(object.args.at(0));
        if (!bytes || bytes->size() != 10)
            return false;
        const auto b = [&](int i) { return int(uchar(bytes->at(i))); };
        std::optional<int> offset;
        if (object.args.size() == 2) {
            offset = utcOffsetOf(object.args.at(1));
            if (!offset)
                return false;
        }
        // The fold flag rides in the month byte's top bit.
        const auto text = isoTime(b(0) * 256 + b(1), b(2) & 0x7f, b(3), b(4), b(5), b(6),
                                  (b(7) << 16) | (b(8) << 8) | b(9), offset);
        return text && setText(*text);
    }
    if (name == u"datetime.date" && plain && object.args.size() == 1 && object.pairs.isEmpty()) {
        const auto bytes = bytesOf(object.args.at(0));
        if (!bytes || bytes->size() != 4)
            return false;
        const QDate date(uchar(bytes->at(0)) * 256 + uchar(bytes->at(1)), uchar(bytes->at(2)),
                         uchar(bytes->at(3)));
        return date.isValid() && setText(date.toString(Qt::ISODate));
    }
    if (name == u"datetime.time" && plain && !object.args.isEmpty() && object.args.size() <= 2
        && object.pairs.isEmpty()) {
        const auto bytes = bytesOf(object.args.at(0));
        if (!bytes || bytes->size() != 6)
            return false;
        const auto b = [&](int i) { return int(uchar(bytes->at(i))); };
        const auto text = isoTime(2000, 1, 1, b(0) & 0x7f, b(1), b(2),
                                  (b(3) << 16) | (b(4) << 8) | b(5), std::nullopt);
        return text && setText(text->mid(11));
    }
    if (name == u"datetime.timedelta" && plain && object.args.size() == 3
        && object.pairs.isEmpty()) {
        const auto days = intOf(object.args.at(0));
        const auto seconds = intOf(object.args.at(1));
        const auto micros = intOf(object.args.at(2));
        if (!days || !seconds || !micros || *seconds < 0 || *seconds >= 86400 || *micros < 0
            || *micros > 999999) {
            return false;
        }
        // As Python prints it: "2 days, 3:04:05.000006".
        QString text;
        if (*days != 0)
            text = QStringLiteral("%1 day%2, ")
                       .arg(*days)
                       .arg(qAbs(*days) == 1 ? QString() : QStringLiteral("s"));
        text += QStringLiteral("%1:%2:%3")
                    .arg(*seconds / 3600)
                    .arg(*seconds / 60 % 60, 2, 10, QLatin1Char('0'))
                    .arg(*seconds % 60, 2, 10, QLatin1Char('0'));
        if (*micros)
            text += QStringLiteral(".%1").arg(*micros, 6, 10, QLatin1Char('0'));
        return setText(text);
    }
    if (name == u"decimal.Decimal" && plain && object.args.size() == 1 && object.pairs.isEmpty()) {
        const auto text = textOf(object.args.at(0));
        return text && setText(*text);
    }
    if ((name == u"_codecs.encode" || name == u"builtins.bytearray" || name == u"builtins.bytes")
        && plain && object.pairs.isEmpty()) {
        std::optional<QByteArray> bytes;
        if (object.args.isEmpty())
            bytes = QByteArray();
        else if (name != u"_codecs.encode" && object.args.size() <= 2)
            bytes = bytesOf(object.args.at(0)); // bytearray(b"...") or (text, "latin-1")
        else
            bytes = encodedBytes(object);
        if (!bytes)
            return false;
        out.kind = Kind::Bytes;
        out.scalar = *bytes;
        out.typeName = name == u"builtins.bytearray" ? QStringLiteral("bytearray") : QString();
        return true;
    }
    if ((name == u"builtins.set" || name == u"builtins.frozenset") && plain
        && object.args.size() <= 1 && object.pairs.isEmpty()) {
        out.kind = Kind::List;
        out.typeName = name.mid(9);
        if (object.args.isEmpty())
            return true;
        const PyObject &items = m_objects.at(object.args.at(0));
        if (items.type != PyObject::Type::List && items.type != PyObject::Type::Tuple)
            return false;
        for (const int item : items.items) {
            out.children.append(ValueNode());
            build(item, out.children.last());
        }
        return true;
    }
    return false;
}

void PickleMachine::buildInstance(const PyObject &object, ValueNode &out)
{
    PyObject effective = object;
    QString name = object.name;
    QList<int> &args = effective.args;
    // Plumbing that only says which class to make: copyreg._reconstructor(cls, base, state)
    // (protocols 0 and 1) and copyreg.__newobj__(cls, *args) make a `cls`.
    if ((name == u"copyreg._reconstructor" && args.size() == 3)
        || (name == u"copyreg.__newobj__" && !args.isEmpty())) {
        const PyObject &cls = m_objects.at(args.at(0));
        if (cls.type == PyObject::Type::Global) {
            name = cls.scalar.scalar.toString();
            if (object.name == u"copyreg._reconstructor") {
                // The state is the base's value: None for object, the items of a list or
                // dict subclass (shown as protocol 2 shows them), else an argument.
                const PyObject &base = m_objects.at(args.at(1));
                const PyObject &state = m_objects.at(args.at(2));
                const QString baseName =
                    base.type == PyObject::Type::Global ? base.scalar.scalar.toString() : QString();
                if (state.type == PyObject::Type::Scalar && state.scalar.kind == Kind::Null) {
                    args.clear();
                } else if (baseName == u"builtins.list" && state.type == PyObject::Type::List) {
                    effective.items = state.items + effective.items;
                    args.clear();
                } else if (baseName == u"builtins.dict" && state.type == PyObject::Type::Dict) {
                    effective.pairs = state.pairs + effective.pairs;
                    args.clear();
                } else {
                    args = args.mid(2);
                }
            } else {
                args = args.mid(1);
            }
        }
    }
    if (buildReadable(effective, name, out))
        return;

    out.kind = Kind::Map;
    out.typeName = name;
    UniqueNames names;
    const auto child = [&](const QString &childName, int id) {
        out.children.append(ValueNode());
        out.children.last().name = names.take(childName);
        build(id, out.children.last());
    };
    // A callable that is not a plain name (rare) is kept, so nothing is lost.
    if (effective.callable >= 0 && m_objects.at(effective.callable).type != PyObject::Type::Global)
        child(QStringLiteral("__callable__"), effective.callable);
    // OrderedDict(), defaultdict(factory) and dict subclasses: their items are their fields.
    const bool defaultDict = name == u"collections.defaultdict" && args.size() == 1;
    if (!args.isEmpty() && !defaultDict) {
        out.children.append(ValueNode());
        ValueNode &list = out.children.last();
        list.name = names.take(QStringLiteral("__args__"));
        DepthGuard depth(m_budget); // before it becomes a container
        list.kind = Kind::List;
        for (const int arg : std::as_const(args)) {
            list.children.append(ValueNode());
            build(arg, list.children.last());
        }
    }
    if (defaultDict)
        child(QStringLiteral("__default_factory__"), args.at(0));
    if (effective.kwargs >= 0)
        child(QStringLiteral("__kwargs__"), effective.kwargs);
    for (const auto &[key, value] : effective.pairs) {
        const QString keyName = keyOf(key);
        child(keyName, value);
    }
    if (!effective.items.isEmpty()) {
        out.children.append(ValueNode());
        ValueNode &list = out.children.last();
        list.name = names.take(QStringLiteral("__items__"));
        DepthGuard depth(m_budget);
        list.kind = Kind::List;
        for (const int item : effective.items) {
            list.children.append(ValueNode());
            build(item, list.children.last());
        }
    }
    if (effective.state >= 0) {
        // An attribute dict (or the (dict, slots) pair) becomes the object's fields.
        const PyObject &state = m_objects.at(effective.state);
        QList<int> dicts;
        if (state.type == PyObject::Type::Dict) {
            dicts = {effective.state};
        } else if (state.type == PyObject::Type::Tuple && state.items.size() == 2) {
            for (const int part : state.items) {
                const PyObject &p = m_objects.at(part);
                if (p.type == PyObject::Type::Dict)
                    dicts << part;
                else if (!(p.type == PyObject::Type::Scalar && p.scalar.kind == Kind::Null))
                    dicts = {-1};
            }
        }
        if (!dicts.isEmpty() && !dicts.contains(-1) && !m_building.contains(effective.state)) {
            for (const int dict : std::as_const(dicts)) {
                for (const auto &[key, value] : m_objects.at(dict).pairs)
                    child(keyOf(key), value);
            }
        } else {
            child(QStringLiteral("__state__"), effective.state);
        }
    }
}

void PickleMachine::buildResult(ValueNode &root)
{
    if (m_result >= 0) {
        build(m_result, root);
        return;
    }
    if (m_stack.size() == 1) {
        build(m_stack.first(), root);
        return;
    }
    if (m_stack.isEmpty())
        return;
    m_budget.takeNode();
    root.kind = Kind::List;
    root.typeName = QStringLiteral("unfinished pickle stack");
    for (const int id : std::as_const(m_stack)) {
        root.children.append(ValueNode());
        build(id, root.children.last());
    }
}

} // namespace

PickleSignature pickleSignature(QByteArrayView raw)
{
    if (raw.size() >= 2 && uchar(raw[0]) == 0x80 && raw[1] >= 2 && raw[1] <= 5)
        return PickleSignature::Certain;
    if (raw.size() >= 2 && raw.back() == '.'
        && (raw[0] == '(' || raw[0] == '}' || raw[0] == ']' || raw[0] == ')' || raw[0] == 'c')) {
        return PickleSignature::Possible;
    }
    return PickleSignature::None;
}

DecodedValue decodePickle(const QByteArray &raw, const DecodeLimits &limits)
{
    DecodedValue decoded;
    decoded.encoding = QStringLiteral("pickle");
    PickleMachine machine(raw, limits);
    try {
        machine.run();
        if (machine.end() != raw.size())
            decoded.warning = QStringLiteral("%1 bytes follow the pickle's STOP opcode.")
                                  .arg(raw.size() - machine.end());
    } catch (const DecodeStop &stopped) {
        decoded.warning = stopped.message;
    }
    try {
        machine.buildResult(decoded.root);
    } catch (const DecodeStop &stopped) {
        if (decoded.warning.isEmpty())
            decoded.warning = stopped.message;
    }
    return decoded;
}

} // namespace SessionDesk::Codecs
