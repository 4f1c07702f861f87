// The state of `when` blocks (spec 5.1): per key of a sliding window its
// samples (or, for count and rate, its timestamps) and running aggregates;
// per key of a tumbling window the aggregates of its open window; the
// buckets of a sliding window over its memory cap; the edge-triggering flags.
// Owned by the engine, one WhenState per `when`.
//
// Exactness: counts and integer sums are exact (128-bit sums), min and max
// are exact (monotonic queues, integers compared as integers), a float sum is
// a compensated sum over the window's values taken afresh (two stacks, never
// a subtraction), NaN and infinities never enter any state.
#pragma once
#include <boost/unordered/unordered_flat_map.hpp>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dta/event.hpp"
#include "dta/program.hpp"
#include "state/codec.hpp"
#include "state/keyed_store.hpp"
#include "state/sketch.hpp"

namespace dta {

__extension__ typedef __int128 Int128;  // exact sums of int64 values (2^64 of them fit)

// A number of a window: an int or a finite float. Distinct windows keep the
// value's 64-bit hash in `i`.
struct Num {
  union {
    int64_t i;
    double f;
  };
  bool is_int = true;
  Num() : i(0) {}
  static Num of_int(int64_t v) {
    Num n;
    n.i = v;
    return n;
  }
  static Num of_float(double v) {
    Num n;
    n.f = v;
    n.is_int = false;
    return n;
  }
  double as_double() const { return is_int ? static_cast<double>(i) : f; }
};

// Whether a < b: ints as ints (exact at the int64 edges), else as doubles.
inline bool num_less(const Num& a, const Num& b) {
  return a.is_int && b.is_int ? a.i < b.i : a.as_double() < b.as_double();
}

// One sample of a sliding window.
struct Sample {
  int64_t ts;
  Num x;
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
  void save(StateWriter& w) const;
  bool load(StateReader& r);
  const Sample* begin() const { return v_.data() + head_; }
  const Sample* end() const { return v_.data() + v_.size(); }

 private:
  std::vector<Sample> v_;
  size_t head_ = 0;
};

// A compensated float sum (Neumaier): `hi` is the rounded sum, `lo` carries
// the rounding errors, so value() is within about one rounding of the exact
// sum as long as the sum stays finite.
struct FSum {
  double hi = 0, lo = 0;
  void add(double x) {
    const double t = hi + x;
    lo += std::fabs(hi) >= std::fabs(x) ? (hi - t) + x : (x - t) + hi;
    hi = t;
  }
  void add(const FSum& o) {
    add(o.hi);
    lo += o.lo;
  }
  double value() const { return hi + lo; }
};

// The float sum of a sliding window by two stacks (no subtraction, so no
// drift: the sum is always of the values in the window). The back stack is a
// running sum of the values pushed since the last flip; the front holds, for
// each older value, the sum of it and the front values after it. When the
// oldest value leaves and the front is empty, the front is rebuilt from the
// window's values, newest first: O(1) amortised per value.
class SumStacks {
 public:
  void push(double x) { back_.add(x); }
  // Drops the oldest value; `window` still holds it, oldest first.
  void pop(const SampleQueue& window);
  // The sum of the window: the older part summed newest-to-oldest, the
  // newer part oldest-to-newest, both compensated.
  double value() const {
    FSum s = front_.empty() ? FSum{} : front_.back();
    s.add(back_);
    return s.value();
  }
  void clear() {
    front_.clear();
    front_.shrink_to_fit();
    back_ = FSum{};
  }
  // The stacks as they are (their grouping decides the last bits of the sum).
  void save(StateWriter& w) const;
  bool load(StateReader& r, size_t window_size);

 private:
  std::vector<FSum> front_;  // front_.back(): the sum of the whole front
  FSum back_;
};

// The timestamps of a sliding count() or rate() window, as runs (ts, n)
// oldest first: the oldest decoded in front_, the newest open in back_, the
// ones between varint-coded as (delta from the run before, n) in code_. Any
// number of events at one timestamp costs one run; a run costs 2 bytes when
// distinct timestamps are under 8 us apart, 3 under 1 ms, 4 under 134 ms (one
// more when events share it), so the memory 65,536 samples would take (1.5
// MiB) holds the exact count of 390,000 to 780,000 distinct timestamps.
class TimeRuns {
 public:
  // Adds `n` events at a timestamp (one older than the newest counts as the newest).
  void push(int64_t ts, uint64_t n = 1);
  // Drops the timestamps before `from`.
  void drop_before(int64_t from);
  uint64_t count() const { return total_; }
  bool empty() const { return total_ == 0; }
  // Bytes of coded runs (what grows with the window; the buffer holds at
  // most about twice that).
  size_t bytes() const { return end_ - head_; }
  void clear();
  // Calls f(ts, n) for every run, oldest first.
  template <class F>
  void each(F&& f) const;
  void save(StateWriter& w) const;
  bool load(StateReader& r);

 private:
  struct Run {
    int64_t ts = 0;
    uint64_t n = 0;
  };
  static constexpr size_t kMaxRunBytes = 22;  // the longest coded run (an escaped one)
  void encode(uint64_t delta, uint64_t n);
  static Run decode(const uint8_t*& p, int64_t prev);
  void make_room();            // kMaxRunBytes free at end_
  Run front_, back_;           // runs_ >= 2: front_ is the oldest; runs_ >= 1: back_ is the newest
  int64_t prev_ts_ = 0;        // runs_ >= 2: the ts of the run before back_ (the base of its delta)
  std::vector<uint8_t> code_;  // coded runs in [head_, end_)
  size_t head_ = 0, end_ = 0;
  uint64_t total_ = 0, runs_ = 0;
};

// Distinct 64-bit hashes with their multiplicity. Beyond `cap` hashes only
// those whose top `level` bits are zero are kept and the count is scaled by
// 2^level (relative error about 1/sqrt(cap)): bounded memory, counted by the
// caller when sampled() turns true.
class DistinctCounter {
 public:
  void add(uint64_t h, size_t cap);
  void remove(uint64_t h);
  uint64_t count() const { return static_cast<uint64_t>(counts_.size()) << level_; }
  bool sampled() const { return level_ > 0; }
  size_t held() const { return counts_.size(); }  // hashes kept (memory)
  void clear() {
    counts_ = {};
    level_ = 0;
  }
  void save(StateWriter& w) const;
  bool load(StateReader& r);

 private:
  bool kept(uint64_t h) const { return level_ == 0 || (h >> (64 - level_)) == 0; }
  boost::unordered_flat_map<uint64_t, uint32_t> counts_;
  int level_ = 0;
};

// A slice of a degraded sliding window: aggregates of the samples whose time
// falls in bucket `idx` ([idx * width, (idx + 1) * width)).
struct Bucket {
  int64_t idx = 0;
  uint64_t count = 0;  // 0: the slot is free
  Int128 isum = 0;
  uint64_t n_float = 0;
  FSum fsum;
  Num min, max;
  DDSketch sketch;       // quantile
  uint64_t last_of = 0;  // distinct: hashes whose newest occurrence is in this bucket
};

// A sliding window over its memory cap: kBuckets + 1 slices of D / 64, each
// counted whole while it overlaps (now - D, now]. The quantile sketch and the
// distinct hashes of the whole window are kept up to date as slices come and
// go, so a value costs O(slices) at most, never O(samples).
struct DegradedWindow {
  int64_t width = 1;
  std::vector<Bucket> ring;
  DDSketch sketch;  // quantile: the live slices' sketches together
  // distinct: each hash's newest slice (stale once that slice left; swept)
  boost::unordered_flat_map<uint64_t, int64_t> newest;
  int level = 0;  // distinct: only hashes whose top `level` bits are zero are kept
};

// The aggregate state of one key of one `when`.
struct WindowKey {
  bool value_sensitive = false;  // a sample came from a sensitive value: `{value}` is redacted
  // sliding: the samples in (now - D, now]
  TimeRuns times;               // count, rate
  SampleQueue samples;          // the other aggregates
  SampleQueue minq, maxq;       // monotonic: candidates for min / max
  SumStacks fsum;               // sum, avg
  int64_t last_ts = INT64_MIN;  // the newest sample's time (older events count at it)
  std::unique_ptr<DegradedWindow> degraded;
  // tumbling: the window index and running aggregates
  int64_t window = INT64_MIN;  // the window `count` and the aggregates are of
  bool silent_seen = false;    // keyed: its empty window after `window` was evaluated
  bool listed = false;         // keyed: scratch mark while WhenState::active is compacted
  uint64_t count = 0;
  FSum tsum;
  Num tmin, tmax;
  // both
  Int128 isum = 0;       // of the int samples
  uint64_t n_float = 0;  // float samples (a sum, min or max is a float when > 0)
  DDSketch sketch;
  DistinctCounter distinct;
  bool approximate = false;  // counted in degraded_windows for this window already
  // edge triggering (sliding)
  int64_t true_since = 0;
  bool holding = false;  // the condition held at the last evaluation, since true_since
  bool fired = false;
  Event last;  // tumbling: the last event selected for the key (its actions see it)
  std::vector<std::pair<std::string, std::string>> labels;  // `by` keys, rendered

  // The key's state as bytes and back (events through `names`); load checks
  // what it reads against the aggregate `w`, so bad bytes give an error, never bad state.
  void save(StateWriter& wr, const When& w, const Interner& names) const;
  bool load(StateReader& r, const When& w, Interner& names);
};


// Aggregation over one key's state (windows.cpp); the `when` site drives it.
namespace win {
constexpr int64_t kBuckets = 64;         // slices of a degraded window (its time resolution: D / 64)
constexpr int64_t kRing = kBuckets + 1;  // a window of D overlaps at most 65 slices of ceil(D / 64)

// What evaluating a window gave: a value, nothing (no samples, or an empty
// window of an aggregate without a value there), or an arithmetic error (an
// int sum past int64, a float sum past the double range).
enum class Got : uint8_t { Value, None, ArithError };

// floor(a / b) for b > 0 (never overflows).
int64_t floor_div(int64_t a, int64_t b);
// The last nanosecond of tumbling window `idx` of width w (INT64_MAX: never closes).
int64_t window_last(int64_t idx, int64_t w);
// The earliest time in the sliding window (now - D, now].
int64_t window_from(int64_t now, int64_t d);
// Whether `v CMP t` holds (ints compared as ints).
bool compare(Cmp c, const Value& v, const Value& t);
// The value of an empty tumbling window, when the aggregate has one.
bool empty_value(Agg agg, Value* out);
Got sliding_value(const When& w, const WindowKey& k, int64_t window_ns, Value* out);
Got tumbling_value(const When& w, const WindowKey& k, int64_t window_ns, Value* out);
void sliding_add(const When& w, WindowKey& k, const Sample& s);
void sliding_expire(const When& w, WindowKey& k, int64_t from);
void degraded_add(const When& w, DegradedWindow& d, const Sample& s, uint64_t n, size_t cap);
bool degraded_expire(const When& w, DegradedWindow& d, int64_t from);
Got degraded_value(const When& w, const DegradedWindow& d, int64_t from, int64_t now, int64_t window_ns, Value* out);
void degrade(const When& w, WindowKey& k, int64_t window_ns, size_t cap);
void tumbling_reset(WindowKey& k);
bool tumbling_add(const When& w, WindowKey& k, const Num& x, size_t cap);
}  // namespace win

template <class F>
void TimeRuns::each(F&& f) const {
  if (runs_ == 0) return;
  if (runs_ >= 2) {
    f(front_.ts, front_.n);
    const uint8_t* p = code_.data() + head_;
    int64_t prev = front_.ts;
    for (uint64_t i = 2; i < runs_; ++i) {
      const Run r = decode(p, prev);
      f(r.ts, r.n);
      prev = r.ts;
    }
  }
  f(back_.ts, back_.n);
}

}  // namespace dta
