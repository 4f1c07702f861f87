// Fault injection in a host (spec 9, faults.hpp): the running profile's
// injects as a table of points, each with its hit counter and the
// deterministic decision of which hits fail.
//
// Hit n of a point (counted over every thread) fails when n > after, and a
// hash of (seed, point, n) falls under the probability, and fewer than `max`
// earlier hits failed. The hash makes the decision for hit n the same in
// every run with the same seed, whichever thread gets hit n; `max` is kept
// exact by counting the drawn hits in hit order (only drawn hits take the
// point's lock).
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "dta/faults.hpp"
#include "dta/program.hpp"

namespace dta {

struct FaultPoint {
  Inject spec;
  uint64_t seed = 0;
  uint64_t key = 0;  // hash of the seed and the point
  std::atomic<uint64_t> hits{0};
  std::atomic<uint64_t> injected{0};
  // The `max` bookkeeping: hits 1..scanned were drawn or not; `drawn` of them
  // were, the last (when drawn reached max) being hit `last_drawn`.
  std::mutex mu;
  uint64_t scanned = 0, drawn = 0, last_drawn = 0;

  // Whether hit n draws a fault (past `after`, under the probability).
  bool draws(uint64_t n) const;
  // Whether hit n fails: it draws, and is among the first `max` that draw.
  bool takes(uint64_t n);
};

struct FaultTable {
  std::vector<std::shared_ptr<FaultPoint>> points;  // sorted by point name
  uint64_t seed = 0;

  // The table of `profile`'s injects under `seed`. A point whose inject and
  // seed are those of `previous` keeps its counters (its decisions go on
  // where they were); another starts at hit 1.
  static std::shared_ptr<FaultTable> build(const Profile& profile, uint64_t seed, const FaultTable* previous);
  // The point named `point`, or null.
  const std::shared_ptr<FaultPoint>* find(std::string_view point) const;
  // A Fault for hit `hit` of `point`.
  static Fault make(const std::shared_ptr<FaultPoint>& point, uint64_t hit) { return Fault(point, hit); }
};

}  // namespace dta
