#pragma once

#include "sessionstore.h"
#include "storeclient.h"

#include <QDateTime>
#include <QDialog>
#include <QElapsedTimer>
#include <QPointer>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QStackedWidget;

namespace SessionDesk {

class MessageBanner;

// The one frightening action: destroy every session of a store, in four steps.
//  1. Preview (on open): a dry run counts what would be destroyed, with live progress; the page
//     names the target, the layout and what will not be touched.
//  2. Confirm (same page): the operator types the target's name and may give a reason (kept in
//     the audit record). The button names the verb and the number, and stays disabled while
//     writes are not allowed, the count is unknown or the name does not match.
//  3. Run: examined / matched / destroyed / failed, progress against the previewed count, rate,
//     time left and a Cancel that stops after the current batch.
//  4. Report: the exact result, which can be saved as text or JSON.
// Errors of this dialog's requests appear in a banner inside it; replies to other requests of
// the same client are ignored.
class DestroyAllDialog final : public QDialog
{
    Q_OBJECT

public:
    enum class Page { Preview, Run, Report };

    DestroyAllDialog(StoreClient *client, QWidget *parent = nullptr);
    ~DestroyAllDialog() override;

    Page page() const;
    // The previewed number of sessions, or -1 while counting (or when counting failed).
    qint64 previewCount() const { return m_count; }
    // The report of the run as text; empty before the run has finished.
    QString reportText() const;
    // The report as JSON (UTF-8, indented); empty before the run has finished.
    QByteArray reportJson() const;
    DestroyReport lastReport() const { return m_report; }
    bool hasReport() const { return m_hasReport; }

    // Tests only: the next "Save report…" writes to `fileName` without asking (an empty name:
    // as if the operator cancelled the file dialog).
    static void setNextSaveFileName(const QString &fileName);

    // Writes the report to `fileName`: JSON when it ends in .json, text otherwise. On failure
    // returns false and shows why in the dialog's banner.
    bool saveReport(const QString &fileName);

signals:
    // The run (not the dry run) has finished, completed, cancelled or stopped on an error.
    void finished(const SessionDesk::DestroyReport &report);

public slots:
    void reject() override;

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    QWidget *buildPreviewPage();
    QWidget *buildRunPage();
    QWidget *buildReportPage();

    void startPreview();
    void startRun();
    void requestCancel();
    void saveReportInteractively();
    void browseSessionReport();
    void updateWritesNotice();
    void updateDestroyButton();

    void onProgress(StoreClient::RequestId id, const Progress &progress);
    void onDestroyed(StoreClient::RequestId id, const DestroyReport &report);
    void onFailed(StoreClient::RequestId id, const StorageError &error);
    // `keyTotal`: the keys the scan under way will look at (DBSIZE), -1 when not known.
    void showRunProgress(qint64 examined, qint64 keyTotal, qint64 matched, qint64 destroyed,
                         qint64 failed);
    void showReport();

    QPointer<StoreClient> m_client;
    QString m_target;
    StoreClient::RequestId m_previewId = 0;
    StoreClient::RequestId m_runId = 0;
    qint64 m_count = -1;
    qint64 m_indexKeys = -1;
    bool m_cancelRequested = false;
    QElapsedTimer m_runClock;
    QDateTime m_runStartedAt;
    QDateTime m_runFinishedAt;
    QString m_reason;
    DestroyReport m_report;
    bool m_hasReport = false;

    MessageBanner *m_banner = nullptr;
    QStackedWidget *m_pages = nullptr;

    // Preview and confirm
    QLabel *m_countValue = nullptr;
    QLabel *m_indexValue = nullptr;
    QLabel *m_costValue = nullptr;
    QWidget *m_costLabel = nullptr;
    QLabel *m_rateLimitValue = nullptr; // only with a rate limit
    QLabel *m_writesNotice = nullptr;
    QLineEdit *m_confirmEdit = nullptr;
    QLineEdit *m_reasonEdit = nullptr;
    // The optional per-session report (Redis stores only); null when the store has none.
    QCheckBox *m_sessionReportCheck = nullptr;
    QLineEdit *m_sessionReportEdit = nullptr;
    QPushButton *m_sessionReportBrowse = nullptr;
    QPushButton *m_previewCancel = nullptr;
    QPushButton *m_destroyButton = nullptr;

    // Run
    QLabel *m_examinedValue = nullptr;
    QLabel *m_matchedValue = nullptr;
    QLabel *m_destroyedValue = nullptr;
    QLabel *m_failedValue = nullptr;
    QProgressBar *m_progressBar = nullptr;
    QLabel *m_rateValue = nullptr;
    QLabel *m_timeLeftValue = nullptr;
    QLabel *m_runStatus = nullptr;
    QPushButton *m_cancelRunButton = nullptr;

    // Report
    QLabel *m_reportHeadline = nullptr;
    QLabel *m_reportSummary = nullptr;
    QLabel *m_reportErrorsLabel = nullptr;
    QPlainTextEdit *m_reportErrors = nullptr;
    QPushButton *m_saveReportButton = nullptr;
    QPushButton *m_closeButton = nullptr;
};

} // namespace SessionDesk
