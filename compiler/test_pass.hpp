// Pass: a policy's `test` blocks (spec 10) -> checked dta::TestCase values
// (ctx.tests). Each test names rules, a profile, events and fixture files of
// its policy: the file it stands in, or the one `policy "path"` names
// (compiled here when CompileOptions::tests asks). Errors are compile errors
// at the test's line.
#pragma once
#include "passes.hpp"

namespace dta {

void test_pass(PassContext& ctx);

}  // namespace dta
