// The standard library: every built-in function, registered once with its
// signature (for the checker) and implementation (for the VM).
#pragma once
#include <cstddef>

#include "dta/builtin.hpp"
#include "dta/runtime.hpp"

namespace dta {

// The table of built-in functions; *count receives its length.
const Builtin* stdlib_functions(size_t* count);

// A runtime's policy loader for hosts without the compiler: .dtb bytes,
// checked, finalized against this library and verified; anything else is
// refused with a diagnostic. Host schemas cannot be checked (a .dtb keeps
// no declarations): they are checked when the policy is compiled.
PolicyLoader dtb_loader();

}  // namespace dta
