// `dta disasm`.
#include <cstdio>

#include "cli_common.hpp"
#include "dta/disasm.hpp"
#include "help.hpp"

namespace dta::cli {

int cmd_disasm(int argc, char** argv) {
  const Expected<Args> parsed = parse_args(argc, argv, 2, {}, {"Werror"});
  if (!parsed || parsed->positional.size() != 1) {
    std::fprintf(stderr, "dta disasm: %s\nusage: %s\n('dta disasm --help' for more)\n",
                 parsed ? "expected one file" : parsed.error().c_str(), usage_line(*find_command("disasm")).c_str());
    return kExitInvalid;
  }
  const Args& args = *parsed;
  auto prog = load(args.positional[0], args.has("Werror"));
  if (!prog) return kExitInvalid;
  std::fputs(disassemble(*prog).c_str(), stdout);
  return kExitPass;
}

}  // namespace dta::cli
