// Test helpers: compile text, run a policy over JSON Lines text, dump ASTs.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "ast_builder.hpp"
#include "dta/compiler.hpp"
#include "dta/engine.hpp"
#include "dta/jsonl.hpp"
#include "source_loader.hpp"

namespace dta::test {

// A file's bytes ("" when it cannot be read).
inline std::string slurp(const std::string& path) {
  Expected<std::string> text = read_file(path);
  return text ? std::move(*text) : std::string();
}

// Errors of compiling `text` as "LINE:COL: message", one per diagnostic.
inline std::vector<std::string> errors(const std::string& text) {
  std::vector<std::string> out;
  for (const Diagnostic& d : compile_source("t.dta", text).diagnostics)
    out.push_back(std::to_string(d.line) + ":" + std::to_string(d.col) + ": " + d.message);
  return out;
}

// The AST dump of `text`, or the first error.
inline std::string ast_of(const std::string& text) {
  SourceSet sources;
  sources.files.push_back({"t.dta", text});
  DiagBag diags(sources);
  ast::Policy policy;
  if (!load_policy(sources, policy, diags) || diags.has_errors()) {
    auto d = diags.take();
    return "error: " + (d.empty() ? std::string("?") : d[0].message);
  }
  return ast::dump(policy);
}

// A compiled program; fails the test when the policy does not compile.
inline std::shared_ptr<const Program> compiled(const std::string& text, const std::string& path = "t.dta") {
  CompileResult r = compile_source(path, text);
  for (const Diagnostic& d : r.diagnostics) std::fputs(d.rendered.c_str(), stderr);
  return r.program;
}

// Runs `policy` over JSON Lines `events` under `profile`; the report.
inline Report run(const std::string& policy, const std::string& events, const std::string& profile = "",
                  EngineOptions opts = {}, const std::string& path = "t.dta") {
  auto prog = compiled(policy, path);
  if (!prog) return Report{};
  opts.profile = profile;
  std::string err;
  auto engine = Engine::create(prog, opts, &err);
  if (!engine) return Report{};
  std::FILE* f = fmemopen(const_cast<char*>(events.data()), events.size(), "r");
  replay_stream(f, *engine, nullptr, &err);
  std::fclose(f);
  engine->finish();
  return engine->report();
}

// A rule's entry in a report.
inline RuleReport rule(const Report& r, const std::string& name) {
  for (const RuleReport& rr : r.rules)
    if (rr.name == name) return rr;
  return RuleReport{};
}

}  // namespace dta::test
