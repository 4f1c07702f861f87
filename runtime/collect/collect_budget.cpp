// The collection budget site (collect_budget.hpp).
#include "collect/collect_budget.hpp"

#include <fmt/format.h>

#include "state/time_math.hpp"

namespace dta {

std::string size_text(int64_t bytes) {
  constexpr std::pair<int64_t, const char*> kUnits[] = {{1LL << 30, "GB"}, {1LL << 20, "MB"}, {1LL << 10, "KB"}};
  for (const auto& [unit, name] : kUnits)
    if (bytes >= unit && bytes % unit == 0) return fmt::format("{}{}", bytes / unit, name);
  return fmt::format("{}B", bytes);
}

void CollectBudgetSite::slide(int64_t now) {
  // The period is (now - D, now]: a collection exactly D ago has left it.
  while (!recent_.empty() && sat_sub(now, recent_.front()) >= budget_.dumps_period) recent_.pop_front();
}

bool CollectBudgetSite::dumps_allow(int64_t now, std::string* reason) {
  if (budget_.dumps < 0) return true;
  slide(now);
  if (static_cast<int64_t>(recent_.size()) < budget_.dumps) return true;
  *reason = fmt::format("dumps: {} per {}", budget_.dumps, format_duration(budget_.dumps_period));
  return false;
}

bool CollectBudgetSite::disk_allows(uint64_t bytes, std::string* reason) const {
  if (budget_.disk < 0 || bytes <= disk_left()) return true;
  *reason = fmt::format("disk: {}", size_text(budget_.disk));
  return false;
}

uint64_t CollectBudgetSite::disk_left() const {
  if (budget_.disk < 0) return UINT64_MAX;
  const auto disk = static_cast<uint64_t>(budget_.disk);
  return disk > disk_used_ ? disk - disk_used_ : 0;
}

void CollectBudgetSite::spend(int64_t now, uint64_t bytes) {
  disk_used_ += bytes;
  if (budget_.dumps < 0) return;
  recent_.push_back(now);
  // Only the last N matter to `dumps: N per D`.
  while (static_cast<int64_t>(recent_.size()) > budget_.dumps) recent_.pop_front();
}

void CollectBudgetSite::save(StateWriter& w) const {
  w.u64(disk_used_);
  w.u64(seq_);
  w.u64(recent_.size());
  for (const int64_t t : recent_) w.i64(t);
}

bool CollectBudgetSite::load(StateReader& r) {
  disk_used_ = r.u64();
  seq_ = r.u64();
  recent_.clear();
  const uint64_t n = r.count(1);
  for (uint64_t i = 0; i < n && r.ok(); ++i) recent_.push_back(r.i64());
  if (!r.ok()) disk_used_ = seq_ = 0, recent_.clear();
  return r.ok();
}

}  // namespace dta
