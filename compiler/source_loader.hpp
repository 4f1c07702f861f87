// Reading a policy and the files it includes (each once, paths relative to
// the including file) into one AST.
#pragma once
#include <string>

#include "ast.hpp"
#include "diagnostics.hpp"

namespace dta {

// Limits on what a policy may be, so hostile input cannot exhaust memory.
constexpr size_t kMaxSourceBytes = 64u << 20;
constexpr int kMaxIncludeDepth = 32;

// Parses sources.files[0] (already loaded) and everything it includes into
// `policy`. Returns false when a file could not be read or parsed.
bool load_policy(SourceSet& sources, ast::Policy& policy, DiagBag& diags);

// Reads a whole file; false with *error on failure.
bool read_file(const std::string& path, std::string* out, std::string* error);

}  // namespace dta
