// The in-process runtime (issue 8): event sites, sync and async evaluation,
// exact accounting, reloads that keep state, profiles, enable, the rip cord,
// host schemas.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "dta/dta.hpp"

using namespace std::chrono_literals;

namespace {

// A runtime with the compiler's loader and callbacks that collect.
struct Host {
  std::mutex mu;
  std::vector<dta::Finding> findings;
  std::vector<dta::Alert> alerts;
  std::vector<dta::RuntimeError> errors;
  std::unique_ptr<dta::Runtime> rt;

  explicit Host(dta::RuntimeOptions o = {}) {
    o.on_finding = [this](const dta::Finding& f) {
      std::lock_guard lock(mu);
      findings.push_back(f);
    };
    o.on_alert = [this](const dta::Alert& a) {
      std::lock_guard lock(mu);
      alerts.push_back(a);
    };
    o.on_error = [this](const dta::RuntimeError& e) {
      std::lock_guard lock(mu);
      errors.push_back(e);
    };
    rt = dta::make_runtime(std::move(o));
    REQUIRE(rt);
  }
  size_t count(const std::string& rule) {
    std::lock_guard lock(mu);
    size_t n = 0;
    for (const dta::Finding& f : findings) n += f.rule == rule;
    return n;
  }
};

dta::RuntimeOptions sync_options() {
  dta::RuntimeOptions o;
  o.mode = dta::EvalMode::Sync;
  return o;
}

// Call sites of the host's code: one static site each.
std::atomic<int> g_evaluated_args{0};  // how often a field expression ran (threads emit too)
int arg(int v) {
  ++g_evaluated_args;
  return v;
}
void open_db(dta::Runtime& rt, const std::string& path, int err) {
  DTA_EVENT(rt, "db.open", warning, {"path", path}, {"errno", arg(err)});
}
void query(dta::Runtime& rt, int ms) { DTA_EVENT(rt, "db.query", info, {"ms", ms}); }
void trace(dta::Runtime& rt, int n) { DTA_EVENT(rt, "db.trace", debug, {"n", arg(n)}); }
void job(dta::Runtime& rt, const char* what, int id) {
  if (std::string_view(what) == "start")
    DTA_EVENT(rt, "job.start", info, {"id", id});
  else
    DTA_EVENT(rt, "job.end", info, {"id", id});
}

constexpr const char* kDbPolicy = R"DTA(
rule db_open_failed on db.open where errno != 0 { error "cannot open {path} ({errno})" }
rule slow on db.query where ms > 100 { warning "slow query {ms} ms" }
profile lenient { rule db_open_failed: info }
)DTA";

}  // namespace

TEST_SUITE("runtime") {
  TEST_CASE("sync: a listening site evaluates on the emitting thread; a silent one evaluates nothing") {
    Host h(sync_options());
    open_db(*h.rt, "/a.db", 13);  // no policy yet: nobody listens
    CHECK(h.rt->stats().emitted == 0);
    const int before = g_evaluated_args;
    open_db(*h.rt, "/a.db", 13);
    CHECK(g_evaluated_args == before);  // the fields of a silent site are not evaluated
    REQUIRE(h.rt->load_source("p.dta", kDbPolicy).ok);
    open_db(*h.rt, "/a.db", 13);
    open_db(*h.rt, "/b.db", 0);
    query(*h.rt, 250);
    CHECK(g_evaluated_args == before + 2);
    CHECK(h.count("db_open_failed") == 1);
    CHECK(h.count("slow") == 1);
    REQUIRE(h.findings.size() == 2);
    CHECK(h.findings[0].message == "cannot open /a.db (13)");
    CHECK(h.findings[0].level == dta::Level::Error);
    const dta::RuntimeStats s = h.rt->stats();
    CHECK(s.emitted == 3);
    CHECK(s.evaluated == 3);
    CHECK(s.dropped == 0);
    CHECK(s.findings[0] == 1);
    CHECK(s.findings[1] == 1);
    CHECK(s.policy == "p");
  }

  TEST_CASE("a site nobody's rules name stays silent; debug sites speak only while enabled") {
    dta::RuntimeOptions o = sync_options();
    o.tick = 5ms;
    Host h(o);
    REQUIRE(h.rt->load_source("p.dta", "rule t on db.trace { info \"trace {n}\" }\n" + std::string(kDbPolicy)).ok);
    const int before = g_evaluated_args;
    trace(*h.rt, 1);  // a rule names db.trace, but the site is debug
    CHECK(g_evaluated_args == before);
    CHECK(!h.rt->listens("db.trace", dta::Severity::Debug));
    CHECK(h.rt->listens("db.trace", dta::Severity::Info));
    CHECK(!h.rt->listens("cache.hit", dta::Severity::Info));
    h.rt->enable("db.*", dta::Severity::Debug, 150ms);
    trace(*h.rt, 2);
    CHECK(g_evaluated_args == before + 1);
    CHECK(h.count("t") == 1);
    // the enable reverts by itself
    const auto t0 = std::chrono::steady_clock::now();
    while (h.rt->listens("db.trace", dta::Severity::Debug) && std::chrono::steady_clock::now() - t0 < 5s)
      std::this_thread::sleep_for(5ms);
    CHECK(std::chrono::steady_clock::now() - t0 >= 100ms);
    CHECK(!h.rt->listens("db.trace", dta::Severity::Debug));
    std::this_thread::sleep_for(20ms);  // the tick that expired it also recomputed the sites
    trace(*h.rt, 3);
    CHECK(g_evaluated_args == before + 1);
    CHECK(h.count("t") == 1);
  }

  TEST_CASE("a rule's enable turns debug sites on for a while, then they go silent again") {
    dta::RuntimeOptions o = sync_options();
    o.tick = 5ms;
    Host h(o);
    REQUIRE(h.rt->load_source("p.dta", R"DTA(
rule on_err on db.open where errno != 0 { enable db.* level debug for 200ms }
rule t on db.trace { info "trace {n}" }
)DTA").ok);
    const int before = g_evaluated_args;
    trace(*h.rt, 1);
    CHECK(g_evaluated_args == before);
    open_db(*h.rt, "/a", 5);  // the error enables db.* for 200 ms
    CHECK(h.rt->listens("db.trace", dta::Severity::Debug));
    trace(*h.rt, 2);
    CHECK(h.count("t") == 1);
    const auto t0 = std::chrono::steady_clock::now();
    while (h.rt->listens("db.trace", dta::Severity::Debug) && std::chrono::steady_clock::now() - t0 < 5s)
      std::this_thread::sleep_for(5ms);
    CHECK(std::chrono::steady_clock::now() - t0 >= 150ms);
    std::this_thread::sleep_for(20ms);
    const int after = g_evaluated_args;
    trace(*h.rt, 3);
    CHECK(g_evaluated_args == after);
    CHECK(h.count("t") == 1);
    CHECK(h.rt->report().diagnostics.enables == 1);
  }

  TEST_CASE("async: eight threads, every event evaluated or counted dropped, exactly") {
    dta::RuntimeOptions o;
    o.mode = dta::EvalMode::Async;
    o.queue_capacity = 1024;
    Host h(o);
    REQUIRE(h.rt->load_source("p.dta", kDbPolicy).ok);
    constexpr int kThreads = 8, kEach = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) query(*h.rt, (i + t) % 200);
      });
    for (std::thread& t : threads) t.join();
    h.rt->flush();
    const dta::RuntimeStats s = h.rt->stats();
    CHECK(s.queued == 0);
    CHECK(s.evaluated + s.dropped == uint64_t{kThreads} * kEach);
    CHECK(s.emitted == uint64_t{kThreads} * kEach);
    CHECK(s.evaluated > 0);
    uint64_t slow = 0;
    for (const dta::RuleStats& r : s.rules)
      if (r.name == "slow") slow = r.matched;
    CHECK(slow == s.findings[1]);  // every evaluated slow query was found
  }

  TEST_CASE("async: a full queue drops and counts, never blocks") {
    dta::RuntimeOptions o;
    o.mode = dta::EvalMode::Async;
    o.queue_capacity = 4;
    std::atomic<bool> hold{true};
    // the finding callback blocks the runtime's thread until released
    o.on_finding = [&](const dta::Finding&) {
      while (hold.load()) std::this_thread::sleep_for(1ms);
    };
    auto rt = dta::make_runtime(o);
    REQUIRE(rt->load_source("p.dta", kDbPolicy).ok);
    query(*rt, 500);  // the worker takes it and blocks in the callback
    std::this_thread::sleep_for(20ms);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i) query(*rt, 500);
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);  // emitting never waited for the worker
    hold = false;
    rt->flush();
    const dta::RuntimeStats s = rt->stats();
    CHECK(s.emitted == 101);
    CHECK(s.evaluated + s.dropped == 101);
    CHECK(s.dropped >= 100 - 4);  // the ring holds 4
    CHECK(s.evaluated >= 1);
  }

  TEST_CASE("the destructor evaluates what is queued") {
    dta::RuntimeOptions o;
    o.mode = dta::EvalMode::Async;
    std::atomic<int> found{0};
    o.on_finding = [&](const dta::Finding&) { ++found; };
    {
      auto rt = dta::make_runtime(o);
      REQUIRE(rt->load_source("p.dta", kDbPolicy).ok);
      for (int i = 0; i < 500; ++i) query(*rt, 500);
    }
    CHECK(found == 500);
  }

  TEST_CASE("reload keeps the state of unchanged sites and resets changed ones, and says which") {
    Host h(sync_options());
    const std::string v1 = R"DTA(
rule burst on db.query { when count() over 1h > 3 { warning "burst {value}" } }
rule waits on job.start { expect job.end matching id within 1h then { ok "done {id}" } else { error "lost {id}" } }
machine life by id { initial idle
  state idle { on job.start -> running }
  state running { on job.end -> idle { info "ended {id}" } } }
rule once on db.query where ms > 1000 { alert warning "very slow" dedup ms }
)DTA";
    REQUIRE(h.rt->load_source("p.dta", v1).ok);
    for (int i = 0; i < 3; ++i) query(*h.rt, 5);
    job(*h.rt, "start", 7);
    query(*h.rt, 2000);
    CHECK(h.alerts.size() == 1);
    // v2: the threshold, the expectation's deadline and the messages change (the shapes do not)
    std::string v2 = v1;
    v2.replace(v2.find("> 3"), 3, "> 2");
    v2.replace(v2.find("within 1h"), 9, "within 2h");
    dta::LoadResult r = h.rt->load_source("p.dta", v2);
    REQUIRE(r.ok);
    CHECK(r.reset.empty());
    CHECK(r.added.empty());
    CHECK(r.removed.empty());
    CHECK(std::find(r.kept.begin(), r.kept.end(), "burst/when#0") != r.kept.end());
    CHECK(std::find(r.kept.begin(), r.kept.end(), "waits/expect#0") != r.kept.end());
    CHECK(std::find(r.kept.begin(), r.kept.end(), "life/machine") != r.kept.end());
    CHECK(r.kept.size() == 4);  // and the alert's dedup
    query(*h.rt, 5);  // the 4th in the window: > 2 fired at once on the kept count
    CHECK(h.count("burst") == 1);
    job(*h.rt, "end", 7);  // the pending expectation and the machine instance survived
    CHECK(h.count("waits") == 1);
    CHECK(h.count("life") == 1);
    query(*h.rt, 2000);  // dedup kept: the same key alerts no more
    CHECK(h.alerts.size() == 1);
    // v3: the window's length changes (reset), `once` goes, a new rule comes
    std::string v3 = v2;
    v3.replace(v3.find("over 1h"), 7, "over 2h");
    v3.replace(v3.find("rule once"), std::string::npos, "rule other on db.query { when count() over 1m > 100 { info \"x\" } }\n");
    r = h.rt->load_source("p.dta", v3);
    REQUIRE(r.ok);
    CHECK(r.reset == std::vector<std::string>{"burst/when#0"});
    CHECK(r.added == std::vector<std::string>{"other/when#0"});
    CHECK(r.removed.size() == 1);
    query(*h.rt, 5);
    CHECK(h.count("burst") == 1);  // the reset window holds one event
    const dta::RuntimeStats s = h.rt->stats();
    CHECK(s.reloads_ok == 2);
    CHECK(s.reloads_failed == 0);
    for (const dta::RuleStats& rs : s.rules)
      if (rs.name == "burst") CHECK(rs.matched == 7);  // counters summed over the three policies
  }

  TEST_CASE("a bad reload keeps the running policy and reports why") {
    Host h(sync_options());
    REQUIRE(h.rt->load_source("p.dta", kDbPolicy).ok);
    const std::string policy = kDbPolicy;
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"truncated", policy.substr(0, policy.size() / 2)},
        {"binary", std::string("\x7f\x45\x4c\x46\x02\x01\x01\0\0\0", 10)},
        {"type error", "rule r on db.open where 1 + \"x\" > 2 { error \"x\" }"},
        {"empty", ""},
    };
    size_t failed = 0;
    for (const auto& [what, text] : bad) {
      CAPTURE(what);
      const size_t errors_before = h.errors.size();
      const dta::LoadResult r = h.rt->load_source("p.dta", text);
      if (what == "empty") {  // an empty policy is valid: it listens to nothing
        CHECK(r.ok);
        REQUIRE(h.rt->load_source("p.dta", kDbPolicy).ok);
        continue;
      }
      ++failed;
      CHECK(!r.ok);
      CHECK(!r.error.empty());
      CHECK(!r.diagnostics.empty());
      REQUIRE(h.errors.size() == errors_before + 1);
      CHECK(h.errors.back().kind == dta::RuntimeError::Kind::Load);
      CHECK(h.errors.back().diagnostics == r.diagnostics);
      open_db(*h.rt, "/x", 2);  // the previous policy still runs
      CHECK(h.count("db_open_failed") == failed);
    }
    CHECK(h.rt->stats().reloads_failed == failed);
    CHECK(h.rt->stats().reloads_ok == 2);  // the empty policy and back
    const dta::LoadResult missing = h.rt->load_file("/nonexistent/p.dta");
    CHECK(!missing.ok);
    CHECK(missing.error.find("cannot read") != std::string::npos);
  }

  TEST_CASE("set_profile switches live and keeps state; an unknown profile changes nothing") {
    Host h(sync_options());
    REQUIRE(h.rt->load_source("p.dta", kDbPolicy).ok);
    open_db(*h.rt, "/a", 1);
    REQUIRE(h.rt->set_profile("lenient").ok);
    open_db(*h.rt, "/a", 1);
    REQUIRE(h.findings.size() == 2);
    CHECK(h.findings[0].level == dta::Level::Error);
    CHECK(h.findings[1].level == dta::Level::Info);
    const dta::LoadResult bad = h.rt->set_profile("nope");
    CHECK(!bad.ok);
    CHECK(bad.error == "unknown profile 'nope'");
    CHECK(h.errors.back().kind == dta::RuntimeError::Kind::Profile);
    open_db(*h.rt, "/a", 1);
    CHECK(h.findings.back().level == dta::Level::Info);
    CHECK(h.rt->stats().profile == "lenient");
  }

  TEST_CASE("the rip cord stops evaluation at once; DTA_DISABLE starts a runtime stopped") {
    Host h(sync_options());
    REQUIRE(h.rt->load_source("p.dta", kDbPolicy).ok);
    h.rt->set_disabled(true);
    const int before = g_evaluated_args;
    open_db(*h.rt, "/a", 1);
    CHECK(g_evaluated_args == before);  // the site went silent
    CHECK(h.findings.empty());
    CHECK(h.rt->stats().disabled);
    h.rt->set_disabled(false);
    open_db(*h.rt, "/a", 1);
    CHECK(h.findings.size() == 1);
    setenv("DTA_DISABLE", "1", 1);
    Host off(sync_options());
    unsetenv("DTA_DISABLE");
    REQUIRE(off.rt->load_source("p.dta", kDbPolicy).ok);
    open_db(*off.rt, "/a", 1);
    CHECK(off.findings.empty());
    CHECK(off.rt->stats().disabled);
    CHECK(!off.rt->listens("db.open", dta::Severity::Warning));
  }

  TEST_CASE("a policy that contradicts the host's registered schemas does not load") {
    dta::RuntimeOptions o = sync_options();
    o.schemas = {{"db.open", {{"path", dta::Type::String}, {"errno", dta::Type::Int}}}};
    Host h(o);
    dta::LoadResult r = h.rt->load_source("p.dta", "event db.open { path: string, errno: string }\n"
                                                   "rule r on db.open { ok }\n");
    CHECK(!r.ok);
    REQUIRE(!r.diagnostics.empty());
    CHECK(r.diagnostics[0].find("p.dta:1:38: error: field 'errno' of event 'db.open' is int in the host's schema, "
                                "not string") == 0);
    r = h.rt->load_source("p.dta", "rule r on db.open where errno == \"EACCES\" { ok }\n");
    CHECK(!r.ok);  // typed by the host's schema though the policy declares nothing
    r = h.rt->load_source("p.dta", "rule r on db.open where errnum != 0 { ok }\n");
    CHECK(!r.ok);
    REQUIRE(!r.diagnostics.empty());
    CHECK(r.diagnostics[0].find("did you mean 'errno'") != std::string::npos);
    CHECK(h.rt->load_source("p.dta", kDbPolicy).ok);
  }

  TEST_CASE("an event emitted from a callback while evaluating is dropped, not deadlocked") {
    dta::RuntimeOptions o = sync_options();
    dta::Runtime* self = nullptr;
    int reentered = 0;
    o.on_finding = [&](const dta::Finding&) {
      ++reentered;
      query(*self, 500);  // the same runtime, from inside its own evaluation
    };
    auto rt = dta::make_runtime(o);
    self = rt.get();
    REQUIRE(rt->load_source("p.dta", kDbPolicy).ok);
    query(*rt, 500);
    CHECK(reentered == 1);
    const dta::RuntimeStats s = rt->stats();
    CHECK(s.evaluated == 1);
    CHECK(s.dropped == 1);
  }

  TEST_CASE("events emitted by name take the same path; time never goes back") {
    Host h(sync_options());
    REQUIRE(h.rt->load_source("p.dta", kDbPolicy).ok);
    h.rt->emit("db.query", dta::Severity::Info, {{"ms", 300}}, 2000);
    h.rt->emit("db.query", dta::Severity::Info, {{"ms", 301}}, 1000);  // earlier: evaluated at 2000
    h.rt->emit("cache.hit", dta::Severity::Info, {{"ms", 301}});       // nobody listens
    REQUIRE(h.findings.size() == 2);
    CHECK(h.findings[1].ts == 2000);
    CHECK(h.rt->stats().evaluated == 2);
    CHECK(h.rt->report().diagnostics.late == 0);
  }
}

TEST_SUITE("runtime") {
  TEST_CASE("watch: an edited policy file reloads (in place, and written anew and renamed over); a broken edit is refused") {
    const std::string dir = "runtime-watch-work";
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/p.dta";
    auto write = [&](const std::string& text, bool rename_over) {
      const std::string tmp = rename_over ? path + ".tmp" : path;
      {
        std::ofstream(tmp, std::ios::binary | std::ios::trunc) << text;
      }
      if (rename_over) std::filesystem::rename(tmp, path);
    };
    write(kDbPolicy, false);
    Host h(sync_options());
    REQUIRE(h.rt->load_file(path).ok);
    REQUIRE(h.rt->watch(path));
    auto wait_for = [&](auto done) {
      const auto t0 = std::chrono::steady_clock::now();
      while (!done() && std::chrono::steady_clock::now() - t0 < 5s) std::this_thread::sleep_for(10ms);
      return done();
    };
    std::string v2 = kDbPolicy;
    v2.replace(v2.find("where ms > 100"), 14, "where ms > 10");
    write(v2, true);
    CHECK(wait_for([&] { return h.rt->stats().reloads_ok == 1; }));
    query(*h.rt, 50);
    CHECK(h.count("slow") == 1);
    write("rule broken on { nope", false);  // a broken edit mid-run
    CHECK(wait_for([&] { return h.rt->stats().reloads_failed == 1; }));
    {
      std::lock_guard lock(h.mu);
      REQUIRE(!h.errors.empty());
      CHECK(h.errors.back().kind == dta::RuntimeError::Kind::Load);
      CHECK(!h.errors.back().diagnostics.empty());
    }
    query(*h.rt, 50);  // v2 still runs
    CHECK(h.count("slow") == 2);
    write(kDbPolicy, false);
    CHECK(wait_for([&] { return h.rt->stats().reloads_ok == 2; }));
    query(*h.rt, 50);
    CHECK(h.count("slow") == 2);
    h.rt->unwatch();
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("eight threads emit while the policy reloads every 10 ms (the TSan job runs this)") {
    dta::RuntimeOptions o;
    o.mode = dta::EvalMode::Async;
    o.queue_capacity = 4096;
    Host h(o);
    REQUIRE(h.rt->load_source("p.dta", kDbPolicy).ok);
    std::atomic<bool> done{false};
    std::atomic<uint64_t> sent{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; !done.load(); ++i) {
          query(*h.rt, (i * 7 + t) % 300);
          open_db(*h.rt, "/x", i % 2);
          sent += 2;
        }
      });
    std::string v2 = kDbPolicy;
    v2.replace(v2.find("where ms > 100"), 14, "where ms > 200");
    for (int k = 0; k < 30; ++k) {
      REQUIRE(h.rt->load_source("p.dta", k % 2 ? kDbPolicy : v2).ok);
      if (k == 15) REQUIRE(h.rt->set_profile("lenient").ok);
      std::this_thread::sleep_for(10ms);
    }
    done = true;
    for (std::thread& t : threads) t.join();
    h.rt->flush();
    const dta::RuntimeStats s = h.rt->stats();
    CHECK(s.evaluated + s.dropped == sent.load());
    CHECK(s.reloads_ok == 30);
    CHECK(s.evaluated > 0);
  }
}

TEST_SUITE("runtime") {
  TEST_CASE("a rule over the profile's cpu budget is disabled and reported; the others go on") {
    dta::RuntimeOptions o = sync_options();
    int64_t fake = 0;
    o.engine.time_sample_every = 1;
    o.engine.clock = [&] { return fake += 1000000; };  // every reading: 1 ms later
    o.profile = "tight";
    Host h(o);
    REQUIRE(h.rt->load_source("p.dta", std::string(kDbPolicy) + "profile tight { budget { cpu: 5% } }\n").ok);
    for (int i = 0; i < 3000 && h.errors.empty(); ++i) query(*h.rt, 500);
    REQUIRE(!h.errors.empty());
    CHECK(h.errors[0].kind == dta::RuntimeError::Kind::Engine);
    CHECK(h.errors[0].message.find("disabled") != std::string::npos);
    bool any_disabled = false;
    for (const dta::RuleStats& r : h.rt->stats().rules) {
      any_disabled |= r.disabled_by_budget;
      if (r.name == "slow") CHECK(r.time_ns > 0);
    }
    CHECK(any_disabled);
  }
}

TEST_SUITE("runtime") {
  TEST_CASE("a deadline that fires on the wall clock may emit from its callback (sync): dropped, not deadlocked") {
    dta::RuntimeOptions o = sync_options();
    o.tick = 5ms;
    dta::Runtime* self = nullptr;
    std::atomic<int> lost{0};
    o.on_finding = [&](const dta::Finding& f) {
      if (f.rule != "waits") return;
      ++lost;
      query(*self, 1);  // from the runtime's own thread, inside its evaluation
    };
    auto rt = dta::make_runtime(o);
    self = rt.get();
    REQUIRE(rt->load_source("p.dta", "rule waits on job.start { expect job.end matching id within 30ms else { error \"lost {id}\" } }\n"
                                     "rule q on db.query { ok }\n").ok);
    job(*rt, "start", 1);
    const auto t0 = std::chrono::steady_clock::now();
    while (lost.load() == 0 && std::chrono::steady_clock::now() - t0 < 5s) std::this_thread::sleep_for(5ms);
    CHECK(lost.load() == 1);
    CHECK(rt->stats().dropped == 1);
  }
}
