// The names a program uses, for its shared SymbolTable (Program::symbols).
#pragma once
#include <string>
#include <vector>

#include "dta/program.hpp"

namespace dta {

// Every event name and field key the program's code, patterns, matching
// fields, machine keys, filters, emits and schemas name: field keys first
// (in `keys` order, so a key's id is its index), then the others.
std::vector<std::string> program_names(const Program& p);

}  // namespace dta
