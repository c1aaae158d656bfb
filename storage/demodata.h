#pragma once

#include "storeconfig.h"

// Demo sessions for a throwaway store, so that a first-time user can try SessionDesk without a
// real one (the desktop app's welcome starts a redis-server and fills it with these).
namespace SessionDesk::DemoData {

// The user index the demo sessions keep, in --user-index form.
inline constexpr char kUserIndexPattern[] = "user-sessions:{user}";

struct Filled
{
    int users = 0;
    int sessions = 0;
};

// A TCP port on 127.0.0.1 that was free a moment ago (0 when none), for the demo's server.
quint16 freeLoopbackPort();

// Writes demo sessions in the express-session + connect-redis layout (keys "sess:<sid>" holding
// JSON with user_id, tokens, login time and device; TTLs from minutes to a day) and a per-user
// index SET per user. Refuses a database that already holds any key, so it can never write into
// a real store. Synchronous; errors name the store and the cause.
Result<Filled> fillRedis(const StoreConfig &config);

} // namespace SessionDesk::DemoData
