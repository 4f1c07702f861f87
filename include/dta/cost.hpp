// Static worst-case cost of one event, in VM instructions (`dta check --cost`).
// The language has no loops and jumps only go forward, so the worst case of
// a chunk is its longest path, and the worst case of a rule, machine or
// filter is the sum of the chunks it can run for one event plus a fixed cost
// for each builtin call, regex search, action and state update (below).
// Works on a verified Program: a .dtb is analysed like a compiled policy.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dta/program.hpp"

namespace dta {

// Fixed costs, in instruction units. They are rough weights (how many
// simple instructions the work is worth in the common case), documented so a
// figure can be read: the point is to rank rules and catch a rule that does
// far more than the others, not to predict nanoseconds.
//
// A builtin call (CALL): string builtins scan their arguments, so a long
// string costs more than this; most calls are a few dozen machine instructions.
inline constexpr uint64_t kCostCall = 8;
// A `matches` search (MATCH), besides its step budget: each search may visit
// up to kRegexBaseSteps + 8 per byte of the text (runtime/vm/regex.hpp) before
// it is abandoned, so searches are counted apart (Cost::regex_searches).
inline constexpr uint64_t kCostMatch = 8;
// An action (finding, alert, emit, count, observe), besides its own chunks:
// bookkeeping, a report entry or a metric series lookup.
inline constexpr uint64_t kCostAction = 4;
// One window update of a `when` (key lookup and sample insertion).
inline constexpr uint64_t kCostWindowUpdate = 8;
// One state update: an expectation started or met, a machine instance found
// and moved, an alert's dedup key looked up.
inline constexpr uint64_t kCostStateUpdate = 8;
// A filter's work besides its `where`: redaction copies the event, sampling hashes it.
inline constexpr uint64_t kCostFilter = 4;
// A recorder keeping one event: the event is copied into its slot (fields
// encoded, strings copied), plus a key lookup when keyed.
inline constexpr uint64_t kCostRecord = 16;
// A collection (`collect ...`) besides kCostAction: the budget check, the
// manifest line and the request handed to the writer; `collect recorder`
// also copies its ring, one unit per slot of its capacity.
inline constexpr uint64_t kCostCollect = 64;

// A cost: instruction units, and how many regex searches (each bounded by
// its step budget) the worst path runs.
struct Cost {
  uint64_t instructions = 0;
  uint32_t regex_searches = 0;

  Cost& operator+=(const Cost& o) {
    instructions += o.instructions;
    regex_searches += o.regex_searches;
    return *this;
  }
  friend Cost operator+(Cost a, const Cost& b) { return a += b; }
  friend bool operator==(const Cost&, const Cost&) = default;
};
// The larger of two costs, part by part (each stays an upper bound).
Cost cost_max(const Cost& a, const Cost& b);

// The longest path through a chunk: from pc 0 to a RET, every branch taken
// or not, each instruction weighing 1 (CALL kCostCall, MATCH kCostMatch).
// Expects verified code (forward jumps in range); a backward or out-of-range
// jump ends the path there, so any input gives a finite answer.
Cost chunk_cost(const Chunk& chunk);

// The step budget of one regex search (runtime/vm/regex.hpp): a search
// visits at most base_steps + steps_per_byte x the text's length states.
struct RegexStepBudget {
  int64_t base_steps = 0;
  int64_t steps_per_byte = 0;
};
RegexStepBudget regex_step_budget();

// One named part of a construct's cost ("where", "actions", "when#0").
struct CostPart {
  std::string name;
  Cost cost;
};

// The worst-case cost of one event for one rule, machine, filter or recorder.
struct UnitCost {
  std::string kind;  // "rule", "machine", "filter", "recorder"
  std::string name;
  Cost total;
  std::vector<CostPart> parts;  // what the total adds up
  bool off = false;             // the profile turns it off: it costs nothing
};

// Every rule, machine, filter and recorder of `prog` (verified) with its worst-case
// cost of one event under profile `profile` (-1: the policy as written).
// What one event may run, per construct:
//   rule     its where; its top-level actions; per `when`, a window update,
//            the aggregated value and keys, and its actions (it may fire);
//            per `expect`, a start and one arrival (its where) and the larger
//            of its then and else (met, or its deadline passed)
//   machine  a state update, the wheres of the transitions of the state
//            whose on-transitions cost most, and the largest transition block
//   filter   its where and kCostFilter
//   recorder kCostRecord (plus kCostStateUpdate when keyed)
// A `collect` costs kCostCollect (and its recorder's capacity), `discard` a state update.
// An arrival that meets several pending expectations at once runs the where
// once per expectation; the figure counts one.
std::vector<UnitCost> program_cost(const Program& prog, int profile);

}  // namespace dta
