#include "evidenceexport.h"

#include <QAbstractTextDocumentLayout>
#include <QFileInfo>
#include <QJsonDocument>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QTextDocument>

namespace SessionDesk {

namespace {

using Code = StorageError::Code;

constexpr qreal kResolution = 150; // dots per inch of the PDF's painting
const QMarginsF kMarginsMm(15, 22, 15, 18); // the header and footer live in the top and bottom

Result<void> writePdf(const Evidence &evidence, const QString &path)
{
    QPdfWriter writer(path);
    writer.setResolution(int(kResolution));
    // Full-page coordinates: the header and footer are painted in the margins, which the
    // standard mode would leave outside the painter's reach.
    QPageLayout layout(QPageSize(QPageSize::A4), QPageLayout::Portrait, kMarginsMm,
                       QPageLayout::Millimeter);
    layout.setMode(QPageLayout::FullPageMode);
    writer.setPageLayout(layout);
    writer.setTitle(evidence.pageHeader());
    writer.setCreator(evidence.tool);
    QPainter painter;
    if (!painter.begin(&writer))
        return fail(Code::InvalidArgument, QObject::tr("Cannot write the PDF %1.").arg(path));
    const qreal mm = kResolution / 25.4;
    const QRectF paper = layout.fullRectPixels(int(kResolution));
    const QRectF content(kMarginsMm.left() * mm, kMarginsMm.top() * mm,
                         paper.width() - (kMarginsMm.left() + kMarginsMm.right()) * mm,
                         paper.height() - (kMarginsMm.top() + kMarginsMm.bottom()) * mm);

    QTextDocument document;
    document.documentLayout()->setPaintDevice(&writer);
    document.setDocumentMargin(0);
    QFont font(QStringLiteral("sans-serif"));
    font.setPointSizeF(9);
    document.setDefaultFont(font);
    document.setPageSize(content.size());
    document.setHtml(evidence.toHtml(false));
    const int pages = document.pageCount();

    QFont small = font;
    small.setPointSizeF(7.5);
    for (int page = 0; page < pages; ++page) {
        if (page > 0)
            writer.newPage();
        // Every page says when, what and with which tool, above the content.
        painter.setFont(small);
        painter.setPen(Qt::black);
        painter.drawText(QRectF(content.left(), content.top() - 14 * mm, content.width(), 8 * mm),
                         Qt::AlignLeft | Qt::AlignBottom, evidence.pageHeader());
        painter.drawLine(QPointF(content.left(), content.top() - 5 * mm),
                         QPointF(content.right(), content.top() - 5 * mm));
        painter.drawText(QRectF(content.left(), content.bottom() + 4 * mm, content.width(), 8 * mm),
                         Qt::AlignRight | Qt::AlignTop,
                         QObject::tr("page %1 of %2").arg(page + 1).arg(pages));
        painter.save();
        painter.translate(content.left(), content.top() - page * content.height());
        document.drawContents(
            &painter, QRectF(0, page * content.height(), content.width(), content.height()));
        painter.restore();
    }
    if (!painter.end())
        return fail(Code::Server, QObject::tr("Writing the PDF %1 failed.").arg(path));
    return {};
}

} // namespace

Result<void> writeEvidence(const Evidence &evidence, const QString &path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == u"pdf")
        return writePdf(evidence, path);
    QByteArray bytes;
    if (suffix == u"json")
        bytes = QJsonDocument(evidence.toJson()).toJson(QJsonDocument::Indented);
    else if (suffix == u"html" || suffix == u"htm")
        bytes = evidence.toHtml().toUtf8();
    else
        return fail(Code::InvalidArgument,
                    QObject::tr("Evidence is written as .json, .html or .pdf, not \"%1\".")
                        .arg(QFileInfo(path).fileName()));
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        return fail(Code::Server,
                    QObject::tr("Cannot write %1: %2.").arg(path, file.errorString()));
    }
    return {};
}

} // namespace SessionDesk
