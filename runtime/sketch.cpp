// DDSketch: logarithmic buckets with deletions.
#include "sketch.hpp"

#include <cmath>

namespace dta {
namespace {

constexpr double kGamma = (1 + DDSketch::kRelativeAccuracy) / (1 - DDSketch::kRelativeAccuracy);
const double kLogGamma = std::log(kGamma);
constexpr double kMinValue = 1e-12;  // smaller magnitudes count as zero

}  // namespace

int32_t DDSketch::index_of(double v) { return static_cast<int32_t>(std::ceil(std::log(v) / kLogGamma)); }

double DDSketch::value_of(int32_t index) { return 2.0 * std::pow(kGamma, index) / (kGamma + 1); }

void DDSketch::Store::add(int32_t index, uint64_t n) {
  if (n == 0) return;
  ensure(index);
  counts[static_cast<size_t>(index - offset)] += n;
}

void DDSketch::Store::change(int32_t index, int delta) {
  ensure(index);
  uint64_t& c = counts[static_cast<size_t>(index - offset)];
  if (delta < 0 && c == 0) return;  // removing what was never added: ignore
  c += static_cast<uint64_t>(static_cast<int64_t>(delta));
}

void DDSketch::Store::ensure(int32_t index) {
  if (counts.empty()) {
    counts.assign(1, 0);
    offset = index;
  } else if (index < offset) {
    counts.insert(counts.begin(), static_cast<size_t>(offset - index), 0);
    offset = index;
  } else if (index >= offset + static_cast<int32_t>(counts.size())) {
    counts.resize(static_cast<size_t>(index - offset + 1), 0);
  }
}

void DDSketch::change(double v, int delta) {
  if (std::isnan(v)) return;
  if (delta < 0 && count_ == 0) return;
  if (std::fabs(v) < kMinValue) {
    if (delta < 0 && zeros_ == 0) return;
    zeros_ += delta;
  } else if (v > 0) {
    pos_.change(index_of(v), delta);
  } else {
    neg_.change(index_of(-v), delta);
  }
  count_ += delta;
}

void DDSketch::merge(const DDSketch& other) {
  for (size_t i = 0; i < other.pos_.counts.size(); ++i)
    pos_.add(other.pos_.offset + static_cast<int32_t>(i), other.pos_.counts[i]);
  for (size_t i = 0; i < other.neg_.counts.size(); ++i)
    neg_.add(other.neg_.offset + static_cast<int32_t>(i), other.neg_.counts[i]);
  zeros_ += other.zeros_;
  count_ += other.count_;
}

void DDSketch::clear() {
  pos_ = Store{};
  neg_ = Store{};
  zeros_ = count_ = 0;
}

double DDSketch::quantile(double q) const {
  if (count_ == 0) return 0;
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
  return pos_.counts.empty() ? 0 : value_of(pos_.offset + static_cast<int32_t>(pos_.counts.size()) - 1);
}

}  // namespace dta
