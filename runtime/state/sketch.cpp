// DDSketch: logarithmic buckets with deletions, bounded to kMaxBuckets
// counters per sign.
#include "state/sketch.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace dta {
namespace {

constexpr double kGamma = (1 + DDSketch::kRelativeAccuracy) / (1 - DDSketch::kRelativeAccuracy);
const double kLogGamma = std::log(kGamma);
constexpr double kMinValue = 1e-12;  // smaller magnitudes count as zero

}  // namespace

// Finite v >= kMinValue: |index| < 75,000.
int32_t DDSketch::index_of(double v) { return static_cast<int32_t>(std::ceil(std::log(v) / kLogGamma)); }

// The estimate of a bucket; the top bucket of DBL_MAX would round past it.
double DDSketch::value_of(int32_t index) { return std::min(2.0 / (kGamma + 1) * std::pow(kGamma, index), DBL_MAX); }

void DDSketch::Store::grow_up(int32_t index) {
  const int32_t lowest = index - (kMaxBuckets - 1);
  if (lowest > offset) {  // the range would pass kMaxBuckets: what lies below `lowest` folds into it
    const size_t drop = std::min(counts.size(), static_cast<size_t>(lowest - offset));
    uint64_t folded = 0;
    for (size_t i = 0; i < drop; ++i) folded += counts[i];
    counts.erase(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(drop));
    if (counts.empty()) counts.assign(1, 0);  // everything was below: one bucket at `lowest`
    counts[0] += folded;
    if (folded) collapsed = true;
    offset = lowest;
  }
  counts.resize(static_cast<size_t>(index - offset) + 1, 0);
}

void DDSketch::Store::add(int32_t index, uint64_t n) {
  if (n == 0) return;
  if (counts.empty()) {
    counts.assign(1, 0);
    offset = index;
  } else if (index > top()) {
    grow_up(index);
  } else if (index < offset) {
    if (index < floor()) {
      index = floor();
      collapsed = true;
    }
    if (index < offset) {
      counts.insert(counts.begin(), static_cast<size_t>(offset - index), 0);
      offset = index;
    }
  }
  counts[static_cast<size_t>(index - offset)] += n;
  total += n;
}

uint64_t DDSketch::Store::remove(int32_t index, uint64_t n) {
  if (counts.empty() || index > top()) return 0;
  index = std::max(index, floor());
  if (index < offset) return 0;
  uint64_t& c = counts[static_cast<size_t>(index - offset)];
  const uint64_t r = std::min(c, n);
  c -= r;
  total -= r;
  if (total == 0) {  // empty: release the range (the floor may start again anywhere)
    counts.clear();
    counts.shrink_to_fit();
    offset = 0;
  }
  return r;
}

void DDSketch::change(double v, bool add) {
  if (!std::isfinite(v)) return;
  const double m = std::fabs(v);
  if (add) {
    if (m < kMinValue) {
      ++zeros_;
    } else {
      (v > 0 ? pos_ : neg_).add(index_of(m), 1);
    }
    ++count_;
    return;
  }
  if (count_ == 0) return;
  if (m < kMinValue) {
    if (zeros_ == 0) return;  // never added
    --zeros_;
  } else if ((v > 0 ? pos_ : neg_).remove(index_of(m), 1) == 0) {
    return;  // never added
  }
  --count_;
}

void DDSketch::merge(const DDSketch& other) {
  for (size_t i = 0; i < other.pos_.counts.size(); ++i)
    pos_.add(other.pos_.offset + static_cast<int32_t>(i), other.pos_.counts[i]);
  for (size_t i = 0; i < other.neg_.counts.size(); ++i)
    neg_.add(other.neg_.offset + static_cast<int32_t>(i), other.neg_.counts[i]);
  pos_.collapsed |= other.pos_.collapsed;
  neg_.collapsed |= other.neg_.collapsed;
  zeros_ += other.zeros_;
  count_ += other.count_;
}

void DDSketch::subtract(const DDSketch& other) {
  uint64_t removed = 0;
  for (size_t i = 0; i < other.pos_.counts.size(); ++i)
    removed += pos_.remove(other.pos_.offset + static_cast<int32_t>(i), other.pos_.counts[i]);
  for (size_t i = 0; i < other.neg_.counts.size(); ++i)
    removed += neg_.remove(other.neg_.offset + static_cast<int32_t>(i), other.neg_.counts[i]);
  const uint64_t z = std::min(zeros_, other.zeros_);
  zeros_ -= z;
  count_ -= std::min(count_, removed + z);
}

void DDSketch::clear() {
  pos_ = Store{};
  neg_ = Store{};
  zeros_ = count_ = 0;
}

double DDSketch::quantile(double q) const {
  if (count_ == 0) return 0;
  q = q >= 0 ? std::min(q, 1.0) : 0;  // NaN too
  const auto rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1));
  uint64_t seen = 0;
  // negatives, from the most negative (the highest index of the mirrored store)
  for (size_t i = neg_.counts.size(); i-- > 0;) {
    seen += neg_.counts[i];
    if (seen > rank) return -value_of(static_cast<int32_t>(i) + neg_.offset);
  }
  seen += zeros_;
  if (seen > rank) return 0;
  for (size_t i = 0; i < pos_.counts.size(); ++i) {
    seen += pos_.counts[i];
    if (seen > rank) return value_of(static_cast<int32_t>(i) + pos_.offset);
  }
  return pos_.counts.empty() ? 0 : value_of(pos_.top());
}

}  // namespace dta
