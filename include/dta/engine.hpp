// The engine: runs one compiled program against a stream of events, in event
// time. It holds all mutable state (counters, windows, expectations, machine
// instances, timers, the profile's effective values);
// the program stays immutable and may be shared by many engines. An engine is
// used by one thread at a time. It never throws and never prints: findings go
// to the report and to the callback the host sets.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "dta/collect.hpp"
#include "dta/event.hpp"
#include "dta/expected.hpp"
#include "dta/program.hpp"
#include "dta/report.hpp"

namespace dta {

// What an `enable PATTERN [level L] for D` action asks of the host (spec 6):
// turn on its event sites whose name matches `pattern` ("db.open", "db.*",
// "*") and whose severity is `min_severity` or above (`debug` when the action
// names no level), from event time `at` until event time `until` (at + D,
// saturated), then back off. Each run of the action is one request; a host
// merges overlapping ones. The views are valid during the call.
struct EnableRequest {
  std::string_view pattern;
  Severity min_severity = Severity::Debug;
  int64_t at = 0;
  int64_t until = 0;
  std::string_view rule;  // the rule or machine whose action it was
};

// An engine error the host should know of (EngineOptions::on_engine_error).
struct EngineError {
  enum class Kind : uint8_t {
    ReentrantCall,  // a call from one of the engine's callbacks, refused
    CpuBudget,      // a rule or machine went over the profile's `cpu` budget and was disabled
  };
  Kind kind = Kind::ReentrantCall;
  std::string message;
};

struct EngineOptions {
  std::string profile;                  // "" for the policy as written
  size_t max_kept_findings = 1000;      // findings (but bare oks) kept with their message in the report;
                                        // beyond, errors displace warnings, warnings infos, infos oks
  bool finding_fields = false;          // findings carry their event's fields (Finding::fields), sensitive
                                        // ones redacted: a copy per finding, so only when asked
  size_t max_bad_lines = 100;           // bad input lines kept with their number
  size_t max_kept_alerts = 10000;       // alerts kept in the report
  size_t default_max_keys = 10000;      // keys per when/machine, pending per expect, unless capped
  size_t max_metric_series = 10000;     // distinct `count`/`observe` label sets; beyond, counted as dropped
  size_t max_metric_sketch_counters = 4194304;  // counters all histogram quantile sketches hold together
                                        // (8 bytes each: 32 MiB; one sketch holds at most 8,192); a series
                                        // whose sketch grows past it loses its quantiles (metric_quantiles_dropped)
  size_t max_window_samples = 65536;    // samples one key of a sliding window keeps exactly (count() and
                                        // rate() keep compressed timestamps in the same memory); beyond, the
                                        // window degrades to 64 time buckets (diagnostics.degraded_windows)
  size_t max_work_per_step = 100000;    // timer firings, derived events and empty windows one event
                                        // may cause; beyond, the rest is skipped (diagnostics.work_limited)
  uint32_t max_symbols = 100000;        // event names and field keys an engine remembers (the program's
                                        // come first); beyond, a new one reads as "<other>" (diagnostics.symbols_overflow)
  size_t max_pending_items = 100;       // pending items listed by finish() (all are counted)
  size_t max_kept_collections = 1000;   // collections kept in the report (all are counted)
  // Where `collect` actions go (collect.hpp): a directory_sink (dta replay),
  // an async_sink (Runtime). Null: every collection fails ("no collection
  // directory"). The budgets of the profile (`disk`, `dumps`) are the engine's.
  std::shared_ptr<CollectionSink> collect;
  // Rule time: one event in time_sample_every (0: none) is timed, each rule and
  // machine charged for its part (RuleReport::time_ns, an estimate). With
  // enforce_cpu_budget and a profile `cpu: P%`, a rule whose estimated time
  // over a second of `clock` exceeds P% of it is disabled (as if `off`) for the
  // rest of the engine's life and reported through on_engine_error. Off by
  // default: in `dta replay` the tool is the host, always over any budget.
  uint32_t time_sample_every = 256;
  bool enforce_cpu_budget = false;
  std::function<int64_t()> clock;       // ns, monotonic; empty: std::chrono::steady_clock (tests inject one)
  // Host callbacks. They run on the thread that called the engine; one that throws is
  // caught and counted (diagnostics.callback_errors); one that calls back into the engine
  // is refused (diagnostics.reentrant_calls) and on_error says so.
  std::function<void(const Finding&)> on_finding;  // called for every finding
  std::function<void(const Alert&)> on_alert;      // called for every alert raised (not suppressed)
  std::function<void(const std::string&)> on_error;  // engine errors the host should know of
  // Called for every `enable` action that runs (unset in a replay: the action is only counted,
  // diagnostics.enables). The host turns its event sites on and off; the engine keeps no state for it.
  std::function<void(const EnableRequest&)> on_enable;
  std::function<void(const EngineError&)> on_engine_error;  // the same with their kind, and budget overruns
  // Called for every collection as the engine records it (status written, denied, failed, or queued
  // when `collect` is an async sink: its result comes from the sink).
  std::function<void(const Collection&)> on_collection;
};

// A copy of an engine's state, site by site, to continue in another engine:
// one built from a recompiled or changed policy, or in another process
// (encode_state). State moves only into a site of the same id, kind and
// shape (Program's `Site`): an edited threshold keeps its window, a window
// whose length or keys changed starts empty.
struct SiteSnapshot {
  std::string id;      // "error_burst/when#0"
  std::string kind;    // when, expect, machine, dedup
  uint64_t shape = 0;  // the shape the state was built under (with the profile's window length)
  std::string bytes;   // the state
};
// A timer that was queued: its site, when it is due, and what it is for.
struct TimerSnapshot {
  std::string site;
  int64_t due = 0;
  uint64_t token = 0;
  std::string key;
};
struct StateSnapshot {
  int64_t clock = INT64_MIN;  // the engine's event time
  std::vector<SiteSnapshot> sites;
  std::vector<TimerSnapshot> timers;  // in the order they fire
};
// What import_state did: how many sites took their state, and which did not and why.
struct ImportReport {
  size_t imported = 0;
  std::vector<std::string> skipped;  // "ID: why"
};

// Whether event `name` matches `pattern`: the name itself, "PREFIX.*" (a
// dotted prefix and at least one more character) or "*".
bool event_pattern_matches(const std::string& pattern, std::string_view name);

// A snapshot as bytes (to keep it in a file), and back; decode checks
// everything (the bytes may come from anywhere).
std::string encode_state(const StateSnapshot& snapshot);
Expected<StateSnapshot> decode_state(std::string_view bytes);

// One site's footprint (Engine::site_stats).
struct SiteStats {
  std::string id;
  std::string kind;
  size_t keys = 0;       // live keys (window keys, pending expectations, machine instances, dedup keys)
  size_t bytes = 0;      // approximate memory held
  uint64_t evicted = 0;  // keys its cap evicted so far
};

class Engine {
 public:
  // An engine for `program` (finalized). On failure (unknown profile) returns
  // nullptr and says why in *error.
  static std::unique_ptr<Engine> create(std::shared_ptr<const Program> program,
                                        const EngineOptions& options, std::string* error);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The names table events must be built with. The program's names have the
  // same ids in every engine running the program (Program::symbols); names
  // seen only in events get ids of this engine, up to max_symbols.
  Interner& symbols();
  // Process one event (due timers, filters, then rules, then the events it
  // emitted). False when refused: called from one of the engine's own callbacks.
  bool process(const Event& event);
  // Time passes without events: timers due before `ts` (deadlines, `after`
  // transitions, tumbling window ends) fire, so a quiet stream still sees
  // them. Time never goes backwards: an earlier ts does nothing. False when refused.
  bool advance_to(int64_t ts);
  // Count a line of input that was not a valid event.
  void note_bad_input(uint64_t line, const std::string& error);
  // The stream ended: nothing more fires; what still waits (expectations and
  // machine timers) is listed in the report's `pending`, soonest first.
  void finish();
  // The report so far.
  Report report() const;
  // The footprint of every site, in the order the sites were made.
  std::vector<SiteStats> site_stats() const;
  // The event patterns ("db.open", "db.*", "*") that something consumes under
  // the engine's profile: rules not turned off, what their expectations
  // await, machine transitions. An event no pattern matches does nothing.
  std::vector<std::string> listened_patterns() const;
  // Every site's state and the queued timers (the report's counters are not state).
  StateSnapshot export_state() const;
  // Takes the state of every site of `snapshot` this engine's program has
  // (same id, kind and shape), replacing what those sites held; the clock
  // moves to the snapshot's when later. Fails only when called from a callback.
  Expected<ImportReport> import_state(const StateSnapshot& snapshot);

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dta
