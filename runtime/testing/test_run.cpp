// Running one policy test (spec 10): an engine in virtual time over the
// test's fixtures and inline events, then its expectations checked against
// the report.
#include <algorithm>
#include <fmt/format.h>

#include "dta/engine.hpp"
#include "dta/input.hpp"
#include "dta/policy_tests.hpp"

namespace dta {
namespace {

using Kind = TestExpectation::Kind;

// The report's row for `rule` (a rule or machine), or null.
const RuleReport* rule_row(const Report& report, const std::string& rule) {
  for (const RuleReport& r : report.rules)
    if (r.name == rule) return &r;
  return nullptr;
}

// What the report says of `x`'s subject, as a count.
uint64_t measure(const Report& report, const TestExpectation& x) {
  const auto level_index = static_cast<size_t>(x.level);
  switch (x.kind) {
    case Kind::TotalFindings: return report.findings[level_index];
    case Kind::TotalAlerts: return report.alerts_raised[0] + report.alerts_raised[1] + report.alerts_raised[2];
    case Kind::Pending: return report.pending_expectations + report.pending_timers;
    case Kind::Alerts:
      return static_cast<uint64_t>(std::count_if(report.alerts.begin(), report.alerts.end(),
                                                 [&](const Alert& a) { return a.rule == x.rule; }));
    case Kind::Collections:
      return static_cast<uint64_t>(std::count_if(report.collections.begin(), report.collections.end(),
                                                 [&](const Collection& c) {
                                                   return c.rule == x.rule && c.status == "written";
                                                 }));
    default: break;
  }
  const RuleReport* row = rule_row(report, x.rule);
  if (!row) return 0;
  switch (x.kind) {
    case Kind::Fired: return row->fired;
    case Kind::Matched: return row->matched;
    default: return row->findings[level_index];
  }
}

ExpectationResult check(const Report& report, const TestExpectation& x) {
  ExpectationResult out;
  out.expect = &x;
  if (x.kind == Kind::Verdict) {
    out.passed = report.failed() == x.fail;
    out.actual = report.failed() ? "fail" : "pass";
    return out;
  }
  const uint64_t n = measure(report, x);
  out.passed = n == x.count;
  out.actual = fmt::format("{}", n);
  return out;
}

// A test's collections: kept in memory (a test writes no files), so that
// `expect RULE collections N` counts them; budgets apply as anywhere. A
// snapshot has no host collector in a test: it fails, as in a replay.
class MemorySink final : public CollectionSink {
 public:
  CollectionResult collect(CollectionRequest&& request) override {
    CollectionResult out;
    if (request.kind == CollectionKind::Snapshot) {
      out.reason = "no collector '" + request.name + "' in a test";
      return out;
    }
    out.status = CollectionStatus::Written;
    out.bytes = request.body.size();
    return out;
  }
};

// The test's inline event as an engine event.
void build(const TestEvent& te, Interner& names, Event& ev) {
  ev.clear();
  ev.ts = te.ts;
  ev.name = names.intern(te.name);
  ev.severity = te.severity;
  for (const auto& [key, value] : te.fields) {
    const uint32_t k = names.intern(key);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, int64_t>) ev.add_int(k, v);
          else if constexpr (std::is_same_v<T, double>) ev.add_float(k, v);
          else if constexpr (std::is_same_v<T, bool>) ev.add_bool(k, v);
          else ev.add_string(k, v);
        },
        value);
  }
}

// Reads a fixture's events into `out`; its bad lines are counted by the
// engine (diagnostics.bad_input), as a replay does. Empty, or why the file
// cannot be read at all (the test is then invalid).
std::string read_fixture(const std::string& path, Engine& engine, std::vector<Event>& out) {
  Interner& names = engine.symbols();
  Expected<std::unique_ptr<EventInput>> in = EventInput::open(path, names, InputOptions{});
  if (!in) return fmt::format("{}: error: {}", path, in.error());
  Event ev;
  for (;;) {
    switch ((*in)->next(ev)) {
      case EventInput::Status::Event: out.push_back(ev); break;
      case EventInput::Status::Bad: engine.note_bad_input((*in)->line(), (*in)->error()); break;
      case EventInput::Status::Error: return fmt::format("{}: error: {}", path, (*in)->error());
      case EventInput::Status::Wait:
      case EventInput::Status::End: return {};
    }
  }
}

TestResult run_unguarded(const TestCase& test) {
  TestResult r;
  r.test = &test;
  if (!test.program || !test.program->finalized()) {
    r.error = "the test's policy did not compile";
    return r;
  }
  EngineOptions options;
  options.profile = test.profile;
  options.time_sample_every = 0;  // no wall-clock timing: a test's outcome depends on its input only
  options.collect = std::make_shared<MemorySink>();
  std::string why;
  std::unique_ptr<Engine> engine = Engine::create(test.program, options, &why);
  if (!engine) {
    r.error = why;
    return r;
  }
  std::vector<Event> events;
  for (const std::string& path : test.fixtures) {
    r.error = read_fixture(path, *engine, events);
    if (!r.error.empty()) return r;
  }
  for (const TestEvent& te : test.events) {
    events.emplace_back();
    build(te, engine->symbols(), events.back());
  }
  // Fixtures first, then inline events, each in its order: a stable sort
  // by time merges them.
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.ts < b.ts; });
  for (const Event& ev : events) engine->process(ev);
  const int64_t last = events.empty() ? kTestEpochNs : events.back().ts;
  r.events = events.size();
  if (test.advance > 0) engine->advance_to(last > INT64_MAX - test.advance ? INT64_MAX : last + test.advance);
  engine->finish();
  r.report = engine->report();
  r.passed = true;
  for (const TestExpectation& x : test.expects) {
    r.expectations.push_back(check(r.report, x));
    r.passed = r.passed && r.expectations.back().passed;
  }
  return r;
}

}  // namespace

TestResult run_policy_test(const TestCase& test) {
  try {
    return run_unguarded(test);
  } catch (const std::exception& e) {
    TestResult r;
    r.test = &test;
    r.error = fmt::format("the test could not run: {}", e.what());
    return r;
  } catch (...) {
    TestResult r;
    r.test = &test;
    r.error = "the test could not run";
    return r;
  }
}

}  // namespace dta
