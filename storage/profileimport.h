#pragma once

#include "connectionprofile.h"

#include <QList>
#include <QString>
#include <QStringList>

// Turning connection definitions people already have into saved connections.
namespace SessionDesk::ProfileImport {

struct Imported
{
    ConnectionProfile profile; // url without password
    QString password; // from the URL; to go to the keychain, never to the settings
};

struct UrlListResult
{
    QList<Imported> profiles;
    QStringList problems; // lines that are not store URLs: "line N: ..."; never echo a password
    QStringList skipped; // names that exist already: "line N: ..."
};

// Reads a list of store URLs, one a line: `redis://…`, `rediss://…` or `dynamodb://…`, or a name
// followed by whitespace and the URL. Blank lines and lines starting with '#' are skipped. A
// line without a name is named after its target ("host:port/db", with "user@" for an ACL
// user). Names already in `existingNames` (or earlier in the list) are skipped and listed, so
// that importing the same file twice changes nothing.
UrlListResult parseUrlList(const QString &text, const QStringList &existingNames);

// A DynamoDB connection to `table` with the credentials and region of the named AWS profile, in
// the dynamodb-gds layout. Fails when the profile is in neither the shared config file nor the
// credentials file (the message names both files). `region` empty: the profile's own.
Result<ConnectionProfile> fromAwsProfile(const QString &awsProfile, const QString &table,
                                         const QString &region = {});

} // namespace SessionDesk::ProfileImport
