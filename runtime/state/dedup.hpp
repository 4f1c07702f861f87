// The site of an alert with `dedup K every D`, `every D` or `dedup K` (spec
// 6): per dedup key, when it last went out and how many were held back since.
#pragma once
#include <cstdint>

#include "dta/engine.hpp"
#include "state/keyed_store.hpp"
#include "state/site.hpp"

namespace dta {

class DedupSite final : public SiteState {
 public:
  DedupSite(std::string id, Engine::Impl& engine) : SiteState(std::move(id)), m_(engine) {}

  // Binds the site to alert action `a` of the engine's current program.
  void bind(const Action& a);
  // Whether an alert with dedup key `key` at `now` goes out; when it does,
  // *suppressed is how many were held back for the key since the last one.
  bool admit(const std::string& key, int64_t now, uint64_t* suppressed);

  static constexpr SiteKind kKind = SiteKind::Dedup;
  SiteKind kind() const override { return kKind; }
  uint64_t bound_shape() const override { return shape_; }
  void timer(const SiteTimer&) override {}
  bool timer_live(const SiteTimer&) const override { return false; }
  void rearm() override {}
  void save(StateWriter& w) const override;
  bool load(StateReader& r) override;
  size_t memory() const override { return keys_.size() * (sizeof(Key) + 64); }
  size_t live_keys() const override { return keys_.size(); }
  uint64_t evicted() const override { return keys_.evicted(); }

 private:
  struct Key {
    int64_t last = INT64_MIN;
    uint64_t suppressed = 0;
  };
  Engine::Impl& m_;
  const Action* action_ = nullptr;  // binding
  int64_t every_ = -1;              // binding: `every D`, -1 when none
  uint64_t shape_ = 0;              // binding
  KeyedStore<Key> keys_;            // state
};

}  // namespace dta
