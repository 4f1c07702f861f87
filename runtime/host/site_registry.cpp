// The process's event sites and the runtimes listening to them.
#include "site_registry.hpp"

namespace dta {

SiteRegistry& SiteRegistry::instance() {
  static SiteRegistry registry;  // the library's one process-wide object (see the header)
  return registry;
}

uint32_t SiteRegistry::word_locked(const EventSite& site) const {
  uint32_t word = 0;
  for (uint32_t slot = 0; slot < slots_.size(); ++slot)
    if (slots_[slot] && slots_[slot](site)) word |= bit(slot);
  return word;
}

uint32_t SiteRegistry::attach(std::function<bool(const EventSite&)> listens) {
  std::lock_guard lock(mu_);
  uint32_t slot = 0;
  while (slot < slots_.size() && slots_[slot]) ++slot;
  if (slot == slots_.size()) slots_.emplace_back();
  slots_[slot] = std::move(listens);
  for (EventSite* s = head_; s; s = s->next_) s->word_.store(word_locked(*s), std::memory_order_relaxed);
  return slot;
}

void SiteRegistry::detach(uint32_t slot) {
  std::lock_guard lock(mu_);
  if (slot >= slots_.size()) return;
  slots_[slot] = nullptr;
  for (EventSite* s = head_; s; s = s->next_) s->word_.store(word_locked(*s), std::memory_order_relaxed);
}

void SiteRegistry::refresh(uint32_t /*slot*/) {
  // A shared bit (slots beyond kSlots) depends on several runtimes, so the
  // whole word is recomputed; sites are few (one per DTA_EVENT in the code).
  std::lock_guard lock(mu_);
  for (EventSite* s = head_; s; s = s->next_) s->word_.store(word_locked(*s), std::memory_order_relaxed);
}

void SiteRegistry::add(EventSite& site) {
  std::lock_guard lock(mu_);
  if (!(site.word_.load(std::memory_order_relaxed) & EventSite::kUnregistered)) return;  // another thread did
  site.next_ = head_;
  head_ = &site;
  ++count_;
  site.word_.store(word_locked(site), std::memory_order_relaxed);
}

size_t SiteRegistry::size() const {
  std::lock_guard lock(mu_);
  return count_;
}

}  // namespace dta
