// The engine: binds a program to a profile and an interner, dispatches each
// event to the filters and rules its name can match, runs their code in the
// VM and their actions, and keeps the counters the report is made from.
#include "dta/engine.hpp"

#include <boost/unordered/unordered_flat_map.hpp>
#include <deque>
#include <fmt/format.h>

#include "dta/builtin.hpp"
#include "dta/hash.hpp"
#include "dta/value.hpp"
#include "vm.hpp"

namespace dta {
namespace {

constexpr size_t kMaxEmitQueue = 10000;  // derived events pending for one input event

// Whether a pattern ("db.open", "db.*", "*") matches an event name.
bool pattern_matches(const std::string& pattern, std::string_view name) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, ".*") == 0) {
    const std::string_view prefix(pattern.data(), pattern.size() - 1);  // keeps the dot
    return name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix;
  }
  return name == pattern;
}

bool any_matches(const std::vector<std::string>& patterns, std::string_view name) {
  for (const std::string& p : patterns)
    if (pattern_matches(p, name)) return true;
  return false;
}

struct RuleState {
  RuleReport stats;
  bool off = false;
  Level map[3] = {Level::Error, Level::Warning, Level::Info};  // written level -> effective
};

}  // namespace

struct Engine::Impl {
  std::shared_ptr<const Program> prog;
  EngineOptions opts;
  int profile = -1;
  Interner names;
  std::vector<uint32_t> keymap;
  std::vector<const Builtin*> fns;
  VmEnv env;
  Arena arena;
  std::vector<Value> regs = std::vector<Value>(256);

  std::vector<RuleState> rules;
  // Per interned event name: indices of the filters / live rules it can match.
  std::vector<std::vector<uint32_t>> rules_for, filters_for;
  std::vector<uint8_t> dispatch_known;
  // Per interned event name: interned keys of its sensitive fields.
  std::vector<std::vector<uint32_t>> sensitive_for;
  // Per chunk: the interned keys its code loads (for redaction of holes).
  std::vector<std::vector<uint32_t>> chunk_keys;

  Report rep;
  int64_t last_ts = INT64_MIN;
  Event scratch;                 // a copy when a filter redacts or the event is late
  std::deque<Event> emitted;     // derived events waiting
  bool in_derived = false;
  boost::unordered_flat_map<std::string, uint64_t> counters;
  boost::unordered_flat_map<std::string, HistogramSummary> histograms;

  bool bind(std::string* error);
  void ensure_dispatch(uint32_t name);
  void run_event(const Event& ev);
  bool where(int32_t chunk, const Event& ev, RuleReport* stats);
  void run_actions(uint32_t rule, const Event& ev);
  void finding(uint32_t rule, Level written, int32_t tmpl, const Event& ev);
  std::string render(int32_t tmpl, const Event& ev);
  void append_hole(std::string& out, int32_t chunk, const Event& ev);
  bool eval_value(int32_t chunk, const Event& ev, Value* out);
  std::string labels_key(const std::string& name, const std::vector<Entry>& entries, const Event& ev);
  void emit(const Action& a, const Event& ev);
  bool sample_keeps(const Event& ev, double fraction) const;
};

bool Engine::Impl::bind(std::string* error) {
  if (!prog) {
    *error = "no program";
    return false;
  }
  if (prog->resolved_functions().size() != prog->functions.size()) {
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
  for (const std::string& k : prog->keys) keymap.push_back(names.intern(k));
  fns = prog->resolved_functions();
  env.prog = prog.get();
  env.k = prog->const_values(profile).data();
  env.keymap = keymap.data();
  env.fns = fns.data();
  env.names = &names;
  env.arena = &arena;
  env.regs = regs.data();

  rules.resize(prog->rules.size());
  for (size_t i = 0; i < rules.size(); ++i) rules[i].stats.name = prog->rules[i].name;
  if (profile >= 0) {
    const Profile& p = prog->profiles[profile];
    for (const auto& [idx, lvl] : p.levels) {
      RuleState& rs = rules[idx];
      rs.off = lvl == Level::Off;
      if (!rs.off) rs.map[0] = rs.map[1] = rs.map[2] = lvl;
    }
    if (p.warnings_error)
      for (RuleState& rs : rules)
        for (Level& l : rs.map)
          if (l == Level::Warning) l = Level::Error;
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    const Level written = prog->rules[i].level;
    RuleState& rs = rules[i];
    rs.stats.level = rs.off ? Level::Off : written <= Level::Info ? rs.map[static_cast<int>(written)] : written;
  }
  chunk_keys.resize(prog->chunks.size());
  for (size_t c = 0; c < prog->chunks.size(); ++c)
    for (const Instr& in : prog->chunks[c].code)
      if (in.op >= Op::LOADF && in.op <= Op::LOADF_B) chunk_keys[c].push_back(keymap[in.b]);
  rep.policy = prog->policy;
  rep.profile = opts.profile;
  return true;
}

void Engine::Impl::ensure_dispatch(uint32_t name) {
  if (name < dispatch_known.size() && dispatch_known[name]) return;
  if (name >= dispatch_known.size()) {
    const size_t n = std::max<size_t>(name + 1, dispatch_known.size() * 2);
    dispatch_known.resize(n, 0);
    rules_for.resize(n);
    filters_for.resize(n);
    sensitive_for.resize(n);
  }
  const std::string_view nm = names.name(name);
  for (uint32_t i = 0; i < prog->rules.size(); ++i)
    if (!rules[i].off && any_matches(prog->rules[i].patterns, nm)) rules_for[name].push_back(i);
  for (uint32_t i = 0; i < prog->filters.size(); ++i)
    if (any_matches(prog->filters[i].patterns, nm)) filters_for[name].push_back(i);
  for (const SensitiveField& s : prog->sensitive)
    if (s.event == nm) sensitive_for[name].push_back(names.intern(s.field));
  dispatch_known[name] = 1;
}

bool Engine::Impl::where(int32_t chunk, const Event& ev, RuleReport* stats) {
  if (chunk < 0) return true;
  Value v;
  switch (vm_run(env, prog->chunks[chunk], ev, &v)) {
    case Status::Ok: return v.b;
    case Status::MissingField: ++rep.diagnostics.missing_field; if (stats) ++stats->missing_field; return false;
    case Status::TypeError: ++rep.diagnostics.type_error; if (stats) ++stats->type_error; return false;
    case Status::ArithError: ++rep.diagnostics.arith_error; if (stats) ++stats->arith_error; return false;
  }
  return false;
}

bool Engine::Impl::eval_value(int32_t chunk, const Event& ev, Value* out) {
  return chunk >= 0 && vm_run(env, prog->chunks[chunk], ev, out) == Status::Ok;
}

void Engine::Impl::append_hole(std::string& out, int32_t chunk, const Event& ev) {
  for (uint32_t key : chunk_keys[chunk])
    for (uint32_t s : sensitive_for[ev.name])
      if (key == s) {
        out += "<redacted>";
        return;
      }
  Value v;
  if (eval_value(chunk, ev, &v)) append_value(out, v);
  else out += "<missing>";
}

std::string Engine::Impl::render(int32_t tmpl, const Event& ev) {
  std::string out;
  if (tmpl < 0) return out;
  for (const TemplatePart& part : prog->templates[tmpl].parts) {
    if (part.chunk < 0) out += part.text;
    else append_hole(out, part.chunk, ev);
  }
  return out;
}

void Engine::Impl::finding(uint32_t rule, Level written, int32_t tmpl, const Event& ev) {
  const Level level = written <= Level::Info ? rules[rule].map[static_cast<int>(written)] : written;
  ++rep.findings[static_cast<int>(level)];
  // The kept list is for reading: a bare `ok` (no message) is only counted.
  const bool listed = level != Level::Ok || tmpl >= 0;
  const bool keep = listed && rep.kept_findings.size() < opts.max_kept_findings;
  if (!keep && listed) ++rep.diagnostics.findings_not_kept;
  if (!keep && !opts.on_finding) return;
  Finding f{prog->rules[rule].name, level, render(tmpl, ev), ev.ts, std::string(names.name(ev.name))};
  if (opts.on_finding) opts.on_finding(f);
  if (keep) rep.kept_findings.push_back(std::move(f));
}

std::string Engine::Impl::labels_key(const std::string& name, const std::vector<Entry>& entries,
                                     const Event& ev) {
  std::string key = name;
  if (entries.empty()) return key;
  key += '{';
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) key += ',';
    key += entries[i].key;
    key += '=';
    if (entries[i].tmpl >= 0) key += render(entries[i].tmpl, ev);
    else append_hole(key, entries[i].chunk, ev);
  }
  key += '}';
  return key;
}

void Engine::Impl::emit(const Action& a, const Event& ev) {
  if (in_derived || emitted.size() >= kMaxEmitQueue) return;  // derived events do not emit
  Event& out = emitted.emplace_back();
  out.ts = ev.ts;
  out.name = names.intern(a.name);
  for (const Entry& e : a.entries) {
    const uint32_t key = names.intern(e.key);
    if (e.tmpl >= 0) {
      out.add_string(key, render(e.tmpl, ev));
      continue;
    }
    Value v;
    if (!eval_value(e.chunk, ev, &v)) continue;  // a value that fails is left out
    switch (v.type) {
      case Type::Int: out.add_int(key, v.i); break;
      case Type::Float: out.add_float(key, v.f); break;
      case Type::Bool: out.add_bool(key, v.b); break;
      case Type::String: out.add_string(key, v.str()); break;
      default: break;
    }
  }
}

void Engine::Impl::run_actions(uint32_t rule, const Event& ev) {
  for (const Action& a : prog->rules[rule].actions) {
    switch (a.kind) {
      case ActionKind::Verdict: finding(rule, a.level, a.tmpl, ev); break;
      case ActionKind::Emit: emit(a, ev); break;
      case ActionKind::Count: ++counters[labels_key(a.name, a.entries, ev)]; break;
      case ActionKind::Observe: {
        Value v;
        if (!eval_value(a.chunk, ev, &v) || (v.type != Type::Int && v.type != Type::Float)) break;
        const double x = v.type == Type::Int ? static_cast<double>(v.i) : v.f;
        HistogramSummary& h = histograms[labels_key(a.name, a.entries, ev)];
        h.min = h.count ? std::min(h.min, x) : x;
        h.max = h.count ? std::max(h.max, x) : x;
        h.sum += x;
        ++h.count;
        break;
      }
    }
  }
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

void Engine::Impl::run_event(const Event& in) {
  ensure_dispatch(in.name);
  const Event* ev = &in;
  for (uint32_t fi : filters_for[in.name]) {
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
  for (uint32_t ri : rules_for[in.name]) {
    RuleState& rs = rules[ri];
    if (!where(prog->rules[ri].where, *ev, &rs.stats)) continue;
    ++rs.stats.matched;
    if (prog->rules[ri].counts_fired) ++rs.stats.fired;
    run_actions(ri, *ev);
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

void Engine::process(const Event& event) {
  Impl& m = *impl_;
  ++m.rep.events;
  const Event* ev = &event;
  if (event.ts < m.last_ts) {  // late: processed with its predecessor's time
    ++m.rep.diagnostics.late;
    m.scratch = event;
    m.scratch.ts = m.last_ts;
    ev = &m.scratch;
  }
  m.last_ts = ev->ts;
  m.run_event(*ev);
  if (!m.emitted.empty()) {
    m.in_derived = true;
    while (!m.emitted.empty()) {
      ++m.rep.diagnostics.emitted;
      m.run_event(m.emitted.front());
      m.emitted.pop_front();
    }
    m.in_derived = false;
  }
  m.arena.reset();
}

void Engine::note_bad_input(uint64_t line, const std::string& error) {
  Diagnostics& d = impl_->rep.diagnostics;
  ++d.bad_input;
  if (d.bad_lines.size() < impl_->opts.max_bad_lines) d.bad_lines.push_back({line, error});
}

void Engine::finish() {}

Report Engine::report() const {
  Report r = impl_->rep;
  for (const RuleState& rs : impl_->rules) r.rules.push_back(rs.stats);
  for (const auto& [k, v] : impl_->counters) r.counters[k] = v;
  for (const auto& [k, v] : impl_->histograms) r.histograms[k] = v;
  return r;
}

}  // namespace dta
