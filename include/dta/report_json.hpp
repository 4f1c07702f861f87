// The replay report as JSON (spec section 11), pretty-printed with keys in the
// spec's order, and its findings and alerts as JSON Lines.
#pragma once
#include <string>

#include "dta/report.hpp"

namespace dta {

// The JSON text of a report, ending with a newline.
std::string report_to_json(const Report& report);

// One finding as one line of JSON Lines (a compact object ending with a
// newline): rule, level, message, ts, event, and key and fields when it has
// them; the same object as the report's finding_details entries.
std::string finding_json_line(const Finding& finding);
// One alert as one line of JSON Lines: the same object as the report's alerts entries.
std::string alert_json_line(const Alert& alert);

}  // namespace dta
