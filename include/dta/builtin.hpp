// The shape of a built-in function, shared by the stdlib (which registers
// them), the compiler (which checks calls against the signature) and the VM
// (which calls the implementation). The runtime knows no function by name.
#pragma once
#include <cstdint>

#include "dta/arena.hpp"
#include "dta/value.hpp"

namespace dta {

// What a parameter accepts: a type code (type_codes.def), as the VM checks values.
using Param = TypeCode;
// What a call returns: a fixed type, or derived from the arguments.
enum class Result : uint8_t { Int, Float, String, Bool, SameAsArg, WidestNumber };

// Implementation: reads args[0..arity), writes out; a miss is a Status, never a throw.
using BuiltinFn = Status (*)(const Value* args, Value& out, Arena& arena);

// Calls the compiler lowers to dedicated instructions instead of CALL.
enum class Special : uint8_t {
  None,
  Regex,       // matches(s, "re"): argument 2 is a constant regex -> MATCH
  HasField,    // has(f): argument is a field name -> HAS
  FieldNamed,  // field("x-id"): argument is a constant string -> LOADF
};

struct Builtin {
  const char* name;
  uint8_t arity;
  Param params[3];
  Result result;
  BuiltinFn fn;       // nullptr for Special rows
  Special special;
  const char* doc;    // one line: what it does
};

}  // namespace dta
