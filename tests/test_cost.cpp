// Static cost (dta/cost.hpp): the longest path through hand-made chunks,
// each construct's worst case, profiles that turn a rule off; profile
// budgets (parsing, checking, .dtb); the engine's sampled rule time and its
// CPU budget, with an injected clock.
#include <doctest/doctest.h>

#include "dta/cost.hpp"
#include "dta/disasm.hpp"
#include "dta/dtb.hpp"
#include "dta/stdlib.hpp"
#include "helpers.hpp"

namespace {

using dta::Chunk;
using dta::Cost;
using dta::Instr;
using dta::Op;

Chunk chunk_of(std::vector<Instr> code) {
  Chunk c;
  c.code = std::move(code);
  c.lines.resize(c.code.size());
  c.nregs = 4;
  return c;
}

// The cost of the unit called `name` in `costs`.
dta::UnitCost unit(const std::vector<dta::UnitCost>& costs, const std::string& name) {
  for (const dta::UnitCost& u : costs)
    if (u.name == name) return u;
  FAIL("no unit " << name);
  return {};
}

}  // namespace

TEST_SUITE("cost") {
  TEST_CASE("straight-line chunk: one unit per instruction") {
    const Chunk c = chunk_of({{Op::LOADK, 0, 0, 0}, {Op::LOADK, 1, 1, 0}, {Op::LT_I, 2, 0, 1}, {Op::RET, 2, 0, 0}});
    CHECK(dta::chunk_cost(c) == Cost{4, 0});
  }

  TEST_CASE("a branch: the longer side counts, whichever it is") {
    // not taken is longer: 0 1 2 3 4 (5) vs 0 1 5 (3)
    const Chunk fallthrough_long = chunk_of({{Op::LOADK, 0, 0, 0},
                                             {Op::JMPF, 0, 5, 0},
                                             {Op::LOADK, 1, 0, 0},
                                             {Op::LOADK, 1, 0, 0},
                                             {Op::RET, 1, 0, 0},
                                             {Op::RET, 0, 0, 0}});
    CHECK(dta::chunk_cost(fallthrough_long).instructions == 5);
    // taken is longer: 0 1 3 4 5 6 7 (7) vs 0 1 2 (3)
    const Chunk taken_long = chunk_of({{Op::LOADK, 0, 0, 0},
                                       {Op::JMPT, 0, 3, 0},
                                       {Op::RET, 0, 0, 0},
                                       {Op::LOADK, 1, 0, 0},
                                       {Op::LOADK, 1, 0, 0},
                                       {Op::LOADK, 1, 0, 0},
                                       {Op::LOADK, 1, 0, 0},
                                       {Op::RET, 1, 0, 0}});
    CHECK(dta::chunk_cost(taken_long).instructions == 7);
  }

  TEST_CASE("JMP skips what it jumps over; paths join") {
    // if/else: 0 JMPF->4; 1 2 (then) 3 JMP->6; 4 5 (else); 6 RET
    // then: 0 1 2 3 6 = 5; else: 0 4 5 6 = 4
    const Chunk c = chunk_of({{Op::LOADK, 0, 0, 0},
                              {Op::JMPF, 0, 5, 0},
                              {Op::LOADK, 1, 0, 0},
                              {Op::LOADK, 1, 0, 0},
                              {Op::JMP, 0, 7, 0},
                              {Op::LOADK, 1, 0, 0},
                              {Op::LOADK, 1, 0, 0},
                              {Op::RET, 1, 0, 0}});
    CHECK(dta::chunk_cost(c).instructions == 6);  // 0 1 2 3 4 7
  }

  TEST_CASE("calls and regex searches weigh their fixed costs") {
    const Chunk c = chunk_of({{Op::LOADK, 0, 0, 0},
                              {Op::CALL, 1, 0, 0},
                              {Op::MATCH, 2, 0, 0},
                              {Op::JMPF, 2, 5, 0},
                              {Op::MATCH, 2, 0, 0},
                              {Op::RET, 2, 0, 0}});
    CHECK(dta::chunk_cost(c) == Cost{1 + dta::kCostCall + 2 * dta::kCostMatch + 2, 2});
  }

  TEST_CASE("a jump the verifier would refuse ends the path (no crash, no loop)") {
    const Chunk back = chunk_of({{Op::LOADK, 0, 0, 0}, {Op::JMP, 0, 0, 0}, {Op::RET, 0, 0, 0}});
    CHECK(dta::chunk_cost(back).instructions == 2);
    const Chunk out = chunk_of({{Op::LOADK, 0, 0, 0}, {Op::JMPF, 0, 900, 0}, {Op::RET, 0, 0, 0}});
    CHECK(dta::chunk_cost(out).instructions == 3);
    CHECK(dta::chunk_cost(Chunk{}).instructions == 0);
  }

  TEST_CASE("each construct adds up what one event may run") {
    auto prog = dta::test::compiled(
        "event x { n: int, s: string, k: int }\n"
        "rule a on x where n > 1 { error \"n={n}\" }\n"
        "rule b on x { when count() over 10s > 3 { warning \"burst\" } }\n"
        "rule c on x where matches(s, \"^a+$\") { ok }\n"
        "machine m by k { initial i state i { on x where n > 1 -> j { warning \"j\" } } state j { after 1s -> i } }\n"
        "filter f on x where n > 100 { drop }\n"
        "profile quiet { rule a: off }\n");
    REQUIRE(prog);
    const auto costs = dta::program_cost(*prog, -1);
    REQUIRE(costs.size() == 5);
    const dta::UnitCost a = unit(costs, "a");
    CHECK(a.kind == "rule");
    CHECK_FALSE(a.off);
    // where: LOADF_I, GT_IK, RET; the action: a finding with one hole (LOADF_I, RET)
    const Cost where = dta::chunk_cost(prog->chunks[prog->rules[0].where]);
    CHECK(where.instructions == 3);
    CHECK(a.total.instructions == where.instructions + dta::kCostAction + 2);
    REQUIRE(a.parts.size() == 2);
    CHECK(a.parts[0].name == "where");
    CHECK(a.parts[1].name == "actions");
    const dta::UnitCost b = unit(costs, "b");
    CHECK(b.total.instructions == dta::kCostWindowUpdate + dta::kCostAction);
    CHECK(b.parts.back().name == "when#0");
    const dta::UnitCost c = unit(costs, "c");
    CHECK(c.total.regex_searches == 1);
    const dta::UnitCost m = unit(costs, "m");
    CHECK(m.kind == "machine");
    CHECK(m.total.instructions == dta::kCostStateUpdate + 3 + dta::kCostAction);
    const dta::UnitCost f = unit(costs, "f");
    CHECK(f.kind == "filter");
    CHECK(f.total.instructions == 3 + dta::kCostFilter);
    // the profile turns `a` off: it costs nothing there, the others the same
    const auto quiet = dta::program_cost(*prog, prog->find_profile("quiet"));
    CHECK(unit(quiet, "a").off);
    CHECK(unit(quiet, "a").total == Cost{});
    CHECK(unit(quiet, "b").total == b.total);
  }

  TEST_CASE("expectations count the larger of then and else") {
    auto prog = dta::test::compiled(
        "rule r on req { expect resp where id == start.id matching id within 1s "
        "then { ok } else { error \"late {start.id}\" count late { k: start.id } } }\n");
    REQUIRE(prog);
    const dta::UnitCost r = unit(dta::program_cost(*prog, -1), "r");
    REQUIRE(r.parts.size() == 2);
    CHECK(r.parts[1].name == "expect#0");
    const Cost where = dta::chunk_cost(prog->chunks[prog->rules[0].expects[0].where]);
    // else: two actions, a hole (LOADSF, RET) and a label (LOADSF, RET)
    CHECK(r.parts[1].cost.instructions == 2 * dta::kCostStateUpdate + where.instructions + 2 * dta::kCostAction + 4);
  }

  TEST_CASE("a .dtb costs what its policy costs") {
    auto prog = dta::test::compiled("rule a on x where n > 1 and s != \"q\" { error \"{s}\" }\n");
    REQUIRE(prog);
    auto back = dta::load_dtb(dta::save_dtb(*prog));
    REQUIRE(back);
    size_t n = 0;
    const dta::Builtin* fns = dta::stdlib_functions(&n);
    REQUIRE((*back)->finalize(fns, n));
    CHECK(dta::program_cost(**back, -1)[0].total == dta::program_cost(*prog, -1)[0].total);
  }
}

namespace {

// A profile's budget, compiled.
dta::Budget budget_of(const std::string& text, const std::string& profile) {
  auto prog = dta::test::compiled(text);
  REQUIRE(prog);
  const int p = prog->find_profile(profile);
  REQUIRE(p >= 0);
  return prog->profiles[static_cast<size_t>(p)].budget;
}

constexpr int64_t kMs = 1'000'000;

// A clock for tests: each reading moves it on by 1 µs, or by `heavy` ns when
// the slow rule has fired since the last reading (its finding callback sets
// the flag), so that rule's part of a timed event costs `heavy` ns.
struct FakeClock {
  int64_t now = 0;
  int64_t heavy = 10 * kMs;
  bool slow_ran = false;
  int64_t read() {
    now += slow_ran ? heavy : 1000;
    slow_ran = false;
    return now;
  }
};

const char* const kBudgetPolicy =
    "rule slow on x { error \"slow\" }\n"
    "rule cheap on x where n < 0 { error \"never\" }\n"
    "machine m by k { initial a state a { on x -> a } }\n"
    "profile prod { budget { cpu: 2% } }\n"
    "profile lax { budget { cpu: 100% } }\n"
    "profile none { }\n";

struct BudgetRun {
  dta::Report report;
  std::vector<dta::EngineError> errors;
};

// Runs kBudgetPolicy over `events` events (1 ms of event time apart) under
// `profile`, with the fake clock and every event timed.
BudgetRun run_budget(const std::string& profile, bool enforce, int events, uint32_t every = 1) {
  auto prog = dta::test::compiled(kBudgetPolicy);
  REQUIRE(prog);
  FakeClock clock;
  BudgetRun out;
  dta::EngineOptions opts;
  opts.profile = profile;
  opts.enforce_cpu_budget = enforce;
  opts.time_sample_every = every;
  opts.clock = [&clock] { return clock.read(); };
  opts.on_finding = [&clock](const dta::Finding& f) {
    if (f.rule == "slow") clock.slow_ran = true;
  };
  opts.on_engine_error = [&out](const dta::EngineError& e) { out.errors.push_back(e); };
  std::string err;
  auto engine = dta::Engine::create(prog, opts, &err);
  REQUIRE_MESSAGE(engine, err);
  const uint32_t name = engine->symbols().intern("x");
  const uint32_t n = engine->symbols().intern("n"), k = engine->symbols().intern("k");
  for (int i = 0; i < events; ++i) {
    dta::Event ev;
    ev.name = name;
    ev.ts = int64_t{i} * kMs;
    ev.add_int(n, i);
    ev.add_int(k, i % 3);
    engine->process(ev);
  }
  engine->finish();
  out.report = engine->report();
  return out;
}

}  // namespace

TEST_SUITE("cost") {
  TEST_CASE("budget: every item of the spec's example is accepted and stored") {
    const dta::Budget b =
        budget_of("profile production { budget { disk: 256MB, dumps: 10 per 1h, recorder_memory: 32MB, cpu: 2% } }",
                  "production");
    CHECK(b.disk == 256LL << 20);
    CHECK(b.dumps == 10);
    CHECK(b.dumps_period == 3600LL * 1'000'000'000);
    CHECK(b.recorder_memory == 32LL << 20);
    CHECK(b.cpu == doctest::Approx(0.02));
    // nothing set: no budget
    const dta::Budget none = budget_of("profile p { }", "p");
    CHECK(none.disk == -1);
    CHECK(none.dumps == -1);
    CHECK(none.dumps_period == 0);
    CHECK(none.recorder_memory == -1);
    CHECK(none.cpu == 0);
  }

  TEST_CASE("budget: one AST item per entry, with its value and period") {
    CHECK(dta::test::ast_of("profile p { budget { disk: 1MB, dumps: 2 per 1h } }") ==
          "(profile p (budget disk 1MB:1048576) (budget dumps 2 per 1h:3600000000000))\n");
  }

  TEST_CASE("budget: extends applies the parent's items first, then the child's") {
    const char* text =
        "profile base { budget { disk: 1GB, cpu: 5% } }\n"
        "profile prod extends base { budget { cpu: 1.5% } budget { dumps: 3 per 10m } }\n";
    const dta::Budget b = budget_of(text, "prod");
    CHECK(b.disk == 1LL << 30);
    CHECK(b.cpu == doctest::Approx(0.015));
    CHECK(b.dumps == 3);
    CHECK(b.dumps_period == 600LL * 1'000'000'000);
    CHECK(budget_of(text, "base").cpu == doctest::Approx(0.05));
  }

  TEST_CASE("budget: wrong items and values are errors at their place") {
    using V = std::vector<std::string>;
    CHECK(dta::test::errors("profile p { budget { disc: 256MB } }") ==
          V{"1:22: unknown budget item 'disc' (disk, dumps, recorder_memory or cpu) (did you mean 'disk'?)"});
    CHECK(dta::test::errors("profile p { budget { disk: 256 } }") ==
          V{"1:28: budget 'disk' takes a size (like 256MB)"});
    CHECK(dta::test::errors("profile p { budget { cpu: 0.5 } }") ==
          V{"1:27: budget 'cpu' takes a percentage (like 2%)"});
    CHECK(dta::test::errors("profile p { budget { cpu: 0% } }") ==
          V{"1:27: budget 'cpu' must be above 0% and at most 100%, not 0%"});
    CHECK(dta::test::errors("profile p { budget { cpu: 150% } }") ==
          V{"1:27: budget 'cpu' must be above 0% and at most 100%, not 150%"});
    CHECK(dta::test::errors("profile p { budget { dumps: 10 } }") ==
          V{"1:29: budget 'dumps' takes a count per duration (like 10 per 1h)"});
    CHECK(dta::test::errors("profile p { budget { dumps: 10 per 0s } }") ==
          V{"1:36: budget 'dumps' needs a period above zero"});
    CHECK(dta::test::errors("profile p { budget { disk: 1MB per 1h } }") ==
          V{"1:36: budget 'disk' takes a size (like 256MB), without 'per'"});
    CHECK(dta::test::errors("profile p { budget { cpu: 1%, cpu: 2% } }") ==
          V{"1:31: budget item 'cpu' is set twice in profile 'p' (first at line 1)"});
    CHECK(dta::test::errors("const C = 5\nprofile p { budget { dumps: 10 per C } }").size() == 1);
  }

  TEST_CASE("budget: kept in the .dtb and shown by disasm; a bad one in a .dtb is refused") {
    auto prog = dta::test::compiled("profile prod { budget { disk: 256MB, dumps: 10 per 1h, cpu: 2% } }");
    REQUIRE(prog);
    const std::string bytes = dta::save_dtb(*prog);
    auto back = dta::load_dtb(bytes);
    REQUIRE(back);
    size_t n = 0;
    const dta::Builtin* fns = dta::stdlib_functions(&n);
    REQUIRE((*back)->finalize(fns, n));
    const dta::Budget& b = (*back)->profiles[0].budget;
    CHECK(b.disk == 256LL << 20);
    CHECK(b.dumps == 10);
    CHECK(b.cpu == doctest::Approx(0.02));
    const std::string listing = dta::disassemble(**back);
    CHECK(listing.find("budget={ disk: 268435456B, dumps: 10 per 1h, cpu: 2% }") != std::string::npos);
    // a cpu share above 1 in a crafted program is refused by the verifier
    auto crafted = dta::load_dtb(bytes);
    REQUIRE(crafted);
    (*crafted)->profiles[0].budget.cpu = 3.0;
    const dta::Outcome refused = (*crafted)->finalize(fns, n);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().find("cpu budget outside [0, 1]") != std::string::npos);
  }

  TEST_CASE("rule time: sampled time times the sampling rate") {
    // every event timed: slow costs 10 ms per event, cheap and m 1 µs
    const BudgetRun all = run_budget("none", false, 40);
    CHECK(dta::test::rule(all.report, "slow").time_ns == 40 * 10 * kMs);
    CHECK(dta::test::rule(all.report, "cheap").time_ns == 40 * 1000);
    CHECK(dta::test::rule(all.report, "m").time_ns == 40 * 1000);
    // one in 4: ten events timed, each counted four times
    const BudgetRun quarter = run_budget("none", false, 40, 4);
    CHECK(dta::test::rule(quarter.report, "slow").time_ns == 10 * 4 * 10 * kMs);
    // never
    CHECK(dta::test::rule(run_budget("none", false, 40, 0).report, "slow").time_ns == 0);
  }

  TEST_CASE("cpu budget: a slow rule is disabled and reported, a cheap one is not") {
    const BudgetRun r = run_budget("prod", true, 300);
    const dta::RuleReport slow = dta::test::rule(r.report, "slow");
    const dta::RuleReport cheap = dta::test::rule(r.report, "cheap");
    CHECK(slow.disabled_by_budget);
    CHECK_FALSE(cheap.disabled_by_budget);
    CHECK_FALSE(dta::test::rule(r.report, "m").disabled_by_budget);
    CHECK(r.report.diagnostics.disabled_by_budget == 1);
    // The first period ends at the first reading past 1 s of the clock: after
    // about 100 events of 10 ms. Then slow stops; cheap and m see every event.
    CHECK(slow.matched >= 95);
    CHECK(slow.matched <= 105);
    CHECK(r.report.findings[0] == slow.matched);
    CHECK(cheap.matched == 0);
    CHECK(dta::test::rule(r.report, "m").matched == 300);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].kind == dta::EngineError::Kind::CpuBudget);
    CHECK(r.errors[0].message.find("rule 'slow' disabled") != std::string::npos);
    CHECK(r.errors[0].message.find("cpu: 2%") != std::string::npos);
  }

  TEST_CASE("cpu budget: not enforced unless asked, not without a cpu item, not under it") {
    for (const auto& [profile, enforce] :
         {std::pair{"prod", false}, std::pair{"none", true}, std::pair{"lax", true}, std::pair{"", true}}) {
      CAPTURE(profile);
      const BudgetRun r = run_budget(profile, enforce, 300);
      CHECK_FALSE(dta::test::rule(r.report, "slow").disabled_by_budget);
      CHECK(dta::test::rule(r.report, "slow").matched == 300);
      CHECK(r.report.diagnostics.disabled_by_budget == 0);
      CHECK(r.errors.empty());
    }
  }

  TEST_CASE("cpu budget: a disabled rule's pending expectation fires into nothing") {
    auto prog = dta::test::compiled(
        "rule slow on req { error \"slow\" expect resp matching id within 10s else { error \"late\" } }\n"
        "profile prod { budget { cpu: 2% } }\n");
    REQUIRE(prog);
    FakeClock clock;
    dta::EngineOptions opts;
    opts.profile = "prod";
    opts.enforce_cpu_budget = true;
    opts.time_sample_every = 1;
    opts.clock = [&clock] { return clock.read(); };
    opts.on_finding = [&clock](const dta::Finding& f) {
      if (f.message == "slow") clock.slow_ran = true;
    };
    std::string err;
    auto engine = dta::Engine::create(prog, opts, &err);
    REQUIRE(engine);
    const uint32_t req = engine->symbols().intern("req"), id = engine->symbols().intern("id");
    for (int i = 0; i < 200; ++i) {
      dta::Event ev;
      ev.name = req;
      ev.ts = int64_t{i} * kMs;
      ev.add_int(id, i);
      engine->process(ev);
    }
    engine->advance_to(int64_t{3600} * 1'000'000'000);
    const dta::Report rep = engine->report();
    const dta::RuleReport slow = dta::test::rule(rep, "slow");
    REQUIRE(slow.disabled_by_budget);
    CHECK(rep.findings[0] == slow.matched);  // no "late" finding from the expectations left pending
  }
}
