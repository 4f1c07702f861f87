// Pass: name resolution. Builds the symbol tables (consts, events, rules,
// filters, profiles), resolves every name in expressions to a constant, a
// field (checked against declared schemas) or a builtin.
#pragma once
#include "passes.hpp"

namespace dta {

void resolve_pass(PassContext& ctx);

}  // namespace dta
