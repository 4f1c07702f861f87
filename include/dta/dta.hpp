// DTA for hosts: everything needed to compile policies and audit the
// host's own events while it runs (runtime.hpp), with the compiler.
//
//   auto rt = dta::make_runtime({.mode = dta::EvalMode::Async});
//   rt->load_file("policy.dta");
//   DTA_EVENT(*rt, "db.open", warning, {"path", path}, {"errno", err});
#pragma once
#include "dta/compiler.hpp"
#include "dta/faults.hpp"
#include "dta/runtime.hpp"
#include "dta/verdict.hpp"

namespace dta {

// A runtime that compiles .dta policies (and loads .dtb) with the compiler.
inline std::unique_ptr<Runtime> make_runtime(RuntimeOptions options = {}) {
  if (!options.loader) options.loader = policy_loader();
  return Runtime::create(std::move(options));
}

}  // namespace dta
