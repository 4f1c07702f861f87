// Program finalization: builtin resolution, regex compilation, the schema
// check (schema_check.cpp), verification (verifier.cpp), the sites check
// (sites.cpp), and the per-profile constant tables.
#include "dta/program.hpp"

#include <fmt/format.h>

#include "dta/builtin.hpp"
#include "dta/event.hpp"
#include "dta/sites.hpp"
#include "program/symbols.hpp"
#include "program/schema_check.hpp"
#include "vm/regex.hpp"
#include "vm/verifier.hpp"

namespace dta {

Program::Program() = default;
Program::~Program() = default;

int Program::find_profile(const std::string& name) const {
  for (size_t i = 0; i < profiles.size(); ++i)
    if (profiles[i].name == name) return static_cast<int>(i);
  return -1;
}

Outcome Program::finalize(const Builtin* builtins, size_t count) {
  finalized_ = false;
  fns_.clear();
  for (const std::string& name : functions) {
    const Builtin* found = nullptr;
    for (size_t i = 0; i < count; ++i)
      if (name == builtins[i].name) found = &builtins[i];
    if (!found || !found->fn) return fail(fmt::format("unknown builtin function '{}'", name));
    fns_.push_back(found);
  }
  re_.clear();
  for (const std::string& src : regexes) {
    auto cr = std::make_unique<CompiledRegex>();
    if (Outcome compiled = compile_regex(src, cr.get()); !compiled)
      return fail(fmt::format("invalid regex \"{}\": {}", src, compiled.error()));
    re_.push_back(std::move(cr));
  }
  // Structure, roles and code: nothing below runs on a program that fails it.
  if (Outcome schema = check_schema(*this); !schema) return schema;
  if (Outcome verified = verify_program(*this, fns_); !verified) return verified;
  if (Outcome sites = check_sites(*this); !sites) return sites;

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
  symbols_ = std::make_shared<const SymbolTable>(program_names(*this));
  finalized_ = true;
  return Outcome::success();
}

}  // namespace dta
