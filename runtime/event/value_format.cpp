// Names of types, levels and severities, and value rendering.
#include "dta/value.hpp"

#include <fmt/format.h>

namespace dta {

const char* type_name(Type t) {
  switch (t) {
    case Type::Unknown: return "unknown";
    case Type::Int: return "int";
    case Type::Float: return "float";
    case Type::String: return "string";
    case Type::Bool: return "bool";
    case Type::List: return "list";
  }
  return "?";
}

static const char* const kLevelNames[] = {"error", "warning", "info", "ok", "none", "off"};

const char* level_name(Level l) { return kLevelNames[static_cast<int>(l)]; }

bool parse_level(std::string_view s, Level& out) {
  for (int i = 0; i < 6; ++i) {
    if (s == kLevelNames[i]) {
      out = static_cast<Level>(i);
      return true;
    }
  }
  return false;
}

static const char* const kSeverityNames[] = {"debug", "info", "warning", "error", "critical"};

const char* severity_name(Severity s) { return kSeverityNames[static_cast<int>(s)]; }

bool parse_severity(std::string_view s, Severity& out) {
  for (int i = 0; i < 5; ++i) {
    if (s == kSeverityNames[i]) {
      out = static_cast<Severity>(i);
      return true;
    }
  }
  return false;
}

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
