// The simulated shop's threads: one front end, N workers, a simulated database.
#include "simulation.hpp"

#include <cerrno>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "order_queue.hpp"

namespace shop {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kOrderGap = 10ms;  // the front end's steady pace: about 100 orders a second
constexpr auto kRushEvery = 3s;   // then a rush of orders at once (the queue backs up)
constexpr auto kFirstRush = 1s;
constexpr int kRushOrders = 100;
constexpr auto kTakeTimeout = 50ms;     // how long a worker waits for an order before it looks whether the queue closed
constexpr double kDbErrorRate = 0.015;  // share of queries that fail
constexpr double kStuckRate = 0.001;    // share of orders whose payment hangs past the policy's timeout
constexpr auto kStuckFor = 1100ms;

// Counts the events this thread emitted. It is called in a field expression
// of every event, and DTA_EVENT evaluates the fields exactly when it hands
// the event to the runtime: so this is the shop's own count of what it emitted.
struct Tally {
  uint64_t emitted = 0;
  int mark(int worker) {
    ++emitted;
    return worker;
  }
};

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// One query against the simulated database: sleeps its latency, returns errno.
struct Database {
  std::mt19937_64 rng;
  int query(double& ms) {
    std::uniform_real_distribution<double> u(0, 1);
    double r = u(rng);
    double want = r < 0.90 ? 0.5 + 4.5 * u(rng) : r < 0.98 ? 10 + 30 * u(rng) : 40 + 80 * u(rng);
    auto start = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(want));
    ms = ms_since(start);
    if (u(rng) < kDbErrorRate) return u(rng) < 0.5 ? EIO : ETIMEDOUT;
    return 0;
  }
};

void front_end(dta::Runtime& rt, OrderQueue& queue, uint64_t seed, const std::atomic<bool>& stop, Tally& tally,
               uint64_t& orders) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> jitter(0, 4);
  int64_t next_id = 1;
  auto next_rush = Clock::now() + kFirstRush;
  auto put = [&] {
    int64_t id = next_id++;
    size_t depth = queue.put(Order{id, Clock::now()});
    DTA_EVENT(rt, "queue.put", info, {"id", id}, {"depth", depth}, {"worker", tally.mark(0)});
    ++orders;
  };
  while (!stop.load(std::memory_order_relaxed)) {
    if (Clock::now() >= next_rush) {
      for (int i = 0; i < kRushOrders; ++i) put();
      next_rush += kRushEvery;
    } else {
      put();
    }
    std::this_thread::sleep_for(kOrderGap - 2ms + std::chrono::milliseconds(jitter(rng)));
  }
  queue.close();
}

void worker(dta::Runtime& rt, OrderQueue& queue, int number, uint64_t seed, Tally& tally, uint64_t& done) {
  Database db{std::mt19937_64(seed)};
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);
  std::uniform_real_distribution<double> u(0, 1);
  std::uniform_int_distribution<int> queries(1, 3);
  for (;;) {
    std::optional<Order> o = queue.take(kTakeTimeout);
    if (!o) {
      if (queue.finished()) return;  // closed, and every order taken
      continue;
    }
    const int64_t id = o->id;
    auto start = Clock::now();
    DTA_EVENT(rt, "queue.take", info, {"id", id}, {"wait_ms", static_cast<int64_t>(ms_since(o->put))},
              {"worker", tally.mark(number)});
    DTA_EVENT(rt, "order.start", info, {"order", id}, {"worker", tally.mark(number)});
    bool ok = true;
    const char* reason = "";
    for (int q = queries(rng); q > 0 && ok; --q) {
      DTA_EVENT(rt, "shop.trace", debug, {"order", id}, {"step", "query"}, {"worker", tally.mark(number)});
      double ms = 0;
      int err = db.query(ms);
      DTA_EVENT(rt, "db.query", info, {"order", id}, {"ms", ms}, {"errno", err}, {"worker", tally.mark(number)});
      if (err != 0) {
        ok = false;
        reason = err == EIO ? "database i/o error" : "database timeout";
      }
    }
    if (ok && u(rng) < kStuckRate) std::this_thread::sleep_for(kStuckFor);  // the payment provider hangs
    DTA_EVENT(rt, "shop.trace", debug, {"order", id}, {"step", "done"}, {"worker", tally.mark(number)});
    DTA_EVENT(rt, "order.done", info, {"order", id}, {"ok", ok}, {"ms", ms_since(start)}, {"reason", reason},
              {"worker", tally.mark(number)});
    ++done;
  }
}

}  // namespace

SimulationCounts run_simulation(dta::Runtime& rt, const SimulationConfig& config, const std::atomic<bool>& stop) {
  OrderQueue queue;
  std::vector<Tally> tallies(config.workers + 1);
  std::vector<uint64_t> done(config.workers + 1, 0);
  uint64_t orders = 0;
  std::vector<std::thread> threads;
  threads.emplace_back(front_end, std::ref(rt), std::ref(queue), config.seed, std::cref(stop), std::ref(tallies[0]),
                       std::ref(orders));
  for (int w = 1; w <= config.workers; ++w)
    threads.emplace_back(worker, std::ref(rt), std::ref(queue), w, config.seed + w, std::ref(tallies[w]),
                         std::ref(done[w]));
  for (std::thread& t : threads) t.join();
  SimulationCounts c;
  c.orders = orders;
  for (const Tally& t : tallies) c.emitted += t.emitted;
  for (uint64_t d : done) c.done += d;
  return c;
}

}  // namespace shop
