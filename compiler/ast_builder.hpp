// Parse tree -> AST. The only file that sees ANTLR: it lexes and parses one
// source file, reports lexical and syntax errors in our format, caps nesting,
// and builds our AST. It never throws.
#pragma once
#include <functional>
#include <string>

#include "ast.hpp"
#include "diagnostics.hpp"

namespace dta {

// Called for each `include "path"` as it is met (path as written).
using IncludeFn = std::function<void(const std::string& path, const ast::Loc& loc)>;

// Parses file `file` of `sources` and appends its declarations to `policy`.
// Returns false when the file had lexical or syntax errors (reported in diags);
// true when the AST is whole, even if it reported semantic errors.
bool build_ast(const SourceSet& sources, uint32_t file, ast::Policy& policy, DiagBag& diags,
               const IncludeFn& on_include);

// Maximum nesting of parentheses, brackets, braces and prefix operators: each
// level costs ~9 frames in the generated parser, so 10,000 levels would
// overflow an 8 MB stack.
constexpr int kMaxNesting = 100;

}  // namespace dta
