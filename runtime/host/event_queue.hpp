// The async mode's queue: a bounded ring of event slots that any number of
// emitting threads fill and the runtime's thread drains. A push never blocks
// and never allocates once a slot's buffers have grown to the host's largest
// event: a full ring refuses the event (the caller counts it dropped).
//
// It is the bounded multi-producer ring of D. Vyukov (a sequence number per
// cell; one compare-and-swap per push): events are written in place, in the
// cell they will be read from. bench/host_bench.cpp measures it against
// passing slot indices through two boost::lockfree::queue (a free list and a
// ready list), which costs five compare-and-swaps per event instead of one.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dta/runtime.hpp"

namespace dta {

// An event as an emitter leaves it: its site (or name), severity, time and
// fields, keys and strings copied into the slot's own text.
struct RawEvent {
  struct RawField {
    uint32_t key_off, key_len;
    Type type;
    union {
      int64_t i;
      double f;
      bool b;
    };
    uint32_t off = 0, len = 0;  // a string value in `text`
  };
  const EventSite* site = nullptr;  // null: emitted by name (Runtime::emit); the name is then in `name`
  std::string name;
  Severity severity = Severity::Info;
  int64_t ts = 0;
  std::vector<RawField> fields;
  std::string text;

  // Fills the slot (reusing its buffers).
  void assign(const EventSite* s, std::string_view nm, Severity sv, int64_t t, std::span<const FieldArg> args);
  std::string_view key(const RawField& f) const { return {text.data() + f.key_off, f.key_len}; }
  std::string_view str(const RawField& f) const { return {text.data() + f.off, f.len}; }
};

class EventQueue {
 public:
  // Room for `capacity` events, rounded up to a power of two (at least 2).
  explicit EventQueue(size_t capacity);
  size_t capacity() const { return mask_ + 1; }

  // Producers: writes an event into the next free cell; false (nothing
  // written) when the ring is full.
  bool push(const EventSite* site, std::string_view name, Severity severity, int64_t ts,
            std::span<const FieldArg> fields);
  // The consumer (one thread): the oldest event written, or null when none
  // is ready; pop() releases it for reuse.
  RawEvent* front();
  void pop();
  // Events pushed and not yet popped (approximate while producers run).
  size_t size() const;
  // Pushes begun so far, and pops done: flush() waits until popped() reaches
  // what pushed() was when it was called.
  uint64_t pushed() const { return enqueue_.load(std::memory_order_acquire); }
  uint64_t popped() const { return dequeue_.load(std::memory_order_acquire); }

 private:
  struct alignas(64) Cell {
    std::atomic<uint64_t> seq{0};
    RawEvent ev;
  };
  std::unique_ptr<Cell[]> cells_;
  uint64_t mask_;
  alignas(64) std::atomic<uint64_t> enqueue_{0};
  alignas(64) std::atomic<uint64_t> dequeue_{0};  // written by the consumer only
};

}  // namespace dta
