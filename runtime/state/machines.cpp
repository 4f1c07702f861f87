// State machines: one instance per key value, created in `initial` by the
// first event that matches any of the machine's transitions; `on` transitions
// apply at events, `after D` ones at timers (every transition restarts the
// clock: a generation number makes older timers harmless).
#include <fmt/format.h>

#include "engine/engine_impl.hpp"

namespace dta {

void Engine::Impl::bind_machines() {
  const uint32_t nrules = static_cast<uint32_t>(prog->rules.size());
  for (uint32_t m = 0; m < prog->machines.size(); ++m) {
    MachineRt& rt = machines.emplace_back();
    rt.instances.set_cap(cap_for(nrules + m, prog->machines[m].max_keys));
    rt.key = names.intern(prog->machines[m].key);
  }
}

std::string_view Engine::Impl::state_of(uint32_t machine, const Value& key) const {
  state_key_buf.clear();
  append_key(state_key_buf, key);
  const Instance* inst = machines[machine].instances.find(state_key_buf);
  return inst ? std::string_view(prog->machines[machine].states[inst->state].name) : std::string_view();
}

void Engine::Impl::schedule_after(uint32_t m, const std::string& key, const Instance& inst) {
  const MachineState& st = prog->machines[m].states[inst.state];
  int64_t best = INT64_MAX;
  for (const Transition& t : st.transitions)
    if (t.after) best = std::min(best, sat_add(inst.entered, const_int(t.delay_k)));
  if (best == INT64_MAX) return;
  Timer t{};
  t.kind = Timer::Kind::After;
  t.due = best;
  t.a = m;
  t.id = inst.gen;
  t.key = key;
  schedule(std::move(t));
}

void Engine::Impl::machine_event(uint32_t m, const Event& ev) {
  const Machine& mach = prog->machines[m];
  MachineRt& rt = machines[m];
  const uint32_t unit = static_cast<uint32_t>(prog->rules.size()) + m;
  const Field* kf = ev.find(rt.key);
  if (!kf) return;  // events without the key are ignored
  std::string key;
  append_key(key, ev.value(*kf));
  bool created = false;
  Instance& inst = rt.instances.touch(key, &created);
  if (created) {
    inst.state = mach.initial;
    inst.entered = ev.ts;
    inst.gen = 0;
  }
  inst.last = ev;
  const std::string_view nm = names.name(ev.name);
  for (const Transition& t : mach.states[inst.state].transitions) {
    if (t.after || !any_matches(t.patterns, nm)) continue;
    if (!where(t.where, ev, &units[unit].stats)) continue;
    ++units[unit].stats.matched;
    if (t.has_block) ++units[unit].stats.fired;
    inst.state = t.target;
    inst.entered = ev.ts;
    ++inst.gen;
    const uint64_t gen = inst.gen;
    ActionCtx ctx{unit, &ev, ev.ts};
    ctx.key_names = &mach.key;
    ctx.key_count = 1;
    ctx.key_event = &ev;
    run_actions(t.actions, ctx);
    Instance* again = rt.instances.find(key);  // actions do not touch machines, but be safe
    if (again && again->gen == gen) schedule_after(m, key, *again);
    return;
  }
  if (created) schedule_after(m, key, inst);
}

void Engine::Impl::machine_after(uint32_t m, const std::string& key, uint64_t gen, int64_t due) {
  const Machine& mach = prog->machines[m];
  MachineRt& rt = machines[m];
  Instance* inst = rt.instances.find(key);
  if (!inst || inst->gen != gen) return;  // moved on since, or evicted
  const uint32_t unit = static_cast<uint32_t>(prog->rules.size()) + m;
  for (const Transition& t : mach.states[inst->state].transitions) {
    if (!t.after || sat_add(inst->entered, const_int(t.delay_k)) != due) continue;
    if (t.has_block) ++units[unit].stats.fired;
    inst->state = t.target;
    inst->entered = due;
    ++inst->gen;
    const Event last = inst->last;  // actions run with the instance's last event
    ActionCtx ctx{unit, &last, due};
    ctx.key_names = &mach.key;
    ctx.key_count = 1;
    ctx.key_event = &last;
    run_actions(t.actions, ctx);
    if (Instance* again = rt.instances.find(key); again && again->gen == gen + 1) schedule_after(m, key, *again);
    return;
  }
}

}  // namespace dta
