// Writes the seeds of the fuzz_state corpus: the fixed engine's state after
// 0 to 5 rounds of its events, as OUTDIR/round-N.state. Run at build time,
// so the seeds always match the current state format.
//   dta_fuzz_state_seeds OUTDIR
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "harness.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: dta_fuzz_state_seeds OUTDIR\n");
    return 2;
  }
  const fs::path out_dir = argv[1];
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  for (int rounds = 0; rounds <= 5; ++rounds) {
    const fs::path out = out_dir / ("round-" + std::to_string(rounds) + ".state");
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    f << dta::fuzz::state_seed(rounds);
    if (!f) {
      std::fprintf(stderr, "dta_fuzz_state_seeds: cannot write %s\n", out.c_str());
      return 1;
    }
  }
  return 0;
}
