// Pass: code generation. Turns the checked AST into a Program: typed register
// bytecode per where/hole/value, templates, actions, filters, profiles.
#pragma once
#include "passes.hpp"

namespace dta {

void codegen_pass(PassContext& ctx);

}  // namespace dta
