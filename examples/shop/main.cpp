// shop: an example host for DTA. A small multi-threaded service (a front end,
// an order queue, workers, a database) audits itself in-process with a policy
// it reloads while it runs (file edits and SIGHUP), then prints its stats.
#include <unistd.h>

#include <cstdio>
#include <sstream>
#include <thread>

#include "controller.hpp"
#include "dta/delivery.hpp"
#include "dta/dta.hpp"
#include "options.hpp"
#include "simulation.hpp"
#include "stats_output.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitMismatch = 1;  // the counts do not add up
constexpr int kExitVerdict = 1;   // --verdict: the policy's verdict is fail
constexpr int kExitUsage = 2;     // bad arguments, or a policy that does not load

constexpr auto kDeliveryWait = std::chrono::seconds(5);  // at the end, alerts still being delivered get this long

void print_error(const dta::RuntimeError& e) {
  std::fprintf(stderr, "shop: %s\n", e.message.c_str());
  for (const std::string& d : e.diagnostics) std::fprintf(stderr, "%s\n", d.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<shop::Options> opts = shop::parse_options(argc, argv);
  if (!opts) return kExitUsage;
  shop::block_control_signals();  // before any thread starts, the runtime's included

  dta::RuntimeOptions ro;
  ro.profile = opts->profile;
  ro.mode = opts->sync ? dta::EvalMode::Sync : dta::EvalMode::Async;
  ro.queue_capacity = opts->queue;
  ro.allow_fault_injection = opts->faults;
  ro.collect_dir = opts->out;
  ro.on_error = print_error;
  ro.on_alert = [](const dta::Alert& a) {
    std::fprintf(stderr, "shop: ALERT %s %s: %s\n", a.severity.c_str(), a.rule.c_str(), a.message.c_str());
  };
  if (opts->verbose)
    ro.on_finding = [](const dta::Finding& f) {
      std::fprintf(stderr, "shop: %s %s: %s\n", std::string(dta::level_name(f.level)).c_str(), f.rule.c_str(),
                   f.message.c_str());
    };
  std::shared_ptr<dta::AlertSink> alertmanager;
  if (!opts->alertmanager.empty()) {
    dta::DeliveryOptions delivery;
    delivery.labels = {{"service", "shop"}};
    auto sink = dta::make_alertmanager_sink(opts->alertmanager, delivery);
    if (!sink) {
      std::fprintf(stderr, "shop: --alertmanager: %s\n", sink.error().c_str());
      return kExitUsage;
    }
    alertmanager = *sink;
    ro.alert_sinks.push_back(alertmanager);
  }
  std::unique_ptr<dta::Runtime> rt = dta::make_runtime(std::move(ro));
  if (!rt) return kExitUsage;  // the reason went to on_error

  std::unique_ptr<dta::MetricsServer> metrics;  // destroyed before the runtime it reads
  if (!opts->metrics.empty()) {
    dta::MetricsServerOptions mo;
    mo.address = opts->metrics;
    if (alertmanager) mo.sinks.push_back(alertmanager);
    auto server = dta::MetricsServer::start(*rt, mo);
    if (!server) {
      std::fprintf(stderr, "shop: --metrics: %s\n", server.error().c_str());
      return kExitUsage;
    }
    metrics = std::move(*server);
    std::fprintf(stderr, "shop: metrics at http://%s/metrics\n", metrics->address().c_str());
  }
  dta::LoadResult loaded = rt->load_file(opts->policy);
  if (!loaded.ok) return kExitUsage;  // the error and diagnostics went to on_error
  if (dta::Outcome w = rt->watch(opts->policy); !w)
    std::fprintf(stderr, "shop: not watching %s: %s\n", opts->policy.c_str(), w.error().c_str());

  std::fprintf(stderr, "shop: running %d workers for %g s (%s), policy %s%s%s; pid %d\n", opts->threads, opts->seconds,
               opts->sync ? "sync" : "async", opts->policy.c_str(), opts->profile.empty() ? "" : ", profile ",
               opts->profile.c_str(), static_cast<int>(getpid()));
  std::atomic<bool> stop{false};
  int ended_by = 0;
  const auto start = std::chrono::steady_clock::now();
  std::thread controller(
      [&] { ended_by = shop::control(*rt, opts->policy, std::chrono::duration<double>(opts->seconds), stop); });
  shop::SimulationCounts counts = shop::run_simulation(*rt, shop::SimulationConfig{opts->threads, 1, opts->defects, opts->healthy, opts->rush}, stop);
  controller.join();
  rt->unwatch();
  rt->flush();

  shop::RunSummary summary{*opts, 0, 0, {}, {}};
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary.ended_by = ended_by;
  summary.counts = counts;
  summary.stats = rt->stats();
  if (alertmanager) {
    const bool settled = alertmanager->flush(kDeliveryWait);
    const dta::DeliveryStats d = alertmanager->stats();
    std::fprintf(stderr,
                 "shop: alert delivery to %s: %llu submitted, %llu sent, %llu failed attempts, %llu retried, "
                 "%llu dropped%s%s\n",
                 alertmanager->name().c_str(), static_cast<unsigned long long>(d.submitted),
                 static_cast<unsigned long long>(d.sent), static_cast<unsigned long long>(d.failed_attempts),
                 static_cast<unsigned long long>(d.retried), static_cast<unsigned long long>(d.dropped),
                 settled ? "" : " (some still queued)",
                 d.last_error.empty() ? "" : ("; last error: " + d.last_error).c_str());
  }
  const std::string out = opts->json ? shop::stats_json(summary) : shop::stats_text(summary);
  std::fputs(out.c_str(), stdout);
  if (!shop::accounting_adds_up(summary)) {
    std::fprintf(stderr, "shop: the counts do not add up: emitted %llu, evaluated %llu + dropped %llu\n",
                 static_cast<unsigned long long>(counts.emitted),
                 static_cast<unsigned long long>(summary.stats.evaluated),
                 static_cast<unsigned long long>(summary.stats.dropped));
    return kExitMismatch;
  }
  if (opts->verdict) {
    const dta::Verdict v = dta::verdict(*rt);
    std::ostringstream text;
    text << v;
    std::fprintf(stderr, "shop: verdict %s\n", text.str().c_str());
    if (v == dta::Verdict::fail) return kExitVerdict;
  }
  return kExitOk;
}
