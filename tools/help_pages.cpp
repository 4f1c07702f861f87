// What `dta help`, `--help`, the man page and the completion say about each
// command: the one table to edit when a command or an option changes.
#include <algorithm>
#include <string>

#include "help.hpp"

namespace dta::cli {
namespace {

constexpr OptionDoc kHelp = {"--help", "-h", nullptr, Complete::None, nullptr, "print this help and exit"};
constexpr OptionDoc kWerror = {"--Werror", nullptr,
                               nullptr,    Complete::None,
                               nullptr,    "treat warnings as errors: a policy with a warning is refused (exit 2)"};
constexpr OptionDoc kProfile = {"--profile", nullptr,
                                "P",         Complete::Profile,
                                nullptr,     "the profile to apply (default: none, the policy as written)"};

constexpr ArgDoc kCheckArgs[] = {{"POLICY", Complete::Program, false, true}};
constexpr OptionDoc kCheckOptions[] = {
    {"--profile", nullptr, "P", Complete::Profile, nullptr, "also check that each policy has profile P"},
    kWerror,
    {"--list-profiles", nullptr, nullptr, Complete::None, nullptr,
     "print the names of the policy's profiles, one per line, and nothing else (for scripts and completion)"},
    {"--cost", nullptr, nullptr, Complete::None, nullptr,
     "also print each rule's, machine's and filter's static worst-case cost of one event, in VM instructions "
     "(the longest path through its code, plus fixed costs for builtins, regex searches, actions and state "
     "updates), and what each profile changes (with --profile, that profile only)"},
    {"--json", nullptr, nullptr, Complete::None, nullptr,
     "with --cost: print the costs as one JSON object per policy instead of the table"},
};

constexpr ArgDoc kCompileArgs[] = {{"POLICY", Complete::Policy, false, false}};
constexpr OptionDoc kCompileOptions[] = {
    {"--out", "-o", "OUT.dtb", Complete::File, nullptr, "the bytecode file to write", true},
    kWerror,
};

constexpr ArgDoc kDisasmArgs[] = {{"POLICY|PROGRAM.dtb", Complete::Program, false, false}};
constexpr OptionDoc kDisasmOptions[] = {kWerror};

constexpr ArgDoc kReplayArgs[] = {{"POLICY", Complete::Program, false, false},
                                  {"EVENTS", Complete::File, false, true}};
// Every option `dta replay` accepts: cmd_replay parses by this table.
constexpr OptionDoc kReplayOptions[] = {
    kProfile,
    {"--out", nullptr, "DIR", Complete::Dir, nullptr, "where collections are written (default dta-out)"},
    {"--json", nullptr, nullptr, Complete::None, nullptr,
     "print the report as one JSON object (spec section 11) instead of the summary"},
    {"--json-lines", nullptr, nullptr, Complete::None, nullptr,
     "print each finding and alert as one JSON object as it happens, then the report as one more line"},
    {"--findings", nullptr, "FILE", Complete::File, nullptr,
     "write every finding to FILE as JSON Lines (rule, level, message, ts, key, the event's fields), "
     "however many the report keeps"},
    {"--max-findings", nullptr, "N", Complete::None, nullptr,
     "how many findings the report lists in detail, errors before warnings (default 1000)"},
    {"--fail-on", nullptr, "LEVEL", Complete::Words, "info warning error critical",
     "exit 1 when a finding at or above LEVEL, or an alert of that severity or above, was raised "
     "(default: the spec's verdict, a finding of level error)"},
    {"--color", nullptr, "WHEN", Complete::Words, "auto always never",
     "colours in the summary: auto (on a terminal, unless NO_COLOR is set), always or never"},
    {"--ts-unit", nullptr, "UNIT", Complete::Words, "s ms us ns",
     "the unit of a numeric \"ts\" (default ns); with s, ms or us it may have a fraction"},
    {"--max-bad", nullptr, "N|P%", Complete::None, nullptr,
     "exit 2 when more than N lines (or P% of the lines) are not valid events"},
    {"--allow-empty", nullptr, nullptr, Complete::None, nullptr, "an input without events is not an error"},
    {"--since", nullptr, "T", Complete::None, nullptr,
     "replay only events at or after T (RFC 3339, a date, a number in --ts-unit, or -DURATION before now)"},
    {"--until", nullptr, "T", Complete::None, nullptr, "replay only events before T (as --since)"},
    {"--end-at", nullptr, "T|+D", Complete::None, nullptr,
     "at the end, let time pass to T (or D after the last event) so deadlines and 'after' transitions "
     "due by then fire"},
    {"--follow", nullptr, nullptr, Complete::None, nullptr,
     "keep reading as the files grow (a pipe until it closes), print findings and alerts as they happen; "
     "on a quiet stream the clock moves with wall time; SIGINT or SIGTERM prints the report"},
    {"--lateness", nullptr, "D", Complete::None, nullptr,
     "with --follow: how far the clock stays behind wall time on a quiet stream (default 1s)"},
    {"--alertmanager", nullptr, "URL", Complete::None, nullptr,
     "also send each alert to Prometheus Alertmanager at URL (http://HOST:PORT, API v2) from a background "
     "thread, with retries; at the end wait up to 10 s for delivery and report failures on standard error "
     "(the exit status does not change)"},
    {"--alerts-file", nullptr, "FILE", Complete::File, nullptr,
     "also append each alert to FILE as one JSON object per line (rule, severity, message, ts, labels, key)"},
    kWerror,
};

constexpr ArgDoc kTestArgs[] = {{"FILE", Complete::Policy, false, true}};
constexpr OptionDoc kTestOptions[] = {
    {"--junit", nullptr, "FILE", Complete::File, nullptr, "also write the results as JUnit XML to FILE (for CI systems)"},
    {"--json", nullptr, nullptr, Complete::None, nullptr,
     "print the results as one JSON object (tests with their expectations and findings, coverage) instead of "
     "the text"},
    {"--match", nullptr, "TEXT", Complete::None, nullptr, "run only the tests whose name contains TEXT"},
    kWerror,
};

constexpr ArgDoc kReplArgs[] = {{"EVENTS", Complete::File, true, true}};
// Every option `dta repl` accepts: cmd_repl parses by this table.
constexpr OptionDoc kReplOptions[] = {
    {"--policy", nullptr, "P", Complete::Policy, nullptr, "load policy P as the session's policy (as :load P)"},
    kProfile,
    {"--command", "-c", "CMD", Complete::None, nullptr,
     "run CMD and exit instead of reading commands (repeatable: in order; an invalid one stops with exit 2)"},
    {"--json", nullptr, nullptr, Complete::None, nullptr, "print one JSON value per command instead of tables"},
    {"--ts-unit", nullptr, "UNIT", Complete::Words, "s ms us ns",
     "the unit of a numeric \"ts\" (default ns); with s, ms or us it may have a fraction"},
};

constexpr ArgDoc kHelpArgs[] = {{"COMMAND", Complete::Command, true, false}};
constexpr OptionDoc kHelpOptions[] = {
    {"--man", nullptr, nullptr, Complete::None, nullptr, "print the manual page dta(1) in roff"},
};

constexpr ArgDoc kCompletionArgs[] = {{"SHELL", Complete::Words, false, false, "bash"}};

constexpr CommandDoc kCommands[] = {
    {"check", "type-check policies and all their profiles", kCheckArgs, kCheckOptions,
     "Compiles each POLICY (and the files it includes) and every profile in it, and prints "
     "'POLICY: ok' with what it holds. Nothing is run.\n\n"
     "Errors and warnings are printed on standard error like a compiler's: FILE:LINE:COL: error: MESSAGE "
     "(or warning:), then the source line and a caret under the place, then notes that point at related "
     "places. Warnings flag what is valid but probably not meant: a rule on an event name that no schema "
     "declares although the policy declares schemas (with the name it probably misspells), a field whose "
     "name says milliseconds or seconds compared with a duration (durations are nanoseconds), a name that "
     "reads a field but looks like a misspelled constant. A policy with warnings still passes, unless "
     "--Werror is given.",
     "dta check policy.dta\n"
     "dta check --Werror policy.dta other.dta\n"
     "dta check policy.dta --profile unit"},
    {"compile", "compile a policy to a bytecode file (.dtb)", kCompileArgs, kCompileOptions,
     "Compiles POLICY and writes its verified bytecode to OUT.dtb: a versioned, checksummed file that "
     "'dta replay', 'dta disasm' and hosts linking only the runtime load without the compiler. Warnings "
     "are printed as by 'dta check'.",
     "dta compile policy.dta -o policy.dtb"},
    {"disasm", "print the bytecode of a policy or a .dtb", kDisasmArgs, kDisasmOptions,
     "Prints the bytecode of every rule, window, expectation and machine, with the source lines it "
     "came from. Takes a policy (compiled first) or a .dtb file.",
     "dta disasm policy.dta | less\n"
     "dta disasm policy.dtb"},
    {"replay", "run a policy over recorded or live JSON Lines streams", kReplayArgs, kReplayOptions,
     "Runs POLICY (a .dta or a .dtb) over EVENTS, JSON Lines files with one event per line ('-' reads "
     "standard input), and prints a summary: the verdict, each rule's level and counts, findings grouped "
     "by rule, alerts, metrics, diagnostics and what is still pending. With --json it prints the report of "
     "the language specification, section 11. Warnings about the policy are printed on standard error "
     "first.\n\n"
     "Inputs may be plain, gzip or zstd; several files are merged in time order. A binary file, a "
     "directory, or a stream with bad lines and no valid event is refused (exit 2).\n\n"
     "The policy comes first and the events second.",
     "dta replay policy.dta events.jsonl\n"
     "dta replay policy.dta events.jsonl --profile unit --json\n"
     "dta replay p.dta a.jsonl.gz b.jsonl.zst --findings all.jsonl --fail-on warning\n"
     "tail -F app.jsonl | dta replay policy.dta - --follow --json-lines\n"
     "dta replay policy.dta events.jsonl --alertmanager http://127.0.0.1:9093"},
    {"test", "run the test blocks of policies", kTestArgs, kTestOptions,
     "Runs every 'test' block (language specification, section 10) in each FILE: a policy with its own "
     "tests, or a file of tests that name their policy with 'policy \"path\"'. A test replays its fixture "
     "files and inline events ('at 2s db.open { errno: 13 }', times from 2026-01-01T00:00:00Z) through its "
     "policy under its profile, in virtual time ('advance 5m' lets deadlines and 'after' transitions due before "
     "then fire), then checks each 'expect': a rule's findings of a level (expect db_open_failed error 1), "
     "its alerts, fired, matched or collection counts (collections are kept in memory), all findings of a level (expect findings warning 0), all alerts, "
     "what is still pending, or the verdict (expect verdict fail). Counts are exact.\n\n"
     "Prints PASS or FAIL per test, and for a failed test each expectation that failed with the expected "
     "and actual value and the findings that were made; then, per policy, the rules and machines no test "
     "made fire; then 'N passed, M failed'. Exit status: 0 when every test passed, 1 when one failed, 2 for "
     "an invalid test file, policy or fixture (errors as FILE:LINE:COL: error: with a caret).",
     "dta test policy.dta\n"
     "dta test tests/*.dta --junit results.xml\n"
     "dta test policy.dta --match 'db open' --json"},
    {"repl", "explore events and write policies interactively", kReplArgs, kReplOptions,
     "Loads EVENTS (JSON Lines files, plain, gzip or zstd, merged in time order; '-' reads standard input) "
     "once into columns with an index per event name, then reads commands: 'where EXPR' and 'on PATTERN' "
     "narrow the selection, 'count [by F...]', 'top N F', 'stats F', 'histogram F', 'timeline [by F] "
     "[every D]', 'show N', 'tail N', 'names', 'fields EVENT' and 'schema' look at it. A 'rule', "
     "'machine' or 'const' typed at the prompt is added to the session's policy; ':load', ':reload', "
     "':profile', ':run', ':why RULE N', ':whynot RULE N', ':disasm', ':cost' and ':save FILE' work on it. "
     "':help' lists every command.\n\n"
     "On a terminal: line editing, Tab completion (commands, event and field names, rules, functions, "
     "constants), Ctrl-R history search, a history kept in ~/.dta_history (or $DTA_HISTORY), blocks "
     "spanning lines, and Ctrl-C cancels a running command without leaving. Otherwise commands are read "
     "from standard input, one per line, or from -c; an invalid command prints its error on standard "
     "error and the exit status is 2.",
     "dta repl events.jsonl\n"
     "dta repl events.jsonl --policy policy.dta --profile unit\n"
     "dta repl events.jsonl -c 'on http.request' -c 'stats latency_ms'\n"
     "dta repl events.jsonl --json -c 'top 5 path' | jq ."},
    {"help", "show help for dta or one of its commands", kHelpArgs, kHelpOptions,
     "Without COMMAND, lists the commands; with one, prints its help (the same as 'dta COMMAND --help'). "
     "With --man, prints this manual in roff.",
     "dta help replay\n"
     "dta help --man | man -l -"},
    {"completion",
     "print a shell completion script",
     kCompletionArgs,
     {},
     "Prints a script that completes dta's commands, options, files and profile names. Only bash is "
     "supported. Installed builds already ship it for bash-completion.",
     "source <(dta completion bash)"},
};

// Edit distance between two short words (command names).
size_t distance(std::string_view a, std::string_view b) {
  std::string prev(b.size() + 1, 0), cur(b.size() + 1, 0);  // small counts: chars suffice
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<char>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<char>(i);
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({static_cast<char>(prev[j] + 1), static_cast<char>(cur[j - 1] + 1),
                         static_cast<char>(prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))});
    std::swap(prev, cur);
  }
  return static_cast<size_t>(prev[b.size()]);
}

constexpr size_t kMaxCommandLength = 32;  // longer words are not misspelled commands (and fit the char counts)

}  // namespace

std::span<const CommandDoc> commands() { return kCommands; }

const CommandDoc* find_command(std::string_view name) {
  for (const CommandDoc& c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

const CommandDoc* closest_command(std::string_view name) {
  if (name.empty() || name.size() > kMaxCommandLength) return nullptr;
  const CommandDoc* best = nullptr;
  size_t best_d = SIZE_MAX;
  for (const CommandDoc& c : kCommands) {
    const size_t d = distance(name, c.name);
    if (d < best_d) {
      best_d = d;
      best = &c;
    }
  }
  return best_d <= 2 ? best : nullptr;
}

std::span<const OptionDoc> common_options() {
  static constexpr OptionDoc kCommon[] = {kHelp};
  return kCommon;
}

}  // namespace dta::cli
