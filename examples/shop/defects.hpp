// Seeded defects: realistic bugs the shop can be run with, each behind its own
// switch (--defect NAME), for the test rings to catch (README: which ring and
// which rule catches each). A defect the policy does not catch is a finding
// about the policy.
#pragma once
#include <bitset>
#include <optional>
#include <string>
#include <string_view>

namespace shop {

enum class Defect : unsigned {
  Leak,          // a database connection is not closed (every 10th order)
  RetryStorm,    // a failed query is retried at once, again and again
  NoFinish,      // an order never reports that it finished (every 20th)
  SlowPath,      // a slow query path: every 5th order's queries take 60-90 ms
  Swallow,       // a failed query is swallowed: the order reports ok
  WrongStatus,   // a failed order answers status 200
  LockLong,      // the inventory lock is held 30 ms (every 10th order)
  QueueWait,     // workers dawdle before taking an order: items wait in the queue
  DoubleClose,   // a connection is closed twice (every 10th order)
  CardInReason,  // the card number (a sensitive value) is written into a plain field
  Count
};

struct DefectInfo {
  const char* name;
  const char* what;
};

// The defects by name, in enum order.
const DefectInfo& defect_info(Defect d);
// The defect named `name`, if any.
std::optional<Defect> parse_defect(std::string_view name);
// "leak, retry_storm, ...": every name, for messages.
std::string defect_names();

// The defects a run has.
class Defects {
 public:
  void set(Defect d) { on_.set(static_cast<unsigned>(d)); }
  bool has(Defect d) const { return on_.test(static_cast<unsigned>(d)); }
  bool any() const { return on_.any(); }

 private:
  std::bitset<static_cast<unsigned>(Defect::Count)> on_;
};

}  // namespace shop
