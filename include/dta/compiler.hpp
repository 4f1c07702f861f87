// Compiling a policy: source text -> checked AST -> a finalized Program.
// The compiler never throws and never prints; problems come back as
// diagnostics, each already rendered like a compiler's:
//   policy.dta:4:23: error: unknown field 'errnum' on event 'db.open' (did you mean 'errno'?)
//   rule x on db.open where errnum != 0 { error "x" }
//                           ^~~~~~
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "dta/program.hpp"

namespace dta {

struct Diagnostic {
  std::string path;
  uint32_t line = 0;
  uint32_t col = 0;
  uint32_t len = 1;
  std::string message;
  std::string rendered;  // "path:line:col: error: message", the source line, a caret
};

struct CompileResult {
  std::shared_ptr<const Program> program;  // null when there were errors
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return program != nullptr; }
};

// Compiles the policy in file `path` (and the files it includes).
CompileResult compile_file(const std::string& path);
// Compiles policy text; `path` names it in diagnostics and resolves includes.
CompileResult compile_source(const std::string& path, const std::string& text);
// Loads a program from a policy (.dta) or a compiled (.dtb) file, finalized.
CompileResult load_program(const std::string& path);

}  // namespace dta
