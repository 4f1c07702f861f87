// Alerts: severity (or a profile's override), message and labels (those
// written, then the `by` keys of the window that raised it), rate-limited by
// `dedup K every D`, `every D` or `dedup K`; the next alert after suppressed
// ones says how many were held back.
#include "engine/engine_impl.hpp"
#include "state/dedup.hpp"

namespace dta {

void Engine::Impl::alert(const Action& a, const ActionCtx& ctx) {
  const UnitState& us = units[ctx.unit];
  const AlertSeverity sev = us.alert >= 0 ? static_cast<AlertSeverity>(us.alert) : a.severity;
  if (sev == AlertSeverity::Off) return;
  uint64_t suppressed = 0;
  if (auto site = dedup_sites.find(&a); site != dedup_sites.end()) {
    std::string key;
    for (const Entry& d : a.dedup) {
      Value v;
      if (eval(d.chunk, *ctx.ev, &ctx, &v) == Status::Ok) append_key(key, v);
      else key += '\x7f';  // a missing dedup key is a key of its own
    }
    if (!site->second->admit(key, ctx.now, &suppressed)) return;
  }
  Alert out;
  out.rule = us.stats.name;
  out.severity = alert_severity_name(sev);
  out.message = render(a.tmpl, ctx);
  out.ts = ctx.now;
  for (const Entry& e : a.entries) {
    std::string v;
    if (e.tmpl >= 0) v = render(e.tmpl, ctx);
    else append_output(v, e.chunk, ctx);
    out.labels.emplace_back(e.key, std::move(v));
  }
  if (ctx.key_labels)
    for (const auto& kv : *ctx.key_labels) out.labels.push_back(kv);
  out.suppressed = suppressed;
  out.key = key_of(ctx);
  static_assert(static_cast<size_t>(AlertSeverity::Critical) + 1 == std::tuple_size_v<decltype(Report::alerts_raised)>,
                "Report::alerts_raised counts the written severities info..critical of alert_severities.def");
  ++rep.alerts_raised[static_cast<size_t>(sev)];
  notify(opts.on_alert, out);
  if (rep.alerts.size() < opts.max_kept_alerts) rep.alerts.push_back(std::move(out));
  else ++rep.diagnostics.alerts_not_kept;
}

}  // namespace dta
