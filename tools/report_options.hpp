// The options of `dta replay` about what it reports and how it exits:
//   --findings FILE    every finding as JSON Lines (with its key and its event's fields)
//   --max-findings N   findings kept in the report (errors first)
//   --fail-on LEVEL    exit 1 on findings at or above LEVEL, or alerts of that severity or above
//   --color WHEN       colours in the human summary: auto (default), always, never
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "dta/engine.hpp"
#include "dta/expected.hpp"
#include "replay_summary.hpp"

namespace dta::cli {

enum class ColorMode { Auto, Always, Never };

struct ReportOptions {
  std::string findings_path;  // "" when not asked
  std::optional<size_t> max_findings;
  std::optional<Level> fail_on;  // Error (also `critical`), Warning or Info
  ColorMode color = ColorMode::Auto;
};

// The options from parsed arguments, or what is wrong with one of them.
Expected<ReportOptions> parse_report_options(const Args& args);

// Whether a summary written to `fd` gets colours: --color always or never;
// auto: `fd` is a terminal, NO_COLOR is unset or empty, and TERM is not "dumb".
bool use_color(ColorMode mode, int fd);

// The --findings file: each finding the engine makes, as one JSON line,
// written as it happens (so a run that is stopped keeps what it found).
class FindingsFile {
 public:
  // Creates (or truncates) `path`; the error names the file and the reason.
  static Expected<std::unique_ptr<FindingsFile>> open(const std::string& path);
  ~FindingsFile();
  FindingsFile(const FindingsFile&) = delete;
  FindingsFile& operator=(const FindingsFile&) = delete;

  // Makes the engine carry event fields on findings and write each finding
  // here, then call the on_finding callback that was already set, if any.
  void attach(EngineOptions& opts);
  // Flushes and closes the file: the number of lines written, or the first
  // write error.
  Expected<uint64_t> close();

 private:
  FindingsFile(std::FILE* f, std::string path) : f_(f), path_(std::move(path)) {}
  void write(const Finding& finding);
  std::FILE* f_;
  std::string path_;
  uint64_t lines_ = 0;
  int error_ = 0;  // errno of the first failed write
};

// Everything the options change before a run: the kept findings cap, the
// findings file. The error names what could not be done.
Expected<std::unique_ptr<FindingsFile>> apply_report_options(const ReportOptions& ro, EngineOptions& opts);

// The summary's style under these options for output on `fd`.
SummaryStyle summary_style(const ReportOptions& ro, int fd, size_t max_listed);

// The exit status of a run: 1 when the verdict fails, or the --fail-on gate
// does; else 0.
int replay_exit_status(const Report& r, const ReportOptions& ro);

}  // namespace dta::cli
