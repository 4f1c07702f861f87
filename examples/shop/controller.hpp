// The operator's side of shop: signals and the run's length, handled on one
// thread with sigtimedwait (never from a signal handler).
#pragma once
#include <atomic>
#include <chrono>
#include <string>

#include "dta/dta.hpp"

namespace shop {

// Blocks SIGHUP, SIGINT, SIGTERM and SIGUSR1 in the calling thread and in every thread
// it starts afterwards: call it first thing in main, before any thread exists.
void block_control_signals();

// Runs until `run_for` has passed or SIGINT/SIGTERM arrives, reloading
// `policy` into `rt` on each SIGHUP and turning the debug traces (shop.*)
// on for 2 s on each SIGUSR1; then sets `stop`. Returns the signal that
// ended the run (0 when time ran out).
int control(dta::Runtime& rt, const std::string& policy, std::chrono::duration<double> run_for,
            std::atomic<bool>& stop);

}  // namespace shop
