#include "redisfacts.h"

#include "valuetree.h"

#include <QHash>
#include <QJsonArray>
#include <QRegularExpression>

namespace SessionDesk::Redis {

namespace {

// "NOPERM: this user has no permissions to run the 'config|get' command".
QString reasonOf(const Reply &reply)
{
    const QString text = QString::fromUtf8(reply.string);
    const QString code = QString::fromUtf8(reply.errorCode());
    return code.isEmpty() || code == text ? text : code + u':' + text.mid(code.size());
}

// "key:value" lines of one INFO section.
QHash<QByteArray, QByteArray> infoFields(const QByteArray &text)
{
    QHash<QByteArray, QByteArray> fields;
    for (const QByteArray &raw : text.split('\n')) {
        const QByteArray line = raw.trimmed();
        const qsizetype colon = line.indexOf(':');
        if (line.isEmpty() || line.startsWith('#') || colon <= 0)
            continue;
        fields.insert(line.left(colon), line.mid(colon + 1));
    }
    return fields;
}

QJsonArray stringArray(const QStringList &items)
{
    QJsonArray array;
    for (const QString &item : items)
        array.append(item);
    return array;
}

} // namespace

AclUser parseAclUser(const QByteArray &line)
{
    AclUser user;
    const QList<QByteArray> tokens = line.simplified().split(' ');
    if (tokens.size() < 2 || tokens.first() != "user")
        return user;
    user.name = QString::fromUtf8(tokens.at(1));
    QStringList kept;
    static const QRegularExpression allKeysPattern(QStringLiteral("^(%R?W?)?~\\*$"));
    for (qsizetype i = 2; i < tokens.size(); ++i) {
        const QByteArray &t = tokens.at(i);
        // Password hashes (#…) and clear passwords (>…, <…, !…) never leave this function.
        if (t.startsWith('#') || t.startsWith('>') || t.startsWith('<') || t.startsWith('!')) {
            if (t.startsWith('#') || t.startsWith('>'))
                ++user.passwords;
            continue;
        }
        const QString token = QString::fromUtf8(t);
        if (token == u"on")
            user.enabled = true;
        else if (token == u"off")
            user.enabled = false;
        else if (token == u"nopass")
            user.nopass = true;
        else if (token == u"resetpass")
            user.nopass = false;
        else if (token == u"+@all" || token == u"allcommands")
            user.allCommands = true;
        else if (token == u"-@all" || token == u"nocommands")
            user.allCommands = false;
        else if (token == u"allkeys" || allKeysPattern.match(token).hasMatch())
            user.allKeys = true;
        else if (token == u"resetkeys")
            user.allKeys = false;
        kept << token;
    }
    user.rules = kept.join(u' ');
    return user;
}

Result<ServerFacts> readServerFacts(Router &router, const SessionLayout &layout)
{
    const StoreConfig &config = router.config();
    ServerFacts out;
    FactSheet sheet;

    // One round trip for the basics, one for everything else: each reply stands alone, so a
    // denied command costs only its own facts.
    auto basics = router.run({{"INFO", "server"}, {"INFO", "replication"}, {"DBSIZE"}});
    if (!basics)
        return std::unexpected(basics.error());
    const Reply &serverInfo = basics->at(0);
    const Reply &replicationInfo = basics->at(1);
    const Reply &dbsize = basics->at(2);
    // A server that wants AUTH answers every command the same: that is no view at all.
    for (const Reply &reply : *basics) {
        if (reply.errorCode() == "NOAUTH" || reply.errorCode() == "LOADING")
            return std::unexpected(
                errorFromReply(reply, config.endpoint(), QStringLiteral("INFO")));
    }
    const auto server = infoFields(serverInfo.string);
    const auto replication = infoFields(replicationInfo.string);
    QString redisMode;
    if (serverInfo.isError()) {
        sheet.unknown(QStringLiteral("redis.server.version"), reasonOf(serverInfo));
    } else {
        out.version = QString::fromUtf8(server.value("redis_version"));
        redisMode = QString::fromUtf8(server.value("redis_mode", "standalone"));
        sheet.known(QStringLiteral("redis.server.version"), out.version);
    }
    const QString role = QString::fromUtf8(replication.value("role"));
    if (serverInfo.isError() && replicationInfo.isError()) {
        sheet.unknown(QStringLiteral("redis.server.mode"), reasonOf(serverInfo));
    } else {
        QString mode = redisMode.isEmpty() ? QStringLiteral("standalone") : redisMode;
        if (mode == u"standalone" && role == u"slave")
            mode = QStringLiteral("replica");
        // Reached through sentinels or a slot map: say which master of how many, which INFO of
        // one node does not.
        if (config.redisMode != StoreConfig::RedisMode::Standalone)
            mode = router.modeDescription();
        sheet.known(QStringLiteral("redis.server.mode"), mode);
    }
    if (replicationInfo.isError()) {
        sheet.unknown(QStringLiteral("redis.server.role"), reasonOf(replicationInfo));
    } else if (redisMode == u"sentinel") {
        sheet.known(QStringLiteral("redis.server.role"), QStringLiteral("sentinel"));
    } else {
        sheet.known(QStringLiteral("redis.server.role"),
                    role == u"slave" ? QStringLiteral("replica") : role);
    }
    if (dbsize.isError()) {
        sheet.unknown(QStringLiteral("redis.keys.total"), reasonOf(dbsize));
    } else {
        out.keys = dbsize.integer;
        // A cluster's keys are spread over its masters.
        if (config.redisMode == StoreConfig::RedisMode::Cluster) {
            auto total = router.databaseSize();
            if (!total)
                return std::unexpected(total.error());
            out.keys = *total;
        }
        sheet.known(QStringLiteral("redis.keys.total"), double(out.keys));
    }
    sheet.known(QStringLiteral("redis.layout.key_prefix"), displayBytes(layout.keyPrefix));
    if (layout.hasUserIndex())
        sheet.known(QStringLiteral("redis.layout.user_index"), layout.userIndexPattern);
    else
        sheet.absent(QStringLiteral("redis.layout.user_index"), QStringLiteral("none"));

    // TLS as this connection uses it.
    sheet.known(QStringLiteral("redis.tls.connection"), config.tls.enabled);
    if (config.tls.enabled) {
        sheet.known(QStringLiteral("redis.tls.certificate_verified"), !config.tls.insecure,
                    config.tls.insecure ? QStringLiteral("no (--tls-insecure)")
                                        : QStringLiteral("yes"));
    } else {
        sheet.known(QStringLiteral("redis.tls.certificate_verified"), false,
                    QStringLiteral("no (plain-text connection)"));
    }

    const QList<QByteArray> configNames = {"tls-port",
                                           "port",
                                           "tls-auth-clients",
                                           "tls-replication",
                                           "protected-mode",
                                           "appendonly",
                                           "appendfsync",
                                           "save",
                                           "maxmemory",
                                           "maxmemory-policy",
                                           "min-replicas-to-write",
                                           "notify-keyspace-events"};
    QList<Command> commands;
    for (const QByteArray &name : configNames)
        commands.append({"CONFIG", "GET", name});
    const qsizetype whoamiAt = commands.size();
    commands.append(Command{"ACL", "WHOAMI"});
    commands.append(Command{"ACL", "LIST"});
    commands.append(Command{"PUBSUB", "NUMSUB", "__sentinel__:hello"});
    commands.append(Command{"INFO", "cluster"});
    commands.append(Command{"INFO", "sentinel"});
    auto replies = router.run(commands);
    if (!replies)
        return std::unexpected(replies.error());

    // CONFIG GET name → [name, value]; an empty array when this build has no such setting.
    struct Setting
    {
        bool ok = false;
        bool missing = false;
        QString value;
        QString reason;
    };
    QHash<QByteArray, Setting> settings;
    for (qsizetype i = 0; i < configNames.size(); ++i) {
        const Reply &r = replies->at(i);
        Setting s;
        if (r.isError()) {
            s.reason = reasonOf(r);
        } else if (r.type == Reply::Type::Array && r.elements.size() >= 2) {
            s.ok = true;
            s.value = QString::fromUtf8(r.elements.at(1).string);
        } else {
            s.missing = true;
            s.reason = QStringLiteral("this server has no such setting");
        }
        settings.insert(configNames.at(i), s);
    }
    const auto source = [](const char *name) -> QString {
        return QStringLiteral("CONFIG GET ") + QString::fromLatin1(name);
    };
    const auto number = [&](const char *id, const char *name) {
        const Setting &s = settings[name];
        if (s.ok)
            sheet.known(QString::fromLatin1(id), s.value.toDouble());
        else
            sheet.unknown(QString::fromLatin1(id), s.reason, source(name));
    };
    const auto yesNo = [&](const char *id, const char *name) {
        const Setting &s = settings[name];
        if (s.ok)
            sheet.known(QString::fromLatin1(id), s.value == u"yes");
        else
            sheet.unknown(QString::fromLatin1(id), s.reason, source(name));
    };
    const auto text = [&](const char *id, const char *name, const QString &emptyDisplay) {
        const Setting &s = settings[name];
        if (s.ok)
            sheet.known(QString::fromLatin1(id), s.value,
                        s.value.isEmpty() ? emptyDisplay : s.value);
        else
            sheet.unknown(QString::fromLatin1(id), s.reason, source(name));
    };

    // A build without TLS has no tls-* settings: it serves no TLS, which is a known answer.
    const bool noTlsBuild = settings["tls-port"].missing;
    if (noTlsBuild) {
        sheet.known(QStringLiteral("redis.tls.port"), 0.0,
                    QStringLiteral("0 (this build has no TLS)"));
    } else {
        number("redis.tls.port", "tls-port");
    }
    number("redis.tls.plain_port", "port");
    if (noTlsBuild) {
        sheet.known(QStringLiteral("redis.tls.auth_clients"), QStringLiteral("no"),
                    QStringLiteral("no (this build has no TLS)"));
        sheet.known(QStringLiteral("redis.tls.replication"), false,
                    QStringLiteral("no (this build has no TLS)"));
    } else {
        const Setting &auth = settings["tls-auth-clients"];
        if (auth.ok && settings["tls-port"].ok && settings["tls-port"].value == u"0") {
            sheet.known(QStringLiteral("redis.tls.auth_clients"), auth.value,
                        QStringLiteral("%1 (but no TLS port)").arg(auth.value));
        } else {
            text("redis.tls.auth_clients", "tls-auth-clients", QString());
        }
        yesNo("redis.tls.replication", "tls-replication");
    }
    yesNo("redis.security.protected_mode", "protected-mode");

    // Access control.
    const Reply &whoami = replies->at(whoamiAt);
    if (whoami.isError())
        sheet.unknown(QStringLiteral("redis.acl.connected_user"), reasonOf(whoami));
    else
        sheet.known(QStringLiteral("redis.acl.connected_user"), QString::fromUtf8(whoami.string));
    const Reply &aclList = replies->at(whoamiAt + 1);
    const QStringList aclIds = {QStringLiteral("redis.acl.default_user_enabled"),
                                QStringLiteral("redis.acl.default_user_nopass"),
                                QStringLiteral("redis.acl.users"),
                                QStringLiteral("redis.acl.users_nopass"),
                                QStringLiteral("redis.acl.users_all_commands"),
                                QStringLiteral("redis.acl.users_all_keys")};
    if (!aclList.isError() && aclList.type == Reply::Type::Array) {
        QStringList users, nopass, allCommands, allKeys;
        bool defaultEnabled = false, defaultNopass = false;
        for (const Reply &line : aclList.elements) {
            const AclUser user = parseAclUser(line.string);
            if (user.name.isEmpty())
                continue;
            QString described = user.name + QStringLiteral(": ") + user.rules;
            if (user.passwords == 1)
                described += QStringLiteral(" (1 password set)");
            else if (user.passwords > 1)
                described += QStringLiteral(" (%1 passwords set)").arg(user.passwords);
            users << described;
            if (user.name == u"default") {
                defaultEnabled = user.enabled;
                defaultNopass = user.nopass;
            }
            if (!user.enabled)
                continue;
            if (user.nopass)
                nopass << user.name;
            if (user.allCommands)
                allCommands << user.name;
            if (user.allKeys)
                allKeys << user.name;
        }
        sheet.known(aclIds.at(0), defaultEnabled);
        sheet.known(aclIds.at(1), defaultEnabled && defaultNopass);
        sheet.known(aclIds.at(2), stringArray(users),
                    QStringLiteral("%1 user(s)").arg(users.size()));
        sheet.known(aclIds.at(3), stringArray(nopass));
        sheet.known(aclIds.at(4), stringArray(allCommands));
        sheet.known(aclIds.at(5), stringArray(allKeys));
    } else if (aclList.isError() && aclList.errorCode() == "ERR"
               && aclList.string.contains("unknown command")) {
        // Redis before 6: one password for everyone (requirepass), every command, every key.
        // The password itself is read only to learn whether it is set, then dropped.
        auto requirepassReplies = router.run({{"CONFIG", "GET", "requirepass"}});
        if (!requirepassReplies)
            return std::unexpected(requirepassReplies.error());
        const Reply *requirepass = &requirepassReplies->first();
        const QString legacy = QStringLiteral("CONFIG GET requirepass (Redis before 6)");
        if (requirepass->type == Reply::Type::Array && requirepass->elements.size() >= 2) {
            const bool set = !requirepass->elements.at(1).string.isEmpty();
            sheet.known(aclIds.at(0), true, QString(), legacy);
            sheet.known(aclIds.at(1), !set, QString(), legacy);
            sheet.known(aclIds.at(2), QJsonArray{QStringLiteral("default (no ACL before 6)")},
                        QString(), legacy);
            sheet.known(aclIds.at(3), set ? QJsonArray{} : QJsonArray{QStringLiteral("default")},
                        QString(), legacy);
            sheet.known(aclIds.at(4), QJsonArray{QStringLiteral("default")}, QString(), legacy);
            sheet.known(aclIds.at(5), QJsonArray{QStringLiteral("default")}, QString(), legacy);
        } else {
            const QString reason =
                requirepass->isError() ? reasonOf(*requirepass) : QStringLiteral("no answer");
            for (const QString &id : aclIds)
                sheet.unknown(id, reason, legacy);
        }
    } else {
        for (const QString &id : aclIds)
            sheet.unknown(id, reasonOf(aclList));
    }

    // Persistence and memory.
    yesNo("redis.persistence.appendonly", "appendonly");
    text("redis.persistence.appendfsync", "appendfsync", QString());
    text("redis.persistence.save", "save", QStringLiteral("off (no snapshots)"));
    {
        const Setting &s = settings["maxmemory"];
        if (s.ok) {
            const double bytes = s.value.toDouble();
            sheet.known(QStringLiteral("redis.memory.maxmemory"), bytes,
                        bytes == 0 ? QStringLiteral("0 (no limit)") : s.value);
        } else {
            sheet.unknown(QStringLiteral("redis.memory.maxmemory"), s.reason, source("maxmemory"));
        }
    }
    text("redis.memory.maxmemory_policy", "maxmemory-policy", QString());

    // Replication and high availability.
    if (replicationInfo.isError()) {
        sheet.unknown(QStringLiteral("redis.replication.connected_replicas"),
                      reasonOf(replicationInfo));
        sheet.unknown(QStringLiteral("redis.replication.master_link_status"),
                      reasonOf(replicationInfo));
    } else {
        sheet.known(QStringLiteral("redis.replication.connected_replicas"),
                    replication.value("connected_slaves", "0").toDouble());
        if (replication.contains("master_link_status")) {
            sheet.known(QStringLiteral("redis.replication.master_link_status"),
                        QString::fromUtf8(replication.value("master_link_status")));
        } else {
            sheet.absent(QStringLiteral("redis.replication.master_link_status"),
                         QStringLiteral("not a replica"));
        }
    }
    number("redis.replication.min_replicas_to_write", "min-replicas-to-write");
    const Reply &numsub = replies->at(whoamiAt + 2);
    if (redisMode == u"sentinel") {
        sheet.absent(QStringLiteral("redis.sentinel.watching"),
                     QStringLiteral("this connection is to a Sentinel"));
    } else if (numsub.isError()) {
        sheet.unknown(QStringLiteral("redis.sentinel.watching"), reasonOf(numsub));
    } else if (numsub.type == Reply::Type::Array && numsub.elements.size() >= 2) {
        sheet.known(QStringLiteral("redis.sentinel.watching"),
                    double(numsub.elements.at(1).integer));
    } else {
        sheet.unknown(QStringLiteral("redis.sentinel.watching"),
                      QStringLiteral("PUBSUB NUMSUB gave an unexpected answer"));
    }
    const Reply &clusterInfo = replies->at(whoamiAt + 3);
    if (clusterInfo.isError()) {
        sheet.unknown(QStringLiteral("redis.cluster.enabled"), reasonOf(clusterInfo));
    } else {
        sheet.known(QStringLiteral("redis.cluster.enabled"),
                    infoFields(clusterInfo.string).value("cluster_enabled") == "1");
    }
    const Reply &sentinelInfo = replies->at(whoamiAt + 4);
    if (redisMode != u"sentinel") {
        sheet.absent(QStringLiteral("redis.sentinel.masters"),
                     QStringLiteral("not a Sentinel connection"));
    } else if (sentinelInfo.isError()) {
        sheet.unknown(QStringLiteral("redis.sentinel.masters"), reasonOf(sentinelInfo));
    } else {
        // master0:name=mymaster,status=ok,address=127.0.0.1:6379,slaves=2,sentinels=3
        QStringList masters;
        const auto fields = infoFields(sentinelInfo.string);
        for (auto it = fields.cbegin(); it != fields.cend(); ++it) {
            if (!it.key().startsWith("master"))
                continue;
            QHash<QString, QString> parts;
            for (const QByteArray &pair : it.value().split(',')) {
                const qsizetype eq = pair.indexOf('=');
                if (eq > 0)
                    parts.insert(QString::fromUtf8(pair.left(eq)),
                                 QString::fromUtf8(pair.mid(eq + 1)));
            }
            masters << QStringLiteral("%1: %2 at %3, %4 replica(s), %5 sentinel(s)")
                           .arg(parts.value(QStringLiteral("name")),
                                parts.value(QStringLiteral("status")),
                                parts.value(QStringLiteral("address")),
                                parts.value(QStringLiteral("slaves")),
                                parts.value(QStringLiteral("sentinels")));
        }
        masters.sort();
        sheet.known(QStringLiteral("redis.sentinel.masters"), stringArray(masters));
    }
    text("redis.notifications.keyspace_events", "notify-keyspace-events", QStringLiteral("off"));

    // The scan-only facts are listed too, so that a rule on them reads "unknown" with a reason
    // rather than silently missing.
    sheet.unknown(QStringLiteral("redis.sessions.count"),
                  QStringLiteral("counted only by a full scan (info, or settings --scan)"));
    sheet.unknown(QStringLiteral("redis.sessions.without_ttl"),
                  QStringLiteral("counted only by a full scan (info, or settings --scan)"));
    out.facts = sheet.take();
    return out;
}

} // namespace SessionDesk::Redis
