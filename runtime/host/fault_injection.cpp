// A runtime's fault injection: the table installed with each policy and
// profile, a hit of a point (the decision, the counters, the `dta.fault`
// event), and DTA_FAULT's slow path.
#include <random>

#include "runtime_impl.hpp"
#include "site_registry.hpp"

namespace dta {

namespace {
constexpr size_t kMaxFaultEventFields = 64;  // the injected fields a `dta.fault` event carries at most
}  // namespace

void Runtime::Impl::install_faults_locked() {
  const Profile* prof = nullptr;
  if (program && !profile.empty())
    if (const int i = program->find_profile(profile); i >= 0) prof = &program->profiles[static_cast<size_t>(i)];
  std::lock_guard lock(fault_mu);
  if (!prof || prof->injects.empty()) {
    faults.reset();
    return;
  }
  if (!opts.allow_fault_injection) {
    injects_ignored += prof->injects.size();
    faults.reset();
    return;
  }
  // A profile without `seed` gets one drawn now (stats say which, to replay the run with it).
  uint64_t seed = prof->seed;
  if (!prof->has_seed) {
    if (faults) {
      seed = faults->seed;  // the same run goes on with the seed it drew
    } else {
      std::random_device rd;
      seed = ((static_cast<uint64_t>(rd()) << 32) ^ rd()) & INT64_MAX;  // one a `seed N` line can write
    }
  }
  fault_seed = seed;
  faults = FaultTable::build(*prof, seed, faults.get());
}

Fault Runtime::Impl::fault(std::string_view point) noexcept {
  try {
    if (disabled.load(std::memory_order_relaxed)) return {};
    std::shared_ptr<FaultTable> table;
    {
      std::lock_guard lock(fault_mu);
      table = faults;
    }
    const std::shared_ptr<FaultPoint>* found = table ? table->find(point) : nullptr;
    if (!found) return {};
    FaultPoint& p = **found;
    const uint64_t hit = p.hits.fetch_add(1, std::memory_order_relaxed) + 1;
    if (!p.takes(hit)) return {};
    p.injected.fetch_add(1, std::memory_order_relaxed);
    bool listened = false;
    {
      std::lock_guard lock(listen_mu);
      listened = listen.listens("dta.fault", Severity::Warning, now_ns());
    }
    if (listened) {
      std::vector<FieldArg> fields;
      fields.reserve(2 + std::min(p.spec.fields.size(), kMaxFaultEventFields));
      fields.emplace_back("point", std::string_view(p.spec.point));
      fields.emplace_back("hit", hit);
      for (size_t i = 0; i < p.spec.fields.size() && i < kMaxFaultEventFields; ++i) {
        const InjectField& f = p.spec.fields[i];
        switch (f.value.type) {
          case Type::Int: fields.emplace_back(f.key, f.value.i); break;
          case Type::Float: fields.emplace_back(f.key, f.value.f); break;
          case Type::Bool: fields.emplace_back(f.key, f.value.b); break;
          default: fields.emplace_back(f.key, std::string_view(f.value.s)); break;
        }
      }
      fault_events.fetch_add(1, std::memory_order_relaxed);
      emit(nullptr, "dta.fault", Severity::Warning, 0, fields);
    }
    return FaultTable::make(*found, hit);
  } catch (...) {  // allocation failure: no fault this time
    return {};
  }
}

Fault fault_hit(EventSite& site, Runtime& runtime) noexcept {
  if (!site_listens(site, runtime)) return {};
  return runtime.impl_->fault(site.name());
}

}  // namespace dta
