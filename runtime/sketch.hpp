// DDSketch (Masson, Rim, Lee; VLDB 2019): quantiles with a guaranteed relative
// error, and — unlike t-digest or KLL — deletions, which sliding windows need.
// Values map to logarithmic buckets of ratio gamma = (1+a)/(1-a); the
// estimate of a bucket is within a (here 0.5%) of every value in it.
#pragma once
#include <cstdint>
#include <vector>

namespace dta {

class DDSketch {
 public:
  static constexpr double kRelativeAccuracy = 0.005;

  void add(double v) { change(v, +1); }
  void remove(double v) { change(v, -1); }
  uint64_t count() const { return count_; }
  void clear();
  // Adds every value of `other` (the union of both multisets).
  void merge(const DDSketch& other);
  // The value of rank floor(q * (count - 1)) of the sorted values, within
  // 0.5% relative error. count() must be > 0.
  double quantile(double q) const;

 private:
  // Buckets for positive and (mirrored) negative values; zero counted apart.
  struct Store {
    std::vector<uint64_t> counts;
    int32_t offset = 0;  // index of counts[0]
    void change(int32_t index, int delta);
    void add(int32_t index, uint64_t n);
    void ensure(int32_t index);  // counts covers index
  };
  void change(double v, int delta);
  static int32_t index_of(double v);
  static double value_of(int32_t index);

  Store pos_, neg_;
  uint64_t zeros_ = 0, count_ = 0;
};

}  // namespace dta
