// The human summary of `dta replay`.
#include "replay_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <map>
#include <vector>

namespace dta::cli {
namespace {

constexpr int64_t kNsPerMs = 1000000, kNsPerS = 1000000000;
// Floats written with more decimals than this are computed values, rounded
// for people; fewer are left as written (1.5, 0.25, 10.0.0.1).
constexpr size_t kRoundAfterDecimals = 6;
// Below this magnitude a float keeps 6 significant digits; from it up to
// kIntegerBelow it is rounded to an integer (its integer digits are precision enough).
constexpr double kRoundToIntegerFrom = 1e6, kIntegerBelow = 1e15;

// ANSI colours of the summary (SGR parameters).
constexpr const char* kRed = "1;31";
constexpr const char* kYellow = "33";
constexpr const char* kCyan = "36";
constexpr const char* kGreen = "32";

// "1 error", "2 errors".
std::string plural(uint64_t n, std::string_view one, std::string_view many = {}) {
  if (n == 1) return fmt::format("1 {}", one);
  return many.empty() ? fmt::format("{} {}s", n, one) : fmt::format("{} {}", n, many);
}

// A count of findings of one level: "3 errors", "1 warning", "2 infos", "4 ok".
std::string level_count(uint64_t n, Level l) {
  return l == Level::Ok ? fmt::format("{} ok", n) : plural(n, level_name(l));
}

// Whether `c` may be part of a word or number around a float in text.
bool word_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
}
bool digit(char c) { return c >= '0' && c <= '9'; }

// The length of the valid UTF-8 sequence at s[i] (1 to 4), or 0 when it is not one.
size_t utf8_length(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t cp;
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf)
    n = 2, cp = b & 0x1f;
  else if (b >= 0xe0 && b <= 0xef)
    n = 3, cp = b & 0x0f;
  else if (b >= 0xf0 && b <= 0xf4)
    n = 4, cp = b & 0x07;
  else
    return 0;
  if (s.size() - i < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (c & 0x3f);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return n;
}

// The code point of a valid UTF-8 sequence of length n at s[i].
uint32_t code_point(std::string_view s, size_t i, size_t n) {
  static constexpr unsigned char kLeadMask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
  uint32_t cp = static_cast<unsigned char>(s[i]) & kLeadMask[n];
  for (size_t k = 1; k < n; ++k) cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  return cp;
}

// Code points that change how text displays without being visible: C1
// controls, line and paragraph separators, bidirectional marks, embeddings,
// overrides and isolates.
bool invisible_control(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

// Builds the summary: colours when asked, every piece of data escaped.
class Summary {
 public:
  Summary(const Report& r, const EngineOptions& opts, const SummaryStyle& style) : r_(r), opts_(opts), style_(style) {}

  std::string build() {
    header();
    rules();
    findings();
    alerts();
    collections();
    pending();
    metrics();
    diagnostics();
    return std::move(out_);
  }

 private:
  const Report& r_;
  const EngineOptions& opts_;
  const SummaryStyle& style_;
  std::string out_;

  std::string paint(std::string_view text, const char* sgr) const {
    if (!style_.color || text.empty()) return std::string(text);
    return fmt::format("\033[{}m{}\033[0m", sgr, text);
  }
  static const char* level_colour(Level l) {
    switch (l) {
      case Level::Error:
        return kRed;
      case Level::Warning:
        return kYellow;
      case Level::Info:
        return kCyan;
      default:
        return kGreen;
    }
  }
  static const char* severity_colour(std::string_view s) {
    return s == "critical" ? kRed : s == "warning" ? kYellow : kCyan;
  }
  // A level name padded to `width`, then coloured (escapes do not count in the width).
  std::string level_word(Level l, size_t width = 7) const {
    return paint(fmt::format("{:<{}}", level_name(l), width), level_colour(l));
  }
  // A message for people: floats rounded, control characters escaped.
  static std::string text(std::string_view s) { return escape_text(round_floats(s)); }
  // Keys and labels name things: escaped, never rounded.
  static std::string labels_text(const KeyLabels& labels) {
    std::string out;
    for (const auto& [k, v] : labels)
      out += fmt::format("{}{}={}", out.empty() ? "" : ",", escape_text(k), escape_text(v));
    return out;
  }
  // "... N more THINGS (HINT)" when a list was cut short.
  void more(uint64_t n, std::string_view indent, std::string_view one, std::string_view many, std::string_view hint) {
    if (n == 0) return;
    out_ += fmt::format("{}... {} more {}{}\n", indent, n, n == 1 ? one : many,
                        hint.empty() ? "" : fmt::format(" ({})", hint));
  }

  void header() {
    const Diagnostics& d = r_.diagnostics;
    std::string input = plural(r_.events, "event");
    if (d.bad_input) input += ", " + plural(d.bad_input, "bad line");
    std::string verdict = r_.failed() ? paint("FAIL", kRed) : paint("PASS", kGreen);
    if (!r_.failed() && style_.fail_on && r_.fails_at(*style_.fail_on)) {
      std::vector<std::string> why;
      const int at = static_cast<int>(*style_.fail_on);
      for (int l = 0; l <= at; ++l) {
        if (r_.findings[l]) why.push_back(level_count(r_.findings[l], static_cast<Level>(l)));
        if (const uint64_t n = r_.alerts_raised[2 - l])
          why.push_back(plural(n, l == 0 ? "critical alert" : l == 1 ? "warning alert" : "info alert"));
      }
      verdict = fmt::format("PASS by the verdict, {} by --fail-on {} ({})", paint("FAIL", kRed),
                            level_name(*style_.fail_on), fmt::join(why, ", "));
    }
    out_ += fmt::format("policy {}{}: {}: {}\n", escape_text(r_.policy),
                        r_.profile.empty() ? "" : " (profile " + escape_text(r_.profile) + ")", input, verdict);
    out_ += fmt::format("findings: {}, {}, {}, {}\n", level_count(r_.findings[0], Level::Error),
                        level_count(r_.findings[1], Level::Warning), level_count(r_.findings[2], Level::Info),
                        level_count(r_.findings[3], Level::Ok));
  }

  void rules() {
    size_t width = 4;
    for (const RuleReport& rr : r_.rules) width = std::max(width, rr.name.size());
    out_ += "rules:\n";
    for (const RuleReport& rr : r_.rules) {
      out_ += fmt::format("  {:<{}}  {}  matched {:>8}  fired {:>8}", escape_text(rr.name), width,
                          rr.level <= Level::Ok ? level_word(rr.level) : fmt::format("{:<7}", level_name(rr.level)),
                          rr.matched, rr.fired);
      if (rr.missing_field + rr.type_error + rr.arith_error)
        out_ += fmt::format("  (misses: {} missing field, {} type, {} arith)", rr.missing_field, rr.type_error,
                            rr.arith_error);
      out_ += '\n';
    }
  }

  // Findings by (rule, level), errors first, then the largest groups: each
  // with its count (RuleReport::findings, every finding) and the first kept ones.
  void findings() {
    struct Group {
      const RuleReport* rule;  // nullptr: the rule is not in the report's rules
      Level level;
      uint64_t count;
      std::vector<const Finding*> examples;
      std::string_view name;
    };
    std::vector<Group> groups;
    std::map<std::pair<std::string_view, Level>, size_t> index;
    for (const RuleReport& rr : r_.rules)
      for (size_t l = 0; l < rr.findings.size(); ++l)
        if (rr.findings[l]) {
          index[{rr.name, static_cast<Level>(l)}] = groups.size();
          groups.push_back({&rr, static_cast<Level>(l), rr.findings[l], {}, rr.name});
        }
    for (const Finding& f : r_.kept_findings) {
      auto it = index.find({f.rule, f.level});
      if (it == index.end()) {  // a report without per-rule counts (made by a host): count what was kept
        it = index.emplace(std::pair<std::string_view, Level>{f.rule, f.level}, groups.size()).first;
        groups.push_back({nullptr, f.level, 0, {}, f.rule});
        ++groups.back().count;
      } else if (!groups[it->second].rule) {
        ++groups[it->second].count;
      }
      if (groups[it->second].examples.size() < style_.examples_per_group) groups[it->second].examples.push_back(&f);
    }
    // A bare `ok` is only counted: ok groups are listed when they have messages.
    std::erase_if(groups, [](const Group& g) { return g.level == Level::Ok && g.examples.empty(); });
    if (groups.empty()) return;
    std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
      return a.level != b.level ? a.level < b.level : a.count > b.count;
    });
    out_ += "findings by rule, errors first:\n";
    size_t shown = 0;
    bool cut = false;  // some findings were not shown
    for (const Group& g : groups) {
      if (shown++ == style_.max_listed) break;
      out_ +=
          fmt::format("  {}: {}\n", escape_text(g.name), paint(level_count(g.count, g.level), level_colour(g.level)));
      for (const Finding* f : g.examples) {
        std::string key = labels_text(f->key);
        out_ += fmt::format("    {} {} {}: {}{}\n", format_ts(f->ts), level_word(f->level), escape_text(f->rule),
                            text(f->message), key.empty() ? "" : " [" + key + "]");
      }
      more(g.count - g.examples.size(), "    ", "finding", "findings", g.examples.empty() ? "none kept" : "");
      cut |= g.count > g.examples.size();
    }
    if (groups.size() > style_.max_listed) {
      more(groups.size() - style_.max_listed, "  ", "rule with findings", "rules with findings", "");
      cut = true;
    }
    if (cut && r_.diagnostics.findings_not_kept)
      out_ += fmt::format("  (--findings FILE writes every finding; the report kept {}: --max-findings N keeps more)\n",
                          r_.kept_findings.size());
    else if (cut)
      out_ += "  (--json lists them all; --findings FILE writes them as JSON Lines)\n";
  }

  // Alerts by (rule, severity), critical first, from the kept list.
  void alerts() {
    uint64_t raised = 0;
    for (uint64_t n : r_.alerts_raised) raised += n;
    raised = std::max<uint64_t>(raised, r_.alerts.size());
    if (raised == 0) return;
    struct Group {
      std::string_view rule, severity;
      uint64_t count = 0;
      std::vector<const Alert*> examples;
    };
    std::vector<Group> groups;
    std::map<std::pair<std::string_view, std::string_view>, size_t> index;
    for (const Alert& a : r_.alerts) {
      auto [it, fresh] = index.try_emplace({a.rule, a.severity}, groups.size());
      if (fresh) groups.push_back({a.rule, a.severity, 0, {}});
      Group& g = groups[it->second];
      ++g.count;
      if (g.examples.size() < style_.examples_per_group) g.examples.push_back(&a);
    }
    auto rank = [](std::string_view s) { return s == "critical" ? 0 : s == "warning" ? 1 : 2; };
    std::stable_sort(groups.begin(), groups.end(), [&](const Group& a, const Group& b) {
      return rank(a.severity) != rank(b.severity) ? rank(a.severity) < rank(b.severity) : a.count > b.count;
    });
    std::vector<std::string> by_severity;
    for (size_t s = r_.alerts_raised.size(); s-- > 0;)
      if (r_.alerts_raised[s])
        by_severity.push_back(fmt::format("{} {}", r_.alerts_raised[s],
                                          s == 2   ? "critical"
                                          : s == 1 ? "warning"
                                                   : "info"));
    const uint64_t not_kept = r_.diagnostics.alerts_not_kept;
    out_ += fmt::format("alerts: {} raised{}{}, critical first:\n", raised,
                        by_severity.empty() ? "" : fmt::format(" ({})", fmt::join(by_severity, ", ")),
                        not_kept ? fmt::format(", {} not kept and not shown", not_kept) : "");
    size_t shown = 0;
    for (const Group& g : groups) {
      if (shown++ == style_.max_listed) break;
      out_ += fmt::format("  {}: {}\n", escape_text(g.rule),
                          paint(plural(g.count, std::string(g.severity) + " alert"), severity_colour(g.severity)));
      for (const Alert* a : g.examples) {
        std::string labels = labels_text(a->labels);
        out_ += fmt::format("    {} {} {}: {}{}{}\n", format_ts(a->ts),
                            paint(fmt::format("{:<8}", escape_text(a->severity)), severity_colour(a->severity)),
                            escape_text(a->rule), text(a->message), labels.empty() ? "" : " {" + labels + "}",
                            a->suppressed ? fmt::format(" (+{} suppressed)", a->suppressed) : "");
      }
      more(g.count - g.examples.size(), "    ", "alert", "alerts", "");
    }
    if (groups.size() > style_.max_listed)
      more(groups.size() - style_.max_listed, "  ", "rule with alerts", "rules with alerts", "--json lists them");
  }

  // What still waited when the stream ended: counts, then the soonest items.
  void pending() {
    if (!r_.pending_expectations && !r_.pending_timers && r_.pending.empty()) return;
    out_ += fmt::format("pending when the stream ended: {}, {}\n", plural(r_.pending_expectations, "expectation"),
                        plural(r_.pending_timers, "machine timer"));
    out_ += "  (their deadlines did not come; --end-at TIME or --end-at +DURATION lets time pass to fire them)\n";
    size_t shown = 0;
    for (const PendingItem& p : r_.pending) {
      if (shown == style_.max_listed) break;
      ++shown;
      std::string key = labels_text(p.key);
      std::string when = format_ts(p.due);
      if (r_.clock != INT64_MIN) {
        const int64_t left = p.due >= r_.clock ? p.due - r_.clock : -1;
        when += left >= 0 ? fmt::format(" (due {} after the last event)", format_duration(left)) : " (overdue)";
      }
      out_ += fmt::format("  {} {}{}{}: {}\n", escape_text(p.rule), escape_text(p.kind),
                          key.empty() ? "" : " [" + key + "]",
                          p.state.empty() ? "" : " (state " + escape_text(p.state) + ")", when);
    }
    const uint64_t total = r_.pending_expectations + r_.pending_timers;
    if (total > shown)
      more(total - shown, "  ", "pending item", "pending items",
           r_.pending.size() > shown ? fmt::format("--json lists the first {}", r_.pending.size()) : "");
  }

  void metrics() {
    std::vector<const MetricSeries*> counters, histograms;
    for (const MetricSeries& m : r_.metrics) (m.histogram ? histograms : counters).push_back(&m);
    auto series = [&](const MetricSeries& m) {
      std::string labels = labels_text(m.labels);
      return escape_text(m.name) + (labels.empty() ? "" : "{" + labels + "}");
    };
    for (size_t i = 0; i < counters.size() && i < style_.max_metrics; ++i)
      out_ += fmt::format("counter {} = {}\n", series(*counters[i]), counters[i]->value);
    if (counters.size() > style_.max_metrics)
      more(counters.size() - style_.max_metrics, "", "counter", "counters", "--json lists every series");
    for (size_t i = 0; i < histograms.size() && i < style_.max_metrics; ++i) {
      const HistogramSummary& h = histograms[i]->hist;
      std::string q = h.has_quantiles ? fmt::format(", p50 {}, p90 {}, p99 {}", format_number(h.p50),
                                                    format_number(h.p90), format_number(h.p99))
                                      : ", quantiles dropped (sketch budget)";
      out_ += fmt::format("histogram {}: count {}, sum {}, min {}, max {}{}\n", series(*histograms[i]), h.count,
                          format_number(h.sum), format_number(h.min), format_number(h.max), q);
    }
    if (histograms.size() > style_.max_metrics)
      more(histograms.size() - style_.max_metrics, "", "histogram", "histograms", "--json lists every series");
  }

  void diagnostics() {
    const Diagnostics& d = r_.diagnostics;
    out_ += fmt::format(
        "diagnostics: bad_input {}, late {}, missing_field {}, type_error {}, arith_error {}, dropped {}, "
        "sampled_out {}, emitted {}\n",
        d.bad_input, d.late, d.missing_field, d.type_error, d.arith_error, d.dropped, d.sampled_out, d.emitted);
    size_t shown = 0;
    for (const BadLine& b : d.bad_lines) {
      if (shown == style_.max_listed) break;
      ++shown;
      out_ += fmt::format("  line {}: {}\n", b.line, escape_text(b.error));
    }
    if (d.bad_input > shown)
      more(d.bad_input - shown, "  ", "bad line", "bad lines",
           d.bad_lines.size() > shown ? fmt::format("--json lists the first {}", d.bad_lines.size()) : "");
    limit_notes();
  }

  // One line per diagnostics counter that is not zero and not in the main
  // diagnostics line: what it counts and what it means for the results.
  // Collections: what was written where, then what was denied or failed and why.
  void collections() {
    const Diagnostics& d = r_.diagnostics;
    const uint64_t total = r_.collections_written + d.collections_denied + d.collections_failed;
    if (total == 0 && r_.collections.empty()) return;
    std::vector<std::string> parts;
    if (r_.collections_written) parts.push_back(fmt::format("{} written", r_.collections_written));
    if (d.collections_denied) parts.push_back(fmt::format("{} denied", d.collections_denied));
    if (d.collections_failed) parts.push_back(fmt::format("{} failed", d.collections_failed));
    out_ += fmt::format("collections: {}\n", fmt::join(parts, ", "));
    size_t shown = 0;
    for (const Collection& c : r_.collections) {
      if (shown++ == style_.max_listed) {
        more(r_.collections.size() - style_.max_listed, "  ", "collection", "collections", "--json lists them");
        break;
      }
      const bool written = c.status == "written";
      std::string detail;
      if (written)
        detail = c.what.starts_with("recorder ")
                     ? fmt::format("{} ({}, {})", escape_text(c.path), plural(c.events, "event"), plural(c.bytes, "byte"))
                     : fmt::format("{} ({})", escape_text(c.path), plural(c.bytes, "byte"));
      else
        detail = fmt::format("{}: {}", paint(c.status, severity_colour("warning")), escape_text(c.reason));
      out_ += fmt::format("  {} {} {} on {}: {}\n", format_ts(c.ts), escape_text(c.rule), escape_text(c.what),
                          escape_text(c.event), detail);
    }
    if (d.collections_not_kept) out_ += fmt::format("  ({} more not kept)\n", d.collections_not_kept);
  }

  void limit_notes() {
    const Diagnostics& d = r_.diagnostics;
    const EngineOptions& o = opts_;
    auto note = [&](uint64_t n, const char* name, const std::string& what) {
      if (n) out_ += fmt::format("  {} {}: {}\n", name, n, what);
    };
    note(d.degraded_windows, "degraded_windows",
         fmt::format("sliding window keys went over {} samples and now aggregate over 64 time buckets: "
                     "their values are approximate",
                     o.max_window_samples));
    note(d.work_limited, "work_limited",
         fmt::format("events whose follow-up work (timers, derived events, empty windows) went over {} steps: "
                     "the rest of it was skipped",
                     o.max_work_per_step));
    note(d.regex_budget, "regex_budget", "matches() calls that ran out of their step budget: their where was false");
    note(d.evicted_keys, "evicted_keys", "window and machine keys evicted by their cap (least recently seen first)");
    note(d.evicted_expectations, "evicted_expectations", "pending expectations evicted by their cap");
    note(d.metric_series_dropped, "metric_series_dropped",
         fmt::format("count/observe updates for label sets beyond {} series", o.max_metric_series));
    note(d.metric_quantiles_dropped, "metric_quantiles_dropped",
         fmt::format("histogram series whose quantile sketch went over the budget of {} counters: they keep count, "
                     "sum, min and max",
                     o.max_metric_sketch_counters));
    note(d.findings_not_kept, "findings_not_kept",
         fmt::format("findings counted but not listed (beyond the first {}), errors kept before warnings: "
                     "--max-findings N keeps more, --findings FILE writes every one",
                     o.max_kept_findings));
    note(d.alerts_not_kept, "alerts_not_kept",
         fmt::format("alerts counted but not listed (beyond the first {})", o.max_kept_alerts));
    note(d.redacted_observations, "redacted_observations", "observe values not recorded because they were sensitive");
    note(d.enables, "enables", "enable actions ran; a replay has no event sites to turn on, so they were only counted");
    note(d.symbols_overflow, "symbols_overflow",
         fmt::format("event names or field keys read as <other>: the engine remembers {} names", o.max_symbols));
    note(d.callback_errors, "callback_errors", "host callbacks that threw (caught)");
  }
};

}  // namespace

// Floor division without overflow: every int64 is a time.
std::string format_ts(int64_t ns) {
  int64_t secs = ns / kNsPerS, sub = ns % kNsPerS;
  if (sub < 0) secs -= 1, sub += kNsPerS;
  const auto t = static_cast<time_t>(secs);
  std::tm tm{};
  char buf[40];
  if (!gmtime_r(&t, &tm) || !std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm)) return fmt::format("{}ns", ns);
  return fmt::format("{}.{:03}Z", buf, sub / kNsPerMs);
}

std::string format_number(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  if (x == 0) return "0";
  const double m = std::fabs(x);
  if (m < kIntegerBelow && (x == std::trunc(x) || m >= kRoundToIntegerFrom)) return fmt::format("{:.0f}", x);
  return fmt::format("{:.6g}", x);
}

std::string round_floats(std::string_view s) {
  std::string out;
  size_t i = 0, copied = 0;
  while (i < s.size()) {
    // A number starts where a word does not go on: "x=-1.23", not "v1.2" or "1.2.3".
    const bool at_start = i == 0 || !word_char(s[i - 1]);
    const size_t digits_at = s[i] == '-' ? i + 1 : i;
    if (!at_start || digits_at >= s.size() || !digit(s[digits_at])) {
      ++i;
      continue;
    }
    size_t j = digits_at;
    while (j < s.size() && digit(s[j])) ++j;
    size_t decimals = 0;
    if (j + 1 < s.size() && s[j] == '.' && digit(s[j + 1])) {
      ++j;
      while (j < s.size() && digit(s[j])) ++j, ++decimals;
    }
    size_t end = j;
    if (decimals && end < s.size() && (s[end] == 'e' || s[end] == 'E')) {  // an exponent: 1.2345678e-05
      size_t k = end + 1;
      if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
      if (k < s.size() && digit(s[k])) {
        while (k < s.size() && digit(s[k])) ++k;
        end = k;
      }
    }
    const bool whole_token = end == s.size() || !word_char(s[end]);
    double value = 0;
    if (decimals > kRoundAfterDecimals && whole_token &&
        std::from_chars(s.data() + i, s.data() + end, value).ec == std::errc()) {
      out.append(s.substr(copied, i - copied));
      out += format_number(value);
      copied = end;
    }
    i = std::max(end, i + 1);
    while (i < s.size() && word_char(s[i])) ++i;  // the rest of this word or number is not a new start
  }
  out.append(s.substr(copied));
  return out;
}

std::string escape_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0x20 && b < 0x7f) {
      out += s[i++];
      continue;
    }
    switch (b) {
      case '\n':
        out += "\\n";
        ++i;
        continue;
      case '\r':
        out += "\\r";
        ++i;
        continue;
      case '\t':
        out += "\\t";
        ++i;
        continue;
      default:
        break;
    }
    const size_t n = b < 0x80 ? 1 : utf8_length(s, i);
    if (n == 0 || b < 0x80) {  // a C0 control, DEL, or a byte that is not UTF-8
      out += fmt::format("\\x{:02x}", b);
      ++i;
      continue;
    }
    const uint32_t cp = code_point(s, i, n);
    if (invisible_control(cp))
      out += fmt::format("\\u{{{:04x}}}", cp);
    else
      out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string replay_summary(const Report& r, const EngineOptions& opts, const SummaryStyle& style) {
  return Summary(r, opts, style).build();
}

std::string replay_summary(const Report& r, const EngineOptions& opts, size_t max_listed) {
  SummaryStyle style;
  style.max_listed = max_listed;
  return replay_summary(r, opts, style);
}

}  // namespace dta::cli
