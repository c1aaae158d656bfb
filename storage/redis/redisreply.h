#pragma once

#include <QByteArray>
#include <QList>

namespace SessionDesk::Redis {

// One RESP2 reply, detached from hiredis. Errors are ordinary values here: a pipeline can
// mix successful and failed replies, and the caller decides what an error means.
struct Reply
{
    enum class Type { String, Array, Integer, Nil, Status, Error };

    Type type = Type::Nil;
    QByteArray string; // String, Status and Error text
    qint64 integer = 0;
    QList<Reply> elements;

    bool isError() const { return type == Type::Error; }
    bool isNil() const { return type == Type::Nil; }
    // The error's first word ("WRONGTYPE", "NOPERM", ...) or empty for non-errors.
    QByteArray errorCode() const;
};

} // namespace SessionDesk::Redis
