// Signals through sigtimedwait on a thread of our own: the runtime is only
// ever called from ordinary code.
#include "controller.hpp"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

namespace shop {

namespace {

constexpr auto kSlice = std::chrono::milliseconds(100);  // longest wait between looks at the clock
constexpr auto kTraceFor = std::chrono::seconds(2);      // SIGUSR1 turns the debug traces on this long

sigset_t control_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  return set;
}

}  // namespace

void block_control_signals() {
  sigset_t set = control_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int control(dta::Runtime& rt, const std::string& policy, std::chrono::duration<double> run_for,
            std::atomic<bool>& stop) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(run_for);
  const sigset_t set = control_signals();
  int ended_by = 0;
  for (;;) {
    auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) break;
    auto wait = std::min<Clock::duration>(left, kSlice);
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig == SIGHUP) {
      dta::LoadResult r = rt.load_file(policy);  // a failure also reaches on_error
      if (r.ok) std::fprintf(stderr, "shop: SIGHUP: %s reloaded\n", policy.c_str());
    } else if (sig == SIGUSR1) {
      rt.enable("shop.*", dta::Severity::Debug, kTraceFor);
      std::fprintf(stderr, "shop: SIGUSR1: shop.* events at debug level on for 2 s\n");
    } else if (sig == SIGINT || sig == SIGTERM) {
      ended_by = sig;
      break;
    }
    // sig < 0: the slice passed (EAGAIN) or another signal interrupted (EINTR): look at the clock again
  }
  stop.store(true, std::memory_order_relaxed);
  return ended_by;
}

}  // namespace shop
