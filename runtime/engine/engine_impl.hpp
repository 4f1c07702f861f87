// The engine's insides, shared by the files that implement its parts:
// engine.cpp (binding, dispatch, actions), windows.cpp (`when`),
// expectations.cpp (`expect`), machines.cpp (`machine`), alerts.cpp.
#pragma once
#include <algorithm>
#include <boost/unordered/unordered_flat_map.hpp>
#include <deque>
#include <queue>

#include "dta/builtin.hpp"
#include "dta/engine.hpp"
#include "state/expectations.hpp"
#include "state/keyed_store.hpp"
#include "state/machines.hpp"
#include "state/time_math.hpp"
#include "vm/vm.hpp"
#include "state/windows.hpp"

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

struct DedupState {
  int64_t last = INT64_MIN;
  uint64_t suppressed = 0;
};

// A timer: a tumbling window's end, an expectation's deadline, an `after`.
struct Timer {
  enum class Kind : uint8_t { WindowClose, Deadline, After } kind;
  int64_t due;
  uint64_t seq;
  uint32_t a, b;      // rule/when, rule/expect, machine/transition
  int64_t window;     // WindowClose: the window index
  uint64_t id;        // Deadline: the pending id; After: the instance generation
  std::string key;    // After: the instance key
  bool operator>(const Timer& o) const { return due != o.due ? due > o.due : seq > o.seq; }
};

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
  };
  // Per interned event name: what it can reach (built on first sight).
  struct Dispatch {
    std::vector<uint32_t> filters;
    std::vector<std::pair<uint32_t, uint32_t>> expects;  // (rule, expect)
    std::vector<uint32_t> machines;
    std::vector<RuleSlot> rules;
    std::vector<uint32_t> sensitive;  // interned keys of sensitive fields
  };
  std::vector<std::unique_ptr<Dispatch>> dispatch;  // by pointer: references stay valid as it grows
  std::vector<ChunkReads> chunk_reads;  // by chunk index

  std::vector<std::vector<WhenState>> whens;      // [rule][when]
  std::vector<std::vector<ExpectState>> expects;  // [rule][expect]
  std::vector<MachineRt> machines;
  boost::unordered_flat_map<const Action*, KeyedStore<DedupState>> dedup;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers;
  uint64_t timer_seq = 0;

  Report rep;
  std::string key_buf;                // reused for window keys
  mutable std::string state_key_buf;  // reused by state()
  int64_t last_ts = INT64_MIN;
  Event scratch;
  std::deque<Event> emitted;
  bool in_derived = false;
  boost::unordered_flat_map<std::string, uint64_t> counters;
  boost::unordered_flat_map<std::string, HistogramSummary> histograms;

  // engine.cpp
  bool bind(std::string* error);
  // Interns every name the program uses, then caps the table (EngineOptions::max_symbols).
  void intern_program_names();
  Dispatch& dispatch_for(uint32_t name) {
    if (name < dispatch.size() && dispatch[name]) return *dispatch[name];
    return build_dispatch(name);
  }
  Dispatch& build_dispatch(uint32_t name);
  void run_event(const Event& ev);
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
  // A metric series key "name{k=v,...}" (label values redacted).
  std::string labels_key(const std::string& name, const std::vector<Entry>& entries, const ActionCtx& ctx);
  void emit(const Action& a, const ActionCtx& ctx);
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

  // windows.cpp
  void bind_windows();
  void when_event(uint32_t rule, uint32_t w, const Event& ev);
  void fire_sliding(uint32_t rule, uint32_t w, WindowKey& k, const Value& value, const Event& ev);
  void close_window(uint32_t rule, uint32_t w, int64_t window);
  // expectations.cpp
  void bind_expects();
  void expect_arrivals(const Event& ev);
  void expect_start(uint32_t rule, const Event& ev);
  void expect_deadline(uint32_t rule, uint32_t x, uint64_t id);
  // machines.cpp
  void bind_machines();
  void machine_event(uint32_t m, const Event& ev);
  void machine_after(uint32_t m, const std::string& key, uint64_t gen, int64_t due);
  void schedule_after(uint32_t m, const std::string& key, const Instance& inst);
  // alerts.cpp
  void alert(const Action& a, const ActionCtx& ctx);

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

  void schedule(Timer t) {
    t.seq = timer_seq++;
    timers.push(std::move(t));
    if (timers.size() > compact_at) compact_timers();
  }
  // Drops timers whose state is gone (met, evicted, moved on), so the heap is
  // bounded by live state, not by the stream's length.
  void compact_timers();
  bool timer_live(const Timer& t) const;
  size_t compact_at = 65536;
};

// Whether a pattern ("db.open", "db.*", "*") matches an event name.
bool pattern_matches(const std::string& pattern, std::string_view name);
bool any_matches(const std::vector<std::string>& patterns, std::string_view name);

}  // namespace dta
