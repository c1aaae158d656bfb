#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace SessionDesk::Cli {

// A plain-text table with left-aligned columns, for people; --json is for programs.
class TextTable
{
public:
    explicit TextTable(QStringList headers)
        : m_headers(std::move(headers))
    { }
    void addRow(QStringList cells) { m_rows.append(std::move(cells)); }
    QString render() const;

private:
    QStringList m_headers;
    QList<QStringList> m_rows;
};

// "1h 02m 03s", "45s", "no expiry".
QString formatTtl(qint64 ttlMs);

} // namespace SessionDesk::Cli
