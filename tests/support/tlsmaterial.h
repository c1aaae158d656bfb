#pragma once

#include <QString>
#include <QTemporaryDir>

namespace SessionDesk::Test {

// A throwaway CA with certificates made by the openssl command at test time: a server
// certificate for localhost/127.0.0.1, one that expired in 2021, and a client certificate.
// Keys are unencrypted EC P-256 in PEM.
class TlsMaterial
{
public:
    bool generate(); // false + errorString() when openssl is missing or fails
    QString errorString() const { return m_error; }

    QString caCert() const { return path("ca.crt"); }
    QString serverCert() const { return path("server.crt"); }
    QString serverKey() const { return path("server.key"); }
    QString expiredCert() const { return path("expired.crt"); }
    QString expiredKey() const { return path("expired.key"); }
    QString clientCert() const { return path("client.crt"); }
    QString clientKey() const { return path("client.key"); }
    QString otherCaCert() const { return path("other-ca.crt"); } // trusts nothing we serve

private:
    QString path(const char *name) const { return m_dir.filePath(QString::fromLatin1(name)); }
    bool openssl(const QStringList &args);
    bool sign(const QString &name, const QString &subject, const QString &start,
              const QString &end);

    QTemporaryDir m_dir;
    QString m_error;
};

} // namespace SessionDesk::Test
