#include "jsonscan.h"

namespace SessionDesk {

namespace {

class Scanner
{
public:
    explicit Scanner(QByteArrayView text)
        : m_text(text)
    { }

    // Finds the value of `path` and leaves the position at its first character.
    JsonScan find(const QList<QByteArray> &path, qsizetype depth)
    {
        skipSpace();
        if (!consume('{'))
            return JsonScan::Unsure;
        skipSpace();
        if (consume('}'))
            return JsonScan::Missing;
        while (true) {
            skipSpace();
            QByteArrayView key;
            if (!readPlainString(&key))
                return JsonScan::Unsure;
            skipSpace();
            if (!consume(':'))
                return JsonScan::Unsure;
            skipSpace();
            if (key == path.at(depth)) {
                if (depth + 1 < path.size()) {
                    if (peek() != '{')
                        return JsonScan::Missing;
                    return find(path, depth + 1);
                }
                return JsonScan::Found;
            }
            if (!skipValue())
                return JsonScan::Unsure;
            skipSpace();
            if (consume('}'))
                return JsonScan::Missing;
            if (!consume(','))
                return JsonScan::Unsure;
        }
    }

    JsonScan lookup(const QList<QByteArray> &path, QJsonValue *out)
    {
        const JsonScan found = find(path, 0);
        return found == JsonScan::Found ? readScalar(out) : found;
    }

    JsonScan lookupToken(const QList<QByteArray> &path, QByteArrayView *token, bool *isString)
    {
        const JsonScan found = find(path, 0);
        if (found != JsonScan::Found)
            return found;
        const char c = peek();
        *isString = c == '"';
        if (c == '"')
            return readPlainString(token) ? JsonScan::Found : JsonScan::Unsure;
        if (c == '{' || c == '[')
            return JsonScan::Missing;
        const qsizetype start = m_pos;
        if (!skipValue())
            return JsonScan::Unsure;
        *token = m_text.sliced(start, m_pos - start);
        return JsonScan::Found;
    }

private:
    char peek() const { return m_pos < m_text.size() ? m_text.at(m_pos) : '\0'; }
    bool consume(char c)
    {
        if (peek() != c)
            return false;
        ++m_pos;
        return true;
    }
    void skipSpace()
    {
        while (m_pos < m_text.size()) {
            const char c = m_text.at(m_pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                return;
            ++m_pos;
        }
    }
    // A string without escapes; false for escapes (left to the real parser) or damage.
    bool readPlainString(QByteArrayView *out)
    {
        if (!consume('"'))
            return false;
        const qsizetype start = m_pos;
        while (m_pos < m_text.size()) {
            const char c = m_text.at(m_pos);
            if (c == '\\')
                return false;
            if (c == '"') {
                *out = m_text.sliced(start, m_pos - start);
                ++m_pos;
                return true;
            }
            ++m_pos;
        }
        return false;
    }
    bool skipString()
    {
        if (!consume('"'))
            return false;
        while (m_pos < m_text.size()) {
            const char c = m_text.at(m_pos++);
            if (c == '\\')
                ++m_pos;
            else if (c == '"')
                return true;
        }
        return false;
    }
    bool skipValue()
    {
        const char c = peek();
        if (c == '"')
            return skipString();
        if (c == '{' || c == '[') {
            int depth = 0;
            while (m_pos < m_text.size()) {
                const char d = m_text.at(m_pos);
                if (d == '"') {
                    if (!skipString())
                        return false;
                    continue;
                }
                ++m_pos;
                if (d == '{' || d == '[') {
                    ++depth;
                } else if (d == '}' || d == ']') {
                    if (--depth == 0)
                        return true;
                }
            }
            return false;
        }
        const qsizetype start = m_pos;
        while (m_pos < m_text.size()) {
            const char d = m_text.at(m_pos);
            if (d == ',' || d == '}' || d == ']' || d == ' ' || d == '\n' || d == '\r'
                || d == '\t') {
                break;
            }
            ++m_pos;
        }
        return m_pos > start;
    }
    JsonScan readScalar(QJsonValue *out)
    {
        const char c = peek();
        if (c == '"') {
            QByteArrayView text;
            if (!readPlainString(&text))
                return JsonScan::Unsure;
            *out = QString::fromUtf8(text);
            return JsonScan::Found;
        }
        if (c == '{' || c == '[')
            return JsonScan::Missing;
        const qsizetype start = m_pos;
        if (!skipValue())
            return JsonScan::Unsure;
        const QByteArrayView token = m_text.sliced(start, m_pos - start);
        if (token == "true" || token == "false") {
            *out = token == "true";
            return JsonScan::Found;
        }
        if (token == "null") {
            *out = QJsonValue(QJsonValue::Null);
            return JsonScan::Found;
        }
        bool ok = false;
        const qlonglong integer = token.toLongLong(&ok);
        if (ok) {
            *out = integer;
            return JsonScan::Found;
        }
        const double number = token.toDouble(&ok);
        if (ok) {
            *out = number;
            return JsonScan::Found;
        }
        return JsonScan::Unsure;
    }

    QByteArrayView m_text;
    qsizetype m_pos = 0;
};

} // namespace

JsonScan scanJsonPath(QByteArrayView json, const QList<QByteArray> &path, QJsonValue *out)
{
    if (path.isEmpty())
        return JsonScan::Missing;
    return Scanner(json).lookup(path, out);
}

JsonScan scanJsonPathToken(QByteArrayView json, const QList<QByteArray> &path,
                           QByteArrayView *token, bool *isString)
{
    if (path.isEmpty())
        return JsonScan::Missing;
    return Scanner(json).lookupToken(path, token, isString);
}

} // namespace SessionDesk
