// `dta test FILE...`: runs the policies' test blocks (spec 10).
#include <cstdio>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>

#include "cli_common.hpp"
#include "dta/compiler.hpp"
#include "help.hpp"
#include "test_output.hpp"

namespace dta::cli {

namespace {

// A compiled test file: its tests live as long as their results point at them.
struct TestFile {
  std::string path;
  std::vector<TestCase> tests;
};

// Compiles `path` with its tests; prints its diagnostics. False when it is invalid.
bool compile_tests(const std::string& path, bool werror, TestFile& out) {
  CompileOptions options;
  options.werror = werror;
  options.tests = true;
  CompileResult r = compile_file(path, options);
  for (const Diagnostic& d : r.diagnostics) std::fputs(d.rendered.c_str(), stderr);
  out.path = path;
  if (!r.ok()) {
    std::fprintf(stderr, "%s: invalid: its tests were not run\n", path.c_str());
    return false;
  }
  out.tests = std::move(r.tests);
  return true;
}

}  // namespace

int cmd_test(int argc, char** argv) {
  const CommandDoc& doc = *find_command("test");
  const Expected<Args> parsed = parse_command_args(argc, argv, doc);
  if (!parsed) return usage_error(doc, parsed.error());
  const Args& args = *parsed;
  if (args.positional.empty()) return usage_error(doc, "expected at least one file");
  const bool json = args.has("json");
  const std::string match = args.get("match");

  bool invalid = false;
  std::vector<TestFile> files(args.positional.size());
  for (size_t i = 0; i < files.size(); ++i) invalid = !compile_tests(args.positional[i], args.has("Werror"), files[i]) || invalid;

  std::vector<TestResult> results;
  size_t found = 0;
  for (const TestFile& f : files) {
    found += f.tests.size();
    for (const TestCase& t : f.tests) {
      if (!match.empty() && t.name.find(match) == std::string::npos) continue;
      results.push_back(run_policy_test(t));
      invalid = invalid || !results.back().error.empty();
      if (!json) {
        std::fputs(test_text(results.back()).c_str(), stdout);
        std::fflush(stdout);
      }
    }
  }
  if (found == 0 && !invalid) {
    std::fprintf(stderr, "dta test: no test blocks in %s\n", fmt::format("{}", fmt::join(args.positional, ", ")).c_str());
    return kExitInvalid;
  }
  if (results.empty() && !match.empty() && !invalid) {
    std::fprintf(stderr, "dta test: no test name contains '%s'\n", match.c_str());
    return kExitInvalid;
  }
  const std::vector<Coverage> coverage = coverage_of(results);
  size_t passed = 0;
  for (const TestResult& r : results) passed += r.passed;
  if (json) {
    std::fputs(tests_json(results, coverage).c_str(), stdout);
  } else {
    for (const Coverage& c : coverage) std::fputs(coverage_text(c).c_str(), stdout);
    std::printf("%zu passed, %zu failed\n", passed, results.size() - passed);
  }
  if (args.has("junit")) {
    std::ofstream out(args.get("junit"), std::ios::binary | std::ios::trunc);
    out << junit_xml(results);
    if (!out.flush()) {
      std::fprintf(stderr, "dta test: cannot write %s\n", args.get("junit").c_str());
      return kExitInvalid;
    }
  }
  if (invalid) return kExitInvalid;
  return passed == results.size() ? kExitPass : kExitFail;
}

}  // namespace dta::cli
