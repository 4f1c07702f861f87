// Shared harness pieces: the fixed events every fuzzed program sees.
#include "harness_common.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dta/engine.hpp"
#include "dta/jsonl.hpp"
#include "dta/report_json.hpp"

namespace dta::fuzz {
namespace {

// Events with the names and fields the seed policies use, spread over more
// than an hour of event time so windows close, deadlines pass and `after`
// transitions fire; the last ones repeat the first ones' keys. fixed_events()
// adds one with a long string field.
constexpr std::string_view kFixedEvents[] = {
    R"({"ts":1767225600000000000,"name":"http.request","id":2001,"severity":"warning","fields":{"status":503,"latency_ms":812.5,"service":"cart","method":"POST","path":"/api/x","user":"root","req_id":"r1"}})",
    R"({"ts":1767225600500000000,"name":"db.open","fields":{"path":"/srv/app.db","errno":13,"user":"admin","file_id":"f1"}})",
    R"({"ts":1767225601000000000,"name":"auth.login","fields":{"user":"root","result":"locked","src":"10.0.0.1","password":"p","token":"t"}})",
    R"({"ts":1767225601000000000,"name":"a","fields":{"n":5,"k":"k1","x":1.5,"b":true,"s":"aaa","id":"i1","code":500,"svc":"web"}})",
    R"({"ts":1767225602000000000,"name":"begin","fields":{"id":"j1","k":"k1","file_id":"f1"}})",
    R"({"ts":1767225602000000000,"name":"hash.start","fields":{"file_id":"f1","k":"k1"}})",
    R"({"ts":1767225603000000000,"name":"http.request","fields":{"status":200,"latency_ms":12,"service":"cart","path":"/healthz"}})",
    R"({"ts":1767225662000000000,"name":"end","fields":{"id":"j1","k":"k1","x":-2.5}})",
    R"({"ts":1767229262000000000,"name":"err","severity":"critical","fields":{"code":503,"svc":"web","k":"k1","n":-9223372036854775807}})",
    R"({"ts":1767229263000000000,"name":"http.request","id":2001,"fields":{"status":500,"latency_ms":0.5,"service":"cart","user":"root","req_id":"r1"}})",
};

constexpr size_t kLongFieldChars = 10000;  // long enough for a backtracking regex to show, short enough to parse fast

// The fixed events, and one with a long string field (`s`: many 'a's, then '!').
const std::vector<std::string>& fixed_events() {
  static const std::vector<std::string> events = [] {
    std::vector<std::string> v(std::begin(kFixedEvents), std::end(kFixedEvents));
    v.insert(v.begin() + 4, R"({"ts":1767225601500000000,"name":"text","fields":{"k":"k1","s":")" +
                                std::string(kLongFieldChars, 'a') + R"(!"}})");
    return v;
  }();
  return events;
}

}  // namespace

void check(bool ok, std::string_view what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant broken: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

void run_all_profiles(const std::shared_ptr<const Program>& prog) {
  for (int p = -1; p < static_cast<int>(prog->profiles.size()); ++p) {
    EngineOptions opts;
    opts.profile = p < 0 ? std::string() : prog->profiles[static_cast<size_t>(p)].name;
    std::string err;
    std::unique_ptr<Engine> engine = Engine::create(prog, opts, &err);
    check(engine != nullptr, "Engine::create refused a profile the program names: " + err);
    JsonlParser parser(engine->symbols());
    Event ev;
    for (const std::string& line : fixed_events()) {
      check(parser.parse(line, ev, &err), "a fixed event does not parse: " + err);
      engine->process(ev);
    }
    engine->finish();
    const std::string json = report_to_json(engine->report());
    check(!json.empty() && json.back() == '\n', "a report's JSON does not end with a newline");
  }
}

}  // namespace dta::fuzz
