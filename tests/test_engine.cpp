// The engine: dispatch by pattern, profiles, filters, emit, metrics,
// redaction, late events, findings and their callback.
#include <doctest/doctest.h>

#include "helpers.hpp"

using dta::test::rule;
using dta::test::run;

namespace {

std::string ev(int64_t ts_s, const std::string& name, const std::string& fields) {
  return "{\"ts\": " + std::to_string(ts_s * 1000000000LL) + ", \"name\": \"" + name + "\", \"fields\": {" + fields + "}}\n";
}

}  // namespace

TEST_SUITE("engine") {
  TEST_CASE("patterns select events; every rule sees every event") {
    const std::string policy =
        "rule exact on db.open { ok }\n"
        "rule prefix on db.* { ok }\n"
        "rule all on * { ok }\n"
        "rule two on net.connect, net.dns { ok }\n"
        "rule again on db.open { ok }\n";
    const std::string events = ev(1, "db.open", "") + ev(2, "db.query", "") + ev(3, "net.dns", "") + ev(4, "dbx.open", "") +
                               ev(5, "db", "");
    const dta::Report r = run(policy, events);
    CHECK(rule(r, "exact").matched == 1);
    CHECK(rule(r, "again").matched == 1);
    CHECK(rule(r, "prefix").matched == 2);  // db.open, db.query; not dbx.open or db
    CHECK(rule(r, "all").matched == 5);
    CHECK(rule(r, "two").matched == 1);
    CHECK(r.findings[3] == 10);
    CHECK(r.events == 5);
  }

  TEST_CASE("levels, fired and verdict") {
    const std::string policy =
        "rule e on a { error \"e\" }\nrule w on a { warning \"w\" }\nrule i on a { info \"i\" }\n"
        "rule o on a { ok }\nrule n on a { count hits }\nrule quiet on b { error \"never\" }\n"
        "rule mixed on a { ok \"fine\" }\n";
    const dta::Report r = run(policy, ev(1, "a", "") + ev(2, "a", ""));
    CHECK(rule(r, "e").level == dta::Level::Error);
    CHECK(rule(r, "w").level == dta::Level::Warning);
    CHECK(rule(r, "i").level == dta::Level::Info);
    CHECK(rule(r, "o").level == dta::Level::Ok);
    CHECK(rule(r, "n").level == dta::Level::None);
    CHECK(rule(r, "n").fired == 2);
    CHECK(rule(r, "quiet").matched == 0);
    CHECK(r.findings == std::array<uint64_t, 4>{2, 2, 2, 4});
    CHECK(r.failed());
    CHECK(r.counters.at("hits") == 2);
    CHECK_FALSE(run("rule w on a { warning \"w\" }", ev(1, "a", "")).failed());
  }

  TEST_CASE("profiles reclassify, disable, set constants and extend") {
    const std::string policy =
        "const SLOW_MS = 250\n"
        "rule slow on http.request where latency_ms > SLOW_MS { warning \"slow\" }\n"
        "rule missing on file.open where errno == 2 { warning \"missing\" }\n"
        "rule noisy on file.open { info \"n\" }\n"
        "rule good on file.open { ok }\n"
        "profile unit { set SLOW_MS = 100 rule missing: error }\n"
        "profile scenario extends unit { set SLOW_MS = 400 rule missing: warning }\n"
        "profile stress extends scenario { rule missing: ok rule slow: off }\n"
        "profile fuzz { warnings: error }\n"
        "profile quiet { rule noisy: off }\n";
    const std::string events = ev(1, "http.request", "\"latency_ms\": 300") + ev(2, "file.open", "\"errno\": 2");
    {
      const dta::Report r = run(policy, events);
      CHECK(rule(r, "slow").matched == 1);
      CHECK(rule(r, "missing").level == dta::Level::Warning);
      CHECK(r.findings[1] == 2);
    }
    {
      const dta::Report r = run(policy, events, "unit");
      CHECK(rule(r, "slow").matched == 1);  // 300 > 100
      CHECK(rule(r, "missing").level == dta::Level::Error);
      CHECK(r.findings[0] == 1);
      CHECK(r.failed());
    }
    {
      const dta::Report r = run(policy, events, "scenario");
      CHECK(rule(r, "slow").matched == 0);  // 300 < 400
      CHECK(rule(r, "missing").level == dta::Level::Warning);
      CHECK_FALSE(r.failed());
    }
    {
      const dta::Report r = run(policy, events, "stress");
      CHECK(rule(r, "slow").level == dta::Level::Off);
      CHECK(rule(r, "slow").matched == 0);
      CHECK(rule(r, "missing").level == dta::Level::Ok);
      CHECK(r.findings[1] == 0);
      CHECK(r.findings[3] == 2);  // missing's warning is ok now, plus good's ok
    }
    {
      const dta::Report r = run(policy, events, "fuzz");
      CHECK(rule(r, "slow").level == dta::Level::Error);
      CHECK(rule(r, "noisy").level == dta::Level::Info);
      CHECK(r.findings[0] == 2);
    }
    {
      const dta::Report r = run(policy, events, "quiet");
      CHECK(rule(r, "noisy").level == dta::Level::Off);
      CHECK(rule(r, "noisy").matched == 0);
      CHECK(r.findings[2] == 0);
    }
    auto prog = dta::test::compiled(policy);
    std::string err;
    dta::EngineOptions opts;
    opts.profile = "prod";
    CHECK(dta::Engine::create(prog, opts, &err) == nullptr);
    CHECK(err == "unknown profile 'prod' (the policy has: unit, scenario, stress, fuzz, quiet)");
  }

  TEST_CASE("filters drop, redact and sample before rules") {
    const std::string policy =
        "filter banner on app.banner { drop }\n"
        "filter no_secrets on auth.* { redact password, token }\n"
        "filter chatty on cache.hit { sample 10% }\n"
        "rule seen on * { ok }\n"
        "rule pw on auth.login where has(password) { error \"leak\" }\n"
        "rule user on auth.login { info \"{user} {password}\" }\n";
    std::string events = ev(1, "app.banner", "") + ev(2, "auth.login", "\"user\": \"bob\", \"password\": \"hunter2\"");
    for (int i = 0; i < 10000; ++i) events += ev(3 + i, "cache.hit", "\"k\": " + std::to_string(i));
    const dta::Report r = run(policy, events);
    CHECK(r.diagnostics.dropped == 1);
    CHECK(rule(r, "pw").matched == 0);
    std::string user_message;
    for (const dta::Finding& f : r.kept_findings)
      if (f.rule == "user") user_message = f.message;
    CHECK(user_message == "bob <missing>");
    const uint64_t kept = rule(r, "seen").matched - 1;  // minus the login
    CHECK(kept + r.diagnostics.sampled_out == 10000);
    CHECK(kept > 900);
    CHECK(kept < 1100);
    // deterministic: the same events are kept every run
    CHECK(rule(run(policy, events), "seen").matched == kept + 1);
  }

  TEST_CASE("emit processes a derived event after the current one") {
    const std::string policy =
        "rule slow on http.request where ms > 100 { emit http.slow { service: svc, ms: ms, note: \"over {ms}\" } }\n"
        "rule derived on http.slow where ms > 100 and note == \"over 150\" { warning \"{service} slow\" emit x.y {} }\n"
        "rule never on x.y { error \"derived events do not emit\" }\n";
    const dta::Report r = run(policy, ev(1, "http.request", "\"ms\": 150, \"svc\": \"cart\""));
    CHECK(rule(r, "derived").matched == 1);
    CHECK(rule(r, "never").matched == 0);
    CHECK(r.diagnostics.emitted == 1);
    CHECK(r.events == 1);
    REQUIRE(r.kept_findings.size() == 1);
    CHECK(r.kept_findings[0].message == "cart slow");
    CHECK(r.kept_findings[0].event == "http.slow");
  }

  TEST_CASE("count and observe record metrics with labels") {
    const std::string policy =
        "rule m on http.request { count requests { service: svc, code: status } observe latency ms { service: svc } }\n";
    const std::string events = ev(1, "http.request", "\"ms\": 10, \"svc\": \"a\", \"status\": 200") +
                               ev(2, "http.request", "\"ms\": 30.5, \"svc\": \"a\", \"status\": 200") +
                               ev(3, "http.request", "\"ms\": 5, \"svc\": \"b\", \"status\": 500");
    const dta::Report r = run(policy, events);
    CHECK(r.counters.at("requests{service=a,code=200}") == 2);
    CHECK(r.counters.at("requests{service=b,code=500}") == 1);
    const dta::HistogramSummary& h = r.histograms.at("latency{service=a}");
    CHECK(h.count == 2);
    CHECK(h.sum == 40.5);
    CHECK(h.min == 10);
    CHECK(h.max == 30.5);
  }

  TEST_CASE("metric series are capped") {
    std::string events;
    for (int i = 0; i < 50; ++i) events += ev(i + 1, "a", "\"u\": " + std::to_string(i));
    dta::EngineOptions opts;
    opts.max_metric_series = 10;
    const dta::Report r = run("rule m on a { count by_user { u: u } observe lat u { u: u } }", events, "", opts);
    CHECK(r.counters.size() + r.histograms.size() == 10);
    CHECK(r.diagnostics.metric_series_dropped == 90);
  }

  TEST_CASE("sensitive fields are redacted in messages") {
    const std::string policy =
        "event auth.login { user: string, token: string sensitive }\n"
        "rule r on auth.login { error \"{user} used {token} ({len(token)})\" }\n";
    const dta::Report r = run(policy, ev(1, "auth.login", "\"user\": \"bob\", \"token\": \"s3cr3t\""));
    REQUIRE(r.kept_findings.size() == 1);
    CHECK(r.kept_findings[0].message == "bob used <redacted> (<redacted>)");
  }

  TEST_CASE("late events are processed with their predecessor's time") {
    const std::string policy = "rule r on a { info \"{event.ts}\" }";
    const dta::Report r = run(policy, ev(10, "a", "") + ev(5, "a", "") + ev(11, "a", ""));
    CHECK(r.diagnostics.late == 1);
    REQUIRE(r.kept_findings.size() == 3);
    CHECK(r.kept_findings[1].ts == 10000000000);
    CHECK(r.kept_findings[1].message == "10000000000");
  }

  TEST_CASE("findings reach the callback; the kept list is capped") {
    dta::EngineOptions opts;
    opts.max_kept_findings = 2;
    std::vector<std::string> seen;
    opts.on_finding = [&](const dta::Finding& f) { seen.push_back(f.message); };
    const dta::Report r = run("rule r on a { warning \"n={n}\" }", ev(1, "a", "\"n\": 1") + ev(2, "a", "\"n\": 2") +
                                                                      ev(3, "a", "\"n\": 3"),
                              "", opts);
    CHECK(seen == std::vector<std::string>{"n=1", "n=2", "n=3"});
    CHECK(r.kept_findings.size() == 2);
    CHECK(r.diagnostics.findings_not_kept == 1);
    CHECK(r.findings[1] == 3);
  }

  TEST_CASE("one program, many engines: state is per engine") {
    auto prog = dta::test::compiled("const T = 1\nrule r on a where n > T { ok }\nprofile p { set T = 5 }");
    REQUIRE(prog);
    std::string err;
    dta::EngineOptions base, prof;
    prof.profile = "p";
    auto e1 = dta::Engine::create(prog, base, &err);
    auto e2 = dta::Engine::create(prog, prof, &err);
    REQUIRE(e1);
    REQUIRE(e2);
    for (auto* e : {e1.get(), e2.get()}) {
      dta::Event event;
      event.name = e->symbols().intern("a");
      event.add_int(e->symbols().intern("n"), 3);
      e->process(event);
    }
    CHECK(e1->report().rules[0].matched == 1);
    CHECK(e2->report().rules[0].matched == 0);
  }
}
