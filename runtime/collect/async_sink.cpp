// The async sink (collect.hpp): a bounded queue in front of another sink,
// drained by one thread, so a host's emitting thread never waits for a disk
// or a collector. A full queue denies the collection at once.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "dta/collect.hpp"

namespace dta {
namespace {

class AsyncSink final : public CollectionSink {
 public:
  AsyncSink(std::shared_ptr<CollectionSink> inner, size_t capacity, CollectionDone done)
      : inner_(std::move(inner)), capacity_(capacity ? capacity : 1), done_(std::move(done)) {}

  // Starts the thread; false when it cannot.
  bool start() {
    try {
      worker_ = std::thread([this] { run(); });
      return true;
    } catch (...) {
      return false;
    }
  }

  ~AsyncSink() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

  CollectionResult collect(CollectionRequest&& req) override {
    std::unique_lock lock(mu_);
    if (queue_.size() >= capacity_) {
      CollectionResult res{CollectionStatus::Denied, "", 0, "collection queue full"};
      lock.unlock();
      return res;
    }
    queue_.push_back({std::move(req), true, {}});
    lock.unlock();
    cv_.notify_one();
    return CollectionResult{CollectionStatus::Queued, "", 0, ""};
  }

  void note(const CollectionRequest& req, const CollectionResult& res) override {
    std::unique_lock lock(mu_);
    if (queue_.size() >= capacity_) return;  // a manifest line for a denial is not worth a wait
    Item item{req, false, res};
    item.req.body.clear();
    queue_.push_back(std::move(item));
    lock.unlock();
    cv_.notify_one();
  }

 private:
  struct Item {
    CollectionRequest req;
    bool write = true;        // a collection to write; else a manifest line
    CollectionResult result;  // the note's result
  };

  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is done
      Item item = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      if (item.write) {
        CollectionResult res;
        try {
          res = inner_->collect(std::move(item.req));
        } catch (...) {
          res = CollectionResult{CollectionStatus::Failed, "", 0, "the collection sink threw"};
        }
        if (done_) {
          try {
            done_(item.req, res);
          } catch (...) {
          }
        }
      } else {
        try {
          inner_->note(item.req, item.result);
        } catch (...) {
        }
      }
      lock.lock();
    }
  }

  std::shared_ptr<CollectionSink> inner_;
  size_t capacity_;
  CollectionDone done_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace

std::shared_ptr<CollectionSink> async_sink(std::shared_ptr<CollectionSink> inner, size_t capacity,
                                           CollectionDone done) {
  auto sink = std::make_shared<AsyncSink>(std::move(inner), capacity, std::move(done));
  if (!sink->start()) return nullptr;
  return sink;
}

}  // namespace dta
