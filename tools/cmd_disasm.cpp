// `dta disasm`.
#include <cstdio>

#include "cli_common.hpp"
#include "dta/disasm.hpp"

namespace dta::cli {

int cmd_disasm(int argc, char** argv) {
  Args args;
  std::string err;
  if (!parse_args(argc, argv, 2, {}, {}, &args, &err) || args.positional.size() != 1) {
    std::fprintf(stderr, "dta disasm: %s\nusage: dta disasm POLICY|PROGRAM.dtb\n", err.empty() ? "expected one file" : err.c_str());
    return kExitInvalid;
  }
  auto prog = load(args.positional[0]);
  if (!prog) return kExitInvalid;
  std::fputs(disassemble(*prog).c_str(), stdout);
  return kExitPass;
}

}  // namespace dta::cli
