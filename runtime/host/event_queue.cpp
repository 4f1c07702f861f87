// The async mode's bounded ring (see the header).
#include "event_queue.hpp"

#include <bit>

namespace dta {

namespace {
constexpr size_t kReservedFields = 16;  // a slot's field buffer starts with room for this many
constexpr size_t kReservedText = 256;   // and its text buffer with this many bytes
}  // namespace

void RawEvent::assign(const EventSite* s, std::string_view nm, Severity sv, int64_t t,
                      std::span<const FieldArg> args) {
  site = s;
  if (!s) name.assign(nm);
  severity = sv;
  ts = t;
  fields.clear();
  text.clear();
  for (const FieldArg& a : args) {
    RawField f;
    f.key_off = static_cast<uint32_t>(text.size());
    f.key_len = static_cast<uint32_t>(a.key.size());
    text.append(a.key);
    f.type = a.type;
    switch (a.type) {
      case Type::Int: f.i = a.i; break;
      case Type::Float: f.f = a.f; break;
      case Type::Bool: f.b = a.b; break;
      default:
        f.i = 0;
        f.off = static_cast<uint32_t>(text.size());
        f.len = static_cast<uint32_t>(a.s.size());
        text.append(a.s);
        break;
    }
    fields.push_back(f);
  }
}

EventQueue::EventQueue(size_t capacity) {
  const size_t n = std::bit_ceil(capacity < 2 ? size_t{2} : capacity);
  mask_ = n - 1;
  cells_ = std::make_unique<Cell[]>(n);
  for (size_t i = 0; i < n; ++i) {
    cells_[i].seq.store(i, std::memory_order_relaxed);
    cells_[i].ev.fields.reserve(kReservedFields);
    cells_[i].ev.text.reserve(kReservedText);
  }
}

bool EventQueue::push(const EventSite* site, std::string_view name, Severity severity, int64_t ts,
                      std::span<const FieldArg> fields) {
  uint64_t pos = enqueue_.load(std::memory_order_relaxed);
  Cell* cell;
  for (;;) {
    cell = &cells_[pos & mask_];
    const uint64_t seq = cell->seq.load(std::memory_order_acquire);
    const auto diff = static_cast<int64_t>(seq - pos);
    if (diff == 0) {
      if (enqueue_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
    } else if (diff < 0) {
      return false;  // the cell still holds an event a lap behind: full
    } else {
      pos = enqueue_.load(std::memory_order_relaxed);
    }
  }
  cell->ev.assign(site, name, severity, ts, fields);
  cell->seq.store(pos + 1, std::memory_order_release);
  return true;
}

RawEvent* EventQueue::front() {
  const uint64_t pos = dequeue_.load(std::memory_order_relaxed);
  Cell& cell = cells_[pos & mask_];
  return cell.seq.load(std::memory_order_acquire) == pos + 1 ? &cell.ev : nullptr;
}

void EventQueue::pop() {
  const uint64_t pos = dequeue_.load(std::memory_order_relaxed);
  cells_[pos & mask_].seq.store(pos + mask_ + 1, std::memory_order_release);
  dequeue_.store(pos + 1, std::memory_order_release);
}

size_t EventQueue::size() const {
  const uint64_t in = enqueue_.load(std::memory_order_relaxed), out = dequeue_.load(std::memory_order_relaxed);
  return in > out ? static_cast<size_t>(in - out) : 0;
}

}  // namespace dta
