// The engine's own collector (`collect process`): what /proc/self says of
// the process, as a small JSON object.
#pragma once
#include <cstdint>
#include <string>

namespace dta {

// {"ts":..,"pid":..,"rss_bytes":..,"cpu_user_ns":..,"cpu_system_ns":..,
//  "threads":..,"open_files":..} plus a newline; a value that cannot be read
// is left out. `ts` is the trigger's event time.
std::string process_info_json(int64_t ts);

}  // namespace dta
