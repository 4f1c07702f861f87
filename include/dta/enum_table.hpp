// Names, counts and parsers of the enums that come from a .def list: each
// list (levels.def, aggregates.def, ...) is included once as the enum's
// enumerators and once as its names, so the two cannot drift apart and adding
// a value is one line. Everything else (enum_count, enum_name, parse_enum,
// the "a, b or c" texts of messages) is derived here from those names.
#pragma once
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace dta {

// Specialised beside each generated enum:
//   static constexpr const char* what = "aggregate";  // what messages call it
//   static constexpr const auto& rows = kAggRows;     // its .def rows, each with a `name`
template <class E>
struct EnumNames;

// A row of a list whose values have only a name.
struct NameRow {
  const char* name;
};

// How many values E has (the rows of its .def).
template <class E>
constexpr size_t enum_count() {
  return std::size(EnumNames<E>::rows);
}

// The .def row of v (v must be valid).
template <class E>
constexpr const auto& enum_row(E v) {
  return EnumNames<E>::rows[static_cast<size_t>(v)];
}

// Whether v is one of E's values (a byte read from a file may not be).
template <class E>
constexpr bool enum_valid(E v) {
  return static_cast<size_t>(v) < enum_count<E>();
}

// What the enum is called in messages ("aggregate", "alert severity").
template <class E>
constexpr const char* enum_what() {
  return EnumNames<E>::what;
}

// The name of v as its .def spells it; "?" for a value out of range.
template <class E>
constexpr const char* enum_name(E v) {
  return enum_valid(v) ? enum_row(v).name : "?";
}

// The value named `s`, into `out`; false (and `out` untouched) when none is.
template <class E>
constexpr bool parse_enum(std::string_view s, E& out) {
  for (size_t i = 0; i < enum_count<E>(); ++i)
    if (s == EnumNames<E>::rows[i].name) {
      out = static_cast<E>(i);
      return true;
    }
  return false;
}

// The names of the values for which keep(v) holds, in .def order (for
// "did you mean" hints).
template <class E, class Keep>
std::vector<std::string> enum_names_where(Keep keep) {
  std::vector<std::string> out;
  for (size_t i = 0; i < enum_count<E>(); ++i)
    if (keep(static_cast<E>(i))) out.emplace_back(EnumNames<E>::rows[i].name);
  return out;
}

// Those names as a message lists them: "info, warning or critical".
inline std::string names_text(const std::vector<std::string>& names, const char* last = " or ") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += i + 1 == names.size() ? last : ", ";
    out += names[i];
  }
  return out;
}

}  // namespace dta
