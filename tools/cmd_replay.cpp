// `dta replay`: a policy over recorded or live JSON Lines streams, with a report.
#include <fmt/format.h>

#include <cstdio>

#include "cli_common.hpp"
#include "dta/delivery.hpp"
#include "dta/engine.hpp"
#include "dta/report_json.hpp"
#include "help.hpp"
#include "live_output.hpp"
#include "replay_inputs.hpp"
#include "replay_notes.hpp"
#include "replay_summary.hpp"
#include "report_options.hpp"

namespace dta::cli {
namespace {

constexpr size_t kListed = 20;  // findings, alerts and pending items the summary lists: a screenful
// How long a replay waits at its end for its alerts to be delivered: the
// retries of a server that is down must not hold a CI job for long.
constexpr auto kDeliveryWait = std::chrono::seconds(10);

// The sinks --alertmanager and --alerts-file ask for, attached to the
// engine's alerts (after the callbacks already set); the error names the option.
Expected<std::vector<std::shared_ptr<AlertSink>>> attach_alert_sinks(const Args& args, EngineOptions& opts) {
  std::vector<std::shared_ptr<AlertSink>> sinks;
  if (args.has("alertmanager")) {
    auto s = make_alertmanager_sink(args.get("alertmanager"));
    if (!s) return fail("--alertmanager: " + s.error());
    sinks.push_back(*s);
  }
  if (args.has("alerts-file")) {
    auto s = make_jsonl_alert_sink(args.get("alerts-file"));
    if (!s) return fail("--alerts-file: " + s.error());
    sinks.push_back(*s);
  }
  if (!sinks.empty())
    opts.on_alert = [prev = std::move(opts.on_alert), sinks](const Alert& a) {
      if (prev) prev(a);
      for (const auto& s : sinks) s->submit(a);
    };
  return sinks;
}

// Waits (bounded) for the sinks to deliver, then says on stderr what could
// not be delivered. The verdict does not depend on it.
void finish_delivery(const std::vector<std::shared_ptr<AlertSink>>& sinks) {
  const auto end = std::chrono::steady_clock::now() + kDeliveryWait;
  for (const auto& s : sinks) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    const bool settled = s->flush(std::max(left, std::chrono::milliseconds(0)));
    const DeliveryStats st = s->stats();
    if (settled && st.dropped == 0) continue;
    std::fprintf(stderr, "warning: alert delivery to %s: %llu of %llu alerts delivered, %llu dropped%s%s%s%s\n",
                 s->name().c_str(), static_cast<unsigned long long>(st.sent),
                 static_cast<unsigned long long>(st.submitted), static_cast<unsigned long long>(st.dropped),
                 settled ? "" : fmt::format(", {} still queued after {} s", st.queued, kDeliveryWait.count()).c_str(),
                 st.failed_attempts ? fmt::format(", {} failed attempts", st.failed_attempts).c_str() : "",
                 st.last_error.empty() ? "" : "; last error: ", st.last_error.c_str());
  }
}

// The report on stdout: JSON, one JSON line after the live ones, or the
// human summary with what is still pending.
void print_report(const Report& report, const Args& args, const EngineOptions& opts, LiveOutput& live,
                  const ReportOptions& ro) {
  if (args.has("json-lines")) return live.report(report);
  const std::string text =
      args.has("json") ? report_to_json(report) : replay_summary(report, opts, summary_style(ro, fileno(stdout), kListed));
  std::fwrite(text.data(), 1, text.size(), stdout);
}

// Warnings and notes after the report, on stderr: input notes, then fields
// the policy reads that no event carried.
void print_notes(const FeedResult& fed, const CarriedFields& carried, const Report& report) {
  std::fflush(stdout);
  for (const std::string& n : fed.notes) std::fprintf(stderr, "%s\n", n.c_str());
  if (report.events == 0) return;
  for (const std::string& w : carried.warnings()) std::fprintf(stderr, "warning: %s\n", w.c_str());
}

}  // namespace

int cmd_replay(int argc, char** argv) {
  const CommandDoc& doc = *find_command("replay");
  const Expected<Args> parsed = parse_command_args(argc, argv, doc);
  if (!parsed) return usage_error(doc, parsed.error());
  const Args& args = *parsed;
  const Expected<ReportOptions> report_opts = parse_report_options(args);  // --findings, --fail-on, ...
  if (!report_opts) return usage_error(doc, report_opts.error());
  if (args.positional.size() < 2) return usage_error(doc, "expected a policy and at least one events file");
  if (args.has("json") && args.has("json-lines")) return usage_error(doc, "--json and --json-lines: choose one");
  const Expected<InputSettings> settings =
      input_settings(args, std::vector<std::string>(args.positional.begin() + 1, args.positional.end()));
  if (!settings) return usage_error(doc, settings.error());
  const std::string& policy_path = args.positional[0];
  auto prog = load(policy_path, args.has("Werror"));
  if (!prog) return kExitInvalid;
  EngineOptions opts;
  opts.profile = args.get("profile");
  auto findings_file = apply_report_options(*report_opts, opts);  // --findings, --max-findings
  if (!findings_file) {
    std::fprintf(stderr, "%s\n", findings_file.error().c_str());
    return kExitInvalid;
  }
  // Findings and alerts as they happen: --json-lines always, --follow unless the output is one JSON report.
  // Collections go under --out (default dta-out), created only when something is collected.
  CollectOptions collect;
  if (args.has("out")) collect.dir = args.get("out");
  if (collect.dir.empty()) return usage_error(doc, "--out needs a directory");
  opts.collect = directory_sink(std::move(collect));
  LiveOutput live(stdout, args.has("json-lines"));
  if (args.has("json-lines") || (settings->follow && !args.has("json"))) attach_live_output(opts, &live);
  auto sinks = attach_alert_sinks(args, opts);  // --alertmanager, --alerts-file
  if (!sinks) return usage_error(doc, sinks.error());
  std::string err;
  auto engine = Engine::create(prog, opts, &err);
  if (!engine) {
    std::fprintf(stderr, "%s: error: %s\n", policy_path.c_str(), err.c_str());
    return kExitInvalid;
  }
  CarriedFields carried(*prog, engine->symbols());
  const FeedResult fed = run_inputs(*engine, *settings, &carried);
  if (fed.exit >= 0) return fed.exit;
  const Report report = engine->report();
  print_report(report, args, opts, live, *report_opts);
  print_notes(fed, carried, report);
  finish_delivery(*sinks);
  if (*findings_file)
    if (auto closed = (*findings_file)->close(); !closed) {
      std::fprintf(stderr, "%s\n", closed.error().c_str());
      return kExitInvalid;
    }
  return replay_exit_status(report, *report_opts);
}

}  // namespace dta::cli
