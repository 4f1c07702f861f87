// The machine site (machines.hpp).
#include "state/machines.hpp"

#include "engine/engine_impl.hpp"

namespace dta {

void MachineSite::bind(const Machine& mach, uint32_t unit) {
  mach_ = &mach;
  unit_ = unit;
  instances_.set_cap(m_.cap_for(unit, mach.max_keys));
  key_field_ = m_.names.intern(mach.key);
  if (mach.site.shape != shape_) instances_.clear();  // another shape: state indices mean nothing here
  shape_ = mach.site.shape;
  first_.clear();
  uint32_t n = 0;
  for (const MachineState& st : mach.states) {
    first_.push_back(n);
    n += static_cast<uint32_t>(st.transitions.size());
  }
  m_.units[unit].stats.transitions.resize(n);
}

std::string_view MachineSite::state_of(const std::string& key) const {
  const Instance* inst = instances_.find(key);
  return inst ? std::string_view(mach_->states[inst->state].name) : std::string_view();
}

int64_t MachineSite::next_after(const Instance& inst) const {
  int64_t best = INT64_MAX;
  for (const Transition& t : mach_->states[inst.state].transitions)
    if (t.after) best = std::min(best, sat_add(inst.entered, m_.const_int(t.delay_k)));
  return best;
}

void MachineSite::schedule_after(const std::string& key, const Instance& inst) {
  const int64_t due = next_after(inst);
  if (due == INT64_MAX) return;
  SiteTimer t;
  t.due = due;
  t.site = handle();
  t.token = inst.gen;
  t.key = key;
  m_.store.schedule(std::move(t));
}

void MachineSite::event(const Event& ev) {
  const Machine& mach = *mach_;
  const Field* kf = ev.find(key_field_);
  if (!kf) return;  // events without the key are ignored
  std::string key;
  Engine::Impl::append_key(key, ev.value(*kf));
  bool created = false;
  Instance& inst = instances_.touch(key, &created);
  if (created) {
    inst.state = mach.initial;
    inst.entered = ev.ts;
    inst.gen = 0;
  }
  inst.last = ev;
  RuleReport& stats = m_.units[unit_].stats;
  const std::string_view nm = m_.names.name(ev.name);
  const std::vector<Transition>& from = mach.states[inst.state].transitions;
  for (size_t i = 0; i < from.size(); ++i) {
    const Transition& t = from[i];
    if (t.after || !any_matches(t.patterns, nm)) continue;
    if (!m_.where(t.where, ev, &stats)) continue;
    ++stats.matched;
    ++stats.transitions[first_[inst.state] + i];
    if (t.has_block) ++stats.fired;
    inst.state = t.target;
    inst.entered = ev.ts;
    ++inst.gen;
    ActionCtx ctx{unit_, &ev, ev.ts};
    ctx.key_names = &mach.key;
    ctx.key_count = 1;
    ctx.key_event = &ev;
    m_.run_actions(t.actions, ctx);  // actions reach no machine: `inst` stays valid
    schedule_after(key, inst);
    return;
  }
  if (created) schedule_after(key, inst);
}

void MachineSite::timer(const SiteTimer& t) {
  const Machine& mach = *mach_;
  Instance* inst = instances_.find(t.key);
  if (!inst || inst->gen != t.token) return;  // moved on since, or evicted
  const std::vector<Transition>& from = mach.states[inst->state].transitions;
  for (size_t i = 0; i < from.size(); ++i) {
    const Transition& tr = from[i];
    if (!tr.after || sat_add(inst->entered, m_.const_int(tr.delay_k)) != t.due) continue;
    if (tr.has_block) ++m_.units[unit_].stats.fired;
    ++m_.units[unit_].stats.transitions[first_[inst->state] + i];
    inst->state = tr.target;
    inst->entered = t.due;
    ++inst->gen;
    const Event last = inst->last;  // actions run with the instance's last event
    ActionCtx ctx{unit_, &last, t.due};
    ctx.key_names = &mach.key;
    ctx.key_count = 1;
    ctx.key_event = &last;
    m_.run_actions(tr.actions, ctx);
    schedule_after(t.key, *inst);
    return;
  }
}

void MachineSite::rearm() {
  instances_.each_oldest([&](const std::string& key, const Instance& inst) { schedule_after(key, inst); });
}

void MachineSite::pending(std::vector<PendingItem>& out, uint64_t* timers) const {
  instances_.each([&](const std::string&, const Instance& inst) {
    const int64_t due = next_after(inst);
    if (due == INT64_MAX) return;
    ++*timers;
    out.push_back({mach_->name, "after", m_.fields_as_labels(inst.last, &mach_->key, 1), due,
                   mach_->states[inst.state].name});
  });
}

void MachineSite::save(StateWriter& w) const {
  w.u64(instances_.size());
  instances_.each_oldest([&](const std::string& key, const Instance& inst) {
    w.str(key);
    w.str(mach_->states[inst.state].name);  // by name: a state's index may differ in another program
    w.i64(inst.entered);
    w.u64(inst.gen);
    w.event(inst.last, m_.names);
  });
}

bool MachineSite::load(StateReader& r) {
  instances_.clear();
  const uint64_t n = r.count(4);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    std::string key = r.str();
    const std::string state = r.str();
    uint32_t idx = 0;
    while (idx < mach_->states.size() && mach_->states[idx].name != state) ++idx;
    if (idx == mach_->states.size() || instances_.find(key)) return r.bad(), instances_.clear(), false;
    Instance& inst = instances_.touch(key);
    inst.state = idx;
    inst.entered = r.i64();
    inst.gen = r.u64();
    r.event(inst.last, m_.names);
  }
  if (!r.ok()) instances_.clear();
  return r.ok();
}

size_t MachineSite::memory() const {
  size_t total = 0;
  instances_.each([&](const std::string& key, const Instance& inst) {
    total += sizeof(Instance) + key.size() + inst.last.fields().size() * sizeof(Field) + 64;
  });
  return total;
}

}  // namespace dta
