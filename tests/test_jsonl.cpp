// The JSON Lines reader on good and bad input (spec section 1).
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <random>

#include "helpers.hpp"

namespace {

struct Parsed {
  bool ok;
  std::string error;
  dta::Event ev;
};

Parsed parse(dta::Interner& names, const std::string& line) {
  dta::JsonlParser p(names);
  Parsed out;
  out.ok = p.parse(line, out.ev, &out.error);
  return out;
}

}  // namespace

TEST_SUITE("jsonl") {
  TEST_CASE("a float field reads as the double nearest its text, as strtod (Boost.JSON's own is not always)") {
    dta::Interner names;
    std::mt19937_64 rng(7);
    size_t checked = 0;
    for (int i = 0; i < 20000; ++i) {
      double x = 0;
      const uint64_t bits = (rng() & ~(uint64_t{0x7ff} << 52)) | (uint64_t{1023 + rng() % 40 - 20} << 52);
      std::memcpy(&x, &bits, sizeof x);
      // the shortest text that reads back, 17 digits, and a long decimal between two doubles
      for (const std::string& text : {fmt::format("{}", x), fmt::format("{:.17g}", x), fmt::format("{:.25g}", x)}) {
        CAPTURE(text);
        const Parsed p = parse(names, R"({"ts": 1, "name": "a", "fields": {"x": )" + text + "}}");
        REQUIRE(p.ok);
        const dta::Field* f = p.ev.find(names.find("x"));
        REQUIRE(f);
        if (f->type != dta::Type::Float) continue;  // "1e+20" without a fraction may read as an int
        CHECK(p.ev.value(*f).f == std::strtod(text.c_str(), nullptr));
        ++checked;
      }
    }
    CHECK(checked > 50000);
  }

  TEST_CASE("both ts forms, id, severity and typed fields") {
    dta::Interner names;
    auto a = parse(names, R"({"ts": 1764151200000000000, "name": "db.open", "severity": "warning", "fields": {"path": "/srv/app.db", "errno": 13}})");
    REQUIRE(a.ok);
    CHECK(a.ev.ts == 1764151200000000000);
    CHECK(names.name(a.ev.name) == "db.open");
    CHECK(a.ev.severity == dta::Severity::Warning);
    CHECK_FALSE(a.ev.has_id);
    const dta::Field* errno_f = a.ev.find(names.find("errno"));
    REQUIRE(errno_f);
    CHECK(errno_f->type == dta::Type::Int);
    CHECK(a.ev.value(*a.ev.find(names.find("path"))).str() == "/srv/app.db");

    auto b = parse(names, R"({"ts": "2026-11-26T10:00:01.250Z", "name": "http.request", "id": 2001, "fields": {"status": 503, "latency_ms": 812.5, "ok": false, "n": 1e3, "gone": null}, "extra": [1]})");
    REQUIRE(b.ok);
    CHECK(b.ev.ts == 1795687201250000000);
    CHECK(b.ev.has_id);
    CHECK(b.ev.id == 2001);
    CHECK(b.ev.severity == dta::Severity::Info);
    CHECK(b.ev.find(names.find("latency_ms"))->type == dta::Type::Float);
    CHECK(b.ev.find(names.find("n"))->type == dta::Type::Float);  // an exponent makes a float
    CHECK(b.ev.find(names.find("ok"))->type == dta::Type::Bool);
    CHECK(b.ev.find(names.find("gone")) == nullptr);              // null: absent
  }

  TEST_CASE("RFC 3339 times") {
    int64_t ns = 0;
    CHECK(dta::parse_rfc3339("1970-01-01T00:00:00Z", &ns));
    CHECK(ns == 0);
    CHECK(dta::parse_rfc3339("2026-01-01T00:00:00Z", &ns));
    CHECK(ns == 1767225600000000000);
    CHECK(dta::parse_rfc3339("2026-01-01T02:00:00.5+02:00", &ns));
    CHECK(ns == 1767225600500000000);
    CHECK(dta::parse_rfc3339("2026-01-01t00:00:00.123456789123z", &ns));
    CHECK(ns == 1767225600123456789);
    CHECK(dta::parse_rfc3339("1969-12-31T23:59:59Z", &ns));
    CHECK(ns == -1000000000);
    CHECK_FALSE(dta::parse_rfc3339("2026-01-01T00:00:00", &ns));   // no offset
    CHECK_FALSE(dta::parse_rfc3339("2026-13-01T00:00:00Z", &ns));
    CHECK_FALSE(dta::parse_rfc3339("2026-02-30T00:00:00Zx", &ns));
    CHECK_FALSE(dta::parse_rfc3339("2026-01-01T00:00:00.Z", &ns));
    CHECK_FALSE(dta::parse_rfc3339("yesterday", &ns));
  }

  TEST_CASE("bad lines say why") {
    dta::Interner names;
    struct Case {
      std::string line, error;
    };
    const Case cases[] = {
        {"not json", "invalid JSON: syntax error"},
        {"[1, 2]", "not a JSON object"},
        {R"({"name": "a"})", "missing \"ts\""},
        {R"({"ts": 1.5, "name": "a"})", "\"ts\" must be an integer (ns) or an RFC 3339 string: 1.5 is not an integer "
                                       "(for seconds, milliseconds or microseconds since the epoch: --ts-unit s|ms|us)"},
        {R"({"ts": 18446744073709551615, "name": "a"})", "\"ts\" out of range"},
        {R"({"ts": "noon", "name": "a"})", "\"ts\" is not an RFC 3339 time: \"noon\""},
        {R"({"ts": 1})", "missing or non-string \"name\""},
        {R"({"ts": 1, "name": "a..b"})", "invalid event name \"a..b\""},
        {R"({"ts": 1, "name": "has space"})", "invalid event name \"has space\""},
        {R"({"ts": 1, "name": "a", "id": "x"})", "\"id\" must be an integer"},
        {R"({"ts": 1, "name": "a", "severity": "fatal"})", "\"severity\" must be one of debug, info, warning, error, critical"},
        {R"({"ts": 1, "name": "a", "fields": 3})", "\"fields\" must be an object"},
        {R"({"ts": 1, "name": "a"} trailing)", "invalid JSON: extra data"},
        {std::string("{\"ts\": 1, \"name\": \"a\xff\"}"), "invalid event name \"a\xEF\xBF\xBD\""},  // U+FFFD in the message
        {std::string("\x00\x01\x02garbage", 10), "invalid JSON: syntax error"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.line);
      auto p = parse(names, c.line);
      CHECK_FALSE(p.ok);
      CHECK(p.error == c.error);
    }
  }

  TEST_CASE("a stream counts bad lines with their numbers and keeps going") {
    std::string events = R"({"ts": 1, "name": "a"})" "\n"
                         "garbage\n"
                         "\n"
                         R"({"ts": 2, "name": "a"})" "\r\n"
                         R"({"ts": 3, "name": "a"})";  // no final newline
    const dta::Report r = dta::test::run("rule r on a { ok }", events);
    CHECK(r.events == 3);
    CHECK(r.diagnostics.bad_input == 1);
    REQUIRE(r.diagnostics.bad_lines.size() == 1);
    CHECK(r.diagnostics.bad_lines[0].line == 2);
  }

  TEST_CASE("a 10 MB line and a long binary stream do not stop the run") {
    std::string big = R"({"ts": 1, "name": "a", "fields": {"s": ")" + std::string(10 << 20, 'x') + "\"}}\n";
    std::string garbage;
    uint64_t x = 12345;
    for (int i = 0; i < 200000; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      garbage += static_cast<char>(x >> 56);
    }
    const dta::Report r = dta::test::run("rule r on a where len(s) > 1000 { ok }",
                                         big + garbage + "\n" + R"({"ts": 2, "name": "a"})" "\n");
    CHECK(r.events == 2);
    CHECK(dta::test::rule(r, "r").matched == 1);
    CHECK(r.diagnostics.bad_input >= 1);
  }
}
