// Language conveniences of issue 9 item 13: `expect N PATTERN ...` (met at
// the N-th matching arrival, `arrived` in `then`/`else`), round(x, digits) and dur(ns).
// Syntax, compile errors, run-time behaviour, profiles, export/import of a
// partly met expectation, the .dtb round trip.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <random>

#include "dta/disasm.hpp"
#include "dta/dtb.hpp"
#include "dta/stdlib.hpp"
#include "helpers.hpp"

namespace {

constexpr int64_t kSec = 1000000000;

// One JSON Lines event at `sec` seconds with `fields` (JSON members).
std::string ev(double sec, const std::string& name, const std::string& fields) {
  return fmt::format("{{\"ts\": {}, \"name\": \"{}\", \"fields\": {{{}}}}}\n", static_cast<int64_t>(sec * kSec), name,
                     fields);
}

std::vector<std::string> messages(const dta::Report& r) {
  std::vector<std::string> out;
  for (const dta::Finding& f : r.kept_findings) out.push_back(f.message);
  return out;
}

// The HDFS block lifecycle: a block is stored once three replicas report it.
const char* const kBlocks = R"dta(
event block.allocate { block: string }
event block.stored { block: string, node: string, bytes: int }
const REPLICAS = 3
rule stored on block.allocate {
  expect REPLICAS block.stored where bytes > 0 matching block within 10m
    then { info "block {block} stored ({arrived} replicas, last on {node})" }
    else { error "block {block}: {arrived} of {REPLICAS} replicas within 10m" }
}
profile single { set REPLICAS = 1 }
)dta";

std::string block_events() {
  std::string e;
  e += ev(1, "block.allocate", R"("block": "b1")");
  e += ev(2, "block.allocate", R"("block": "b2")");
  e += ev(3, "block.stored", R"("block": "b1", "node": "n1", "bytes": 64)");
  e += ev(4, "block.stored", R"("block": "b2", "node": "n1", "bytes": 64)");
  e += ev(5, "block.stored", R"("block": "b1", "node": "n2", "bytes": 0)");  // the where fails: not counted
  e += ev(6, "block.stored", R"("block": "b1", "node": "n3", "bytes": 64)");
  e += ev(7, "block.stored", R"("block": "b1", "node": "n4", "bytes": 64)");  // the third: met
  e += ev(8, "block.stored", R"("block": "b1", "node": "n5", "bytes": 64)");  // after: nothing waits
  e += ev(700, "tick", "");                                                   // past b2's deadline
  return e;
}

// The stdlib's round(), called directly.
struct Rounded {
  dta::Status status;
  dta::Value value;
};
Rounded call_round(const dta::Value& x, const dta::Value& digits) {
  size_t n = 0;
  const dta::Builtin* fns = dta::stdlib_functions(&n);
  for (size_t i = 0; i < n; ++i) {
    if (std::strcmp(fns[i].name, "round") != 0) continue;
    const dta::Value args[2] = {x, digits};
    dta::Arena arena;
    Rounded r{dta::Status::Ok, {}};
    r.status = fns[i].fn(args, r.value, arena);
    return r;
  }
  FAIL("no round() in the stdlib");
  return {};
}
double round_f(double x, int64_t d) {
  const Rounded r = call_round(dta::Value::of_float(x), dta::Value::of_int(d));
  REQUIRE(r.status == dta::Status::Ok);
  REQUIRE(r.value.type == dta::Type::Float);
  return r.value.f;
}

// The message of the only finding of a rule printing `tmpl`.
std::string render(const std::string& tmpl, const std::string& fields = "\"x\": 1") {
  const dta::Report r = dta::test::run("rule r on e { info \"" + tmpl + "\" }", ev(1, "e", fields));
  return r.kept_findings.empty() ? "<none>" : r.kept_findings[0].message;
}

// Whether `cond` holds on one event with `fields` (and the rule's misses).
std::string where(const std::string& cond, const std::string& fields = "\"x\": 1", const std::string& decl = "") {
  const dta::Report r = dta::test::run(decl + "rule r on e where " + cond + " { ok }", ev(1, "e", fields));
  const dta::RuleReport rr = dta::test::rule(r, "r");
  if (rr.matched) return "true";
  if (rr.arith_error) return "arith_error";
  if (rr.type_error) return "type_error";
  if (rr.missing_field) return "missing_field";
  return "false";
}

std::unique_ptr<dta::Engine> engine(const std::shared_ptr<const dta::Program>& prog, const std::string& profile = "") {
  dta::EngineOptions opts;
  opts.profile = profile;
  std::string err;
  auto e = dta::Engine::create(prog, opts, &err);
  REQUIRE_MESSAGE(e, err);
  return e;
}

// Feeds JSON Lines text to an engine.
void feed(dta::Engine& e, const std::string& events) {
  std::string err;
  std::FILE* f = fmemopen(const_cast<char*>(events.data()), events.size(), "r");
  REQUIRE(f);
  dta::replay_stream(f, e, nullptr, &err);
  std::fclose(f);
}

}  // namespace

TEST_SUITE("lang") {
  // ---------------------------------------------------------------- syntax

  TEST_CASE("expect N: the count is an int literal or a constant, before the pattern") {
    CHECK(dta::test::ast_of("rule r on a { expect 3 b matching k within 1s else { ok } }") ==
          "(rule r (on a) (expect (count 3) (on b) (matching k) (within 1s:1000000000) (else (ok))))\n");
    CHECK(dta::test::ast_of("rule r on a { expect N b.c, d.* matching k within 1s then { ok } }") ==
          "(rule r (on a) (expect (count N) (on b.c d.*) (matching k) (within 1s:1000000000) (then (ok))))\n");
    // every spec example keeps its meaning: no count, the same tree as before
    CHECK(dta::test::ast_of("rule request_finishes on http.start {\n"
                            "  expect http.finish matching req_id within 5s else {\n"
                            "    error \"request {req_id} did not finish within 5s\"\n  }\n}") ==
          "(rule request_finishes (on http.start) (expect (on http.finish) (matching req_id) (within 5s:5000000000) "
          "(else (error (tmpl \"request \" {req_id} \" did not finish within 5s\")))))\n");
    // a one-word pattern named like a keyword, with and without a count
    CHECK(dta::test::ast_of("rule r on a { expect count matching k within 1s else { ok } }") ==
          "(rule r (on a) (expect (on count) (matching k) (within 1s:1000000000) (else (ok))))\n");
    CHECK(dta::test::ast_of("rule r on a { expect 2 count matching k within 1s else { ok } }") ==
          "(rule r (on a) (expect (count 2) (on count) (matching k) (within 1s:1000000000) (else (ok))))\n");
    // a sign is not part of a count
    CHECK(dta::test::ast_of("rule r on a { expect -1 b matching k within 1s else { ok } }").rfind("error: ", 0) == 0);
  }

  TEST_CASE("bad counts are compile errors") {
    const std::string tail = " b matching k within 1s else { ok } }";
    auto errs = [&](const std::string& decl, const std::string& count) {
      return dta::test::errors(decl + "rule r on a { expect " + count + tail);
    };
    using V = std::vector<std::string>;
    CHECK(errs("", "0") == V{"1:22: the count of 'expect' must be between 1 and 1000000, not 0"});
    CHECK(errs("", "1000001") == V{"1:22: the count of 'expect' must be between 1 and 1000000, not 1000001"});
    CHECK(errs("", "99999999999999999999") == V{"1:22: integer literal '99999999999999999999' out of range"});
    CHECK(errs("const N = 0\n", "N") == V{"2:22: the count of 'expect' must be between 1 and 1000000, and N is 0"});
    CHECK(errs("const N = 2.5\n", "N") == V{"2:22: the count of 'expect' must be an int, not float (N is float)"});
    CHECK(errs("const N = \"3\"\n", "N") == V{"2:22: the count of 'expect' must be an int, not string (N is string)"});
    CHECK(errs("const N = 5s\n", "N") ==  // a duration is an int of ns: a slip, caught by the bound
          V{"2:22: the count of 'expect' must be between 1 and 1000000, and N is 5000000000"});
    CHECK(
        errs("const REPLICAS = 3\n", "REPLICA") ==
        V{"2:22: the count of 'expect' must be an int literal or constant, not 'REPLICA' (did you mean 'REPLICAS'?)"});
    CHECK(errs("", "a") ==  // a ',' forgotten between two patterns
          V{"1:22: the count of 'expect' must be an int literal or constant, not 'a' (for two patterns, write 'a, "
            "...')"});
    CHECK(errs("", "1000000").empty());
    CHECK(errs("", "1").empty());
    // a profile may change the count, within the same bounds
    const std::string counted = "const N = 3\nrule r on a { expect N" + tail + "\n";
    CHECK(dta::test::errors(counted + "profile p { set N = 2 }").empty());
    CHECK(dta::test::errors(counted + "profile p { set N = 0 }") ==
          V{"3:13: profile 'p' sets N to 0, but N is the count of 'expect' (line 2), which must be between 1 and "
            "1000000"});
    CHECK(dta::test::errors(counted + "profile p { set N = 2000000 }") ==
          V{"3:13: profile 'p' sets N to 2000000, but N is the count of 'expect' (line 2), which must be between 1 and "
            "1000000"});
    CHECK(dta::test::errors(counted + "profile p { set N = 1.5 }") == V{"3:21: profile 'p' sets N (int) to a float"});
  }

  TEST_CASE("arrived: in then and else of a counted expectation; a field everywhere else") {
    const char* schema = "event a { k: int }\nevent b { k: int, arrived: int }\n";
    using V = std::vector<std::string>;
    auto errs = [&](const std::string& rule) { return dta::test::errors(schema + rule); };
    CHECK(
        errs("rule r on a { expect 2 b matching k within 1s then { info \"{arrived}\" } else { info \"{arrived}\" } }")
            .empty());
    // in the expectation's own where the count is not known yet
    CHECK(errs("rule r on a { expect 2 b where arrived > 1 matching k within 1s else { ok } }") ==
          V{"3:32: 'arrived' is known in 'then' and 'else', not in the expectation's 'where' (write field(\"arrived\") "
            "for a field of that name)"});
    CHECK(errs("rule r on a { expect 2 b where field(\"arrived\") > 1 matching k within 1s else { ok } }").empty());
    // without a count, `arrived` stays a field (what a policy meant before counts existed)
    CHECK(errs("rule r on a { expect b matching k within 1s then { info \"{arrived}\" } }").empty());
    CHECK(errs("rule r on a { expect b matching k within 1s else { info \"{arrived}\" } }") ==
          V{"3:59: unknown field 'arrived' on event 'a'"});  // else runs with the first event
    CHECK(errs("rule r on a { info \"{arrived}\" }") == V{"3:22: unknown field 'arrived' on event 'a'"});
    // it is an int
    CHECK(errs("rule r on a { expect 2 b matching k within 1s else { info \"{arrived + 1}\" observe m arrived } }")
              .empty());
    CHECK(errs("rule r on a { expect 2 b matching k within 1s else { info \"{lower(arrived)}\" } }") ==
          V{"3:67: argument 1 of 'lower' cannot be int"});
  }

  // ---------------------------------------------------------------- run time

  TEST_CASE("the N-th matching arrival meets the expectation; else says how many came") {
    const dta::Report r = dta::test::run(kBlocks, block_events());
    CHECK(messages(r) ==
          std::vector<std::string>{"block b1 stored (3 replicas, last on n4)", "block b2: 1 of 3 replicas within 10m"});
    REQUIRE(r.kept_findings.size() == 2);
    CHECK(r.kept_findings[0].ts == 7 * kSec);  // the third arrival
    CHECK(r.kept_findings[0].event == "block.stored");
    CHECK(r.kept_findings[1].ts == 602 * kSec);  // b2's deadline
    CHECK(r.kept_findings[1].event == "block.allocate");
    const dta::RuleReport rr = dta::test::rule(r, "stored");
    CHECK(rr.matched == 2);
    CHECK(rr.fired == 2);
    CHECK(r.findings[0] == 1);  // one error
    CHECK(r.failed());
    // the same policy where one replica is enough
    const dta::Report one = dta::test::run(kBlocks, block_events(), "single");
    CHECK(messages(one) == std::vector<std::string>{"block b1 stored (1 replicas, last on n1)",
                                                    "block b2 stored (1 replicas, last on n1)"});
  }

  TEST_CASE("counts: deadlines, a start that is also an arrival, one arrival for every pending expectation") {
    const std::string policy =
        "rule r on a { expect 2 b matching k within 10s then { info \"met {k} {arrived} at {event.ts}\" } "
        "else { warning \"{k}: {arrived}\" } }\n"
        "rule chain on c { expect 2 c matching k within 10s then { info \"chain {k}\" } }\n";
    std::string e;
    e += ev(0, "a", R"("k": 1)");
    e += ev(1, "a", R"("k": 1)");   // a second pending expectation for k 1
    e += ev(2, "b", R"("k": 1)");   // counts for both
    e += ev(3, "b", R"("k": 2)");   // no expectation for k 2: ignored
    e += ev(10, "b", R"("k": 1)");  // at the first one's deadline: still in time; meets both
    e += ev(20, "a", R"("k": 3)");
    e += ev(21, "b", R"("k": 3)");
    e += ev(40, "c", R"("k": 9)");  // starts; is not its own arrival
    e += ev(41, "c", R"("k": 9)");  // one arrival for the first, starts a second
    e += ev(42, "c", R"("k": 9)");  // the second arrival of the first, the first of the second
    const dta::Report r = dta::test::run(policy, e);
    CHECK(messages(r) ==
          std::vector<std::string>{"met 1 2 at 10000000000", "met 1 2 at 10000000000", "3: 1", "chain 9"});
    CHECK(dta::test::rule(r, "r").fired == 3);
    // what still waits: the second and third chain expectations, one arrival each
    REQUIRE(r.pending.size() == 2);
    for (const dta::PendingItem& p : r.pending) {
      CHECK(p.rule == "chain");
      CHECK(p.kind == "expectation");
    }
    CHECK(r.pending[0].state == "1 of 2 arrived");
    CHECK(r.pending[1].state == "0 of 2 arrived");
    CHECK(r.pending_expectations == 2);
  }

  TEST_CASE("a count of 1 is the plain expectation, with arrived") {
    const std::string events =
        ev(0, "a", R"("k": 1)") + ev(1, "b", R"("k": 1)") + ev(2, "a", R"("k": 2)") + ev(30, "tick", "");
    const dta::Report plain = dta::test::run(
        "rule r on a { expect b matching k within 5s then { info \"{k}\" } else { info \"{k} late\" } }", events);
    const dta::Report one = dta::test::run(
        "rule r on a { expect 1 b matching k within 5s then { info \"{k}\" } else { info \"{k} late\" } }", events);
    CHECK(messages(one) == messages(plain));
    CHECK(messages(one) == std::vector<std::string>{"1", "2 late"});
    const dta::Report with = dta::test::run(
        "rule r on a { expect 1 b matching k within 5s then { info \"{arrived}\" } else { info \"{arrived}\" } }",
        events);
    CHECK(messages(with) == std::vector<std::string>{"1", "0"});
    CHECK(with.pending.empty());
  }

  TEST_CASE("a partly met expectation survives export and import, through the byte format") {
    auto prog = dta::test::compiled(kBlocks);
    REQUIRE(prog);
    auto first = engine(prog);
    std::string part;
    part += ev(1, "block.allocate", R"("block": "b1")");
    part += ev(2, "block.allocate", R"("block": "b2")");
    part += ev(3, "block.stored", R"("block": "b1", "node": "n1", "bytes": 64)");
    part += ev(4, "block.stored", R"("block": "b1", "node": "n2", "bytes": 64)");
    part += ev(5, "block.stored", R"("block": "b2", "node": "n1", "bytes": 64)");
    feed(*first, part);
    const std::string bytes = dta::encode_state(first->export_state());
    auto snapshot = dta::decode_state(bytes);
    REQUIRE_MESSAGE(snapshot.ok(), snapshot.error());

    // a recompiled policy with another rule before it: the same site
    auto second_prog = dta::test::compiled(std::string("rule other on x { ok }\n") + kBlocks);
    REQUIRE(second_prog);
    auto second = engine(second_prog);
    auto imported = second->import_state(*snapshot);
    REQUIRE(imported.ok());
    CHECK(imported->skipped.empty());
    CHECK(imported->imported == 1);
    feed(*second, ev(6, "block.stored", R"("block": "b1", "node": "n3", "bytes": 64)") + ev(700, "tick", ""));
    second->finish();
    CHECK(messages(second->report()) ==
          std::vector<std::string>{"block b1 stored (3 replicas, last on n3)", "block b2: 1 of 3 replicas within 10m"});

    // pending items say how far each one got, before and after the move
    auto third = engine(second_prog);
    REQUIRE(third->import_state(*snapshot).ok());
    third->finish();
    const dta::Report r3 = third->report();
    REQUIRE(r3.pending.size() == 2);
    CHECK(r3.pending[0].state == "2 of 3 arrived");
    CHECK(r3.pending[1].state == "1 of 3 arrived");

    // a profile that lowers the count keeps the state (the count is not in the shape): the next arrival meets it
    auto single = engine(prog, "single");
    REQUIRE(single->import_state(*snapshot).ok());
    feed(*single, ev(6, "block.stored", R"("block": "b2", "node": "n9", "bytes": 64)"));
    CHECK(messages(single->report()) == std::vector<std::string>{"block b2 stored (2 replicas, last on n9)"});
  }

  TEST_CASE("state without arrivals keeps the earlier layout; bad arrival bytes are refused") {
    const std::string plain = "rule r on a { expect b matching k within 9s else { ok } }";
    const std::string counted = "rule r on a { expect 3 b matching k within 9s else { ok } }";
    auto p1 = dta::test::compiled(plain);
    auto p3 = dta::test::compiled(counted);
    REQUIRE(p1);
    REQUIRE(p3);
    CHECK(p1->rules[0].expects[0].site.shape == p3->rules[0].expects[0].site.shape);
    const std::string starts = ev(1, "a", R"("k": 1)") + ev(2, "a", R"("k": 2)");
    auto e1 = engine(p1);
    auto e3 = engine(p3);
    feed(*e1, starts);
    feed(*e3, starts);
    const dta::StateSnapshot s1 = e1->export_state(), s3 = e3->export_state();
    REQUIRE(s1.sites.size() == 1);
    REQUIRE(s3.sites.size() == 1);
    CHECK(s1.sites[0].bytes == s3.sites[0].bytes);  // nothing arrived: no arrivals section
    feed(*e3, ev(3, "b", R"("k": 2)"));
    const dta::StateSnapshot partly = e3->export_state();
    CHECK(partly.sites[0].bytes.size() > s3.sites[0].bytes.size());  // the section: count, then id and arrivals
    // a plain expectation takes the state of a counted one: one more arrival meets it
    auto plain_engine = engine(p1);
    auto imported = plain_engine->import_state(partly);
    REQUIRE(imported.ok());
    CHECK(imported->skipped.empty());

    auto refused = [&](const std::string& tail) {
      dta::StateSnapshot bad = s3;
      bad.sites[0].bytes += tail;
      auto e = engine(p3);
      auto r = e->import_state(bad);
      REQUIRE(r.ok());
      REQUIRE(r->skipped.size() == 1);
      CHECK(r->skipped[0].find("malformed") != std::string::npos);
      e->finish();
      return e->report().pending.empty();  // the site is left empty
    };
    CHECK(refused(std::string("\x00", 1)));  // an empty section is never written
    CHECK(refused("\x01\x07\x01"));          // an id that is not pending
    CHECK(refused("\x01\x01\x00"));          // zero arrivals
    CHECK(refused("\x02\x01\x01\x01\x02"));  // the same expectation twice
    CHECK(refused("\x01\x01\xC1\x84\x3D"));  // 1,000,001 arrivals: beyond any count
    CHECK(refused("\x01\x01"));              // truncated
    // every truncation and every flipped byte of a partly met site is refused or
    // loads something the engine runs (never a crash: the ASan build checks)
    const std::string site = partly.sites[0].bytes;
    const size_t list_end = site.size() - 3;  // then the section: one expectation, id 2, one arrival
    CHECK(site.substr(list_end) == "\x01\x02\x01");
    for (size_t at = 0; at < site.size(); ++at) {
      for (int flip = 0; flip < 2; ++flip) {
        dta::StateSnapshot bad = partly;
        bad.sites[0].bytes = flip ? site : site.substr(0, at);
        if (flip) bad.sites[0].bytes[at] ^= static_cast<char>(0x41);
        auto e = engine(p3);
        auto r = e->import_state(bad);
        REQUIRE(r.ok());
        if (!flip) CHECK(r->skipped.size() == (at == list_end ? 0u : 1u));  // cut before the section: valid
        feed(*e, ev(4, "b", R"("k": 2)") + ev(5, "b", R"("k": 1)") + ev(30, "tick", ""));
        e->finish();
      }
    }
    // and the good section, written by hand, loads
    dta::StateSnapshot good = s3;
    good.sites[0].bytes += "\x01\x02\x02";  // expectation 2 (k 2) has two arrivals
    auto e = engine(p3);
    REQUIRE(e->import_state(good).ok());
    feed(*e, ev(3, "b", R"("k": 2)") + ev(4, "b", R"("k": 1)"));
    e->finish();
    const dta::Report r = e->report();
    REQUIRE(r.pending.size() == 1);
    CHECK(r.pending[0].state == "1 of 3 arrived");
    CHECK(dta::test::rule(r, "r").fired == 0);  // k 2 was met by `then`, which it does not have
  }

  TEST_CASE(".dtb: the count round-trips, is disassembled and verified") {
    auto prog = dta::test::compiled(kBlocks);
    REQUIRE(prog);
    const std::string bytes = dta::save_dtb(*prog);
    auto loaded = dta::load_dtb(bytes);
    REQUIRE_MESSAGE(loaded.ok(), loaded.error());
    size_t n = 0;
    const dta::Builtin* fns = dta::stdlib_functions(&n);
    std::unique_ptr<dta::Program> back = std::move(*loaded);
    REQUIRE((*back).finalize(fns, n).ok());
    CHECK(back->rules[0].expects[0].count_k == prog->rules[0].expects[0].count_k);
    CHECK(dta::save_dtb(*back) == bytes);
    const std::string dis = dta::disassemble(*back);
    CHECK(dis == dta::disassemble(*prog));
    CHECK(dis.find("count=K") != std::string::npos);
    std::shared_ptr<const dta::Program> shared = std::move(back);
    for (const char* profile : {"", "single"}) {
      auto a = engine(prog, profile), b = engine(shared, profile);
      feed(*a, block_events());
      feed(*b, block_events());
      a->finish();
      b->finish();
      CHECK(messages(a->report()) == messages(b->report()));
    }

    // a count that names a string constant, or no constant, is refused
    auto mutated = [&](auto&& edit) {
      auto p = dta::load_dtb(bytes);
      REQUIRE(p.ok());
      edit(**p);
      return (*p)->finalize(fns, n);
    };
    const dta::Outcome string_count = mutated([](dta::Program& p) {
      p.consts.push_back(dta::Const{dta::Type::String, 0, 0, false, "3", {}});
      p.rules[0].expects[0].count_k = static_cast<int32_t>(p.consts.size() - 1);
    });
    CHECK(!string_count.ok());
    CHECK(string_count.error().find("the count of expect 0 of rule 'stored' is not an int constant") !=
          std::string::npos);
    const dta::Outcome out_of_range = mutated([](dta::Program& p) { p.rules[0].expects[0].count_k = 9999; });
    CHECK(!out_of_range.ok());
    // a count of 0 or below in a .dtb (the compiler refuses it) runs as 1; a huge one as the largest
    for (const int64_t count : {int64_t{0}, int64_t{-5}, int64_t{1} << 40}) {
      auto p = dta::load_dtb(bytes);
      REQUIRE(p.ok());
      dta::Program& prog2 = **p;
      prog2.consts.push_back(dta::Const{dta::Type::Int, count, 0, false, "", {}});
      prog2.rules[0].expects[0].count_k = static_cast<int32_t>(prog2.consts.size() - 1);
      REQUIRE(prog2.finalize(fns, n).ok());
      std::shared_ptr<const dta::Program> sp = std::move(*p);
      auto e = engine(sp);
      feed(*e, block_events());
      e->finish();
      const auto msgs = messages(e->report());
      REQUIRE(msgs.size() == 2);
      CHECK(msgs[0] == (count == int64_t{1} << 40 ? "block b1: 4 of 3 replicas within 10m"
                                                  : "block b1 stored (1 replicas, last on n1)"));
    }
  }

  // ---------------------------------------------------------------- round()

  TEST_CASE("round(x, digits): as the number reads, half away from zero; ints stay ints") {
    CHECK(render("{round(1817.1961994449757, 2)} ms") == "1817.2 ms");
    CHECK(render("{round(48847.71500000001, 2)}") == "48847.72");
    CHECK(render("{round(x, 2)}", "\"x\": 0.1") == "0.1");
    CHECK(render("{round(2.5, 0)} {round(-2.5, 0)} {round(0.5, 0)} {round(0.49, 0)}") == "3 -3 1 0");
    CHECK(render("{round(1.005, 2)} {round(0.285, 2)} {round(2.675, 2)}") == "1.01 0.29 2.68");
    CHECK(render("{round(9.96, 1)} {round(99.95, 1)} {round(-0.001, 2)}") == "10 100 0");
    CHECK(render("{round(1234.5678, -2)} {round(0.000123456, 5)}") == "1200 0.00012");
    CHECK(render("{round(7, 2)} {round(1234, -2)} {round(1250, -2)} {round(-1250, -2)} {round(-1249, -2)}") ==
          "7 1200 1300 -1300 -1200");
    CHECK(render("{round(d, -6)} ms", "\"d\": 1817196199") == "1817000000 ms");
    CHECK(render("{round(x, 1)}", "\"x\": 3") == "3");       // an int field at run time
    CHECK(render("{round(x, 1)}", "\"x\": 3.25") == "3.3");  // a float one
    // digits beyond any double change nothing (or everything)
    CHECK(render("{round(1.5e-300, 400)} {round(1e300, -400)} {round(123, -30)}") == "1.5e-300 0 0");
    CHECK(render("{round(x, 1)}", "\"x\": 1e308") == "1e+308");
  }

  TEST_CASE("round: types at compile time, misses at run time") {
    using V = std::vector<std::string>;
    CHECK(dta::test::errors("rule r on e where round(x) > 1 { ok }") == V{"1:19: 'round' takes 2 arguments, not 1"});
    CHECK(dta::test::errors("rule r on e where round(x, 1.5) > 1 { ok }") ==
          V{"1:28: argument 2 of 'round' cannot be float"});
    CHECK(dta::test::errors("rule r on e where round(\"a\", 1) > 1 { ok }") ==
          V{"1:25: argument 1 of 'round' cannot be string"});
    CHECK(dta::test::errors("event e { s: string, f: float }\nrule r on e where round(f, s) > 1 { ok }") ==
          V{"2:28: argument 2 of 'round' cannot be string"});
    // the result has x's type: an int compares with strings only as a mistake
    CHECK(dta::test::errors("event e { n: int }\nrule r on e where round(n, -1) == \"x\" { ok }") ==
          V{"2:32: cannot compare int == string"});
    CHECK(dta::test::errors("event e { f: float }\nrule r on e where round(f, 1) + 1 > 2 and round(f, 1) < 2.5 { ok }")
              .empty());
    // run time (fields typed when they arrive)
    CHECK(where("round(x, 1) == 1.3", "\"x\": 1.25") == "true");
    CHECK(where("round(x, 1) > 0", "\"x\": \"a\"") == "type_error");
    CHECK(where("round(x, d) > 0", "\"x\": 1.5, \"d\": 1.0") == "type_error");  // digits must be an int
    CHECK(where("round(x, d) > 0", "\"x\": 1.5, \"d\": \"1\"") == "type_error");
    CHECK(where("round(x, 1) > 0", "\"y\": 1") == "missing_field");
    CHECK(where("round(x, -1) > 0", "\"x\": 9223372036854775807") == "arith_error");  // beyond int64
    CHECK(where("round(x, -19) > 0", "\"x\": -9223372036854775807") == "arith_error");
    CHECK(where("round(x, -19) == 0", "\"x\": 4999999999999999999") == "true");
    CHECK(where("round(x, -308) > 0", "\"x\": 1.7976931348623157e308") == "arith_error");  // beyond double
    CHECK(where("round(x, 2) == x", "\"x\": 1e400") == "true");                            // infinity stays infinity
  }

  // ---------------------------------------------------------------- dur()

  TEST_CASE("dur(ns): durations and time differences as the language writes durations") {
    CHECK(render("timeout {dur(30m)}") == "timeout 30m");
    CHECK(render("{dur(T)}", "\"x\": 1") == "<missing>");  // T is a field here, and absent
    CHECK(dta::test::run("const T = 1800s\nrule r on e { info \"{T} is {dur(T)}\" }", ev(1, "e", "\"x\": 1"))
              .kept_findings.at(0)
              .message == "1800000000000 is 30m");  // a plain hole keeps the spec's rendering
    CHECK(render("{dur(x)}", "\"x\": 1500000") == "1.5ms");
    CHECK(render("{dur(x)}", "\"x\": 5400000000000") == "1h30m");
    CHECK(render("{dur(x)}", "\"x\": -3000000000") == "-3s");
    CHECK(render("{dur(x)}", "\"x\": 0") == "0s");
    CHECK(render("{dur(x)}", "\"x\": -9223372036854775808") == "-106751d23h47m16.854s");
    CHECK(render("{dur(x)}", "\"x\": 1.5") == "<missing>");  // a float is a type error
    using V = std::vector<std::string>;
    CHECK(dta::test::errors("rule r on e where dur(\"a\") == \"1s\" { ok }") ==
          V{"1:23: argument 1 of 'dur' cannot be string"});
    CHECK(where("dur(x) == \"2s\"", "\"x\": 2000000000") == "true");
  }

  TEST_CASE("round: random values against what the result must be") {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> mant(-10, 10);
    std::uniform_int_distribution<int> exp10(-12, 12), digits(-6, 14);
    for (int i = 0; i < 20000; ++i) {
      const double x = mant(rng) * std::pow(10.0, exp10(rng));
      const int d = digits(rng);
      CAPTURE(x);
      CAPTURE(d);
      const double r = round_f(x, d);
      const double unit = std::pow(10.0, -d);
      // within half a unit of the place (and a little for binary error), no further
      CHECK(std::fabs(r - x) <= unit / 2 * (1 + 1e-9) + std::fabs(x) * 1e-15);
      // a whole number of units, as it reads
      const std::string text = fmt::format("{}", r);
      if (d >= 0 && text.find('e') == std::string::npos) {
        const size_t dot = text.find('.');
        CHECK((dot == std::string::npos || text.size() - dot - 1 <= static_cast<size_t>(d)));
      }
      if (d < 0) CHECK(std::fabs(std::remainder(r, unit)) <= unit * 1e-9);
      // idempotent and odd
      CHECK(round_f(r, d) == r);
      CHECK(round_f(-x, d) == (r == 0 ? 0.0 : -r));
    }
    // ints: against exact integer arithmetic
    std::uniform_int_distribution<int64_t> ints(-1000000000000, 1000000000000);
    for (int i = 0; i < 20000; ++i) {
      const int64_t x = ints(rng);
      const int d = digits(rng) - 6;  // -12 .. 8
      const Rounded r = call_round(dta::Value::of_int(x), dta::Value::of_int(d));
      REQUIRE(r.status == dta::Status::Ok);
      REQUIRE(r.value.type == dta::Type::Int);
      if (d >= 0) {
        CHECK(r.value.i == x);
        continue;
      }
      int64_t unit = 1;
      for (int k = 0; k < -d; ++k) unit *= 10;
      const int64_t mag = x < 0 ? -x : x, q = mag / unit + (2 * (mag % unit) >= unit ? 1 : 0);
      CHECK(r.value.i == (x < 0 ? -q * unit : q * unit));
    }
  }
}
