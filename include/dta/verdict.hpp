// A host's own unit tests assert what the policy made of the events their
// code emitted:
//
//   DTA_EVENT(*rt, "db.open", info, {"path", p}, {"errno", e});  // in the code under test
//   CHECK(dta::verdict(*rt) == dta::Verdict::pass);               // in the test
//
// A failed check prints the verdict with the findings that made it fail
// (doctest, Catch2 and GoogleTest print values with operator<<).
#pragma once
#include <cstdint>
#include <iosfwd>
#include <vector>

#include "dta/report.hpp"

namespace dta {

class Runtime;

enum class VerdictKind : uint8_t { Pass, Fail };

// A verdict and why: the findings of level error (the first ones the report kept).
struct Verdict {
  static constexpr VerdictKind pass = VerdictKind::Pass;
  static constexpr VerdictKind fail = VerdictKind::Fail;
  VerdictKind kind = VerdictKind::Pass;
  uint64_t errors = 0;             // findings of level error
  std::vector<Finding> findings;   // those of them the report kept
  bool operator==(VerdictKind k) const { return kind == k; }
};

// The verdict of a report (spec 11: fail when a finding has level error).
Verdict verdict(const Report& report);
// The verdict of the runtime's policy so far, once every event emitted
// before the call was evaluated (Runtime::flush).
Verdict verdict(Runtime& runtime);

// "pass", or "fail: 2 errors" and one line per finding ("error db_open_failed: ... (db.open)").
std::ostream& operator<<(std::ostream& out, const Verdict& v);
std::ostream& operator<<(std::ostream& out, VerdictKind k);

}  // namespace dta
