// W1 benchmark, in one process over N generated events held in memory:
//  1. the ten classification rules (C1-C10) in .dta against the same rules
//     hand-written in C++;
//  2. all sixteen rules (C1-C10, T1-T3, P1-P2, D1: flight-recorder dumps under
//     the `w1` profile's budget, `dumps: 1 per 5s`) likewise, the dumps going
//     to a sink that counts them (dumps, dumped events, dsig) instead of files;
//  3. the same with 1,000 more rules on events that never occur;
//  4. `dta replay` throughput on the same events as JSON Lines.
//
//   dta_bench_w1 [--n=1000000] [--reps=5] [--jsonl=PATH] [--no-replay] [--callgrind=classify|full|idle]
//
// Prints ns/event for both engines and their ratio (medians of the reps) and
// checks that both count the same. --callgrind=X runs comparison X once, for
//   valgrind --tool=callgrind --toggle-collect='*native_full_pass*' ...
//   valgrind --tool=callgrind --toggle-collect='*vm_pass*' ...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "dta/compiler.hpp"
#include "dta/engine.hpp"
#include "dta/jsonl.hpp"
#include "event.hpp"
#include "w1_native.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

const char* const kSeverity[] = {"debug", "debug", "info", "warning", "error"};

// The anchors' event as a dta::Event interned in `names`.
void convert(const anchors::Event& in, dta::Interner& names, dta::Event& out) {
  out.clear();
  out.ts = static_cast<int64_t>(in.ts_ns);
  out.name = names.intern(in.name);
  dta::parse_severity(kSeverity[in.severity < 5 ? in.severity : 2], out.severity);
  for (const anchors::Field& f : in.fields) {
    const uint32_t key = names.intern(f.key());
    if (auto* i = std::get_if<int64_t>(&f.v)) out.add_int(key, *i);
    else if (auto* d = std::get_if<double>(&f.v)) out.add_float(key, *d);
    else out.add_string(key, std::get<std::string>(f.v));
  }
}

// The anchors' event in the spec's JSON Lines format.
void to_jsonl(const anchors::Event& e, std::string& out) {
  out += "{\"ts\":" + std::to_string(e.ts_ns) + ",\"name\":\"" + e.name + "\",\"severity\":\"" +
         kSeverity[e.severity < 5 ? e.severity : 2] + "\",\"fields\":{";
  bool first = true;
  for (const anchors::Field& f : e.fields) {
    out += first ? "\"" : ",\"";
    first = false;
    out += f.key();
    out += "\":";
    if (auto* i = std::get_if<int64_t>(&f.v)) {
      out += std::to_string(*i);
    } else if (auto* d = std::get_if<double>(&f.v)) {
      char b[40];
      std::snprintf(b, sizeof b, "%.17g", *d);
      out += b;
      if (!std::strpbrk(b, ".eE")) out += ".0";
    } else {
      out += "\"" + std::get<std::string>(f.v) + "\"";
    }
  }
  out += "}}\n";
}

}  // namespace

namespace {

// The passes measured (kept out of line so callgrind can toggle on them).
__attribute__((noinline)) void native_classify_pass(const std::vector<anchors::Event>& evs,
                                                    dta::bench::NativeClassifier& n) {
  for (const auto& e : evs) n.on_event(e);
}
__attribute__((noinline)) void native_full_pass(const std::vector<anchors::Event>& evs, dta::bench::NativeW1& n) {
  for (const auto& e : evs) n.on_event(e);
}
__attribute__((noinline)) void vm_pass(const std::vector<dta::Event>& evs, dta::Engine& engine) {
  for (const auto& e : evs) engine.process(e);
  engine.finish();
}

struct Timed {
  double native_ns = 0, vm_ns = 0;
  dta::Report report;
};

// D1's dumps, counted as the anchors count them: dumps, events dumped, and
// dsig, the sum over dumps of position x (sev + 1) (sev: the anchors' 1 debug
// .. 4 error), read back from each dump's JSON Lines.
struct CountingSink final : dta::CollectionSink {
  int64_t dumps = 0, dumped = 0, dsig = 0;
  dta::CollectionResult collect(dta::CollectionRequest&& r) override {
    ++dumps;
    int64_t pos = 0;
    for (size_t at = 0; at < r.body.size();) {
      size_t nl = r.body.find('\n', at);
      if (nl == std::string::npos) nl = r.body.size();
      const std::string_view line(r.body.data() + at, nl - at);
      const size_t sv = line.find("\"severity\":\"");
      const std::string_view sev = sv == std::string_view::npos ? "" : line.substr(sv + 12, 4);
      const int64_t n = sev == "debu" ? 1 : sev == "info" ? 2 : sev == "warn" ? 3 : sev == "erro" ? 4 : 0;
      dsig += ++pos * (n + 1);
      at = nl + 1;
    }
    dumped += pos;
    return {dta::CollectionStatus::Written, "", r.body.size(), ""};
  }
};

// Median ns/event of `reps` runs of a native pass and of the VM on `prog`.
template <class Native, class Pass>
Timed measure(const std::vector<anchors::Event>& events, const std::vector<dta::Event>& dta_events,
              const std::vector<std::string>& names, std::shared_ptr<const dta::Program> prog, int reps, Pass pass,
              Native* native_out, const std::function<dta::EngineOptions()>& options = {}) {
  std::vector<double> native_ns, vm_ns;
  Timed out;
  const double n = static_cast<double>(events.size());
  std::string err;
  for (int r = 0; r < reps; ++r) {
    Native native;
    auto t0 = Clock::now();
    pass(events, native);
    auto t1 = Clock::now();
    native_ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / n);
    *native_out = native;

    auto engine = dta::Engine::create(prog, options ? options() : dta::EngineOptions{}, &err);
    if (!engine) {
      std::fprintf(stderr, "dta_bench_w1: %s\n", err.c_str());
      std::exit(2);
    }
    // An engine interns its program's names first, so each engine gets the
    // events built with its own ids, freshly allocated for every engine alike
    // (not timed).
    std::vector<dta::Event> evs(events.size());
    for (size_t i = 0; i < events.size(); ++i) convert(events[i], engine->symbols(), evs[i]);
    t0 = Clock::now();
    vm_pass(evs, *engine);
    t1 = Clock::now();
    vm_ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / n);
    out.report = engine->report();
  }
  out.native_ns = median(native_ns);
  out.vm_ns = median(vm_ns);
  return out;
}

std::shared_ptr<const dta::Program> compile(const std::string& path, const std::string& extra = "") {
  std::string text, err;
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return nullptr;
    char buf[65536];
    size_t k;
    while ((k = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, k);
    std::fclose(f);
  }
  dta::CompileResult r = dta::compile_source(path, text + extra);
  for (const auto& d : r.diagnostics) std::fputs(d.rendered.c_str(), stderr);
  return r.program;
}

uint64_t fired(const dta::Report& r, const std::string& rule) {
  for (const auto& rr : r.rules)
    if (rr.name == rule) return rr.fired;
  return 0;
}
uint64_t matched(const dta::Report& r, const std::string& rule) {
  for (const auto& rr : r.rules)
    if (rr.name == rule) return rr.matched;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 1000000;
  int reps = 5;
  bool replay = true, callgrind = false;
  std::string only;  // --callgrind=classify|full: run just that comparison once
  std::string jsonl = "/tmp/dta-w1.jsonl";
  for (int i = 1; i < argc; ++i) {
    if (!std::strncmp(argv[i], "--n=", 4)) n = std::stoul(argv[i] + 4);
    else if (!std::strncmp(argv[i], "--reps=", 7)) reps = std::max(1, std::atoi(argv[i] + 7));
    else if (!std::strncmp(argv[i], "--jsonl=", 8)) jsonl = argv[i] + 8;
    else if (!std::strcmp(argv[i], "--no-replay")) replay = false;
    else if (!std::strncmp(argv[i], "--callgrind=", 12)) callgrind = true, replay = false, reps = 1, only = argv[i] + 12;
    else {
      std::fprintf(stderr, "usage: dta_bench_w1 [--n=N] [--reps=R] [--jsonl=PATH] [--no-replay] [--callgrind=classify|full|idle]\n");
      return 2;
    }
  }
  const std::string dir = DTA_BENCH_DIR;
  auto classify = compile(dir + "/w1_classify.dta");
  auto full = compile(dir + "/w1_full.dta");
  std::string extra;  // 1,000 rules on events that never occur
  for (int i = 0; i < 1000; ++i)
    extra += "rule extra_" + std::to_string(i) + " on absent.e" + std::to_string(i) + " where x > " + std::to_string(i) +
             " { error \"x\" }\n";
  auto full_extra = compile(dir + "/w1_full.dta", extra);
  if (!classify || !full || !full_extra) return 2;

  std::vector<anchors::Event> events(n);
  anchors::Generator gen;
  for (auto& e : events) gen.next(e);
  // The VM's events, interned once; every engine interns the same names in
  // the same order first, so the ids agree.
  std::string err;
  auto first = dta::Engine::create(full_extra, {}, &err);
  std::vector<dta::Event> dta_events(n);
  for (size_t i = 0; i < n; ++i) convert(events[i], first->symbols(), dta_events[i]);
  std::vector<std::string> names;
  for (uint32_t i = 0; i < first->symbols().size(); ++i) names.emplace_back(first->symbols().name(i));

  bool ok = true;
  // 1. C1-C10
  if (only.empty() || only == "classify") {
  dta::bench::NativeClassifier nc;
  Timed c = measure(events, dta_events, names, classify, reps,
                    [](const auto& evs, dta::bench::NativeClassifier& x) { native_classify_pass(evs, x); }, &nc);
  bool same = true;
  std::printf("counts   ");
  for (int k = 0; k < 10; ++k) {
    const uint64_t vm = matched(c.report, "c" + std::to_string(k + 1));
    std::printf(" c%d=%lld", k + 1, static_cast<long long>(nc.c[k]));
    if (static_cast<int64_t>(vm) != nc.c[k]) std::printf("(vm %llu!)", static_cast<unsigned long long>(vm)), same = false;
  }
  std::printf("\nRESULT rules=C1-C10 n=%zu native_ns=%.2f vm_ns=%.2f ratio=%.2f (target <= 2.5) counts %s\n", n,
              c.native_ns, c.vm_ns, c.vm_ns / c.native_ns, same ? "match" : "DIFFER");
  ok &= same;
  }
  if (only == "classify") return ok ? 0 : 1;

  // 2. C1-C10, T1-T3, P1-P2, D1 (--callgrind=idle: the program with 1,000 idle rules instead)
  bool same = true;
  dta::bench::NativeW1 nw;
  std::shared_ptr<CountingSink> sink;  // the last engine's
  auto w1_options = [&] {
    dta::EngineOptions o;
    o.profile = "w1";  // D1's budget: dumps: 1 per 5s
    sink = std::make_shared<CountingSink>();
    o.collect = sink;
    return o;
  };
  Timed f = measure(events, dta_events, names, only == "idle" ? full_extra : full, reps,
                    [](const auto& evs, dta::bench::NativeW1& x) { native_full_pass(evs, x); }, &nw, w1_options);
  const std::pair<const char*, int64_t> state_counts[] = {{"t1", nw.t1.fired}, {"t2", nw.t2.fired}, {"t3", nw.t3.fired},
                                                          {"p1", nw.p1.warns}, {"p2", nw.p2.warns}};
  std::printf("counts   ");
  for (const auto& [name, want] : state_counts) {
    const uint64_t vm = fired(f.report, name);
    std::printf(" %s=%lld", name, static_cast<long long>(want));
    if (static_cast<int64_t>(vm) != want) std::printf("(vm %llu!)", static_cast<unsigned long long>(vm)), same = false;
  }
  const std::pair<const char*, std::pair<int64_t, int64_t>> dump_counts[] = {
      {"dumps", {nw.dumps, sink->dumps}}, {"dumped", {nw.dumped_events, sink->dumped}}, {"dsig", {nw.dsig, sink->dsig}}};
  for (const auto& [name, pair] : dump_counts) {
    std::printf(" %s=%lld", name, static_cast<long long>(pair.first));
    if (pair.first != pair.second) std::printf("(vm %lld!)", static_cast<long long>(pair.second)), same = false;
  }
  for (int k = 0; k < 10; ++k) same &= static_cast<int64_t>(matched(f.report, "c" + std::to_string(k + 1))) == nw.classify.c[k];
  std::printf(" alerts=%zu\nRESULT rules=W1-16 n=%zu native_ns=%.2f vm_ns=%.2f ratio=%.2f (target <= 1.5) counts %s\n",
              f.report.alerts.size(), n, f.native_ns, f.vm_ns, f.vm_ns / f.native_ns, same ? "match" : "DIFFER");
  ok &= same;
  if (callgrind) return ok ? 0 : 1;

  // 3. the same plus 1,000 rules on events that never occur
  Timed x = measure(events, dta_events, names, full_extra, reps,
                    [](const auto& evs, dta::bench::NativeW1& y) { native_full_pass(evs, y); }, &nw, w1_options);
  std::printf("RESULT rules=W1-16+1000-idle n=%zu vm_ns=%.2f vs W1-16 %.2f: +%.1f%% (target <= 10%%)\n", n, x.vm_ns,
              f.vm_ns, (x.vm_ns / f.vm_ns - 1) * 100);
  if (!replay) return ok ? 0 : 1;
  // Replay: JSON Lines parsing + the same rules, file to report.
  {
    std::string text;
    text.reserve(n * 200);
    for (const auto& e : events) to_jsonl(e, text);
    std::FILE* f = std::fopen(jsonl.c_str(), "wb");
    if (!f) return 2;
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    std::vector<double> replay_s, parse_s;
    uint64_t seen = 0;
    for (int r = 0; r < reps; ++r) {
      // baseline: the parser alone (JSON -> Event) over the same lines
      dta::Interner names_only;
      dta::JsonlParser parser(names_only);
      dta::Event ev;
      auto t0 = Clock::now();
      size_t start = 0;
      while (start < text.size()) {
        const size_t end = text.find('\n', start);
        parser.parse(std::string_view(text.data() + start, end - start), ev, &err);
        start = end + 1;
      }
      auto t1 = Clock::now();
      parse_s.push_back(std::chrono::duration<double>(t1 - t0).count());

      auto engine = dta::Engine::create(classify, {}, &err);
      std::FILE* in = std::fopen(jsonl.c_str(), "rb");
      t0 = Clock::now();
      dta::replay_stream(in, *engine, nullptr, &err);
      engine->finish();
      const dta::Report rep = engine->report();
      t1 = Clock::now();
      std::fclose(in);
      seen = rep.events;
      replay_s.push_back(std::chrono::duration<double>(t1 - t0).count());
    }
    const double rs = median(replay_s), ps = median(parse_s);
    std::printf("RESULT replay file=%s bytes=%zu events=%llu events_per_s=%.0f (target >= 1000000)\n", jsonl.c_str(),
                text.size(), static_cast<unsigned long long>(seen), static_cast<double>(n) / rs);
    std::printf("RESULT parse-only events_per_s=%.0f  replay/parse-only time ratio=%.2f\n",
                static_cast<double>(n) / ps, rs / ps);
  }
  return ok ? 0 : 1;
}
