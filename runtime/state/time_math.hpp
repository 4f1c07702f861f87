// Event-time arithmetic that cannot overflow: timestamps near the int64
// limits plus or minus a duration saturate at the limits instead of wrapping
// (signed overflow is undefined behaviour). Every deadline, horizon and window
// end in the engine is computed with these.
#pragma once
#include <cstdint>
#include <limits>

namespace dta {

// a + b, clamped to [INT64_MIN, INT64_MAX].
inline int64_t sat_add(int64_t a, int64_t b) {
  int64_t r;
  if (!__builtin_add_overflow(a, b, &r)) return r;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

// a - b, clamped to [INT64_MIN, INT64_MAX].
inline int64_t sat_sub(int64_t a, int64_t b) {
  int64_t r;
  if (!__builtin_sub_overflow(a, b, &r)) return r;
  return b < 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

// a * b, clamped to [INT64_MIN, INT64_MAX].
inline int64_t sat_mul(int64_t a, int64_t b) {
  int64_t r;
  if (!__builtin_mul_overflow(a, b, &r)) return r;
  return (a < 0) != (b < 0) ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
}

}  // namespace dta
