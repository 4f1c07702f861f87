// The human summary of `dta replay`.
#include "replay_summary.hpp"

#include <algorithm>
#include <ctime>
#include <fmt/format.h>

namespace dta::cli {
namespace {

// One line per diagnostics counter that is not zero and not in the main
// diagnostics line: what it counts and what it means for the results.
std::string limit_notes(const Diagnostics& d, const EngineOptions& o) {
  std::string out;
  auto note = [&](uint64_t n, const char* name, const std::string& what) {
    if (n) out += fmt::format("  {} {}: {}\n", name, n, what);
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
  note(d.findings_not_kept, "findings_not_kept",
       fmt::format("findings counted but not listed (beyond the first {})", o.max_kept_findings));
  note(d.alerts_not_kept, "alerts_not_kept",
       fmt::format("alerts counted but not listed (beyond the first {})", o.max_kept_alerts));
  return out;
}

}  // namespace

// Floor division without overflow: every int64 is a time.
std::string format_ts(int64_t ns) {
  int64_t secs = ns / 1000000000, sub = ns % 1000000000;
  if (sub < 0) secs -= 1, sub += 1000000000;
  const auto t = static_cast<time_t>(secs);
  std::tm tm{};
  char buf[40];
  if (!gmtime_r(&t, &tm) || !std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm)) return fmt::format("{}ns", ns);
  return fmt::format("{}.{:03}Z", buf, sub / 1000000);
}

std::string replay_summary(const Report& r, const EngineOptions& opts, size_t max_listed) {
  std::string out = fmt::format("policy {}{}: {} events: {}\n", r.policy,
                                r.profile.empty() ? "" : " (profile " + r.profile + ")", r.events,
                                r.failed() ? "FAIL" : "PASS");
  out += fmt::format("findings: {} error, {} warning, {} info, {} ok\n", r.findings[0], r.findings[1], r.findings[2],
                     r.findings[3]);
  size_t width = 4;
  for (const RuleReport& rr : r.rules) width = std::max(width, rr.name.size());
  out += "rules:\n";
  for (const RuleReport& rr : r.rules) {
    out += fmt::format("  {:<{}}  {:<7}  matched {:>8}  fired {:>8}", rr.name, width, level_name(rr.level), rr.matched,
                       rr.fired);
    if (rr.missing_field + rr.type_error + rr.arith_error)
      out += fmt::format("  (misses: {} missing field, {} type, {} arith)", rr.missing_field, rr.type_error,
                         rr.arith_error);
    out += '\n';
  }
  if (!r.kept_findings.empty()) {
    out += fmt::format("findings{}:\n", r.kept_findings.size() > max_listed ? fmt::format(" (first {})", max_listed) : "");
    for (size_t i = 0; i < r.kept_findings.size() && i < max_listed; ++i) {
      const Finding& f = r.kept_findings[i];
      out += fmt::format("  {} {:<7} {}: {}\n", format_ts(f.ts), level_name(f.level), f.rule, f.message);
    }
  }
  if (!r.alerts.empty()) {
    out += fmt::format("alerts ({}):\n", r.alerts.size());
    for (size_t i = 0; i < r.alerts.size() && i < max_listed; ++i) {
      const Alert& a = r.alerts[i];
      std::string labels;
      for (const auto& [k, v] : a.labels) labels += fmt::format("{}{}={}", labels.empty() ? "" : ",", k, v);
      out += fmt::format("  {} {:<8} {}: {}{}{}\n", format_ts(a.ts), a.severity, a.rule, a.message,
                         labels.empty() ? "" : " {" + labels + "}",
                         a.suppressed ? fmt::format(" (+{} suppressed)", a.suppressed) : "");
    }
  }
  if (r.pending_expectations) out += fmt::format("pending: {} expectations\n", r.pending_expectations);
  for (const auto& [k, v] : r.counters) out += fmt::format("counter {} = {}\n", k, v);
  for (const auto& [k, h] : r.histograms)
    out += fmt::format("histogram {}: count {} sum {} min {} max {}\n", k, h.count, h.sum, h.min, h.max);
  const Diagnostics& d = r.diagnostics;
  out += fmt::format(
      "diagnostics: bad_input {}, late {}, missing_field {}, type_error {}, arith_error {}, dropped {}, sampled_out {}, "
      "emitted {}\n",
      d.bad_input, d.late, d.missing_field, d.type_error, d.arith_error, d.dropped, d.sampled_out, d.emitted);
  for (const BadLine& b : d.bad_lines) out += fmt::format("  line {}: {}\n", b.line, b.error);
  out += limit_notes(d, opts);
  return out;
}

}  // namespace dta::cli
