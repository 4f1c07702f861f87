// Loading a policy or a profile into a running runtime: the new engine is
// built off the hot path, takes the old engine's state site by site (same
// identity and shape), and replaces it between two events.
#include <fmt/format.h>

#include <fstream>
#include <set>
#include <sstream>

#include "runtime_impl.hpp"
#include "site_registry.hpp"

namespace dta {

namespace {

constexpr size_t kMaxPolicyBytes = size_t{64} << 20;  // as the compiler's own limit on one policy file

// Every site of an engine with its kind and shape, by id.
std::map<std::string, std::pair<std::string, uint64_t>> sites_of(const StateSnapshot& s) {
  std::map<std::string, std::pair<std::string, uint64_t>> out;
  for (const SiteSnapshot& site : s.sites) out[site.id] = {site.kind, site.shape};
  return out;
}

}  // namespace

EngineOptions Runtime::Impl::engine_options(const std::string& prof) {
  EngineOptions eo = opts.engine;
  eo.profile = prof;
  eo.on_finding = [this](const Finding& f) {
    ++findings[static_cast<size_t>(f.level) < findings.size() ? static_cast<size_t>(f.level) : 0];
    if (opts.on_finding) opts.on_finding(f);
  };
  eo.on_alert = [this](const Alert& a) {
    ++alerts;
    if (opts.on_alert) opts.on_alert(a);
  };
  eo.on_engine_error = [this](const EngineError& e) { report_error(RuntimeError::Kind::Engine, e.message); };
  eo.collect = collect_sink;  // one sink for every engine: the manifest and numbering go on across reloads
  eo.on_collection = [this](const Collection& c) { collection_noted(c); };
  eo.enforce_cpu_budget = true;  // in a host the profile's `cpu` budget holds (on_error says what it disabled)
  // `enable` in a rule: event time is the wall clock here, so `until` is a wall-clock time.
  eo.on_enable = [this](const EnableRequest& r) { enable_until(std::string(r.pattern), r.min_severity, r.until); };
  return eo;
}

void Runtime::Impl::refresh_listeners(bool /*engine_locked*/) {
  std::vector<std::string> patterns = engine ? engine->listened_patterns() : std::vector<std::string>{};
  std::vector<std::string> points;
  {
    std::lock_guard lock(fault_mu);
    if (faults)
      for (const auto& p : faults->points) points.push_back(p->spec.point);  // sorted
  }
  {
    std::lock_guard lock(listen_mu);
    listen.patterns = std::move(patterns);
    listen.any_policy = engine != nullptr;
    listen.fault_points = std::move(points);
  }
  SiteRegistry::instance().refresh(slot);
}

LoadResult Runtime::Impl::publish(std::shared_ptr<const Program> prog, const std::string& prof, bool is_reload) {
  LoadResult result;
  std::string err;
  std::unique_ptr<Engine> fresh;
  try {
    fresh = Engine::create(prog, engine_options(prof), &err);
  } catch (const std::exception& e) {
    err = e.what();
  }
  std::lock_guard lock(engine_mu);
  if (!fresh) {
    result.error = err;
    if (is_reload) ++reloads_failed;
    return result;
  }
  const auto added_sites = sites_of(fresh->export_state());
  if (engine) {
    const StateSnapshot old = engine->export_state();
    const auto old_sites = sites_of(old);
    Expected<ImportReport> imported = fresh->import_state(old);
    if (!imported) {
      result.error = "the state could not move to the new policy: " + imported.error();
      if (is_reload) ++reloads_failed;
      return result;
    }
    for (const auto& [id, ks] : added_sites) {
      auto it = old_sites.find(id);
      (it == old_sites.end() ? result.added : it->second == ks ? result.kept : result.reset).push_back(id);
    }
    for (const auto& [id, ks] : old_sites)
      if (!added_sites.count(id)) result.removed.push_back(id);
    // The replaced engine's rule counters go on in the stats.
    for (const RuleReport& rr : engine->report().rules) {
      RuleStats& t = retired[rr.name];
      t.name = rr.name;
      t.matched += rr.matched;
      t.fired += rr.fired;
      t.missing_field += rr.missing_field;
      t.type_error += rr.type_error;
      t.arith_error += rr.arith_error;
      t.time_ns += rr.time_ns;
    }
  } else {
    for (const auto& [id, ks] : added_sites) result.added.push_back(id);
  }
  engine = std::move(fresh);
  program = std::move(prog);
  profile = prof;
  if (is_reload) ++reloads_ok;
  install_faults_locked();
  refresh_listeners(true);
  result.ok = true;
  return result;
}

LoadResult Runtime::Impl::load_text(const std::string& name, const std::string& text, bool is_reload) {
  LoadResult result;
  if (!opts.loader) {
    result.error = "no policy loader: create the runtime with dta::make_runtime (dta.hpp), or set "
                   "RuntimeOptions::loader (dta::dtb_loader() for compiled .dtb files)";
  } else {
    LoadedPolicy loaded;
    try {
      loaded = opts.loader(name, text, opts.schemas);
    } catch (const std::exception& e) {
      loaded.diagnostics.push_back(fmt::format("{}: error: {}\n", name, e.what()));
    }
    result.diagnostics = std::move(loaded.diagnostics);
    if (!loaded.program) {
      result.error = fmt::format("{}: the policy did not load", name);
    } else {
      std::string prof;
      {
        std::lock_guard lock(engine_mu);
        prof = profile;
      }
      LoadResult swapped = publish(loaded.program, prof, is_reload);
      swapped.diagnostics = std::move(result.diagnostics);
      if (swapped.ok) {
        std::lock_guard lock(engine_mu);
        source_name = name;
        source_text = text;
      }
      result = std::move(swapped);
      if (!result.ok && result.error.empty()) result.error = fmt::format("{}: the policy did not load", name);
      if (result.ok) return result;
      report_error(RuntimeError::Kind::Load, result.error, result.diagnostics);
      return result;  // publish counted the failure
    }
  }
  {
    std::lock_guard lock(engine_mu);
    if (is_reload) ++reloads_failed;
  }
  report_error(RuntimeError::Kind::Load, result.error, result.diagnostics);
  return result;
}

LoadResult Runtime::load_source(const std::string& name, const std::string& text) {
  bool loaded_before;
  {
    std::lock_guard lock(impl_->engine_mu);
    loaded_before = impl_->engine != nullptr;
  }
  return impl_->load_text(name, text, loaded_before);
}

LoadResult Runtime::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || text.str().size() > kMaxPolicyBytes) {
    LoadResult r;
    r.error = !in ? fmt::format("{}: cannot read the policy", path)
                  : fmt::format("{}: larger than {} MiB", path, kMaxPolicyBytes >> 20);
    {
      std::lock_guard lock(impl_->engine_mu);
      if (impl_->engine) ++impl_->reloads_failed;
    }
    impl_->report_error(RuntimeError::Kind::Load, r.error);
    return r;
  }
  return load_source(path, text.str());
}

LoadResult Runtime::load_program(std::shared_ptr<const Program> program) {
  LoadResult r;
  if (!program || !program->finalized()) {
    r.error = "the program is not finalized";
    impl_->report_error(RuntimeError::Kind::Load, r.error);
    return r;
  }
  std::string prof;
  bool before;
  {
    std::lock_guard lock(impl_->engine_mu);
    prof = impl_->profile;
    before = impl_->engine != nullptr;
  }
  r = impl_->publish(std::move(program), prof, before);
  if (!r.ok) impl_->report_error(RuntimeError::Kind::Load, r.error);
  return r;
}

LoadResult Runtime::set_profile(const std::string& profile) {
  std::shared_ptr<const Program> prog;
  {
    std::lock_guard lock(impl_->engine_mu);
    prog = impl_->program;
  }
  LoadResult r;
  if (!prog) {
    std::lock_guard lock(impl_->engine_mu);
    impl_->profile = profile;  // for the policy loaded next
    r.ok = true;
    return r;
  }
  if (!profile.empty() && prog->find_profile(profile) < 0) {
    r.error = fmt::format("unknown profile '{}'", profile);
    impl_->report_error(RuntimeError::Kind::Profile, r.error);
    return r;
  }
  r = impl_->publish(prog, profile, false);
  if (!r.ok) impl_->report_error(RuntimeError::Kind::Profile, r.error);
  return r;
}

}  // namespace dta
