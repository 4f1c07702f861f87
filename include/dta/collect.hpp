// Diagnostic collection (spec 8): what an engine asks to be written when a
// `collect` action runs, and the sinks that write it. The engine decides
// (budgets, the recorder's events, redaction) and never touches a file or
// blocks: it hands a request to its sink (EngineOptions::collect). A
// directory sink writes requests into one directory, safely; an async sink
// (runtime.hpp's Runtime uses one) does it on its own thread.
//
// In the collection directory:
//   dumps/NNNNNN-RULE-RECORDER.jsonl   a recorder dump: JSON Lines (spec 1), replayable
//   dumps/NNNNNN-RULE-snapshot-NAME.out what a host collector wrote
//   dumps/NNNNNN-RULE-process.json     the engine's own view of the process
//   manifest.jsonl                     one line per collection: what, why, when, size, status
// NNNNNN is the sink's own counter and RULE is sanitised ([A-Za-z0-9_.-],
// at most 64 bytes): no file name ever comes from event data. Directories are
// created 0700, files 0600, each opened relative to the directory with
// O_NOFOLLOW and O_EXCL, so nothing is written outside it or through a link.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dta {

enum class CollectionKind : uint8_t { Recorder, Snapshot, Process };

// What became of a collection (Report's `collections[].status`).
enum class CollectionStatus : uint8_t {
  Written,  // the file and its manifest line are on disk
  Denied,   // over a budget (or the async queue was full): not done
  Failed,   // could not be done (no collector, no directory, a write failed, a timeout)
  Queued,   // handed to an async sink, not written yet
};
const char* collection_status_name(CollectionStatus s);

// One collection the engine asks for. Everything in it is already redacted.
struct CollectionRequest {
  uint64_t seq = 0;  // 1, 2, ... per engine (carried across reloads): matches results to requests
  CollectionKind kind = CollectionKind::Recorder;
  std::string rule;        // the rule or machine whose action it was
  std::string name;        // the recorder, or the snapshot's collector ("" for process)
  std::string trigger;     // the triggering event's name
  int64_t ts = 0;          // its time (event time, ns)
  std::string body;        // Recorder: the dump, JSON Lines, oldest event first
  uint64_t events = 0;     // Recorder: events in the dump
  uint64_t max_bytes = 0;  // Snapshot, Process: the most the file may hold (the disk budget's remainder, capped)
};

struct CollectionResult {
  CollectionStatus status = CollectionStatus::Failed;
  std::string path;    // the file, relative to the working directory when the sink's directory is
  uint64_t bytes = 0;  // bytes of the file
  std::string reason;  // why not written (denied, failed), or a note (a snapshot cut at its cap)
};

// Where a host collector writes: bounded in bytes and in time. write()
// returns false once the output is full or the deadline has passed; what
// was written up to then is kept (marked cut).
class SnapshotSink {
 public:
  SnapshotSink(uint64_t max_bytes, std::chrono::steady_clock::time_point deadline)
      : max_(max_bytes), deadline_(deadline) {}
  virtual ~SnapshotSink() = default;
  virtual bool write(std::string_view bytes) = 0;
  // Whether the deadline has passed (a collector should stop).
  bool expired() const { return std::chrono::steady_clock::now() >= deadline_; }
  uint64_t max_bytes() const { return max_; }

 protected:
  uint64_t max_;
  std::chrono::steady_clock::time_point deadline_;
};
// A collector the host registers for `collect snapshot "NAME"`. It runs on
// the collection thread (a host's) or the replaying one, never the emitting
// thread; one that throws fails its collection.
using SnapshotCollector = std::function<void(SnapshotSink&)>;

// The limits of a collection directory.
struct CollectOptions {
  std::string dir = "dta-out";                          // created (0700) when missing
  std::map<std::string, SnapshotCollector> collectors;  // by the name `collect snapshot "NAME"` gives
  uint64_t max_snapshot_bytes = 1 << 20;                // what one snapshot may write (1 MiB)
  std::chrono::milliseconds snapshot_timeout{2000};     // how long a collector may run; past it the
                                                        // collection fails and the collector is abandoned
  uint64_t max_manifest_bytes = 16 << 20;               // manifest lines beyond are not written (counted)
};

// Takes the engine's requests. collect() never throws and never blocks on
// more than the request's own file (an async sink only queues).
class CollectionSink {
 public:
  virtual ~CollectionSink() = default;
  virtual CollectionResult collect(CollectionRequest&& request) = 0;
  // A collection the engine did not hand over (denied by a budget, or failed
  // before: a keyed recorder's trigger without the key): its manifest line only.
  virtual void note(const CollectionRequest& request, const CollectionResult& result) {}
};

// A sink that writes each request into `options.dir` at once (dta replay).
std::shared_ptr<CollectionSink> directory_sink(CollectOptions options);
// A sink that queues requests (at most `capacity`; a full queue denies the
// collection, "collection queue full") for `inner` on its own thread, and
// tells `done` (on that thread) what became of each; its destructor
// finishes what is queued. Null when the thread cannot start.
using CollectionDone = std::function<void(const CollectionRequest&, const CollectionResult&)>;
std::shared_ptr<CollectionSink> async_sink(std::shared_ptr<CollectionSink> inner, size_t capacity, CollectionDone done);

}  // namespace dta
