// Fault points (spec 9): places in the host's code where a test profile may
// make an operation fail. The host marks them and decides what failing
// means; a profile says where, with which fields, how often:
//
//   if (dta::Fault f = DTA_FAULT(rt, "db.open")) {
//     errno = static_cast<int>(f.get_int("errno", EIO));
//     return nullptr;                       // the host's own failure path
//   }
//
//   profile chaos { seed 42  inject db.open { errno: 5 } probability 10% max 3 }
//
// Nothing is ever injected unless the host set
// RuntimeOptions::allow_fault_injection; then only the points the running
// profile names are armed. An unarmed point costs one relaxed load and one
// branch. Each decision is a function of the seed, the point and the hit's
// number (the n-th time any thread reached the point), so a seed gives the
// same faults on the same hits whatever the thread interleaving. Every
// injected fault is also emitted as an event `dta.fault` (severity warning,
// fields `point`, `hit` and the injected ones) that rules and recorders see.
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>

#include "dta/runtime.hpp"

namespace dta {

struct FaultPoint;

// What DTA_FAULT returns: empty (false) when nothing is injected, else the
// injected fault's fields. It keeps what it refers to alive: a reload does
// not invalidate it.
class Fault {
 public:
  Fault() = default;
  explicit operator bool() const { return point_ != nullptr; }
  // The point's name ("db.open"); "" when empty.
  std::string_view point() const;
  // Which hit of the point this was (1 for the first time any thread reached it).
  uint64_t hit() const { return hit_; }
  // Whether the profile gave field `key`.
  bool has(std::string_view key) const;
  // Field `key` of the fault, or `fallback` when it was not given or has
  // another type (an int is read as a float too).
  int64_t get_int(std::string_view key, int64_t fallback = 0) const;
  double get_float(std::string_view key, double fallback = 0) const;
  bool get_bool(std::string_view key, bool fallback = false) const;
  // Valid while this Fault lives.
  std::string_view get_string(std::string_view key, std::string_view fallback = {}) const;

 private:
  friend struct FaultTable;
  Fault(std::shared_ptr<const FaultPoint> point, uint64_t hit) : point_(std::move(point)), hit_(hit) {}
  std::shared_ptr<const FaultPoint> point_;
  uint64_t hit_ = 0;
};

// The slow path of an armed fault point: registers it if new, counts the
// hit and decides. Never throws.
Fault fault_hit(EventSite& site, Runtime& runtime) noexcept;
inline Fault fault_hit(EventSite& site, Runtime* runtime) noexcept {
  return runtime ? fault_hit(site, *runtime) : Fault{};
}

}  // namespace dta

// A fault point named POINT (a string literal) of RUNTIME (a Runtime& or
// Runtime*): a dta::Fault, true when the running profile injects a fault here
// now. While no profile injects at POINT this is a load and a branch.
#define DTA_FAULT(RUNTIME, POINT)                                                       \
  ([&]() -> ::dta::Fault {                                                              \
    static constinit ::dta::EventSite dta_fault_site_{POINT, ::dta::kFaultPoint};       \
    if (__builtin_expect(!dta_fault_site_.armed(), 1)) return ::dta::Fault{};           \
    return ::dta::fault_hit(dta_fault_site_, RUNTIME);                                  \
  }())
