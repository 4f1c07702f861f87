// `dta check` and `dta compile`.
#include <cstdio>
#include <fstream>

#include "cli_common.hpp"
#include "dta/dtb.hpp"
#include "help.hpp"

namespace dta::cli {
int cmd_check(int argc, char** argv) {
  const CommandDoc& doc = *find_command("check");
  const Expected<Args> parsed = parse_command_args(argc, argv, doc);
  if (!parsed) return usage_error(doc, parsed.error());
  const Args& args = *parsed;
  if (args.positional.empty()) return usage_error(doc, "expected a policy");
  if (args.has("list-profiles")) {
    if (args.positional.size() != 1) return usage_error(doc, "--list-profiles takes one policy");
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
  const CommandDoc& doc = *find_command("compile");
  const Expected<Args> parsed = parse_command_args(argc, argv, doc);
  if (!parsed) return usage_error(doc, parsed.error());
  if (parsed->positional.size() != 1 || !parsed->has("out"))
    return usage_error(doc, "expected one policy and -o OUT.dtb");
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
