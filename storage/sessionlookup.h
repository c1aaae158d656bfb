#pragma once

#include "sessionlayout.h"

#include <QByteArray>
#include <QString>

namespace SessionDesk {

// What an operator pasted, resolved to a session id of a layout.
struct SessionReference
{
    enum class Source { SessionId, Key, Cookie };

    QByteArray id;
    Source source = Source::SessionId;

    // "cookie of connect.sid", "session key", "session id": for "this is what I matched".
    QString describe(const SessionLayout &layout) const;
};

// Accepts a session id, a full key with the layout's prefix, a signed express cookie value
// ("s:<sid>.<sig>", URL-encoded or not), "name=value" or a whole Cookie header. Ids shown
// escaped by displayBytes() are unescaped.
SessionReference resolveSessionReference(const QString &input, const SessionLayout &layout);

} // namespace SessionDesk
