// Collecting and rendering compile errors with their source line and a caret.
#pragma once
#include <string>
#include <vector>

#include "ast.hpp"
#include "dta/compiler.hpp"

namespace dta {

// The files of one compilation (the main file and its includes).
struct SourceSet {
  std::vector<SourceFile> files;
};

class DiagBag {
 public:
  // `werror`: warnings are recorded as errors.
  explicit DiagBag(const SourceSet& sources, bool werror = false) : sources_(sources), werror_(werror) {}
  // Records an error at loc.
  void error(const ast::Loc& loc, std::string message);
  // Records a warning at loc (an error under werror).
  void warning(const ast::Loc& loc, std::string message);
  // Attaches a note at loc to the diagnostic recorded last (if it was kept).
  void note(const ast::Loc& loc, std::string message);
  // Records an error that has no place in the text (e.g. an unreadable file).
  void error_at_file(const std::string& path, std::string message);
  // Whether any error was reported, kept or not (warnings made errors by
  // werror aside: they leave the AST sound, so the passes go on).
  bool has_errors() const { return errors_ > 0; }
  // How many errors were reported, including those beyond the cap that are not
  // kept: a pass compares this before and after to know whether it failed.
  size_t count() const { return errors_; }
  // How many warnings were reported (kept or not), made errors by werror or not.
  size_t warning_count() const { return warnings_; }
  // Whether the compilation must give no program: an error, or a warning under werror.
  bool failed() const { return errors_ > 0 || (werror_ && warnings_ > 0); }
  std::vector<Diagnostic> take() { return std::move(diags_); }

 private:
  void add(const ast::Loc& loc, std::string message, DiagnosticSeverity severity);

  const SourceSet& sources_;
  bool werror_;
  std::vector<Diagnostic> diags_;
  size_t errors_ = 0, warnings_ = 0;
  bool last_kept_ = false;  // whether the last diagnostic reported is in diags_ (notes go to it)
};

// The candidate closest to `name` by edit distance when it is close enough to
// be a misspelling of it (or "" when none is).
std::string closest_name(const std::string& name, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" for the candidate closest to `name`, or "".
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace dta
