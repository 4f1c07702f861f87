// The compiler's public entry points: load, parse, run the passes, finalize.
// Nothing thrown inside reaches the caller: every entry point catches all.
#include "dta/compiler.hpp"

#include <fmt/format.h>

#include "dta/dtb.hpp"
#include "dta/stdlib.hpp"
#include "host_schema_pass.hpp"
#include "passes.hpp"
#include "source_loader.hpp"

namespace dta {
namespace {

// A result with one error that has no place in the text.
CompileResult failure(const std::string& path, const std::string& message) {
  CompileResult r;
  r.diagnostics.push_back({path, 0, 0, 1, message, fmt::format("{}: error: {}\n", path, message)});
  return r;
}

CompileResult compile_source_unguarded(const std::string& path, const std::string& text,
                                       const CompileOptions& options) {
  CompileResult result;
  SourceSet sources;
  sources.files.push_back({path, text});
  DiagBag diags(sources, options.werror);
  ast::Policy policy;
  std::vector<Diagnostic> extra;  // the diagnostics of the policies tests name
  try {
    // A tree with errors never reaches the passes.
    if (load_policy(sources, policy, diags, options.include_resolver) && !diags.failed() &&
        apply_host_schemas(policy, options.host_schemas, diags)) {
      PassContext ctx(policy, diags, sources);
      ctx.builtins = stdlib_functions(&ctx.nbuiltins);
      ctx.compile_tests = options.tests;
      ctx.test_options = options;
      ctx.test_options.tests = false;  // a named policy's own tests are not run (nor a cycle followed)
      ctx.test_options.include_resolver = nullptr;
      if (run_passes(ctx) && !diags.failed()) {
        if (Outcome finalized = ctx.program->finalize(ctx.builtins, ctx.nbuiltins); finalized)
          result.program = std::move(ctx.program);
        else
          diags.error_at_file(path, "internal compiler error: " + finalized.error());
      }
      if (result.program) {
        for (TestCase& t : ctx.tests) {
          if (t.program) continue;
          t.program = result.program;
          t.policy_path = path;
        }
        result.tests = std::move(ctx.tests);
      }
      extra = std::move(ctx.test_diagnostics);
    }
  } catch (const std::bad_alloc&) {
    diags.error_at_file(path, "out of memory compiling the policy");
  } catch (const std::exception& e) {
    diags.error_at_file(path, fmt::format("internal compiler error: {}", e.what()));
  } catch (...) {
    diags.error_at_file(path, "internal compiler error");
  }
  if (!diags.failed() && !result.program) diags.error_at_file(path, "internal compiler error");
  result.diagnostics = diags.take();
  for (Diagnostic& d : extra) result.diagnostics.push_back(std::move(d));
  return result;
}

// failure(), or an empty result (no program, no diagnostic) when even
// making that one diagnostic fails (no memory left): never a throw.
CompileResult last_failure(const std::string& path, const char* message) noexcept {
  try {
    return failure(path, message);
  } catch (...) {
    return CompileResult{};
  }
}

// Runs `body`, turning anything it throws (of any type) into a diagnostic on
// `path`: the boundary every public entry point of the compiler goes through.
template <class F>
CompileResult guarded(const std::string& path, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return last_failure(path, "out of memory compiling the policy");
  } catch (const std::exception& e) {
    try {
      return failure(path, fmt::format("internal compiler error: {}", e.what()));
    } catch (...) {
      return last_failure(path, "internal compiler error");
    }
  } catch (...) {
    return last_failure(path, "internal compiler error");
  }
}

}  // namespace

CompileResult compile_source(const std::string& path, const std::string& text, const CompileOptions& options) {
  return guarded(path, [&] { return compile_source_unguarded(path, text, options); });
}

CompileResult compile_file(const std::string& path, const CompileOptions& options) {
  return guarded(path, [&] {
    Expected<std::string> text = read_file(path);
    if (!text) return failure(path, "cannot read: " + text.error());
    return compile_source_unguarded(path, *text, options);
  });
}

// A .dtb (by its magic) or a policy, from bytes already read.
static CompileResult load_bytes(const std::string& path, const std::string& bytes, const CompileOptions& options) {
  if (!looks_like_dtb(bytes)) return compile_source_unguarded(path, bytes, options);
  Expected<std::unique_ptr<Program>> prog = load_dtb(bytes);
  if (!prog) return failure(path, prog.error());
  size_t n = 0;
  const Builtin* fns = stdlib_functions(&n);
  if (Outcome finalized = (*prog)->finalize(fns, n); !finalized)
    return failure(path, "invalid bytecode: " + finalized.error());
  CompileResult r;
  r.program = std::move(*prog);
  return r;
}

PolicyLoader policy_loader() {
  return [](const std::string& name, const std::string& text, const std::vector<HostEventSchema>& schemas) {
    CompileOptions options;
    options.host_schemas = schemas;
    CompileResult r = guarded(name, [&] { return load_bytes(name, text, options); });
    LoadedPolicy out;
    out.program = std::move(r.program);
    for (Diagnostic& d : r.diagnostics) out.diagnostics.push_back(std::move(d.rendered));
    return out;
  };
}

CompileResult load_program(const std::string& path, const CompileOptions& options) {
  return guarded(path, [&] {
    Expected<std::string> bytes = read_file(path, kMaxProgramFileBytes);
    if (!bytes) return failure(path, "cannot read: " + bytes.error());
    return load_bytes(path, *bytes, options);
  });
}

}  // namespace dta
