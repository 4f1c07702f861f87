// Program finalization: builtin resolution, regex compilation, verification,
// and the per-profile constant tables.
#include "dta/program.hpp"

#include <cstring>
#include <fmt/format.h>

#include "dta/builtin.hpp"
#include "regex.hpp"
#include "verifier.hpp"

namespace dta {

static const char* const kOpNames[] = {
#define OP(name, a, b, c, syn) #name,
#include "dta/opcodes.def"
#undef OP
};

const char* op_name(Op op) {
  const auto i = static_cast<uint8_t>(op);
  return i < kOpCount ? kOpNames[i] : "?";
}

const char* alert_severity_name(AlertSeverity s) {
  static const char* const kNames[] = {"info", "warning", "critical", "off"};
  return kNames[static_cast<int>(s)];
}

const char* agg_name(Agg a) {
  static const char* const kNames[] = {"count", "sum", "avg", "min", "max", "rate", "quantile", "distinct"};
  return kNames[static_cast<int>(a)];
}

Program::Program() = default;
Program::~Program() = default;

int Program::find_profile(const std::string& name) const {
  for (size_t i = 0; i < profiles.size(); ++i)
    if (profiles[i].name == name) return static_cast<int>(i);
  return -1;
}

namespace {

bool same_shape(const Const& a, const Const& b) {
  if (a.type != b.type) return false;
  if (a.type != Type::List) return true;
  if (a.items.empty() || b.items.empty()) return true;
  return a.items[0].type == b.items[0].type;
}

}  // namespace

std::string Program::finalize(const Builtin* builtins, size_t count) {
  fns_.clear();
  for (const std::string& name : functions) {
    const Builtin* found = nullptr;
    for (size_t i = 0; i < count; ++i)
      if (name == builtins[i].name) found = &builtins[i];
    if (!found || !found->fn) return fmt::format("unknown builtin function '{}'", name);
    fns_.push_back(found);
  }
  re_.clear();
  for (const std::string& src : regexes) {
    auto cr = std::make_unique<CompiledRegex>();
    const std::string why = compile_regex(src, cr.get());
    if (!why.empty()) return fmt::format("invalid regex \"{}\": {}", src, why);
    re_.push_back(std::move(cr));
  }
  for (const NamedConst& nc : named_consts)
    if (nc.index >= consts.size()) return fmt::format("constant '{}' out of range", nc.name);
  for (const Const& c : consts)
    if (c.type == Type::Unknown) return "constant of unknown type";
  for (const Profile& p : profiles) {
    for (const auto& [idx, c] : p.consts)
      if (idx >= consts.size() || !same_shape(consts[idx], c))
        return fmt::format("profile '{}' overrides constant {} with another type", p.name, idx);
    const size_t units = rules.size() + machines.size();
    for (const auto& lv : p.levels)
      if (lv.first >= units || lv.second == Level::None) return fmt::format("profile '{}' has a bad rule level", p.name);
    for (const auto& al : p.alerts)
      if (al.first >= units || al.second > AlertSeverity::Off) return fmt::format("profile '{}' has a bad alert level", p.name);
    for (const auto& mk : p.max_keys)
      if (mk.first >= units) return fmt::format("profile '{}' has a bad key cap", p.name);
  }
  auto check_chunk = [&](int32_t c) { return c >= -1 && c < static_cast<int32_t>(chunks.size()); };
  for (const Template& t : templates)
    for (const TemplatePart& part : t.parts)
      if (!check_chunk(part.chunk)) return "template names a missing chunk";
  auto check_tmpl = [&](int32_t t) { return t >= -1 && t < static_cast<int32_t>(templates.size()); };
  auto check_entry = [&](const Entry& e) { return check_chunk(e.chunk) && check_tmpl(e.tmpl) && (e.chunk < 0) != (e.tmpl < 0); };
  // A duration constant: an int.
  auto check_dur = [&](int64_t k, bool optional) {
    if (optional && k == -1) return true;
    return k >= 0 && static_cast<size_t>(k) < consts.size() && consts[k].type == Type::Int;
  };
  auto check_actions = [&](const std::vector<Action>& actions) {
    for (const Action& a : actions) {
      const bool bad = !check_chunk(a.chunk) || !check_tmpl(a.tmpl) ||
                       (a.kind == ActionKind::Verdict && a.level > Level::Ok) ||
                       (a.kind == ActionKind::Observe && a.chunk < 0) || a.kind > ActionKind::Alert ||
                       (a.kind == ActionKind::Alert && (a.severity == AlertSeverity::Off || !check_dur(a.every_k, true)));
      if (bad) return false;
      for (const Entry& e : a.entries)
        if (!check_entry(e)) return false;
      for (const Entry& e : a.dedup)
        if (!check_entry(e)) return false;
    }
    return true;
  };
  for (const Rule& r : rules) {
    if (!check_chunk(r.where)) return fmt::format("rule '{}' names a missing chunk", r.name);
    if (!check_actions(r.actions)) return fmt::format("rule '{}' has a bad action", r.name);
    for (const When& w : r.whens) {
      bool ok = check_chunk(w.arg) && w.threshold >= 0 && check_chunk(w.threshold) && check_dur(w.window_k, false) &&
                check_dur(w.for_k, true) && w.agg <= Agg::Distinct && w.cmp <= Cmp::Ne && check_actions(w.actions) &&
                (w.arg >= 0) == (w.agg != Agg::Count && w.agg != Agg::Rate) && w.q >= 0 && w.q <= 1;
      for (const Entry& e : w.by) ok = ok && check_entry(e) && e.chunk >= 0;
      if (!ok) return fmt::format("rule '{}' has a bad when block", r.name);
    }
    for (const Expect& x : r.expects)
      if (!check_chunk(x.where) || !check_dur(x.within_k, false) || !check_actions(x.then_actions) ||
          !check_actions(x.else_actions))
        return fmt::format("rule '{}' has a bad expect block", r.name);
  }
  for (const Machine& m : machines) {
    bool ok = m.initial < m.states.size();
    for (const MachineState& st : m.states)
      for (const Transition& t : st.transitions)
        ok = ok && t.target < m.states.size() && check_chunk(t.where) && check_dur(t.delay_k, !t.after) &&
             check_actions(t.actions);
    if (!ok) return fmt::format("machine '{}' is malformed", m.name);
  }
  for (const Filter& f : filters)
    if (!check_chunk(f.where)) return fmt::format("filter '{}' names a missing chunk", f.name);
  for (size_t i = 0; i < chunks.size(); ++i) {
    std::string err = verify_chunk(*this, fns_, i);
    if (!err.empty()) return fmt::format("chunk {}: {}", i, err);
  }

  // Constant tables: the policy as written, then one per profile.
  list_store_.clear();
  auto value_of = [&](const Const& c) {
    switch (c.type) {
      case Type::Int: return Value::of_int(c.i);
      case Type::Float: return Value::of_float(c.f);
      case Type::Bool: return Value::of_bool(c.b);
      case Type::String: return Value::of_string(c.s);
      case Type::List: {
        auto items = std::make_unique<std::vector<Value>>();
        for (const Const& it : c.items) {
          if (it.type == Type::Int) items->push_back(Value::of_int(it.i));
          else if (it.type == Type::Float) items->push_back(Value::of_float(it.f));
          else if (it.type == Type::Bool) items->push_back(Value::of_bool(it.b));
          else items->push_back(Value::of_string(it.s));
        }
        list_store_.push_back(std::move(items));
        const auto& v = *list_store_.back();
        return Value::of_list(v.data(), static_cast<uint32_t>(v.size()));
      }
      case Type::Unknown: break;
    }
    return Value();
  };
  values_.assign(profiles.size() + 1, {});
  for (const Const& c : consts) values_[0].push_back(value_of(c));
  for (size_t p = 0; p < profiles.size(); ++p) {
    values_[p + 1] = values_[0];
    for (const auto& [idx, c] : profiles[p].consts) values_[p + 1][idx] = value_of(c);
  }
  return "";
}

}  // namespace dta
