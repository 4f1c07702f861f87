// The one place that lists the passes and their order.
#include "passes.hpp"

#include "codegen_pass.hpp"
#include "profile_pass.hpp"
#include "resolve_pass.hpp"
#include "support_pass.hpp"
#include "test_pass.hpp"
#include "type_pass.hpp"

namespace dta {

std::vector<std::string> PassContext::names(const std::map<std::string, size_t>& table) {
  std::vector<std::string> out;
  for (const auto& kv : table) out.push_back(kv.first);
  return out;
}

int PassContext::builtin(const std::string& name) const {
  for (size_t i = 0; i < nbuiltins; ++i)
    if (name == builtins[i].name) return static_cast<int>(i);
  return -1;
}

const std::vector<Pass>& check_passes() {
  static const std::vector<Pass> kPasses = {
      {"support", support_pass, false},   // constructs whose semantics later issues add
      {"resolve", resolve_pass, true},    // names: consts, events, rules, fields, functions
      {"types", type_pass, true},         // types against schemas, consts and signatures
      {"profiles", profile_pass, true},   // every profile, extends chains, cycles
      {"codegen", codegen_pass, true},    // bytecode
      {"tests", test_pass, false},        // test blocks -> test cases
  };
  return kPasses;
}

bool run_passes(PassContext& ctx) {
  for (const Pass& p : check_passes()) {
    const size_t before = ctx.diags.count();
    p.run(ctx);
    if (p.later_passes_need_it && ctx.diags.count() > before) return false;
  }
  return ctx.program != nullptr;
}

}  // namespace dta
