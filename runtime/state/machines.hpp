// The site of a machine (spec 5.3): one instance per key value, created in
// `initial` by the first event that matches any of the machine's
// transitions; `on` transitions apply at events, `after D` ones at timers
// (every transition restarts the clock: a generation number makes older
// timers harmless).
#pragma once
#include <cstdint>
#include <string_view>

#include "dta/engine.hpp"
#include "state/keyed_store.hpp"
#include "state/site.hpp"

namespace dta {

struct Instance {
  uint32_t state = 0;
  int64_t entered = 0;
  uint64_t gen = 0;
  Event last;
};

class MachineSite final : public SiteState {
 public:
  MachineSite(std::string id, Engine::Impl& engine) : SiteState(std::move(id)), m_(engine) {}

  // Binds the site to machine `mach`, unit `unit` of the engine's current program.
  void bind(const Machine& mach, uint32_t unit);
  // Its unit (rules.size() + its index).
  uint32_t unit() const { return unit_; }
  // An event one of the machine's `on` transitions names.
  void event(const Event& ev);
  // The state of the instance with key `key` (its bytes), "" when none.
  std::string_view state_of(const std::string& key) const;

  static constexpr SiteKind kKind = SiteKind::Machine;
  SiteKind kind() const override { return kKind; }
  uint64_t bound_shape() const override { return shape_; }
  void timer(const SiteTimer& t) override;
  bool timer_live(const SiteTimer& t) const override {
    const Instance* inst = instances_.find(t.key);
    return inst && inst->gen == t.token;
  }
  void rearm() override;
  void save(StateWriter& w) const override;
  bool load(StateReader& r) override;
  size_t memory() const override;
  size_t live_keys() const override { return instances_.size(); }
  uint64_t evicted() const override { return instances_.evicted(); }
  void pending(std::vector<PendingItem>& out, uint64_t* timers) const override;

 private:
  // When the instance's next `after` transition is due, INT64_MAX when none.
  int64_t next_after(const Instance& inst) const;
  void schedule_after(const std::string& key, const Instance& inst);

  Engine::Impl& m_;
  // binding
  const Machine* mach_ = nullptr;
  uint32_t unit_ = 0;
  std::vector<uint32_t> first_;  // per state: the index of its first transition in RuleReport::transitions
  uint32_t key_field_ = 0;  // interned key field
  uint64_t shape_ = 0;
  // state
  KeyedStore<Instance> instances_;
};

}  // namespace dta
