// Bounded work and time at the edges: no policy can make one event cost
// unbounded work (timer cycles, derived events that re-arm their own timers),
// and event time near the int64 limits saturates instead of overflowing.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "helpers.hpp"

namespace {

constexpr int64_t kHour = 3600LL * 1000000000;

std::string line(int64_t ts, const std::string& name, const std::string& fields = "{}") {
  return fmt::format(R"({{"ts": {}, "name": "{}", "fields": {}}})"
                     "\n",
                     ts, name, fields);
}

}  // namespace

TEST_SUITE("limits") {
  TEST_CASE("a machine whose `after` transitions cycle costs bounded work per event") {
    const char* policy = R"(
machine flip by k {
  initial b
  state b { on go -> c  after 1ns -> c }
  state c { after 1ns -> b { info "back" } }
}
)";
    dta::EngineOptions opts;
    opts.max_work_per_step = 1000;
    const dta::Report r = dta::test::run(policy, line(0, "go", R"({"k": 1})") + line(kHour, "go", R"({"k": 1})") +
                                                     line(2 * kHour, "go", R"({"k": 1})"),
                                         "", opts);
    CHECK(r.events == 3);
    CHECK(r.diagnostics.work_limited == 2);  // the steps of the 2nd and 3rd event were cut
    // Each step ran at most its budget of timers.
    CHECK(r.findings[2] <= 2 * 1000);
    CHECK(r.findings[2] > 0);
  }

  TEST_CASE("an expectation whose `else` emits the event that starts it again is bounded") {
    const char* policy = R"(
rule loop on tick {
  expect tock matching id within 1ns else { emit tick {id: id} info "missed {id}" }
}
)";
    dta::EngineOptions opts;
    opts.max_work_per_step = 500;
    const dta::Report r =
        dta::test::run(policy, line(0, "tick", R"({"id": 7})") + line(kHour, "other") + line(2 * kHour, "other"),
                       "", opts);
    CHECK(r.events == 3);
    CHECK(r.diagnostics.work_limited == 2);
    CHECK(r.diagnostics.emitted > 0);
    CHECK(r.diagnostics.emitted <= 2 * 500);
    CHECK(r.findings[2] <= 2 * 500);
    CHECK(r.findings[2] >= 100);
  }

  TEST_CASE("timers left due when the budget runs out run first in the next step, in time order") {
    const char* policy = R"(
rule start on s { expect never matching id within 1s else { info "late {id}" } }
)";
    std::string ev;
    for (int i = 0; i < 10; ++i) ev += line(i, "s", fmt::format(R"({{"id": {}}})", i));
    ev += line(kHour, "x") + line(kHour + 1, "x") + line(kHour + 2, "x");
    dta::EngineOptions opts;
    opts.max_work_per_step = 4;
    const dta::Report r = dta::test::run(policy, ev, "", opts);
    CHECK(r.findings[2] == 10);  // 4 + 4 + 2 over three steps: nothing is lost
    REQUIRE(r.kept_findings.size() == 10);
    for (int i = 0; i < 10; ++i) CHECK(r.kept_findings[i].message == fmt::format("late {}", i));
    CHECK(r.diagnostics.work_limited == 2);
  }

  TEST_CASE("time near the int64 limits saturates in deadlines, `after` and alert `every`") {
    const char* policy = R"(
rule x on a { expect b matching id within 1d else { error "never {id}" } }
machine m by id { initial s  state s { on a -> s  after 1d -> s { warning "after" } } }
rule al on a { alert warning "a" dedup id every 1h }
)";
    const int64_t near_max = INT64_MAX - 5;
    const int64_t near_min = INT64_MIN + 5;
    const dta::Report r = dta::test::run(
        policy, line(near_min, "a", R"({"id": 1})") + line(near_min + 1, "a", R"({"id": 1})") +
                    line(near_max, "a", R"({"id": 2})") + line(INT64_MAX, "a", R"({"id": 2})"));
    CHECK(r.events == 4);
    // The near-min expectations expire when time jumps; the near-max ones saturate and stay pending.
    CHECK(dta::test::rule(r, "x").fired == 2);
    CHECK(r.pending_expectations == 2);
    CHECK(r.alerts.size() == 2);  // one per id: the second of each pair is within the hour
  }
}
