// A REPL session without a terminal: the loaded events and the current
// selection, the session's policy (a loaded file plus what was typed), the
// profile, and one entry point that takes a command line and returns its
// output or error. The line editor (line_editor.hpp) and `dta repl -c` both
// drive it; unit tests call it directly.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "dta/program.hpp"
#include "event_store.hpp"
#include "table.hpp"

namespace dta::repl {

struct SessionOptions {
  JsonlOptions jsonl;     // --ts-unit
  LoadProgress progress;  // slow loads report here (the CLI draws a bar on stderr)
  CancelCheck cancelled;  // polled by long loops: true stops the command
  // Long scans (where, :run, :why over many events) report here now and then:
  // what runs, events done, events in all.
  std::function<void(std::string_view what, uint64_t done, uint64_t total)> work_progress;
  // Commands come from standard input: `:events -` would wait for them forever, so it is refused.
  bool stdin_is_commands = false;
};

class Session {
 public:
  explicit Session(SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Loads events (replacing the loaded ones, clearing the selection); a
  // summary line, or why not.
  Reply load_events(const std::vector<std::string>& paths);
  // Loads a policy file as the session's policy (`:load`).
  Reply load_policy(const std::string& path);
  // Selects a profile (`:profile`); "" for none.
  Reply set_profile(const std::string& name);

  // Runs one command (or a policy block: `rule ...`, `machine ...`, `const ...`).
  Reply execute(const std::string& line);

  // Whether `text` (lines read so far) is an unfinished block: read more.
  static bool needs_more(const std::string& text);
  // Completions of the word ending at `cursor` in `line`: commands, event
  // names, field names, rule names, functions, constants, profiles.
  std::vector<std::string> complete(const std::string& line, size_t cursor) const;

  // Every command name, for completion and help.
  static std::vector<std::string> command_names();

  const EventStore& store() const { return *store_; }
  size_t selected() const { return sel_.size(); }
  // The compiled session policy, or nullptr when there is none.
  std::shared_ptr<const Program> program() const { return prog_; }

 private:
  struct Block {
    std::string kind, name, text;
  };
  using Handler = Reply (Session::*)(const std::string& args, const std::string& line);
  struct Command {
    const char* name;
    const char* usage;
    const char* help;
    Handler run;
  };
  static const std::vector<Command>& commands();

  // exploration (explore_commands.cpp)
  Reply cmd_where(const std::string& a, const std::string& line);
  Reply cmd_on(const std::string& a, const std::string& line);
  Reply cmd_reset(const std::string& a, const std::string& line);
  Reply cmd_count(const std::string& a, const std::string& line);
  Reply cmd_top(const std::string& a, const std::string& line);
  Reply cmd_stats(const std::string& a, const std::string& line);
  Reply cmd_histogram(const std::string& a, const std::string& line);
  Reply cmd_timeline(const std::string& a, const std::string& line);
  Reply cmd_show(const std::string& a, const std::string& line);
  Reply cmd_tail(const std::string& a, const std::string& line);
  Reply cmd_names(const std::string& a, const std::string& line);
  Reply cmd_fields(const std::string& a, const std::string& line);
  Reply cmd_schema(const std::string& a, const std::string& line);
  Reply cmd_events(const std::string& a, const std::string& line);
  Reply cmd_help(const std::string& a, const std::string& line);
  Reply cmd_quit(const std::string& a, const std::string& line);
  Reply cmd_timing(const std::string& a, const std::string& line);
  Reply dispatch(const std::string& line);
  Reply timed(const std::string& line);
  // policy work (policy_commands.cpp, why_command.cpp)
  Reply cmd_load(const std::string& a, const std::string& line);
  Reply cmd_reload(const std::string& a, const std::string& line);
  Reply cmd_profile(const std::string& a, const std::string& line);
  Reply cmd_run(const std::string& a, const std::string& line);
  Reply cmd_rules(const std::string& a, const std::string& line);
  Reply cmd_forget(const std::string& a, const std::string& line);
  Reply cmd_disasm(const std::string& a, const std::string& line);
  Reply cmd_cost(const std::string& a, const std::string& line);
  Reply cmd_save(const std::string& a, const std::string& line);
  Reply cmd_why(const std::string& a, const std::string& line);
  Reply cmd_whynot(const std::string& a, const std::string& line);
  Reply add_block(const std::string& text);
  Reply why(const std::string& args, bool not_fired);

  // What a command's F names: a field (field("x") too), or an event part
  // (`name`, `severity`, `id`, `ts`, or `event.X`), resolved once per command.
  struct FieldRef {
    enum Part : uint8_t { Field, Name, Severity, Ts, Id } part = Field;
    uint32_t key = UINT32_MAX;  // Field: the store's id (UINT32_MAX: no event has it)
    bool sensitive = false;     // some schema of the session declares it sensitive
  };
  FieldRef resolve(const std::string& field) const;
  // Event i's value of `ref`: its text (when `text`) and its number (NaN when
  // not numeric); false when the event does not carry it.
  bool value_of(size_t i, const FieldRef& ref, std::string* text, double* number) const;
  // Whether the session's schemas declare field `key` of event i sensitive: shown as <redacted>.
  bool redacted(size_t i, uint32_t key) const;
  // The session policy's text: the loaded file, then the typed blocks.
  std::string policy_source() const;
  // Compiles policy_source() (with `extra` appended): the program, or the errors rendered.
  Expected<std::shared_ptr<const Program>> compile(const std::string& extra, size_t* extra_line) const;
  // Declarations probes start from: the session's constants.
  std::string prelude() const;
  bool cancelled() const { return opts_.cancelled && opts_.cancelled(); }
  // Every kCheckEvery events of a scan: reports progress, and whether to stop.
  bool check(std::string_view what, size_t done, size_t total) const {
    if (opts_.work_progress) opts_.work_progress(what, done, total);
    return cancelled();
  }
  Reply need_events() const;

  SessionOptions opts_;
  std::unique_ptr<EventStore> store_ = std::make_unique<EventStore>();
  std::vector<std::string> paths_;
  std::vector<uint32_t> sel_;          // the selection: event numbers (0-based) in order
  std::vector<std::string> narrowed_;  // the where/on that made it
  std::string policy_path_, policy_text_;
  std::vector<Block> typed_;
  std::string profile_;
  std::shared_ptr<const Program> prog_;
  bool timing_ = false;  // :timing on: each reply says how long the command took
};

}  // namespace dta::repl
