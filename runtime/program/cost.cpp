// Static worst-case cost of one event (cost.hpp): the longest path through
// each chunk (a DAG: jumps only go forward), summed over what a construct runs.
#include "dta/cost.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "vm/regex.hpp"

namespace dta {
namespace {

// What one instruction weighs.
Cost weight(const Instr& in) {
  switch (in.op) {
    case Op::CALL:
      return {kCostCall, 0};
    case Op::MATCH:
      return {kCostMatch, 1};
    default:
      return {1, 0};
  }
}

class Costing {
 public:
  explicit Costing(const Program& p) : p_(p) {
    chunks_.reserve(p.chunks.size());
    for (const Chunk& c : p.chunks) chunks_.push_back(chunk_cost(c));
  }

  Cost chunk(int32_t c) const {
    return c >= 0 && static_cast<size_t>(c) < chunks_.size() ? chunks_[static_cast<size_t>(c)] : Cost{};
  }

  Cost tmpl(int32_t t) const {
    Cost out;
    if (t < 0 || static_cast<size_t>(t) >= p_.templates.size()) return out;
    for (const TemplatePart& part : p_.templates[static_cast<size_t>(t)].parts) out += chunk(part.chunk);
    return out;
  }

  Cost entries(const std::vector<Entry>& es) const {
    Cost out;
    for (const Entry& e : es) out += chunk(e.chunk) + tmpl(e.tmpl);
    return out;
  }

  Cost actions(const std::vector<Action>& as) const {
    Cost out;
    for (const Action& a : as) {
      out += Cost{kCostAction, 0} + tmpl(a.tmpl) + chunk(a.chunk) + entries(a.entries) + entries(a.dedup);
      if (!a.site.id.empty()) out += Cost{kCostStateUpdate, 0};  // dedup / every: a key lookup
      switch (a.kind) {
        case ActionKind::CollectRecorder: {
          const bool known = a.recorder >= 0 && static_cast<size_t>(a.recorder) < p_.recorders.size();
          out += Cost{kCostCollect + (known ? p_.recorders[static_cast<size_t>(a.recorder)].capacity : 0), 0};
          break;
        }
        case ActionKind::CollectSnapshot:
        case ActionKind::CollectProcess: out += Cost{kCostCollect, 0}; break;
        case ActionKind::Discard: out += Cost{kCostStateUpdate, 0}; break;
        default: break;
      }
    }
    return out;
  }

  UnitCost rule(const Rule& r) const {
    UnitCost u{"rule", r.name, {}, {}, false};
    u.parts.push_back({"where", chunk(r.where)});
    if (r.counts_fired) u.parts.push_back({"actions", actions(r.actions)});
    for (size_t i = 0; i < r.whens.size(); ++i) {
      const When& w = r.whens[i];
      const Cost c = Cost{kCostWindowUpdate, 0} + chunk(w.arg) + entries(w.by) + actions(w.actions);
      u.parts.push_back({fmt::format("when#{}", i), c});
    }
    for (size_t i = 0; i < r.expects.size(); ++i) {
      const Expect& x = r.expects[i];
      const Cost c =
          Cost{2 * kCostStateUpdate, 0} + chunk(x.where) + cost_max(actions(x.then_actions), actions(x.else_actions));
      u.parts.push_back({fmt::format("expect#{}", i), c});
    }
    return sum(std::move(u));
  }

  UnitCost machine(const Machine& m) const {
    UnitCost u{"machine", m.name, {}, {}, false};
    u.parts.push_back({"state update", {kCostStateUpdate, 0}});
    Cost worst;
    for (const MachineState& st : m.states) {
      Cost wheres, block;
      for (const Transition& t : st.transitions) {
        if (!t.after) wheres += chunk(t.where);
        block = cost_max(block, actions(t.actions));
      }
      worst = cost_max(worst, wheres + block);
    }
    u.parts.push_back({"transitions", worst});
    return sum(std::move(u));
  }

  UnitCost filter(const Filter& f) const {
    UnitCost u{"filter", f.name, {}, {}, false};
    u.parts.push_back({"where", chunk(f.where)});
    u.parts.push_back({enum_name(f.kind), {kCostFilter, 0}});
    return sum(std::move(u));
  }

  UnitCost recorder(const Recorder& r) const {
    UnitCost u{"recorder", r.name, {}, {}, false};
    u.parts.push_back({"record", {kCostRecord, 0}});
    if (!r.key.empty()) u.parts.push_back({"key", {kCostStateUpdate, 0}});
    return sum(std::move(u));
  }

 private:
  static UnitCost sum(UnitCost u) {
    for (const CostPart& part : u.parts) u.total += part.cost;
    return u;
  }

  const Program& p_;
  std::vector<Cost> chunks_;
};

}  // namespace

RegexStepBudget regex_step_budget() { return {kRegexBaseSteps, kRegexStepsPerByte}; }

Cost cost_max(const Cost& a, const Cost& b) {
  return {std::max(a.instructions, b.instructions), std::max(a.regex_searches, b.regex_searches)};
}

Cost chunk_cost(const Chunk& chunk) {
  // best[pc]: the worst cost from pc to the end of the chunk. Computed from
  // the last instruction back, since every jump goes forward.
  const size_t n = chunk.code.size();
  std::vector<Cost> best(n + 1);  // best[n]: past the end (nothing more runs)
  for (size_t pc = n; pc-- > 0;) {
    const Instr& in = chunk.code[pc];
    const auto target = [&]() -> Cost {
      return in.b > pc && in.b <= n ? best[in.b] : Cost{};  // a jump the verifier would refuse ends here
    };
    Cost next;
    switch (in.op) {
      case Op::RET:
        break;
      case Op::JMP:
        next = target();
        break;
      case Op::JMPF:
      case Op::JMPT:
        next = cost_max(best[pc + 1], target());
        break;
      default:
        next = best[pc + 1];
        break;
    }
    best[pc] = weight(in) + next;
  }
  return best[0];
}

std::vector<UnitCost> program_cost(const Program& prog, int profile) {
  const Costing costing(prog);
  std::vector<UnitCost> out;
  out.reserve(prog.rules.size() + prog.machines.size() + prog.filters.size());
  for (const Rule& r : prog.rules) out.push_back(costing.rule(r));
  for (const Machine& m : prog.machines) out.push_back(costing.machine(m));
  for (const Filter& f : prog.filters) out.push_back(costing.filter(f));
  for (const Recorder& r : prog.recorders) out.push_back(costing.recorder(r));
  if (profile >= 0 && static_cast<size_t>(profile) < prog.profiles.size()) {
    const size_t units = prog.rules.size() + prog.machines.size();  // filters follow the units
    for (const auto& [unit, level] : prog.profiles[static_cast<size_t>(profile)].levels) {
      if (level != Level::Off || unit >= units) continue;
      out[unit].off = true;
      out[unit].total = {};
    }
  }
  return out;
}

}  // namespace dta
