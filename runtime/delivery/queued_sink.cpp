// The bounded queue, the delivery thread, retries with backoff and the
// counters every alert sink shares.
#include "queued_sink.hpp"

#include <algorithm>

namespace dta::delivery {

std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds initial, std::chrono::milliseconds max) {
  std::chrono::milliseconds d = initial;
  for (int i = 1; i < attempt && d < max; ++i) d *= 2;
  return std::min(d, max);
}

QueuedSink::QueuedSink(std::string name, std::unique_ptr<Transport> transport, DeliveryOptions options)
    : name_(std::move(name)), transport_(std::move(transport)), options_(std::move(options)) {}

std::shared_ptr<QueuedSink> QueuedSink::start(std::string name, std::unique_ptr<Transport> transport,
                                              DeliveryOptions options, std::string* error) {
  options.max_batch = std::max<size_t>(options.max_batch, 1);
  options.max_attempts = std::max(options.max_attempts, 1);
  auto sink = std::make_shared<QueuedSink>(std::move(name), std::move(transport), std::move(options));
  try {
    sink->thread_ = std::thread([s = sink.get()] { s->run(); });
  } catch (const std::exception& e) {
    if (error) *error = std::string("cannot start the delivery thread: ") + e.what();
    return nullptr;
  }
  return sink;
}

QueuedSink::~QueuedSink() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    deadline_ = std::chrono::steady_clock::now() + options_.shutdown_timeout;
  }
  wake_.notify_all();
  {
    // Wait for the thread to deliver what it can within the timeout; then
    // interrupt a request still in progress.
    std::unique_lock lock(mu_);
    settled_.wait_until(lock, deadline_, [&] { return queue_.empty() && in_flight_ == 0; });
  }
  transport_->cancel();
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void QueuedSink::submit(const Alert& alert) noexcept {
  try {
    std::lock_guard lock(mu_);
    ++stats_.submitted;
    if (stopping_ || queue_.size() >= options_.queue_capacity) {
      ++stats_.dropped;
      ++stats_.dropped_queue_full;
      return;
    }
    queue_.push_back(alert);
  } catch (...) {  // no memory for the copy: dropped like a full queue
    std::lock_guard lock(mu_);
    ++stats_.dropped;
    ++stats_.dropped_queue_full;
    return;
  }
  wake_.notify_one();
}

bool QueuedSink::flush(std::chrono::milliseconds timeout) noexcept {
  std::unique_lock lock(mu_);
  return settled_.wait_for(lock, timeout, [&] { return queue_.empty() && in_flight_ == 0; });
}

DeliveryStats QueuedSink::stats() const {
  std::lock_guard lock(mu_);
  DeliveryStats s = stats_;
  s.queued = queue_.size() + in_flight_;
  return s;
}

bool QueuedSink::out_of_time_locked() const { return stopping_ && std::chrono::steady_clock::now() >= deadline_; }

void QueuedSink::run() {
  std::vector<Alert> batch;
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() || out_of_time_locked()) {
      if (!stopping_) continue;
      stats_.dropped += queue_.size();
      stats_.dropped_at_shutdown += queue_.size();
      queue_.clear();
      settled_.notify_all();
      return;
    }
    const size_t n = std::min(queue_.size(), options_.max_batch);
    batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + n));
    queue_.erase(queue_.begin(), queue_.begin() + n);
    in_flight_ = n;
    lock.unlock();
    deliver(batch);
    lock.lock();
    in_flight_ = 0;
    if (queue_.empty()) settled_.notify_all();
  }
}

void QueuedSink::deliver(std::vector<Alert>& batch) {
  for (int attempt = 1;; ++attempt) {
    SendResult r;
    try {
      r = transport_->send(batch);
    } catch (const std::exception& e) {  // a transport must not throw; if it does, it is a failed attempt
      r = {false, true, e.what()};
    } catch (...) {
      r = {false, true, "unknown error"};
    }
    std::unique_lock lock(mu_);
    if (r.ok) {
      stats_.sent += batch.size();
      return;
    }
    ++stats_.failed_attempts;
    stats_.last_error = r.error;
    if (!r.retryable && batch.size() > 1) {  // refused: find the alerts it refuses, deliver the others
      lock.unlock();
      return deliver_one_by_one(batch);
    }
    const bool give_up = !r.retryable || attempt >= options_.max_attempts;
    if (give_up || out_of_time_locked()) {
      stats_.dropped += batch.size();
      if (give_up && r.retryable) stats_.dropped_after_retries += batch.size();
      if (!give_up) stats_.dropped_at_shutdown += batch.size();
      return;
    }
    // Back off; a shutdown shortens the wait to its deadline.
    auto until =
        std::chrono::steady_clock::now() + backoff_delay(attempt, options_.backoff_initial, options_.backoff_max);
    wake_.wait_until(lock, until, [&] { return stopping_ && std::chrono::steady_clock::now() >= deadline_; });
    if (out_of_time_locked()) {
      stats_.dropped += batch.size();
      stats_.dropped_at_shutdown += batch.size();
      return;
    }
    ++stats_.retried;
    // Alerts that came meanwhile ride along (up to max_batch): a server that
    // is down costs one chain of retries, not one per alert.
    const size_t room = options_.max_batch > batch.size() ? options_.max_batch - batch.size() : 0;
    const size_t n = std::min(queue_.size(), room);
    batch.insert(batch.end(), std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + n));
    queue_.erase(queue_.begin(), queue_.begin() + n);
    in_flight_ = batch.size();
  }
}

void QueuedSink::deliver_one_by_one(std::vector<Alert>& batch) {
  for (const Alert& a : batch) {
    SendResult r;
    try {
      r = transport_->send(std::span(&a, 1));
    } catch (...) {
      r = {false, true, "unknown error"};
    }
    std::lock_guard lock(mu_);
    if (r.ok) {
      ++stats_.sent;
      continue;
    }
    ++stats_.failed_attempts;
    ++stats_.dropped;
    stats_.last_error = r.error;
  }
}

}  // namespace dta::delivery
