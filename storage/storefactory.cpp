#include "storefactory.h"

#include "dynamodb/dynamosessionstore.h"
#include "redis/redissessionstore.h"

namespace SessionDesk {

std::unique_ptr<SessionStore> createStore(const StoreConfig &config, const SessionLayout &layout)
{
    if (config.kind == StoreConfig::Kind::DynamoDB)
        return std::make_unique<Aws::DynamoSessionStore>(config, layout);
    return std::make_unique<Redis::SessionStore>(config, layout);
}

} // namespace SessionDesk
