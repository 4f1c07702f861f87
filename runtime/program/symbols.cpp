// The names a program uses (symbols.hpp). Patterns are listed as written
// ("db.*" too): a pattern that is a plain name is an event name.
#include "program/symbols.hpp"

namespace dta {

std::vector<std::string> program_names(const Program& p) {
  std::vector<std::string> out = p.keys;
  auto actions = [&](const std::vector<Action>& list) {
    for (const Action& a : list) {
      if (a.kind != ActionKind::Emit) continue;
      out.push_back(a.name);
      for (const Entry& e : a.entries) out.push_back(e.key);
    }
  };
  auto all = [&](const std::vector<std::string>& list) { out.insert(out.end(), list.begin(), list.end()); };
  for (const Rule& r : p.rules) {
    all(r.patterns);
    actions(r.actions);
    for (const When& w : r.whens) actions(w.actions);
    for (const Expect& x : r.expects) {
      all(x.patterns);
      all(x.matching);
      actions(x.then_actions);
      actions(x.else_actions);
    }
  }
  for (const Machine& m : p.machines) {
    out.push_back(m.key);
    for (const MachineState& st : m.states)
      for (const Transition& t : st.transitions) {
        all(t.patterns);
        actions(t.actions);
      }
  }
  for (const Filter& f : p.filters) {
    all(f.patterns);
    all(f.fields);
  }
  for (const SensitiveField& sf : p.sensitive) {
    out.push_back(sf.event);
    out.push_back(sf.field);
  }
  return out;
}

}  // namespace dta
