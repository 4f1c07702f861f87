// What an engine saw: the replay report of spec section 11, as plain data.
// report_json.hpp turns it into the JSON the `dta` tool prints.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
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
  std::array<uint64_t, 4> findings{};  // the findings it produced, by level error..ok (after the profile)
  // Estimated time spent in it: the time of the events timed (one in
  // EngineOptions::time_sample_every) times that rate. Not in the JSON
  // report: it changes from run to run.
  uint64_t time_ns = 0;
  bool disabled_by_budget = false;  // over the profile's `cpu` budget: off since
  // A machine's transitions: how often each was taken, the states in order and
  // each state's transitions in order (`dta test` coverage; not in the JSON report).
  std::vector<uint64_t> transitions;
};

// A construct's key as output: (name, rendered value) pairs, sensitive values redacted.
using KeyLabels = std::vector<std::pair<std::string, std::string>>;

// A field value as output: int, float, bool or string (a sensitive value is
// the string "<redacted>").
using FieldValue = std::variant<int64_t, double, bool, std::string>;
using EventFields = std::vector<std::pair<std::string, FieldValue>>;

struct Finding {
  std::string rule;
  Level level = Level::Error;
  std::string message;
  int64_t ts = 0;
  std::string event;
  KeyLabels key;  // the `by` keys, `matching` fields or machine key of the block that produced it
  // The fields of the event the block saw, in the event's order, sensitive
  // ones redacted; only with EngineOptions::finding_fields.
  EventFields fields;
};

struct Alert {
  std::string rule;
  std::string severity;  // info, warning, critical
  std::string message;
  int64_t ts = 0;
  std::vector<std::pair<std::string, std::string>> labels;  // in order: labels {...}, then `by` keys
  uint64_t suppressed = 0;  // alerts dedup held back since the previous one for this key
  KeyLabels key;            // as Finding::key
};

// Something still waiting when the stream ended: an expectation's deadline or
// a machine's `after` timer.
struct PendingItem {
  std::string rule;   // the rule (expectations) or machine
  std::string kind;   // "expectation" or "after"
  KeyLabels key;      // matching fields, or the machine key
  int64_t due = 0;    // the deadline (ns)
  std::string state;  // machines: the state the timer would leave
};

// A profile's `inject` (spec 9) and what it did. A replay never injects:
// its faults are listed with injected 0.
struct FaultReport {
  std::string point;
  double probability = 1.0;
  uint64_t max = 0;    // 0: unlimited
  uint64_t after = 0;
  uint64_t hits = 0;      // times the host reached the point while the profile was on
  uint64_t injected = 0;  // times it failed
};

// A collection (`collect recorder|snapshot|process`, spec 8 and 11).
struct Collection {
  uint64_t seq = 0;        // the engine's request number (CollectionRequest::seq)
  std::string rule;        // the rule or machine whose action asked
  std::string what;        // "recorder main", "snapshot heap", "process"
  std::string status;      // written, denied, failed (queued: handed to an async sink, not done yet)
  std::string path;        // the file, relative to the working directory ("" unless written)
  uint64_t events = 0;     // events in a recorder dump
  uint64_t bytes = 0;      // bytes written
  int64_t ts = 0;          // the triggering event's time
  std::string event;       // the triggering event's name
  std::string reason;      // why not written: the budget ("dumps: 10 per 1h", "disk: 256MB") or the failure
};

struct BadLine {
  uint64_t line = 0;
  std::string error;
};

struct HistogramSummary {
  uint64_t count = 0;
  double sum = 0, min = 0, max = 0;
  // Quantiles of the observed values from a DDSketch: within 0.5% relative
  // error, clamped to [min, max]. has_quantiles is false when the metric
  // sketch budget (EngineOptions::max_metric_sketch_counters) took this
  // series' sketch away (diagnostics.metric_quantiles_dropped).
  double p50 = 0, p90 = 0, p99 = 0;
  bool has_quantiles = true;
};

// One metric series (`count` or `observe` with one set of label values), as data.
struct MetricSeries {
  std::string name;
  KeyLabels labels;        // in the order the action writes them; values redacted where sensitive
  bool histogram = false;  // `observe` (hist) or `count` (value)
  uint64_t value = 0;
  HistogramSummary hist;
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
  uint64_t degraded_windows = 0;       // window keys made approximate: over the sample cap (to buckets), a
                                       // collapsed quantile sketch, a sampled distinct (once per episode)
  uint64_t metric_series_dropped = 0;  // count/observe updates for label sets beyond the cap
  uint64_t metric_quantiles_dropped = 0;  // histogram series whose sketch went over the sketch budget
  uint64_t work_limited = 0;     // steps (an event and what it caused) cut short by the work budget
  uint64_t regex_budget = 0;     // `matches` calls abandoned over their step budget (the `where` is false)
  uint64_t redacted_observations = 0;  // `observe` values not recorded because they were sensitive
  uint64_t symbols_overflow = 0;  // event names / field keys read as "<other>": the symbol table was full
  uint64_t callback_errors = 0;   // host callbacks that threw (caught)
  uint64_t reentrant_calls = 0;   // calls into the engine from its own callbacks (refused)
  uint64_t enables = 0;           // `enable` actions run (EngineOptions::on_enable was told, when set)
  uint64_t disabled_by_budget = 0;  // rules and machines disabled over the profile's `cpu` budget
  uint64_t collections_denied = 0;  // collections over a budget (disk, dumps) or a full collection queue
  uint64_t collections_failed = 0;  // collections that could not be done (no collector, a write failed...)
  uint64_t collections_not_kept = 0;  // collections beyond the kept list (EngineOptions::max_kept_collections)
  uint64_t recorder_truncated = 0;  // recorded events cut to fit a recorder slot (strings shortened)
  std::vector<BadLine> bad_lines;  // the first few, with line numbers
};

struct Report {
  std::string policy;
  std::string profile;          // "" when none
  uint64_t events = 0;
  std::array<uint64_t, 4> findings{};  // by Level: error, warning, info, ok
  std::vector<RuleReport> rules;
  std::vector<Alert> alerts;            // the first `max_kept_alerts`
  std::array<uint64_t, 3> alerts_raised{};  // every alert raised (not suppressed), by severity info, warning, critical
  // Up to `max_kept_findings` findings that are not a bare `ok`, in the order
  // they happened. When there are more, errors are kept before warnings,
  // warnings before infos, infos before oks, and within a level the first ones.
  std::vector<Finding> kept_findings;
  Diagnostics diagnostics;
  uint64_t pending_expectations = 0;
  uint64_t pending_timers = 0;          // machine `after` timers still armed
  std::vector<PendingItem> pending;     // the first `max_pending_items`, soonest first (after finish())
  std::vector<Collection> collections;  // the first `max_kept_collections`, in the order asked
  uint64_t collections_written = 0;     // every collection written (denials and failures: diagnostics)
  int64_t clock = INT64_MIN;            // the engine's event time: the last event's, or advance_to's
  std::vector<MetricSeries> metrics;    // every series, by name then label values
  std::map<std::string, uint64_t> counters;            // the same as text: "name{k=v,...}"
  std::map<std::string, HistogramSummary> histograms;  // same keys
  std::vector<FaultReport> faults;      // the profile's injects, by point

  // "fail" when at least one finding has level error.
  bool failed() const { return findings[0] > 0; }
  // A gate stricter than the verdict (`dta replay --fail-on`): fails when the
  // verdict does, or when a finding at or above `at` (error, warning or info)
  // was made, or an alert of the matching severity or above was raised (on
  // one scale: info < warning < error = critical).
  bool fails_at(Level at) const {
    if (failed()) return true;
    const int worst = at <= Level::Info ? static_cast<int>(at) : 0;
    for (int l = 0; l <= worst; ++l)
      if (findings[l] || alerts_raised[2 - l]) return true;
    return false;
  }
};

}  // namespace dta
