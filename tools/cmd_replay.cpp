// `dta replay`: a policy over a recorded JSON Lines stream, with a report.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_common.hpp"
#include "dta/engine.hpp"
#include "dta/jsonl.hpp"
#include "dta/report_json.hpp"

namespace dta::cli {
namespace {

constexpr uint64_t kProgressMinBytes = 4u << 20;  // smaller inputs finish before a bar helps

std::string format_ts(int64_t ns) {
  const time_t secs = static_cast<time_t>(ns >= 0 ? ns / 1000000000 : (ns - 999999999) / 1000000000);
  const int64_t ms = (ns - static_cast<int64_t>(secs) * 1000000000) / 1000000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buf, ms);
}

std::string summary(const Report& r, size_t max_findings) {
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
    out += fmt::format("findings{}:\n", r.kept_findings.size() > max_findings ? fmt::format(" (first {})", max_findings) : "");
    for (size_t i = 0; i < r.kept_findings.size() && i < max_findings; ++i) {
      const Finding& f = r.kept_findings[i];
      out += fmt::format("  {} {:<7} {}: {}\n", format_ts(f.ts), level_name(f.level), f.rule, f.message);
    }
  }
  if (!r.alerts.empty()) {
    out += fmt::format("alerts ({}):\n", r.alerts.size());
    for (size_t i = 0; i < r.alerts.size() && i < max_findings; ++i) {
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
  return out;
}

}  // namespace

int cmd_replay(int argc, char** argv) {
  Args args;
  std::string err;
  if (!parse_args(argc, argv, 2, {"profile", "out"}, {"json"}, &args, &err) || args.positional.size() != 2) {
    std::fprintf(stderr,
                 "dta replay: %s\nusage: dta replay POLICY EVENTS [--profile P] [--out DIR] [--json]\n",
                 err.empty() ? "expected a policy and an events file" : err.c_str());
    return kExitInvalid;
  }
  const std::string& policy_path = args.positional[0];
  const std::string& events_path = args.positional[1];
  auto prog = load(policy_path);
  if (!prog) return kExitInvalid;
  EngineOptions opts;
  opts.profile = args.get("profile");
  auto engine = Engine::create(prog, opts, &err);
  if (!engine) {
    std::fprintf(stderr, "%s: error: %s\n", policy_path.c_str(), err.c_str());
    return kExitInvalid;
  }
  std::FILE* in = events_path == "-" ? stdin : std::fopen(events_path.c_str(), "rb");
  if (!in) {
    std::fprintf(stderr, "%s: error: cannot open events file: %s\n", events_path.c_str(), std::strerror(errno));
    return kExitInvalid;
  }
  struct stat st{};
  const uint64_t total = in != stdin && fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0;
  const bool bar = total >= kProgressMinBytes && isatty(fileno(stderr));
  auto progress = [&](uint64_t bytes) {
    const int pct = static_cast<int>(bytes * 100 / total);
    const int fill = pct * 30 / 100;
    std::fprintf(stderr, "\r[%.*s%*s] %3d%% %llu MB", fill, "##############################", 30 - fill, "", pct,
                 static_cast<unsigned long long>(bytes >> 20));
  };
  const bool read_ok = replay_stream(in, *engine, bar ? std::function<void(uint64_t)>(progress) : nullptr, &err);
  if (bar) std::fputs("\r\033[K", stderr);
  if (in != stdin) std::fclose(in);
  if (!read_ok) {
    std::fprintf(stderr, "%s: error: %s\n", events_path.c_str(), err.c_str());
    return kExitInvalid;
  }
  engine->finish();
  const Report report = engine->report();
  const std::string text = args.has("json") ? report_to_json(report) : summary(report, 20);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return report.failed() ? kExitFail : kExitPass;
}

}  // namespace dta::cli
