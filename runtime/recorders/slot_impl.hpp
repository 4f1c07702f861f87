// The templates of slot.hpp (inline: the recording path runs them per event).
#pragma once
#include <algorithm>
#include <cstring>
#include <vector>

#include "dta/program.hpp"

namespace dta::slot {
namespace detail {

template <class T>
inline void put_at(char* out, size_t& at, T v) {
  std::memcpy(out + at, &v, sizeof(T));
  at += sizeof(T);
}
template <class T>
inline bool get(std::string_view& in, T* v) {
  if (in.size() < sizeof(T)) return false;
  std::memcpy(v, in.data(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return true;
}
// The longest prefix of s of at most n bytes that does not split a UTF-8 sequence.
inline size_t utf8_cut(std::string_view s, size_t n) {
  if (n >= s.size()) return s.size();
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace detail

template <class Sensitive>
size_t encode(char* out, const Event& ev, Sensitive&& sensitive) {
  using detail::put_at;
  const auto& fields = ev.fields();
  const size_t nf = std::min<size_t>(fields.size(), UINT16_MAX);
  uint8_t flags = ev.has_id ? kHasId : 0;
  size_t at = 0;
  put_at<int64_t>(out, at, ev.ts);
  put_at<int64_t>(out, at, ev.id);
  put_at<uint32_t>(out, at, ev.name);
  put_at<uint8_t>(out, at, static_cast<uint8_t>(ev.severity));
  at += 3;  // flags and the field count, written last
  // Strings share what the header and the largest fixed part of every field
  // (13 bytes) leave: one bound, no pass over the fields before writing them.
  constexpr size_t kMaxFixed = 5 + 8;
  uint16_t written = 0;
  size_t budget =
      kRecorderSlotBytes > kHeaderBytes + kMaxFixed * nf ? kRecorderSlotBytes - kHeaderBytes - kMaxFixed * nf : 0;
  // Up to 37 fields the fixed parts always fit: only more need a check each.
  const bool roomy = kHeaderBytes + kMaxFixed * nf <= kRecorderSlotBytes;
  for (size_t i = 0; i < nf; ++i) {
    const Field& f = fields[i];
    const bool redacted = sensitive(f);
    if (!roomy && at + 5 +
                          (redacted                 ? 0
                           : f.type == Type::Bool   ? 1
                           : f.type == Type::String ? 2
                                                    : 8) >
                      kRecorderSlotBytes) {  // too many fields for a slot: the rest are left out
      flags |= kTruncated;
      break;
    }
    put_at<uint32_t>(out, at, f.key);
    if (redacted) {
      put_at<uint8_t>(out, at, static_cast<uint8_t>(Kind::Redacted));
    } else {
      switch (f.type) {
        case Type::Int:
          put_at<uint8_t>(out, at, static_cast<uint8_t>(Kind::Int));
          put_at<int64_t>(out, at, f.i);
          break;
        case Type::Float:
          put_at<uint8_t>(out, at, static_cast<uint8_t>(Kind::Float));
          put_at<double>(out, at, f.f);
          break;
        case Type::Bool:
          put_at<uint8_t>(out, at, static_cast<uint8_t>(Kind::Bool));
          put_at<uint8_t>(out, at, f.b);
          break;
        default: {
          const std::string_view s = ev.value(f).str();
          size_t n = std::min(s.size(), budget);
          if (n < s.size()) {
            n = detail::utf8_cut(s, n);
            flags |= kTruncated;
          }
          budget -= n;
          put_at<uint8_t>(out, at, static_cast<uint8_t>(Kind::String));
          put_at<uint16_t>(out, at, static_cast<uint16_t>(n));
          std::memcpy(out + at, s.data(), n);
          at += n;
          break;
        }
      }
    }
    ++written;
  }
  out[21] = static_cast<char>(flags);
  std::memcpy(out + 22, &written, 2);
  return at;
}

template <class OnField>
bool parse(std::string_view in, Header* h, OnField&& field) {
  using detail::get;
  uint8_t sev = 0;
  if (!get(in, &h->ts) || !get(in, &h->id) || !get(in, &h->name) || !get(in, &sev) || !get(in, &h->flags) ||
      !get(in, &h->fields) || sev > static_cast<uint8_t>(Severity::Critical))
    return false;
  h->severity = static_cast<Severity>(sev);
  for (uint16_t i = 0; i < h->fields; ++i) {
    FieldView fv;
    uint8_t kind = 0;
    if (!get(in, &fv.key) || !get(in, &kind) || kind > static_cast<uint8_t>(Kind::Redacted)) return false;
    fv.kind = static_cast<Kind>(kind);
    switch (fv.kind) {
      case Kind::Int:
        if (!get(in, &fv.i)) return false;
        break;
      case Kind::Float:
        if (!get(in, &fv.f)) return false;
        break;
      case Kind::Bool: {
        uint8_t b = 0;
        if (!get(in, &b) || b > 1) return false;
        fv.b = b;
        break;
      }
      case Kind::String: {
        uint16_t n = 0;
        if (!get(in, &n) || in.size() < n) return false;
        fv.s = in.substr(0, n);
        in.remove_prefix(n);
        break;
      }
      case Kind::Redacted:
        break;
    }
    field(fv);
  }
  return in.empty();
}

inline bool remap(std::string& bytes, uint32_t name, const std::vector<uint32_t>& keys) {
  Header h;
  std::vector<size_t> key_at;  // where each field's key is
  size_t at = kHeaderBytes;
  const bool ok = parse(std::string_view(bytes), &h, [&](const FieldView& fv) {
    key_at.push_back(at);
    at += 5 + (fv.kind == Kind::Int || fv.kind == Kind::Float ? 8
               : fv.kind == Kind::Bool                        ? 1
               : fv.kind == Kind::String                      ? 2 + fv.s.size()
                                                              : 0);
  });
  if (!ok || key_at.size() != keys.size()) return false;
  std::memcpy(bytes.data() + 16, &name, 4);
  for (size_t i = 0; i < keys.size(); ++i) std::memcpy(bytes.data() + key_at[i], &keys[i], 4);
  return true;
}

}  // namespace dta::slot
