// A policy's own tests (spec 10): `test "NAME" { ... }` blocks, checked by
// the compiler (CompileResult::tests) and run by run_policy_test against an
// engine in virtual time. `dta test` is their command line.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dta/program.hpp"
#include "dta/report.hpp"
#include "dta/value.hpp"

namespace dta {

// Where inline test times start: 2026-01-01T00:00:00Z, in ns since the epoch.
inline constexpr int64_t kTestEpochNs = 1767225600LL * 1000000000LL;

// A place in a test file, for messages ("file:line:col").
struct TestLoc {
  std::string path;
  uint32_t line = 0;
  uint32_t col = 0;
};

// `at T NAME [severity S] {fields}`: one event written in the test.
struct TestEvent {
  int64_t ts = 0;  // kTestEpochNs + T
  std::string name;
  Severity severity = Severity::Info;
  EventFields fields;  // literals, in the order written
};

// One `expect` line.
struct TestExpectation {
  enum class Kind : uint8_t {
    Findings,     // expect RULE error|warning|info|ok N: the rule's findings of that level
    Alerts,       // expect RULE alerts N: alerts the rule raised (not suppressed)
    Fired,        // expect RULE fired N
    Matched,      // expect RULE matched N
    Collections,  // expect RULE collections N: its collections that were written (not denied or failed)
    TotalFindings,  // expect findings error|warning|info|ok N: every rule's findings of that level
    TotalAlerts,    // expect alerts N
    Pending,        // expect pending N: expectations and `after` timers still waiting at the end
    Verdict,        // expect verdict pass|fail
  };
  Kind kind = Kind::Verdict;
  std::string rule;           // Findings..Collections
  Level level = Level::Error;  // Findings, TotalFindings
  uint64_t count = 0;         // every kind but Verdict
  bool fail = false;          // Verdict: `fail`
  std::string text;           // the line as written, normalised ("db_open_failed error 1")
  TestLoc loc;
};

// A checked test block, ready to run.
struct TestCase {
  std::string name;
  TestLoc loc;
  std::shared_ptr<const Program> program;  // its policy: the file it stands in, or `policy "path"`
  std::string policy_path;                 // that policy's file
  std::string profile;                     // "" for the policy as written
  std::vector<std::string> fixtures;       // `events "path"`, resolved against the test's file
  std::vector<TestEvent> events;           // inline events, in the order written
  int64_t advance = 0;                     // `advance D`: how far time moves past the last event
  std::vector<TestExpectation> expects;
};

// One expectation's outcome.
struct ExpectationResult {
  const TestExpectation* expect = nullptr;
  bool passed = false;
  std::string actual;  // the value found ("0", "pass")
};

// What running one test gave.
struct TestResult {
  const TestCase* test = nullptr;
  bool passed = false;
  std::string error;  // not empty: the test could not run (an unreadable fixture...): invalid input
  std::vector<ExpectationResult> expectations;
  Report report;      // the engine's report at the end
  uint64_t events = 0;  // events run (fixtures and inline)
};

// Runs `test`: its fixtures and inline events merged in time order, then
// time moved `advance` past the last event, then the stream ends; checks each
// expectation against the report. Never throws.
TestResult run_policy_test(const TestCase& test);

}  // namespace dta
