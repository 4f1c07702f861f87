// Built-in functions of spec 4.2 (and a few more). One row per function:
// name, arity, parameter kinds, result kind, implementation, doc.
// Implementations check their arguments' tags (an argument's type may be
// unknown until run time) and report misses as a Status.
#include "dta/stdlib.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "dta/hash.hpp"

namespace dta {
namespace {

bool is_num(const Value& v) { return v.type == Type::Int || v.type == Type::Float; }
double as_f(const Value& v) { return v.type == Type::Int ? static_cast<double>(v.i) : v.f; }

#define NEED_STR(i) if (a[i].type != Type::String) return Status::TypeError
#define NEED_NUM(i) if (!is_num(a[i])) return Status::TypeError

Status starts_with(const Value* a, Value& out, Arena&) {
  NEED_STR(0); NEED_STR(1);
  out = Value::of_bool(a[0].str().substr(0, a[1].s.n) == a[1].str());
  return Status::Ok;
}

Status ends_with(const Value* a, Value& out, Arena&) {
  NEED_STR(0); NEED_STR(1);
  const auto s = a[0].str(), p = a[1].str();
  out = Value::of_bool(s.size() >= p.size() && s.substr(s.size() - p.size()) == p);
  return Status::Ok;
}

Status contains(const Value* a, Value& out, Arena&) {
  NEED_STR(0); NEED_STR(1);
  out = Value::of_bool(a[0].str().find(a[1].str()) != std::string_view::npos);
  return Status::Ok;
}

// Length in bytes of the UTF-8 character at s[i]: 1 for ASCII, and for a
// byte that does not start a well-formed sequence (it stands for itself).
size_t char_len(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0xC2 || c > 0xF4) return 1;
  const size_t n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (i + n > s.size()) return 1;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  return n;
}

// The character at s[i] as a number (its code point; a stray byte b as
// 0x110000 + b, so it equals no real character) and its length in *len.
uint32_t char_at(std::string_view s, size_t i, size_t* len) {
  *len = char_len(s, i);
  const auto c = static_cast<unsigned char>(s[i]);
  if (*len == 1) return c < 0x80 ? c : 0x110000 + c;
  uint32_t cp = c & (0x7F >> *len);
  for (size_t k = 1; k < *len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

// Shell-style glob: '*' any run, '?' one character, '[abc]' / '[a-z]' / '[!a]'
// a class. Characters are UTF-8 code points ('?' matches "é" whole).
bool glob_match(std::string_view s, std::string_view p) {
  size_t si = 0, pi = 0, star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    size_t sn;
    const uint32_t sc = char_at(s, si, &sn);
    if (pi < p.size() && p[pi] == '*') {
      star_p = pi++;
      star_s = si;
      continue;
    }
    if (pi < p.size() && p[pi] == '[') {
      size_t q = pi + 1;
      const bool neg = q < p.size() && (p[q] == '!' || p[q] == '^');
      if (neg) ++q;
      bool hit = false;
      const size_t first = q;
      while (q < p.size() && (p[q] != ']' || q == first)) {
        size_t lo_n;
        const uint32_t lo = char_at(p, q, &lo_n);
        if (q + lo_n + 1 < p.size() && p[q + lo_n] == '-' && p[q + lo_n + 1] != ']') {
          size_t hi_n;
          const uint32_t hi = char_at(p, q + lo_n + 1, &hi_n);
          hit |= sc >= lo && sc <= hi;
          q += lo_n + 1 + hi_n;
        } else {
          hit |= sc == lo;
          q += lo_n;
        }
      }
      if (q < p.size() && hit != neg) {
        pi = q + 1;
        si += sn;
        continue;
      }
    } else if (pi < p.size() && p[pi] == '?') {
      ++pi;
      si += sn;
      continue;
    } else if (pi < p.size() && p[pi] == s[si]) {  // bytewise: UTF-8 keeps both sides aligned
      ++pi;
      ++si;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p + 1;
    star_s += char_len(s, star_s);
    si = star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

Status glob(const Value* a, Value& out, Arena&) {
  NEED_STR(0); NEED_STR(1);
  out = Value::of_bool(glob_match(a[0].str(), a[1].str()));
  return Status::Ok;
}

// ASCII case mapping: bytes of multi-byte UTF-8 characters (all >= 0x80)
// are copied as they are, so valid UTF-8 stays valid.
template <bool Upper>
Status change_case(const Value* a, Value& out, Arena& arena) {
  NEED_STR(0);
  char* p = arena.alloc(a[0].s.n);
  for (uint32_t i = 0; i < a[0].s.n; ++i) {
    const char c = a[0].s.p[i];
    p[i] = Upper ? (c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c)
                 : (c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  }
  out = Value::of_string({p, a[0].s.n});
  return Status::Ok;
}

// Unicode code points (spec 4.2): the bytes that are not UTF-8 continuation
// bytes (10xxxxxx). Exact for valid UTF-8, which is what events carry.
Status len(const Value* a, Value& out, Arena&) {
  NEED_STR(0);
  int64_t n = 0;
  for (uint32_t i = 0; i < a[0].s.n; ++i) n += (static_cast<unsigned char>(a[0].s.p[i]) & 0xC0) != 0x80;
  out = Value::of_int(n);
  return Status::Ok;
}

Status abs_fn(const Value* a, Value& out, Arena&) {
  NEED_NUM(0);
  if (a[0].type == Type::Float) {
    out = Value::of_float(std::fabs(a[0].f));
  } else {
    if (a[0].i == INT64_MIN) return Status::ArithError;
    out = Value::of_int(a[0].i < 0 ? -a[0].i : a[0].i);
  }
  return Status::Ok;
}

template <bool Max>
Status min_max(const Value* a, Value& out, Arena&) {
  NEED_NUM(0); NEED_NUM(1);
  if (a[0].type == Type::Int && a[1].type == Type::Int) {
    out = Value::of_int(Max ? std::max(a[0].i, a[1].i) : std::min(a[0].i, a[1].i));
  } else {
    const double x = as_f(a[0]), y = as_f(a[1]);
    out = Value::of_float(Max ? std::max(x, y) : std::min(x, y));
  }
  return Status::Ok;
}

// ---- the number syntax of int(s) and float(s): what strtoll and strtod
// accept in the "C" locale, whatever the host's locale (std::from_chars
// never reads it; strtod in a de_DE locale wants "1,5"): leading blanks, one
// optional sign, the number, and nothing after it. Floats also take inf,
// infinity, nan, nan(chars) and hexadecimal (0x1.8p3), in any case; one
// beyond the range of double is +-inf and one below it 0, as from strtod.

constexpr std::string_view kBlanks = " \t\n\v\f\r";  // isspace() in the "C" locale

// Drops the leading blanks and one sign of `s`; false when no number can
// follow (nothing left, or a second sign).
bool strip_sign(std::string_view& s, bool* negative) {
  const size_t start = s.find_first_not_of(kBlanks);
  if (start == std::string_view::npos) return false;
  s.remove_prefix(start);
  *negative = s[0] == '-';
  if (s[0] == '-' || s[0] == '+') s.remove_prefix(1);
  return !s.empty() && s[0] != '-' && s[0] != '+';
}

// int(s): a decimal integer in the int64 range.
bool parse_int_text(std::string_view s, int64_t* out) {
  bool negative = false;
  if (!strip_sign(s, &negative)) return false;
  uint64_t magnitude = 0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), magnitude, 10);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return false;
  if (magnitude > (negative ? uint64_t{1} << 63 : uint64_t{INT64_MAX})) return false;  // ERANGE for strtoll
  *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

// float(s): a decimal or hexadecimal float, inf or nan.
bool parse_float_text(std::string_view s, double* out) {
  bool negative = false;
  if (!strip_sign(s, &negative)) return false;
  auto format = std::chars_format::general;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);  // strtod wants a hex digit or a point next, no sign, no inf/nan
    if (s.empty() || !(std::isxdigit(static_cast<unsigned char>(s[0])) || s[0] == '.')) return false;
    format = std::chars_format::hex;
  }
  const char* end = s.data() + s.size();
  double v = 0;
  auto res = std::from_chars(s.data(), end, v, format);
  if (res.ec == std::errc::result_out_of_range && res.ptr == end) {
    // Beyond double: strtod gives inf or 0 (or the nearest denormal). A long
    // double holds most such values and rounds as strtod does; past its range
    // too, the exponent's sign tells.
    long double wide = 0;
    if (std::from_chars(s.data(), end, wide, format).ec == std::errc()) {
      v = static_cast<double>(wide);
    } else {
      const size_t e = s.find_last_of(format == std::chars_format::hex ? "pP" : "eE");
      v = e != std::string_view::npos && e + 1 < s.size() && s[e + 1] == '-' ? 0.0 : HUGE_VAL;
    }
    res.ec = std::errc();
  }
  if (res.ec != std::errc() || res.ptr != end) return false;
  *out = negative ? -v : v;
  return true;
}

Status to_int(const Value* a, Value& out, Arena&) {
  switch (a[0].type) {
    case Type::Int: out = a[0]; return Status::Ok;
    case Type::Bool: out = Value::of_int(a[0].b); return Status::Ok;
    case Type::Float: {
      const double t = std::trunc(a[0].f);
      if (!(t >= -9.2233720368547758e18 && t < 9.2233720368547758e18)) return Status::ArithError;
      out = Value::of_int(static_cast<int64_t>(t));
      return Status::Ok;
    }
    case Type::String: {
      int64_t v = 0;
      if (!parse_int_text(a[0].str(), &v)) return Status::TypeError;
      out = Value::of_int(v);
      return Status::Ok;
    }
    default: return Status::TypeError;
  }
}

Status to_float(const Value* a, Value& out, Arena&) {
  switch (a[0].type) {
    case Type::Int: out = Value::of_float(static_cast<double>(a[0].i)); return Status::Ok;
    case Type::Float: out = a[0]; return Status::Ok;
    case Type::Bool: out = Value::of_float(a[0].b ? 1.0 : 0.0); return Status::Ok;
    case Type::String: {
      double v = 0;
      if (!parse_float_text(a[0].str(), &v)) return Status::TypeError;
      out = Value::of_float(v);
      return Status::Ok;
    }
    default: return Status::TypeError;
  }
}

Status to_string(const Value* a, Value& out, Arena& arena);

// dur(ns): an int of nanoseconds (a duration, a difference of times) as the
// language writes durations: dur(1800000000000) is "30m", dur(1500000) "1.5ms".
Status dur(const Value* a, Value& out, Arena& arena) {
  if (a[0].type != Type::Int) return Status::TypeError;
  out = Value::of_string(arena.copy(format_duration(a[0].i)));
  return Status::Ok;
}

// ---- round(x, digits): x to `digits` decimal places (negative: to tens,
// hundreds...), half away from zero; an int stays an int, a float a float.
// A float is rounded as it reads (its shortest round-trip decimal, what
// messages show), so round(1.005, 2) is 1.01 and round(0.285, 2) is 0.29,
// and the result is the double nearest the rounded decimal, which reads
// back as it (round(1817.1961994449757, 2) shows 1817.2).

// Places beyond which rounding changes no finite double: |x| < 1e309, and
// its last significant digit lies above 1e-343. Larger `digits` are clamped.
constexpr int64_t kRoundMaxDigits = 400;

Status round_int(int64_t x, int64_t digits, Value& out) {
  constexpr int64_t kMaxPower = 19;  // 10^19 still fits uint64; half of 10^20 exceeds every int64
  if (digits >= 0) {
    out = Value::of_int(x);
    return Status::Ok;
  }
  if (-digits > kMaxPower) {
    out = Value::of_int(0);
    return Status::Ok;
  }
  uint64_t unit = 1;
  for (int64_t i = 0; i < -digits; ++i) unit *= 10;
  const uint64_t mag = x < 0 ? 0 - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
  uint64_t q = mag / unit;
  const uint64_t rem = mag % unit;
  if (rem >= unit - rem) ++q;  // half away from zero
  uint64_t m = 0;
  const uint64_t limit = x < 0 ? uint64_t{1} << 63 : uint64_t{INT64_MAX};
  if (__builtin_mul_overflow(q, unit, &m) || m > limit) return Status::ArithError;  // round(9223372036854775807, -1)
  out = Value::of_int(x < 0 ? static_cast<int64_t>(0 - m) : static_cast<int64_t>(m));
  return Status::Ok;
}

Status round_float(double x, int64_t digits, Value& out) {
  if (!std::isfinite(x) || x == 0) {
    out = Value::of_float(x);
    return Status::Ok;
  }
  // |x| as its shortest decimal: digits d0.d1d2... and the exponent of d0.
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(x), std::chars_format::scientific);
  const std::string_view text(buf, static_cast<size_t>(res.ptr - buf));
  const size_t e = text.find('e');
  if (res.ec != std::errc() || e == std::string_view::npos) return Status::ArithError;  // cannot happen
  std::string mantissa;
  for (const char c : text.substr(0, e))
    if (c != '.') mantissa += c;
  int exp10 = 0;
  const std::string_view exp_text = text.substr(e + 1);
  std::from_chars(exp_text.data() + (exp_text[0] == '+'), exp_text.data() + exp_text.size(), exp10);
  const int64_t keep = exp10 + 1 + digits;  // significant digits kept
  if (keep >= static_cast<int64_t>(mantissa.size())) {
    out = Value::of_float(x);  // no digit beyond the place
    return Status::Ok;
  }
  if (keep < 0) {
    out = Value::of_float(0.0);  // below half a unit of the place (0, not -0, in messages)
    return Status::Ok;
  }
  std::string kept = mantissa.substr(0, static_cast<size_t>(keep));
  if (mantissa[static_cast<size_t>(keep)] >= '5') {  // half away from zero: carry into the kept digits
    size_t i = kept.size();
    while (i > 0 && kept[i - 1] == '9') kept[--i] = '0';
    if (i == 0)
      kept.insert(kept.begin(), '1');
    else
      ++kept[i - 1];
  }
  if (kept.empty() || kept.find_first_not_of('0') == std::string::npos) {
    out = Value::of_float(0.0);
    return Status::Ok;
  }
  const std::string decimal = kept + "e" + std::to_string(exp10 + 1 - keep);
  double v = 0;
  const auto parsed = std::from_chars(decimal.data(), decimal.data() + decimal.size(), v);
  if (parsed.ec != std::errc() || !std::isfinite(v)) return Status::ArithError;  // beyond double: round(1.7e308, -308)
  out = Value::of_float(x < 0 ? -v : v);
  return Status::Ok;
}

Status round_fn(const Value* a, Value& out, Arena&) {
  NEED_NUM(0);
  if (a[1].type != Type::Int) return Status::TypeError;
  const int64_t digits = std::clamp<int64_t>(a[1].i, -kRoundMaxDigits, kRoundMaxDigits);
  return a[0].type == Type::Int ? round_int(a[0].i, digits, out) : round_float(a[0].f, digits, out);
}

Status hash_fn(const Value* a, Value& out, Arena&) {
  out = Value::of_int(static_cast<int64_t>(hash_finish(hash_value(kHashSeed, a[0]))));
  return Status::Ok;
}

#undef NEED_STR
#undef NEED_NUM

constexpr Param S = Param::String, N = Param::Number, A = Param::Any, I = Param::Int;

constexpr Builtin kStdlib[] = {
    {"starts_with", 2, {S, S}, Result::Bool, starts_with, Special::None, "s begins with p"},
    {"ends_with", 2, {S, S}, Result::Bool, ends_with, Special::None, "s ends with p"},
    {"contains", 2, {S, S}, Result::Bool, contains, Special::None, "p occurs in s"},
    {"matches", 2, {S, S}, Result::Bool, nullptr, Special::Regex,
     "s matches the constant ECMAScript regex (search semantics)"},
    {"glob", 2, {S, S}, Result::Bool, glob, Special::None, "s matches the shell glob (* ? [..]; ? and classes match one character)"},
    {"lower", 1, {S}, Result::String, change_case<false>, Special::None, "ASCII lower case"},
    {"upper", 1, {S}, Result::String, change_case<true>, Special::None, "ASCII upper case"},
    {"len", 1, {S}, Result::Int, len, Special::None, "length of s in Unicode code points"},
    {"abs", 1, {N}, Result::SameAsArg, abs_fn, Special::None, "absolute value"},
    {"min", 2, {N, N}, Result::WidestNumber, min_max<false>, Special::None, "smaller of a and b"},
    {"max", 2, {N, N}, Result::WidestNumber, min_max<true>, Special::None, "larger of a and b"},
    {"int", 1, {A}, Result::Int, to_int, Special::None, "x as an int (floats truncate, strings parse)"},
    {"float", 1, {A}, Result::Float, to_float, Special::None, "x as a float (strings parse)"},
    {"string", 1, {A}, Result::String, to_string, Special::None, "x rendered as in messages"},
    {"has", 1, {A}, Result::Bool, nullptr, Special::HasField, "the event carries field f (never a miss)"},
    {"field", 1, {S}, Result::SameAsArg /* the field's own type */, nullptr, Special::FieldNamed,
     "the field with this name (for names that are not identifiers)"},
    {"hash", 1, {A}, Result::Int, hash_fn, Special::None, "stable 64-bit hash of x"},
    {"round", 2, {N, I}, Result::SameAsArg, round_fn, Special::None,
     "x to `digits` decimal places (negative: tens, hundreds...), half away from zero, as x reads"},
    {"dur", 1, {I}, Result::String, dur, Special::None, "an int of nanoseconds as a duration: 30m, 1.5s, 250ms"},
};

Status to_string(const Value* a, Value& out, Arena& arena) {
  if (a[0].type == Type::String) {
    out = a[0];
    return Status::Ok;
  }
  if (a[0].type == Type::List || a[0].type == Type::Unknown) return Status::TypeError;
  std::string s;
  append_value(s, a[0]);
  out = Value::of_string(arena.copy(s));
  return Status::Ok;
}

}  // namespace

const Builtin* stdlib_functions(size_t* count) {
  *count = sizeof kStdlib / sizeof kStdlib[0];
  return kStdlib;
}

}  // namespace dta
