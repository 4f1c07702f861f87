// Pass: constant folding and type checking.
#include "type_pass.hpp"

#include <fmt/format.h>

#include "dta/regex_syntax.hpp"

namespace dta {
namespace {

using ast::BinOp;
using ast::Expr;
using ast::ExprKind;

bool numeric(Type t) { return t == Type::Int || t == Type::Float; }
bool num_or_unknown(Type t) { return numeric(t) || t == Type::Unknown; }

class Typer {
 public:
  explicit Typer(PassContext& ctx) : ctx_(ctx), p_(ctx.policy) {}

  void run() {
    for (ast::ConstDecl& c : p_.consts) {
      if (!c.value) continue;
      expr(*c.value);
      c.folded = fold(*c.value);
    }
    for (ast::FilterDecl& f : p_.filters) {
      if (f.where) condition(*f.where);
      for (ast::FilterActionAst& a : f.actions)
        if (a.fraction) fraction(*a.fraction);
    }
    for (ast::ProfileDecl& pr : p_.profiles)
      for (ast::ProfileItem& it : pr.items)
        if (it.value) expr(*it.value);
    for (ast::RuleDecl& r : p_.rules) {
      if (r.where) condition(*r.where);
      block(r.body);
    }
    for (ast::MachineDecl& m : p_.machines)
      for (ast::StateAst& st : m.states)
        for (ast::TransitionAst& t : st.transitions) {
          if (t.where) condition(*t.where);
          if (t.delay) duration(*t.delay, DurationRule::Positive, "after");
          block(t.body);
        }
    for (ast::RecorderDecl& r : p_.recorders)
      if (r.idle && !r.key.empty()) duration(*r.idle, DurationRule::Positive, "idle");
  }

  // The value of a literal expression (consts and profile `set`s).
  static Const fold(const Expr& e) {
    Const c;
    c.type = e.type;
    switch (e.kind) {
      case ExprKind::IntLit: c.i = e.i; break;
      case ExprKind::FloatLit: c.f = e.f; break;
      case ExprKind::StringLit: c.s = e.s; break;
      case ExprKind::BoolLit: c.b = e.b; break;
      case ExprKind::Neg: {
        c = fold(*e.args[0]);
        if (c.type == Type::Int) c.i = -c.i;
        else c.f = -c.f;
        break;
      }
      case ExprKind::ListLit:
        for (const auto& a : e.args) {
          Const item = fold(*a);
          if (e.elem == Type::Float && item.type == Type::Int) {
            item.type = Type::Float;
            item.f = static_cast<double>(item.i);
          }
          c.items.push_back(std::move(item));
        }
        break;
      default: break;
    }
    return c;
  }

 private:
  void error(const ast::Loc& l, std::string m) { ctx_.diags.error(l, std::move(m)); }

  void condition(Expr& e) {
    expr(e);
    if (e.type != Type::Bool && e.type != Type::Unknown)
      error(e.loc, fmt::format("a condition must be bool, not {}", type_name(e.type)));
  }

  void fraction(Expr& e) {
    expr(e);
    double v = -1;
    if (e.kind == ExprKind::FloatLit) v = e.f;
    else if (e.kind == ExprKind::IntLit) v = static_cast<double>(e.i);
    else if (e.kind == ExprKind::Name && e.ref == ast::NameRef::Const && numeric(e.type)) {
      const Const& c = p_.consts[e.const_index].folded;
      v = c.type == Type::Int ? static_cast<double>(c.i) : c.f;
    } else {
      error(e.loc, "sample takes a constant fraction (1%, 0.25)");
      return;
    }
    if (v < 0 || v > 1) error(e.loc, "a sample fraction must be between 0% and 100%");
  }

  void block(ast::Block& b) {
    int verdicts = 0;
    for (ast::Stmt& s : b) {
      if (s.kind == ast::Stmt::Kind::When) {
        when(*s.when);
      } else if (s.kind == ast::Stmt::Kind::Expect) {
        ast::ExpectAst& x = *s.expect;
        duration(*x.within, DurationRule::Positive, "within");
        if (x.count) expect_count(*x.count);
        if (x.where) condition(*x.where);
        block(x.then_body);
        block(x.else_body);
      } else {
        action(s.action);
        if (s.action.kind == ast::ActionKind::Verdict && ++verdicts == 2)
          error(s.action.loc, "an action block holds at most one verdict");
      }
    }
  }

  // A duration literal or an int constant, checked against `rule`; a
  // constant's use is recorded for the profiles that set it.
  void duration(Expr& e, DurationRule rule, const char* what) {
    expr(e);
    if (e.type != Type::Int) {
      error(e.loc, fmt::format("a duration must be an int of nanoseconds (10s), not {}", type_name(e.type)));
      return;
    }
    const bool named = e.kind == ExprKind::Name && e.ref == ast::NameRef::Const;
    const int64_t ns = named ? p_.consts[e.const_index].folded.i : e.i;
    if (!duration_ok(ns, rule)) {
      const std::string value = named ? fmt::format("{} is {}", e.s, duration_text(ns))
                                      : "not " + (e.unit.empty() ? duration_text(ns) : e.unit);
      error(e.loc, fmt::format("'{}' needs a {} duration, {}", what, duration_rule_text(rule),
                               named ? "and " + value : value));
    }
    if (!named) return;
    const DurationUse use{rule, what, e.loc};
    auto [it, fresh] = ctx_.duration_consts.try_emplace(static_cast<size_t>(e.const_index), use);
    if (!fresh && rule == DurationRule::Positive && it->second.rule != rule) it->second = use;  // the stricter use
  }

  // The N of `expect N PATTERN ...`: an int from 1 to kMaxExpectCount.
  void expect_count(Expr& e) {
    expr(e);
    const bool named = e.kind == ExprKind::Name && e.ref == ast::NameRef::Const;
    if (e.type != Type::Int) {
      error(e.loc, fmt::format("the count of 'expect' must be an int, not {}{}", type_name(e.type),
                               named ? fmt::format(" ({} is {})", e.s, type_name(e.type)) : ""));
      return;
    }
    const int64_t n = named ? p_.consts[e.const_index].folded.i : e.i;
    if (n < 1 || n > kMaxExpectCount)
      error(e.loc, fmt::format("the count of 'expect' must be between 1 and {}, {}{}", kMaxExpectCount,
                               named ? "and " + e.s + " is " : "not ", n));
  }

  // The value of a constant number (a literal, a negated one, or a constant).
  bool constant_number(const Expr& e, double* out) const {
    switch (e.kind) {
      case ExprKind::IntLit: *out = static_cast<double>(e.i); return true;
      case ExprKind::FloatLit: *out = e.f; return true;
      case ExprKind::Neg:
        if (!constant_number(*e.args[0], out)) return false;
        *out = -*out;
        return true;
      case ExprKind::Name: {
        if (e.ref != ast::NameRef::Const) return false;
        const Const& c = p_.consts[e.const_index].folded;
        if (c.type == Type::Int) *out = static_cast<double>(c.i);
        else if (c.type == Type::Float) *out = c.f;
        else return false;
        return true;
      }
      default: return false;
    }
  }

  void when(ast::WhenAst& w) {
    for (auto& a : w.args) expr(*a);
    const std::string& g = w.agg;
    const AggSpelling* found = find_agg_spelling(g);
    if (!found) return;  // unknown: resolve_pass reported it, and this pass does not run then
    const AggSpelling& spelling = *found;
    const AggRow& agg = enum_row(spelling.agg);  // aggregates.def
    if (agg.numeric && !w.args.empty() && !num_or_unknown(w.args[0]->type))
      error(w.args[0]->loc, fmt::format("aggregate '{}' needs a number, not {}", g, type_name(w.args[0]->type)));
    if (!agg.numeric && !w.args.empty() && w.args[0]->type == Type::List)
      error(w.args[0]->loc, fmt::format("{}() needs a single value, not a list", g));
    if (spelling.q < 0 && w.args.size() == 2) {
      const Expr& q = *w.args[1];
      double v = -1;
      if (constant_number(q, &v) && v >= 0 && v <= 1) w.q = v;  // 0 and 1 included (spec 5.1)
      else error(q.loc, "quantile(e, q) needs a constant q between 0 and 1");
    }
    duration(*w.window, DurationRule::Positive, w.sliding ? "over" : "every");
    if (w.for_d) duration(*w.for_d, DurationRule::NonNegative, "for");
    expr(*w.threshold);
    if (!numeric(w.threshold->type)) error(w.threshold->loc, "a threshold must be a number");
    switch (agg.value) {
      case AggValue::Int: value_type_ = Type::Int; break;
      case AggValue::Float: value_type_ = Type::Float; break;
      case AggValue::Arg: value_type_ = w.args.empty() ? Type::Unknown : w.args[0]->type; break;
    }
    block(w.body);
    value_type_ = Type::Unknown;
  }

  void action(ast::ActionAst& a) {
    if (a.every) duration(*a.every, DurationRule::Positive, "every");
    if (a.for_d) duration(*a.for_d, DurationRule::Positive, "enable ... for");
    if (a.message) templ(*a.message);
    if (a.value) {
      expr(*a.value);
      if (!num_or_unknown(a.value->type))
        error(a.value->loc, fmt::format("observe needs a number, not {}", type_name(a.value->type)));
    }
    for (ast::MapEntry& m : a.entries) {
      if (m.tmpl) templ(*m.tmpl);
      if (m.value) {
        expr(*m.value);
        if (m.value->type == Type::List) error(m.value->loc, "a list cannot be an event field or label");
      }
    }
  }

  void templ(ast::TemplateAst& t) {
    for (ast::TemplatePart& part : t.parts)
      if (part.hole) expr(*part.hole);
  }

  void call(Expr& e) {
    if (e.machine >= 0) {  // state(machine, key)
      expr(*e.args[1]);
      e.type = Type::String;
      return;
    }
    if (e.builtin < 0) return;  // unresolved: resolve_pass reported it, and this pass does not run then
    const Builtin& b = ctx_.builtins[e.builtin];
    if (b.special == Special::HasField) {
      e.type = Type::Bool;
      return;
    }
    if (b.special == Special::FieldNamed) return;  // typed by resolve_pass from the schema
    for (auto& a : e.args) expr(*a);
    for (size_t i = 0; i < e.args.size(); ++i) {
      const Type t = e.args[i]->type;
      bool ok = true;
      switch (b.params[i]) {
        case Param::String: ok = t == Type::String || t == Type::Unknown; break;
        case Param::Number: ok = num_or_unknown(t); break;
        case Param::Int: ok = t == Type::Int || t == Type::Unknown; break;
        case Param::Float: ok = num_or_unknown(t); break;
        case Param::Bool: ok = t == Type::Bool || t == Type::Unknown; break;
        case Param::Any: ok = t != Type::List; break;
      }
      if (!ok) error(e.args[i]->loc, fmt::format("argument {} of '{}' cannot be {}", i + 1, b.name, type_name(t)));
    }
    if (b.special == Special::Regex) {
      const Expr& re = *e.args[1];
      std::string src;
      if (re.kind == ExprKind::StringLit) src = re.s;
      else if (re.kind == ExprKind::Name && re.ref == ast::NameRef::Const && re.type == Type::String)
        src = p_.consts[re.const_index].folded.s;
      else {
        error(re.loc, "the pattern of matches() must be a constant string");
        return;
      }
      if (Outcome valid = check_regex(src); !valid) error(re.loc, fmt::format("invalid regex: {}", valid.error()));
    }
    switch (b.result) {
      case Result::Int: e.type = Type::Int; break;
      case Result::Float: e.type = Type::Float; break;
      case Result::String: e.type = Type::String; break;
      case Result::Bool: e.type = Type::Bool; break;
      case Result::SameAsArg: e.type = numeric(e.args[0]->type) ? e.args[0]->type : Type::Unknown; break;
      case Result::WidestNumber: {
        const Type x = e.args[0]->type, y = e.args[1]->type;
        e.type = x == Type::Int && y == Type::Int ? Type::Int
               : numeric(x) && numeric(y)         ? Type::Float
                                                  : Type::Unknown;
        break;
      }
    }
  }

  void list(Expr& e) {
    Type elem = Type::Unknown;
    for (auto& a : e.args) {
      expr(*a);
      const Type t = a->type;
      if (elem == Type::Unknown) elem = t;
      else if (numeric(elem) && numeric(t)) elem = elem == Type::Float || t == Type::Float ? Type::Float : Type::Int;
      else if (t != elem && t != Type::Unknown) error(a->loc, fmt::format("a list mixes {} and {}", type_name(elem), type_name(t)));
    }
    e.type = Type::List;
    e.elem = elem;
  }

  bool comparable(Type x, Type y, bool ordered) {
    if (x == Type::Unknown || y == Type::Unknown) return x != Type::List && y != Type::List;
    if (numeric(x) && numeric(y)) return true;
    if (x != y || x == Type::List) return false;
    return !ordered || x == Type::String;
  }

  void binary(Expr& e) {
    expr(*e.args[0]);
    expr(*e.args[1]);
    const Type x = e.args[0]->type, y = e.args[1]->type;
    switch (e.op) {
      case BinOp::And:
      case BinOp::Or:
        for (auto& a : e.args)
          if (a->type != Type::Bool && a->type != Type::Unknown)
            error(a->loc, fmt::format("'{}' needs bool operands, not {}", binop_text(e.op), type_name(a->type)));
        e.type = Type::Bool;
        return;
      case BinOp::Eq: case BinOp::Ne: case BinOp::Lt: case BinOp::Le: case BinOp::Gt: case BinOp::Ge: {
        const bool ordered = e.op != BinOp::Eq && e.op != BinOp::Ne;
        if (!comparable(x, y, ordered))
          error(e.loc, fmt::format("cannot compare {} {} {}", type_name(x), binop_text(e.op), type_name(y)));
        e.type = Type::Bool;
        return;
      }
      case BinOp::Add:
        if (x == Type::String && y == Type::String) {
          e.type = Type::String;
          return;
        }
        [[fallthrough]];
      default:
        if (x == Type::Unknown || y == Type::Unknown) {
          const bool add_ok = e.op == BinOp::Add && (x == Type::String || y == Type::String);
          const Type known = x == Type::Unknown ? y : x;
          if (known != Type::Unknown && !numeric(known) && !add_ok)
            error(e.loc, fmt::format("cannot apply '{}' to {}", binop_text(e.op), type_name(known)));
          e.type = Type::Unknown;
          return;
        }
        if (!numeric(x) || !numeric(y)) {
          error(e.loc, fmt::format("cannot apply '{}' to {} and {}", binop_text(e.op), type_name(x), type_name(y)));
          e.type = Type::Unknown;
          return;
        }
        e.type = x == Type::Int && y == Type::Int ? Type::Int : Type::Float;
    }
  }

  void in(Expr& e) {
    expr(*e.args[0]);
    Expr& rhs = *e.args[1];
    expr(rhs);
    e.type = Type::Bool;
    if (rhs.type != Type::List) {
      error(rhs.loc, "'in' needs a list: x in [\"a\", \"b\"] or a list constant");
      return;
    }
    const Type x = e.args[0]->type;
    if (rhs.elem != Type::Unknown && !comparable(x, rhs.elem, false))
      error(e.loc, fmt::format("cannot look for {} in a list of {}", type_name(x), type_name(rhs.elem)));
  }

  void expr(Expr& e) {
    switch (e.kind) {
      case ExprKind::IntLit: e.type = Type::Int; return;
      case ExprKind::FloatLit: e.type = Type::Float; return;
      case ExprKind::StringLit: e.type = Type::String; return;
      case ExprKind::BoolLit: e.type = Type::Bool; return;
      case ExprKind::ListLit: list(e); return;
      case ExprKind::Name:
        if (e.ref == ast::NameRef::WindowValue) e.type = value_type_;
        if (e.ref == ast::NameRef::Const) {
          const ast::ConstDecl& c = p_.consts[e.const_index];
          e.type = c.folded.type;
          if (e.type == Type::List) e.elem = c.value->elem;
        }
        return;  // fields were typed by resolve_pass
      case ExprKind::EventPart: {
        const EventPart* part = find_event_part(e.s);  // resolve_pass checked the name
        e.type = part ? part->type : Type::Unknown;
        return;
      }
      case ExprKind::Call: call(e); return;
      case ExprKind::Neg:
        expr(*e.args[0]);
        e.type = e.args[0]->type;
        if (!num_or_unknown(e.type)) error(e.loc, fmt::format("cannot negate {}", type_name(e.type)));
        return;
      case ExprKind::Not:
        expr(*e.args[0]);
        if (e.args[0]->type != Type::Bool && e.args[0]->type != Type::Unknown)
          error(e.loc, fmt::format("'not' needs bool, not {}", type_name(e.args[0]->type)));
        e.type = Type::Bool;
        return;
      case ExprKind::Binary: binary(e); return;
      case ExprKind::In: in(e); return;
    }
  }

  PassContext& ctx_;
  ast::Policy& p_;
  Type value_type_ = Type::Unknown;
};

// ---------------------------------------------------------------- warnings
// A duration is an int of nanoseconds (spec 4.2), so `latency_ms > 250ms`
// compares milliseconds with 250,000,000 and never fires. A field whose name
// says another unit, compared with (or added to) a duration, is flagged with
// the number to write instead. Kept apart from the Typer: it only warns.

struct NamedUnit {
  const char* word;    // the last word of a field name, lower case
  const char* unit;    // what it says, for the message
  int64_t ns;          // nanoseconds in one
  bool alone;          // also the whole name (`ms`), not only its last word (`latency_ms`)
};
constexpr NamedUnit kNamedUnits[] = {
    {"ns", "nanoseconds", 1, true}, {"nanos", "nanoseconds", 1, true},
    {"nanoseconds", "nanoseconds", 1, true},
    {"us", "microseconds", 1000, false}, {"usec", "microseconds", 1000, true},
    {"usecs", "microseconds", 1000, true}, {"micros", "microseconds", 1000, true},
    {"microseconds", "microseconds", 1000, true},
    {"ms", "milliseconds", 1000000, true}, {"msec", "milliseconds", 1000000, true},
    {"msecs", "milliseconds", 1000000, true}, {"millis", "milliseconds", 1000000, true},
    {"milliseconds", "milliseconds", 1000000, true},
    {"s", "seconds", 1000000000, false}, {"sec", "seconds", 1000000000, true},
    {"secs", "seconds", 1000000000, true}, {"second", "seconds", 1000000000, false},
    {"seconds", "seconds", 1000000000, true},
    {"min", "minutes", 60000000000, false}, {"mins", "minutes", 60000000000, true},
    {"minutes", "minutes", 60000000000, true},
    {"hr", "hours", 3600000000000, false}, {"hrs", "hours", 3600000000000, false},
    {"hours", "hours", 3600000000000, true},
    {"days", "days", 86400000000000, true},
};

// The unit a field's name says by its last word (`latency_ms`, `latencyMs`,
// `http.duration_seconds`), or null.
const NamedUnit* unit_of_name(const std::string& name) {
  const size_t start = name.find_last_of("._") == std::string::npos ? 0 : name.find_last_of("._") + 1;
  size_t word = start;
  for (size_t i = start + 1; i < name.size(); ++i)  // camelCase: the last capital starts the word
    if (name[i] >= 'A' && name[i] <= 'Z' && name[i - 1] >= 'a' && name[i - 1] <= 'z') word = i;
  std::string last = name.substr(word);
  for (char& c : last) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  const bool whole = word == 0;
  for (const NamedUnit& u : kNamedUnits)
    if (last == u.word && (!whole || u.alone)) return &u;
  return nullptr;
}

class UnitWarnings {
 public:
  explicit UnitWarnings(PassContext& ctx) : ctx_(ctx), p_(ctx.policy) {}

  void run() {
    for (ast::FilterDecl& f : p_.filters)
      if (f.where) expr(*f.where);
    for (ast::RuleDecl& r : p_.rules) {
      if (r.where) expr(*r.where);
      block(r.body);
    }
    for (ast::MachineDecl& m : p_.machines)
      for (ast::StateAst& st : m.states)
        for (ast::TransitionAst& t : st.transitions) {
          if (t.where) expr(*t.where);
          block(t.body);
        }
  }

 private:
  // A field read ("latency_ms", field("x.latency_ms"), start.latency_ms, or a
  // window's `value` over one): its name, for the unit and the message.
  std::string field_name(const Expr& e) const {
    if (e.kind == ExprKind::Name && (e.ref == ast::NameRef::Field || e.ref == ast::NameRef::StartField)) return e.s;
    if (e.kind == ExprKind::Name && e.ref == ast::NameRef::WindowValue) return window_field_;
    if (e.kind == ExprKind::Call && e.builtin >= 0 && ctx_.builtins[e.builtin].special == Special::FieldNamed &&
        !e.args.empty())
      return e.args[0]->s;
    return "";
  }

  // Whether e is a duration (a literal, negated or not, or a constant declared
  // as one); its nanoseconds and how it is written.
  bool duration(const Expr& e, int64_t* ns, std::string* written) const {
    if (e.kind == ExprKind::IntLit && !e.unit.empty() && e.unit.back() != 'B') {
      *ns = e.i;
      *written = e.unit;
      return true;
    }
    if (e.kind == ExprKind::Neg && duration(*e.args[0], ns, written)) {
      *ns = -*ns;
      *written = "-" + *written;
      return true;
    }
    if (e.kind == ExprKind::Name && e.ref == ast::NameRef::Const && e.const_index >= 0) {
      const ast::ConstDecl& c = p_.consts[static_cast<size_t>(e.const_index)];
      if (!c.value || !duration(*c.value, ns, written)) return false;
      *written = fmt::format("{} ({})", e.s, *written);
      return true;
    }
    return false;
  }

  // `subject` (read from field `field`) meets duration `d`.
  void check(const std::string& subject, const std::string& field, const Expr& d) {
    int64_t ns = 0;
    std::string written;
    const NamedUnit* u = field.empty() ? nullptr : unit_of_name(field);
    if (!u || u->ns == 1 || !duration(d, &ns, &written) || ns == 0) return;
    const std::string number = ns % u->ns == 0 ? fmt::format("{}", ns / u->ns)
                                               : fmt::format("{}", static_cast<double>(ns) / static_cast<double>(u->ns));
    ctx_.diags.warning(d.loc, fmt::format("{} is in {} by its name, but {} is {} nanoseconds (durations are ints of "
                                          "nanoseconds): write {}",
                                          subject, u->unit, written, ns, number));
  }

  void binary(const Expr& e) {
    const bool compares = e.op >= BinOp::Eq && e.op <= BinOp::Ge;
    if (!compares && e.op != BinOp::Add && e.op != BinOp::Sub) return;
    for (int side = 0; side < 2; ++side) {
      const std::string f = field_name(*e.args[side]);
      if (f.empty()) continue;
      const std::string subject = e.args[side]->ref == ast::NameRef::WindowValue
                                      ? fmt::format("'value' ({}({}))", window_agg_, f)
                                      : fmt::format("'{}'", f);
      check(subject, f, *e.args[1 - side]);
    }
  }

  void expr(const Expr& e) {
    if (e.kind == ExprKind::Binary && e.args.size() == 2) binary(e);
    for (const auto& a : e.args)
      if (a) expr(*a);
  }

  void templ(const std::optional<ast::TemplateAst>& t) {
    if (!t) return;
    for (const ast::TemplatePart& part : t->parts)
      if (part.hole) expr(*part.hole);
  }

  void block(const ast::Block& b) {
    for (const ast::Stmt& s : b) {
      if (s.kind == ast::Stmt::Kind::When) {
        when(*s.when);
      } else if (s.kind == ast::Stmt::Kind::Expect) {
        if (s.expect->where) expr(*s.expect->where);
        block(s.expect->then_body);
        block(s.expect->else_body);
      } else {
        const ast::ActionAst& a = s.action;
        templ(a.message);
        if (a.value) expr(*a.value);
        for (const ast::MapEntry& m : a.entries) {
          templ(m.tmpl);
          if (m.value) expr(*m.value);
        }
      }
    }
  }

  // `when avg(latency_ms) over 1m > 250ms`: the aggregate keeps its
  // argument's unit (sum, avg, min, max, quantiles), and so does `value`.
  void when(const ast::WhenAst& w) {
    for (const auto& a : w.args) expr(*a);
    const AggSpelling* spelling = find_agg_spelling(w.agg);
    const bool keeps_unit = spelling && enum_row(spelling->agg).numeric && !w.args.empty();
    const std::string f = keeps_unit ? field_name(*w.args[0]) : "";
    if (!f.empty() && w.threshold) check(fmt::format("'{}({})'", w.agg, f), f, *w.threshold);
    const std::string saved_field = window_field_, saved_agg = window_agg_;
    window_field_ = f;
    window_agg_ = w.agg;
    block(w.body);
    window_field_ = saved_field;
    window_agg_ = saved_agg;
  }

  PassContext& ctx_;
  ast::Policy& p_;
  std::string window_field_, window_agg_;  // inside a `when` over a field: its name and aggregate
};

}  // namespace

void type_pass(PassContext& ctx) {
  Typer(ctx).run();
  UnitWarnings(ctx).run();
}

// Exposed for profile_pass: the value of a checked literal expression.
Const fold_literal(const ast::Expr& e) { return Typer::fold(e); }

bool duration_ok(int64_t ns, DurationRule rule) { return rule == DurationRule::Positive ? ns > 0 : ns >= 0; }

const char* duration_rule_text(DurationRule rule) {
  return rule == DurationRule::Positive ? "positive" : "non-negative";
}

std::string duration_text(int64_t ns) {
  if (ns == 0) return "0s";
  static const std::pair<const char*, int64_t> kUnits[] = {{"d", 86400000000000}, {"h", 3600000000000},
                                                           {"m", 60000000000},    {"s", 1000000000},
                                                           {"ms", 1000000},       {"us", 1000}};
  for (const auto& [unit, size] : kUnits)
    if (ns % size == 0) return fmt::format("{}{}", ns / size, unit);
  return fmt::format("{}ns", ns);
}

}  // namespace dta
