// Fault injection in a host (spec 9, faults.hpp): the opt-in gate, the
// decisions (deterministic per seed whatever the threads, the probability
// within statistical bounds, max and after), the `dta.fault` event, the
// counters in stats and report, and what reloads and switches do to them.
#include <doctest/doctest.h>

#include <mutex>
#include <set>
#include <thread>

#include "dta/dta.hpp"
#include "dta/faults.hpp"

namespace {

const char* const kPolicy = R"(
event dta.fault { point: string, hit: int }
rule traced on dta.fault { warning "fault at {point}, hit {hit}" }
profile chaos {
  seed 42
  inject db.open { errno: 5, why: "disk", slow: true, ms: 2.5 } probability 10%
}
profile capped {
  seed 7
  inject db.open { errno: 28 } max 3 after 5
}
profile many {
  seed 9
  inject db.open { errno: 1 } probability 10% max 500
}
profile other_seed {
  seed 43
  inject db.open { errno: 5, why: "disk", slow: true, ms: 2.5 } probability 10%
}
profile calm { }
)";

// One fault point of "the host's code".
dta::Fault open_db(dta::Runtime& rt) { return DTA_FAULT(rt, "db.open"); }

struct Host {
  std::mutex mu;
  std::vector<dta::Finding> findings;
  std::unique_ptr<dta::Runtime> rt;
  Host(const std::string& profile, bool allow) {
    dta::RuntimeOptions o;
    o.mode = dta::EvalMode::Sync;
    o.allow_fault_injection = allow;
    o.profile = profile;
    o.on_finding = [this](const dta::Finding& f) {
      std::lock_guard lock(mu);
      findings.push_back(f);
    };
    rt = dta::make_runtime(std::move(o));
    REQUIRE(rt);
    REQUIRE(rt->load_source("faults.dta", kPolicy).ok);
  }
  // The hits (1-based) of `n` calls that failed.
  std::vector<uint64_t> failed_hits(int n) {
    std::vector<uint64_t> out;
    for (int i = 0; i < n; ++i)
      if (dta::Fault f = open_db(*rt)) out.push_back(f.hit());
    return out;
  }
};

}  // namespace

TEST_SUITE("faults") {
  TEST_CASE("nothing is injected unless the host allows it; the injects are counted as ignored") {
    Host h("chaos", false);
    CHECK(h.failed_hits(10000).empty());
    const dta::RuntimeStats s = h.rt->stats();
    CHECK(s.injects_ignored == 1);
    CHECK(s.faults.empty());
    // and with no profile, or a profile without inject, nothing either
    Host none("", true);
    CHECK(none.failed_hits(1000).empty());
  }

  TEST_CASE("a fault carries its fields; a missing or mistyped one reads as the fallback") {
    Host h("capped", true);
    std::vector<dta::Fault> faults;
    for (int i = 0; i < 10; ++i)
      if (dta::Fault f = open_db(*h.rt)) faults.push_back(f);
    REQUIRE(faults.size() == 3);
    CHECK(faults[0].point() == "db.open");
    CHECK(faults[0].get_int("errno") == 28);
    CHECK(faults[0].get_int("nope", -1) == -1);
    CHECK(faults[0].get_string("errno", "x") == "x");
    CHECK(faults[0].has("errno"));
    CHECK_FALSE(faults[0].has("why"));
    Host c("chaos", true);
    dta::Fault f;
    for (int i = 0; i < 1000 && !f; ++i) f = open_db(*c.rt);
    REQUIRE(f);
    CHECK(f.get_string("why") == "disk");
    CHECK(f.get_bool("slow"));
    CHECK(f.get_float("ms") == 2.5);
    CHECK(f.get_float("errno") == 5.0);
    c.rt->load_source("faults.dta", "rule r on x { ok }");  // the policy goes: the fault stays readable
    CHECK(f.get_string("why") == "disk");
    CHECK_FALSE(open_db(*c.rt));
  }

  TEST_CASE("max and after: hits 6, 7 and 8 fail, no other") {
    Host h("capped", true);
    CHECK(h.failed_hits(100) == std::vector<uint64_t>{6, 7, 8});
    const dta::RuntimeStats s = h.rt->stats();
    REQUIRE(s.faults.size() == 1);
    CHECK(s.faults[0].hits == 100);
    CHECK(s.faults[0].injected == 3);
    CHECK(s.fault_seed == 7);
  }

  TEST_CASE("the same seed gives the same faults, another seed others") {
    Host a("chaos", true), b("chaos", true), c("other_seed", true);
    const std::vector<uint64_t> fa = a.failed_hits(2000), fb = b.failed_hits(2000), fc = c.failed_hits(2000);
    CHECK(fa == fb);
    CHECK(fa != fc);
    CHECK_FALSE(fa.empty());
  }

  TEST_CASE("the probability holds over 100,000 decisions") {
    Host h("chaos", true);
    const size_t n = h.failed_hits(100000).size();
    // 10% of 100,000: sigma = sqrt(100000 * 0.1 * 0.9) ~ 95; five sigmas either way
    CHECK(n > 9525);
    CHECK(n < 10475);
  }

  TEST_CASE("threads racing for hits get the same faults on the same hits as one thread, max exact") {
    Host one("many", true);
    const std::vector<uint64_t> want = one.failed_hits(40000);
    REQUIRE(want.size() == 500);  // the first 500 drawn, of ~4000
    Host h("many", true);
    std::mutex mu;
    std::vector<uint64_t> got;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        std::vector<uint64_t> mine;
        for (int i = 0; i < 10000; ++i)
          if (dta::Fault f = open_db(*h.rt)) mine.push_back(f.hit());
        std::lock_guard lock(mu);
        got.insert(got.end(), mine.begin(), mine.end());
      });
    for (std::thread& t : threads) t.join();
    std::sort(got.begin(), got.end());
    CHECK(got == want);
  }

  TEST_CASE("every injected fault is an event `dta.fault` that rules see") {
    Host h("capped", true);
    h.failed_hits(8);
    h.rt->flush();
    std::lock_guard lock(h.mu);
    REQUIRE(h.findings.size() == 3);
    CHECK(h.rt->stats().fault_events == 3);
    CHECK(h.findings[0].message == "fault at db.open, hit 6");
    CHECK(h.findings[2].message == "fault at db.open, hit 8");
  }

  TEST_CASE("the report counts hits and injections per point") {
    Host h("capped", true);
    h.failed_hits(20);
    const dta::Report r = h.rt->report();
    REQUIRE(r.faults.size() == 1);
    CHECK(r.faults[0].point == "db.open");
    CHECK(r.faults[0].hits == 20);
    CHECK(r.faults[0].injected == 3);
    CHECK(r.faults[0].max == 3);
    CHECK(r.faults[0].after == 5);
  }

  TEST_CASE("a reload with the same inject goes on where it was; a switch to a calm profile disarms the point") {
    Host h("capped", true);
    CHECK(h.failed_hits(6) == std::vector<uint64_t>{6});
    REQUIRE(h.rt->load_source("faults.dta", std::string(kPolicy) + "\nrule extra on x { ok }\n").ok);
    CHECK(h.failed_hits(4) == std::vector<uint64_t>{7, 8});
    REQUIRE(h.rt->set_profile("calm").ok);
    CHECK(h.failed_hits(100).empty());
    CHECK(h.rt->stats().faults.empty());
  }

  TEST_CASE("the rip cord stops injection") {
    Host h("capped", true);
    h.rt->set_disabled(true);
    CHECK(h.failed_hits(20).empty());
    h.rt->set_disabled(false);
    CHECK(h.failed_hits(6) == std::vector<uint64_t>{6});  // the calls while disabled were not hits
  }

  TEST_CASE("a profile without a seed draws one, which stats report to replay the run") {
    const char* policy = "rule r on x { ok }\nprofile p { inject a.b { n: 1 } probability 50% }\n";
    dta::RuntimeOptions o;
    o.mode = dta::EvalMode::Sync;
    o.allow_fault_injection = true;
    o.profile = "p";
    auto rt = dta::make_runtime(o);
    REQUIRE(rt->load_source("p.dta", policy).ok);
    std::vector<uint64_t> first;
    for (int i = 0; i < 200; ++i)
      if (dta::Fault f = DTA_FAULT(*rt, "a.b")) first.push_back(f.hit());
    const uint64_t seed = rt->stats().fault_seed;
    // the same seed, written in the profile, replays the same faults
    auto again = dta::make_runtime(o);
    REQUIRE(again->load_source("p.dta", "rule r on x { ok }\nprofile p { seed " + std::to_string(seed) +
                                            "\n inject a.b { n: 1 } probability 50% }\n").ok);
    std::vector<uint64_t> second;
    for (int i = 0; i < 200; ++i)
      if (dta::Fault f = DTA_FAULT(*again, "a.b")) second.push_back(f.hit());
    CHECK(first == second);
  }
}

#include <sstream>

#include "dta/verdict.hpp"

TEST_SUITE("faults") {
  TEST_CASE("a host's unit test asserts the verdict; a failure shows the findings") {
    dta::RuntimeOptions o;
    o.mode = dta::EvalMode::Async;
    auto rt = dta::make_runtime(o);
    REQUIRE(rt->load_source("v.dta", "rule db_open_failed on db.open where errno != 0 { error \"open {path}: {errno}\" }")
                .ok);
    DTA_EVENT(*rt, "db.open", info, {"path", "/a"}, {"errno", 0});
    CHECK(dta::verdict(*rt) == dta::Verdict::pass);
    DTA_EVENT(*rt, "db.open", info, {"path", "/b"}, {"errno", 13});
    const dta::Verdict v = dta::verdict(*rt);  // flushes the async queue first
    CHECK(v == dta::Verdict::fail);
    CHECK(v.errors == 1);
    std::ostringstream text;
    text << v;
    CHECK(text.str() == "fail: 1 error\n  error db_open_failed: open /b: 13 (db.open)");
  }
}
