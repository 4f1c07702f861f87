// Hostile policy text: no crash, no hang, a clear error.
#include <doctest/doctest.h>

#include "helpers.hpp"

TEST_SUITE("robustness") {
  TEST_CASE("deep nesting is capped before the parser can overflow the stack") {
    const std::string parens = "rule r on a where " + std::string(10000, '(') + "x" + std::string(10000, ')') + " { ok }";
    auto e = dta::test::errors(parens);
    REQUIRE(!e.empty());
    CHECK(e[0].find("nested too deeply") != std::string::npos);
    std::string nots = "rule r on a where ";
    for (int i = 0; i < 10000; ++i) nots += "not ";
    e = dta::test::errors(nots + "x { ok }");
    REQUIRE(!e.empty());
    CHECK(e[0].find("nested too deeply") != std::string::npos);
    std::string chain = "rule r on a where x";
    for (int i = 0; i < 50000; ++i) chain += " + x";
    e = dta::test::errors(chain + " > 0 { ok }");
    REQUIRE(!e.empty());
    CHECK(e[0].find("nested too deeply") != std::string::npos);
  }

  TEST_CASE("long but reasonable expressions compile") {
    std::string chain = "rule r on a where x";
    for (int i = 0; i < 200; ++i) chain += " + x";
    CHECK(dta::test::errors(chain + " > 0 { ok }").empty());
    std::string ors = "rule r on a where x == 0";
    for (int i = 1; i < 300; ++i) ors += " or x == " + std::to_string(i);
    CHECK(dta::test::errors(ors + " { ok }").empty());
  }

  TEST_CASE("a 10 MB line compiles; binary garbage gets errors") {
    CHECK(dta::test::errors("rule r on a { error \"" + std::string(10 << 20, 'x') + "\" }").empty());  // long but valid
    CHECK(dta::test::errors("rule r on a where " + std::string(10 << 20, 'x') + " { ok }").empty());  // a 10 MB field name
    std::string garbage;
    uint64_t x = 99;
    for (int round = 0; round < 50; ++round) {
      garbage.clear();
      for (int i = 0; i < 2000; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        garbage += static_cast<char>(x >> 56);
      }
      CHECK(!dta::test::errors(garbage).empty());
    }
  }

  TEST_CASE("random token soup never crashes the compiler") {
    const char* const tokens[] = {"rule", "on", "where", "{", "}", "(", ")", "[", "]", "error", "\"m {x}\"", "x",
                                  "db.*", "*", "and", "or", "not", "in", "==", "<", "+", "-", "1", "2.5", "10s",
                                  ",", ";", ":", "profile", "extends", "set", "const", "=", "event", "filter",
                                  "drop", "redact", "sample", "5%", "emit", "count", "observe", "when", "over",
                                  "every", "by", "for", "expect", "matching", "within", "then", "else", "machine",
                                  "state", "initial", "after", "->", "alert", "critical", "dedup", "max", "value",
                                  "count()", "p99(x)", "start.x", "state(m, x)"};
    uint64_t x = 7;
    int compiled = 0;
    for (int round = 0; round < 400; ++round) {
      std::string text;
      for (int i = 0; i < 40; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        text += tokens[(x >> 33) % (sizeof tokens / sizeof tokens[0])];
        text += ' ';
      }
      auto r = dta::compile_source("soup.dta", text);
      CHECK((r.ok() || !r.diagnostics.empty()));
      compiled += r.ok();
    }
    MESSAGE("soups that compiled: " << compiled);
  }

  TEST_CASE("includes: relative paths, each file once, missing files are errors") {
    const std::string dir = std::string(DTA_TEST_DIR) + "/includes/";
    auto r = dta::compile_file(dir + "main.dta");
    REQUIRE_MESSAGE(r.ok(), (r.diagnostics.empty() ? "" : r.diagnostics[0].rendered));
    CHECK(r.program->rules.size() == 2);
    CHECK(r.program->sources.size() == 3);
    auto bad = dta::compile_source(dir + "bad.dta", "include \"nope.dta\"\n");
    REQUIRE(bad.diagnostics.size() == 1);
    CHECK(bad.diagnostics[0].message.find("cannot read included file") == 0);
    CHECK(bad.diagnostics[0].line == 1);
  }
}
