// `when` blocks: sliding windows (exact count/sum/avg/min/max/rate/distinct
// over (now - D, now], quantiles from a DDSketch with deletions) evaluated at
// each selected event with edge triggering and `for`; tumbling windows aligned
// to the epoch, evaluated when a timer closes them.
#include <cmath>

#include "dta/hash.hpp"
#include "engine_impl.hpp"

namespace dta {
namespace {

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

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

// Adds one sample to the running aggregates shared by both window kinds.
void add_running(WindowKey& k, Agg agg, const Sample& s, bool is_int) {
  if (!is_int) k.all_int = false;
  if (is_int && __builtin_add_overflow(k.isum, s.iv, &k.isum)) k.int_overflow = true;
  k.fsum += s.v;
  if (agg == Agg::Quantile) k.sketch.add(s.v);
}

constexpr int64_t kBuckets = 64;  // slices of a degraded window (its time resolution: D / 64)

void bucket_add(Bucket& b, Agg agg, const Sample& s, bool is_int) {
  b.min = b.count ? std::min(b.min, s.v) : s.v;
  b.max = b.count ? std::max(b.max, s.v) : s.v;
  ++b.count;
  if (agg == Agg::Distinct) {
    ++b.distinct[static_cast<uint64_t>(s.iv)];
    return;
  }
  if (!is_int) b.all_int = false;
  b.isum += s.iv;
  b.fsum += s.v;
  if (agg == Agg::Quantile) b.sketch.add(s.v);
}

// Adds a sample to a degraded window's ring of buckets.
void degraded_add(WindowKey& k, Agg agg, const Sample& s, bool is_int, int64_t window_ns) {
  const int64_t width = std::max<int64_t>(1, (window_ns + kBuckets - 1) / kBuckets);
  const int64_t idx = s.ts / width - (s.ts % width < 0);
  Bucket& b = k.buckets[static_cast<size_t>(((idx % (kBuckets + 1)) + kBuckets + 1) % (kBuckets + 1))];
  if (b.start != idx * width) b = Bucket{idx * width};
  bucket_add(b, agg, s, is_int);
}

// The value of a degraded window: the buckets that overlap (now - D, now].
bool degraded_value(const When& w, const WindowKey& k, int64_t now, int64_t window_ns, Value* out) {
  const int64_t width = std::max<int64_t>(1, (window_ns + kBuckets - 1) / kBuckets);
  Bucket m;
  boost::unordered_flat_map<uint64_t, uint32_t> distinct;
  for (const Bucket& b : k.buckets) {
    if (b.count == 0 || b.start + width <= now - window_ns || b.start > now) continue;
    m.min = m.count ? std::min(m.min, b.min) : b.min;
    m.max = m.count ? std::max(m.max, b.max) : b.max;
    m.count += b.count;
    m.isum += b.isum;
    m.fsum += b.fsum;
    m.all_int = m.all_int && b.all_int;
    if (w.agg == Agg::Quantile) m.sketch.merge(b.sketch);
    if (w.agg == Agg::Distinct)
      for (const auto& kv : b.distinct) distinct[kv.first] += kv.second;
  }
  if (m.count == 0) return false;
  const double n = static_cast<double>(m.count);
  switch (w.agg) {
    case Agg::Count: *out = Value::of_int(static_cast<int64_t>(m.count)); break;
    case Agg::Rate: *out = Value::of_float(n * 1e9 / static_cast<double>(window_ns)); break;
    case Agg::Sum: *out = m.all_int ? Value::of_int(m.isum) : Value::of_float(m.fsum); break;
    case Agg::Avg: *out = Value::of_float(m.fsum / n); break;
    case Agg::Min: *out = m.all_int ? Value::of_int(static_cast<int64_t>(m.min)) : Value::of_float(m.min); break;
    case Agg::Max: *out = m.all_int ? Value::of_int(static_cast<int64_t>(m.max)) : Value::of_float(m.max); break;
    case Agg::Quantile: *out = Value::of_float(m.sketch.quantile(w.q)); break;
    case Agg::Distinct: *out = Value::of_int(static_cast<int64_t>(distinct.size())); break;
  }
  return true;
}

}  // namespace

void Engine::Impl::bind_windows() {
  whens.resize(prog->rules.size());
  for (uint32_t r = 0; r < prog->rules.size(); ++r) {
    for (const When& w : prog->rules[r].whens) {
      WhenState& ws = whens[r].emplace_back();
      ws.keys.set_cap(cap_for(r, w.max_keys));
      ws.keyed = !w.by.empty();
      ws.window_ns = std::max<int64_t>(1, const_int(w.window_k));
      ws.for_ns = w.for_k >= 0 ? const_int(w.for_k) : 0;
      Event none;
      if (eval(w.threshold, none, nullptr, &ws.threshold) != Status::Ok) ws.threshold = Value::of_int(0);
    }
  }
}

// The aggregate's current value for one key.
static bool window_value(const When& w, const WindowKey& k, uint64_t count, int64_t window_ns, Value* out) {
  if (count == 0) return false;
  switch (w.agg) {
    case Agg::Count: *out = Value::of_int(static_cast<int64_t>(count)); return true;
    case Agg::Rate: *out = Value::of_float(static_cast<double>(count) * 1e9 / static_cast<double>(window_ns)); return true;
    case Agg::Sum:
      if (k.all_int && !k.int_overflow) *out = Value::of_int(k.isum);
      else *out = Value::of_float(k.fsum);
      return true;
    case Agg::Avg: *out = Value::of_float(k.fsum / static_cast<double>(count)); return true;
    case Agg::Min:
    case Agg::Max: {
      double v;
      if (!k.samples.empty() || !k.minq.empty()) {
        const Sample& s = w.agg == Agg::Min ? k.minq.front() : k.maxq.front();
        v = s.v;
        if (k.all_int) {
          *out = Value::of_int(s.iv);
          return true;
        }
      } else {
        v = w.agg == Agg::Min ? k.tmin : k.tmax;
        if (k.all_int) {
          *out = Value::of_int(static_cast<int64_t>(v));
          return true;
        }
      }
      *out = Value::of_float(v);
      return true;
    }
    case Agg::Quantile: *out = Value::of_float(k.sketch.quantile(w.q)); return true;
    case Agg::Distinct: *out = Value::of_int(static_cast<int64_t>(k.distinct.size())); return true;
  }
  return false;
}

void Engine::Impl::when_event(uint32_t rule, uint32_t wi, const Event& ev) {
  const When& w = prog->rules[rule].whens[wi];
  WhenState& ws = whens[rule][wi];
  RuleReport& stats = units[rule].stats;
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
  // the sample
  Sample s{ev.ts, 0, 0};
  bool is_int = true;
  uint64_t distinct_hash = 0;
  if (w.arg >= 0) {
    Value v;
    const Status st = eval(w.arg, ev, nullptr, &v);
    if (st != Status::Ok) {
      count_miss(st, &stats);
      return;
    }
    if (w.agg == Agg::Distinct) {
      distinct_hash = hash_finish(hash_value(kHashSeed, v));
      s.iv = static_cast<int64_t>(distinct_hash);  // what the sample removes when it expires
    } else if (v.type == Type::Int) {
      s.iv = v.i;
      s.v = static_cast<double>(v.i);
    } else if (v.type == Type::Float) {
      s.v = v.f;
      is_int = false;
    } else {
      count_miss(Status::TypeError, &stats);
      return;
    }
  }
  bool created = false;
  WindowKey& k = ws.keyed ? ws.keys.touch(key, &created) : ws.single;
  if (created) {  // a new key: its labels, once
    const ActionCtx at{rule, &ev, ev.ts};
    for (const Entry& b : w.by) {
      std::string text;
      append_output(text, b.chunk, at);  // redacted when the key is sensitive
      k.labels.emplace_back(b.key, std::move(text));
    }
  }

  if (!w.sliding) {
    const int64_t idx = floor_div(ev.ts, ws.window_ns);
    if (k.window != idx) {  // a fresh window for this key
      const auto keep = std::move(k.labels);
      k = WindowKey{};
      k.labels = keep;
      k.window = idx;
    }
    if (k.count == 0) {
      k.tmin = k.tmax = s.v;
    } else {
      k.tmin = std::min(k.tmin, s.v);
      k.tmax = std::max(k.tmax, s.v);
    }
    ++k.count;
    add_running(k, w.agg, s, is_int);
    if (w.agg == Agg::Distinct) ++k.distinct[distinct_hash];
    k.last = ev;
    if (ws.timer_window != idx) {
      ws.timer_window = idx;
      Timer t{};
      t.kind = Timer::Kind::WindowClose;
      t.due = (idx + 1) * ws.window_ns - 1;  // runs before any event at or after the window's end
      t.a = rule;
      t.b = wi;
      t.window = idx;
      schedule(std::move(t));
    }
    return;
  }

  // sliding: add, expire what left (now - D, now], evaluate
  const int64_t now = ev.ts;
  Value value;
  if (!k.buckets.empty()) {  // degraded: bucket resolution
    degraded_add(k, w.agg, s, is_int, ws.window_ns);
    if (!degraded_value(w, k, now, ws.window_ns, &value)) return;
    fire_sliding(rule, wi, k, value, ev);
    return;
  }
  k.samples.push_back(s);
  if (w.agg != Agg::Distinct) add_running(k, w.agg, s, is_int);
  if (w.agg == Agg::Distinct) ++k.distinct[distinct_hash];
  if (w.agg == Agg::Min || w.agg == Agg::Max) {
    while (!k.minq.empty() && k.minq.back().v >= s.v) k.minq.pop_back();
    k.minq.push_back(s);
    while (!k.maxq.empty() && k.maxq.back().v <= s.v) k.maxq.pop_back();
    k.maxq.push_back(s);
  }
  const int64_t horizon = now - ws.window_ns;
  while (!k.samples.empty() && k.samples.front().ts <= horizon) {
    const Sample& old = k.samples.front();
    if (w.agg != Agg::Distinct) {
      k.isum -= old.iv;
      k.fsum -= old.v;
    }
    if (w.agg == Agg::Quantile) k.sketch.remove(old.v);
    if (w.agg == Agg::Distinct) {
      // samples of a distinct window carry the value's hash in iv
      auto it = k.distinct.find(static_cast<uint64_t>(old.iv));
      if (it != k.distinct.end() && --it->second == 0) k.distinct.erase(it);
    }
    k.samples.pop_front();
  }
  while (!k.minq.empty() && k.minq.front().ts <= horizon) k.minq.pop_front();
  while (!k.maxq.empty() && k.maxq.front().ts <= horizon) k.maxq.pop_front();
  if (k.samples.empty()) k.fsum = 0, k.isum = 0, k.all_int = true;
  if (k.samples.size() > opts.max_window_samples) {  // exact state too big: degrade to buckets
    ++rep.diagnostics.degraded_windows;
    k.buckets.assign(kBuckets + 1, Bucket{});
    for (const Sample& old : k.samples) degraded_add(k, w.agg, old, k.all_int, ws.window_ns);
    k.samples.clear();
    k.minq.clear();
    k.maxq.clear();
    k.sketch.clear();
    k.distinct.clear();
    if (!degraded_value(w, k, now, ws.window_ns, &value)) return;
  } else if (!window_value(w, k, k.samples.size(), ws.window_ns, &value)) {
    return;
  }
  fire_sliding(rule, wi, k, value, ev);
}

void Engine::Impl::fire_sliding(uint32_t rule, uint32_t wi, WindowKey& k, const Value& value, const Event& ev) {
  const When& w = prog->rules[rule].whens[wi];
  const WhenState& ws = whens[rule][wi];
  const int64_t now = ev.ts;
  if (!compare(w.cmp, value, ws.threshold)) {
    k.true_since = INT64_MIN;
    k.fired = false;
    return;
  }
  if (k.true_since == INT64_MIN) k.true_since = now;
  if (k.fired || now - k.true_since < ws.for_ns) return;
  k.fired = true;
  ++units[rule].stats.fired;
  ActionCtx ctx{rule, &ev, now, &value, nullptr, &k.labels};
  run_actions(w.actions, ctx);
}

void Engine::Impl::close_window(uint32_t rule, uint32_t wi, int64_t window) {
  const When& w = prog->rules[rule].whens[wi];
  WhenState& ws = whens[rule][wi];
  const int64_t end = (window + 1) * ws.window_ns;
  auto close = [&](WindowKey& k) {
    if (k.window != window || k.count == 0) return;
    Value value;
    if (window_value(w, k, k.count, ws.window_ns, &value) && compare(w.cmp, value, ws.threshold)) {
      ++units[rule].stats.fired;
      ActionCtx ctx{rule, &k.last, end, &value, nullptr, &k.labels};
      run_actions(w.actions, ctx);
    }
    k.window = INT64_MIN;
    k.count = 0;
  };
  if (ws.keyed) ws.keys.each([&](const std::string&, WindowKey& k) { close(k); });
  else close(ws.single);
}

}  // namespace dta
