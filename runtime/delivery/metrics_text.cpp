// The Prometheus text exposition format (version 0.0.4) of a policy's
// `count`/`observe` series, the engine's and runtime's own counters and the
// alert sinks' delivery stats. A pure function of its snapshot.
#include <fmt/format.h>

#include <array>
#include <cmath>
#include <map>
#include <set>

#include "dta/delivery.hpp"
#include "dta/runtime.hpp"

namespace dta {

namespace {

constexpr std::string_view kEnginePrefix = "dta_";      // every family the engine itself writes
constexpr std::string_view kRenamedPrefix = "policy_";  // put before a policy metric that would look like one
constexpr std::array<const char*, 4> kLevels = {"error", "warning", "info", "ok"};  // Report::findings order

// One family being written: its series so far (label texts, to drop
// duplicates), and how many the cap left out.
struct Family {
  std::string name, help, type;
  std::string body;            // the sample lines
  std::set<std::string> seen;  // label texts already written
};

class Writer {
 public:
  explicit Writer(const MetricsTextOptions& o) : options_(o) {}

  // The family NAME (already valid) of TYPE, created on first use. A second
  // family of another type under one name (two policy metrics that sanitise
  // alike) is refused: null.
  Family* family(const std::string& name, std::string_view type, std::string_view help) {
    auto [it, fresh] = families_.try_emplace(name);
    if (fresh) {
      order_.push_back(name);
      it->second.name = name;
      it->second.type = type;
      it->second.help = help;
    } else if (it->second.type != type) {
      ++clashes_;
      return nullptr;
    }
    return &it->second;
  }

  // One series of `f` with these labels (names already valid); false when it
  // is a duplicate or, for a policy's family (`capped`), over the cap (counted).
  // The engine's families are bounded by the program (levels, rules, sinks).
  bool series(Family& f, const std::string& labels, bool capped = false) {
    if (f.seen.contains(labels)) {
      ++duplicates_;
      return false;
    }
    if (capped && f.seen.size() >= options_.max_series_per_family) {
      ++capped_;
      return false;
    }
    f.seen.insert(labels);
    return true;
  }

  // A sample line: NAME{LABELS} VALUE.
  static void sample(Family& f, std::string_view suffix, const std::string& labels, std::string_view value) {
    fmt::format_to(std::back_inserter(f.body), "{}{}{}{}{} {}\n", f.name, suffix, labels.empty() ? "" : "{", labels,
                   labels.empty() ? "" : "}", value);
  }

  // A family with one unlabelled sample.
  void single(const std::string& name, std::string_view type, std::string_view help, std::string_view value) {
    if (Family* f = family(name, type, help); f && series(*f, "")) sample(*f, "", "", value);
  }
  // A family's sample with labels.
  void labelled(const std::string& name, std::string_view type, std::string_view help, const std::string& labels,
                std::string_view value, bool capped = false) {
    if (Family* f = family(name, type, help); f && series(*f, labels, capped)) sample(*f, "", labels, value);
  }

  uint64_t capped() const { return capped_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t clashes() const { return clashes_; }

  std::string finish() const {
    std::string out;
    for (const std::string& n : order_) {
      const Family& f = families_.at(n);
      fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n{}", f.name, escape_help(f.help), f.name,
                     f.type, f.body);
    }
    return out;
  }

 private:
  static std::string escape_help(std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c == '\\')
        out += "\\\\";
      else if (c == '\n')
        out += "\\n";
      else
        out += c;
    }
    return out;
  }

  const MetricsTextOptions& options_;
  std::map<std::string, Family> families_;
  std::vector<std::string> order_;
  uint64_t capped_ = 0, duplicates_ = 0, clashes_ = 0;
};

// k="v",... from pairs (names made valid, values escaped), in order.
std::string label_text(const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    if (!out.empty()) out += ',';
    fmt::format_to(std::back_inserter(out), "{}=\"{}\"", sanitize_label_name(k), escape_label_value(v));
  }
  return out;
}

std::string with_label(std::string labels, std::string_view name, std::string_view value) {
  if (!labels.empty()) labels += ',';
  fmt::format_to(std::back_inserter(labels), "{}=\"{}\"", name, escape_label_value(value));
  return labels;
}

// A float as Prometheus reads it: shortest round trip, +Inf, -Inf, NaN.
std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}
std::string number(uint64_t v) { return std::to_string(v); }

// The family name of a policy metric.
std::string policy_name(std::string_view name) {
  std::string n = sanitize_metric_name(name);
  if (n.starts_with(kEnginePrefix)) n = std::string(kRenamedPrefix) + n;
  return n;
}

void write_policy_metrics(Writer& w, const Report& r) {
  for (const MetricSeries& m : r.metrics) {
    const std::string labels = label_text(m.labels);
    if (!m.histogram) {
      std::string name = policy_name(m.name);
      if (!name.ends_with("_total")) name += "_total";
      w.labelled(name, "counter", fmt::format("count {} (policy {})", m.name, r.policy), labels, number(m.value), true);
      continue;
    }
    Family* f = w.family(policy_name(m.name), "summary", fmt::format("observe {} (policy {})", m.name, r.policy));
    if (!f || !w.series(*f, labels, true)) continue;
    if (m.hist.has_quantiles && m.hist.count > 0) {
      Writer::sample(*f, "", with_label(labels, "quantile", "0.5"), number(m.hist.p50));
      Writer::sample(*f, "", with_label(labels, "quantile", "0.9"), number(m.hist.p90));
      Writer::sample(*f, "", with_label(labels, "quantile", "0.99"), number(m.hist.p99));
    }
    Writer::sample(*f, "_sum", labels, number(m.hist.sum));
    Writer::sample(*f, "_count", labels, number(m.hist.count));
  }
}

void write_runtime_stats(Writer& w, const RuntimeStats& s) {
  w.single("dta_events_emitted_total", "counter", "events handed to the runtime by listening sites", number(s.emitted));
  w.single("dta_events_evaluated_total", "counter", "events the engine evaluated", number(s.evaluated));
  w.single("dta_events_dropped_total", "counter", "events not evaluated: the queue was full, or the rip cord",
           number(s.dropped));
  w.single("dta_events_queued", "gauge", "events waiting in the runtime's queue", number(s.queued));
  for (size_t l = 0; l < kLevels.size(); ++l)
    w.labelled("dta_findings_total", "counter", "findings by level", with_label("", "level", kLevels[l]),
               number(s.findings[l]));
  w.single("dta_alerts_total", "counter", "alerts raised", number(s.alerts));
  w.labelled("dta_reloads_total", "counter", "policy loads and reloads by result", with_label("", "result", "ok"),
             number(s.reloads_ok));
  w.labelled("dta_reloads_total", "counter", "policy loads and reloads by result", with_label("", "result", "failed"),
             number(s.reloads_failed));
  w.single("dta_disabled", "gauge", "1 while the rip cord is pulled", s.disabled ? "1" : "0");
  for (const RuleStats& r : s.rules) {
    const std::string l = with_label("", "rule", r.name);
    w.labelled("dta_rule_matched_total", "counter", "events a rule's pattern and where matched", l, number(r.matched));
    w.labelled("dta_rule_fired_total", "counter", "times a rule's actions ran", l, number(r.fired));
  }
}

// Without a runtime (a replay): the report's counts.
void write_report_counts(Writer& w, const Report& r) {
  w.single("dta_events_evaluated_total", "counter", "events the engine evaluated", number(r.events));
  for (size_t l = 0; l < kLevels.size(); ++l)
    w.labelled("dta_findings_total", "counter", "findings by level", with_label("", "level", kLevels[l]),
               number(r.findings[l]));
  uint64_t alerts = 0;
  for (uint64_t a : r.alerts_raised) alerts += a;
  w.single("dta_alerts_total", "counter", "alerts raised", number(alerts));
  for (const RuleReport& rr : r.rules) {
    const std::string l = with_label("", "rule", rr.name);
    w.labelled("dta_rule_matched_total", "counter", "events a rule's pattern and where matched", l, number(rr.matched));
    w.labelled("dta_rule_fired_total", "counter", "times a rule's actions ran", l, number(rr.fired));
  }
}

void write_diagnostics(Writer& w, const Report& r) {
  const Diagnostics& d = r.diagnostics;
  w.single("dta_evicted_keys_total", "counter", "window and machine keys evicted by their cap", number(d.evicted_keys));
  w.single("dta_evicted_expectations_total", "counter", "pending expectations evicted by their cap",
           number(d.evicted_expectations));
  w.single("dta_metric_series_dropped_total", "counter", "count/observe updates beyond the engine's series cap",
           number(d.metric_series_dropped));
  w.single("dta_callback_errors_total", "counter", "host callbacks that threw", number(d.callback_errors));
  w.single("dta_work_limited_total", "counter", "steps cut short by the work budget", number(d.work_limited));
  w.single("dta_pending_expectations", "gauge", "expectations waiting for their events",
           number(r.pending_expectations));
  // Collections and denials (issue 11 items 2-3: recorders, collect, budgets)
  // go here as dta_collections_total{status=...} and dta_collection_denials_total{reason=...}.
}

void write_delivery(Writer& w, const std::vector<std::pair<std::string, DeliveryStats>>& sinks) {
  for (const auto& [name, s] : sinks) {
    const std::string l = with_label("", "sink", name);
    w.labelled("dta_alerts_delivered_total", "counter", "alerts a sink delivered", l, number(s.sent));
    w.labelled("dta_alert_delivery_failures_total", "counter", "delivery attempts (batches) that failed", l,
               number(s.failed_attempts));
    w.labelled("dta_alert_delivery_retries_total", "counter", "delivery attempts made again after a failure", l,
               number(s.retried));
    w.labelled("dta_alerts_undelivered_total", "counter", "alerts a sink gave up (queue full, retries, shutdown)", l,
               number(s.dropped));
    w.labelled("dta_alerts_delivery_queued", "gauge", "alerts waiting in a sink's queue or in flight", l,
               number(s.queued));
  }
}

bool metric_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string sanitize_metric_name(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (name.empty() || digit(name[0])) out += '_';
  for (char c : name) out += metric_start(c) || digit(c) || c == ':' ? c : '_';
  return out;
}

std::string sanitize_label_name(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (name.empty() || digit(name[0])) out += '_';
  for (char c : name) out += metric_start(c) || digit(c) ? c : '_';
  if (out.starts_with("__")) out.insert(out.begin(), 'x');
  return out;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string metrics_text(const MetricsSnapshot& snap, const MetricsTextOptions& options) {
  Writer w(options);
  if (snap.stats)
    write_runtime_stats(w, *snap.stats);
  else if (snap.report)
    write_report_counts(w, *snap.report);
  if (snap.report) write_diagnostics(w, *snap.report);
  write_delivery(w, snap.delivery);
  if (snap.report) write_policy_metrics(w, *snap.report);
  w.single("dta_metrics_series_capped", "gauge",
           "series left out of this page by the per-family cap (label cardinality)", number(w.capped()));
  w.single("dta_metrics_series_collided", "gauge",
           "series left out because their names or labels became equal once made valid",
           number(w.duplicates() + w.clashes()));
  return w.finish();
}

}  // namespace dta
