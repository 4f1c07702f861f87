// `dta disasm`.
#include <cstdio>

#include "cli_common.hpp"
#include "dta/disasm.hpp"
#include "help.hpp"

namespace dta::cli {

int cmd_disasm(int argc, char** argv) {
  const CommandDoc& doc = *find_command("disasm");
  const Expected<Args> parsed = parse_command_args(argc, argv, doc);
  if (!parsed) return usage_error(doc, parsed.error());
  if (parsed->positional.size() != 1) return usage_error(doc, "expected one file");
  const Args& args = *parsed;
  auto prog = load(args.positional[0], args.has("Werror"));
  if (!prog) return kExitInvalid;
  std::fputs(disassemble(*prog).c_str(), stdout);
  return kExitPass;
}

}  // namespace dta::cli
