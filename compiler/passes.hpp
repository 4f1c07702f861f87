// The pass pipeline: every pass reads and annotates the AST through one
// context; the list of passes, in order, is in passes.cpp (check_passes()).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ast.hpp"
#include "diagnostics.hpp"
#include "dta/builtin.hpp"
#include "dta/program.hpp"

namespace dta {

// Where a duration must be positive (`within`, `after`, `over`, `every`) or
// may be zero (`for`): what a zero or negative one would mean is nothing.
enum class DurationRule : uint8_t { NonNegative, Positive };

// How a constant is used as a duration (type_pass), so that a profile's `set`
// of it can be checked (profile_pass): the strictest use, and where.
struct DurationUse {
  DurationRule rule = DurationRule::NonNegative;
  const char* what = "";  // "within", "after", ...
  ast::Loc loc;
};

struct PassContext {
  PassContext(ast::Policy& p, DiagBag& d, const SourceSet& s) : policy(p), diags(d), sources(s) {}
  ast::Policy& policy;
  DiagBag& diags;
  const SourceSet& sources;
  const Builtin* builtins = nullptr;  // the stdlib table
  size_t nbuiltins = 0;
  // Symbol tables (resolve_pass): name -> index into the policy's vectors.
  std::map<std::string, size_t> consts, events, rules, filters, profiles, machines, recorders;
  // Constants used as durations (type_pass): const index -> strictest use.
  std::map<size_t, DurationUse> duration_consts;
  // Flattened profiles (profile_pass), in declaration order.
  std::vector<Profile> flat_profiles;
  // The result (codegen_pass).
  std::unique_ptr<Program> program;
  // Test blocks (test_pass): checked tests (a test of this file gets the
  // program once it is finalized), and the diagnostics of the other policies
  // they name. Those policies are compiled only when compile_tests is set,
  // with test_options.
  std::vector<TestCase> tests;
  std::vector<Diagnostic> test_diagnostics;
  bool compile_tests = false;
  CompileOptions test_options;

  // Names of a symbol table, for "did you mean" hints.
  static std::vector<std::string> names(const std::map<std::string, size_t>& table);
  // The stdlib row named `name`, or -1.
  int builtin(const std::string& name) const;
};

struct Pass {
  const char* name;
  void (*run)(PassContext&);
  // Whether later passes need this one to have succeeded. A pass whose errors
  // leave the AST sound (support) lets the next passes report theirs too.
  bool later_passes_need_it;
};

// The passes in the order they run. The pipeline stops at the first pass that
// later passes depend on once any error has been reported.
const std::vector<Pass>& check_passes();

// Runs every pass; returns whether all succeeded (ctx.program is then set).
bool run_passes(PassContext& ctx);

}  // namespace dta
