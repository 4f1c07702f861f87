// Fuzz target: .dtb bytes. The header is rebuilt around the payload with a
// correct checksum, so mutations reach the reader and the verifier instead of
// stopping at the checksum.
#include <string>
#include <string_view>

#include "dta/compiler.hpp"
#include "dta/disasm.hpp"
#include "dta/dtb.hpp"
#include "dta/stdlib.hpp"
#include "harness.hpp"
#include "harness_common.hpp"

namespace dta::fuzz {
namespace {

constexpr size_t kMaxDtbBytes = 256 << 10;  // seeds are a few KB; bigger inputs only slow the fuzzer

// Loads and finalizes `bytes`; nullptr when the loader or verifier refuses them.
std::shared_ptr<const Program> load_verified(std::string_view bytes) {
  Expected<std::unique_ptr<Program>> prog = load_dtb(bytes);
  if (!prog) {
    check(!prog.error().empty(), "load_dtb refused bytes without saying why");
    return nullptr;
  }
  size_t nfns = 0;
  const Builtin* fns = stdlib_functions(&nfns);
  if (Outcome finalized = (*prog)->finalize(fns, nfns); !finalized) {
    check(!finalized.error().empty(), "finalize refused a program without saying why");
    return nullptr;
  }
  return std::shared_ptr<const Program>(std::move(*prog));
}

}  // namespace

int fuzz_dtb(const uint8_t* data, size_t size) {
  if (size > kMaxDtbBytes) return -1;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The bytes as given exercise the header checks; then the payload (a whole
  // .dtb's, or the input itself) behind a correct header.
  (void)load_dtb(input);
  const std::string_view payload =
      input.size() >= kDtbHeaderBytes && looks_like_dtb(input) ? input.substr(kDtbHeaderBytes) : input;
  std::shared_ptr<const Program> prog = load_verified(dtb_with_header(payload));
  if (!prog) return 0;

  check(!disassemble(*prog).empty(), "a verified program disassembles to nothing");
  // What the loader accepted saves to a .dtb that loads and verifies again.
  check(load_verified(save_dtb(*prog)) != nullptr, "a verified program's saved .dtb does not load again");
  run_all_profiles(prog);
  return 0;
}

}  // namespace dta::fuzz
