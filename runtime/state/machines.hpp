// The state of machines: one instance per key, its current state, when it
// entered it (for `after`) and a generation that outdates old timers.
#pragma once
#include <cstdint>

#include "dta/event.hpp"
#include "state/keyed_store.hpp"

namespace dta {

struct Instance {
  uint32_t state = 0;
  int64_t entered = 0;
  uint64_t gen = 0;
  Event last;
};

struct MachineRt {
  KeyedStore<Instance> instances;
  uint32_t key = 0;  // interned key field
};

}  // namespace dta
