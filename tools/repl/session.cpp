// A REPL session: dispatching command lines, completion, the session policy (session.hpp).
#include "session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "../replay_summary.hpp"
#include "dta/builtin.hpp"
#include "dta/compiler.hpp"
#include "dta/stdlib.hpp"
#include "expr_text.hpp"
#include "probe.hpp"

namespace dta::repl {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

// The words that start a policy block typed at the prompt.
bool starts_block(std::string_view word) {
  for (std::string_view w : {"rule", "machine", "const", "event", "filter", "profile"})
    if (word == w) return true;
  return false;
}

}  // namespace

Session::Session(SessionOptions options) : opts_(std::move(options)) {}
Session::~Session() = default;

const std::vector<Session::Command>& Session::commands() {
  static const std::vector<Command> kCommands = {
      {"where", "where EXPR", "narrow the selection to the events for which EXPR is true", &Session::cmd_where},
      {"on", "on PATTERN...", "narrow the selection by event name (db.open, db.*)", &Session::cmd_on},
      {"reset", "reset", "select every loaded event again", &Session::cmd_reset},
      {"count", "count [by F...]", "how many selected events, or per value of the fields", &Session::cmd_count},
      {"top", "top N F", "the N most frequent values of F", &Session::cmd_top},
      {"stats", "stats F", "count, min, max, mean, p50, p90, p99 of a numeric field", &Session::cmd_stats},
      {"histogram", "histogram F [BUCKETS]", "a bar chart of F's values", &Session::cmd_histogram},
      {"timeline", "timeline [by F] [every D]", "events per time bucket, as bars", &Session::cmd_timeline},
      {"show", "show [N]", "the first N selected events (default 10), fields aligned", &Session::cmd_show},
      {"tail", "tail [N]", "the last N selected events", &Session::cmd_tail},
      {"names", "names", "event names with their counts", &Session::cmd_names},
      {"fields", "fields EVENT", "the fields an event carried: types and how often present", &Session::cmd_fields},
      {"schema", "schema [EVENT...]", "inferred `event` declarations, ready to paste into a policy",
       &Session::cmd_schema},
      {":events", ":events FILE...", "load other events (- for stdin); the selection is reset", &Session::cmd_events},
      {":load", ":load FILE", "load a policy file as the session's policy", &Session::cmd_load},
      {":reload", ":reload", "read the policy file again (typed rules stay)", &Session::cmd_reload},
      {":profile", ":profile [NAME|-]", "run under a profile (- for none); alone: list them", &Session::cmd_profile},
      {":run", ":run [selected]", "replay the loaded events (or the selection): the report",
       &Session::cmd_run},
      {":rules", ":rules", "the session's rules and machines", &Session::cmd_rules},
      {":forget", ":forget NAME", "drop a rule, machine or const typed in this session", &Session::cmd_forget},
      {":why", ":why RULE N", "why RULE fired (or not) on event N: values, window, state", &Session::cmd_why},
      {":whynot", ":whynot RULE N", "why RULE did not fire on event N", &Session::cmd_whynot},
      {":disasm", ":disasm RULE", "the bytecode of a rule or machine", &Session::cmd_disasm},
      {":cost", ":cost [RULE]", "worst-case cost of one event, per rule", &Session::cmd_cost},
      {":save", ":save FILE", "write the session's policy (loaded and typed) to FILE", &Session::cmd_save},
      {":timing", ":timing on|off", "say how long each command takes", &Session::cmd_timing},
      {":help", ":help", "this list", &Session::cmd_help},
      {":quit", ":quit", "leave (also Ctrl-D)", &Session::cmd_quit},
  };
  return kCommands;
}

std::vector<std::string> Session::command_names() {
  std::vector<std::string> out;
  for (const Command& c : commands()) out.emplace_back(c.name);
  for (const char* w : {"rule", "machine", "const", "help", "exit", "quit"}) out.emplace_back(w);
  return out;
}

bool Session::needs_more(const std::string& text) { return needs_more_input(text); }

Reply Session::execute(const std::string& raw) {
  // A last guard: a bug in a command is an error reply, never the end of the session.
  try {
    return timed(raw);
  } catch (const std::exception& e) {
    return Reply::failure(fmt::format("internal error: {} (please report it with the command)", e.what()));
  }
}

Reply Session::timed(const std::string& raw) {
  if (!timing_) return dispatch(raw);
  const auto start = std::chrono::steady_clock::now();
  Reply r = dispatch(raw);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (r.ok() && !r.quit) r.text += fmt::format("time: {:.3f} s\n", s);
  return r;
}

Reply Session::cmd_timing(const std::string& a, const std::string&) {
  if (a != "on" && a != "off") return Reply::failure("usage: :timing on|off");
  timing_ = a == "on";
  return Reply::of("", nullptr);
}

Reply Session::dispatch(const std::string& raw) {
  const std::string line = trim(raw);
  if (line.empty() || line[0] == '#') return Reply::of("", nullptr);
  const size_t sp = line.find_first_of(" \t\n");
  const std::string word = line.substr(0, sp);
  const std::string args = sp == std::string::npos ? "" : trim(line.substr(sp));
  if (starts_block(word)) return add_block(line);
  if (word == "help" || word == "?") return cmd_help(args, line);
  if (word == "exit" || word == "quit" || word == ":q") return cmd_quit(args, line);
  for (const Command& c : commands())
    if (word == c.name) return (this->*c.run)(args, line);
  std::string near;
  size_t best = 3;
  for (const Command& c : commands()) {
    // a small edit distance: the usual slips (":lod", "cout")
    const std::string n = c.name;
    std::vector<size_t> d(n.size() + 1);
    for (size_t j = 0; j <= n.size(); ++j) d[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      size_t prev = d[0];
      d[0] = i;
      for (size_t j = 1; j <= n.size(); ++j) {
        const size_t cur = d[j];
        d[j] = std::min({d[j] + 1, d[j - 1] + 1, prev + (word[i - 1] == n[j - 1] ? 0 : 1)});
        prev = cur;
      }
    }
    if (d[n.size()] < best) best = d[n.size()], near = n;
  }
  return Reply::failure(fmt::format("unknown command '{}'{}; ':help' lists the commands", word,
                                    near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near)));
}

Reply Session::cmd_help(const std::string&, const std::string&) {
  Table t({"command", "what it does"});
  for (const Command& c : commands()) t.row().add(c.usage).add(c.help);
  t.row()
      .add("rule/machine/const ...")
      .add("added to the session's policy (a block may span lines)");
  return Reply::of(
      t, "EXPR is any DTA expression: status >= 500 and service == \"cart\"; F a field, or name, severity, id, ts.\n");
}

Reply Session::cmd_quit(const std::string&, const std::string&) {
  Reply r = Reply::of("", nullptr);
  r.quit = true;
  return r;
}

Reply Session::need_events() const {
  return Reply::failure("no events loaded: start with 'dta repl EVENTS...' or use ':events FILE'");
}

Reply Session::load_events(const std::vector<std::string>& paths) {
  // into a new store: a load that fails leaves the loaded events as they were
  auto fresh = std::make_unique<EventStore>();
  auto loaded = fresh->load(paths, opts_.jsonl, opts_.progress, opts_.cancelled);
  if (!loaded) return Reply::failure(loaded.error());
  store_ = std::move(fresh);
  sel_.clear();
  narrowed_.clear();
  paths_ = paths;
  sel_.resize(store_->size());
  for (size_t i = 0; i < sel_.size(); ++i) sel_[i] = static_cast<uint32_t>(i);
  std::string text =
      fmt::format("loaded {} events ({} names) from {}{}\n", store_->size(), store_->event_names().size(),
                  paths.size() == 1 ? paths[0] : fmt::format("{} inputs", paths.size()),
                  loaded->cancelled ? " (interrupted: partial)" : "");
  for (const std::string& n : loaded->notes) text += "note: " + n + "\n";
  boost::json::object j{{"events", store_->size()}, {"bad_lines", loaded->bad}, {"interrupted", loaded->cancelled}};
  return Reply::of(text, j);
}

Reply Session::cmd_events(const std::string& a, const std::string&) {
  std::istringstream in(a);
  std::vector<std::string> paths;
  for (std::string p; in >> p;) paths.push_back(p);
  if (paths.empty()) return Reply::failure("usage: :events FILE...");
  if (opts_.stdin_is_commands && std::find(paths.begin(), paths.end(), "-") != paths.end())
    return Reply::failure("':events -' cannot read standard input: the commands come from it");
  return load_events(paths);
}

Session::FieldRef Session::resolve(const std::string& f) const {
  FieldRef r;
  std::string_view name = f;
  if (name.starts_with("event.")) name.remove_prefix(6);
  if (name == "name")
    r.part = FieldRef::Name;
  else if (name == "severity")
    r.part = FieldRef::Severity;
  else if (name == "ts")
    r.part = FieldRef::Ts;
  else if (name == "id")
    r.part = FieldRef::Id;
  if (r.part != FieldRef::Field) return r;
  name = f;
  if (f.starts_with("field(\"") && f.ends_with("\")")) name = name.substr(7, f.size() - 9);
  r.key = store_->find_symbol(name);
  if (prog_)
    for (const SensitiveField& s : prog_->sensitive) r.sensitive = r.sensitive || s.field == name;
  return r;
}

bool Session::value_of(size_t i, const FieldRef& ref, std::string* text, double* number) const {
  const auto nan = std::numeric_limits<double>::quiet_NaN();
  switch (ref.part) {
    case FieldRef::Name:
      if (text) *text = std::string(store_->name_text(i));
      *number = nan;
      return true;
    case FieldRef::Severity:
      if (text) *text = severity_name(store_->severity(i));
      *number = nan;
      return true;
    case FieldRef::Ts:
      if (text) *text = std::to_string(store_->ts(i));
      *number = static_cast<double>(store_->ts(i));
      return true;
    case FieldRef::Id:
      if (!store_->has_id(i)) return false;
      if (text) *text = std::to_string(store_->id(i));
      *number = static_cast<double>(store_->id(i));
      return true;
    case FieldRef::Field:
      break;
  }
  if (ref.key == Interner::kNone) return false;
  const Field* fld = store_->find(i, ref.key);
  if (!fld) return false;
  if (ref.sensitive && redacted(i, ref.key)) {
    if (text) *text = "<redacted>";
    *number = nan;
    return true;
  }
  if (text) *text = store_->value_text(*fld);
  if (fld->type == Type::Int)
    *number = static_cast<double>(fld->i);
  else if (fld->type == Type::Float)
    *number = fld->f;
  else
    *number = nan;
  return true;
}

bool Session::redacted(size_t i, uint32_t key) const {
  if (!prog_ || prog_->sensitive.empty()) return false;
  for (const SensitiveField& f : prog_->sensitive)
    if (f.field == store_->symbol(key) && f.event == store_->name_text(i)) return true;
  return false;
}

std::string Session::policy_source() const {
  std::string out = policy_text_;
  if (!out.empty() && out.back() != '\n') out += '\n';
  for (const Block& b : typed_) out += b.text + "\n";
  return out;
}

Expected<std::shared_ptr<const Program>> Session::compile(const std::string& extra, size_t* extra_line) const {
  std::string src = policy_source();
  if (extra_line) *extra_line = static_cast<size_t>(std::count(src.begin(), src.end(), '\n')) + 1;
  src += extra;
  const std::string path = policy_path_.empty() ? "<repl>" : policy_path_;
  CompileResult res = compile_source(path, src);
  if (res.ok()) return res.program;
  std::string errors;
  for (const Diagnostic& d : res.diagnostics)
    if (d.severity == DiagnosticSeverity::Error) errors += d.rendered + (d.rendered.ends_with("\n") ? "" : "\n");
  while (errors.ends_with("\n")) errors.pop_back();
  return fail(errors);
}

std::string Session::prelude() const { return prog_ ? const_declarations(*prog_) : std::string(); }

std::vector<std::string> Session::complete(const std::string& line, size_t cursor) const {
  const std::string before = line.substr(0, std::min(cursor, line.size()));
  size_t start = before.size();
  while (start > 0) {
    const char c = before[start - 1];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' || c == '*' || c == '-' ||
          c == '/'))
      break;
    --start;
  }
  std::string word = before.substr(start);
  const std::string head = trim(before.substr(0, start));
  const std::string first = head.substr(0, head.find(' '));
  const bool path = first == ":load" || first == ":save" || first == ":events";
  if (!path && word.find('/') != std::string::npos) word = word.substr(word.rfind('/') + 1);  // a / b: division
  std::vector<std::string> pool;
  auto add_names = [&] {
    for (uint32_t n : store_->event_names()) pool.emplace_back(store_->symbol(n));
  };
  auto add_units = [&] {
    if (!prog_) return;
    for (const Rule& r : prog_->rules) pool.push_back(r.name);
    for (const Machine& m : prog_->machines) pool.push_back(m.name);
  };
  if (path) {
    // files: the entries of the word's directory, named from after its last '/' (directories end in '/')
    const size_t slash = word.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : word.substr(0, slash));
    const std::string base = slash == std::string::npos ? word : word.substr(slash + 1);
    std::vector<std::string> out;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (!name.starts_with(base) || (name[0] == '.' && !base.starts_with("."))) continue;
      if (it->is_directory(ec)) name += '/';
      out.push_back(std::move(name));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  if (head.empty()) {
    pool = command_names();
  } else if (first == "on" || first == "fields" || first == "schema") {
    add_names();
  } else if (first == ":why" || first == ":whynot" || first == ":disasm" || first == ":cost" || first == ":forget") {
    add_units();
  } else if (first == ":profile") {
    if (prog_)
      for (const Profile& p : prog_->profiles) pool.push_back(p.name);
  } else {
    for (const std::string& k : store_->field_keys())
      if (tokenize(k).size() == 2 && tokenize(k)[0].text == k && k.find('.') == std::string::npos) pool.push_back(k);
    size_t n = 0;
    const Builtin* fns = stdlib_functions(&n);
    for (size_t i = 0; i < n; ++i) pool.emplace_back(fns[i].name);
    if (prog_) {
      for (const NamedConst& c : prog_->named_consts) pool.push_back(c.name);
      for (const std::string& k : prog_->keys)  // fields the session's policy reads
        if (k.find('.') == std::string::npos) pool.push_back(k);
    }
    for (const char* w : {"and", "or", "not", "in", "true", "false", "event.name", "event.ts", "event.id",
                          "event.severity", "by", "every", "where", "on", "state"})
      pool.emplace_back(w);
    if (first == "rule" || first == "machine" || head.ends_with(" on") || head.ends_with(",")) add_names();
    if (first == "count" || first == "top" || first == "stats" || first == "histogram" || first == "timeline")
      for (const char* w : {"name", "severity", "id", "ts"}) pool.emplace_back(w);
    add_units();
  }
  std::vector<std::string> out;
  for (std::string& p : pool)
    if (p.starts_with(word)) out.push_back(std::move(p));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace dta::repl
