// Findings and alerts printed as they happen (`dta replay --follow`,
// `--json-lines`): one line each, for people or as one JSON object each
// for other tools.
#pragma once
#include <cstdio>
#include <string>
#include <string_view>

#include "dta/engine.hpp"
#include "dta/report.hpp"

namespace dta::cli {

// `s` safe to print on a terminal: control characters (C0, DEL, C1), and
// the bidirectional overrides that reorder what a reader sees, written as
// escapes (`\n`, `\x1b`, `\u{202e}`), so event data can neither move the
// cursor, clear the screen nor forge a line. Invalid UTF-8 becomes `\xNN`.
std::string escape_for_terminal(std::string_view s);

// One finding or alert as a line of text (no newline): time, level or
// severity, rule, message and key, every piece of event data escaped.
std::string finding_line(const Finding& f);
std::string alert_line(const Alert& a);
// The same as one JSON object each (no newline): {"type": "finding", ...}.
std::string finding_json(const Finding& f);
std::string alert_json(const Alert& a);

// Prints findings (all but bare `ok`) and raised alerts to `out` as they
// happen, flushed line by line, as text or JSON Lines.
class LiveOutput {
 public:
  LiveOutput(std::FILE* out, bool json) : out_(out), json_(json) {}
  void finding(const Finding& f);
  void alert(const Alert& a);
  // --json-lines: the final report as one more line, {"type": "report", "report": {...}}.
  void report(const Report& r);

 private:
  void put(const std::string& line);
  std::FILE* out_;
  const bool json_;
};

// Makes the engine's callbacks print to `live` (after any callback already set).
void attach_live_output(EngineOptions& opts, LiveOutput* live);

}  // namespace dta::cli
