// Fuzz target: policy text. Everything that compiles goes through the .dtb
// round trip and runs, so the runtime is fuzzed with valid programs too.
#include <string>

#include "dta/compiler.hpp"
#include "dta/disasm.hpp"
#include "dta/dtb.hpp"
#include "dta/stdlib.hpp"
#include "harness.hpp"
#include "harness_common.hpp"

namespace dta::fuzz {
namespace {

constexpr size_t kMaxPolicyBytes = 64 << 10;  // real policies are a few KB; bigger inputs only slow the fuzzer
// Relative includes resolve next to this path: a directory that does not
// exist, so they fail the same way on every machine.
constexpr const char* kPolicyPath = "/nonexistent-dta-fuzz/policy.dta";

}  // namespace

int fuzz_policy(const uint8_t* data, size_t size) {
  if (size > kMaxPolicyBytes) return -1;
  const std::string text(reinterpret_cast<const char*>(data), size);
  CompileResult result = compile_source(kPolicyPath, text);
  check(result.ok() || !result.diagnostics.empty(), "a policy failed to compile without a diagnostic");
  for (const Diagnostic& d : result.diagnostics) check(!d.rendered.empty(), "a diagnostic renders empty");
  if (!result.ok()) return 0;

  // .dtb round trip: the loaded program verifies and saves to the same bytes.
  const std::string bytes = save_dtb(*result.program);
  Expected<std::unique_ptr<Program>> loaded = load_dtb(bytes);
  check(loaded.ok(), "a compiled program's .dtb does not load: " + (loaded ? std::string() : loaded.error()));
  size_t nfns = 0;
  const Builtin* fns = stdlib_functions(&nfns);
  const Outcome finalized = (*loaded)->finalize(fns, nfns);
  check(finalized.ok(), "a compiled program's .dtb does not verify: " + finalized.error());
  check(save_dtb(**loaded) == bytes, "a loaded .dtb saves to different bytes");
  check(disassemble(**loaded) == disassemble(*result.program), "a loaded .dtb disassembles differently");

  run_all_profiles(std::shared_ptr<const Program>(std::move(*loaded)));
  return 0;
}

}  // namespace dta::fuzz
