// Pass: unsupported constructs -> "error: 'X' is not supported yet" (fault
// injection, tests).
#include "support_pass.hpp"

#include <fmt/format.h>

namespace dta {

void support_pass(PassContext& ctx) {
  auto reject = [&](const ast::Loc& loc, const std::string& what) {
    ctx.diags.error(loc, fmt::format("'{}' is not supported yet", what));
  };
  for (const ast::Unsupported& u : ctx.policy.unsupported) reject(u.loc, u.construct);
  for (const ast::ProfileDecl& p : ctx.policy.profiles) {
    for (const ast::ProfileItem& it : p.items) {
      switch (it.kind) {
        case ast::ProfileItemKind::Inject: reject(it.loc, "inject"); break;
        case ast::ProfileItemKind::Seed: reject(it.loc, "seed"); break;
        default: break;
      }
    }
  }
}

}  // namespace dta
