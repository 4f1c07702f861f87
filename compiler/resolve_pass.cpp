// Pass: name resolution (symbol tables, names in expressions, field schemas).
#include "resolve_pass.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace dta {
namespace {

bool parse_type(const std::string& s, Type* t) {
  static const std::pair<const char*, Type> kTypes[] = {
      {"int", Type::Int}, {"float", Type::Float}, {"string", Type::String}, {"bool", Type::Bool}};
  for (const auto& [n, ty] : kTypes)
    if (s == n) {
      *t = ty;
      return true;
    }
  return false;
}

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
      if (r.where) expr(*r.where);
      for (ast::Stmt& s : r.body)
        if (s.is_action) action(s.action);
    }
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
    for (size_t i = 0; i < p_.events.size(); ++i) {
      ast::EventDecl& e = p_.events[i];
      define(ctx_.events, e.name, e.loc, i, "event", p_.events);
      std::map<std::string, size_t> seen;
      for (ast::FieldDecl& f : e.fields) {
        if (!seen.emplace(f.name, 0).second)
          ctx_.diags.error(f.loc, fmt::format("field '{}' is declared twice in event '{}'", f.name, e.name));
        if (!parse_type(f.type_name, &f.type))
          ctx_.diags.error(f.type_loc, fmt::format("unknown type '{}'{}", f.type_name,
                                                   did_you_mean(f.type_name, {"int", "float", "string", "bool"})));
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
  Type check_field_name(const std::string& field, const ast::Loc& loc) {
    Type type = Type::Unknown;
    for (size_t i = 0; i < schema_.size(); ++i) {
      const ast::FieldDecl* found = nullptr;
      std::vector<std::string> names;
      for (const ast::FieldDecl& f : schema_[i]->fields) {
        names.push_back(f.name);
        if (f.name == field) found = &f;
      }
      if (!found) {
        ctx_.diags.error(loc, fmt::format("unknown field '{}' on event '{}'{}", field, schema_[i]->name,
                                          did_you_mean(field, names)));
        return Type::Unknown;
      }
      if (i == 0) type = found->type;
      else if (type != found->type) type = Type::Unknown;
    }
    return type;
  }

  void name(ast::Expr& e) {
    if (e.s.find('.') != std::string::npos) {
      if (e.s.rfind("start.", 0) == 0)
        ctx_.diags.error(e.loc, fmt::format("'{}' is only valid inside an 'expect' block", e.s));
      else
        ctx_.diags.error(e.loc, fmt::format("unknown name '{}' (fields with dots are written field(\"{}\"))", e.s, e.s));
      return;
    }
    auto it = ctx_.consts.find(e.s);
    if (it != ctx_.consts.end()) {
      e.ref = ast::NameRef::Const;
      e.const_index = static_cast<int32_t>(it->second);
      return;
    }
    e.ref = ast::NameRef::Field;
    e.type = check_field_name(e.s, e.loc);
  }

  void call(ast::Expr& e) {
    e.builtin = ctx_.builtin(e.s);
    if (e.builtin < 0) {
      if (e.s == "state") {
        ctx_.diags.error(e.loc, "'state()' is not supported yet");
        return;
      }
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
        static const std::vector<std::string> kParts = {"name", "id", "ts", "severity"};
        if (std::find(kParts.begin(), kParts.end(), e.s) == kParts.end())
          ctx_.diags.error(e.loc, fmt::format("unknown event part 'event.{}'{}", e.s, did_you_mean(e.s, kParts)));
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
    if (a.message) templ(*a.message);
    if (a.value) expr(*a.value);
    for (ast::MapEntry& m : a.entries) {
      if (m.tmpl) templ(*m.tmpl);
      if (m.value) expr(*m.value);
    }
  }

  PassContext& ctx_;
  ast::Policy& p_;
  std::vector<const ast::EventDecl*> schema_;
};

}  // namespace

void resolve_pass(PassContext& ctx) { Resolver(ctx).run(); }

}  // namespace dta
