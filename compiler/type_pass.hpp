// Pass: type checking. Folds constants, gives every expression its type and
// checks operators, calls (stdlib signatures), conditions and actions.
#pragma once
#include "passes.hpp"

namespace dta {

void type_pass(PassContext& ctx);

}  // namespace dta

namespace dta {
// The value of a literal expression that type_pass has typed.
Const fold_literal(const ast::Expr& e);
// Whether a duration of `ns` nanoseconds meets `rule`.
bool duration_ok(int64_t ns, DurationRule rule);
// "positive" / "non-negative", for messages.
const char* duration_rule_text(DurationRule rule);
// A duration as written: 0s, -5s, 1500ms, 2h.
std::string duration_text(int64_t ns);
}  // namespace dta
