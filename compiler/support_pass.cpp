// Pass: unsupported constructs -> "error: 'X' is not supported yet" (recorders,
// collection).
#include "support_pass.hpp"

#include <fmt/format.h>
#include <functional>

namespace dta {

void support_pass(PassContext& ctx) {
  auto reject = [&](const ast::Loc& loc, const std::string& what) {
    ctx.diags.error(loc, fmt::format("'{}' is not supported yet", what));
  };
  for (const ast::Unsupported& u : ctx.policy.unsupported) reject(u.loc, u.construct);
  // Actions anywhere in a block, nested blocks included.
  std::function<void(const ast::Block&)> block = [&](const ast::Block& b) {
    for (const ast::Stmt& s : b) {
      if (s.kind == ast::Stmt::Kind::When) {
        block(s.when->body);
        continue;
      }
      if (s.kind == ast::Stmt::Kind::Expect) {
        block(s.expect->then_body);
        block(s.expect->else_body);
        continue;
      }
      switch (s.action.kind) {
        case ast::ActionKind::CollectRecorder: reject(s.action.loc, "collect recorder"); break;
        case ast::ActionKind::CollectSnapshot: reject(s.action.loc, "collect snapshot"); break;
        case ast::ActionKind::CollectProcess: reject(s.action.loc, "collect process"); break;
        case ast::ActionKind::Discard: reject(s.action.loc, "discard"); break;
        default: break;
      }
    }
  };
  for (const ast::RuleDecl& r : ctx.policy.rules) block(r.body);
  for (const ast::MachineDecl& m : ctx.policy.machines)
    for (const ast::StateAst& st : m.states)
      for (const ast::TransitionAst& t : st.transitions) block(t.body);
}

}  // namespace dta
