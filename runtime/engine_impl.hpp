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
#include "keyed_store.hpp"
#include "sketch.hpp"
#include "vm.hpp"

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
};

// One sample of a sliding window.
struct Sample {
  int64_t ts;
  double v;
  int64_t iv;
};

// A queue of samples in a vector: nothing allocated until the first push
// (std::deque allocates on construction, and windows have many keys).
class SampleQueue {
 public:
  bool empty() const { return head_ == v_.size(); }
  size_t size() const { return v_.size() - head_; }
  const Sample& front() const { return v_[head_]; }
  const Sample& back() const { return v_.back(); }
  void push_back(const Sample& s) { v_.push_back(s); }
  void pop_back() { v_.pop_back(); }
  void pop_front() {
    if (++head_ >= 32 && head_ * 2 >= v_.size()) {  // drop the consumed front, amortised O(1)
      v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  void clear() {
    v_.clear();
    v_.shrink_to_fit();
    head_ = 0;
  }
  const Sample* begin() const { return v_.data() + head_; }
  const Sample* end() const { return v_.data() + v_.size(); }

 private:
  std::vector<Sample> v_;
  size_t head_ = 0;
};

// A slice of a degraded sliding window: aggregates of the samples whose time
// falls in [start, start + width).
struct Bucket {
  int64_t start = INT64_MIN;
  uint64_t count = 0;
  int64_t isum = 0;
  double fsum = 0, min = 0, max = 0;
  bool all_int = true;
  DDSketch sketch;
  boost::unordered_flat_map<uint64_t, uint32_t> distinct;
};

// The aggregate state of one key of one `when`.
struct WindowKey {
  // sliding: the samples in (now - D, now]
  SampleQueue samples;
  SampleQueue minq, maxq;  // monotonic: candidates for min / max
  // tumbling: the window index and running aggregates
  int64_t window = INT64_MIN;
  uint64_t count = 0;
  double tmin = 0, tmax = 0;
  // both
  int64_t isum = 0;
  double fsum = 0;
  bool all_int = true;
  bool int_overflow = false;
  DDSketch sketch;
  boost::unordered_flat_map<uint64_t, uint32_t> distinct;
  // sliding, degraded: the window as kBuckets slices (exact state too big)
  std::vector<Bucket> buckets;
  // edge triggering
  int64_t true_since = INT64_MIN;
  bool fired = false;
  Event last;  // tumbling: the last event of the window (its actions see it)
  std::vector<std::pair<std::string, std::string>> labels;  // `by` keys, rendered
};

struct WhenState {
  KeyedStore<WindowKey> keys;     // with `by`
  WindowKey single;               // without `by`: one window, no map
  bool keyed = false;
  int64_t timer_window = INT64_MIN;  // tumbling: the window whose close is scheduled
  Value threshold;
  int64_t window_ns = 1, for_ns = 0;
};

struct Pending {
  uint64_t id = 0;
  int64_t deadline = 0;
  Event start;
  std::string match;
};

struct ExpectState {
  KeyedStore<Pending> pending;  // by id_key(id), oldest evicted first
  boost::unordered_flat_map<std::string, std::vector<uint64_t>> by_match;  // oldest first
  uint64_t next_id = 1;
  int64_t within_ns = 0;

  static std::string id_key(uint64_t id) { return std::string(reinterpret_cast<const char*>(&id), sizeof id); }
  // Drops pending `id` from the list of its matching key.
  void forget(const std::string& match, uint64_t id) {
    auto list = by_match.find(match);
    if (list == by_match.end()) return;
    auto& ids = list->second;
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
    if (ids.empty()) by_match.erase(list);
  }
};

struct Instance {
  uint32_t state = 0;
  int64_t entered = 0;
  uint64_t gen = 0;
  Event last;
};

struct MachineRt {
  KeyedStore<Instance> instances;
  uint32_t key = 0;  // interned key field
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
  std::vector<std::vector<uint32_t>> chunk_keys;

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
  std::string render(int32_t tmpl, const ActionCtx& ctx);
  void append_hole(std::string& out, int32_t chunk, const ActionCtx& ctx);
  std::string labels_key(const std::string& name, const std::vector<Entry>& entries, const ActionCtx& ctx);
  void emit(const Action& a, const ActionCtx& ctx);
  bool sample_keeps(const Event& ev, double fraction) const;
  const std::string& unit_name(uint32_t unit) const;
  size_t cap_for(uint32_t unit, uint32_t declared) const;
  int64_t const_int(int32_t k) const { return env.k[k].i; }
  // Key bytes of a value (type tag + bytes), as windows and machines key state.
  static void append_key(std::string& out, const Value& v);
  std::string_view state_of(uint32_t machine, const Value& key) const override;

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
