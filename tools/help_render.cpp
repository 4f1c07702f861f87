// Renders the command table (help_pages.cpp) as terminal help, a roff man
// page and a bash completion script.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "cli_common.hpp"
#include "dta/dtb.hpp"
#include "help.hpp"

#ifndef DTA_VERSION
#define DTA_VERSION "unknown"  // set by CMake from the project's version
#endif

namespace dta::cli {
namespace {

constexpr const char* kLanguageVersion = "0.1";  // the spec this build implements (LANGUAGE.md)
constexpr size_t kWidth = 80;                    // terminal help wraps before this column
constexpr size_t kOptionColumn = 24;             // where option descriptions start

constexpr const char* kExitStatus =
    "0 pass; 1 fail (a finding of level error); 2 invalid policy, events file or arguments.";

// `text` wrapped to kWidth, each line indented by `indent` spaces;
// paragraphs (blank-line separated) stay apart.
std::string wrap(const std::string& text, size_t indent) {
  std::string out;
  size_t col = 0;
  bool line_start = true;
  const auto newline = [&] {
    out += '\n';
    col = 0;
    line_start = true;
  };
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "\n\n") == 0) {
      if (!line_start) newline();
      newline();
      i += 2;
      continue;
    }
    if (text[i] == ' ' || text[i] == '\n') {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && text[end] != ' ' && text[end] != '\n') ++end;
    const size_t len = end - i;
    if (!line_start && col + 1 + len > kWidth) newline();
    if (line_start) {
      out.append(indent, ' ');
      col = indent;
      line_start = false;
    } else {
      out += ' ';
      ++col;
    }
    out.append(text, i, len);
    col += len;
    i = end;
  }
  if (!line_start) out += '\n';
  return out;
}

// "--profile P", "-o, --out OUT.dtb".
std::string option_spelling(const OptionDoc& o) {
  std::string s = o.short_name ? fmt::format("{}, {}", o.short_name, o.name) : o.name;
  if (o.value) s += fmt::format(" {}", o.value);
  return s;
}

std::string options_block(std::span<const OptionDoc> options) {
  std::string out;
  for (const OptionDoc& o : options) {
    const std::string left = "  " + option_spelling(o);
    if (left.size() + 2 <= kOptionColumn) {
      const std::string text = wrap(o.text, kOptionColumn);  // its first line's indent makes room for `left`
      out += left + text.substr(left.size());
    } else {
      out += left + "\n" + wrap(o.text, kOptionColumn);
    }
  }
  return out;
}

// Every line of `text` indented by `indent` spaces.
std::string indented(const std::string& text, size_t indent) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += std::string(indent, ' ') + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

// ---------------------------------------------------------------- roff
// Text for roff: backslashes and minus signs escaped (so options copy as
// typed), a control character at a line start defused.
std::string roff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
    line_start = c == '\n';
  }
  return out;
}

// Paragraphs of `text` as roff paragraphs.
std::string roff_paragraphs(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find("\n\n", start);
    if (end == std::string::npos) end = text.size();
    out += ".PP\n" + roff(text.substr(start, end - start)) + "\n";
    start = end + 2;
  }
  return out;
}

std::string roff_option(const OptionDoc& o) {
  std::string out = ".TP\n";
  out += o.short_name ? fmt::format("\\fB{}\\fR, \\fB{}\\fR", roff(o.short_name), roff(o.name))
                      : fmt::format("\\fB{}\\fR", roff(o.name));
  if (o.value) out += fmt::format(" \\fI{}\\fR", roff(o.value));
  return out + "\n" + roff(o.text) + "\n";
}

// ---------------------------------------------------------------- bash
// The words of a command's options, for compgen -W.
std::string option_words(const CommandDoc& c) {
  std::string out;
  for (const OptionDoc& o : c.options) out += fmt::format("{} ", o.name);
  for (const OptionDoc& o : c.options)
    if (o.short_name) out += fmt::format("{} ", o.short_name);
  for (const OptionDoc& o : common_options()) out += fmt::format("{} ", o.name);
  if (!out.empty()) out.pop_back();
  return out;
}

// The options of a command that take a value (their value is not a positional).
std::string valued_words(const CommandDoc& c) {
  std::string out;
  for (const OptionDoc& o : c.options) {
    if (!o.value) continue;
    out += fmt::format("{} ", o.name);
    if (o.short_name) out += fmt::format("{} ", o.short_name);
  }
  if (!out.empty()) out.pop_back();
  return out;
}

// The shell statement that completes a value of kind `k` ($cur is the word).
std::string completer(Complete k, const char* words) {
  switch (k) {
    case Complete::Policy:
      return "_dta_files \"dta\"";
    case Complete::Program:
      return "_dta_files \"dta dtb\"";
    case Complete::File:
      return "_dta_files \"\"";
    case Complete::Dir:
      return "compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\"))";
    case Complete::Profile:
      return "_dta_profiles \"$dta\" \"$policy\"";
    case Complete::Command: {
      std::string names;
      for (const CommandDoc& c : commands()) names += fmt::format("{} ", c.name);
      names.pop_back();
      return fmt::format("COMPREPLY=($(compgen -W \"{}\" -- \"$cur\"))", names);
    }
    case Complete::Words:
      return fmt::format("COMPREPLY=($(compgen -W \"{}\" -- \"$cur\"))", words ? words : "");
    case Complete::None:
      break;
  }
  return "COMPREPLY=()";
}

constexpr const char* kBashHelpers =
    R"BASH(_dta_files() {  # $1: extensions to offer (space-separated), or "" for any file
  local IFS=$'\n' f e exts
  IFS=' ' read -ra exts <<<"$1"
  compopt -o filenames 2>/dev/null
  COMPREPLY=()
  for f in $(compgen -f -- "$cur"); do
    if ((${#exts[@]} == 0)) || [[ -d $f ]]; then COMPREPLY+=("$f"); continue; fi
    for e in "${exts[@]}"; do [[ $f == *."$e" ]] && COMPREPLY+=("$f"); done
  done
}

_dta_profiles() {  # $1: the dta command, $2: the policy on the line
  local IFS=$'\n'
  [[ -n $2 ]] || return
  COMPREPLY=($(compgen -W "$("$1" check --list-profiles "$2" 2>/dev/null)" -- "$cur"))
}

)BASH";

}  // namespace

std::string version_text() {
  return fmt::format("dta {} (policy language {}, .dtb format {})\n", DTA_VERSION, kLanguageVersion, kDtbVersion);
}

namespace {

// The words of a usage line: "dta replay", then each argument and option.
std::vector<std::string> usage_words(const CommandDoc& c) {
  std::vector<std::string> words = {fmt::format("dta {}", c.name)};
  for (const ArgDoc& a : c.args)
    words.push_back(fmt::format(fmt::runtime(a.optional ? "[{}{}]" : "{}{}"), a.name, a.repeats ? "..." : ""));
  for (const OptionDoc& o : c.options) {
    const std::string spelled =
        fmt::format("{}{}", o.short_name ? o.short_name : o.name, o.value ? fmt::format(" {}", o.value) : "");
    words.push_back(fmt::format(fmt::runtime(o.required ? "{}" : "[{}]"), spelled));
  }
  return words;
}

}  // namespace

std::string usage_line(const CommandDoc& c) {
  std::string out;
  for (const std::string& w : usage_words(c)) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string usage_block(const CommandDoc& c, const std::string& lead) {
  const std::vector<std::string> words = usage_words(c);
  const size_t indent = lead.size() + words[0].size() + 1;  // continuation lines start under the first argument
  std::string out = lead + words[0];
  size_t col = out.size();
  for (size_t i = 1; i < words.size(); ++i) {
    if (col + 1 + words[i].size() > kWidth) {
      out += "\n" + std::string(indent, ' ') + words[i];
      col = indent + words[i].size();
    } else {
      out += " " + words[i];
      col += 1 + words[i].size();
    }
  }
  return out + "\n";
}

std::string short_usage() {
  std::string out = "usage: dta COMMAND [ARGUMENTS]\n\ncommands:\n";
  for (const CommandDoc& c : commands()) out += fmt::format("  {:<12}{}\n", c.name, c.summary);
  return out + "\n'dta help' or 'dta COMMAND --help' for more.\n";
}

std::string overview_help() {
  std::string out = fmt::format("dta {}: Dynamic Telemetry Audit\n\n", DTA_VERSION);
  out += wrap(
      "Checks streams of structured events (JSON Lines) against audit policies written in the DTA language "
      "(.dta files): which events are errors, warnings or successes, thresholds over time windows, "
      "expectations that something follows, state machines. Profiles (unit, stress, production...) "
      "change what counts as an error without touching the policy's rules.",
      0);
  out += "\nusage:\n";
  for (const CommandDoc& c : commands()) out += usage_block(c, "  ");
  out += "\ncommands:\n";
  for (const CommandDoc& c : commands()) out += fmt::format("  {:<12}{}\n", c.name, c.summary);
  out += "\noptions:\n";
  out += options_block(common_options());
  constexpr OptionDoc kVersion = {"--version", nullptr, nullptr, Complete::None, nullptr, "print the version and exit"};
  out += options_block(std::span<const OptionDoc>(&kVersion, 1));
  out += "\nexit status:\n" + wrap(kExitStatus, 2);
  out += "\n" + wrap("'dta help COMMAND' or 'dta COMMAND --help' describes a command; 'man dta' the whole tool.", 0);
  return out;
}

std::string command_help(const CommandDoc& c) {
  std::string out = usage_block(c, "usage: ") + "\n";
  out += wrap(c.summary, 0) + "\n";
  out += wrap(c.description, 0);
  out += "\noptions:\n";
  out += options_block(c.options);
  out += options_block(common_options());
  if (c.examples && *c.examples) out += "\nexamples:\n" + indented(c.examples, 2);
  out += "\nexit status:\n" + wrap(kExitStatus, 2);
  return out;
}

std::string man_page() {
  std::string out = fmt::format(".TH DTA 1 \"\" \"dta {}\" \"User Commands\"\n", roff(DTA_VERSION));
  out += ".SH NAME\ndta \\- check event streams against audit policies (Dynamic Telemetry Audit)\n";
  out += ".SH SYNOPSIS\n.nf\n";
  for (const CommandDoc& c : commands()) out += "\\fB" + roff(usage_line(c)) + "\\fR\n";
  out += "\\fBdta \\-\\-version\\fR\n.fi\n";
  out += ".SH DESCRIPTION\n";
  out += roff_paragraphs(
      "dta checks streams of structured events (JSON Lines, one event per line) against audit policies "
      "written in the DTA language (.dta files): which events are errors, warnings or successes, "
      "thresholds over time windows, expectations that something follows, state machines. A policy is "
      "compiled to verified bytecode once and run by a virtual machine over each event. Profiles (unit, "
      "stress, production...) change what counts as an error without touching the policy's rules.");
  out += ".SH COMMANDS\n";
  for (const CommandDoc& c : commands()) {
    out += fmt::format(".SS \"{}\"\n", roff(usage_line(c)));
    out += roff(c.summary) + ".\n";
    out += roff_paragraphs(c.description);
    for (const OptionDoc& o : c.options) out += roff_option(o);
    if (c.examples && *c.examples) out += ".PP\nExamples:\n.RS\n.nf\n" + roff(c.examples) + "\n.fi\n.RE\n";
  }
  out += ".SH OPTIONS\nEvery command accepts:\n";
  for (const OptionDoc& o : common_options()) out += roff_option(o);
  out += ".TP\n\\fB\\-\\-version\\fR\n" + roff("print the version (dta --version)") + "\n";
  out += ".SH EXIT STATUS\n" + roff(kExitStatus) + "\n";
  out += ".SH DIAGNOSTICS\n";
  out += roff_paragraphs(
      "Errors and warnings about a policy are printed on standard error like a compiler's: "
      "FILE:LINE:COL: error: MESSAGE (or warning:), then the source line and a caret under the place, "
      "then notes that point at related places (FILE:LINE:COL: note: ...). Syntax errors say what was "
      "expected in words and how to fix common mistakes (&& for and, single quotes, a missing brace, a "
      "misspelled unit or constant). Warnings do not stop a policy unless --Werror is given.");
  out += ".SH SEE ALSO\n";
  out += roff("The DTA language reference, LANGUAGE.md (version ") + roff(kLanguageVersion) +
         roff("), and the project's README.") + "\n";
  return out;
}

std::string bash_completion() {
  std::string out = fmt::format(
      "# bash completion for dta {}, generated by 'dta completion bash' from its help.\n"
      "# Install as /usr/share/bash-completion/completions/dta, or: source <(dta completion bash)\n\n",
      DTA_VERSION);
  out += kBashHelpers;
  std::string names;
  for (const CommandDoc& c : commands()) names += fmt::format("{} ", c.name);
  out += "_dta() {\n";
  out += "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" dta=\"${COMP_WORDS[0]}\"\n";
  out += "  if ((COMP_CWORD == 1)); then\n";
  out += fmt::format("    COMPREPLY=($(compgen -W \"{}--help --version\" -- \"$cur\"))\n    return\n  fi\n", names);
  out += "  local cmd=\"${COMP_WORDS[1]}\" opts=\"\" valued=\"\" policy=\"\" w i n=0\n";
  out += "  case $cmd in\n";
  for (const CommandDoc& c : commands())
    out += fmt::format("    {}) opts=\"{}\" valued=\"{}\" ;;\n", c.name, option_words(c), valued_words(c));
  out += "    *) return ;;\n  esac\n";
  out += "  # the positional arguments: how many come before this word, and the\n";
  out += "  # first of the line (the policy, whose profiles --profile offers)\n";
  out += "  for ((i = 2; i < ${#COMP_WORDS[@]}; i++)); do\n";
  out += "    w=\"${COMP_WORDS[i]}\"\n";
  out += "    ((i == COMP_CWORD)) && continue\n";
  out += "    if [[ \" $valued \" == *\" $w \"* ]]; then ((i++)); continue; fi\n";
  out += "    [[ $w == -?* ]] && continue\n";
  out += "    [[ -z $policy ]] && policy=\"$w\"\n";
  out += "    ((i < COMP_CWORD)) && ((n++))\n  done\n";
  out += "  # an option's value\n  case \"$cmd $prev\" in\n";
  for (const CommandDoc& c : commands())
    for (const OptionDoc& o : c.options) {
      if (!o.value) continue;
      const std::string pattern = o.short_name ? fmt::format("\"{0} {1}\" | \"{0} {2}\"", c.name, o.name, o.short_name)
                                               : fmt::format("\"{} {}\"", c.name, o.name);
      out += fmt::format("    {}) {}; return ;;\n", pattern, completer(o.complete, o.words));
    }
  out += "  esac\n";
  out += "  if [[ $cur == -* ]]; then\n    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n    return\n  fi\n";
  out += "  # a positional argument, by its place\n  case \"$cmd $n\" in\n";
  for (const CommandDoc& c : commands()) {
    for (size_t i = 0; i < c.args.size(); ++i) {
      const ArgDoc& a = c.args[i];
      const std::string place = a.repeats ? "*" : std::to_string(i);
      out += fmt::format("    \"{} \"{}) {} ;;\n", c.name, place, completer(a.complete, a.words));
      if (a.repeats) break;
    }
  }
  out += "  esac\n}\n\ncomplete -F _dta dta\n";
  return out;
}

// ---------------------------------------------------------------- commands
int cmd_help(int argc, char** argv) {
  const Expected<Args> parsed = parse_args(argc, argv, 2, {}, {"man"});
  if (!parsed || parsed->positional.size() > 1) {
    std::fprintf(stderr, "dta help: %s\nusage: %s\n", parsed ? "expected at most one command" : parsed.error().c_str(),
                 usage_line(*find_command("help")).c_str());
    return kExitInvalid;
  }
  if (parsed->has("man")) {
    std::fputs(man_page().c_str(), stdout);
    return kExitPass;
  }
  if (parsed->positional.empty()) {
    std::fputs(overview_help().c_str(), stdout);
    return kExitPass;
  }
  const std::string& name = parsed->positional[0];
  if (const CommandDoc* c = find_command(name)) {
    std::fputs(command_help(*c).c_str(), stdout);
    return kExitPass;
  }
  const CommandDoc* near = closest_command(name);
  std::fprintf(stderr, "dta help: unknown command '%s'%s\n", name.c_str(),
               near ? fmt::format(" (did you mean '{}'?)", near->name).c_str() : "");
  return kExitInvalid;
}

int cmd_completion(int argc, char** argv) {
  const Expected<Args> parsed = parse_args(argc, argv, 2, {}, {});
  if (!parsed || parsed->positional.size() != 1 || parsed->positional[0] != "bash") {
    std::fprintf(stderr, "dta completion: %s\nusage: %s\n",
                 !parsed ? parsed.error().c_str() : "only bash is supported: dta completion bash",
                 usage_line(*find_command("completion")).c_str());
    return kExitInvalid;
  }
  std::fputs(bash_completion().c_str(), stdout);
  return kExitPass;
}

}  // namespace dta::cli
