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
    try {
      cr->re.assign(src, boost::regex::ECMAScript);
    } catch (const std::exception& e) {
      return fmt::format("invalid regex \"{}\": {}", src, e.what());
    }
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
    for (const auto& lv : p.levels)
      if (lv.first >= rules.size() || lv.second == Level::None)
        return fmt::format("profile '{}' has a bad rule level", p.name);
  }
  auto check_chunk = [&](int32_t c) { return c >= -1 && c < static_cast<int32_t>(chunks.size()); };
  for (const Template& t : templates)
    for (const TemplatePart& part : t.parts)
      if (!check_chunk(part.chunk)) return "template names a missing chunk";
  for (const Rule& r : rules) {
    if (!check_chunk(r.where)) return fmt::format("rule '{}' names a missing chunk", r.name);
    for (const Action& a : r.actions) {
      const bool bad = !check_chunk(a.chunk) || a.tmpl < -1 || a.tmpl >= static_cast<int32_t>(templates.size()) ||
                       (a.kind == ActionKind::Verdict && a.level > Level::Ok) ||
                       (a.kind == ActionKind::Observe && a.chunk < 0) || a.kind > ActionKind::Observe;
      if (bad) return fmt::format("rule '{}' has a bad action", r.name);
      for (const Entry& e : a.entries)
        if (!check_chunk(e.chunk) || e.tmpl < -1 || e.tmpl >= static_cast<int32_t>(templates.size()) ||
            (e.chunk < 0) == (e.tmpl < 0))
          return fmt::format("rule '{}' has a bad action entry", r.name);
    }
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
