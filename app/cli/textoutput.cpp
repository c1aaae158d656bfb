#include "textoutput.h"

#include "valuetree.h"

namespace SessionDesk::Cli {

namespace {

// The columns a terminal gives a code point: none for combining marks and format characters,
// two for East Asian wide and fullwidth characters and most emoji, else one (the ranges of
// Markus Kuhn's wcwidth, which does not depend on the process's locale as wcwidth(3) does).
int columnsOf(char32_t c)
{
    const QChar::Category category = QChar::category(c);
    if (category == QChar::Mark_NonSpacing || category == QChar::Mark_Enclosing
        || category == QChar::Other_Format)
        return 0;
    const bool wide = c >= 0x1100
        && (c <= 0x115f || c == 0x2329 || c == 0x232a || (c >= 0x2e80 && c <= 0xa4cf && c != 0x303f)
            || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff)
            || (c >= 0xfe10 && c <= 0xfe19) || (c >= 0xfe30 && c <= 0xfe6f)
            || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6)
            || (c >= 0x1f300 && c <= 0x1f64f) || (c >= 0x1f900 && c <= 0x1f9ff)
            || (c >= 0x20000 && c <= 0x2fffd) || (c >= 0x30000 && c <= 0x3fffd));
    return wide ? 2 : 1;
}

qsizetype displayWidth(const QString &text)
{
    qsizetype width = 0;
    for (const char32_t c : text.toUcs4())
        width += columnsOf(c);
    return width;
}

} // namespace

QString TextTable::render() const
{
    // Cells hold text from stores and logs: a terminal must not obey what is in it. Columns
    // line up on a terminal: widths in terminal columns, not in UTF-16 units.
    struct Cell
    {
        QString text;
        qsizetype width;
    };
    const auto cellsOf = [](const QStringList &texts) {
        QList<Cell> cells;
        cells.reserve(texts.size());
        for (const QString &text : texts) {
            const QString shown = displayText(text);
            cells.append({shown, displayWidth(shown)});
        }
        return cells;
    };
    QList<QList<Cell>> rows{cellsOf(m_headers)};
    rows.reserve(m_rows.size() + 1);
    for (const QStringList &row : m_rows)
        rows.append(cellsOf(row));
    QList<qsizetype> widths(m_headers.size(), 0);
    for (const QList<Cell> &row : std::as_const(rows)) {
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], row.at(i).width);
    }
    QString out;
    for (const QList<Cell> &row : std::as_const(rows)) {
        for (qsizetype i = 0; i < row.size(); ++i) {
            out += row.at(i).text;
            if (i + 1 < row.size())
                out += QString(widths.at(i) - row.at(i).width + 2, u' ');
        }
        out += u'\n';
    }
    return out;
}

QString formatTtl(qint64 ttlMs)
{
    if (ttlMs < 0)
        return QStringLiteral("no expiry");
    const qint64 s = ttlMs / 1000;
    const qint64 d = s / 86400, h = (s % 86400) / 3600, m = (s % 3600) / 60, sec = s % 60;
    if (d > 0)
        return QStringLiteral("%1d %2h").arg(d).arg(h, 2, 10, QLatin1Char('0'));
    if (h > 0)
        return QStringLiteral("%1h %2m %3s")
            .arg(h)
            .arg(m, 2, 10, QLatin1Char('0'))
            .arg(sec, 2, 10, QLatin1Char('0'));
    if (m > 0)
        return QStringLiteral("%1m %2s").arg(m).arg(sec, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1s").arg(sec);
}

} // namespace SessionDesk::Cli
