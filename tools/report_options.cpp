// `dta replay`'s report options: the findings file, the kept findings cap,
// the --fail-on gate and colours.
#include "report_options.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "dta/report_json.hpp"

namespace dta::cli {
namespace {

// The findings file is written through a large buffer: a run may write millions of lines.
constexpr size_t kFindingsBuffer = size_t{1} << 20;

}  // namespace

Expected<ReportOptions> parse_report_options(const Args& args) {
  ReportOptions ro;
  if (args.has("findings")) {
    ro.findings_path = args.get("findings");
    if (ro.findings_path.empty()) return fail("--findings needs a file name");
    if (ro.findings_path == "-")
      return fail("--findings needs a file name ('-' is not one: standard output carries the report)");
  }
  if (args.has("max-findings")) {
    const std::string v = args.get("max-findings");
    size_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size())
      return fail(fmt::format("--max-findings wants a count of findings (0 or more), not '{}'", v));
    ro.max_findings = n;
  }
  if (args.has("fail-on")) {
    const std::string v = args.get("fail-on");
    if (v == "error" || v == "critical")
      ro.fail_on = Level::Error;
    else if (v == "warning")
      ro.fail_on = Level::Warning;
    else if (v == "info")
      ro.fail_on = Level::Info;
    else
      return fail(fmt::format("--fail-on wants info, warning, error or critical, not '{}'", v));
  }
  if (args.has("color")) {
    const std::string v = args.get("color");
    if (v == "auto")
      ro.color = ColorMode::Auto;
    else if (v == "always")
      ro.color = ColorMode::Always;
    else if (v == "never")
      ro.color = ColorMode::Never;
    else
      return fail(fmt::format("--color wants auto, always or never, not '{}'", v));
  }
  return ro;
}

bool use_color(ColorMode mode, int fd) {
  if (mode != ColorMode::Auto) return mode == ColorMode::Always;
  const char* no_color = std::getenv("NO_COLOR");  // https://no-color.org: set and not empty
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return false;
  return isatty(fd) == 1;
}

Expected<std::unique_ptr<FindingsFile>> FindingsFile::open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return fail(fmt::format("{}: error: cannot write the findings file: {}", path, std::strerror(errno)));
  std::setvbuf(f, nullptr, _IOFBF, kFindingsBuffer);
  return std::unique_ptr<FindingsFile>(new FindingsFile(f, path));
}

FindingsFile::~FindingsFile() {
  if (f_) std::fclose(f_);
}

void FindingsFile::attach(EngineOptions& opts) {
  opts.finding_fields = true;
  opts.on_finding = [this, next = std::move(opts.on_finding)](const Finding& finding) {
    write(finding);
    if (next) next(finding);
  };
}

void FindingsFile::write(const Finding& finding) {
  if (error_ || !f_) return;
  const std::string line = finding_json_line(finding);
  if (std::fwrite(line.data(), 1, line.size(), f_) != line.size())
    error_ = errno ? errno : EIO;
  else
    ++lines_;
}

Expected<uint64_t> FindingsFile::close() {
  if (f_) {
    if (std::fflush(f_) != 0 && !error_) error_ = errno ? errno : EIO;
    if (std::fclose(f_) != 0 && !error_) error_ = errno ? errno : EIO;
    f_ = nullptr;
  }
  if (error_) return fail(fmt::format("{}: error: writing the findings file failed: {}", path_, std::strerror(error_)));
  return lines_;
}

Expected<std::unique_ptr<FindingsFile>> apply_report_options(const ReportOptions& ro, EngineOptions& opts) {
  if (ro.max_findings) opts.max_kept_findings = *ro.max_findings;
  if (ro.findings_path.empty()) return std::unique_ptr<FindingsFile>();
  auto file = FindingsFile::open(ro.findings_path);
  if (file) (*file)->attach(opts);
  return file;
}

SummaryStyle summary_style(const ReportOptions& ro, int fd, size_t max_listed) {
  SummaryStyle style;
  style.color = use_color(ro.color, fd);
  style.max_listed = max_listed;
  style.fail_on = ro.fail_on;
  return style;
}

int replay_exit_status(const Report& r, const ReportOptions& ro) {
  const bool failed = ro.fail_on ? r.fails_at(*ro.fail_on) : r.failed();
  return failed ? kExitFail : kExitPass;
}

}  // namespace dta::cli
