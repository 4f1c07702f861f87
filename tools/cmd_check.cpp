// `dta check` and `dta compile`.
#include <cstdio>
#include <fstream>

#include "cli_common.hpp"
#include "dta/dtb.hpp"
#include "help.hpp"

namespace dta::cli {
namespace {

// "dta CMD: WHAT\nusage: ...\n" on stderr; the exit status of a usage error.
int usage_error(const char* cmd, const std::string& what) {
  std::fprintf(stderr, "dta %s: %s\nusage: %s\n('dta %s --help' for more)\n", cmd, what.c_str(),
               usage_line(*find_command(cmd)).c_str(), cmd);
  return kExitInvalid;
}

}  // namespace

int cmd_check(int argc, char** argv) {
  const Expected<Args> parsed = parse_args(argc, argv, 2, {"profile"}, {"Werror", "list-profiles"});
  if (!parsed) return usage_error("check", parsed.error());
  const Args& args = *parsed;
  if (args.positional.empty()) return usage_error("check", "expected a policy");
  if (args.has("list-profiles")) {
    if (args.positional.size() != 1) return usage_error("check", "--list-profiles takes one policy");
    auto prog = load(args.positional[0], args.has("Werror"));
    if (!prog) return kExitInvalid;
    for (const Profile& p : prog->profiles) std::printf("%s\n", p.name.c_str());
    return kExitPass;
  }
  int status = kExitPass;
  for (const std::string& path : args.positional) {
    auto prog = load(path, args.has("Werror"));
    if (!prog) {
      status = kExitInvalid;
      continue;
    }
    if (args.has("profile") && prog->find_profile(args.get("profile")) < 0) {
      std::fprintf(stderr, "%s: error: unknown profile '%s'\n", path.c_str(), args.get("profile").c_str());
      status = kExitInvalid;
      continue;
    }
    std::printf("%s: ok (%zu rules, %zu machines, %zu filters, %zu profiles)\n", path.c_str(), prog->rules.size(),
                prog->machines.size(), prog->filters.size(), prog->profiles.size());
  }
  return status;
}

int cmd_compile(int argc, char** argv) {
  const Expected<Args> parsed = parse_args(argc, argv, 2, {"out"}, {"Werror"});
  if (!parsed) return usage_error("compile", parsed.error());
  if (parsed->positional.size() != 1 || !parsed->has("out"))
    return usage_error("compile", "expected one policy and -o OUT.dtb");
  const Args& args = *parsed;
  auto prog = load(args.positional[0], args.has("Werror"));
  if (!prog) return kExitInvalid;
  const std::string bytes = save_dtb(*prog);
  std::ofstream out(args.get("out"), std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.good()) {
    std::fprintf(stderr, "dta compile: cannot write '%s'\n", args.get("out").c_str());
    return kExitInvalid;
  }
  return kExitPass;
}

}  // namespace dta::cli
