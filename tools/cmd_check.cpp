// `dta check` and `dta compile`.
#include <cstdio>
#include <fstream>

#include "cli_common.hpp"
#include "dta/dtb.hpp"

namespace dta::cli {

int cmd_check(int argc, char** argv) {
  const Expected<Args> parsed = parse_args(argc, argv, 2, {"profile"}, {});
  if (!parsed || parsed->positional.size() != 1) {
    std::fprintf(stderr, "dta check: %s\nusage: dta check POLICY [--profile P]\n",
                 parsed ? "expected one policy" : parsed.error().c_str());
    return kExitInvalid;
  }
  const Args& args = *parsed;
  auto prog = load(args.positional[0]);
  if (!prog) return kExitInvalid;
  if (args.has("profile") && prog->find_profile(args.get("profile")) < 0) {
    std::fprintf(stderr, "%s: error: unknown profile '%s'\n", args.positional[0].c_str(), args.get("profile").c_str());
    return kExitInvalid;
  }
  std::printf("%s: ok (%zu rules, %zu machines, %zu filters, %zu profiles)\n", args.positional[0].c_str(),
              prog->rules.size(), prog->machines.size(), prog->filters.size(), prog->profiles.size());
  return kExitPass;
}

int cmd_compile(int argc, char** argv) {
  const Expected<Args> parsed = parse_args(argc, argv, 2, {"out"}, {});
  if (!parsed || parsed->positional.size() != 1 || !parsed->has("out")) {
    std::fprintf(stderr, "dta compile: %s\nusage: dta compile POLICY -o OUT.dtb\n",
                 parsed ? "expected one policy and -o OUT" : parsed.error().c_str());
    return kExitInvalid;
  }
  const Args& args = *parsed;
  auto prog = load(args.positional[0]);
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
