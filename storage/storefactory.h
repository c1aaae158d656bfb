#pragma once

#include "sessionstore.h"
#include "storeconfig.h"

#include <memory>

namespace SessionDesk {

// The store for `config`, not yet connected. The front ends never name a concrete store type.
std::unique_ptr<SessionStore> createStore(const StoreConfig &config, const SessionLayout &layout);

} // namespace SessionDesk
