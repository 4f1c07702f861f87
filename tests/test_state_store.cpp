// The state store: site ids and shapes, and export/import. A stream is cut in
// two; one engine runs the first part and exports, a second engine built
// from a recompiled, reordered copy of the policy imports (through the byte
// format) and runs the rest. It must produce exactly what one engine running
// the whole stream produces after the cut: every window kind, expectations,
// machines with `after`, alert dedup.
#include <doctest/doctest.h>

#include <algorithm>
#include <fmt/format.h>
#include <random>

#include "dta/disasm.hpp"
#include "dta/sites.hpp"
#include "helpers.hpp"

namespace {

constexpr int64_t kSec = 1000000000;
constexpr int64_t kT0 = 1767225600LL * kSec;

// Every kind of state: sliding windows of each aggregate (keyed and not),
// tumbling windows (keyed and not, with empty windows that fire),
// expectations with then and else (one met at its third arrival), a machine
// with `after`, alerts with dedup.
const char* kRules[] = {
    "rule s_count on req { when count() over 5s > 3 by host { warning \"busy {host} {value}\" } }",
    "rule s_sum on req { when sum(bytes) over 10s > 4000 { info \"sum {value}\" } }",
    "rule s_avg on req { when avg(ms) over 10s > 60.5 by host { info \"avg {host} {value}\" } }",
    "rule s_min on req { when min(ms) over 7s < 3 { info \"min {value}\" } }",
    "rule s_max on req { when max(ms) over 7s > 95 by host { info \"max {host} {value}\" } }",
    "rule s_rate on req { when rate() over 4s > 1.5 { info \"rate {value}\" } }",
    "rule s_q on req { when quantile(ms, 0.9) over 20s > 80 { info \"p90 {value}\" } }",
    "rule s_distinct on req { when distinct(user) over 30s > 4 { info \"users {value}\" } }",
    "rule t_count on req { when count() every 3s >= 2 by host { info \"t {host} {value}\" } }",
    "rule t_sum on req { when sum(bytes) every 5s <= 100 { info \"low {value}\" } }",
    "rule t_max on req { when max(ms) every 4s > 90 { alert warning \"slow {value}\" dedup host every 20s } }",
    "rule waits on job.start { expect job.end matching id within 6s then { info \"done {id}\" } else { error \"lost {id}\" } }",
    "rule loud on req where ms > 97 { alert critical \"loud {host}\" labels { h: host } dedup host every 15s }",
    // met at the third arrival (`expect N`): partly met expectations cross the cut
    "rule gather on job.start { expect 3 job.end matching id within 7s then { info \"all {id} {arrived}\" } "
    "else { warning \"{arrived} for {id}\" } }",
};
const char* kMachine = R"(
machine life by id {
  initial idle
  state idle { on job.start -> running }
  state running { on job.end -> idle  after 4s -> stuck { warning "stuck {id}" } }
  state stuck { on job.end -> idle { info "unstuck {id}" }  after 9s -> idle { alert info "gave up {id}" dedup id } }
}
)";
const char* kSchema = "event req { host: string, bytes: int, ms: int, user: string }\n"
                      "event job.start { id: int }\nevent job.end { id: int }\n";

// The policy with its rules in `order` (the machine first or last).
std::string policy(const std::vector<size_t>& order, bool machine_first) {
  std::string out = kSchema;
  if (machine_first) out += kMachine;
  for (size_t i : order) out += std::string(kRules[i]) + "\n";
  if (!machine_first) out += kMachine;
  return out;
}

struct Ev {
  int64_t ts;
  bool req;  // else a job event
  bool start;
  std::string host, user;
  int64_t bytes, ms, id;
};

// A seeded stream with bursts and gaps (so windows fire, close empty and time out).
std::vector<Ev> stream(uint32_t seed, size_t n) {
  std::mt19937 rng(seed);
  std::vector<Ev> out;
  int64_t ts = kT0;
  for (size_t i = 0; i < n; ++i) {
    ts += (rng() % 10 == 0) ? static_cast<int64_t>(rng() % 12) * kSec : static_cast<int64_t>(rng() % 900) * 1000000;
    Ev e{ts, rng() % 3 != 0, rng() % 2 == 0, "h" + std::to_string(rng() % 4), "u" + std::to_string(rng() % 7),
         static_cast<int64_t>(rng() % 900), static_cast<int64_t>(rng() % 100), static_cast<int64_t>(rng() % 6)};
    out.push_back(e);
  }
  return out;
}

void send(dta::Engine& e, const Ev& x) {
  dta::Interner& s = e.symbols();
  dta::Event ev;
  ev.ts = x.ts;
  if (x.req) {
    ev.name = s.intern("req");
    ev.add_string(s.intern("host"), x.host);
    ev.add_int(s.intern("bytes"), x.bytes);
    ev.add_int(s.intern("ms"), x.ms);
    ev.add_string(s.intern("user"), x.user);
  } else {
    ev.name = s.intern(x.start ? "job.start" : "job.end");
    ev.add_int(s.intern("id"), x.id);
  }
  REQUIRE(e.process(ev));
}

std::string key_text(const dta::KeyLabels& key) {
  std::string out;
  for (const auto& [k, v] : key) out += k + "=" + v + ";";
  return out;
}

// What an engine produced while `recording` was set: findings and alerts as
// sortable lines (a reordered policy produces one event's findings in another order).
struct Recorder {
  bool recording = false;
  std::vector<std::string> lines;
  dta::EngineOptions options() {
    dta::EngineOptions o;
    o.on_finding = [this](const dta::Finding& f) {
      if (recording)
        lines.push_back(fmt::format("F {} {} {} {} {} {}", f.ts, f.rule, dta::level_name(f.level), f.message, f.event,
                                    key_text(f.key)));
    };
    o.on_alert = [this](const dta::Alert& a) {
      if (!recording) return;
      std::string labels;
      for (const auto& [k, v] : a.labels) labels += k + "=" + v + ",";
      lines.push_back(fmt::format("A {} {} {} {} {} s={} {}", a.ts, a.rule, a.severity, a.message, labels,
                                  a.suppressed, key_text(a.key)));
    };
    return o;
  }
  std::vector<std::string> sorted() const {
    auto s = lines;
    std::sort(s.begin(), s.end());
    return s;
  }
};

// An engine for `text` whose callbacks go to `rec`; `samples` caps a sliding
// key's exact samples (small: windows degrade to slices).
std::unique_ptr<dta::Engine> make(const std::string& text, Recorder& rec, size_t samples = 65536) {
  auto prog = dta::test::compiled(text);
  REQUIRE(prog);
  std::string err;
  dta::EngineOptions opts = rec.options();
  opts.max_window_samples = samples;
  auto e = dta::Engine::create(prog, opts, &err);
  REQUIRE_MESSAGE(e, err);
  return e;
}

std::vector<std::string> pending_lines(const dta::Report& r) {
  std::vector<std::string> out;
  for (const dta::PendingItem& p : r.pending)
    out.push_back(fmt::format("{} {} {} {} {}", p.due, p.rule, p.kind, key_text(p.key), p.state));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_SUITE("state_store") {
  TEST_CASE("every stateful construct has a source-derived id and a shape, stable under reordering") {
    std::vector<size_t> fwd(std::size(kRules)), rev;
    for (size_t i = 0; i < fwd.size(); ++i) fwd[i] = i;
    rev.assign(fwd.rbegin(), fwd.rend());
    auto a = dta::test::compiled(policy(fwd, false));
    auto b = dta::test::compiled(policy(rev, true));
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->rules[0].whens[0].site.id == "s_count/when#0");
    CHECK(a->rules[11].expects[0].site.id == "waits/expect#0");
    CHECK(a->machines[0].site.id == "life/machine");
    CHECK(a->rules[10].whens[0].actions[0].site.id == "t_max/alert#0");
    CHECK(a->machines[0].states[2].transitions[1].actions[0].site.id == "life/alert#0");
    CHECK(a->rules[0].actions.empty());
    // the same construct has the same shape in both layouts
    for (size_t i = 0; i < a->rules.size(); ++i) {
      const dta::Rule& ra = a->rules[i];
      const dta::Rule& rb = b->rules[a->rules.size() - 1 - i];
      REQUIRE(ra.name == rb.name);
      for (size_t w = 0; w < ra.whens.size(); ++w) CHECK(ra.whens[w].site.shape == rb.whens[w].site.shape);
      for (size_t x = 0; x < ra.expects.size(); ++x) CHECK(ra.expects[x].site.shape == rb.expects[x].site.shape);
    }
    CHECK(a->machines[0].site.shape == b->machines[0].site.shape);
    // and different constructs have different shapes
    CHECK(a->rules[0].whens[0].site.shape != a->rules[8].whens[0].site.shape);
    CHECK(check_sites(*a).ok());
  }

  TEST_CASE("what changes a shape and what does not") {
    auto shape = [](const std::string& when) {
      auto p = dta::test::compiled("event e { n: int, k: string }\nrule r on e { " + when + " }");
      REQUIRE(p);
      return p->rules[0].whens[0].site.shape;
    };
    const uint64_t base = shape("when sum(n) over 10s > 5 by k { ok }");
    CHECK(shape("when sum(n) over 10s > 7 by k { warning \"x\" }") == base);  // threshold, actions
    CHECK(shape("when sum(n) over 10s > 5 by k for 3s { ok }") == base);      // `for`
    CHECK(shape("when sum(n) over 11s > 5 by k { ok }") != base);             // window length
    CHECK(shape("when sum(n) every 10s > 5 by k { ok }") != base);            // tumbling
    CHECK(shape("when avg(n) over 10s > 5 by k { ok }") != base);             // aggregate
    CHECK(shape("when sum(n * 2) over 10s > 5 by k { ok }") != base);         // aggregated expression
    CHECK(shape("when sum(n) over 10s > 5 { ok }") != base);                  // keys
  }

  TEST_CASE("a .dtb site whose shape does not match its code is refused by finalize") {
    auto p = dta::test::compiled("event e { n: int }\nrule r on e { when sum(n) over 10s > 5 { ok } }");
    REQUIRE(p);
    dta::Program& prog = const_cast<dta::Program&>(*p);
    prog.rules[0].whens[0].site.shape ^= 1;
    CHECK(check_sites(prog).error().find("shape") != std::string::npos);
    prog.rules[0].whens[0].site.shape ^= 1;
    prog.rules[0].whens[0].site.id = "";
    CHECK(check_sites(prog).error().find("empty") != std::string::npos);
  }

  TEST_CASE("a recompiled, reordered policy continues every kind of state where the first engine stopped") {
    std::vector<size_t> fwd(std::size(kRules));
    for (size_t i = 0; i < fwd.size(); ++i) fwd[i] = i;
    std::vector<size_t> shuffled = fwd;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
    for (const auto& [seed, samples] : {std::pair{1u, 65536}, {2u, 65536}, {3u, 65536}, {4u, 6}, {5u, 3}}) {
      const std::vector<Ev> events = stream(seed, 3000);
      for (size_t cut : {size_t{1}, events.size() / 3, events.size() / 2 + 17}) {
        CAPTURE(seed);
        CAPTURE(cut);
        Recorder whole_rec, first_rec, second_rec;
        auto whole = make(policy(fwd, false), whole_rec, samples);
        auto first = make(policy(fwd, false), first_rec, samples);
        auto second = make(policy(shuffled, true), second_rec, samples);
        for (size_t i = 0; i < cut; ++i) {
          send(*whole, events[i]);
          send(*first, events[i]);
        }
        const std::string bytes = dta::encode_state(first->export_state());
        auto snapshot = dta::decode_state(bytes);
        REQUIRE_MESSAGE(snapshot.ok(), snapshot.error());
        auto imported = second->import_state(*snapshot);
        REQUIRE(imported.ok());
        CHECK(imported->skipped.empty());
        CHECK(imported->imported == snapshot->sites.size());
        whole_rec.recording = second_rec.recording = true;
        for (size_t i = cut; i < events.size(); ++i) {
          send(*whole, events[i]);
          send(*second, events[i]);
        }
        CHECK(second->advance_to(events.back().ts + 12 * kSec));
        CHECK(whole->advance_to(events.back().ts + 12 * kSec));
        send(*whole, Ev{events.back().ts + 13 * kSec, false, true, "", "", 0, 0, 5});
        send(*second, Ev{events.back().ts + 13 * kSec, false, true, "", "", 0, 0, 5});
        whole->finish();
        second->finish();
        CHECK(whole_rec.lines.size() > 50);  // the stream exercises the rules
        if (samples < 10) CHECK(whole->report().diagnostics.degraded_windows > 0);  // and the degraded windows
        CHECK(second_rec.sorted() == whole_rec.sorted());
        const dta::Report rw = whole->report(), r1 = first->report(), r2 = second->report();
        CHECK(pending_lines(r2) == pending_lines(rw));
        CHECK(r2.pending_expectations == rw.pending_expectations);
        CHECK(r2.pending_timers == rw.pending_timers);
        // each rule fired as often in the two halves as in the whole
        for (const dta::RuleReport& w : rw.rules) {
          uint64_t fired = 0;
          for (const auto* r : {&r1, &r2})
            for (const dta::RuleReport& x : r->rules)
              if (x.name == w.name) fired += x.fired;
          CHECK_MESSAGE(fired == w.fired, w.name);
        }
      }
    }
  }

  TEST_CASE("import keeps state across an edited threshold and drops it where the shape changed") {
    const std::string before = std::string(kSchema) +
                               "rule a on req { when count() over 10s > 100 { info \"a {value}\" } }\n"
                               "rule b on req { when count() over 10s > 100 { info \"b {value}\" } }\n";
    const std::string after = std::string(kSchema) +
                              "rule a on req { when count() over 10s > 3 { info \"a {value}\" } }\n"
                              "rule b on req { when count() over 20s > 3 { info \"b {value}\" } }\n";
    Recorder r1, r2;
    auto e1 = make(before, r1);
    for (int i = 0; i < 3; ++i) send(*e1, Ev{kT0 + i * kSec, true, false, "h", "u", 1, 1, 0});
    auto e2 = make(after, r2);
    auto imported = e2->import_state(e1->export_state());
    REQUIRE(imported.ok());
    CHECK(imported->imported == 1);
    REQUIRE(imported->skipped.size() == 1);
    CHECK(imported->skipped[0].find("b/when#0") == 0);
    CHECK(imported->skipped[0].find("shape") != std::string::npos);
    r2.recording = true;
    send(*e2, Ev{kT0 + 4 * kSec, true, false, "h", "u", 1, 1, 0});
    REQUIRE(r2.lines.size() == 1);  // a kept its 3 events (4 > 3); b starts empty (1)
    CHECK(r2.lines[0].find("a 4") != std::string::npos);
  }

  TEST_CASE("a profile that changes a window's length changes its bound shape") {
    const std::string text = std::string(kSchema) +
                             "const W = 10s\nrule a on req { when count() over W > 100 { ok } }\n"
                             "profile p { set W = 20s }\n";
    auto prog = dta::test::compiled(text);
    REQUIRE(prog);
    std::string err;
    dta::EngineOptions o1, o2;
    o2.profile = "p";
    auto e1 = dta::Engine::create(prog, o1, &err);
    auto e2 = dta::Engine::create(prog, o2, &err);
    REQUIRE(e1);
    REQUIRE(e2);
    auto imported = e2->import_state(e1->export_state());
    REQUIRE(imported.ok());
    CHECK(imported->imported == 0);
    CHECK(imported->skipped.size() == 1);
  }

  TEST_CASE("the program's names are interned once and shared; event-only names are per engine and capped") {
    auto prog = dta::test::compiled(std::string(kSchema) + kRules[0] + "\n");
    REQUIRE(prog);
    REQUIRE(prog->symbols());
    std::string err;
    dta::EngineOptions opts;
    opts.max_symbols = 64;
    auto a = dta::Engine::create(prog, opts, &err);
    auto b = dta::Engine::create(prog, opts, &err);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->symbols().base() == prog->symbols().get());
    CHECK(b->symbols().base() == prog->symbols().get());
    for (const char* name : {"req", "host"}) {
      const uint32_t id = prog->symbols()->find(name);
      CHECK(id < prog->symbols()->size());
      CHECK(a->symbols().intern(name) == id);
      CHECK(b->symbols().intern(name) == id);
    }
    const uint32_t other_b = b->symbols().intern("only.in.b");
    const uint32_t other_a = a->symbols().intern("only.in.a");
    CHECK(other_a == other_b);  // the first event-only name of each engine: the same number, another name
    CHECK(a->symbols().name(other_a) == "only.in.a");
    CHECK(b->symbols().name(other_b) == "only.in.b");
    // the cap holds event-only names, never the program's
    for (int i = 0; i < 1000; ++i) a->symbols().intern("noise." + std::to_string(i));
    CHECK(a->symbols().size() <= 64);
    CHECK(a->symbols().intern("noise.999") == a->symbols().find(dta::Interner::kOther));
    CHECK(a->symbols().intern("host") == prog->symbols()->find("host"));
    CHECK(a->report().diagnostics.symbols_overflow > 0);
    CHECK(b->report().diagnostics.symbols_overflow == 0);
  }

  TEST_CASE("site_stats gives each site's keys and memory") {
    std::vector<size_t> fwd(std::size(kRules));
    for (size_t i = 0; i < fwd.size(); ++i) fwd[i] = i;
    Recorder rec;
    auto e = make(policy(fwd, false), rec);
    const std::vector<Ev> events = stream(9, 500);
    for (const Ev& x : events) send(*e, x);
    const std::vector<dta::SiteStats> stats = e->site_stats();
    CHECK(stats.size() == 17);  // 11 windows, 2 expectations, 1 machine, 3 alert dedups
    auto find = [&](const std::string& id) {
      for (const dta::SiteStats& s : stats)
        if (s.id == id) return s;
      FAIL("no site " << id);
      return dta::SiteStats{};
    };
    const dta::SiteStats count = find("s_count/when#0");
    CHECK(count.kind == "when");
    CHECK(count.keys == 4);  // hosts h0..h3
    CHECK(count.bytes > 4 * sizeof(void*));
    const dta::SiteStats waits = find("waits/expect#0");
    e->finish();
    CHECK(waits.keys + find("gather/expect#0").keys == e->report().pending_expectations);
    CHECK(find("life/machine").keys == 6);  // ids 0..5
    CHECK(find("t_max/alert#0").kind == "dedup");
    // more keys, more memory
    for (int i = 0; i < 200; ++i) send(*e, Ev{events.back().ts + 1, true, false, "x" + std::to_string(i), "u", 1, 1, 0});
    CHECK(e->site_stats()[0].id == "life/machine");
    const dta::SiteStats grown = [&] {
      for (const dta::SiteStats& s : e->site_stats())
        if (s.id == "s_count/when#0") return s;
      return dta::SiteStats{};
    }();
    CHECK(grown.keys == 204);
    CHECK(grown.bytes > count.bytes + 200 * 16);
  }

  TEST_CASE("bad state bytes are refused and leave the site empty") {
    Recorder r1, r2;
    const std::string text = std::string(kSchema) + kRules[0] + "\n" + kRules[11] + "\n" + kMachine;
    auto e1 = make(text, r1);
    const std::vector<Ev> events = stream(5, 200);
    for (const Ev& x : events) send(*e1, x);
    const dta::StateSnapshot good = e1->export_state();
    REQUIRE(good.sites.size() == 4);  // a window, an expectation, the machine and its alert dedup
    // the file format: magic, version, checksum, truncation
    const std::string bytes = dta::encode_state(good);
    CHECK(!dta::decode_state("").ok());
    CHECK(!dta::decode_state(bytes.substr(0, bytes.size() - 1)).ok());
    std::string flipped = bytes;
    flipped[flipped.size() / 2] ^= 0x20;
    CHECK(dta::decode_state(flipped).error().find("checksum") != std::string::npos);
    // every truncation of every site's bytes, and a flipped byte in each, is refused or
    // loads something the engine can run (never a crash: the ASan build checks)
    for (size_t s = 0; s < good.sites.size(); ++s) {
      const std::string& site = good.sites[s].bytes;
      for (size_t cut = 0; cut < site.size(); cut += std::max<size_t>(1, site.size() / 97)) {
        for (int flip = 0; flip < 2; ++flip) {
          dta::StateSnapshot bad = good;
          bad.sites[s].bytes = site.substr(0, cut);
          if (flip && cut < site.size()) bad.sites[s].bytes = site, bad.sites[s].bytes[cut] ^= 0x5a;
          auto e2 = make(text, r2);
          auto imported = e2->import_state(bad);
          REQUIRE(imported.ok());
          if (!flip) CHECK(imported->skipped.size() == 1);
          for (size_t i = 0; i < 50; ++i) send(*e2, events[i]);
          CHECK(e2->advance_to(events.back().ts + 100 * kSec));
          e2->finish();
        }
      }
    }
  }
}
