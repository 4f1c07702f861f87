// ECMAScript patterns on Boost.Regex: the few rewrites that make Boost mean
// what ECMAScript means, compile flags, and the per-search step budget.
#include "vm/regex.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

#include "dta/regex_syntax.hpp"

// The step budget. Boost.Regex abandons a search (by throwing) once it has
// visited `max_state_count` states, a number it derives from the text length
// and the pattern size (up to 10^8 on a 10 KB field: about a second). This
// explicit specialization of its estimate, for our traits type only, makes
// the bound ours: kRegexBaseSteps + kRegexStepsPerByte per byte.
namespace boost::BOOST_REGEX_DETAIL_NS {
template <>
void perl_matcher<const char*, std::allocator<sub_match<const char*>>, dta::RegexTraits>::estimate_max_state_count(
    std::random_access_iterator_tag*) {
  constexpr std::ptrdiff_t kMaxBytes = (PTRDIFF_MAX - dta::kRegexBaseSteps) / dta::kRegexStepsPerByte;
  const std::ptrdiff_t bytes = std::min(last - base, kMaxBytes);
  max_state_count = dta::kRegexBaseSteps + dta::kRegexStepsPerByte * bytes;
}
}  // namespace boost::BOOST_REGEX_DETAIL_NS

namespace dta {
namespace {

// ECMAScript without flags: `^`/`$` only at the ends of the whole text (no_mod_m),
// `.` never matches a line terminator (no_mod_s; Boost's are \n, \r and \f).
constexpr auto kSyntax =
    boost::regex_constants::ECMAScript | boost::regex_constants::no_mod_m | boost::regex_constants::no_mod_s;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The 4 hex digits at s[pos..], or -1.
int32_t hex4(std::string_view s, size_t pos) {
  if (pos + 4 > s.size()) return -1;
  int32_t v = 0;
  for (size_t i = pos; i < pos + 4; ++i) {
    const int h = hex_value(s[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// Appends the UTF-8 bytes of code point cp as \xHH escapes; returns how many.
int append_utf8_escapes(std::string& out, uint32_t cp) {
  unsigned char b[4];
  int n;
  if (cp < 0x80) {
    b[0] = static_cast<unsigned char>(cp), n = 1;
  } else if (cp < 0x800) {
    b[0] = static_cast<unsigned char>(0xC0 | (cp >> 6)), b[1] = static_cast<unsigned char>(0x80 | (cp & 0x3F)), n = 2;
  } else if (cp < 0x10000) {
    b[0] = static_cast<unsigned char>(0xE0 | (cp >> 12)), b[1] = static_cast<unsigned char>(0x80 | ((cp >> 6) & 0x3F));
    b[2] = static_cast<unsigned char>(0x80 | (cp & 0x3F)), n = 3;
  } else {
    b[0] = static_cast<unsigned char>(0xF0 | (cp >> 18)), b[1] = static_cast<unsigned char>(0x80 | ((cp >> 12) & 0x3F));
    b[2] = static_cast<unsigned char>(0x80 | ((cp >> 6) & 0x3F)), b[3] = static_cast<unsigned char>(0x80 | (cp & 0x3F));
    n = 4;
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int i = 0; i < n; ++i) {
    out += "\\x";
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return n;
}

// Rewrites an ECMAScript pattern for Boost.Regex:
// - `[]` (matches nothing) and `[^]` (any character, newlines included), which
//   Boost reads as the start of a class holding `]`;
// - `\uXXXX` (Boost reads `\u` as "upper case"): the character's UTF-8 bytes;
//   a surrogate pair is one character, a lone surrogate is U+FFFD (what the
//   reader makes of one);
// - a leading `.*` or `.*?`, which cannot change whether a search finds a
//   match but makes a failing search quadratic.
// Escapes, classes and `\Q...\E` are skipped over as units.
bool translate(std::string_view src, std::string* out, std::string* error) {
  const size_t n = src.size();
  size_t i = 0;
  if (src.substr(0, 2) == ".*") {
    size_t j = 2;
    if (j < n && src[j] == '?') ++j;
    if (j < n && !std::strchr("*+?{|)", src[j])) i = j;
  }
  bool in_class = false;
  while (i < n) {
    const char c = src[i];
    if (c == '\\' && i + 1 < n) {
      const char e = src[i + 1];
      if (e == 'Q') {  // Boost's quoting: everything up to \E is literal
        const size_t end = src.find("\\E", i + 2);
        const size_t stop = end == std::string_view::npos ? n : end + 2;
        out->append(src.substr(i, stop - i));
        i = stop;
        continue;
      }
      int32_t cp = e == 'u' ? hex4(src, i + 2) : -1;
      if (e == 'u' && cp < 0) {  // ECMAScript (Annex B): `\u` without 4 hex digits is a plain `u`
        *out += 'u';
        i += 2;
        continue;
      }
      if (cp < 0) {
        out->append(src.substr(i, 2));
        i += 2;
        continue;
      }
      size_t used = 6;
      if (cp >= 0xD800 && cp <= 0xDBFF && src.substr(i + 6, 2) == "\\u") {
        const int32_t lo = hex4(src, i + 8);
        if (lo >= 0xDC00 && lo <= 0xDFFF) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00), used = 12;
      }
      if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
      if (in_class && cp >= 0x80) {
        *error = "a \\u escape above \\u007F inside [...] is not supported (classes match single bytes)";
        return false;
      }
      std::string bytes;
      const int nbytes = append_utf8_escapes(bytes, static_cast<uint32_t>(cp));
      *out += nbytes > 1 ? "(?:" + bytes + ")" : bytes;
      i += used;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      *out += c;
      ++i;
      continue;
    }
    if (c == '[') {
      if (src.substr(i, 2) == "[]") {
        *out += "[^\\s\\S]";
        i += 2;
        continue;
      }
      if (src.substr(i, 3) == "[^]") {
        *out += "[\\s\\S]";
        i += 3;
        continue;
      }
      in_class = true;
      *out += '[';
      ++i;
      if (i < n && src[i] == '^') *out += src[i++];
      continue;
    }
    *out += c;
    ++i;
  }
  return true;
}

}  // namespace

Outcome compile_regex(std::string_view source, CompiledRegex* out) {
  std::string pattern, error;
  if (!translate(source, &pattern, &error)) return fail(std::move(error));
  try {
    out->re.assign(pattern, kSyntax);
  } catch (const std::exception& e) {
    return fail(e.what());
  } catch (...) {
    return fail("the regex library failed");
  }
  return Outcome::success();
}

Status regex_search(const CompiledRegex& re, std::string_view s, bool* found) {
  try {
    *found = boost::regex_search(s.data(), s.data() + s.size(), re.re);
    return Status::Ok;
  } catch (...) {  // over the step budget (error_complexity), or out of memory
    return Status::RegexBudget;
  }
}

Outcome check_regex(std::string_view source) {
  CompiledRegex re;
  return compile_regex(source, &re);
}

}  // namespace dta
