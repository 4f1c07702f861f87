// `test` blocks (spec 10): the checks the compiler makes, and running them
// (run_policy_test) in virtual time. Also `inject`/`seed` (spec 9): checked,
// stored, and reported by a replay with injected 0.
#include <doctest/doctest.h>

#include <filesystem>

#include "dta/dtb.hpp"
#include "dta/report_json.hpp"
#include "dta/stdlib.hpp"
#include "helpers.hpp"
#include "test_output.hpp"

using namespace dta;

namespace {

const std::string kPolicy = R"(
event db.open { path: string, errno: int }
event job.start { job: string }
event job.done { job: string }
rule db_open_failed on db.open where errno != 0 { error "open {path} failed" }
rule job_finishes on job.start {
  expect job.done matching job within 1m else { error "job {start.job} never finished" }
}
machine conn by job {
  initial idle
  state idle { on job.start -> busy }
  state busy { after 30s -> idle { warning "job {job} went quiet" } }
}
profile unit { rule db_open_failed: warning }
)";

// The tests of `text` (kPolicy + text), compiled with tests on; fails the test case on errors.
std::vector<TestCase> tests_of(const std::string& text) {
  CompileOptions o;
  o.tests = true;
  CompileResult r = compile_source("t.dta", kPolicy + text, o);
  for (const Diagnostic& d : r.diagnostics) std::fputs(d.rendered.c_str(), stderr);
  REQUIRE(r.ok());
  return std::move(r.tests);
}

// The first error of compiling kPolicy + text, as "LINE:COL: message" (line of text, from 1).
std::string first_error(const std::string& text) {
  CompileOptions o;
  o.tests = true;
  CompileResult r = compile_source("t.dta", kPolicy + text, o);
  const auto shift = static_cast<uint32_t>(std::count(kPolicy.begin(), kPolicy.end(), '\n'));
  for (const Diagnostic& d : r.diagnostics)
    if (d.severity == DiagnosticSeverity::Error)
      return std::to_string(d.line - shift) + ":" + std::to_string(d.col) + ": " + d.message;
  return "";
}

TestResult run_one(const std::string& text) {
  static std::vector<std::vector<TestCase>> keep;  // the results point at their tests
  keep.push_back(tests_of(text));
  REQUIRE(keep.back().size() == 1);
  return run_policy_test(keep.back()[0]);
}

}  // namespace

TEST_SUITE("policy_tests") {
  TEST_CASE("a test block becomes a test case with its events and expectations") {
    std::vector<TestCase> t = tests_of(R"(
test "failed open" {
  profile unit
  at 0s db.open { path: "/a", errno: 13 }
  at 2.5s db.open severity error { path: "/b", errno: -1 }
  advance 5m
  expect db_open_failed warning 2
  expect verdict pass
})");
    REQUIRE(t.size() == 1);
    CHECK(t[0].name == "failed open");
    CHECK(t[0].profile == "unit");
    REQUIRE(t[0].events.size() == 2);
    CHECK(t[0].events[1].ts == kTestEpochNs + 2500000000);
    CHECK(t[0].events[1].severity == Severity::Error);
    CHECK(std::get<int64_t>(t[0].events[1].fields[1].second) == -1);
    CHECK(t[0].advance == 300000000000);
    REQUIRE(t[0].expects.size() == 2);
    CHECK(t[0].expects[0].kind == TestExpectation::Kind::Findings);
    CHECK(t[0].expects[0].level == Level::Warning);
    CHECK(t[0].expects[0].count == 2);
    CHECK(t[0].expects[1].kind == TestExpectation::Kind::Verdict);
    CHECK_FALSE(t[0].expects[1].fail);
    CHECK(t[0].program != nullptr);
  }

  TEST_CASE("errors in a test are compile errors at their place") {
    CHECK(first_error("test \"x\" { expect db_open_faild error 1 }") ==
          "1:19: unknown rule or machine 'db_open_faild' (did you mean 'db_open_failed'?)");
    CHECK(first_error("test \"x\" { profile unti\n expect verdict pass }") ==
          "1:20: unknown profile 'unti' (did you mean 'unit'?)");
    CHECK(first_error("test \"x\" { expect db_open_failed errors 1 }").find("unknown measure 'errors'") !=
          std::string::npos);
    CHECK(first_error("test \"x\" { expect db_open_failed error }") ==
          "1:12: expected a count: expect RULE error 1");
    CHECK(first_error("test \"x\" { expect verdict maybe }") == "1:27: expected pass or fail: expect verdict fail");
    CHECK(first_error("test \"x\" { expect verdict fail 1 }") == "1:32: a verdict has no count: expect verdict fail");
    CHECK(first_error("test \"x\" { expect pending }") == "1:12: expected a count: expect pending N");
    CHECK(first_error("test \"x\" { at 0s db.open { path: \"/a\", errno: 1 + 1 }\n expect verdict pass }") ==
          "1:40: the value of 'errno' must be a literal: a number, a string, true or false");
    CHECK(first_error("test \"x\" { at 0s db.open { errno: \"13\" }\n expect verdict pass }") ==
          "1:28: field 'errno' of 'db.open' is declared int, the test gives a string");
    CHECK(first_error("test \"x\" { at 0s db.open { errno: 1, errno: 2 }\n expect verdict pass }") ==
          "1:38: field 'errno' is given twice");
    CHECK(first_error("test \"x\" { at 0s db.open severity fatal { errno: 1 }\n expect verdict pass }")
              .find("unknown severity 'fatal'") != std::string::npos);
    CHECK(first_error("test \"x\" { profile unit\n profile unit\n expect verdict pass }") ==
          "2:2: the test names its profile twice");
    CHECK(first_error("test \"x\" { expect verdict pass }\ntest \"x\" { expect verdict pass }") ==
          "2:6: test 'x' is defined twice");
    CHECK(first_error("test \"x\" { events \"no/such.jsonl\"\n expect verdict pass }")
              .find("1:19: cannot read events file 'no/such.jsonl'") == 0);
    CHECK(first_error("test \"x\" { policy \"no/such.dta\"\n expect verdict pass }") ==
          "1:19: the test's policy 'no/such.dta' does not compile");
  }

  TEST_CASE("a test that expects nothing is a warning") {
    CompileResult r = compile_source("t.dta", kPolicy + "test \"empty\" { at 0s db.open { errno: 1 } }");
    REQUIRE(r.ok());
    REQUIRE(r.warning_count() == 1);
    CHECK(r.diagnostics[0].message == "test 'empty' expects nothing: it always passes");
  }

  TEST_CASE("a policy with tests still replays: the tests are not part of the program") {
    CompileResult with = compile_source("t.dta", kPolicy + "test \"x\" { expect verdict pass }");
    CompileResult without = compile_source("t.dta", kPolicy);
    REQUIRE(with.ok());
    REQUIRE(without.ok());
    CHECK(with.program->rules.size() == without.program->rules.size());
    const std::string events = "{\"ts\": 1, \"name\": \"db.open\", \"fields\": {\"path\": \"/a\", \"errno\": 2}}\n";
    CHECK(report_to_json(test::run(kPolicy + "test \"x\" { expect verdict pass }", events)) ==
          report_to_json(test::run(kPolicy, events)));
  }

  TEST_CASE("counts are exact: a test passes or fails on them") {
    TestResult pass = run_one(R"(test "t" {
  at 0s db.open { path: "/a", errno: 13 }
  at 1s db.open { path: "/a", errno: 0 }
  expect db_open_failed error 1
  expect db_open_failed matched 1
  expect db_open_failed fired 1
  expect findings error 1
  expect verdict fail
})");
    CHECK(pass.error == "");
    CHECK(pass.passed);
    CHECK(pass.events == 2);
    TestResult fail = run_one(R"(test "t" {
  at 0s db.open { path: "/a", errno: 13 }
  expect db_open_failed error 2
  expect verdict fail
})");
    CHECK_FALSE(fail.passed);
    REQUIRE(fail.expectations.size() == 2);
    CHECK_FALSE(fail.expectations[0].passed);
    CHECK(fail.expectations[0].actual == "1");
    CHECK(fail.expectations[1].passed);
    CHECK(fail.report.kept_findings.size() == 1);
  }

  TEST_CASE("collections are counted, within the profile's budget, and written nowhere") {
    CompileOptions o;
    o.tests = true;
    CompileResult r = compile_source("t.dta", R"(
event db.open { path: string, errno: int }
recorder main capacity 16
rule dump on db.open where errno != 0 { collect recorder main }
profile tight { budget { dumps: 2 per 1h } }
test "all" {
  at 0s db.open { path: "/a", errno: 1 }
  at 1s db.open { path: "/a", errno: 1 }
  at 2s db.open { path: "/a", errno: 1 }
  expect dump collections 3
}
test "budgeted" {
  profile tight
  at 0s db.open { path: "/a", errno: 1 }
  at 1s db.open { path: "/a", errno: 1 }
  at 2s db.open { path: "/a", errno: 1 }
  expect dump collections 2
}
)", o);
    for (const Diagnostic& d : r.diagnostics) std::fputs(d.rendered.c_str(), stderr);
    REQUIRE(r.ok());
    REQUIRE(r.tests.size() == 2);
    TestResult all = run_policy_test(r.tests[0]);
    TestResult budgeted = run_policy_test(r.tests[1]);
    CHECK(all.passed);
    CHECK(budgeted.passed);
    REQUIRE(budgeted.report.collections.size() == 3);
    CHECK(budgeted.report.collections[2].status == "denied");
    for (const Collection& c : budgeted.report.collections) CHECK(c.path.empty());  // written nowhere
  }

  TEST_CASE("the profile of a test reclassifies its findings") {
    TestResult r = run_one(R"(test "t" {
  profile unit
  at 0s db.open { path: "/a", errno: 13 }
  expect db_open_failed warning 1
  expect db_open_failed error 0
  expect verdict pass
})");
    CHECK(r.passed);
  }

  TEST_CASE("advance lets deadlines and after transitions fire; without it they stay pending") {
    TestResult moved = run_one(R"(test "t" {
  at 0s job.start { job: "n" }
  advance 2m
  expect job_finishes error 1
  expect conn warning 1
  expect pending 0
})");
    CHECK(moved.passed);
    TestResult still = run_one(R"(test "t" {
  at 0s job.start { job: "n" }
  expect job_finishes error 0
  expect pending 2
})");
    CHECK(still.passed);
    CHECK(still.report.pending_expectations == 1);
    CHECK(still.report.pending_timers == 1);
  }

  TEST_CASE("coverage names the rules, machines and transitions no test made fire") {
    std::vector<TestCase> t = tests_of(R"(
test "start" {
  at 0s job.start { job: "n" }
  expect pending 2
}
test "quiet" {
  at 0s job.start { job: "m" }
  advance 2m
  expect conn warning 1
  expect job_finishes error 1
})");
    std::vector<TestResult> results;
    for (const TestCase& c : t) results.push_back(run_policy_test(c));
    const std::vector<cli::Coverage> cov = cli::coverage_of(results);
    REQUIRE(cov.size() == 1);
    CHECK(cov[0].units == 3);
    CHECK(cov[0].never == std::vector<std::string>{"db_open_failed"});
    CHECK(cov[0].transitions == 2);
    CHECK(cov[0].never_transitions.empty());
    results.pop_back();  // without the test that let 30s pass
    const std::vector<cli::Coverage> less = cli::coverage_of(results);
    CHECK(less[0].never_transitions == std::vector<std::string>{"conn: busy -> idle (after 30s)"});
    CHECK(cli::coverage_text(less[0]) ==
          "coverage: t.dta: 0 of 3 rules and machines fired; never: db_open_failed, job_finishes, conn\n"
          "coverage: t.dta: 1 of 2 machine transitions taken; never: conn: busy -> idle (after 30s)\n");
  }

  TEST_CASE("inline events are run in time order, whatever order they are written in") {
    TestResult r = run_one(R"(test "t" {
  at 30s job.done { job: "n" }
  at 0s job.start { job: "n" }
  expect job_finishes error 0
  expect pending 1
})");
    // job.done at 30s comes after the start at 0s: the expectation is met (the machine's timer remains)
    CHECK(r.passed);
    CHECK(r.report.diagnostics.late == 0);
  }

  TEST_CASE("a fixture's bad lines are counted; an unreadable fixture makes the test invalid, not failed") {
    const std::string dir = "policy_tests_tmp";
    std::filesystem::create_directories(dir);
    {
      std::FILE* f = std::fopen((dir + "/bad.jsonl").c_str(), "w");
      std::fputs("{\"ts\": 1, \"name\": \"db.open\"}\nnot json\n", f);
      std::fclose(f);
    }
    CompileOptions o;
    o.tests = true;
    {
      std::FILE* f = std::fopen((dir + "/broken.jsonl.gz").c_str(), "w");
      std::fputs("\x1f\x8b\x08\x00garbage that is not deflate", f);
      std::fclose(f);
    }
    CompileResult c = compile_source(dir + "/t.dta",
                                     kPolicy + "test \"t\" { events \"bad.jsonl\"\n expect verdict pass }\n" +
                                         "test \"u\" { events \"broken.jsonl.gz\"\n expect verdict pass }\n",
                                     o);
    REQUIRE(c.ok());
    TestResult r = run_policy_test(c.tests.at(0));
    CHECK(r.error == "");
    CHECK(r.passed);
    CHECK(r.events == 1);
    CHECK(r.report.diagnostics.bad_input == 1);
    TestResult u = run_policy_test(c.tests.at(1));
    CHECK_FALSE(u.passed);
    CHECK(u.error.find("broken.jsonl.gz: error:") != std::string::npos);
    std::filesystem::remove_all(dir);
  }
}

TEST_SUITE("inject") {
  const std::string kChaos = R"(
event db.open { errno: int }
rule r on db.open where errno != 0 { error "x" }
profile fuzz { warnings: error }
profile chaos extends fuzz {
    seed 42
    inject db.open { errno: 5 } probability 10%
    inject net.send { delay_ms: 50, why: "slow", hard: true, frac: -0.5 } after 3 probability 1% max 100
}
profile calm extends chaos {
    inject db.open { errno: 7 } probability 0.5
}
)";

  TEST_CASE("inject and seed are checked and stored, a later profile replacing a point") {
    auto prog = test::compiled(kChaos);
    REQUIRE(prog);
    const Profile& chaos = prog->profiles[static_cast<size_t>(prog->find_profile("chaos"))];
    CHECK(chaos.has_seed);
    CHECK(chaos.seed == 42);
    REQUIRE(chaos.injects.size() == 2);
    CHECK(chaos.injects[0].point == "db.open");
    CHECK(chaos.injects[0].probability == doctest::Approx(0.1));
    CHECK(chaos.injects[0].max == 0);
    const Inject& net = chaos.injects[1];
    CHECK(net.point == "net.send");
    CHECK(net.max == 100);
    CHECK(net.after == 3);
    REQUIRE(net.fields.size() == 4);
    CHECK(net.fields[1].value.s == "slow");
    CHECK(net.fields[3].value.f == -0.5);
    const Profile& calm = prog->profiles[static_cast<size_t>(prog->find_profile("calm"))];
    REQUIRE(calm.injects.size() == 2);
    CHECK(calm.injects[0].fields[0].value.i == 7);
    CHECK(calm.injects[0].probability == 0.5);
    CHECK(calm.seed == 42);
  }

  TEST_CASE("inject survives the .dtb") {
    auto prog = test::compiled(kChaos);
    REQUIRE(prog);
    Expected<std::unique_ptr<Program>> back = load_dtb(save_dtb(*prog));
    REQUIRE(back);
    const Profile& p = (*back)->profiles[static_cast<size_t>((*back)->find_profile("chaos"))];
    REQUIRE(p.injects.size() == 2);
    CHECK(p.injects[1].after == 3);
    CHECK(p.injects[1].fields[2].value.b);
    CHECK(p.seed == 42);
  }

  TEST_CASE("errors in inject") {
    const auto err = [](const std::string& item) {
      std::vector<std::string> e = test::errors("rule r on a { ok }\nprofile p {\n" + item + "\n}\n");
      return e.empty() ? std::string() : e[0];
    };
    CHECK(err("inject db.* { errno: 5 }") == "3:8: syntax error: expected an event name after 'inject', found 'db.*'");
    CHECK(err("inject db.open { errno: 5 } probability 150%") ==
          "3:41: a probability is a percentage (10%) or a number from 0 to 1");
    CHECK(err("inject db.open { errno: 5 } probability 2") ==
          "3:41: a probability is a percentage (10%) or a number from 0 to 1");
    CHECK(err("inject db.open { errno: 2 + 3 }") ==
          "3:18: the value of 'errno' must be a literal: a number, a string, true or false");
    CHECK(err("inject db.open { errno: 5 }\ninject db.open { errno: 6 }") ==
          "4:8: profile 'p' injects at 'db.open' twice (first at line 3)");
    CHECK(err("seed 1\nseed 2") == "4:1: profile 'p' sets its seed twice (first at line 3)");
    CHECK(err("inject db.open { errno: 5 } max 2 max 3") == "3:35: 'max' is given twice");
    CHECK(err("inject db.open { errno: 5 } max 0") == "3:33: a cap must be between 1 and 4294967295");
  }

  TEST_CASE("a replay reports the profile's faults with injected 0 and injects nothing") {
    const std::string events = "{\"ts\": 1, \"name\": \"db.open\", \"fields\": {\"errno\": 0}}\n";
    Report r = test::run(kChaos, events, "chaos");
    REQUIRE(r.faults.size() == 2);
    CHECK(r.faults[0].point == "db.open");
    CHECK(r.faults[0].injected == 0);
    CHECK(r.findings[0] == 0);
    const std::string json = report_to_json(r);
    CHECK(json.find("\"faults\": [") != std::string::npos);
    CHECK(json.find("\"point\": \"net.send\"") != std::string::npos);
    CHECK(json.find("\"max\": 100") != std::string::npos);
    Report none = test::run(kChaos, events);
    CHECK(none.faults.empty());
  }
}
