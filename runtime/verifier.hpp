// The bytecode verifier: every chunk passes it before it may run, whether it
// came from the compiler or from a .dtb file.
#pragma once
#include <string>

#include "dta/builtin.hpp"
#include "dta/program.hpp"

namespace dta {

// Checks chunk `index` of `prog`: opcodes, operand ranges (registers, constants,
// keys, functions, regexes), forward-only jump targets, and that every register
// an instruction reads holds a value of the type that instruction expects on
// every path (so typed instructions never reinterpret bits). `fns` are the
// resolved builtins. Returns "" or what is wrong.
std::string verify_chunk(const Program& prog, const std::vector<const Builtin*>& fns,
                         size_t index);

}  // namespace dta
