// The REPL's loaded events: every event of the inputs (several merged in time
// order) kept once, column by column (time, name, id, severity, where its
// fields start), the fields in one flat array and their strings in one text
// buffer, with an index of the events of each name. Built once per load, so
// that exploring millions of events never parses JSON again.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dta/event.hpp"
#include "dta/expected.hpp"
#include "dta/jsonl.hpp"

namespace dta::repl {

// Events one store holds: event numbers and field offsets are 32-bit.
constexpr uint64_t kMaxStoredEvents = UINT32_MAX - 1;
// Bytes of string field values one store holds: a field's offset is 32-bit (dta::Field).
constexpr uint64_t kMaxStoredText = UINT32_MAX;
// Bad lines quoted after a load; the rest are counted.
constexpr size_t kQuotedBadLines = 3;

// What a load read.
struct LoadSummary {
  uint64_t events = 0;
  uint64_t bad = 0;
  uint64_t bytes = 0;              // bytes read from the inputs
  std::vector<std::string> notes;  // bad lines quoted, notices of the inputs
  bool cancelled = false;          // stopped by the cancel check: the store holds what was read
};

// Called now and then while loading: bytes read so far and the inputs' total size (0 when unknown).
using LoadProgress = std::function<void(uint64_t read, uint64_t total)>;
// Polled while loading and scanning: true stops the work.
using CancelCheck = std::function<bool()>;

class EventStore {
 public:
  EventStore() = default;
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Replaces the store's contents with the events of `paths` ("-": standard
  // input), merged in time order. Fails (the store then empty) when an input
  // cannot be opened or read, or holds no event at all.
  Expected<LoadSummary> load(const std::vector<std::string>& paths, const JsonlOptions& jsonl,
                             const LoadProgress& progress, const CancelCheck& cancelled);
  // Appends one event (tests and loads use it); false when the store is full.
  bool add(const Event& ev, const Interner& names);

  size_t size() const { return ts_.size(); }
  int64_t ts(size_t i) const { return ts_[i]; }
  uint32_t name(size_t i) const { return name_[i]; }
  std::string_view name_text(size_t i) const { return names_->name(name_[i]); }
  bool has_id(size_t i) const { return flags_[i] & kHasId; }
  int64_t id(size_t i) const { return id_[i]; }
  Severity severity(size_t i) const { return static_cast<Severity>(flags_[i] & kSeverityMask); }
  std::span<const Field> fields(size_t i) const { return {fields_.data() + first_[i], fields_.data() + first_[i + 1]}; }
  // The field with interned key `key` of event i, or nullptr.
  const Field* find(size_t i, uint32_t key) const {
    for (const Field& f : fields(i))
      if (f.key == key) return &f;
    return nullptr;
  }
  // A field's value (a string views the store's text).
  Value value(const Field& f) const;
  // A field's value as text, as messages show it.
  std::string value_text(const Field& f) const;

  // The store's names: event names and field keys.
  const Interner& symbols() const { return *names_; }
  std::string_view symbol(uint32_t id) const { return names_->name(id); }
  // The id of `text`, or Interner::kNone.
  uint32_t find_symbol(std::string_view text) const { return names_->find(text); }
  // The events named `name` (an interned id), in order.
  std::span<const uint32_t> with_name(uint32_t name) const;
  // The interned ids used as event names, most frequent first.
  std::vector<uint32_t> event_names() const;

  // Rebuilds event i as an Event whose names are `names`' ids (an engine's
  // table); `map` caches store id -> names id between calls (keep one per `names`).
  void to_event(size_t i, Event& ev, Interner& names, std::vector<uint32_t>& map) const;

  // One field as observed on one event name.
  struct FieldUse {
    uint32_t key = 0;
    uint64_t present = 0;
    uint64_t by_type[4] = {0, 0, 0, 0};  // int, float, string, bool
  };
  // The fields events named `name` carried, in order of first appearance.
  std::vector<FieldUse> field_uses(uint32_t name) const;
  // Every field key any event carried (sorted by text).
  std::vector<std::string> field_keys() const;

 private:
  static constexpr uint8_t kSeverityMask = 0x7f;
  static constexpr uint8_t kHasId = 0x80;
  void clear();
  std::unique_ptr<Interner> names_ = std::make_unique<Interner>();
  std::vector<int64_t> ts_;
  std::vector<uint32_t> name_;
  std::vector<int64_t> id_;
  std::vector<uint8_t> flags_;
  std::vector<uint32_t> first_ = {0};  // event i's fields: [first_[i], first_[i + 1])
  std::vector<Field> fields_;
  std::string text_;
  std::vector<std::vector<uint32_t>> by_name_;  // by interned id
};

}  // namespace dta::repl
