// Hardening of what the outside world controls (spec 0.1): JSON Lines events
// (section 1: null, nested objects, arrays, repeated keys, blank lines, BOM,
// times, huge numbers, invalid UTF-8, size caps), `matches` (ECMAScript
// anchors and dot, `[^]`, a step budget), UTF-8 in string builtins, the
// `dta replay` summary, a bounded deterministic fuzz of the reader, and the
// regression inputs under tests/regress/input.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include "dta/regex_syntax.hpp"
#include "helpers.hpp"
#include "vm/regex.hpp"
#include "replay_summary.hpp"

namespace {

using dta::Type;

struct Parsed {
  bool ok = false;
  std::string error;
  dta::Event ev;
};

Parsed parse(dta::Interner& names, std::string_view line) {
  dta::JsonlParser p(names);
  Parsed out;
  out.ok = p.parse(line, out.ev, &out.error);
  return out;
}

// A field's value as "int:5", "float:1.5", "string:abc" or "bool:true".
std::string show(const dta::Event& ev, const dta::Field& f) {
  const dta::Value v = ev.value(f);
  switch (f.type) {
    case Type::Int: return "int:" + std::to_string(v.i);
    case Type::Float: {
      std::string s = "float:";
      dta::append_value(s, v);
      return s;
    }
    case Type::Bool: return v.b ? "bool:true" : "bool:false";
    default: return "string:" + std::string(v.str());
  }
}

// Every field as "name=value", sorted by name, joined by spaces.
std::string fields_of(const dta::Interner& names, const dta::Event& ev) {
  std::vector<std::string> items;
  for (const dta::Field& f : ev.fields()) items.push_back(std::string(names.name(f.key)) + "=" + show(ev, f));
  std::sort(items.begin(), items.end());
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : " ") + s;
  return out;
}

// The fields of a line whose fields object is `fields`, or "error: ...".
std::string fields_of(const std::string& fields) {
  dta::Interner names;
  const Parsed p = parse(names, R"({"ts": 1, "name": "a", "fields": )" + fields + "}");
  return p.ok ? fields_of(names, p.ev) : "error: " + p.error;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    const auto c1 = static_cast<unsigned char>(s[i + 1 < s.size() ? i + 1 : i]);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F))
      return false;
    i += n;
  }
  return true;
}

// Whether the `where` holds on one event carrying string field s = `value`
// (given as JSON string contents, escapes allowed).
bool holds(const std::string& cond, const std::string& json_value) {
  const dta::Report r = dta::test::run("rule r on t where " + cond + " { ok }",
                                       R"({"ts": 1, "name": "t", "fields": {"s": ")" + json_value + "\"}}\n");
  return dta::test::rule(r, "r").matched == 1;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Random JSON for the reader's fuzz tests, deterministic from a seed.
class JsonGen {
 public:
  explicit JsonGen(uint64_t seed) : rng_(seed) {}
  size_t pick(size_t n) { return static_cast<size_t>(rng_() % n); }

  // A value as JSON text. Keys come from a small set, so objects repeat
  // them. Inside arrays there are no floats and no repeated keys, so the
  // DOM's compact serialization is the text the reader must keep.
  std::string value(int depth, bool in_array) {
    switch (pick(depth > 5 ? 6 : 8)) {
      case 0: return integer();
      case 1: return in_array ? integer() : real();
      case 2: return pick(2) ? "true" : "false";
      case 3: return "null";
      case 4:
      case 5: return string();
      case 6: return object(depth + 1, in_array);
      default: return array(depth + 1);
    }
  }
  std::string object(int depth, bool unique_keys) {
    std::vector<std::string> keys = {"a", "b", "c", "", R"(k\u00e9)", R"(\u0061)"};  // \u0061 is "a"
    if (unique_keys) keys.pop_back();
    std::string out = "{" + ws();
    const size_t n = pick(5);
    for (size_t i = 0; i < n && !keys.empty(); ++i) {
      const size_t k = pick(keys.size());
      out += (i ? "," + ws() : "") + "\"" + keys[k] + "\"" + ws() + ":" + ws() + value(depth, unique_keys);
      if (unique_keys) keys.erase(keys.begin() + static_cast<std::ptrdiff_t>(k));
    }
    return out + ws() + "}";
  }
  std::string array(int depth) {
    std::string out = "[" + ws();
    const size_t n = pick(4);
    for (size_t i = 0; i < n; ++i) out += (i ? "," + ws() : "") + value(depth, true);
    return out + ws() + "]";
  }
  std::string ws() {
    static const char* const kWs[] = {"", "", "", " ", "\t", "  ", "\r", "\n"};
    return kWs[pick(std::size(kWs))];
  }
  std::string integer() {
    static const char* const kInts[] = {"0", "7", "-1", "42", "9223372036854775807", "-9223372036854775808",
                                        "18446744073709551615", "123456"};
    return kInts[pick(std::size(kInts))];
  }
  std::string real() {
    static const char* const kReals[] = {"2.5", "-0.125", "1e3", "1E-2", "1e999", "-1e999", "0.1"};
    return kReals[pick(std::size(kReals))];
  }
  std::string string() {
    static const char* const kStrings[] = {R"("a")",           R"("\u0061")",      "\"\xc3\xa9\"", R"("\ud83d\ude00")",
                                           R"("\n\t\"\\")",   R"("\/x")",         R"("")",        "\"\xe6\x97\xa5\"",
                                           "\"\\u0000\\u001f\x7f\"", R"("[1,2]")"};
    return kStrings[pick(std::size(kStrings))];
  }

 private:
  std::mt19937_64 rng_;
};

// What the reader must make of a fields object, from Boost.JSON's DOM (which
// keeps the last value of a repeated key): "name=value" items as fields_of
// writes them.
void expect_fields(const boost::json::object& o, const std::string& prefix, bool top, std::vector<std::string>* out) {
  for (const auto& kv : o) {
    const std::string name = top ? std::string(kv.key()) : prefix + "." + std::string(kv.key());
    const boost::json::value& v = kv.value();
    std::string item = name + "=";
    switch (v.kind()) {
      case boost::json::kind::null: continue;
      case boost::json::kind::object: expect_fields(v.get_object(), name, false, out); continue;
      case boost::json::kind::array: item += "string:" + boost::json::serialize(v); break;
      case boost::json::kind::int64: item += "int:" + std::to_string(v.get_int64()); break;
      case boost::json::kind::uint64:
        item += "float:";
        dta::append_value(item, dta::Value::of_float(static_cast<double>(v.get_uint64())));
        break;
      case boost::json::kind::double_:
        item += "float:";
        dta::append_value(item, dta::Value::of_float(v.get_double()));
        break;
      case boost::json::kind::string: item += "string:" + std::string(v.get_string()); break;
      case boost::json::kind::bool_: item += v.get_bool() ? "bool:true" : "bool:false"; break;
    }
    out->push_back(item);
  }
}

// The fields the reader must give for `line`, as fields_of writes them.
std::string expected_fields(std::string_view line) {
  boost::json::parse_options opts;
  opts.max_depth = 64;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(line, ec, {}, opts);
  if (ec) return "DOM: " + ec.message();
  const boost::json::value* fields = v.get_object().if_contains("fields");
  std::vector<std::string> items;
  if (fields && fields->is_object()) expect_fields(fields->get_object(), "", true, &items);
  std::sort(items.begin(), items.end());
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : " ") + s;
  return out;
}

// What a successful parse always gives: a valid name, valid UTF-8
// everywhere, one field per name.
void check_event(const dta::Interner& names, const dta::Event& ev) {
  const std::string_view name = names.name(ev.name);
  CHECK_FALSE(name.empty());
  CHECK(std::all_of(name.begin(), name.end(),
                    [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }));
  std::vector<uint32_t> keys;
  for (const dta::Field& f : ev.fields()) {
    keys.push_back(f.key);
    CHECK(valid_utf8(names.name(f.key)));
    if (f.type == Type::String) CHECK(valid_utf8(ev.value(f).str()));
  }
  std::sort(keys.begin(), keys.end());
  CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
}

}  // namespace

TEST_SUITE("input_hardening") {
  // ------------------------------------------------------------ section 1

  TEST_CASE("null fields are absent, objects flatten into dotted names, arrays keep their JSON text") {
    CHECK(fields_of(R"({"gone": null, "x": 1})") == "x=int:1");
    CHECK(fields_of(R"({"http": {"status": 500}})") == "http.status=int:500");
    CHECK(fields_of(R"({"a": {"b": {"c": {"d": "deep"}, "n": null}, "e": {}}, "f": true})") ==
          "a.b.c.d=string:deep f=bool:true");
    CHECK(fields_of(R"({"list": [1,"a",{"b":null}]})") == R"(list=string:[1,"a",{"b":null}])");
    CHECK(fields_of(R"({"sp": [ 1 , [ ] , { } , [[2], {"k": [3, {}]}] ]})") == R"(sp=string:[1,[],{},[[2],{"k":[3,{}]}]])");
    // numbers as written (big and precise ones survive), strings re-escaped as JSON.stringify does
    CHECK(fields_of(R"({"n": [1.50, -0, 1E3, 123456789012345678901234567890, true, false, null]})") ==
          R"(n=string:[1.50,-0,1E3,123456789012345678901234567890,true,false,null])");
    CHECK(fields_of(R"({"s": ["tab\t", "\u0001", "q\"b\\", "\u00e9", "é", "\/"]})") ==
          "s=string:[\"tab\\t\",\"\\u0001\",\"q\\\"b\\\\\",\"é\",\"é\",\"/\"]");
    CHECK(fields_of(R"({"o": {"arr": [{"x": 1}], "v": 2}})") == R"(o.arr=string:[{"x":1}] o.v=int:2)");
    CHECK(fields_of(R"({"k": []})") == "k=string:[]");
    // the event is no longer lost: the whole line reaches the rules
    const dta::Report r = dta::test::run(
        "rule r on a where field(\"http.status\") == 500 and field(\"http.req.path\") == \"/x\" and tags == \"[1,2]\" "
        "and not has(gone) { ok }",
        R"({"ts": 1, "name": "a", "fields": {"http": {"status": 500, "req": {"path": "/x"}}, "tags": [1, 2], "gone": null}})"
        "\n");
    CHECK(r.events == 1);
    CHECK(r.diagnostics.bad_input == 0);
    CHECK(dta::test::rule(r, "r").matched == 1);
  }

  TEST_CASE("a repeated key: the last value wins, as in jq") {
    struct Case {
      const char* fields;
      const char* want;
    };
    const Case cases[] = {
        {R"({"a": 1, "a": 2})", "a=int:2"},
        {R"({"a": 1, "b": 0, "a": "x"})", "a=string:x b=int:0"},
        {R"({"a": 1, "a": null})", ""},
        {R"({"a": null, "a": 1})", "a=int:1"},
        {R"({"h": {"x": 1, "y": 2}, "h": {"z": 3}})", "h.z=int:3"},
        {R"({"h": {"x": 1}, "h": 5})", "h=int:5"},
        {R"({"h": 5, "h": {"x": 1}})", "h.x=int:1"},
        {R"({"h": {"x": 1}, "h": null})", ""},
        {R"({"h": {"x": 1}, "h": {}})", ""},
        {R"({"h": {"x": 1}, "h": [1]})", "h=string:[1]"},
        {R"({"h": {"x": {"y": 1}, "x": {"z": 2}, "w": 0}})", "h.w=int:0 h.x.z=int:2"},
        {R"({"\u0061": 1, "a": 2})", "a=int:2"},  // the same key once unescaped
        // different keys that flatten to one name: the later in the line wins
        {R"({"a.b": 1, "a": {"b": 2}})", "a.b=int:2"},
        {R"({"a": {"b": 2}, "a.b": 1})", "a.b=int:1"},
        {R"({"a.b": 1, "a": {"c": 2}})", "a.b=int:1 a.c=int:2"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.fields);
      CHECK(fields_of(c.fields) == c.want);
    }
    dta::Interner names;
    const Parsed p = parse(names, R"({"ts": 1, "ts": 2, "name": "a", "name": "b", "id": 3, "id": null, )"
                                  R"("severity": "error", "severity": "warning", "fields": {"x": 1}, "fields": {"y": 2}})");
    REQUIRE(p.ok);
    CHECK(p.ev.ts == 2);
    CHECK(names.name(p.ev.name) == "b");
    CHECK_FALSE(p.ev.has_id);
    CHECK(p.ev.severity == dta::Severity::Warning);
    CHECK(fields_of(names, p.ev) == "y=int:2");
    const Parsed q = parse(names, R"({"ts": 1, "name": "a", "id": 4, "severity": "error", "fields": {"x": 1}, "fields": null})");
    REQUIRE(q.ok);
    CHECK(fields_of(names, q.ev) == "");
    CHECK(q.ev.id == 4);
    CHECK(q.ev.severity == dta::Severity::Error);
    // many repeats stay linear
    std::string many = "{";
    for (int i = 0; i < 20000; ++i) many += "\"k" + std::to_string(i % 100) + "\": {\"v\": " + std::to_string(i) + "},";
    many += "\"end\": 0}";
    const auto t0 = std::chrono::steady_clock::now();
    const std::string got = fields_of(many);
    CHECK(ms_since(t0) < 2000);
    CHECK(got.find("k99.v=int:19999") != std::string::npos);
    CHECK(got.find("k0.v=int:19900") != std::string::npos);
    CHECK(std::count(got.begin(), got.end(), '=') == 101);
  }

  TEST_CASE("blank lines are skipped and not counted; a byte order mark starts a stream") {
    const std::string events = "\xEF\xBB\xBF" R"({"ts": 1, "name": "a"})" "\n"
                               "\n"
                               "   \t \n"
                               "\r\n"
                               " \t\r\n"
                               "garbage\n"
                               R"({"ts": 2, "name": "a"})" "\r\n"
                               "\xEF\xBB\xBF" R"({"ts": 3, "name": "a"})" "\n"  // a BOM is only skipped at the start
                               "\n"
                               R"({"ts": 4, "name": "a"})";
    const dta::Report r = dta::test::run("rule r on a { ok }", events);
    CHECK(r.events == 3);
    CHECK(r.diagnostics.bad_input == 2);
    REQUIRE(r.diagnostics.bad_lines.size() == 2);
    CHECK(r.diagnostics.bad_lines[0].line == 6);
    CHECK(r.diagnostics.bad_lines[1].line == 8);
    // a stream that is only a BOM, or only blank lines, is empty and clean
    for (const std::string s : {"\xEF\xBB\xBF", "\xEF\xBB\xBF\n\n", "\n \n\t\n"}) {
      const dta::Report e = dta::test::run("rule r on a { ok }", s);
      CHECK(e.events == 0);
      CHECK(e.diagnostics.bad_input == 0);
    }
  }

  TEST_CASE("times that do not fit int64 ns are bad input with a reason") {
    int64_t ns = 0;
    CHECK(dta::parse_rfc3339("2262-04-11T23:47:16.854775807Z", &ns));
    CHECK(ns == INT64_MAX);
    CHECK(dta::parse_rfc3339("1677-09-21T00:12:43.145224192Z", &ns));
    CHECK(ns == INT64_MIN);
    CHECK(dta::parse_rfc3339("1677-09-21T01:12:43.145224192+01:00", &ns));
    CHECK(ns == INT64_MIN);
    CHECK(dta::parse_rfc3339("1969-12-31T23:59:59.5Z", &ns));
    CHECK(ns == -500000000);
    CHECK(dta::parse_rfc3339("2024-02-29T00:00:00Z", &ns));  // a leap year
    CHECK_FALSE(dta::parse_rfc3339("2262-04-11T23:47:16.854775808Z", &ns));
    CHECK_FALSE(dta::parse_rfc3339("1677-09-21T00:12:43.145224191Z", &ns));
    CHECK_FALSE(dta::parse_rfc3339("2026-02-29T00:00:00Z", &ns));  // not a leap year
    CHECK_FALSE(dta::parse_rfc3339("1900-02-29T00:00:00Z", &ns));

    dta::Interner names;
    struct Case {
      std::string line, error;
    };
    const Case cases[] = {
        {R"({"ts": 9223372036854775808, "name": "a"})", "\"ts\" out of range"},
        {R"({"ts": 18446744073709551616, "name": "a"})", "\"ts\" out of range"},
        {R"({"ts": -9223372036854775809, "name": "a"})", "\"ts\" out of range"},
        {R"({"ts": 1e30, "name": "a"})", "\"ts\" must be an integer (ns) or an RFC 3339 string: 1e30 is not an integer "
                                         "(for seconds, milliseconds or microseconds since the epoch: --ts-unit s|ms|us)"},
        {R"({"ts": "9999-12-31T23:59:59.999999999Z", "name": "a"})", "\"ts\" out of range: \"9999-12-31T23:59:59.999999999Z\""},
        {R"({"ts": "0001-01-01T00:00:00Z", "name": "a"})", "\"ts\" out of range: \"0001-01-01T00:00:00Z\""},
        {R"({"ts": "2026-02-29T00:00:00Z", "name": "a"})", "\"ts\" is not an RFC 3339 time: \"2026-02-29T00:00:00Z\""},
        {R"({"ts": null, "name": "a"})", "\"ts\" must be an integer (ns) or an RFC 3339 string"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.line);
      const Parsed p = parse(names, c.line);
      CHECK_FALSE(p.ok);
      CHECK(p.error == c.error);
    }
    for (const char* line : {R"({"ts": -9223372036854775808, "name": "a"})", R"({"ts": 9223372036854775807, "name": "a"})"})
      CHECK(parse(names, line).ok);
    // the engine runs over the extremes without trouble
    const dta::Report r = dta::test::run(
        "rule r on a { warning \"{event.ts}\" }\nrule w on a { when count() over 1h > 1 { warning \"n\" } }",
        R"({"ts": -9223372036854775808, "name": "a"})" "\n" R"({"ts": 0, "name": "a"})" "\n"
        R"({"ts": 9223372036854775807, "name": "a"})" "\n" R"({"ts": 9223372036854775807, "name": "a"})" "\n");
    CHECK(r.events == 4);
    CHECK(dta::test::rule(r, "r").fired == 4);
  }

  TEST_CASE("a number beyond the double range is an infinite float, and nothing breaks") {
    dta::Interner names;
    const Parsed p = parse(names, R"({"ts": 1, "name": "a", "fields": {"inf": 1e999, "ninf": -1e999, "tiny": 1e-999, "big": 18446744073709551616, "u": 18446744073709551615}})");
    REQUIRE(p.ok);
    const dta::Field* inf = p.ev.find(names.find("inf"));
    REQUIRE(inf);
    CHECK(inf->type == Type::Float);
    CHECK(std::isinf(inf->f));
    CHECK(inf->f > 0);
    CHECK(p.ev.find(names.find("ninf"))->f < 0);
    CHECK(p.ev.find(names.find("tiny"))->f == 0.0);
    CHECK(p.ev.find(names.find("big"))->type == Type::Float);
    CHECK(p.ev.find(names.find("u"))->f == 18446744073709551615.0);
    // downstream: comparisons, messages, conversions and metrics see it without harm (window
    // state is the engine's to guard)
    const dta::Report r = dta::test::run(
        "rule slow on h where latency_ms > 250 { warning \"slow {latency_ms}\" observe lat latency_ms }\n"
        "rule conv on h where int(latency_ms) > 0 { ok }\n",
        R"({"ts": 1, "name": "h", "fields": {"latency_ms": 1e999}})" "\n"
        R"({"ts": 2, "name": "h", "fields": {"latency_ms": -1e999}})" "\n"
        R"({"ts": 3, "name": "h", "fields": {"latency_ms": 300}})" "\n");
    CHECK(r.events == 3);
    CHECK(dta::test::rule(r, "slow").matched == 2);
    REQUIRE_FALSE(r.kept_findings.empty());
    CHECK(r.kept_findings[0].message == "slow inf");
    CHECK(dta::test::rule(r, "conv").arith_error == 2);  // int(inf) is an arithmetic miss
  }

  TEST_CASE("nesting and line length are capped; both are bad input with a reason") {
    dta::Interner names;
    auto nested = [](int levels) {  // the fields object and levels - 1 inside it, in the event's object
      std::string s = R"({"ts": 1, "name": "a", "fields": )";
      for (int i = 0; i < levels; ++i) s += "{\"k\": ";
      s += "1";
      for (int i = 0; i < levels; ++i) s += "}";
      return s + "}";
    };
    const Parsed ok = parse(names, nested(63));  // 64 levels: a name of 63 parts
    REQUIRE(ok.ok);
    std::string name = "k";
    for (int i = 1; i < 63; ++i) name += ".k";
    CHECK(fields_of(names, ok.ev) == name + "=int:1");
    const Parsed deep = parse(names, nested(64));
    CHECK_FALSE(deep.ok);
    CHECK(deep.error == "invalid JSON: nested deeper than 64 levels");
    const Parsed arrays = parse(names, R"({"ts": 1, "name": "a", "fields": {"x": )" + std::string(100000, '[') +
                                           std::string(100000, ']') + "}}");
    CHECK_FALSE(arrays.ok);
    CHECK(arrays.error == "invalid JSON: nested deeper than 64 levels");

    // at most 10,000 distinct field names (repeats of a name do not count)
    auto with_fields = [](int distinct, int repeats) {
      std::string s = R"({"ts": 1, "name": "a", "fields": {"o": {)";
      for (int i = 0; i < distinct; ++i) s += (i ? ",\"k" : "\"k") + std::to_string(i) + "\": 1";
      s += "}";
      for (int i = 0; i < repeats; ++i) s += ", \"r\": " + std::to_string(i);
      return s + "}}";
    };
    const Parsed full = parse(names, with_fields(9999, 100000));
    REQUIRE(full.ok);
    CHECK(full.ev.fields().size() == 10000);
    CHECK(full.ev.value(*full.ev.find(names.find("r"))).i == 99999);
    const Parsed over = parse(names, with_fields(10001, 0));
    CHECK_FALSE(over.ok);
    CHECK(over.error == "more than 10000 fields");

    // a line over 64 MiB is dropped while it is read (never held whole), and
    // the lines after it keep their numbers
    std::string events = R"({"ts": 1, "name": "a"})" "\n";
    events += R"({"ts": 2, "name": "a", "fields": {"s": ")" + std::string((64u << 20) + 10, 'x') + "\"}}\n";
    events += R"({"ts": 3, "name": "a"})" "\n" "bad\n";
    const dta::Report r = dta::test::run("rule r on a { ok }", events);
    CHECK(r.events == 2);
    CHECK(r.diagnostics.bad_input == 2);
    REQUIRE(r.diagnostics.bad_lines.size() == 2);
    CHECK(r.diagnostics.bad_lines[0].line == 2);
    CHECK(r.diagnostics.bad_lines[0].error == "line longer than 64 MiB");
    CHECK(r.diagnostics.bad_lines[1].line == 4);
    // the same line given to the parser directly
    const Parsed big = parse(names, std::string((64u << 20) + 1, ' '));
    CHECK_FALSE(big.ok);
    CHECK(big.error == "line longer than 64 MiB");
  }

  TEST_CASE("invalid UTF-8 becomes U+FFFD (the event is kept); so do lone surrogate escapes") {
    const std::string r = "\xEF\xBF\xBD";  // U+FFFD
    CHECK(fields_of("{\"s\": \"a\xff" "b\"}") == "s=string:a" + r + "b");
    CHECK(fields_of("{\"k\xc3\": \"v\"}") == "k" + r + "=string:v");
    CHECK(fields_of("{\"t\": \"\xe2\x82\"}") == "t=string:" + r);                // a truncated sequence: one U+FFFD
    CHECK(fields_of("{\"o\": \"\xc0\xaf\"}") == "o=string:" + r + r);            // overlong
    CHECK(fields_of("{\"u\": \"\xed\xa0\x80\"}") == "u=string:" + r + r + r);    // an encoded surrogate
    CHECK(fields_of("{\"e\": \"\xf4\x90\x80\x80|\xf0\x9f\x98\x80\"}") == "e=string:" + r + r + r + r + "|\xf0\x9f\x98\x80");
    CHECK(fields_of("{\"arr\": [\"\xff\", {\"\xfe\": 1}]}") == "arr=string:[\"" + r + "\",{\"" + r + "\":1}]");
    CHECK(fields_of("{\"n\": {\"\xff\": 1}}") == "n." + r + "=int:1");
    CHECK(fields_of(R"({"a": "\ud800", "b": "x\udc00y", "c": "\ud83d\ude00", "d": "\\ud800", "e": "\ud800\ud800"})") ==
          "a=string:" + r + " b=string:x" + r + "y c=string:\xf0\x9f\x98\x80 d=string:\\ud800 e=string:" + r + r);
    CHECK(fields_of("{\"ok\": \"é日本\xf0\x9f\x98\x80\"}") == "ok=string:é日本\xf0\x9f\x98\x80");
    // an invalid byte in the name still makes a bad event name, quoted as valid UTF-8
    dta::Interner names;
    const Parsed p = parse(names, "{\"ts\": 1, \"name\": \"ab\xff\"}");
    CHECK_FALSE(p.ok);
    CHECK(p.error == "invalid event name \"ab" + r + "\"");
    CHECK(valid_utf8(parse(names, R"({"ts": 1, "name": ")" + std::string(100, '\xe9') + "\"}").error));
    // syntax errors keep their message after the lenient second try
    CHECK(parse(names, "{\"ts\": 1 \"name\": \"a\xff\"}").error == "invalid JSON: syntax error");
    // NUL bytes are data
    CHECK(fields_of(R"({"z": "a\u0000b", "r": ["\u0000"]})") == std::string("r=string:[\"\\u0000\"] z=string:a") + '\0' + "b");
    CHECK(parse(names, std::string("{\"ts\": 1, \"name\": \"a\"}\0", 23)).error == "invalid JSON: extra data");
  }

  // ------------------------------------------------------------ matches

  TEST_CASE("matches is ECMAScript: ^ and $ at the ends of the whole text, . never across a line") {
    CHECK_FALSE(holds("matches(s, \"^b$\")", "a\\nb"));
    CHECK_FALSE(holds("matches(s, \"^a.b$\")", "a\\nb"));
    CHECK_FALSE(holds("matches(s, \"^a.b$\")", "a\\rb"));
    CHECK_FALSE(holds("matches(s, \"a$\")", "a\\n"));
    CHECK_FALSE(holds("matches(s, \"^b\")", "a\\nb"));
    CHECK(holds("matches(s, \"^a\\\\nb$\")", "a\\nb"));
    CHECK(holds("matches(s, \"b$\")", "a\\nb"));
    CHECK(holds("matches(s, \"^a.b$\")", "a-b"));
    CHECK(holds("matches(s, \"^a[\\\\s\\\\S]b$\")", "a\\nb"));
    // [^] is any character, newlines included; [] matches nothing
    CHECK(holds("matches(s, \"^a[^]b$\")", "a\\nb"));
    CHECK(holds("matches(s, \"^[^]*$\")", "x\\ny\\r\\nz"));
    CHECK_FALSE(holds("matches(s, \"[^]\")", ""));
    CHECK_FALSE(holds("matches(s, \"[]\")", "abc"));
    CHECK(holds("matches(s, \"a[]|b\")", "b"));
    CHECK_FALSE(holds("matches(s, \"^[]a]$\")", "a]"));  // [] then "a]": nothing matches
    CHECK(holds("matches(s, \"^[^]a]$\")", "xa]"));      // [^] then "a]"
    CHECK(holds("matches(s, \"^\\\\[\\\\^]$\")", "[^]"));  // escaped [ and ^: no class
    CHECK(holds("matches(s, \"^[\\\\]^]+$\")", "]^]"));  // an escaped ] inside a class
    CHECK(holds("matches(s, \"^[[]$\")", "["));          // [ inside a class is plain
    // \uXXXX is a character (UTF-8 bytes), pairs included
    CHECK(holds("matches(s, \"^\\\\u0041\\\\u00e9$\")", "Aé"));
    CHECK(holds("matches(s, \"^\\\\u00e9+$\")", "éé"));
    CHECK(holds("matches(s, \"^\\\\ud83d\\\\ude00$\")", "\xf0\x9f\x98\x80"));
    // a leading .* (dropped: it cannot change the answer)
    CHECK(holds("matches(s, \".*b\")", "a\\nb"));
    CHECK_FALSE(holds("matches(s, \".*?c\")", "ab"));
    CHECK(holds("matches(s, \".*\")", ""));
    CHECK(holds("matches(s, \".*|x\")", "y"));
  }

  TEST_CASE("the checker and the runtime agree on the dialect") {
    CHECK(dta::check_regex("^a[^]b$"));
    CHECK(dta::check_regex("[]"));
    CHECK(dta::check_regex("\\Q[^]\\E"));
    CHECK_FALSE(dta::check_regex("("));
    CHECK(dta::check_regex("[\\u00e9]").error() ==
          "a \\u escape above \\u007F inside [...] is not supported (classes match single bytes)");
    const auto errs = dta::test::errors("rule r on a where matches(s, \"[\\\\u00e9]\") { ok }");
    REQUIRE(errs.size() == 1);
    CHECK(errs[0].find("invalid regex: a \\u escape above") != std::string::npos);
    CHECK(dta::test::errors("rule r on a where matches(s, \"^[^]$\") or matches(s, \"[]\") { ok }").empty());
    // a program keeps the pattern as written
    auto prog = dta::test::compiled("rule r on a where matches(s, \"x[^]y\") { ok }");
    REQUIRE(prog);
    REQUIRE(prog->regexes.size() == 1);
    CHECK(prog->regexes[0] == "x[^]y");
  }

  TEST_CASE("a backtracking pattern stops at its step budget: the where is false and counted") {
    const std::string hostile[] = {"(a+)+$", "(a|aa)+$", "(a*)*b", "^(\\w+\\s?)*$", "([a-z]+)*[0-9]", "(a|a?)+$"};
    const std::string text = std::string(20000, 'a') + "!";
    for (const std::string& pattern : hostile) {
      CAPTURE(pattern);
      dta::CompiledRegex re;
      REQUIRE(dta::compile_regex(pattern, &re));
      bool found = true;
      const auto t0 = std::chrono::steady_clock::now();
      CHECK(dta::regex_search(re, text, &found) == dta::Status::RegexBudget);
      CHECK(ms_since(t0) < 250);  // about 1-5 ms; unbounded it took seconds
    }
    // through the engine: counted, the rule does not fire, the run goes on
    std::string policy, events;
    for (size_t i = 0; i < std::size(hostile); ++i) {
      std::string escaped;
      for (char c : hostile[i]) escaped += c == '\\' ? std::string("\\\\") : std::string(1, c);
      policy += "rule r" + std::to_string(i) + " on e where matches(s, \"" + escaped + "\") { ok }\n";
    }
    events = R"({"ts": 1, "name": "e", "fields": {"s": ")" + text + "\"}}\n" + R"({"ts": 2, "name": "e", "fields": {"s": "aaa"}})" "\n";
    const auto t0 = std::chrono::steady_clock::now();
    const dta::Report r = dta::test::run(policy, events);
    CHECK(ms_since(t0) < 1000);
    CHECK(r.events == 2);
    CHECK(r.diagnostics.regex_budget == std::size(hostile));
    CHECK(dta::test::rule(r, "r0").matched == 1);  // "aaa" matches (a+)+$
    CHECK(dta::test::rule(r, "r0").arith_error == 0);
    // sane patterns fit the budget at any field size (it grows with the text)
    const std::string big = std::string(200000, 'G') + " GET /api/v2/x";
    for (const char* pattern : {"(GET|POST) /api/v[0-9]+/", "error|fail|timeout|/api/", "[0-9]{1,3}\\.[0-9]{1,3}",
                                ".*x$", "^G+ GET"}) {
      CAPTURE(pattern);
      dta::CompiledRegex re;
      REQUIRE(dta::compile_regex(pattern, &re));
      bool found = false;
      CHECK(dta::regex_search(re, big, &found) == dta::Status::Ok);
    }
    dta::CompiledRegex dotstar;  // quadratic but for the dropped leading .*
    REQUIRE(dta::compile_regex(".*foo", &dotstar));
    bool found = true;
    CHECK(dta::regex_search(dotstar, std::string(50000, 'x'), &found) == dta::Status::Ok);
    CHECK_FALSE(found);
  }

  // ------------------------------------------------------------ strings

  TEST_CASE("string builtins on UTF-8: len counts code points, ? and classes match characters") {
    CHECK(holds("len(s) == 5", "héllo"));
    CHECK(holds("len(s) == 3", "日本語"));
    CHECK(holds("len(s) == 1", "\xf0\x9f\x98\x80"));
    CHECK(holds("len(s) == 2", "\\ud83d\\ude00x"));
    CHECK(holds("len(s) == 0", ""));
    CHECK(holds("len(\"日本\") == 2", ""));
    // ASCII case mapping leaves other characters (and their bytes) alone
    CHECK(holds("upper(s) == \"HéLLO\"", "héllo"));
    CHECK_FALSE(holds("lower(s) == \"école ü\"", "ÉCOLE Ü"));  // É and Ü have no ASCII mapping
    CHECK(holds("lower(s) == \"École Ü\"", "ÉCOLE Ü"));
    CHECK(holds("len(upper(s)) == 4 and len(lower(s)) == 4", "\xf0\x9f\x98\x80" "aBc"));
    // glob: ? is one character, classes hold characters
    CHECK(holds("glob(s, \"h?llo\")", "héllo"));
    CHECK(holds("glob(s, \"??.db\")", "日本.db"));
    CHECK_FALSE(holds("glob(s, \"???.db\")", "日本.db"));
    CHECK(holds("glob(s, \"[é]\")", "é"));
    CHECK(holds("glob(s, \"[à-ÿ]x\")", "üx"));
    CHECK_FALSE(holds("glob(s, \"[a-z]\")", "é"));
    CHECK(holds("glob(s, \"[!é]\")", "e"));
    CHECK_FALSE(holds("glob(s, \"[!é]\")", "é"));
    CHECK(holds("glob(s, \"*?\")", "aé"));
    CHECK(holds("glob(s, \"*本*\")", "日本語"));
    CHECK(holds("glob(s, \"*?語\")", "日本語"));
    CHECK_FALSE(holds("glob(s, \"??\")", "é"));
    CHECK(holds("glob(s, \"*.db\") and not glob(s, \"*.sqlite\")", "/srv/app.db"));  // ASCII as before
    CHECK(holds("starts_with(s, \"日\") and ends_with(s, \"語\") and contains(s, \"本\")", "日本語"));
  }

  // ------------------------------------------------------------ CLI summary

  TEST_CASE("the replay summary formats any event time and explains every limit reached") {
    CHECK(dta::cli::format_ts(0) == "1970-01-01T00:00:00.000Z");
    CHECK(dta::cli::format_ts(-1) == "1969-12-31T23:59:59.999Z");
    CHECK(dta::cli::format_ts(INT64_MAX) == "2262-04-11T23:47:16.854Z");
    CHECK(dta::cli::format_ts(INT64_MIN) == "1677-09-21T00:12:43.145Z");
    CHECK(dta::cli::format_ts(INT64_MIN + 1) == "1677-09-21T00:12:43.145Z");
    CHECK(dta::cli::format_ts(1795687201250000000) == "2026-11-26T10:00:01.250Z");

    dta::Report r;
    r.policy = "p";
    dta::Finding f;
    f.rule = "x", f.message = "m", f.ts = INT64_MIN;
    r.kept_findings.push_back(f);
    dta::EngineOptions opts;
    const std::string quiet = dta::cli::replay_summary(r, opts, 20);
    CHECK(quiet.find("1677-09-21T00:12:43.145Z") != std::string::npos);
    for (const char* name : {"degraded_windows", "work_limited", "regex_budget", "evicted_keys", "metric_series_dropped",
                             "findings_not_kept", "alerts_not_kept", "evicted_expectations"})
      CHECK(quiet.find(name) == std::string::npos);
    dta::Diagnostics& d = r.diagnostics;
    d.degraded_windows = 3, d.work_limited = 4, d.regex_budget = 5, d.evicted_keys = 6, d.evicted_expectations = 7;
    d.metric_series_dropped = 8, d.findings_not_kept = 9, d.alerts_not_kept = 10;
    const std::string loud = dta::cli::replay_summary(r, opts, 20);
    CHECK(loud.find("  degraded_windows 3: sliding window keys went over 65536 samples and now aggregate over 64 time "
                    "buckets: their values are approximate\n") != std::string::npos);
    CHECK(loud.find("  work_limited 4: events whose follow-up work (timers, derived events, empty windows) went over "
                    "100000 steps") != std::string::npos);
    CHECK(loud.find("  regex_budget 5: matches() calls that ran out of their step budget") != std::string::npos);
    CHECK(loud.find("  evicted_keys 6: ") != std::string::npos);
    CHECK(loud.find("  evicted_expectations 7: ") != std::string::npos);
    CHECK(loud.find("  metric_series_dropped 8: ") != std::string::npos);
    CHECK(loud.find("  findings_not_kept 9: findings counted but not listed (beyond the first 1000)") != std::string::npos);
    CHECK(loud.find("  alerts_not_kept 10: ") != std::string::npos);
  }

  // ------------------------------------------------------------ fuzz

  TEST_CASE("fuzz: random events agree with a DOM reading of the same line") {
    JsonGen gen(20261126);
    dta::Interner names;
    dta::JsonlParser parser(names);
    int compared = 0;
    for (int i = 0; i < 3000; ++i) {
      std::string line = "{" + gen.ws() + "\"ts\":" + gen.ws() + std::to_string(i) + "," + gen.ws() + "\"name\": \"f.z\"";
      for (size_t k = 0, n = gen.pick(3); k < n; ++k) {
        line += gen.pick(4) ? ", \"fields\": " + gen.object(0, false) : ", \"fields\": null";
        if (gen.pick(3) == 0) line += ", \"extra\": " + gen.value(0, false);
      }
      line += gen.ws() + "}";
      CAPTURE(line);
      dta::Event ev;
      std::string error;
      REQUIRE(parser.parse(line, ev, &error));
      check_event(names, ev);
      CHECK(fields_of(names, ev) == expected_fields(line));
      ++compared;
    }
    CHECK(compared == 3000);
  }

  TEST_CASE("fuzz: mutated lines never crash, hang or give an invalid event") {
    const std::string seeds[] = {
        R"({"ts": 1764151200000000000, "name": "db.open", "severity": "warning", "fields": {"path": "/srv/app.db", "errno": 13}})",
        R"({"ts": "2026-11-26T10:00:01.250Z", "name": "http.request", "id": 2001, "fields": {"status": 503, "latency_ms": 812.5, "h": {"a": [1, "x", {"b": null}]}}})",
        R"({"ts": 5, "name": "a.b", "fields": {"a": 1, "a": {"b": 2}, "s": "\u00e9\ud83d\ude00", "n": null, "l": [[], {}]}})",
    };
    const std::string tokens[] = {"{", "}", "[", "]", "\"", "\\", ",", ":", "0", "e", "-", ".", "\xff", "\xc3",
                                  std::string(1, '\0'), " ", "1e999", "-1e999", "18446744073709551616", "null",
                                  R"(\ud800)", R"(\udc00)", std::string(200, '['), std::string(70, '{'), R"({"a":)",
                                  R"("fields":)", R"("ts":)", std::string(10000, 'x'), R"("\u0000")", "\xef\xbb\xbf",
                                  "\xed\xa0\x80", "true"};
    std::mt19937_64 rng(42);
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    dta::Interner names;
    dta::JsonlParser parser(names);
    int ok = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 20000; ++i) {
      std::string line = seeds[pick(std::size(seeds))];
      for (size_t m = 0, n = 1 + pick(4); m < n; ++m) {
        const size_t at = pick(line.size() + 1);
        switch (pick(5)) {
          case 0: if (at < line.size()) line[at] = static_cast<char>(rng()); break;
          case 1: line.insert(at, tokens[pick(std::size(tokens))]); break;
          case 2: line.erase(std::min(at, line.size()), pick(8)); break;
          case 3: line.insert(at, line.substr(pick(line.size() + 1), pick(40))); break;
          default: line.insert(at, std::string(1, static_cast<char>(rng()))); break;
        }
      }
      CAPTURE(line);
      dta::Event ev, again;
      std::string error, error2;
      const bool parsed = parser.parse(line, ev, &error);
      REQUIRE(parser.parse(line, again, &error2) == parsed);  // deterministic
      if (parsed) {
        ++ok;
        check_event(names, ev);
        CHECK(fields_of(names, ev) == fields_of(names, again));
      } else {
        CHECK_FALSE(error.empty());
        CHECK(valid_utf8(error));
        CHECK(error == error2);
      }
    }
    CHECK(ok > 1000);  // many mutated lines stay valid: the event paths are exercised
    CHECK(ms_since(t0) < 20000);
    // random bytes as a stream: lines, blank lines, CRs and all
    std::string stream = "\xef\xbb\xbf";
    for (int i = 0; i < 3000; ++i) {
      const size_t kind = pick(6);
      if (kind == 0) {
        stream += std::string(pick(3), ' ') + "\n";
        continue;
      }
      if (kind == 1) stream += seeds[pick(std::size(seeds))] + "\r";
      else for (size_t k = 0, n = pick(60); k < n; ++k) stream += static_cast<char>(rng());
      stream += "\n";
    }
    const std::string policy =
        "rule a on * where matches(s, \"(a+)+$\") or glob(path, \"*.db\") or len(string(field(\"h.a\"))) > 3 { "
        "info \"{event.name} {s} {field(\"h.a\")}\" }\n"
        "rule b on http.request { when count() over 10s > 2 by status { warning \"{value}\" } }\n";
    const dta::Report r1 = dta::test::run(policy, stream), r2 = dta::test::run(policy, stream);
    CHECK(r1.events > 0);
    CHECK(r1.diagnostics.bad_input > 0);
    CHECK(r1.events == r2.events);
    CHECK(r1.diagnostics.bad_input == r2.diagnostics.bad_input);
    for (const dta::BadLine& b : r1.diagnostics.bad_lines) CHECK(valid_utf8(b.error));
    for (const dta::Finding& f : r1.kept_findings) CHECK(valid_utf8(f.message));
  }

  // ------------------------------------------------------------ regressions

  TEST_CASE("regression inputs replay cleanly (tests/regress/input)") {
    struct Want {
      uint64_t events, bad_input, regex_budget;
    };
    // what each file gives; a file without a row must still replay without harm
    const std::map<std::string, Want> wants = {
        {"nested_object_field.jsonl", {2, 0, 0}},
        {"array_field.jsonl", {1, 0, 0}},
        {"blank_lines_and_bom.jsonl", {3, 1, 0}},
        {"timestamps_near_int64_limits.jsonl", {4, 4, 0}},
        {"latency_1e999.jsonl", {3, 0, 0}},
        {"invalid_utf8_and_surrogates.jsonl", {3, 1, 0}},
        {"repeated_keys.jsonl", {2, 0, 0}},
        {"deep_nesting.jsonl", {1, 2, 0}},
        {"regex_backtracking_long_field.jsonl", {2, 0, 1}},
    };
    const std::string policy =
        "rule m on * where has(s) and matches(s, \"(a+)+$\") { info \"{s}\" }\n"
        "rule f on * where has(field(\"http.status\")) { warning \"{field(\"http.status\")} "
        "{field(\"http.req.h.x-id\")}\" }\n"
        "rule l on * where latency_ms > 1 or len(tags) > 0 { warning \"{latency_ms} {tags}\" }\n"
        "rule c on * { when count() over 1m > 1000 by service { warning \"burst\" } }\n";
    const std::filesystem::path dir = std::filesystem::path(DTA_TEST_DIR) / "regress" / "input";
    size_t seen = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      CAPTURE(name);
      const auto t0 = std::chrono::steady_clock::now();
      const dta::Report r = dta::test::run(policy, dta::test::slurp(entry.path().string()));
      CHECK(ms_since(t0) < 2000);
      for (const dta::Finding& f : r.kept_findings) CHECK(valid_utf8(f.message));
      auto it = wants.find(name);
      if (it == wants.end()) continue;
      ++seen;
      CHECK(r.events == it->second.events);
      CHECK(r.diagnostics.bad_input == it->second.bad_input);
      CHECK(r.diagnostics.regex_budget == it->second.regex_budget);
    }
    CHECK(seen == wants.size());
  }
}
