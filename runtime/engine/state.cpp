// Export and import of an engine's state (Engine::export_state,
// import_state): each site saves its own bytes; timers are named by site id.
#include <fmt/format.h>

#include <boost/unordered/unordered_flat_set.hpp>

#include "engine/engine_impl.hpp"

namespace dta {

std::vector<SiteStats> Engine::site_stats() const {
  std::vector<SiteStats> out;
  impl_->store.each([&](const SiteState& s) {
    out.push_back({s.id(), site_kind_name(s.kind()), s.live_keys(), s.memory(), s.evicted()});
  });
  return out;
}

StateSnapshot Engine::export_state() const {
  const Impl& m = *impl_;
  StateSnapshot out;
  out.clock = m.last_ts;
  m.store.each([&](const SiteState& s) {
    StateWriter w;
    s.save(w);
    out.sites.push_back({s.id(), site_kind_name(s.kind()), s.bound_shape(), w.take()});
  });
  // Live timers, each once: a copy of a timer (an import re-arms what it
  // brought) fires as a no-op, the state having moved on at the first.
  boost::unordered_flat_set<std::string> seen;
  for (const SiteTimer& t : m.store.timers_in_order()) {
    const SiteState* s = m.store.site(t.site);
    if (!s || !s->timer_live(t)) continue;
    std::string identity = fmt::format("{}\n{}\n{}\n", t.site, t.due, t.token) + t.key;
    if (seen.insert(std::move(identity)).second) out.timers.push_back({s->id(), t.due, t.token, t.key});
  }
  return out;
}

Expected<ImportReport> Engine::import_state(const StateSnapshot& snapshot) {
  Impl& m = *impl_;
  if (m.busy && m.refuse_reentry("import_state()")) return fail("import_state() called from an engine callback");
  m.busy = true;
  ImportReport report;
  boost::unordered_flat_map<std::string, SiteState*> taken;
  std::vector<SiteState*> order;  // the sites taken, in the snapshot's order
  boost::unordered_flat_set<uint32_t> replaced;  // sites whose state was replaced: their queued timers go
  for (const SiteSnapshot& in : snapshot.sites) {
    SiteState* s = m.store.find(in.id);
    std::string why;
    if (!s) why = "no such site in this policy";
    else if (in.kind != site_kind_name(s->kind()))
      why = fmt::format("it is a {} here, not a {}", site_kind_name(s->kind()), in.kind);
    else if (in.shape != s->bound_shape()) why = "its shape changed (aggregate, window, keys or states)";
    if (why.empty()) {
      StateReader r(in.bytes);
      replaced.insert(s->handle());
      if (!s->load(r) || !r.at_end()) {
        StateReader none{std::string_view()};
        s->load(none);  // fails on no bytes: the site is left empty
        why = "its state bytes are malformed";
      }
    }
    if (!why.empty()) {
      report.skipped.push_back(fmt::format("{}: {}", in.id, why));
      continue;
    }
    if (taken.emplace(in.id, s).second) order.push_back(s);
    ++report.imported;
  }
  if (!replaced.empty()) m.store.drop_timers([&](uint32_t handle) { return replaced.contains(handle); });
  // The queued timers first, in their order (timers due at the same time keep
  // it), then whatever the state needs under this program (a changed `after`).
  for (const TimerSnapshot& t : snapshot.timers) {
    auto it = taken.find(t.site);
    if (it == taken.end()) continue;
    SiteTimer st;
    st.due = t.due;
    st.site = it->second->handle();
    st.token = t.token;
    st.key = t.key;
    if (it->second->timer_live(st)) m.store.schedule(std::move(st));
  }
  for (SiteState* s : order) s->rearm();
  m.last_ts = std::max(m.last_ts, snapshot.clock);
  m.busy = false;
  return report;
}

}  // namespace dta
