// A stable 64-bit hash (FNV-1a, then a splitmix finalizer): the same value
// hashes the same on every machine and in every run, so sampling and hash()
// are deterministic.
#pragma once
#include <cstdint>
#include <string_view>

#include "dta/value.hpp"

namespace dta {

// Continue hash h over bytes s.
inline uint64_t hash_bytes(uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}
constexpr uint64_t kHashSeed = 0xcbf29ce484222325ull;

// Final mixing step, so nearby inputs spread over the whole range.
inline uint64_t hash_finish(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Continue hash h over a value: its type, then its bytes (ints as 8 little-endian bytes).
inline uint64_t hash_value(uint64_t h, const Value& v) {
  h = (h ^ static_cast<uint8_t>(v.type)) * 0x100000001b3ull;
  switch (v.type) {
    case Type::String: return hash_bytes(h, v.str());
    case Type::Bool: return hash_bytes(h, v.b ? "1" : "0");
    case Type::Int:
    case Type::Float: {
      char b[8];
      const uint64_t u = v.type == Type::Int ? static_cast<uint64_t>(v.i) : __builtin_bit_cast(uint64_t, v.f);
      for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(u >> (8 * i));
      return hash_bytes(h, std::string_view(b, 8));
    }
    default: return h;
  }
}

}  // namespace dta
