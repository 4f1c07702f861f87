// Pass: unsupported constructs -> "error: 'X' is not supported yet" (none
// today: every construct of the grammar is built).
#include "support_pass.hpp"

#include <fmt/format.h>

namespace dta {

void support_pass(PassContext& ctx) {
  auto reject = [&](const ast::Loc& loc, const std::string& what) {
    ctx.diags.error(loc, fmt::format("'{}' is not supported yet", what));
  };
  for (const ast::Unsupported& u : ctx.policy.unsupported) reject(u.loc, u.construct);
}

}  // namespace dta
