// JSON Lines input (spec section 1): one event per line. JSON is only the file
// format: lines become dta::Event objects and nothing downstream sees JSON.
//
// Under "fields": a null value leaves the field out; an object is flattened
// into dotted names ({"http": {"status": 500}} gives "http.status"); an array
// is kept as its compact JSON text, numbers as written; a repeated key keeps
// its last value (an object value replaces the whole earlier value, as jq).
// Integers beyond int64 and numbers with a fraction or exponent are floats
// (1e999 is +inf, as JavaScript reads it). Invalid UTF-8 and lone surrogate
// escapes become U+FFFD: the event is kept. A line may nest 64 levels and
// hold 64 MiB; beyond either it is bad input. A numeric "ts" is integer
// nanoseconds, or, with a time unit (JsonlOptions), any number of that unit.
// Files, compressed input, following and merging: input.hpp.
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "dta/engine.hpp"
#include "dta/event.hpp"

namespace dta {

// Bytes of one line: bounds the memory one event takes while it is read (and
// keeps the event's string offsets well inside 32 bits). A longer line is bad
// input, and its bytes are skipped up to its end.
constexpr size_t kMaxJsonlLineBytes = size_t{64} << 20;

// The unit of a numeric "ts". Nanoseconds is the spec's; the others read the
// epoch times other tools write (`strace -ttt`, `time.time()`, JavaScript's
// Date.now()).
enum class TimeUnit : uint8_t { Ns, Us, Ms, S };

// The unit named "ns", "us", "ms" or "s"; false for any other text.
bool parse_time_unit(std::string_view text, TimeUnit* unit);
// The name of a unit ("s" ...).
const char* time_unit_name(TimeUnit unit);
// Nanoseconds in one unit (1 for ns, 1e9 for s).
int64_t time_unit_ns(TimeUnit unit);

// How lines are read.
struct JsonlOptions {
  // The unit of a numeric "ts". When `unit_given`, a numeric "ts" may also
  // have a fraction or an exponent ("1800000000.5" seconds), read exactly
  // from its digits and truncated to whole nanoseconds; otherwise only an
  // integer count of nanoseconds is a time, as the spec says.
  TimeUnit ts_unit = TimeUnit::Ns;
  bool unit_given = false;
};

// Parses single lines into events, reusing its memory between lines.
class JsonlParser {
 public:
  explicit JsonlParser(Interner& names, const JsonlOptions& options = {});
  ~JsonlParser();
  // Fills ev from one line. On failure returns false and says why in *error
  // (valid UTF-8, a short quote of the bad value at most). Never throws.
  bool parse(std::string_view line, Event& ev, std::string* error);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses an RFC 3339 timestamp ("2026-11-26T10:00:01.250Z", offsets allowed)
// into ns since the epoch; false when it is malformed or outside the int64 ns
// range (1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z).
bool parse_rfc3339(std::string_view s, int64_t* ns);

// Feeds every line of `in` to `engine`: valid events are processed, bad lines
// counted with their line numbers. Every byte is read as JSON Lines text (no
// decompression, no binary check: EventInput does those). Blank lines (spaces, tabs, a CR) are
// skipped but numbered; a UTF-8 byte order mark at the start is skipped.
// `progress` (may be empty) is called now and then with the bytes read so
// far. Returns false when reading failed.
bool replay_stream(std::FILE* in, Engine& engine,
                   const std::function<void(uint64_t bytes)>& progress, std::string* error);

}  // namespace dta
