#pragma once

#include "storeoptions.h"

#include <QStringList>
#include <QTextStream>

#include <optional>

namespace SessionDesk::Cli {

struct ProfileCommand
{
    QStringList args; // after "profile": the subcommand and its arguments
    QString settingsPath;
    bool json = false;
    // `profile add`: the store options of the command line, or why they are wrong, and the
    // --store URL as given (a password in it goes to the keychain).
    std::optional<Result<StoreOptions::Selection>> selection;
    QString storeUrl; // empty: no --store
    bool layoutOverridesGiven = false; // --key-prefix or attribute names: not saved in profiles
    QStringList clusterHostMap; // --cluster-host-map as given, saved with the connection
    // --sentinel-password as given (not from the environment): `profile add` keeps it in the
    // keychain.
    QString sentinelPassword;
};

// `sessiondesk-cli profile list|add|remove|set-password|set-sentinel-password|forget-password|
// import-urls|import-aws`: saved connections in the settings file the desktop app uses, their
// passwords (and Sentinel's own) in the system keychain and nowhere else. Returns the exit code.
int runProfileCommand(const ProfileCommand &command, QTextStream &out, QTextStream &err);

// Reads a password: from the terminal without echo (the prompt goes to stderr) when stdin is a
// terminal, otherwise one line from stdin. nullopt at end of input.
std::optional<QString> readPassword(const QString &prompt, QTextStream &err);
bool stdinIsTerminal();

} // namespace SessionDesk::Cli
