// What the fuzz harnesses share: checked invariants and running a program's
// profiles over a few fixed events.
#pragma once
#include <memory>
#include <string_view>

#include "dta/program.hpp"

namespace dta::fuzz {

// Aborts with `what` on stderr when `ok` is false: a broken library invariant,
// reported as a crash so libFuzzer keeps the input.
void check(bool ok, std::string_view what);

// Runs `prog` (finalized) under the policy as written and under each of its
// profiles over the fixed events, then finishes and renders each report.
void run_all_profiles(const std::shared_ptr<const Program>& prog);

}  // namespace dta::fuzz
