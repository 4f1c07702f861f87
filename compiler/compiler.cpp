// The compiler's public entry points: load, parse, run the passes, finalize.
#include "dta/compiler.hpp"

#include <fmt/format.h>

#include "dta/dtb.hpp"
#include "dta/stdlib.hpp"
#include "passes.hpp"
#include "source_loader.hpp"

namespace dta {

CompileResult compile_source(const std::string& path, const std::string& text) {
  CompileResult result;
  SourceSet sources;
  sources.files.push_back({path, text});
  DiagBag diags(sources);
  ast::Policy policy;
  try {
    if (load_policy(sources, policy, diags)) {
      PassContext ctx(policy, diags, sources);
      ctx.builtins = stdlib_functions(&ctx.nbuiltins);
      if (run_passes(ctx) && !diags.has_errors()) {
        const std::string err = ctx.program->finalize(ctx.builtins, ctx.nbuiltins);
        if (err.empty()) result.program = std::move(ctx.program);
        else diags.error_at_file(path, "internal compiler error: " + err);
      }
    }
  } catch (const std::exception& e) {  // the compiler never throws at its caller
    diags.error_at_file(path, fmt::format("internal compiler error: {}", e.what()));
  }
  if (!diags.has_errors() && !result.program) diags.error_at_file(path, "internal compiler error");
  result.diagnostics = diags.take();
  return result;
}

CompileResult compile_file(const std::string& path) {
  std::string text, err;
  if (!read_file(path, &text, &err)) {
    CompileResult r;
    r.diagnostics.push_back({path, 0, 0, 1, "cannot read: " + err, fmt::format("{}: error: cannot read: {}\n", path, err)});
    return r;
  }
  return compile_source(path, text);
}

CompileResult load_program(const std::string& path) {
  std::string bytes, err;
  CompileResult r;
  auto fail = [&](const std::string& msg) {
    r.diagnostics.push_back({path, 0, 0, 1, msg, fmt::format("{}: error: {}\n", path, msg)});
    return r;
  };
  if (!read_file(path, &bytes, &err)) return fail("cannot read: " + err);
  if (!looks_like_dtb(bytes)) return compile_source(path, bytes);
  std::unique_ptr<Program> prog = load_dtb(bytes, &err);
  if (!prog) return fail(err);
  size_t n = 0;
  const Builtin* fns = stdlib_functions(&n);
  err = prog->finalize(fns, n);
  if (!err.empty()) return fail("invalid bytecode: " + err);
  r.program = std::move(prog);
  return r;
}

}  // namespace dta
