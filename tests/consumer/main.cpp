// A minimal host: compile a policy from a string, run two events, print the
// verdict. Exits 0 when the engine saw what the policy says.
#include <cstdio>

#include "dta/compiler.hpp"
#include "dta/engine.hpp"

int main() {
  dta::CompileResult r = dta::compile_source("host.dta", R"(rule failed on db.open where errno != 0 { error "errno {errno}" })");
  if (!r.program) {
    for (const dta::Diagnostic& d : r.diagnostics) std::fputs(d.rendered.c_str(), stderr);
    return 2;
  }
  std::string err;
  auto engine = dta::Engine::create(r.program, {}, &err);
  if (!engine) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 2;
  }
  dta::Event ev;
  ev.name = engine->symbols().intern("db.open");
  for (int64_t e : {0, 13}) {
    ev.clear();
    ev.ts += 1000;
    ev.add_int(engine->symbols().intern("errno"), e);
    engine->process(ev);
  }
  engine->finish();
  const dta::Report rep = engine->report();
  std::printf("errors %llu\n", static_cast<unsigned long long>(rep.findings[0]));
  return rep.findings[0] == 1 && rep.kept_findings.at(0).message == "errno 13" ? 0 : 1;
}
