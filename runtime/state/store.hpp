// The state store: every site's state by stable id, and the timer queue.
// What an engine keeps when its program changes; the binding (dispatch,
// constants, pointers into the program) is rebuilt instead.
#pragma once
#include <boost/unordered/unordered_flat_map.hpp>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "state/site.hpp"

namespace dta {

class StateStore {
 public:
  // The site with this id, or nullptr.
  SiteState* find(const std::string& id) const;
  // Adds a site under its id (which must be new) and gives it its handle.
  SiteState* add(std::unique_ptr<SiteState> site);
  // Removes the site with this id (its queued timers fire as no-ops).
  void remove(const std::string& id);
  SiteState* site(uint32_t handle) const { return handle < slots_.size() ? slots_[handle].get() : nullptr; }
  // Calls f(site) for every site, in the order they were added.
  template <class F>
  void each(F&& f) const {
    for (const auto& s : slots_)
      if (s) f(*s);
  }

  // Timers, in time order (equal times: in the order scheduled).
  void schedule(SiteTimer t);
  bool due_before(int64_t ts) const { return !timers_.empty() && timers_.top().due < ts; }
  bool has_timers() const { return !timers_.empty(); }
  int64_t next_due() const { return timers_.top().due; }
  SiteTimer pop();
  size_t timers_queued() const { return timers_.size(); }
  // The queued timers in the order they would fire.
  std::vector<SiteTimer> timers_in_order() const;
  // Drops every queued timer of the sites `dropped(handle)` names (their state was replaced).
  void drop_timers(const std::function<bool(uint32_t)>& dropped);

 private:
  // Drops timers no site wants any more, so the queue is bounded by live
  // state, not by the stream's length.
  void compact(const std::function<bool(const SiteTimer&)>& keep);

  std::vector<std::unique_ptr<SiteState>> slots_;  // by handle
  boost::unordered_flat_map<std::string, uint32_t> by_id_;
  std::priority_queue<SiteTimer, std::vector<SiteTimer>, std::greater<SiteTimer>> timers_;
  uint64_t seq_ = 0;
  size_t compact_at_ = 65536;
};

}  // namespace dta
