// shop's final stats, rendered with Boost.JSON or as text.
#include "stats_output.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/json.hpp>

namespace shop {

namespace {
constexpr std::array<const char*, 4> kLevels = {"error", "warning", "info", "ok"};  // RuntimeStats::findings' order
}  // namespace

bool accounting_adds_up(const RunSummary& s) {
  // The runtime's own events (`dta.fault`, one per injected fault) come on top of the shop's.
  const uint64_t all = s.counts.emitted + s.stats.fault_events;
  return s.stats.queued == 0 && all == s.stats.evaluated + s.stats.dropped && all == s.stats.emitted;
}

std::string stats_json(const RunSummary& s) {
  boost::json::object o;
  o["policy"] = s.stats.policy;
  o["profile"] = s.stats.profile;
  o["mode"] = s.options.sync ? "sync" : "async";
  o["threads"] = s.options.threads;
  o["seconds"] = s.seconds;
  o["ended_by"] = s.ended_by == 0 ? "time" : "signal";
  o["orders"] = {{"put", s.counts.orders}, {"done", s.counts.done}};
  o["emitted"] = s.counts.emitted;
  o["runtime_emitted"] = s.stats.emitted;
  o["evaluated"] = s.stats.evaluated;
  o["dropped"] = s.stats.dropped;
  o["accounting_ok"] = accounting_adds_up(s);
  boost::json::object findings;
  for (size_t i = 0; i < kLevels.size(); ++i) findings[kLevels[i]] = s.stats.findings[i];
  o["findings"] = std::move(findings);
  o["alerts"] = s.stats.alerts;
  o["reloads"] = {{"ok", s.stats.reloads_ok}, {"failed", s.stats.reloads_failed}};
  o["disabled"] = s.stats.disabled;
  boost::json::array rules;
  for (const dta::RuleStats& r : s.stats.rules)
    rules.push_back(boost::json::object{{"name", r.name},
                                        {"matched", r.matched},
                                        {"fired", r.fired},
                                        {"missing_field", r.missing_field},
                                        {"type_error", r.type_error},
                                        {"arith_error", r.arith_error}});
  o["rules"] = std::move(rules);
  return boost::json::serialize(o) + "\n";
}

std::string stats_text(const RunSummary& s) {
  std::string out = fmt::format("shop: {:.2f} s{}, {} workers, {}, policy {}{}\n", s.seconds,
                                s.ended_by ? " (ended by a signal)" : "", s.options.threads,
                                s.options.sync ? "sync" : fmt::format("async (queue {})", s.options.queue),
                                s.stats.policy, s.stats.profile.empty() ? "" : ", profile " + s.stats.profile);
  out += fmt::format("  orders    {} put, {} done\n", s.counts.orders, s.counts.done);
  out += fmt::format("  events    emitted {} = evaluated {} + dropped {}  (runtime counted {} emitted){}\n",
                     s.counts.emitted, s.stats.evaluated, s.stats.dropped, s.stats.emitted,
                     accounting_adds_up(s) ? "" : "  DOES NOT ADD UP");
  out += "  findings ";
  for (size_t i = 0; i < kLevels.size(); ++i) out += fmt::format(" {} {}", kLevels[i], s.stats.findings[i]);
  out += fmt::format("\n  alerts    {}\n  reloads   ok {}, failed {}\n", s.stats.alerts, s.stats.reloads_ok,
                     s.stats.reloads_failed);
  out += fmt::format("  {:<16} {:>9} {:>9}\n", "rule", "matched", "fired");
  for (const dta::RuleStats& r : s.stats.rules)
    out += fmt::format("  {:<16} {:>9} {:>9}\n", r.name, r.matched, r.fired);
  return out;
}

}  // namespace shop
