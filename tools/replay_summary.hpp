// The human summary `dta replay` prints (without --json), and the pieces of
// text it is made of, which anything printing for people should use: event
// data escaped so it cannot drive the terminal, durations as durations,
// floats rounded.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dta/engine.hpp"
#include "dta/report.hpp"

namespace dta::cli {

// An event time as RFC 3339 UTC with milliseconds; any int64 (1677-09-21 to
// 2262-04-11) formats without overflow.
std::string format_ts(int64_t ns);

// A float for people: integers as integers, magnitudes from 1e6 to 1e15
// rounded to an integer, others to 6 significant digits ("1817.2",
// "48847.7", "0.3"); "inf", "-inf", "nan".
std::string format_number(double x);

// Text with every float written with more than 6 decimals ("1817.1961994449757")
// rounded as format_number does; other text (versions, addresses, ids) as it is.
std::string round_floats(std::string_view text);

// Text from events or policies, safe to print on a terminal: control
// characters (C0, DEL, C1), line and paragraph separators and bidirectional
// overrides are written as escapes (\n, \t, \r, \x1b, \u{202e}), so a value can
// neither move the cursor, clear the screen, nor start a line of its own.
std::string escape_text(std::string_view text);

// How the summary looks.
struct SummaryStyle {
  bool color = false;             // ANSI colours (cli::use_color decides)
  size_t max_listed = 20;         // entries of each list: finding groups, alert groups, pending items, bad lines
  size_t examples_per_group = 3;  // findings or alerts shown under each rule
  size_t max_metrics = 50;        // counters, then histograms, listed
  std::optional<Level> fail_on;   // --fail-on: the summary says when it fails a passing verdict
};

// The summary of a replay run with `opts`: verdict, rules, findings grouped
// by rule (errors first) with a few examples each, alerts grouped likewise,
// what was pending at the end, metrics, and diagnostics, with a line of
// explanation for each limit that was reached. Every list that is cut short
// says how many more there are.
std::string replay_summary(const Report& r, const EngineOptions& opts, const SummaryStyle& style);
// The same without colours, listing `max_listed` entries per list.
std::string replay_summary(const Report& r, const EngineOptions& opts, size_t max_listed);

}  // namespace dta::cli
