// Report -> JSON, with a small pretty printer (Boost.JSON keeps key order).
#include "dta/report_json.hpp"

#include <boost/json.hpp>

namespace dta {
namespace json = boost::json;

static_assert(std::tuple_size_v<decltype(Report::findings)> == static_cast<size_t>(Level::Ok) + 1,
              "Report::findings counts the verdict levels error..ok of levels.def");
namespace {

// A key as a JSON object {"field": "value", ...}.
json::object key_json(const KeyLabels& key) {
  json::object o;
  for (const auto& [k, v] : key) o[k] = v;
  return o;
}

void pretty(std::string& out, const json::value& v, int indent) {
  const std::string pad(static_cast<size_t>(indent + 2), ' ');
  switch (v.kind()) {
    case json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) { out += "{}"; return; }
      out += "{\n";
      size_t i = 0;
      for (const auto& kv : o) {
        out += pad;
        out += json::serialize(json::string(kv.key()));
        out += ": ";
        pretty(out, kv.value(), indent + 2);
        out += ++i < o.size() ? ",\n" : "\n";
      }
      out.append(static_cast<size_t>(indent), ' ');
      out += '}';
      return;
    }
    case json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) { out += "[]"; return; }
      out += "[\n";
      for (size_t i = 0; i < a.size(); ++i) {
        out += pad;
        pretty(out, a[i], indent + 2);
        out += i + 1 < a.size() ? ",\n" : "\n";
      }
      out.append(static_cast<size_t>(indent), ' ');
      out += ']';
      return;
    }
    default: out += json::serialize(v);
  }
}

}  // namespace

std::string report_to_json(const Report& r) {
  json::object o;
  o["policy"] = r.policy;
  o["profile"] = r.profile.empty() ? json::value(nullptr) : json::value(r.profile);
  o["events"] = r.events;
  o["verdict"] = r.failed() ? "fail" : "pass";
  json::object findings;  // by verdict level, error..ok (Report::findings, levels.def)
  for (size_t l = 0; l < r.findings.size(); ++l) findings[level_name(static_cast<Level>(l))] = r.findings[l];
  o["findings"] = std::move(findings);
  json::object rules;
  for (const RuleReport& rr : r.rules) {
    json::object e{{"level", level_name(rr.level)}, {"matched", rr.matched}, {"fired", rr.fired}};
    if (rr.missing_field) e["missing_field"] = rr.missing_field;
    if (rr.type_error) e["type_error"] = rr.type_error;
    if (rr.arith_error) e["arith_error"] = rr.arith_error;
    rules[rr.name] = std::move(e);
  }
  o["rules"] = std::move(rules);
  json::array alerts;
  for (const Alert& a : r.alerts) {
    json::object labels;
    for (const auto& [k, v] : a.labels) labels[k] = v;
    json::object alert{{"rule", a.rule}, {"severity", a.severity}, {"message", a.message}, {"ts", a.ts},
                       {"labels", std::move(labels)}, {"suppressed", a.suppressed}};
    if (!a.key.empty()) alert["key"] = key_json(a.key);
    alerts.push_back(std::move(alert));
  }
  o["alerts"] = std::move(alerts);
  o["collections"] = json::array();
  const Diagnostics& d = r.diagnostics;
  json::object diag{{"bad_input", d.bad_input},   {"late", d.late},
                    {"missing_field", d.missing_field}, {"type_error", d.type_error},
                    {"arith_error", d.arith_error}, {"dropped", d.dropped},
                    {"sampled_out", d.sampled_out}, {"emitted", d.emitted}};
  json::array bad;
  for (const BadLine& b : d.bad_lines) bad.push_back(json::object{{"line", b.line}, {"error", b.error}});
  diag["bad_lines"] = std::move(bad);
  diag["evicted_keys"] = d.evicted_keys;
  diag["evicted_expectations"] = d.evicted_expectations;
  diag["degraded_windows"] = d.degraded_windows;
  if (d.work_limited) diag["work_limited"] = d.work_limited;
  if (d.regex_budget) diag["regex_budget"] = d.regex_budget;
  if (d.symbols_overflow) diag["symbols_overflow"] = d.symbols_overflow;
  if (d.callback_errors) diag["callback_errors"] = d.callback_errors;
  if (d.reentrant_calls) diag["reentrant_calls"] = d.reentrant_calls;
  if (d.redacted_observations) diag["redacted_observations"] = d.redacted_observations;
  if (d.metric_series_dropped) diag["metric_series_dropped"] = d.metric_series_dropped;
  if (d.findings_not_kept) diag["findings_not_kept"] = d.findings_not_kept;
  if (d.alerts_not_kept) diag["alerts_not_kept"] = d.alerts_not_kept;
  o["diagnostics"] = std::move(diag);
  json::array items;
  for (const PendingItem& p : r.pending) {
    json::object item{{"rule", p.rule}, {"kind", p.kind}, {"key", key_json(p.key)}, {"due", p.due}};
    if (!p.state.empty()) item["state"] = p.state;
    items.push_back(std::move(item));
  }
  o["pending"] = {{"expectations", r.pending_expectations}, {"timers", r.pending_timers}, {"items", std::move(items)}};
  json::object counters, hists;
  for (const auto& [k, v] : r.counters) counters[k] = v;
  for (const auto& [k, h] : r.histograms)
    hists[k] = {{"count", h.count}, {"sum", h.sum}, {"min", h.min}, {"max", h.max}};
  o["metrics"] = {{"counters", std::move(counters)}, {"histograms", std::move(hists)}};
  json::array list;
  for (const Finding& f : r.kept_findings)
  {
    json::object item{{"rule", f.rule}, {"level", level_name(f.level)}, {"message", f.message},
                       {"ts", f.ts}, {"event", f.event}};
    if (!f.key.empty()) item["key"] = key_json(f.key);
    list.push_back(std::move(item));
  }
  o["finding_details"] = std::move(list);
  std::string out;
  pretty(out, o, 0);
  out += '\n';
  return out;
}

}  // namespace dta
