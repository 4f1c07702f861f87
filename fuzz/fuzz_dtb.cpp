// Fuzz target: .dtb bytes. The header is rebuilt around the payload with a
// correct checksum, so mutations reach the reader and the verifier instead of
// stopping at the checksum.
#include <cstring>
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
constexpr size_t kHeaderBytes = 24;         // magic, u32 version, u64 size, u64 checksum (dtb.hpp)

// FNV-1a-64, the .dtb payload checksum (runtime/program/dtb.cpp).
uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ull;
  return h;
}

template <typename T>
void append_raw(std::string& out, T v) {
  char b[sizeof v];
  std::memcpy(b, &v, sizeof v);
  out.append(b, sizeof v);
}

// A .dtb with a valid header around `payload`.
std::string with_header(std::string_view payload) {
  std::string out("DTB\x1a", 4);
  append_raw<uint32_t>(out, kDtbVersion);
  append_raw<uint64_t>(out, payload.size());
  append_raw<uint64_t>(out, fnv1a(payload));
  out.append(payload);
  return out;
}

// Loads and finalizes `bytes`; nullptr when the loader or verifier refuses them.
std::shared_ptr<const Program> load_verified(std::string_view bytes) {
  std::string err;
  std::unique_ptr<Program> prog = load_dtb(bytes, &err);
  if (!prog) {
    check(!err.empty(), "load_dtb refused bytes without saying why");
    return nullptr;
  }
  size_t nfns = 0;
  const Builtin* fns = stdlib_functions(&nfns);
  if (!prog->finalize(fns, nfns).empty()) return nullptr;
  return std::shared_ptr<const Program>(std::move(prog));
}

}  // namespace

int fuzz_dtb(const uint8_t* data, size_t size) {
  if (size > kMaxDtbBytes) return -1;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The bytes as given exercise the header checks; then the payload (a whole
  // .dtb's, or the input itself) behind a correct header.
  std::string err;
  load_dtb(input, &err);
  const std::string_view payload =
      input.size() >= kHeaderBytes && looks_like_dtb(input) ? input.substr(kHeaderBytes) : input;
  std::shared_ptr<const Program> prog = load_verified(with_header(payload));
  if (!prog) return 0;

  check(!disassemble(*prog).empty(), "a verified program disassembles to nothing");
  // What the loader accepted saves to a .dtb that loads and verifies again.
  check(load_verified(save_dtb(*prog)) != nullptr, "a verified program's saved .dtb does not load again");
  run_all_profiles(prog);
  return 0;
}

}  // namespace dta::fuzz
