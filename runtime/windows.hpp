// The state of `when` blocks: samples and running aggregates per key of a
// sliding window, running aggregates of the open tumbling window, and the
// edge-triggering flags. Owned by the engine, one WhenState per `when`.
#pragma once
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dta/event.hpp"
#include "keyed_store.hpp"
#include "sketch.hpp"

namespace dta {

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

}  // namespace dta
