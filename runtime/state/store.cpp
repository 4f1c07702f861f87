// The state store (store.hpp).
#include "state/store.hpp"

namespace dta {

const char* site_kind_name(SiteKind k) {
  static const char* const kNames[] = {
#define SITE_KIND(e, name, cls) name,
#include "state/site_kinds.def"
#undef SITE_KIND
  };
  const auto i = static_cast<size_t>(k);
  return i < std::size(kNames) ? kNames[i] : "?";
}

SiteState* StateStore::find(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : slots_[it->second].get();
}

SiteState* StateStore::add(std::unique_ptr<SiteState> site) {
  const auto handle = static_cast<uint32_t>(slots_.size());
  site->set_handle(handle);
  by_id_.emplace(site->id(), handle);
  slots_.push_back(std::move(site));
  return slots_.back().get();
}

void StateStore::schedule(SiteTimer t) {
  t.seq = seq_++;
  timers_.push(std::move(t));
  if (timers_.size() > compact_at_)
    compact([this](const SiteTimer& x) { return site(x.site) && site(x.site)->timer_live(x); });
}

void StateStore::remove(const std::string& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  slots_[it->second].reset();
  by_id_.erase(it);
}

SiteTimer StateStore::pop() {
  SiteTimer t = timers_.top();
  timers_.pop();
  return t;
}

std::vector<SiteTimer> StateStore::timers_in_order() const {
  auto queue = timers_;
  std::vector<SiteTimer> out;
  out.reserve(queue.size());
  while (!queue.empty()) {
    out.push_back(queue.top());
    queue.pop();
  }
  return out;
}

void StateStore::drop_timers(const std::function<bool(uint32_t)>& dropped) {
  compact([&](const SiteTimer& x) { return !dropped(x.site); });
}

void StateStore::compact(const std::function<bool(const SiteTimer&)>& keep) {
  std::vector<SiteTimer> live;
  live.reserve(timers_.size() / 2);
  while (!timers_.empty()) {
    if (keep(timers_.top())) live.push_back(timers_.top());
    timers_.pop();
  }
  timers_ = decltype(timers_)(std::greater<SiteTimer>(), std::move(live));
  compact_at_ = std::max<size_t>(65536, timers_.size() * 2);
}

}  // namespace dta
