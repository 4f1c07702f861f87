// A `when` key's state as bytes and back (exported state). Derived parts are
// rebuilt through the same operations the window uses (timestamp runs are
// pushed, samples re-added), and every raw part is checked, so bytes from
// outside can give a wrong number at worst, never broken state.
#include <algorithm>

#include "state/codec.hpp"
#include "state/windows.hpp"

namespace dta {
namespace {

constexpr int32_t kMaxSketchIndex = 1 << 24;  // far beyond any double's bucket (about +-75,000)

void put_num(StateWriter& w, const Num& x) {
  w.flag(x.is_int);
  if (x.is_int) w.i64(x.i);
  else w.f64(x.f);
}
Num get_num(StateReader& r) {
  const bool is_int = r.flag();
  if (is_int) return Num::of_int(r.i64());
  const double f = r.f64();
  if (!std::isfinite(f)) r.bad();  // no NaN or infinity enters a window
  return Num::of_float(f);
}
__extension__ typedef unsigned __int128 UInt128;
void put_i128(StateWriter& w, Int128 v) {
  w.u64(static_cast<uint64_t>(v));
  w.u64(static_cast<uint64_t>(static_cast<UInt128>(v) >> 64));
}
Int128 get_i128(StateReader& r) {
  const uint64_t lo = r.u64(), hi = r.u64();
  return static_cast<Int128>((static_cast<UInt128>(hi) << 64) | lo);
}
void put_fsum(StateWriter& w, const FSum& s) {
  w.f64(s.hi);
  w.f64(s.lo);
}
FSum get_fsum(StateReader& r) {
  FSum s;
  s.hi = r.f64();
  s.lo = r.f64();
  return s;
}
bool counting(const When& w) { return w.agg == Agg::Count || w.agg == Agg::Rate; }

}  // namespace

void DDSketch::save(StateWriter& w) const {
  for (const Store* st : {&pos_, &neg_}) {
    w.flag(st->collapsed);
    w.i64(st->offset);
    w.u64(st->counts.size());
    for (uint64_t c : st->counts) w.u64(c);
  }
  w.u64(zeros_);
}

bool DDSketch::load(StateReader& r) {
  clear();
  for (Store* st : {&pos_, &neg_}) {
    st->collapsed = r.flag();
    const int64_t offset = r.i64();
    const uint64_t n = r.count();
    if (n > static_cast<uint64_t>(kMaxBuckets) || offset < -kMaxSketchIndex || offset > kMaxSketchIndex) return r.bad(), false;
    st->offset = static_cast<int32_t>(offset);
    st->counts.resize(n);
    st->total = 0;
    for (uint64_t& c : st->counts) {
      c = r.u64();
      if (c > UINT64_MAX - st->total) return r.bad(), false;
      st->total += c;
    }
  }
  zeros_ = r.u64();
  count_ = pos_.total + neg_.total + zeros_;
  if (count_ < zeros_ || pos_.total + neg_.total < pos_.total) r.bad();
  if (!r.ok()) clear();
  return r.ok();
}

void TimeRuns::save(StateWriter& w) const {
  w.u64(runs_);
  each([&](int64_t ts, uint64_t n) {
    w.i64(ts);
    w.u64(n);
  });
}

bool TimeRuns::load(StateReader& r) {
  clear();
  const uint64_t runs = r.count(2);
  int64_t last = INT64_MIN;
  for (uint64_t i = 0; i < runs && r.ok(); ++i) {
    const int64_t ts = r.i64();
    const uint64_t n = r.u64();
    // runs are strictly increasing in time, none empty, the total fits
    if ((i > 0 && ts <= last) || n == 0 || n > (UINT64_MAX >> 1) - total_) return r.bad(), clear(), false;
    push(ts, n);
    last = ts;
  }
  return r.ok();
}

void SampleQueue::save(StateWriter& w) const {
  w.u64(size());
  for (const Sample& s : *this) {
    w.i64(s.ts);
    put_num(w, s.x);
  }
}

bool SampleQueue::load(StateReader& r) {
  clear();
  const uint64_t n = r.count(3);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    Sample s;
    s.ts = r.i64();
    s.x = get_num(r);
    push_back(s);
  }
  return r.ok();
}

void SumStacks::save(StateWriter& w) const {
  w.u64(front_.size());
  for (const FSum& s : front_) put_fsum(w, s);
  put_fsum(w, back_);
}

bool SumStacks::load(StateReader& r, size_t window_size) {
  clear();
  const uint64_t n = r.count(16);
  if (n > window_size) return r.bad(), false;  // one entry per older value at most
  front_.resize(n);
  for (FSum& s : front_) s = get_fsum(r);
  back_ = get_fsum(r);
  return r.ok();
}

void DistinctCounter::save(StateWriter& w) const {
  w.u64(static_cast<uint64_t>(level_));
  std::vector<std::pair<uint64_t, uint32_t>> sorted(counts_.begin(), counts_.end());  // the same state, the same bytes
  std::sort(sorted.begin(), sorted.end());
  w.u64(sorted.size());
  for (const auto& [h, n] : sorted) {
    w.u64(h);
    w.u64(n);
  }
}

bool DistinctCounter::load(StateReader& r) {
  clear();
  const uint64_t level = r.u64();
  if (level > 63) return r.bad(), false;
  level_ = static_cast<int>(level);
  const uint64_t n = r.count(2);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    const uint64_t h = r.u64(), c = r.u64();
    if (c == 0 || c > UINT32_MAX || !kept(h)) return r.bad(), clear(), false;
    counts_[h] = static_cast<uint32_t>(c);
  }
  return r.ok();
}

void WindowKey::save(StateWriter& wr, const When& w, const Interner& names) const {
  wr.flag(value_sensitive);
  wr.i64(last_ts);
  wr.flag(degraded != nullptr);
  if (degraded) {
    const DegradedWindow& d = *degraded;
    wr.i64(d.width);
    for (const Bucket& b : d.ring) {
      wr.u64(b.count);
      if (!b.count) continue;
      wr.i64(b.idx);
      put_i128(wr, b.isum);
      wr.u64(b.n_float);
      put_fsum(wr, b.fsum);
      put_num(wr, b.min);
      put_num(wr, b.max);
      b.sketch.save(wr);
      wr.u64(b.last_of);
    }
    d.sketch.save(wr);
    std::vector<std::pair<uint64_t, int64_t>> newest(d.newest.begin(), d.newest.end());
    std::sort(newest.begin(), newest.end());
    wr.u64(newest.size());
    for (const auto& [h, idx] : newest) {
      wr.u64(h);
      wr.i64(idx);
    }
    wr.u64(static_cast<uint64_t>(d.level));
  } else if (w.sliding) {
    if (counting(w)) times.save(wr);
    else samples.save(wr);
    if (w.agg == Agg::Sum || w.agg == Agg::Avg) fsum.save(wr);
  }
  // tumbling
  wr.i64(window);
  wr.flag(silent_seen);
  wr.u64(count);
  put_fsum(wr, tsum);
  put_num(wr, tmin);
  put_num(wr, tmax);
  if (!w.sliding) {
    put_i128(wr, isum);
    wr.u64(n_float);
    sketch.save(wr);
    distinct.save(wr);
  }
  wr.flag(approximate);
  wr.i64(true_since);
  wr.flag(holding);
  wr.flag(fired);
  wr.event(last, names);
  wr.u64(labels.size());
  for (const auto& [k, v] : labels) {
    wr.str(k);
    wr.str(v);
  }
}

bool WindowKey::load(StateReader& r, const When& w, Interner& names) {
  *this = WindowKey{};  // loaded over a fresh key, whatever it held
  value_sensitive = r.flag();
  last_ts = r.i64();
  if (r.flag()) {
    auto d = std::make_unique<DegradedWindow>();
    d->width = r.i64();
    if (d->width < 1) return r.bad(), false;
    d->ring.resize(win::kRing);
    for (size_t slot = 0; slot < d->ring.size() && r.ok(); ++slot) {
      Bucket& b = d->ring[slot];
      b.count = r.u64();
      if (!b.count) continue;
      b.idx = r.i64();
      // a slice sits in the slot of its index
      if (static_cast<size_t>(((b.idx % win::kRing) + win::kRing) % win::kRing) != slot) return r.bad(), false;
      b.isum = get_i128(r);
      b.n_float = r.u64();
      b.fsum = get_fsum(r);
      b.min = get_num(r);
      b.max = get_num(r);
      b.sketch.load(r);
      b.last_of = r.u64();
    }
    d->sketch.load(r);
    const uint64_t n = r.count(2);
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      const uint64_t h = r.u64();
      d->newest[h] = r.i64();
    }
    const uint64_t level = r.u64();
    if (level > 63) r.bad();
    d->level = static_cast<int>(level);
    degraded = std::move(d);
  } else if (w.sliding) {
    if (counting(w)) {
      times.load(r);
    } else {
      SampleQueue saved;
      saved.load(r);
      const bool has_float = std::any_of(saved.begin(), saved.end(), [](const Sample& s) { return !s.x.is_int; });
      // distinct samples are hashes (ints); time never goes back within a window
      if (w.agg == Agg::Distinct && has_float) r.bad();
      int64_t prev = INT64_MIN;
      for (const Sample& s : saved) {
        if (s.ts < prev) return r.bad(), false;
        prev = s.ts;
        win::sliding_add(w, *this, s);  // rebuilds the extremes, sums, sketch, distinct hashes
      }
      if (w.agg == Agg::Sum || w.agg == Agg::Avg) fsum.load(r, samples.size());
    }
  }
  window = r.i64();
  silent_seen = r.flag();
  count = r.u64();
  tsum = get_fsum(r);
  tmin = get_num(r);
  tmax = get_num(r);
  if (!w.sliding) {
    isum = get_i128(r);
    n_float = r.u64();
    sketch.load(r);
    distinct.load(r);
  }
  approximate = r.flag();
  true_since = r.i64();
  holding = r.flag();
  fired = r.flag();
  r.event(last, names);
  const uint64_t n = r.count(2);
  labels.clear();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    std::string k = r.str();
    labels.emplace_back(std::move(k), r.str());
  }
  return r.ok();
}

}  // namespace dta
