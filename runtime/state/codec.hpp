// The byte format of exported state (Engine::export_state): little-endian
// varints, zigzag for signed values, raw IEEE doubles, length-prefixed
// strings. The reader never reads past its input, never allocates more than
// the input could describe, and once anything is wrong stays failed: state
// bytes are outside input (a host may store them), so every decoder checks.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "dta/event.hpp"

namespace dta {

class StateWriter {
 public:
  void u64(uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>(v | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  void i64(int64_t v) { u64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void f64(double v) {
    char b[8];
    std::memcpy(b, &v, 8);
    out_.append(b, 8);
  }
  void flag(bool b) { out_ += b ? '\1' : '\0'; }
  void str(std::string_view s) {
    u64(s.size());
    out_.append(s);
  }
  // An event with its names spelled out (ids are per engine).
  void event(const Event& ev, const Interner& names);
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class StateReader {
 public:
  explicit StateReader(std::string_view in) : in_(in) {}
  uint64_t u64() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return bad();
      const auto c = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(c & 0x7f) << shift;
      if (!(c & 0x80)) return v;
    }
    return bad();
  }
  int64_t i64() {
    const uint64_t u = u64();
    return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  double f64() {
    if (in_.size() - pos_ < 8) return static_cast<double>(bad());
    double v;
    std::memcpy(&v, in_.data() + pos_, 8);
    pos_ += 8;
    return v;
  }
  bool flag() {
    const uint64_t v = u64();
    if (v > 1) bad();
    return v == 1;
  }
  std::string str() {
    const uint64_t n = u64();
    if (n > in_.size() - pos_) return bad(), std::string();
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // A count of items each at least `min_bytes` long: refused when the rest of
  // the input could not hold them (so no decoder allocates for a lie).
  uint64_t count(size_t min_bytes = 1) {
    const uint64_t n = u64();
    if (min_bytes && n > (in_.size() - pos_) / min_bytes) return bad();
    return n;
  }
  // An event written by StateWriter::event, its names interned in `names`.
  void event(Event& ev, Interner& names);
  // Marks the input bad (a value out of range); returns 0.
  uint64_t bad() {
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace dta
