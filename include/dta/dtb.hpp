// The .dtb file: a versioned, checksummed serialization of a Program.
//   "DTB\x1a" | u32 version | u64 payload size | u64 FNV-1a-64 of payload | payload
// Loading checks the header, the checksum, every length against the bytes
// left and every enum against its list; the result still has to pass
// Program::finalize() (every index, the sites, the verifier).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dta/expected.hpp"
#include "dta/program.hpp"

namespace dta {

// Version 3: every stateful construct carries its site (id and shape).
// Version 4: an expectation carries its count (`expect N ...`).
// Version 5: an action may be `enable`, with its minimum severity and duration.
// Version 6: a profile carries its budget (disk, dumps per period, recorder memory, cpu).
// Version 7: recorders, and the actions that collect and discard them (an action names its recorder).
// Version 8: a profile carries its fault injections and seed (spec 9).
constexpr uint32_t kDtbVersion = 8;
constexpr size_t kDtbHeaderBytes = 24;  // magic, version, payload size, checksum

// The bytes of a .dtb for `prog`.
std::string save_dtb(const Program& prog);
// A program from .dtb bytes (not yet finalized), or what is wrong with them.
Expected<std::unique_ptr<Program>> load_dtb(std::string_view bytes);
// Whether bytes start like a .dtb file.
bool looks_like_dtb(std::string_view bytes);

// The payload checksum (FNV-1a-64).
uint64_t dtb_checksum(std::string_view payload);
// A .dtb of this build's version around `payload`, with its size and
// checksum (for tools and fuzzers that craft payloads).
std::string dtb_with_header(std::string_view payload);

}  // namespace dta
