#include "messagebanner.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>

namespace SessionDesk {

namespace {

// Mixes `tint` into `base`; `amount` in [0, 1].
QColor blend(const QColor &base, const QColor &tint, qreal amount)
{
    const QColor b = base.toRgb();
    const QColor t = tint.toRgb();
    return QColor::fromRgbF(float(b.redF() * (1 - amount) + t.redF() * amount),
                            float(b.greenF() * (1 - amount) + t.greenF() * amount),
                            float(b.blueF() * (1 - amount) + t.blueF() * amount));
}

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Window).lightnessF() < 0.5;
}

} // namespace

MessageBanner::MessageBanner(QWidget *parent)
    : QFrame(parent)
{
    setObjectName(QStringLiteral("messageBanner"));
    setFrameShape(QFrame::NoFrame);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);

    m_icon = new QLabel(this);
    m_icon->setObjectName(QStringLiteral("bannerIcon"));
    m_icon->setAlignment(Qt::AlignTop);

    m_text = new QLabel(this);
    m_text->setObjectName(QStringLiteral("bannerText"));
    m_text->setTextFormat(Qt::PlainText); // store data is untrusted: never rich text
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_text->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);

    m_actionButton = new QPushButton(this);
    m_actionButton->setObjectName(QStringLiteral("bannerAction"));
    m_actionButton->setAutoDefault(false);
    m_actionButton->hide();
    connect(m_actionButton, &QPushButton::clicked, this, &MessageBanner::runAction);

    m_closeButton = new QToolButton(this);
    m_closeButton->setObjectName(QStringLiteral("bannerClose"));
    m_closeButton->setAutoRaise(true);
    m_closeButton->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    m_closeButton->setToolTip(tr("Close this message"));
    m_closeButton->setAccessibleName(tr("Close message"));
    connect(m_closeButton, &QToolButton::clicked, this, [this] {
        hideMessage();
        emit dismissed();
    });

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 6, 6);
    layout->addWidget(m_icon, 0, Qt::AlignTop);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_actionButton, 0, Qt::AlignVCenter);
    layout->addWidget(m_closeButton, 0, Qt::AlignTop);

    setAccessibleName(tr("Message"));
    updateIcon();
    hide();
}

void MessageBanner::showMessage(const QString &text, Kind kind, const QString &actionText,
                                std::function<void()> action)
{
    m_kind = kind;
    m_text->setText(text);
    m_action = std::move(action);
    const bool hasAction = !actionText.isEmpty() && m_action;
    m_actionButton->setText(actionText);
    m_actionButton->setAccessibleName(actionText);
    m_actionButton->setVisible(hasAction);
    switch (kind) {
    case Kind::Info:
        setAccessibleName(tr("Information"));
        break;
    case Kind::Warning:
        setAccessibleName(tr("Warning"));
        break;
    case Kind::Error:
        setAccessibleName(tr("Error"));
        break;
    }
    setAccessibleDescription(text);
    updateIcon();
    show();
    update();
}

void MessageBanner::hideMessage()
{
    m_action = {};
    hide();
}

QString MessageBanner::text() const
{
    return m_text->text();
}

void MessageBanner::runAction()
{
    // Hide first: the action may well show a new message (a retry that fails at once).
    auto action = std::move(m_action);
    hideMessage();
    if (action)
        action();
}

QColor MessageBanner::accentColor() const
{
    const bool dark = isDark(palette());
    switch (m_kind) {
    case Kind::Warning:
        return dark ? QColor(0xf2, 0xb1, 0x3c) : QColor(0xc7, 0x7c, 0x02);
    case Kind::Error:
        return dark ? QColor(0xf2, 0x6d, 0x6d) : QColor(0xc6, 0x28, 0x28);
    case Kind::Info:
        break;
    }
    // Information follows the palette's own highlight colour.
    return palette().color(QPalette::Highlight);
}

void MessageBanner::updateIcon()
{
    QStyle::StandardPixmap pixmap = QStyle::SP_MessageBoxInformation;
    if (m_kind == Kind::Warning)
        pixmap = QStyle::SP_MessageBoxWarning;
    else if (m_kind == Kind::Error)
        pixmap = QStyle::SP_MessageBoxCritical;
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    m_icon->setPixmap(style()->standardIcon(pixmap, nullptr, this).pixmap(size, size));
}

void MessageBanner::paintEvent(QPaintEvent *event)
{
    Q_UNUSED(event);
    // A background tinted with the kind's colour over the palette's window colour, so that the
    // banner reads in light and dark themes alike; the text keeps the palette's text colour.
    const QColor accent = accentColor();
    const QColor background =
        blend(palette().color(QPalette::Window), accent, isDark(palette()) ? 0.28 : 0.16);
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRectF box = QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5);
    painter.setPen(QPen(accent, 1));
    painter.setBrush(background);
    painter.drawRoundedRect(box, 4, 4);
    // A stronger bar on the leading edge, as the kind's signal for those who see colour.
    QRectF bar = box;
    bar.setWidth(4);
    if (layoutDirection() == Qt::RightToLeft)
        bar.moveRight(box.right());
    painter.setPen(Qt::NoPen);
    painter.setBrush(accent);
    painter.drawRoundedRect(bar, 2, 2);
}

void MessageBanner::changeEvent(QEvent *event)
{
    QFrame::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange)
        updateIcon();
}

} // namespace SessionDesk
