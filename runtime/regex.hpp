// A regex compiled once when a program is finalized (ECMAScript syntax).
#pragma once
#include <boost/regex.hpp>

namespace dta {

struct CompiledRegex {
  boost::regex re;
};

}  // namespace dta
