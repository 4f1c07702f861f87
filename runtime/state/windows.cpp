// `when` blocks (spec 5.1). Sliding windows: exact count/sum/avg/min/max/
// rate/distinct over (now - D, now] and quantiles from a DDSketch with
// deletions, evaluated at each selected event with edge triggering and
// `for`; a key over its memory cap degrades to time slices (counted).
// Tumbling windows: aligned to the epoch, closed by a timer when event time
// passes their end, empty ones included (runs of empty windows in O(1) when
// they do not fire). All time arithmetic saturates (time_math.hpp).
#include <algorithm>
#include <cmath>

#include "dta/hash.hpp"
#include "state/time_math.hpp"
#include "state/windows.hpp"

namespace dta {

// ------------------------------------------------------------ window parts

namespace {

// Little-endian base-128: 7 bits a byte, the high bit set on all but the last.
uint8_t* put_varint(uint8_t* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

uint64_t get_varint(const uint8_t*& p) {
  uint64_t v = *p++;
  if (v < 0x80) return v;
  v &= 0x7f;
  for (int shift = 7; shift < 64; shift += 7) {
    const uint8_t b = *p++;
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  return v;
}

constexpr uint64_t kEscapeDelta = uint64_t{1} << 62;  // deltas this big (146 years) are coded apart

}  // namespace

void TimeRuns::make_room() {
  if (end_ + kMaxRunBytes <= code_.size()) return;
  if (head_ * 2 >= end_ && head_ > 0) {  // half of it consumed: move the live bytes down
    std::copy(code_.begin() + static_cast<std::ptrdiff_t>(head_), code_.begin() + static_cast<std::ptrdiff_t>(end_),
              code_.begin());
    end_ -= head_;
    head_ = 0;
    if (end_ + kMaxRunBytes <= code_.size()) return;
  }
  code_.resize(std::max<size_t>(64, code_.size() * 2));
}

// A run is varint(delta << 1 | (n > 1)) then varint(n - 1) when n > 1; a
// delta of 2^62 or more is escaped as 1, 0, varint(delta), varint(n).
void TimeRuns::encode(uint64_t delta, uint64_t n) {
  make_room();
  uint8_t* p = code_.data() + end_;
  if (delta < kEscapeDelta) {
    p = put_varint(p, delta << 1 | (n > 1 ? 1 : 0));
    if (n > 1) p = put_varint(p, n - 1);
  } else {
    p = put_varint(p, 1);
    p = put_varint(p, 0);
    p = put_varint(p, delta);
    p = put_varint(p, n);
  }
  end_ = static_cast<size_t>(p - code_.data());
}

TimeRuns::Run TimeRuns::decode(const uint8_t*& p, int64_t prev) {
  const uint64_t v = get_varint(p);
  uint64_t delta = v >> 1, n = 1;
  if (v & 1) {
    const uint64_t m = get_varint(p);
    if (m == 0) {
      delta = get_varint(p);
      n = get_varint(p);
    } else {
      n = m + 1;
    }
  }
  return Run{static_cast<int64_t>(static_cast<uint64_t>(prev) + delta), n};  // wraps back into range
}

void TimeRuns::push(int64_t ts, uint64_t n) {
  total_ += n;
  if (runs_ == 0) {
    back_ = Run{ts, n};
    runs_ = 1;
    return;
  }
  if (ts <= back_.ts) {  // the same timestamp (or an older one, counted at the newest)
    back_.n += n;
    return;
  }
  if (runs_ == 1) {
    front_ = back_;
  } else {
    encode(static_cast<uint64_t>(back_.ts) - static_cast<uint64_t>(prev_ts_), back_.n);
  }
  prev_ts_ = back_.ts;
  back_ = Run{ts, n};
  ++runs_;
}

void TimeRuns::drop_before(int64_t from) {
  while (runs_ > 0) {
    if (runs_ == 1) {
      if (back_.ts < from) clear();
      return;
    }
    if (front_.ts >= from) return;
    total_ -= front_.n;
    if (--runs_ == 1) {  // back_ is the oldest now; nothing coded is left
      head_ = end_ = 0;
      continue;
    }
    const uint8_t* p = code_.data() + head_;
    front_ = decode(p, front_.ts);
    head_ = static_cast<size_t>(p - code_.data());
  }
}

void TimeRuns::clear() {
  front_ = back_ = Run{};
  code_ = {};
  head_ = end_ = 0;
  total_ = runs_ = 0;
}

void SumStacks::pop(const SampleQueue& window) {
  if (front_.empty()) {  // flip: every value of the window moves to the front
    front_.reserve(window.size());
    FSum acc;
    for (const Sample* s = window.end(); s != window.begin();) {
      --s;
      acc.add(s->x.as_double());
      front_.push_back(acc);
    }
    back_ = FSum{};
  }
  if (!front_.empty()) front_.pop_back();
}

void DistinctCounter::add(uint64_t h, size_t cap) {
  if (!kept(h)) return;
  ++counts_[h];
  while (counts_.size() > cap && level_ < 63) {
    ++level_;
    boost::unordered::erase_if(counts_, [&](const auto& kv) { return !kept(kv.first); });
  }
}

void DistinctCounter::remove(uint64_t h) {
  if (!kept(h)) return;
  auto it = counts_.find(h);
  if (it != counts_.end() && --it->second == 0) counts_.erase(it);
}

// ------------------------------------------------------------ arithmetic

namespace win {

int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b < 0 ? 1 : 0); }

// The last nanosecond of tumbling window `idx` of width w, when its close is
// due; INT64_MAX when the window reaches past the end of time (it never
// closes). The first window may start before INT64_MIN: its end is still exact.
int64_t window_last(int64_t idx, int64_t w) {
  const int64_t start = sat_mul(idx, w);
  if (start != INT64_MIN) return sat_add(start, w - 1);
  return sat_sub(sat_mul(sat_add(idx, 1), w), 1);
}

// The earliest time in the sliding window (now - D, now]: samples before it
// have left. INT64_MIN when now - D is before time began.
int64_t window_from(int64_t now, int64_t d) {
  return now < sat_add(INT64_MIN, d) ? INT64_MIN : sat_add(sat_sub(now, d), 1);
}

size_t ring_slot(int64_t idx) { return static_cast<size_t>(((idx % kRing) + kRing) % kRing); }

bool compare(Cmp c, const Value& v, const Value& t) {
  const bool ints = v.type == Type::Int && t.type == Type::Int;
  const double x = v.type == Type::Int ? static_cast<double>(v.i) : v.f;
  const double y = t.type == Type::Int ? static_cast<double>(t.i) : t.f;
  switch (c) {
    case Cmp::Gt: return ints ? v.i > t.i : x > y;
    case Cmp::Ge: return ints ? v.i >= t.i : x >= y;
    case Cmp::Lt: return ints ? v.i < t.i : x < y;
    case Cmp::Le: return ints ? v.i <= t.i : x <= y;
    case Cmp::Eq: return ints ? v.i == t.i : x == y;
    case Cmp::Ne: return ints ? v.i != t.i : x != y;
  }
  return false;
}

// ------------------------------------------------------------ values


Got float_value(double v, Value* out) {
  if (!std::isfinite(v)) return Got::ArithError;
  *out = Value::of_float(v);
  return Got::Value;
}

// sum: the exact int sum when every sample is an int, else the float sum.
template <class FloatSum>
Got sum_value(Int128 isum, uint64_t n_float, FloatSum fsum, Value* out) {
  if (n_float > 0) return float_value(fsum(), out);
  if (isum < INT64_MIN || isum > INT64_MAX) return Got::ArithError;
  *out = Value::of_int(static_cast<int64_t>(isum));
  return Got::Value;
}

// avg: of ints from the exact sum (right even when it passes int64).
template <class FloatSum>
Got avg_value(Int128 isum, uint64_t n_float, FloatSum fsum, uint64_t n, Value* out) {
  if (n_float > 0) return float_value(fsum() / static_cast<double>(n), out);
  const auto d = static_cast<Int128>(n);
  // the exact quotient (it fits int64) plus the remainder's fraction: one rounding each
  const Int128 q = isum / d, r = isum % d;
  return float_value(static_cast<double>(q) + static_cast<double>(r) / static_cast<double>(n), out);
}

// min / max: a float when the window holds a float.
Got num_value(const Num& x, uint64_t n_float, Value* out) {
  *out = n_float > 0 ? Value::of_float(x.as_double()) : Value::of_int(x.i);
  return Got::Value;
}

Value count_value(uint64_t n) { return Value::of_int(static_cast<int64_t>(std::min<uint64_t>(n, INT64_MAX))); }
Value rate_value(uint64_t n, int64_t window_ns) {
  return Value::of_float(static_cast<double>(n) * 1e9 / static_cast<double>(window_ns));
}

// The value of an empty tumbling window: count(), sum(e) and rate() are 0;
// the others have none.
bool empty_value(Agg agg, Value* out) {
  switch (agg) {
    case Agg::Count:
    case Agg::Sum: *out = Value::of_int(0); return true;
    case Agg::Rate: *out = Value::of_float(0); return true;
    default: return false;
  }
}

// An exact sliding window's value.
Got sliding_value(const When& w, const WindowKey& k, int64_t window_ns, Value* out) {
  if (w.agg == Agg::Count || w.agg == Agg::Rate) {
    if (k.times.empty()) return Got::None;
    *out = w.agg == Agg::Count ? count_value(k.times.count()) : rate_value(k.times.count(), window_ns);
    return Got::Value;
  }
  if (k.samples.empty()) return Got::None;
  const uint64_t n = k.samples.size();
  switch (w.agg) {
    case Agg::Sum: return sum_value(k.isum, k.n_float, [&] { return k.fsum.value(); }, out);
    case Agg::Avg: return avg_value(k.isum, k.n_float, [&] { return k.fsum.value(); }, n, out);
    case Agg::Min: return num_value(k.minq.front().x, k.n_float, out);
    case Agg::Max: return num_value(k.maxq.front().x, k.n_float, out);
    case Agg::Quantile: return float_value(k.sketch.quantile(w.q), out);
    case Agg::Distinct: *out = count_value(k.distinct.count()); return Got::Value;
    default: return Got::None;
  }
}

// A tumbling window's value (count > 0).
Got tumbling_value(const When& w, const WindowKey& k, int64_t window_ns, Value* out) {
  switch (w.agg) {
    case Agg::Count: *out = count_value(k.count); return Got::Value;
    case Agg::Rate: *out = rate_value(k.count, window_ns); return Got::Value;
    case Agg::Sum: return sum_value(k.isum, k.n_float, [&] { return k.tsum.value(); }, out);
    case Agg::Avg: return avg_value(k.isum, k.n_float, [&] { return k.tsum.value(); }, k.count, out);
    case Agg::Min: return num_value(k.tmin, k.n_float, out);
    case Agg::Max: return num_value(k.tmax, k.n_float, out);
    case Agg::Quantile: return float_value(k.sketch.quantile(w.q), out);
    case Agg::Distinct: *out = count_value(k.distinct.count()); return Got::Value;
  }
  return Got::None;
}

// ------------------------------------------------------------ sliding, exact

void sliding_add(const When& w, WindowKey& k, const Sample& s) {
  if (w.agg == Agg::Count || w.agg == Agg::Rate) {
    k.times.push(s.ts);
    return;
  }
  k.samples.push_back(s);
  if (!s.x.is_int) ++k.n_float;
  switch (w.agg) {
    case Agg::Sum:
    case Agg::Avg:
      if (s.x.is_int) k.isum += s.x.i;
      k.fsum.push(s.x.as_double());
      break;
    case Agg::Min:
      while (!k.minq.empty() && !num_less(k.minq.back().x, s.x)) k.minq.pop_back();
      k.minq.push_back(s);
      break;
    case Agg::Max:
      while (!k.maxq.empty() && !num_less(s.x, k.maxq.back().x)) k.maxq.pop_back();
      k.maxq.push_back(s);
      break;
    case Agg::Quantile: k.sketch.add(s.x.as_double()); break;
    case Agg::Distinct: k.distinct.add(static_cast<uint64_t>(s.x.i), SIZE_MAX); break;  // the sample cap bounds it
    default: break;
  }
}

// Drops the samples before `from`.
void sliding_expire(const When& w, WindowKey& k, int64_t from) {
  if (w.agg == Agg::Count || w.agg == Agg::Rate) {
    k.times.drop_before(from);
    return;
  }
  while (!k.samples.empty() && k.samples.front().ts < from) {
    const Sample& old = k.samples.front();
    if (!old.x.is_int) --k.n_float;
    switch (w.agg) {
      case Agg::Sum:
      case Agg::Avg:
        if (old.x.is_int) k.isum -= old.x.i;
        k.fsum.pop(k.samples);
        break;
      case Agg::Quantile: k.sketch.remove(old.x.as_double()); break;
      case Agg::Distinct: k.distinct.remove(static_cast<uint64_t>(old.x.i)); break;
      default: break;
    }
    k.samples.pop_front();
  }
  while (!k.minq.empty() && k.minq.front().ts < from) k.minq.pop_front();
  while (!k.maxq.empty() && k.maxq.front().ts < from) k.maxq.pop_front();
  if (k.samples.empty()) {
    k.isum = 0;
    k.n_float = 0;
    k.fsum.clear();
    k.sketch.clear();
    k.approximate = false;
  }
}

// ------------------------------------------------------------ sliding, degraded

void reset_bucket(Bucket& b, int64_t idx) {
  b.idx = idx;
  b.count = 0;
  b.isum = 0;
  b.n_float = 0;
  b.fsum = FSum{};
  b.min = b.max = Num{};
  b.sketch.clear();
  b.last_of = 0;
}

// Frees the slot of a slice that left the window.
void drop_bucket(const When& w, DegradedWindow& d, Bucket& b) {
  if (w.agg == Agg::Quantile) d.sketch.subtract(b.sketch);
  reset_bucket(b, 0);
}

bool dkept(uint64_t h, int level) { return level == 0 || (h >> (64 - level)) == 0; }

// Distinct hashes of a degraded window: each hash's newest slice, and per
// slice how many hashes are newest there. Beyond `cap` hashes, stale entries
// are swept and, if still too many, only a 2^-level sample of hashes is kept.
void degraded_distinct(DegradedWindow& d, int64_t idx, uint64_t h, size_t cap) {
  if (!dkept(h, d.level)) return;
  auto [it, fresh] = d.newest.try_emplace(h, idx);
  if (!fresh) {
    if (it->second == idx) return;
    Bucket& old = d.ring[ring_slot(it->second)];
    if (old.count && old.idx == it->second && old.last_of) --old.last_of;
    it->second = idx;
  }
  ++d.ring[ring_slot(idx)].last_of;
  if (d.newest.size() <= 2 * cap) return;  // sweep at 2 x cap: amortised O(1)
  auto live = [&](int64_t i) {
    const Bucket& b = d.ring[ring_slot(i)];
    return b.count && b.idx == i;
  };
  boost::unordered::erase_if(d.newest, [&](const auto& kv) { return !live(kv.second); });
  while (d.newest.size() > cap && d.level < 63) {
    ++d.level;
    boost::unordered::erase_if(d.newest, [&](const auto& kv) {
      if (dkept(kv.first, d.level)) return false;
      --d.ring[ring_slot(kv.second)].last_of;
      return true;
    });
  }
}

// Adds `n` samples at `s` to their slice (the slices before `from` already dropped).
void degraded_add(const When& w, DegradedWindow& d, const Sample& s, uint64_t n, size_t cap) {
  const int64_t idx = floor_div(s.ts, d.width);
  Bucket& b = d.ring[ring_slot(idx)];
  if (b.count && b.idx != idx) drop_bucket(w, d, b);  // an older slice in the slot (out of the window)
  if (b.count == 0) reset_bucket(b, idx);
  const bool first = b.count == 0;
  b.count += n;
  if (!s.x.is_int) b.n_float += n;
  switch (w.agg) {
    case Agg::Sum:
    case Agg::Avg:
      if (s.x.is_int) b.isum += s.x.i;
      b.fsum.add(s.x.as_double());
      break;
    case Agg::Min:
      if (first || num_less(s.x, b.min)) b.min = s.x;
      break;
    case Agg::Max:
      if (first || num_less(b.max, s.x)) b.max = s.x;
      break;
    case Agg::Quantile:
      b.sketch.add(s.x.as_double());
      d.sketch.add(s.x.as_double());
      break;
    case Agg::Distinct: degraded_distinct(d, idx, static_cast<uint64_t>(s.x.i), cap); break;
    default: break;
  }
}

// Drops the slices wholly before `from`; whether any slice is left.
bool degraded_expire(const When& w, DegradedWindow& d, int64_t from) {
  const int64_t first = floor_div(from, d.width);
  bool any = false;
  for (Bucket& b : d.ring) {
    if (b.count && b.idx < first) drop_bucket(w, d, b);
    any |= b.count != 0;
  }
  return any;
}

// The value of a degraded window: the slices from `from`'s to `now`'s, oldest first.
Got degraded_value(const When& w, const DegradedWindow& d, int64_t from, int64_t now, int64_t window_ns, Value* out) {
  const int64_t last = floor_div(now, d.width);
  const int64_t first = std::max(floor_div(from, d.width), sat_sub(last, kRing - 1));
  uint64_t count = 0, n_float = 0, distinct = 0;
  Int128 isum = 0;
  FSum fsum;
  Num min, max;
  for (int64_t i = first;; ++i) {
    const Bucket& b = d.ring[ring_slot(i)];
    if (b.count && b.idx == i) {
      min = count == 0 || num_less(b.min, min) ? b.min : min;
      max = count == 0 || num_less(max, b.max) ? b.max : max;
      count += b.count;
      n_float += b.n_float;
      isum += b.isum;
      fsum.add(b.fsum);
      distinct += b.last_of;
    }
    if (i == last) break;
  }
  if (count == 0) return Got::None;
  switch (w.agg) {
    case Agg::Count: *out = count_value(count); return Got::Value;
    case Agg::Rate: *out = rate_value(count, window_ns); return Got::Value;
    case Agg::Sum: return sum_value(isum, n_float, [&] { return fsum.value(); }, out);
    case Agg::Avg: return avg_value(isum, n_float, [&] { return fsum.value(); }, count, out);
    case Agg::Min: return num_value(min, n_float, out);
    case Agg::Max: return num_value(max, n_float, out);
    case Agg::Quantile: return float_value(d.sketch.quantile(w.q), out);
    case Agg::Distinct: *out = count_value(distinct << d.level); return Got::Value;
  }
  return Got::None;
}

// Moves a key's exact window into slices.
void degrade(const When& w, WindowKey& k, int64_t window_ns, size_t cap) {
  auto d = std::make_unique<DegradedWindow>();
  d->width = window_ns / kBuckets + (window_ns % kBuckets != 0 ? 1 : 0);
  d->ring.resize(kRing);
  if (w.agg == Agg::Count || w.agg == Agg::Rate) {
    k.times.each([&](int64_t ts, uint64_t n) { degraded_add(w, *d, Sample{ts, Num{}}, n, cap); });
    k.times.clear();
  } else {
    for (const Sample& s : k.samples) degraded_add(w, *d, s, 1, cap);
    k.samples.clear();
    k.minq.clear();
    k.maxq.clear();
    k.fsum.clear();
    k.sketch.clear();
    k.distinct.clear();
    k.isum = 0;
    k.n_float = 0;
  }
  k.degraded = std::move(d);
}

// ------------------------------------------------------------ tumbling

void tumbling_reset(WindowKey& k) {
  k.count = 0;
  k.isum = 0;
  k.n_float = 0;
  k.tsum = FSum{};
  k.sketch.clear();
  k.distinct.clear();
  k.approximate = false;
}

// Adds a sample to a key's open tumbling window; whether its value is now
// approximate beyond the aggregate's guarantee (a collapsed sketch, sampled hashes).
bool tumbling_add(const When& w, WindowKey& k, const Num& x, size_t cap) {
  const bool first = k.count == 0;
  ++k.count;
  switch (w.agg) {
    case Agg::Sum:
    case Agg::Avg:
      if (x.is_int) k.isum += x.i;
      else ++k.n_float;
      k.tsum.add(x.as_double());
      return false;
    case Agg::Min:
      if (!x.is_int) ++k.n_float;
      if (first || num_less(x, k.tmin)) k.tmin = x;
      return false;
    case Agg::Max:
      if (!x.is_int) ++k.n_float;
      if (first || num_less(k.tmax, x)) k.tmax = x;
      return false;
    case Agg::Quantile: k.sketch.add(x.as_double()); return k.sketch.collapsed();
    case Agg::Distinct: k.distinct.add(static_cast<uint64_t>(x.i), cap); return k.distinct.sampled();
    default: return false;
  }
}

}  // namespace win

}  // namespace dta
