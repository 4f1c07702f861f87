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
#include "engine/engine_impl.hpp"

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

void TimeRuns::push(int64_t ts) {
  ++total_;
  if (runs_ == 0) {
    back_ = Run{ts, 1};
    runs_ = 1;
    return;
  }
  if (ts <= back_.ts) {  // the same timestamp (or an older one, counted at the newest)
    ++back_.n;
    return;
  }
  if (runs_ == 1) {
    front_ = back_;
  } else {
    encode(static_cast<uint64_t>(back_.ts) - static_cast<uint64_t>(prev_ts_), back_.n);
  }
  prev_ts_ = back_.ts;
  back_ = Run{ts, 1};
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

namespace {

constexpr int64_t kBuckets = 64;         // slices of a degraded window (its time resolution: D / 64)
constexpr int64_t kRing = kBuckets + 1;  // a window of D overlaps at most 65 slices of ceil(D / 64)

// floor(a / b) for b > 0 (never overflows).
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

// What evaluating a window gave: a value, nothing (no samples, or an empty
// window of an aggregate without a value there), or an arithmetic error (an
// int sum past int64, a float sum past the double range).
enum class Got : uint8_t { Value, None, ArithError };

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

}  // namespace

// ------------------------------------------------------------ the engine's part

namespace {

// Whether any code of a tumbling block's actions reads the fields of the
// event its actions see (the key's last event); when none does, the engine
// keeps only that event's name, id, time and severity.
bool actions_read_fields(const Program& p, const std::vector<Action>& actions) {
  auto chunk = [&](int32_t c) {
    if (c < 0) return false;
    for (const Instr& in : p.chunks[c].code)
      if ((in.op >= Op::LOADF && in.op <= Op::LOADF_B) || in.op == Op::HAS) return true;
    return false;
  };
  auto tmpl = [&](int32_t t) {
    if (t < 0) return false;
    for (const TemplatePart& part : p.templates[t].parts)
      if (chunk(part.chunk)) return true;
    return false;
  };
  auto entries = [&](const std::vector<Entry>& es) {
    for (const Entry& e : es)
      if (chunk(e.chunk) || tmpl(e.tmpl)) return true;
    return false;
  };
  for (const Action& a : actions)
    if (tmpl(a.tmpl) || chunk(a.chunk) || entries(a.entries) || entries(a.dedup)) return true;
  return false;
}

}  // namespace

void Engine::Impl::bind_windows() {
  whens.resize(prog->rules.size());
  // A value can be sensitive only when a schema declares a sensitive field or
  // an `emit` may copy one: otherwise no sample needs checking.
  bool may_mark_sensitive = !prog->sensitive.empty();
  auto has_emit = [](const std::vector<Action>& list) {
    for (const Action& a : list)
      if (a.kind == ActionKind::Emit) return true;
    return false;
  };
  for (const Rule& r : prog->rules) {
    may_mark_sensitive |= has_emit(r.actions);
    for (const When& w : r.whens) may_mark_sensitive |= has_emit(w.actions);
    for (const Expect& x : r.expects) may_mark_sensitive |= has_emit(x.then_actions) || has_emit(x.else_actions);
  }
  for (const Machine& mach : prog->machines)
    for (const MachineState& st : mach.states)
      for (const Transition& t : st.transitions) may_mark_sensitive |= has_emit(t.actions);
  for (uint32_t r = 0; r < prog->rules.size(); ++r) {
    for (const When& w : prog->rules[r].whens) {
      WhenState& ws = whens[r].emplace_back();
      ws.whole_last = !w.sliding && actions_read_fields(*prog, w.actions);
      ws.keys.set_cap(cap_for(r, w.max_keys));
      ws.keyed = !w.by.empty();
      ws.window_ns = std::max<int64_t>(1, const_int(w.window_k));
      ws.for_ns = w.for_k >= 0 ? std::max<int64_t>(0, const_int(w.for_k)) : 0;
      Event none;
      if (eval(w.threshold, none, nullptr, &ws.threshold) != Status::Ok) ws.threshold = Value::of_int(0);
      // Only sums, extremes and quantiles show a sample's value; a count of distinct values does not.
      const bool shows_values = w.arg >= 0 && w.agg != Agg::Distinct;
      ws.value_may_be_sensitive = shows_values && may_mark_sensitive;
    }
  }
}

namespace {

using Impl = Engine::Impl;

// Distinct hashes a window keeps before it samples them: no fewer than 16,384
// whatever max_window_samples says, or the estimate would be off by more than
// the 1% the spec allows (its error is about 1 / sqrt(cap)).
constexpr size_t kMinDistinctCap = 16384;

// The sample memory of one sliding key: max_window_samples samples, or the
// same bytes of timestamp runs for count() and rate().
size_t runs_budget(const EngineOptions& o) {
  return std::min(o.max_window_samples, SIZE_MAX / sizeof(Sample)) * sizeof(Sample);
}

// Keeps the event a tumbling window's actions will see: whole when they read
// its fields, else its name, id, time and severity (no copy of the fields).
void keep_last(const WhenState& ws, WindowKey& k, const Event& ev) {
  if (ws.whole_last) {
    k.last = ev;
    return;
  }
  k.last.ts = ev.ts;
  k.last.name = ev.name;
  k.last.has_id = ev.has_id;
  k.last.id = ev.id;
  k.last.severity = ev.severity;
}

// Counts a key's window whose value became approximate, once.
void note_approximate(Impl& m, WindowKey& k) {
  if (k.approximate) return;
  k.approximate = true;
  ++m.rep.diagnostics.degraded_windows;
}

// Schedules the close of tumbling window `idx`, which is now the open one.
void open_window(Impl& m, uint32_t rule, uint32_t wi, int64_t idx) {
  WhenState& ws = m.whens[rule][wi];
  ws.open = idx;
  ws.timer_window = idx;
  const int64_t due = window_last(idx, ws.window_ns);
  if (due == INT64_MAX) return;  // reaches past the end of time: never closes
  Timer t{};
  t.kind = Timer::Kind::WindowClose;
  t.due = due;  // runs before any event after the window's last nanosecond
  t.a = rule;
  t.b = wi;
  t.window = idx;
  m.schedule(std::move(t));
}

// Runs a tumbling block's actions for window `idx` of key `k`.
void fire_tumbling(Impl& m, uint32_t rule, const When& w, WindowKey& k, int64_t idx, int64_t window_ns,
                   const Value& value) {
  ++m.units[rule].stats.fired;
  const int64_t end = sat_add(window_last(idx, window_ns), 1);
  ActionCtx ctx{rule, &k.last, end, &value, nullptr, &k.labels};
  ctx.value_sensitive = k.value_sensitive;
  m.run_actions(w.actions, ctx);
}

// Evaluates a non-empty tumbling window of key `k` and fires if it meets the condition.
void close_full(Impl& m, uint32_t rule, const When& w, const WhenState& ws, WindowKey& k, int64_t idx) {
  Value value;
  const Got got = tumbling_value(w, k, ws.window_ns, &value);
  if (got == Got::ArithError) m.count_miss(Status::ArithError, &m.units[rule].stats);
  if (got == Got::Value && compare(w.cmp, value, ws.threshold)) fire_tumbling(m, rule, w, k, idx, ws.window_ns, value);
}

// Closes the open tumbling window. Without `by`: evaluates it, or, when it
// is empty, the whole run of empty windows up to the last one that ends
// before `before` (and, when `by_timers`, before the next timer due, so
// timers stay in time order): they all have the same value, so either none
// fires (O(1)) or each does, one unit of the step's work budget each. With
// `by`: evaluates the keys with samples in it, and the keys whose samples
// were in the window before only (their one empty window; then they stop).
void close_open(Impl& m, uint32_t rule, uint32_t wi, int64_t before, bool by_timers) {
  const When& w = m.prog->rules[rule].whens[wi];
  WhenState& ws = m.whens[rule][wi];
  const int64_t idx = ws.open;
  if (!ws.keyed) {
    WindowKey& k = ws.single;
    if (k.count > 0) {
      close_full(m, rule, w, ws, k, idx);
      tumbling_reset(k);
      open_window(m, rule, wi, idx + 1);  // idx < before's window: no overflow
      return;
    }
    int64_t last = std::max(sat_sub(floor_div(before, ws.window_ns), 1), idx);  // the last to close before `before`
    Value value;
    if (empty_value(w.agg, &value) && compare(w.cmp, value, ws.threshold)) {
      // they fire: in time order with the other timers and with derived events
      int64_t stop = last;
      if (by_timers && !m.timers.empty())
        stop = std::max(idx, std::min(stop, sat_sub(floor_div(m.timers.top().due, ws.window_ns), 1)));
      for (int64_t x = idx;; ++x) {
        if (!m.spend()) break;  // the rest of the run is skipped (diagnostics.work_limited)
        fire_tumbling(m, rule, w, k, x, ws.window_ns, value);
        if (x == stop || !m.emitted.empty()) {  // another timer, or derived events, come first
          last = x;
          break;
        }
      }
    }
    open_window(m, rule, wi, sat_add(last, 1));
    return;
  }
  for (const std::string& key : ws.active) {
    WindowKey* k = ws.keys.find(key);
    if (!k || k->window != idx || k->count == 0) continue;
    close_full(m, rule, w, ws, *k, idx);
    tumbling_reset(*k);
    k->window = idx + 1;  // silent so far in the next window
  }
  Value value;
  const bool empty_fires = empty_value(w.agg, &value) && compare(w.cmp, value, ws.threshold);
  for (const std::string& key : ws.trailing) {
    WindowKey* k = ws.keys.find(key);
    if (!k || k->window != idx || k->count != 0 || k->silent_seen) continue;
    k->silent_seen = true;  // seen silent once: no more windows until it has samples again
    if (empty_fires && m.spend()) fire_tumbling(m, rule, w, *k, idx, ws.window_ns, value);
  }
  ws.trailing.swap(ws.active);  // the keys just closed: their next window is `idx + 1`
  ws.active.clear();
  if (!ws.trailing.empty()) {
    open_window(m, rule, wi, idx + 1);
  } else {
    ws.is_open = false;
  }
}

// Makes window `idx` (the window of an event at `ts`) the open one: starts the
// series, or closes what is still open before it (timers normally did), or,
// for an event older than the windows already closed, counts it in the open
// window. Returns the window the event counts in.
int64_t roll_to(Impl& m, uint32_t rule, uint32_t wi, int64_t idx, int64_t ts) {
  WhenState& ws = m.whens[rule][wi];
  for (int guard = 0; ws.is_open && idx > ws.open && guard < 4; ++guard) close_open(m, rule, wi, ts, false);
  if (!ws.is_open || idx > ws.open) {
    ws.is_open = true;
    open_window(m, rule, wi, idx);
  }
  return std::min(idx, ws.open);
}

}  // namespace

void Engine::Impl::when_event(uint32_t rule, uint32_t wi, const Event& ev) {
  const When& w = prog->rules[rule].whens[wi];
  WhenState& ws = whens[rule][wi];
  RuleReport& stats = units[rule].stats;
  if (!w.sliding && !ws.keyed) {  // every window from the first selected event is evaluated
    const int64_t idx = floor_div(ev.ts, ws.window_ns);
    if (!ws.is_open || idx != ws.open) roll_to(*this, rule, wi, idx, ev.ts);
    keep_last(ws, ws.single, ev);
  }
  // the key
  std::string& key = key_buf;
  if (ws.keyed) {
    key.clear();
    for (const Entry& b : w.by) {
      Value v;
      const Status st = eval(b.chunk, ev, nullptr, &v);
      if (st != Status::Ok) {
        count_miss(st, &stats);
        return;
      }
      append_key(key, v);
    }
  }
  // the sample: NaN and infinities never enter a window
  Num x;
  if (w.arg >= 0) {
    Value v;
    const Status st = eval(w.arg, ev, nullptr, &v);
    if (st != Status::Ok) {
      count_miss(st, &stats);
      return;
    }
    if (v.type == Type::Float) {
      if (!std::isfinite(v.f)) {
        count_miss(Status::ArithError, &stats);
        return;
      }
      x = Num::of_float(v.f);
    } else if (v.type == Type::Int) {
      x = Num::of_int(v.i);
    } else if (w.agg != Agg::Distinct) {
      count_miss(Status::TypeError, &stats);
      return;
    }
    if (w.agg == Agg::Distinct) x.i = static_cast<int64_t>(hash_finish(hash_value(kHashSeed, v)));
  }
  bool created = false;
  WindowKey& k = ws.keyed ? ws.keys.touch(key, &created) : ws.single;
  if (ws.value_may_be_sensitive && !k.value_sensitive && reads_sensitive(w.arg, ActionCtx{rule, &ev, ev.ts}))
    k.value_sensitive = true;
  if (created) {  // a new key: its labels, once
    const ActionCtx at{rule, &ev, ev.ts};
    for (const Entry& b : w.by) {
      std::string text;
      append_output(text, b.chunk, at);  // redacted when the key is sensitive
      k.labels.emplace_back(b.key, std::move(text));
    }
  }
  const size_t distinct_cap = std::max(kMinDistinctCap, opts.max_window_samples);

  if (!w.sliding) {
    if (ws.keyed) {
      int64_t idx = floor_div(ev.ts, ws.window_ns);
      if (!ws.is_open || idx != ws.open) idx = roll_to(*this, rule, wi, idx, ev.ts);
      if (k.window != idx || k.silent_seen) {  // a fresh window for this key
        tumbling_reset(k);
        k.window = idx;
        k.silent_seen = false;
      }
      if (k.count == 0) {
        ws.active.push_back(key);
        if (ws.active.size() > 2 * ws.keys.size() + 16) {  // keys evicted and seen again: drop repeats
          size_t out = 0;
          for (size_t i = 0; i < ws.active.size(); ++i) {
            WindowKey* ak = ws.keys.find(ws.active[i]);
            if (!ak || ak->window != idx || ak->listed) continue;
            ak->listed = true;
            if (out != i) ws.active[out] = std::move(ws.active[i]);
            ++out;
          }
          ws.active.resize(out);
          for (const std::string& a : ws.active) ws.keys.find(a)->listed = false;
        }
      }
      keep_last(ws, k, ev);
    }
    if (tumbling_add(w, k, x, distinct_cap)) note_approximate(*this, k);
    return;
  }

  // sliding: add, expire what left (now - D, now], evaluate
  const int64_t now = std::max(ev.ts, k.last_ts);  // an older event counts at the key's newest time
  k.last_ts = now;
  const int64_t from = window_from(now, ws.window_ns);
  const Sample s{now, x};
  Value value;
  Got got;
  if (k.degraded && !degraded_expire(w, *k.degraded, from)) {  // all left: exact again
    k.degraded.reset();
    k.approximate = false;
  }
  if (k.degraded) {
    degraded_add(w, *k.degraded, s, 1, distinct_cap);
    got = degraded_value(w, *k.degraded, from, now, ws.window_ns, &value);
  } else {
    sliding_add(w, k, s);
    sliding_expire(w, k, from);
    const bool over = w.agg == Agg::Count || w.agg == Agg::Rate ? k.times.bytes() > runs_budget(opts)
                                                                : k.samples.size() > opts.max_window_samples;
    if (over) {  // exact state too big: degrade to slices
      ++rep.diagnostics.degraded_windows;
      k.approximate = true;
      degrade(w, k, ws.window_ns, distinct_cap);
      got = degraded_value(w, *k.degraded, from, now, ws.window_ns, &value);
    } else {
      got = sliding_value(w, k, ws.window_ns, &value);
      if (w.agg == Agg::Quantile && k.sketch.collapsed()) note_approximate(*this, k);
    }
  }
  if (got == Got::ArithError) count_miss(Status::ArithError, &stats);
  if (got != Got::Value) return;
  fire_sliding(rule, wi, k, value, ev);
}

void Engine::Impl::fire_sliding(uint32_t rule, uint32_t wi, WindowKey& k, const Value& value, const Event& ev) {
  const When& w = prog->rules[rule].whens[wi];
  const WhenState& ws = whens[rule][wi];
  const int64_t now = std::max(ev.ts, k.last_ts);
  if (!compare(w.cmp, value, ws.threshold)) {
    k.holding = false;
    k.fired = false;
    return;
  }
  if (!k.holding) {
    k.holding = true;
    k.true_since = now;
  }
  if (k.fired || sat_sub(now, k.true_since) < ws.for_ns) return;
  k.fired = true;
  ++units[rule].stats.fired;
  ActionCtx ctx{rule, &ev, ev.ts, &value, nullptr, &k.labels};
  ctx.value_sensitive = k.value_sensitive;
  run_actions(w.actions, ctx);
}

void Engine::Impl::close_window(uint32_t rule, uint32_t wi, int64_t window) {
  const WhenState& ws = whens[rule][wi];
  if (!ws.is_open || ws.open != window) return;  // a stale timer
  close_open(*this, rule, wi, last_ts, true);  // timers run before the event at last_ts
}

}  // namespace dta
