#pragma once

#include "redisrouter.h"
#include "sessionlayout.h"
#include "storefacts.h"

namespace SessionDesk::Redis {

struct ServerFacts
{
    QList<StoreFact> facts;
    QString version; // redis_version, empty when INFO was denied
    qint64 keys = -1; // DBSIZE, -1 when denied
};

// Reads what an auditor checks of a Redis server, without a scan: INFO, CONFIG GET of single
// settings, ACL LIST/WHOAMI, PUBSUB NUMSUB. A command the connection may not run (NOPERM,
// unknown command) makes its facts unknown with the server's reason; only a transport failure
// fails the whole read. Never asks for a password or keeps a password hash. Server settings
// come from the node the router sends keyless commands to (the master; a cluster's first
// master), the key count from every master.
Result<ServerFacts> readServerFacts(Router &router, const SessionLayout &layout);

// ACL LIST lines reduced to facts about each user; exposed for unit tests.
struct AclUser
{
    QString name;
    bool enabled = false;
    bool nopass = false;
    int passwords = 0;
    bool allCommands = false;
    bool allKeys = false;
    QString rules; // the rules without password hashes
};
AclUser parseAclUser(const QByteArray &line);

} // namespace SessionDesk::Redis
