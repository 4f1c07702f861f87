// The seeded defects' names and descriptions.
#include "defects.hpp"

namespace shop {

namespace {

constexpr DefectInfo kDefects[] = {
    {"leak", "a database connection is not closed (every 10th order)"},
    {"retry_storm", "a failed query is retried at once, up to 20 times"},
    {"no_finish", "an order never reports that it finished (every 20th)"},
    {"slow_path", "a slow query path: every 5th order's queries take 60-90 ms"},
    {"swallow", "a failed query is swallowed: the order reports ok"},
    {"wrong_status", "a failed order answers status 200"},
    {"lock_long", "the inventory lock is held 30 ms (every 10th order)"},
    {"queue_wait", "workers dawdle 60 ms before taking an order: items wait in the queue"},
    {"double_close", "a connection is closed twice (every 10th order)"},
    {"card_in_reason", "the card number (sensitive) is written into order.done's reason"},
};
static_assert(std::size(kDefects) == static_cast<size_t>(Defect::Count), "one row per defect");

}  // namespace

const DefectInfo& defect_info(Defect d) { return kDefects[static_cast<size_t>(d)]; }

std::optional<Defect> parse_defect(std::string_view name) {
  for (size_t i = 0; i < std::size(kDefects); ++i)
    if (name == kDefects[i].name) return static_cast<Defect>(i);
  return std::nullopt;
}

std::string defect_names() {
  std::string out;
  for (const DefectInfo& d : kDefects) out += (out.empty() ? "" : ", ") + std::string(d.name);
  return out;
}

}  // namespace shop
