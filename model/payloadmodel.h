#pragma once

#include "sessionstore.h"

#include <QAbstractItemModel>

namespace SessionDesk {

// The decoded payload of the one session that is open, as a tree of key / value / type.
// Secret-looking values are masked until setRevealed(true), which the window calls only after
// the reveal was recorded in the audit log.
class PayloadModel final : public QAbstractItemModel
{
    Q_OBJECT

public:
    enum Column { KeyColumn, ValueColumn, TypeColumn, ColumnCount };
    enum Role { SecretRole = Qt::UserRole + 1, RawValueRole };

    explicit PayloadModel(QObject *parent = nullptr);

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setDetail(const SessionDetail &detail);
    void clear();
    bool hasSession() const { return m_hasSession; }
    const SessionSummary &summary() const { return m_detail.summary; }
    const DecodedValue &decoded() const { return m_detail.decoded; }
    bool hasSecrets() const { return m_secretCount > 0; }
    bool isRevealed() const { return m_revealed; }
    void setRevealed(bool revealed);

private:
    struct Node
    {
        const ValueNode *value;
        int parent; // index into m_nodes, -1 for top level
        int row;
        QList<int> children;
    };
    void flatten(const ValueNode &value, int parent, int row);
    QString valueText(const ValueNode &value) const;

    SessionDetail m_detail;
    QList<Node> m_nodes;
    QList<int> m_top;
    bool m_hasSession = false;
    bool m_revealed = false;
    int m_secretCount = 0;
};

} // namespace SessionDesk
