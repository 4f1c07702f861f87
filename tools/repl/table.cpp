// Command output for people and for machines (table.hpp).
#include "table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "../live_output.hpp"
#include "../replay_summary.hpp"

namespace dta::repl {
namespace {

// Display width of UTF-8 text: code points (wide characters count one).
size_t width(std::string_view s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;
  return w;
}

// Cells wider than this are cut (with "…"): a long message would push every column off screen.
constexpr size_t kMaxCellWidth = 60;

std::string cut(std::string s) {
  if (width(s) <= kMaxCellWidth) return s;
  size_t w = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++w > kMaxCellWidth - 1) break;
  }
  s.resize(i);
  return s + "…";
}

}  // namespace

Table& Table::row() {
  rows_.emplace_back();
  return *this;
}

Table& Table::add(std::string text) {
  boost::json::value j = boost::json::string(text);
  return add(std::move(text), std::move(j), false);
}

Table& Table::add_int(int64_t v) { return add(std::to_string(v), boost::json::value(v), true); }

Table& Table::add_float(double v) {
  return add(number_text(v), std::isfinite(v) ? boost::json::value(v) : boost::json::value(nullptr), true);
}

Table& Table::add(std::string text, boost::json::value json, bool right) {
  if (rows_.empty()) rows_.emplace_back();
  const size_t col = rows_.back().size();
  if (col < right_.size() && right) right_[col] = true;
  rows_.back().push_back({std::move(text), std::move(json)});
  return *this;
}

std::string Table::text() const {
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> w(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) w[c] = width(columns_[c]);
  for (const auto& r : rows_) {
    cells.emplace_back();
    for (size_t c = 0; c < r.size() && c < columns_.size(); ++c) {
      cells.back().push_back(cut(cli::escape_for_terminal(r[c].text)));
      w[c] = std::max(w[c], width(cells.back().back()));
    }
  }
  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (size_t c = 0; c < columns_.size(); ++c) {
      const std::string& s = c < r.size() ? r[c] : std::string();
      const size_t pad = w[c] - std::min(w[c], width(s));
      const bool last = c + 1 == columns_.size();
      if (right_[c])
        out += std::string(pad, ' ') + s;
      else
        out += last ? s : s + std::string(pad, ' ');
      if (!last) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(columns_);
  for (const auto& r : cells) out += line(r);
  return out;
}

boost::json::value Table::json() const {
  boost::json::array arr;
  for (const auto& r : rows_) {
    boost::json::object o;
    for (size_t c = 0; c < r.size() && c < columns_.size(); ++c) o[columns_[c]] = r[c].json;
    arr.push_back(std::move(o));
  }
  return arr;
}

std::string number_text(double v) { return cli::format_number(v); }

std::string bar(double v, double max, int width) {
  static constexpr const char* kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  if (max <= 0 || v <= 0) return "";
  const double cells = std::min(1.0, v / max) * width;
  const int full = static_cast<int>(cells);
  const int part = static_cast<int>((cells - full) * 8);
  std::string out;
  for (int i = 0; i < full; ++i) out += "█";
  out += kEighths[part];
  if (out.empty()) out = "▏";  // a value above zero is never invisible
  return out;
}

}  // namespace dta::repl
