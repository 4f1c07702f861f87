// Runtime values: the types of the language and a small tagged value that
// registers, constants and event fields share. Strings are views; whoever
// makes a Value owns the bytes (the event, the program or the VM's arena).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace dta {

// Static and dynamic types. `Unknown` only exists at compile time (a field of an
// undeclared event); `List` only for constants.
enum class Type : uint8_t { Unknown, Int, Float, String, Bool, List };

// Name of a type as the language spells it ("int", "float", ...).
const char* type_name(Type t);

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

// Outcome of evaluating code: the spec's runtime misses (4.2) are statuses, not exceptions.
// RegexBudget: a `matches` call ran out of its step budget (counted, the `where` is false).
enum class Status : uint8_t { Ok, MissingField, TypeError, ArithError, RegexBudget };

// Verdict levels, plus the report-only levels `none` and `off`.
enum class Level : uint8_t { Error, Warning, Info, Ok, None, Off };
const char* level_name(Level l);
bool parse_level(std::string_view s, Level& out);

// Event severities as hosts report them.
enum class Severity : uint8_t { Debug, Info, Warning, Error, Critical };
const char* severity_name(Severity s);
bool parse_severity(std::string_view s, Severity& out);

}  // namespace dta
