#include "verdictdelegate.h"

#include <QApplication>
#include <QPainter>

namespace SessionDesk {

namespace {

// Background and text colours with enough contrast in light and dark themes alike.
struct Colours
{
    QColor background;
    QColor text;
};

std::optional<Colours> coloursFor(const QString &verdict)
{
    if (verdict == u"PASS")
        return Colours{QColor(0xd7, 0xf0, 0xd9), QColor(0x1b, 0x5e, 0x20)};
    if (verdict == u"FAIL")
        return Colours{QColor(0xfb, 0xd9, 0xd7), QColor(0xb7, 0x1c, 0x1c)};
    if (verdict == u"UNKNOWN")
        return Colours{QColor(0xfb, 0xf0, 0xc8), QColor(0x6d, 0x55, 0x00)};
    return std::nullopt;
}

} // namespace

VerdictDelegate::VerdictDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{ }

QString VerdictDelegate::badgeText(const QString &verdict)
{
    if (verdict == u"PASS")
        return tr("✓ PASS");
    if (verdict == u"FAIL")
        return tr("✗ FAIL");
    if (verdict == u"UNKNOWN")
        return tr("? UNKNOWN");
    return verdict;
}

void VerdictDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                            const QModelIndex &index) const
{
    const QString verdict = index.data().toString();
    const auto colours = coloursFor(verdict);
    if (!colours) {
        QStyledItemDelegate::paint(painter, option, index);
        return;
    }
    QStyleOptionViewItem plain = option;
    initStyleOption(&plain, index);
    plain.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &plain, painter, widget);

    const QString text = badgeText(verdict);
    QFont font = option.font;
    font.setBold(true);
    const QFontMetrics metrics(font);
    const int padding = 6;
    QRect badge(0, 0, metrics.horizontalAdvance(text) + 2 * padding, metrics.height() + 2);
    badge.moveCenter(option.rect.center());
    badge.moveLeft(option.rect.left() + 4);
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(colours->text);
    painter->setBrush(colours->background);
    painter->drawRoundedRect(badge, 4, 4);
    painter->setFont(font);
    painter->drawText(badge, Qt::AlignCenter, text);
    painter->restore();
}

QSize VerdictDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    // Every row of the column leaves room for a badge, so that uniform row heights fit it.
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    QFont font = option.font;
    font.setBold(true);
    const QFontMetrics metrics(font);
    const int width = metrics.horizontalAdvance(badgeText(index.data().toString())) + 20;
    return size.expandedTo(QSize(width, metrics.height() + 6));
}

} // namespace SessionDesk
