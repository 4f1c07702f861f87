// The disassembler (shares the operand kinds of opcodes.def with the verifier).
#include "dta/disasm.hpp"

#include <fmt/format.h>

#include "dta/value.hpp"

namespace dta {
namespace {

enum class Kind : uint8_t { R, K, F, J, N, X, M, T, U };
struct OpInfo {
  Kind a, b, c;
};
constexpr Kind R = Kind::R, K = Kind::K, F = Kind::F, J = Kind::J, N = Kind::N, X = Kind::X,
               M = Kind::M, Y = Kind::T, _ = Kind::U;
constexpr OpInfo kInfo[] = {
#define OP(name, a, b, c, syn) {a, b, c},
#include "dta/opcodes.def"
#undef OP
};

// Source lines and constants shown beside instructions are cut to this many
// bytes: a policy on one long line, or a long list, would otherwise be
// repeated whole at every chunk or operand that refers to it.
constexpr size_t kMaxShown = 200;

// `text`, cut to kMaxShown bytes (at a UTF-8 character boundary) with "...".
std::string shorten(std::string_view text) {
  if (text.size() <= kMaxShown) return std::string(text);
  size_t n = kMaxShown;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80) --n;
  return std::string(text.substr(0, n)) + "...";
}

// A constant as the policy would write it; past `limit` bytes the rest is
// left out (the caller shortens), so showing a long one costs `limit`.
std::string const_text(const Const& c, size_t limit = SIZE_MAX) {
  switch (c.type) {
    case Type::Int: return std::to_string(c.i);
    case Type::Float: {
      std::string s = fmt::format("{}", c.f);  // keep floats recognisable: 100.0, not 100
      return s.find_first_of(".en") == std::string::npos ? s + ".0" : s;
    }
    case Type::Bool: return c.b ? "true" : "false";
    case Type::String:
      return fmt::format("\"{}\"", std::string_view(c.s).substr(0, limit));
    case Type::List: {
      std::string s = "[";
      for (size_t i = 0; i < c.items.size() && s.size() <= limit; ++i)
        s += (i ? ", " : "") + const_text(c.items[i], limit);
      return s + "]";
    }
    case Type::Unknown: break;
  }
  return "?";
}

// The name of a level, "?" for a value out of range (a program that did not pass finalize()).
const char* level_text(Level l) { return l <= Level::Off ? level_name(l) : "?"; }

// The name of state `s` of machine `m`, "?" when there is none.
std::string state_name(const Machine& m, uint32_t s) { return s < m.states.size() ? m.states[s].name : "?"; }

class Disasm {
 public:
  explicit Disasm(const Program& p) : p_(p) {}

  std::string operand(Kind k, uint32_t v) const {
    switch (k) {
      case Kind::R: return fmt::format("r{}", v);
      case Kind::K:
        return v < p_.consts.size() ? fmt::format("K{}({})", v, shorten(const_text(p_.consts[v], kMaxShown))) : "K?";
      case Kind::F: return v < p_.keys.size() ? fmt::format("'{}'", p_.keys[v]) : "F?";
      case Kind::J: return fmt::format("->{:04}", v);
      case Kind::N: return v < p_.functions.size() ? p_.functions[v] : "N?";
      case Kind::X: return v < p_.regexes.size() ? fmt::format("/{}/", p_.regexes[v]) : "X?";
      case Kind::M: return v < p_.machines.size() ? "machine " + p_.machines[v].name : "M?";
      case Kind::T: {
        static const char* const kCodes[] = {"int", "float", "string", "bool", "number", "any"};
        return v < 6 ? kCodes[v] : "T?";
      }
      case Kind::U: break;
    }
    return "";
  }

  // Line `loc.line` of its file without leading blanks (and without a CR
  // before the newline), at most kMaxShown bytes. Each file's line starts are
  // found once, so a lookup costs the length of what it shows.
  std::string source_line(const SrcLoc& loc) const {
    if (loc.file >= p_.sources.size() || loc.line == 0) return "";
    const std::string& t = p_.sources[loc.file].text;
    const std::vector<size_t>& starts = line_starts(loc.file);
    if (loc.line > starts.size()) return "";
    size_t begin = starts[loc.line - 1];
    size_t end = loc.line < starts.size() ? starts[loc.line] - 1 : t.size();  // at the newline
    if (end > begin && t[end - 1] == '\r') --end;
    while (begin < end && (t[begin] == ' ' || t[begin] == '\t')) ++begin;
    return shorten(std::string_view(t).substr(begin, end - begin));
  }

  // Where each line of source file `file` starts.
  const std::vector<size_t>& line_starts(uint32_t file) const {
    if (starts_.size() != p_.sources.size()) starts_.assign(p_.sources.size(), {});
    std::vector<size_t>& s = starts_[file];
    if (s.empty()) {
      const std::string& t = p_.sources[file].text;
      s.push_back(0);
      for (size_t i = t.find('\n'); i != std::string::npos; i = t.find('\n', i + 1)) s.push_back(i + 1);
    }
    return s;
  }

  void chunk(std::string& out, const char* what, int32_t idx) const {
    if (idx < 0 || static_cast<size_t>(idx) >= p_.chunks.size()) return;
    const Chunk& c = p_.chunks[idx];
    out += fmt::format("  {} (chunk {}, {} registers, returns {}):\n", what, idx, c.nregs,
                       type_name(c.result));
    uint32_t last_line = 0;
    for (size_t pc = 0; pc < c.code.size(); ++pc) {
      const Instr& in = c.code[pc];
      const SrcLoc loc = pc < c.lines.size() ? c.lines[pc] : SrcLoc{};
      if (loc.line && loc.line != last_line) {
        out += fmt::format("    ; {}:{}: {}\n", loc.file < p_.sources.size() ? p_.sources[loc.file].path : "?",
                           loc.line, source_line(loc));
        last_line = loc.line;
      }
      const auto opi = static_cast<uint8_t>(in.op);
      std::string ops;
      if (opi < kOpCount) {
        const OpInfo& info = kInfo[opi];
        for (auto [k, v] : {std::pair{info.a, uint32_t{in.a}}, std::pair{info.b, uint32_t{in.b}},
                            std::pair{info.c, uint32_t{in.c}}}) {
          if (k == Kind::U) continue;
          ops += (ops.empty() ? "" : ", ") + operand(k, v);
        }
      }
      out += fmt::format("    {:04}  {:<8} {}\n", pc, op_name(in.op), ops);
    }
  }

  void tmpl(std::string& out, const char* what, int32_t t) const {
    if (t < 0 || static_cast<size_t>(t) >= p_.templates.size()) return;
    std::string shape;
    std::vector<int32_t> holes;
    for (const TemplatePart& part : p_.templates[t].parts) {
      if (part.chunk < 0) shape += part.text;
      else {
        shape += fmt::format("{{#{}}}", holes.size());
        holes.push_back(part.chunk);
      }
    }
    out += fmt::format("    {} \"{}\"\n", what, shape);
    for (size_t i = 0; i < holes.size(); ++i) chunk(out, fmt::format("hole #{}", i).c_str(), holes[i]);
  }

  void action(std::string& out, const Action& a) const {
    switch (a.kind) {
      case ActionKind::Verdict:
        if (a.tmpl < 0) out += fmt::format("    {}\n", level_text(a.level));
        tmpl(out, level_text(a.level), a.tmpl);
        break;
      case ActionKind::Emit: out += fmt::format("    emit {}\n", a.name); break;
      case ActionKind::Count: out += fmt::format("    count {}\n", a.name); break;
      case ActionKind::Observe:
        out += fmt::format("    observe {}\n", a.name);
        chunk(out, "value", a.chunk);
        break;
      case ActionKind::Alert: {
        std::string extra;
        for (const Entry& d : a.dedup) extra += " dedup " + d.key;
        if (a.every_k >= 0) extra += fmt::format(" every K{}", a.every_k);
        tmpl(out, fmt::format("alert {}{}", alert_severity_name(a.severity), extra).c_str(), a.tmpl);
        break;
      }
    }
    for (const Entry& e : a.entries) {
      if (e.tmpl >= 0) tmpl(out, fmt::format("  {}:", e.key).c_str(), e.tmpl);
      else chunk(out, fmt::format("{}:", e.key).c_str(), e.chunk);
    }
  }

  std::string run() const {
    std::string out = fmt::format("policy {}: {} rules, {} machines, {} filters, {} chunks, {} constants\n", p_.policy,
                                  p_.rules.size(), p_.machines.size(), p_.filters.size(), p_.chunks.size(),
                                  p_.consts.size());
    for (const NamedConst& nc : p_.named_consts)
      if (nc.index < p_.consts.size())
        out += fmt::format("const {} = K{}({})\n", nc.name, nc.index, const_text(p_.consts[nc.index]));
    for (const Filter& f : p_.filters) {
      std::string what = f.kind == FilterKind::Drop     ? "drop"
                         : f.kind == FilterKind::Sample ? fmt::format("sample {}", f.fraction)
                                                        : fmt::format("redact {}", fmt::join(f.fields, ", "));
      out += fmt::format("\nfilter {} on {}: {}\n", f.name, fmt::join(f.patterns, ", "), what);
      chunk(out, "where", f.where);
    }
    for (const Rule& r : p_.rules) {
      out += fmt::format("\nrule {} on {} (level {})\n", r.name, fmt::join(r.patterns, ", "), level_text(r.level));
      chunk(out, "where", r.where);
      out += "  actions:\n";
      for (const Action& a : r.actions) action(out, a);
      for (const When& w : r.whens) {
        static const char* const kCmp[] = {">", ">=", "<", "<=", "==", "!="};
        std::string by;
        for (const Entry& b : w.by) by += (by.empty() ? " by " : ", ") + b.key;
        out += fmt::format("  when {}{} {} K{}{} {} (threshold chunk {}){}{}:\n", agg_name(w.agg),
                           w.agg == Agg::Quantile ? fmt::format("({})", w.q) : "", w.sliding ? "over" : "every",
                           w.window_k, w.for_k >= 0 ? fmt::format(" for K{}", w.for_k) : "",
                           w.cmp <= Cmp::Ne ? kCmp[static_cast<int>(w.cmp)] : "?", w.threshold, by,
                           w.max_keys ? fmt::format(" max {}", w.max_keys) : "");
        chunk(out, "aggregated", w.arg);
        chunk(out, "threshold", w.threshold);
        for (const Entry& b : w.by) chunk(out, fmt::format("key {}", b.key).c_str(), b.chunk);
        for (const Action& a : w.actions) action(out, a);
      }
      for (const Expect& x : r.expects) {
        out += fmt::format("  expect {} matching {} within K{}:\n", fmt::join(x.patterns, ", "), fmt::join(x.matching, ", "),
                           x.within_k);
        chunk(out, "where", x.where);
        if (x.has_then) out += "   then:\n";
        for (const Action& a : x.then_actions) action(out, a);
        if (x.has_else) out += "   else:\n";
        for (const Action& a : x.else_actions) action(out, a);
      }
    }
    for (const Machine& m : p_.machines) {
      out += fmt::format("\nmachine {} by {} (initial {}, level {})\n", m.name, m.key, state_name(m, m.initial),
                         level_text(m.level));
      for (const MachineState& st : m.states) {
        out += fmt::format("  state {}\n", st.name);
        for (const Transition& t : st.transitions) {
          out += t.after ? fmt::format("   after K{} -> {}\n", t.delay_k, state_name(m, t.target))
                         : fmt::format("   on {} -> {}\n", fmt::join(t.patterns, ", "), state_name(m, t.target));
          chunk(out, "where", t.where);
          for (const Action& a : t.actions) action(out, a);
        }
      }
    }
    for (const Profile& pr : p_.profiles) {
      out += fmt::format("\nprofile {}{}\n", pr.name, pr.warnings_error ? " (warnings: error)" : "");
      for (const auto& [idx, c] : pr.consts) out += fmt::format("  set K{} = {}\n", idx, const_text(c));
      auto unit = [&](uint32_t idx) -> std::string {
        if (idx < p_.rules.size()) return p_.rules[idx].name;
        return idx - p_.rules.size() < p_.machines.size() ? p_.machines[idx - p_.rules.size()].name : "?";
      };
      for (const auto& [idx, l] : pr.levels) out += fmt::format("  rule {}: {}\n", unit(idx), level_text(l));
      for (const auto& [idx, a] : pr.alerts) out += fmt::format("  alert {}: {}\n", unit(idx), alert_severity_name(a));
      for (const auto& [idx, n] : pr.max_keys) out += fmt::format("  max {}: {}\n", unit(idx), n);
    }
    return out;
  }

 private:
  const Program& p_;
  mutable std::vector<std::vector<size_t>> starts_;  // per source file, built on first use
};

}  // namespace

std::string disassemble(const Program& prog) { return Disasm(prog).run(); }

}  // namespace dta
