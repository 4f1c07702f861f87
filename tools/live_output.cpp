// Findings and alerts as they happen, as text or JSON Lines.
#include "live_output.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "dta/report_json.hpp"
#include "replay_summary.hpp"

namespace dta::cli {
namespace json = boost::json;
namespace {

// A key or labels as " {k=v, ...}", escaped; "" when empty.
std::string labels_text(const KeyLabels& labels) {
  if (labels.empty()) return "";
  std::string out = " {";
  for (size_t i = 0; i < labels.size(); ++i)
    out += fmt::format("{}{}={}", i ? ", " : "", escape_for_terminal(labels[i].first),
                       escape_for_terminal(labels[i].second));
  return out + "}";
}

json::object labels_json(const KeyLabels& labels) {
  json::object o;
  for (const auto& [k, v] : labels) o[k] = v;
  return o;
}

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t utf8_len(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t need;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    need = 1;
  else if (c >= 0xE0 && c <= 0xEF)
    need = 2, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
  else if (c >= 0xF0 && c <= 0xF4)
    need = 3, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
  else
    return 0;
  if (i + need >= s.size()) return 0;  // cut short
  for (size_t k = 1; k <= need; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (b < lo || b > hi) return 0;
    lo = 0x80, hi = 0xBF;
  }
  return need + 1;
}

}  // namespace

std::string escape_for_terminal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c < 0x80) {  // C0 controls and DEL
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          out += fmt::format("\\x{:02x}", c);
      }
      ++i;
      continue;
    }
    const size_t n = utf8_len(s, i);
    if (n == 0) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
      continue;
    }
    uint32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    const bool c1 = cp >= 0x80 && cp <= 0x9F;
    const bool bidi = (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
                      cp == 0x200F || cp == 0x061C;
    const bool separator = cp == 0x2028 || cp == 0x2029;  // line and paragraph separators
    if (c1 || bidi || separator)
      out += fmt::format("\\u{{{:x}}}", cp);
    else
      out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string finding_line(const Finding& f) {
  return fmt::format("{} {:<7} {}: {}{}", format_ts(f.ts), level_name(f.level), escape_for_terminal(f.rule),
                     escape_for_terminal(f.message), labels_text(f.key));
}

std::string alert_line(const Alert& a) {
  return fmt::format("{} alert {:<8} {}: {}{}{}", format_ts(a.ts), a.severity, escape_for_terminal(a.rule),
                     escape_for_terminal(a.message), labels_text(a.labels),
                     a.suppressed ? fmt::format(" (+{} suppressed)", a.suppressed) : "");
}

std::string finding_json(const Finding& f) {
  json::object o{{"type", "finding"},    {"rule", f.rule}, {"level", level_name(f.level)},
                 {"message", f.message}, {"ts", f.ts},     {"time", format_ts(f.ts)},
                 {"event", f.event}};
  o["key"] = labels_json(f.key);
  return json::serialize(o);
}

std::string alert_json(const Alert& a) {
  json::object o{{"type", "alert"},      {"rule", a.rule}, {"severity", a.severity},
                 {"message", a.message}, {"ts", a.ts},     {"time", format_ts(a.ts)}};
  o["labels"] = labels_json(a.labels);
  o["key"] = labels_json(a.key);
  o["suppressed"] = a.suppressed;
  return json::serialize(o);
}

void LiveOutput::put(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

void LiveOutput::finding(const Finding& f) {
  if (f.level == Level::Ok) return;  // bare successes are only counted, as in the report
  put(json_ ? finding_json(f) : finding_line(f));
}

void LiveOutput::alert(const Alert& a) { put(json_ ? alert_json(a) : alert_line(a)); }

void LiveOutput::report(const Report& r) {
  boost::system::error_code ec;
  json::value v = json::parse(report_to_json(r), ec);
  if (ec) v = nullptr;  // cannot happen: report_to_json writes JSON
  put(json::serialize(json::object{{"type", "report"}, {"report", std::move(v)}}));
}

void attach_live_output(EngineOptions& opts, LiveOutput* live) {
  opts.on_finding = [prev = opts.on_finding, live](const Finding& f) {
    if (prev) prev(f);
    live->finding(f);
  };
  opts.on_alert = [prev = opts.on_alert, live](const Alert& a) {
    if (prev) prev(a);
    live->alert(a);
  };
}

}  // namespace dta::cli
