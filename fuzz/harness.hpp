// The fuzz harnesses' entry functions: one per input the outside world
// controls. libFuzzer calls them through LLVMFuzzerTestOneInput
// (libfuzzer_main.cpp); the corpus replayer (replay.cpp) calls them with the
// normal compiler, so every corpus and regression file runs in ctest too.
// Each entry ignores inputs above its size bound, writes nothing to disk,
// frees everything it allocates, gives the same result for the same bytes,
// and aborts (with a message) only when an invariant of the library breaks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace dta::fuzz {

// Policy text -> compile -> .dtb round trip -> disassemble -> every profile over fixed events.
int fuzz_policy(const uint8_t* data, size_t size);
// .dtb bytes (checksum recomputed) -> load -> verify -> disassemble -> every profile over fixed events.
int fuzz_dtb(const uint8_t* data, size_t size);
// JSON Lines text -> the reader -> an engine running a fixed policy that touches many features.
int fuzz_jsonl(const uint8_t* data, size_t size);
// Engine state bytes (checksum recomputed) -> decode -> import into an engine with every
// kind of site -> export again (a fixed point) -> events, timers, finish.
int fuzz_state(const uint8_t* data, size_t size);
// A seed for fuzz_state: the state of that engine after `rounds` rounds of its fixed events.
std::string state_seed(int64_t rounds);

}  // namespace dta::fuzz
