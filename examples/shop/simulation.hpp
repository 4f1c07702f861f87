// The simulated shop: a front end that puts orders on a queue (steadily, with
// an occasional rush), workers that take them and query a simulated database
// (random latencies, occasional errors), every step emitted through DTA_EVENT.
#pragma once
#include <atomic>
#include <cstdint>

#include "defects.hpp"
#include "dta/dta.hpp"

namespace shop {

struct SimulationConfig {
  int workers = 4;
  uint64_t seed = 1;
  Defects defects;       // the seeded bugs of this run
  bool healthy = false;  // no random database errors or hanging payments of its own
  int rush = 100;        // orders put at once every 3 s
};

// What the shop itself counted.
struct SimulationCounts {
  uint64_t emitted = 0;  // events handed to the runtime (sites that listened)
  uint64_t orders = 0;   // orders put on the queue
  uint64_t done = 0;     // orders finished (ok or failed)
};

// Runs the shop until `stop` becomes true, then lets the workers finish what
// is queued and returns the counts.
SimulationCounts run_simulation(dta::Runtime& rt, const SimulationConfig& config, const std::atomic<bool>& stop);

}  // namespace shop
