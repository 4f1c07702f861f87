// The runtime's collections (runtime_impl.hpp): one async sink in front of a
// directory sink for the runtime's life, so `collect` never blocks an
// emitting thread (a full queue denies the collection and counts it), and
// the counts RuntimeStats gives.
#include "runtime_impl.hpp"

namespace dta {
namespace {

// Results of queued collections kept to patch the report: as many as the
// report keeps collections by default, so every listed one can be patched.
constexpr size_t kCollectResults = 1000;

}  // namespace

bool Runtime::Impl::start_collection() {
  CollectOptions co = opts.collect_limits;
  co.dir = opts.collect_dir;
  co.collectors = opts.collectors;
  collect_sink =
      async_sink(directory_sink(std::move(co)), opts.collect_queue,
                 [this](const CollectionRequest& req, const CollectionResult& res) { collection_done(req, res); });
  return collect_sink != nullptr;
}

void Runtime::Impl::collection_done(const CollectionRequest& req, const CollectionResult& res) {
  std::lock_guard lock(collect_mu);
  if (res.status == CollectionStatus::Written)
    ++collections_written;
  else
    ++collections_failed;
  collect_results[req.seq] = res;
  while (collect_results.size() > kCollectResults) collect_results.erase(collect_results.begin());
}

void Runtime::Impl::collection_noted(const Collection& c) {
  std::lock_guard lock(collect_mu);
  if (c.status == collection_status_name(CollectionStatus::Written))
    ++collections_written;
  else if (c.status == collection_status_name(CollectionStatus::Denied))
    ++collections_denied;
  else if (c.status == collection_status_name(CollectionStatus::Failed))
    ++collections_failed;
}

void Runtime::Impl::patch_collections(Report& r) const {
  std::lock_guard lock(collect_mu);
  for (Collection& c : r.collections) {
    if (c.status != collection_status_name(CollectionStatus::Queued)) continue;
    auto it = collect_results.find(c.seq);
    if (it == collect_results.end()) continue;
    const CollectionResult& res = it->second;
    c.status = collection_status_name(res.status);
    c.path = res.path;
    c.bytes = res.bytes;
    c.reason = res.reason;
    if (res.status == CollectionStatus::Written)
      ++r.collections_written;
    else
      ++r.diagnostics.collections_failed;
  }
}

}  // namespace dta
