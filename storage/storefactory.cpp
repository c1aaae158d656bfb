#include "storefactory.h"

#include "redis/redissessionstore.h"

namespace SessionDesk {

std::unique_ptr<SessionStore> createStore(const StoreConfig &config, const SessionLayout &layout)
{
    return std::make_unique<Redis::SessionStore>(config, layout);
}

} // namespace SessionDesk
