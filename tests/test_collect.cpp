// Flight recorders and diagnostic collection (spec 8, issue 11 items 1-4 and
// 8): recorders through the compiler, the rings, dumps that replay, budgets
// at their edges, redaction in every file written, hostile values, snapshot
// and process collectors, the host's collection thread, and no allocation
// per recorded event in the steady state.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <thread>

#include "dta/cost.hpp"
#include "dta/disasm.hpp"
#include "dta/dta.hpp"
#include "dta/dtb.hpp"
#include "dta/report_json.hpp"
#include "dta/stdlib.hpp"
#include "helpers.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;

// ---------------------------------------------------------------- counting allocator
// Counts allocations on this thread while armed: the recording path must not allocate.
namespace {
thread_local bool g_count_allocs = false;
thread_local uint64_t g_allocs = 0;
}  // namespace
void* operator new(std::size_t n) {
  if (g_count_allocs) ++g_allocs;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (g_count_allocs) ++g_allocs;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// The nothrow forms too (std::stable_sort's buffer uses them): every new here
// pairs with a delete here, or a sanitizer sees a new freed by another allocator.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (g_count_allocs) ++g_allocs;
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  if (g_count_allocs) ++g_allocs;
  return std::malloc(n ? n : 1);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using dta::test::compiled;
using dta::test::errors;

// A fresh, empty directory for one test.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) {
    path = fs::temp_directory_path() / fmt::format("dta-collect-{}-{}", name, static_cast<long>(getpid()));
    fs::remove_all(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string str() const { return path.string(); }
};

std::string slurp(const fs::path& p) { return dta::test::slurp(p.string()); }

// Runs `policy` over `events` with collections going to `dir` (the report).
dta::Report run_into(const std::string& policy, const std::string& events, const std::string& dir,
                     const std::string& profile = "", dta::CollectOptions co = {}) {
  dta::EngineOptions opts;
  co.dir = dir;
  opts.collect = dta::directory_sink(std::move(co));
  return dta::test::run(policy, events, profile, opts);
}

// `n` events db.query {i: k}, one per second from t0 (ns).
std::string queries(int n, int64_t t0 = 1764151200000000000, const char* name = "db.query") {
  std::string out;
  for (int k = 0; k < n; ++k)
    out += fmt::format("{{\"ts\":{},\"name\":\"{}\",\"severity\":\"info\",\"fields\":{{\"i\":{}}}}}\n",
                       t0 + k * 1000000000LL, name, k);
  return out;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t nl = text.find('\n', at);
    out.push_back(text.substr(at, nl - at));
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return out;
}

// Every regular file under `dir`, relative, sorted.
std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() || e.is_symlink()) out.push_back(fs::relative(e.path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_SUITE("collect") {
  TEST_CASE("recorders in the compiler: the AST, sites, the .dtb and the disassembly") {
    CHECK(dta::test::ast_of("recorder txn capacity 128 on * by txn_id idle 30s") ==
          "(recorder txn (capacity 128) (on *) (by txn_id) (idle 30s:30000000000))\n");
    CHECK(dta::test::ast_of("recorder main capacity 4096") == "(recorder main (capacity 4096))\n");
    const std::string policy = R"(recorder main capacity 4096
recorder db capacity 512 on db.*
recorder txn capacity 128 on * by txn_id idle 30s
rule r on db.open where errno != 0 { error "x" collect recorder main collect recorder db collect snapshot "heap" collect process }
rule ok on txn.commit { discard recorder txn }
)";
    auto prog = compiled(policy);
    REQUIRE(prog);
    REQUIRE(prog->recorders.size() == 3);
    CHECK(prog->recorders[0].site.id == "recorder/main");
    CHECK(prog->recorders[0].patterns == std::vector<std::string>{"*"});
    CHECK(prog->recorders[2].key == "txn_id");
    CHECK(prog->rules[0].actions[1].kind == dta::ActionKind::CollectRecorder);
    CHECK(prog->rules[0].actions[1].recorder == 0);
    CHECK(prog->rules[1].actions[0].kind == dta::ActionKind::Discard);
    const std::string text = dta::disassemble(*prog);
    CHECK(text.find("recorder 2 txn") != std::string::npos);
    CHECK(text.find("kind=CollectRecorder") == std::string::npos);  // kinds are shown by name
    CHECK(text.find("recorder=main") != std::string::npos);
    // Through a .dtb (v7) and back: the same program.
    const std::string bytes = dta::save_dtb(*prog);
    auto back = dta::load_dtb(bytes);
    REQUIRE(back);
    size_t n = 0;
    const dta::Builtin* fns = dta::stdlib_functions(&n);
    REQUIRE((*back)->finalize(fns, n));
    CHECK(dta::disassemble(**back) == text);
    // Cost: a recorder is a unit; a collect costs its ring.
    bool saw = false;
    for (const dta::UnitCost& u : dta::program_cost(*prog, -1))
      if (u.kind == "recorder" && u.name == "txn")
        saw = u.total.instructions == dta::kCostRecord + dta::kCostStateUpdate;
    CHECK(saw);
  }

  TEST_CASE("recorder mistakes are compile errors at their place") {
    using V = std::vector<std::string>;
    CHECK(errors("recorder main capacity 8\nrule r on a { collect recorder mian }") ==
          V{"2:32: unknown recorder 'mian' (did you mean 'main'?)"});
    CHECK(errors("rule r on a { collect recorder main }") ==
          V{"1:32: unknown recorder 'main' (the policy declares no recorder)"});
    CHECK(errors("recorder main capacity 8\nrule r on a { discard recorder main }") ==
          V{"2:32: recorder 'main' has no key: 'discard' drops one key's ring, so it needs a recorder declared with "
            "'by KEY'"});
    CHECK(errors("recorder main capacity 8\nrecorder main capacity 9") ==
          V{"2:10: recorder 'main' is defined twice (first at line 1)"});
    CHECK(errors("event db.open { path: string }\nrecorder r capacity 8 on db.open by pth") ==
          V{"2:37: event 'db.open' has no field 'pth', the key of recorder 'r' (did you mean 'path'?)"});
    CHECK(errors("recorder r capacity 8 idle 30s") ==
          V{"1:28: 'idle' drops a key's ring once the key is quiet: recorder 'r' has no key ('by KEY')"});
    CHECK(errors("recorder r capacity 0") == V{"1:21: a recorder's capacity is 1 to 1048576 events, not 0"});
    CHECK(errors("rule r on a { collect snapshot \"../x\" }") ==
          V{"1:32: a snapshot name is 1 to 64 letters, digits, '_', '-' or '.', not \"../x\""});
    // recorder_memory: a profile whose recorders cannot fit does not compile; the message names them.
    const V mem = errors(
        "recorder big capacity 4096\nrecorder txn capacity 128 by t\n"
        "profile production { budget { recorder_memory: 1MB } }");
    REQUIRE(mem.size() == 1);
    CHECK(mem[0].starts_with("3:31: profile 'production' cannot load: the recorders need 18874368 bytes (18 MiB: "));
    CHECK(mem[0].find("'big' 4096 x 512 B = 2 MiB") != std::string::npos);
    CHECK(mem[0].find("'txn' 128 x 512 B x 256 keys = 16 MiB") != std::string::npos);
    CHECK(mem[0].ends_with("over recorder_memory 1048576 bytes (1 MiB)"));
    CHECK(errors("recorder main capacity 2048\nprofile production { budget { recorder_memory: 1MB } }").empty());
  }

  TEST_CASE("spec 8's examples compile, and the production budget holds them") {
    const std::string policy = R"(
recorder main capacity 4096                           // every event (after filters)
recorder db   capacity 512 on db.*                     // only db events
recorder txn  capacity 128 on * by txn_id idle 30s     // one ring per transaction
rule db_open_failed on db.open where errno != 0 { error "cannot open {path}" collect recorder db }
profile production {
    budget { disk: 256MB, dumps: 10 per 1h, recorder_memory: 32MB, cpu: 2% }
}
)";
    CHECK(errors(policy).empty());
    // 4096 x 512 + 512 x 512 + 128 x 512 x 256 = 18.25 MiB <= 32 MB: it loads under production.
    auto prog = compiled(policy);
    REQUIRE(prog);
    dta::EngineOptions o;
    o.profile = "production";
    std::string err;
    CHECK(dta::Engine::create(prog, o, &err));
  }

  TEST_CASE("spec 8's recorders run: every event, only db events, one ring per transaction") {
    TempDir dir("spec8");
    const std::string policy = R"(
recorder main capacity 4096                           // every event (after filters)
recorder db   capacity 512 on db.*                     // only db events
recorder txn  capacity 128 on * by txn_id idle 30s     // one ring per transaction
rule failed on txn.fail { collect recorder main collect recorder db collect recorder txn }
rule committed on txn.commit { discard recorder txn }
)";
    std::string events;
    auto ev = [&](int s, const char* name, const char* txn) {
      events += fmt::format("{{\"ts\":{},\"name\":\"{}\",\"fields\":{{\"txn_id\":\"{}\"}}}}\n",
                            1764151200000000000 + s * 1000000000LL, name, txn);
    };
    ev(0, "db.open", "t1");
    ev(1, "http.request", "t1");
    ev(2, "db.query", "t2");
    ev(3, "txn.commit", "t2");  // t2 succeeded: its ring is dropped
    ev(4, "db.query", "t2");
    ev(5, "txn.fail", "t1");
    const dta::Report r = run_into(policy, events, dir.str());
    REQUIRE(r.collections.size() == 3);
    CHECK(r.collections[0].what == "recorder main");
    CHECK(r.collections[0].events == 6);  // every event, the trigger included
    CHECK(r.collections[1].what == "recorder db");
    CHECK(r.collections[1].events == 3);  // db.open, db.query, db.query
    CHECK(r.collections[2].what == "recorder txn");
    CHECK(r.collections[2].events == 3);  // t1's: db.open, http.request and the failure
    const std::vector<std::string> db = lines(slurp(r.collections[1].path));
    REQUIRE(db.size() == 3);
    for (const std::string& l : db) CHECK(l.find("\"name\":\"db.") != std::string::npos);
    for (const dta::Collection& c : r.collections) CHECK(c.status == "written");
  }

  TEST_CASE("a ring keeps the newest events, the trigger included, oldest first, and the dump replays") {
    TempDir dir("ring");
    const std::string policy = "recorder main capacity 3\nrule r on db.query where i == 4 { collect recorder main }\n";
    const std::string events = queries(6);
    const dta::Report r = run_into(policy, events, dir.str());
    REQUIRE(r.collections.size() == 1);
    const dta::Collection& c = r.collections[0];
    CHECK(c.status == "written");
    CHECK(c.rule == "r");
    CHECK(c.what == "recorder main");
    CHECK(c.events == 3);
    CHECK(c.event == "db.query");
    CHECK(c.ts == 1764151204000000000);
    CHECK(c.path == dir.str() + "/dumps/000001-r-main.jsonl");
    const std::string dump = slurp(c.path);
    const std::vector<std::string> in = lines(events);
    CHECK(dump == in[2] + "\n" + in[3] + "\n" + in[4] + "\n");  // events 2, 3 and 4: the trigger is the last
    CHECK(c.bytes == dump.size());
    CHECK(r.collections_written == 1);
    // The JSON report as spec 11 shows it.
    const json::value j = json::parse(dta::report_to_json(r));
    const json::object& jc = j.at("collections").at(0).as_object();
    CHECK(jc.at("rule") == "r");
    CHECK(jc.at("what") == "recorder main");
    CHECK(jc.at("status") == "written");
    CHECK(jc.at("events") == 3);
    CHECK(jc.at("path").as_string() == c.path);
    // Replayed, the dump gives the same events back: recorded again and dumped, byte for byte.
    TempDir again("ring2");
    const dta::Report r2 = run_into(
        "recorder main capacity 3\nrule r on db.query where i == 4 { collect recorder main }\n", dump, again.str());
    REQUIRE(r2.collections.size() == 1);
    CHECK(r2.events == 3);
    CHECK(slurp(r2.collections[0].path) == dump);
    // And the manifest says what, why, when and how big.
    const std::vector<std::string> manifest = lines(slurp(dir.path / "manifest.jsonl"));
    REQUIRE(manifest.size() == 1);
    const json::object m = json::parse(manifest[0]).as_object();
    CHECK(m.at("what") == "recorder main");
    CHECK(m.at("rule") == "r");
    CHECK(m.at("event") == "db.query");
    CHECK(m.at("event_ts") == 1764151204000000000);
    CHECK(m.at("status") == "written");
    CHECK(m.at("path") == "dumps/000001-r-main.jsonl");
    CHECK(m.at("bytes").to_number<uint64_t>() == dump.size());
    CHECK(m.at("events") == 3);
    CHECK(m.at("written_at").as_int64() > 1764151200000000000);
    // Owner-only permissions.
    struct stat st {};
    REQUIRE(::stat(dir.str().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    REQUIRE(::stat(c.path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }

  TEST_CASE("every field kind survives a dump: floats, bools, ids, severities, escapes, nested names") {
    TempDir dir("kinds");
    const std::string events =
        R"({"ts":1764151200000000000,"name":"x.y","severity":"error","id":7,"fields":{"f":1.0,"g":0.1,"b":true,"s":"a\"b\\c\nd\u0000e\u00e9","http":{"status":500},"big":1e400,"arr":[1,2]}})"
        "\n";
    const std::string policy = "recorder main capacity 4\nrule r on x.y { collect recorder main }\n";
    const dta::Report r = run_into(policy, events, dir.str());
    REQUIRE(r.collections.size() == 1);
    const std::string dump = slurp(r.collections[0].path);
    CHECK(
        dump ==
        R"({"ts":1764151200000000000,"name":"x.y","severity":"error","id":7,"fields":{"f":1.0,"g":0.1,"b":true,"s":"a\"b\\c\nd\u0000e)"
        "\xc3\xa9"
        R"(","http.status":500,"big":1e999,"arr":"[1,2]"}})"
        "\n");
    // Replayed: the same dump again.
    TempDir again("kinds2");
    const dta::Report r2 = run_into(policy, dump, again.str());
    REQUIRE(r2.collections.size() == 1);
    CHECK(slurp(r2.collections[0].path) == dump);
  }

  TEST_CASE("keyed recorders: a ring per key, discard, idle keys, the key cap and evictions") {
    TempDir dir("keyed");
    std::string events;
    const int64_t t0 = 1764151200000000000;
    auto ev = [&](int64_t s, const char* name, const std::string& txn) {
      events += fmt::format("{{\"ts\":{},\"name\":\"{}\",\"fields\":{{\"txn\":\"{}\"}}}}\n", t0 + s * 1000000000LL,
                            name, txn);
    };
    ev(0, "txn.step", "a");
    ev(1, "txn.step", "b");
    ev(2, "txn.step", "a");
    ev(3, "txn.commit", "b");  // discards b's ring
    ev(4, "txn.step", "b");
    ev(5, "txn.fail", "b");    // b's ring: step at 4 and the failure
    ev(6, "txn.fail", "a");    // a's ring: 0, 2 and the failure
    ev(100, "txn.fail", "a");  // a was idle 94 s (> 30 s): its ring started over
    ev(101, "other", "");      // no key field value matters: "" is a key too
    const std::string policy = R"(recorder txn capacity 8 on txn.* by txn idle 30s
rule commit on txn.commit { discard recorder txn }
rule failed on txn.fail { collect recorder txn }
)";
    const dta::Report r = run_into(policy, events, dir.str());
    REQUIRE(r.collections.size() == 3);
    CHECK(r.collections[0].events == 2);
    CHECK(r.collections[1].events == 3);
    CHECK(r.collections[2].events == 1);
    const std::vector<std::string> b = lines(slurp(r.collections[0].path));
    REQUIRE(b.size() == 2);
    CHECK(b[0].find("\"ts\":1764151204000000000") != std::string::npos);
    CHECK(b[1].find("txn.fail") != std::string::npos);
    // A trigger without the key: the collection fails and says why; the run goes on.
    const dta::Report nokey = run_into("recorder t capacity 4 by txn\nrule r on x { collect recorder t }\n",
                                       R"({"ts":1,"name":"x","fields":{"other":1}})"
                                       "\n",
                                       dir.str());
    REQUIRE(nokey.collections.size() == 1);
    CHECK(nokey.collections[0].status == "failed");
    CHECK(nokey.collections[0].reason == "event 'x' has no field 'txn', the key of recorder 't'");
    CHECK(nokey.diagnostics.collections_failed == 1);
  }

  TEST_CASE("a keyed recorder with many keys stays capped and counts its evictions") {
    auto prog = compiled("recorder t capacity 4 by k\nrule r on x where k == \"k1\" { collect recorder t }\n");
    REQUIRE(prog);
    dta::EngineOptions o;
    std::string err;
    auto e = dta::Engine::create(prog, o, &err);
    REQUIRE(e);
    dta::Interner& names = e->symbols();
    dta::Event ev;
    const uint32_t x = names.intern("x"), k = names.intern("k");
    for (int i = 0; i < 5000; ++i) {
      ev.clear();
      ev.name = x;
      ev.ts = i;
      ev.add_string(k, fmt::format("k{}", i));
      e->process(ev);
    }
    size_t keys = 0;
    uint64_t evicted = 0;
    for (const dta::SiteStats& s : e->site_stats())
      if (s.id == "recorder/t") keys = s.keys, evicted = s.evicted;
    CHECK(keys == dta::kRecorderMaxKeys);
    CHECK(evicted == 5000 - dta::kRecorderMaxKeys);
    CHECK(e->report().diagnostics.evicted_keys == 5000 - dta::kRecorderMaxKeys);
    // EngineOptions::default_max_keys lowers the cap further.
    o.default_max_keys = 10;
    auto small = dta::Engine::create(prog, o, &err);
    for (int i = 0; i < 100; ++i) {
      ev.clear();
      ev.name = small->symbols().intern("x");
      ev.ts = i;
      ev.add_string(small->symbols().intern("k"), fmt::format("k{}", i));
      small->process(ev);
    }
    for (const dta::SiteStats& s : small->site_stats())
      if (s.id == "recorder/t") CHECK(s.keys == 10);
  }

  TEST_CASE("dumps: N per D allows exactly N in any span of D, denies the next, and slides") {
    TempDir dir("dumps");
    const std::string policy =
        "recorder main capacity 2\nrule r on db.query { collect recorder main }\n"
        "profile p { budget { dumps: 3 per 10s } }\n";
    // Events at 0..12 s: collections at 0, 1, 2 written; 3..9 denied; 10 (0 has left (0, 10]) written, 11, 12 too.
    const dta::Report r = run_into(policy, queries(13), dir.str(), "p");
    REQUIRE(r.collections.size() == 13);
    std::string statuses;
    for (const dta::Collection& c : r.collections) statuses += c.status[0];
    CHECK(statuses == "wwwdddddddwww");
    CHECK(r.collections[3].reason == "dumps: 3 per 10s");
    CHECK(r.collections_written == 6);
    CHECK(r.diagnostics.collections_denied == 7);
    const json::value j = json::parse(dta::report_to_json(r));
    CHECK(j.at("collections").at(3).at("status") == "denied");
    CHECK(j.at("collections").at(3).at("reason") == "dumps: 3 per 10s");
    CHECK(j.at("diagnostics").at("collections_denied") == 7);
    // Old dumps stay; the manifest lists the denials too.
    CHECK(files_under(dir.path).size() == 7);  // six dumps and the manifest
    CHECK(lines(slurp(dir.path / "manifest.jsonl")).size() == 13);
  }

  TEST_CASE("disk: exactly at the limit is written, one byte over is denied, old dumps are kept") {
    const std::string events = queries(3);
    const std::vector<std::string> in = lines(events);
    const size_t one = in[0].size() + 1;  // a dump of one event: its line
    for (const bool exact : {true, false}) {
      CAPTURE(exact);
      TempDir dir(exact ? "disk-exact" : "disk-over");
      // Two dumps of one event each fit in exactly 2 x one bytes; the third never does.
      const int64_t limit = static_cast<int64_t>(2 * one) - (exact ? 0 : 1);
      const std::string policy = fmt::format(
          "recorder main capacity 1\nrule r on db.query {{ collect recorder main }}\n"
          "profile p {{ budget {{ disk: {}B }} }}\n",
          limit);
      const dta::Report r = run_into(policy, events, dir.str(), "p");
      REQUIRE(r.collections.size() == 3);
      CHECK(r.collections[0].status == "written");
      CHECK(r.collections[1].status == (exact ? "written" : "denied"));
      CHECK(r.collections[2].status == "denied");
      CHECK(r.collections[2].reason == fmt::format("disk: {}B", limit));
      CHECK(fs::exists(r.collections[0].path));
    }
    // A denial names the budget as written.
    TempDir dir("disk-mb");
    const dta::Report r = run_into(
        "recorder main capacity 1\nrule r on db.query { collect process }\nprofile p { budget { disk: 0MB } }\n",
        queries(1), dir.str(), "p");
    REQUIRE(r.collections.size() == 1);
    CHECK(r.collections[0].status == "denied");
    CHECK(r.collections[0].reason == "disk: 0B");
  }

  TEST_CASE("redaction: sensitive and redacted fields appear in no file, manifest, report or message") {
    TempDir dir("redact");
    const std::string policy = R"(event auth.login { user: string, password: string sensitive, token: string }
filter no_token on auth.* { redact token }
recorder main capacity 8
rule bad on auth.login where password == "hunter2" {
    error "login {user} with {password}"
    alert critical "leak {password}" labels { p: password }
    collect recorder main
    collect process
}
)";
    const std::string events =
        R"({"ts":1764151200000000000,"name":"auth.login","fields":{"user":"bob","password":"hunter2","token":"tok-SECRET"}})"
        "\n";
    dta::EngineOptions opts;
    opts.collect = dta::directory_sink({dir.str()});
    opts.finding_fields = true;
    const dta::Report r = dta::test::run(policy, events, "", opts);
    REQUIRE(r.collections.size() == 2);
    CHECK(r.collections[0].status == "written");
    const std::string dump = slurp(r.collections[0].path);
    CHECK(dump.find("\"password\":\"<redacted>\"") != std::string::npos);
    CHECK(dump.find("\"user\":\"bob\"") != std::string::npos);
    // Every byte written and reported.
    std::string all = dta::report_to_json(r);
    for (const std::string& f : files_under(dir.path)) all += slurp(dir.path / f);
    CHECK(all.find("hunter2") == std::string::npos);
    CHECK(all.find("SECRET") == std::string::npos);
    CHECK(all.find("tok-") == std::string::npos);
  }

  TEST_CASE("hostile values never choose a file name or leave the directory") {
    TempDir dir("hostile");
    const std::string big(10 * 1024, 'A');
    std::string events;
    events += R"({"ts":1,"name":"x","fields":{"k":"../../etc/passwd","v":"a\u0000b\nc"}})"
              "\n";
    events += fmt::format(R"({{"ts":2,"name":"x","fields":{{"k":"{}","v":"{}"}}}})", big, big) + "\n";
    events += R"({"ts":3,"name":"x","fields":{"k":"/tmp/evil\n\u0000","../../k":"v"}})"
              "\n";
    const std::string policy =
        "recorder t capacity 4 by k\nrule r on x { collect recorder t collect snapshot \"heap\" }\n";
    const dta::Report r = run_into(policy, events, dir.str());
    REQUIRE(r.collections.size() == 6);
    for (const dta::Collection& c : r.collections) {
      CAPTURE(c.what);
      if (c.what == "snapshot heap") {
        CHECK(c.status == "failed");  // nothing registered under that name: the run goes on
        CHECK(c.reason == "no collector is registered for snapshot 'heap'");
        continue;
      }
      CHECK(c.status == "written");
      CHECK(c.path.starts_with(dir.str() + "/dumps/"));
    }
    // Failed snapshots take no number: the dumps are 1, 2 and 3.
    CHECK(files_under(dir.path) == std::vector<std::string>{"dumps/000001-r-t.jsonl", "dumps/000002-r-t.jsonl",
                                                            "dumps/000003-r-t.jsonl", "manifest.jsonl"});
    // The long event was cut to fit its slot, and says so; every line is one JSON object.
    CHECK(r.diagnostics.recorder_truncated == 1);
    const std::string cut = slurp(r.collections[2].path);
    CHECK(cut.size() <= 2 * 512 + 200);
    CHECK(cut.find("\"truncated\":true") != std::string::npos);
    for (const dta::Collection& c : r.collections)
      if (c.status == "written")
        for (const std::string& l : lines(slurp(c.path))) CHECK_NOTHROW(json::parse(l));
    for (const std::string& l : lines(slurp(dir.path / "manifest.jsonl"))) CHECK_NOTHROW(json::parse(l));
    CHECK(!fs::exists(dir.path.parent_path() / "etc"));
  }

  TEST_CASE("a planted symlink is never followed") {
    TempDir dir("symlink");
    TempDir outside("symlink-target");
    fs::create_directories(dir.path / "dumps");
    fs::create_directories(outside.path);
    { std::ofstream(outside.path / "victim") << "keep"; }
    // A link where the first dump would go: the sink takes the next number instead.
    fs::create_symlink(outside.path / "victim", dir.path / "dumps" / "000001-r-main.jsonl");
    // A link as the manifest: no line is written through it.
    fs::create_symlink(outside.path / "victim", dir.path / "manifest.jsonl");
    const std::string policy = "recorder main capacity 2\nrule r on db.query { collect recorder main }\n";
    const dta::Report r = run_into(policy, queries(1), dir.str());
    REQUIRE(r.collections.size() == 1);
    CHECK(r.collections[0].status == "written");
    CHECK(r.collections[0].path == dir.str() + "/dumps/000002-r-main.jsonl");
    CHECK(slurp(outside.path / "victim") == "keep");
    // A link as the dumps directory: the collection fails, nothing is written through it.
    TempDir dir2("symlink-dir");
    fs::create_directories(dir2.path);
    fs::create_directory_symlink(outside.path, dir2.path / "dumps");
    const dta::Report r2 = run_into(policy, queries(1), dir2.str());
    REQUIRE(r2.collections.size() == 1);
    CHECK(r2.collections[0].status == "failed");
    CHECK(r2.collections[0].reason.find("cannot open " + dir2.str() + "/dumps") == 0);
    CHECK(files_under(outside.path) == std::vector<std::string>{"victim"});
  }

  TEST_CASE("snapshots: a host collector's output beside the dumps, bounded in bytes and time") {
    TempDir dir("snap");
    dta::CollectOptions co;
    co.collectors["heap"] = [](dta::SnapshotSink& s) { s.write("heap: 42 objects\n"); };
    co.collectors["chatty"] = [](dta::SnapshotSink& s) {
      while (s.write(std::string(1000, 'x'))) {
      }
    };
    co.collectors["slow"] = [](dta::SnapshotSink& s) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      s.write("late");
    };
    co.collectors["throws"] = [](dta::SnapshotSink&) { throw std::runtime_error("boom"); };
    co.max_snapshot_bytes = 4096;
    co.snapshot_timeout = std::chrono::milliseconds(50);
    const std::string policy = R"(rule r on db.query {
  collect snapshot "heap" collect snapshot "chatty" collect snapshot "slow" collect snapshot "throws" collect process
})";
    const dta::Report r = run_into(policy, queries(1), dir.str(), "", co);
    REQUIRE(r.collections.size() == 5);
    CHECK(r.collections[0].status == "written");
    CHECK(r.collections[0].path == dir.str() + "/dumps/000001-r-snapshot-heap.out");
    CHECK(slurp(r.collections[0].path) == "heap: 42 objects\n");
    CHECK(r.collections[1].status == "written");
    CHECK(r.collections[1].bytes == 4096);
    CHECK(r.collections[1].reason == "cut at 4096 bytes");
    CHECK(r.collections[2].status == "failed");
    CHECK(r.collections[2].reason == "snapshot 'slow' took longer than 50 ms");
    CHECK(r.collections[3].status == "failed");
    CHECK(r.collections[3].reason == "the collector of snapshot 'throws' threw");
    CHECK(r.collections[4].status == "written");
    CHECK(r.collections[4].what == "process");
    const json::object p = json::parse(slurp(r.collections[4].path)).as_object();
    CHECK(p.at("rss_bytes").as_int64() > 0);
    CHECK(p.at("threads").as_int64() >= 1);
    CHECK(p.at("open_files").as_int64() >= 3);
    CHECK(p.at("cpu_user_ns").as_int64() >= 0);
    CHECK(p.at("ts") == 1764151200000000000);
    // No sink at all: the collection fails and says so.
    const dta::Report none = dta::test::run(policy, queries(1));
    REQUIRE(none.collections.size() == 5);
    CHECK(none.collections[0].reason == "no collection directory");
  }

  TEST_CASE("recorder state moves to a recompiled policy when its shape is the same") {
    const std::string p1 = "recorder main capacity 4\nrule r on db.query where i == 99 { collect recorder main }\n";
    auto a = dta::Engine::create(compiled(p1), {}, nullptr);
    REQUIRE(a);
    const std::string events = queries(3);
    std::FILE* f = fmemopen(const_cast<char*>(events.data()), events.size(), "r");
    std::string err;
    dta::replay_stream(f, *a, nullptr, &err);
    std::fclose(f);
    const dta::StateSnapshot snap = dta::decode_state(dta::encode_state(a->export_state())).value();
    TempDir dir("reload");
    // Same capacity and key (the rule changed): the ring is carried.
    dta::EngineOptions o;
    o.collect = dta::directory_sink({dir.str()});
    auto b = dta::Engine::create(
        compiled("recorder main capacity 4 on db.*\nrule r2 on db.query { collect recorder main }\n"), o, &err);
    REQUIRE(b);
    auto imported = b->import_state(snap);
    REQUIRE(imported);
    CHECK(imported->skipped.empty());
    const std::string one = queries(1, 1764151210000000000);
    f = fmemopen(const_cast<char*>(one.data()), one.size(), "r");
    dta::replay_stream(f, *b, nullptr, &err);
    std::fclose(f);
    const dta::Report r = b->report();
    REQUIRE(r.collections.size() == 1);
    CHECK(r.collections[0].events == 4);  // three carried and the trigger
    CHECK(slurp(r.collections[0].path) == events + one);
    // Another capacity: the ring starts empty.
    auto c = dta::Engine::create(compiled("recorder main capacity 5\nrule r on x { ok }\n"), {}, &err);
    auto skipped = c->import_state(snap);
    REQUIRE(skipped);
    CHECK(skipped->skipped.size() == 2);  // the ring (another shape) and the budget (this policy collects nothing)
    // Malformed bytes leave it empty.
    dta::StateSnapshot bad = snap;
    for (dta::SiteSnapshot& s : bad.sites)
      if (s.id == "recorder/main") s.bytes[s.bytes.size() / 2] ^= 0x5a;
    auto d = dta::Engine::create(compiled(p1), {}, &err);
    CHECK(d->import_state(bad));
  }

  TEST_CASE("recording allocates nothing once the ring is warm") {
    // An unkeyed ring, a keyed one with keys that come back, and both.
    for (const char* src :
         {"recorder main capacity 64\nrule r on x where n < 0 { ok }\n",
          "recorder k capacity 8 by user idle 1h\nrule r on x where n < 0 { ok }\n",
          "recorder main capacity 64\nrecorder k capacity 8 by user\nrule r on x where n < 0 { ok }\n"}) {
      CAPTURE(src);
      auto prog = compiled(src);
      REQUIRE(prog);
      auto e = dta::Engine::create(prog, {}, nullptr);
      REQUIRE(e);
      dta::Interner& names = e->symbols();
      const uint32_t x = names.intern("x"), n = names.intern("n"), user = names.intern("user"),
                     path = names.intern("path");
      dta::Event ev;
      auto fill = [&](int i) {
        ev.clear();
        ev.name = x;
        ev.ts = i;
        ev.add_int(n, i);
        ev.add_string(user, i % 2 ? "alice" : "bob");
        ev.add_string(path, "/srv/data/some/long/path/to/a/file.db");
      };
      for (int i = 0; i < 200; ++i) {  // warm: every slot of both rings written once
        fill(i);
        e->process(ev);
      }
      uint64_t allocs = 0;
      for (int i = 200; i < 1200; ++i) {
        fill(i);
        g_allocs = 0;
        g_count_allocs = true;
        e->process(ev);
        g_count_allocs = false;
        allocs += g_allocs;
      }
      CHECK(allocs == 0);
    }
  }

  TEST_CASE("in a host, collections are written on the collection thread; a full queue denies") {
    TempDir dir("host");
    dta::RuntimeOptions o;
    o.mode = dta::EvalMode::Sync;
    o.collect_dir = dir.str();
    std::atomic<bool> release{false};
    o.collectors["wait"] = [&](dta::SnapshotSink& s) {
      while (!release.load() && !s.expired()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      s.write("done");
    };
    o.collect_limits.snapshot_timeout = std::chrono::milliseconds(5000);
    o.collect_queue = 1;
    auto rt = dta::make_runtime(std::move(o));
    REQUIRE(rt);
    REQUIRE(rt->load_source("p.dta", R"(recorder main capacity 8
rule dump on app.fail { collect recorder main }
rule snap on app.snap { collect snapshot "wait" }
)")
                .ok);
    rt->emit("app.step", dta::Severity::Info, {{"i", 1}});
    rt->emit("app.fail", dta::Severity::Error, {{"i", 2}});
    // The collection thread writes it: wait for it (at most 5 s).
    for (int i = 0; i < 500 && rt->stats().collections < 1; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const dta::RuntimeStats s = rt->stats();
    CHECK(s.collections == 1);
    dta::Report r = rt->report();
    REQUIRE(r.collections.size() == 1);
    CHECK(r.collections[0].status == "written");
    CHECK(r.collections[0].events == 2);
    CHECK(slurp(r.collections[0].path).find("app.step") != std::string::npos);
    // One collection blocks the thread, one waits in the queue (capacity 1), the next is denied.
    rt->emit("app.snap", dta::Severity::Info, {});
    for (int i = 0; i < 500; ++i) {  // until the thread has taken the first one
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      rt->emit("app.snap", dta::Severity::Info, {});
      if (rt->stats().collections_denied > 0) break;
    }
    CHECK(rt->stats().collections_denied >= 1);
    r = rt->report();
    bool saw_denied = false;
    for (const dta::Collection& c : r.collections)
      if (c.status == "denied") saw_denied = c.reason == "collection queue full";
    CHECK(saw_denied);
    release = true;
  }
}
