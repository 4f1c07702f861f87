// `dta check` (with --cost, each rule's static worst-case cost) and `dta compile`.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "cli_common.hpp"
#include "dta/cost.hpp"
#include "dta/dtb.hpp"
#include "help.hpp"

namespace dta::cli {

namespace {

// `s` as a JSON string (policy, rule and profile names are identifiers, but
// a file's stem may hold anything).
std::string json_str(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", c);
    else out += c;
  }
  return out + "\"";
}

std::string parts_text(const UnitCost& u) {
  std::string out;
  for (const CostPart& p : u.parts) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {}", p.name, p.cost.instructions);
  }
  return out;
}

// The units whose cost profile `p` changes: (index, cost under p).
std::vector<std::pair<size_t, UnitCost>> profile_changes(const Program& prog, int p, const std::vector<UnitCost>& base) {
  std::vector<std::pair<size_t, UnitCost>> out;
  std::vector<UnitCost> costs = program_cost(prog, p);
  for (size_t i = 0; i < costs.size(); ++i)
    if (costs[i].off != base[i].off || !(costs[i].total == base[i].total)) out.emplace_back(i, std::move(costs[i]));
  return out;
}

// The profiles to show: `only` ("" for all), by index.
std::vector<int> shown_profiles(const Program& prog, const std::string& only) {
  std::vector<int> out;
  for (size_t i = 0; i < prog.profiles.size(); ++i)
    if (only.empty() || prog.profiles[i].name == only) out.push_back(static_cast<int>(i));
  return out;
}

// The fixed costs the figures use (cost.hpp), in words.
std::string fixed_costs_text() {
  return fmt::format(
      "Fixed costs: builtin call {}, action {}, window update {}, state update {}, filter {}; a regex search {} "
      "plus its step budget (at most {} + {} per byte of the text, counted under REGEX).",
      kCostCall, kCostAction, kCostWindowUpdate, kCostStateUpdate, kCostFilter, kCostMatch, regex_step_budget().base_steps,
      regex_step_budget().steps_per_byte);
}

void print_cost_table(const std::string& path, const Program& prog, const std::string& only) {
  const std::vector<UnitCost> base = program_cost(prog, -1);
  std::printf("%s: worst-case cost of one event, in VM instructions (the policy as written)\n", path.c_str());
  size_t width = 4;
  for (const UnitCost& u : base) width = std::max(width, u.name.size());
  if (base.empty()) std::printf("  (no rules, machines or filters: nothing runs for an event)\n");
  else std::printf("  %-8s %-*s %8s %6s  %s\n", "KIND", static_cast<int>(width), "NAME", "INSTR", "REGEX", "PARTS");
  for (const UnitCost& u : base)
    std::printf("  %-8s %-*s %8llu %6u  %s\n", u.kind.c_str(), static_cast<int>(width), u.name.c_str(),
                static_cast<unsigned long long>(u.total.instructions), u.total.regex_searches, parts_text(u).c_str());
  for (int p : shown_profiles(prog, only)) {
    const auto changes = profile_changes(prog, p, base);
    if (changes.empty()) {
      std::printf("profile '%s': the same\n", prog.profiles[p].name.c_str());
      continue;
    }
    std::printf("profile '%s':\n", prog.profiles[p].name.c_str());
    for (const auto& [i, u] : changes)
      std::printf("  %-8s %-*s %8llu  %s\n", u.kind.c_str(), static_cast<int>(width), u.name.c_str(),
                  static_cast<unsigned long long>(u.total.instructions), u.off ? "(off)" : "");
  }
  std::printf("%s\n", fixed_costs_text().c_str());
}

void print_cost_json(const std::string& path, const Program& prog, const std::string& only) {
  const std::vector<UnitCost> base = program_cost(prog, -1);
  std::vector<std::vector<std::pair<size_t, UnitCost>>> changes;
  const std::vector<int> profiles = shown_profiles(prog, only);
  for (int p : profiles) changes.push_back(profile_changes(prog, p, base));
  std::string out = fmt::format("{{\"file\": {}, \"policy\": {}, \"units\": [", json_str(path), json_str(prog.policy));
  for (size_t i = 0; i < base.size(); ++i) {
    const UnitCost& u = base[i];
    out += fmt::format("{}{{\"kind\": {}, \"name\": {}, \"instructions\": {}, \"regex_searches\": {}, \"parts\": {{",
                       i ? ", " : "", json_str(u.kind), json_str(u.name), u.total.instructions, u.total.regex_searches);
    for (size_t k = 0; k < u.parts.size(); ++k)
      out += fmt::format("{}{}: {}", k ? ", " : "", json_str(u.parts[k].name), u.parts[k].cost.instructions);
    out += "}, \"profiles\": {";
    bool first = true;
    for (size_t p = 0; p < profiles.size(); ++p)
      for (const auto& [idx, c] : changes[p])
        if (idx == i) {
          out += fmt::format("{}{}: {}", first ? "" : ", ", json_str(prog.profiles[profiles[p]].name),
                             c.total.instructions);
          first = false;
        }
    out += "}}";
  }
  out += fmt::format("], \"fixed\": {{\"call\": {}, \"regex_search\": {}, \"regex_base_steps\": {}, "
                     "\"regex_steps_per_byte\": {}, \"action\": {}, \"window_update\": {}, \"state_update\": {}, "
                     "\"filter\": {}}}}}\n",
                     kCostCall, kCostMatch, regex_step_budget().base_steps, regex_step_budget().steps_per_byte, kCostAction, kCostWindowUpdate,
                     kCostStateUpdate, kCostFilter);
  std::fputs(out.c_str(), stdout);
}

}  // namespace

// Spec 9: a profile's `inject` acts only in a host that allows fault
// injection; say so, once per profile that injects (not a compiler warning:
// --Werror does not refuse a policy for it).
static void warn_injects(const std::string& path, const Program& prog) {
  for (const Profile& p : prog.profiles) {
    if (p.injects.empty()) continue;
    std::vector<std::string> points;
    for (const Inject& in : p.injects) points.push_back(in.point);
    std::fprintf(stderr,
                 "%s: note: profile '%s' injects faults at %s: only a host that allows fault injection acts on "
                 "them; 'dta replay' reports them with injected 0\n",
                 path.c_str(), p.name.c_str(), fmt::format("{}", fmt::join(points, ", ")).c_str());
  }
}

int cmd_check(int argc, char** argv) {
  const CommandDoc& doc = *find_command("check");
  const Expected<Args> parsed = parse_command_args(argc, argv, doc);
  if (!parsed) return usage_error(doc, parsed.error());
  const Args& args = *parsed;
  if (args.positional.empty()) return usage_error(doc, "expected a policy");
  if (args.has("json") && !args.has("cost")) return usage_error(doc, "--json goes with --cost");
  if (args.has("list-profiles")) {
    if (args.positional.size() != 1) return usage_error(doc, "--list-profiles takes one policy");
    auto prog = load(args.positional[0], args.has("Werror"));
    if (!prog) return kExitInvalid;
    for (const Profile& p : prog->profiles) std::printf("%s\n", p.name.c_str());
    return kExitPass;
  }
  int status = kExitPass;
  for (const std::string& path : args.positional) {
    size_t tests = 0;
    auto prog = load(path, args.has("Werror"), &tests);
    if (!prog) {
      status = kExitInvalid;
      continue;
    }
    if (args.has("profile") && prog->find_profile(args.get("profile")) < 0) {
      std::fprintf(stderr, "%s: error: unknown profile '%s'\n", path.c_str(), args.get("profile").c_str());
      status = kExitInvalid;
      continue;
    }
    if (args.has("cost") && args.has("json")) {
      print_cost_json(path, *prog, args.get("profile"));
      continue;
    }
    std::printf("%s: ok (%zu rules, %zu machines, %zu filters, %zu profiles%s)\n", path.c_str(), prog->rules.size(),
                prog->machines.size(), prog->filters.size(), prog->profiles.size(),
                tests ? fmt::format(", {} test{}", tests, tests == 1 ? "" : "s").c_str() : "");
    warn_injects(path, *prog);
    if (args.has("cost")) print_cost_table(path, *prog, args.get("profile"));
  }
  return status;
}

int cmd_compile(int argc, char** argv) {
  const CommandDoc& doc = *find_command("compile");
  const Expected<Args> parsed = parse_command_args(argc, argv, doc);
  if (!parsed) return usage_error(doc, parsed.error());
  if (parsed->positional.size() != 1 || !parsed->has("out"))
    return usage_error(doc, "expected one policy and -o OUT.dtb");
  const Args& args = *parsed;
  auto prog = load(args.positional[0], args.has("Werror"));
  if (!prog) return kExitInvalid;
  const std::string bytes = save_dtb(*prog);
  std::ofstream out(args.get("out"), std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.good()) {
    std::fprintf(stderr, "dta compile: cannot write '%s'\n", args.get("out").c_str());
    return kExitInvalid;
  }
  return kExitPass;
}

}  // namespace dta::cli
