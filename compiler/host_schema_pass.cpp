// Pass: host schemas -> declarations, and contradictions -> errors.
#include "host_schema_pass.hpp"

#include <fmt/format.h>

namespace dta {

bool apply_host_schemas(ast::Policy& policy, const std::vector<HostEventSchema>& host, DiagBag& diags) {
  bool ok = true;
  for (const HostEventSchema& h : host) {
    ast::EventDecl* declared = nullptr;
    for (ast::EventDecl& e : policy.events)
      if (e.name == h.name) declared = &e;
    if (!declared) {
      ast::EventDecl e;  // no location: it comes from the host, and nothing reports at it
      e.name = h.name;
      for (const auto& [name, type] : h.fields) {
        ast::FieldDecl f;
        f.name = name;
        f.type_name = type_name(type);
        e.fields.push_back(std::move(f));
      }
      policy.events.push_back(std::move(e));
      continue;
    }
    for (const ast::FieldDecl& f : declared->fields) {
      const std::pair<std::string, Type>* theirs = nullptr;
      for (const auto& hf : h.fields)
        if (hf.first == f.name) theirs = &hf;
      if (!theirs) {
        diags.error(f.loc, fmt::format("the host does not send field '{}' with event '{}' (its schema has: {})", f.name,
                                       h.name, [&] {
                                         std::string names;
                                         for (const auto& hf : h.fields) names += (names.empty() ? "" : ", ") + hf.first;
                                         return names.empty() ? std::string("no fields") : names;
                                       }()));
        ok = false;
      } else if (f.type_name != type_name(theirs->second)) {
        diags.error(f.type_loc, fmt::format("field '{}' of event '{}' is {} in the host's schema, not {}", f.name,
                                            h.name, type_name(theirs->second), f.type_name));
        ok = false;
      }
    }
  }
  return ok;
}

}  // namespace dta
