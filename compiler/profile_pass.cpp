// Pass: profile checks and flattening of `extends` chains.
#include "profile_pass.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <optional>
#include <set>

#include "type_pass.hpp"

namespace dta {
namespace {

// The items of a profile's `budget { ... }` (spec 7) and what each takes.
enum class BudgetValue : uint8_t { Size, CountPer, Percent };
struct BudgetItemRow {
  const char* name;
  BudgetValue value;
  const char* example;
};
constexpr BudgetItemRow kBudgetItems[] = {
    {"disk", BudgetValue::Size, "256MB"},
    {"dumps", BudgetValue::CountPer, "10 per 1h"},
    {"recorder_memory", BudgetValue::Size, "32MB"},
    {"cpu", BudgetValue::Percent, "2%"},
};

// Whether a literal was written with a size unit (256MB) or a percent sign.
bool has_size_unit(const ast::Expr& e) { return e.kind == ast::ExprKind::IntLit && !e.unit.empty() && e.unit.back() == 'B'; }
bool has_percent(const ast::Expr& e) { return e.kind == ast::ExprKind::FloatLit && !e.unit.empty() && e.unit.back() == '%'; }
bool is_duration(const ast::Expr& e) {
  return e.kind == ast::ExprKind::IntLit && !e.unit.empty() && e.unit.back() != 'B';
}

class Profiles {
 public:
  explicit Profiles(PassContext& ctx) : ctx_(ctx), p_(ctx.policy) {}

  void run() {
    find_counts();
    for (const ast::ProfileDecl& pr : p_.profiles) check(pr);
    if (ctx_.diags.has_errors()) return;
    for (size_t i = 0; i < p_.profiles.size(); ++i) ctx_.flat_profiles.push_back(flatten(i));
    recorder_memory();
  }

  // A profile whose recorders cannot fit its `recorder_memory` does not
  // compile: the error points at the budget item that set it.
  void recorder_memory() {
    std::vector<Recorder> recs;
    for (const ast::RecorderDecl& r : p_.recorders) {
      Recorder rec;
      rec.name = r.name;
      rec.capacity = static_cast<uint32_t>(std::clamp<int64_t>(r.capacity, 1, kMaxRecorderCapacity));
      rec.key = r.key;
      recs.push_back(std::move(rec));
    }
    for (size_t i = 0; i < p_.profiles.size(); ++i) {
      const std::string why = recorder_memory_problem(recs, ctx_.flat_profiles[i].budget.recorder_memory);
      if (!why.empty())
        error(memory_loc_[i], fmt::format("profile '{}' cannot load: {}", p_.profiles[i].name, why));
    }
  }

 private:
  void error(const ast::Loc& l, std::string m) { ctx_.diags.error(l, std::move(m)); }

  void check(const ast::ProfileDecl& pr) {
    if (!pr.extends.empty()) {
      if (!ctx_.profiles.count(pr.extends)) {
        std::vector<std::string> others = PassContext::names(ctx_.profiles);
        others.erase(std::remove(others.begin(), others.end(), pr.name), others.end());
        error(pr.extends_loc, fmt::format("profile '{}' extends unknown profile '{}'{}", pr.name, pr.extends,
                                          did_you_mean(pr.extends, others)));
      } else {
        // Follow the chain; a cycle comes back to this profile.
        std::string at = pr.extends;
        for (size_t steps = 0; steps <= p_.profiles.size() && !at.empty(); ++steps) {
          if (at == pr.name) {
            error(pr.extends_loc, fmt::format("profile '{}' extends itself through a cycle", pr.name));
            break;
          }
          auto it = ctx_.profiles.find(at);
          if (it == ctx_.profiles.end()) break;
          at = p_.profiles[it->second].extends;
        }
      }
    }
    std::map<std::string, uint32_t> seen;  // budget items set: name -> line
    std::map<std::string, uint32_t> injected;  // inject points: point -> line
    const ast::ProfileItem* seed = nullptr;
    for (const ast::ProfileItem& it : pr.items) {
      switch (it.kind) {
        case ast::ProfileItemKind::Set: set(pr, it); break;
        case ast::ProfileItemKind::AlertLevel: {
          unit(pr, it);
          AlertSeverity sev;
          if (!parse_enum(it.level, sev)) {
            const auto all = enum_names_where<AlertSeverity>([](AlertSeverity) { return true; });
            error(it.level_loc, fmt::format("unknown alert severity '{}' ({}){}", it.level, names_text(all),
                                            did_you_mean(it.level, all)));
          }
          break;
        }
        case ast::ProfileItemKind::MaxKeys: unit(pr, it); break;
        case ast::ProfileItemKind::RuleLevel: {
          unit(pr, it);
          Level l;
          if (!parse_level(it.level, l) || !enum_row(l).profile) {
            const auto allowed = enum_names_where<Level>([](Level v) { return enum_row(v).profile; });
            error(it.level_loc, fmt::format("unknown level '{}' ({}){}", it.level, names_text(allowed),
                                            did_you_mean(it.level, allowed)));
          }
          break;
        }
        case ast::ProfileItemKind::Warnings:
          if (it.level != "error") error(it.level_loc, "only 'warnings: error' is allowed");
          break;
        case ast::ProfileItemKind::Budget: budget_item(pr, it, seen); break;
        case ast::ProfileItemKind::Inject: inject_item(pr, it, injected); break;
        case ast::ProfileItemKind::Seed:
          if (seed)
            error(it.loc, fmt::format("profile '{}' sets its seed twice (first at line {})", pr.name, seed->loc.line));
          seed = &it;
          break;
        default: break;
      }
    }
  }

  // `inject POINT {fields} [probability P] [max N] [after N]`: a point
  // (the grammar takes a name, not a pattern) once per profile, literal fields, P in [0, 1].
  void inject_item(const ast::ProfileDecl& pr, const ast::ProfileItem& it, std::map<std::string, uint32_t>& seen) {
    auto [at, fresh] = seen.emplace(it.name, it.loc.line);
    if (!fresh)
      error(it.name_loc, fmt::format("profile '{}' injects at '{}' twice (first at line {})", pr.name, it.name,
                                     at->second));
    std::set<std::string> keys;
    for (const ast::MapEntry& e : it.entries) {
      if (!keys.insert(e.key).second) error(e.loc, fmt::format("field '{}' is given twice", e.key));
      else if (!ast::literal_value(e))
        error(e.loc, fmt::format("the value of '{}' must be a literal: a number, a string, true or false", e.key));
    }
    if (it.value && !probability(*it.value))
      error(it.value->loc, "a probability is a percentage (10%) or a number from 0 to 1");
  }

  // The probability an `inject` writes, when it is one.
  static std::optional<double> probability(const ast::Expr& e) {
    double p = -1;
    if (e.kind == ast::ExprKind::FloatLit) p = e.f;
    else if (e.kind == ast::ExprKind::IntLit && e.unit.empty()) p = static_cast<double>(e.i);
    if (!(p >= 0 && p <= 1)) return std::nullopt;
    return p;
  }

  // One `name: value [per D]` of a budget: a known item, set once per
  // profile, with a value of its kind.
  void budget_item(const ast::ProfileDecl& pr, const ast::ProfileItem& it, std::map<std::string, uint32_t>& seen) {
    const BudgetItemRow* row = nullptr;
    std::vector<std::string> names;
    for (const BudgetItemRow& r : kBudgetItems) {
      names.emplace_back(r.name);
      if (it.name == r.name) row = &r;
    }
    if (!row) {
      error(it.name_loc, fmt::format("unknown budget item '{}' ({}){}", it.name, names_text(names),
                                     did_you_mean(it.name, names)));
      return;
    }
    if (auto [at, fresh] = seen.emplace(it.name, it.loc.line); !fresh) {
      error(it.name_loc, fmt::format("budget item '{}' is set twice in profile '{}' (first at line {})", it.name,
                                     pr.name, at->second));
      return;
    }
    const ast::Expr& v = *it.value;
    const std::string want = fmt::format("budget '{}' takes {} (like {})", it.name,
                                         row->value == BudgetValue::Size       ? "a size"
                                         : row->value == BudgetValue::Percent ? "a percentage"
                                                                              : "a count per duration",
                                         row->example);
    if (row->value != BudgetValue::CountPer && it.per) {
      error(it.per->loc, fmt::format("{}, without 'per'", want));
      return;
    }
    switch (row->value) {
      case BudgetValue::Size:
        if (!has_size_unit(v)) error(v.loc, want);
        break;
      case BudgetValue::Percent:
        if (!has_percent(v)) error(v.loc, want);
        else if (!(v.f > 0 && v.f <= 1)) error(v.loc, fmt::format("budget 'cpu' must be above 0% and at most 100%, not {}", v.unit));
        break;
      case BudgetValue::CountPer:
        if (v.kind != ast::ExprKind::IntLit || !v.unit.empty() || !it.per) error(v.loc, want);
        else if (!is_duration(*it.per)) error(it.per->loc, fmt::format("{}: 'per' takes a duration literal", want));
        else if (it.per->i <= 0) error(it.per->loc, fmt::format("budget '{}' needs a period above zero", it.name));
        break;
    }
  }

  // The unit (rule, or machine after the rules) a profile item names, or -1.
  int64_t unit(const ast::ProfileDecl& pr, const ast::ProfileItem& it) {
    if (auto r = ctx_.rules.find(it.name); r != ctx_.rules.end()) return static_cast<int64_t>(r->second);
    if (auto m = ctx_.machines.find(it.name); m != ctx_.machines.end())
      return static_cast<int64_t>(p_.rules.size() + m->second);
    std::vector<std::string> names = PassContext::names(ctx_.rules);
    for (const auto& m : ctx_.machines) names.push_back(m.first);
    error(it.name_loc, fmt::format("profile '{}' names unknown rule '{}'{}", pr.name, it.name, did_you_mean(it.name, names)));
    return -1;
  }

  void set(const ast::ProfileDecl& pr, const ast::ProfileItem& it) {
    auto c = ctx_.consts.find(it.name);
    if (c == ctx_.consts.end()) {
      error(it.name_loc, fmt::format("profile '{}' sets unknown constant '{}'{}", pr.name, it.name,
                                     did_you_mean(it.name, PassContext::names(ctx_.consts))));
      return;
    }
    const ast::ConstDecl& decl = p_.consts[c->second];
    const Type want = decl.folded.type, have = it.value->type;
    const bool widen = want == Type::Float && have == Type::Int;
    bool ok = want == have || widen;
    if (ok && want == Type::List) {
      const Type we = decl.value->elem, he = it.value->elem;
      ok = we == he || he == Type::Unknown || (we == Type::Float && he == Type::Int);
    }
    if (!ok) {
      error(it.value->loc, fmt::format("profile '{}' sets {} ({}) to a {}", pr.name, it.name, type_name(want), type_name(have)));
      return;
    }
    count_set(pr, it, c->second);
    // A constant used as a duration keeps that duration's rule under every profile.
    auto use = ctx_.duration_consts.find(c->second);
    if (use == ctx_.duration_consts.end()) return;
    const int64_t ns = fold_literal(*it.value).i;
    if (!duration_ok(ns, use->second.rule))
      error(it.loc,
            fmt::format("profile '{}' sets {} to {}, but {} is the duration of '{}' (line {}), which must be {}",
                        pr.name, it.name, duration_text(ns), it.name, use->second.what, use->second.loc.line,
                        duration_rule_text(use->second.rule)));
  }

  // The constants that are the count of an expectation (`expect N ...`), with
  // the line of their first such use.
  void find_counts() {
    for (const ast::RuleDecl& r : p_.rules)
      for (const ast::Stmt& s : r.body)  // expectations stand at the top level of a rule
        if (s.kind == ast::Stmt::Kind::Expect && s.expect->count && s.expect->count->ref == ast::NameRef::Const)
          count_consts_.try_emplace(static_cast<size_t>(s.expect->count->const_index), s.expect->count->loc.line);
  }

  // A constant used as an expectation's count stays within a count's bounds under every profile.
  void count_set(const ast::ProfileDecl& pr, const ast::ProfileItem& it, size_t index) {
    auto use = count_consts_.find(index);
    if (use == count_consts_.end()) return;
    const int64_t n = fold_literal(*it.value).i;  // an int: set() checked the type
    if (n < 1 || n > kMaxExpectCount)
      error(it.loc, fmt::format("profile '{}' sets {} to {}, but {} is the count of 'expect' (line {}), which must "
                                "be between 1 and {}",
                                pr.name, it.name, n, it.name, use->second, kMaxExpectCount));
  }

  Profile flatten(size_t idx) {
    std::vector<const ast::ProfileDecl*> chain;
    for (const ast::ProfileDecl* at = &p_.profiles[idx]; at;) {
      chain.insert(chain.begin(), at);
      auto it = at->extends.empty() ? ctx_.profiles.end() : ctx_.profiles.find(at->extends);
      at = it == ctx_.profiles.end() ? nullptr : &p_.profiles[it->second];
    }
    std::map<uint32_t, Const> consts;
    std::map<uint32_t, Level> levels;
    std::map<uint32_t, AlertSeverity> alerts;
    std::map<uint32_t, uint32_t> caps;
    std::map<std::string, Inject> injects;
    Profile out;
    out.name = p_.profiles[idx].name;
    for (const ast::ProfileDecl* pr : chain) {
      for (const ast::ProfileItem& it : pr->items) {
        if (it.kind == ast::ProfileItemKind::Set) {
          const auto ci = static_cast<uint32_t>(ctx_.consts.at(it.name));
          Const v = fold_literal(*it.value);
          const Const& decl = p_.consts[ci].folded;
          if (decl.type == Type::Float && v.type == Type::Int) {
            v.type = Type::Float;
            v.f = static_cast<double>(v.i);
          }
          if (decl.type == Type::List)
            for (Const& item : v.items)
              if (!decl.items.empty() && decl.items[0].type == Type::Float && item.type == Type::Int) {
                item.type = Type::Float;
                item.f = static_cast<double>(item.i);
              }
          consts[ci] = std::move(v);
        } else if (it.kind == ast::ProfileItemKind::RuleLevel) {
          Level l = Level::Error;
          parse_level(it.level, l);
          levels[static_cast<uint32_t>(unit(*pr, it))] = l;
        } else if (it.kind == ast::ProfileItemKind::AlertLevel) {
          AlertSeverity sev = AlertSeverity::Off;
          parse_enum(it.level, sev);  // checked above
          alerts[static_cast<uint32_t>(unit(*pr, it))] = sev;
        } else if (it.kind == ast::ProfileItemKind::MaxKeys) {
          caps[static_cast<uint32_t>(unit(*pr, it))] = static_cast<uint32_t>(it.number);
        } else if (it.kind == ast::ProfileItemKind::Warnings) {
          out.warnings_error = true;
        } else if (it.kind == ast::ProfileItemKind::Budget) {
          Budget& b = out.budget;  // checked above; a later profile in the chain overrides
          if (it.name == "disk") b.disk = it.value->i;
          else if (it.name == "recorder_memory") b.recorder_memory = it.value->i, memory_loc_[idx] = it.loc;
          else if (it.name == "cpu") b.cpu = it.value->f;
          else if (it.name == "dumps") b.dumps = it.value->i, b.dumps_period = it.per->i;
        } else if (it.kind == ast::ProfileItemKind::Inject) {
          Inject& in = injects[it.name] = Inject{};  // a later profile in the chain replaces it
          in.point = it.name;
          for (const ast::MapEntry& e : it.entries) in.fields.push_back({e.key, *ast::literal_value(e)});
          in.probability = it.value ? probability(*it.value).value_or(1.0) : 1.0;
          in.max = static_cast<uint64_t>(it.number);
          in.after = static_cast<uint64_t>(it.after);
          in.loc = {it.loc.file, it.loc.line, it.loc.col};
        } else if (it.kind == ast::ProfileItemKind::Seed) {
          out.has_seed = true;
          out.seed = static_cast<uint64_t>(it.number);
        }
      }
    }
    for (auto& [k, v] : consts) out.consts.emplace_back(k, std::move(v));  // k: policy const index
    for (auto& [k, v] : levels) out.levels.emplace_back(k, v);
    for (auto& [k, v] : alerts) out.alerts.emplace_back(k, v);
    for (auto& [k, v] : caps) out.max_keys.emplace_back(k, v);
    for (auto& [point, in] : injects) out.injects.push_back(std::move(in));
    return out;
  }

  PassContext& ctx_;
  ast::Policy& p_;
  std::map<size_t, uint32_t> count_consts_;  // const index -> line of its first use as a count
  std::map<size_t, ast::Loc> memory_loc_;    // profile index -> its chain's `recorder_memory` item
};

}  // namespace

void profile_pass(PassContext& ctx) { Profiles(ctx).run(); }

}  // namespace dta
