// Writes the .dtb seeds of the fuzz_dtb corpus: each policy given that
// compiles, saved as OUTDIR/<name>.dtb. Run at build time, so the seeds
// always match the current .dtb format.
//   dta_fuzz_dtb_seeds OUTDIR POLICY.dta...
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "dta/compiler.hpp"
#include "dta/dtb.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: dta_fuzz_dtb_seeds OUTDIR POLICY.dta...\n");
    return 2;
  }
  const fs::path out_dir = argv[1];
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  int written = 0;
  for (int i = 2; i < argc; ++i) {
    const dta::CompileResult r = dta::compile_file(argv[i]);
    if (!r.ok()) continue;  // seeds that are meant not to compile have no .dtb
    const fs::path out = out_dir / (fs::path(argv[i]).stem().string() + ".dtb");
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    f << dta::save_dtb(*r.program);
    if (!f) {
      std::fprintf(stderr, "dta_fuzz_dtb_seeds: cannot write %s\n", out.c_str());
      return 1;
    }
    ++written;
  }
  if (written == 0) {
    std::fprintf(stderr, "dta_fuzz_dtb_seeds: no policy compiled\n");
    return 1;
  }
  return 0;
}
