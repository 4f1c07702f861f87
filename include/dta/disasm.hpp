// Human-readable listing of a compiled program: each rule's code with the
// source lines it came from. Opcode names are those of opcodes.def.
#pragma once
#include <string>

#include "dta/program.hpp"

namespace dta {

// The whole program: constants, filters, rules (where, actions, template holes).
std::string disassemble(const Program& prog);

}  // namespace dta
