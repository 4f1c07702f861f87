// A policy loader for hosts that run compiled programs without the compiler.
#include "dta/dtb.hpp"
#include "dta/stdlib.hpp"

namespace dta {

PolicyLoader dtb_loader() {
  return [](const std::string& name, const std::string& bytes, const std::vector<HostEventSchema>&) {
    LoadedPolicy out;
    auto prog = load_dtb(bytes);
    if (!prog) {
      out.diagnostics.push_back(name + ": error: " + prog.error() + "\n");
      return out;
    }
    size_t n = 0;
    const Builtin* fns = stdlib_functions(&n);
    if (Outcome ok = (*prog)->finalize(fns, n); !ok) {
      out.diagnostics.push_back(name + ": error: invalid bytecode: " + ok.error() + "\n");
      return out;
    }
    out.program = std::shared_ptr<const Program>(std::move(*prog));
    return out;
  };
}

}  // namespace dta
