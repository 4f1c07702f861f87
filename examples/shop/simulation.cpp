// The simulated shop's threads: one front end, N workers, a simulated database.
#include "simulation.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <mutex>
#include <string>
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
constexpr auto kTakeTimeout = 50ms;     // how long a worker waits for an order before it looks whether the queue closed
constexpr double kDbErrorRate = 0.015;  // share of queries that fail
constexpr double kStuckRate = 0.001;    // share of orders whose payment hangs past the policy's timeout
constexpr auto kStuckFor = 1100ms;
// The seeded defects' sizes (defects.hpp).
constexpr auto kDawdle = 60ms;     // queue_wait: a worker's pause before each take (4 workers then keep up with ~60 orders a second of the 100)
constexpr auto kLongLock = 30ms;   // lock_long: the inventory lock held this long
constexpr int kStormRetries = 20;  // retry_storm: retries of a failed query, at once

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

// One query against the simulated database: sleeps its latency, returns
// errno. A healthy database never fails on its own and has no slow tail; a
// profile may still make it fail at its fault point "db.query".
struct Database {
  dta::Runtime& rt;
  std::mt19937_64 rng;
  bool healthy = false;
  int query(double& ms, bool slow_path) {
    std::uniform_real_distribution<double> u(0, 1);
    double r = u(rng);
    double want = r < 0.90 ? 0.5 + 4.5 * u(rng) : (healthy || r < 0.98) ? 10 + 20 * u(rng) : 40 + 80 * u(rng);
    if (slow_path) want = 60 + 30 * u(rng);
    auto start = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(want));
    ms = ms_since(start);
    if (dta::Fault f = DTA_FAULT(rt, "db.query")) return static_cast<int>(f.get_int("errno", EIO));
    if (!healthy && u(rng) < kDbErrorRate) return u(rng) < 0.5 ? EIO : ETIMEDOUT;
    return 0;
  }
};

// The inventory, behind a lock every order takes for a moment.
struct Inventory {
  std::mutex mu;
  int64_t stock = 1000000;
};

void front_end(dta::Runtime& rt, OrderQueue& queue, uint64_t seed, int rush, const std::atomic<bool>& stop,
               Tally& tally, uint64_t& orders) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> jitter(0, 4);
  int64_t next_id = 1;
  auto next_rush = Clock::now() + kFirstRush;
  auto put = [&] {
    int64_t id = next_id++;
    queue.put(Order{id, Clock::now()}, [&](size_t depth) {
      DTA_EVENT(rt, "queue.put", info, {"id", id}, {"depth", depth}, {"worker", tally.mark(0)});
    });
    ++orders;
  };
  while (!stop.load(std::memory_order_relaxed)) {
    if (Clock::now() >= next_rush) {
      for (int i = 0; i < rush; ++i) put();
      next_rush += kRushEvery;
    } else {
      put();
    }
    std::this_thread::sleep_for(kOrderGap - 2ms + std::chrono::milliseconds(jitter(rng)));
  }
  queue.close();
}

// One worker's shared parts.
struct Shared {
  OrderQueue& queue;
  Inventory& inventory;
  std::atomic<int64_t>& next_conn;
  const SimulationConfig& config;
};

void worker(dta::Runtime& rt, Shared& shared, int number, uint64_t seed, Tally& tally, uint64_t& done) {
  const Defects& bug = shared.config.defects;
  Database db{rt, std::mt19937_64(seed), shared.config.healthy};
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);
  std::uniform_real_distribution<double> u(0, 1);
  std::uniform_int_distribution<int> queries(1, 3);
  for (;;) {
    if (bug.has(Defect::QueueWait)) std::this_thread::sleep_for(kDawdle);
    std::optional<Order> o = shared.queue.take(kTakeTimeout);
    if (!o) {
      if (shared.queue.finished()) return;  // closed, and every order taken
      continue;
    }
    const int64_t id = o->id;
    const std::string card = fmt::format("4111{:012d}", id % 1000000000000);
    auto start = Clock::now();
    DTA_EVENT(rt, "queue.take", info, {"id", id}, {"wait_ms", static_cast<int64_t>(ms_since(o->put))},
              {"worker", tally.mark(number)});
    DTA_EVENT(rt, "order.start", info, {"order", id}, {"card", card}, {"worker", tally.mark(number)});
    {
      auto locked = Clock::now();
      std::lock_guard lock(shared.inventory.mu);
      --shared.inventory.stock;
      if (bug.has(Defect::LockLong) && id % 10 == 0) std::this_thread::sleep_for(kLongLock);
      DTA_EVENT(rt, "lock.held", info, {"lock", "inventory"}, {"ms", ms_since(locked)}, {"worker", tally.mark(number)});
    }
    const int64_t conn = shared.next_conn.fetch_add(1);
    DTA_EVENT(rt, "db.conn.open", info, {"conn", conn}, {"order", id}, {"worker", tally.mark(number)});
    bool ok = true;
    int err = 0;
    for (int q = queries(rng); q > 0 && ok; --q) {
      DTA_EVENT(rt, "shop.trace", debug, {"order", id}, {"step", "query"}, {"worker", tally.mark(number)});
      double ms = 0;
      err = db.query(ms, bug.has(Defect::SlowPath) && id % 5 == 0);
      DTA_EVENT(rt, "db.query", info, {"order", id}, {"ms", ms}, {"errno", err}, {"worker", tally.mark(number)});
      for (int retry = 0; err != 0 && bug.has(Defect::RetryStorm) && retry < kStormRetries; ++retry) {
        err = db.query(ms, false);  // at once, no backoff, no limit worth the name
        DTA_EVENT(rt, "db.query", info, {"order", id}, {"ms", ms}, {"errno", err}, {"worker", tally.mark(number)});
      }
      if (err != 0 && !bug.has(Defect::Swallow)) ok = false;
    }
    if (!(bug.has(Defect::Leak) && id % 10 == 0))
      DTA_EVENT(rt, "db.conn.close", info, {"conn", conn}, {"order", id}, {"worker", tally.mark(number)});
    if (bug.has(Defect::DoubleClose) && id % 10 == 0)
      DTA_EVENT(rt, "db.conn.close", info, {"conn", conn}, {"order", id}, {"worker", tally.mark(number)});
    if (!shared.config.healthy && ok && u(rng) < kStuckRate)
      std::this_thread::sleep_for(kStuckFor);  // the payment provider hangs
    std::string reason = ok ? "" : err == EIO ? "database i/o error" : err == ETIMEDOUT ? "database timeout" : "database error";
    if (bug.has(Defect::CardInReason)) reason += (reason.empty() ? "paid with card " : ", card ") + card;
    const int64_t status = ok || bug.has(Defect::WrongStatus) ? 200 : 503;
    DTA_EVENT(rt, "shop.trace", debug, {"order", id}, {"step", "done"}, {"worker", tally.mark(number)});
    if (!(bug.has(Defect::NoFinish) && id % 20 == 0))
      DTA_EVENT(rt, "order.done", info, {"order", id}, {"ok", ok}, {"status", status}, {"ms", ms_since(start)},
                {"reason", reason}, {"worker", tally.mark(number)});
    ++done;
  }
}

}  // namespace

SimulationCounts run_simulation(dta::Runtime& rt, const SimulationConfig& config, const std::atomic<bool>& stop) {
  OrderQueue queue;
  Inventory inventory;
  std::atomic<int64_t> next_conn{1};
  Shared shared{queue, inventory, next_conn, config};
  std::vector<Tally> tallies(config.workers + 1);
  std::vector<uint64_t> done(config.workers + 1, 0);
  uint64_t orders = 0;
  std::vector<std::thread> threads;
  threads.emplace_back(front_end, std::ref(rt), std::ref(queue), config.seed, config.rush, std::cref(stop),
                       std::ref(tallies[0]), std::ref(orders));
  for (int w = 1; w <= config.workers; ++w)
    threads.emplace_back(worker, std::ref(rt), std::ref(shared), w, config.seed + w, std::ref(tallies[w]),
                         std::ref(done[w]));
  for (std::thread& t : threads) t.join();
  SimulationCounts c;
  c.orders = orders;
  for (const Tally& t : tallies) c.emitted += t.emitted;
  for (uint64_t d : done) c.done += d;
  return c;
}

}  // namespace shop
