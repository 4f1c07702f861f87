// `dta replay`: a policy over recorded or live JSON Lines streams, with a report.
#include <fmt/format.h>

#include <cstdio>

#include "cli_common.hpp"
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
  if (*findings_file)
    if (auto closed = (*findings_file)->close(); !closed) {
      std::fprintf(stderr, "%s\n", closed.error().c_str());
      return kExitInvalid;
    }
  return replay_exit_status(report, *report_opts);
}

}  // namespace dta::cli
