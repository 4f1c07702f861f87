// Include handling: files come from the host's resolver (or read_include),
// each once (by key), with caps on depth, count and size, and errors at the
// include's position.
#include "source_loader.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "ast_builder.hpp"

namespace dta {
namespace fs = std::filesystem;

Expected<std::string> read_file(const std::string& path, size_t max_bytes) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return fail(ec ? ec.message() : "no such file");
  // The kind and size first: /dev/zero, a FIFO or a 10 GB file is refused unread.
  if (fs::is_directory(st)) return fail("is a directory");
  if (!fs::is_regular_file(st)) return fail("not a regular file");
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return fail(ec.message());
  if (size > max_bytes) return fail(fmt::format("file too large ({} bytes; the limit is {} bytes)", size, max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::strerror(errno));
  // Read what the size promised, and at most one byte more: a file that grew
  // since it was measured is still refused.
  std::string out(static_cast<size_t>(size), '\0');
  in.read(out.data(), static_cast<std::streamsize>(size));
  out.resize(static_cast<size_t>(in.gcount()));
  if (out.size() == size && in.peek() != std::char_traits<char>::eof())
    return fail(fmt::format("file too large (it grew while read; the limit is {} bytes)", max_bytes));
  if (in.bad()) return fail("read error");
  return out;
}

namespace {

// The name and key read_include gives `include "path"` in file `from`, unread.
IncludeResult include_name(const std::string& path, const std::string& from) {
  IncludeResult r;
  const fs::path joined = fs::path(from).parent_path() / path;  // an absolute `path` stays as it is
  r.name = joined.lexically_normal().string();
  std::error_code ec;
  r.key = fs::weakly_canonical(r.name, ec).string();  // a file reached by two spellings is still one
  if (ec) r.key = r.name;
  return r;
}

// A failed IncludeResult saying why; one that says nothing when even that
// cannot be allocated.
IncludeResult include_error(const std::string& path, const char* why) noexcept {
  try {
    return IncludeResult{false, path, "", "", why};
  } catch (...) {
    return IncludeResult{};
  }
}

}  // namespace

IncludeResult read_include(const std::string& path, const std::string& from) {
  try {
    IncludeResult r = include_name(path, from);
    Expected<std::string> text = read_file(r.name, kMaxSourceBytes);
    r.ok = text.ok();
    if (r.ok) r.text = std::move(*text);
    else r.error = text.error();
    return r;
  } catch (const std::exception& e) {  // out of memory, or a filesystem error: an error, never a throw
    return include_error(path, e.what());
  } catch (...) {
    return include_error(path, "cannot read the file");
  }
}

namespace {

class Loader {
 public:
  Loader(SourceSet& s, ast::Policy& p, DiagBag& d, const IncludeResolver& r)
      : sources_(s), policy_(p), diags_(d), resolver_(r) {}

  bool run() {
    const std::string& main = sources_.files[0].path;
    seen_.insert(main);
    if (!resolver_) {  // the default resolver keys files by canonical path
      std::error_code ec;
      seen_.insert(fs::weakly_canonical(main, ec).string());
    }
    total_bytes_ = sources_.files[0].text.size();
    return parse(0, 0);
  }

 private:
  // Asks the resolver, turning anything it throws into an error.
  IncludeResult resolve(const std::string& rel, const std::string& from) {
    try {
      return resolver_ ? resolver_(rel, from) : read_include(rel, from);
    } catch (const std::exception& e) {
      return IncludeResult{false, rel, "", "", e.what()};
    } catch (...) {
      return IncludeResult{false, rel, "", "", "the include resolver failed"};
    }
  }

  // Loads one `include`; false when it could not be read.
  bool include(uint32_t file, int depth, const std::string& rel, const ast::Loc& loc) {
    const std::string& from = sources_.files[file].path;
    if (!resolver_ && seen_.count(include_name(rel, from).key)) return true;  // included once, not read again
    IncludeResult r = resolve(rel, from);
    if (r.name.empty()) r.name = rel;
    if (!r.ok) {
      diags_.error(loc, fmt::format("cannot read included file '{}': {}", r.name, r.error));
      return false;
    }
    if (!seen_.insert(r.key.empty() ? r.name : r.key).second) return true;  // included once
    if (depth + 1 > kMaxIncludeDepth) {
      diags_.error(loc, fmt::format("includes nest too deeply (more than {} levels)", kMaxIncludeDepth));
      return false;
    }
    if (r.text.size() > kMaxSourceBytes) {
      diags_.error(loc, fmt::format("included file '{}' is too large ({} bytes; the limit is {} bytes)", r.name,
                                    r.text.size(), kMaxSourceBytes));
      return false;
    }
    total_bytes_ += r.text.size();
    if (total_bytes_ > kMaxTotalSourceBytes || sources_.files.size() >= kMaxIncludedFiles) {
      diags_.error(loc, fmt::format("too many included files (at most {} files and {} bytes in all)", kMaxIncludedFiles,
                                    kMaxTotalSourceBytes));
      return false;
    }
    sources_.files.push_back({std::move(r.name), std::move(r.text)});
    return parse(static_cast<uint32_t>(sources_.files.size() - 1), depth + 1);
  }

  bool parse(uint32_t file, int depth) {
    if (sources_.files[file].text.size() > kMaxSourceBytes) {
      diags_.error_at_file(sources_.files[file].path, "file too large for a policy");
      return false;
    }
    bool ok = true;
    IncludeFn on_include = [&](const std::string& rel, const ast::Loc& loc) {
      ok = include(file, depth, rel, loc) && ok;
    };
    const bool parsed = build_ast(sources_, file, policy_, diags_, on_include);
    return parsed && ok;
  }

  SourceSet& sources_;
  ast::Policy& policy_;
  DiagBag& diags_;
  const IncludeResolver& resolver_;
  std::set<std::string> seen_;
  size_t total_bytes_ = 0;
};

}  // namespace

bool load_policy(SourceSet& sources, ast::Policy& policy, DiagBag& diags, const IncludeResolver& resolver) {
  return Loader(sources, policy, diags, resolver).run();
}

}  // namespace dta
