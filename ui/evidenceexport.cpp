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

Result<void> writePdf(const Evidence &evidence, const QString &path)
{
    QPdfWriter writer(path);
    writer.setPageSize(QPageSize(QPageSize::A4));
    writer.setPageMargins(QMarginsF(15, 22, 15, 18), QPageLayout::Millimeter);
    writer.setResolution(150);
    writer.setTitle(evidence.pageHeader());
    writer.setCreator(evidence.tool);
    QPainter painter;
    if (!painter.begin(&writer)) {
        return fail(Code::InvalidArgument, QObject::tr("Cannot write the PDF %1.").arg(path));
    }
    const QRect content = writer.pageLayout().paintRectPixels(writer.resolution());
    const qreal width = content.width();
    const qreal height = content.height();
    const qreal mm = writer.resolution() / 25.4;

    QTextDocument document;
    document.documentLayout()->setPaintDevice(&writer);
    document.setDocumentMargin(0);
    QFont font(QStringLiteral("sans-serif"));
    font.setPointSizeF(9);
    document.setDefaultFont(font);
    document.setPageSize(QSizeF(width, height));
    document.setHtml(evidence.toHtml(false));
    const int pages = document.pageCount();

    QFont small = font;
    small.setPointSizeF(7.5);
    for (int page = 0; page < pages; ++page) {
        if (page > 0)
            writer.newPage();
        // The running header and footer live in the margins, outside the content rectangle.
        painter.setFont(small);
        painter.setPen(Qt::black);
        painter.drawText(QRectF(0, -14 * mm, width, 8 * mm), Qt::AlignLeft | Qt::AlignBottom,
                         evidence.pageHeader());
        painter.drawLine(QPointF(0, -5 * mm), QPointF(width, -5 * mm));
        painter.drawText(QRectF(0, height + 4 * mm, width, 8 * mm), Qt::AlignRight | Qt::AlignTop,
                         QObject::tr("page %1 of %2").arg(page + 1).arg(pages));
        painter.save();
        painter.translate(0, -page * height);
        document.drawContents(&painter, QRectF(0, page * height, width, height));
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
