// Scratch memory for strings the VM makes (lower(), concatenation, string()).
// Reset per event: nothing made here outlives the event that made it.
#pragma once
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace dta {

class Arena {
 public:
  // n bytes, valid until reset().
  char* alloc(size_t n);
  // A copy of s, valid until reset().
  std::string_view copy(std::string_view s);
  // Forget everything; keeps the first block. Free when nothing was allocated.
  void reset() {
    if (dirty_) reset_blocks();
  }

 private:
  void reset_blocks();
  static constexpr size_t kBlock = 4096;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t used_ = kBlock;  // bytes used in the last block
  bool dirty_ = false;
};

}  // namespace dta
