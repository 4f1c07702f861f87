// The in-process runtime's benchmarks (issue 8 item 8), each against a
// baseline measured in the same run (Google Benchmark):
//  a. a site nobody listens to        vs  a bare relaxed-atomic load and branch
//  b. an enabled async emit (5 fields) vs  the same fields written into a
//     preallocated struct; the runtime's ring vs two boost::lockfree::queue
//     passing slot indices (2 producers, 1 consumer)
//  c. 4 threads emitting W1 events with the W1 rules loaded (events/s, drops)
//  d. the longest single emit during 100 reloads vs the same without reloads
//
//   dta_bench_host [google benchmark flags]
//   dta_bench_host --callgrind=idle|flag|emit    one pass of 1,000,000 (emit: 100,000) for
//     valgrind --tool=callgrind --toggle-collect='*idle_site_pass*' build/bin/dta_bench_host --callgrind=idle
//     valgrind --tool=callgrind --toggle-collect='*flag_pass*' build/bin/dta_bench_host --callgrind=flag
//     valgrind --tool=callgrind --toggle-collect='*emit5*' build/bin/dta_bench_host --callgrind=emit
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <boost/lockfree/queue.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "dta/dta.hpp"
#include "event.hpp"
#include "host/event_queue.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kCallgrindPass = 1000000;  // iterations of one --callgrind pass

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

std::unique_ptr<dta::Runtime> runtime(dta::EvalMode mode, const std::string& policy, size_t queue = 65536) {
  dta::RuntimeOptions o;
  o.mode = mode;
  o.queue_capacity = queue;
  auto rt = dta::make_runtime(std::move(o));
  if (rt && !policy.empty() && !rt->load_source("bench.dta", policy).ok) rt.reset();
  return rt;
}

// ---------------------------------------------------------------- a. idle site vs flag

__attribute__((noinline)) void idle_site_pass(dta::Runtime& rt, int64_t n) {
  for (int64_t i = 0; i < n; ++i) DTA_EVENT(rt, "bench.idle", info, {"i", i}, {"path", "/srv/app.db"});
}

__attribute__((noinline)) void flag_pass(const std::atomic<uint32_t>& flag, int64_t n, int64_t& sink) {
  for (int64_t i = 0; i < n; ++i)
    if (__builtin_expect(flag.load(std::memory_order_relaxed) != 0, 0)) sink += i;
}

void BM_a_idle_site(benchmark::State& state) {
  auto rt = runtime(dta::EvalMode::Async, "rule other on bench.other { info \"x\" }\n");
  for (auto _ : state) idle_site_pass(*rt, 1000);
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_a_idle_site);

void BM_a_flag_baseline(benchmark::State& state) {
  std::atomic<uint32_t> flag{0};
  int64_t sink = 0;
  for (auto _ : state) flag_pass(flag, 1000, sink);
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_a_flag_baseline);

// ---------------------------------------------------------------- b. enabled emit vs a struct

constexpr const char* kEmitPolicy = "rule big on bench.emit where a > 1000000000000 { info \"{a}\" }\n";
constexpr int kBatch = 64;        // emits timed together (the clock costs ~20 ns)
constexpr int kFlushEvery = 256;  // batches between flushes: 16k events, a quarter of the queue

__attribute__((noinline)) void emit5(dta::Runtime& rt, int64_t i) {
  DTA_EVENT(rt, "bench.emit", info, {"a", i}, {"b", 2.5}, {"ok", true}, {"path", "/srv/app.db"}, {"user", "alice"});
}

void BM_b_async_emit_5_fields(benchmark::State& state) {
  auto rt = runtime(dta::EvalMode::Async, kEmitPolicy);
  std::vector<double> per_emit;
  int64_t i = 0, batches = 0;
  const uint64_t dropped0 = rt->stats().dropped;
  for (auto _ : state) {
    auto t0 = Clock::now();
    for (int k = 0; k < kBatch; ++k) emit5(*rt, i++);
    auto t1 = Clock::now();
    double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
    state.SetIterationTime(ns / 1e9);
    per_emit.push_back(ns / kBatch);
    if (++batches % kFlushEvery == 0) rt->flush();  // the runtime's thread drains concurrently meanwhile
  }
  rt->flush();
  dta::RuntimeStats s = rt->stats();
  state.counters["median_ns"] = median(per_emit);
  state.counters["dropped"] = static_cast<double>(s.dropped - dropped0);
  state.counters["evaluated"] = static_cast<double>(s.evaluated);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_b_async_emit_5_fields)->UseManualTime();

struct Preallocated {
  int64_t ts, a;
  double b;
  bool ok;
  char path[64];
  uint32_t path_len;
  char user[32];
  uint32_t user_len;
};

__attribute__((noinline)) void write5(Preallocated& p, int64_t i) {
  std::string_view path = "/srv/app.db", user = "alice";
  p.ts = now_ns();
  p.a = i;
  p.b = 2.5;
  p.ok = true;
  std::memcpy(p.path, path.data(), path.size());
  p.path_len = static_cast<uint32_t>(path.size());
  std::memcpy(p.user, user.data(), user.size());
  p.user_len = static_cast<uint32_t>(user.size());
}

void BM_b_struct_baseline(benchmark::State& state) {
  std::vector<Preallocated> slots(4096);
  std::vector<double> per_write;
  int64_t i = 0;
  for (auto _ : state) {
    auto t0 = Clock::now();
    for (int k = 0; k < kBatch; ++k, ++i) write5(slots[i & 4095], i);
    auto t1 = Clock::now();
    double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
    state.SetIterationTime(ns / 1e9);
    per_write.push_back(ns / kBatch);
  }
  benchmark::DoNotOptimize(slots.data());
  state.counters["median_ns"] = median(per_write);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_b_struct_baseline)->UseManualTime();

// The ring against two boost::lockfree::queue of slot indices: `producers`
// threads push kRingEvents each, one consumer pops them all.
constexpr int kRingEvents = 200000;
constexpr size_t kRingCapacity = 65536;
const dta::EventSite kRingSite{"bench.ring", dta::Severity::Info};

void push_fields(auto&& push, int64_t i) {
  push({{"a", i}, {"b", 2.5}, {"ok", true}, {"path", "/srv/app.db"}, {"user", "alice"}});
}

void BM_b_ring(benchmark::State& state) {
  const int producers = static_cast<int>(state.range(0));
  uint64_t full = 0;
  for (auto _ : state) {
    dta::EventQueue q(kRingCapacity);
    std::atomic<uint64_t> refused{0};
    std::vector<std::thread> ts;
    for (int p = 0; p < producers; ++p)
      ts.emplace_back([&] {
        for (int64_t i = 0; i < kRingEvents; ++i)
          push_fields(
              [&](std::initializer_list<dta::FieldArg> f) {
                while (!q.push(&kRingSite, "", dta::Severity::Info, i, f))
                  refused.fetch_add(1, std::memory_order_relaxed);
              },
              i);
      });
    int64_t got = 0, sum = 0;
    while (got < int64_t{kRingEvents} * producers) {
      if (dta::RawEvent* e = q.front()) {
        sum += e->ts;
        q.pop();
        ++got;
      }
    }
    for (auto& t : ts) t.join();
    benchmark::DoNotOptimize(sum);
    full += refused.load();
  }
  state.counters["full_retries"] = static_cast<double>(full);
  state.SetItemsProcessed(state.iterations() * kRingEvents * producers);
}
BENCHMARK(BM_b_ring)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_b_boost_lockfree_indices(benchmark::State& state) {
  const int producers = static_cast<int>(state.range(0));
  uint64_t full = 0;
  for (auto _ : state) {
    std::vector<dta::RawEvent> slots(kRingCapacity);
    boost::lockfree::queue<uint32_t> free_list(kRingCapacity), ready(kRingCapacity);
    for (uint32_t s = 0; s < kRingCapacity; ++s) free_list.bounded_push(s);
    std::atomic<uint64_t> refused{0};
    std::vector<std::thread> ts;
    for (int p = 0; p < producers; ++p)
      ts.emplace_back([&] {
        for (int64_t i = 0; i < kRingEvents; ++i)
          push_fields(
              [&](std::initializer_list<dta::FieldArg> f) {
                uint32_t s;
                while (!free_list.pop(s)) refused.fetch_add(1, std::memory_order_relaxed);
                slots[s].assign(&kRingSite, "", dta::Severity::Info, i, f);
                ready.bounded_push(s);
              },
              i);
      });
    int64_t got = 0, sum = 0;
    while (got < int64_t{kRingEvents} * producers) {
      uint32_t s;
      if (ready.pop(s)) {
        sum += slots[s].ts;
        free_list.bounded_push(s);
        ++got;
      }
    }
    for (auto& t : ts) t.join();
    benchmark::DoNotOptimize(sum);
    full += refused.load();
  }
  state.counters["full_retries"] = static_cast<double>(full);
  state.SetItemsProcessed(state.iterations() * kRingEvents * producers);
}
BENCHMARK(BM_b_boost_lockfree_indices)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------- c. 4 threads, W1

constexpr int kW1Threads = 4;
constexpr size_t kW1PerThread = 200000;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A static-lifetime site per (event name, severity), as DTA_EVENT makes them.
struct W1Sites {
  std::vector<std::unique_ptr<dta::EventSite>> sites;  // [name * 4 + severity]
  W1Sites() {
    static const dta::Severity sev[4] = {dta::Severity::Debug, dta::Severity::Info, dta::Severity::Warning,
                                         dta::Severity::Error};
    for (int n = 0; n < anchors::N_COUNT; ++n)
      for (int s = 0; s < 4; ++s) sites.push_back(std::make_unique<dta::EventSite>(anchors::kEventNames[n], sev[s]));
  }
  dta::EventSite& at(const anchors::Event& e) {
    int s = e.severity >= 1 && e.severity <= 4 ? e.severity - 1 : 1;
    return *sites[e.name_id * 4 + s];
  }
};

void emit_w1(dta::EventSite& site, dta::Runtime& rt, const anchors::Event& e) {
  if (!site.armed() || !dta::site_listens(site, rt)) return;
  dta::FieldArg a[anchors::kMaxFields] = {
      {"", 0}, {"", 0}, {"", 0}, {"", 0}, {"", 0}, {"", 0},
  };
  size_t n = 0;
  for (const anchors::Field& f : e.fields) {
    if (auto* i = std::get_if<int64_t>(&f.v))
      a[n++] = dta::FieldArg(f.key(), *i);
    else if (auto* d = std::get_if<double>(&f.v))
      a[n++] = dta::FieldArg(f.key(), *d);
    else
      a[n++] = dta::FieldArg(f.key(), std::get<std::string>(f.v));
  }
  switch (n) {
    case 0:
      dta::emit_event(site, rt, {});
      break;
    case 1:
      dta::emit_event(site, rt, {a[0]});
      break;
    case 2:
      dta::emit_event(site, rt, {a[0], a[1]});
      break;
    case 3:
      dta::emit_event(site, rt, {a[0], a[1], a[2]});
      break;
    case 4:
      dta::emit_event(site, rt, {a[0], a[1], a[2], a[3]});
      break;
    case 5:
      dta::emit_event(site, rt, {a[0], a[1], a[2], a[3], a[4]});
      break;
    default:
      dta::emit_event(site, rt, {a[0], a[1], a[2], a[3], a[4], a[5]});
      break;
  }
}

void BM_c_w1_4_threads(benchmark::State& state) {
  static W1Sites sites;  // sites live as long as the process, as DTA_EVENT's do
  std::vector<anchors::Event> events(kW1PerThread);
  anchors::Generator gen;
  for (auto& e : events) gen.next(e);
  const std::string policy = read_file(std::string(DTA_BENCH_DIR) + "/w1_full.dta");
  const std::string classify = read_file(std::string(DTA_BENCH_DIR) + "/w1_classify.dta");
  double evaluated = 0, dropped = 0, emitted = 0;
  for (auto _ : state) {
    dta::RuntimeOptions o;
    o.queue_capacity = 65536;
    o.loader = [&](const std::string& name, const std::string& text, const std::vector<dta::HostEventSchema>& s) {
      // w1_full.dta includes w1_classify.dta: inline it (the runtime loads text)
      std::string t = text;
      auto at = t.find("include \"w1_classify.dta\"");
      if (at != std::string::npos) t.replace(at, std::strlen("include \"w1_classify.dta\""), classify);
      return dta::policy_loader()(name, t, s);
    };
    auto rt = dta::make_runtime(std::move(o));
    if (!rt || !rt->load_source("w1_full.dta", policy).ok) {
      state.SkipWithError("w1_full.dta did not load");
      return;
    }
    std::vector<std::thread> ts;
    for (int t = 0; t < kW1Threads; ++t)
      ts.emplace_back([&] {
        for (const anchors::Event& e : events) emit_w1(sites.at(e), *rt, e);
      });
    for (auto& t : ts) t.join();
    rt->flush();
    dta::RuntimeStats s = rt->stats();
    evaluated += static_cast<double>(s.evaluated);
    dropped += static_cast<double>(s.dropped);
    emitted += static_cast<double>(s.emitted);
  }
  state.counters["evaluated_per_s"] = benchmark::Counter(evaluated, benchmark::Counter::kIsRate);
  state.counters["emitted_per_s"] = benchmark::Counter(emitted, benchmark::Counter::kIsRate);
  state.counters["drop_rate"] = emitted > 0 ? dropped / emitted : 0;
  state.counters["sent_per_thread"] = static_cast<double>(kW1PerThread);
}
BENCHMARK(BM_c_w1_4_threads)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(3);

// ---------------------------------------------------------------- d. emitter stalls during reloads

constexpr int kReloads = 100;
constexpr auto kReloadGap = std::chrono::milliseconds(5);  // both runs last kReloads gaps (0.5 s)

// One thread emits and times every emit while the main thread reloads the
// policy `reloads` times (alternating two texts, one every 5 ms), or with 0
// does nothing for as long.
void stall_run(benchmark::State& state, int reloads) {
  const std::string a =
      std::string(kEmitPolicy) + "rule w on bench.emit { when count() over 1s > 1000000 { info \"x\" } }\n";
  const std::string b = a + "rule extra on bench.emit where a < 0 { info \"never\" }\n";
  double worst = 0, p9999 = 0, took_ms = 0;
  uint64_t ok = 0;
  for (auto _ : state) {
    auto rt = runtime(dta::EvalMode::Async, a);
    std::atomic<bool> stop{false};
    std::vector<double> times;
    times.reserve(1 << 22);
    std::thread emitter([&] {
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        auto t0 = Clock::now();
        emit5(*rt, i);
        times.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
        if ((i & 1023) == 0) std::this_thread::yield();  // let the runtime's thread keep up
      }
    });
    auto t0 = Clock::now();
    for (int r = 0; r < kReloads; ++r) {
      if (reloads > 0) ok += rt->load_source("bench.dta", r % 2 ? a : b).ok;
      std::this_thread::sleep_until(t0 + (r + 1) * kReloadGap);
    }
    took_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    stop = true;
    emitter.join();
    std::sort(times.begin(), times.end());
    worst = std::max(worst, times.back());
    p9999 = std::max(p9999, times[times.size() * 9999 / 10000]);
    state.counters["emits"] = static_cast<double>(times.size());
  }
  state.counters["max_emit_us"] = worst / 1000;
  state.counters["p99.99_emit_us"] = p9999 / 1000;
  state.counters["reloads_ok"] = static_cast<double>(ok);
  state.counters["run_ms"] = took_ms;
}

void BM_d_stall_100_reloads(benchmark::State& state) { stall_run(state, kReloads); }
void BM_d_stall_no_reloads(benchmark::State& state) { stall_run(state, 0); }
BENCHMARK(BM_d_stall_100_reloads)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_d_stall_no_reloads)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--callgrind=", 12) != 0) continue;
    std::string what = argv[i] + 12;
    if (what == "idle") {
      auto rt = runtime(dta::EvalMode::Async, "rule other on bench.other { info \"x\" }\n");
      idle_site_pass(*rt, 1);  // registers the site outside the measured pass
      idle_site_pass(*rt, kCallgrindPass);
    } else if (what == "emit") {  // instructions of one enabled async emit (the ring never fills here)
      auto rt = runtime(dta::EvalMode::Async, kEmitPolicy, 2 * kCallgrindPass);
      emit5(*rt, 0);
      rt->flush();
      for (int64_t i = 1; i <= kCallgrindPass / 10; ++i) emit5(*rt, i);
      std::printf("%lld emits\n", static_cast<long long>(kCallgrindPass / 10));
      return 0;
    } else if (what == "flag") {
      std::atomic<uint32_t> flag{0};
      int64_t sink = 0;
      flag_pass(flag, kCallgrindPass, sink);
      benchmark::DoNotOptimize(sink);
    } else {
      std::fprintf(stderr, "usage: dta_bench_host [--callgrind=idle|flag|emit] [benchmark flags]\n");
      return 2;
    }
    std::printf("%lld iterations\n", static_cast<long long>(kCallgrindPass));
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
