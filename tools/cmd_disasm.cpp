// `dta disasm`.
#include <cstdio>

#include "cli_common.hpp"
#include "dta/disasm.hpp"

namespace dta::cli {

int cmd_disasm(int argc, char** argv) {
  const Expected<Args> parsed = parse_args(argc, argv, 2, {}, {});
  if (!parsed || parsed->positional.size() != 1) {
    std::fprintf(stderr, "dta disasm: %s\nusage: dta disasm POLICY|PROGRAM.dtb\n",
                 parsed ? "expected one file" : parsed.error().c_str());
    return kExitInvalid;
  }
  const Args& args = *parsed;
  auto prog = load(args.positional[0]);
  if (!prog) return kExitInvalid;
  std::fputs(disassemble(*prog).c_str(), stdout);
  return kExitPass;
}

}  // namespace dta::cli
