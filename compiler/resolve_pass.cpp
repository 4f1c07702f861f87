// Pass: name resolution (symbol tables, names in expressions, field schemas).
#include "resolve_pass.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <set>

namespace dta {
namespace {

// Whether a field may be declared with type t (value_types.def).
bool declarable(Type t) { return enum_row(t).declared; }

// The type a field declaration names, if it may name it.
bool parse_type(const std::string& s, Type* t) { return parse_enum(s, *t) && declarable(*t); }

constexpr const char* kQuantileQ = "quantile(e, q) needs a constant q between 0 and 1";

std::string misspelled_constant(const PassContext& ctx, const std::string& name);
std::string constant_suggestion(const PassContext& ctx, const ast::Expr& e);
void warn_loose_name(PassContext& ctx, const ast::Expr& e, const std::string& constant);

class Resolver {
 public:
  explicit Resolver(PassContext& ctx) : ctx_(ctx), p_(ctx.policy) {}

  void run() {
    tables();
    for (ast::ConstDecl& c : p_.consts) literal_only(c.value.get());
    for (ast::FilterDecl& f : p_.filters) {
      scope(f.patterns);
      if (f.where) expr(*f.where);
      for (ast::FilterActionAst& a : f.actions) {
        if (a.fraction) expr(*a.fraction);
        for (const auto& [field, loc] : a.fields) check_field_name(field, loc);
      }
    }
    for (ast::RuleDecl& r : p_.rules) {
      scope(r.patterns);
      rule_schema_ = schema_;
      if (r.where) expr(*r.where);
      block(r.body);
    }
    for (ast::MachineDecl& m : p_.machines) machine(m);
    for (ast::RecorderDecl& r : p_.recorders) recorder(r);
    for (ast::ProfileDecl& pr : p_.profiles)
      for (ast::ProfileItem& it : pr.items)
        if (it.value) literal_only(it.value.get());
  }

 private:
  template <class T>
  void define(std::map<std::string, size_t>& table, const std::string& name, const ast::Loc& loc, size_t idx,
              const char* what, const std::vector<T>& decls) {
    auto [it, fresh] = table.emplace(name, idx);
    if (!fresh)
      ctx_.diags.error(loc, fmt::format("{} '{}' is defined twice (first at line {})", what, name, decls[it->second].loc.line));
  }

  void tables() {
    for (size_t i = 0; i < p_.consts.size(); ++i) define(ctx_.consts, p_.consts[i].name, p_.consts[i].loc, i, "constant", p_.consts);
    for (size_t i = 0; i < p_.rules.size(); ++i) define(ctx_.rules, p_.rules[i].name, p_.rules[i].loc, i, "rule", p_.rules);
    for (size_t i = 0; i < p_.filters.size(); ++i) define(ctx_.filters, p_.filters[i].name, p_.filters[i].loc, i, "filter", p_.filters);
    for (size_t i = 0; i < p_.profiles.size(); ++i) define(ctx_.profiles, p_.profiles[i].name, p_.profiles[i].loc, i, "profile", p_.profiles);
    for (size_t i = 0; i < p_.machines.size(); ++i) {
      const ast::MachineDecl& m = p_.machines[i];
      define(ctx_.machines, m.name, m.loc, i, "machine", p_.machines);
      if (ctx_.rules.count(m.name)) ctx_.diags.error(m.loc, fmt::format("machine '{}' has the name of a rule", m.name));
    }
    for (size_t i = 0; i < p_.recorders.size(); ++i)
      define(ctx_.recorders, p_.recorders[i].name, p_.recorders[i].loc, i, "recorder", p_.recorders);
    for (size_t i = 0; i < p_.events.size(); ++i) {
      ast::EventDecl& e = p_.events[i];
      define(ctx_.events, e.name, e.loc, i, "event", p_.events);
      std::map<std::string, size_t> seen;
      for (ast::FieldDecl& f : e.fields) {
        if (!seen.emplace(f.name, 0).second)
          ctx_.diags.error(f.loc, fmt::format("field '{}' is declared twice in event '{}'", f.name, e.name));
        if (!parse_type(f.type_name, &f.type))
          ctx_.diags.error(f.type_loc, fmt::format("unknown type '{}'{}", f.type_name,
                                                   did_you_mean(f.type_name, enum_names_where<Type>(declarable))));
      }
    }
  }

  // A constant's value (or a profile's `set`) must be a literal.
  void literal_only(const ast::Expr* e) {
    if (!e) return;
    switch (e->kind) {
      case ast::ExprKind::IntLit: case ast::ExprKind::FloatLit: case ast::ExprKind::StringLit:
      case ast::ExprKind::BoolLit:
        return;
      case ast::ExprKind::Neg:
        if (e->args[0]->kind == ast::ExprKind::IntLit || e->args[0]->kind == ast::ExprKind::FloatLit) return;
        break;
      case ast::ExprKind::ListLit:
        for (const auto& a : e->args) {
          if (a->kind == ast::ExprKind::ListLit) {
            ctx_.diags.error(a->loc, "lists do not nest");
            return;
          }
          literal_only(a.get());
        }
        return;
      default: break;
    }
    ctx_.diags.error(e->loc, "a constant's value must be a literal");
  }

  // The declared events a rule's patterns name, when every pattern is one.
  void scope(const std::vector<ast::Pattern>& patterns) {
    schema_.clear();
    for (const ast::Pattern& pt : patterns) {
      auto it = ctx_.events.find(pt.text);
      if (it == ctx_.events.end()) {
        schema_.clear();
        return;
      }
      schema_.push_back(&p_.events[it->second]);
    }
  }

  // Checks a field name against the schema in scope; returns its type.
  // `constant`: a constant the name may misspell, suggested when no field is.
  Type check_field_name(const std::string& field, const ast::Loc& loc, const std::string& constant = "") {
    Type type = Type::Unknown;
    for (size_t i = 0; i < schema_.size(); ++i) {
      const ast::FieldDecl* found = nullptr;
      std::vector<std::string> names;
      for (const ast::FieldDecl& f : schema_[i]->fields) {
        names.push_back(f.name);
        if (f.name == field) found = &f;
      }
      if (!found) {
        std::string hint = did_you_mean(field, names);
        if (hint.empty() && !constant.empty()) hint = fmt::format(" (did you mean the constant '{}'?)", constant);
        ctx_.diags.error(loc, fmt::format("unknown field '{}' on event '{}'{}", field, schema_[i]->name, hint));
        return Type::Unknown;
      }
      if (i == 0) type = found->type;
      else if (type != found->type) type = Type::Unknown;
    }
    return type;
  }

  void name(ast::Expr& e) {
    if (arrived(e)) return;
    if (e.s.find('.') != std::string::npos) {
      if (e.s.rfind("start.", 0) == 0 && in_expect_) {
        e.ref = ast::NameRef::StartField;
        e.s = e.s.substr(6);
        const auto saved = schema_;
        schema_ = rule_schema_;
        e.type = check_field_name(e.s, e.loc);
        schema_ = saved;
      } else if (e.s.rfind("start.", 0) == 0)
        ctx_.diags.error(e.loc, fmt::format("'{}' is only valid inside an 'expect' block", e.s));
      else
        ctx_.diags.error(e.loc, fmt::format("unknown name '{}' (fields with dots are written field(\"{}\"))", e.s, e.s));
      return;
    }
    if (e.s == "value" && in_when_) {
      e.ref = ast::NameRef::WindowValue;
      return;
    }
    auto it = ctx_.consts.find(e.s);
    if (it != ctx_.consts.end()) {
      e.ref = ast::NameRef::Const;
      e.const_index = static_cast<int32_t>(it->second);
      return;
    }
    e.ref = ast::NameRef::Field;
    const std::string konst = misspelled_constant(ctx_, e.s);
    e.type = check_field_name(e.s, e.loc, konst);
    if (schema_.empty() && !konst.empty()) warn_loose_name(ctx_, e, konst);
  }

  void call(ast::Expr& e) {
    if (e.s == "state") {
      state_call(e);
      return;
    }
    e.builtin = ctx_.builtin(e.s);
    if (e.builtin < 0) {
      std::vector<std::string> names;
      for (size_t i = 0; i < ctx_.nbuiltins; ++i) names.push_back(ctx_.builtins[i].name);
      ctx_.diags.error(e.loc, fmt::format("unknown function '{}'{}", e.s, did_you_mean(e.s, names)));
      return;
    }
    const Builtin& b = ctx_.builtins[e.builtin];
    if (e.args.size() != b.arity) {
      ctx_.diags.error(e.loc, fmt::format("'{}' takes {} argument{}, not {}", e.s, b.arity, b.arity == 1 ? "" : "s",
                                          e.args.size()));
      return;
    }
    if (b.special == Special::HasField) {
      ast::Expr& a = *e.args[0];
      const bool named = a.kind == ast::ExprKind::Call && a.s == "field";
      if (a.kind != ast::ExprKind::Name && !named) {
        ctx_.diags.error(a.loc, "has() takes a field name: has(errno) or has(field(\"x-id\"))");
        return;
      }
      if (named) {
        expr(a);
      } else {
        a.ref = ast::NameRef::Field;  // has(X) always asks about a field, even if a constant is named X
        a.type = check_field_name(a.s, a.loc);
      }
      return;
    }
    if (b.special == Special::FieldNamed) {
      ast::Expr& a = *e.args[0];
      if (a.kind != ast::ExprKind::StringLit) {
        ctx_.diags.error(a.loc, "field() takes a string literal: field(\"x-request-id\")");
        return;
      }
      e.type = check_field_name(a.s, e.loc);
      return;
    }
    for (auto& a : e.args) expr(*a);
  }

  void expr(ast::Expr& e) {
    switch (e.kind) {
      case ast::ExprKind::Name: name(e); return;
      case ast::ExprKind::Call: call(e); return;
      case ast::ExprKind::EventPart: {
        if (!find_event_part(e.s)) {
          std::vector<std::string> parts;
          for (const EventPart& p : kEventParts) parts.emplace_back(p.name);
          ctx_.diags.error(e.loc, fmt::format("unknown event part 'event.{}'{}", e.s, did_you_mean(e.s, parts)));
        }
        return;
      }
      default:
        for (auto& a : e.args) expr(*a);
    }
  }

  void templ(ast::TemplateAst& t) {
    for (ast::TemplatePart& part : t.parts)
      if (part.hole) expr(*part.hole);
  }

  void action(ast::ActionAst& a) {
    if (a.kind == ast::ActionKind::Alert) {
      AlertSeverity sev;
      if (!parse_enum(a.name, sev) || !enum_row(sev).written) {
        const auto written = enum_names_where<AlertSeverity>([](AlertSeverity s) { return enum_row(s).written; });
        ctx_.diags.error(a.name_loc, fmt::format("unknown alert severity '{}' ({}){}", a.name, names_text(written),
                                                 did_you_mean(a.name, written)));
      }
      for (const auto& [k, loc] : a.dedup) check_field_name(k, loc);
      if (a.every) duration(*a.every);
    }
    if (a.kind == ast::ActionKind::Enable) {
      Severity sev;
      if (!a.min_severity.empty() && !parse_severity(a.min_severity, sev)) {
        const auto all = enum_names_where<Severity>([](Severity) { return true; });
        ctx_.diags.error(a.min_severity_loc, fmt::format("unknown severity '{}' ({}){}", a.min_severity,
                                                         names_text(all), did_you_mean(a.min_severity, all)));
      }
      duration(*a.for_d);
    }
    if (a.kind == ast::ActionKind::CollectRecorder || a.kind == ast::ActionKind::Discard) {
      auto it = ctx_.recorders.find(a.name);
      if (it == ctx_.recorders.end()) {
        ctx_.diags.error(a.name_loc, fmt::format("unknown recorder '{}'{}", a.name,
                                                 ctx_.recorders.empty()
                                                     ? std::string(" (the policy declares no recorder)")
                                                     : did_you_mean(a.name, PassContext::names(ctx_.recorders))));
      } else if (a.kind == ast::ActionKind::Discard && p_.recorders[it->second].key.empty()) {
        ctx_.diags.error(a.name_loc, fmt::format("recorder '{}' has no key: 'discard' drops one key's ring, so it needs "
                                                 "a recorder declared with 'by KEY'",
                                                 a.name));
      }
    }
    if (a.kind == ast::ActionKind::CollectSnapshot) {
      // A snapshot's name picks a host collector and goes into a file name: a short plain name.
      bool plain = !a.name.empty() && a.name.size() <= kMaxSnapshotName;
      for (const char ch : a.name)
        plain &= (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                 ch == '-' || ch == '.';
      if (!plain)
        ctx_.diags.error(a.name_loc, fmt::format("a snapshot name is 1 to {} letters, digits, '_', '-' or '.', not {:?}",
                                                 kMaxSnapshotName, a.name));
    }
    if (a.message) templ(*a.message);
    if (a.value) expr(*a.value);
    for (ast::MapEntry& m : a.entries) {
      if (m.tmpl) templ(*m.tmpl);
      if (m.value) expr(*m.value);
    }
  }

  // A duration: a literal or a constant.
  void duration(ast::Expr& e) {
    if (e.kind == ast::ExprKind::IntLit) return;
    auto it = ctx_.consts.find(e.s);
    if (e.kind != ast::ExprKind::Name || it == ctx_.consts.end()) {
      ctx_.diags.error(e.loc, fmt::format("a duration must be a literal or a constant, not '{}'{}", e.s,
                                          constant_suggestion(ctx_, e)));
      return;
    }
    e.ref = ast::NameRef::Const;
    e.const_index = static_cast<int32_t>(it->second);
  }

  // A threshold (or quantile's q): literals and constants only; `message` otherwise.
  void constant_expr(ast::Expr& e, const char* message = "a threshold uses only literals and constants") {
    switch (e.kind) {
      case ast::ExprKind::IntLit: case ast::ExprKind::FloatLit: return;
      case ast::ExprKind::Neg: constant_expr(*e.args[0], message); return;
      case ast::ExprKind::Name: {
        auto it = ctx_.consts.find(e.s);
        if (it != ctx_.consts.end()) {
          e.ref = ast::NameRef::Const;
          e.const_index = static_cast<int32_t>(it->second);
          return;
        }
        break;
      }
      default: break;
    }
    const std::string hint = constant_suggestion(ctx_, e);
    ctx_.diags.error(e.loc, hint.empty() ? std::string(message) : fmt::format("{}: '{}' is not one{}", message, e.s, hint));
  }

  void block(ast::Block& b) {
    for (ast::Stmt& s : b) {
      switch (s.kind) {
        case ast::Stmt::Kind::Action: action(s.action); break;
        case ast::Stmt::Kind::When: when(*s.when); break;
        case ast::Stmt::Kind::Expect: expect(*s.expect); break;
      }
    }
  }

  void when(ast::WhenAst& w) {
    if (in_when_ || in_expect_) ctx_.diags.error(w.loc, "'when' blocks do not nest");
    const AggSpelling* agg = find_agg_spelling(w.agg);  // aggregates.def
    if (!agg) {
      std::vector<std::string> spellings;
      for (const AggSpelling& sp : kAggSpellings) spellings.emplace_back(sp.name);
      ctx_.diags.error(w.agg_loc, fmt::format("unknown aggregate '{}'{}", w.agg, did_you_mean(w.agg, spellings)));
    } else if (w.args.size() != agg->args) {
      ctx_.diags.error(w.agg_loc, fmt::format("'{}()' takes {} argument{}, not {}", w.agg, agg->args,
                                              agg->args == 1 ? "" : "s", w.args.size()));
    }
    for (size_t i = 0; i < w.args.size(); ++i) {
      if (agg && agg->q < 0 && i == 1) constant_expr(*w.args[i], kQuantileQ);  // quantile(e, q)
      else expr(*w.args[i]);
    }
    duration(*w.window);
    constant_expr(*w.threshold);
    if (w.for_d) {
      duration(*w.for_d);
      if (!w.sliding) ctx_.diags.error(w.for_d->loc, "'for' goes with a sliding window ('over'), not 'every'");
    }
    for (const auto& [k, loc] : w.by) check_field_name(k, loc);
    in_when_ = true;
    block(w.body);
    in_when_ = false;
  }

  void expect(ast::ExpectAst& x) {
    if (in_when_ || in_expect_) ctx_.diags.error(x.loc, "'expect' blocks do not nest");
    if (!x.has_then && !x.has_else)
      ctx_.diags.error(x.loc, "'expect' needs 'then { ... }', 'else { ... }' or both");
    const auto saved = schema_;
    for (const auto& [k, loc] : x.matching) check_field_name(k, loc);  // on the first event
    duration(*x.within);
    if (x.count) expect_count(*x.count);
    in_expect_ = true;
    scope(x.patterns);  // the arriving event
    for (const auto& [k, loc] : x.matching) check_field_name(k, loc);
    arrived_ = x.count ? Arrived::InWhere : Arrived::None;
    if (x.where) expr(*x.where);
    arrived_ = x.count ? Arrived::InActions : Arrived::None;
    block(x.then_body);
    schema_ = saved;  // `else` runs with the first event
    block(x.else_body);
    arrived_ = Arrived::None;
    in_expect_ = false;
  }

  // The N of `expect N PATTERN ...`: an int literal or a constant (type_pass
  // checks its type and range, profile_pass the profiles' values).
  void expect_count(ast::Expr& e) {
    if (e.kind == ast::ExprKind::IntLit) return;
    auto it = ctx_.consts.find(e.s);
    if (it == ctx_.consts.end()) {  // a misspelled constant, or two patterns without the ',' between them
      std::string hint = did_you_mean(e.s, PassContext::names(ctx_.consts));
      if (hint.empty()) hint = fmt::format(" (for two patterns, write '{}, ...')", e.s);
      ctx_.diags.error(e.loc,
                       fmt::format("the count of 'expect' must be an int literal or constant, not '{}'{}", e.s, hint));
      return;
    }
    e.ref = ast::NameRef::Const;
    e.const_index = static_cast<int32_t>(it->second);
  }

  // `arrived` in the `then`/`else` of an expectation with a count: how many
  // arrivals it counted (an int). It shadows a field of that name there, as
  // `value` does in a `when` (field("arrived") reads the field). In the
  // expectation's own `where` the count is not known yet: an error.
  bool arrived(ast::Expr& e) {
    if (e.s != "arrived" || arrived_ == Arrived::None) return false;
    if (arrived_ == Arrived::InWhere) {
      ctx_.diags.error(e.loc,
                       "'arrived' is known in 'then' and 'else', not in the expectation's 'where' "
                       "(write field(\"arrived\") for a field of that name)");
      return true;
    }
    e.ref = ast::NameRef::Arrived;
    e.type = Type::Int;
    return true;
  }

  void state_call(ast::Expr& e) {
    if (e.args.size() != 2) {
      ctx_.diags.error(e.loc, fmt::format("'state' takes 2 arguments, not {}", e.args.size()));
      return;
    }
    ast::Expr& m = *e.args[0];
    auto it = m.kind == ast::ExprKind::Name ? ctx_.machines.find(m.s) : ctx_.machines.end();
    if (it == ctx_.machines.end()) {
      ctx_.diags.error(m.loc, fmt::format("state() needs a machine, not '{}'{}", m.s,
                                          did_you_mean(m.s, PassContext::names(ctx_.machines))));
      return;
    }
    e.machine = static_cast<int32_t>(it->second);
    expr(*e.args[1]);
  }

  // A recorder: a sane capacity; a `by` key every declared `on` event has;
  // `idle` only with a key.
  void recorder(ast::RecorderDecl& r) {
    if (r.capacity < 1 || r.capacity > kMaxRecorderCapacity)
      ctx_.diags.error(r.capacity_loc, fmt::format("a recorder's capacity is 1 to {} events, not {}",
                                                   kMaxRecorderCapacity, r.capacity));
    if (!r.key.empty()) {
      scope(r.patterns);
      for (const ast::EventDecl* e : schema_) {
        bool has = false;
        std::vector<std::string> names;
        for (const ast::FieldDecl& f : e->fields) {
          has |= f.name == r.key;
          names.push_back(f.name);
        }
        if (!has)
          ctx_.diags.error(r.key_loc, fmt::format("event '{}' has no field '{}', the key of recorder '{}'{}", e->name,
                                                  r.key, r.name, did_you_mean(r.key, names)));
      }
      schema_.clear();
    }
    if (r.idle) {
      if (r.key.empty())
        ctx_.diags.error(r.idle->loc, fmt::format("'idle' drops a key's ring once the key is quiet: recorder '{}' "
                                                  "has no key ('by KEY')",
                                                  r.name));
      duration(*r.idle);
    }
  }

  void machine(ast::MachineDecl& m) {
    std::map<std::string, size_t> states;
    for (size_t i = 0; i < m.states.size(); ++i)
      if (!states.emplace(m.states[i].name, i).second)
        ctx_.diags.error(m.states[i].loc, fmt::format("state '{}' is declared twice in machine '{}'", m.states[i].name, m.name));
    const std::vector<std::string> names = PassContext::names(states);
    if (m.initial_count != 1) {
      ctx_.diags.error(m.loc, fmt::format("machine '{}' needs exactly one 'initial' state", m.name));
    } else if (!states.count(m.initial)) {
      ctx_.diags.error(m.initial_loc, fmt::format("initial state '{}' is not declared{}", m.initial, did_you_mean(m.initial, names)));
      return;
    }
    for (ast::StateAst& st : m.states) {
      for (ast::TransitionAst& t : st.transitions) {
        if (!states.count(t.target))
          ctx_.diags.error(t.target_loc, fmt::format("transition to undeclared state '{}'{}", t.target, did_you_mean(t.target, names)));
        if (t.after) {
          duration(*t.delay);
          schema_.clear();  // runs with the instance's last event, whatever it was
        } else {
          scope(t.patterns);
          for (const ast::EventDecl* e : schema_) {
            bool has = false;
            for (const ast::FieldDecl& f : e->fields) has |= f.name == m.key;
            if (!has) ctx_.diags.error(t.loc, fmt::format("event '{}' has no field '{}', the key of machine '{}'", e->name, m.key, m.name));
          }
          if (t.where) expr(*t.where);
        }
        for (const ast::Stmt& st2 : t.body)
          if (st2.kind != ast::Stmt::Kind::Action)
            ctx_.diags.error(st2.kind == ast::Stmt::Kind::When ? st2.when->loc : st2.expect->loc,
                             "a transition's block holds actions only");
        block(t.body);
      }
    }
    if (m.initial_count != 1 || ctx_.diags.has_errors()) return;
    // Every state must be reachable from the initial one.
    std::vector<bool> seen(m.states.size(), false);
    std::vector<size_t> work = {states.at(m.initial)};
    seen[work[0]] = true;
    while (!work.empty()) {
      const size_t at = work.back();
      work.pop_back();
      for (const ast::TransitionAst& t : m.states[at].transitions) {
        const size_t to = states.at(t.target);
        if (!seen[to]) {
          seen[to] = true;
          work.push_back(to);
        }
      }
    }
    for (size_t i = 0; i < m.states.size(); ++i)
      if (!seen[i])
        ctx_.diags.error(m.states[i].loc, fmt::format("state '{}' is unreachable from '{}'", m.states[i].name, m.initial));
  }

  PassContext& ctx_;
  ast::Policy& p_;
  std::vector<const ast::EventDecl*> schema_, rule_schema_;
  bool in_when_ = false, in_expect_ = false;
  // Where `arrived` names an expectation's count of arrivals (see arrived()).
  enum class Arrived : uint8_t { None, InWhere, InActions } arrived_ = Arrived::None;
};


// ---------------------------------------------------------------- warnings
// Names that are valid but probably not what the author meant. Kept apart
// from the Resolver: they never change what the policy means.

// Whether `s` is written like a constant (no lowercase letter).
bool constant_style(const std::string& s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

// The constant that `name` (not itself a constant) probably misspells, or "":
// one a small edit away, written in the same style (LIMT for LIMIT, but not
// max_retries for MAX_RETRIES, which may well be a field).
std::string misspelled_constant(const PassContext& ctx, const std::string& name) {
  if (ctx.consts.empty()) return "";
  const std::string best = closest_name(name, PassContext::names(ctx.consts));
  return !best.empty() && constant_style(best) == constant_style(name) ? best : "";
}

// Where only a constant may go (a duration, a threshold): " (did you mean
// 'LIMIT'?)" for a name close to a constant's, or "".
std::string constant_suggestion(const PassContext& ctx, const ast::Expr& e) {
  if (e.kind != ast::ExprKind::Name) return "";
  return did_you_mean(e.s, PassContext::names(ctx.consts));
}

// A name that no schema checks reads a field: say so when it looks like a
// misspelled constant, since the rule would then never see it.
void warn_loose_name(PassContext& ctx, const ast::Expr& e, const std::string& constant) {
  ctx.diags.warning(e.loc, fmt::format("'{}' is not a constant, so it reads the event's field '{}' (did you mean the "
                                       "constant '{}'?)",
                                       e.s, e.s, constant));
}

// Every event pattern of a policy (rules, filters, expectations, machine
// transitions) checked against the declared and emitted event names: when the
// policy declares schemas, a name none declares is probably misspelled.
class EventNameWarnings {
 public:
  explicit EventNameWarnings(PassContext& ctx) : ctx_(ctx), p_(ctx.policy) {}

  void run() {
    if (p_.events.empty()) return;  // no schemas: every name is loose, by design
    for (const ast::EventDecl& e : p_.events) {
      known_.insert(e.name);
      for (size_t dot = e.name.find('.'); dot != std::string::npos; dot = e.name.find('.', dot + 1))
        namespaces_.insert(e.name.substr(0, dot));
    }
    for (const ast::RuleDecl& r : p_.rules) emitted(r.body);
    for (const ast::MachineDecl& m : p_.machines)
      for (const ast::StateAst& st : m.states)
        for (const ast::TransitionAst& t : st.transitions) emitted(t.body);
    for (const ast::FilterDecl& f : p_.filters) patterns(f.patterns);
    for (const ast::RuleDecl& r : p_.rules) {
      patterns(r.patterns);
      expectations(r.body);
    }
    for (const ast::MachineDecl& m : p_.machines)
      for (const ast::StateAst& st : m.states)
        for (const ast::TransitionAst& t : st.transitions) patterns(t.patterns);
  }

 private:
  // Events that `emit` derives count as declared: rules may be on them.
  void emitted(const ast::Block& b) {
    for (const ast::Stmt& s : b) {
      if (s.kind == ast::Stmt::Kind::When) emitted(s.when->body);
      if (s.kind == ast::Stmt::Kind::Expect) {
        emitted(s.expect->then_body);
        emitted(s.expect->else_body);
      }
      if (s.kind == ast::Stmt::Kind::Action && s.action.kind == ast::ActionKind::Emit) known_.insert(s.action.name);
    }
  }

  void expectations(const ast::Block& b) {
    for (const ast::Stmt& s : b) {
      if (s.kind == ast::Stmt::Kind::When) expectations(s.when->body);
      if (s.kind == ast::Stmt::Kind::Expect) patterns(s.expect->patterns);
    }
  }

  void patterns(const std::vector<ast::Pattern>& ps) {
    for (const ast::Pattern& pt : ps) pattern(pt);
  }

  // `db.*`: some declared name must start with `db.`; `db.open`: declared.
  // Only names near a declared one, or in a namespace the schemas cover
  // (db.close beside db.open), are flagged: `cache.hit` in a policy whose
  // schemas cover only db.* is loose on purpose, as the spec allows.
  void pattern(const ast::Pattern& pt) {
    const std::string& text = pt.text;
    if (text == "*") return;
    const bool prefix = text.size() > 2 && text.compare(text.size() - 2, 2, ".*") == 0;
    const std::string name = prefix ? text.substr(0, text.size() - 2) : text;
    if (prefix ? namespaces_.count(name) > 0 : known_.count(name) > 0) return;
    const std::string best = closest_dotted(name, prefix ? namespaces_ : known_);
    if (!best.empty()) {
      ctx_.diags.warning(pt.loc, fmt::format("no schema declares {} '{}' (did you mean '{}'?)",
                                             prefix ? "an event matching" : "event", text,
                                             prefix ? best + ".*" : best));
      return;
    }
    const size_t dot = name.rfind('.');
    if (dot == std::string::npos || !namespaces_.count(name.substr(0, dot))) return;
    const std::string space = name.substr(0, dot + 1);
    std::vector<std::string> siblings;
    for (const ast::EventDecl& e : p_.events)
      if (e.name.compare(0, space.size(), space) == 0) siblings.push_back(e.name);
    const size_t shown = std::min<size_t>(siblings.size(), kShownSiblings);
    std::string list = fmt::format("{}", fmt::join(siblings.begin(), siblings.begin() + static_cast<long>(shown), ", "));
    if (siblings.size() > shown) list += fmt::format(" and {} more", siblings.size() - shown);
    ctx_.diags.warning(pt.loc, fmt::format("no schema declares {} '{}', though the schemas declare '{}' events ({}): "
                                           "its fields are not checked",
                                           prefix ? "an event matching" : "event", text, space, list));
  }

  // The name in `pool` that `name` probably misspells: among its siblings
  // (same namespace) by their last segment, else among names with as many
  // segments ("hdfs.block.stroed" -> "hdfs.block.stored", "db.opne" -> "db.open").
  static std::string closest_dotted(const std::string& name, const std::set<std::string>& pool) {
    const size_t dot = name.rfind('.');
    const std::string parent = dot == std::string::npos ? "" : name.substr(0, dot + 1);
    const auto segments = [](const std::string& s) { return std::count(s.begin(), s.end(), '.'); };
    std::vector<std::string> siblings, peers;
    for (const std::string& c : pool) {
      if (!parent.empty() && c.size() > parent.size() && c.compare(0, parent.size(), parent) == 0 &&
          c.find('.', parent.size()) == std::string::npos)
        siblings.push_back(c.substr(parent.size()));
      if (segments(c) == segments(name)) peers.push_back(c);
    }
    if (!siblings.empty()) {
      const std::string last = closest_name(name.substr(parent.size()), siblings);
      return last.empty() ? "" : parent + last;
    }
    return closest_name(name, peers);
  }

  static constexpr size_t kShownSiblings = 4;  // a reminder of the family, not a listing

  PassContext& ctx_;
  const ast::Policy& p_;
  std::set<std::string> known_, namespaces_;
};

}  // namespace

void resolve_pass(PassContext& ctx) {
  Resolver(ctx).run();
  EventNameWarnings(ctx).run();
}

}  // namespace dta
