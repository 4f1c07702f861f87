// The pattern dialect of `matches` (spec 4.2: ECMAScript), for the checker:
// a pattern is valid exactly when the runtime can compile it.
#pragma once
#include <string>
#include <string_view>

namespace dta {

// "" when `source` is a valid pattern for `matches`, else why it is not.
std::string regex_syntax_error(std::string_view source);

}  // namespace dta
