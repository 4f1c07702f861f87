// The event sites of the process and which runtimes listen to each.
//
// Event sites are static objects in the host's code (DTA_EVENT), so they
// belong to the process, not to one runtime: this registry is the one
// process-wide object of the library (a function-local static, created on
// first use). Each runtime takes a slot (a bit of every site's word) and
// recomputes its bit on every site whenever what it listens to changes.
#pragma once
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "dta/runtime.hpp"

namespace dta {

class SiteRegistry {
 public:
  // The process's registry.
  static SiteRegistry& instance();

  // Bits 0..kSlots-1 of a site's word; more runtimes than that share the
  // last bit (their sites then take the slow path whenever any of them listens).
  static constexpr uint32_t kSlots = 31;

  // A slot for a new runtime and the function that says whether it listens
  // to a site; the runtime's bit is computed on every known site at once.
  uint32_t attach(std::function<bool(const EventSite&)> listens);
  // The runtime is gone: its bit is cleared everywhere.
  void detach(uint32_t slot);
  // Recomputes slot's bit on every site (after a policy, profile, enable or
  // rip-cord change).
  void refresh(uint32_t slot);
  // A site's first slow path: adds it to the list and computes its word.
  void add(EventSite& site);
  // The bit of a slot in a site's word.
  static uint32_t bit(uint32_t slot) { return 1u << (slot < kSlots ? slot : kSlots - 1); }
  // How many sites are known.
  size_t size() const;

 private:
  SiteRegistry() = default;
  // The word of a site: the bits of every slot that listens to it.
  uint32_t word_locked(const EventSite& site) const;

  mutable std::mutex mu_;
  EventSite* head_ = nullptr;
  size_t count_ = 0;
  std::vector<std::function<bool(const EventSite&)>> slots_;  // by slot; empty: free
};

}  // namespace dta
