// `dta test`'s outputs (see test_output.hpp).
#include "test_output.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>

#include "dta/report_json.hpp"

namespace dta::cli {
namespace {

constexpr size_t kShownFindings = 10;  // findings listed under a failed test: enough to see the pattern

std::string where(const TestLoc& l) { return fmt::format("{}:{}:{}", l.path, l.line, l.col); }

// "+1.5s": a time relative to the test epoch.
std::string relative(int64_t ts) {
  return ts >= kTestEpochNs ? "+" + format_duration(ts - kTestEpochNs) : "-" + format_duration(kTestEpochNs - ts);
}

std::string expected_text(const TestExpectation& x) {
  return x.kind == TestExpectation::Kind::Verdict ? (x.fail ? "fail" : "pass") : fmt::format("{}", x.count);
}

// XML text with &, <, >, " and ' escaped; control bytes other than tab and
// newline (not allowed in XML 1.0) dropped.
std::string xml(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t') out += c;
    }
  }
  return out;
}

// What a failed or invalid test says, without its PASS/FAIL line.
std::string failure_details(const TestResult& r, const std::string& indent) {
  if (!r.error.empty()) return indent + r.error + "\n";
  std::string out;
  for (const ExpectationResult& e : r.expectations) {
    if (e.passed) continue;
    out += fmt::format("{}expect {}: expected {}, got {} ({})\n", indent, e.expect->text, expected_text(*e.expect),
                       e.actual, where(e.expect->loc));
  }
  const std::vector<Finding>& f = r.report.kept_findings;
  if (f.empty()) {
    out += indent + "no findings\n";
    return out;
  }
  out += fmt::format("{}findings ({} events):\n", indent, r.events);
  for (size_t i = 0; i < f.size() && i < kShownFindings; ++i)
    out += fmt::format("{}  {} {}: {} at {} ({})\n", indent, level_name(f[i].level), f[i].rule, f[i].message,
                       relative(f[i].ts), f[i].event);
  if (f.size() > kShownFindings) out += fmt::format("{}  ... {} more\n", indent, f.size() - kShownFindings);
  return out;
}

}  // namespace

std::string test_text(const TestResult& r) {
  if (r.passed) return fmt::format("PASS  {}\n", r.test->name);
  return fmt::format("{}  {} ({})\n", r.error.empty() ? "FAIL" : "ERROR", r.test->name, where(r.test->loc)) +
         failure_details(r, "      ");
}

std::string coverage_text(const Coverage& c) {
  std::string out = fmt::format("coverage: {}: {} of {} rules and machines fired", c.policy, c.units - c.never.size(),
                                c.units);
  if (!c.never.empty()) out += fmt::format("; never: {}", fmt::join(c.never, ", "));
  out += "\n";
  if (c.transitions > 0) {
    out += fmt::format("coverage: {}: {} of {} machine transitions taken", c.policy,
                       c.transitions - c.never_transitions.size(), c.transitions);
    if (!c.never_transitions.empty()) out += fmt::format("; never: {}", fmt::join(c.never_transitions, ", "));
    out += "\n";
  }
  return out;
}

namespace {

// "order_flow: working -> done (after 1s)".
std::string transition_text(const Machine& m, const MachineState& from, const Transition& t, const Program& p) {
  std::string how;
  if (t.after) {
    const int64_t ns = t.delay_k >= 0 && static_cast<size_t>(t.delay_k) < p.consts.size() ? p.consts[t.delay_k].i : 0;
    how = "after " + format_duration(ns);
  } else {
    how = fmt::format("on {}", fmt::join(t.patterns, ", "));
  }
  const std::string& to = t.target < m.states.size() ? m.states[t.target].name : std::string("?");
  return fmt::format("{}: {} -> {} ({})", m.name, from.name, to, how);
}

}  // namespace

std::vector<Coverage> coverage_of(const std::vector<TestResult>& results) {
  struct Seen {
    const Program* program = nullptr;
    std::vector<bool> fired;                    // by unit
    std::vector<std::vector<bool>> taken;       // by machine, by transition
  };
  std::map<std::string, Seen> by_policy;
  std::vector<std::string> order;
  for (const TestResult& r : results) {
    if (!r.error.empty() || !r.test->program) continue;
    const Program& p = *r.test->program;
    auto [it, fresh] = by_policy.try_emplace(r.test->policy_path);
    Seen& s = it->second;
    if (fresh) {
      order.push_back(r.test->policy_path);
      s.program = &p;
      s.fired.assign(p.rules.size() + p.machines.size(), false);
      for (const Machine& m : p.machines) {
        size_t n = 0;
        for (const MachineState& st : m.states) n += st.transitions.size();
        s.taken.emplace_back(n, false);
      }
    }
    if (s.program != &p) continue;  // the same file compiled again (another test file): counted with the first
    for (size_t u = 0; u < r.report.rules.size() && u < s.fired.size(); ++u) {
      const RuleReport& rr = r.report.rules[u];
      if (rr.fired > 0) s.fired[u] = true;
      if (u < p.rules.size()) continue;
      std::vector<bool>& taken = s.taken[u - p.rules.size()];
      for (size_t i = 0; i < rr.transitions.size() && i < taken.size(); ++i)
        if (rr.transitions[i] > 0) taken[i] = true;
    }
  }
  std::vector<Coverage> out;
  for (const std::string& policy : order) {
    const Seen& s = by_policy[policy];
    const Program& p = *s.program;
    Coverage c;
    c.policy = policy;
    c.units = s.fired.size();
    for (size_t u = 0; u < s.fired.size(); ++u)
      if (!s.fired[u]) c.never.push_back(u < p.rules.size() ? p.rules[u].name : p.machines[u - p.rules.size()].name);
    for (size_t m = 0; m < p.machines.size(); ++m) {
      size_t i = 0;
      for (const MachineState& st : p.machines[m].states)
        for (const Transition& t : st.transitions) {
          ++c.transitions;
          if (!s.taken[m][i++]) c.never_transitions.push_back(transition_text(p.machines[m], st, t, p));
        }
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string junit_xml(const std::vector<TestResult>& results) {
  std::map<std::string, std::vector<const TestResult*>> by_file;
  std::vector<std::string> files;
  for (const TestResult& r : results) {
    auto& v = by_file[r.test->loc.path];
    if (v.empty()) files.push_back(r.test->loc.path);
    v.push_back(&r);
  }
  size_t failures = 0, errors = 0;
  for (const TestResult& r : results) {
    errors += !r.error.empty();
    failures += r.error.empty() && !r.passed;
  }
  std::string out = fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                "<testsuites name=\"dta test\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
                                results.size(), failures, errors);
  for (const std::string& file : files) {
    const auto& tests = by_file[file];
    size_t f = 0, e = 0;
    for (const TestResult* r : tests) {
      e += !r->error.empty();
      f += r->error.empty() && !r->passed;
    }
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n", xml(file),
                       tests.size(), f, e);
    for (const TestResult* r : tests) {
      out += fmt::format("    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"", xml(r->test->name),
                         xml(file), xml(file), r->test->loc.line);
      if (r->passed) {
        out += "/>\n";
        continue;
      }
      const char* tag = r->error.empty() ? "failure" : "error";
      std::string message = r->error;
      if (message.empty())
        for (const ExpectationResult& x : r->expectations)
          if (!x.passed) {
            message = fmt::format("expect {}: expected {}, got {}", x.expect->text, expected_text(*x.expect), x.actual);
            break;
          }
      out += fmt::format(">\n      <{} message=\"{}\">{}</{}>\n    </testcase>\n", tag, xml(message),
                         xml(failure_details(*r, "")), tag);
    }
    out += "  </testsuite>\n";
  }
  return out + "</testsuites>\n";
}

std::string tests_json(const std::vector<TestResult>& results, const std::vector<Coverage>& coverage) {
  boost::json::array tests;
  size_t passed = 0;
  for (const TestResult& r : results) {
    passed += r.passed;
    boost::json::object t;
    t["name"] = r.test->name;
    t["file"] = r.test->loc.path;
    t["line"] = r.test->loc.line;
    t["policy"] = r.test->policy_path;
    t["profile"] = r.test->profile;
    t["status"] = r.passed ? "passed" : r.error.empty() ? "failed" : "error";
    if (!r.error.empty()) t["error"] = r.error;
    boost::json::array expects;
    for (const ExpectationResult& x : r.expectations) {
      boost::json::object e;
      e["expect"] = x.expect->text;
      e["line"] = x.expect->loc.line;
      e["expected"] = expected_text(*x.expect);
      e["actual"] = x.actual;
      e["passed"] = x.passed;
      expects.push_back(std::move(e));
    }
    t["expectations"] = std::move(expects);
    t["events"] = r.events;
    t["verdict"] = r.report.failed() ? "fail" : "pass";
    boost::json::array findings;
    for (const Finding& f : r.report.kept_findings) findings.push_back(boost::json::parse(finding_json_line(f)));
    t["findings"] = std::move(findings);
    tests.push_back(std::move(t));
  }
  boost::json::array cov;
  for (const Coverage& c : coverage) {
    boost::json::array never;
    for (const std::string& n : c.never) never.emplace_back(n);
    boost::json::array never_t;
    for (const std::string& n : c.never_transitions) never_t.emplace_back(n);
    cov.push_back({{"policy", c.policy},
                   {"units", c.units},
                   {"never_fired", std::move(never)},
                   {"transitions", c.transitions},
                   {"never_taken", std::move(never_t)}});
  }
  boost::json::object out;
  out["tests"] = std::move(tests);
  out["passed"] = passed;
  out["failed"] = results.size() - passed;
  out["coverage"] = std::move(cov);
  return boost::json::serialize(out) + "\n";
}

}  // namespace dta::cli
