// `expect` blocks: a matched event starts a pending expectation keyed by its
// `matching` fields; an arriving event that carries equal fields and passes
// the `where` meets it (`then`); a deadline timer runs `else` when event time
// passes first. Pending ones are capped; the oldest is evicted and counted.
#include "engine/engine_impl.hpp"

namespace dta {
void Engine::Impl::bind_expects() {
  expects.resize(prog->rules.size());
  for (uint32_t r = 0; r < prog->rules.size(); ++r) {
    expects[r].reserve(prog->rules[r].expects.size());  // on_evict holds &es: no reallocation after
    for (const Expect& x : prog->rules[r].expects) {
      ExpectState& es = expects[r].emplace_back();
      es.pending.set_cap(cap_for(r, x.max_pending));
      es.pending.on_evict = [&es](const std::string&, Pending& p) { es.forget(p.match, p.id); };
      es.within_ns = const_int(x.within_k);
    }
  }
}

// The bytes of an event's `matching` fields; false when one is missing.
static bool match_key(const Engine::Impl& m, const Expect& x, const Event& ev, std::string* out) {
  for (const std::string& f : x.matching) {
    const uint32_t key = m.names.find(f);
    const Field* field = key == Interner::kNone ? nullptr : ev.find(key);
    if (!field) return false;
    Engine::Impl::append_key(*out, ev.value(*field));
  }
  return true;
}

void Engine::Impl::expect_start(uint32_t rule, const Event& ev) {
  const Rule& r = prog->rules[rule];
  for (uint32_t xi = 0; xi < r.expects.size(); ++xi) {
    const Expect& x = r.expects[xi];
    ExpectState& es = expects[rule][xi];
    std::string match;
    if (!match_key(*this, x, ev, &match)) {
      count_miss(Status::MissingField, &units[rule].stats);
      continue;
    }
    const uint64_t id = es.next_id++;
    Pending& p = es.pending.touch(ExpectState::id_key(id));
    p.id = id;
    p.deadline = sat_add(ev.ts, es.within_ns);
    p.start = ev;
    p.match = match;
    es.by_match[match].push_back(id);
    Timer t{};
    t.kind = Timer::Kind::Deadline;
    t.due = p.deadline;
    t.a = rule;
    t.b = xi;
    t.id = id;
    schedule(std::move(t));
  }
}

void Engine::Impl::expect_arrivals(const Event& ev) {
  for (const auto& [rule, xi] : dispatch_for(ev.name).expects) {
    const Expect& x = prog->rules[rule].expects[xi];
    ExpectState& es = expects[rule][xi];
    if (es.pending.size() == 0) continue;
    std::string match;
    if (!match_key(*this, x, ev, &match)) continue;
    auto list = es.by_match.find(match);
    if (list == es.by_match.end()) continue;
    std::vector<uint64_t>& ids = list->second;
    for (size_t i = 0; i < ids.size();) {
      Pending* p = es.pending.find(ExpectState::id_key(ids[i]));
      if (!p) {  // evicted or already met
        ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      ActionCtx ctx{rule, &ev, ev.ts, nullptr, &p->start, nullptr};
      ctx.key_names = x.matching.data();
      ctx.key_count = static_cast<uint32_t>(x.matching.size());
      if (!where(x.where, ev, &units[rule].stats, &ctx)) {
        ++i;
        continue;
      }
      if (x.has_then) {
        if (!x.then_actions.empty()) ++units[rule].stats.fired;
        const Event start = p->start;  // the actions may evict p
        ctx.start = &start;
        ctx.key_event = &start;
        run_actions(x.then_actions, ctx);
      }
      es.pending.erase(ExpectState::id_key(ids[i]));
      ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (ids.empty()) es.by_match.erase(list);
  }
}

void Engine::Impl::expect_deadline(uint32_t rule, uint32_t xi, uint64_t id) {
  const Expect& x = prog->rules[rule].expects[xi];
  ExpectState& es = expects[rule][xi];
  Pending* p = es.pending.find(ExpectState::id_key(id));
  if (!p) return;  // met, or evicted
  const Pending done = std::move(*p);
  es.pending.erase(ExpectState::id_key(id));
  es.forget(done.match, id);
  if (!x.has_else) return;
  if (!x.else_actions.empty()) ++units[rule].stats.fired;
  ActionCtx ctx{rule, &done.start, done.deadline, nullptr, &done.start, nullptr};
  ctx.key_names = x.matching.data();
  ctx.key_count = static_cast<uint32_t>(x.matching.size());
  ctx.key_event = &done.start;
  run_actions(x.else_actions, ctx);
}

}  // namespace dta
