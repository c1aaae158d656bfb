#include "buildinfo.h"

#include "sessiondesk_gitdescribe.h"

#include <QSslSocket>
#include <QtGlobal>

#include <hiredis/hiredis.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

namespace SessionDesk::BuildInfo {

QString version()
{
    return QStringLiteral(SESSIONDESK_VERSION);
}

QString fullVersion()
{
    const QString describe = QStringLiteral(SESSIONDESK_GIT_DESCRIBE);
    return describe.isEmpty() ? version() : QStringLiteral("%1 (git %2)").arg(version(), describe);
}

QList<LibraryVersion> libraryVersions()
{
    const QString tlsBackend = QSslSocket::activeBackend();
    return {
        {QStringLiteral("Qt"), QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR)},
        {QStringLiteral("hiredis"),
         QStringLiteral("%1.%2.%3").arg(HIREDIS_MAJOR).arg(HIREDIS_MINOR).arg(HIREDIS_PATCH),
         QString()},
        {QStringLiteral("OpenSSL"), QString::fromLatin1(OpenSSL_version(OPENSSL_VERSION)),
         QStringLiteral(OPENSSL_VERSION_TEXT)},
        {QStringLiteral("Qt TLS backend"),
         tlsBackend.isEmpty()
             ? QStringLiteral("none")
             : QStringLiteral("%1 (%2)").arg(tlsBackend, QSslSocket::sslLibraryVersionString()),
         QString()},
    };
}

} // namespace SessionDesk::BuildInfo
