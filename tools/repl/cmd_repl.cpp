// `dta repl`: loads the events and the policy, then runs commands from -c,
// from a terminal (line_editor.hpp) or from standard input, printing each
// reply (tables, or one JSON value per command with --json).
#include "cmd_repl.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "../cli_common.hpp"
#include "../help.hpp"
#include "interrupt.hpp"
#include "line_editor.hpp"
#include "session.hpp"

namespace dta::cli {
namespace {

// Inputs at least this large get a progress line while loading (on a terminal).
constexpr uint64_t kProgressMinBytes = 4u << 20;
// A command shows its progress once it has run this long (a quick one never flickers a line).
constexpr auto kProgressAfter = std::chrono::milliseconds(500);

// Prints a reply: its text or JSON on stdout, its error on stderr. False on error.
bool print_reply(const repl::Reply& r, bool json) {
  if (!r.ok()) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n",
                 r.error.starts_with("error:") || r.error.find(": error:") != std::string::npos ||
                         r.error.starts_with("warning:")
                     ? r.error.c_str()
                     : ("error: " + r.error).c_str());
    std::fflush(stderr);
    return false;
  }
  if (json) {
    if (!r.quit && !(r.json.is_null() && r.text.empty())) std::printf("%s\n", boost::json::serialize(r.json).c_str());
  } else {
    std::fwrite(r.text.data(), 1, r.text.size(), stdout);
  }
  std::fflush(stdout);
  return true;
}

// Reads one command from a stream: a line, or several while a block is open.
bool read_script_command(std::istream& in, std::string* cmd) {
  cmd->clear();
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    *cmd += cmd->empty() ? line : "\n" + line;
    if (!repl::Session::needs_more(*cmd)) return true;
  }
  return !cmd->empty();
}

}  // namespace

int cmd_repl(int argc, char** argv) {
  const CommandDoc& doc = *find_command("repl");
  const Expected<Args> parsed = parse_command_args(argc, argv, doc);
  if (!parsed) return usage_error(doc, parsed.error());
  const Args& args = *parsed;
  const bool json = args.has("json");
  std::vector<std::string> commands;
  for (const auto& [name, value] : args.options)
    if (name == "command") commands.push_back(value);
  const bool events_on_stdin = std::find(args.positional.begin(), args.positional.end(), "-") != args.positional.end();
  if (events_on_stdin && commands.empty())
    return usage_error(doc, "with events on standard input, give the commands with -c");

  repl::SessionOptions so;
  if (args.has("ts-unit")) {
    if (!parse_time_unit(args.get("ts-unit"), &so.jsonl.ts_unit))
      return usage_error(doc, fmt::format("--ts-unit {}: expected s, ms, us or ns", args.get("ts-unit")));
    so.jsonl.unit_given = true;
  }
  const bool interactive = commands.empty() && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  std::unique_ptr<repl::InterruptWatch> watch;
  if (interactive) watch = std::make_unique<repl::InterruptWatch>();
  repl::InterruptWatch* w = watch.get();
  so.cancelled = [w] { return w && w->interrupted(); };
  bool bar_shown = false;
  if (isatty(STDERR_FILENO))
    so.progress = [&bar_shown](uint64_t read, uint64_t total) {
      if (total < kProgressMinBytes) return;
      const int pct = static_cast<int>(std::min<uint64_t>(read * 100 / total, 100));
      std::fprintf(stderr, "\rloading: %3d%% %llu of %llu MB", pct, static_cast<unsigned long long>(read >> 20),
                   static_cast<unsigned long long>(total >> 20));
      bar_shown = true;
    };
  // Slow commands: a progress line on a terminal once one has run for a while.
  auto command_start = std::chrono::steady_clock::now();
  if (isatty(STDERR_FILENO))
    so.work_progress = [&command_start, &bar_shown](std::string_view what, uint64_t done, uint64_t total) {
      if (total == 0 || std::chrono::steady_clock::now() - command_start < kProgressAfter) return;
      std::fprintf(stderr, "\r%.*s: %3d%% of %llu events", static_cast<int>(what.size()), what.data(),
                   static_cast<int>(done * 100 / total), static_cast<unsigned long long>(total));
      bar_shown = true;
    };
  so.stdin_is_commands = commands.empty();
  repl::Session session(so);
  // Runs one command: the progress line cleared after it.
  auto execute = [&](const std::string& c) {
    command_start = std::chrono::steady_clock::now();
    repl::Reply r = session.execute(c);
    if (bar_shown) std::fputs("\r\033[K", stderr);
    bar_shown = false;
    return r;
  };

  if (!args.positional.empty()) {
    const repl::Reply r = session.load_events(args.positional);
    if (bar_shown) std::fputs("\r\033[K", stderr);
    if (!r.ok()) {
      print_reply(r, json);
      return kExitInvalid;
    }
    if (!json) std::fputs(r.text.c_str(), interactive ? stdout : stderr);  // scripts: stdout is the commands' output
  }
  if (args.has("policy")) {
    const repl::Reply r = session.load_policy(args.get("policy"));
    if (!r.ok()) {
      print_reply(r, json);
      return kExitInvalid;
    }
    if (interactive) std::fputs(r.text.c_str(), stdout);
  }
  if (args.has("profile")) {
    const repl::Reply r = session.set_profile(args.get("profile"));
    if (!r.ok()) {
      print_reply(r, json);
      return kExitInvalid;
    }
  }

  if (!commands.empty()) {  // -c: in order; the first invalid one stops
    for (const std::string& c : commands) {
      const repl::Reply r = execute(c);
      if (!print_reply(r, json)) return kExitInvalid;
      if (r.quit) break;
    }
    return kExitPass;
  }
  if (!interactive) {  // a script on stdin: every command runs; exit 2 if one was invalid
    int status = kExitPass;
    std::string cmd;
    while (read_script_command(std::cin, &cmd)) {
      const repl::Reply r = execute(cmd);
      if (!print_reply(r, json)) status = kExitInvalid;
      if (r.quit) break;
    }
    return status;
  }
  std::printf("dta repl: ':help' lists the commands, Tab completes, Ctrl-D leaves\n");
  repl::LineEditor editor(session, repl::history_path(), argv[0]);
  while (auto cmd = editor.read_command()) {
    w->reset();
    const repl::Reply r = execute(*cmd);
    if (w->interrupted() && !r.ok()) {
      std::fflush(stdout);
      std::fprintf(stderr, "interrupted\n");
      continue;
    }
    print_reply(r, json);
    if (r.quit) break;
  }
  return kExitPass;
}

}  // namespace dta::cli
