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

#include "dta/policy_tests.hpp"
#include "dta/program.hpp"
#include "dta/runtime.hpp"

namespace dta {

// An error stops the compilation; a warning does not (unless
// CompileOptions::werror), it says the policy probably does not mean what it
// says (a rule on a misspelled event, milliseconds compared with a duration).
enum class DiagnosticSeverity : uint8_t { Error, Warning };

// A place that explains a diagnostic ("the '{' opened here").
struct DiagnosticNote {
  std::string path;
  uint32_t line = 0;
  uint32_t col = 0;
  uint32_t len = 1;
  std::string message;
};

struct Diagnostic {
  std::string path;
  uint32_t line = 0;
  uint32_t col = 0;
  uint32_t len = 1;
  std::string message;
  // "path:line:col: error: message" (or "warning:"), the source line, a
  // caret; then each note the same way ("path:line:col: note: ...").
  std::string rendered;
  DiagnosticSeverity severity = DiagnosticSeverity::Error;
  std::vector<DiagnosticNote> notes = {};
};

struct CompileResult {
  std::shared_ptr<const Program> program;  // null when there were errors
  std::vector<Diagnostic> diagnostics;     // errors and warnings, in the order found
  std::vector<TestCase> tests;             // the policy's `test` blocks, checked (when ok)
  bool ok() const { return program != nullptr; }
  // How many diagnostics are errors / warnings.
  size_t error_count() const { return count(DiagnosticSeverity::Error); }
  size_t warning_count() const { return count(DiagnosticSeverity::Warning); }

 private:
  size_t count(DiagnosticSeverity s) const {
    size_t n = 0;
    for (const Diagnostic& d : diagnostics) n += d.severity == s;
    return n;
  }
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
  // Warnings are errors (rendered "error: ... [--Werror]"): no program when any.
  bool werror = false;
  // The host's registered events (RuntimeOptions::schemas): a policy that
  // contradicts them is refused; the events it does not declare are declared.
  std::vector<HostEventSchema> host_schemas;
  // Test blocks: also compile the policies they name (`policy "path"`) and
  // check their fixtures exist (dta test, dta check). Off: a test's rules
  // and fixtures are checked only against the file itself.
  bool tests = false;
};

// Compiles the policy in file `path` (and the files it includes).
CompileResult compile_file(const std::string& path, const CompileOptions& options = {});
// Compiles policy text; `path` names it in diagnostics and resolves includes.
CompileResult compile_source(const std::string& path, const std::string& text, const CompileOptions& options = {});
// Loads a program from a policy (.dta) or a compiled (.dtb) file, finalized.
// `options` apply to a policy (a .dtb was checked when it was compiled).
CompileResult load_program(const std::string& path, const CompileOptions& options = {});

// The runtime's policy loader with the compiler: .dta source (checked
// against the host's schemas) or .dtb bytes (dta::make_runtime sets it).
PolicyLoader policy_loader();

}  // namespace dta
