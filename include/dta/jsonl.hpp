// JSON Lines input (spec section 1): one event per line. JSON is only the file
// format: lines become dta::Event objects and nothing downstream sees JSON.
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

// Parses single lines into events, reusing its memory between lines.
class JsonlParser {
 public:
  explicit JsonlParser(Interner& names);
  ~JsonlParser();
  // Fills ev from one line. On failure returns false and says why in *error.
  bool parse(std::string_view line, Event& ev, std::string* error);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses an RFC 3339 timestamp ("2026-11-26T10:00:01.250Z", offsets allowed)
// into ns since the epoch.
bool parse_rfc3339(std::string_view s, int64_t* ns);

// Feeds every line of `in` to `engine`: valid events are processed, bad lines
// counted with their line numbers. `progress` (may be empty) is called now and
// then with the bytes read so far. Returns false when reading failed.
bool replay_stream(std::FILE* in, Engine& engine,
                   const std::function<void(uint64_t bytes)>& progress, std::string* error);

}  // namespace dta
