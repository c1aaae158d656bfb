#include "textoutput.h"

#include "valuetree.h"

namespace SessionDesk::Cli {

QString TextTable::render() const
{
    // Cells hold text from stores and logs: a terminal must not obey what is in it.
    QList<QStringList> rows;
    rows.reserve(m_rows.size());
    for (const QStringList &row : m_rows) {
        QStringList cells;
        cells.reserve(row.size());
        for (const QString &cell : row)
            cells.append(displayText(cell));
        rows.append(cells);
    }
    QList<qsizetype> widths;
    for (const QString &h : m_headers)
        widths.append(h.size());
    for (const QStringList &row : rows) {
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], row.at(i).size());
    }
    const auto line = [&](const QStringList &cells) -> QString {
        QString out;
        for (qsizetype i = 0; i < cells.size(); ++i) {
            const bool last = i + 1 == cells.size();
            out +=
                last ? cells.at(i) : cells.at(i).leftJustified(widths.at(i)) + QStringLiteral("  ");
        }
        return out + u'\n';
    };
    QString out = line(m_headers);
    for (const QStringList &row : rows)
        out += line(row);
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
