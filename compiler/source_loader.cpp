// Include handling: each file once (by canonical path), relative paths,
// a depth cap, and errors at the include's position.
#include "source_loader.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sstream>

#include "ast_builder.hpp"

namespace dta {
namespace fs = std::filesystem;

bool read_file(const std::string& path, std::string* out, std::string* error) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    *error = "is a directory";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = std::move(ss).str();
  return true;
}

namespace {

class Loader {
 public:
  Loader(SourceSet& s, ast::Policy& p, DiagBag& d) : sources_(s), policy_(p), diags_(d) {}

  bool run() {
    std::error_code ec;
    seen_.insert(fs::weakly_canonical(sources_.files[0].path, ec).string());
    return parse(0, 0);
  }

 private:
  bool parse(uint32_t file, int depth) {
    if (sources_.files[file].text.size() > kMaxSourceBytes) {
      diags_.error_at_file(sources_.files[file].path, "file too large for a policy");
      return false;
    }
    bool ok = true;
    IncludeFn on_include = [&](const std::string& rel, const ast::Loc& loc) {
      const fs::path base = fs::path(sources_.files[file].path).parent_path();
      const std::string path = (base / rel).lexically_normal().string();
      std::error_code ec;
      if (!seen_.insert(fs::weakly_canonical(path, ec).string()).second) return;  // included once
      if (depth + 1 > kMaxIncludeDepth) {
        diags_.error(loc, "includes nest too deeply");
        ok = false;
        return;
      }
      std::string text, err;
      if (!read_file(path, &text, &err)) {
        diags_.error(loc, fmt::format("cannot read included file '{}': {}", path, err));
        ok = false;
        return;
      }
      sources_.files.push_back({path, std::move(text)});
      ok = parse(static_cast<uint32_t>(sources_.files.size() - 1), depth + 1) && ok;
    };
    // Copy: build_ast may grow sources_.files through includes.
    const bool parsed = build_ast(sources_, file, policy_, diags_, on_include);
    return parsed && ok;
  }

  SourceSet& sources_;
  ast::Policy& policy_;
  DiagBag& diags_;
  std::set<std::string> seen_;
};

}  // namespace

bool load_policy(SourceSet& sources, ast::Policy& policy, DiagBag& diags) {
  return Loader(sources, policy, diags).run();
}

}  // namespace dta
