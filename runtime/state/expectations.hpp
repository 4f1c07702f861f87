// The state of `expect` blocks: pending expectations by id, indexed by the
// values of their `matching` fields. One ExpectState per `expect`.
#pragma once
#include <algorithm>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "dta/event.hpp"
#include "state/keyed_store.hpp"

namespace dta {

struct Pending {
  uint64_t id = 0;
  int64_t deadline = 0;
  Event start;
  std::string match;
};

struct ExpectState {
  KeyedStore<Pending> pending;  // by id_key(id), oldest evicted first
  boost::unordered_flat_map<std::string, std::vector<uint64_t>> by_match;  // oldest first
  uint64_t next_id = 1;
  int64_t within_ns = 0;

  static std::string id_key(uint64_t id) { return std::string(reinterpret_cast<const char*>(&id), sizeof id); }
  // Drops pending `id` from the list of its matching key.
  void forget(const std::string& match, uint64_t id) {
    auto list = by_match.find(match);
    if (list == by_match.end()) return;
    auto& ids = list->second;
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
    if (ids.empty()) by_match.erase(list);
  }
};

}  // namespace dta
