// The in-process runtime: what a host links to audit its own events while it
// runs. Production code emits events through event sites (DTA_EVENT); the
// runtime evaluates them against the loaded policy, on the emitting thread
// (sync) or on its own thread behind a bounded queue (async); operators
// reload the policy, switch the profile, turn sites on for a while, or stop
// everything, without the host blocking or being rebuilt.
//
// The runtime never prints, never throws into the host and never exits:
// problems reach the host through RuntimeOptions::on_error.
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dta/engine.hpp"
#include "dta/expected.hpp"
#include "dta/program.hpp"
#include "dta/report.hpp"
#include "dta/value.hpp"

namespace dta {

class Runtime;
class Fault;
class AlertSink;

// ---------------------------------------------------------------- event sites

// One field of an emitted event: a key and an int, float, bool or string.
// Built implicitly from `{"path", p}` in DTA_EVENT; strings are copied.
struct FieldArg {
  std::string_view key;
  Type type;
  union {
    int64_t i;
    double f;
    bool b;
  };
  std::string_view s;

  template <std::integral T>
    requires(!std::same_as<T, bool>)
  FieldArg(std::string_view k, T v) : key(k), type(Type::Int), i(static_cast<int64_t>(v)) {}
  template <std::floating_point T>
  FieldArg(std::string_view k, T v) : key(k), type(Type::Float), f(static_cast<double>(v)) {}
  FieldArg(std::string_view k, bool v) : key(k), type(Type::Bool), b(v) {}
  FieldArg(std::string_view k, std::string_view v) : key(k), type(Type::String), i(0), s(v) {}
  FieldArg(std::string_view k, const char* v) : FieldArg(k, std::string_view(v ? v : "")) {}
  FieldArg(std::string_view k, const std::string& v) : FieldArg(k, std::string_view(v)) {}
};

// A place in the host's code that emits one event name at one severity: a
// static object (DTA_EVENT makes one per call site). Its word says whether
// any runtime listens (one bit per runtime) and is recomputed whenever a
// policy, a profile, an `enable` or the rip cord changes; while it is 0 the
// site costs one relaxed load and one branch, and its fields are not
// evaluated. It starts "unknown" so that its first use registers it.
// Fault points (DTA_FAULT, faults.hpp) are sites too: they are armed only
// while a runtime that allows fault injection runs a profile that injects there.
struct FaultPointTag {};
inline constexpr FaultPointTag kFaultPoint{};

class EventSite {
 public:
  constexpr EventSite(const char* name, Severity severity) : name_(name), severity_(severity) {}
  constexpr EventSite(const char* point, FaultPointTag) : name_(point), severity_(Severity::Warning), fault_(true) {}
  EventSite(const EventSite&) = delete;
  EventSite& operator=(const EventSite&) = delete;

  // Whether the slow path must run: someone listens, or the site is new.
  bool armed() const { return word_.load(std::memory_order_relaxed) != 0; }
  // The listeners' bits (one per runtime slot), kUnregistered while new.
  uint32_t word() const { return word_.load(std::memory_order_relaxed); }
  const char* name() const { return name_; }
  Severity severity() const { return severity_; }
  // A fault point (its name is the point), not an event site.
  bool fault_point() const { return fault_; }

  static constexpr uint32_t kUnregistered = 1u << 31;  // set until the registry knows the site

 private:
  friend class SiteRegistry;
  std::atomic<uint32_t> word_{kUnregistered};  // bit r: runtime slot r listens
  const char* name_;
  Severity severity_;
  bool fault_ = false;
  EventSite* next_ = nullptr;  // the registry's list
};

// The slow path of an armed site: registers it if new, and says whether
// `runtime` listens to it (only then are the fields evaluated).
bool site_listens(EventSite& site, const Runtime& runtime) noexcept;
inline bool site_listens(EventSite& site, const Runtime* runtime) noexcept {
  return runtime && site_listens(site, *runtime);
}
// Hands the event of a listening site to `runtime`. Never throws.
void emit_event(const EventSite& site, Runtime& runtime, std::initializer_list<FieldArg> fields) noexcept;
inline void emit_event(const EventSite& site, Runtime* runtime, std::initializer_list<FieldArg> fields) noexcept {
  if (runtime) emit_event(site, *runtime, fields);
}

// Severity names for DTA_EVENT: `DTA_EVENT(rt, "db.open", warning, ...)`.
namespace sev {
inline constexpr Severity debug = Severity::Debug;
inline constexpr Severity info = Severity::Info;
inline constexpr Severity warning = Severity::Warning;
inline constexpr Severity error = Severity::Error;
inline constexpr Severity critical = Severity::Critical;
}  // namespace sev

// Emits event NAME (a string literal) at SEVERITY (debug, info, warning,
// error, critical) to RUNTIME (a Runtime& or Runtime*), with fields
// `{"key", value}, ...`. While nobody listens this is a load and a branch,
// and the field expressions are not evaluated.
//   DTA_EVENT(rt, "db.open", warning, {"path", path}, {"errno", errno});
#define DTA_EVENT(RUNTIME, NAME, SEVERITY, ...)                                                          \
  do {                                                                                                   \
    static constinit ::dta::EventSite dta_event_site_{NAME, ::dta::sev::SEVERITY};                       \
    if (__builtin_expect(dta_event_site_.armed(), 0) && ::dta::site_listens(dta_event_site_, RUNTIME))   \
      ::dta::emit_event(dta_event_site_, RUNTIME, std::initializer_list<::dta::FieldArg>{__VA_ARGS__}); \
  } while (0)

// ---------------------------------------------------------------- configuration

enum class EvalMode : uint8_t {
  Sync,   // evaluated on the emitting thread, one thread at a time
  Async,  // queued (never blocks; dropped and counted when full) and evaluated on the runtime's thread
};

// A host's declaration of one of its events: a policy that contradicts it
// (another type for a field) fails to load.
struct HostEventSchema {
  std::string name;
  std::vector<std::pair<std::string, Type>> fields;
};

// What the runtime tells the host.
struct RuntimeError {
  enum class Kind : uint8_t {
    Load,      // a policy (or a reload, or a watched file's new text) did not load; the previous one runs on
    Profile,   // set_profile named an unknown profile; the previous one runs on
    Watch,     // the watched file could not be read
    Engine,    // the engine reported a problem (a throwing callback, a rule over its cpu budget...)
  };
  Kind kind;
  std::string message;                   // one line
  std::vector<std::string> diagnostics;  // Load: the compiler's diagnostics, rendered
};

// Turns policy text (or .dtb bytes) into a finalized program. `name` is the
// file name used in diagnostics. dta::policy_loader() (compiler.hpp) compiles
// .dta source and loads .dtb; without the compiler, dta::dtb_loader()
// (stdlib.hpp) loads .dtb bytes only.
struct LoadedPolicy {
  std::shared_ptr<const Program> program;  // null on failure
  std::vector<std::string> diagnostics;    // rendered, errors and warnings
};
using PolicyLoader = std::function<LoadedPolicy(const std::string& name, const std::string& text,
                                                const std::vector<HostEventSchema>& schemas)>;

struct RuntimeOptions {
  std::string profile;                    // "" for the policy as written
  std::string collect_dir = "dta-out";    // where collections go (the engine writes nowhere else; collect.hpp)
  // Collectors for `collect snapshot "NAME"`, by NAME: they run on the runtime's collection thread,
  // bounded by collect_limits (bytes, time). An unregistered name fails the collection; the run goes on.
  std::map<std::string, SnapshotCollector> collectors;
  CollectOptions collect_limits;          // snapshot bytes and timeout, manifest cap (its dir and collectors: above)
  size_t collect_queue = 64;              // collections waiting for the collection thread; beyond, denied
  EvalMode mode = EvalMode::Async;
  size_t queue_capacity = 65536;          // async: events waiting at most (rounded up to a power of 2)
  bool allow_fault_injection = false;     // profiles' `inject` act only when the host allows it
  std::chrono::milliseconds tick{100};    // how often time moves with the wall clock when no event comes
  std::vector<HostEventSchema> schemas;   // the host's events, checked against every policy loaded
  PolicyLoader loader;                    // required to load files or text (dta::make_runtime sets the compiler's)
  EngineOptions engine;                   // limits; its callbacks are the runtime's (set the ones below)
  std::function<void(const Finding&)> on_finding;    // on the evaluating thread
  std::function<void(const Alert&)> on_alert;        // on the evaluating thread
  // Every alert is also submitted to each of these sinks (delivery.hpp), on
  // the evaluating thread before on_alert; they deliver from their own
  // threads and never make it wait. The runtime keeps them alive.
  std::vector<std::shared_ptr<AlertSink>> alert_sinks;
  std::function<void(const RuntimeError&)> on_error;  // on the thread that found the problem
};

// ---------------------------------------------------------------- results and stats

// What a load, reload or profile switch did.
struct LoadResult {
  bool ok = false;
  std::string error;                     // why not, one line
  std::vector<std::string> diagnostics;  // the compiler's, rendered (warnings too when ok)
  // State carried from the previous policy, by site id ("burst/when#0"):
  std::vector<std::string> kept;     // same identity and shape: the state goes on
  std::vector<std::string> reset;    // same identity, another shape: starts empty
  std::vector<std::string> added;    // new sites
  std::vector<std::string> removed;  // sites the new policy no longer has (their state is gone)
};

struct RuleStats {
  std::string name;
  uint64_t matched = 0, fired = 0;
  uint64_t missing_field = 0, type_error = 0, arith_error = 0;
  uint64_t time_ns = 0;             // estimated from sampled events (EngineOptions::time_sample_every)
  bool disabled_by_budget = false;  // the current policy's rule went over the profile's `cpu` budget
};

struct RuntimeStats {
  uint64_t emitted = 0;    // events handed to the runtime by listening sites (and emit())
  uint64_t evaluated = 0;  // events the engine processed
  uint64_t dropped = 0;    // events not evaluated: the queue was full, or the rip cord was pulled
  uint64_t queued = 0;     // waiting in the queue now (emitted = evaluated + dropped + queued)
  std::array<uint64_t, 4> findings{};  // by level: error, warning, info, ok
  uint64_t alerts = 0;
  uint64_t reloads_ok = 0, reloads_failed = 0;
  bool disabled = false;   // the rip cord is pulled
  std::string policy, profile;
  std::vector<RuleStats> rules;  // summed over every policy loaded, by rule name
  // Fault injection (faults.hpp): per point of the running profile, when the host allows it.
  struct FaultStats {
    std::string point;
    uint64_t hits = 0, injected = 0;
  };
  std::vector<FaultStats> faults;
  uint64_t fault_seed = 0;       // the decisions' seed: the profile's `seed`, else drawn at load (set it to replay)
  uint64_t injects_ignored = 0;  // inject lines of profiles run while the host does not allow fault injection
  uint64_t fault_events = 0;     // `dta.fault` events the runtime emitted (counted in emitted too)
  // Collections (spec 8), over every policy loaded: written, denied (a budget, or the queue full), failed.
  uint64_t collections = 0, collections_denied = 0, collections_failed = 0;
};

// ---------------------------------------------------------------- the runtime

class Runtime {
 public:
  // A runtime with no policy yet (nothing listens). Reads DTA_DISABLE from
  // the environment: "1" starts it disabled. Null only when its thread
  // cannot start (the reason goes to on_error).
  static std::unique_ptr<Runtime> create(RuntimeOptions options);
  // Evaluates everything already queued, then stops its threads.
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Loads a policy from a file or from text, replacing the running one (its
  // state carried over where the sites are unchanged). A policy that does
  // not load leaves the running one in place; the error also goes to on_error.
  LoadResult load_file(const std::string& path);
  LoadResult load_source(const std::string& name, const std::string& text);
  LoadResult load_program(std::shared_ptr<const Program> program);
  // Reloads `path` whenever it changes (editors that write a new file and
  // rename it included); results go to on_error when they fail. One path at a time.
  Outcome watch(const std::string& path);
  void unwatch();
  // Switches the profile of the running policy, keeping its state.
  LoadResult set_profile(const std::string& profile);
  // Turns on sites matching `pattern` ("db.*") whose severity is at least
  // `level` (debug included) for `duration`, then back off.
  void enable(const std::string& pattern, Severity level, std::chrono::nanoseconds duration);

  // An event from code without a static site (a bridge from another
  // logging API): the same path as DTA_EVENT when something listens.
  void emit(std::string_view name, Severity severity, std::initializer_list<FieldArg> fields, int64_t ts = 0);
  // Whether anything listens to events of this name and severity.
  bool listens(std::string_view name, Severity severity) const;

  // Returns once every event emitted before the call was evaluated.
  void flush();
  // The rip cord: stop all evaluation at once (queued events are dropped and
  // counted), or resume.
  void set_disabled(bool disabled);

  RuntimeStats stats() const;
  // The current policy's report (findings, alerts, metrics, pending...).
  Report report() const;

  struct Impl;

 private:
  explicit Runtime(std::unique_ptr<Impl> impl);
  friend bool site_listens(EventSite&, const Runtime&) noexcept;
  friend Fault fault_hit(EventSite&, Runtime&) noexcept;
  friend void emit_event(const EventSite&, Runtime&, std::initializer_list<FieldArg>) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dta
