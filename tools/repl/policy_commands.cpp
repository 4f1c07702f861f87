// The REPL's policy commands: the session's policy (a loaded file plus the
// blocks typed at the prompt), its profile, replaying it (:run), and looking
// at its code (:disasm, :cost, :rules), then writing it out (:save).
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../replay_summary.hpp"
#include "dta/compiler.hpp"
#include "dta/cost.hpp"
#include "dta/disasm.hpp"
#include "dta/engine.hpp"
#include "dta/report_json.hpp"
#include "expr_text.hpp"
#include "session.hpp"

namespace dta::repl {
namespace {

// Findings and alerts the :run summary lists: a screenful.
constexpr size_t kRunListed = 20;
// Events between two cancel checks while replaying.
constexpr size_t kRunCheckEvery = 4096;
// The largest policy file :load reads (as the compiler's include limit).
constexpr size_t kMaxPolicyBytes = size_t{64} << 20;

Expected<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(fmt::format("{}: cannot read it", path));
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxPolicyBytes) return fail(fmt::format("{}: larger than 64 MB: not a policy", path));
  }
  return text;
}

std::string trim_end(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) s.pop_back();
  return s;
}

// `text` (the policy of file `from`) to be written to file `to`: each
// `include "PATH"` relative to `from`'s directory rewritten relative to
// `to`'s, so the saved policy includes the same files.
std::string moved_includes(const std::string& text, const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  const fs::path from_dir = fs::path(from).parent_path(), to_dir = fs::path(to).parent_path();
  std::error_code ec;
  if (fs::weakly_canonical(from_dir.empty() ? "." : from_dir, ec) ==
      fs::weakly_canonical(to_dir.empty() ? "." : to_dir, ec))
    return text;
  const std::vector<Token> toks = tokenize(text);
  std::string out;
  size_t last = 0;
  for (size_t k = 0; k + 1 < toks.size(); ++k) {
    if (toks[k].kind != Token::Name || toks[k].text != "include" || toks[k + 1].kind != Token::String) continue;
    const Token& str = toks[k + 1];
    const std::string_view inner = str.text.size() >= 2 ? str.text.substr(1, str.text.size() - 2) : std::string_view();
    if (inner.find('\\') != std::string_view::npos || fs::path(inner).is_absolute()) continue;
    fs::path target = fs::absolute(from_dir / fs::path(inner), ec).lexically_normal();
    fs::path rel = target.lexically_relative(fs::absolute(to_dir.empty() ? "." : to_dir, ec).lexically_normal());
    const std::string shown = (rel.empty() ? target : rel).generic_string();
    out += text.substr(last, str.begin - last) + "\"" + shown + "\"";
    last = str.end;
  }
  return out + text.substr(last);
}

}  // namespace

Reply Session::load_policy(const std::string& path) {
  auto text = read_file(path);
  if (!text) return Reply::failure(text.error());
  const std::string old_path = policy_path_, old_text = policy_text_;
  policy_path_ = path;
  policy_text_ = *text;
  auto prog = compile("", nullptr);
  if (!prog) {
    policy_path_ = old_path;
    policy_text_ = old_text;
    return Reply::failure(prog.error());
  }
  prog_ = *prog;
  if (!profile_.empty() && prog_->find_profile(profile_) < 0) profile_.clear();
  auto n = [](size_t k, const char* what) { return fmt::format("{} {}{}", k, what, k == 1 ? "" : "s"); };
  return Reply::of(
      fmt::format("loaded {}: {}, {}, {}{}\n", path, n(prog_->rules.size(), "rule"),
                  n(prog_->machines.size(), "machine"), n(prog_->profiles.size(), "profile"),
                  typed_.empty() ? "" : fmt::format(" (and {} typed blocks)", typed_.size())),
      boost::json::object{{"policy", path}, {"rules", prog_->rules.size()}, {"machines", prog_->machines.size()}});
}

Reply Session::cmd_load(const std::string& a, const std::string&) {
  if (a.empty()) return Reply::failure("usage: :load FILE");
  return load_policy(a);
}

Reply Session::cmd_reload(const std::string&, const std::string&) {
  if (policy_path_.empty()) return Reply::failure("no policy file loaded (:load FILE)");
  return load_policy(policy_path_);
}

Reply Session::set_profile(const std::string& name) {
  if (name.empty() || name == "-") {
    profile_.clear();
    return Reply::of("no profile: the policy as written\n", boost::json::object{{"profile", nullptr}});
  }
  if (!prog_ || prog_->find_profile(name) < 0) {
    std::string known;
    if (prog_)
      for (const Profile& p : prog_->profiles) known += (known.empty() ? "" : ", ") + p.name;
    return Reply::failure(fmt::format("no profile '{}' in the session's policy{}", name,
                                      known.empty() ? "" : " (profiles: " + known + ")"));
  }
  profile_ = name;
  return Reply::of(fmt::format("profile {}\n", name), boost::json::object{{"profile", name}});
}

Reply Session::cmd_profile(const std::string& a, const std::string&) {
  if (!a.empty()) return set_profile(a);
  Table t({"profile", "current"});
  if (prog_)
    for (const Profile& p : prog_->profiles) t.row().add(p.name).add(p.name == profile_ ? "*" : "");
  return Reply::of(t, profile_.empty() ? "(no profile selected)\n" : "");
}

Reply Session::add_block(const std::string& text) {
  const std::vector<Token> toks = tokenize(text);
  const std::string kind(toks[0].text);
  const std::string name = toks.size() > 2 && toks[1].kind == Token::Name ? std::string(toks[1].text) : "";
  std::vector<Block> saved = typed_;
  auto same = [&](const Block& b) { return b.kind == kind && b.name == name && !name.empty(); };
  const bool replaced = std::any_of(typed_.begin(), typed_.end(), same);
  std::erase_if(typed_, same);
  typed_.push_back({kind, name, trim_end(text)});
  // compile with the new block, and render its errors under the typed text
  const std::string path = policy_path_.empty() ? "<repl>" : policy_path_;
  std::string src = policy_text_;
  if (!src.empty() && src.back() != '\n') src += '\n';
  for (size_t k = 0; k + 1 < typed_.size(); ++k) src += typed_[k].text + "\n";
  const uint32_t first_line = static_cast<uint32_t>(std::count(src.begin(), src.end(), '\n')) + 1;
  src += typed_.back().text + "\n";
  CompileResult res = compile_source(path, src);
  if (!res.ok()) {
    typed_ = std::move(saved);
    std::string errors;
    std::vector<std::string> lines;
    std::istringstream in(trim_end(text));
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    for (const Diagnostic& d : res.diagnostics) {
      if (d.severity != DiagnosticSeverity::Error) continue;
      if (d.path == path && d.line >= first_line && d.line - first_line < lines.size()) {
        const std::string& l = lines[d.line - first_line];
        const size_t col = std::min<size_t>(d.col ? d.col - 1 : 0, l.size());
        const size_t len = std::max<size_t>(1, std::min<size_t>(d.len, l.size() > col ? l.size() - col : 1));
        errors += fmt::format("<typed>:{}:{}: error: {}\n  {}\n  {}^{}\n", d.line - first_line + 1, col + 1, d.message,
                              l, std::string(col, ' '), std::string(len - 1, '~'));
      } else {
        errors += d.rendered + (d.rendered.ends_with("\n") ? "" : "\n");
      }
    }
    return Reply::failure(trim_end(errors));
  }
  prog_ = res.program;
  std::string warn;
  for (const Diagnostic& d : res.diagnostics) warn += d.rendered + (d.rendered.ends_with("\n") ? "" : "\n");
  return Reply::of(warn + fmt::format("{} {} {}\n", replaced ? "replaced" : "added", kind, name),
                   boost::json::object{{"added", kind}, {"name", name}, {"replaced", replaced}});
}

Reply Session::cmd_forget(const std::string& a, const std::string&) {
  std::vector<Block> saved = typed_;
  const size_t n = std::erase_if(typed_, [&](const Block& b) { return b.name == a; });
  if (n == 0) return Reply::failure(fmt::format("nothing named '{}' was typed in this session", a));
  auto prog = compile("", nullptr);
  if (!prog) {
    typed_ = std::move(saved);
    return Reply::failure("the policy would not compile without it:\n" + prog.error());
  }
  prog_ =
      (*prog)->rules.empty() && (*prog)->machines.empty() && policy_text_.empty() && typed_.empty() ? nullptr : *prog;
  return Reply::of(fmt::format("forgot {}\n", a), boost::json::object{{"forgot", a}});
}

Reply Session::cmd_rules(const std::string&, const std::string&) {
  if (!prog_) return Reply::failure("no policy: :load FILE, or type a rule");
  Table t({"kind", "name", "on", "level", "from"});
  auto from = [&](const std::string& name) {
    for (const Block& b : typed_)
      if (b.name == name) return std::string("typed");
    return policy_path_;
  };
  for (const Rule& r : prog_->rules) {
    std::string on;
    for (const std::string& p : r.patterns) on += (on.empty() ? "" : ", ") + p;
    t.row().add("rule").add(r.name).add(on).add(level_name(r.level)).add(from(r.name));
  }
  for (const Machine& m : prog_->machines)
    t.row().add("machine").add(m.name).add("by " + m.key).add(level_name(m.level)).add(from(m.name));
  return Reply::of(t);
}

Reply Session::cmd_run(const std::string& a, const std::string&) {
  if (!prog_) return Reply::failure("no policy: :load FILE, or type a rule");
  if (store_->size() == 0) return need_events();
  if (!a.empty() && a != "selected") return Reply::failure("usage: :run [selected]");
  // every loaded event (windows and expectations see the stream as it was), or the selection
  std::vector<uint32_t> all;
  if (a.empty()) {
    all.resize(store_->size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint32_t>(i);
  }
  const std::vector<uint32_t>& events = a.empty() ? all : sel_;
  EngineOptions opts;
  opts.profile = profile_;
  std::string err;
  auto engine = Engine::create(prog_, opts, &err);
  if (!engine) return Reply::failure(err);
  Event ev;
  std::vector<uint32_t> map;
  for (size_t k = 0; k < events.size(); ++k) {
    if (k % kRunCheckEvery == 0 && check(":run", k, events.size())) return Reply::failure("interrupted");
    store_->to_event(events[k], ev, engine->symbols(), map);
    engine->process(ev);
  }
  engine->finish();
  const Report rep = engine->report();
  const std::string json = report_to_json(rep);
  boost::system::error_code ec;
  boost::json::value j = boost::json::parse(json, ec);
  std::string text = cli::replay_summary(rep, opts, kRunListed);
  if (events.size() != store_->size())
    text += fmt::format("(over the {} selected events of {})\n", events.size(), store_->size());
  return Reply::of(text, ec ? boost::json::value(json) : std::move(j));
}

Reply Session::cmd_disasm(const std::string& a, const std::string&) {
  if (!prog_) return Reply::failure("no policy: :load FILE, or type a rule");
  const std::string all = disassemble(*prog_);
  if (a.empty()) return Reply::of(all, boost::json::string(all));
  // the sections of `all` that belong to the unit: from its header to the next top-level header
  std::string out;
  std::istringstream in(all);
  bool inside = false;
  for (std::string l; std::getline(in, l);) {
    const bool header = !l.empty() && l[0] != ' ';
    if (header) {
      const std::vector<Token> toks = tokenize(l);
      inside = false;
      for (size_t k = 0; k + 1 < toks.size(); ++k)
        if (toks[k].text == a && (k == 0 || toks[k - 1].text != "=")) inside = true;
      if (l.find("'" + a + "'") != std::string::npos || l.find("\"" + a + "\"") != std::string::npos) inside = true;
    }
    if (inside) out += l + "\n";
  }
  if (out.empty()) return Reply::failure(fmt::format("no rule or machine named '{}' (:rules lists them)", a));
  return Reply::of(out, boost::json::string(out));
}

Reply Session::cmd_cost(const std::string& a, const std::string&) {
  if (!prog_) return Reply::failure("no policy: :load FILE, or type a rule");
  const int profile = profile_.empty() ? -1 : prog_->find_profile(profile_);
  Table t({"kind", "name", "instructions", "regex searches", "parts"});
  size_t shown = 0;
  for (const UnitCost& u : program_cost(*prog_, profile)) {
    if (!a.empty() && u.name != a) continue;
    std::string parts;
    for (const CostPart& p : u.parts)
      parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", p.name, p.cost.instructions);
    t.row()
        .add(u.kind)
        .add(u.name)
        .add_int(static_cast<int64_t>(u.total.instructions))
        .add_int(u.total.regex_searches)
        .add(u.off ? "off under the profile" : parts);
    ++shown;
  }
  if (!a.empty() && shown == 0)
    return Reply::failure(fmt::format("no rule, machine or filter named '{}' (:rules lists them)", a));
  return Reply::of(t, "(worst case of one event, in VM instruction units)\n");
}

Reply Session::cmd_save(const std::string& a, const std::string&) {
  if (a.empty()) return Reply::failure("usage: :save FILE");
  if (!prog_) return Reply::failure("nothing to save: :load FILE, or type a rule");
  std::string text = policy_source();
  if (policy_text_.empty())
    text = "// written by dta repl\n" + text;
  else if (!policy_path_.empty())
    text = moved_includes(text, policy_path_, a);
  {
    std::ofstream out(a, std::ios::binary | std::ios::trunc);
    if (!out || !out.write(text.data(), static_cast<std::streamsize>(text.size())) || !out.flush())
      return Reply::failure(fmt::format("{}: cannot write it", a));
  }
  const size_t typed = typed_.size();
  if (a == policy_path_ || policy_path_.empty()) {  // the file now holds the typed blocks
    policy_path_ = a;
    policy_text_ = text;
    typed_.clear();
  }
  auto n = [](size_t k, const char* what) { return fmt::format("{} {}{}", k, what, k == 1 ? "" : "s"); };
  return Reply::of(fmt::format("wrote {} ({}, {}; {} typed here)\n", a, n(prog_->rules.size(), "rule"),
                               n(prog_->machines.size(), "machine"), n(typed, "block")),
                   boost::json::object{{"saved", a}, {"bytes", text.size()}});
}

}  // namespace dta::repl
