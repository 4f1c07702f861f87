// Redaction (spec 3): a `sensitive` value never leaves the engine. One policy
// reaches every sink (messages, `then` with start.F, alert labels, `by` keys of
// sliding and tumbling windows, metric labels, histograms, derived events,
// callbacks) and the secret must appear in none of them.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <map>

#include "dta/report_json.hpp"
#include "helpers.hpp"

namespace {

constexpr const char* kSecret = "hunter2-s3cr3t";

const char* kPolicy = R"(
event auth.login { user: string, token: string sensitive, ok: bool }
event auth.logout { user: string, token: string sensitive }
event pin.entered { pin: int sensitive, who: string }

rule login_msg on auth.login where not ok { warning "login failed for {user} with {token}" }
rule labels_alert on auth.login where not ok {
  alert warning "token {token}" labels {t: token, u: user, mixed: "x{token}y"}
}
rule by_sliding on auth.login where not ok {
  when count() over 1m >= 2 by token { alert critical "burst for {token}: {value}" }
}
rule by_tumbling on auth.login where not ok {
  when count() every 1m >= 1 by token, user { warning "window {token} {user}" }
}
rule then_start on auth.login {
  expect auth.logout matching user within 1h then { info "logout after {start.token} now {token}" }
}
rule else_start on auth.login where not ok {
  expect auth.never matching user within 1s else { warning "never for {token}" }
}
rule metric on auth.login { count logins {tok: token, user: user} observe pins 1 {t: token} }
rule observe_secret on pin.entered { observe pin_values pin }
rule derive on auth.login where not ok {
  emit auth.derived {copy: token, text: "t={token}", plain: user}
}
rule derived_reader on auth.derived {
  error "derived {copy} {text} {plain}"
  count derived {c: copy}
}
)";

std::string events() {
  std::string s;
  const int64_t t0 = 1767225600LL * 1000000000;
  for (int i = 0; i < 3; ++i)
    s += fmt::format(R"({{"ts": {}, "name": "auth.login", "fields": {{"user": "bob", "token": "{}", "ok": false}}}})"
                     "\n",
                     t0 + i * 1000000000LL, kSecret);
  s += fmt::format(R"({{"ts": {}, "name": "auth.logout", "fields": {{"user": "bob", "token": "{}"}}}})"
                   "\n",
                   t0 + 5000000000LL, kSecret);
  s += fmt::format(R"({{"ts": {}, "name": "pin.entered", "fields": {{"pin": 4242, "who": "bob"}}}})"
                   "\n",
                   t0 + 200000000000LL);
  return s;
}

}  // namespace

TEST_SUITE("redaction") {
  TEST_CASE("no sink shows a sensitive value, and each sink still works") {
    std::vector<std::string> seen;
    dta::EngineOptions opts;
    opts.on_finding = [&](const dta::Finding& f) { seen.push_back(f.message); };
    opts.on_alert = [&](const dta::Alert& a) {
      seen.push_back(a.message);
      for (const auto& [k, v] : a.labels) seen.push_back(v);
    };
    const dta::Report r = dta::test::run(kPolicy, events(), "", opts);
    const std::string json = dta::report_to_json(r);
    CHECK(json.find(kSecret) == std::string::npos);
    CHECK(json.find("4242") == std::string::npos);
    for (const std::string& s : seen) CHECK(s.find(kSecret) == std::string::npos);

    // Each sink ran and shows <redacted> where the secret would be.
    auto finding = [&](const std::string& rule) {
      for (const dta::Finding& f : r.kept_findings)
        if (f.rule == rule) return f.message;
      return std::string("(none)");
    };
    CHECK(finding("login_msg") == "login failed for bob with <redacted>");
    CHECK(finding("then_start") == "logout after <redacted> now <redacted>");
    CHECK(finding("else_start") == "never for <redacted>");
    CHECK(finding("by_tumbling") == "window <redacted> bob");
    CHECK(finding("derived_reader") == "derived <redacted> <redacted> bob");

    REQUIRE(!r.alerts.empty());
    bool labels_seen = false, burst_seen = false;
    for (const dta::Alert& a : r.alerts) {
      if (a.rule == "labels_alert") {
        labels_seen = true;
        CHECK(a.message == "token <redacted>");
        REQUIRE(a.labels.size() == 3);
        CHECK(a.labels[0].second == "<redacted>");
        CHECK(a.labels[1].second == "bob");
        CHECK(a.labels[2].second == "x<redacted>y");
      }
      if (a.rule == "by_sliding") {
        burst_seen = true;
        CHECK(a.message == "burst for <redacted>: 2");
        REQUIRE(a.labels.size() == 1);
        CHECK(a.labels[0] == std::pair<std::string, std::string>("token", "<redacted>"));
      }
    }
    CHECK(labels_seen);
    CHECK(burst_seen);

    CHECK(r.counters.count("logins{tok=<redacted>,user=bob}") == 1);
    CHECK(r.counters.at("logins{tok=<redacted>,user=bob}") == 3);
    CHECK(r.counters.at("derived{c=<redacted>}") == 3);
    CHECK(r.histograms.count("pins{t=<redacted>}") == 1);
    CHECK(r.histograms.count("pin_values") == 0);  // a sensitive observation is not recorded
    CHECK(r.diagnostics.redacted_observations == 1);
  }

  TEST_CASE("a derived event's copy stays usable inside the engine") {
    const char* policy = R"(
event a { token: string sensitive }
rule derive on a { emit b {copy: token} }
rule match on b where copy == "k1" { error "matched {copy}" }
)";
    const dta::Report r =
        dta::test::run(policy, R"({"ts": 1, "name": "a", "fields": {"token": "k1"}})"
                               "\n");
    CHECK(dta::test::rule(r, "match").fired == 1);
    REQUIRE(r.kept_findings.size() == 1);
    CHECK(r.kept_findings[0].message == "matched <redacted>");
  }

  TEST_CASE("a value computed from a sensitive field is sensitive") {
    const char* policy = R"(
event a { token: string sensitive, n: int }
rule r on a { info "{upper(token)} {len(token)} {token + "!"} {n}" }
)";
    const dta::Report r =
        dta::test::run(policy, R"({"ts": 1, "name": "a", "fields": {"token": "abc", "n": 7}})"
                               "\n");
    REQUIRE(r.kept_findings.size() == 1);
    CHECK(r.kept_findings[0].message == "<redacted> <redacted> <redacted> 7");
  }
}

TEST_SUITE("redaction") {
  TEST_CASE("a window's value over sensitive samples is redacted; counts are not") {
    const char* policy = R"(
event pin.entered { pin: int sensitive, who: string }
rule peak on pin.entered { when max(pin) over 1m > 0 { warning "max {value}" } }
rule total on pin.entered { when sum(pin) every 1m > 0 by who { warning "sum {value} by {who}" } }
rule many on pin.entered { when count() over 1m >= 1 { info "count {value}" } }
rule kinds on pin.entered { when distinct(pin) every 1m >= 1 { info "distinct {value}" } }
rule derived on pin.entered { emit copy {p: pin} }
rule copied on copy { when min(p) over 1m > 0 { warning "min {value}" } }
)";
    const dta::Report r = dta::test::run(policy,
                                         R"({"ts": 1000, "name": "pin.entered", "fields": {"pin": 4242, "who": "bob"}})"
                                         "\n"
                                         R"({"ts": 70000000000, "name": "pin.entered", "fields": {"pin": 1, "who": "x"}})"
                                         "\n");
    std::map<std::string, std::string> first;
    for (const dta::Finding& f : r.kept_findings) first.emplace(f.rule, f.message);
    CHECK(first["peak"] == "max <redacted>");
    CHECK(first["total"] == "sum <redacted> by bob");
    CHECK(first["many"] == "count 1");
    CHECK(first["kinds"] == "distinct 1");
    CHECK(first["copied"] == "min <redacted>");
    CHECK(dta::report_to_json(r).find("4242") == std::string::npos);
  }
}
