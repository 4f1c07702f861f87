// Diagnostic rendering (path:line:col: error|warning|note: msg, source line,
// caret) and near-miss suggestions by edit distance.
#include "diagnostics.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace dta {
namespace {

constexpr size_t kMaxDiagnostics = 100;  // of each severity: beyond this, more only bury the first ones
constexpr size_t kMaxShownLine = 400;    // a 10 MB line is not shown whole

std::string line_of(const std::string& text, uint32_t line) {
  size_t pos = 0;
  for (uint32_t l = 1; l < line; ++l) {
    pos = text.find('\n', pos);
    if (pos == std::string::npos) return "";
    ++pos;
  }
  const size_t end = text.find('\n', pos);
  std::string s = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// "path:line:col: KIND: message\n", then the source line and a caret under
// loc (nothing more when loc has no line).
std::string render(const SourceSet& sources, const std::string& path, const ast::Loc& loc, const char* kind,
                   const std::string& message) {
  std::string out = fmt::format("{}:{}:{}: {}: {}\n", path, loc.line, loc.col, kind, message);
  if (loc.file >= sources.files.size() || loc.line == 0) return out;
  std::string src = line_of(sources.files[loc.file].text, loc.line);
  if (src.size() > kMaxShownLine) src.resize(kMaxShownLine);
  out += src + "\n";
  std::string caret;
  // Columns count code points; keep tabs so the caret lines up.
  uint32_t col = 1;
  for (size_t i = 0; i < src.size() && col < loc.col; ++i) {
    if ((static_cast<unsigned char>(src[i]) & 0xC0) == 0x80) continue;
    caret += src[i] == '\t' ? '\t' : ' ';
    ++col;
  }
  caret += '^';
  const uint32_t room = static_cast<uint32_t>(std::max<size_t>(src.size(), caret.size()) - caret.size() + 1);
  caret.append(std::min(std::max<uint32_t>(loc.len, 1), std::max<uint32_t>(room, 1)) - 1, '~');
  return out + caret + "\n";
}

std::string path_of(const SourceSet& sources, const ast::Loc& loc) {
  return loc.file < sources.files.size() ? sources.files[loc.file].path : "<input>";
}

}  // namespace

void DiagBag::add(const ast::Loc& loc, std::string message, DiagnosticSeverity severity) {
  const bool warning = severity == DiagnosticSeverity::Warning;
  warning ? ++warnings_ : ++errors_;
  if (warning && werror_) severity = DiagnosticSeverity::Error;
  size_t kept = 0;
  for (const Diagnostic& d : diags_) kept += (d.severity == severity);
  last_kept_ = kept < kMaxDiagnostics;
  if (!last_kept_) return;
  Diagnostic d;
  d.path = path_of(sources_, loc);
  d.line = loc.line;
  d.col = loc.col;
  d.len = std::max<uint32_t>(loc.len, 1);
  d.severity = severity;
  const bool as_error = warning && werror_;
  d.rendered = render(sources_, d.path, loc, severity == DiagnosticSeverity::Error ? "error" : "warning",
                      as_error ? message + " [--Werror]" : message);
  d.message = std::move(message);
  diags_.push_back(std::move(d));
}

void DiagBag::error(const ast::Loc& loc, std::string message) { add(loc, std::move(message), DiagnosticSeverity::Error); }

void DiagBag::warning(const ast::Loc& loc, std::string message) {
  add(loc, std::move(message), DiagnosticSeverity::Warning);
}

void DiagBag::note(const ast::Loc& loc, std::string message) {
  if (!last_kept_ || diags_.empty()) return;
  Diagnostic& d = diags_.back();
  DiagnosticNote n{path_of(sources_, loc), loc.line, loc.col, std::max<uint32_t>(loc.len, 1), std::move(message)};
  d.rendered += render(sources_, n.path, loc, "note", n.message);
  d.notes.push_back(std::move(n));
}

void DiagBag::error_at_file(const std::string& path, std::string message) {
  ++errors_;
  last_kept_ = false;
  if (diags_.size() >= kMaxDiagnostics) return;
  Diagnostic d;
  d.path = path;
  d.message = std::move(message);
  d.rendered = fmt::format("{}: error: {}\n", path, d.message);
  diags_.push_back(std::move(d));
  last_kept_ = true;
}

std::string closest_name(const std::string& name, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  size_t best_d = SIZE_MAX;
  for (const std::string& c : candidates) {
    // A candidate that begins the name ("int" for "integer") counts as one edit away.
    const bool prefix = c.size() >= 3 && name.size() > c.size() && name.compare(0, c.size(), c) == 0;
    const size_t d = prefix ? 1 : edit_distance(name, c);
    if (d < best_d) {
      best_d = d;
      best = &c;
    }
  }
  if (!best || best_d == 0 || best_d > std::max<size_t>(1, std::min(name.size(), best->size()) / 3 + 1)) return "";
  return *best;
}

std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates) {
  const std::string best = closest_name(name, candidates);
  return best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best);
}

}  // namespace dta
