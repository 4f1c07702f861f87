// Diagnostic rendering (path:line:col: error: msg, source line, caret) and
// near-miss suggestions by edit distance.
#include "diagnostics.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace dta {
namespace {

constexpr size_t kMaxDiagnostics = 100;  // beyond this, more errors only bury the first ones

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

}  // namespace

void DiagBag::error(const ast::Loc& loc, std::string message) {
  ++errors_;
  if (diags_.size() >= kMaxDiagnostics) return;
  Diagnostic d;
  d.path = loc.file < sources_.files.size() ? sources_.files[loc.file].path : "<input>";
  d.line = loc.line;
  d.col = loc.col;
  d.len = std::max<uint32_t>(loc.len, 1);
  d.message = std::move(message);
  d.rendered = fmt::format("{}:{}:{}: error: {}\n", d.path, d.line, d.col, d.message);
  if (loc.file < sources_.files.size() && loc.line > 0) {
    std::string src = line_of(sources_.files[loc.file].text, loc.line);
    if (src.size() > 400) src.resize(400);  // a 10 MB line is not shown whole
    d.rendered += src + "\n";
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
    caret.append(std::min(d.len, std::max<uint32_t>(room, 1)) - 1, '~');
    d.rendered += caret + "\n";
  }
  diags_.push_back(std::move(d));
}

void DiagBag::error_at_file(const std::string& path, std::string message) {
  ++errors_;
  if (diags_.size() >= kMaxDiagnostics) return;
  Diagnostic d;
  d.path = path;
  d.message = std::move(message);
  d.rendered = fmt::format("{}: error: {}\n", path, d.message);
  diags_.push_back(std::move(d));
}

std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates) {
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
  return fmt::format(" (did you mean '{}'?)", *best);
}

}  // namespace dta
