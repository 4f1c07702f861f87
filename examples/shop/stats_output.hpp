// shop's final stats: for people, or as JSON.
#pragma once
#include <string>

#include "dta/runtime.hpp"
#include "options.hpp"
#include "simulation.hpp"

namespace shop {

struct RunSummary {
  const Options& options;
  double seconds = 0;       // how long the shop ran
  int ended_by = 0;         // the signal that ended it early, or 0
  SimulationCounts counts;  // what the shop counted
  dta::RuntimeStats stats;  // what the runtime counted (after a flush)
};

// Whether the shop's own count of events emitted equals evaluated + dropped
// and the runtime's own emitted count.
bool accounting_adds_up(const RunSummary& s);

// The summary as one JSON object (and a newline).
std::string stats_json(const RunSummary& s);
// The summary as a few aligned lines.
std::string stats_text(const RunSummary& s);

}  // namespace shop
