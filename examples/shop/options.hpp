// shop's command line.
#pragma once
#include <cstddef>
#include <optional>
#include <string>

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
};

// Parses argv; on a bad argument prints why (and the usage) to stderr and
// returns nothing.
std::optional<Options> parse_options(int argc, char** argv);

}  // namespace shop
