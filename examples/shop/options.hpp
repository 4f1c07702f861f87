// shop's command line.
#pragma once
#include <cstddef>
#include <optional>
#include <string>

#include "defects.hpp"

namespace shop {

struct Options {
  std::string policy;    // --policy FILE (required)
  std::string profile;   // --profile P
  double seconds = 5;    // --seconds N: how long the shop runs
  int threads = 4;       // --threads T: workers
  bool json = false;     // --json: the final stats as JSON
  bool sync = false;     // --sync: evaluate on the emitting threads
  size_t queue = 65536;  // --queue N: the runtime's async queue capacity
  bool verbose = false;  // --verbose: print every finding as it comes
  std::string out = "dta-out";  // --out DIR: where collections (flight-recorder dumps) go
  std::string alertmanager;  // --alertmanager URL: also send alerts to Prometheus Alertmanager
  std::string metrics;       // --metrics ADDR: serve /metrics on HOST:PORT (port 0: a free one)
  // The test rings (README): seeded defects, a shop without its own random
  // failures, fault injection allowed, the rush's size, and an exit status
  // that says the policy's verdict.
  Defects defects;       // --defect NAME[,NAME...] (repeatable)
  bool healthy = false;  // --healthy: the database never fails and payments never hang on their own
  bool faults = false;   // --faults: allow the profile's `inject` (RuntimeOptions::allow_fault_injection)
  int rush = 100;        // --rush N: orders put at once every 3 s (0: none)
  bool verdict = false;  // --verdict: exit 1 when the policy's verdict is fail
};

// Parses argv; on a bad argument prints why (and the usage) to stderr and
// returns nothing.
std::optional<Options> parse_options(int argc, char** argv);

}  // namespace shop
