#pragma once

#include "connectionprofile.h"

#include <QAbstractListModel>

namespace SessionDesk {

// The saved connections, plus at most one unsaved connection opened from the command line
// (shown in italics after the saved ones). The open connection is shown in bold.
class ConnectionsModel final : public QAbstractListModel
{
    Q_OBJECT

public:
    enum Role { ProfileNameRole = Qt::UserRole + 1, SavedRole };

    explicit ConnectionsModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    void setProfiles(const QList<ConnectionProfile> &saved);
    // The saved profiles only, in order: what is written to the settings file.
    QList<ConnectionProfile> savedProfiles() const;
    // Lists an unsaved profile (replacing any earlier one) unless one of that name is saved.
    void setTransient(const ConnectionProfile &profile);
    void setOpen(const QString &name);
    const ConnectionProfile &profileAt(int row) const;
    bool isSaved(int row) const { return row < m_saved.size(); }
    int rowOf(const QString &name) const;

private:
    QList<ConnectionProfile> m_saved;
    std::optional<ConnectionProfile> m_transient;
    QString m_open;
};

} // namespace SessionDesk
