#include "tlsmaterial.h"

#include <QDir>
#include <QFile>
#include <QProcess>

namespace SessionDesk::Test {

namespace {

const char kCaConfig[] = R"([ ca ]
default_ca = test_ca
[ test_ca ]
database = db/index.txt
new_certs_dir = db
serial = db/serial
unique_subject = no
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = leaf
[ any ]
commonName = supplied
[ leaf ]
basicConstraints = CA:FALSE
subjectAltName = DNS:localhost,IP:127.0.0.1
)";

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(content) == content.size();
}

} // namespace

bool TlsMaterial::openssl(const QStringList &args)
{
    QProcess process;
    process.setWorkingDirectory(m_dir.path());
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(QStringLiteral("openssl"), args);
    if (!process.waitForFinished(60000) || process.exitStatus() != QProcess::NormalExit
        || process.exitCode() != 0) {
        m_error =
            QStringLiteral("openssl %1 failed: %2 %3")
                .arg(args.join(u' '), process.errorString(), QString::fromUtf8(process.readAll()));
        return false;
    }
    return true;
}

bool TlsMaterial::sign(const QString &name, const QString &subject, const QString &start,
                       const QString &end)
{
    return openssl({QStringLiteral("req"), QStringLiteral("-new"), QStringLiteral("-newkey"),
                    QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                    QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                    QStringLiteral("-keyout"), name + QStringLiteral(".key"),
                    QStringLiteral("-out"), name + QStringLiteral(".csr"), QStringLiteral("-subj"),
                    subject})
        && openssl({QStringLiteral("ca"), QStringLiteral("-batch"), QStringLiteral("-config"),
                    QStringLiteral("ca.cnf"), QStringLiteral("-cert"), QStringLiteral("ca.crt"),
                    QStringLiteral("-keyfile"), QStringLiteral("ca.key"), QStringLiteral("-in"),
                    name + QStringLiteral(".csr"), QStringLiteral("-out"),
                    name + QStringLiteral(".crt"), QStringLiteral("-startdate"), start,
                    QStringLiteral("-enddate"), end});
}

bool TlsMaterial::generate()
{
    if (!m_dir.isValid()) {
        m_error = QStringLiteral("cannot create a temporary directory");
        return false;
    }
    QDir(m_dir.path()).mkdir(QStringLiteral("db"));
    if (!writeFile(path("ca.cnf"), kCaConfig) || !writeFile(path("db/index.txt"), {})
        || !writeFile(path("db/serial"), "01\n")) {
        m_error = QStringLiteral("cannot write the CA configuration");
        return false;
    }
    const auto selfSigned = [this](const QString &name, const QString &subject) {
        return openssl({QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                        QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                        QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                        QStringLiteral("-keyout"), name + QStringLiteral(".key"),
                        QStringLiteral("-out"), name + QStringLiteral(".crt"),
                        QStringLiteral("-days"), QStringLiteral("30"), QStringLiteral("-subj"),
                        subject});
    };
    const QString validFrom = QStringLiteral("20200101000000Z");
    const QString validTo = QStringLiteral("20991231000000Z");
    return selfSigned(QStringLiteral("ca"), QStringLiteral("/CN=SessionDesk Test CA"))
        && selfSigned(QStringLiteral("other-ca"), QStringLiteral("/CN=Unrelated CA"))
        && sign(QStringLiteral("server"), QStringLiteral("/CN=localhost"), validFrom, validTo)
        && sign(QStringLiteral("client"), QStringLiteral("/CN=sessiondesk-client"), validFrom,
                validTo)
        && sign(QStringLiteral("expired"), QStringLiteral("/CN=localhost"), validFrom,
                QStringLiteral("20210101000000Z"));
}

} // namespace SessionDesk::Test
