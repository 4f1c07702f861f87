// The replay report as JSON (spec section 11), pretty-printed with keys in the
// spec's order.
#pragma once
#include <string>

#include "dta/report.hpp"

namespace dta {

// The JSON text of a report, ending with a newline.
std::string report_to_json(const Report& report);

}  // namespace dta
