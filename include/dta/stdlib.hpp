// The standard library: every built-in function, registered once with its
// signature (for the checker) and implementation (for the VM).
#pragma once
#include <cstddef>

#include "dta/builtin.hpp"

namespace dta {

// The table of built-in functions; *count receives its length.
const Builtin* stdlib_functions(size_t* count);

}  // namespace dta
