// W1 benchmark: the ten classification rules (C1-C10) in .dta against the
// same rules hand-written in C++, over N generated events held in memory, in
// one process; then `dta replay` throughput on the same events as JSON Lines.
//
//   dta_bench_w1 [--n=1000000] [--reps=5] [--jsonl=/tmp/w1.jsonl]
//
// Prints ns/event for both engines and their ratio (medians of the reps),
// checks that both count the same, and events/s for replay.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
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

int main(int argc, char** argv) {
  size_t n = 1000000;
  int reps = 5;
  std::string jsonl = "/tmp/dta-w1.jsonl";
  for (int i = 1; i < argc; ++i) {
    if (!std::strncmp(argv[i], "--n=", 4)) n = std::stoul(argv[i] + 4);
    else if (!std::strncmp(argv[i], "--reps=", 7)) reps = std::max(1, std::atoi(argv[i] + 7));
    else if (!std::strncmp(argv[i], "--jsonl=", 8)) jsonl = argv[i] + 8;
    else {
      std::fprintf(stderr, "usage: dta_bench_w1 [--n=N] [--reps=R] [--jsonl=PATH]\n");
      return 2;
    }
  }

  dta::CompileResult compiled = dta::compile_file(std::string(DTA_BENCH_DIR) + "/w1_classify.dta");
  if (!compiled.ok()) {
    for (const auto& d : compiled.diagnostics) std::fputs(d.rendered.c_str(), stderr);
    return 2;
  }
  std::vector<anchors::Event> events(n);
  anchors::Generator gen;
  for (auto& e : events) gen.next(e);

  // The VM's events, interned once; every engine below interns the same names
  // in the same order first, so the ids agree.
  std::string err;
  auto first = dta::Engine::create(compiled.program, {}, &err);
  std::vector<dta::Event> dta_events(n);
  for (size_t i = 0; i < n; ++i) convert(events[i], first->symbols(), dta_events[i]);
  std::vector<std::string> names;
  for (uint32_t i = 0; i < first->symbols().size(); ++i) names.emplace_back(first->symbols().name(i));

  std::vector<double> native_ns, vm_ns;
  std::array<int64_t, 10> native_counts{};
  std::vector<dta::RuleReport> vm_rules;
  for (int r = 0; r < reps; ++r) {
    dta::bench::NativeClassifier native;
    auto t0 = Clock::now();
    for (const auto& e : events) native.on_event(e);
    auto t1 = Clock::now();
    native_ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(n));
    native_counts = native.c;

    auto engine = dta::Engine::create(compiled.program, {}, &err);
    for (const std::string& s : names) engine->symbols().intern(s);
    t0 = Clock::now();
    for (const auto& e : dta_events) engine->process(e);
    engine->finish();
    t1 = Clock::now();
    vm_ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(n));
    vm_rules = engine->report().rules;
  }
  bool same = vm_rules.size() == 10;
  std::printf("counts  ");
  for (int k = 0; k < 10 && same; ++k) {
    std::printf(" c%d=%lld", k + 1, static_cast<long long>(native_counts[k]));
    if (static_cast<int64_t>(vm_rules[k].matched) != native_counts[k]) {
      std::printf("(vm %llu!)", static_cast<unsigned long long>(vm_rules[k].matched));
      same = false;
    }
  }
  std::printf("\n");
  const double nat = median(native_ns), vm = median(vm_ns);
  std::printf("RESULT engine=native-c1-c10 n=%zu ns_per_event=%.2f\n", n, nat);
  std::printf("RESULT engine=dta-vm-c1-c10 n=%zu ns_per_event=%.2f\n", n, vm);
  std::printf("RATIO  vm/native=%.2f (target <= 2.5)  counts %s\n", vm / nat, same ? "match" : "DIFFER");

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

      auto engine = dta::Engine::create(compiled.program, {}, &err);
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
  return same ? 0 : 1;
}
