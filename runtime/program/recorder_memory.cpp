// What a profile's `recorder_memory` budget allows (program.hpp): the
// recorders' worst-case memory against it, with a message that names them.
#include <fmt/format.h>

#include "dta/program.hpp"

namespace dta {

std::string format_bytes(uint64_t n) {
  constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(kUnits)) v /= 1024, ++u;
  if (u == 0) return fmt::format("{} B", n);
  return fmt::format("{:.4g} {}", v, kUnits[u]);
}

std::string recorder_memory_problem(const std::vector<Recorder>& recorders, int64_t budget) {
  if (budget < 0 || recorders.empty()) return "";
  uint64_t total = 0;
  std::vector<std::string> parts;
  for (const Recorder& r : recorders) {
    const uint64_t bytes = recorder_memory_bytes(r);
    total += bytes;
    parts.push_back(
        r.key.empty() ? fmt::format("'{}' {} x {} B = {}", r.name, r.capacity, kRecorderSlotBytes, format_bytes(bytes))
                      : fmt::format("'{}' {} x {} B x {} keys = {}", r.name, r.capacity, kRecorderSlotBytes,
                                    kRecorderMaxKeys, format_bytes(bytes)));
  }
  if (total <= static_cast<uint64_t>(budget)) return "";
  return fmt::format("the recorders need {} bytes ({}: {}), over recorder_memory {} bytes ({})", total,
                     format_bytes(total), fmt::join(parts, ", "), budget, format_bytes(static_cast<uint64_t>(budget)));
}

}  // namespace dta
