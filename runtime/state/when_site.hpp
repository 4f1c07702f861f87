// The site of a `when` block (spec 5.1): its windows per key, and what the
// current program and profile say about it (the binding: threshold, window
// length, caps). Sliding windows are evaluated at each selected event with
// edge triggering and `for`; tumbling windows close by a timer when event
// time passes their end, empty ones included.
#pragma once
#include "dta/engine.hpp"
#include "state/site.hpp"
#include "state/windows.hpp"

namespace dta {

class WhenSite final : public SiteState {
 public:
  WhenSite(std::string id, Engine::Impl& engine) : SiteState(std::move(id)), m_(engine) {}

  // Binds the site to block `w` of unit `unit` of the engine's current program.
  void bind(const When& w, uint32_t unit, bool whole_last, bool may_mark_sensitive);
  // An event the rule selected.
  void event(const Event& ev);

  static constexpr SiteKind kKind = SiteKind::When;
  SiteKind kind() const override { return kKind; }
  uint64_t bound_shape() const override { return shape_; }
  void timer(const SiteTimer& t) override;
  bool timer_live(const SiteTimer& t) const override { return static_cast<int64_t>(t.token) == timer_window_; }
  void rearm() override;
  void save(StateWriter& w) const override;
  bool load(StateReader& r) override;
  size_t memory() const override;
  size_t live_keys() const override { return keyed_ ? keys_.size() : 1; }
  uint64_t evicted() const override { return keys_.evicted(); }

 private:
  void fire_sliding(WindowKey& k, const Value& value, const Event& ev);
  void fire_tumbling(WindowKey& k, int64_t idx, const Value& value);
  void close_full(WindowKey& k, int64_t idx);
  void close_open(int64_t before, bool by_timers);
  int64_t roll_to(int64_t idx, int64_t ts);
  void open_window(int64_t idx);
  void keep_last(WindowKey& k, const Event& ev) const;
  void note_approximate(WindowKey& k);
  void clear();

  Engine::Impl& m_;
  // binding
  const When* w_ = nullptr;
  uint32_t unit_ = 0;
  uint64_t shape_ = 0;
  Value threshold_;
  int64_t window_ns_ = 1, for_ns_ = 0;
  bool keyed_ = false;
  bool whole_last_ = false;             // tumbling: the actions read the fields of the key's last event
  bool value_may_be_sensitive_ = false;  // the aggregated value can come from a sensitive field
  // state
  KeyedStore<WindowKey> keys_;  // with `by`
  WindowKey single_;            // without `by`: one window, no map
  // tumbling: every window below `open_` is closed; when is_open_, `open_` is
  // the one whose close is due next (keyed windows close only while a key
  // has samples in it or in the window before)
  bool is_open_ = false;
  int64_t open_ = INT64_MIN;
  int64_t timer_window_ = INT64_MIN;   // the window whose close is scheduled
  std::vector<std::string> active_;    // keyed tumbling: keys with samples in `open_`
  std::vector<std::string> trailing_;  // keyed tumbling: keys with samples in `open_ - 1` only
};

}  // namespace dta
