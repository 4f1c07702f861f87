// One stateful construct's state ("site"): a `when`, an `expect`, a machine,
// an alert's dedup. Each kind is one class behind this interface, kept in the
// StateStore under its stable id (Program's `Site`), so the state outlives
// the program it was built with. The per-program part (pointers into the
// program, the profile's constants) is set by the kind's bind(); events reach
// a site through its kind's typed entry points, called by the dispatch.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dta/report.hpp"
#include "state/codec.hpp"

namespace dta {

enum class SiteKind : uint8_t {
#define SITE_KIND(e, name, cls) e,
#include "state/site_kinds.def"
#undef SITE_KIND
};
// The kind's name ("when", "expect", ...).
const char* site_kind_name(SiteKind k);

// A timer names its site (by the store's handle, stable while the site
// lives, whatever program is bound) and the key it is for, never a position
// in a program.
struct SiteTimer {
  int64_t due = 0;
  uint64_t seq = 0;     // order among timers due at the same time
  uint32_t site = 0;    // StateStore handle
  uint64_t token = 0;   // the site's own check that it still wants it (a window, a pending id, a generation)
  std::string key;      // the key it is for ("" when the site has one state)
  bool operator>(const SiteTimer& o) const { return due != o.due ? due > o.due : seq > o.seq; }
};

class SiteState {
 public:
  explicit SiteState(std::string id) : id_(std::move(id)) {}
  virtual ~SiteState() = default;
  SiteState(const SiteState&) = delete;
  SiteState& operator=(const SiteState&) = delete;

  const std::string& id() const { return id_; }
  uint32_t handle() const { return handle_; }
  void set_handle(uint32_t h) { handle_ = h; }

  virtual SiteKind kind() const = 0;
  // What the state means under the current binding: the program's shape
  // and the bound parameters that change it (a window's length under the
  // profile). State moves only between sites of equal bound shape.
  virtual uint64_t bound_shape() const = 0;
  // A timer of this site is due.
  virtual void timer(const SiteTimer& t) = 0;
  // Whether a queued timer still matters (the others are compacted away).
  virtual bool timer_live(const SiteTimer& t) const = 0;
  // Schedules every timer the state needs (after an import, which drops the site's old ones).
  virtual void rearm() = 0;
  // The state as bytes (export), and back (import): load replaces the state,
  // and on bad bytes leaves it empty and returns false.
  virtual void save(StateWriter& w) const = 0;
  virtual bool load(StateReader& r) = 0;
  // Approximate bytes held, keys held, keys evicted by the cap so far.
  virtual size_t memory() const = 0;
  virtual size_t live_keys() const = 0;
  virtual uint64_t evicted() const = 0;
  // What still waits (deadlines, `after` timers): appended, with the count of
  // armed machine timers added to *timers.
  virtual void pending(std::vector<PendingItem>& out, uint64_t* timers) const {}

 private:
  std::string id_;
  uint32_t handle_ = 0;
};

}  // namespace dta
