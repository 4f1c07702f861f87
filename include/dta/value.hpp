// Runtime values: the types of the language and a small tagged value that
// registers, constants and event fields share. Strings are views; whoever
// makes a Value owns the bytes (the event, the program or the VM's arena).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "dta/enum_table.hpp"

namespace dta {

// Static and dynamic types (value_types.def).
enum class Type : uint8_t {
#define VALUE_TYPE(e, name, declared) e,
#include "dta/value_types.def"
#undef VALUE_TYPE
};
struct TypeRow {
  const char* name;
  bool declared;  // an event field may be declared with it
};
constexpr TypeRow kTypeRows[] = {
#define VALUE_TYPE(e, name, declared) {name, declared},
#include "dta/value_types.def"
#undef VALUE_TYPE
};
template <>
struct EnumNames<Type> {
  static constexpr const char* what = "type";
  static constexpr const auto& rows = kTypeRows;
};
// Order relied on: the verifier accepts chunk results up to Bool and constants
// up to List (`<=`); Value's tag and a Const's type share these values.
static_assert(Type::Unknown < Type::Int && Type::Bool < Type::List && enum_count<Type>() == 6,
              "value_types.def: the verifier compares types by order");

// Name of a type as the language spells it ("int", "float", ...).
constexpr const char* type_name(Type t) { return enum_name(t); }

// What a type check asks of a value (type_codes.def): the Y operand of
// LOADV, LOADSF and CHECK_T, and a builtin's parameters.
enum class TypeCode : uint8_t {
#define TYPE_CODE(e, name, type) e,
#include "dta/type_codes.def"
#undef TYPE_CODE
};
struct TypeCodeRow {
  const char* name;
  Type type;  // what a value that passed the check is (Unknown: one of several)
};
constexpr TypeCodeRow kTypeCodeRows[] = {
#define TYPE_CODE(e, name, type) {name, Type::type},
#include "dta/type_codes.def"
#undef TYPE_CODE
};
template <>
struct EnumNames<TypeCode> {
  static constexpr const char* what = "type code";
  static constexpr const auto& rows = kTypeCodeRows;
};

// The code that checks for exactly type t (Any for a type no code names).
constexpr TypeCode type_code_of(Type t) {
  for (size_t i = 0; i < enum_count<TypeCode>(); ++i)
    if (t != Type::Unknown && kTypeCodeRows[i].type == t) return static_cast<TypeCode>(i);
  return TypeCode::Any;
}

struct Value;

// A constant list (`["a", "b"]`): the elements live in the program.
struct ListView {
  const Value* items = nullptr;
  uint32_t size = 0;
};

struct Value {
  union {
    int64_t i;
    double f;
    bool b;
    struct {
      const char* p;
      uint32_t n;
    } s;
    ListView list;
  };
  Type type = Type::Int;

  Value() : i(0) {}
  static Value of_int(int64_t v) { Value x; x.i = v; x.type = Type::Int; return x; }
  static Value of_float(double v) { Value x; x.f = v; x.type = Type::Float; return x; }
  static Value of_bool(bool v) { Value x; x.b = v; x.type = Type::Bool; return x; }
  static Value of_string(std::string_view v) {
    Value x; x.s.p = v.data(); x.s.n = static_cast<uint32_t>(v.size()); x.type = Type::String; return x;
  }
  static Value of_list(const Value* items, uint32_t n) {
    Value x; x.list = {items, n}; x.type = Type::List; return x;
  }
  std::string_view str() const { return {s.p, s.n}; }
};

// Appends v as messages show it: ints in decimal, floats in shortest
// round-trip form (812.5, 0.1), bools as true/false, strings as they are.
void append_value(std::string& out, const Value& v);
// A duration in nanoseconds as the language writes durations, largest unit
// first, up to 3 decimals: "30m", "1h30m", "2.5s", "250ms", "1.5us", "42ns",
// "-3s", "0s" (the `dur()` builtin and the replay summary).
std::string format_duration(int64_t ns);

// Outcome of evaluating code: the spec's runtime misses (4.2) are statuses, not exceptions.
// RegexBudget: a `matches` call ran out of its step budget (counted, the `where` is false).
enum class Status : uint8_t { Ok, MissingField, TypeError, ArithError, RegexBudget };

// Verdict levels, plus the report-only levels `none` and `off` (levels.def).
enum class Level : uint8_t {
#define LEVEL(e, name, verdict, profile) e,
#include "dta/levels.def"
#undef LEVEL
};
struct LevelRow {
  const char* name;
  bool verdict;  // a verdict action may have it
  bool profile;  // a profile may give it to a rule
};
constexpr LevelRow kLevelRows[] = {
#define LEVEL(e, name, verdict, profile) {name, verdict, profile},
#include "dta/levels.def"
#undef LEVEL
};
template <>
struct EnumNames<Level> {
  static constexpr const char* what = "level";
  static constexpr const auto& rows = kLevelRows;
};
// Order relied on:
//  - the engine maps the levels a policy writes, error..info, through a
//    3-entry table indexed by the level (`l <= Level::Info ? map[l]`, engine.cpp);
//  - Report::findings counts by level for error..ok (`findings[level]`,
//    report_json.cpp, Report::failed() reads findings[0] as the errors).
static_assert(static_cast<int>(Level::Error) == 0 && static_cast<int>(Level::Warning) == 1 &&
                  static_cast<int>(Level::Info) == 2 && static_cast<int>(Level::Ok) == 3,
              "levels.def: the engine and Report index tables by level");
static_assert(Level::Ok < Level::None && Level::None < Level::Off, "levels.def: report-only levels come last");

constexpr const char* level_name(Level l) { return enum_name(l); }
constexpr bool parse_level(std::string_view s, Level& out) { return parse_enum(s, out); }

// Event severities as hosts report them (severities.def).
enum class Severity : uint8_t {
#define SEVERITY(e, name) e,
#include "dta/severities.def"
#undef SEVERITY
};
constexpr NameRow kSeverityRows[] = {
#define SEVERITY(e, name) {name},
#include "dta/severities.def"
#undef SEVERITY
};
template <>
struct EnumNames<Severity> {
  static constexpr const char* what = "severity";
  static constexpr const auto& rows = kSeverityRows;
};
constexpr const char* severity_name(Severity s) { return enum_name(s); }
constexpr bool parse_severity(std::string_view s, Severity& out) { return parse_enum(s, out); }

}  // namespace dta
