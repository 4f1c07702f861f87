// What an engine has collected against its profile's budget (spec 8): the
// bytes handed to its sink (`disk`) and the times of its recent collections
// (`dumps: N per D`, a sliding period of event time), with the numbering of
// its requests. A site of its own ("collect/budget"), so a reload or a
// profile switch carries it: a new policy does not reset what was spent.
#pragma once
#include <cstdint>
#include <deque>
#include <string>

#include "dta/engine.hpp"
#include "state/site.hpp"

namespace dta {

class CollectBudgetSite final : public SiteState {
 public:
  static constexpr const char* kId = "collect/budget";
  CollectBudgetSite(std::string id, Engine::Impl&) : SiteState(std::move(id)) {}

  // Binds the profile's budget (a copy: the budget may change with the profile).
  void bind(const Budget& b) { budget_ = b; }
  // Whether a collection at event time `now` fits `dumps: N per D`; when
  // not, *reason names the budget as the policy writes it.
  bool dumps_allow(int64_t now, std::string* reason);
  // Whether `bytes` more fit `disk` (exactly at the limit fits); when not, *reason names it.
  bool disk_allows(uint64_t bytes, std::string* reason) const;
  // What `disk` leaves (UINT64_MAX: no disk budget).
  uint64_t disk_left() const;
  // A collection handed to the sink at `now`, holding `bytes` of disk.
  void spend(int64_t now, uint64_t bytes);
  // Gives back bytes a collection held but did not write (it failed, or wrote less).
  void refund(uint64_t bytes) { disk_used_ -= std::min(bytes, disk_used_); }
  uint64_t next_seq() { return ++seq_; }

  static constexpr SiteKind kKind = SiteKind::Collect;
  SiteKind kind() const override { return kKind; }
  uint64_t bound_shape() const override { return 1; }
  void timer(const SiteTimer&) override {}
  bool timer_live(const SiteTimer&) const override { return false; }
  void rearm() override {}
  void save(StateWriter& w) const override;
  bool load(StateReader& r) override;
  size_t memory() const override { return sizeof(*this) + recent_.size() * sizeof(int64_t); }
  size_t live_keys() const override { return 0; }
  uint64_t evicted() const override { return 0; }

 private:
  // Forgets collections that left the period ending at `now`.
  void slide(int64_t now);

  Budget budget_;               // binding
  uint64_t disk_used_ = 0;      // state
  std::deque<int64_t> recent_;  // state: times of collections within the last period, oldest first
  uint64_t seq_ = 0;            // state
};

// A size as a policy writes it: "256MB", "64KB", "1000B".
std::string size_text(int64_t bytes);

}  // namespace dta
