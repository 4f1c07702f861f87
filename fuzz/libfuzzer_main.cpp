// libFuzzer's entry point for one harness, chosen at compile time with
// -DDTA_FUZZ_ENTRY=fuzz_policy (or fuzz_dtb, fuzz_jsonl).
#include "harness.hpp"

#ifndef DTA_FUZZ_ENTRY
#error "define DTA_FUZZ_ENTRY to the harness entry function"
#endif

// Called by libFuzzer for every input; -1 tells it not to keep an oversized one.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return dta::fuzz::DTA_FUZZ_ENTRY(data, size) < 0 ? -1 : 0;
}
