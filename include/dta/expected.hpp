// The outcome of something that can fail: a value or an error message
// (Expected<T>), or success or an error message (Outcome). Library calls
// that can fail return one of these; none throws.
#pragma once
#include <string>
#include <utility>
#include <variant>

namespace dta {

// An error message on its way into an Expected or Outcome.
struct Failure {
  std::string message;
};
inline Failure fail(std::string message) { return Failure{std::move(message)}; }

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Expected(Failure f) : v_(std::in_place_index<1>, std::move(f.message)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // The value; only when ok().
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // The error message; only when !ok().
  const std::string& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, std::string> v_;
};

class [[nodiscard]] Outcome {
 public:
  Outcome() = default;  // success
  Outcome(Failure f) : error_(std::move(f.message)), ok_(false) {}
  static Outcome success() { return {}; }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  // The error message; empty when ok().
  const std::string& error() const { return error_; }

 private:
  std::string error_;
  bool ok_ = true;
};

}  // namespace dta
