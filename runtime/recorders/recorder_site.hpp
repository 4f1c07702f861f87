// The site of a `recorder` (spec 8): a ring of the newest `capacity` events
// after filters, or one ring per key value for a keyed recorder (`by KEY`),
// whose idle keys are dropped and whose key count is capped (the least
// recently seen key evicted, counted). A ring is one buffer of fixed
// kRecorderSlotBytes slots, written in place, and rings of dropped keys are
// pooled, so recording allocates nothing in the steady state.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dta/engine.hpp"
#include "state/keyed_store.hpp"
#include "state/site.hpp"

namespace dta {

class RecorderSite final : public SiteState {
 public:
  RecorderSite(std::string id, Engine::Impl& engine);

  // Binds the site to recorder `r` of the engine's current program.
  void bind(const Recorder& r);
  const Recorder& recorder() const { return *rec_; }
  // Keeps `ev` (an event the recorder's patterns match, after filters);
  // `sensitive` lists the keys its schema declares sensitive: their values are not kept.
  void record(const Event& ev, std::span<const uint32_t> sensitive);
  // The ring `ev` belongs to as JSON Lines, oldest first, into `out`; how
  // many events. False when the recorder is keyed and `ev` has no key.
  bool dump(const Event& ev, std::string& out, uint64_t* events);
  // `discard recorder`: forgets the ring of `ev`'s key.
  void discard(const Event& ev);
  // Events cut to fit a slot so far.
  uint64_t truncated() const { return truncated_; }

  static constexpr SiteKind kKind = SiteKind::Recorder;
  SiteKind kind() const override { return kKind; }
  uint64_t bound_shape() const override { return shape_; }
  void timer(const SiteTimer&) override {}
  bool timer_live(const SiteTimer&) const override { return false; }
  void rearm() override {}
  void save(StateWriter& w) const override;
  bool load(StateReader& r) override;
  size_t memory() const override;
  size_t live_keys() const override { return keyed() ? keys_.size() : 1; }
  uint64_t evicted() const override { return keys_.evicted(); }

 private:
  struct Ring {
    std::vector<char> data;      // slots of kRecorderSlotBytes, grown to the capacity once, then reused
    std::vector<uint16_t> lens;  // the bytes each slot holds
    uint64_t written = 0;        // events recorded since it started (the next slot is written % capacity)
    int64_t last_seen = 0;       // event time of the last event (idle keys)
    std::string_view slot(size_t i) const { return {data.data() + i * kRecorderSlotBytes, lens[i]}; }
  };
  bool keyed() const { return rec_ && !rec_->key.empty(); }
  // The key bytes of `ev` into key_buf_; false when it has no key field.
  bool key_of(const Event& ev);
  void put(Ring& ring, const Event& ev, std::span<const uint32_t> sensitive);
  void dump_ring(const Ring& ring, std::string& out) const;
  void save_ring(StateWriter& w, const Ring& ring) const;
  bool load_ring(StateReader& r, Ring& ring);
  // Drops keys idle for longer than `idle` (at most a few per event).
  void drop_idle(int64_t now);
  void recycle(Ring& ring);

  Engine::Impl& m_;
  const Recorder* rec_ = nullptr;  // binding
  uint32_t key_field_ = 0;         // binding: the interned key field
  int64_t idle_ = -1;              // binding: `idle D`, -1 when none
  uint64_t shape_ = 0;             // binding
  Ring single_;                    // state (unkeyed)
  KeyedStore<Ring> keys_;          // state (keyed)
  std::vector<Ring> pool_;         // rings of dropped keys, reused by new keys
  std::string key_buf_;
  uint64_t truncated_ = 0;
};

}  // namespace dta
