// Fuzz target: engine state bytes (encode_state), checksum recomputed so the
// decoders behind it are attacked: decode, import into an engine running a
// fixed policy with every kind of site, check that export after import is a
// fixed point, then run events and timers over the imported state.
#include <cstring>
#include <string>

#include "dta/compiler.hpp"
#include "dta/engine.hpp"
#include "dta/hash.hpp"
#include "dta/report_json.hpp"
#include "harness.hpp"
#include "harness_common.hpp"

namespace dta::fuzz {

// Every kind of site: sliding and tumbling windows of each aggregate, keyed
// and not, an expectation and a counted one, a machine with `after`, alerts with dedup.
constexpr const char* kStatePolicy = R"DTA(
event req { host: string, bytes: int, ms: int, user: string }
event job.start { id: int }
event job.end { id: int }
rule s_count on req { when count() over 5s > 3 by host { warning "busy {host} {value}" } }
rule s_sum on req { when sum(bytes) over 10s > 4000 { info "sum {value}" } }
rule s_avg on req { when avg(ms) over 10s > 60.5 by host { info "avg {host} {value}" } }
rule s_min on req { when min(ms) over 7s < 3 { info "min {value}" } }
rule s_max on req { when max(ms) over 7s > 95 by host { info "max {host} {value}" } }
rule s_rate on req { when rate() over 4s > 1.5 { info "rate {value}" } }
rule s_q on req { when quantile(ms, 0.9) over 20s > 80 { info "p90 {value}" } }
rule s_distinct on req { when distinct(user) over 30s > 4 { info "users {value}" } }
rule t_count on req { when count() every 3s >= 2 by host { info "t {host} {value}" } }
rule t_sum on req { when sum(bytes) every 5s <= 100 { info "low {value}" } }
rule t_q on req { when quantile(ms, 0.5) every 5s > 10 by host { info "q {value}" } }
rule t_distinct on req { when distinct(user) every 5s > 2 { info "d {value}" } }
rule t_max on req { when max(ms) every 4s > 90 { alert warning "slow {value}" dedup host every 20s } }
rule waits on job.start { expect job.end matching id within 6s then { info "done {id}" } else { error "lost {id}" } }
rule thrice on job.start { expect 3 job.end matching id within 8s then { info "3 ends {id}" } else { warning "{arrived} of 3 {id}" } }
rule loud on req where ms > 97 { alert critical "loud {host}" labels { h: host } dedup host every 15s }
machine life by id {
  initial idle
  state idle { on job.start -> running }
  state running { on job.end -> idle  after 4s -> stuck { warning "stuck {id}" } }
  state stuck { on job.end -> idle { info "unstuck {id}" }  after 9s -> idle { alert info "gave up {id}" dedup id } }
}
)DTA";

namespace {

constexpr size_t kMaxStateBytes = 256 << 10;
constexpr int64_t kSec = 1000000000;

std::shared_ptr<const Program> state_program() {
  static const std::shared_ptr<const Program> prog = compile_source("fuzz_state.dta", kStatePolicy).program;
  check(prog != nullptr, "the fixed fuzz_state policy does not compile");
  return prog;
}

std::unique_ptr<Engine> state_engine() {
  std::string err;
  std::unique_ptr<Engine> e = Engine::create(state_program(), EngineOptions{}, &err);
  check(e != nullptr, "the fixed fuzz_state policy gives no engine: " + err);
  return e;
}

// A few events of every kind, from `t0` on.
void send_events(Engine& e, int64_t t0) {
  Interner& s = e.symbols();
  for (int i = 0; i < 40; ++i) {
    Event ev;
    ev.ts = t0 + i * (kSec / 3) + (i % 7 == 0 ? 5 * kSec : 0);
    if (i % 3 == 0) {
      ev.name = s.intern(i % 2 ? "job.start" : "job.end");
      ev.add_int(s.intern("id"), i % 5);
    } else {
      ev.name = s.intern("req");
      ev.add_string(s.intern("host"), "h" + std::to_string(i % 3));
      ev.add_int(s.intern("bytes"), i * 37 % 900);
      ev.add_int(s.intern("ms"), i * 13 % 100);
      ev.add_string(s.intern("user"), "u" + std::to_string(i % 6));
    }
    e.process(ev);
  }
}

}  // namespace

std::string state_seed(int64_t cut_events) {
  std::unique_ptr<Engine> e = state_engine();
  for (int64_t i = 0; i < cut_events; ++i) send_events(*e, 1767225600LL * kSec + i * 20 * kSec);
  return encode_state(e->export_state());
}

int fuzz_state(const uint8_t* data, size_t size) {
  if (size > kMaxStateBytes) return -1;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.size() >= 16 && bytes.compare(0, 4, "DTAS") == 0) {  // a valid checksum: the decoders get the bytes
    const uint64_t sum = hash_bytes(kHashSeed, std::string_view(bytes).substr(16));
    std::memcpy(bytes.data() + 8, &sum, 8);
  }
  Expected<StateSnapshot> snap = decode_state(bytes);
  if (!snap) return 0;
  std::unique_ptr<Engine> e = state_engine();
  Expected<ImportReport> imported = e->import_state(*snap);
  check(imported.ok(), "import_state failed outside a callback");
  // What an engine exports after an import, it imports again unchanged.
  const std::string once = encode_state(e->export_state());
  std::unique_ptr<Engine> again = state_engine();
  Expected<StateSnapshot> reread = decode_state(once);
  check(reread.ok(), "an exported state does not decode: " + (reread.ok() ? std::string() : reread.error()));
  Expected<ImportReport> second = again->import_state(*reread);
  check(second.ok() && second->skipped.empty(),
        "an exported state is not imported whole: " + (second.ok() && !second->skipped.empty() ? second->skipped[0] : ""));
  check(encode_state(again->export_state()) == once, "export after import is not a fixed point");
  // The imported state runs: events, timers, the end of the stream.
  const int64_t clock = snap->clock;
  const int64_t t0 = clock > INT64_MIN / 2 && clock < INT64_MAX / 2 ? clock : 1767225600LL * kSec;
  send_events(*e, t0);
  e->advance_to(t0 + 3600 * kSec);
  e->finish();
  const std::string json = report_to_json(e->report());
  check(!json.empty() && json.back() == '\n', "a report's JSON does not end with a newline");
  return 0;
}

}  // namespace dta::fuzz
