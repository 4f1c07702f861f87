// DDSketch (Masson, Rim, Lee; VLDB 2019): quantiles with a guaranteed relative
// error, and — unlike t-digest or KLL — deletions, which sliding windows need.
// Values map to logarithmic buckets of ratio gamma = (1+a)/(1-a); the
// estimate of a bucket is within a (here 0.5%) of every value in it.
//
// Hardened for any input: NaN and infinities are ignored (never added, never
// removed), removing a value that was never added does nothing, nothing
// throws, and each of the two stores (positive and negative values) holds at
// most kMaxBuckets counters. Values spread over a wider range collapse the
// lowest buckets into one (the "collapsing lowest" store of the paper): the
// high quantiles keep their guarantee, the lowest lose it, and collapsed()
// says so.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dta {
class StateWriter;
class StateReader;
}  // namespace dta

namespace dta {

class DDSketch {
 public:
  static constexpr double kRelativeAccuracy = 0.005;
  // Counters per store: 4096 buckets of ratio 1.01 span 17 orders of
  // magnitude (32 KiB), wider than any real latency or size distribution.
  static constexpr int32_t kMaxBuckets = 4096;

  // Adds a value (NaN and infinities are ignored).
  void add(double v) { change(v, true); }
  // Removes one occurrence of a value added before (anything else is ignored).
  void remove(double v) { change(v, false); }
  uint64_t count() const { return count_; }
  void clear();
  // Adds every value of `other` (the union of both multisets).
  void merge(const DDSketch& other);
  // Removes every value of `other`, which must all have been added here.
  void subtract(const DDSketch& other);
  // The value of rank floor(q * (count - 1)) of the sorted values, within
  // 0.5% relative error (q is clamped to [0, 1]); 0 when empty.
  double quantile(double q) const;
  // Whether some values were counted in a lower bucket than their own (the
  // range passed kMaxBuckets): low quantiles may be off. Cleared by clear().
  bool collapsed() const { return pos_.collapsed || neg_.collapsed; }
  // Counters held (memory: 8 bytes each).
  size_t counters() const { return pos_.counts.size() + neg_.counts.size(); }
  // The sketch as bytes and back (windows_codec.cpp); load checks every
  // field and recomputes the totals, so bad bytes never make a bad sketch.
  void save(StateWriter& w) const;
  bool load(StateReader& r);

 private:
  // Buckets of one sign: counts[i] is the bucket of index offset + i. While
  // the store holds values, the lowest index it may use only grows, so a
  // value is always counted at max(its index, floor()).
  struct Store {
    std::vector<uint64_t> counts;
    int32_t offset = 0;  // index of counts[0]
    uint64_t total = 0;
    bool collapsed = false;
    int32_t top() const { return offset + static_cast<int32_t>(counts.size()) - 1; }
    int32_t floor() const { return top() - (kMaxBuckets - 1); }
    void add(int32_t index, uint64_t n);
    // Removes up to n from the bucket holding `index`; how many it removed.
    uint64_t remove(int32_t index, uint64_t n);
    void grow_up(int32_t index);  // counts covers index, folding what falls below the range
  };
  void change(double v, bool add);
  static int32_t index_of(double v);
  static double value_of(int32_t index);

  Store pos_, neg_;
  uint64_t zeros_ = 0, count_ = 0;
};

}  // namespace dta
