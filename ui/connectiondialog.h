#pragma once

#include "connectionprofile.h"

#include <QColor>
#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace SessionDesk {

// Creates or edits a saved connection: a Redis server, a Sentinel master or a Redis Cluster
// (the URL decides, and the dialog says which), or a DynamoDB table. Validates as the operator
// types (URL, schema, user index pattern, TLS files, sentinel user, cluster host map) and keeps
// OK disabled while something is wrong, with the reason shown inline. A password typed into the URL
// is never kept: profile() returns the URL without it, and the dialog says that the password is
// asked for on connect.
class ConnectionDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit ConnectionDialog(QWidget *parent = nullptr);

    ConnectionProfile profile() const;
    void setProfile(const ConnectionProfile &profile);
    // Names of the other saved connections, so that a duplicate name is refused.
    void setExistingNames(const QStringList &names);

    // The reason the current input cannot be saved, or empty when it can.
    QString validationError() const;

private:
    QLineEdit *addFileRow(QFormLayout *form, const QString &label, const QString &objectName,
                          const QString &dialogTitle, const QString &filter);
    void validate();
    // The host map field split into its "ANNOUNCED=REACHABLE" entries.
    QStringList hostMapEntries() const;
    void chooseColor();
    void setColor(const QColor &color);

    ConnectionProfile m_base; // keeps the fields this dialog does not edit (user fields)
    QString m_originalName;
    QStringList m_existingNames;
    QColor m_color;

    QLineEdit *m_name = nullptr;
    QLineEdit *m_url = nullptr;
    QLabel *m_passwordWarning = nullptr;
    QLabel *m_kind = nullptr; // what the URL opens: a server, a Sentinel master, a cluster
    QLineEdit *m_sentinelUser = nullptr;
    QLineEdit *m_clusterHostMap = nullptr;
    QSpinBox *m_maxOps = nullptr;
    QComboBox *m_schema = nullptr;
    QLineEdit *m_userIndex = nullptr;
    QGroupBox *m_tlsGroup = nullptr;
    QLineEdit *m_caFile = nullptr;
    QLineEdit *m_certFile = nullptr;
    QLineEdit *m_keyFile = nullptr;
    QLineEdit *m_serverName = nullptr;
    QCheckBox *m_insecure = nullptr;
    QLabel *m_insecureWarning = nullptr;
    QCheckBox *m_readOnly = nullptr;
    QPushButton *m_colorButton = nullptr;
    QPushButton *m_clearColorButton = nullptr;
    QLabel *m_error = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace SessionDesk
