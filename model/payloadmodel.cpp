#include "payloadmodel.h"

#include "valuetree.h"

namespace SessionDesk {

namespace {

QString kindName(ValueNode::Kind kind)
{
    switch (kind) {
    case ValueNode::Kind::Null:
        return QStringLiteral("null");
    case ValueNode::Kind::Bool:
        return QStringLiteral("bool");
    case ValueNode::Kind::Integer:
        return QStringLiteral("integer");
    case ValueNode::Kind::Double:
        return QStringLiteral("number");
    case ValueNode::Kind::String:
        return QStringLiteral("string");
    case ValueNode::Kind::Bytes:
        return QStringLiteral("bytes");
    case ValueNode::Kind::List:
        return QStringLiteral("list");
    case ValueNode::Kind::Map:
        return QStringLiteral("map");
    }
    return {};
}

// Long values are cut for the view; the full text is one tooltip or copy away.
constexpr int kMaxShownChars = 2000;

} // namespace

PayloadModel::PayloadModel(QObject *parent)
    : QAbstractItemModel(parent)
{ }

void PayloadModel::flatten(const ValueNode &value, int parent, int row)
{
    const int self = int(m_nodes.size());
    m_nodes.append({&value, parent, row, {}});
    if (parent < 0)
        m_top.append(self);
    else
        m_nodes[parent].children.append(self);
    if (value.secret && !value.isContainer())
        ++m_secretCount;
    for (int i = 0; i < value.children.size(); ++i)
        flatten(value.children.at(i), self, i);
}

void PayloadModel::setDetail(const SessionDetail &detail)
{
    beginResetModel();
    m_detail = detail;
    m_nodes.clear();
    m_top.clear();
    m_secretCount = 0;
    m_revealed = false;
    m_hasSession = true;
    const ValueNode &root = m_detail.decoded.root;
    if (root.isContainer()) {
        for (int i = 0; i < root.children.size(); ++i)
            flatten(root.children.at(i), -1, i);
    } else {
        flatten(root, -1, 0);
    }
    endResetModel();
}

void PayloadModel::clear()
{
    beginResetModel();
    m_detail = {};
    m_nodes.clear();
    m_top.clear();
    m_secretCount = 0;
    m_revealed = false;
    m_hasSession = false;
    endResetModel();
}

void PayloadModel::setRevealed(bool revealed)
{
    if (m_revealed == revealed)
        return;
    m_revealed = revealed;
    // Every value cell may change; a reset is simpler than walking the tree.
    beginResetModel();
    endResetModel();
}

QModelIndex PayloadModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    const QList<int> &siblings =
        parent.isValid() ? m_nodes.at(int(parent.internalId())).children : m_top;
    return createIndex(row, column, quintptr(siblings.at(row)));
}

QModelIndex PayloadModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    const int parent = m_nodes.at(int(child.internalId())).parent;
    if (parent < 0)
        return {};
    return createIndex(m_nodes.at(parent).row, 0, quintptr(parent));
}

int PayloadModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return int(m_top.size());
    if (parent.column() != 0)
        return 0;
    return int(m_nodes.at(int(parent.internalId())).children.size());
}

int PayloadModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QString PayloadModel::valueText(const ValueNode &value) const
{
    switch (value.kind) {
    case ValueNode::Kind::Null:
        return QStringLiteral("null");
    case ValueNode::Kind::Bool:
        return value.scalar.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case ValueNode::Kind::Bytes:
        return displayBytes(value.scalar.toByteArray());
    case ValueNode::Kind::List:
    case ValueNode::Kind::Map:
        return tr("%n item(s)", "", int(value.children.size()));
    default:
        return value.scalar.toString();
    }
}

QVariant PayloadModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Node &node = m_nodes.at(int(index.internalId()));
    const ValueNode &value = *node.value;
    const bool masked =
        value.secret && !value.isContainer() && !m_revealed && value.kind != ValueNode::Kind::Null;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case KeyColumn:
            return value.name.isEmpty() ? QStringLiteral("[%1]").arg(node.row)
                                        : displayText(value.name);
        case ValueColumn: {
            if (masked)
                return kMaskText;
            QString text = valueText(value);
            if (text.size() > kMaxShownChars)
                text = text.left(kMaxShownChars) + QStringLiteral("…");
            return displayText(text.replace(u'\n', u' '));
        }
        case TypeColumn:
            return kindName(value.kind);
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == ValueColumn && masked)
            return tr("A secret, masked. Reveal (Ctrl+R) shows it and is recorded in the audit "
                      "log.");
        if (index.column() == ValueColumn && !value.isContainer())
            return displayText(valueText(value).left(20000), LineBreaks::Keep);
        return {};
    case SecretRole:
        return value.secret;
    case RawValueRole:
        return masked ? QVariant() : QVariant(valueText(value));
    case Qt::AccessibleTextRole:
        if (index.column() == ValueColumn && masked)
            return tr("masked secret");
        return {};
    default:
        return {};
    }
}

QVariant PayloadModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case KeyColumn:
        return tr("Key");
    case ValueColumn:
        return tr("Value");
    case TypeColumn:
        return tr("Type");
    }
    return {};
}

} // namespace SessionDesk
