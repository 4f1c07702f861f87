// A recorded event as a line of JSON (slot.hpp): what a dump is made of.
#include "recorders/slot.hpp"

#include <fmt/format.h>

#include <cmath>

namespace dta::slot {
namespace {

// The length of the valid UTF-8 sequence at s[i], or 0 when it is not one.
size_t utf8_len(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  // Overlong forms, surrogates and values beyond U+10FFFF are not valid.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

void append_float(std::string& out, double f) {
  if (std::isinf(f)) {
    out += f > 0 ? "1e999" : "-1e999";  // reads back as the same infinity
    return;
  }
  const size_t at = out.size();
  fmt::format_to(std::back_inserter(out), "{}", f);
  if (out.find_first_of(".eE", at) == std::string::npos) out += ".0";  // stays a float when read back
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  size_t run = 0;  // start of the bytes that need no escaping, appended at once
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(s.data() + run, i - run);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
          break;
      }
      ++i;
    } else if (const size_t n = utf8_len(s, i)) {
      out.append(s.data() + i, n);
      i += n;
    } else {
      out += "\\ufffd";  // not UTF-8: the replacement character, as the reader makes it
      ++i;
    }
    run = i;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_json(std::string& out, std::string_view bytes, const Interner& names) {
  const size_t at = out.size();
  Header h;
  bool first = true;
  // The header (known once parse() reaches the fields), then each field in place.
  auto head = [&] {
    out += "{\"ts\":";
    out += fmt::format_int(h.ts).c_str();
    out += ",\"name\":";
    append_json_string(out, names.name(h.name));
    out += ",\"severity\":\"";
    out += severity_name(h.severity);
    out += '"';
    if (h.flags & kHasId) {
      out += ",\"id\":";
      out += fmt::format_int(h.id).c_str();
    }
    out += ",\"fields\":{";
  };
  const bool ok = parse(bytes, &h, [&](const FieldView& fv) {
    if (fv.kind == Kind::Float && std::isnan(fv.f)) return;  // JSON has no NaN: absent, as `null` reads
    if (first)
      head();
    else
      out += ',';
    first = false;
    append_json_string(out, names.name(fv.key));
    out += ':';
    switch (fv.kind) {
      case Kind::Int:
        out += fmt::format_int(fv.i).c_str();
        break;
      case Kind::Float:
        append_float(out, fv.f);
        break;
      case Kind::Bool:
        out += fv.b ? "true" : "false";
        break;
      case Kind::String:
        append_json_string(out, fv.s);
        break;
      case Kind::Redacted:
        out += "\"<redacted>\"";
        break;
    }
  });
  if (!ok) {  // slots are written by encode() or checked on import: never
    out.resize(at);
    return;
  }
  if (first) head();
  out += '}';
  if (h.flags & kTruncated) out += ",\"truncated\":true";
  out += '}';
}

}  // namespace dta::slot
