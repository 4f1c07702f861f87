// Shared pieces of the `dta` subcommands: argument scanning, loading a
// program with its diagnostics printed, exit codes.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "dta/expected.hpp"
#include "dta/program.hpp"

namespace dta::cli {

// Exit codes of every subcommand (spec section 11).
constexpr int kExitPass = 0;
constexpr int kExitFail = 1;
constexpr int kExitInvalid = 2;

// Command-line arguments split into positionals and --options.
struct Args {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;  // name (without --) -> value
  // Whether --name was given; its value in *value when it takes one.
  bool has(const std::string& name) const;
  std::string get(const std::string& name, const std::string& fallback = "") const;
};

// Parses argv[first..]. `with_value` lists the options that take a value
// (also accepted as --name=value), `flags` those that take none. The
// arguments, or what is wrong with them (an unknown option, a missing value).
Expected<Args> parse_args(int argc, char** argv, int first, const std::vector<std::string>& with_value,
                          const std::vector<std::string>& flags);

struct CommandDoc;
// Parses argv[2..] by the options `command` lists in the help table
// (tools/help_pages.cpp): one table says what is accepted and what is
// documented. Options with a short name (-o) accept it too.
Expected<Args> parse_command_args(int argc, char** argv, const CommandDoc& command);
// Prints "dta CMD: WHAT", the command's usage line and where to read more on
// stderr; returns the exit status of a usage error (2).
int usage_error(const CommandDoc& command, const std::string& what);

// Compiles a .dta or loads a .dtb; prints diagnostics (errors and warnings)
// and their counts on stderr; nullptr on error. `werror`: warnings are errors.
// With `tests`, the policy's test blocks are checked fully (the policies and
// fixtures they name) and *tests is set to how many there are.
std::shared_ptr<const Program> load(const std::string& path, bool werror = false, size_t* tests = nullptr);

int cmd_check(int argc, char** argv);
int cmd_compile(int argc, char** argv);
int cmd_disasm(int argc, char** argv);
int cmd_replay(int argc, char** argv);
int cmd_test(int argc, char** argv);

}  // namespace dta::cli
