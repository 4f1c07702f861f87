// Reading a policy and the files it includes (each once, through the host's
// include resolver) into one AST.
#pragma once
#include <string>

#include "ast.hpp"
#include "diagnostics.hpp"
#include "dta/compiler.hpp"
#include "dta/expected.hpp"

namespace dta {

// Limits on what a policy may be, so hostile input cannot exhaust memory or time.
constexpr size_t kMaxSourceBytes = 64u << 20;        // one file
constexpr size_t kMaxTotalSourceBytes = 256u << 20;  // a policy and all its includes
constexpr size_t kMaxIncludedFiles = 1024;           // a resolver that invents files cannot fan out forever
constexpr int kMaxIncludeDepth = 32;
constexpr size_t kMaxProgramFileBytes = 2 * kMaxTotalSourceBytes;  // a .dtb carries its sources and their code

// Parses sources.files[0] (already loaded) and everything it includes into
// `policy`, asking `resolver` (empty: read_include) for each included file.
// Returns false when a file could not be read or parsed.
bool load_policy(SourceSet& sources, ast::Policy& policy, DiagBag& diags, const IncludeResolver& resolver = {});

// Reads a whole regular file of at most `max_bytes`; its kind and size are
// checked before reading, so /dev/zero or a FIFO is refused at once. Its
// bytes, or why they could not be read.
Expected<std::string> read_file(const std::string& path, size_t max_bytes = kMaxSourceBytes);

}  // namespace dta
