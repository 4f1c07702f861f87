// The `expect` site (expectations.hpp).
#include "state/expectations.hpp"

#include <fmt/format.h>

#include "engine/engine_impl.hpp"

namespace dta {

ExpectSite::ExpectSite(std::string id, Engine::Impl& engine) : SiteState(std::move(id)), m_(engine) {
  pending_.on_evict = [this](const std::string&, Pending& p) { forget(p.match, p.id); };
}

void ExpectSite::bind(const Expect& x, uint32_t unit) {
  x_ = &x;
  unit_ = unit;
  pending_.set_cap(m_.cap_for(unit, x.max_pending));
  within_ns_ = m_.const_int(x.within_k);
  // The verifier checked the constant is an int; the compiler, its range (a .dtb's is clamped).
  const int64_t count = x.count_k < 0 ? 1 : m_.const_int(x.count_k);
  count_ = static_cast<uint32_t>(std::clamp<int64_t>(count, 1, kMaxExpectCount));
  if (x.site.shape != shape_) clear();  // bound again to another shape: the old state means nothing here
  shape_ = x.site.shape;
}

bool ExpectSite::match_key(const Event& ev, std::string* out) const {
  for (const std::string& f : x_->matching) {
    const uint32_t key = m_.names.find(f);
    const Field* field = key == Interner::kNone ? nullptr : ev.find(key);
    if (!field) return false;
    Engine::Impl::append_key(*out, ev.value(*field));
  }
  return true;
}

void ExpectSite::forget(const std::string& match, uint64_t id) {
  auto list = by_match_.find(match);
  if (list == by_match_.end()) return;
  auto& ids = list->second;
  ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
  if (ids.empty()) by_match_.erase(list);
}

void ExpectSite::schedule(const Pending& p) {
  SiteTimer t;
  t.due = p.deadline;
  t.site = handle();
  t.token = p.id;
  m_.store.schedule(std::move(t));
}

void ExpectSite::start(const Event& ev) {
  std::string match;
  if (!match_key(ev, &match)) {
    m_.count_miss(Status::MissingField, &m_.units[unit_].stats);
    return;
  }
  const uint64_t id = next_id_++;
  Pending& p = pending_.touch(id_key(id));
  p.id = id;
  p.deadline = sat_add(ev.ts, within_ns_);
  p.start = ev;
  p.match = match;
  by_match_[match].push_back(id);
  schedule(p);
}

void ExpectSite::arrival(const Event& ev) {
  if (pending_.size() == 0) return;
  const Expect& x = *x_;
  std::string match;
  if (!match_key(ev, &match)) return;
  auto list = by_match_.find(match);
  if (list == by_match_.end()) return;
  std::vector<uint64_t>& ids = list->second;
  RuleReport& stats = m_.units[unit_].stats;
  for (size_t i = 0; i < ids.size();) {
    Pending* p = pending_.find(id_key(ids[i]));
    if (!p) {  // evicted or already met
      ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    ActionCtx ctx{unit_, &ev, ev.ts, nullptr, &p->start, nullptr};
    ctx.key_names = x.matching.data();
    ctx.key_count = static_cast<uint32_t>(x.matching.size());
    if (!m_.where(x.where, ev, &stats, &ctx) || ++p->arrived < count_) {  // not yet the N-th arrival
      ++i;
      continue;
    }
    if (x.has_then) {
      if (!x.then_actions.empty()) ++stats.fired;
      const Event start = p->start;  // the actions may evict p
      const Value arrived = Value::of_int(p->arrived);
      ctx.start = &start;
      ctx.key_event = &start;
      ctx.value = &arrived;
      m_.run_actions(x.then_actions, ctx);
    }
    pending_.erase(id_key(ids[i]));
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(i));
  }
  if (ids.empty()) by_match_.erase(list);
}

void ExpectSite::timer(const SiteTimer& t) {
  const Expect& x = *x_;
  Pending* p = pending_.find(id_key(t.token));
  if (!p) return;  // met, or evicted
  const Pending done = std::move(*p);
  pending_.erase(id_key(t.token));
  forget(done.match, t.token);
  if (!x.has_else) return;
  if (!x.else_actions.empty()) ++m_.units[unit_].stats.fired;
  const Value arrived = Value::of_int(done.arrived);
  ActionCtx ctx{unit_, &done.start, done.deadline, &arrived, &done.start, nullptr};
  ctx.key_names = x.matching.data();
  ctx.key_count = static_cast<uint32_t>(x.matching.size());
  ctx.key_event = &done.start;
  m_.run_actions(x.else_actions, ctx);
}

void ExpectSite::rearm() {
  pending_.each_oldest([&](const std::string&, const Pending& p) { schedule(p); });
}

void ExpectSite::pending(std::vector<PendingItem>& out, uint64_t* timers) const {
  const Expect& x = *x_;
  pending_.each([&](const std::string&, const Pending& p) {
    out.push_back({m_.unit_name(unit_), "expectation",
                   m_.fields_as_labels(p.start, x.matching.data(), static_cast<uint32_t>(x.matching.size())),
                   p.deadline, count_ > 1 ? fmt::format("{} of {} arrived", p.arrived, count_) : ""});
  });
}

void ExpectSite::clear() {
  pending_.clear();
  by_match_.clear();
  next_id_ = 1;
}

void ExpectSite::save(StateWriter& w) const {
  w.u64(next_id_);
  w.u64(pending_.size());
  pending_.each_oldest([&](const std::string&, const Pending& p) {
    w.u64(p.id);
    w.i64(p.deadline);
    w.event(p.start, m_.names);
  });
  save_arrivals(w);
}

// Arrivals are written after the list, and only when an expectation has
// some (`expect N ...` partly met): the bytes of every other state are those
// of builds before counts, which still load them.
void ExpectSite::save_arrivals(StateWriter& w) const {
  uint64_t partly = 0;
  pending_.each([&](const std::string&, const Pending& p) { partly += p.arrived > 0; });
  if (partly == 0) return;
  w.u64(partly);
  pending_.each_oldest([&](const std::string&, const Pending& p) {
    if (p.arrived == 0) return;
    w.u64(p.id);
    w.u64(p.arrived);
  });
}

bool ExpectSite::load_arrivals(StateReader& r) {
  if (r.at_end()) return true;  // none
  const uint64_t n = r.count(2);
  if (n == 0) return r.bad(), false;  // never written so
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    const uint64_t id = r.u64();
    const uint64_t arrived = r.u64();
    Pending* p = pending_.find(id_key(id));
    // each for a pending expectation, once, within the largest count
    if (!p || p->arrived != 0 || arrived == 0 || arrived > static_cast<uint64_t>(kMaxExpectCount))
      return r.bad(), false;
    p->arrived = static_cast<uint32_t>(arrived);
  }
  return r.ok();
}

bool ExpectSite::load(StateReader& r) {
  clear();
  next_id_ = r.u64();
  const uint64_t n = r.count(3);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    const uint64_t id = r.u64();
    const int64_t deadline = r.i64();
    Event start;
    r.event(start, m_.names);
    std::string match;
    // ids are unique and below next_id; the first event carries the matching fields
    if (id == 0 || id >= next_id_ || pending_.find(id_key(id)) || !match_key(start, &match)) return r.bad(), clear(), false;
    Pending& p = pending_.touch(id_key(id));
    p.id = id;
    p.deadline = deadline;
    p.start = std::move(start);
    p.match = match;
    auto& ids = by_match_[match];
    ids.insert(std::upper_bound(ids.begin(), ids.end(), id), id);  // oldest (smallest id) first
  }
  if (r.ok()) load_arrivals(r);
  if (!r.ok()) clear();
  return r.ok();
}

size_t ExpectSite::memory() const {
  size_t total = by_match_.size() * 48;
  pending_.each([&](const std::string& key, const Pending& p) {
    total += sizeof(Pending) + key.size() + p.match.size() + p.start.fields().size() * sizeof(Field) + 64;
  });
  return total;
}

}  // namespace dta
