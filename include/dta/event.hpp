// The event model: interned names and field keys, typed fields, no JSON.
// An Event is reusable: clear() keeps its storage, so a reader or host can
// fill one object per event without allocating.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dta/value.hpp"

namespace dta {

// The names a program uses (event names, field keys), interned once when it
// is finalized: immutable, so every engine running the program, on any
// thread, shares them and gives them the same ids.
class SymbolTable {
 public:
  // Ids in the order of `names` (a repeated name keeps its first id).
  explicit SymbolTable(const std::vector<std::string>& names);
  ~SymbolTable();
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;
  // Id of `s`, or UINT32_MAX.
  uint32_t find(std::string_view s) const;
  std::string_view name(uint32_t id) const { return *names_[id]; }
  uint32_t size() const { return static_cast<uint32_t>(names_.size()); }

 private:
  struct Map;
  std::unique_ptr<Map> map_;
  std::vector<std::unique_ptr<std::string>> names_;
};

// Maps names (event names and field keys) to dense ids. One per engine: the
// program's symbols (a shared SymbolTable) keep their ids, names seen only in
// events get the next ones, up to a cap.
class Interner {
 public:
  Interner();
  // An interner whose first ids are `base`'s names.
  explicit Interner(std::shared_ptr<const SymbolTable> base);
  ~Interner();
  Interner(const Interner&) = delete;
  Interner& operator=(const Interner&) = delete;

  // Id of `s`, adding it if new. Once the table holds `cap` names, a new name
  // gets the id of kOther ("<other>") instead, counted in overflowed().
  uint32_t intern(std::string_view s);
  // Id of `s`, or kNone when it was never interned.
  uint32_t find(std::string_view s) const;
  // The name behind an id.
  std::string_view name(uint32_t id) const { return id < base_size_ ? base_->name(id) : *names_[id - base_size_]; }
  uint32_t size() const { return base_size_ + static_cast<uint32_t>(names_.size()); }
  // Starts from `base`'s names (ids 0..base->size()-1); only while this interner is empty.
  void set_base(std::shared_ptr<const SymbolTable> base);
  // The shared names this interner starts from (nullptr: none).
  const SymbolTable* base() const { return base_.get(); }
  // Caps the number of names (at least 2); names already in stay.
  void set_cap(uint32_t cap) { cap_ = cap < 2 ? 2 : cap; }
  // How many intern() calls found the table full.
  uint64_t overflowed() const { return overflowed_; }

  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr std::string_view kOther = "<other>";

 private:
  struct Map;
  std::unique_ptr<Map> map_;
  std::shared_ptr<const SymbolTable> base_;
  uint32_t base_size_ = 0;
  std::vector<std::unique_ptr<std::string>> names_;  // ids base_size_ and up
  uint32_t cap_ = UINT32_MAX - 1;
  uint32_t other_ = kNone;  // the id of kOther, once the cap was reached
  uint64_t overflowed_ = 0;
};

// One field of an event: its interned key and its value (strings live in the event).
struct Field {
  uint32_t key = 0;
  Type type = Type::Int;
  bool sensitive = false;  // its value never leaves the engine (a copy of a sensitive value)
  union {
    int64_t i;
    double f;
    bool b;
    struct {
      uint32_t off, len;
    } s;
  };
  Field() : i(0) {}
};

class Event {
 public:
  int64_t ts = 0;              // ns since the Unix epoch (event time)
  uint32_t name = 0;           // interned event name
  bool has_id = false;         // whether `id` was given
  int64_t id = 0;              // optional numeric durable id
  Severity severity = Severity::Info;

  // Forget all fields, keep the storage.
  void clear();
  void add_int(uint32_t key, int64_t v);
  void add_float(uint32_t key, double v);
  void add_bool(uint32_t key, bool v);
  void add_string(uint32_t key, std::string_view v);
  // Mark the field with this key sensitive: every output redacts it.
  void mark_sensitive(uint32_t key);
  // Drop a field (used by `redact`); returns whether it was there.
  bool remove(uint32_t key);

  // The field with this key, or nullptr.
  const Field* find(uint32_t key) const {
    for (const Field& f : fields_)
      if (f.key == key) return &f;
    return nullptr;
  }
  // A field's value as a Value (string views point into this event).
  Value value(const Field& f) const {
    switch (f.type) {
      case Type::Int: return Value::of_int(f.i);
      case Type::Float: return Value::of_float(f.f);
      case Type::Bool: return Value::of_bool(f.b);
      default: return Value::of_string(std::string_view(text_.data() + f.s.off, f.s.len));
    }
  }
  const std::vector<Field>& fields() const { return fields_; }

 private:
  std::vector<Field> fields_;
  std::string text_;
};

}  // namespace dta
