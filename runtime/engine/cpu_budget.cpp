// Sampled rule time and the profile's `cpu` budget. One event in
// EngineOptions::time_sample_every is timed: the clock is read before the
// first unit runs and after each one, and the difference is charged to that
// unit (scaled by the sampling rate: an estimate of its time). Every other
// event pays one decrement and a branch. With enforce_cpu_budget and a
// profile `cpu: P%`, a unit whose estimated time over a period of
// kCpuBudgetPeriodNs of the clock exceeds P% of that period is disabled for
// the rest of the engine's life, as if the profile had turned it `off`.
#include <fmt/format.h>

#include <chrono>
#include <limits>

#include "engine/engine_impl.hpp"
#include "state/expectations.hpp"
#include "state/machines.hpp"
#include "state/when_site.hpp"

namespace dta {
namespace {

// The budget is checked once per period of the clock: long enough that a
// rule's estimate rests on many samples (at 1 in 256, a rule seen 100,000
// times a second is timed about 400 times), short enough that a runaway rule
// is stopped within a second or two.
constexpr int64_t kCpuBudgetPeriodNs = 1'000'000'000;

// Never timed: a countdown that does not reach zero in practice (2^64 events).
constexpr uint64_t kNeverTimed = std::numeric_limits<uint64_t>::max();

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Engine::Impl::bind_timing() {
  const uint32_t every = opts.time_sample_every;
  timing.batch = timing.sample_left = every ? every : kNeverTimed;
  timing.events_before = 0;
  timing.unit_ns.assign(units.size(), 0);
  timing.budget = 0;
  if (opts.enforce_cpu_budget && every && profile >= 0) timing.budget = prog->profiles[profile].budget.cpu;
  if (timing.budget > 0) timing.period_start = clock_ns();
}

int64_t Engine::Impl::clock_ns() {
  if (!opts.clock) return steady_ns();
  try {
    return opts.clock();
  } catch (...) {
    ++rep.diagnostics.callback_errors;
    return timing.lap;  // no time passes
  }
}

void Engine::Impl::step_timed(const Event& event) {
  timing.events_before += timing.batch;  // sample_left is 0: the batch is done
  timing.sample_left = timing.batch;
  step<true>(event);
}

void Engine::Impl::lap_start() { timing.lap = clock_ns(); }

void Engine::Impl::lap(uint32_t unit) {
  const int64_t now = clock_ns();
  // A clock that goes backwards (a host's) charges nothing.
  const int64_t spent = now > timing.lap ? now - timing.lap : 0;
  timing.lap = now;
  timing.unit_ns[unit] += spent;
  units[unit].stats.time_ns += static_cast<uint64_t>(spent) * opts.time_sample_every;
}

void Engine::Impl::end_timed_step() {
  if (timing.budget <= 0) return;
  const int64_t now = timing.lap;  // read after the last unit of this event
  const int64_t elapsed = now - timing.period_start;
  if (elapsed < kCpuBudgetPeriodNs) return;
  const double allowed = timing.budget * static_cast<double>(elapsed);
  bool disabled = false;
  for (uint32_t u = 0; u < units.size(); ++u) {
    const double estimated = static_cast<double>(timing.unit_ns[u]) * opts.time_sample_every;
    if (!units[u].off && estimated > allowed) {
      disable_by_budget(u, estimated, static_cast<double>(elapsed));
      disabled = true;
    }
    timing.unit_ns[u] = 0;
  }
  timing.period_start = now;
  // The dispatch lists only units that are on: rebuilt as names come. No
  // reference into it is held here (the event and its derived ones are done).
  if (disabled) {
    std::fill(dispatch.begin(), dispatch.end(), nullptr);
    dispatch_pool.clear();
  }
}

void Engine::Impl::disable_by_budget(uint32_t unit, double estimated, double elapsed) {
  UnitState& us = units[unit];
  us.off = true;
  us.stats.disabled_by_budget = true;
  // Its windows, expectations and machine keep their state but do nothing:
  // no event reaches them, and their timers are skipped.
  if (unit < prog->rules.size()) {
    for (const WhenSite* w : when_sites[unit]) timing.off_sites.push_back(w);
    for (const ExpectSite* x : expect_sites[unit]) timing.off_sites.push_back(x);
  } else {
    timing.off_sites.push_back(machine_sites[unit - prog->rules.size()]);
  }
  ++rep.diagnostics.disabled_by_budget;
  const std::string message = fmt::format(
      "dta: {} '{}' disabled: it took about {:.1f}% of the CPU over the last {:.1f}s (profile '{}' allows cpu: {:g}%)",
      unit < prog->rules.size() ? "rule" : "machine", us.stats.name, 100.0 * estimated / elapsed, elapsed / 1e9,
      prog->profiles[profile].name, 100.0 * timing.budget);
  notify(opts.on_engine_error, EngineError{EngineError::Kind::CpuBudget, message});
}

}  // namespace dta
