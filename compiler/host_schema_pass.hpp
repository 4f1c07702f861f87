// Pass: the host's registered event schemas (RuntimeOptions::schemas) ->
// the policy's declarations. A policy's `event` that contradicts the host's
// (a field of another type, a field the host does not send) is an error at
// the policy's declaration; a host event the policy does not declare becomes
// a declaration, so the usual checks type every field the rules read.
#pragma once
#include <vector>

#include "ast.hpp"
#include "diagnostics.hpp"
#include "dta/runtime.hpp"

namespace dta {

// Runs before the other passes; false when the policy contradicts the host.
bool apply_host_schemas(ast::Policy& policy, const std::vector<HostEventSchema>& host, DiagBag& diags);

}  // namespace dta
