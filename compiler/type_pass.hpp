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
}  // namespace dta
