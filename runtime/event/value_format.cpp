// Value rendering (the names of types, levels and severities come from
// their .def lists, value.hpp).
#include "dta/value.hpp"

#include <fmt/format.h>

namespace dta {

void append_value(std::string& out, const Value& v) {
  switch (v.type) {
    case Type::Int: fmt::format_to(std::back_inserter(out), "{}", v.i); break;
    case Type::Float: fmt::format_to(std::back_inserter(out), "{}", v.f); break;
    case Type::Bool: out += v.b ? "true" : "false"; break;
    case Type::String: out.append(v.s.p, v.s.n); break;
    case Type::List:
      out += '[';
      for (uint32_t i = 0; i < v.list.size; ++i) {
        if (i) out += ", ";
        append_value(out, v.list.items[i]);
      }
      out += ']';
      break;
    case Type::Unknown: out += "<unknown>"; break;
  }
}

}  // namespace dta
