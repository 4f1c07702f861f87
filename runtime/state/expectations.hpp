// The site of an `expect` block (spec 5.2): a matched event starts a pending
// expectation keyed by its `matching` fields; an arriving event that carries
// equal fields and passes the `where` counts as an arrival, and the N-th
// arrival (`expect N ...`, one by default) meets it (`then`); a deadline
// timer runs `else` when event time passes first. Both see `arrived`, the
// arrivals counted. Pending ones are capped; the oldest is evicted and counted.
#pragma once
#include <algorithm>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "dta/engine.hpp"
#include "state/keyed_store.hpp"
#include "state/site.hpp"

namespace dta {

struct Pending {
  uint64_t id = 0;
  int64_t deadline = 0;
  Event start;
  std::string match;
  uint32_t arrived = 0;  // arrivals counted so far
};

class ExpectSite final : public SiteState {
 public:
  ExpectSite(std::string id, Engine::Impl& engine);

  // Binds the site to block `x` of rule `unit` of the engine's current program.
  void bind(const Expect& x, uint32_t unit);
  // The rule it belongs to.
  uint32_t unit() const { return unit_; }
  // The rule selected an event: it starts a pending expectation.
  void start(const Event& ev);
  // An event whose name the block awaits.
  void arrival(const Event& ev);

  static constexpr SiteKind kKind = SiteKind::Expect;
  SiteKind kind() const override { return kKind; }
  uint64_t bound_shape() const override { return shape_; }
  void timer(const SiteTimer& t) override;
  bool timer_live(const SiteTimer& t) const override { return pending_.find(id_key(t.token)) != nullptr; }
  void rearm() override;
  void save(StateWriter& w) const override;
  bool load(StateReader& r) override;
  size_t memory() const override;
  size_t live_keys() const override { return pending_.size(); }
  uint64_t evicted() const override { return pending_.evicted(); }
  void pending(std::vector<PendingItem>& out, uint64_t* timers) const override;

 private:
  static std::string id_key(uint64_t id) { return std::string(reinterpret_cast<const char*>(&id), sizeof id); }
  // The bytes of an event's `matching` fields; false when one is missing.
  bool match_key(const Event& ev, std::string* out) const;
  // Drops pending `id` from the list of its matching key.
  void forget(const std::string& match, uint64_t id);
  void schedule(const Pending& p);
  void clear();
  // The arrivals of partly met expectations, after the pending list (see save()).
  void save_arrivals(StateWriter& w) const;
  bool load_arrivals(StateReader& r);

  Engine::Impl& m_;
  // binding
  const Expect* x_ = nullptr;
  uint32_t unit_ = 0;
  int64_t within_ns_ = 0;
  uint32_t count_ = 1;  // the N-th arrival meets an expectation
  uint64_t shape_ = 0;
  // state
  KeyedStore<Pending> pending_;  // by id_key(id), oldest evicted first
  boost::unordered_flat_map<std::string, std::vector<uint64_t>> by_match_;  // oldest first
  uint64_t next_id_ = 1;
};

}  // namespace dta
