// `dta`: the command-line tool. Dispatches to one function per subcommand.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli_common.hpp"

namespace {

constexpr const char* kUsage =
    "usage: dta <command> [arguments]\n"
    "\n"
    "commands:\n"
    "  check   POLICY [--profile P]              type-check a policy and its profiles\n"
    "  compile POLICY -o OUT.dtb                 compile a policy to bytecode\n"
    "  disasm  POLICY|PROGRAM.dtb                print each rule's bytecode with source lines\n"
    "  replay  POLICY EVENTS [--profile P] [--out DIR] [--json]\n"
    "                                            run a policy over a JSON Lines stream ('-': stdin)\n"
    "\n"
    "exit status: 0 pass, 1 fail (a finding of level error), 2 invalid policy, input or arguments\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? dta::cli::kExitInvalid : 0;
  }
  const std::string cmd = argv[1];
  if (cmd == "check") return dta::cli::cmd_check(argc, argv);
  if (cmd == "compile") return dta::cli::cmd_compile(argc, argv);
  if (cmd == "disasm") return dta::cli::cmd_disasm(argc, argv);
  if (cmd == "replay") return dta::cli::cmd_replay(argc, argv);
  if (cmd == "test" || cmd == "repl") {
    std::fprintf(stderr, "dta: '%s' is not available yet\n", cmd.c_str());
    return dta::cli::kExitInvalid;
  }
  std::fprintf(stderr, "dta: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return dta::cli::kExitInvalid;
}
