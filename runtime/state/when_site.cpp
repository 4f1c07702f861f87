// The `when` site (when_site.hpp): keys, samples, window closes and firing.
// The aggregation itself is in windows.cpp; all time arithmetic saturates.
#include "state/when_site.hpp"

#include <cmath>

#include "dta/hash.hpp"
#include "engine/engine_impl.hpp"

namespace dta {

using namespace win;

namespace {

// Distinct hashes a window keeps before it samples them: no fewer than 16,384
// whatever max_window_samples says, or the estimate would be off by more than
// the 1% the spec allows (its error is about 1 / sqrt(cap)).
constexpr size_t kMinDistinctCap = 16384;

// The sample memory of one sliding key: max_window_samples samples, or the
// same bytes of timestamp runs for count() and rate().
size_t runs_budget(const EngineOptions& o) {
  return std::min(o.max_window_samples, SIZE_MAX / sizeof(Sample)) * sizeof(Sample);
}

}  // namespace

void WhenSite::bind(const When& w, uint32_t unit, bool whole_last, bool may_mark_sensitive) {
  w_ = &w;
  unit_ = unit;
  whole_last_ = !w.sliding && whole_last;
  keys_.set_cap(m_.cap_for(unit, w.max_keys));
  keyed_ = !w.by.empty();
  window_ns_ = std::max<int64_t>(1, m_.const_int(w.window_k));
  for_ns_ = w.for_k >= 0 ? std::max<int64_t>(0, m_.const_int(w.for_k)) : 0;
  Event none;
  if (m_.eval(w.threshold, none, nullptr, &threshold_) != Status::Ok) threshold_ = Value::of_int(0);
  // Only sums, extremes and quantiles show a sample's value; a count of distinct values does not.
  const bool shows_values = w.arg >= 0 && w.agg != Agg::Distinct;
  value_may_be_sensitive_ = shows_values && may_mark_sensitive;
  const uint64_t shape = hash_finish(hash_value(w.site.shape, Value::of_int(window_ns_)));
  if (shape != shape_) clear();  // bound again to another shape: the old state means nothing here
  shape_ = shape;
}

// Keeps the event a tumbling window's actions will see: whole when they read
// its fields, else its name, id, time and severity (no copy of the fields).
void WhenSite::keep_last(WindowKey& k, const Event& ev) const {
  if (whole_last_) {
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
void WhenSite::note_approximate(WindowKey& k) {
  if (k.approximate) return;
  k.approximate = true;
  ++m_.rep.diagnostics.degraded_windows;
}

// Schedules the close of tumbling window `idx`, which is now the open one.
void WhenSite::open_window(int64_t idx) {
  open_ = idx;
  timer_window_ = idx;
  const int64_t due = window_last(idx, window_ns_);
  if (due == INT64_MAX) return;  // reaches past the end of time: never closes
  SiteTimer t;
  t.due = due;  // runs before any event after the window's last nanosecond
  t.site = handle();
  t.token = static_cast<uint64_t>(idx);
  m_.store.schedule(std::move(t));
}

// Runs a tumbling block's actions for window `idx` of key `k`.
void WhenSite::fire_tumbling(WindowKey& k, int64_t idx, const Value& value) {
  ++m_.units[unit_].stats.fired;
  const int64_t end = sat_add(window_last(idx, window_ns_), 1);
  ActionCtx ctx{unit_, &k.last, end, &value, nullptr, &k.labels};
  ctx.value_sensitive = k.value_sensitive;
  m_.run_actions(w_->actions, ctx);
}

// Evaluates a non-empty tumbling window of key `k` and fires if it meets the condition.
void WhenSite::close_full(WindowKey& k, int64_t idx) {
  Value value;
  const Got got = tumbling_value(*w_, k, window_ns_, &value);
  if (got == Got::ArithError) m_.count_miss(Status::ArithError, &m_.units[unit_].stats);
  if (got == Got::Value && compare(w_->cmp, value, threshold_)) fire_tumbling(k, idx, value);
}

// Closes the open tumbling window. Without `by`: evaluates it, or, when it
// is empty, the whole run of empty windows up to the last one that ends
// before `before` (and, when `by_timers`, before the next timer due, so
// timers stay in time order): they all have the same value, so either none
// fires (O(1)) or each does, one unit of the step's work budget each. With
// `by`: evaluates the keys with samples in it, and the keys whose samples
// were in the window before only (their one empty window; then they stop).
void WhenSite::close_open(int64_t before, bool by_timers) {
  const When& w = *w_;
  const int64_t idx = open_;
  if (!keyed_) {
    WindowKey& k = single_;
    if (k.count > 0) {
      close_full(k, idx);
      tumbling_reset(k);
      open_window(idx + 1);  // idx < before's window: no overflow
      return;
    }
    int64_t last = std::max(sat_sub(floor_div(before, window_ns_), 1), idx);  // the last to close before `before`
    Value value;
    if (empty_value(w.agg, &value) && compare(w.cmp, value, threshold_)) {
      // they fire: in time order with the other timers and with derived events
      int64_t stop = last;
      if (by_timers && m_.store.has_timers())
        stop = std::max(idx, std::min(stop, sat_sub(floor_div(m_.store.next_due(), window_ns_), 1)));
      for (int64_t x = idx;; ++x) {
        if (!m_.spend()) break;  // the rest of the run is skipped (diagnostics.work_limited)
        fire_tumbling(k, x, value);
        if (x == stop || !m_.emitted.empty()) {  // another timer, or derived events, come first
          last = x;
          break;
        }
      }
    }
    open_window(sat_add(last, 1));
    return;
  }
  for (const std::string& key : active_) {
    WindowKey* k = keys_.find(key);
    if (!k || k->window != idx || k->count == 0) continue;
    close_full(*k, idx);
    tumbling_reset(*k);
    k->window = idx + 1;  // silent so far in the next window
  }
  Value value;
  const bool empty_fires = empty_value(w.agg, &value) && compare(w.cmp, value, threshold_);
  for (const std::string& key : trailing_) {
    WindowKey* k = keys_.find(key);
    if (!k || k->window != idx || k->count != 0 || k->silent_seen) continue;
    k->silent_seen = true;  // seen silent once: no more windows until it has samples again
    if (empty_fires && m_.spend()) fire_tumbling(*k, idx, value);
  }
  trailing_.swap(active_);  // the keys just closed: their next window is `idx + 1`
  active_.clear();
  if (!trailing_.empty()) {
    open_window(idx + 1);
  } else {
    is_open_ = false;
  }
}

// Makes window `idx` (the window of an event at `ts`) the open one: starts the
// series, or closes what is still open before it (timers normally did), or,
// for an event older than the windows already closed, counts it in the open
// window. Returns the window the event counts in.
int64_t WhenSite::roll_to(int64_t idx, int64_t ts) {
  for (int guard = 0; is_open_ && idx > open_ && guard < 4; ++guard) close_open(ts, false);
  if (!is_open_ || idx > open_) {
    is_open_ = true;
    open_window(idx);
  }
  return std::min(idx, open_);
}

void WhenSite::event(const Event& ev) {
  const When& w = *w_;
  RuleReport& stats = m_.units[unit_].stats;
  if (!w.sliding && !keyed_) {  // every window from the first selected event is evaluated
    const int64_t idx = floor_div(ev.ts, window_ns_);
    if (!is_open_ || idx != open_) roll_to(idx, ev.ts);
    keep_last(single_, ev);
  }
  // the key
  std::string& key = m_.key_buf;
  if (keyed_) {
    key.clear();
    for (const Entry& b : w.by) {
      Value v;
      const Status st = m_.eval(b.chunk, ev, nullptr, &v);
      if (st != Status::Ok) {
        m_.count_miss(st, &stats);
        return;
      }
      Engine::Impl::append_key(key, v);
    }
  }
  // the sample: NaN and infinities never enter a window
  Num x;
  if (w.arg >= 0) {
    Value v;
    const Status st = m_.eval(w.arg, ev, nullptr, &v);
    if (st != Status::Ok) {
      m_.count_miss(st, &stats);
      return;
    }
    if (v.type == Type::Float) {
      if (!std::isfinite(v.f)) {
        m_.count_miss(Status::ArithError, &stats);
        return;
      }
      x = Num::of_float(v.f);
    } else if (v.type == Type::Int) {
      x = Num::of_int(v.i);
    } else if (w.agg != Agg::Distinct) {
      m_.count_miss(Status::TypeError, &stats);
      return;
    }
    if (w.agg == Agg::Distinct) x.i = static_cast<int64_t>(hash_finish(hash_value(kHashSeed, v)));
  }
  bool created = false;
  WindowKey& k = keyed_ ? keys_.touch(key, &created) : single_;
  if (value_may_be_sensitive_ && !k.value_sensitive && m_.reads_sensitive(w.arg, ActionCtx{unit_, &ev, ev.ts}))
    k.value_sensitive = true;
  if (created) {  // a new key: its labels, once
    const ActionCtx at{unit_, &ev, ev.ts};
    for (const Entry& b : w.by) {
      std::string text;
      m_.append_output(text, b.chunk, at);  // redacted when the key is sensitive
      k.labels.emplace_back(b.key, std::move(text));
    }
  }
  const size_t distinct_cap = std::max(kMinDistinctCap, m_.opts.max_window_samples);

  if (!w.sliding) {
    if (keyed_) {
      int64_t idx = floor_div(ev.ts, window_ns_);
      if (!is_open_ || idx != open_) idx = roll_to(idx, ev.ts);
      if (k.window != idx || k.silent_seen) {  // a fresh window for this key
        tumbling_reset(k);
        k.window = idx;
        k.silent_seen = false;
      }
      if (k.count == 0) {
        active_.push_back(key);
        if (active_.size() > 2 * keys_.size() + 16) {  // keys evicted and seen again: drop repeats
          size_t out = 0;
          for (size_t i = 0; i < active_.size(); ++i) {
            WindowKey* ak = keys_.find(active_[i]);
            if (!ak || ak->window != idx || ak->listed) continue;
            ak->listed = true;
            if (out != i) active_[out] = std::move(active_[i]);
            ++out;
          }
          active_.resize(out);
          for (const std::string& a : active_) keys_.find(a)->listed = false;
        }
      }
      keep_last(k, ev);
    }
    if (tumbling_add(w, k, x, distinct_cap)) note_approximate(k);
    return;
  }

  // sliding: add, expire what left (now - D, now], evaluate
  const int64_t now = std::max(ev.ts, k.last_ts);  // an older event counts at the key's newest time
  k.last_ts = now;
  const int64_t from = window_from(now, window_ns_);
  const Sample s{now, x};
  Value value;
  Got got;
  if (k.degraded && !degraded_expire(w, *k.degraded, from)) {  // all left: exact again
    k.degraded.reset();
    k.approximate = false;
  }
  if (k.degraded) {
    degraded_add(w, *k.degraded, s, 1, distinct_cap);
    got = degraded_value(w, *k.degraded, from, now, window_ns_, &value);
  } else {
    sliding_add(w, k, s);
    sliding_expire(w, k, from);
    const bool over = w.agg == Agg::Count || w.agg == Agg::Rate ? k.times.bytes() > runs_budget(m_.opts)
                                                                : k.samples.size() > m_.opts.max_window_samples;
    if (over) {  // exact state too big: degrade to slices
      ++m_.rep.diagnostics.degraded_windows;
      k.approximate = true;
      degrade(w, k, window_ns_, distinct_cap);
      got = degraded_value(w, *k.degraded, from, now, window_ns_, &value);
    } else {
      got = sliding_value(w, k, window_ns_, &value);
      if (w.agg == Agg::Quantile && k.sketch.collapsed()) note_approximate(k);
    }
  }
  if (got == Got::ArithError) m_.count_miss(Status::ArithError, &stats);
  if (got != Got::Value) return;
  fire_sliding(k, value, ev);
}

void WhenSite::fire_sliding(WindowKey& k, const Value& value, const Event& ev) {
  const int64_t now = std::max(ev.ts, k.last_ts);
  if (!compare(w_->cmp, value, threshold_)) {
    k.holding = false;
    k.fired = false;
    return;
  }
  if (!k.holding) {
    k.holding = true;
    k.true_since = now;
  }
  if (k.fired || sat_sub(now, k.true_since) < for_ns_) return;
  k.fired = true;
  ++m_.units[unit_].stats.fired;
  ActionCtx ctx{unit_, &ev, ev.ts, &value, nullptr, &k.labels};
  ctx.value_sensitive = k.value_sensitive;
  m_.run_actions(w_->actions, ctx);
}

void WhenSite::timer(const SiteTimer& t) {
  if (!is_open_ || open_ != static_cast<int64_t>(t.token)) return;  // a stale timer
  close_open(m_.last_ts, true);  // timers run before the event at last_ts
}

void WhenSite::rearm() {
  if (is_open_) open_window(open_);
}

void WhenSite::clear() {
  keys_.clear();
  single_ = WindowKey{};
  is_open_ = false;
  open_ = timer_window_ = INT64_MIN;
  active_.clear();
  trailing_.clear();
}

void WhenSite::save(StateWriter& w) const {
  w.flag(is_open_);
  w.i64(open_);
  for (const auto* list : {&active_, &trailing_}) {
    w.u64(list->size());
    for (const std::string& k : *list) w.str(k);
  }
  single_.save(w, *w_, m_.names);
  w.u64(keys_.size());
  keys_.each_oldest([&](const std::string& key, const WindowKey& k) {
    w.str(key);
    k.save(w, *w_, m_.names);
  });
}

bool WhenSite::load(StateReader& r) {
  clear();
  is_open_ = r.flag();
  open_ = r.i64();
  for (auto* list : {&active_, &trailing_}) {
    const uint64_t n = r.count(1);
    for (uint64_t i = 0; i < n && r.ok(); ++i) list->push_back(r.str());
  }
  single_.load(r, *w_, m_.names);
  const uint64_t n = r.count(2);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    const std::string key = r.str();
    if (keys_.find(key)) return r.bad(), clear(), false;  // each key once
    keys_.touch(key).load(r, *w_, m_.names);
  }
  if (!r.ok()) clear();
  return r.ok();
}

size_t WhenSite::memory() const {
  auto key_bytes = [](const WindowKey& k) {
    size_t b = sizeof(WindowKey) + k.times.bytes() + (k.samples.size() + k.minq.size() + k.maxq.size()) * sizeof(Sample) +
               k.sketch.counters() * 8 + k.distinct.held() * 16;
    if (k.degraded) b += sizeof(DegradedWindow) + k.degraded->ring.size() * sizeof(Bucket) + k.degraded->newest.size() * 16;
    for (const auto& [name, value] : k.labels) b += name.size() + value.size();
    return b;
  };
  size_t total = key_bytes(single_);
  keys_.each([&](const std::string& key, const WindowKey& k) { total += key.size() + key_bytes(k); });
  return total;
}

}  // namespace dta
