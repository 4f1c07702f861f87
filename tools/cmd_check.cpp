// `dta check` and `dta compile`.
#include <cstdio>
#include <fstream>

#include "cli_common.hpp"
#include "dta/dtb.hpp"

namespace dta::cli {

int cmd_check(int argc, char** argv) {
  Args args;
  std::string err;
  if (!parse_args(argc, argv, 2, {"profile"}, {}, &args, &err) || args.positional.size() != 1) {
    std::fprintf(stderr, "dta check: %s\nusage: dta check POLICY [--profile P]\n", err.empty() ? "expected one policy" : err.c_str());
    return kExitInvalid;
  }
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
  Args args;
  std::string err;
  if (!parse_args(argc, argv, 2, {"out"}, {}, &args, &err) || args.positional.size() != 1 || !args.has("out")) {
    std::fprintf(stderr, "dta compile: %s\nusage: dta compile POLICY -o OUT.dtb\n",
                 err.empty() ? "expected one policy and -o OUT" : err.c_str());
    return kExitInvalid;
  }
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
