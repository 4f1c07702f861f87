// The human summary `dta replay` prints (without --json).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "dta/engine.hpp"
#include "dta/report.hpp"

namespace dta::cli {

// An event time as RFC 3339 UTC with milliseconds; any int64 (1677-09-21 to
// 2262-04-11) formats without overflow.
std::string format_ts(int64_t ns);

// The summary of a replay run with `opts`: verdict, rules, the first
// `max_listed` findings and alerts, metrics, and diagnostics, with a line of
// explanation for each limit that was reached (degraded windows, work and
// regex budgets, evictions, dropped series, lists cut short).
std::string replay_summary(const Report& r, const EngineOptions& opts, size_t max_listed);

}  // namespace dta::cli
