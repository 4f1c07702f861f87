// Report -> JSON, with a small pretty printer (Boost.JSON keeps key order).
#include "dta/report_json.hpp"

#include <boost/json.hpp>
#include <cmath>
#include <fmt/format.h>
#include <iterator>
#include <variant>

#include "dta/program.hpp"

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

// A field value: ints, floats and bools as JSON numbers and booleans; a float
// beyond JSON's numbers (an infinity read from input) as the text "inf" / "-inf".
json::value field_json(const FieldValue& v) {
  return std::visit(
      [](const auto& x) -> json::value {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, double>) {
          if (!std::isfinite(x)) return json::value(std::isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
          return json::value(x);
        } else {
          return json::value(x);
        }
      },
      v);
}

// A float of the report: null when it is not finite (a sum past the double range).
json::value number_json(double x) { return std::isfinite(x) ? json::value(x) : json::value(nullptr); }

json::object finding_json(const Finding& f) {
  json::object item{{"rule", f.rule}, {"level", level_name(f.level)}, {"message", f.message},
                    {"ts", f.ts},     {"event", f.event}};
  if (!f.key.empty()) item["key"] = key_json(f.key);
  if (!f.fields.empty()) {
    json::object fields;
    for (const auto& [k, v] : f.fields) fields[k] = field_json(v);
    item["fields"] = std::move(fields);
  }
  return item;
}

json::object alert_json(const Alert& a) {
  json::object labels;
  for (const auto& [k, v] : a.labels) labels[k] = v;
  json::object alert{{"rule", a.rule}, {"severity", a.severity}, {"message", a.message}, {"ts", a.ts},
                     {"labels", std::move(labels)}, {"suppressed", a.suppressed}};
  if (!a.key.empty()) alert["key"] = key_json(a.key);
  return alert;
}

json::object histogram_json(const HistogramSummary& h) {
  json::object o{{"count", h.count}, {"sum", number_json(h.sum)}, {"min", h.min}, {"max", h.max}};
  for (auto [name, v] : {std::pair{"p50", h.p50}, std::pair{"p90", h.p90}, std::pair{"p99", h.p99}})
    o[name] = h.has_quantiles ? json::value(v) : json::value(nullptr);
  return o;
}

// `s` as a JSON string: quotes, backslashes and control characters escaped
// (the text is UTF-8: the reader replaced what was not).
void write_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t plain = 0;  // start of the run of bytes that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s, plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(s, plain, s.size() - plain);
  out += '"';
}

// A float in its shortest round-trip form ("48847.71500000001", "0.1",
// "1e+20"; "5.0", so it stays a float), not Boost's "4.884771500000001E4".
void write_double(std::string& out, double d) {
  const size_t at = out.size();
  fmt::format_to(std::back_inserter(out), "{}", d);
  if (out.find_first_of(".en", at) == std::string::npos) out += ".0";
}

// JSON text of `v`: pretty-printed from `indent` (keys in insertion order),
// or compact on one line when indent < 0.
void write_json(std::string& out, const json::value& v, int indent) {
  const bool compact = indent < 0;
  const std::string pad(compact ? 0 : static_cast<size_t>(indent + 2), ' ');
  const char* open_item = compact ? "" : "\n";
  const int inner = compact ? indent : indent + 2;
  auto close = [&](char c) {
    if (!compact) {
      out += '\n';
      out.append(static_cast<size_t>(indent), ' ');
    }
    out += c;
  };
  switch (v.kind()) {
    case json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) { out += "{}"; return; }
      out += '{';
      size_t i = 0;
      for (const auto& kv : o) {
        out += i++ ? "," : "";
        out += open_item;
        out += pad;
        write_string(out, kv.key());
        out += compact ? ":" : ": ";
        write_json(out, kv.value(), inner);
      }
      close('}');
      return;
    }
    case json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) { out += "[]"; return; }
      out += '[';
      for (size_t i = 0; i < a.size(); ++i) {
        out += i ? "," : "";
        out += open_item;
        out += pad;
        write_json(out, a[i], inner);
      }
      close(']');
      return;
    }
    case json::kind::double_: write_double(out, v.get_double()); return;
    case json::kind::string: write_string(out, v.get_string()); return;
    case json::kind::int64: fmt::format_to(std::back_inserter(out), "{}", v.get_int64()); return;
    case json::kind::uint64: fmt::format_to(std::back_inserter(out), "{}", v.get_uint64()); return;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; return;
    case json::kind::null: out += "null"; return;
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
    if (rr.disabled_by_budget) e["disabled_by_budget"] = true;  // time_ns is left out: it changes run to run
    if (rr.findings != decltype(rr.findings){}) {
      json::object by_level;
      for (size_t l = 0; l < rr.findings.size(); ++l) by_level[level_name(static_cast<Level>(l))] = rr.findings[l];
      e["findings"] = std::move(by_level);
    }
    rules[rr.name] = std::move(e);
  }
  o["rules"] = std::move(rules);
  json::array alerts;
  for (const Alert& a : r.alerts) alerts.push_back(alert_json(a));
  o["alerts"] = std::move(alerts);
  json::object raised;  // every alert raised, by severity (alerts lists the first ones)
  for (size_t s = 0; s < r.alerts_raised.size(); ++s)
    raised[alert_severity_name(static_cast<AlertSeverity>(s))] = r.alerts_raised[s];
  o["alerts_raised"] = std::move(raised);
  // Spec 11: rule, what, status, path (relative to the working directory),
  // events; ts, event and bytes besides; a reason when not written.
  json::array collections;
  for (const Collection& c : r.collections) {
    json::object e{{"rule", c.rule}, {"what", c.what}, {"status", c.status}};
    if (!c.path.empty()) e["path"] = c.path;
    if (c.what.starts_with("recorder ")) e["events"] = c.events;
    e["bytes"] = c.bytes;
    e["ts"] = c.ts;
    e["event"] = c.event;
    if (!c.reason.empty()) e["reason"] = c.reason;
    collections.push_back(std::move(e));
  }
  o["collections"] = std::move(collections);
  o["collections_written"] = r.collections_written;
  json::array faults;  // spec 9: each inject of the profile; a replay injects none
  for (const FaultReport& f : r.faults) {
    json::object item{{"point", f.point}, {"probability", f.probability}};
    if (f.max) item["max"] = f.max;
    if (f.after) item["after"] = f.after;
    item["hits"] = f.hits;
    item["injected"] = f.injected;
    faults.push_back(std::move(item));
  }
  o["faults"] = std::move(faults);
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
  if (d.enables) diag["enables"] = d.enables;
  if (d.disabled_by_budget) diag["disabled_by_budget"] = d.disabled_by_budget;
  if (d.redacted_observations) diag["redacted_observations"] = d.redacted_observations;
  if (d.metric_series_dropped) diag["metric_series_dropped"] = d.metric_series_dropped;
  if (d.metric_quantiles_dropped) diag["metric_quantiles_dropped"] = d.metric_quantiles_dropped;
  if (d.findings_not_kept) diag["findings_not_kept"] = d.findings_not_kept;
  if (d.alerts_not_kept) diag["alerts_not_kept"] = d.alerts_not_kept;
  if (d.collections_denied) diag["collections_denied"] = d.collections_denied;
  if (d.collections_failed) diag["collections_failed"] = d.collections_failed;
  if (d.collections_not_kept) diag["collections_not_kept"] = d.collections_not_kept;
  if (d.recorder_truncated) diag["recorder_truncated"] = d.recorder_truncated;
  o["diagnostics"] = std::move(diag);
  json::array items;
  for (const PendingItem& p : r.pending) {
    json::object item{{"rule", p.rule}, {"kind", p.kind}, {"key", key_json(p.key)}, {"due", p.due}};
    if (!p.state.empty()) item["state"] = p.state;
    items.push_back(std::move(item));
  }
  o["pending"] = {{"expectations", r.pending_expectations}, {"timers", r.pending_timers}, {"items", std::move(items)}};
  // Metrics twice: by text key ("name{k=v,...}", as before), and as data:
  // each series with its name, its labels and its value or summary.
  json::object counters, hists;
  for (const auto& [k, v] : r.counters) counters[k] = v;
  for (const auto& [k, h] : r.histograms) hists[k] = histogram_json(h);
  json::array series;
  for (const MetricSeries& m : r.metrics) {
    json::object item{{"name", m.name}, {"type", m.histogram ? "histogram" : "counter"}, {"labels", key_json(m.labels)}};
    if (m.histogram) item["value"] = histogram_json(m.hist);
    else item["value"] = m.value;
    series.push_back(std::move(item));
  }
  o["metrics"] = {{"counters", std::move(counters)}, {"histograms", std::move(hists)}, {"series", std::move(series)}};
  json::array list;
  for (const Finding& f : r.kept_findings) list.push_back(finding_json(f));
  o["finding_details"] = std::move(list);
  std::string out;
  write_json(out, o, 0);
  out += '\n';
  return out;
}

}  // namespace dta

namespace dta {

// The lines are written directly (a run may write millions): the same
// objects as finding_json and alert_json, without building them.
namespace {

// ,"name": before a member (no comma before the first).
void member(std::string& out, std::string_view name, bool first = false) {
  if (!first) out += ',';
  write_string(out, name);
  out += ':';
}

void write_labels(std::string& out, const KeyLabels& labels) {
  out += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    member(out, labels[i].first, i == 0);
    write_string(out, labels[i].second);
  }
  out += '}';
}

void write_field(std::string& out, const FieldValue& v) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, double>) {
          if (std::isfinite(x)) write_double(out, x);
          else write_string(out, std::isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
        } else if constexpr (std::is_same_v<T, bool>) {
          out += x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, int64_t>) {
          fmt::format_to(std::back_inserter(out), "{}", x);
        } else {
          write_string(out, x);
        }
      },
      v);
}

}  // namespace

std::string finding_json_line(const Finding& f) {
  std::string out;
  out.reserve(256);
  out += '{';
  member(out, "rule", true);
  write_string(out, f.rule);
  member(out, "level");
  write_string(out, level_name(f.level));
  member(out, "message");
  write_string(out, f.message);
  member(out, "ts");
  fmt::format_to(std::back_inserter(out), "{}", f.ts);
  member(out, "event");
  write_string(out, f.event);
  if (!f.key.empty()) {
    member(out, "key");
    write_labels(out, f.key);
  }
  if (!f.fields.empty()) {
    member(out, "fields");
    out += '{';
    for (size_t i = 0; i < f.fields.size(); ++i) {
      member(out, f.fields[i].first, i == 0);
      write_field(out, f.fields[i].second);
    }
    out += '}';
  }
  out += "}\n";
  return out;
}

std::string alert_json_line(const Alert& a) {
  std::string out;
  out.reserve(256);
  out += '{';
  member(out, "rule", true);
  write_string(out, a.rule);
  member(out, "severity");
  write_string(out, a.severity);
  member(out, "message");
  write_string(out, a.message);
  member(out, "ts");
  fmt::format_to(std::back_inserter(out), "{}", a.ts);
  member(out, "labels");
  write_labels(out, a.labels);
  member(out, "suppressed");
  fmt::format_to(std::back_inserter(out), "{}", a.suppressed);
  if (!a.key.empty()) {
    member(out, "key");
    write_labels(out, a.key);
  }
  out += "}\n";
  return out;
}

}  // namespace dta
