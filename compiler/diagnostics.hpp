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
  explicit DiagBag(const SourceSet& sources) : sources_(sources) {}
  // Records an error at loc.
  void error(const ast::Loc& loc, std::string message);
  // Records an error that has no place in the text (e.g. an unreadable file).
  void error_at_file(const std::string& path, std::string message);
  // Whether any error was reported, kept or not.
  bool has_errors() const { return errors_ > 0; }
  // How many errors were reported, including those beyond the cap that are not
  // kept: a pass compares this before and after to know whether it failed.
  size_t count() const { return errors_; }
  std::vector<Diagnostic> take() { return std::move(diags_); }

 private:
  const SourceSet& sources_;
  std::vector<Diagnostic> diags_;
  size_t errors_ = 0;
};

// " (did you mean 'x'?)" for the candidate closest to `name`, or "".
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace dta
