// Checker tests, table-driven: policy -> diagnostics ("LINE:COL: message").
#include <doctest/doctest.h>

#include "helpers.hpp"

using dta::test::errors;

namespace {

const char* const kSchema =
    "event db.open (1001) { path: string, errno: int, user: string sensitive, lat: float }\n";

}  // namespace

TEST_SUITE("checker") {
  TEST_CASE("names, types and profiles are checked") {
    struct Case {
      std::string input;
      std::vector<std::string> errors;
    };
    const std::string s = kSchema;  // line 1
    const Case cases[] = {
        {s + "rule x on db.open where errnum != 0 { error \"x\" }",
         {"2:25: unknown field 'errnum' on event 'db.open' (did you mean 'errno'?)"}},
        {s + "rule x on db.open { error \"{pth}\" }",
         {"2:29: unknown field 'pth' on event 'db.open' (did you mean 'path'?)"}},
        {s + "rule x on db.open where path > 3 { ok }", {"2:30: cannot compare string > int"}},
        {s + "rule x on db.open where errno { ok }", {"2:25: a condition must be bool, not int"}},
        {s + "rule x on db.open where lowr(path) == \"a\" { ok }",
         {"2:25: unknown function 'lowr' (did you mean 'lower'?)"}},
        {s + "rule x on db.open where len(errno) > 1 { ok }", {"2:29: argument 1 of 'len' cannot be int"}},
        {s + "rule x on db.open where starts_with(path) { ok }", {"2:25: 'starts_with' takes 2 arguments, not 1"}},
        {s + "rule x on db.open where matches(path, user) { ok }",
         {"2:39: the pattern of matches() must be a constant string"}},
        {s + "rule x on db.open where matches(path, \"(\") { ok }",
         {"2:39: invalid regex: Unmatched marking parenthesis ( or \\(.  The error occurred while parsing the regular expression: '(>>>HERE>>>'."}},
        {s + "rule x on db.open where path + errno == \"a\" { ok }", {"2:30: cannot apply '+' to string and int"}},
        {s + "rule x on db.open where not errno { ok }", {"2:25: 'not' needs bool, not int"}},
        {s + "rule x on db.open where errno in [\"a\"] { ok }", {"2:25: cannot look for int in a list of string"}},
        {s + "rule x on db.open where errno in 3 { ok }",
         {"2:34: 'in' needs a list: x in [\"a\", \"b\"] or a list constant"}},
        {s + "rule x on db.open where event.nam == \"a\" { ok }",
         {"2:25: unknown event part 'event.nam' (did you mean 'name'?)"}},
        {s + "rule x on db.open where a.b == 1 { ok }",
         {"2:25: unknown name 'a.b' (fields with dots are written field(\"a.b\"))"}},
        {s + "rule x on db.open where start.path == 1 { ok }", {"2:25: 'start.path' is only valid inside an 'expect' block"}},
        {s + "rule x on db.open { error \"a\" warning \"b\" }", {"2:31: an action block holds at most one verdict"}},
        {s + "rule x on a { ok }\nrule x on b { ok }", {"3:6: rule 'x' is defined twice (first at line 2)"}},
        {"const A = 1\nconst A = 2", {"2:7: constant 'A' is defined twice (first at line 1)"}},
        {"const A = 1 + 2", {"1:13: a constant's value must be a literal"}},
        {"event e { x: integer }", {"1:14: unknown type 'integer' (did you mean 'int'?)"}},
        {"event e { x: int, x: int }", {"1:19: field 'x' is declared twice in event 'e'"}},
        {"rule x on a { observe lat \"s\" }", {"1:27: observe needs a number, not string"}},
        {"filter f on a { sample 150% }", {"1:24: a sample fraction must be between 0% and 100%"}},
        // profiles: every profile is checked
        {"rule r on a { warning \"w\" }\nprofile p { rule rr: error }",
         {"2:18: profile 'p' names unknown rule 'rr' (did you mean 'r'?)"}},
        {"const C = 1\nprofile p { set D = 2 }", {"2:17: profile 'p' sets unknown constant 'D' (did you mean 'C'?)"}},
        {"const C = 1\nprofile p { set C = \"x\" }", {"2:21: profile 'p' sets C (int) to a string"}},
        {"rule r on a { ok }\nprofile p { rule r: fatal }",
         {"2:21: unknown level 'fatal' (error, warning, info, ok or off)"}},
        {"profile p extends q { }", {"1:19: profile 'p' extends unknown profile 'q'"}},
        {"profile a extends b { }\nprofile b extends a { }",
         {"1:19: profile 'a' extends itself through a cycle", "2:19: profile 'b' extends itself through a cycle"}},
        {"profile p { warnings: warning }", {"1:23: only 'warnings: error' is allowed"}},
        {"profile p { }\nprofile p { }", {"2:9: profile 'p' is defined twice (first at line 1)"}},
        // unsupported constructs are rejected at their position, never ignored
        {"rule r on a { collect recorder main }", {"1:32: unknown recorder 'main' (the policy declares no recorder)"}},
        {"rule r on a { when count() over 1s > 1 { collect process } }", {}},
        {"recorder main capacity 4096", {}},
        {"profile production { budget { disc: 256MB, dumps: 10 per 1h } }",
         {"1:31: unknown budget item 'disc' (disk, dumps, recorder_memory or cpu) (did you mean 'disk'?)"}},
        // state: windows, expectations, machines, alerts (spec 5, 6)
        {s + "rule r on db.open { when sum(path) over 10s > 5 { ok } }", {"2:30: aggregate 'sum' needs a number, not string"}},
        {s + "rule r on db.open { when count() over 10s > 5 by usr { ok } }",
         {"2:50: unknown field 'usr' on event 'db.open' (did you mean 'user'?)"}},
        {"rule r on a { when cnt() over 10s > 5 { ok } }", {"1:20: unknown aggregate 'cnt' (did you mean 'count'?)"}},
        {"rule r on a { when count(x) over 10s > 5 { ok } }", {"1:20: 'count()' takes 0 arguments, not 1"}},
        {"rule r on a { when count() every 10s > 5 for 5s { ok } }",
         {"1:46: 'for' goes with a sliding window ('over'), not 'every'"}},
        {"rule r on a { when count() over 10s > n { ok } }", {"1:39: a threshold uses only literals and constants"}},
        {"rule r on a { when count() over W > 5 { ok } }", {"1:33: a duration must be a literal or a constant, not 'W'"}},
        {"const W = \"x\"\nrule r on a { when count() over W > 5 { ok } }",
         {"2:33: a duration must be an int of nanoseconds (10s), not string"}},
        {"rule r on a { when quantile(x, 2) over 1s > 5 { ok } }", {"1:32: quantile(e, q) needs a constant q between 0 and 1"}},
        {"rule r on a { when count() over 1s > 5 { when count() over 1s > 5 { ok } } }", {"1:42: 'when' blocks do not nest"}},
        {"rule r on a { alert severe \"x\" }", {"1:21: unknown alert severity 'severe' (info, warning or critical)"}},
        {"rule r on a { ok \"{start.x}\" }", {"1:20: 'start.x' is only valid inside an 'expect' block"}},
        {"machine m by k { state idle { on a -> idle } }", {"1:9: machine 'm' needs exactly one 'initial' state"}},
        {"machine m by k { initial idel state idle { on a -> idle } }",
         {"1:26: initial state 'idel' is not declared (did you mean 'idle'?)"}},
        {"machine m by k { initial idle state idle { on a -> bsy } }",
         {"1:52: transition to undeclared state 'bsy'"}},
        {"machine m by k { initial idle state idle { on a -> idle } state lost { on b -> idle } }",
         {"1:65: state 'lost' is unreachable from 'idle'"}},
        {"rule r on a where state(mach, k) == \"x\" { ok }", {"1:25: state() needs a machine, not 'mach'"}},
        {"machine m by k { initial i state i { on a -> i } }\nrule r on a where state(mm, k) == \"x\" { ok }",
         {"2:25: state() needs a machine, not 'mm' (did you mean 'm'?)"}},
        {"rule r on a { ok }\nprofile p { alert r: loud }", {"2:22: unknown alert severity 'loud' (info, warning, critical or off)"}},
        {"rule r on a { ok }\nprofile p { max rr: 5 }", {"2:17: profile 'p' names unknown rule 'rr' (did you mean 'r'?)"}},
        // several independent errors in one run
        {s + "rule a on db.open where errnum != 0 { ok }\nrule b on db.open where lowr(path) == \"\" { ok }",
         {"2:25: unknown field 'errnum' on event 'db.open' (did you mean 'errno'?)",
          "3:25: unknown function 'lowr' (did you mean 'lower'?)"}},
    };
    for (const Case& c : cases) {
      CAPTURE(c.input);
      std::string got, want;
      for (const std::string& e : errors(c.input)) got += e + "\n";
      for (const std::string& e : c.errors) want += e + "\n";
      CHECK(got == want);
    }
  }

  TEST_CASE("valid policies compile without diagnostics") {
    const std::string ok[] = {
        std::string(kSchema) + "rule a on db.open where lat > 1 and errno + 1 > 2.5 { info \"{lat * 2}\" }",
        "rule a on x where y == 1 or z == \"s\" or has(q) or q { ok }",  // undeclared: typed at run time
        "const L = [1, 2.5]\nrule a on x where y in L and y not in [3] { ok }",
        "rule a on x where matches(path, \"^/srv/.*\\\\.db$\") and glob(path, \"*.db\") { ok }",
        "rule a on x, y.* where abs(min(a, b)) > max(1, 2.5) and int(\"3\") == 3 and float(s) > 0 { ok }",
        "rule a on x where string(a) + \"x\" == lower(upper(\"X\")) and len(s) > 0 and hash(k) % 100 < 5 { ok }",
        "rule a on x where event.ts - event.ts < 5s and event.severity == \"error\" and event.id > 0 { ok }",
    };
    for (const std::string& p : ok) {
      CAPTURE(p);
      CHECK(errors(p).empty());
    }
  }

  TEST_CASE("a rendered diagnostic shows the source line and a caret") {
    auto r = dta::compile_source("policy.dta", "rule x on db.open where errnum != 0 { error \"x\" }\n"
                                               "event db.open { errno: int }\n");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].rendered ==
          "policy.dta:1:25: error: unknown field 'errnum' on event 'db.open' (did you mean 'errno'?)\n"
          "rule x on db.open where errnum != 0 { error \"x\" }\n"
          "                        ^~~~~~\n");
  }
}
