// `dta repl` without a terminal: the Session (tools/repl/session.hpp) driven
// command by command, for every command: loading, narrowing, the tables and
// their JSON, policy blocks typed with errors under the typed text, :why and
// :whynot, :save, completion, multi-line input, cancellation; and the pieces
// under it (the event store, the expression reader, the probes).
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "helpers.hpp"
#include "repl/event_store.hpp"
#include "repl/expr_text.hpp"
#include "repl/probe.hpp"
#include "repl/session.hpp"

namespace {

namespace fs = std::filesystem;
using dta::repl::Reply;
using dta::repl::Session;

// A temp directory of its own per test, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    path =
        fs::temp_directory_path() / ("dta-repl-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
};

// Ten events: http requests (one 503 from cart, one 500 from auth), two db opens, a login with a password.
const char* kEvents =
    "{\"ts\":1000000000,\"name\":\"http.request\",\"fields\":{\"status\":200,\"latency_ms\":10.5,\"service\":\"cart\","
    "\"path\":\"/a\"}}\n"
    "{\"ts\":2000000000,\"name\":\"http.request\",\"fields\":{\"status\":503,\"latency_ms\":120.0,\"service\":\"cart\","
    "\"path\":\"/b\"}}\n"
    "{\"ts\":3000000000,\"name\":\"db.open\",\"fields\":{\"path\":\"/srv/a.db\",\"errno\":0}}\n"
    "{\"ts\":4000000000,\"name\":\"http.request\",\"fields\":{\"status\":200,\"latency_ms\":20,\"service\":\"auth\","
    "\"path\":\"/a\"}}\n"
    "{\"ts\":5000000000,\"name\":\"db.open\",\"fields\":{\"path\":\"/srv/b.db\",\"errno\":13}}\n"
    "{\"ts\":6000000000,\"name\":\"http.request\",\"fields\":{\"status\":500,\"latency_ms\":30,\"service\":\"auth\","
    "\"path\":\"/c\"}}\n"
    "{\"ts\":7000000000,\"name\":\"http.request\",\"fields\":{\"status\":502,\"latency_ms\":40,\"service\":\"cart\","
    "\"path\":\"/b\"}}\n"
    "{\"ts\":8000000000,\"name\":\"http.request\",\"fields\":{\"status\":504,\"latency_ms\":50,\"service\":\"cart\","
    "\"path\":\"/b\"}}\n"
    "{\"ts\":9000000000,\"name\":\"auth.login\",\"fields\":{\"user\":\"root\",\"password\":\"hunter2\",\"result\":"
    "\"locked\"}}\n"
    "{\"ts\":10000000000,\"name\":\"auth.login\",\"fields\":{\"user\":\"root\",\"password\":\"hunter2\",\"result\":"
    "\"ok\"}}\n";

const char* kPolicy = R"(policy demo
event auth.login { user: string, password: string sensitive, result: string }
const SLOW = 100
rule db_failed on db.open where errno != 0 and ends_with(path, ".db") { error "cannot open {path}" }
rule burst on http.request where status >= 500 {
    when count() over 10s > 2 by service { alert critical "{value} errors on {service}" }
}
machine lockout by user {
    initial trusted
    state trusted { on auth.login where result == "locked" -> locked }
    state locked { on auth.login where result == "ok" -> trusted { warning "{user} back after a lockout" } }
}
profile calm { rule db_failed: warning }
)";

// A session with kEvents loaded (and kPolicy when `policy`).
struct Fixture {
  TempDir dir;
  Session s;
  explicit Fixture(bool policy = false) {
    const Reply r = s.load_events({dir.write("events.jsonl", kEvents)});
    REQUIRE_MESSAGE(r.ok(), r.error);
    if (policy) {
      const Reply p = s.load_policy(dir.write("p.dta", kPolicy));
      REQUIRE_MESSAGE(p.ok(), p.error);
    }
  }
  Reply run(const std::string& cmd) { return s.execute(cmd); }
  Reply ok(const std::string& cmd) {
    Reply r = s.execute(cmd);
    INFO(cmd);
    REQUIRE_MESSAGE(r.ok(), r.error);
    return r;
  }
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_SUITE("repl") {
  TEST_CASE("the event store keeps every event in columns with an index per name") {
    TempDir dir;
    dta::repl::EventStore store;
    auto sum = store.load({dir.write("e.jsonl", std::string(kEvents) + "not json\n")}, {}, nullptr, nullptr);
    REQUIRE(sum);
    CHECK(sum->events == 10);
    CHECK(sum->bad == 1);
    REQUIRE(store.size() == 10);
    CHECK(store.name_text(2) == "db.open");
    CHECK(store.ts(9) == 10000000000);
    CHECK(store.with_name(store.find_symbol("http.request")).size() == 6);
    const dta::Field* f = store.find(1, store.find_symbol("service"));
    REQUIRE(f);
    CHECK(store.value_text(*f) == "cart");
    // rebuilt as an engine event with another names table
    dta::Interner other;
    other.intern("zzz");
    std::vector<uint32_t> map;
    dta::Event ev;
    store.to_event(1, ev, other, map);
    CHECK(other.name(ev.name) == "http.request");
    CHECK(ev.find(other.find("status"))->i == 503);
    // the field catalogue
    auto uses = store.field_uses(store.find_symbol("http.request"));
    REQUIRE(uses.size() == 4);
    CHECK(uses[1].present == 6);
    CHECK(uses[1].by_type[0] == 4);  // latency_ms: four ints (20, 30, 40, 50)
    CHECK(uses[1].by_type[1] == 2);  //             two floats (10.5, 120.0)
  }

  TEST_CASE("a load that finds no event, or no file, fails and says why") {
    TempDir dir;
    Session s;
    Reply r = s.load_events({dir.write("bad.jsonl", "garbage\nmore garbage\n")});
    CHECK(!r.ok());
    CHECK(has(r.error, "no events"));
    r = s.load_events({(dir.path / "missing.jsonl").string()});
    CHECK(!r.ok());
    CHECK(s.execute("count").error.find("no events loaded") != std::string::npos);
  }

  TEST_CASE("several inputs are merged in time order") {
    TempDir dir;
    Session s;
    const std::string a = dir.write("a.jsonl", "{\"ts\":1,\"name\":\"a\"}\n{\"ts\":3,\"name\":\"a\"}\n");
    const std::string b = dir.write("b.jsonl", "{\"ts\":2,\"name\":\"b\"}\n");
    REQUIRE(s.load_events({a, b}).ok());
    CHECK(s.store().size() == 3);
    CHECK(s.store().name_text(1) == "b");
  }

  TEST_CASE("where narrows with any expression; on by name; reset clears") {
    Fixture f;
    Reply r = f.ok("where status >= 500 and service == \"cart\"");
    CHECK(f.s.selected() == 3);
    CHECK(has(r.text, "3 events of 10 selected"));
    CHECK(r.json.as_object().at("selected").to_number<int64_t>() == 3);
    f.ok("reset");
    CHECK(f.s.selected() == 10);
    f.ok("on db.*");
    CHECK(f.s.selected() == 2);
    f.ok("where errno != 0");
    CHECK(f.s.selected() == 1);
    f.ok("reset");
    f.ok("on http.request auth.login");
    CHECK(f.s.selected() == 8);
    CHECK(!f.run("on nothing.here").ok());
    // functions and event parts work as in a policy
    f.ok("reset");
    f.ok("where starts_with(event.name, \"http\") and latency_ms > 25.0");
    CHECK(f.s.selected() == 4);
  }

  TEST_CASE("a where that does not compile shows a caret under the typed text and keeps the selection") {
    Fixture f;
    Reply r = f.run("where statuz >= 500 &&");
    CHECK(!r.ok());
    CHECK(has(r.error, "error:"));
    CHECK(has(r.error, "  where statuz >= 500 &&\n"));
    CHECK(has(r.error, "^"));
    CHECK(f.s.selected() == 10);
    // the caret is under the '&&'
    const size_t line = r.error.find("  where statuz");
    const size_t caret = r.error.find('^', line);
    const size_t line_start = r.error.rfind('\n', caret) + 1;
    CHECK(caret - line_start == std::string("  where statuz >= 500 ").size());
    // a field no event carries is a warning with the name it probably misspells
    r = f.ok("where statsu == 1");
    CHECK(has(r.text, "no loaded event carries a field 'statsu' (did you mean 'status'?)"));
    CHECK(f.s.selected() == 0);
  }

  TEST_CASE("count, count by, top") {
    Fixture f;
    Reply r = f.ok("count");
    CHECK(r.text == "10\n");
    CHECK(r.json.as_object().at("count").to_number<int64_t>() == 10);
    r = f.ok("count by name");
    CHECK(has(r.text, "http.request"));
    auto& rows = r.json.as_array();
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].as_object().at("name").as_string() == "http.request");
    CHECK(rows[0].as_object().at("count").to_number<int64_t>() == 6);
    r = f.ok("count by service status");
    CHECK(r.json.as_array()[0].as_object().at("count").to_number<int64_t>() == 4);  // db.open and auth.login
    CHECK(r.json.as_array()[0].as_object().at("service").as_string() == "<missing>");
    CHECK(r.json.as_array()[1].as_object().at("count").to_number<int64_t>() == 1);
    r = f.ok("top 1 path");
    REQUIRE(r.json.as_array().size() == 1);
    CHECK(r.json.as_array()[0].as_object().at("path").as_string() == "/b");
    CHECK(r.json.as_array()[0].as_object().at("count").to_number<int64_t>() == 3);
    CHECK(!f.run("top x path").ok());
    CHECK(!f.run("count service").ok());
  }

  TEST_CASE("stats and histogram of a numeric field") {
    Fixture f;
    f.ok("on http.request");
    Reply r = f.ok("stats latency_ms");
    auto& o = r.json.as_array()[0].as_object();
    CHECK(o.at("count").to_number<int64_t>() == 6);
    CHECK(o.at("min").to_number<double>() == doctest::Approx(10.5));
    CHECK(o.at("max").to_number<double>() == doctest::Approx(120));
    CHECK(o.at("mean").to_number<double>() == doctest::Approx((10.5 + 120 + 20 + 30 + 40 + 50) / 6));
    CHECK(o.at("p50").to_number<double>() == doctest::Approx(30));
    CHECK(o.at("p99").to_number<double>() == doctest::Approx(120));
    CHECK(!f.run("stats service").ok());  // not numeric
    r = f.ok("histogram status 2");
    auto& h = r.json.as_array();
    REQUIRE(h.size() == 2);
    CHECK(h[0].as_object().at("count").to_number<int64_t>() == 2);  // 200, 200
    CHECK(h[1].as_object().at("count").to_number<int64_t>() == 4);
    CHECK(has(r.text, "█"));
    r = f.ok("histogram service");  // strings: counts as bars
    CHECK(r.json.as_array().size() == 2);
  }

  TEST_CASE("timeline, with buckets and by a field") {
    Fixture f;
    Reply r = f.ok("timeline every 5s");
    auto& rows = r.json.as_array();
    REQUIRE(rows.size() == 3);  // [0,5s) [5,10s) [10,15s)
    CHECK(rows[0].as_object().at("count").to_number<int64_t>() == 4);
    CHECK(rows[1].as_object().at("count").to_number<int64_t>() == 5);
    CHECK(rows[2].as_object().at("count").to_number<int64_t>() == 1);
    r = f.ok("timeline by name every 5s");
    CHECK(r.json.as_array()[0].as_object().at("http.request").to_number<int64_t>() == 3);
    CHECK(!f.run("timeline every 5parsecs").ok());
    CHECK(!f.run("timeline every 1ns").ok());  // too many buckets
    r = f.ok("timeline");                      // a bucket length chosen for about 20 bars
    CHECK(has(r.text, "(every "));
  }

  TEST_CASE("show and tail align fields; names, fields, schema") {
    Fixture f;
    Reply r = f.ok("show 2");
    CHECK(has(r.text, "#  time"));
    CHECK(has(r.text, "1  1970-01-01T00:00:01.000Z  http.request"));
    CHECK(r.json.as_array().size() == 2);
    CHECK(r.json.as_array()[1].as_object().at("status").to_number<int64_t>() == 503);
    r = f.ok("tail 1");
    CHECK(r.json.as_array()[0].as_object().at("#").to_number<int64_t>() == 10);
    r = f.ok("names");
    CHECK(r.json.as_array().size() == 3);
    r = f.ok("fields http.request");
    CHECK(has(r.text, "latency_ms"));
    CHECK(has(r.text, "int|float"));
    CHECK(!f.run("fields nope").ok());
    r = f.ok("schema");
    CHECK(has(r.text, "event http.request {\n    status: int\n    latency_ms: float\n"));
    CHECK(has(r.text, "event db.open {"));
    // the schema compiles as a policy
    CHECK(dta::compile_source("s.dta", r.text).ok());
  }

  TEST_CASE("a policy: :load, typed rules, :rules, :run, :profile, :forget") {
    Fixture f(true);
    Reply r = f.ok(":rules");
    CHECK(has(r.text, "db_failed"));
    CHECK(has(r.text, "lockout"));
    r = f.ok("rule slow on http.request where latency_ms > SLOW { warning \"slow {latency_ms}\" }");
    CHECK(has(r.text, "added rule slow"));
    r = f.ok(":run");
    CHECK(has(r.text, "FAIL"));
    auto& rules = r.json.as_object().at("rules").as_object();
    CHECK(rules.at("slow").as_object().at("fired").to_number<int64_t>() == 1);
    CHECK(rules.at("db_failed").as_object().at("fired").to_number<int64_t>() == 1);
    // typed again: replaced, not added twice
    r = f.ok("rule slow on http.request where latency_ms > 35 { warning \"slow\" }");
    CHECK(has(r.text, "replaced rule slow"));
    CHECK(
        f.ok(":run").json.as_object().at("rules").as_object().at("slow").as_object().at("fired").to_number<int64_t>() ==
        3);
    // profiles
    CHECK(!f.run(":profile nope").ok());
    f.ok(":profile calm");
    r = f.ok(":run");
    CHECK(r.json.as_object().at("profile").as_string() == "calm");
    CHECK(r.json.as_object().at("verdict").as_string() == "pass");
    f.ok(":profile -");
    r = f.ok(":forget slow");
    CHECK(!has(f.ok(":rules").text, "slow "));
    CHECK(!f.run(":forget slow").ok());
    // :run replays every loaded event; :run selected the selection
    f.ok("on db.open");
    r = f.ok(":run");
    CHECK(r.json.as_object().at("events").to_number<int64_t>() == 10);
    r = f.ok(":run selected");
    CHECK(r.json.as_object().at("events").to_number<int64_t>() == 2);
    CHECK(has(r.text, "(over the 2 selected events of 10)"));
    CHECK(!f.run(":run everything").ok());
  }

  TEST_CASE("a typed rule with an error: the caret under the typed line, the policy unchanged") {
    Fixture f(true);
    // auth.login has a schema: an unknown field is an error
    Reply r = f.run("rule bad on auth.login where usr == \"x\" { error \"x\" }");
    REQUIRE(!r.ok());
    CHECK(has(r.error, "<typed>:1:30: error:"));
    CHECK(has(r.error, "  rule bad on auth.login where usr == \"x\" { error \"x\" }\n"));
    CHECK(has(r.error, "\n                               ^~~"));
    CHECK(!has(f.ok(":rules").text, "bad"));
    // a second line of a block
    r = f.run("rule two on db.open {\n    error \"{path\"\n}");
    REQUIRE(!r.ok());
    CHECK(has(r.error, "<typed>:2:"));
  }

  TEST_CASE("odd input gets an error or an answer, never a crash") {
    Fixture f(true);
    const std::vector<std::string> odd = {"where",
                                          "where (",
                                          "where )",
                                          "where \"",
                                          "where status >= ",
                                          "where 1",
                                          "where status / 0 == 1",
                                          "where " + std::string(5000, '(') + "1" + std::string(5000, ')'),
                                          "on",
                                          "on ,",
                                          "count by",
                                          "count by ,",
                                          "count by a, b, c, d, e, f, g, h",
                                          "top",
                                          "top 0 status",
                                          "top 99999999999999999999 status",
                                          "stats",
                                          "stats a b",
                                          "histogram",
                                          "histogram status 0",
                                          "histogram status 99999",
                                          "histogram path,",
                                          "timeline every",
                                          "timeline every 0s",
                                          "timeline every -5s",
                                          "timeline by",
                                          "timeline junk",
                                          "show -1",
                                          "show 99999999999999999999",
                                          "tail x",
                                          "fields",
                                          "fields a b",
                                          "schema nope",
                                          ":load",
                                          ":load /nonexistent",
                                          ":profile",
                                          ":why",
                                          ":why burst x",
                                          ":why burst 99999999999999999999",
                                          ":whynot lockout 1",
                                          ":disasm",
                                          ":cost nope",
                                          ":save",
                                          ":forget nope",
                                          "rule",
                                          "rule x",
                                          "rule x on",
                                          "const",
                                          "const X =",
                                          "machine m by k { initial a }",
                                          "}",
                                          "{",
                                          "\x01\x02",
                                          ":timing maybe",
                                          ":events",
                                          ":events /nonexistent"};
    for (const std::string& c : odd) {
      INFO(c);
      Reply r = f.run(c);
      CHECK((r.ok() || !r.error.empty()));
      CHECK(!has(r.error, "internal error"));
    }
    f.ok("reset");
    CHECK(f.ok("count").text == "10\n");  // the session still works
  }

  TEST_CASE("multi-line input: a block is read until its braces close") {
    CHECK(Session::needs_more("rule x on a {"));
    CHECK(Session::needs_more("rule x on a where b"));
    CHECK(Session::needs_more("machine m by k {\n  initial a\n"));
    CHECK(Session::needs_more("where s == \"open"));
    CHECK(!Session::needs_more("rule x on a { ok }"));
    CHECK(!Session::needs_more("rule x on a where s == \"{\" { ok }"));
    CHECK(!Session::needs_more("count by name"));
    CHECK(!Session::needs_more("const X = 1"));
  }

  TEST_CASE(":why shows sub-expressions, the window and what fired") {
    Fixture f(true);
    Reply r = f.ok(":why burst 8");
    CHECK(has(r.text, "selected: yes"));
    CHECK(has(r.text, "status >= 500  true"));
    CHECK(has(r.text, "status       504"));
    CHECK(has(r.text, "when count() over 10s > 2 [service=cart]"));
    CHECK(has(r.text, "3 selected events: #2 #7 #8"));
    CHECK(has(r.text, "value: 3 > 2: true"));
    CHECK(has(r.text, "at event #8: fired"));
    CHECK(has(r.text, "alert critical \"3 errors on cart\""));
    CHECK(r.json.as_object().at("fired").as_bool());
    // the event before: two in the window, no alert
    r = f.ok(":whynot burst 7");
    CHECK(has(r.text, "value: 2 > 2: false"));
    CHECK(!r.json.as_object().at("fired").as_bool());
    // a where that fails on one operand
    r = f.ok(":whynot db_failed 3");
    CHECK(has(r.text, "where: false"));
    CHECK(has(r.text, "errno != 0"));
    CHECK(has(r.text, "ends_with(path, \".db\")"));
    // not selected
    r = f.ok(":whynot db_failed 1");
    CHECK(has(r.text, "no: http.request does not match db.open"));
    // a missing field
    f.ok("rule u on db.open where user == \"x\" { ok }");
    r = f.ok(":whynot u 3");
    CHECK(has(r.text, "<missing>"));
    CHECK(has(r.text, "runtime miss"));
    // errors
    CHECK(!f.run(":why nope 1").ok());
    CHECK(!f.run(":why burst 0").ok());
    CHECK(!f.run(":why burst 11").ok());
    CHECK(!f.run(":why burst").ok());
  }

  TEST_CASE(":why on a machine: its state before and after the event; sensitive fields redacted") {
    Fixture f(true);
    Reply r = f.ok(":why lockout 9");
    CHECK(has(r.text, "state before the event: (no instance)"));
    CHECK(has(r.text, "state after it: locked"));
    CHECK(has(r.text, "password=<redacted>"));
    CHECK(!has(r.text, "hunter2"));
    r = f.ok(":why lockout 10");
    CHECK(has(r.text, "state before the event: locked"));
    CHECK(has(r.text, "state after it: trusted"));
    CHECK(has(r.text, "warning \"root back after a lockout\""));
    CHECK(!has(f.ok("show 10").text, "hunter2"));
    // a rule's sub-expressions: a value read from a sensitive field is not shown
    f.ok("rule weak on auth.login where len(password) < 10 and upper(password) != \"\" { warning \"weak\" }");
    r = f.ok(":why weak 9");
    CHECK(!has(r.text, "hunter2"));
    CHECK(!has(r.text, "HUNTER2"));
    CHECK(has(r.text, "<redacted>"));
    CHECK(has(r.text, "len(password) < 10 "));
  }

  TEST_CASE(":why sees the event as the rules do: without the fields a redact filter removes") {
    Fixture f;
    const std::string p = f.dir.write("r.dta", R"(
filter no_secrets on auth.* { redact password }
rule weak on auth.login where len(password) < 10 { warning "weak" }
)");
    f.ok(":load " + p);
    Reply r = f.ok(":whynot weak 9");
    CHECK(has(r.text, "a redact filter removes password"));
    CHECK(has(r.text, "where: false (a field is missing"));
    CHECK(has(r.text, "<missing>"));
  }

  TEST_CASE(":why with a drop filter and dedup") {
    Fixture f;
    const std::string p = f.dir.write("d.dta", R"(
filter no_b on http.request where path == "/b" and status == 502 { drop }
rule errs on http.request where status >= 500 {
    alert warning "err {service}" dedup service
}
)");
    f.ok(":load " + p);
    Reply r = f.ok(":whynot errs 7");
    CHECK(has(r.text, "filter no_b drops the event"));
    r = f.ok(":why errs 8");  // cart's second alert: held back by dedup
    CHECK(has(r.text, "at event #8: fired"));
    CHECK(has(r.text, "dedup held it back"));
  }

  TEST_CASE(":disasm, :cost, :save") {
    Fixture f(true);
    Reply r = f.ok(":disasm db_failed");
    CHECK(has(r.text, "db_failed"));
    CHECK(!has(r.text, "lockout"));
    CHECK(!f.run(":disasm nope").ok());
    r = f.ok(":cost db_failed");
    REQUIRE(r.json.as_array().size() == 1);
    CHECK(r.json.as_array()[0].as_object().at("instructions").to_number<int64_t>() > 0);
    f.ok("rule slow on http.request where latency_ms > SLOW { warning \"slow\" }");
    const std::string out = (f.dir.path / "saved.dta").string();
    r = f.ok(":save " + out);
    CHECK(has(r.text, "wrote"));
    const std::string saved = dta::test::slurp(out);
    CHECK(has(saved, "rule db_failed"));
    CHECK(has(saved, "rule slow on http.request where latency_ms > SLOW"));
    // the saved policy compiles and has both
    auto res = dta::compile_file(out);
    REQUIRE(res.ok());
    CHECK(res.program->rules.size() == 3);
    CHECK(!f.run(":save /nonexistent-dir/x.dta").ok());
  }

  TEST_CASE(":save elsewhere keeps the loaded policy's includes working") {
    Fixture f;
    fs::create_directories(f.dir.path / "a");
    fs::create_directories(f.dir.path / "b");
    f.dir.write("a/s.dta", "event db.open { path: string, errno: int }\n");
    const std::string p =
        f.dir.write("a/p.dta", "include \"s.dta\"\nrule r on db.open where errno != 0 { error \"x\" }\n");
    f.ok(":load " + p);
    const std::string out = (f.dir.path / "b" / "out.dta").string();
    f.ok(":save " + out);
    CHECK(has(dta::test::slurp(out), "include \"../a/s.dta\""));
    auto res = dta::compile_file(out);
    CHECK_MESSAGE(res.ok(), (res.diagnostics.empty() ? "" : res.diagnostics[0].rendered));
  }

  TEST_CASE("a session without a file: typed rules saved as a new policy") {
    Fixture f;
    f.ok("const LIMIT = 500");
    f.ok("rule big on http.request where status >= LIMIT { error \"{status}\" }");
    f.ok("where status >= LIMIT");  // constants of the session reach where
    CHECK(f.s.selected() == 4);
    const std::string out = (f.dir.path / "new.dta").string();
    f.ok(":save " + out);
    auto res = dta::compile_file(out);
    REQUIRE(res.ok());
    CHECK(res.program->rules.size() == 1);
  }

  TEST_CASE("unknown commands are errors with a suggestion; help lists every command") {
    Fixture f;
    Reply r = f.run("cuont");
    CHECK(!r.ok());
    CHECK(has(r.error, "did you mean 'count'?"));
    r = f.ok(":help");
    for (const std::string& c : Session::command_names())
      if (c[0] == ':' || c == "where") CHECK_MESSAGE(has(r.text, c), c);
    CHECK(f.ok(":quit").quit);
    CHECK(f.ok("").text.empty());
  }

  TEST_CASE("completion: commands, names, fields, rules, functions, constants, profiles") {
    Fixture f(true);
    auto c = f.s.complete("cou", 3);
    CHECK(c == std::vector<std::string>{"count"});
    c = f.s.complete(":wh", 3);
    CHECK(std::find(c.begin(), c.end(), ":why") != c.end());
    c = f.s.complete("on db", 5);
    CHECK(c == std::vector<std::string>{"db.open"});
    c = f.s.complete("where lat", 9);
    CHECK(c == std::vector<std::string>{"latency_ms"});
    c = f.s.complete(":why bu", 7);
    CHECK(c == std::vector<std::string>{"burst"});
    c = f.s.complete("where ends_", 11);
    CHECK(c == std::vector<std::string>{"ends_with"});
    c = f.s.complete("where SL", 8);
    CHECK(c == std::vector<std::string>{"SLOW"});
    c = f.s.complete(":profile ca", 11);
    CHECK(c == std::vector<std::string>{"calm"});
    c = f.s.complete("count by na", 11);  // event parts too
    CHECK(c == std::vector<std::string>{"name"});
    // files for :load, :save, :events: the entries of the typed directory
    f.dir.write("policy-one.dta", "");
    fs::create_directories(f.dir.path / "policies");
    const std::string typed = ":load " + (f.dir.path / "pol").string();
    c = f.s.complete(typed, typed.size());
    CHECK(c == std::vector<std::string>{"policies/", "policy-one.dta"});
  }

  TEST_CASE("on takes patterns separated by spaces or commas") {
    Fixture f;
    f.ok("on db.open, auth.*");
    CHECK(f.s.selected() == 4);
  }

  TEST_CASE("long scans report their progress") {
    TempDir dir;
    std::vector<std::string> seen;
    dta::repl::SessionOptions so;
    so.work_progress = [&](std::string_view what, uint64_t, uint64_t total) {
      seen.push_back(std::string(what) + "/" + std::to_string(total));
    };
    Session s(so);
    REQUIRE(s.load_events({dir.write("e.jsonl", kEvents)}).ok());
    REQUIRE(s.execute("where status > 0").ok());
    REQUIRE(!seen.empty());
    CHECK(seen[0] == "where/10");
  }

  TEST_CASE("a cancelled command stops and leaves the selection as it was") {
    TempDir dir;
    bool cancel = false;
    dta::repl::SessionOptions so;
    so.cancelled = [&] { return cancel; };
    Session s(so);
    REQUIRE(s.load_events({dir.write("e.jsonl", kEvents)}).ok());
    cancel = true;
    Reply r = s.execute("where status >= 500");
    CHECK(!r.ok());
    CHECK(has(r.error, "interrupted"));
    CHECK(s.selected() == 10);
    CHECK(!s.execute("count by service").ok());
    cancel = false;
    CHECK(s.execute("count by service").ok());
  }

  TEST_CASE("sub-expressions of an expression") {
    const std::string e = "errno != 0 and ends_with(path, \".db\") or not ok";
    auto subs = dta::repl::sub_expressions(e, 40);
    std::vector<std::string> texts;
    for (auto& s : subs) texts.push_back(e.substr(s.begin, s.end - s.begin));
    REQUIRE(texts.size() >= 6);
    CHECK(texts[0] == e);
    CHECK(texts[1] == "errno != 0 and ends_with(path, \".db\")");
    CHECK(texts[2] == "errno != 0");
    CHECK(texts[3] == "errno");
    CHECK(subs[3].depth == 3);
    CHECK(std::find(texts.begin(), texts.end(), "not ok") != texts.end());
    // unparsable: the whole text
    subs = dta::repl::sub_expressions("a == (b", 40);
    REQUIRE(subs.size() == 1);
    CHECK(dta::repl::field_names_read("a == 1 and f(b) or event.name == \"x\" and a > c") ==
          std::vector<std::string>{"a", "b", "c"});
    // a very deep expression does not overflow the stack
    std::string deep(100000, '(');
    subs = dta::repl::sub_expressions(deep + "x" + std::string(100000, ')'), 40);
    CHECK(subs.size() <= 40);
  }

  TEST_CASE("rule text: the where and the when blocks") {
    const std::string src =
        "rule r on a.b, c where x > 1 and (y or z) {\n  when p99(lat) every 1m > SLOW by svc, host { ok }\n}\n";
    auto rt = dta::repl::rule_text(src, 1, 1);
    CHECK(rt.where == "x > 1 and (y or z)");
    REQUIRE(rt.whens.size() == 1);
    CHECK(rt.whens[0].agg == "p99");
    CHECK(rt.whens[0].arg == "lat");
    CHECK(!rt.whens[0].sliding);
    CHECK(rt.whens[0].span == "1m");
    CHECK(rt.whens[0].threshold == "SLOW");
    CHECK(rt.whens[0].by == std::vector<std::string>{"svc", "host"});
  }

  TEST_CASE("the session's constants reach probes as literals, strings and lists included") {
    Fixture f;
    f.ok("const NAMES = [\"cart\", \"a{b}\\\"q\"]");
    f.ok("const RATIO = 2.5");
    f.ok("const HALF = 50%");
    f.ok("rule uses on http.request where service in NAMES and latency_ms * RATIO > HALF { ok }");
    f.ok("where service in NAMES and latency_ms * RATIO > HALF");
    CHECK(f.s.selected() == 4);
    const std::string decls = dta::repl::const_declarations(*f.s.program());
    CHECK(has(decls, "const NAMES = [\"cart\", \"a{b}\\\"q\"]"));
    CHECK(has(decls, "const RATIO = 2.5"));
  }

  TEST_CASE("value probes render each expression, <missing> for a miss") {
    TempDir dir;
    Session s;
    REQUIRE(s.load_events({dir.write("e.jsonl", kEvents)}).ok());
    auto p = dta::repl::Probe::values("const K = 2\n", {"status * K", "nope", "upper(service)"});
    REQUIRE(p);
    auto v = (*p)->eval(s.store(), 1);
    CHECK(v == std::vector<std::string>{"1006", "<missing>", "CART"});
  }
}
