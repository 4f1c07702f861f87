// The pattern dialect of `matches` (spec 4.2: ECMAScript), for the checker:
// a pattern is valid exactly when the runtime can compile it.
#pragma once
#include <string_view>

#include "dta/expected.hpp"

namespace dta {

// Success when `source` is a valid pattern for `matches`, else why it is not.
Outcome check_regex(std::string_view source);

}  // namespace dta
