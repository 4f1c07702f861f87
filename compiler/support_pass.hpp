// Pass: rejects constructs the grammar accepts but whose semantics are not
// built yet (none today), at
// their position.
#pragma once
#include "passes.hpp"

namespace dta {

void support_pass(PassContext& ctx);

}  // namespace dta
