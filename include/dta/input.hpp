// Event inputs: JSON Lines files, plain or compressed (gzip, zstd: detected
// from their first bytes, whatever their name), standard input, files that
// are still growing (follow, as `tail -F`), and several inputs merged in time
// order. Binary data, other compressed formats and directories are refused
// with one message that says what the input is, instead of one bad line per
// line of garbage. Nothing here prints or throws.
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "dta/event.hpp"
#include "dta/expected.hpp"
#include "dta/jsonl.hpp"

namespace dta {

struct InputOptions {
  JsonlOptions jsonl;
  // At the end of a file, wait for more (EventInput::next says Wait) instead
  // of ending; a truncated file is read again from its start, a replaced one
  // (log rotation) is reopened. A pipe or terminal ends when its writer closes it.
  bool follow = false;
  // Recognise gzip and zstd (and decompress them), other compressed formats
  // and binary data, from the first bytes. Off: every byte is JSON Lines text.
  bool detect = true;
};

// What one input held so far.
struct InputStats {
  uint64_t lines = 0;                              // lines read, blank ones included (numbers of bad lines count them)
  uint64_t events = 0;                             // valid events
  uint64_t bad = 0;                                // lines that were not valid events
  uint64_t raw_bytes = 0;                          // bytes read from the file (compressed ones for a compressed file)
  uint64_t size = 0;                               // the file's size when it is a regular file, else 0
  int64_t min_ts = INT64_MAX, max_ts = INT64_MIN;  // over the valid events
  std::string first_bad;                           // the start of the first bad line, for messages (valid UTF-8)
  const char* format = "";                         // "plain", "gzip" or "zstd" once known
};

// One events file, read line by line into events.
class EventInput {
 public:
  // What next() found.
  enum class Status : uint8_t {
    Event,  // an event (in the Event given to next())
    Bad,    // a line that is not an event: line() and error() say which and why
    Wait,   // follow: nothing more for now
    End,    // the input ended
    Error,  // it cannot be read (unreadable, corrupt compressed data, binary): error() says why; nothing follows
  };

  // Opens `path` ("-": standard input, named "<stdin>"). Fails, saying why,
  // when it cannot be opened or is a directory.
  static Expected<std::unique_ptr<EventInput>> open(const std::string& path, Interner& names,
                                                    const InputOptions& options);
  // Reads a stdio stream (not closed here), named `display` in messages.
  static std::unique_ptr<EventInput> from_stdio(std::FILE* in, const std::string& display, Interner& names,
                                                const InputOptions& options);
  ~EventInput();
  EventInput(const EventInput&) = delete;
  EventInput& operator=(const EventInput&) = delete;

  // The next event or bad line. Events use `names` (the engine's table).
  Status next(Event& ev);
  // The line number of the last Bad line (lines count from 1, blank ones included).
  uint64_t line() const;
  // Why the last line was bad, or why reading failed.
  const std::string& error() const;
  // How the input is named in messages.
  const std::string& name() const;
  const InputStats& stats() const;
  // A descriptor that poll() reports readable when a waiting pipe or
  // terminal has data; -1 for files (poll them again after a while).
  int wait_fd() const;
  // Something the user may want to know that is not an error ("truncated:
  // reading it again from the start"); empty when none. Cleared by the call.
  std::string take_notice();

  struct Impl;

 private:
  explicit EventInput(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Several inputs merged in time order: each input is in time order (a late
// event stays late), and the next event is the earliest of the inputs'
// next ones, ties in the order the inputs were added. While following, an
// input that waits does not hold the others back: events are merged as far
// as what has arrived allows.
class MergedInput {
 public:
  using Status = EventInput::Status;
  MergedInput();
  ~MergedInput();
  MergedInput(const MergedInput&) = delete;
  MergedInput& operator=(const MergedInput&) = delete;

  void add(std::unique_ptr<EventInput> input);
  // The next event (*ev points at it until the next call), a bad line or an
  // error of input source(), Wait when every input still open waits, or End.
  Status next(const Event** ev);
  // The input the last Event, Bad or Error came from.
  size_t source() const { return source_; }
  size_t size() const { return inputs_.size(); }
  EventInput& input(size_t i) { return *inputs_[i].in; }
  const EventInput& input(size_t i) const { return *inputs_[i].in; }
  // Descriptors to poll while waiting (pipes and terminals that wait).
  std::vector<int> wait_fds() const;

 private:
  struct Source {
    std::unique_ptr<EventInput> in;
    Event head;
    bool has_head = false, waiting = false, ended = false;
  };
  bool refill(size_t i, Status* status);  // false: status is a Bad or Error to return
  void push(size_t i);
  std::vector<Source> inputs_;
  std::vector<uint32_t> heap_;   // inputs with a head, a min-heap by (ts, index)
  std::vector<uint32_t> empty_;  // inputs to read a head from
  size_t source_ = 0;
  uint64_t since_repoll_ = 0;  // events since the waiting inputs were last tried
};

}  // namespace dta
