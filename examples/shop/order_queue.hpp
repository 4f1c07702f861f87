// The shop's own order queue: the host's code, a plain mutex and condition
// variable around a std::queue (DTA audits it; it is not DTA's queue).
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <queue>

namespace shop {

struct Order {
  int64_t id = 0;
  std::chrono::steady_clock::time_point put;  // when it entered the queue
};

class OrderQueue {
 public:
  // Adds an order; returns the depth after it. `announce(depth)` runs
  // before any taker can see the order: the host emits its queue.put there,
  // so that no worker's queue.take for it can reach the audit first.
  template <class Announce>
  size_t put(Order o, Announce&& announce) {
    size_t depth;
    {
      std::lock_guard lock(mu_);
      depth = q_.size() + 1;
      announce(depth);
      q_.push(o);
    }
    cv_.notify_one();
    return depth;
  }
  // The oldest order, or nothing after `timeout` (or at once when closed and empty).
  std::optional<Order> take(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !q_.empty() || closed_; })) return std::nullopt;
    if (q_.empty()) return std::nullopt;
    Order o = q_.front();
    q_.pop();
    return o;
  }
  // Whether the queue is closed and empty: takers may stop.
  bool finished() {
    std::lock_guard lock(mu_);
    return closed_ && q_.empty();
  }
  // Wakes every taker; take() then drains what is left and returns nothing.
  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::queue<Order> q_;
  bool closed_ = false;
};

}  // namespace shop
