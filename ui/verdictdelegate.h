#pragma once

#include <QStyledItemDelegate>

namespace SessionDesk {

// Draws a policy verdict as a badge: a symbol and the word (✓ PASS, ✗ FAIL, ? UNKNOWN) on a
// tinted background, so that the verdict reads without relying on colour.
class VerdictDelegate final : public QStyledItemDelegate
{
    Q_OBJECT

public:
    explicit VerdictDelegate(QObject *parent = nullptr);
    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    // "✓ PASS", "✗ FAIL", "? UNKNOWN", or the text unchanged.
    static QString badgeText(const QString &verdict);
};

} // namespace SessionDesk
