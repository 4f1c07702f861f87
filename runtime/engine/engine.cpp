// The engine: binds a program to a profile and an interner, runs due timers
// before each event, dispatches the event to the filters, expectations,
// machines and rules its name can reach, runs their code in the VM and their
// actions, and keeps the counters the report is made from.
#include "dta/engine.hpp"

#include <algorithm>
#include <fmt/format.h>

#include <cmath>

#include "dta/hash.hpp"
#include "engine/engine_impl.hpp"
#include "collect/collect_budget.hpp"
#include "recorders/recorder_site.hpp"
#include "state/dedup.hpp"
#include "state/expectations.hpp"
#include "state/machines.hpp"
#include "state/when_site.hpp"

namespace dta {
bool pattern_matches(const std::string& pattern, std::string_view name) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, ".*") == 0) {
    const std::string_view prefix(pattern.data(), pattern.size() - 1);  // keeps the dot
    return name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix;
  }
  return name == pattern;
}

bool event_pattern_matches(const std::string& pattern, std::string_view name) { return pattern_matches(pattern, name); }

std::vector<std::string> Engine::listened_patterns() const {
  const Program& p = *impl_->prog;
  std::vector<std::string> out;
  auto add = [&](const std::vector<std::string>& patterns) { out.insert(out.end(), patterns.begin(), patterns.end()); };
  for (uint32_t i = 0; i < p.rules.size(); ++i) {
    if (impl_->units[i].off) continue;
    add(p.rules[i].patterns);
    for (const Expect& x : p.rules[i].expects) add(x.patterns);
  }
  for (uint32_t m = 0; m < p.machines.size(); ++m) {
    if (impl_->units[p.rules.size() + m].off) continue;
    for (const MachineState& st : p.machines[m].states)
      for (const Transition& t : st.transitions)
        if (!t.after) add(t.patterns);
  }
  for (const Recorder& r : p.recorders) add(r.patterns);  // a flight recorder keeps what comes before a trigger
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool any_matches(const std::vector<std::string>& patterns, std::string_view name) {
  for (const std::string& p : patterns)
    if (pattern_matches(p, name)) return true;
  return false;
}

bool Engine::Impl::bind(std::string* error) {
  if (!prog) {
    *error = "no program";
    return false;
  }
  if (!prog->finalized()) {
    *error = "program was not finalized";
    return false;
  }
  if (!opts.profile.empty()) {
    profile = prog->find_profile(opts.profile);
    if (profile < 0) {
      std::vector<std::string> known;
      for (const Profile& p : prog->profiles) known.push_back(p.name);
      *error = fmt::format("unknown profile '{}' (the policy has: {})", opts.profile,
                           known.empty() ? "no profiles" : fmt::format("{}", fmt::join(known, ", ")));
      return false;
    }
  }
  intern_program_names();
  for (const std::string& k : prog->keys) keymap.push_back(names.intern(k));
  fns = prog->resolved_functions();
  env.prog = prog.get();
  env.k = prog->const_values(profile).data();
  env.keymap = keymap.data();
  env.fns = fns.data();
  env.names = &names;
  env.arena = &arena;
  env.regs = regs.data();
  env.states = this;

  const size_t nrules = prog->rules.size();
  units.resize(nrules + prog->machines.size());
  for (size_t i = 0; i < units.size(); ++i) units[i].stats.name = unit_name(static_cast<uint32_t>(i));
  if (profile >= 0) {
    const Profile& p = prog->profiles[profile];
    for (const auto& [idx, lvl] : p.levels) {
      UnitState& us = units[idx];
      us.off = lvl == Level::Off;
      if (!us.off) us.map[0] = us.map[1] = us.map[2] = lvl;
    }
    if (p.warnings_error)
      for (UnitState& us : units)
        for (Level& l : us.map)
          if (l == Level::Warning) l = Level::Error;
    for (const auto& [idx, sev] : p.alerts) units[idx].alert = static_cast<int>(sev);
    for (const auto& [idx, cap] : p.max_keys) units[idx].max_keys = cap;
  }
  for (size_t i = 0; i < units.size(); ++i) {
    const Level written = i < nrules ? prog->rules[i].level : prog->machines[i - nrules].level;
    UnitState& us = units[i];
    us.stats.level = us.off ? Level::Off : written <= Level::Info ? us.map[static_cast<int>(written)] : written;
  }
  bind_outputs();
  bind_sites();
  if (!bind_recorders(error)) return false;
  bind_timing();
  rep.policy = prog->policy;
  rep.profile = opts.profile;
  return true;
}

void Engine::Impl::intern_program_names() {
  names.set_base(prog->symbols());
  // The program's names come first, so the cap never hides a name it uses.
  names.set_cap(std::max<uint32_t>(opts.max_symbols, names.size() + 2));
}

namespace {

// Whether any code of a tumbling block's actions reads the fields of the
// event its actions see (the key's last event); when none does, the engine
// keeps only that event's name, id, time and severity.
bool actions_read_fields(const Program& p, const std::vector<Action>& actions) {
  auto chunk = [&](int32_t c) {
    if (c < 0) return false;
    for (const Instr& in : p.chunks[c].code)
      if ((in.op >= Op::LOADF && in.op <= Op::LOADF_B) || in.op == Op::HAS) return true;
    return false;
  };
  auto tmpl = [&](int32_t t) {
    if (t < 0) return false;
    for (const TemplatePart& part : p.templates[t].parts)
      if (chunk(part.chunk)) return true;
    return false;
  };
  auto entries = [&](const std::vector<Entry>& es) {
    for (const Entry& e : es)
      if (chunk(e.chunk) || tmpl(e.tmpl)) return true;
    return false;
  };
  for (const Action& a : actions)
    if (tmpl(a.tmpl) || chunk(a.chunk) || entries(a.entries) || entries(a.dedup)) return true;
  return false;
}

// Whether any action of the program collects: only then does an engine keep a budget site.
bool collects(const Program& p) {
  auto any = [](const std::vector<Action>& list) {
    for (const Action& a : list)
      if (a.kind == ActionKind::CollectRecorder || a.kind == ActionKind::CollectSnapshot ||
          a.kind == ActionKind::CollectProcess)
        return true;
    return false;
  };
  for (const Rule& r : p.rules) {
    if (any(r.actions)) return true;
    for (const When& w : r.whens)
      if (any(w.actions)) return true;
    for (const Expect& x : r.expects)
      if (any(x.then_actions) || any(x.else_actions)) return true;
  }
  for (const Machine& m : p.machines)
    for (const MachineState& st : m.states)
      for (const Transition& t : st.transitions)
        if (any(t.actions)) return true;
  return false;
}

// Whether an action list holds an `emit` (which may copy a sensitive value).
bool has_emit(const std::vector<Action>& list) {
  for (const Action& a : list)
    if (a.kind == ActionKind::Emit) return true;
  return false;
}

}  // namespace

template <class S>
S* Engine::Impl::site(const std::string& id) {
  if (SiteState* found = store.find(id)) {
    if (found->kind() == S::kKind) return static_cast<S*>(found);
    store.remove(id);  // an id names one construct kind ("r/when#0"); never kept across kinds
  }
  return static_cast<S*>(store.add(std::make_unique<S>(id, *this)));
}

void Engine::Impl::bind_sites() {
  // A value can be sensitive only when a schema declares a sensitive field or
  // an `emit` may copy one: otherwise no window sample needs checking.
  bool may_mark_sensitive = !prog->sensitive.empty();
  for (const Rule& r : prog->rules) {
    may_mark_sensitive |= has_emit(r.actions);
    for (const When& w : r.whens) may_mark_sensitive |= has_emit(w.actions);
    for (const Expect& x : r.expects) may_mark_sensitive |= has_emit(x.then_actions) || has_emit(x.else_actions);
  }
  for (const Machine& mach : prog->machines)
    for (const MachineState& st : mach.states)
      for (const Transition& t : st.transitions) may_mark_sensitive |= has_emit(t.actions);

  auto alerts = [&](const std::vector<Action>& list) {
    for (const Action& a : list) {
      if (a.site.id.empty()) continue;
      DedupSite* d = site<DedupSite>(a.site.id);
      d->bind(a);
      dedup_sites[&a] = d;
    }
  };
  const auto nrules = static_cast<uint32_t>(prog->rules.size());
  // Machines first: a window's threshold is evaluated while binding and may read a machine.
  machine_sites.clear();
  for (uint32_t m = 0; m < prog->machines.size(); ++m) {
    const Machine& mach = prog->machines[m];
    MachineSite* ms = site<MachineSite>(mach.site.id);
    ms->bind(mach, nrules + m);
    machine_sites.push_back(ms);
    for (const MachineState& st : mach.states)
      for (const Transition& t : st.transitions) alerts(t.actions);
  }
  when_sites.assign(nrules, {});
  expect_sites.assign(nrules, {});
  for (uint32_t r = 0; r < nrules; ++r) {
    const Rule& rule = prog->rules[r];
    alerts(rule.actions);
    for (const Expect& x : rule.expects) {
      ExpectSite* es = site<ExpectSite>(x.site.id);
      es->bind(x, r);
      expect_sites[r].push_back(es);
      alerts(x.then_actions);
      alerts(x.else_actions);
    }
    for (const When& w : rule.whens) {
      WhenSite* ws = site<WhenSite>(w.site.id);
      ws->bind(w, r, actions_read_fields(*prog, w.actions), may_mark_sensitive);
      when_sites[r].push_back(ws);
      alerts(w.actions);
    }
  }
}

bool Engine::Impl::bind_recorders(std::string* error) {
  if (profile >= 0) {
    const std::string why = recorder_memory_problem(prog->recorders, prog->profiles[profile].budget.recorder_memory);
    if (!why.empty()) {
      *error = fmt::format("profile '{}': {}", prog->profiles[profile].name, why);
      return false;
    }
  }
  recorder_sites.clear();
  for (const Recorder& r : prog->recorders) {
    RecorderSite* rs = site<RecorderSite>(r.site.id);
    rs->bind(r);
    recorder_sites.push_back(rs);
  }
  if (collects(*prog)) {
    collect_budget = site<CollectBudgetSite>(CollectBudgetSite::kId);
    collect_budget->bind(profile >= 0 ? prog->profiles[profile].budget : Budget{});
  }
  return true;
}

const std::string& Engine::Impl::unit_name(uint32_t unit) const {
  return unit < prog->rules.size() ? prog->rules[unit].name : prog->machines[unit - prog->rules.size()].name;
}

size_t Engine::Impl::cap_for(uint32_t unit, uint32_t declared) const {
  if (units[unit].max_keys) return units[unit].max_keys;
  return declared ? declared : opts.default_max_keys;
}

const Engine::Impl::Dispatch& Engine::Impl::build_dispatch(uint32_t name) {
  if (name >= dispatch.size()) dispatch.resize(name + 1, nullptr);
  Dispatch d;
  const std::string_view nm = names.name(name);
  for (uint32_t i = 0; i < prog->rules.size(); ++i) {
    const Rule& r = prog->rules[i];
    if (units[i].off) continue;
    if (any_matches(r.patterns, nm))
      d.rules.push_back({&r, r.where >= 0 ? &prog->chunks[r.where] : nullptr, &units[i], i, when_sites[i],
                         expect_sites[i]});
    for (uint32_t x = 0; x < r.expects.size(); ++x)
      if (any_matches(r.expects[x].patterns, nm)) d.expects.push_back(expect_sites[i][x]);
  }
  for (uint32_t i = 0; i < prog->filters.size(); ++i)
    if (any_matches(prog->filters[i].patterns, nm)) d.filters.push_back(i);
  for (uint32_t m = 0; m < prog->machines.size(); ++m) {
    if (units[prog->rules.size() + m].off) continue;
    bool any = false;
    for (const MachineState& st : prog->machines[m].states)
      for (const Transition& t : st.transitions) any |= !t.after && any_matches(t.patterns, nm);
    if (any) d.machines.push_back(machine_sites[m]);
  }
  for (const SensitiveField& sf : prog->sensitive)
    if (sf.event == nm) d.sensitive.push_back(names.intern(sf.field));
  for (uint32_t r = 0; r < prog->recorders.size(); ++r)
    if (any_matches(prog->recorders[r].patterns, nm)) d.recorders.push_back(recorder_sites[r]);
  if (d.empty()) return *(dispatch[name] = &nothing);
  dispatch_pool.push_back(std::move(d));
  return *(dispatch[name] = &dispatch_pool.back());
}

std::string_view Engine::Impl::state_of(uint32_t machine, const Value& key) const {
  state_key_buf.clear();
  append_key(state_key_buf, key);
  return machine_sites[machine]->state_of(state_key_buf);
}

void Engine::Impl::count_miss(Status st, RuleReport* stats) {
  switch (st) {
    case Status::MissingField: ++rep.diagnostics.missing_field; if (stats) ++stats->missing_field; break;
    case Status::TypeError: ++rep.diagnostics.type_error; if (stats) ++stats->type_error; break;
    case Status::ArithError: ++rep.diagnostics.arith_error; if (stats) ++stats->arith_error; break;
    case Status::RegexBudget: ++rep.diagnostics.regex_budget; break;
    case Status::Ok: break;
  }
}

Status Engine::Impl::eval(int32_t chunk, const Event& ev, const ActionCtx* ctx, Value* out) {
  return chunk < 0 ? Status::MissingField : run_chunk(prog->chunks[chunk], ev, ctx, out);
}

void Engine::Impl::finding(const Action& a, const ActionCtx& ctx) {
  UnitState& us = units[ctx.unit];
  const Level level = a.level <= Level::Info ? us.map[static_cast<int>(a.level)] : a.level;
  const auto l = static_cast<size_t>(level);
  ++rep.findings[l];
  ++us.stats.findings[l];
  // The kept list is for reading: a bare `ok` (no message) is only counted.
  // Once it is full, a finding displaces the last one of a less severe level.
  const bool listed = level != Level::Ok || a.tmpl >= 0;
  bool keep = false;
  size_t displaced = l;  // the level that gives up its last kept finding (l: none)
  if (listed) {
    if (kept_total < opts.max_kept_findings) {
      keep = true;
    } else {
      for (size_t w = kept_by_level.size() - 1; w > l && !keep; --w)
        if (!kept_by_level[w].empty()) displaced = w, keep = true;
      ++rep.diagnostics.findings_not_kept;  // this one, or the one it displaces
    }
  }
  if (!keep && !opts.on_finding) return;
  Finding f{us.stats.name, level, render(a.tmpl, ctx), ctx.now, std::string(names.name(ctx.ev->name)), key_of(ctx), {}};
  if (opts.finding_fields) f.fields = event_fields(*ctx.ev);
  notify(opts.on_finding, f);
  if (!keep) return;
  if (displaced != l) kept_by_level[displaced].pop_back();
  else ++kept_total;
  kept_by_level[l].emplace_back(finding_seq++, std::move(f));
}

void Engine::Impl::emit(const Action& a, const ActionCtx& ctx) {
  if (in_derived) return;  // derived events do not emit
  if (!spend()) return;     // each derived event is work of this step
  Event out;
  out.ts = ctx.now;
  out.name = names.intern(a.name);
  for (const Entry& e : a.entries) {
    const uint32_t key = names.intern(e.key);
    bool sensitive = false;  // a copy of a sensitive value stays sensitive in the derived event
    if (e.tmpl >= 0) {
      out.add_string(key, render_raw(e.tmpl, ctx, &sensitive));
    } else {
      Value v;
      if (eval(e.chunk, *ctx.ev, &ctx, &v) != Status::Ok) continue;  // a value that fails is left out
      switch (v.type) {
        case Type::Int: out.add_int(key, v.i); break;
        case Type::Float: out.add_float(key, v.f); break;
        case Type::Bool: out.add_bool(key, v.b); break;
        case Type::String: out.add_string(key, v.str()); break;
        default: continue;
      }
      sensitive = reads_sensitive(e.chunk, ctx);
    }
    if (sensitive) out.mark_sensitive(key);
  }
  emitted.push_back(std::move(out));
}

void Engine::Impl::run_actions(const std::vector<Action>& actions, const ActionCtx& ctx) {
  for (const Action& a : actions) {
    switch (a.kind) {
      case ActionKind::Verdict: finding(a, ctx); break;
      case ActionKind::Emit: emit(a, ctx); break;
      case ActionKind::Count:
        metric_key(metric_key_buf, a.name, a.entries, ctx);
        count(metric_key_buf);
        break;
      case ActionKind::Observe: {
        Value v;
        if (eval(a.chunk, *ctx.ev, &ctx, &v) != Status::Ok || (v.type != Type::Int && v.type != Type::Float)) break;
        const double x = v.type == Type::Int ? static_cast<double>(v.i) : v.f;
        if (!std::isfinite(x)) {  // NaN and infinity stay out of metrics
          count_miss(Status::ArithError, &units[ctx.unit].stats);
          break;
        }
        if (reads_sensitive(a.chunk, ctx)) {  // a histogram's min and max would show the value
          ++rep.diagnostics.redacted_observations;
          break;
        }
        metric_key(metric_key_buf, a.name, a.entries, ctx);
        observe(metric_key_buf, x);
        break;
      }
      case ActionKind::Alert: alert(a, ctx); break;
      case ActionKind::Enable: enable(a, ctx); break;
      case ActionKind::CollectRecorder:
      case ActionKind::CollectSnapshot:
      case ActionKind::CollectProcess: collect(a, ctx); break;
      case ActionKind::Discard: discard(a, ctx); break;
    }
  }
}

void Engine::Impl::enable(const Action& a, const ActionCtx& ctx) {
  ++rep.diagnostics.enables;
  if (!opts.on_enable) return;
  const int64_t d = std::max<int64_t>(const_int(a.for_k), 0);  // > 0 from the compiler; a crafted .dtb gets nothing
  notify(opts.on_enable, EnableRequest{a.name, a.min_severity, ctx.now, sat_add(ctx.now, d), unit_name(ctx.unit)});
}

bool Engine::Impl::sample_keeps(const Event& ev, double fraction) const {
  uint64_t h = hash_bytes(kHashSeed, names.name(ev.name));
  h = hash_value(h, Value::of_int(ev.ts));
  for (const Field& f : ev.fields()) {
    h = hash_bytes(h, names.name(f.key));
    h = hash_value(h, ev.value(f));
  }
  const double u = static_cast<double>(hash_finish(h) >> 11) * 0x1.0p-53;
  return u < fraction;
}

void Engine::Impl::append_key(std::string& out, const Value& v) {
  out += static_cast<char>(v.type);
  switch (v.type) {
    case Type::String: out.append(v.s.p, v.s.n); out += '\0'; break;
    case Type::Bool: out += v.b ? '1' : '0'; break;
    case Type::Int: out.append(reinterpret_cast<const char*>(&v.i), 8); break;
    case Type::Float: out.append(reinterpret_cast<const char*>(&v.f), 8); break;
    default: break;
  }
}

template <bool kTimed>
void Engine::Impl::run_event_as(const Event& in) {
  const Dispatch& d = dispatch_for(in.name);
  const Event* ev = &in;
  for (uint32_t fi : d.filters) {
    const Filter& f = prog->filters[fi];
    if (!where(f.where, *ev, nullptr)) continue;
    switch (f.kind) {
      case FilterKind::Drop: ++rep.diagnostics.dropped; return;
      case FilterKind::Sample:
        if (!sample_keeps(*ev, f.fraction)) {
          ++rep.diagnostics.sampled_out;
          return;
        }
        break;
      case FilterKind::Redact:
        if (ev != &scratch) {
          scratch = *ev;
          ev = &scratch;
        }
        for (const std::string& field : f.fields) scratch.remove(names.intern(field));
        break;
    }
  }
  // Recorders keep the event as filters left it, before anything may collect them.
  for (RecorderSite* r : d.recorders) r->record(*ev, d.sensitive);
  // Timed (one event in EngineOptions::time_sample_every): each unit's part
  // is charged to it, from one clock reading to the next (cpu_budget.cpp).
  if constexpr (kTimed) lap_start();
  for (ExpectSite* x : d.expects) {
    x->arrival(*ev);
    if constexpr (kTimed) lap(x->unit());
  }
  for (MachineSite* m : d.machines) {
    m->event(*ev);
    if constexpr (kTimed) lap(m->unit());
  }
  for (const RuleSlot& slot : d.rules) {
    if (slot.where && !where_chunk(*slot.where, *ev, &slot.unit->stats)) {
      if constexpr (kTimed) lap(slot.index);
      continue;
    }
    const Rule& rule = *slot.rule;
    ++slot.unit->stats.matched;
    if (rule.counts_fired) {
      ++slot.unit->stats.fired;
      run_actions(rule.actions, ActionCtx{slot.index, ev, ev->ts});
    }
    for (WhenSite* w : slot.whens) w->event(*ev);
    for (ExpectSite* x : slot.expects) x->start(*ev);
    if constexpr (kTimed) lap(slot.index);
  }
}
template void Engine::Impl::run_event_as<false>(const Event& in);
template void Engine::Impl::run_event_as<true>(const Event& in);

void Engine::Impl::drain_emitted() {
  if (emitted.empty()) return;
  in_derived = true;
  while (!emitted.empty()) {
    ++rep.diagnostics.emitted;
    run_event(emitted.front());
    emitted.pop_front();
  }
  in_derived = false;
}

void Engine::Impl::run_timers(int64_t before) {
  // Each firing spends a unit of the step's budget; what is left due stays
  // queued and runs first in the next step (time order is kept).
  while (store.due_before(before) && spend()) {
    const SiteTimer t = store.pop();
    if (SiteState* s = store.site(t.site); s && !budget_off(s)) s->timer(t);
    drain_emitted();
  }
}

std::unique_ptr<Engine> Engine::create(std::shared_ptr<const Program> program, const EngineOptions& options,
                                       std::string* error) {
  auto impl = std::make_unique<Impl>();
  impl->prog = std::move(program);
  impl->opts = options;
  if (!impl->bind(error)) return nullptr;
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Interner& Engine::symbols() { return impl_->names; }

bool Engine::Impl::refuse_reentry(const char* what) {
  if (!busy) return false;
  ++rep.diagnostics.reentrant_calls;
  if (opts.on_error || opts.on_engine_error) {
    busy = false;  // the error callback may not re-enter either, but it must run
    const std::string message = std::string("dta: ") + what + " called from an engine callback; refused";
    notify(opts.on_error, message);
    notify(opts.on_engine_error, EngineError{EngineError::Kind::ReentrantCall, message});
    busy = true;
  }
  return true;
}

bool Engine::process(const Event& event) {
  Impl& m = *impl_;
  if (m.busy && m.refuse_reentry("process()")) return false;
  // One event in time_sample_every is timed (cpu_budget.cpp), out of line.
  if (--m.timing.sample_left == 0) [[unlikely]]
    m.step_timed(event);
  else
    m.step<false>(event);
  return true;
}

template <bool kTimed>
void Engine::Impl::step(const Event& event) {
  busy = true;  // rep.events: counted by the sampling countdown (Timing::events)
  begin_step();
  const Event* ev = &event;
  if (event.ts < last_ts) {  // late: processed with its predecessor's time
    ++rep.diagnostics.late;
    scratch = event;
    scratch.ts = last_ts;
    ev = &scratch;
  }
  last_ts = ev->ts;
  if (store.due_before(ev->ts)) {
    Event copy = *ev;  // the derived events of timers may reuse the scratch event
    run_timers(copy.ts);
    run_event_as<kTimed>(copy);
  } else {
    run_event_as<kTimed>(*ev);
  }
  if (!emitted.empty()) drain_emitted();
  if constexpr (kTimed) end_timed_step();
  arena.reset();
  busy = false;
}
template void Engine::Impl::step<true>(const Event& event);

bool Engine::advance_to(int64_t ts) {
  Impl& m = *impl_;
  if (m.busy && m.refuse_reentry("advance_to()")) return false;
  if (ts <= m.last_ts) return true;  // time never goes backwards
  m.busy = true;
  m.begin_step();
  m.last_ts = ts;
  m.run_timers(ts);
  m.arena.reset();
  m.busy = false;
  return true;
}

void Engine::note_bad_input(uint64_t line, const std::string& error) {
  Diagnostics& d = impl_->rep.diagnostics;
  ++d.bad_input;
  if (d.bad_lines.size() < impl_->opts.max_bad_lines) d.bad_lines.push_back({line, error});
}

void Engine::finish() {
  Impl& m = *impl_;
  if (m.busy && m.refuse_reentry("finish()")) return;
  m.busy = true;
  m.list_pending();
  m.busy = false;
}

void Engine::Impl::list_pending() {
  rep.pending.clear();
  std::vector<PendingItem> items;
  uint64_t timers_armed = 0;
  store.each([&](const SiteState& s) { s.pending(items, &timers_armed); });
  rep.pending_timers = timers_armed;
  std::stable_sort(items.begin(), items.end(),
                   [](const PendingItem& a, const PendingItem& b) { return a.due < b.due; });
  if (items.size() > opts.max_pending_items) items.resize(opts.max_pending_items);
  rep.pending = std::move(items);
}

Report Engine::report() const {
  const Impl& m = *impl_;
  Report r = m.rep;
  r.events = m.timing.events();
  for (const UnitState& us : m.units) r.rules.push_back(us.stats);
  // The kept findings in the order they happened: merge the levels by sequence number.
  std::vector<const std::pair<uint64_t, Finding>*> kept;
  for (const auto& level : m.kept_by_level)
    for (const auto& f : level) kept.push_back(&f);
  std::sort(kept.begin(), kept.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  r.kept_findings.reserve(kept.size());
  for (const auto* f : kept) r.kept_findings.push_back(f->second);
  m.metrics_into(r);
  r.clock = m.last_ts;
  uint64_t pending = 0, evicted = 0, evicted_x = 0;
  m.store.each([&](const SiteState& s) {
    if (s.kind() == SiteKind::Recorder) r.diagnostics.recorder_truncated += static_cast<const RecorderSite&>(s).truncated();
    if (s.kind() == SiteKind::Expect) {
      pending += s.live_keys();
      evicted_x += s.evicted();
    } else if (s.kind() != SiteKind::Dedup) {
      evicted += s.evicted();
    }
  });
  r.pending_expectations = pending;
  if (m.profile >= 0)
    for (const Inject& in : m.prog->profiles[static_cast<size_t>(m.profile)].injects)
      r.faults.push_back({in.point, in.probability, in.max, in.after, 0, 0});
  r.diagnostics.symbols_overflow = m.names.overflowed();
  r.diagnostics.evicted_keys = evicted;
  r.diagnostics.evicted_expectations = evicted_x;
  return r;
}

}  // namespace dta
