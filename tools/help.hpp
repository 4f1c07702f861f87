// The `dta` tool described once, as data: every command, its arguments and
// options. `dta help`, `dta CMD --help`, the man page (`dta help --man`) and
// the bash completion (`dta completion bash`) are all rendered from it, so
// they cannot disagree. Adding an option to a command is one row here.
#pragma once
#include <span>
#include <string>
#include <string_view>

namespace dta::cli {

// What an argument or an option's value is, for completion.
enum class Complete : uint8_t {
  None,     // free text: nothing to propose
  Policy,   // a .dta policy
  Program,  // a .dta policy or a compiled .dtb
  File,     // any file (events, outputs)
  Dir,      // a directory
  Profile,  // a profile of the policy on the command line
  Command,  // a dta command
  Words,    // one of the words listed with it
};

struct OptionDoc {
  const char* name;        // "--profile"
  const char* short_name;  // "-o", or nullptr
  const char* value;       // "P" for options that take a value, else nullptr
  Complete complete;       // how the value completes
  const char* words;       // Complete::Words: the words, space-separated
  const char* text;        // one sentence
  bool required = false;   // written without brackets in the usage line
};

struct ArgDoc {
  const char* name;  // "POLICY"
  Complete complete;
  bool optional;                // written [NAME]
  bool repeats;                 // written NAME...
  const char* words = nullptr;  // Complete::Words: the words, space-separated
};

struct CommandDoc {
  const char* name;     // "check"
  const char* summary;  // one line, for the command list
  std::span<const ArgDoc> args;
  std::span<const OptionDoc> options;
  const char* description;  // paragraphs, separated by blank lines
  const char* examples;     // command lines, one per line
};

// Every command, in the order `dta help` lists them.
std::span<const CommandDoc> commands();
// The command named `name`, or nullptr.
const CommandDoc* find_command(std::string_view name);
// The command closest to a misspelled `name` ("chek" -> "check"), or nullptr.
const CommandDoc* closest_command(std::string_view name);

// Options every command accepts (--help).
std::span<const OptionDoc> common_options();

// "dta 0.1.0 (policy language 0.1, .dtb format 3)".
std::string version_text();
// "dta check POLICY... [--profile P] [--Werror]".
std::string usage_line(const CommandDoc& c);
// The usage line wrapped to 80 columns after `lead` ("usage: "), the
// continuation lines under the first argument; ends with a newline.
std::string usage_block(const CommandDoc& c, const std::string& lead);
// The short usage `dta` prints when run without a command (on stderr).
std::string short_usage();
// `dta help`: what the tool is, its commands, exit status, where to read more.
std::string overview_help();
// `dta CMD --help` / `dta help CMD`.
std::string command_help(const CommandDoc& c);
// The man page dta(1), in roff (man macros).
std::string man_page();
// A bash completion script for dta (complete -F _dta dta).
std::string bash_completion();

// `dta help [COMMAND] [--man]`.
int cmd_help(int argc, char** argv);
// `dta completion bash`.
int cmd_completion(int argc, char** argv);

}  // namespace dta::cli
