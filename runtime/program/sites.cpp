// Site ids and shape fingerprints (sites.hpp). A shape hashes the parts of a
// construct that give its state a meaning; code is hashed with its operands
// resolved (constant values, field names, builtin names, regex sources), so
// the same source gives the same shape whatever the layout of the tables.
#include "dta/sites.hpp"

#include <fmt/format.h>

#include <unordered_set>

#include "dta/hash.hpp"

namespace dta {
namespace {

// Operand kinds of each opcode, as opcodes.def spells them ('R', 'K', ...).
constexpr char kOperandKinds[][3] = {
#define OP(name, a, b, c, syn) {#a[0], #b[0], #c[0]},
#include "dta/opcodes.def"
#undef OP
};

// A running shape hash.
class Shape {
 public:
  explicit Shape(const Program& p, std::string_view kind) : p_(p) { str(kind); }
  Shape& num(uint64_t x) {
    h_ = hash_value(h_, Value::of_int(static_cast<int64_t>(x)));
    return *this;
  }
  Shape& str(std::string_view s) {
    h_ = hash_value(h_, Value::of_string(s));
    return *this;
  }
  Shape& strs(const std::vector<std::string>& list) {
    num(list.size());
    for (const std::string& s : list) str(s);
    return *this;
  }
  Shape& constant(const Const& c) {
    num(static_cast<uint64_t>(c.type));
    switch (c.type) {
      case Type::Int: return num(static_cast<uint64_t>(c.i));
      case Type::Float: h_ = hash_value(h_, Value::of_float(c.f)); return *this;
      case Type::Bool: return num(c.b);
      case Type::String: return str(c.s);
      case Type::List:
        num(c.items.size());
        for (const Const& it : c.items) constant(it);
        return *this;
      case Type::Unknown: return *this;
    }
    return *this;
  }
  Shape& const_index(int64_t k) {
    if (k < 0 || static_cast<size_t>(k) >= p_.consts.size()) return num(UINT64_MAX);
    return constant(p_.consts[static_cast<size_t>(k)]);
  }
  // A chunk's code, operands that index the program's tables replaced by what they name.
  Shape& chunk(int32_t c) {
    if (c < 0 || static_cast<size_t>(c) >= p_.chunks.size()) return num(UINT64_MAX);
    const Chunk& ch = p_.chunks[static_cast<size_t>(c)];
    num(ch.code.size()).num(static_cast<uint64_t>(ch.result));
    for (const Instr& in : ch.code) {
      const auto op = static_cast<uint8_t>(in.op);
      num(op);
      if (op >= std::size(kOperandKinds)) continue;
      const uint32_t ops[3] = {in.a, in.b, in.c};
      for (int i = 0; i < 3; ++i) operand(kOperandKinds[op][i], ops[i]);
    }
    return *this;
  }
  uint64_t done() const { return hash_finish(h_); }

 private:
  void operand(char kind, uint32_t x) {
    auto name = [&](const std::vector<std::string>& table) {
      if (x < table.size()) str(table[x]);
      else num(UINT64_MAX);
    };
    switch (kind) {
      case 'K': const_index(x); break;
      case 'F': name(p_.keys); break;
      case 'N': name(p_.functions); break;
      case 'X': name(p_.regexes); break;
      case 'M': name_machine(x); break;
      case '_': break;
      default: num(x); break;  // registers, jump targets, type codes: as they are
    }
  }
  void name_machine(uint32_t m) {
    if (m < p_.machines.size()) str(p_.machines[m].name);
    else num(UINT64_MAX);
  }
  const Program& p_;
  uint64_t h_ = kHashSeed;
};

uint64_t when_shape(const Program& p, const When& w) {
  Shape s(p, "when");
  s.num(static_cast<uint64_t>(w.agg)).num(w.sliding).const_index(w.window_k).chunk(w.arg);
  if (w.agg == Agg::Quantile) s.num(__builtin_bit_cast(uint64_t, w.q));
  s.num(w.by.size());
  for (const Entry& b : w.by) s.str(b.key).chunk(b.chunk);
  return s.done();
}

uint64_t expect_shape(const Program& p, const Expect& x) {
  return Shape(p, "expect").strs(x.patterns).strs(x.matching).done();
}

uint64_t machine_shape(const Program& p, const Machine& m) {
  Shape s(p, "machine");
  auto state_name = [&](uint32_t i) { return i < m.states.size() ? std::string_view(m.states[i].name) : "?"; };
  s.str(m.key).str(state_name(m.initial)).num(m.states.size());
  for (const MachineState& st : m.states) {
    s.str(st.name).num(st.transitions.size());
    for (const Transition& t : st.transitions) s.num(t.after).strs(t.patterns).str(state_name(t.target));
  }
  return s.done();
}

uint64_t alert_shape(const Program& p, const Action& a) {
  Shape s(p, "alert");
  s.num(a.dedup.size());
  for (const Entry& d : a.dedup) s.chunk(d.chunk);
  return s.done();
}

uint64_t recorder_shape(const Program& p, const Recorder& r) {
  return Shape(p, "recorder").num(r.capacity).str(r.key).done();
}

bool has_alert_site(const Action& a) { return a.kind == ActionKind::Alert && (!a.dedup.empty() || a.every_k >= 0); }

// Calls f(site, expected id, expected shape) for every stateful construct of
// a program, in source order within each unit.
template <class P, class F>
void each_site(P& p, F&& f) {
  for (auto& r : p.rules) {
    uint32_t alerts = 0;
    auto actions = [&](auto& list) {
      for (auto& a : list)
        if (has_alert_site(a)) f(a.site, fmt::format("{}/alert#{}", r.name, alerts++), alert_shape(p, a));
    };
    actions(r.actions);
    for (size_t i = 0; i < r.whens.size(); ++i) {
      f(r.whens[i].site, fmt::format("{}/when#{}", r.name, i), when_shape(p, r.whens[i]));
      actions(r.whens[i].actions);
    }
    for (size_t i = 0; i < r.expects.size(); ++i) {
      f(r.expects[i].site, fmt::format("{}/expect#{}", r.name, i), expect_shape(p, r.expects[i]));
      actions(r.expects[i].then_actions);
      actions(r.expects[i].else_actions);
    }
  }
  for (auto& m : p.machines) {
    f(m.site, fmt::format("{}/machine", m.name), machine_shape(p, m));
    uint32_t alerts = 0;
    for (auto& st : m.states)
      for (auto& t : st.transitions)
        for (auto& a : t.actions)
          if (has_alert_site(a)) f(a.site, fmt::format("{}/alert#{}", m.name, alerts++), alert_shape(p, a));
  }
  for (auto& r : p.recorders) f(r.site, fmt::format("recorder/{}", r.name), recorder_shape(p, r));
}

}  // namespace

void assign_sites(Program& p) {
  each_site(p, [](Site& site, std::string id, uint64_t shape) {
    site.id = std::move(id);
    site.shape = shape;
  });
}

Outcome check_sites(const Program& p) {
  std::string error;
  std::unordered_set<std::string_view> seen;
  each_site(p, [&](const Site& site, const std::string& derived, uint64_t shape) {
    if (!error.empty()) return;
    if (site.id.empty() || site.id.size() > kMaxSiteIdBytes)
      error = fmt::format("site '{}': its id is empty or longer than {} bytes", derived, kMaxSiteIdBytes);
    else if (!seen.insert(site.id).second)
      error = fmt::format("site id '{}' is used twice", site.id);
    else if (site.shape != shape)
      error = fmt::format("site '{}': its shape {:016x} is not the one its code has ({:016x})", site.id,
                          site.shape, shape);
  });
  if (!error.empty()) return fail(std::move(error));
  return Outcome::success();
}

}  // namespace dta
