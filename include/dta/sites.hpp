// Site identity: every stateful construct of a program (each `when`, each
// `expect`, each machine, each alert with `dedup` or `every`, each recorder) gets an id
// derived from the source and a fingerprint of its shape, so an engine can
// tell that a construct of a new program is "the same" as one of the old and
// keep its state (spec-independent; see Program's `Site`).
//
//   id:    UNIT/when#N, UNIT/expect#N, UNIT/alert#N (N counts that construct
//          in the unit, in source order), MACHINE/machine, recorder/NAME
//   shape: when:    aggregate, quantile, sliding or tumbling, window length
//                   as written, the aggregated expression, the `by` keys
//          expect:  the awaited patterns and the `matching` fields
//          machine: key field, initial state, states and transitions
//          alert:   the `dedup` keys
//          recorder: its capacity and `by` key
// What is not in the shape (thresholds, `for`, actions, `where`, caps,
// `within`, delays) may change and keep the state.
#pragma once
#include <cstdint>
#include <string>

#include "dta/program.hpp"

namespace dta {

// Gives every stateful construct of `p` its id and shape (the compiler calls
// this once the code is generated).
void assign_sites(Program& p);

// Whether the sites of `p` are sound: every stateful construct has an id,
// ids are unique and at most kMaxSiteIdBytes long, and each shape is the one
// assign_sites computes (a .dtb cannot claim a shape its code does not have).
// Success, or what is wrong.
Outcome check_sites(const Program& p);

constexpr size_t kMaxSiteIdBytes = 512;

}  // namespace dta
