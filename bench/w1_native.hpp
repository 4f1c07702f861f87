// The W1 classification rules C1-C10 hand-written in C++ over the anchors'
// event type: the baseline the VM is measured against.
#pragma once
#include <array>
#include <cstdint>

#include "event.hpp"

namespace dta::bench {

// Counts of C1..C10 over the events given to it.
struct NativeClassifier {
  std::array<int64_t, 10> c{};
  void on_event(const anchors::Event& e);
};

}  // namespace dta::bench
