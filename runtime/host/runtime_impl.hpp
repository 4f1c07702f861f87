// The runtime's parts (runtime.hpp): the engine behind its lock, the
// listening table event sites are computed from, the async queue and the
// runtime's thread. runtime.cpp runs events and time; policy_swap.cpp loads
// policies and profiles with their state carried over.
#pragma once
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "dta/runtime.hpp"
#include "event_queue.hpp"
#include "fault_points.hpp"
#include "file_watch.hpp"

namespace dta {

// What one runtime listens to: the patterns its engine consumes, the sites
// `enable` turned on until when, and the rip cord. Read by the site registry
// (under the registry's lock); rebuilt whenever one of them changes.
struct ListenSet {
  std::vector<std::string> patterns;  // Engine::listened_patterns
  struct Enabled {
    std::string pattern;
    Severity level;
    int64_t until;  // wall-clock ns
  };
  std::vector<Enabled> enabled;
  bool disabled = false;
  bool any_policy = false;
  std::vector<std::string> fault_points;  // the points the fault table injects at (sorted)

  // Whether an event of this name and severity is evaluated at `now`:
  // debug ones only while an `enable` covers them.
  bool listens(std::string_view name, Severity severity, int64_t now) const;
  // Whether a fault point is armed: a fault is injected there, the rip cord aside.
  bool injects(std::string_view point) const;
};

struct Runtime::Impl {
  RuntimeOptions opts;
  uint32_t slot = 0;

  // The engine and everything it touches; in sync mode emitters take it,
  // in async mode the runtime's thread (and control calls between batches).
  mutable std::mutex engine_mu;
  std::unique_ptr<Engine> engine;
  std::shared_ptr<const Program> program;
  std::string profile;
  std::string source_name, source_text;  // what the running policy was loaded from (reloads use the loader again)
  Event scratch;                          // the event being evaluated, reused
  int64_t last_ts = INT64_MIN;            // events get at least this time: sites race, time does not go back
  uint64_t evaluated = 0;
  std::array<uint64_t, 4> findings{};
  uint64_t alerts = 0;
  uint64_t reloads_ok = 0, reloads_failed = 0;
  std::map<std::string, RuleStats> retired;  // rule counters of the engines replaced, by rule

  // The listening table (its own lock: the registry reads it under the registry's lock).
  mutable std::mutex listen_mu;
  ListenSet listen;

  std::atomic<uint64_t> dropped{0};
  std::atomic<bool> disabled{false};

  // Async mode.
  std::unique_ptr<EventQueue> queue;
  std::thread worker;  // async: drains the queue; sync: moves time with the wall clock
  std::mutex wake_mu;
  std::condition_variable wake;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> flush_waiters{0};

  // Fault injection (fault_points.hpp): the running profile's injects, when
  // the host allows them; swapped whole on a load or profile switch.
  mutable std::mutex fault_mu;
  std::shared_ptr<FaultTable> faults;
  uint64_t fault_seed = 0;        // the seed of the table (the profile's, or drawn at random)
  uint64_t injects_ignored = 0;   // inject lines of the profiles run while injection is not allowed
  std::atomic<uint64_t> fault_events{0};  // dta.fault events emitted

  // Collections (collect_sink.cpp): written on the collection thread behind a
  // bounded queue; results of queued ones patch the report. Own lock.
  std::shared_ptr<CollectionSink> collect_sink;
  mutable std::mutex collect_mu;
  std::map<uint64_t, CollectionResult> collect_results;  // by request seq, the latest kCollectResults
  uint64_t collections_written = 0, collections_denied = 0, collections_failed = 0;
  // Makes the collection sink (Runtime::create); false when its thread cannot start.
  bool start_collection();
  // A queued collection's result arrived (the collection thread).
  void collection_done(const CollectionRequest& req, const CollectionResult& res);
  // The engine recorded a collection (the evaluating thread).
  void collection_noted(const Collection& c);
  // Patches `r`'s queued collections with the results that came since.
  void patch_collections(Report& r) const;

  // Watching a policy file (policy_watch.cpp).
  std::unique_ptr<FileWatch> watch;

  explicit Impl(RuntimeOptions o);
  ~Impl();

  // Wall-clock now, ns.
  static int64_t now_ns();
  // The slow path of an emit: counts and queues or evaluates. Never throws.
  void emit(const EventSite* site, std::string_view name, Severity severity, int64_t ts,
            std::span<const FieldArg> fields) noexcept;
  // Evaluates one event (engine_mu held).
  template <typename Fields>
  void evaluate_locked(std::string_view name, Severity severity, int64_t ts, const Fields& fields);
  void evaluate_raw_locked(const RawEvent& raw);
  // The runtime's thread.
  void run_worker();
  // Drains what the queue holds (at most `max`); how many were evaluated.
  size_t drain(size_t max);
  // Time passes to `now` (engine_mu held): deadlines fire, `enable`s expire.
  void tick_locked(int64_t now);
  // Rebuilds the listening table from the engine (engine_mu held or no
  // engine yet) and recomputes this runtime's bit on every site.
  void refresh_listeners(bool engine_locked);
  // The engine's callbacks, wrapped: counted, then the host's.
  EngineOptions engine_options(const std::string& profile);
  // Replaces the engine (policy_swap.cpp).
  LoadResult publish(std::shared_ptr<const Program> prog, const std::string& profile, bool is_reload);
  LoadResult load_text(const std::string& name, const std::string& text, bool is_reload);
  // Turns on the sites matching `pattern` at `level` or above until `until` (wall-clock ns).
  void enable_until(std::string pattern, Severity level, int64_t until);
  // Builds the fault table of the running program and profile (engine_mu
  // held), or counts its injects as ignored when the host does not allow them.
  void install_faults_locked();
  // A hit of fault point `point`: the fault, or nothing. Never throws.
  Fault fault(std::string_view point) noexcept;
  void report_error(RuntimeError::Kind kind, std::string message, std::vector<std::string> diagnostics = {});
};

}  // namespace dta
