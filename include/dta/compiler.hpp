// Compiling a policy: source text -> checked AST -> a finalized Program.
// The compiler never throws and never prints; problems come back as
// diagnostics, each already rendered like a compiler's:
//   policy.dta:4:23: error: unknown field 'errnum' on event 'db.open' (did you mean 'errno'?)
//   rule x on db.open where errnum != 0 { error "x" }
//                           ^~~~~~
#pragma once
#include <functional>
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

// What an include resolver found for one `include "path"`.
struct IncludeResult {
  bool ok = false;
  std::string name;   // the file's name in diagnostics; includes inside it are relative to it
  std::string key;    // its identity: a key is included once ("": the name)
  std::string text;   // its contents, when ok
  std::string error;  // why it could not be read, when not ok
};

// Resolves `include "path"` written in the file named `from` (the main file's
// path, or an earlier result's name). Called for every include, also of a
// file already included (its key tells). It may throw: that becomes an error
// at the include. The compiler reads included files only through this.
using IncludeResolver = std::function<IncludeResult(const std::string& path, const std::string& from)>;

// The default resolver: `path` relative to `from`'s directory (or absolute),
// a regular file of at most 64 MB, its size and kind checked before reading.
IncludeResult read_include(const std::string& path, const std::string& from);

struct CompileOptions {
  IncludeResolver include_resolver;  // empty: read_include
};

// Compiles the policy in file `path` (and the files it includes).
CompileResult compile_file(const std::string& path, const CompileOptions& options = {});
// Compiles policy text; `path` names it in diagnostics and resolves includes.
CompileResult compile_source(const std::string& path, const std::string& text, const CompileOptions& options = {});
// Loads a program from a policy (.dta) or a compiled (.dtb) file, finalized.
CompileResult load_program(const std::string& path);

}  // namespace dta
