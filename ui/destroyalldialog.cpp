#include "destroyalldialog.h"

#include "messagebanner.h"

#include <QCheckBox>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFont>
#include <QFormLayout>
#include <QFrame>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStyle>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

namespace SessionDesk {

namespace {

std::optional<QString> g_nextSaveFileName;

// A target name as part of a file name: "127.0.0.1:6379/0" -> "127.0.0.1_6379_0".
QString fileNamePart(QString text)
{
    static const QRegularExpression unsafe(QStringLiteral("[^A-Za-z0-9._-]"));
    return text.replace(unsafe, QStringLiteral("_"));
}

// tr()'s plural count is an int.
int plural(qint64 n)
{
    return int(std::clamp<qint64>(n, 0, std::numeric_limits<int>::max()));
}

QString number(qint64 n)
{
    return QLocale().toString(n);
}

// "850 ms", "3.2 s", "4 min 05 s", "1 h 02 min".
QString formatDuration(qint64 ms)
{
    if (ms < 1000)
        return DestroyAllDialog::tr("%1 ms").arg(ms);
    if (ms < 60'000)
        return DestroyAllDialog::tr("%1 s").arg(QLocale().toString(double(ms) / 1000.0, 'f', 1));
    const qint64 seconds = ms / 1000;
    if (seconds < 3600) {
        return DestroyAllDialog::tr("%1 min %2 s")
            .arg(seconds / 60)
            .arg(seconds % 60, 2, 10, QLatin1Char('0'));
    }
    return DestroyAllDialog::tr("%1 h %2 min")
        .arg(seconds / 3600)
        .arg((seconds % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QLabel *valueLabel(QWidget *parent, const QString &objectName, const QString &accessibleName)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setAccessibleName(accessibleName);
    return label;
}

QLabel *wrapLabel(QWidget *parent, const QString &text = QString())
{
    auto *label = new QLabel(text, parent);
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    return label;
}

void makeHeadline(QLabel *label)
{
    QFont font = label->font();
    font.setBold(true);
    font.setPointSizeF(font.pointSizeF() * 1.15);
    label->setFont(font);
}

} // namespace

DestroyAllDialog::DestroyAllDialog(StoreClient *client, QWidget *parent)
    : QDialog(parent)
    , m_client(client)
    , m_target(client ? client->targetName() : QString())
{
    setObjectName(QStringLiteral("destroyAllDialog"));
    setWindowTitle(tr("Destroy All Sessions — %1").arg(m_target));
    setSizeGripEnabled(true);

    m_banner = new MessageBanner(this);
    m_pages = new QStackedWidget(this);
    m_pages->setObjectName(QStringLiteral("destroyPages"));
    m_pages->addWidget(buildPreviewPage());
    m_pages->addWidget(buildRunPage());
    m_pages->addWidget(buildReportPage());

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_banner);
    layout->addWidget(m_pages, 1);

    if (m_client) {
        connect(m_client, &StoreClient::progress, this, &DestroyAllDialog::onProgress);
        connect(m_client, &StoreClient::destroyed, this, &DestroyAllDialog::onDestroyed);
        connect(m_client, &StoreClient::failed, this, &DestroyAllDialog::onFailed);
        connect(m_client, &StoreClient::writesAllowedChanged, this, [this] {
            updateWritesNotice();
            updateDestroyButton();
        });
        connect(m_client, &QObject::destroyed, this, [this] {
            m_banner->showMessage(tr("The connection to %1 was closed.").arg(m_target),
                                  MessageBanner::Kind::Error);
            updateDestroyButton();
            m_cancelRunButton->setEnabled(false);
        });
    }
    updateWritesNotice();
    updateDestroyButton();
    resize(560, sizeHint().height());
    startPreview();
}

DestroyAllDialog::~DestroyAllDialog()
{
    // Nobody would see these results any more. A run stops after its current batch and its
    // audit record still says exactly what was destroyed.
    if (m_client) {
        if (m_previewId)
            m_client->cancel(m_previewId);
        if (m_runId && !m_hasReport)
            m_client->cancel(m_runId);
    }
}

QWidget *DestroyAllDialog::buildPreviewPage()
{
    auto *page = new QWidget(this);
    page->setObjectName(QStringLiteral("previewPage"));

    auto *headline = wrapLabel(page, tr("Destroy every session of %1").arg(m_target));
    headline->setObjectName(QStringLiteral("previewHeadline"));
    makeHeadline(headline);
    auto *intro = wrapLabel(
        page,
        tr("Every session of the layout below is removed from the store, so every user of "
           "the application has to sign in again. This cannot be undone."));

    const SessionLayout layout = m_client ? m_client->layout() : SessionLayout();
    const QString prefix = QString::fromUtf8(layout.keyPrefix);

    auto *targetValue = valueLabel(page, QStringLiteral("targetValue"), tr("Target"));
    targetValue->setText(m_target);
    if (m_client)
        targetValue->setToolTip(m_client->displayUrl());
    auto *layoutValue = valueLabel(page, QStringLiteral("layoutValue"), tr("Layout"));
    layoutValue->setText(tr("%1 — keys starting with “%2”").arg(layout.description, prefix));
    m_countValue = valueLabel(page, QStringLiteral("countValue"), tr("Sessions"));
    m_countValue->setText(tr("counting…"));

    auto *untouched = valueLabel(page, QStringLiteral("untouchedValue"), tr("Not touched"));
    if (layout.hasUserIndex()) {
        untouched->setText(
            tr("Keys that neither start with “%1” nor match the user index “%2”, the other "
               "databases of this server and other servers. Nothing is flushed.")
                .arg(prefix, layout.userIndexPattern));
    } else {
        untouched->setText(tr("Keys that do not start with “%1”, the other databases of this "
                              "server and other servers. Nothing is flushed.")
                               .arg(prefix));
    }

    auto *form = new QFormLayout;
    form->addRow(tr("Target:"), targetValue);
    form->addRow(tr("Layout:"), layoutValue);
    form->addRow(tr("Sessions:"), m_countValue);
    if (layout.hasUserIndex()) {
        m_indexValue = valueLabel(page, QStringLiteral("indexValue"), tr("User index keys"));
        m_indexValue->setText(tr("counting…"));
        form->addRow(tr("User index keys:"), m_indexValue);
    }
    form->addRow(tr("Not touched:"), untouched);
    // Stores that bill by request say what the run will cost once the dry run has counted.
    m_costValue = valueLabel(page, QStringLiteral("costValue"), tr("Estimated cost"));
    m_costValue->setWordWrap(true);
    form->addRow(tr("Cost:"), m_costValue);
    m_costLabel = form->labelForField(m_costValue);
    m_costValue->hide();
    m_costLabel->hide();
    // A connection limited to spare a busy server: the run takes at least that long.
    if (m_client && m_client->config().maxOpsPerSecond > 0) {
        m_rateLimitValue = valueLabel(page, QStringLiteral("rateLimitValue"), tr("Rate limit"));
        m_rateLimitValue->setWordWrap(true);
        m_rateLimitValue->setText(
            tr("at most %1 operations a second").arg(number(m_client->config().maxOpsPerSecond)));
        form->addRow(tr("Rate limit:"), m_rateLimitValue);
    }

    m_writesNotice = wrapLabel(page);
    m_writesNotice->setObjectName(QStringLiteral("writesNotice"));
    {
        QFont font = m_writesNotice->font();
        font.setBold(true);
        m_writesNotice->setFont(font);
    }

    auto *line = new QFrame(page);
    line->setFrameShape(QFrame::HLine);
    line->setFrameShadow(QFrame::Sunken);

    auto *confirmLabel =
        wrapLabel(page, tr("To confirm, type the name of the target, %1:").arg(m_target));
    m_confirmEdit = new QLineEdit(page);
    m_confirmEdit->setObjectName(QStringLiteral("confirmTargetEdit"));
    m_confirmEdit->setAccessibleName(tr("Type the target name to confirm"));
    confirmLabel->setBuddy(m_confirmEdit);
    connect(m_confirmEdit, &QLineEdit::textChanged, this, &DestroyAllDialog::updateDestroyButton);

    auto *reasonLabel = wrapLabel(page, tr("Reason (optional, kept in the audit record):"));
    m_reasonEdit = new QLineEdit(page);
    m_reasonEdit->setObjectName(QStringLiteral("reasonEdit"));
    m_reasonEdit->setPlaceholderText(tr("e.g. incident number"));
    m_reasonEdit->setAccessibleName(tr("Reason"));
    reasonLabel->setBuddy(m_reasonEdit);

    // Each session's outcome as it is known, ids hashed: streamed to the file by the run.
    QHBoxLayout *sessionReportRow = nullptr;
    if (m_client && m_client->reportsSessionOutcomes()) {
        m_sessionReportCheck = new QCheckBox(
            tr("&Write each session's outcome to a file (ids as salted hashes):"), page);
        m_sessionReportCheck->setObjectName(QStringLiteral("sessionReportCheck"));
        m_sessionReportEdit = new QLineEdit(page);
        m_sessionReportEdit->setObjectName(QStringLiteral("sessionReportEdit"));
        m_sessionReportEdit->setAccessibleName(tr("Per-session report file"));
        m_sessionReportEdit->setEnabled(false);
        m_sessionReportBrowse = new QPushButton(tr("Browse…"), page);
        m_sessionReportBrowse->setObjectName(QStringLiteral("sessionReportBrowse"));
        m_sessionReportBrowse->setAutoDefault(false);
        m_sessionReportBrowse->setEnabled(false);
        connect(m_sessionReportCheck, &QCheckBox::toggled, this, [this](bool on) {
            m_sessionReportEdit->setEnabled(on);
            m_sessionReportBrowse->setEnabled(on);
            if (on && m_sessionReportEdit->text().isEmpty()) {
                const QString folder =
                    QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
                m_sessionReportEdit->setText(
                    QDir(folder.isEmpty() ? QDir::homePath() : folder)
                        .filePath(QStringLiteral("destroy-all-%1-%2.jsonl")
                                      .arg(fileNamePart(m_target),
                                           QDateTime::currentDateTime().toString(
                                               QStringLiteral("yyyyMMdd-HHmmss")))));
            }
            updateDestroyButton();
        });
        connect(m_sessionReportEdit, &QLineEdit::textChanged, this,
                &DestroyAllDialog::updateDestroyButton);
        connect(m_sessionReportBrowse, &QPushButton::clicked, this,
                &DestroyAllDialog::browseSessionReport);
        sessionReportRow = new QHBoxLayout;
        sessionReportRow->addWidget(m_sessionReportEdit, 1);
        sessionReportRow->addWidget(m_sessionReportBrowse);
    }

    m_previewCancel = new QPushButton(tr("Cancel"), page);
    m_previewCancel->setObjectName(QStringLiteral("cancelButton"));
    m_previewCancel->setAccessibleName(tr("Cancel"));
    m_previewCancel->setDefault(true);
    connect(m_previewCancel, &QPushButton::clicked, this, &DestroyAllDialog::reject);

    m_destroyButton = new QPushButton(page);
    m_destroyButton->setObjectName(QStringLiteral("destroyButton"));
    m_destroyButton->setAutoDefault(false);
    m_destroyButton->setIcon(QIcon(QStringLiteral(":/icons/destroy-all.svg")));
    connect(m_destroyButton, &QPushButton::clicked, this, &DestroyAllDialog::startRun);

    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_previewCancel);
    buttons->addWidget(m_destroyButton);

    auto *layoutBox = new QVBoxLayout(page);
    layoutBox->setContentsMargins(0, 0, 0, 0);
    layoutBox->addWidget(headline);
    layoutBox->addWidget(intro);
    layoutBox->addLayout(form);
    layoutBox->addWidget(m_writesNotice);
    layoutBox->addWidget(line);
    layoutBox->addWidget(confirmLabel);
    layoutBox->addWidget(m_confirmEdit);
    layoutBox->addWidget(reasonLabel);
    layoutBox->addWidget(m_reasonEdit);
    if (sessionReportRow) {
        layoutBox->addWidget(m_sessionReportCheck);
        layoutBox->addLayout(sessionReportRow);
    }
    layoutBox->addStretch(1);
    layoutBox->addLayout(buttons);
    return page;
}

QWidget *DestroyAllDialog::buildRunPage()
{
    auto *page = new QWidget(this);
    page->setObjectName(QStringLiteral("runPage"));

    auto *headline = wrapLabel(page, tr("Destroying the sessions of %1").arg(m_target));
    makeHeadline(headline);

    m_examinedValue = valueLabel(page, QStringLiteral("examinedValue"), tr("Keys examined"));
    m_matchedValue = valueLabel(page, QStringLiteral("matchedValue"), tr("Sessions matched"));
    m_destroyedValue = valueLabel(page, QStringLiteral("destroyedValue"), tr("Sessions destroyed"));
    m_failedValue = valueLabel(page, QStringLiteral("failedValue"), tr("Sessions failed"));
    m_rateValue = valueLabel(page, QStringLiteral("rateValue"), tr("Rate"));
    m_timeLeftValue = valueLabel(page, QStringLiteral("timeLeftValue"), tr("Time left"));

    auto *form = new QFormLayout;
    form->addRow(tr("Examined:"), m_examinedValue);
    form->addRow(tr("Matched:"), m_matchedValue);
    form->addRow(tr("Destroyed:"), m_destroyedValue);
    form->addRow(tr("Failed:"), m_failedValue);
    form->addRow(tr("Rate:"), m_rateValue);
    form->addRow(tr("Time left:"), m_timeLeftValue);

    m_progressBar = new QProgressBar(page);
    m_progressBar->setObjectName(QStringLiteral("runProgress"));
    m_progressBar->setAccessibleName(tr("Progress"));
    m_progressBar->setRange(0, 1000);
    m_progressBar->setValue(0);

    m_runStatus = wrapLabel(page);
    m_runStatus->setObjectName(QStringLiteral("runStatus"));

    m_cancelRunButton = new QPushButton(tr("Cancel"), page);
    m_cancelRunButton->setObjectName(QStringLiteral("cancelRunButton"));
    m_cancelRunButton->setAccessibleName(tr("Cancel after the current batch"));
    m_cancelRunButton->setToolTip(
        tr("Stops after the current batch; the report then says exactly what was destroyed."));
    m_cancelRunButton->setAutoDefault(false);
    connect(m_cancelRunButton, &QPushButton::clicked, this, &DestroyAllDialog::requestCancel);

    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_cancelRunButton);

    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(headline);
    layout->addLayout(form);
    layout->addWidget(m_progressBar);
    layout->addWidget(m_runStatus);
    layout->addStretch(1);
    layout->addLayout(buttons);
    return page;
}

QWidget *DestroyAllDialog::buildReportPage()
{
    auto *page = new QWidget(this);
    page->setObjectName(QStringLiteral("reportPage"));

    m_reportHeadline = wrapLabel(page);
    m_reportHeadline->setObjectName(QStringLiteral("reportHeadline"));
    makeHeadline(m_reportHeadline);
    m_reportSummary = wrapLabel(page);
    m_reportSummary->setObjectName(QStringLiteral("reportSummary"));
    m_reportSummary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_reportErrorsLabel = wrapLabel(page, tr("Causes of failures:"));
    m_reportErrorsLabel->setObjectName(QStringLiteral("reportErrorsLabel"));
    m_reportErrors = new QPlainTextEdit(page);
    m_reportErrors->setObjectName(QStringLiteral("reportErrors"));
    m_reportErrors->setReadOnly(true);
    m_reportErrors->setAccessibleName(tr("Causes of failures"));
    m_reportErrors->setMaximumHeight(m_reportErrors->fontMetrics().lineSpacing() * 6);
    m_reportErrorsLabel->setBuddy(m_reportErrors);

    m_saveReportButton = new QPushButton(tr("Save Report…"), page);
    m_saveReportButton->setObjectName(QStringLiteral("saveReportButton"));
    m_saveReportButton->setAccessibleName(tr("Save report"));
    m_saveReportButton->setAutoDefault(false);
    m_saveReportButton->setIcon(QIcon(QStringLiteral(":/icons/export.svg")));
    connect(m_saveReportButton, &QPushButton::clicked, this,
            &DestroyAllDialog::saveReportInteractively);

    m_closeButton = new QPushButton(tr("Close"), page);
    m_closeButton->setObjectName(QStringLiteral("closeButton"));
    m_closeButton->setAccessibleName(tr("Close"));
    connect(m_closeButton, &QPushButton::clicked, this, &QDialog::accept);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_saveReportButton);
    buttons->addStretch(1);
    buttons->addWidget(m_closeButton);

    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_reportHeadline);
    layout->addWidget(m_reportSummary);
    layout->addWidget(m_reportErrorsLabel);
    layout->addWidget(m_reportErrors);
    layout->addStretch(1);
    layout->addLayout(buttons);
    return page;
}

DestroyAllDialog::Page DestroyAllDialog::page() const
{
    return Page(m_pages->currentIndex());
}

void DestroyAllDialog::setNextSaveFileName(const QString &fileName)
{
    g_nextSaveFileName = fileName;
}

void DestroyAllDialog::startPreview()
{
    if (!m_client)
        return;
    m_count = -1;
    m_indexKeys = -1;
    m_countValue->setText(tr("counting…"));
    if (m_indexValue)
        m_indexValue->setText(tr("counting…"));
    m_previewId = m_client->destroyAll(true);
    updateDestroyButton();
}

void DestroyAllDialog::startRun()
{
    if (!m_destroyButton->isEnabled() || !m_client)
        return;
    m_banner->hideMessage();
    m_reason = m_reasonEdit->text().trimmed();
    m_cancelRequested = false;
    m_hasReport = false;
    m_report = DestroyReport();
    m_runStatus->clear();
    m_cancelRunButton->setEnabled(true);
    m_runStartedAt = QDateTime::currentDateTimeUtc();
    m_runClock.start();
    const QString sessionReport = m_sessionReportCheck && m_sessionReportCheck->isChecked()
        ? m_sessionReportEdit->text().trimmed()
        : QString();
    m_runId = m_client->destroyAll(false, m_reason, m_count, sessionReport);
    showRunProgress(0, -1, 0, 0, 0);
    m_pages->setCurrentIndex(int(Page::Run));
    m_cancelRunButton->setFocus();
}

void DestroyAllDialog::requestCancel()
{
    if (!m_runId || m_hasReport || m_cancelRequested)
        return;
    m_cancelRequested = true;
    if (m_client)
        m_client->cancel(m_runId);
    m_cancelRunButton->setEnabled(false);
    m_runStatus->setText(tr("Cancelling after the current batch…"));
}

void DestroyAllDialog::reject()
{
    switch (page()) {
    case Page::Run:
        // Closing must not leave a run going unseen: Esc and the window's close button ask it
        // to stop, and the report follows.
        requestCancel();
        return;
    case Page::Preview:
        if (m_client && m_previewId)
            m_client->cancel(m_previewId);
        m_previewId = 0;
        break;
    case Page::Report:
        break;
    }
    QDialog::reject();
}

void DestroyAllDialog::closeEvent(QCloseEvent *event)
{
    if (page() == Page::Run) {
        event->ignore();
        requestCancel();
        return;
    }
    QDialog::closeEvent(event);
}

void DestroyAllDialog::updateWritesNotice()
{
    QString notice;
    if (!m_client)
        notice = tr("The connection is closed.");
    else if (m_client->isLocked())
        notice = tr("This connection is read-only (auditor) and can never destroy sessions. The "
                    "count above is what a destroy would remove.");
    else if (!m_client->writesAllowed())
        notice = tr("Changes are not allowed on this connection. To destroy these sessions, "
                    "close this dialog, allow changes and open it again.");
    m_writesNotice->setText(notice);
    m_writesNotice->setVisible(!notice.isEmpty());
    m_confirmEdit->setEnabled(m_client && m_client->writesAllowed());
    m_reasonEdit->setEnabled(m_client && m_client->writesAllowed());
    if (m_sessionReportCheck)
        m_sessionReportCheck->setEnabled(m_client && m_client->writesAllowed());
}

void DestroyAllDialog::updateDestroyButton()
{
    const QString label =
        m_count >= 0 ? tr("Destroy %Ln sessions", "", plural(m_count)) : tr("Destroy Sessions");
    m_destroyButton->setText(label);
    m_destroyButton->setAccessibleName(label);
    const bool somethingToDestroy = m_count > 0 || m_indexKeys > 0;
    const bool sessionReportReady = !m_sessionReportCheck || !m_sessionReportCheck->isChecked()
        || !m_sessionReportEdit->text().trimmed().isEmpty();
    m_destroyButton->setEnabled(m_client && m_client->writesAllowed() && m_count >= 0
                                && somethingToDestroy && m_confirmEdit->text() == m_target
                                && page() == Page::Preview && sessionReportReady);
}

void DestroyAllDialog::onProgress(StoreClient::RequestId id, const Progress &progress)
{
    if (id == 0)
        return;
    if (id == m_previewId) {
        if (progress.total > 0) {
            const int percent =
                int(std::clamp<qint64>(progress.examined * 100 / progress.total, 0, 100));
            m_countValue->setText(tr("counting… %1 found so far · %2 of %3 keys scanned (%4 %)")
                                      .arg(number(progress.matched), number(progress.examined),
                                           number(progress.total))
                                      .arg(percent));
        } else {
            m_countValue->setText(tr("counting… %1 found so far").arg(number(progress.matched)));
        }
    } else if (id == m_runId && !m_hasReport) {
        showRunProgress(progress.examined, progress.total, progress.matched, progress.destroyed,
                        progress.failed);
    }
}

void DestroyAllDialog::showRunProgress(qint64 examined, qint64 keyTotal, qint64 matched,
                                       qint64 destroyed, qint64 failed)
{
    // Of the database's keys (summed over a cluster's masters) when the store said how many.
    m_examinedValue->setText(keyTotal > 0
                                 ? tr("%1 of %2 keys").arg(number(examined), number(keyTotal))
                                 : number(examined));
    m_matchedValue->setText(number(matched));
    m_destroyedValue->setText(number(destroyed));
    m_failedValue->setText(number(failed));

    // Against the previewed count; sessions created since the preview can push past it.
    const qint64 expected = std::max(m_count, matched);
    m_progressBar->setValue(expected > 0 ? int(matched * 1000 / expected) : 0);
    m_progressBar->setFormat(tr("%1 of %2 (%p%)").arg(number(matched), number(expected)));

    const qint64 elapsedMs = m_runClock.isValid() ? m_runClock.elapsed() : 0;
    if (elapsedMs >= 500 && matched > 0) {
        const double seconds = double(elapsedMs) / 1000.0;
        m_rateValue->setText(tr("%1 sessions/s").arg(number(qint64(double(destroyed) / seconds))));
        const double perSecond = double(matched) / seconds;
        const qint64 remaining = expected - matched;
        m_timeLeftValue->setText(
            tr("about %1").arg(formatDuration(qint64(double(remaining) / perSecond * 1000.0))));
    } else {
        m_rateValue->setText(QStringLiteral("—"));
        m_timeLeftValue->setText(QStringLiteral("—"));
    }
}

void DestroyAllDialog::onDestroyed(StoreClient::RequestId id, const DestroyReport &report)
{
    if (id == 0)
        return;
    if (id == m_previewId) {
        m_previewId = 0;
        m_count = report.matched;
        m_indexKeys = report.indexKeysDestroyed;
        if (m_count == 0 && m_indexKeys <= 0)
            m_countValue->setText(tr("no sessions: there is nothing to destroy"));
        else
            m_countValue->setText(tr("%Ln sessions", "", plural(m_count)));
        if (m_indexValue)
            m_indexValue->setText(tr("%Ln index keys", "", plural(m_indexKeys)));
        if (m_rateLimitValue && m_client) { // made only for a connection with a limit
            const int rate = m_client->config().maxOpsPerSecond;
            m_rateLimitValue->setText(
                tr("at most %1 operations a second: the deletes alone take at least %2")
                    .arg(number(rate), formatDuration(report.leastDeleteMs(rate))));
        }
        if (!report.costEstimate.isEmpty()) {
            m_costValue->setText(report.costEstimate);
            m_costValue->show();
            m_costLabel->show();
        }
        updateDestroyButton();
    } else if (id == m_runId && !m_hasReport) {
        m_runFinishedAt = QDateTime::currentDateTimeUtc();
        m_report = report;
        m_hasReport = true;
        showRunProgress(report.examined, -1, report.matched, report.destroyed, report.failed);
        showReport();
        emit finished(report);
    }
}

void DestroyAllDialog::onFailed(StoreClient::RequestId id, const StorageError &error)
{
    if (id == 0)
        return;
    if (id == m_previewId) {
        m_previewId = 0;
        m_count = -1;
        m_countValue->setText(tr("unknown: counting failed"));
        if (m_indexValue)
            m_indexValue->setText(tr("unknown"));
        m_banner->showMessage(error.message, MessageBanner::Kind::Error, tr("Retry"),
                              [this] { startPreview(); });
        updateDestroyButton();
    } else if (id == m_runId && !m_hasReport) {
        m_runFinishedAt = QDateTime::currentDateTimeUtc();
        m_runId = 0;
        m_banner->showMessage(error.message, MessageBanner::Kind::Error);
        if (error.code == StorageError::Code::Refused
            || error.code == StorageError::Code::InvalidArgument) {
            // Refused before it started (writes not allowed, a report file that cannot be
            // written): nothing was destroyed.
            m_pages->setCurrentIndex(int(Page::Preview));
            updateWritesNotice();
            updateDestroyButton();
            return;
        }
        // Without a report the exact state is unknown here: say what was last seen and where
        // the exact record is.
        m_reportHeadline->setText(tr("The run stopped on an error."));
        m_reportSummary->setText(
            tr("%1\n\nLast reported progress: %2 sessions destroyed, %3 failed, of %4 matched. "
               "The audit log records what happened; open this dialog again to count what "
               "remains.")
                .arg(error.message, m_destroyedValue->text(), m_failedValue->text(),
                     m_matchedValue->text()));
        m_reportErrors->clear();
        m_reportErrors->setVisible(false);
        m_reportErrorsLabel->setVisible(false);
        m_saveReportButton->setEnabled(false);
        m_pages->setCurrentIndex(int(Page::Report));
        m_closeButton->setDefault(true);
        m_closeButton->setFocus();
    }
}

void DestroyAllDialog::showReport()
{
    const DestroyReport &r = m_report;
    QString headline;
    if (!r.abortReason.isEmpty()) {
        headline =
            tr("Stopped on an error after destroying %Ln sessions.", "", plural(r.destroyed));
    } else if (r.cancelled) {
        headline = tr("Cancelled: %1 of %2 sessions found were destroyed; the rest are untouched.")
                       .arg(number(r.destroyed), number(r.matched));
    } else if (r.failed > 0) {
        headline = tr("Destroyed %1 of %2 sessions; %3 could not be destroyed.")
                       .arg(number(r.destroyed), number(r.matched), number(r.failed));
    } else {
        headline = tr("Destroyed %Ln sessions.", "", plural(r.destroyed));
    }
    m_reportHeadline->setText(headline);

    QStringList lines;
    lines << tr("Destroyed: %1 of %2 matched").arg(number(r.destroyed), number(r.matched));
    lines << tr("Failed: %1").arg(number(r.failed));
    if (r.unconfirmed > 0 && r.abortReason.isEmpty()) {
        lines << tr("Unconfirmed (the reply was lost to a fault; sent again, they were already "
                    "gone, removed by this run or by someone else): %1")
                     .arg(number(r.unconfirmed));
    } else if (r.unconfirmed > 0) {
        lines << tr("Sent but unconfirmed (the reply was lost; they may or may not be gone): %1")
                     .arg(number(r.unconfirmed));
    }
    if (m_client && m_client->layout().hasUserIndex())
        lines << tr("User index keys destroyed: %1").arg(number(r.indexKeysDestroyed));
    lines << tr("Keys examined: %1").arg(number(r.examined));
    lines << tr("Duration: %1").arg(formatDuration(r.durationMs));
    if (!r.abortReason.isEmpty())
        lines << tr("Stopped because: %1").arg(r.abortReason);
    else if (r.cancelled)
        lines << tr("Cancelled by the operator after the current batch.");
    else
        lines << tr("Completed.");
    if (m_client)
        lines << tr("The audit log %1 records this operation.").arg(m_client->auditLogPath());
    if (!r.sessionReportPath.isEmpty()) {
        if (r.sessionReportError.isEmpty()) {
            lines << tr("Each session's outcome (%1 lines) is in %2.")
                         .arg(number(r.sessionReportLines), r.sessionReportPath);
        } else {
            lines << tr("The per-session report %1 is incomplete: %2")
                         .arg(r.sessionReportPath, r.sessionReportError);
        }
    }
    m_reportSummary->setText(lines.join(u'\n'));

    m_reportErrors->setPlainText(r.errors.join(u'\n'));
    const bool hasErrors = !r.errors.isEmpty();
    m_reportErrors->setVisible(hasErrors);
    m_reportErrorsLabel->setVisible(hasErrors);
    m_saveReportButton->setEnabled(true);
    m_pages->setCurrentIndex(int(Page::Report));
    m_closeButton->setDefault(true);
    m_closeButton->setFocus();
}

QString DestroyAllDialog::reportText() const
{
    if (!m_hasReport)
        return {};
    const DestroyReport &r = m_report;
    const SessionLayout layout = m_client ? m_client->layout() : SessionLayout();
    QString outcome;
    if (!r.abortReason.isEmpty())
        outcome = tr("stopped on an error: %1").arg(r.abortReason);
    else if (r.cancelled)
        outcome = tr("cancelled by the operator");
    else
        outcome = tr("completed");

    QList<QPair<QString, QString>> rows = {
        {tr("Target"), m_target},
        {tr("URL"), m_client ? m_client->displayUrl() : QString()},
        {tr("Layout"),
         tr("%1 (keys starting with “%2”)")
             .arg(layout.description, QString::fromUtf8(layout.keyPrefix))},
        {tr("Reason"), m_reason.isEmpty() ? tr("(none given)") : m_reason},
        {tr("Started"), m_runStartedAt.toString(Qt::ISODateWithMs)},
        {tr("Finished"), m_runFinishedAt.toString(Qt::ISODateWithMs)},
        {tr("Duration"), formatDuration(r.durationMs)},
        {tr("Outcome"), outcome},
        {tr("Previewed"), QString::number(m_count)},
        {tr("Keys examined"), QString::number(r.examined)},
        {tr("Sessions matched"), QString::number(r.matched)},
        {tr("Sessions destroyed"), QString::number(r.destroyed)},
        {tr("Sessions failed"), QString::number(r.failed)},
        {tr("Sessions unconfirmed"), QString::number(r.unconfirmed)},
    };
    if (layout.hasUserIndex())
        rows.append({tr("Index keys destroyed"), QString::number(r.indexKeysDestroyed)});
    if (m_client)
        rows.append({tr("Audit log"), m_client->auditLogPath()});
    if (!r.sessionReportPath.isEmpty()) {
        rows.append(
            {tr("Per-session report"),
             r.sessionReportError.isEmpty()
                 ? r.sessionReportPath
                 : tr("%1 (incomplete: %2)").arg(r.sessionReportPath, r.sessionReportError)});
    }

    qsizetype width = 0;
    for (const auto &row : rows)
        width = std::max(width, row.first.size());
    QString text =
        tr("SessionDesk %1 — destroy-all report").arg(QStringLiteral(SESSIONDESK_VERSION)) + u'\n';
    for (const auto &[label, value] : rows)
        text += QString(label + u':').leftJustified(width + 2) + value + u'\n';
    if (!r.errors.isEmpty()) {
        text += tr("Causes of failures:") + u'\n';
        for (const QString &error : r.errors)
            text += QStringLiteral("  - ") + error + u'\n';
    }
    return text;
}

QByteArray DestroyAllDialog::reportJson() const
{
    if (!m_hasReport)
        return {};
    const DestroyReport &r = m_report;
    const SessionLayout layout = m_client ? m_client->layout() : SessionLayout();
    QString outcome = QStringLiteral("completed");
    if (!r.abortReason.isEmpty())
        outcome = QStringLiteral("aborted");
    else if (r.cancelled)
        outcome = QStringLiteral("cancelled");
    QJsonObject json{
        {QStringLiteral("tool"), QStringLiteral("SessionDesk " SESSIONDESK_VERSION)},
        {QStringLiteral("action"), QStringLiteral("destroy-all")},
        {QStringLiteral("target"), m_target},
        {QStringLiteral("url"), m_client ? m_client->displayUrl() : QString()},
        {QStringLiteral("schema"), layout.schema},
        {QStringLiteral("layout"), layout.description},
        {QStringLiteral("keyPrefix"), QString::fromUtf8(layout.keyPrefix)},
        {QStringLiteral("reason"), m_reason},
        {QStringLiteral("startedAt"), m_runStartedAt.toString(Qt::ISODateWithMs)},
        {QStringLiteral("finishedAt"), m_runFinishedAt.toString(Qt::ISODateWithMs)},
        {QStringLiteral("durationMs"), r.durationMs},
        {QStringLiteral("outcome"), outcome},
        {QStringLiteral("cancelled"), r.cancelled},
        {QStringLiteral("abortReason"), r.abortReason},
        {QStringLiteral("previewed"), m_count},
        {QStringLiteral("examined"), r.examined},
        {QStringLiteral("matched"), r.matched},
        {QStringLiteral("destroyed"), r.destroyed},
        {QStringLiteral("failed"), r.failed},
        {QStringLiteral("unconfirmed"), r.unconfirmed},
        {QStringLiteral("indexKeysDestroyed"), r.indexKeysDestroyed},
        {QStringLiteral("errors"), QJsonArray::fromStringList(r.errors)},
        {QStringLiteral("auditLog"), m_client ? m_client->auditLogPath() : QString()},
    };
    if (!r.sessionReportPath.isEmpty()) {
        json.insert(
            QStringLiteral("sessionReport"),
            QJsonObject{{QStringLiteral("path"), r.sessionReportPath},
                        {QStringLiteral("lines"), r.sessionReportLines},
                        {QStringLiteral("error"),
                         r.sessionReportError.isEmpty() ? QJsonValue()
                                                        : QJsonValue(r.sessionReportError)}});
    }
    return QJsonDocument(json).toJson(QJsonDocument::Indented);
}

void DestroyAllDialog::saveReportInteractively()
{
    QString fileName;
    if (g_nextSaveFileName) {
        fileName = *g_nextSaveFileName;
        g_nextSaveFileName.reset();
    } else {
        const QString suggested =
            QStringLiteral("destroy-all-%1-%2.txt")
                .arg(fileNamePart(m_target),
                     m_runStartedAt.toString(QStringLiteral("yyyyMMdd-HHmmss")));
        fileName = QFileDialog::getSaveFileName(this, tr("Save Report"), suggested,
                                                tr("Text (*.txt);;JSON (*.json)"));
    }
    if (fileName.isEmpty())
        return;
    saveReport(fileName);
}

void DestroyAllDialog::browseSessionReport()
{
    const QString fileName =
        QFileDialog::getSaveFileName(this, tr("Per-Session Report"), m_sessionReportEdit->text(),
                                     tr("JSON Lines (*.jsonl);;All files (*)"));
    if (!fileName.isEmpty())
        m_sessionReportEdit->setText(fileName);
}

bool DestroyAllDialog::saveReport(const QString &fileName)
{
    if (!m_hasReport)
        return false;
    const bool json = fileName.endsWith(QStringLiteral(".json"), Qt::CaseInsensitive);
    const QByteArray data = json ? reportJson() : reportText().toUtf8();
    QSaveFile file(fileName);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit()) {
        m_banner->showMessage(
            tr("Could not save the report to %1: %2.").arg(fileName, file.errorString()),
            MessageBanner::Kind::Error);
        return false;
    }
    m_banner->showMessage(tr("Report saved to %1.").arg(fileName), MessageBanner::Kind::Info);
    return true;
}

} // namespace SessionDesk
