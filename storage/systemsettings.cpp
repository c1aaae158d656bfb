#include "systemsettings.h"

#include <QFileInfo>
#include <QSettings>

namespace SessionDesk {

namespace {

// Fails closed: only an explicit "off" value is false.
bool isOn(const QVariant &value)
{
    if (!value.isValid())
        return false;
    const QString text = value.toString().trimmed().toLower();
    return !(text == u"false" || text == u"no" || text == u"0" || text == u"off");
}

} // namespace

QString SystemSettings::installedPath()
{
    return QStringLiteral("/etc/xdg/SessionDesk/system.conf");
}

SystemSettings SystemSettings::load()
{
    SystemSettings settings;
    QStringList candidates = {installedPath()};
    const QString extra = qEnvironmentVariable("SESSIONDESK_SYSTEM_CONFIG");
    if (!extra.isEmpty() && extra != installedPath())
        candidates << extra;
    for (const QString &path : std::as_const(candidates)) {
        if (!QFileInfo(path).isFile())
            continue;
        settings.files << path;
        const QSettings file(path, QSettings::IniFormat);
        if (isOn(file.value(QStringLiteral("ForceReadOnly"))) && !settings.forceReadOnly) {
            settings.forceReadOnly = true;
            settings.readOnlySource = path;
        }
        settings.auditSyslog |= isOn(file.value(QStringLiteral("AuditSyslog")));
    }
    return settings;
}

QString SystemSettings::readOnlyReason() const
{
    if (!forceReadOnly)
        return {};
    return QStringLiteral("read-only is forced by the administrator (ForceReadOnly=true in %1)")
        .arg(readOnlySource);
}

} // namespace SessionDesk
