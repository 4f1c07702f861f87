// Regexes of `matches` (spec 4.2): ECMAScript patterns, compiled once when a
// program is finalized and searched with a bounded number of steps.
#pragma once
#include <boost/regex.hpp>
#include <cstddef>
#include <string>
#include <string_view>

#include "dta/expected.hpp"
#include "dta/value.hpp"

namespace dta {

// Steps (states of Boost.Regex's backtracking machine) one search may visit
// before it is abandoned with Status::RegexBudget: kRegexBaseSteps plus
// kRegexStepsPerByte for each byte of the text. A pattern that does not
// backtrack takes one to a few steps per byte (one per alternative tried), so
// sane patterns fit at any field size; a catastrophic one (`(a+)+$` on
// 10,000 `a`s and a `!`) stops after 180,000 steps, a few ms, instead of
// running for a second or more. Work stays linear in the field's size.
inline constexpr std::ptrdiff_t kRegexBaseSteps = 100000;
inline constexpr std::ptrdiff_t kRegexStepsPerByte = 8;

// Traits of our regexes. A type of our own, so that the step budget (an
// explicit specialization in regex.cpp) applies to our searches only.
struct RegexTraits : boost::regex_traits<char> {};

struct CompiledRegex {
  boost::basic_regex<char, RegexTraits> re;
};

// Compiles an ECMAScript pattern into *out; success, or why it is invalid.
Outcome compile_regex(std::string_view source, CompiledRegex* out);

// Whether `re` matches anywhere in `s`, in *found. Status::RegexBudget when
// the search ran out of steps (or memory) first; never throws.
Status regex_search(const CompiledRegex& re, std::string_view s, bool* found);

}  // namespace dta
