// How `dta test` shows its results: a line per test (and on failure what
// differed and the findings made), the coverage of a policy's rules, JUnit
// XML for CI systems, and one JSON object for machines.
#pragma once
#include <string>
#include <vector>

#include "dta/policy_tests.hpp"

namespace dta::cli {

// The rules and machines of one policy that no test made fire, and the
// machine transitions no test took.
struct Coverage {
  std::string policy;              // its file
  size_t units = 0;                // rules and machines
  std::vector<std::string> never;  // never fired in any of its tests
  size_t transitions = 0;                      // of every machine
  std::vector<std::string> never_transitions;  // "order_flow: working -> done (after 1s)"
};

// "PASS  name" / "FAIL  name (file:line:col)" with, on failure, each
// expectation that failed (expected and actual) and the findings made.
std::string test_text(const TestResult& r);
// "coverage: policy.dta: 5 of 7 rules and machines fired; never: a, b", and a
// line for the transitions never taken.
std::string coverage_text(const Coverage& c);
// Every policy's coverage, from the results of the tests that ran it.
std::vector<Coverage> coverage_of(const std::vector<TestResult>& results);
// A JUnit XML document: one testsuite per test file.
std::string junit_xml(const std::vector<TestResult>& results);
// {"tests": [...], "passed": N, "failed": M, "coverage": [...]}.
std::string tests_json(const std::vector<TestResult>& results, const std::vector<Coverage>& coverage);

}  // namespace dta::cli
