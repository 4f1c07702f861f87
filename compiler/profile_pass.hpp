// Pass: profile checks. Every profile: extends chains and cycles, the rules and
// constants it names, the types it sets; flattens each into ctx.flat_profiles.
#pragma once
#include "passes.hpp"

namespace dta {

void profile_pass(PassContext& ctx);

}  // namespace dta
