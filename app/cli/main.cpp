#include "cliapp.h"
#include "hardening.h"

#include <QCoreApplication>

#include <csignal>

namespace {

SessionDesk::CancelToken *g_cancel = nullptr;

extern "C" void onInterrupt(int)
{
    // Setting a lock-free atomic is async-signal-safe; a second Ctrl+C kills as usual.
    if (g_cancel)
        g_cancel->cancel();
    std::signal(SIGINT, SIG_DFL);
}

} // namespace

int main(int argc, char *argv[])
{
    SessionDesk::Hardening::disableCoreDumps();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("SessionDesk"));
    QCoreApplication::setOrganizationName(QStringLiteral("SessionDesk"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SESSIONDESK_VERSION));

    SessionDesk::CancelToken cancel;
    g_cancel = &cancel;
    std::signal(SIGINT, onInterrupt);

    QTextStream out(stdout);
    QTextStream err(stderr);
    const int code = SessionDesk::Cli::run(app.arguments(), out, err, cancel);
    out.flush();
    err.flush();
    g_cancel = nullptr;
    return code;
}
