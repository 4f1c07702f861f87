// `dta`: the command-line tool. Dispatches to one function per subcommand;
// `--help` after any command and `--version` are answered here.
#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "cli_common.hpp"
#include "help.hpp"
#include "repl/cmd_repl.hpp"

namespace {

using dta::cli::kExitInvalid;
using dta::cli::kExitPass;

// Whether an argument after the command asks for its help.
bool wants_help(int argc, char** argv) {
  for (int i = 2; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) return true;
  return false;
}

bool ends_with(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// Whether `path` names an events file rather than a policy: by its name
// (.jsonl, .json, .ndjson, .log, compressed, '-' for stdin) or, for a file of
// another name, because it starts with a JSON object.
bool looks_like_events(const std::string& path) {
  if (path == "-") return true;
  for (const char* ext : {".jsonl", ".json", ".ndjson", ".log", ".gz", ".zst"})
    if (ends_with(path, ext)) return true;
  if (ends_with(path, ".dta") || ends_with(path, ".dtb")) return false;
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c) && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
  }
  return in && c == '{';
}

// `dta replay EVENTS POLICY`: the arguments in the wrong order. Only the two
// words right after `replay` are looked at, so no option value is mistaken
// for one of them.
bool swapped_replay_arguments(int argc, char** argv) {
  if (argc < 4 || (argv[2][0] == '-' && argv[2][1] != '\0')) return false;
  const std::string first = argv[2], second = argv[3];
  return (ends_with(second, ".dta") || ends_with(second, ".dtb")) && looks_like_events(first);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(dta::cli::short_usage().c_str(), stderr);
    return kExitInvalid;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h") {
    std::fputs(dta::cli::overview_help().c_str(), stdout);
    return kExitPass;
  }
  if (cmd == "--version") {
    std::fputs(dta::cli::version_text().c_str(), stdout);
    return kExitPass;
  }
  const dta::cli::CommandDoc* doc = dta::cli::find_command(cmd);
  if (!doc) {
    const dta::cli::CommandDoc* near = dta::cli::closest_command(cmd);
    std::fprintf(stderr, "dta: unknown command '%s'%s\n", cmd.c_str(),
                 near ? fmt::format(" (did you mean '{}'?)", near->name).c_str() : "");
    std::fputs("run 'dta help' for the list of commands\n", stderr);
    return kExitInvalid;
  }
  if (wants_help(argc, argv)) {
    std::fputs(dta::cli::command_help(*doc).c_str(), stdout);
    return kExitPass;
  }
  if (cmd == "check") return dta::cli::cmd_check(argc, argv);
  if (cmd == "test") return dta::cli::cmd_test(argc, argv);
  if (cmd == "compile") return dta::cli::cmd_compile(argc, argv);
  if (cmd == "disasm") return dta::cli::cmd_disasm(argc, argv);
  if (cmd == "help") return dta::cli::cmd_help(argc, argv);
  if (cmd == "repl") return dta::cli::cmd_repl(argc, argv);
  if (cmd == "completion") return dta::cli::cmd_completion(argc, argv);
  if (swapped_replay_arguments(argc, argv)) {
    std::string fixed = fmt::format("dta replay {} {}", argv[3], argv[2]);
    for (int i = 4; i < argc; ++i) fixed += fmt::format(" {}", argv[i]);
    std::fprintf(stderr,
                 "dta replay: '%s' looks like events and '%s' like a policy: the policy comes first\n"
                 "  try: %s\n",
                 argv[2], argv[3], fixed.c_str());
    return kExitInvalid;
  }
  return dta::cli::cmd_replay(argc, argv);
}
