// Fuzz target: JSON Lines events, through the stream reader into an engine
// that runs a fixed policy touching many features.
#include <cstdio>
#include <string>

#include "dta/compiler.hpp"
#include "dta/engine.hpp"
#include "dta/jsonl.hpp"
#include "dta/report_json.hpp"
#include "harness.hpp"
#include "harness_common.hpp"

namespace dta::fuzz {
namespace {

constexpr size_t kMaxJsonlBytes = 64 << 10;  // a few hundred events; bigger inputs only slow the fuzzer

// Filters (drop, redact, sample), a sensitive field, windows (over/every, by,
// for, every aggregate), an expectation with then/else, a machine with an
// `after`, alerts with labels and dedup, emit, count/observe, matches/glob,
// builtins, dynamic fields and a profile.
constexpr const char* kPolicy = R"DTA(
policy fuzz_jsonl
const SLOW_MS = 250
const GRACE = 5s
const ADMINS = ["root", "admin"]
event auth.login { user: string sensitive, result: string }

filter health on http.request where path == "/healthz" { drop }
filter secrets on auth.* { redact password, token }
filter chatty on cache.hit { sample 50% }

rule burst on http.request where status >= 500 {
    when count() over 10s > 2 by service {
        alert critical "{value} errors on {service}" labels { team: "web", svc: service } dedup service every 1m
        error "burst on {service}"
    }
}
rule p99 on http.request { when p99(latency_ms) every 1m > SLOW_MS by service { warning "p99 {value} on {service}" } }
rule sum_for on http.request { when sum(latency_ms) over 1m > 1000.0 for 10s { info "sum {value}" } }
rule avg_all on http.request { when avg(latency_ms) every 10s >= 100 { info "avg {value}" } }
rule min_max on metric { when min(v) over 1m < 0 by host { info "min {value}" } }
rule max_w on metric { when max(v) every 1m > 1000 { info "max {value}" } }
rule rate_w on metric { when rate() over 10s > 5 { alert info "rate {value}" every 1m } }
rule q_w on metric { when quantile(v, 0.75) every 30s > 10 by host { info "q {value}" } }
rule distinct_w on metric { when distinct(host) over 1m > 3 { alert warning "{value} hosts" dedup host } }

rule finishes on begin {
    expect end where id == start.id matching id within GRACE then { ok "done {id} after {start.id}" } else { error "{id} unfinished" }
}
machine lockout by user {
    initial trusted
    state trusted { on auth.login where result == "locked" -> locked }
    state locked {
        on auth.login where result == "ok" -> trusted { warning "{user} logged in after a lockout" }
        after 15m -> trusted { info "{user} unlocked" }
    }
}
rule admin on auth.login where user in ADMINS or state(lockout, user) == "locked" {
    error "admin {user}: {result}"
    emit audit.admin { user: user, result: result, n: len(user) }
}
rule derived on audit.admin { count admin_events { user: user, result: result } }
rule paths on file.write where matches(path, "^/etc/[a-z]+\\.conf$") or glob(path, "/tmp/*") {
    warning "write {path} ({len(path)} chars, {upper(path)})"
    observe bytes_written bytes { pid: string(pid) }
}
rule any_id on * where has(field("x-id")) { info "{event.name} {event.id} {event.severity} {field("x-id")}" }
rule arith on calc where a / b > 1 or a % b == 0 or abs(a - b) > max(a, b) {
    info "{a + b} {a * b} {-a} {hash(a)} {float(a) / 3.0} {int(c)} {contains(lower(s), "x")}"
}
rule dyn on dyn where x > 1 and starts_with(string(y), "a") or ends_with(z, "z") { warning "{x} {y} {z}" }

profile strict {
    set SLOW_MS = 100
    set GRACE = 1s
    rule finishes: warning
    warnings: error
    alert burst: off
}
)DTA";

}  // namespace

int fuzz_jsonl(const uint8_t* data, size_t size) {
  if (size > kMaxJsonlBytes) return -1;
  // Compiled once per process: the program is immutable and shared.
  static const std::shared_ptr<const Program> prog = compile_source("fuzz_jsonl.dta", kPolicy).program;
  check(prog != nullptr, "the fixed fuzz_jsonl policy does not compile");
  if (size == 0) return 0;  // fmemopen refuses an empty buffer
  std::string text(reinterpret_cast<const char*>(data), size);
  for (const char* profile : {"", "strict"}) {
    EngineOptions opts;
    opts.profile = profile;
    std::string err;
    std::unique_ptr<Engine> engine = Engine::create(prog, opts, &err);
    check(engine != nullptr, "the fixed policy's profile is refused: " + err);
    std::FILE* in = fmemopen(text.data(), text.size(), "r");
    check(in != nullptr, "fmemopen failed");
    check(replay_stream(in, *engine, nullptr, &err), "replay_stream failed on a memory stream: " + err);
    std::fclose(in);
    engine->finish();
    const std::string json = report_to_json(engine->report());
    check(!json.empty() && json.back() == '\n', "a report's JSON does not end with a newline");
  }
  return 0;
}

}  // namespace dta::fuzz
