#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonValue>
#include <QList>

namespace SessionDesk {

// Looks up one value in JSON object text without building a document: listing a million
// sessions reads a user id from each, and a full parse per value is most of that cost.
// `path` is the object keys to follow, as UTF-8. Only scalars are returned.
enum class JsonScan {
    Found, // *out holds the scalar
    Missing, // the path is not there (or names an object or array)
    Unsure, // escapes, odd syntax or damage: the caller must parse the document properly
};
JsonScan scanJsonPath(QByteArrayView json, const QList<QByteArray> &path, QJsonValue *out);
// The same without building a value: `*token` is the scalar's text as it stands in `json` (a
// string's content without its quotes, *isString set; or a number, true, false, null).
JsonScan scanJsonPathToken(QByteArrayView json, const QList<QByteArray> &path,
                           QByteArrayView *token, bool *isString);

} // namespace SessionDesk
