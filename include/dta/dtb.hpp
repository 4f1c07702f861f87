// The .dtb file: a versioned, checksummed serialization of a Program.
//   "DTB\x1a" | u32 version | u64 payload size | u64 FNV-1a-64 of payload | payload
// Loading checks the header, the checksum and every length against the bytes
// left; the result still has to pass Program::finalize() (the verifier).
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "dta/program.hpp"

namespace dta {

constexpr uint32_t kDtbVersion = 2;

// The bytes of a .dtb for `prog`.
std::string save_dtb(const Program& prog);
// A program from .dtb bytes (not yet finalized), or nullptr with *error set.
std::unique_ptr<Program> load_dtb(std::string_view bytes, std::string* error);
// Whether bytes start like a .dtb file.
bool looks_like_dtb(std::string_view bytes);

}  // namespace dta
