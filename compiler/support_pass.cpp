// Pass: unsupported constructs -> "error: 'X' is not supported yet".
#include "support_pass.hpp"

#include <fmt/format.h>

namespace dta {

void support_pass(PassContext& ctx) {
  auto reject = [&](const ast::Loc& loc, const std::string& what) {
    ctx.diags.error(loc, fmt::format("'{}' is not supported yet", what));
  };
  for (const ast::Unsupported& u : ctx.policy.unsupported) reject(u.loc, u.construct);
  for (const ast::RuleDecl& r : ctx.policy.rules) {
    for (const ast::Stmt& s : r.body) {
      if (!s.is_action) {
        reject(s.other.loc, s.other.construct);
        continue;
      }
      switch (s.action.kind) {
        case ast::ActionKind::Alert: reject(s.action.loc, "alert"); break;
        case ast::ActionKind::CollectRecorder: reject(s.action.loc, "collect recorder"); break;
        case ast::ActionKind::CollectSnapshot: reject(s.action.loc, "collect snapshot"); break;
        case ast::ActionKind::CollectProcess: reject(s.action.loc, "collect process"); break;
        case ast::ActionKind::Discard: reject(s.action.loc, "discard"); break;
        case ast::ActionKind::Enable: reject(s.action.loc, "enable"); break;
        default: break;
      }
    }
  }
  for (const ast::ProfileDecl& p : ctx.policy.profiles) {
    for (const ast::ProfileItem& it : p.items) {
      switch (it.kind) {
        case ast::ProfileItemKind::Budget: reject(it.loc, "budget"); break;
        case ast::ProfileItemKind::Inject: reject(it.loc, "inject"); break;
        case ast::ProfileItemKind::Seed: reject(it.loc, "seed"); break;
        default: break;
      }
    }
  }
}

}  // namespace dta
