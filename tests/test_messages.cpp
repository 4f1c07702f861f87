// Messages (issue 9, items 10-12): check-time warnings and --Werror, syntax
// errors that say how to fix them (one per mistake), and the tool's help,
// man page and completion, all rendered from one command table.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "help.hpp"
#include "helpers.hpp"

namespace {

// Every diagnostic of compiling `text` as "LINE:COL: error|warning: message".
std::vector<std::string> diags(const std::string& text, bool werror = false) {
  dta::CompileOptions options;
  options.werror = werror;
  std::vector<std::string> out;
  for (const dta::Diagnostic& d : dta::compile_source("t.dta", text, options).diagnostics)
    out.push_back(std::to_string(d.line) + ":" + std::to_string(d.col) + ": " +
                  (d.severity == dta::DiagnosticSeverity::Warning ? "warning: " : "error: ") + d.message);
  return out;
}

// Only the warnings of compiling `text` (which must compile).
std::vector<std::string> warnings(const std::string& text) {
  const dta::CompileResult r = dta::compile_source("t.dta", text);
  CHECK_MESSAGE(r.ok(), text);
  std::vector<std::string> out;
  for (const dta::Diagnostic& d : r.diagnostics) {
    CHECK(d.severity == dta::DiagnosticSeverity::Warning);
    out.push_back(std::to_string(d.line) + ":" + std::to_string(d.col) + ": " + d.message);
  }
  return out;
}

// The whole rendered text of compiling `text`.
std::string rendered(const std::string& text, bool werror = false) {
  dta::CompileOptions options;
  options.werror = werror;
  std::string out;
  for (const dta::Diagnostic& d : dta::compile_source("t.dta", text, options).diagnostics) out += d.rendered;
  return out;
}

struct Case {
  std::string input;
  std::vector<std::string> want;
};

const char* const kSchemas =
    "event request.end { latency_ms: float, id: string }\n"
    "event hdfs.block.stored { block: string, latency_us: int }\n"
    "event db.open { path: string, errno: int }\n";  // lines 1-3

}  // namespace

TEST_SUITE("messages") {
  TEST_CASE("a pattern no schema declares is a warning, with the name it probably misspells") {
    const std::string s = kSchemas;
    const Case cases[] = {
        {s + "rule a on request.ends { ok }",
         {"4:11: no schema declares event 'request.ends' (did you mean 'request.end'?)"}},
        {s + "rule a on hdfs.block.stroed { ok }",
         {"4:11: no schema declares event 'hdfs.block.stroed' (did you mean 'hdfs.block.stored'?)"}},
        {s + "rule a on db.opne, db.open { ok }",
         {"4:11: no schema declares event 'db.opne' (did you mean 'db.open'?)"}},
        // a sibling of declared events, too far from any to be a misspelling
        {s + "rule a on db.close { ok }",
         {"4:11: no schema declares event 'db.close', though the schemas declare 'db.' events (db.open): its fields "
          "are not checked"}},
        {s + "rule a on hdfs.blok.* { ok }",
         {"4:11: no schema declares an event matching 'hdfs.blok.*' (did you mean 'hdfs.block.*'?)"}},
        // every place a pattern goes: filters, expectations, machine transitions
        {s + "filter f on request.ends { drop }",
         {"4:13: no schema declares event 'request.ends' (did you mean 'request.end'?)"}},
        {s + "rule a on request.end { expect request.ends matching id within 1s else { error \"x\" } }",
         {"4:32: no schema declares event 'request.ends' (did you mean 'request.end'?)"}},
        {s + "machine m by id { initial a\n state a { on request.ends -> b }\n state b { } }",
         {"5:15: no schema declares event 'request.ends' (did you mean 'request.end'?)"}},
        // left alone: declared names and namespaces, `*`, events `emit` derives,
        // a namespace the schemas never mention (loose on purpose, spec 3)
        {s + "rule a on request.end, hdfs.*, hdfs.block.*, * { ok }", {}},
        {s + "rule a on db.open where errno != 0 { emit shop.incident { path: path } }\n"
             "rule b on shop.incident { ok }",
         {}},
        {s + "rule a on cache.hit, net.connect { ok }", {}},
        // a policy without schemas is loose everywhere
        {"rule a on request.ends { ok }", {}},
    };
    for (const Case& c : cases) {
      CAPTURE(c.input);
      CHECK(warnings(c.input) == c.want);
    }
  }

  TEST_CASE("a duration compared with a field whose name says another unit is a warning, with the number to write") {
    const std::string s = kSchemas;
    const Case cases[] = {
        {s + "rule a on request.end where latency_ms > 250ms { ok }",
         {"4:42: 'latency_ms' is in milliseconds by its name, but 250ms is 250000000 nanoseconds (durations are ints "
          "of nanoseconds): write 250"}},
        {s + "rule a on hdfs.block.stored where latency_us >= 2ms { ok }",
         {"4:49: 'latency_us' is in microseconds by its name, but 2ms is 2000000 nanoseconds (durations are ints of "
          "nanoseconds): write 2000"}},
        {"rule a on x where took_s < 1500ms { ok }",
         {"1:28: 'took_s' is in seconds by its name, but 1500ms is 1500000000 nanoseconds (durations are ints of "
          "nanoseconds): write 1.5"}},
        // camelCase, field("..."), a duration constant, either side, + and -
        {"rule a on x where elapsedMillis > 1s { ok }",
         {"1:35: 'elapsedMillis' is in milliseconds by its name, but 1s is 1000000000 nanoseconds (durations are ints "
          "of nanoseconds): write 1000"}},
        {"rule a on x where field(\"http.duration_seconds\") > 2m { ok }",
         {"1:52: 'http.duration_seconds' is in seconds by its name, but 2m is 120000000000 nanoseconds (durations "
          "are ints of nanoseconds): write 120"}},
        {"const SLOW = 250ms\nrule a on x where SLOW < latency_ms { ok }",
         {"2:19: 'latency_ms' is in milliseconds by its name, but SLOW (250ms) is 250000000 nanoseconds (durations "
          "are ints of nanoseconds): write 250"}},
        {"rule a on x where latency_ms - 5s > 0 { ok }",
         {"1:32: 'latency_ms' is in milliseconds by its name, but 5s is 5000000000 nanoseconds (durations are ints of "
          "nanoseconds): write 5000"}},
        // windows: the aggregate and `value` keep the field's unit
        {"rule a on x { when p99(latency_ms) over 1m > 250ms { warning \"slow\" } }",
         {"1:46: 'p99(latency_ms)' is in milliseconds by its name, but 250ms is 250000000 nanoseconds (durations are "
          "ints of nanoseconds): write 250"}},
        {"rule a on x { when max(wait_ms) over 1m > 100 { warning \"{value > 1s}\" } }",
         {"1:67: 'value' (max(wait_ms)) is in milliseconds by its name, but 1s is 1000000000 nanoseconds (durations "
          "are ints of nanoseconds): write 1000"}},
        {"rule a on x { expect y matching id within 5s else { warning \"{start.wait_ms > 1s}\" } }",
         {"1:79: 'wait_ms' is in milliseconds by its name, but 1s is 1000000000 nanoseconds (durations are ints of "
          "nanoseconds): write 1000"}},
        // right as written: nanoseconds, plain numbers, converted fields, counts, names that say no unit
        {"rule a on x where latency_ns > 5ms or latency_ms > 250 or latency_ms * 1000000 > 250ms { ok }", {}},
        {"rule a on x where event.ts - start_ts > 5s or bytes > 1MB or s > 1s or timeout > 2s { ok }", {}},
        {"rule a on x { when count() over 1m > 5 { ok } }\nrule b on x where latency_ms > 0s { ok }", {}},
    };
    for (const Case& c : cases) {
      CAPTURE(c.input);
      CHECK(warnings(c.input) == c.want);
    }
  }

  TEST_CASE("a misspelled constant gets 'did you mean' among the constants") {
    const std::string s = kSchemas;
    // where a schema checks fields, it is an error; where none does, the name
    // reads a field and the warning says so
    CHECK(diags(s + "const LIMIT = 3\nrule a on db.open where errno > LIMT { ok }") ==
          std::vector<std::string>{
              "5:33: error: unknown field 'LIMT' on event 'db.open' (did you mean the constant 'LIMIT'?)"});
    CHECK(diags("const LIMIT = 3\nrule a on x where n > LIMT { ok }") ==
          std::vector<std::string>{"2:23: warning: 'LIMT' is not a constant, so it reads the event's field 'LIMT' "
                                   "(did you mean the constant 'LIMIT'?)"});
    // a field that merely resembles a constant in another style is a field
    CHECK(diags("const MAX_RETRIES = 3\nrule a on x where max_retries > 3 { ok }").empty());
    // a field's near miss is preferred to a constant's
    CHECK(diags(s + "const ERRNO_X = 1\nrule a on db.open where erno > 0 { ok }") ==
          std::vector<std::string>{"5:25: error: unknown field 'erno' on event 'db.open' (did you mean 'errno'?)"});
    // where only constants go
    CHECK(diags("const TIMEOUT = 5s\nrule a on x { expect y matching id within TIMOUT then { ok } }") ==
          std::vector<std::string>{
              "2:43: error: a duration must be a literal or a constant, not 'TIMOUT' (did you mean 'TIMEOUT'?)"});
    CHECK(diags("const LIMIT = 5\nrule a on x { when count() over 1m > LIMT { ok } }") ==
          std::vector<std::string>{"2:38: error: a threshold uses only literals and constants: 'LIMT' is not one (did "
                                   "you mean 'LIMIT'?)"});
  }

  TEST_CASE("warnings render like errors, and --Werror makes them errors") {
    const std::string policy = "event request.end { id: string }\nrule a on request.ends { ok }\n";
    CHECK(rendered(policy) ==
          "t.dta:2:11: warning: no schema declares event 'request.ends' (did you mean 'request.end'?)\n"
          "rule a on request.ends { ok }\n"
          "          ^~~~~~~~~~~~\n");
    const dta::CompileResult warned = dta::compile_source("t.dta", policy);
    CHECK(warned.ok());
    CHECK(warned.warning_count() == 1);
    CHECK(warned.error_count() == 0);

    dta::CompileOptions strict;
    strict.werror = true;
    const dta::CompileResult refused = dta::compile_source("t.dta", policy, strict);
    CHECK_FALSE(refused.ok());
    CHECK(refused.error_count() == 1);
    CHECK(refused.warning_count() == 0);
    CHECK(rendered(policy, true) ==
          "t.dta:2:11: error: no schema declares event 'request.ends' (did you mean 'request.end'?) [--Werror]\n"
          "rule a on request.ends { ok }\n"
          "          ^~~~~~~~~~~~\n");
    // without warnings, --Werror changes nothing
    CHECK(dta::compile_source("t.dta", "event request.end { id: string }\nrule a on request.end { ok }", strict).ok());
    // load_program passes the options on to a policy
    const std::string path = std::string(DTA_TEST_DIR) + "/cli/pass.dta";
    CHECK(dta::load_program(path, strict).ok());
  }

  TEST_CASE("a warning does not change what the policy does") {
    // the rule on a misspelled event and the ms field compared with 250ms
    // run exactly as the spec says: they simply never fire on these events
    const std::string policy =
        "event request.end { latency_ms: float }\n"
        "rule slow on request.end where latency_ms > 250ms { warning \"slow\" }\n"
        "rule typo on request.ends { error \"never\" }\n";
    const dta::Report r = dta::test::run(policy,
                                         "{\"ts\": 1, \"name\": \"request.end\", \"fields\": {\"latency_ms\": 900.0}}\n"
                                         "{\"ts\": 2, \"name\": \"request.ends\"}\n");
    CHECK(dta::test::rule(r, "slow").matched == 0);
    CHECK(dta::test::rule(r, "typo").matched == 1);  // loose: the name is only suspicious
  }

  TEST_CASE("syntax and lexical errors say how to fix them") {
    const Case cases[] = {
        {"rule a on x where a && b { ok }", {"1:21: error: use 'and' instead of '&&'"}},
        {"rule a on x where a || b { ok }", {"1:21: error: use 'or' instead of '||'"}},
        {"rule a on x where a & b | c { ok }",
         {"1:21: error: use 'and' instead of '&'", "1:25: error: use 'or' instead of '|'"}},
        {"rule a on x where !a { ok }", {"1:19: error: use 'not' instead of '!'"}},
        {"rule a on x where a = 1 { ok }",
         {"1:21: error: '=' does not compare: write '==' (a single '=' only gives a 'const' or a 'set' its value)"}},
        {"rule a on x where a == 'open' { ok }", {"1:24: error: strings use double quotes: write \"open\""}},
        {"rule a on x where a == `open` { ok }", {"1:24: error: strings use double quotes: write \"open\""}},
        {"rule a on x where a == 'it\"s' { ok }", {"1:24: error: strings use double quotes (\"...\")"}},
        {"rule a on x where a == 'open { ok }",
         {"1:24: error: strings use double quotes (\"...\"), not single quotes"}},
        {"# a comment\nrule a on x { ok }",
         {"1:1: error: comments start with '//' (or are written /* ... */), not '#'"}},
        {"rule a on x where a ~ \"b\" { ok }",
         {"1:21: error: there is no '~' operator: test a regex with matches(s, \"regex\")"}},
        {"rule a on x where a > 5sec { ok }",
         {"1:23: error: unknown unit 'sec' in '5sec': write '5s' (durations take ns, us, ms, s, m, h, d; sizes take B, "
          "KB, MB, GB)"}},
        {"rule a on x where a > 2.5mins { ok }",
         {"1:23: error: unknown unit 'mins' in '2.5mins': write '2.5m' (durations take ns, us, ms, s, m, h, d; sizes "
          "take B, KB, MB, GB)"}},
        {"rule a on x where a > 10mb { ok }",
         {"1:23: error: unknown unit 'mb' in '10mb': write '10MB' (durations take ns, us, ms, s, m, h, d; sizes take "
          "B, KB, MB, GB)"}},
        {"rule a on x where a > 10parsecs { ok }",
         {"1:23: error: unknown unit 'parsecs' in '10parsecs' (durations take ns, us, ms, s, m, h, d; sizes take B, "
          "KB, MB, GB)"}},
        {"const X = 1.", {"1:11: error: malformed number '1.' (a letter, digit or '.' glued to a number)"}},
        {"rule a on x where a > 10 MB { ok }", {"1:26: error: a unit is written against its number: write '10MB'"}},
        {"rule a on x where a > 5 sec { ok }", {"1:25: error: a unit is written against its number: write '5s'"}},
        // a control character is named, never printed (it could rewrite the terminal)
        {"rule a on x where \x1b[2J { ok }", {"1:19: error: unexpected character U+001B"}},
        // expected tokens in words, keywords near a misspelling
        {"rule a on x where a > 5 { eror \"x\" }",
         {"1:27: error: syntax error: expected an action (error, warning, info, ok, alert, emit, count, observe, when, "
          "expect) or '}' after '{', found 'eror' (did you mean 'error'?)"}},
        {"rule a x { ok }", {"1:8: error: syntax error: expected 'on' after 'a', found 'x'"}},
        {"rule a on x wher a > 1 { ok }",
         {"1:13: error: syntax error: expected 'where' or '{' after 'x', found 'wher' (did you mean 'where'?)"}},
        {"rul a on x { ok }",
         {"1:1: error: syntax error: expected a declaration (rule, event, const, filter, machine, profile, include, "
          "policy), found 'rul' (did you mean 'rule'?)"}},
        {"profile p { sett X = 1 }",
         {"1:13: error: syntax error: expected a setting (set, rule, alert, max, warnings) or '}' after '{', found "
          "'sett' (did you mean 'set'?)"}},
        {"event e { a: int b: }", {"1:21: error: syntax error: expected a name after ':', found '}'"}},
        {"rule a on x where { ok }", {"1:19: error: syntax error: expected an expression after 'where', found '{'"}},
        {"rule a on x where a > 5 error \"x\" }",
         {"1:25: error: syntax error: expected '{' before 'error': actions go between '{' and '}'"}},
        {"rule a on x { ok } }", {"1:20: error: this '}' closes nothing: no '{' is open here"}},
        {"rule a on x { error \"{1 +}\" }",
         {"1:26: error: syntax error: expected an expression after '+', found the end of the hole"}},
        // JSON given as a policy (the arguments of replay swapped)
        {"{\"ts\": 1, \"name\": \"db.open\"}\n", {"1:1: error: this is JSON, not a policy (an events file?)"}},
    };
    for (const Case& c : cases) {
      CAPTURE(c.input);
      CHECK(diags(c.input) == c.want);
    }
  }

  TEST_CASE("a missing bracket points at the one never closed") {
    const Case cases[] = {
        {"rule a on x where a > 5 { ok", {"1:25: error: '{' is never closed: expected '}' before the end of the file"}},
        {"rule a on x where a > 5 {\n  error \"x\"\nrule b on y { ok }",
         {"1:25: error: '{' is never closed: expected '}' before 'rule' on line 3"}},
        // by indentation: the '}' on line 4 is the rule's, so the `when` lost its own
        {"rule a on x {\n  when count() over 1m > 5 {\n    error \"x\"\n}\nrule b on y { ok }",
         {"2:28: error: '{' is never closed: expected '}' before 'rule' on line 5"}},
        {"machine m by k {\n  initial s\n  state s { on x -> t\n  state t { on y -> s }\n}",
         {"3:11: error: '{' is never closed: expected '}' before 'state' on line 4"}},
        {"rule a on x where (a > 5 { ok }", {"1:19: error: '(' is never closed: expected ')' before '{' on line 1"}},
        {"rule a on x where a in [1, 2 { ok }",
         {"1:24: error: '[' is never closed: expected ']' before '{' on line 1"}},
    };
    for (const Case& c : cases) {
      CAPTURE(c.input);
      CHECK(diags(c.input) == c.want);
    }
    // the note points where the '}' is missing
    CHECK(rendered("rule a on x where a > 5 {\n  error \"x\"\nrule b on y { ok }") ==
          "t.dta:1:25: error: '{' is never closed: expected '}' before 'rule' on line 3\n"
          "rule a on x where a > 5 {\n"
          "                        ^\n"
          "t.dta:3:1: note: '}' missing before this\n"
          "rule b on y { ok }\n"
          "^~~~\n");
    const dta::CompileResult r = dta::compile_source("t.dta", "rule a on x where f(a b) { ok }");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message == "syntax error: expected ')' or ',' after 'a', found 'b'");
    REQUIRE(r.diagnostics[0].notes.size() == 1);
    CHECK(r.diagnostics[0].notes[0].message == "the '(' opened here");
    CHECK(r.diagnostics[0].notes[0].col == 20);
  }

  TEST_CASE("one error per mistake: no cascades, independent mistakes all reported in source order") {
    // one mistake each: ANTLR's recovery would add more
    CHECK(diags("event e { a: int b: }\nrule r on e where a > 1 { ok }").size() == 1);
    CHECK(diags("const X = 1 +\nconst Y = 2").size() == 1);
    CHECK(diags("rule a on x where a &&& b { ok }") ==
          std::vector<std::string>{"1:21: error: use 'and' instead of '&&&'"});
    CHECK(diags("rule a on x where a == 'a long string with words' { ok }").size() == 1);
    CHECK(
        diags("rule a on x where a > 5 {\n  error \"x\"\nrule b on y where a b { ok }\nrule c on y wher { }").size() ==
        1);
    // one per declaration that has one, lexical ones included, by place
    CHECK(
        diags("rul a on x { ok }\n"
              "rule b on y wher z { ok }\n"
              "rule c on y where a > 1 { error \"x\" } }\n"
              "rule d on y where a > { ok }\n"
              "rule e on y where a ! b { ok }\n"
              "rule f on y where a = 'x' { ok }") ==
        std::vector<std::string>{
            "1:1: error: syntax error: expected a declaration (rule, event, const, filter, machine, profile, include, "
            "policy), found 'rul' (did you mean 'rule'?)",
            "2:13: error: syntax error: expected 'where' or '{' after 'y', found 'wher' (did you mean 'where'?)",
            "3:39: error: this '}' closes nothing: no '{' is open here",
            "4:23: error: syntax error: expected an expression after '>', found '{'",
            "5:21: error: use 'not' instead of '!'",
            "6:21: error: '=' does not compare: write '==' (a single '=' only gives a 'const' or a 'set' its value)",
            "6:23: error: strings use double quotes: write \"x\"",
        });
    // a lexical mistake after a syntax error is still listed after it
    CHECK(diags("rule a on x where { ok }\nrule b on x where a && b { ok }") ==
          std::vector<std::string>{"1:19: error: syntax error: expected an expression after 'where', found '{'",
                                   "2:21: error: use 'and' instead of '&&'"});
    // a file of nothing but mistakes stops at a readable number
    std::string many;
    for (int i = 0; i < 200; ++i) many += "rule a on x where a && b { ok }\nrul b on y { ok }\n";
    const size_t n = diags(many).size();
    CHECK(n >= 10);
    CHECK(n <= 20);
    // binary garbage: a bounded number of errors, characters named
    std::string binary;
    for (int i = 0; i < 5000; ++i) binary += static_cast<char>(i % 7 == 0 ? 0 : 1 + i % 31);
    const std::vector<std::string> garbage = diags(binary);
    CHECK(!garbage.empty());
    CHECK(garbage.size() <= 20);
    for (const std::string& g : garbage) CHECK(g.find('\x01') == std::string::npos);
  }

  TEST_CASE("text skipped as part of a mistake still counts towards the nesting cap") {
    // a '#' comment, a 'single-quoted string' and an escape sequence are each
    // one mistake, but the parser still sees their brackets: 10,000 levels
    // would overflow its stack (kMaxNesting)
    const std::string deep(10000, '(');
    for (const std::string& text : {"# " + deep + "\nrule a on x { ok }", "rule a on x where a == '" + deep + "' { ok }",
                                    "rule a on x where \x1b" + deep + " { ok }"}) {
      const std::vector<std::string> e = diags(text);
      REQUIRE(!e.empty());
      CHECK(std::any_of(e.begin(), e.end(),
                        [](const std::string& m) { return m.find("nested too deeply") != std::string::npos; }));
    }
  }

  TEST_CASE("the existing examples and spec corpus compile without warnings") {
    const std::string dir = std::string(DTA_EXAMPLES_DIR) + "/webservice/";
    const dta::CompileResult r = dta::compile_file(dir + "policy.dta");
    REQUIRE(r.ok());
    CHECK(r.diagnostics.empty());
    for (const char* name : {"spec_rules", "spec_state", "spec_filters", "spec_profiles", "spec_report"}) {
      CAPTURE(name);
      const std::string path = std::string(DTA_TEST_DIR) + "/e2e/" + name + ".dta";
      const dta::CompileResult spec = dta::compile_source(name, dta::test::slurp(path));
      CHECK(spec.ok());
      CHECK(spec.diagnostics.empty());
    }
  }

  TEST_CASE("help, man page and completion come from one table and cover every command and option") {
    using namespace dta::cli;
    const std::string overview = overview_help(), man = man_page(), bash = bash_completion();
    CHECK(version_text().rfind("dta ", 0) == 0);
    CHECK(version_text().find("policy language 0.1") != std::string::npos);
    CHECK(man.rfind(".TH DTA 1 ", 0) == 0);
    CHECK(bash.find("complete -F _dta dta") != std::string::npos);
    for (const CommandDoc& c : commands()) {
      CAPTURE(c.name);
      CHECK(find_command(c.name) == &c);
      const std::string help = command_help(c);
      CHECK(help.rfind("usage: dta " + std::string(c.name), 0) == 0);
      CHECK(overview.find(usage_block(c, "  ")) != std::string::npos);
      CHECK(man.find(".SS \"dta " + std::string(c.name)) != std::string::npos);
      CHECK(bash.find("    " + std::string(c.name) + ") opts=") != std::string::npos);
      for (const OptionDoc& o : c.options) {
        CAPTURE(o.name);
        CHECK(help.find(o.name) != std::string::npos);
        std::string roff_name;
        for (char ch : std::string(o.name)) roff_name += ch == '-' ? std::string("\\-") : std::string(1, ch);
        CHECK(man.find("\\fB" + roff_name + "\\fR") != std::string::npos);
        CHECK(bash.find(o.name) != std::string::npos);
      }
      // terminal help fits 80 columns
      std::istringstream lines(help);
      for (std::string line; std::getline(lines, line);) CHECK(line.size() <= 80);
    }
    CHECK(usage_line(*find_command("compile")) == "dta compile POLICY -o OUT.dtb [--Werror]");
    CHECK(usage_line(*find_command("check")) == "dta check POLICY... [--profile P] [--Werror] [--list-profiles] [--cost] [--json]");
    CHECK(closest_command("chek") == find_command("check"));
    CHECK(closest_command("replya") == find_command("replay"));
    CHECK(closest_command("frobnicate") == nullptr);
    // every control line of the man page is a man macro: text never starts with '.' or '\''
    const std::set<std::string> macros = {".TH", ".SH", ".SS", ".PP", ".TP", ".nf", ".fi", ".RS", ".RE"};
    std::istringstream lines(man);
    for (std::string line; std::getline(lines, line);) {
      CAPTURE(line);
      if (!line.empty() && (line[0] == '.' || line[0] == '\''))
        CHECK(macros.count(line.substr(0, line.find(' '))) == 1);
    }
  }
}
