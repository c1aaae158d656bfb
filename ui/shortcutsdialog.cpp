#include "shortcutsdialog.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace SessionDesk {

ShortcutsDialog::ShortcutsDialog(const QList<QAction *> &actions, QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("shortcutsDialog"));
    setWindowTitle(tr("Keyboard Shortcuts"));

    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("shortcutFilter"));
    m_filter->setPlaceholderText(tr("Filter by action or key…"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setAccessibleName(tr("Filter shortcuts"));
    connect(m_filter, &QLineEdit::textChanged, this, &ShortcutsDialog::applyFilter);

    m_table = new QTableWidget(0, 2, this);
    m_table->setObjectName(QStringLiteral("shortcutTable"));
    m_table->setAccessibleName(tr("Keyboard shortcuts"));
    m_table->setHorizontalHeaderLabels({tr("Action"), tr("Shortcut")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setSortingEnabled(false); // menu order
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);

    for (const QAction *action : actions) {
        if (!action || action->isSeparator() || action->shortcuts().isEmpty())
            continue;
        const QString text = plainActionText(action->text());
        if (text.isEmpty())
            continue;
        QStringList keys;
        for (const QKeySequence &sequence : action->shortcuts())
            keys.append(sequence.toString(QKeySequence::NativeText));
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        auto *name = new QTableWidgetItem(text);
        name->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
        if (!action->toolTip().isEmpty() && action->toolTip() != text)
            name->setToolTip(action->toolTip());
        if (!action->icon().isNull())
            name->setIcon(action->icon());
        auto *shortcut = new QTableWidgetItem(keys.join(QStringLiteral(", ")));
        shortcut->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
        m_table->setItem(row, 0, name);
        m_table->setItem(row, 1, shortcut);
    }

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->button(QDialogButtonBox::Close)->setObjectName(QStringLiteral("closeButton"));
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_filter);
    layout->addWidget(m_table, 1);
    layout->addWidget(buttons);
    resize(480, 420);
    m_filter->setFocus();
}

QString ShortcutsDialog::plainActionText(const QString &text)
{
    // "&&" is a literal ampersand; a lone "&" marks the mnemonic. A trailing "…" stays: it
    // tells that the action asks something first.
    QString plain;
    plain.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text.at(i) == u'&') {
            if (i + 1 < text.size() && text.at(i + 1) == u'&') {
                plain.append(u'&');
                ++i;
            }
            continue;
        }
        plain.append(text.at(i));
    }
    return plain;
}

void ShortcutsDialog::applyFilter(const QString &filter)
{
    const QString needle = filter.trimmed();
    for (int row = 0; row < m_table->rowCount(); ++row) {
        const bool matches = needle.isEmpty()
            || m_table->item(row, 0)->text().contains(needle, Qt::CaseInsensitive)
            || m_table->item(row, 1)->text().contains(needle, Qt::CaseInsensitive);
        m_table->setRowHidden(row, !matches);
    }
}

} // namespace SessionDesk
