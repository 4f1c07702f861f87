// Value rendering (the names of types, levels and severities come from
// their .def lists, value.hpp), and durations for people.
#include "dta/value.hpp"

#include <fmt/format.h>

namespace dta {

void append_value(std::string& out, const Value& v) {
  switch (v.type) {
    case Type::Int: fmt::format_to(std::back_inserter(out), "{}", v.i); break;
    case Type::Float: fmt::format_to(std::back_inserter(out), "{}", v.f); break;
    case Type::Bool: out += v.b ? "true" : "false"; break;
    case Type::String: out.append(v.s.p, v.s.n); break;
    case Type::List:
      out += '[';
      for (uint32_t i = 0; i < v.list.size; ++i) {
        if (i) out += ", ";
        append_value(out, v.list.items[i]);
      }
      out += ']';
      break;
    case Type::Unknown: out += "<unknown>"; break;
  }
}

namespace {

constexpr uint64_t kNsPerUs = 1000, kNsPerMs = 1000000, kNsPerS = 1000000000;
constexpr uint64_t kNsPerMin = 60 * kNsPerS, kNsPerHour = 60 * kNsPerMin, kNsPerDay = 24 * kNsPerHour;

// `units` (ns) as an integer part and up to 3 decimals, trailing zeros dropped: 1500 / 1000 -> "1.5".
std::string decimal(uint64_t n, uint64_t unit) {
  const uint64_t whole = n / unit, thousandths = n % unit / (unit / 1000);
  if (thousandths == 0) return fmt::format("{}", whole);
  std::string frac = fmt::format("{:03}", thousandths);
  while (frac.back() == '0') frac.pop_back();
  return fmt::format("{}.{}", whole, frac);
}

}  // namespace

std::string format_duration(int64_t ns) {
  if (ns == 0) return "0s";
  // The magnitude as unsigned: INT64_MIN has no positive int64.
  const uint64_t u = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  const std::string sign = ns < 0 ? "-" : "";
  if (u < kNsPerUs) return fmt::format("{}{}ns", sign, u);
  if (u < kNsPerMs) return sign + decimal(u, kNsPerUs) + "us";
  if (u < kNsPerS) return sign + decimal(u, kNsPerMs) + "ms";
  std::string out = sign;
  uint64_t rest = u;
  for (auto [unit, name] : {std::pair{kNsPerDay, "d"}, std::pair{kNsPerHour, "h"}, std::pair{kNsPerMin, "m"}}) {
    if (rest >= unit) out += fmt::format("{}{}", rest / unit, name);
    rest %= unit;
  }
  if (rest >= kNsPerMs) out += decimal(rest, kNsPerS) + "s";
  return out;
}

}  // namespace dta
