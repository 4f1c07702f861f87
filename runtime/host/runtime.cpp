// The runtime: event sites' slow path, sync and async evaluation, time
// moving with the wall clock, flush, the rip cord and the stats.
#include "runtime_impl.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <span>

#include "dta/delivery.hpp"
#include "site_registry.hpp"

namespace dta {

namespace {

constexpr size_t kBatch = 1024;  // events the worker evaluates per lock of the engine
constexpr auto kIdleSleepMin = std::chrono::microseconds(50);  // the worker's first nap on an empty queue
constexpr auto kIdleSleepMax = std::chrono::milliseconds(2);   // and its longest (latency of a quiet queue)

// The runtime evaluating on this thread (sync mode), so that an event a
// host callback emits while its own event is evaluated is dropped and
// counted instead of deadlocking on the engine's lock. Per thread by nature.
thread_local const Runtime::Impl* tl_evaluating = nullptr;

// Sets tl_evaluating for a scope.
struct EvaluatingScope {
  const Runtime::Impl* prev;
  explicit EvaluatingScope(const Runtime::Impl* im) : prev(tl_evaluating) { tl_evaluating = im; }
  ~EvaluatingScope() { tl_evaluating = prev; }
};

bool env_disabled() {
  const char* v = std::getenv("DTA_DISABLE");  // read once, when a runtime starts
  return v && *v && std::strcmp(v, "0") != 0;
}

}  // namespace

// ---------------------------------------------------------------- the listening table

bool ListenSet::injects(std::string_view point) const {
  return !disabled && std::binary_search(fault_points.begin(), fault_points.end(), point);
}

bool ListenSet::listens(std::string_view name, Severity severity, int64_t now) const {
  if (disabled) return false;
  for (const Enabled& e : enabled)
    if (e.until > now && severity >= e.level && event_pattern_matches(e.pattern, name)) return true;
  if (severity == Severity::Debug) return false;  // debug sites speak only when enabled
  for (const std::string& p : patterns)
    if (event_pattern_matches(p, name)) return true;
  return false;
}

// ---------------------------------------------------------------- life

Runtime::Impl::Impl(RuntimeOptions o) : opts(std::move(o)) { profile = opts.profile; }
Runtime::Impl::~Impl() {
  engine.reset();
  collect_sink.reset();  // finishes the queued collections, then stops the collection thread
}

int64_t Runtime::Impl::now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<Runtime> Runtime::create(RuntimeOptions options) {
  if (!options.alert_sinks.empty())  // sinks first, then the host's callback
    options.on_alert = [sinks = options.alert_sinks, next = std::move(options.on_alert)](const Alert& a) {
      for (const auto& sink : sinks)
        if (sink) sink->submit(a);
      if (next) next(a);
    };
  auto impl = std::make_unique<Impl>(std::move(options));
  Impl* p = impl.get();
  p->disabled = env_disabled();
  p->listen.disabled = p->disabled;
  if (p->opts.mode == EvalMode::Async) p->queue = std::make_unique<EventQueue>(p->opts.queue_capacity);
  p->slot = SiteRegistry::instance().attach([p](const EventSite& site) {
    std::lock_guard lock(p->listen_mu);
    if (site.fault_point()) return p->listen.injects(site.name());
    return p->listen.listens(site.name(), site.severity(), Impl::now_ns());
  });
  if (!p->start_collection()) {
    SiteRegistry::instance().detach(p->slot);
    p->report_error(RuntimeError::Kind::Engine, "cannot start the runtime's collection thread");
    return nullptr;
  }
  try {
    p->worker = std::thread([p] { p->run_worker(); });
  } catch (const std::exception& e) {
    SiteRegistry::instance().detach(p->slot);
    p->report_error(RuntimeError::Kind::Engine, std::string("cannot start the runtime's thread: ") + e.what());
    return nullptr;
  }
  return std::unique_ptr<Runtime>(new Runtime(std::move(impl)));
}

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Runtime::~Runtime() {
  unwatch();
  SiteRegistry::instance().detach(impl_->slot);  // no new events from sites
  impl_->stopping = true;
  impl_->wake.notify_all();
  if (impl_->worker.joinable()) impl_->worker.join();  // the worker drains the queue before it ends
}

void Runtime::Impl::report_error(RuntimeError::Kind kind, std::string message, std::vector<std::string> diagnostics) {
  if (!opts.on_error) return;
  try {
    opts.on_error(RuntimeError{kind, std::move(message), std::move(diagnostics)});
  } catch (...) {  // a host callback must not unwind through the runtime
  }
}

// ---------------------------------------------------------------- emitting

bool site_listens(EventSite& site, const Runtime& runtime) noexcept {
  uint32_t word = site.word();
  if (word & EventSite::kUnregistered) {
    try {
      SiteRegistry::instance().add(site);
    } catch (...) {  // the registry's lock failed: the site stays new, and silent this time
      return false;
    }
    word = site.word();
  }
  return word & SiteRegistry::bit(runtime.impl_->slot);
}

void emit_event(const EventSite& site, Runtime& runtime, std::initializer_list<FieldArg> fields) noexcept {
  runtime.impl_->emit(&site, site.name(), site.severity(), 0, {fields.begin(), fields.size()});
}

void Runtime::emit(std::string_view name, Severity severity, std::initializer_list<FieldArg> fields, int64_t ts) {
  if (!listens(name, severity)) return;
  impl_->emit(nullptr, name, severity, ts, {fields.begin(), fields.size()});
}

bool Runtime::listens(std::string_view name, Severity severity) const {
  std::lock_guard lock(impl_->listen_mu);
  return impl_->listen.listens(name, severity, Impl::now_ns());
}

void Runtime::Impl::emit(const EventSite* site, std::string_view name, Severity severity, int64_t ts,
                         std::span<const FieldArg> fields) noexcept {
  if (disabled.load(std::memory_order_relaxed)) {
    dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (ts == 0) ts = now_ns();
  if (queue) {
    if (!queue->push(site, name, severity, ts, fields)) dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (tl_evaluating == this) {  // emitted from one of our own callbacks
    dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  try {
    std::lock_guard lock(engine_mu);
    EvaluatingScope scope(this);
    if (!engine || disabled.load(std::memory_order_relaxed)) {
      dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    evaluate_locked(name, severity, ts, fields);
  } catch (...) {  // allocation failure: the event is lost, counted
    dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

template <typename Fields>
void Runtime::Impl::evaluate_locked(std::string_view name, Severity severity, int64_t ts, const Fields& fields) {
  Interner& names = engine->symbols();
  Event& ev = scratch;
  ev.clear();
  ev.ts = last_ts = std::max(ts, last_ts);
  ev.name = names.intern(name);
  ev.severity = severity;
  ev.has_id = false;
  for (const auto& f : fields) {
    const uint32_t key = names.intern(f.key);
    switch (f.type) {
      case Type::Int: ev.add_int(key, f.i); break;
      case Type::Float: ev.add_float(key, f.f); break;
      case Type::Bool: ev.add_bool(key, f.b); break;
      default: ev.add_string(key, f.s); break;
    }
  }
  engine->process(ev);
  ++evaluated;
}

void Runtime::Impl::evaluate_raw_locked(const RawEvent& raw) {
  struct View {
    std::string_view key;
    Type type;
    int64_t i;
    double f;
    bool b;
    std::string_view s;
  };
  View views[64];  // a raw event's fields as evaluate_locked reads them; larger events go field by field below
  const size_t n = raw.fields.size();
  if (n <= std::size(views)) {
    for (size_t k = 0; k < n; ++k) {
      const RawEvent::RawField& f = raw.fields[k];
      views[k] = {raw.key(f), f.type, f.type == Type::Int ? f.i : 0, f.type == Type::Float ? f.f : 0,
                  f.type == Type::Bool && f.b, f.type == Type::String ? raw.str(f) : std::string_view()};
    }
    evaluate_locked(raw.site ? std::string_view(raw.site->name()) : std::string_view(raw.name), raw.severity, raw.ts,
                    std::span<const View>(views, n));
    return;
  }
  std::vector<View> many(n);
  for (size_t k = 0; k < n; ++k) {
    const RawEvent::RawField& f = raw.fields[k];
    many[k] = {raw.key(f), f.type, f.type == Type::Int ? f.i : 0, f.type == Type::Float ? f.f : 0,
               f.type == Type::Bool && f.b, f.type == Type::String ? raw.str(f) : std::string_view()};
  }
  evaluate_locked(raw.site ? std::string_view(raw.site->name()) : std::string_view(raw.name), raw.severity, raw.ts,
                  many);
}

// ---------------------------------------------------------------- the runtime's thread

size_t Runtime::Impl::drain(size_t max) {
  size_t n = 0;
  std::lock_guard lock(engine_mu);
  EvaluatingScope scope(this);
  for (RawEvent* raw; n < max && (raw = queue->front()); ++n) {
    try {
      if (engine && !disabled.load(std::memory_order_relaxed))
        evaluate_raw_locked(*raw);
      else
        dropped.fetch_add(1, std::memory_order_relaxed);
    } catch (...) {
      dropped.fetch_add(1, std::memory_order_relaxed);
    }
    queue->pop();
  }
  return n;
}

void Runtime::Impl::tick_locked(int64_t now) {
  if (engine && !disabled) engine->advance_to(std::max(now, last_ts));
  bool expired = false;
  {
    std::lock_guard lock(listen_mu);
    auto& en = listen.enabled;
    const auto before = en.size();
    en.erase(std::remove_if(en.begin(), en.end(), [&](const ListenSet::Enabled& e) { return e.until <= now; }),
             en.end());
    expired = en.size() != before;
  }
  if (expired) SiteRegistry::instance().refresh(slot);
}

void Runtime::Impl::run_worker() {
  const auto tick = std::max(opts.tick, std::chrono::milliseconds(1));
  auto next_tick = std::chrono::steady_clock::now() + tick;
  auto nap = std::chrono::duration_cast<std::chrono::microseconds>(kIdleSleepMin);
  for (;;) {
    const bool stop = stopping.load();
    size_t done = queue ? drain(kBatch) : 0;
    if (std::chrono::steady_clock::now() >= next_tick) {
      std::lock_guard lock(engine_mu);
      EvaluatingScope scope(this);  // deadlines fire here: their callbacks may emit
      tick_locked(now_ns());
      next_tick = std::chrono::steady_clock::now() + tick;
    }
    if (done) {
      nap = kIdleSleepMin;
      continue;
    }
    if (stop) break;  // the queue was empty after stopping was seen: nothing is left
    std::unique_lock lock(wake_mu);
    const auto wait = queue ? std::min<std::chrono::microseconds>(nap, tick) : tick;
    wake.wait_for(lock, wait, [&] { return stopping.load() || flush_waiters.load() > 0; });
    nap = std::min<std::chrono::microseconds>(nap * 2, kIdleSleepMax);
  }
}

void Runtime::flush() {
  Impl& im = *impl_;
  if (!im.queue) return;  // sync: evaluated before emit returned
  // Every push that began before this call has a cell below this position.
  const uint64_t target = im.queue->pushed();
  im.flush_waiters.fetch_add(1);
  im.wake.notify_all();
  while (im.queue->popped() < target && im.worker.joinable() && !im.stopping.load())
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  im.flush_waiters.fetch_sub(1);
}

// ---------------------------------------------------------------- controls and stats

void Runtime::set_disabled(bool disabled) {
  impl_->disabled = disabled;
  {
    std::lock_guard lock(impl_->listen_mu);
    impl_->listen.disabled = disabled;
  }
  SiteRegistry::instance().refresh(impl_->slot);
}

void Runtime::Impl::enable_until(std::string pattern, Severity level, int64_t until) {
  {
    std::lock_guard lock(listen_mu);
    for (ListenSet::Enabled& e : listen.enabled)
      if (e.pattern == pattern && e.level == level) {  // the same enable again: extended, not repeated
        e.until = std::max(e.until, until);
        return;
      }
    listen.enabled.push_back({std::move(pattern), level, until});
  }
  SiteRegistry::instance().refresh(slot);
}

void Runtime::enable(const std::string& pattern, Severity level, std::chrono::nanoseconds duration) {
  const int64_t now = Impl::now_ns();
  impl_->enable_until(pattern, level, duration.count() > INT64_MAX - now ? INT64_MAX : now + duration.count());
}

RuntimeStats Runtime::stats() const {
  const Impl& im = *impl_;
  RuntimeStats s;
  std::lock_guard lock(im.engine_mu);
  s.evaluated = im.evaluated;
  s.dropped = im.dropped.load();
  s.queued = im.queue ? im.queue->size() : 0;
  s.emitted = s.evaluated + s.dropped + s.queued;
  s.findings = im.findings;
  s.alerts = im.alerts;
  s.reloads_ok = im.reloads_ok;
  s.reloads_failed = im.reloads_failed;
  s.disabled = im.disabled;
  s.profile = im.profile;
  {
    std::lock_guard faults(im.fault_mu);
    s.injects_ignored = im.injects_ignored;
    s.fault_events = im.fault_events.load(std::memory_order_relaxed);
    s.fault_seed = im.fault_seed;
    if (im.faults)
      for (const auto& p : im.faults->points)
        s.faults.push_back({p->spec.point, p->hits.load(std::memory_order_relaxed),
                            p->injected.load(std::memory_order_relaxed)});
  }
  std::map<std::string, RuleStats> rules = im.retired;
  if (im.engine) {
    const Report r = im.engine->report();
    s.policy = r.policy;
    for (const RuleReport& rr : r.rules) {
      RuleStats& t = rules[rr.name];
      t.name = rr.name;
      t.matched += rr.matched;
      t.fired += rr.fired;
      t.missing_field += rr.missing_field;
      t.type_error += rr.type_error;
      t.arith_error += rr.arith_error;
      t.time_ns += rr.time_ns;
      t.disabled_by_budget = rr.disabled_by_budget;
    }
  }
  for (auto& [name, r] : rules) s.rules.push_back(r);
  std::lock_guard clock(im.collect_mu);
  s.collections = im.collections_written;
  s.collections_denied = im.collections_denied;
  s.collections_failed = im.collections_failed;
  return s;
}

Report Runtime::report() const {
  std::lock_guard lock(impl_->engine_mu);
  if (!impl_->engine) return Report{};
  Report r = impl_->engine->report();
  impl_->patch_collections(r);
  std::lock_guard faults(impl_->fault_mu);
  if (impl_->faults)
    for (FaultReport& f : r.faults)
      if (const std::shared_ptr<FaultPoint>* p = impl_->faults->find(f.point)) {
        f.hits = (*p)->hits.load(std::memory_order_relaxed);
        f.injected = (*p)->injected.load(std::memory_order_relaxed);
      }
  return r;
}

}  // namespace dta
