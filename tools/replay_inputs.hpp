// `dta replay`'s inputs: the events files (several merged in time order,
// plain or compressed), their time unit, how many bad lines are too many,
// the time range replayed, following live streams, and when time ends.
// The loop here feeds the engine; cmd_replay.cpp prints the report.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "dta/engine.hpp"
#include "dta/jsonl.hpp"
#include "replay_notes.hpp"

namespace dta::cli {

struct InputSettings {
  std::vector<std::string> paths;         // "-": standard input
  JsonlOptions jsonl;                     // --ts-unit
  bool follow = false;                    // --follow
  bool allow_empty = false;               // --allow-empty
  int64_t lateness = 1000000000;          // --lateness: how far the wall-clock driven clock stays behind
  std::optional<uint64_t> max_bad_count;  // --max-bad N
  std::optional<double> max_bad_share;    // --max-bad P% (a fraction)
  std::string max_bad_text;
  std::optional<int64_t> since, until;  // --since, --until (ns)
  std::optional<int64_t> end_at;        // --end-at TIME
  std::optional<int64_t> end_after;     // --end-at +DURATION
};

// The settings from parsed arguments and the events files; what is wrong
// with them otherwise.
Expected<InputSettings> input_settings(const Args& args, std::vector<std::string> paths);

// How feeding the engine went.
struct FeedResult {
  int exit = -1;                   // >= 0: stop with this exit code (the reason is on stderr already)
  bool interrupted = false;        // SIGINT or SIGTERM while following
  std::vector<std::string> notes;  // warnings and notes to print after the report
};

// Opens every input, feeds their merged events to `engine` (the time range,
// --max-bad, and while following: waiting, the clock moving with wall time
// on a quiet stream, SIGINT/SIGTERM), then lets time pass to --end-at,
// finishes the engine and checks the inputs (an input with only bad lines,
// an empty one, too many bad lines exit 2). Errors go to stderr at once;
// `carried` (may be null) notes the fields events carried.
FeedResult run_inputs(Engine& engine, const InputSettings& settings, CarriedFields* carried);

// "30s", "1.5h", "250ms" (ns us ms s m h d) as nanoseconds.
Expected<int64_t> parse_duration(std::string_view text);
// A time: RFC 3339, a date (UTC midnight), a number in `unit`, or when
// `past` is allowed, -DURATION before `now_ns`.
Expected<int64_t> parse_time(std::string_view text, TimeUnit unit, bool past, int64_t now_ns);

}  // namespace dta::cli
