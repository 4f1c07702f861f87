// The templates of slot.hpp (inline: the recording path runs them per event).
#pragma once
#include <algorithm>
#include <cstring>
#include <vector>

#include "dta/program.hpp"

namespace dta::slot {
namespace detail {

template <class T>
inline void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
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
void encode(std::string& out, const Event& ev, Sensitive&& sensitive) {
  using detail::put;
  out.clear();
  const auto& fields = ev.fields();
  const size_t nf = std::min<size_t>(fields.size(), UINT16_MAX);
  uint8_t flags = ev.has_id ? kHasId : 0;
  put<int64_t>(out, ev.ts);
  put<int64_t>(out, ev.id);
  put<uint32_t>(out, ev.name);
  put<uint8_t>(out, static_cast<uint8_t>(ev.severity));
  const size_t flags_at = out.size();
  put<uint8_t>(out, 0);
  const size_t count_at = out.size();
  put<uint16_t>(out, 0);
  // Fixed parts first (what every field needs), so strings share what is left.
  size_t fixed = 0;
  for (size_t i = 0; i < nf; ++i) {
    const Field& f = fields[i];
    fixed += 5 + (sensitive(f) ? 0 : f.type == Type::Bool ? 1 : f.type == Type::String ? 2 : 8);
  }
  uint16_t written = 0;
  size_t budget = kRecorderSlotBytes > kHeaderBytes + fixed ? kRecorderSlotBytes - kHeaderBytes - fixed : 0;
  for (size_t i = 0; i < nf; ++i) {
    const Field& f = fields[i];
    const bool redacted = sensitive(f);
    const size_t need = 5 + (redacted ? 0 : f.type == Type::Bool ? 1 : f.type == Type::String ? 2 : 8);
    if (out.size() + need > kRecorderSlotBytes) {  // too many fields for a slot: the rest are left out
      flags |= kTruncated;
      break;
    }
    put<uint32_t>(out, f.key);
    if (redacted) {
      put<uint8_t>(out, static_cast<uint8_t>(Kind::Redacted));
    } else {
      const Value v = ev.value(f);
      switch (f.type) {
        case Type::Int:
          put<uint8_t>(out, static_cast<uint8_t>(Kind::Int));
          put<int64_t>(out, v.i);
          break;
        case Type::Float:
          put<uint8_t>(out, static_cast<uint8_t>(Kind::Float));
          put<double>(out, v.f);
          break;
        case Type::Bool:
          put<uint8_t>(out, static_cast<uint8_t>(Kind::Bool));
          put<uint8_t>(out, v.b);
          break;
        default: {
          const std::string_view s = v.str();
          size_t n = std::min(s.size(), budget);
          if (n < s.size()) {
            n = detail::utf8_cut(s, n);
            flags |= kTruncated;
          }
          budget -= n;
          put<uint8_t>(out, static_cast<uint8_t>(Kind::String));
          put<uint16_t>(out, static_cast<uint16_t>(n));
          out.append(s.data(), n);
          break;
        }
      }
    }
    ++written;
  }
  out[flags_at] = static_cast<char>(flags);
  std::memcpy(out.data() + count_at, &written, 2);
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
