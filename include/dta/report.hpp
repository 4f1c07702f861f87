// What an engine saw: the replay report of spec section 11, as plain data.
// report_json.hpp turns it into the JSON the `dta` tool prints.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dta/value.hpp"

namespace dta {

struct RuleReport {
  std::string name;
  Level level = Level::None;   // effective level under the profile
  uint64_t matched = 0;
  uint64_t fired = 0;
  uint64_t missing_field = 0;
  uint64_t type_error = 0;
  uint64_t arith_error = 0;
};

struct Finding {
  std::string rule;
  Level level = Level::Error;
  std::string message;
  int64_t ts = 0;
  std::string event;
};

struct Alert {
  std::string rule;
  std::string severity;  // info, warning, critical
  std::string message;
  int64_t ts = 0;
  std::vector<std::pair<std::string, std::string>> labels;  // in order: labels {...}, then `by` keys
  uint64_t suppressed = 0;  // alerts dedup held back since the previous one for this key
};

struct BadLine {
  uint64_t line = 0;
  std::string error;
};

struct HistogramSummary {
  uint64_t count = 0;
  double sum = 0, min = 0, max = 0;
};

struct Diagnostics {
  uint64_t bad_input = 0;
  uint64_t late = 0;
  uint64_t missing_field = 0;
  uint64_t type_error = 0;
  uint64_t arith_error = 0;
  uint64_t dropped = 0;        // events a `drop` filter stopped
  uint64_t sampled_out = 0;    // events a `sample` filter did not keep
  uint64_t emitted = 0;        // derived events processed
  uint64_t findings_not_kept = 0;  // findings beyond the kept list
  uint64_t alerts_not_kept = 0;    // alerts beyond the kept list
  uint64_t evicted_keys = 0;       // window / machine keys evicted by their cap
  uint64_t evicted_expectations = 0;  // pending expectations evicted by their cap
  uint64_t degraded_windows = 0;       // sliding window keys that went over the sample cap to buckets
  uint64_t metric_series_dropped = 0;  // count/observe updates for label sets beyond the cap
  uint64_t work_limited = 0;     // steps (an event and what it caused) cut short by the work budget
  uint64_t regex_budget = 0;
  uint64_t redacted_observations = 0;  // `observe` values not recorded because they were sensitive     // `matches` calls abandoned over their step budget (the `where` is false)
  std::vector<BadLine> bad_lines;  // the first few, with line numbers
};

struct Report {
  std::string policy;
  std::string profile;          // "" when none
  uint64_t events = 0;
  std::array<uint64_t, 4> findings{};  // by Level: error, warning, info, ok
  std::vector<RuleReport> rules;
  std::vector<Alert> alerts;            // the first `max_kept_alerts`
  std::vector<Finding> kept_findings;  // the first `max_kept_findings` that are not a bare `ok`
  Diagnostics diagnostics;
  uint64_t pending_expectations = 0;
  std::map<std::string, uint64_t> counters;            // "name{k=v,...}"
  std::map<std::string, HistogramSummary> histograms;  // same keys

  // "fail" when at least one finding has level error.
  bool failed() const { return findings[0] > 0; }
};

}  // namespace dta
