// The machinery every alert sink shares: a bounded queue the evaluating
// thread writes into without waiting for delivery, a background thread that
// takes batches from it and hands them to a transport (an HTTP client, a
// file), retries a failed batch with exponential backoff up to a cap, then
// drops it, and counts everything (DeliveryStats).
#pragma once
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "dta/delivery.hpp"

namespace dta::delivery {

// What a transport says about one batch.
struct SendResult {
  bool ok = false;
  bool retryable = true;  // false: the receiver refused the batch itself (trying again would not help)
  std::string error;      // one line, when not ok
};

// Delivers a batch somewhere. Called on the sink's thread only, except
// cancel(), which the destructor calls from another thread.
class Transport {
 public:
  virtual ~Transport() = default;
  // Delivers `alerts` (blocking, within the transport's own timeouts).
  virtual SendResult send(std::span<const Alert> alerts) = 0;
  // Makes the send in progress, and every later one, end at once (shutdown).
  virtual void cancel() noexcept {}
};

// The wait before try number `attempt` + 1 after `attempt` failures (1, 2, ...):
// initial * 2^(attempt-1), at most `max`.
std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds initial, std::chrono::milliseconds max);

class QueuedSink final : public AlertSink {
 public:
  // Starts the sink's thread; null (and *error set) when it cannot start.
  static std::shared_ptr<QueuedSink> start(std::string name, std::unique_ptr<Transport> transport,
                                           DeliveryOptions options, std::string* error);
  // Delivers what is queued for at most options.shutdown_timeout, drops the rest (counted), stops.
  ~QueuedSink() override;

  void submit(const Alert& alert) noexcept override;
  bool flush(std::chrono::milliseconds timeout) noexcept override;
  DeliveryStats stats() const override;
  const std::string& name() const noexcept override { return name_; }

  QueuedSink(std::string name, std::unique_ptr<Transport> transport, DeliveryOptions options);

 private:
  // The sink's thread: batches until stopped and empty (or out of time).
  void run();
  // Sends one batch, retrying it with backoff; counts the outcome.
  void deliver(std::vector<Alert>& batch);
  // A batch the receiver refused (a 4xx): each alert alone, once, so that
  // one it cannot take does not take the others down with it.
  void deliver_one_by_one(std::vector<Alert>& batch);
  // Stopping and past the shutdown deadline: give up what is left.
  bool out_of_time_locked() const;

  const std::string name_;
  const std::unique_ptr<Transport> transport_;
  const DeliveryOptions options_;

  mutable std::mutex mu_;
  std::condition_variable wake_;     // the thread: work, or stop
  std::condition_variable settled_;  // flushers: the queue and the batch in flight are done
  std::deque<Alert> queue_;
  size_t in_flight_ = 0;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point deadline_;  // when stopping: the end of the shutdown timeout
  DeliveryStats stats_;
  std::thread thread_;
};

// Alerts as Alertmanager API v2 wants them, one request per batch.
std::unique_ptr<Transport> make_alertmanager_transport(const std::string& url, const DeliveryOptions& options,
                                                       std::string* error);

}  // namespace dta::delivery
