// Parser tests, table-driven: input -> AST dump (or the first error).
#include <doctest/doctest.h>

#include "helpers.hpp"

using dta::test::ast_of;

TEST_SUITE("parser") {
  TEST_CASE("declarations and rules parse to the expected AST") {
    struct Case {
      const char* input;
      const char* ast;
    };
    const Case cases[] = {
        {"policy checkout", "(policy checkout)\n"},
        {"const SLOW_MS = 250", "(const SLOW_MS 250)\n"},
        {"const DB_SUFFIXES = [\".db\", \".sqlite\"]", "(const DB_SUFFIXES [\".db\" \".sqlite\"])\n"},
        {"const N = -5s", "(const N (- 5s:5000000000))\n"},
        {"event db.open (1001) { path: string errno: int user: string sensitive }",
         "(event db.open #1001 (path string) (errno int) (user string sensitive))\n"},
        {"event a { x: int, y: string }", "(event a (x int) (y string))\n"},
        {"event a { x: int; y: string; }", "(event a (x int) (y string))\n"},
        {"rule r on db.open where errno != 0 and ends_with(path, \".db\") { error \"cannot open {path} (errno {errno})\" }",
         "(rule r (on db.open) (where (and (!= errno 0) (ends_with path \".db\"))) (error (tmpl \"cannot open \" {path} \" (errno \" {errno} \")\")))\n"},
        {"rule n on net.connect, net.dns where errno != 0 { error \"{event.name} failed\" }",
         "(rule n (on net.connect net.dns) (where (!= errno 0)) (error (tmpl {event.name} \" failed\")))\n"},
        {"rule w on db.*, * { ok }", "(rule w (on db.* *) (ok))\n"},
        {"rule k on x { ok \"fine\" }", "(rule k (on x) (ok (tmpl \"fine\")))\n"},
        // precedence: or < and < not < comparison < + < * < unary -
        {"rule p on x where a or b and not c == 1 + 2 * -3 { ok }",
         "(rule p (on x) (where (or a (and b (not (== c (+ 1 (* 2 (- 3)))))))) (ok))\n"},
        {"rule i on x where a in [1, 2] and b not in L { ok }",
         "(rule i (on x) (where (and (in a [1 2]) (not-in b L))) (ok))\n"},
        {"rule l on x where d < 500us and s > 10MB and f > 0.5% and h == 0x2A and e < 2e-3 { ok }",
         "(rule l (on x) (where (and (and (and (and (< d 500us:500000) (> s 10MB:10485760)) (> f 0.5%:0.005)) (== h 42)) (< e 0.002))) (ok))\n"},
        {"rule m on x where x % 3 == 1 { ok }", "(rule m (on x) (where (== (% x 3) 1)) (ok))\n"},
        {"rule d on x where 2.5s > 1d { ok }", "(rule d (on x) (where (> 2.5s:2500000000 1d:86400000000000)) (ok))\n"},
        // keywords are names where the grammar expects a name
        {"rule count on db.error where count > 1 and field(\"error\") == \"x\" { ok }",
         "(rule count (on db.error) (where (and (> count 1) (== (field \"error\") \"x\"))) (ok))\n"},
        {"rule e on x { warning \"a\\\"b\\n\\\\ {{literal}} \\u{e9}\" }",
         "(rule e (on x) (warning (tmpl \"a\\\"b\\n\\\\ {literal} \xc3\xa9\")))\n"},
        {"rule h on x { error \"{field(\"x-id\")}\" }", "(rule h (on x) (error (tmpl {(field \"x-id\")})))\n"},
        {"rule t on x { emit y.z {a: 1, b: \"v{q}\"} count hits {svc: s} observe lat ms }",
         "(rule t (on x) (emit y.z (a 1) (b (tmpl \"v\" {q}))) (count hits (svc s)) (observe lat ms))\n"},
        {"filter chatty on cache.hit { sample 1% }", "(filter chatty (on cache.hit) (sample 1%:0.01))\n"},
        {"filter no_secrets on auth.* { redact password, token }", "(filter no_secrets (on auth.*) (redact password token))\n"},
        {"filter f on a { redact password, drop }", "(filter f (on a) (redact password) (drop))\n"},
        {"profile s extends u { set X = -1 rule r: ok warnings: error }",
         "(profile s extends u (set X (- 1)) (rule r ok) (warnings error))\n"},
        {"/* block */ // line\nrule c on x { ok } // trailing", "(rule c (on x) (ok))\n"},
        // the whole language parses, even where semantics come later
        {"rule b on http.request where status >= 500 { when count() over 10s > 5 by service { alert critical \"{value}\" } }",
         "(rule b (on http.request) (where (>= status 500)) (when (count) over 10s:10000000000 > 5 (by service) (alert critical (tmpl {value}))))\n"},
        {"rule p on h { when p99(ms) every 1m > SLOW by a, b max 50 { warning \"{value}\" } }",
         "(rule p (on h) (when (p99 ms) every 1m:60000000000 > SLOW (by a b) (max 50) (warning (tmpl {value}))))\n"},
        {"rule f on h { when avg(ms) over 1m >= 2.5 for 30s { ok } }",
         "(rule f (on h) (when (avg ms) over 1m:60000000000 >= 2.5 (for 30s:30000000000) (ok)))\n"},
        {"rule x on s { expect f where code == start.code matching id, k within 5s then { ok } else { error \"e\" } }",
         "(rule x (on s) (expect (on f) (where (== code start.code)) (matching id k) (within 5s:5000000000) (then (ok)) (else (error (tmpl \"e\")))))\n"},
        {"rule a on x { alert warning \"m\" labels { team: \"db\" } dedup host, path every 5m }",
         "(rule a (on x) (alert warning (tmpl \"m\") (labels (team (tmpl \"db\"))) (dedup host path) (every 5m:300000000000)))\n"},
        {"machine m by k { initial idle state idle { on a -> b } state b { after 30s -> idle { error \"x\" } } }",
         "(machine m (by k) (initial idle) (state idle (on a -> b)) (state b (after 30s:30000000000 -> idle (error (tmpl \"x\")))))\n"},
        {"profile p { alert burst: off max burst: 500 }", "(profile p (alert burst off) (max burst 500))\n"},
        {"recorder txn capacity 128 on * by txn_id idle 30s",
         "(recorder txn (capacity 128) (on *) (by txn_id) (idle 30s:30000000000))\n"},
        {"test \"t\" { profile unit at 2.5s db.open severity error { errno: 1 } expect r error 1 expect verdict fail }",
         "(test \"t\" (profile unit) (at 2500000000 db.open severity error (errno 1)) (expect r error 1) (expect verdict "
         "fail))\n"},
        {"test \"u\" { policy \"p.dta\" events \"e.jsonl\" at 0s a {} advance 5m expect pending 2 }",
         "(test \"u\" (policy \"p.dta\") (events \"e.jsonl\") (at 0 a) (advance 300000000000) (expect pending 2))\n"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.input);
      CHECK(ast_of(c.input) == c.ast);
    }
  }

  TEST_CASE("syntax and lexical errors are reported, not thrown") {
    struct Case {
      const char* input;
      const char* error;
    };
    const Case cases[] = {
        {"rule a on x where 10sec > 1 { ok }",
         "unknown unit 'sec' in '10sec': write '10s' (durations take ns, us, ms, s, m, h, d; sizes take B, KB, MB, GB)"},
        {"const X = 1.", "malformed number '1.' (a letter, digit or '.' glued to a number)"},
        {"rule a on x { error \"open }", "unterminated string (or unbalanced '{' in a template)"},
        {"rule a on x where $ { ok }", "unexpected character '$'"},
        {"rule a on x where { ok }", "syntax error: expected an expression after 'where', found '{'"},
        {"rule a on x where a < b < c { ok }", "comparisons do not chain: write 'a < b and b < c'"},
        {"rule a on x where a == b in [1] { ok }", "comparisons do not chain: write 'a < b and b < c'"},
        {"rule a on x where x.* > 1 { ok }", "syntax error: expected an expression after 'where', found 'x.*'"},
        {"rule a on x { error \"a } b\" }", "lone '}' in a template (write '}}' for a brace)"},
        {"rule a on x { error \"a {} b\" }", "empty template hole"},
        {"rule a on x { error \"{1 +}\" }", "syntax error: expected an expression after '+', found the end of the hole"},
        {"const X = 99999999999999999999", "integer literal '99999999999999999999' out of range"},
        {"const X = 1.5ns", "'1.5ns' is not a whole number of nanoseconds/bytes"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.input);
      CHECK(ast_of(c.input) == std::string("error: ") + c.error);
    }
  }

  TEST_CASE("template holes report errors at their column in the file") {
    const auto errs = dta::test::errors("rule a on x {\n  error \"v={1 + }\"\n}");
    REQUIRE(!errs.empty());
    CHECK(errs[0] == "2:17: syntax error: expected an expression after '+', found the end of the hole");
  }
}
