// What `dta replay` says after a run besides the report: fields the policy
// reads that no event carried, and inputs
// whose times all fall in 1970 (epoch seconds read as nanoseconds).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dta/event.hpp"
#include "dta/input.hpp"
#include "dta/program.hpp"
#include "dta/report.hpp"

namespace dta::cli {

// The field keys a program reads (in `where`s, messages, labels, keys,
// `matching`, machine keys, filters), which of them the events carried, and
// who reads the others. Keys that `emit` writes are left out: derived events
// carry them.
class CarriedFields {
 public:
  CarriedFields(const Program& program, const Interner& names);
  // Notes the fields of an event read from the input (cheap: one test per
  // field, nothing once every key was seen).
  void mark(const Event& ev) {
    if (!left_) return;
    for (const Field& f : ev.fields())
      if (f.key < state_.size() && state_[f.key] == kUnseen) state_[f.key] = kSeen, --left_;
  }
  // One warning per key no event carried: "no event carried field 'errnum',
  // which rule 'db_open' reads".
  std::vector<std::string> warnings() const;

 private:
  static constexpr uint8_t kUntracked = 0, kUnseen = 1, kSeen = 2;
  struct Key {
    std::string name;
    uint32_t id;
    std::vector<std::string> readers;  // "rule 'x'", "machine 'm'", "filter 'f'"
  };
  std::vector<Key> keys_;
  std::vector<uint8_t> state_;  // by interned id
  size_t left_ = 0;             // keys not seen yet
};

// A warning when every event time of an input falls in 1970, with the unit
// its values suggest (--ts-unit s for ~1.8e9); "" otherwise.
std::string epoch_1970_warning(const InputStats& s, const JsonlOptions& jsonl);

}  // namespace dta::cli
