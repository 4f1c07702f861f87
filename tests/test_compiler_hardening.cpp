// The compiler items of the conformance/hardening issue: inputs that crashed
// or hung the compiler, durations that cannot mean anything, includes through
// a resolver the host controls, templates only where messages go, escapes,
// quantile's q, and literals beyond their range. Every input is built here.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "helpers.hpp"

using dta::test::errors;

namespace {

namespace fs = std::filesystem;

// "{?}" repeated: each is one lexical error in a template hole.
std::string broken_holes(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "{?}";
  return s;
}

// The first error of compiling `text` ("" when it compiles).
std::string first_error(const std::string& text) {
  const auto e = errors(text);
  return e.empty() ? "" : e[0];
}

// One event line at `ts_s` seconds.
std::string ev(int64_t ts_s, const std::string& name, const std::string& fields) {
  return "{\"ts\": " + std::to_string(ts_s * 1000000000LL) + ", \"name\": \"" + name + "\", \"fields\": {" + fields +
         "}}\n";
}

// The message of the first kept finding of `rule`.
std::string message_of(const dta::Report& r, const std::string& rule) {
  for (const dta::Finding& f : r.kept_findings)
    if (f.rule == rule) return f.message;
  return "<none>";
}

// A fresh empty directory under the system's temporary directory.
fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("dta_hardening_" + name);
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir);
  return dir;
}

// An include resolver over an in-memory file table; records what it was asked.
struct MemoryFiles {
  std::map<std::string, std::string> files;
  std::vector<std::string> asked;  // "path from"
  dta::IncludeResolver resolver() {
    return [this](const std::string& path, const std::string& from) {
      asked.push_back(path + " " + from);
      dta::IncludeResult r;
      r.name = path;
      auto it = files.find(path);
      if (it == files.end()) {
        r.error = "not in memory";
        return r;
      }
      r.ok = true;
      r.text = it->second;
      return r;
    };
  }
};

}  // namespace

TEST_SUITE("compiler_hardening") {
  TEST_CASE("more than 100 diagnostics: a pass still knows it failed (the two-line segfaults)") {
    // 101 broken holes fill the kept diagnostics; the hole after them used to
    // be built from a broken parse (a null argument, resolve_pass) or an
    // unresolved call reached type_pass (builtins[-1]).
    const std::string inputs[] = {
        "rule r on x { info \"" + broken_holes(101) + "{field(1 +)}\" }\n",
        "rule r on x { info \"" + broken_holes(101) + "{field(}\" }\n",
        "rule r on x { info \"" + broken_holes(101) + "{nope(1)}\" }\n",
        "rule r on x { info \"" + broken_holes(101) + "\" }\nrule s on x { info \"{field(1 +)}\" }\n",
        "rule r on x { info \"" + broken_holes(101) + "\" }\nrule s on x where nope(1) { ok }\n",
        "rule r on x { info \"" + broken_holes(101) + "\" }\nrule s on x where len(1) > 0 { ok }\n",
    };
    for (const std::string& text : inputs) {
      CAPTURE(text.substr(text.size() - 40));
      const dta::CompileResult r = dta::compile_source("t.dta", text);
      CHECK(!r.ok());
      CHECK(r.diagnostics.size() == 100);  // the cap on what is kept, not on what is counted
      CHECK(r.diagnostics[0].message == "unexpected character '?'");
    }
  }

  TEST_CASE("the diagnostic cap keeps 100 but counts every error") {
    dta::SourceSet sources;
    sources.files.push_back({"t.dta", "x\n"});
    dta::DiagBag diags(sources);
    for (int i = 0; i < 150; ++i) diags.error(dta::ast::Loc{0, 1, 1, 1}, "e");
    diags.error_at_file("t.dta", "f");
    CHECK(diags.has_errors());
    CHECK(diags.count() == 151);
    CHECK(diags.take().size() == 100);
  }

  TEST_CASE("an operand dropped by the depth cap never leaves a null in a call or a list") {
    std::string chain = "x";
    for (int i = 0; i < 1100; ++i) chain += " + x";
    for (const std::string& text :
         {"rule r on x where len(" + chain + ") > 1 { ok }", "rule r on x where y in [" + chain + "] { ok }",
          "rule r on x { info \"{len(" + chain + ")}\" }", "rule r on x { count c { k: [" + chain + "] } }"}) {
      CHECK(first_error(text).find("expression nested too deeply (more than 1000 levels)") != std::string::npos);
    }
  }

  TEST_CASE("zero and negative durations are errors where they cannot mean anything") {
    struct Case {
      std::string input;
      std::string error;  // "" when it compiles
    };
    const Case cases[] = {
        {"rule r on a { expect b matching k within 0s else { ok } }",
         "1:42: 'within' needs a positive duration, not 0s"},
        {"machine m by k { initial s state s { after 0ms -> s } }", "1:44: 'after' needs a positive duration, not 0ms"},
        {"rule r on a { when count() over 0s > 1 { ok } }", "1:33: 'over' needs a positive duration, not 0s"},
        {"rule r on a { when count() every 0ns > 1 { ok } }", "1:34: 'every' needs a positive duration, not 0ns"},
        {"rule r on a { alert info \"x\" dedup k every 0s }", "1:44: 'every' needs a positive duration, not 0s"},
        {"rule r on a { alert info \"x\" every 0s }", "1:36: 'every' needs a positive duration, not 0s"},
        {"const D = -5s\nrule r on a { when count() over 1s > 1 for D { ok } }",
         "2:44: 'for' needs a non-negative duration, and D is -5s"},
        {"rule r on a { when count() over 1s > 1 for 0s { ok } }", ""},  // for 0s: fires at once, as without 'for'
        {"const D = 0s\nrule r on a { when count() over 1s > 1 for D { ok } }", ""},
        {"const W = 0s\nrule r on a { expect b matching k within W then { ok } }",
         "2:42: 'within' needs a positive duration, and W is 0s"},
        {"const W = -1500ms\nrule r on a { when count() every W > 1 { ok } }",
         "2:34: 'every' needs a positive duration, and W is -1500ms"},
        {"const W = -2h\nmachine m by k { initial s state s { after W -> s } }",
         "2:44: 'after' needs a positive duration, and W is -2h"},
        {"rule r on a { when count() over 1ns > 1 { ok } expect b matching k within 1ns then { ok } }", ""},
        // a profile's `set` of a constant used as such a duration points at the `set`
        {"const W = 5s\nrule r on a { expect b matching k within W then { ok } }\nprofile p { set W = 0s }",
         "3:13: profile 'p' sets W to 0s, but W is the duration of 'within' (line 2), which must be positive"},
        {"const W = 5s\nrule r on a { when count() over W > 1 { ok } }\nprofile p extends q { }\n"
         "profile q { set W = -1m }",
         "4:13: profile 'q' sets W to -1m, but W is the duration of 'over' (line 2), which must be positive"},
        {"const D = 5s\nrule r on a { when count() over 1s > 1 for D { ok } }\nprofile p { set D = -1ns }",
         "3:13: profile 'p' sets D to -1ns, but D is the duration of 'for' (line 2), which must be non-negative"},
        {"const D = 5s\nrule r on a { when count() over 1s > 1 for D { ok } }\nprofile p { set D = 0s }", ""},
        // used as `for` and as `within`: the stricter rule holds
        {"const D = 5s\nrule r on a { when count() over 1s > 1 for D { ok } expect b matching k within D then { ok } "
         "}\n"
         "profile p { set D = 0s }",
         "3:13: profile 'p' sets D to 0s, but D is the duration of 'within' (line 2), which must be positive"},
        {"const W = 5s\nrule r on a { expect b matching k within W then { ok } }\nprofile p { set W = 10m }", ""},
        {"const N = 0\nrule r on a where n > N { ok }\nprofile p { set N = -1 }", ""},  // not a duration
    };
    for (const Case& c : cases) {
      CAPTURE(c.input);
      CHECK(first_error(c.input) == c.error);
    }
  }

  TEST_CASE("a duration error is rendered at the duration, with a caret") {
    const auto r = dta::compile_source("p.dta", "rule r on a { when count() over 0s > 1 { ok } }\n");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].rendered ==
          "p.dta:1:33: error: 'over' needs a positive duration, not 0s\n"
          "rule r on a { when count() over 0s > 1 { ok } }\n"
          "                                ^~\n");
  }

  TEST_CASE("includes go through the host's resolver") {
    MemoryFiles mem;
    mem.files["lib.dta"] = "include \"deep.dta\"\ninclude \"lib.dta\"\nconst LIMIT = 3\n";
    mem.files["deep.dta"] = "rule deep on b where n > LIMIT { ok }\n";
    dta::CompileOptions opts;
    opts.include_resolver = mem.resolver();
    auto r = dta::compile_source(
        "/nowhere/main.dta", "include \"lib.dta\"\ninclude \"lib.dta\"\nrule main on a where n > LIMIT { ok }\n", opts);
    REQUIRE_MESSAGE(r.ok(), (r.diagnostics.empty() ? "" : r.diagnostics[0].rendered));
    CHECK(r.program->rules.size() == 2);
    CHECK(r.program->sources.size() == 3);  // each file once
    REQUIRE(!mem.asked.empty());
    CHECK(mem.asked[0] == "lib.dta /nowhere/main.dta");
    CHECK(std::find(mem.asked.begin(), mem.asked.end(), "deep.dta lib.dta") != mem.asked.end());

    // An error inside an included file names the resolver's name for it.
    mem.files["bad.dta"] = "rule x on a where nope(1) { ok }\n";
    r = dta::compile_source("main.dta", "include \"bad.dta\"\n", opts);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].path == "bad.dta");
    CHECK(r.diagnostics[0].message == "unknown function 'nope'");

    // What it cannot find is an error at the include's position.
    r = dta::compile_source("main.dta", "rule r on a { ok }\ninclude   \"gone.dta\"\n", opts);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].line == 2);
    CHECK(r.diagnostics[0].col == 11);
    CHECK(r.diagnostics[0].message == "cannot read included file 'gone.dta': not in memory");

    // A resolver that throws (anything) gives an error, never an exception.
    dta::CompileOptions throwing;
    throwing.include_resolver = [](const std::string&, const std::string&) -> dta::IncludeResult {
      throw std::runtime_error("disk on fire");
    };
    r = dta::compile_source("main.dta", "include \"x.dta\"\n", throwing);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message == "cannot read included file 'x.dta': disk on fire");
    throwing.include_resolver = [](const std::string&, const std::string&) -> dta::IncludeResult { throw 42; };
    r = dta::compile_source("main.dta", "include \"x.dta\"\n", throwing);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message == "cannot read included file 'x.dta': the include resolver failed");

    // A resolver that invents a new file at every level is stopped by the depth cap.
    dta::CompileOptions endless;
    endless.include_resolver = [](const std::string& path, const std::string&) {
      dta::IncludeResult res;
      res.ok = true;
      res.name = path + "x";
      res.text = "include \"" + res.name + "\"\n";
      return res;
    };
    r = dta::compile_source("main.dta", "include \"a\"\n", endless);
    REQUIRE(!r.diagnostics.empty());
    CHECK(r.diagnostics[0].message == "includes nest too deeply (more than 32 levels)");
  }

  TEST_CASE("the default resolver checks kind and size before reading") {
    const fs::path dir = temp_dir("includes");
    fs::create_directory(dir / "adir");
    {
      std::ofstream big(dir / "big.dta");
      big << "// sparse\n";
    }
    fs::resize_file(dir / "big.dta", dta::kMaxSourceBytes + 1);  // sparse: nothing is written
    {
      std::ofstream ok(dir / "ok.dta");
      ok << "const LIMIT = 3\n";
    }
    const std::string main = (dir / "main.dta").string();
    struct Case {
      std::string include;
      std::string error;
    };
    std::vector<Case> cases = {
        {"adir", "is a directory"},
        {"big.dta", "file too large (67108865 bytes; the limit is 67108864 bytes)"},
        {"missing.dta", ""},  // the system's words for a missing file
    };
    if (fs::exists("/dev/zero")) cases.push_back({"/dev/zero", "not a regular file"});
    for (const Case& c : cases) {
      CAPTURE(c.include);
      const auto r = dta::compile_source(main, "include \"" + c.include + "\"\n");
      REQUIRE(r.diagnostics.size() == 1);
      CHECK(r.diagnostics[0].line == 1);
      CHECK(r.diagnostics[0].col == 9);
      CHECK(r.diagnostics[0].message.find("cannot read included file") == 0);
      if (!c.error.empty()) CHECK(r.diagnostics[0].message.find(": " + c.error) != std::string::npos);
    }
    const auto r = dta::compile_source(main, "include \"ok.dta\"\nrule r on a where n > LIMIT { ok }\n");
    CHECK(r.ok());
    // The main file read by compile_file and load_program is checked the same way.
    CHECK(dta::compile_file((dir / "big.dta").string()).diagnostics.at(0).message.find("file too large") !=
          std::string::npos);
    CHECK(dta::load_program((dir / "adir").string()).diagnostics.at(0).message == "cannot read: is a directory");
    if (fs::exists("/dev/zero"))
      CHECK(dta::compile_file("/dev/zero").diagnostics.at(0).message == "cannot read: not a regular file");
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  TEST_CASE("expect needs then or else") {
    CHECK(first_error("rule r on a { expect b matching k within 5s }") ==
          "1:15: 'expect' needs 'then { ... }', 'else { ... }' or both");
    CHECK(first_error("rule r on a { expect b matching k within 5s max 3 }") ==
          "1:15: 'expect' needs 'then { ... }', 'else { ... }' or both");
    CHECK(first_error("rule r on a { expect b matching k within 5s then { ok } }").empty());
    CHECK(first_error("rule r on a { expect b matching k within 5s else { ok } }").empty());
    CHECK(first_error("rule r on a { expect b matching k within 5s then { ok } else { ok } }").empty());
  }

  TEST_CASE("only message strings are templates: plain strings take braces literally") {
    const std::string policy =
        "const OPEN = \"{\"\n"
        "const SET = [\"{a}\", \"}\"]\n"
        "rule eq on x where s == \"{\\\"b\\\"}\" { ok }\n"
        "rule fn on x where contains(s, \"{\") and ends_with(s, \"}\") { ok }\n"
        "rule re on x where matches(s, \"^a{2}$\") { ok }\n"
        "rule gl on x where glob(s, \"{*\") { ok }\n"
        "rule k on x where starts_with(s, OPEN) { ok }\n"
        "rule l on x where s in SET or s in [\"{x}\"] { ok }\n"
        "rule two on x where s == \"{\" or s == \"}\" { ok }\n"
        "rule msg on x where s == \"{x}\" { error \"s={s} {{literal}}\" }\n";
    const dta::Report r = dta::test::run(policy, ev(1, "x", "\"s\": \"{\\\"b\\\"}\"") + ev(2, "x", "\"s\": \"aa\"") +
                                                     ev(3, "x", "\"s\": \"{x}\"") + ev(4, "x", "\"s\": \"}\""));
    CHECK(dta::test::rule(r, "eq").fired == 1);
    CHECK(dta::test::rule(r, "fn").fired == 2);  // {"b"} and {x}
    CHECK(dta::test::rule(r, "re").fired == 1);  // a{2} is a regex quantifier, not a hole
    CHECK(dta::test::rule(r, "gl").fired == 2);
    CHECK(dta::test::rule(r, "k").fired == 2);
    CHECK(dta::test::rule(r, "l").fired == 2);  // {x} and }
    CHECK(dta::test::rule(r, "two").fired == 1);
    CHECK(message_of(r, "msg") == "s={x} {literal}");
    // A profile may set a string constant to text with braces.
    CHECK(first_error("const C = \"a\"\nrule r on x where s == C { ok }\nprofile p { set C = \"}{\" }").empty());
    // An include path is plain text too.
    MemoryFiles mem;
    mem.files["{odd}.dta"] = "rule odd on x { ok }\n";
    dta::CompileOptions opts;
    opts.include_resolver = mem.resolver();
    CHECK(dta::compile_source("m.dta", "include \"{odd}.dta\"\n", opts).ok());
  }

  TEST_CASE("templates: messages after error/warning/info/ok/alert, labels and emit values") {
    const std::string policy =
        "rule e on x { error \"e {n}\" }\n"
        "rule w on x { warning \"w {n + 1}\" }\n"
        "rule i on x { info \"i {field(\"n\")}\" }\n"
        "rule o on x { ok \"o {n}\" }\n"
        "rule a on x { alert critical \"a {n}\" labels { at: \"n={n}\" } }\n"
        "rule em on x { emit y { note: \"n is {n}\" } }\n"
        "rule got on y where note == \"n is 7\" { info \"{note}\" }\n"
        // a field named `alert` or `error` compared with a string with braces stays plain
        "rule f on x where alert == \"{n}\" or error == \"{n}\" { info \"braces\" }\n";
    const dta::Report r = dta::test::run(policy, ev(1, "x", "\"n\": 7, \"alert\": \"{n}\""));
    CHECK(message_of(r, "e") == "e 7");
    CHECK(message_of(r, "w") == "w 8");
    CHECK(message_of(r, "i") == "i 7");
    CHECK(message_of(r, "o") == "o 7");
    CHECK(message_of(r, "got") == "n is 7");
    CHECK(message_of(r, "f") == "braces");
    REQUIRE(r.alerts.size() == 1);
    CHECK(r.alerts[0].message == "a 7");
    REQUIRE(!r.alerts[0].labels.empty());
    CHECK(r.alerts[0].labels[0] == std::make_pair(std::string("at"), std::string("n=7")));
    // In a message a lone brace is still an error, at its column.
    CHECK(first_error("rule r on x { error \"a{\" }") == "1:23: unbalanced '{' in a template (write '{{' for a brace)");
    CHECK(first_error("rule r on x { error \"é}\" }") == "1:23: lone '}' in a template (write '}}' for a brace)");
    // Holes in a string that is not the whole value are not filled: an error, not silent text.
    CHECK(first_error("rule r on x { alert info \"m\" labels { k: \"{n}\" + \"s\" } }") ==
          "1:44: a template's holes are filled only when the string is the whole value");
  }

  TEST_CASE("an invalid escape is named, at its column") {
    struct Case {
      std::string input;
      std::string error;
    };
    const Case cases[] = {
        {"rule r on x where s == \"\\d\" { ok }",
         "1:25: invalid escape '\\d' in string (valid: \\\" \\\\ \\n \\r \\t \\u{H})"},
        {"rule r on x where s == \"éé\\q\" { ok }",
         "1:27: invalid escape '\\q' in string (valid: \\\" \\\\ \\n \\r \\t \\u{H})"},
        {"rule r on x where s == \"\\é\" { ok }",
         "1:25: invalid escape '\\é' in string (valid: \\\" \\\\ \\n \\r \\t \\u{H})"},
        {"rule r on x { error \"{s} \\x41\" }",
         "1:26: invalid escape '\\x' in string (valid: \\\" \\\\ \\n \\r \\t \\u{H})"},
        {"const C = \"\\u{110000}\"",
         "1:12: invalid escape '\\u{110000}' in string (\\u{H} takes 1 to 6 hex digits of a Unicode scalar value)"},
        {"const C = \"\\u{D800}\"",
         "1:12: invalid escape '\\u{D800}' in string (\\u{H} takes 1 to 6 hex digits of a Unicode scalar value)"},
        {"const C = \"\\u{}\"",
         "1:12: invalid escape '\\u{}' in string (\\u{H} takes 1 to 6 hex digits of a Unicode scalar value)"},
        {"const C = \"\\u41\"",
         "1:12: invalid escape '\\u' in string (\\u{H} takes 1 to 6 hex digits of a Unicode scalar value)"},
        {"const C = \"\\u{0000041}\"",
         "1:12: invalid escape '\\u{0000041}' in string (\\u{H} takes 1 to 6 hex digits of a Unicode scalar value)"},
        {"const C = \"\\u{41}\\u{1F600}\\t\\\"\\\\\"", ""},
    };
    for (const Case& c : cases) {
      CAPTURE(c.input);
      CHECK(first_error(c.input) == c.error);
    }
    // A valid escape still means what it says.
    auto prog = dta::test::compiled("const C = \"\\u{41}\\u{e9}\\n\"");
    REQUIRE(prog);
    CHECK(prog->consts.at(0).s == "A\xC3\xA9\n");
  }

  TEST_CASE("quantile's q is a constant in [0, 1], both ends included") {
    auto prog = dta::test::compiled(
        "const Q = 1\nrule r on a { when quantile(v, 0) over 1s > 1 { ok } when quantile(v, 1) over 1s > 1 { ok }\n"
        "when quantile(v, Q) over 1s > 1 { ok } when quantile(v, 0.25) over 1s > 1 { ok } }");
    REQUIRE(prog);
    REQUIRE(prog->rules.at(0).whens.size() == 4);
    CHECK(prog->rules[0].whens[0].q == 0.0);
    CHECK(prog->rules[0].whens[1].q == 1.0);
    CHECK(prog->rules[0].whens[2].q == 1.0);
    CHECK(prog->rules[0].whens[3].q == 0.25);
    const std::string bad = "1:32: quantile(e, q) needs a constant q between 0 and 1";
    CHECK(first_error("rule r on a { when quantile(v, 1.5) over 1s > 5 { ok } }") == bad);
    CHECK(first_error("rule r on a { when quantile(v, -0.1) over 1s > 5 { ok } }") == bad);
    CHECK(first_error("rule r on a { when quantile(v, 2) over 1s > 5 { ok } }") == bad);
    CHECK(first_error("rule r on a { when quantile(v, \"x\") over 1s > 5 { ok } }") == bad);
    CHECK(first_error("rule r on a { when quantile(v, w) over 1s > 5 { ok } }") == bad);
    // q = 0 and q = 1 run: the minimum and the maximum of the window.
    const dta::Report r = dta::test::run(
        "rule lo on a { when quantile(v, 0) over 10s < 2 { info \"lo {value}\" } }\n"
        "rule hi on a { when quantile(v, 1) over 10s > 8 { info \"hi {value}\" } }\n",
        ev(1, "a", "\"v\": 5") + ev(2, "a", "\"v\": 9") + ev(3, "a", "\"v\": 1"));
    CHECK(dta::test::rule(r, "hi").fired == 1);
    CHECK(dta::test::rule(r, "lo").fired == 1);
  }

  TEST_CASE("literals beyond their range are clear errors") {
    struct Case {
      std::string input;
      std::string error;
    };
    const Case cases[] = {
        {"const X = 99999999999999999999", "1:11: integer literal '99999999999999999999' out of range"},
        {"const X = 0xFFFFFFFFFFFFFFFFFF", "1:11: integer literal '0xFFFFFFFFFFFFFFFFFF' out of range"},
        {"const X = 1e999", "1:11: number '1e999' out of range"},
        {"rule r on a where x > 1e-999 { ok }", "1:23: number '1e-999' out of range"},
        {"const X = " + std::string(400, '9') + "%", "1:11: number '" + std::string(400, '9') + "%' out of range"},
        {"const X = 999999999999d", "1:11: literal '999999999999d' out of range"},
        {"const X = 106752d", "1:11: literal '106752d' out of range"},
        {"const X = 106751d", ""},  // the largest whole number of days in int64 nanoseconds
        {"const X = 9223372036854775807ns", ""},
        {"const X = 9223372036854775808ns", "1:11: literal '9223372036854775808ns' out of range"},
        {"const X = " + std::string(30, '9') + "s", "1:11: literal '" + std::string(30, '9') + "s' out of range"},
        {"const X = 0000000000000000000000000001s", ""},
        {"const X = 1.5000000000000000000000000000s", ""},  // trailing zeros are not precision
        {"const X = 1.0000000000000000000000000001s",
         "1:11: '1.0000000000000000000000000001s' has too many digits after the point"},
        {"const X = 1.0000000001s", "1:11: '1.0000000001s' is not a whole number of nanoseconds/bytes"},
        {"const X = 8589934592GB", "1:11: literal '8589934592GB' out of range"},
        {"rule r on a { when count() over 1s > 1 max 5000000000 { ok } }",
         "1:44: a cap must be between 1 and 4294967295"},
        {"rule r on a { ok }\nprofile p { max r: 0 }", "2:20: a cap must be between 1 and 4294967295"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.input);
      CHECK(first_error(c.input) == c.error);
    }
  }

  TEST_CASE("big inputs stay bounded: holes, lists, tables") {
    std::string holes = "rule r on x { info \"";
    for (int i = 0; i < 1001; ++i) holes += "{a}";
    CHECK(first_error(holes + "\" }") == "1:3021: too many holes in one template (more than 1000)");
    std::string list = "rule r on x where y in [0";
    for (int i = 1; i < 20000; ++i) list += ", " + std::to_string(i);
    CHECK(first_error(list + "] { ok }").empty());
    std::string fields = "rule r on x { when count() over 1s > 1 by f0";  // 70,000 distinct field names
    for (int i = 1; i < 70000; ++i) fields += ", f" + std::to_string(i);
    fields += " { ok } }\n";
    const auto r = dta::compile_source("t.dta", fields);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message == "too many distinct field names (more than 65535)");
  }
}
