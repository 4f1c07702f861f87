// Collection actions (spec 6 and 8): `collect recorder NAME`, `collect
// snapshot "NAME"`, `collect process` and `discard recorder NAME`. The engine
// checks the profile's budget, builds the request (a recorder's dump is made
// here, from slots that never held a sensitive value) and hands it to its
// sink, which may write it at once or queue it: the engine never blocks.
#include <fmt/format.h>

#include "collect/collect_budget.hpp"
#include "engine/engine_impl.hpp"
#include "recorders/recorder_site.hpp"

namespace dta {
namespace {

// What a snapshot or the process collector may take of `disk` at most, when
// the sink does not cap it lower: a snapshot is a bounded piece of host state.
constexpr uint64_t kMaxCollectorBytes = 1 << 20;

}  // namespace

void Engine::Impl::note_collection(Collection&& c) {
  notify(opts.on_collection, c);
  if (c.status == collection_status_name(CollectionStatus::Written))
    ++rep.collections_written;
  else if (c.status == collection_status_name(CollectionStatus::Denied))
    ++rep.diagnostics.collections_denied;
  else if (c.status == collection_status_name(CollectionStatus::Failed))
    ++rep.diagnostics.collections_failed;
  if (rep.collections.size() < opts.max_kept_collections)
    rep.collections.push_back(std::move(c));
  else
    ++rep.diagnostics.collections_not_kept;
}

void Engine::Impl::collect(const Action& a, const ActionCtx& ctx) {
  CollectionRequest req;
  req.rule = unit_name(ctx.unit);
  req.trigger = std::string(names.name(ctx.ev->name));
  req.ts = ctx.now;
  Collection c;
  c.rule = req.rule;
  c.event = req.trigger;
  c.ts = ctx.now;
  switch (a.kind) {
    case ActionKind::CollectRecorder:
      req.kind = CollectionKind::Recorder;
      req.name = prog->recorders[a.recorder].name;
      c.what = "recorder " + req.name;
      break;
    case ActionKind::CollectSnapshot:
      req.kind = CollectionKind::Snapshot;
      req.name = a.name;
      c.what = "snapshot " + req.name;
      break;
    default:
      req.kind = CollectionKind::Process;
      c.what = "process";
      break;
  }
  auto finish = [&](CollectionStatus status, std::string reason) {
    c.status = collection_status_name(status);
    c.reason = std::move(reason);
    note_collection(std::move(c));
  };
  // Denied or failed before the sink: the sink only writes its manifest line.
  auto refuse = [&](CollectionStatus status, std::string reason) {
    if (opts.collect) {
      try {
        opts.collect->note(req, CollectionResult{status, "", 0, reason});
      } catch (...) {
        ++rep.diagnostics.callback_errors;
      }
    }
    finish(status, std::move(reason));
  };
  std::string reason;
  if (!collect_budget->dumps_allow(ctx.now, &reason)) return refuse(CollectionStatus::Denied, std::move(reason));
  uint64_t reserved = 0;
  if (req.kind == CollectionKind::Recorder) {
    RecorderSite& rs = *recorder_sites[a.recorder];
    if (!rs.dump(*ctx.ev, req.body, &req.events))
      return refuse(CollectionStatus::Failed, fmt::format("event '{}' has no field '{}', the key of recorder '{}'",
                                                          req.trigger, rs.recorder().key, req.name));
    c.events = req.events;
    reserved = req.body.size();
    if (!collect_budget->disk_allows(reserved, &reason)) {
      req.body.clear();
      return refuse(CollectionStatus::Denied, std::move(reason));
    }
  } else {
    reserved = std::min(kMaxCollectorBytes, collect_budget->disk_left());
    if (reserved == 0) {
      collect_budget->disk_allows(1, &reason);
      return refuse(CollectionStatus::Denied, std::move(reason));
    }
    req.max_bytes = reserved;
  }
  if (!opts.collect) return finish(CollectionStatus::Failed, "no collection directory");
  req.seq = collect_budget->next_seq();
  c.seq = req.seq;
  collect_budget->spend(ctx.now, reserved);
  CollectionResult res;
  try {
    res = opts.collect->collect(std::move(req));
  } catch (...) {
    ++rep.diagnostics.callback_errors;
    res = CollectionResult{CollectionStatus::Failed, "", 0, "the collection sink threw"};
  }
  // Bytes held but not written go back to `disk` (a queued one keeps its reservation).
  if (res.status == CollectionStatus::Written)
    collect_budget->refund(reserved - std::min(reserved, res.bytes));
  else if (res.status != CollectionStatus::Queued)
    collect_budget->refund(reserved);
  c.path = std::move(res.path);
  c.bytes = res.bytes;
  finish(res.status, std::move(res.reason));
}

void Engine::Impl::discard(const Action& a, const ActionCtx& ctx) { recorder_sites[a.recorder]->discard(*ctx.ev); }

}  // namespace dta
