// A map from key bytes to per-key state with a cap: when full, the least
// recently seen key is evicted (and counted). Used by windows, machines,
// expectations and alert dedup, so nothing grows with the length of a stream.
#pragma once
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <functional>
#include <list>
#include <string>

namespace dta {

template <class State>
class KeyedStore {
 public:
  explicit KeyedStore(size_t cap = 10000) : cap_(cap ? cap : 1) {}

  // The state of `key`, created (and the oldest key evicted if full) when new.
  // *created says whether it was.
  State& touch(const std::string& key, bool* created = nullptr) {
    auto it = map_.find(key);
    if (it != map_.end()) {
      order_.splice(order_.begin(), order_, it->second.pos);
      if (created) *created = false;
      return it->second.state;
    }
    if (map_.size() >= cap_) {
      auto victim = map_.find(order_.back());
      if (on_evict) on_evict(victim->first, victim->second.state);
      map_.erase(victim);
      order_.pop_back();
      ++evicted_;
    }
    order_.push_front(key);
    Node& n = map_[key];
    n.pos = order_.begin();
    if (created) *created = true;
    return n.state;
  }
  // The state of `key`, or nullptr; does not count as seeing it.
  State* find(const std::string& key) {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second.state;
  }
  const State* find(const std::string& key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second.state;
  }
  void erase(const std::string& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return;
    order_.erase(it->second.pos);
    map_.erase(it);
  }
  // Calls f(key, state) for every key (most recently seen first).
  template <class F>
  void each(F&& f) {
    for (const std::string& k : order_) f(k, map_.find(k)->second.state);
  }
  // Calls f(key, state) for every key, least recently seen first: touching
  // the keys again in this order rebuilds the same eviction order.
  template <class F>
  void each_oldest(F&& f) const {
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) f(*it, map_.find(*it)->second.state);
  }
  template <class F>
  void each(F&& f) const {
    for (const std::string& k : order_) f(k, map_.find(k)->second.state);
  }
  // The least recently seen key, or nullptr when empty.
  const std::string* oldest_key() const { return order_.empty() ? nullptr : &order_.back(); }
  // Forgets every key (the eviction count stays).
  void clear() {
    map_.clear();
    order_.clear();
  }
  size_t size() const { return map_.size(); }
  uint64_t evicted() const { return evicted_; }
  void set_cap(size_t cap) { cap_ = cap ? cap : 1; }

  // Called with each key and state the cap evicts, before it goes.
  std::function<void(const std::string&, State&)> on_evict;

 private:
  struct Node {
    State state;
    std::list<std::string>::iterator pos;
  };
  size_t cap_;
  uint64_t evicted_ = 0;
  std::list<std::string> order_;
  boost::unordered_flat_map<std::string, Node> map_;
};

}  // namespace dta
