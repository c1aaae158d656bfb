#pragma once

#include "sessionlayout.h"

#include <QByteArray>
#include <QString>

namespace SessionDesk {

// What an operator pasted, resolved to a session id of a layout.
struct SessionReference
{
    enum class Source { SessionId, Key, Cookie };

    // The id to hand to the store. For a layout that hashes cookie ids (Rack, Rails) a cookie
    // yields the public id: the store finds the session under its private id (and its legacy
    // key under the public one), as the framework does.
    QByteArray id;
    Source source = Source::SessionId;
    QString cookieName; // the cookie it came from, when it was given as name=value

    // "cookie _app_session of rails", "session key", "session id": for "this is what I matched".
    QString describe(const SessionLayout &layout) const;
};

// Accepts a session id, a full key with the layout's prefix, a cookie value as the browser
// holds it in the layout's cookie format (express's signed "s:<sid>.<sig>", URL-encoded or not;
// Flask's "<sid>.<sig>"; Spring's base64 of the id; plain PHP, Django and Rack ids), a
// "name=value" pair or a whole Cookie header. Ids shown escaped by displayBytes() are unescaped.
SessionReference resolveSessionReference(const QString &input, const SessionLayout &layout);

} // namespace SessionDesk
