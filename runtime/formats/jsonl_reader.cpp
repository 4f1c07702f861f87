// JSON Lines reader (spec section 1): a Boost.JSON SAX handler fills an Event
// straight from the parser's callbacks (no DOM). Objects under "fields" are
// flattened into dotted names, arrays kept as compact JSON text, null fields
// left out, invalid UTF-8 replaced; a line whose fields repeat a name is
// parsed a second time with the bookkeeping that makes the last value win.
#include "dta/jsonl.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <charconv>
#include <cstring>
#include <fmt/format.h>
#include <iterator>
#include <unordered_map>
#include <utility>

namespace dta {
namespace {

// JSON nesting levels one line may have: bounds the parser's stack and the
// depth of dotted field names. Real telemetry nests a handful of levels.
constexpr size_t kMaxNesting = 64;
constexpr size_t kMaxLineBytes = kMaxJsonlLineBytes;
// Fields of one event (distinct names): rules look fields up by a linear
// scan, and each new name stays in the engine's name table. Real events have
// tens, flattened payloads hundreds.
constexpr size_t kMaxFields = 10000;
// Bytes of an event name (names are identifiers, not payload).
constexpr size_t kMaxNameBytes = 1024;
// What an error message quotes of a bad value.
constexpr size_t kQuoteBytes = 64;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// ---------------------------------------------------------------- time

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

enum class TimeError { None, Syntax, Range };

// RFC 3339 -> ns since the epoch; Range when the time is valid but not
// representable in int64 ns (before 1677-09-21 or after 2262-04-11).
TimeError rfc3339(std::string_view s, int64_t* ns) {
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, &mo) || s[7] != '-' ||
      !digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, &h) ||
      s[13] != ':' || !digits(s, 14, 2, &mi) || s[16] != ':' || !digits(s, 17, 2, &sec))
    return TimeError::Syntax;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 ||
      sec > 60)
    return TimeError::Syntax;
  size_t pos = 19;
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 9) frac = frac * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return TimeError::Syntax;
    for (; n < 9; ++n) frac *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, &om) ||
        oh > 23 || om > 59)
      return TimeError::Syntax;
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return TimeError::Syntax;  // RFC 3339 requires an offset
  }
  if (pos != s.size()) return TimeError::Syntax;
  // Years have 4 digits, so secs is within +-3e11: no overflow up to here.
  const int64_t secs = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                       h * 3600 + mi * 60 + sec - offset_s;
  // The int64 ns range, as whole seconds and the fraction after them.
  constexpr int64_t kMaxSecs = INT64_MAX / 1000000000;      // 2262-04-11T23:47:16Z
  constexpr int64_t kMaxFrac = INT64_MAX % 1000000000;      // .854775807
  constexpr int64_t kMinSecs = INT64_MIN / 1000000000 - 1;  // 1677-09-21T00:12:43Z
  constexpr int64_t kMinFrac = 1000000000 + INT64_MIN % 1000000000;  // .145224192
  if (secs > kMaxSecs || (secs == kMaxSecs && frac > kMaxFrac) || secs < kMinSecs ||
      (secs == kMinSecs && frac < kMinFrac))
    return TimeError::Range;
  // Before the epoch, (secs + 1) * 10^9 cannot overflow where secs * 10^9 can.
  *ns = secs >= 0 ? secs * 1000000000 + frac : (secs + 1) * 1000000000 - (1000000000 - frac);
  return TimeError::None;
}

// The time units of a numeric "ts", in TimeUnit order: the name, the
// nanoseconds in one unit and their power of ten.
struct TimeUnitRow {
  const char* name;
  int64_t ns;
  int exp10;
};
constexpr TimeUnitRow kTimeUnits[] = {{"ns", 1, 0}, {"us", 1000, 3}, {"ms", 1000000, 6}, {"s", 1000000000, 9}};
static_assert(static_cast<int>(TimeUnit::S) == 3 && std::size(kTimeUnits) == 4,
              "kTimeUnits follows the order of TimeUnit");

// Significant digits a time may have: int64 has 19.
constexpr size_t kMaxTimeDigits = 19;

// The JSON number `text` times 10^scale_exp as an integer, truncated toward
// negative infinity, computed exactly from the digits (a double has 16 of
// them: 1800000000.123456789 s would lose its nanoseconds); false when it
// does not fit int64 or is not a number.
bool decimal_to_int(std::string_view text, int scale_exp, int64_t* out) {
  size_t i = 0;
  const bool neg = i < text.size() && text[i] == '-';
  if (neg) ++i;
  std::string digits;      // significant digits, no leading zeros
  int64_t exp10 = 0;       // the value is digits * 10^exp10
  bool in_frac = false, inexact = false;
  for (; i < text.size() && text[i] != 'e' && text[i] != 'E'; ++i) {
    const char c = text[i];
    if (c == '.') {
      in_frac = true;
      continue;
    }
    if (c < '0' || c > '9') return false;
    if (digits.empty() && c == '0') {
      if (in_frac) --exp10;
      continue;
    }
    if (digits.size() <= kMaxTimeDigits + 1) {  // beyond, only the magnitude and exactness matter
      digits += c;
      if (in_frac) --exp10;
    } else if (!in_frac) {
      ++exp10;
      inexact = inexact || c != '0';
    } else {
      inexact = inexact || c != '0';
    }
  }
  if (i < text.size()) {  // the exponent, clamped: anything beyond 10^±1000 is out of range or zero anyway
    ++i;
    const bool eneg = i < text.size() && text[i] == '-';
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    if (i == text.size()) return false;
    int64_t e = 0;
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      if (e < 100000) e = e * 10 + (text[i] - '0');
    }
    exp10 += eneg ? -e : e;
  }
  while (!digits.empty() && digits.back() == '0') digits.pop_back(), ++exp10;
  exp10 += scale_exp;
  uint64_t v = 0;  // at most 19 digits: below 2^64
  if (digits.empty()) {
    v = 0;
  } else if (exp10 >= 0) {
    if (static_cast<int64_t>(digits.size()) + exp10 > static_cast<int64_t>(kMaxTimeDigits)) return false;
    for (char c : digits) v = v * 10 + static_cast<unsigned>(c - '0');
    for (int64_t k = 0; k < exp10; ++k) v *= 10;
  } else {
    const int64_t keep = static_cast<int64_t>(digits.size()) + exp10;  // digits before the point
    if (keep > static_cast<int64_t>(kMaxTimeDigits)) return false;
    for (int64_t k = 0; k < keep; ++k) v = v * 10 + static_cast<unsigned>(digits[static_cast<size_t>(k)] - '0');
    inexact = true;  // trailing zeros are gone: a digit after the point is not zero
  }
  const uint64_t limit = static_cast<uint64_t>(INT64_MAX) + (neg ? 1 : 0);
  if (neg && inexact) ++v;  // toward negative infinity
  if (v > limit) return false;
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);  // two's complement: -2^63 included
  return true;
}

// ---------------------------------------------------------------- text

// A valid event name: identifier segments joined by single dots.
bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameBytes) return false;
  bool start = true;
  for (char c : s) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (c == '.') {
      if (start) return false;
      start = true;
    } else if (alpha || (digit && !start)) {
      start = false;
    } else {
      return false;
    }
  }
  return !start;
}


// Bytes taken by the UTF-8 sequence at p[0..n): its length when it is valid
// (*ok true), else the length of its longest valid prefix, at least 1 (the
// "maximal subpart" that Unicode replaces with one U+FFFD).
size_t utf8_next(const unsigned char* p, size_t n, bool* ok) {
  const unsigned c = p[0];
  *ok = true;
  if (c < 0x80) return 1;
  size_t need;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // beyond U+10FFFF
  } else {
    *ok = false;
    return 1;
  }
  size_t i = 1;
  for (; i <= need && i < n; ++i) {
    const unsigned b = p[i];
    if (b < lo || b > hi) break;
    lo = 0x80, hi = 0xBF;
  }
  if (i > need) return need + 1;
  *ok = false;
  return i;
}

// Where the first invalid UTF-8 sequence of s starts, or npos.
size_t utf8_invalid_at(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {  // ASCII runs 8 bytes at a time
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (!(w & 0x8080808080808080ULL)) {
        i += 8;
        continue;
      }
    }
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    bool ok;
    const size_t k = utf8_next(p + i, n - i, &ok);
    if (!ok) return i;
    i += k;
  }
  return std::string_view::npos;
}

// s itself when it is valid UTF-8, else a copy in *scratch with each invalid
// sequence replaced by U+FFFD.
std::string_view valid_utf8(std::string_view s, std::string* scratch) {
  size_t i = utf8_invalid_at(s);
  if (i == std::string_view::npos) return s;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  scratch->assign(s.substr(0, i));
  while (i < s.size()) {
    bool ok;
    const size_t k = utf8_next(p + i, s.size() - i, &ok);
    if (ok) scratch->append(s.substr(i, k));
    else scratch->append(kReplacement);
    i += k;
  }
  return *scratch;
}

// The start of a bad value, for an error message: valid UTF-8 (a sequence
// the cut splits becomes U+FFFD).
std::string clip(std::string_view s) {
  std::string scratch;
  return std::string(valid_utf8(s.substr(0, kQuoteBytes), &scratch));
}

// Appends s as a JSON string literal (JSON.stringify's escapes).
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of a `\uXXXX` escape starting at line[i] (the backslash), or -1.
int32_t escape_unit(std::string_view line, size_t i) {
  if (i + 6 > line.size() || line[i] != '\\' || line[i + 1] != 'u') return -1;
  int32_t v = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    const int h = hex_digit(line[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// Boost.JSON rejects a `\uD800`-style escape that is not half of a surrogate
// pair (JSON allows it; JavaScript producers write one for a lone surrogate).
// Copies line into *out with each such escape turned into `\uFFFD`; false
// when there was none.
bool replace_lone_surrogates(std::string_view line, std::string* out) {
  bool changed = false;
  out->clear();
  size_t i = 0, copied = 0;
  while ((i = line.find('\\', i)) != std::string_view::npos) {
    const int32_t u = escape_unit(line, i);
    if (u < 0xD800 || u > 0xDFFF) {
      i += 2;  // another escape (or none): skip the escaped character
      continue;
    }
    const int32_t next = u <= 0xDBFF ? escape_unit(line, i + 6) : -1;
    if (next >= 0xDC00 && next <= 0xDFFF) {
      i += 12;  // a proper pair
      continue;
    }
    out->append(line.substr(copied, i - copied));
    out->append("\\uFFFD");
    i += 6;
    copied = i;
    changed = true;
  }
  out->append(line.substr(copied));
  return changed;
}

// ---------------------------------------------------------------- handler

// Boost.JSON SAX handler: fills an Event from the parser's callbacks. Keys
// at depth 1 are the event's parts; under "fields", scalars become fields
// named by their dotted path, arrays are collected as JSON text, null leaves
// a field out. Anything else is skipped.
//
// Repeated names: the first pass notes (by a per-line stamp on the interned
// name) when a field name or an object's path comes twice; the caller then
// parses the line again in exact mode, which records the field range each
// key's value produced per object (a repeated key drops its earlier range)
// and at the end keeps only the last field of each name.
class EventHandler {
 public:
  static constexpr std::size_t max_object_size = 1 << 20;
  static constexpr std::size_t max_array_size = 1 << 20;
  static constexpr std::size_t max_key_size = 1 << 20;
  static constexpr std::size_t max_string_size = 1u << 30;

  // repair_utf8: strings may hold invalid UTF-8 (the parser does not check),
  // which becomes U+FFFD.
  EventHandler(Interner& names, bool repair_utf8, const JsonlOptions& options)
      : names_(names), repair_(repair_utf8), options_(options) {}

  // Before each parse of a line.
  void start(Event* ev, bool exact) {
    ev_ = ev;
    ev_->clear();
    exact_ = exact;
    depth_ = collect_ = 0;
    top_ = Top::Other;
    in_fields_ = have_ts_ = have_name_ = have_fields_ = dup_ = false;
    names_seen_ = 0;
    frames_.clear();
    ranges_.clear();
    dead_.clear();
    part_.clear();
    num_part_.clear();
    error_.clear();
    next_gen();
  }
  // After a successful parse: what is still missing (false, error()), and in
  // exact mode the last-value-wins pass.
  bool finish() {
    if (!have_ts_) return fail("missing \"ts\"");
    if (!have_name_) return fail("missing or non-string \"name\"");
    if (exact_) keep_last_values();
    return true;
  }
  // Whether the line must be parsed again in exact mode.
  bool needs_exact() const { return dup_ && !exact_; }
  const std::string& error() const { return error_; }

  using ec_t = boost::system::error_code;
  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_object_begin(ec_t& ec) {
    ++depth_;
    if (collect_) return open_text('{');
    if (depth_ <= 1) return true;
    if (in_fields_) return begin_object_field();
    if (depth_ == 2 && top_ == Top::Fields) return begin_fields();
    if (depth_ == 2 && top_ != Top::Other) return wrong(ec);
    return true;
  }
  bool on_object_end(std::size_t, ec_t&) {
    --depth_;
    if (collect_) return close_text('}');
    if (in_fields_) {
      if (depth_ == 1) {
        in_fields_ = false;
      } else {
        frames_.pop_back();
        if (exact_) ranges_.pop_back();
        value_done();
      }
    }
    return true;
  }
  bool on_array_begin(ec_t& ec) {
    ++depth_;
    if (collect_) return open_text('[');
    if (depth_ == 1) return fail("not a JSON object", ec);
    if (in_fields_) {
      collect_ = 1;
      comma_ = false;
      text_.assign("[");
      return true;
    }
    if (depth_ == 2 && top_ != Top::Other) return wrong(ec);
    return true;
  }
  bool on_array_end(std::size_t, ec_t& ec) {
    --depth_;
    if (!collect_) return true;
    close_text(']');
    if (collect_ == 0) {
      if (!add_leaf(ec)) return false;
      ev_->add_string(key_, text_);
      value_done();
    }
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, ec_t&) {
    if (depth_ == 1 || in_fields_) part_.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, ec_t&) {
    std::string_view key = joined(s);
    if (depth_ == 1) {
      top_ = classify(key);
    } else if (in_fields_) {
      if (repair_) key = valid_utf8(key, &scratch_);
      if (collect_) {
        separate();
        append_json_string(text_, key);
        text_ += ':';
        comma_ = false;
      } else {
        set_key(key);
      }
    }
    part_.clear();
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t, ec_t&) {
    if (in_fields_ || (depth_ == 1 && top_ != Top::Other)) part_.append(s.data(), s.size());
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t, ec_t& ec) {
    const std::string_view v = joined(s);
    bool ok = true;
    if (in_fields_) {
      const std::string_view text = repair_ ? valid_utf8(v, &scratch_) : v;
      if (collect_) {
        separate();
        append_json_string(text_, text);
        comma_ = true;
      } else {
        if (!add_leaf(ec)) return false;
        ev_->add_string(key_, text);
        value_done();
      }
    } else {
      ok = top_string(v, ec);
    }
    part_.clear();
    return ok;
  }
  bool on_number_part(boost::json::string_view s, ec_t&) {
    if (collect_ || (depth_ == 1 && top_ == Top::Ts)) num_part_.append(s.data(), s.size());
    split_number_ = true;
    return true;
  }
  bool on_int64(int64_t i, boost::json::string_view text, ec_t& ec) {
    split_number_ = false;
    if (depth_ == 0) return fail("not a JSON object", ec);
    if (collect_) return put_number(text);
    if (in_fields_) {
      if (!add_leaf(ec)) return false;
      ev_->add_int(key_, i);
      return value_done();
    }
    if (depth_ == 1) return top_int(i, ec);
    return true;
  }
  bool on_uint64(uint64_t u, boost::json::string_view text, ec_t& ec) {
    split_number_ = false;
    if (depth_ == 0) return fail("not a JSON object", ec);
    if (collect_) return put_number(text);
    if (in_fields_) {  // beyond int64: a float, as any JSON reader that has only doubles
      if (!add_leaf(ec)) return false;
      ev_->add_float(key_, static_cast<double>(u));
      return value_done();
    }
    if (depth_ == 1 && top_ == Top::Ts) return options_.unit_given ? top_number_ts(text, ec) : out_of_range(ec);
    if (depth_ == 1 && top_ != Top::Other) return wrong(ec);
    return true;
  }
  // The double nearest the number's text. Boost.JSON 1.81 parses some
  // numbers one ulp off (its fast path multiplies by inexact powers of ten),
  // so the whole text, when the parser gives it in one part, is read again
  // with from_chars, which rounds correctly; its out-of-range cases (1e999,
  // 1e-400) keep Boost's infinity or zero.
  double nearest_double(double d, boost::json::string_view text) {
    const bool split = std::exchange(split_number_, false);
    if (split || text.empty()) return d;
    double exact = 0;
    const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), exact);
    return err == std::errc() && end == text.data() + text.size() ? exact : d;
  }
  bool on_double(double d, boost::json::string_view text, ec_t& ec) {
    if (depth_ == 0) return fail("not a JSON object", ec);
    d = nearest_double(d, text);
    if (collect_) return put_number(text);
    if (in_fields_) {  // beyond the double range (1e999): +-inf, as JavaScript's JSON.parse
      if (!add_leaf(ec)) return false;
      ev_->add_float(key_, d);
      return value_done();
    }
    if (depth_ == 1 && top_ == Top::Ts) {
      if (options_.unit_given) return top_number_ts(text, ec);
      if (text.find_first_of(".eE") == boost::json::string_view::npos) return out_of_range(ec);  // beyond int64
      return fail(fmt::format("\"ts\" must be an integer (ns) or an RFC 3339 string: {}{} is not an integer "
                              "(for seconds, milliseconds or microseconds since the epoch: --ts-unit s|ms|us)",
                              clip(num_part_), clip(std::string_view(text.data(), text.size()))),
                  ec);
    }
    if (depth_ == 1 && top_ != Top::Other) return wrong(ec);
    return true;
  }
  bool on_bool(bool b, ec_t& ec) {
    if (depth_ == 0) return fail("not a JSON object", ec);
    if (collect_) return put_word(b ? "true" : "false");
    if (in_fields_) {
      if (!add_leaf(ec)) return false;
      ev_->add_bool(key_, b);
      return value_done();
    }
    if (depth_ == 1 && top_ != Top::Other) return wrong(ec);
    return true;
  }
  bool on_null(ec_t& ec) {
    if (depth_ == 0) return fail("not a JSON object", ec);
    if (collect_) return put_word("null");
    if (in_fields_) {  // an absent field; it still replaces an earlier value of its name
      if (!exact_ && stamp(key_)) dup_ = true;
      return value_done();
    }
    if (depth_ != 1) return true;
    switch (top_) {
      case Top::Ts:
      case Top::Name: return wrong(ec);
      case Top::Id: ev_->has_id = false, ev_->id = 0; return true;
      case Top::Severity: ev_->severity = Severity::Info; return true;
      case Top::Fields: clear_fields(); return true;
      case Top::Other: return true;
    }
    return true;
  }
  bool on_comment_part(boost::json::string_view, ec_t&) { return true; }
  bool on_comment(boost::json::string_view, ec_t&) { return true; }

 private:
  enum class Top { Ts, Name, Id, Severity, Fields, Other };

  // Exact mode, per open object under "fields": the current key, where its
  // value's fields start, and the field range of the last value of each key.
  struct KeyRanges {
    std::string key;
    uint32_t begin = 0;
    std::unordered_map<std::string, std::pair<uint32_t, uint32_t>> seen;
  };

  static Top classify(std::string_view k) {
    if (k == "ts") return Top::Ts;
    if (k == "name") return Top::Name;
    if (k == "id") return Top::Id;
    if (k == "severity") return Top::Severity;
    if (k == "fields") return Top::Fields;
    return Top::Other;
  }

  bool fail(std::string msg) {
    error_ = std::move(msg);
    return false;
  }
  bool fail(std::string msg, ec_t& ec) {
    ec = boost::json::error::syntax;
    return fail(std::move(msg));
  }
  // The value of a known top-level key has the wrong JSON type.
  bool wrong(ec_t& ec) {
    switch (top_) {
      case Top::Ts: return fail("\"ts\" must be an integer (ns) or an RFC 3339 string", ec);
      case Top::Name: return fail("missing or non-string \"name\"", ec);
      case Top::Id: return fail("\"id\" must be an integer", ec);
      case Top::Severity:  // the names of severities.def
        return fail("\"severity\" must be one of " +
                        names_text(enum_names_where<Severity>([](Severity) { return true; }), ", "),
                    ec);
      case Top::Fields: return fail("\"fields\" must be an object", ec);
      case Top::Other: break;
    }
    return true;
  }

  // A key or string: its parts so far and its last piece.
  std::string_view joined(boost::json::string_view last) {
    if (part_.empty()) return {last.data(), last.size()};
    part_.append(last.data(), last.size());
    return part_;
  }

  void next_gen() {
    if (++gen_ == 0) {  // wrapped: old stamps could look current
      std::fill(stamp_.begin(), stamp_.end(), 0);
      gen_ = 1;
    }
  }
  // Stamps interned name `id` for this line; whether it already was.
  bool stamp(uint32_t id) {
    if (id >= stamp_.size()) stamp_.resize(id + 1 + id / 2, 0);
    const bool seen = stamp_[id] == gen_;
    stamp_[id] = gen_;
    return seen;
  }

  // A repeated "fields" (or "fields": null) replaces the earlier one.
  void clear_fields() {
    const bool has_id = ev_->has_id;
    const int64_t id = ev_->id;
    const Severity severity = ev_->severity;
    ev_->clear();
    ev_->has_id = has_id, ev_->id = id, ev_->severity = severity;
    dead_.clear();
    names_seen_ = 0;
    next_gen();
  }
  bool begin_fields() {
    if (have_fields_) clear_fields();
    have_fields_ = in_fields_ = true;
    frames_.assign(1, 0);
    ranges_.clear();
    if (exact_) ranges_.emplace_back();
    path_.clear();
    return true;
  }
  // An object value under "fields": its members are named NAME.member.
  bool begin_object_field() {
    if (!exact_ && stamp(key_)) dup_ = true;
    if (frames_.size() == 1) path_.assign(names_.name(key_));  // set_key left path_ alone
    frames_.push_back(static_cast<uint32_t>(path_.size()));
    if (exact_) ranges_.emplace_back();
    return true;
  }
  // A key of the innermost open object under "fields": key_ becomes its
  // dotted name (path_ holds it for nested keys).
  void set_key(std::string_view key) {
    if (frames_.size() == 1) {  // most keys: no path to build
      key_ = names_.intern(key);
    } else {
      path_.resize(frames_.back());
      path_ += '.';
      path_.append(key);
      key_ = names_.intern(path_);
    }
    if (!exact_) return;
    KeyRanges& f = ranges_.back();
    auto it = f.seen.find(std::string(key));
    if (it != f.seen.end()) {  // a repeated key: its earlier value goes
      if (dead_.size() < it->second.second) dead_.resize(it->second.second, 0);
      std::fill(dead_.begin() + it->second.first, dead_.begin() + it->second.second, 1);
    }
    f.key.assign(key);
    f.begin = static_cast<uint32_t>(ev_->fields().size());
  }
  // Before adding the leaf field key_: notes a repeated name, enforces the
  // field cap (on distinct names; the exact pass has the same ones).
  bool add_leaf(ec_t& ec) {
    if (exact_) return true;
    if (stamp(key_)) dup_ = true;
    else if (++names_seen_ > kMaxFields) return fail(fmt::format("more than {} fields", kMaxFields), ec);
    return true;
  }
  // The value of the innermost object's current key is complete.
  bool value_done() {
    if (exact_) {
      KeyRanges& f = ranges_.back();
      f.seen.insert_or_assign(f.key, std::make_pair(f.begin, static_cast<uint32_t>(ev_->fields().size())));
    }
    return true;
  }
  // Exact mode, at the end: drop the fields of replaced keys, then every
  // field but the last of its name.
  void keep_last_values() {
    const std::vector<Field>& fields = ev_->fields();
    dead_.resize(fields.size(), 0);
    next_gen();
    for (size_t i = fields.size(); i-- > 0;)
      if (!dead_[i] && stamp(fields[i].key)) dead_[i] = 1;
    Event kept;
    kept.ts = ev_->ts, kept.name = ev_->name, kept.has_id = ev_->has_id, kept.id = ev_->id;
    kept.severity = ev_->severity;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (dead_[i]) continue;
      const Field& f = fields[i];
      const Value v = ev_->value(f);
      switch (f.type) {
        case Type::Int: kept.add_int(f.key, v.i); break;
        case Type::Float: kept.add_float(f.key, v.f); break;
        case Type::Bool: kept.add_bool(f.key, v.b); break;
        default: kept.add_string(f.key, v.str()); break;
      }
    }
    *ev_ = std::move(kept);
  }

  // Collecting an array field's JSON text.
  void separate() {
    if (comma_) text_ += ',';
  }
  bool open_text(char c) {
    separate();
    text_ += c;
    comma_ = false;
    ++collect_;
    return true;
  }
  bool close_text(char c) {
    text_ += c;
    comma_ = true;
    --collect_;
    return true;
  }
  bool put_word(std::string_view w) {
    separate();
    text_.append(w);
    comma_ = true;
    return true;
  }
  bool put_number(boost::json::string_view text) {  // as written: big and precise numbers survive
    separate();
    text_ += num_part_;
    text_.append(text.data(), text.size());
    num_part_.clear();
    comma_ = true;
    return true;
  }

  bool out_of_range(ec_t& ec) {
    num_part_.clear();
    return fail("\"ts\" out of range", ec);
  }
  // A numeric "ts" in options_.ts_unit, any JSON number (unit_given).
  bool top_number_ts(boost::json::string_view text, ec_t& ec) {
    num_part_.append(text.data(), text.size());
    const bool ok = decimal_to_int(num_part_, kTimeUnits[static_cast<int>(options_.ts_unit)].exp10, &ev_->ts);
    num_part_.clear();
    if (!ok) return fail("\"ts\" out of range", ec);
    have_ts_ = true;
    return true;
  }
  bool top_int(int64_t i, ec_t& ec) {
    switch (top_) {
      case Top::Ts: {
        num_part_.clear();
        const int64_t per = kTimeUnits[static_cast<int>(options_.ts_unit)].ns;
        if (per != 1 && __builtin_mul_overflow(i, per, &ev_->ts)) return fail("\"ts\" out of range", ec);
        if (per == 1) ev_->ts = i;
        have_ts_ = true;
        return true;
      }
      case Top::Id: ev_->has_id = true; ev_->id = i; return true;
      case Top::Other: return true;
      default: return wrong(ec);
    }
  }
  bool top_string(std::string_view v, ec_t& ec) {
    if (depth_ == 0) return fail("not a JSON object", ec);
    if (depth_ != 1) return true;
    switch (top_) {
      case Top::Ts: {
        const TimeError e = rfc3339(v, &ev_->ts);
        if (e == TimeError::Range) return fail(fmt::format("\"ts\" out of range: \"{}\"", clip(v)), ec);
        if (e != TimeError::None) return fail(fmt::format("\"ts\" is not an RFC 3339 time: \"{}\"", clip(v)), ec);
        have_ts_ = true;
        return true;
      }
      case Top::Name:
        if (!valid_name(v)) return fail(fmt::format("invalid event name \"{}\"", clip(v)), ec);
        ev_->name = names_.intern(v);
        have_name_ = true;
        return true;
      case Top::Severity:
        if (!parse_severity(v, ev_->severity)) return wrong(ec);
        return true;
      case Top::Other: return true;
      default: return wrong(ec);
    }
  }

  Interner& names_;
  const bool repair_;
  const JsonlOptions options_;
  Event* ev_ = nullptr;
  bool exact_ = false;
  bool split_number_ = false;  // the number being read came in several parts (on_number_part)
  int depth_ = 0;    // nesting of the current value: 1 inside the top-level object
  int collect_ = 0;  // > 0 inside an array field: open brackets and braces of its text
  Top top_ = Top::Other;
  bool in_fields_ = false, have_ts_ = false, have_name_ = false, have_fields_ = false;
  bool dup_ = false;    // a name came twice (first pass)
  bool comma_ = false;  // collecting: the next item needs a comma
  uint32_t key_ = 0;    // interned dotted name of the current key under "fields"
  size_t names_seen_ = 0;  // distinct field names so far (first pass)
  std::vector<uint32_t> frames_;     // per open object under "fields": its dotted name's length in path_
  std::vector<KeyRanges> ranges_;   // exact mode: one per frame
  std::vector<char> dead_;         // exact mode: fields dropped by a later value
  std::vector<uint32_t> stamp_;    // per interned name: the gen_ it last appeared in
  uint32_t gen_ = 0;
  std::string path_, text_, part_, num_part_, scratch_, error_;
};

}  // namespace

bool parse_rfc3339(std::string_view s, int64_t* ns) { return rfc3339(s, ns) == TimeError::None; }

bool parse_time_unit(std::string_view text, TimeUnit* unit) {
  for (size_t i = 0; i < std::size(kTimeUnits); ++i)
    if (text == kTimeUnits[i].name) {
      *unit = static_cast<TimeUnit>(i);
      return true;
    }
  return false;
}
const char* time_unit_name(TimeUnit unit) { return kTimeUnits[static_cast<int>(unit)].name; }
int64_t time_unit_ns(TimeUnit unit) { return kTimeUnits[static_cast<int>(unit)].ns; }

// Two parsers: a strict one (Boost.JSON checks UTF-8, fast) for every line,
// and a lenient one, made on first need, for the lines the strict one
// rejects: it accepts invalid UTF-8, which its handler replaces, and is fed
// the line with lone surrogate escapes replaced.
struct JsonlParser::Impl {
  using Parser = boost::json::basic_parser<EventHandler>;

  static boost::json::parse_options options(bool lenient) {
    boost::json::parse_options o;
    o.max_depth = kMaxNesting;
    o.allow_invalid_utf8 = lenient;
    return o;
  }
  Impl(Interner& n, const JsonlOptions& o) : names(n), jsonl(o), strict(options(false), n, false, o) {}

  // One parse of `line` into ev; false with *error on failure.
  static bool run(Parser& p, std::string_view line, Event& ev, bool exact, std::string* error) {
    p.reset();
    p.handler().start(&ev, exact);
    boost::system::error_code ec;
    const size_t used = p.write_some(false, line.data(), line.size(), ec);
    if (!ec && !p.done()) ec = boost::json::error::incomplete;
    if (!ec && line.find_first_not_of(" \t\r", used) != std::string_view::npos) ec = boost::json::error::extra_data;
    if (ec) {
      if (!p.handler().error().empty()) *error = p.handler().error();
      else if (ec == boost::json::error::too_deep) *error = fmt::format("invalid JSON: nested deeper than {} levels", kMaxNesting);
      else *error = fmt::format("invalid JSON: {}", ec.message());
      return false;
    }
    if (!p.handler().finish()) {
      *error = p.handler().error();
      return false;
    }
    return true;
  }
  // run(), then again in exact mode when the line repeats a field name.
  static bool run_line(Parser& p, std::string_view line, Event& ev, std::string* error) {
    bool ok = run(p, line, ev, false, error);
    if (ok && p.handler().needs_exact()) ok = run(p, line, ev, true, error);
    return ok;
  }

  Interner& names;
  const JsonlOptions jsonl;
  Parser strict;
  std::unique_ptr<Parser> lenient;
  std::string fixed;  // the line with lone surrogate escapes replaced
};

JsonlParser::JsonlParser(Interner& names, const JsonlOptions& options)
    : impl_(std::make_unique<Impl>(names, options)) {}
JsonlParser::~JsonlParser() = default;

bool JsonlParser::parse(std::string_view line, Event& ev, std::string* error) {
  if (line.size() > kMaxLineBytes) {
    *error = fmt::format("line longer than {} MiB", kMaxLineBytes >> 20);
    return false;
  }
  try {
    if (Impl::run_line(impl_->strict, line, ev, error)) return true;
    if (!impl_->strict.handler().error().empty()) return false;  // valid JSON, not a valid event
    if (!impl_->lenient) impl_->lenient = std::make_unique<Impl::Parser>(Impl::options(true), impl_->names, true, impl_->jsonl);
    if (replace_lone_surrogates(line, &impl_->fixed)) line = impl_->fixed;
    return Impl::run_line(*impl_->lenient, line, ev, error);
  } catch (const std::exception&) {  // out of memory: this line is lost, the run goes on
    *error = "out of memory reading the line";
    return false;
  }
}

}  // namespace dta
