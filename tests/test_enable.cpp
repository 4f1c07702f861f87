// `enable PATTERN [level L] for D` (spec 6): parse and check errors at their
// place, the action in .dtb files (round trip, corruption refused), and the
// engine handing each run to EngineOptions::on_enable, or only counting it.
#include <doctest/doctest.h>

#include <climits>
#include <cstring>
#include <stdexcept>

#include "dta/disasm.hpp"
#include "dta/dtb.hpp"
#include "dta/report_json.hpp"
#include "dta/stdlib.hpp"
#include "helpers.hpp"

namespace {

using dta::test::errors;

// A .dtb's bytes back into a finalized program, or the error.
std::unique_ptr<dta::Program> load(const std::string& bytes, std::string* err) {
  auto p = dta::load_dtb(bytes);
  if (!p) {
    *err = p.error();
    return nullptr;
  }
  size_t n = 0;
  const dta::Builtin* fns = dta::stdlib_functions(&n);
  const dta::Outcome finalized = (*p)->finalize(fns, n);
  *err = finalized.error();
  if (!finalized) return nullptr;
  return std::move(*p);
}

// A mutable copy of a compiled program (through its .dtb), to corrupt.
std::unique_ptr<dta::Program> copy_of(const std::string& policy) {
  auto prog = dta::test::compiled(policy);
  REQUIRE(prog);
  auto p = dta::load_dtb(dta::save_dtb(*prog));
  REQUIRE(p.ok());
  return std::move(*p);
}

// Runs `policy` over JSON Lines `events` with an on_enable that records every request.
struct Enables {
  struct Got {
    std::string pattern;
    dta::Severity min;
    int64_t at, until;
    std::string rule;
  };
  std::vector<Got> got;
  dta::Report report;
};
Enables run_enables(const std::string& policy, const std::string& events, const std::string& profile = "",
                    bool hook = true) {
  Enables out;
  dta::EngineOptions opts;
  if (hook)
    opts.on_enable = [&out](const dta::EnableRequest& r) {
      out.got.push_back({std::string(r.pattern), r.min_severity, r.at, r.until, std::string(r.rule)});
    };
  out.report = dta::test::run(policy, events, profile, opts);
  return out;
}

constexpr int64_t kS = 1000000000;  // ns per second

}  // namespace

TEST_SUITE("enable") {
  TEST_CASE("parses with its pattern, level and duration") {
    const std::string ast = dta::test::ast_of("rule r on a { enable db.* level warning for 5m }");
    CAPTURE(ast);
    CHECK(ast.find("(enable db.* (level warning) (for 5m:300000000000))") != std::string::npos);
    CHECK(dta::test::ast_of("const D = 10s\nrule r on a { enable db.open for D }").find("(enable db.open (for D))") !=
          std::string::npos);
    CHECK(dta::test::ast_of("rule r on a { enable * level debug for 1s }").find("(enable * (level debug)") !=
          std::string::npos);
    CHECK(errors("rule r on a { enable db.* level warning for 5m }").empty());
  }

  TEST_CASE("check errors name the place") {
    CHECK(errors("rule r on a { enable db.* level verbose for 5m }") ==
          std::vector<std::string>{"1:33: unknown severity 'verbose' (debug, info, warning, error or critical)"});
    const auto warn = errors("rule r on a { enable db.* level warnig for 5m }");
    REQUIRE(warn.size() == 1);
    CHECK(warn[0].starts_with("1:33: unknown severity 'warnig'"));
    CHECK(warn[0].find("did you mean 'warning'") != std::string::npos);
    CHECK(errors("rule r on a { enable db.* for 0s }") ==
          std::vector<std::string>{"1:31: 'enable ... for' needs a positive duration, not 0s"});
    const auto undefined = errors("rule r on a { enable db.* for LATER }");
    REQUIRE(undefined.size() == 1);
    CHECK(undefined[0].starts_with("1:31: a duration must be a literal or a constant, not 'LATER'"));
    const auto text = errors("const D = \"5m\"\nrule r on a { enable db.* for D }");
    REQUIRE(text.size() == 1);
    CHECK(text[0].starts_with("2:31: a duration must be an int of nanoseconds"));
    CHECK_FALSE(errors("rule r on a { enable db.* level warning }").empty());  // `for D` is required
    CHECK_FALSE(errors("rule r on a { enable for 5m }").empty());              // and the pattern
    // A profile cannot make the duration zero.
    const auto prof = errors("const D = 5m\nrule r on a { enable db.* for D }\nprofile p { set D = 0s }");
    REQUIRE(prof.size() == 1);
    CHECK(prof[0].starts_with("3:13: profile 'p' sets D to 0s, but D is the duration of 'enable ... for'"));
  }

  TEST_CASE("allowed in every action block: when, expect, machine transitions") {
    CHECK(errors("rule r on a { when count() over 10s > 3 { enable db.* for 1m } }").empty());
    CHECK(errors("rule r on a { expect b matching k within 1s else { enable db.* level error for 1m } }").empty());
    CHECK(errors("machine m by k { initial s state s { on a -> s { enable x.y for 1s } } }").empty());
  }

  TEST_CASE(".dtb round trip, and the disassembly shows it") {
    const char* policy =
        "const D = 90s\nrule r on db.error { enable db.* level warning for D }\n"
        "rule q on a { enable * for 1s error \"x\" }\n";
    auto prog = dta::test::compiled(policy);
    REQUIRE(prog);
    const std::string bytes = dta::save_dtb(*prog);
    std::string err;
    auto back = load(bytes, &err);
    REQUIRE_MESSAGE(back, err);
    CHECK(dta::save_dtb(*back) == bytes);
    const std::string dis = dta::disassemble(*back);
    CHECK(dis == dta::disassemble(*prog));
    CHECK(dis.find("kind=enable name=db.* min_severity=warning") != std::string::npos);
    CHECK(dis.find("for=K0(90000000000)") != std::string::npos);
    CHECK(dis.find("kind=enable name=* min_severity=debug") != std::string::npos);
    // Other actions do not show a severity of their own.
    CHECK(dis.find("kind=verdict level=error severity=warning loc") != std::string::npos);
  }

  TEST_CASE("corrupt enable actions are refused by the reader or the verifier") {
    const char* policy = "rule r on a { enable db.* level info for 5s }\nrule v on b { error \"x\" }\n";
    std::string err;
    {  // a severity out of its list
      auto p = copy_of(policy);
      p->rules[0].actions[0].min_severity = static_cast<dta::Severity>(9);
      CHECK(load(dta::save_dtb(*p), &err) == nullptr);
      CHECK(err.find("severity 9 out of range") != std::string::npos);
    }
    {  // no duration
      auto p = copy_of(policy);
      p->rules[0].actions[0].for_k = -1;
      CHECK(load(dta::save_dtb(*p), &err) == nullptr);
      CHECK(err.find("the 'for' of action 0 of rule 'r' is not an int constant") != std::string::npos);
    }
    {  // a duration that is not an int
      auto p = copy_of(policy);
      dta::Const s;
      s.type = dta::Type::String;
      s.s = "5s";
      p->consts.push_back(s);
      p->rules[0].actions[0].for_k = static_cast<int32_t>(p->consts.size() - 1);
      CHECK(load(dta::save_dtb(*p), &err) == nullptr);
      CHECK(err.find("is not an int constant") != std::string::npos);
    }
    {  // a duration index out of range
      auto p = copy_of(policy);
      p->rules[0].actions[0].for_k = 999;
      CHECK(load(dta::save_dtb(*p), &err) == nullptr);
      CHECK_FALSE(err.empty());
    }
    for (const char* bad : {"", "db..x", ".db", "db.", "db.*.*", "1db", "db.o pen", "db.\n", "**"}) {
      CAPTURE(bad);
      auto p = copy_of(policy);
      p->rules[0].actions[0].name = bad;
      CHECK(load(dta::save_dtb(*p), &err) == nullptr);
      CHECK(err.find("enables a bad pattern") != std::string::npos);
    }
    {  // enable settings on another kind of action
      auto p = copy_of(policy);
      p->rules[1].actions[0].for_k = p->rules[0].actions[0].for_k;
      CHECK(load(dta::save_dtb(*p), &err) == nullptr);
      CHECK(err.find("has enable settings but is not an enable") != std::string::npos);
      auto q = copy_of(policy);
      q->rules[1].actions[0].min_severity = dta::Severity::Error;
      CHECK(load(dta::save_dtb(*q), &err) == nullptr);
      CHECK(err.find("has enable settings but is not an enable") != std::string::npos);
    }
    {  // every truncation is an error
      const std::string bytes = dta::save_dtb(*dta::test::compiled(policy));
      for (size_t n = 0; n < bytes.size(); n += 3) {
        CAPTURE(n);
        CHECK(load(bytes.substr(0, n), &err) == nullptr);
      }
    }
    {  // a file of the version before `enable` is refused, not misread
      std::string bytes = dta::save_dtb(*dta::test::compiled(policy));
      const uint32_t old = dta::kDtbVersion - 1;
      std::memcpy(bytes.data() + 4, &old, 4);
      CHECK(load(bytes, &err) == nullptr);
      CHECK(err.find("unsupported .dtb version") != std::string::npos);
    }
  }

  TEST_CASE("the hook receives the pattern, the level, the event time and until = now + D") {
    const auto e = run_enables(
        "rule r on db.error { enable db.* level warning for 5m }\nrule q on x { enable cache.hit for 2s }\n",
        "{\"ts\": 1000, \"name\": \"db.error\"}\n{\"ts\": 7000, \"name\": \"x\"}\n");
    REQUIRE(e.got.size() == 2);
    CHECK(e.got[0].pattern == "db.*");
    CHECK(e.got[0].min == dta::Severity::Warning);
    CHECK(e.got[0].at == 1000);
    CHECK(e.got[0].until == 1000 + 300 * kS);
    CHECK(e.got[0].rule == "r");
    CHECK(e.got[1].pattern == "cache.hit");
    CHECK(e.got[1].min == dta::Severity::Debug);  // no level: every site the pattern names
    CHECK(e.got[1].until == 7000 + 2 * kS);
    CHECK(e.report.diagnostics.enables == 2);
  }

  TEST_CASE("a profile's constant sets the duration; a profile that turns the rule off turns the enable off") {
    const char* policy =
        "const D = 1m\nrule r on db.error { enable db.* level error for D }\n"
        "profile longer { set D = 1h }\nprofile quiet { rule r: off }\n";
    const std::string events = "{\"ts\": 5, \"name\": \"db.error\"}\n";
    const auto longer = run_enables(policy, events, "longer");
    REQUIRE(longer.got.size() == 1);
    CHECK(longer.got[0].until == 5 + 3600 * kS);
    const auto quiet = run_enables(policy, events, "quiet");
    CHECK(quiet.got.empty());
    CHECK(quiet.report.diagnostics.enables == 0);
  }

  TEST_CASE("enable runs where actions run: a when, an expectation's else at its deadline, a machine") {
    const char* policy =
        "rule w on a { when count() over 10s >= 2 { enable w.* for 1s } }\n"
        "rule x on b { expect c matching k within 3s else { enable x.* level critical for 1s } }\n"
        "machine m by k { initial s state s { on d -> t { enable m.* for 1s } } state t { } }\n";
    const auto e = run_enables(policy,
                               "{\"ts\": 1000000000, \"name\": \"a\"}\n{\"ts\": 2000000000, \"name\": \"a\"}\n"
                               "{\"ts\": 3000000000, \"name\": \"b\", \"fields\": {\"k\": 1}}\n"
                               "{\"ts\": 4000000000, \"name\": \"d\", \"fields\": {\"k\": 1}}\n"
                               "{\"ts\": 9000000000, \"name\": \"z\"}\n");
    REQUIRE(e.got.size() == 3);
    CHECK(e.got[0].pattern == "w.*");
    CHECK(e.got[0].at == 2 * kS);
    CHECK(e.got[1].pattern == "m.*");
    CHECK(e.got[1].rule == "m");
    CHECK(e.got[2].pattern == "x.*");
    CHECK(e.got[2].min == dta::Severity::Critical);
    CHECK(e.got[2].at == 6 * kS);  // the expectation's deadline
    CHECK(e.got[2].until == 7 * kS);
  }

  TEST_CASE("without a hook the action is counted only, and the report says so") {
    const auto e = run_enables("rule r on a { enable db.* for 1s }\n",
                               "{\"ts\": 1, \"name\": \"a\"}\n{\"ts\": 2, \"name\": \"a\"}\n", "", false);
    CHECK(e.got.empty());
    CHECK(e.report.diagnostics.enables == 2);
    const std::string json = dta::report_to_json(e.report);
    CAPTURE(json);
    CHECK(json.find("\"enables\": 2") != std::string::npos);
    CHECK(dta::report_to_json(dta::Report{}).find("enables") == std::string::npos);
  }

  TEST_CASE("until saturates; a hook that throws is counted, not thrown") {
    const auto e = run_enables("rule r on a { enable db.* for 1h }\n",
                               "{\"ts\": " + std::to_string(INT64_MAX - 5) + ", \"name\": \"a\"}\n");
    REQUIRE(e.got.size() == 1);
    CHECK(e.got[0].until == INT64_MAX);
    dta::EngineOptions opts;
    opts.on_enable = [](const dta::EnableRequest&) { throw std::runtime_error("host failed"); };
    const dta::Report r =
        dta::test::run("rule r on a { enable db.* for 1s }\n", "{\"ts\": 1, \"name\": \"a\"}\n", "", opts);
    CHECK(r.diagnostics.enables == 1);
    CHECK(r.diagnostics.callback_errors == 1);
  }
}
