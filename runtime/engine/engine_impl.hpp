// The engine's insides. Three parts:
//   the binding: what one program and profile say (units, dispatch, the
//     constant table, each site's typed pointer), rebuilt from a program;
//   the state store: every site's state by stable id, and the timers (kept);
//   the services sites and actions use: the VM, actions and outputs, the
//     report, the work budget.
// Files: engine.cpp (binding, dispatch, host calls), state.cpp (export and
// import), outputs.cpp (redaction), alerts.cpp; each site in runtime/state/.
#pragma once
#include <algorithm>
#include <boost/unordered/unordered_flat_map.hpp>
#include <deque>
#include <span>
#include <queue>

#include "dta/builtin.hpp"
#include "dta/engine.hpp"
#include "state/sketch.hpp"
#include "state/store.hpp"
#include "state/time_math.hpp"
#include "vm/vm.hpp"

namespace dta {

// Per rule or machine ("unit"): counters and the profile's effect.
struct UnitState {
  RuleReport stats;
  bool off = false;
  Level map[3] = {Level::Error, Level::Warning, Level::Info};  // written level -> effective
  int alert = -1;                                            // AlertSeverity override, -1 none
  uint32_t max_keys = 0;                                     // profile cap, 0 none
};

// Where actions run: the unit they belong to, the event they see, and the
// context of the block (a window's value and keys, an expectation's first event).
struct ActionCtx {
  uint32_t unit = 0;
  const Event* ev = nullptr;
  int64_t now = 0;
  const Value* value = nullptr;
  const Event* start = nullptr;
  const std::vector<std::pair<std::string, std::string>>* key_labels = nullptr;
  bool value_sensitive = false;  // the `when` value was computed from a sensitive value
  // The key of an expectation (its `matching` fields) or a machine (its key
  // field), read from key_event; windows give key_labels instead.
  const std::string* key_names = nullptr;
  uint32_t key_count = 0;
  const Event* key_event = nullptr;
};

// What a chunk reads that may be sensitive: fields of the event, fields of the
// expectation's first event (`start.F`), the `when` value. Built once per binding.
struct ChunkReads {
  std::vector<uint32_t> fields;        // interned keys read from the event
  std::vector<uint32_t> start_fields;  // interned keys read from the first event
  bool value = false;                  // reads the `when` value
};

class WhenSite;
class ExpectSite;
class MachineSite;
class DedupSite;
class RecorderSite;
class CollectBudgetSite;

struct Engine::Impl : StateLookup {
  std::shared_ptr<const Program> prog;
  EngineOptions opts;
  int profile = -1;
  Interner names;
  std::vector<uint32_t> keymap;
  std::vector<const Builtin*> fns;
  VmEnv env;
  Arena arena;
  std::vector<Value> regs = std::vector<Value>(256);

  std::vector<UnitState> units;  // rules, then machines

  // A rule as one event name reaches it, with its pointers resolved.
  struct RuleSlot {
    const Rule* rule;
    const Chunk* where;  // nullptr: always
    UnitState* unit;
    uint32_t index;
    std::span<WhenSite* const> whens;      // the rule's `when` sites
    std::span<ExpectSite* const> expects;  // the rule's `expect` sites
  };
  // Per interned event name: what it can reach (built on first sight).
  struct Dispatch {
    std::vector<uint32_t> filters;
    std::vector<ExpectSite*> expects;  // expectations awaiting the name
    std::vector<MachineSite*> machines;
    std::vector<RuleSlot> rules;
    std::vector<uint32_t> sensitive;  // interned keys of sensitive fields
    std::vector<RecorderSite*> recorders;  // recorders that keep the name
    bool empty() const {
      return filters.empty() && expects.empty() && machines.empty() && rules.empty() && sensitive.empty() &&
             recorders.empty();
    }
  };
  // By interned name; names nothing reaches share `nothing`, so a name seen
  // only in events costs one pointer. Pooled: references stay valid as it grows.
  std::vector<const Dispatch*> dispatch;
  std::deque<Dispatch> dispatch_pool;
  const Dispatch nothing{};
  std::vector<ChunkReads> chunk_reads;  // by chunk index

  // The binding's view of the sites: typed pointers into the store, by program position.
  std::vector<std::vector<WhenSite*>> when_sites;      // [rule][when]
  std::vector<std::vector<ExpectSite*>> expect_sites;  // [rule][expect]
  std::vector<MachineSite*> machine_sites;             // [machine]
  boost::unordered_flat_map<const Action*, DedupSite*> dedup_sites;
  std::vector<RecorderSite*> recorder_sites;           // [recorder]
  CollectBudgetSite* collect_budget = nullptr;         // when the program collects anything
  StateStore store;  // the state, by site id (outlives the binding)

  Report rep;
  std::string key_buf;                // reused for window keys
  mutable std::string state_key_buf;  // reused by state()
  int64_t last_ts = INT64_MIN;
  Event scratch;
  std::deque<Event> emitted;
  bool in_derived = false;
  // Metric series by their key (metric_key): counters, and histograms with a
  // quantile sketch each; all sketches share a budget of counters.
  struct MetricHistogram {
    HistogramSummary summary;
    DDSketch sketch;
  };
  boost::unordered_flat_map<std::string, uint64_t> counters;
  boost::unordered_flat_map<std::string, MetricHistogram> histograms;
  size_t metric_sketch_counters = 0;  // held by all histogram sketches
  std::string metric_key_buf;         // reused for series keys
  // The kept findings by level (error..ok), each with its sequence number, so
  // that a more severe finding displaces the last of the least severe ones in
  // O(1) and report() restores the order they happened in.
  std::array<std::vector<std::pair<uint64_t, Finding>>, 4> kept_by_level;
  size_t kept_total = 0;  // of kept_by_level
  uint64_t finding_seq = 0;

  // engine.cpp
  bool bind(std::string* error);
  // Finds or creates the site of every stateful construct and binds it.
  void bind_sites();
  // The site `id` of kind S: the one in the store, or a new one.
  template <class S>
  S* site(const std::string& id);
  // Interns every name the program uses, then caps the table (EngineOptions::max_symbols).
  void intern_program_names();
  const Dispatch& dispatch_for(uint32_t name) {
    if (name < dispatch.size() && dispatch[name]) return *dispatch[name];
    return build_dispatch(name);
  }
  const Dispatch& build_dispatch(uint32_t name);
  // One input event: due timers, the event, what it derived (Engine::process).
  template <bool kTimed>
  void step(const Event& event);
  // step<true>, kept out of the untimed path (cpu_budget.cpp).
  void step_timed(const Event& event);
  void run_event(const Event& ev) { run_event_as<false>(ev); }
  // kTimed: each unit's part is charged to it (cpu_budget.cpp).
  template <bool kTimed>
  void run_event_as(const Event& ev);
  void drain_emitted();
  void run_timers(int64_t before);
  Status eval(int32_t chunk, const Event& ev, const ActionCtx* ctx, Value* out);
  bool where(int32_t chunk, const Event& ev, RuleReport* stats, const ActionCtx* ctx = nullptr) {
    return chunk < 0 || where_chunk(prog->chunks[chunk], ev, stats, ctx);
  }
  // Runs a chunk with the context of the block it belongs to.
  Status run_chunk(const Chunk& chunk, const Event& ev, const ActionCtx* ctx, Value* out) {
    env.window_value = ctx ? ctx->value : nullptr;
    env.start = ctx ? ctx->start : nullptr;
    return vm_run(env, chunk, ev, out);
  }
  bool where_chunk(const Chunk& chunk, const Event& ev, RuleReport* stats, const ActionCtx* ctx = nullptr) {
    Value v;
    const Status st = run_chunk(chunk, ev, ctx, &v);
    if (st == Status::Ok) return v.b;
    count_miss(st, stats);
    return false;
  }
  void count_miss(Status st, RuleReport* stats);
  void run_actions(const std::vector<Action>& actions, const ActionCtx& ctx);
  void finding(const Action& a, const ActionCtx& ctx);
  // outputs.cpp: redaction. A value is sensitive when it comes from a field a
  // schema declares `sensitive` or from a field marked sensitive (a derived
  // event's copy of one); every value that leaves the engine goes through
  // append_output or render, which write `<redacted>` in its place.
  void bind_outputs();
  // Whether field `key` of `ev` is sensitive (declared so, or carrying the mark).
  bool field_sensitive(const Event& ev, uint32_t key);
  // Whether evaluating `chunk` in `ctx` reads a sensitive value.
  bool reads_sensitive(int32_t chunk, const ActionCtx& ctx);
  // Appends what a chunk evaluates to as output text: `<redacted>` when it
  // reads a sensitive value, `<missing>` when it fails.
  void append_output(std::string& out, int32_t chunk, const ActionCtx& ctx);
  // A message template rendered for output (sensitive holes redacted).
  std::string render(int32_t tmpl, const ActionCtx& ctx);
  // A template rendered in full for a derived event; *sensitive says whether a hole read a sensitive value.
  std::string render_raw(int32_t tmpl, const ActionCtx& ctx, bool* sensitive);
  // The key of the block running in ctx, for findings and alerts.
  KeyLabels key_of(const ActionCtx& ctx);
  // Fields `names` of `ev` as output (redacted where sensitive; "<missing>" when absent).
  KeyLabels fields_as_labels(const Event& ev, const std::string* names, uint32_t count);
  // A metric series key into `out`: the name, then each label's name and
  // value (redacted where sensitive), each with its length, so two series
  // never share a key. decode_metric_key reads it back.
  void metric_key(std::string& out, const std::string& name, const std::vector<Entry>& entries, const ActionCtx& ctx);
  static void decode_metric_key(std::string_view key, std::string* name, KeyLabels* labels);
  // The fields of `ev` as output: sensitive ones read "<redacted>".
  EventFields event_fields(const Event& ev);
  void emit(const Action& a, const ActionCtx& ctx);
  // `enable PATTERN [level L] for D`: counted, and handed to the host's on_enable.
  void enable(const Action& a, const ActionCtx& ctx);
  bool sample_keeps(const Event& ev, double fraction) const;
  const std::string& unit_name(uint32_t unit) const;
  size_t cap_for(uint32_t unit, uint32_t declared) const;
  int64_t const_int(int32_t k) const { return env.k[k].i; }
  // Key bytes of a value (type tag + bytes), as windows and machines key state.
  static void append_key(std::string& out, const Value& v);
  std::string_view state_of(uint32_t machine, const Value& key) const override;

  // Host callbacks: exceptions are caught and counted, never thrown into the engine.
  bool busy = false;  // inside process/advance_to/finish: calls from callbacks are refused
  template <class F, class Arg>
  void notify(const F& callback, const Arg& arg) {
    if (!callback) return;
    try {
      callback(arg);
    } catch (...) {
      ++rep.diagnostics.callback_errors;
    }
  }
  // Refuses a call made from inside one of the engine's callbacks; true when refused.
  bool refuse_reentry(const char* what);
  // Lists what still waits (expectations, machine timers) into rep.pending.
  void list_pending();

  // metrics.cpp: `count` and `observe` series.
  // Adds one to the counter `key` (metric_key); a new series only within the series cap.
  void count(const std::string& key);
  // Records x in the histogram `key`: count, sum, min, max and its quantile sketch.
  void observe(const std::string& key, double x);
  // Every series into the report: as data (Report::metrics) and as text keys.
  void metrics_into(Report& r) const;

  // alerts.cpp
  void alert(const Action& a, const ActionCtx& ctx);

  // collect.cpp: `collect recorder|snapshot|process` and `discard recorder`.
  // The budget (dumps, disk) is checked here, the request handed to
  // opts.collect, and the collection kept for the report.
  void collect(const Action& a, const ActionCtx& ctx);
  void discard(const Action& a, const ActionCtx& ctx);
  // Keeps a collection in the report (the first max_kept_collections) and counts it.
  void note_collection(Collection&& c);
  // Binds the recorder sites and the budget site; false (and *error) when
  // the recorders do not fit the profile's `recorder_memory`.
  bool bind_recorders(std::string* error);

  // cpu_budget.cpp: sampled rule time and the profile's `cpu` budget.
  // The countdown to the next timed event also counts the events processed
  // (events()), so the untimed path pays one decrement and a branch in all.
  struct Timing {
    uint64_t sample_left = 0;     // events until the next timed one
    uint64_t batch = 0;           // time_sample_every, or a count never reached when 0
    uint64_t events_before = 0;   // events of the batches done
    // Events processed so far (Report::events).
    uint64_t events() const { return events_before + (batch - sample_left); }
    int64_t lap = 0;              // the clock at the last reading
    int64_t period_start = 0;     // the clock when the budget period began
    double budget = 0;            // the profile's cpu share when enforced, else 0
    std::vector<int64_t> unit_ns;  // per unit: time of its timed events this period
    std::vector<const SiteState*> off_sites;  // sites of units the budget disabled: their timers do nothing
  } timing;
  // Whether `s` belongs to a unit the budget disabled (its timers fire into nothing).
  bool budget_off(const SiteState* s) const {
    return !timing.off_sites.empty() &&
           std::find(timing.off_sites.begin(), timing.off_sites.end(), s) != timing.off_sites.end();
  }
  // Sets the sampling countdown and the budget from the options and profile.
  void bind_timing();
  // The clock (EngineOptions::clock or steady_clock), in ns.
  int64_t clock_ns();
  // Reads the clock before the first unit of a timed event runs.
  void lap_start();
  // Charges the time since the last reading to `unit`.
  void lap(uint32_t unit);
  // After a timed event: restarts the countdown; at the end of a budget
  // period, disables every unit over the budget.
  void end_timed_step();
  void disable_by_budget(uint32_t unit, double estimated, double elapsed);

  // Work budget of one step (an input event with the timers due before it and
  // the events it derived): timer firings, derived events and empty windows
  // each spend a unit, so no policy can make one event cost unbounded work.
  uint64_t work_left = 0;
  bool work_cut = false;  // the budget ran out in this step (counted once)
  // Starts a step with a full budget.
  void begin_step() {
    work_left = opts.max_work_per_step;
    work_cut = false;
  }
  // Spends `n` units; false once the step's budget is gone (diagnostics.work_limited counts the step).
  bool spend(uint64_t n = 1) {
    if (work_left >= n) {
      work_left -= n;
      return true;
    }
    work_left = 0;
    if (!work_cut) {
      work_cut = true;
      ++rep.diagnostics.work_limited;
    }
    return false;
  }
};

// Whether a pattern ("db.open", "db.*", "*") matches an event name.
bool pattern_matches(const std::string& pattern, std::string_view name);
bool any_matches(const std::vector<std::string>& patterns, std::string_view name);

}  // namespace dta
