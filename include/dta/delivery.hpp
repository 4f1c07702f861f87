// Delivering what the engine produces to the systems operators already run:
// alerts to sinks (a JSON Lines file, Prometheus Alertmanager) and metrics
// in the Prometheus text exposition format, served over HTTP.
//
// Sinks never block the thread that raises an alert: submit() copies the
// alert into a bounded queue (full: dropped and counted) and a background
// thread per sink delivers batches, retrying with exponential backoff up to a
// cap, then dropping and counting. Nothing here prints, throws into the host
// or exits; failures are in the sink's stats.
//
// Wiring: put sinks in RuntimeOptions::alert_sinks (runtime.hpp) and every
// alert the runtime raises is submitted to each, on the evaluating thread,
// before on_alert. Without a Runtime (an Engine, `dta replay`), submit from
// EngineOptions::on_alert.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dta/expected.hpp"
#include "dta/report.hpp"

namespace dta {

class Runtime;
struct RuntimeStats;

// ---------------------------------------------------------------- alert sinks

struct DeliveryOptions {
  size_t queue_capacity = 4096;                      // alerts waiting at most; beyond, new ones are dropped and counted
  size_t max_batch = 64;                             // alerts per request (or per write)
  int max_attempts = 5;                              // tries of one batch (the first included) before it is dropped
  std::chrono::milliseconds backoff_initial{250};    // wait after the first failure; doubles after each
  std::chrono::milliseconds backoff_max{8000};       // and never more than this
  std::chrono::milliseconds connect_timeout{2000};   // resolving and connecting to the server
  std::chrono::milliseconds io_timeout{5000};        // writing the request, and reading the answer
  std::chrono::milliseconds shutdown_timeout{2000};  // the destructor delivers what is queued for at most this
  // Alertmanager only:
  std::chrono::seconds resolve_timeout{300};  // endsAt = startsAt + this (the alert resolves unless raised again)
  std::string generator_url;                  // generatorURL of every alert, when not empty
  std::vector<std::pair<std::string, std::string>> labels;  // added to every alert (e.g. {"service", "shop"})
};

struct DeliveryStats {
  uint64_t submitted = 0;              // alerts handed to the sink
  uint64_t sent = 0;                   // alerts delivered (the server answered 2xx; the file took them)
  uint64_t failed_attempts = 0;        // requests (batches) that failed: no connection, a timeout, an error status
  uint64_t retried = 0;                // requests made again after a failure
  uint64_t dropped = 0;                // alerts given up, all reasons (the next three, and a refused batch)
  uint64_t dropped_queue_full = 0;     // the queue was full when they came
  uint64_t dropped_after_retries = 0;  // their batch failed max_attempts times
  uint64_t dropped_at_shutdown = 0;    // still queued when the shutdown timeout passed
  uint64_t queued = 0;                 // waiting or in flight now
  std::string last_error;              // the last failure, one line ("" when none)
};

// Where alerts go. Thread-safe; submit() never blocks on delivery.
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  // Queues a copy of `alert` for delivery; a full queue drops it (counted).
  virtual void submit(const Alert& alert) noexcept = 0;
  // Waits at most `timeout` until nothing is queued or in flight; true when
  // everything submitted before was delivered or given up.
  virtual bool flush(std::chrono::milliseconds timeout) noexcept = 0;
  virtual DeliveryStats stats() const = 0;
  // What the sink sends to, for messages and metric labels ("alertmanager http://127.0.0.1:9093").
  virtual const std::string& name() const noexcept = 0;
};

// A sink that appends each alert as one JSON Lines object (the report's
// alert object: rule, severity, message, ts, labels, suppressed, key) to
// `path`, created or appended to. Fails when the file cannot be opened.
Expected<std::shared_ptr<AlertSink>> make_jsonl_alert_sink(const std::string& path, DeliveryOptions options = {});

// A sink that POSTs batches to Prometheus Alertmanager's API v2. `url` is
// http://HOST[:PORT][/PREFIX] (the sink posts to PREFIX/api/v2/alerts; a URL
// that already ends with /api/v2/alerts is used as it is). Only http: for TLS
// put a proxy in front. Fails on a URL it cannot use.
Expected<std::shared_ptr<AlertSink>> make_alertmanager_sink(const std::string& url, DeliveryOptions options = {});

// The body of one Alertmanager POST for these alerts: a JSON array of
// {labels: {alertname: RULE, severity, ...options.labels, ...the alert's
// labels and `by` keys}, annotations: {summary: MESSAGE, rule}, startsAt,
// endsAt, generatorURL}. Label names are made valid for Prometheus
// ([a-zA-Z_][a-zA-Z0-9_]*, other characters become '_'); the first of two
// labels with one name wins, alertname and severity first. startsAt is the
// alert's time (ts, RFC 3339 UTC with milliseconds). Pure: for tests and tools.
std::string alertmanager_payload(std::span<const Alert> alerts, const DeliveryOptions& options);

// ---------------------------------------------------------------- metrics

struct MetricsTextOptions {
  // Series one metric family shows at most: the label values a policy's
  // `count` or `observe` writes come from events, so they are capped here
  // (beyond: left out, counted in dta_metrics_series_capped).
  size_t max_series_per_family = 1000;
};

// Everything a /metrics page shows: the policy's `count`/`observe` series
// and diagnostics (a Report), the runtime's stats (when it runs in a host),
// and each sink's delivery stats by sink name.
struct MetricsSnapshot {
  const Report* report = nullptr;
  const RuntimeStats* stats = nullptr;  // null without a runtime (a replay)
  std::vector<std::pair<std::string, DeliveryStats>> delivery;
};

// The snapshot in the Prometheus text exposition format, version 0.0.4:
// # HELP and # TYPE lines, counters named *_total, `observe` histograms as
// summaries (quantile 0.5, 0.9, 0.99 when kept, then _sum and _count), metric
// and label names made valid (other characters become '_'), label values
// and help text escaped. Policy metrics keep their name (one starting with
// "dta_", the engine's prefix, gets "policy_" in front); the engine's are
// dta_*. Pure.
std::string metrics_text(const MetricsSnapshot& snapshot, const MetricsTextOptions& options = {});

// Prometheus' metric name charset: [a-zA-Z_:][a-zA-Z0-9_:]*; any other
// character becomes '_', a leading digit gets '_' in front, "" is "_".
std::string sanitize_metric_name(std::string_view name);
// Label names: [a-zA-Z_][a-zA-Z0-9_]* the same way; "__" in front is
// reserved for Prometheus, so such a name gets "x" in front.
std::string sanitize_label_name(std::string_view name);
// A label value inside its double quotes: \ " and newline escaped.
std::string escape_label_value(std::string_view value);

struct MetricsServerOptions {
  // HOST:PORT to listen on; port 0 picks a free one (see port()). IPv6 as [::1]:PORT.
  std::string address = "127.0.0.1:9464";
  // A non-loopback address exposes the page to the network: refused unless set.
  bool allow_non_loopback = false;
  MetricsTextOptions text;
  std::vector<std::shared_ptr<AlertSink>> sinks;  // their delivery stats are shown too
  std::chrono::milliseconds io_timeout{5000};     // a client that sends or reads slower is cut off
};

// A small HTTP server on its own thread: GET /metrics answers the text
// exposition (text/plain; version=0.0.4), anything else 404 (405 for another
// method on /metrics). A bounded number of connections at a time.
class MetricsServer {
 public:
  // Serves `runtime`'s report and stats; the runtime must outlive the server.
  static Expected<std::unique_ptr<MetricsServer>> start(Runtime& runtime, MetricsServerOptions options = {});
  // Serves whatever `render` returns (called on the server's thread per scrape).
  static Expected<std::unique_ptr<MetricsServer>> start(std::function<std::string()> render,
                                                        MetricsServerOptions options = {});
  // Stops listening, closes connections and joins the thread.
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port it listens on (the one picked when asked for 0).
  uint16_t port() const;
  // HOST:PORT it listens on.
  std::string address() const;
  // GET /metrics answered so far.
  uint64_t scrapes() const;

  struct Impl;

 private:
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dta
