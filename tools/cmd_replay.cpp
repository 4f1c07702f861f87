// `dta replay`: a policy over a recorded JSON Lines stream, with a report.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_common.hpp"
#include "dta/engine.hpp"
#include "dta/jsonl.hpp"
#include "dta/report_json.hpp"
#include "replay_summary.hpp"
#include "report_options.hpp"

namespace dta::cli {
namespace {

constexpr uint64_t kProgressMinBytes = 4u << 20;  // smaller inputs finish before a bar helps
constexpr size_t kListed = 20;                    // findings and alerts the summary lists: a screenful

}  // namespace

int cmd_replay(int argc, char** argv) {
  std::vector<std::string> with_value = {"profile", "out"};
  with_value.insert(with_value.end(), report_option_names().begin(), report_option_names().end());
  const Expected<Args> parsed = parse_args(argc, argv, 2, with_value, {"json"});
  const Expected<ReportOptions> report_opts = parsed ? parse_report_options(*parsed) : fail(parsed.error());
  if (!parsed || !report_opts || parsed->positional.size() != 2) {
    std::fprintf(stderr,
                 "dta replay: %s\nusage: dta replay POLICY EVENTS [--profile P] [--out DIR] [--json] %s\n",
                 !report_opts ? report_opts.error().c_str() : "expected a policy and an events file",
                 report_options_usage());
    return kExitInvalid;
  }
  const Args& args = *parsed;
  std::string err;
  const std::string& policy_path = args.positional[0];
  const std::string& events_path = args.positional[1];
  auto prog = load(policy_path);
  if (!prog) return kExitInvalid;
  EngineOptions opts;
  opts.profile = args.get("profile");
  auto findings_file = apply_report_options(*report_opts, opts);  // --findings, --max-findings
  if (!findings_file) {
    std::fprintf(stderr, "%s\n", findings_file.error().c_str());
    return kExitInvalid;
  }
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
  const std::string text = args.has("json")
                               ? report_to_json(report)
                               : replay_summary(report, opts, summary_style(*report_opts, fileno(stdout), kListed));
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (*findings_file)
    if (auto closed = (*findings_file)->close(); !closed) {
      std::fprintf(stderr, "%s\n", closed.error().c_str());
      return kExitInvalid;
    }
  return replay_exit_status(report, *report_opts);
}

}  // namespace dta::cli
