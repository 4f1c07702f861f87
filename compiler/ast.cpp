// AST helpers: operator spelling and the S-expression dump used by tests.
#include "ast.hpp"

#include <fmt/format.h>

namespace dta::ast {

const char* binop_text(BinOp op) {
  switch (op) {
#define CMP(e, text) \
  case BinOp::e: return text;
#include "dta/comparisons.def"  // the comparisons, spelled once
#undef CMP
    case BinOp::Add: return "+";
    case BinOp::Sub: return "-";
    case BinOp::Mul: return "*";
    case BinOp::Div: return "/";
    case BinOp::Mod: return "%";
    case BinOp::And: return "and";
    case BinOp::Or: return "or";
  }
  return "?";
}

namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out + "\"";
}

std::string dump_template(const TemplateAst& t) {
  std::string out = "(tmpl";
  for (const TemplatePart& p : t.parts) out += p.hole ? " {" + dump(*p.hole) + "}" : " " + quote(p.text);
  return out + ")";
}

std::string dump_patterns(const std::vector<Pattern>& ps) {
  std::string out = "(on";
  for (const Pattern& p : ps) out += " " + p.text;
  return out + ")";
}

std::string dump_entries(const std::vector<MapEntry>& es) {
  std::string out;
  for (const MapEntry& e : es)
    out += fmt::format(" ({} {})", e.key, e.tmpl ? dump_template(*e.tmpl) : dump(*e.value));
  return out;
}

std::string dump_action(const ActionAst& a) {
  switch (a.kind) {
    case ActionKind::Verdict:
      return fmt::format("({}{})", level_name(a.level), a.message ? " " + dump_template(*a.message) : "");
    case ActionKind::Alert: {
      std::string out = fmt::format("(alert {} {}", a.name, dump_template(*a.message));
      if (!a.entries.empty()) out += " (labels" + dump_entries(a.entries) + ")";
      if (!a.dedup.empty()) {
        out += " (dedup";
        for (const auto& d : a.dedup) out += " " + d.first;
        out += ")";
      }
      if (a.every) out += " (every " + dump(*a.every) + ")";
      return out + ")";
    }
    case ActionKind::CollectRecorder: return "(collect recorder " + a.name + ")";
    case ActionKind::CollectSnapshot: return "(collect snapshot " + quote(a.name) + ")";
    case ActionKind::CollectProcess: return "(collect process)";
    case ActionKind::Discard: return "(discard recorder " + a.name + ")";
    case ActionKind::Enable:
      return "(enable " + a.name + (a.min_severity.empty() ? "" : " (level " + a.min_severity + ")") +
             (a.for_d ? " (for " + dump(*a.for_d) + ")" : "") + ")";
    case ActionKind::Emit: return "(emit " + a.name + dump_entries(a.entries) + ")";
    case ActionKind::Count: return "(count " + a.name + dump_entries(a.entries) + ")";
    case ActionKind::Observe: return "(observe " + a.name + " " + dump(*a.value) + dump_entries(a.entries) + ")";
  }
  return "(?)";
}

std::string dump_block(const Block& b);

std::string dump_stmt(const Stmt& s) {
  switch (s.kind) {
    case Stmt::Kind::Action: return dump_action(s.action);
    case Stmt::Kind::When: {
      const WhenAst& w = *s.when;
      std::string out = "(when (" + w.agg;
      for (const auto& a : w.args) out += " " + dump(*a);
      out += fmt::format(") {} {} {} {}", w.sliding ? "over" : "every", dump(*w.window), binop_text(w.cmp), dump(*w.threshold));
      if (!w.by.empty()) {
        out += " (by";
        for (const auto& k : w.by) out += " " + k.first;
        out += ")";
      }
      if (w.max_keys) out += fmt::format(" (max {})", w.max_keys);
      if (w.for_d) out += " (for " + dump(*w.for_d) + ")";
      return out + dump_block(w.body) + ")";
    }
    case Stmt::Kind::Expect: {
      const ExpectAst& x = *s.expect;
      std::string out =
          "(expect " + (x.count ? "(count " + dump(*x.count) + ") " : std::string()) + dump_patterns(x.patterns);
      if (x.where) out += " (where " + dump(*x.where) + ")";
      out += " (matching";
      for (const auto& m : x.matching) out += " " + m.first;
      out += ") (within " + dump(*x.within) + ")";
      if (x.has_then) out += " (then" + dump_block(x.then_body) + ")";
      if (x.has_else) out += " (else" + dump_block(x.else_body) + ")";
      return out + ")";
    }
  }
  return "?";
}

std::string dump_block(const Block& b) {
  std::string out;
  for (const Stmt& s : b) out += " " + dump_stmt(s);
  return out;
}

}  // namespace

std::string dump(const Expr& e) {
  switch (e.kind) {
    case ExprKind::IntLit: return e.unit.empty() ? std::to_string(e.i) : fmt::format("{}:{}", e.unit, e.i);
    case ExprKind::FloatLit: return e.unit.empty() ? fmt::format("{}", e.f) : fmt::format("{}:{}", e.unit, e.f);
    case ExprKind::StringLit: return quote(e.s);
    case ExprKind::BoolLit: return e.b ? "true" : "false";
    case ExprKind::Name: return e.s;
    case ExprKind::EventPart: return "event." + e.s;
    case ExprKind::Neg: return "(- " + dump(*e.args[0]) + ")";
    case ExprKind::Not: return "(not " + dump(*e.args[0]) + ")";
    case ExprKind::Binary: return fmt::format("({} {} {})", binop_text(e.op), dump(*e.args[0]), dump(*e.args[1]));
    case ExprKind::In:
      return fmt::format("({} {} {})", e.negated ? "not-in" : "in", dump(*e.args[0]), dump(*e.args[1]));
    case ExprKind::ListLit:
    case ExprKind::Call: {
      std::string out = e.kind == ExprKind::ListLit ? "[" : "(" + e.s;
      for (size_t i = 0; i < e.args.size(); ++i)
        out += (e.kind == ExprKind::ListLit && i == 0 ? "" : " ") + dump(*e.args[i]);
      return out + (e.kind == ExprKind::ListLit ? "]" : ")");
    }
  }
  return "?";
}

std::optional<Const> literal_value(const MapEntry& entry) {
  Const c;
  if (entry.tmpl) {
    const std::vector<TemplatePart>& parts = entry.tmpl->parts;
    if (parts.size() > 1 || (parts.size() == 1 && parts[0].hole)) return std::nullopt;
    c.type = Type::String;
    if (!parts.empty()) c.s = parts[0].text;
    return c;
  }
  const Expr* e = entry.value.get();
  if (!e) return std::nullopt;
  const bool neg = e->kind == ExprKind::Neg && e->args.size() == 1;
  if (neg) e = e->args[0].get();
  switch (e->kind) {
    case ExprKind::IntLit:
      if (neg && e->i == INT64_MIN) return std::nullopt;
      c.type = Type::Int;
      c.i = neg ? -e->i : e->i;
      return c;
    case ExprKind::FloatLit:
      c.type = Type::Float;
      c.f = neg ? -e->f : e->f;
      return c;
    case ExprKind::BoolLit:
      if (neg) return std::nullopt;
      c.type = Type::Bool;
      c.b = e->b;
      return c;
    default: return std::nullopt;
  }
}

std::string dump(const Policy& p) {
  std::string out;
  if (p.policy_decls) out += "(policy " + p.name + ")\n";
  for (const ConstDecl& c : p.consts) out += fmt::format("(const {} {})\n", c.name, dump(*c.value));
  for (const EventDecl& e : p.events) {
    out += "(event " + e.name + (e.id ? fmt::format(" #{}", *e.id) : "");
    for (const FieldDecl& f : e.fields) out += fmt::format(" ({} {}{})", f.name, f.type_name, f.sensitive ? " sensitive" : "");
    out += ")\n";
  }
  for (const FilterDecl& f : p.filters) {
    out += "(filter " + f.name + " " + dump_patterns(f.patterns);
    if (f.where) out += " (where " + dump(*f.where) + ")";
    for (const FilterActionAst& a : f.actions) {
      if (a.kind == FilterKind::Drop) out += " (drop)";
      else if (a.kind == FilterKind::Sample) out += " (sample " + dump(*a.fraction) + ")";
      else {
        out += " (redact";
        for (const auto& fl : a.fields) out += " " + fl.first;
        out += ")";
      }
    }
    out += ")\n";
  }
  for (const RuleDecl& r : p.rules) {
    out += "(rule " + r.name + " " + dump_patterns(r.patterns);
    if (r.where) out += " (where " + dump(*r.where) + ")";
    out += dump_block(r.body) + ")\n";
  }
  for (const ProfileDecl& pr : p.profiles) {
    out += "(profile " + pr.name + (pr.extends.empty() ? "" : " extends " + pr.extends);
    for (const ProfileItem& it : pr.items) {
      switch (it.kind) {
        case ProfileItemKind::Set: out += fmt::format(" (set {} {})", it.name, dump(*it.value)); break;
        case ProfileItemKind::RuleLevel: out += fmt::format(" (rule {} {})", it.name, it.level); break;
        case ProfileItemKind::Warnings: out += fmt::format(" (warnings {})", it.level); break;
        case ProfileItemKind::Budget:
          out += fmt::format(" (budget {} {}{})", it.name, dump(*it.value), it.per ? " per " + dump(*it.per) : "");
          break;
        case ProfileItemKind::Inject: out += " (inject ...)"; break;
        case ProfileItemKind::Seed: out += " (seed ...)"; break;
        case ProfileItemKind::AlertLevel: out += fmt::format(" (alert {} {})", it.name, it.level); break;
        case ProfileItemKind::MaxKeys: out += fmt::format(" (max {} {})", it.name, it.number); break;
      }
    }
    out += ")\n";
  }
  for (const MachineDecl& m : p.machines) {
    out += "(machine " + m.name + " (by " + m.key + ")";
    if (m.initial_count) out += " (initial " + m.initial + ")";
    for (const StateAst& st : m.states) {
      out += " (state " + st.name;
      for (const TransitionAst& t : st.transitions) {
        if (t.after) {
          out += " (after " + dump(*t.delay);
        } else {
          out += " (on";
          for (const Pattern& pt : t.patterns) out += " " + pt.text;
        }
        if (t.where) out += " (where " + dump(*t.where) + ")";
        out += " -> " + t.target + dump_block(t.body) + ")";
      }
      out += ")";
    }
    out += ")\n";
  }
  for (const RecorderDecl& r : p.recorders) {
    out += "(recorder " + r.name + " (capacity " + std::to_string(r.capacity) + ")";
    if (!r.patterns.empty()) {
      out += " (on";
      for (const Pattern& pt : r.patterns) out += " " + pt.text;
      out += ")";
    }
    if (!r.key.empty()) out += " (by " + r.key + ")";
    if (r.idle) out += " (idle " + dump(*r.idle) + ")";
    out += ")\n";
  }
  for (const Unsupported& u : p.unsupported) out += "(" + u.construct + " ...)\n";
  for (const TestDecl& t : p.tests) {
    out += "(test \"" + t.name + "\"";
    for (const TestItem& it : t.items) {
      switch (it.kind) {
        case TestItemKind::Profile: out += " (profile " + it.text + ")"; break;
        case TestItemKind::Policy: out += " (policy \"" + it.text + "\")"; break;
        case TestItemKind::Events: out += " (events \"" + it.text + "\")"; break;
        case TestItemKind::Advance: out += fmt::format(" (advance {})", it.ns); break;
        case TestItemKind::At:
          out += fmt::format(" (at {} {}{}{})", it.ns, it.text, it.severity.empty() ? "" : " severity " + it.severity,
                             dump_entries(it.fields));
          break;
        case TestItemKind::Expect:
          out += " (expect " + it.subject + (it.what.empty() ? "" : " " + it.what) +
                 (it.count ? fmt::format(" {}", *it.count) : "") + ")";
          break;
      }
    }
    out += ")\n";
  }
  return out;
}

}  // namespace dta::ast
