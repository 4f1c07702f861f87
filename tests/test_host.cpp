// Host services: advance_to moves the clock on a quiet stream, finish() lists
// what still waits, findings and alerts carry their key, and callbacks can
// neither throw into the engine nor re-enter it.
#include <doctest/doctest.h>

#include <stdexcept>

#include "helpers.hpp"

namespace {

constexpr int64_t kSec = 1000000000;
constexpr int64_t kT0 = 1767225600LL * kSec;

// An engine for `policy` with `opts`; fails the test when it cannot be made.
std::unique_ptr<dta::Engine> engine_for(const std::string& policy, const dta::EngineOptions& opts = {}) {
  auto prog = dta::test::compiled(policy);
  REQUIRE(prog);
  std::string err;
  auto e = dta::Engine::create(prog, opts, &err);
  REQUIRE_MESSAGE(e, err);
  return e;
}

// Sends an event with one int field and one string field.
void send(dta::Engine& e, int64_t ts, const std::string& name, const std::string& key, int64_t id,
          const std::string& skey = "", const std::string& sval = "") {
  dta::Event ev;
  ev.ts = ts;
  ev.name = e.symbols().intern(name);
  ev.add_int(e.symbols().intern(key), id);
  if (!skey.empty()) ev.add_string(e.symbols().intern(skey), sval);
  CHECK(e.process(ev));
}

const char* kTimers = R"(
event job.start { id: int, secret: string sensitive }
rule deadline on job.start { expect job.end matching id within 10s else { error "job {id} did not end" } }
machine life by id {
  initial idle
  state idle { on job.start -> running }
  state running { on job.end -> idle  after 30s -> idle { warning "job {id} stalled" } }
}
rule per_minute on job.start { when count() every 1m >= 1 { info "{value} starts this minute" } }
)";

}  // namespace

TEST_SUITE("host") {
  TEST_CASE("advance_to fires deadlines, `after` transitions and tumbling windows on a quiet stream") {
    auto e = engine_for(kTimers);
    send(*e, kT0 + 5 * kSec, "job.start", "id", 1);
    dta::Report r = e->report();
    CHECK(r.findings[0] == 0);
    CHECK(e->advance_to(kT0 + 16 * kSec));  // past the 10 s deadline
    r = e->report();
    CHECK(r.findings[0] == 1);
    CHECK(r.findings[1] == 0);
    CHECK(e->advance_to(kT0 + 36 * kSec));  // past the 30 s `after`
    r = e->report();
    CHECK(r.findings[1] == 1);
    CHECK(r.findings[2] == 0);
    CHECK(e->advance_to(kT0 + 61 * kSec));  // past the end of the first minute
    r = e->report();
    CHECK(r.findings[2] == 1);
    // Time never goes backwards: an earlier advance does nothing, a later event is late.
    CHECK(e->advance_to(kT0));
    send(*e, kT0 + 50 * kSec, "job.other", "id", 2);
    CHECK(e->report().diagnostics.late == 1);
  }

  TEST_CASE("finish lists pending expectations and machine timers with their keys, soonest first") {
    auto e = engine_for(kTimers);
    send(*e, kT0, "job.start", "id", 7, "secret", "pw");
    send(*e, kT0 + 1 * kSec, "job.start", "id", 8, "secret", "pw");
    e->finish();
    const dta::Report r = e->report();
    CHECK(r.pending_expectations == 2);
    CHECK(r.pending_timers == 2);
    REQUIRE(r.pending.size() == 4);
    CHECK(r.pending[0].rule == "deadline");
    CHECK(r.pending[0].kind == "expectation");
    CHECK(r.pending[0].due == kT0 + 10 * kSec);
    CHECK(r.pending[0].key == dta::KeyLabels{{"id", "7"}});
    CHECK(r.pending[1].key == dta::KeyLabels{{"id", "8"}});
    CHECK(r.pending[2].rule == "life");
    CHECK(r.pending[2].kind == "after");
    CHECK(r.pending[2].state == "running");
    CHECK(r.pending[2].due == kT0 + 30 * kSec);
    CHECK(r.pending[2].key == dta::KeyLabels{{"id", "7"}});
  }

  TEST_CASE("finish lists at most max_pending_items, and counts all") {
    dta::EngineOptions opts;
    opts.max_pending_items = 3;
    auto e = engine_for(kTimers, opts);
    for (int i = 0; i < 10; ++i) send(*e, kT0 + i, "job.start", "id", i);
    e->finish();
    const dta::Report r = e->report();
    CHECK(r.pending_expectations == 10);
    CHECK(r.pending_timers == 10);
    CHECK(r.pending.size() == 3);
  }

  TEST_CASE("findings and alerts carry the key of the block that produced them") {
    const char* policy = R"(
event login { user: string, token: string sensitive }
rule burst on login { when count() over 1m >= 2 by user { alert warning "burst" } }
rule back on login { expect logout matching user, token within 1m then { info "back {user}" } }
machine m by user { initial a  state a { on login -> a { warning "again" } } }
)";
    std::vector<dta::Finding> findings;
    std::vector<dta::Alert> alerts;
    dta::EngineOptions opts;
    opts.on_finding = [&](const dta::Finding& f) { findings.push_back(f); };
    opts.on_alert = [&](const dta::Alert& a) { alerts.push_back(a); };
    auto e = engine_for(policy, opts);
    send(*e, kT0, "login", "n", 1, "user", "ann");
    dta::Event ev;
    ev.ts = kT0 + 1;
    ev.name = e->symbols().intern("login");
    ev.add_string(e->symbols().intern("user"), "ann");
    ev.add_string(e->symbols().intern("token"), "t1");
    e->process(ev);
    ev.ts = kT0 + 2;
    ev.name = e->symbols().intern("logout");
    e->process(ev);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].key == dta::KeyLabels{{"user", "ann"}});
    bool machine_seen = false, then_seen = false;
    for (const dta::Finding& f : findings) {
      if (f.rule == "m") {
        machine_seen = true;
        CHECK(f.key == dta::KeyLabels{{"user", "ann"}});
      }
      if (f.rule == "back") {
        then_seen = true;
        CHECK(f.key == dta::KeyLabels{{"user", "ann"}, {"token", "<redacted>"}});
      }
    }
    CHECK(machine_seen);
    CHECK(then_seen);
  }

  TEST_CASE("a callback that throws is caught and counted; the engine goes on") {
    dta::EngineOptions opts;
    int calls = 0;
    opts.on_finding = [&](const dta::Finding&) {
      ++calls;
      throw std::runtime_error("host bug");
    };
    opts.on_alert = [&](const dta::Alert&) { throw 42; };
    auto e = engine_for(R"(rule r on a { error "x" alert critical "y" })", opts);
    for (int i = 0; i < 3; ++i) send(*e, kT0 + i, "a", "n", i);
    const dta::Report r = e->report();
    CHECK(calls == 3);
    CHECK(r.diagnostics.callback_errors == 6);
    CHECK(r.findings[0] == 3);
    CHECK(r.alerts.size() == 3);
  }

  TEST_CASE("a callback that re-enters the engine is refused with an error, state intact") {
    dta::EngineOptions opts;
    dta::Engine* self = nullptr;
    std::vector<std::string> errors;
    bool accepted = true;
    opts.on_finding = [&](const dta::Finding&) {
      dta::Event ev;
      ev.name = self->symbols().intern("a");
      ev.ts = kT0 + 100;
      accepted = self->process(ev);
      self->advance_to(kT0 + 1000);
      self->finish();
    };
    opts.on_error = [&](const std::string& msg) { errors.push_back(msg); };
    auto e = engine_for(R"(rule r on a { error "x" })", opts);
    self = e.get();
    send(*e, kT0, "a", "n", 1);
    const dta::Report r = e->report();
    CHECK_FALSE(accepted);
    CHECK(r.events == 1);
    CHECK(r.findings[0] == 1);
    CHECK(r.diagnostics.reentrant_calls == 3);
    REQUIRE(errors.size() == 3);
    CHECK(errors[0].find("process()") != std::string::npos);
    // The engine still works after the refused calls.
    send(*e, kT0 + 1, "a", "n", 2);
    CHECK(e->report().findings[0] == 2);
  }
}

TEST_SUITE("host") {
  TEST_CASE("names seen only in events are capped; the program's names always resolve") {
    const char* policy = R"(
rule known on db.open where errno != 0 { error "db {errno}" }
rule all on * { count seen {n: event.name} }
)";
    dta::EngineOptions opts;
    opts.max_symbols = 64;
    auto e = engine_for(policy, opts);
    for (int i = 0; i < 1000; ++i) {
      dta::Event ev;
      ev.ts = kT0 + i;
      ev.name = e->symbols().intern("noise." + std::to_string(i));
      ev.add_int(e->symbols().intern("field_" + std::to_string(i)), i);
      CHECK(e->process(ev));
    }
    send(*e, kT0 + 2000, "db.open", "errno", 13);
    CHECK(e->symbols().size() <= 64);
    const dta::Report r = e->report();
    CHECK(r.findings[0] == 1);
    CHECK(r.diagnostics.symbols_overflow > 0);
    CHECK(r.counters.count("seen{n=<other>}") == 1);
    CHECK(r.counters.at("seen{n=db.open}") == 1);
    CHECK(dta::test::rule(r, "all").matched == 1001);
  }
}
