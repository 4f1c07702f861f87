// Pass: verification. Two parts:
//  - the program's structure: a walk over every part that checks each index
//    into another part, each enum and constant, and records, for every chunk,
//    each block that runs it (its role: the context it gives, the results it
//    accepts);
//  - each chunk's code: every instruction on its own (opcode, operands,
//    context), then an abstract interpretation of register types over
//    forward-only control flow, so one walk in pc order suffices.
#include "vm/verifier.hpp"

#include <array>
#include <cmath>
#include <fmt/format.h>
#include <optional>

namespace dta {
namespace {

// ---------------------------------------------------------------- chunk code

// Abstract register contents.
enum class T : uint8_t { Uninit, Int, Float, String, Bool, List, Dyn };

enum class Kind : uint8_t { R, K, F, J, N, X, M, T, U };

struct OpInfo {
  Kind a, b, c;
};

constexpr Kind R = Kind::R, K = Kind::K, F = Kind::F, J = Kind::J, N = Kind::N, X = Kind::X,
               M = Kind::M, Y = Kind::T, _ = Kind::U;
constexpr OpInfo kInfo[] = {
#define OP(name, a, b, c, syn) {a, b, c},
#include "dta/opcodes.def"
#undef OP
};

// The context each opcode reads (ChunkContext bits), from OP_NEEDS in opcodes.def.
constexpr std::array<uint8_t, kOpCount> needs_table() {
  constexpr uint8_t EVENT = kCtxEvent, VALUE = kCtxValue, START = kCtxStart, MACHINES = kCtxMachines;
  std::array<uint8_t, kOpCount> t{};
#define OP(name, a, b, c, syn)
#define OP_NEEDS(name, what) t[static_cast<size_t>(Op::name)] |= what;
#include "dta/opcodes.def"
#undef OP_NEEDS
#undef OP
  (void)EVENT, (void)VALUE, (void)START, (void)MACHINES;
  return t;
}
constexpr std::array<uint8_t, kOpCount> kNeeds = needs_table();

constexpr uint32_t kTypeCodes = 6;       // int float string bool number any
constexpr size_t kMaxChunkCode = 65535;  // jump targets are 16-bit
constexpr uint32_t kMaxRegisters = 256;  // register operand a is one byte

T of_type(Type t) {
  switch (t) {
    case Type::Int: return T::Int;
    case Type::Float: return T::Float;
    case Type::String: return T::String;
    case Type::Bool: return T::Bool;
    case Type::List: return T::List;
    case Type::Unknown: return T::Dyn;
  }
  return T::Uninit;
}

// What a register holds after an instruction that checks type code c.
T of_code(uint32_t c) {
  static constexpr T kAfter[kTypeCodes] = {T::Int, T::Float, T::String, T::Bool, T::Dyn, T::Dyn};
  return kAfter[c];
}

// The ChunkResult bit of a value a RET hands back.
uint8_t result_bit(T t) {
  switch (t) {
    case T::Int: return kResInt;
    case T::Float: return kResFloat;
    case T::String: return kResString;
    case T::Bool: return kResBool;
    default: return kResDynamic;
  }
}

// "int or float" for a set of ChunkResult bits.
std::string results_text(uint8_t bits) {
  static const char* const kNames[] = {"int", "float", "string", "bool", "a value checked when it runs"};
  std::string out;
  for (int i = 0; i < 5; ++i)
    if (bits & (1 << i)) out += (out.empty() ? "" : " or ") + std::string(kNames[i]);
  return out.empty() ? "nothing" : out;
}

// What a ChunkContext bit is, for messages.
const char* context_text(uint8_t bit) {
  switch (bit) {
    case kCtxEvent: return "the event";
    case kCtxValue: return "a when block's value";
    case kCtxStart: return "an expectation's first event";
    default: return "the machines";
  }
}

T merge(T x, T y) {
  if (x == y) return x;
  if (x == T::Uninit || y == T::Uninit || x == T::List || y == T::List) return T::Uninit;
  return T::Dyn;
}

using Regs = std::array<T, kMaxRegisters>;

class Verifier {
 public:
  Verifier(const Program& p, const std::vector<const Builtin*>& fns, const Chunk& c, const std::vector<ChunkUse>& uses)
      : p_(p), fns_(fns), c_(c), uses_(uses) {
    for (const ChunkUse& u : uses) context_ &= u.context;
  }

  std::string run() {
    const size_t n = c_.code.size();
    if (n == 0) return "empty chunk";
    if (n > kMaxChunkCode) return "chunk too long";
    if (c_.lines.size() != n) return "line table does not match the code";
    if (c_.nregs == 0 || c_.nregs > kMaxRegisters) return "bad register count";
    if (c_.result > Type::Bool) return fmt::format("bad result type {}", static_cast<int>(c_.result));
    // Every instruction on its own, reachable or not.
    for (pc_ = 0; pc_ < n; ++pc_) {
      std::string err = check_alone(c_.code[pc_]);
      if (!err.empty()) return fmt::format("pc {}: {}", pc_, err);
    }
    // Register types along every path.
    in_.assign(n, std::nullopt);
    Regs start;
    start.fill(T::Uninit);
    in_[0] = start;
    for (pc_ = 0; pc_ < n; ++pc_) {
      if (!in_[pc_]) continue;  // unreachable: checked above, never runs
      regs_ = *in_[pc_];
      std::string err = step(c_.code[pc_]);
      if (!err.empty()) return fmt::format("pc {}: {}", pc_, err);
    }
    for (const ChunkUse& u : uses_)
      if (returns_ & ~u.results)
        return fmt::format("returns {}, but {} needs {}", results_text(returns_), u.role, results_text(u.results));
    return "";
  }

 private:
  void flow(size_t target) {
    if (!in_[target]) in_[target] = regs_;
    else
      for (uint32_t r = 0; r < c_.nregs; ++r) (*in_[target])[r] = merge((*in_[target])[r], regs_[r]);
  }

  std::string operand(Kind k, uint32_t v, const char* which) const {
    switch (k) {
      case Kind::R: if (v >= c_.nregs) return fmt::format("register {} out of range ({})", v, which); break;
      case Kind::K: if (v >= p_.consts.size()) return fmt::format("constant {} out of range", v); break;
      case Kind::F: if (v >= p_.keys.size()) return fmt::format("field key {} out of range", v); break;
      case Kind::J: if (v <= pc_ || v >= c_.code.size()) return fmt::format("bad jump target {}", v); break;
      case Kind::N: if (v >= fns_.size() || !fns_[v]) return fmt::format("function {} out of range", v); break;
      case Kind::X: if (v >= p_.regexes.size()) return fmt::format("regex {} out of range", v); break;
      case Kind::M: if (v >= p_.machines.size()) return fmt::format("machine {} out of range", v); break;
      case Kind::T: if (v >= kTypeCodes) return fmt::format("bad type code {}", v); break;
      case Kind::U: break;
    }
    return "";
  }

  T const_type(uint32_t k) const { return of_type(p_.consts[k].type); }

  // The checks that need no register types: the opcode, every operand, the
  // type of constant operands, call arguments, and the context the
  // instruction reads against every block that runs the chunk.
  std::string check_alone(const Instr& in) const {
    const auto op = static_cast<uint8_t>(in.op);
    if (op >= kOpCount) return fmt::format("bad opcode {}", op);
    const OpInfo& info = kInfo[op];
    for (auto [k, v, w] : {std::tuple{info.a, uint32_t{in.a}, "a"}, std::tuple{info.b, uint32_t{in.b}, "b"},
                           std::tuple{info.c, uint32_t{in.c}, "c"}}) {
      std::string e = operand(k, v, w);
      if (!e.empty()) return e;
    }
    auto want_const = [&](T t, const char* what) -> std::string {
      return const_type(in.c) == t ? "" : fmt::format("{} needs {} constant", op_name(in.op), what);
    };
    switch (in.op) {
      case Op::EQ_IK: case Op::NE_IK: case Op::LT_IK: case Op::LE_IK: case Op::GT_IK: case Op::GE_IK:
        return want_const(T::Int, "an int");
      case Op::EQ_FK: case Op::NE_FK: case Op::LT_FK: case Op::LE_FK: case Op::GT_FK: case Op::GE_FK:
        return want_const(T::Float, "a float");
      case Op::EQ_SK: case Op::NE_SK: return want_const(T::String, "a string");
      case Op::IN_K: return want_const(T::List, "a list");
      case Op::CALL:
        if (uint32_t{in.c} + fns_[in.b]->arity > c_.nregs) return "call arguments out of range";
        break;
      default: break;
    }
    if (const uint8_t missing = kNeeds[op] & ~context_) {
      const uint8_t bit = missing & -missing;
      for (const ChunkUse& u : uses_)
        if (!(u.context & bit))
          return fmt::format("{} reads {}, which {} does not have", op_name(in.op), context_text(bit), u.role);
    }
    return "";
  }

  std::string need(uint32_t r, T t) const {
    const T have = regs_[r];
    if (t == T::Dyn ? (have == T::Uninit || have == T::List) : have != t)
      return fmt::format("register {} does not hold a {} value", r, t == T::Dyn ? "valid" : "typed");
    return "";
  }

  // What a builtin guarantees to return, given what its arguments hold.
  T call_result(const Builtin& fn, uint32_t base) const {
    switch (fn.result) {
      case Result::Int: return T::Int;
      case Result::Float: return T::Float;
      case Result::String: return T::String;
      case Result::Bool: return T::Bool;
      case Result::SameAsArg: return regs_[base] == T::Int || regs_[base] == T::Float ? regs_[base] : T::Dyn;
      case Result::WidestNumber: {
        const T x = regs_[base], y = regs_[base + 1];
        if (x == T::Int && y == T::Int) return T::Int;
        const bool num = (x == T::Int || x == T::Float) && (y == T::Int || y == T::Float);
        return num ? T::Float : T::Dyn;
      }
    }
    return T::Dyn;
  }

  // One reachable instruction: the types it reads, what it writes, where control goes.
  std::string step(const Instr& in) {
    std::string e;
#define NEED(r, t) if (!(e = need(r, t)).empty()) return e
    auto binary = [&](T in_t, T out_t) -> std::string {
      NEED(in.b, in_t);
      NEED(in.c, in_t);
      regs_[in.a] = out_t;
      return "";
    };
    auto with_k = [&](T in_t) -> std::string {
      NEED(in.b, in_t);
      regs_[in.a] = T::Bool;
      return "";
    };
    switch (in.op) {
      case Op::LOADK: regs_[in.a] = const_type(in.b); break;
      case Op::LOADF: regs_[in.a] = T::Dyn; break;
      case Op::LOADF_I: case Op::EV_ID: case Op::EV_TS: regs_[in.a] = T::Int; break;
      case Op::LOADF_F: regs_[in.a] = T::Float; break;
      case Op::LOADF_S: case Op::EV_NAME: case Op::EV_SEV: regs_[in.a] = T::String; break;
      case Op::LOADF_B: case Op::HAS: regs_[in.a] = T::Bool; break;
      case Op::MOVE: NEED(in.b, T::Dyn); regs_[in.a] = regs_[in.b]; break;
      case Op::I2F: NEED(in.b, T::Int); regs_[in.a] = T::Float; break;
      case Op::ADD_I: case Op::SUB_I: case Op::MUL_I: case Op::DIV_I: case Op::MOD_I:
        if (!(e = binary(T::Int, T::Int)).empty()) return e;
        break;
      case Op::NEG_I: NEED(in.b, T::Int); regs_[in.a] = T::Int; break;
      case Op::ADD_F: case Op::SUB_F: case Op::MUL_F: case Op::DIV_F: case Op::MOD_F:
        if (!(e = binary(T::Float, T::Float)).empty()) return e;
        break;
      case Op::NEG_F: NEED(in.b, T::Float); regs_[in.a] = T::Float; break;
      case Op::CONCAT: if (!(e = binary(T::String, T::String)).empty()) return e;
        break;
      case Op::EQ_I: case Op::NE_I: case Op::LT_I: case Op::LE_I: if (!(e = binary(T::Int, T::Bool)).empty()) return e;
        break;
      case Op::EQ_F: case Op::NE_F: case Op::LT_F: case Op::LE_F: if (!(e = binary(T::Float, T::Bool)).empty()) return e;
        break;
      case Op::EQ_S: case Op::NE_S: case Op::LT_S: case Op::LE_S: if (!(e = binary(T::String, T::Bool)).empty()) return e;
        break;
      case Op::EQ_B: case Op::NE_B: if (!(e = binary(T::Bool, T::Bool)).empty()) return e;
        break;
      case Op::EQ_IK: case Op::NE_IK: case Op::LT_IK: case Op::LE_IK: case Op::GT_IK: case Op::GE_IK:
        if (!(e = with_k(T::Int)).empty()) return e;
        break;
      case Op::EQ_FK: case Op::NE_FK: case Op::LT_FK: case Op::LE_FK: case Op::GT_FK: case Op::GE_FK:
        if (!(e = with_k(T::Float)).empty()) return e;
        break;
      case Op::EQ_SK: case Op::NE_SK: if (!(e = with_k(T::String)).empty()) return e;
        break;
      case Op::IN_K: NEED(in.b, T::Dyn); regs_[in.a] = T::Bool; break;
      case Op::ADD_D: case Op::SUB_D: case Op::MUL_D: case Op::DIV_D: case Op::MOD_D:
        if (!(e = binary(T::Dyn, T::Dyn)).empty()) return e;
        break;
      case Op::EQ_D: case Op::NE_D: case Op::LT_D: case Op::LE_D: if (!(e = binary(T::Dyn, T::Bool)).empty()) return e;
        break;
      case Op::NEG_D: NEED(in.b, T::Dyn); regs_[in.a] = T::Dyn; break;
      case Op::CHECK_T: NEED(in.a, T::Dyn); regs_[in.a] = of_code(in.c); break;
      case Op::LOADV: case Op::LOADSF: regs_[in.a] = of_code(in.c); break;
      case Op::STATE: NEED(in.c, T::Dyn); regs_[in.a] = T::String; break;
      case Op::NOT: NEED(in.b, T::Bool); regs_[in.a] = T::Bool; break;
      case Op::JMP: flow(in.b); return "";
      case Op::JMPF: case Op::JMPT: NEED(in.a, T::Bool); flow(in.b); break;
      case Op::CALL: {
        const Builtin* fn = fns_[in.b];
        for (uint32_t i = 0; i < fn->arity; ++i) NEED(in.c + i, T::Dyn);
        regs_[in.a] = call_result(*fn, in.c);
        break;
      }
      case Op::MATCH: NEED(in.b, T::String); regs_[in.a] = T::Bool; break;
      case Op::RET:
        NEED(in.a, c_.result == Type::Unknown ? T::Dyn : of_type(c_.result));
        returns_ |= result_bit(regs_[in.a]);
        return "";
    }
#undef NEED
    if (pc_ + 1 >= c_.code.size()) return "code runs off its end";
    flow(pc_ + 1);
    return "";
  }

  const Program& p_;
  const std::vector<const Builtin*>& fns_;
  const Chunk& c_;
  const std::vector<ChunkUse>& uses_;
  uint8_t context_ = kCtxAll;  // what every use gives
  uint8_t returns_ = 0;        // what the reachable RETs hand back
  std::vector<std::optional<Regs>> in_;
  Regs regs_{};
  size_t pc_ = 0;
};

// ---------------------------------------------------------------- program structure

// The contexts blocks give their chunks (see the engine: what each call of
// the VM passes).
constexpr uint8_t kAtEvent = kCtxEvent | kCtxMachines;  // filters, rules, when keys/values, transitions
constexpr uint8_t kInWhen = kAtEvent | kCtxValue;       // a when block's actions
constexpr uint8_t kInExpect = kAtEvent | kCtxStart;     // an expect's where, then and else
constexpr uint8_t kAtBind = 0;                          // a threshold: evaluated once, with no event
// What roles accept: a number the engine checks when it runs (aggregated
// values, observations), and a value that is shown or keyed (holes, labels).
constexpr uint8_t kResChecked = kResNumber | kResDynamic;

bool scalar(Type t) { return t == Type::Int || t == Type::Float || t == Type::String || t == Type::Bool; }

// A profile's value may replace a constant of the same shape.
bool same_shape(const Const& a, const Const& b) {
  if (a.type != b.type) return false;
  if (a.type != Type::List) return true;
  if (a.items.empty() || b.items.empty()) return true;
  return a.items[0].type == b.items[0].type;
}

class Structure {
 public:
  Structure(const Program& p, const std::vector<const Builtin*>& fns) : p_(p), fns_(fns), uses_(p.chunks.size()) {}

  std::string run() {
    units_ = p_.rules.size() + p_.machines.size();
    for (size_t i = 0; i < p_.consts.size() && ok(); ++i) constant(p_.consts[i], fmt::format("constant {}", i));
    for (const NamedConst& nc : p_.named_consts)
      if (nc.index >= p_.consts.size()) return fmt::format("constant '{}' out of range", nc.name);
    for (size_t t = 0; t < p_.templates.size() && ok(); ++t)
      for (const TemplatePart& part : p_.templates[t].parts)
        if (part.chunk < -1 || part.chunk >= static_cast<int64_t>(p_.chunks.size()))
          fail(fmt::format("template {} names a missing chunk", t));
    for (const Filter& f : p_.filters) filter(f);
    for (const Rule& r : p_.rules) rule(r);
    for (const Machine& m : p_.machines) machine(m);
    for (const Profile& pr : p_.profiles) profile(pr);
    if (!ok()) return err_;
    for (size_t i = 0; i < p_.chunks.size(); ++i) {
      std::string err = verify_chunk(p_, fns_, i, uses_[i]);
      if (!err.empty()) return fmt::format("chunk {}: {}", i, err);
    }
    return "";
  }

 private:
  bool ok() const { return err_.empty(); }
  void fail(std::string msg) {
    if (err_.empty()) err_ = std::move(msg);
  }

  // A chunk index: -1 (none) where `optional`, else a chunk that `role` runs.
  void chunk(int32_t c, bool optional, const std::string& role, uint8_t context, uint8_t results) {
    if (c == -1 && optional) return;
    if (c < 0 || static_cast<size_t>(c) >= p_.chunks.size())
      return fail(fmt::format("{} names chunk {}, but the program has {}", role, c, p_.chunks.size()));
    uses_[c].push_back({role, context, results});
  }

  // A template index (-1: none): its holes run in `context`.
  void tmpl(int32_t t, const std::string& role, uint8_t context) {
    if (t == -1) return;
    if (t < 0 || static_cast<size_t>(t) >= p_.templates.size())
      return fail(fmt::format("{} names template {}, but the program has {}", role, t, p_.templates.size()));
    for (const TemplatePart& part : p_.templates[t].parts) chunk(part.chunk, true, role, context, kResAny);
  }

  // A constant index that must hold an int (durations).
  void duration(int64_t k, bool optional, const std::string& what) {
    if (k == -1 && optional) return;
    if (k < 0 || static_cast<size_t>(k) >= p_.consts.size() || p_.consts[k].type != Type::Int)
      fail(fmt::format("{} is not an int constant (constant {})", what, k));
  }

  void constant(const Const& c, const std::string& what) {
    if (c.type == Type::Unknown || c.type > Type::List)
      return fail(fmt::format("{} has a bad type ({})", what, static_cast<int>(c.type)));
    if (c.type != Type::List && !c.items.empty())
      return fail(fmt::format("{} is a {} with list items", what, type_name(c.type)));
    for (const Const& it : c.items)
      if (!scalar(it.type) || !it.items.empty())
        return fail(fmt::format("{} holds a list item that is not an int, float, string or bool", what));
  }

  // `k: value` entries: a template or a chunk (only chunks where `chunks_only`).
  void entries(const std::vector<Entry>& es, const std::string& what, const std::string& block, uint8_t context,
               bool chunks_only) {
    for (const Entry& e : es) {
      const std::string role = fmt::format("the {} '{}' of {}", what, e.key, block);
      if ((e.chunk == -1) == (e.tmpl == -1) || (chunks_only && e.tmpl != -1))
        return fail(fmt::format("{} needs {}", role, chunks_only ? "a chunk" : "either a template or a chunk"));
      chunk(e.chunk, true, role, context, kResAny);
      tmpl(e.tmpl, role, context);
    }
  }

  void actions(const std::vector<Action>& as, const std::string& block, uint8_t context) {
    for (size_t i = 0; i < as.size() && ok(); ++i) {
      const Action& a = as[i];
      const std::string what = fmt::format("action {} of {}", i, block);
      if (a.kind > ActionKind::Alert)
        return fail(fmt::format("{} has a bad kind ({})", what, static_cast<int>(a.kind)));
      if (a.kind == ActionKind::Verdict && a.level > Level::Ok)
        return fail(fmt::format("{} has a bad verdict level ({})", what, static_cast<int>(a.level)));
      if (a.kind == ActionKind::Alert && a.severity >= AlertSeverity::Off)
        return fail(fmt::format("{} has a bad alert severity ({})", what, static_cast<int>(a.severity)));
      if (a.kind == ActionKind::Verdict || a.kind == ActionKind::Alert)
        tmpl(a.tmpl, "the message of " + what, context);
      else if (a.tmpl != -1)
        return fail(fmt::format("{} has a message but is not a verdict or an alert", what));
      if (a.kind == ActionKind::Observe)
        chunk(a.chunk, false, "the observed value of " + what, context, kResChecked);
      else if (a.chunk != -1)
        return fail(fmt::format("{} has a value but is not 'observe'", what));
      entries(a.entries, "label", what, context, false);
      if (a.kind == ActionKind::Alert) {
        entries(a.dedup, "dedup key", what, context, true);
        duration(a.every_k, true, fmt::format("the 'every' of {}", what));
      } else if (!a.dedup.empty() || a.every_k != -1) {
        return fail(fmt::format("{} has alert settings but is not an alert", what));
      }
    }
  }

  void filter(const Filter& f) {
    const std::string block = fmt::format("filter '{}'", f.name);
    if (f.kind > FilterKind::Sample)
      return fail(fmt::format("{} has a bad kind ({})", block, static_cast<int>(f.kind)));
    if (!(f.fraction >= 0 && f.fraction <= 1)) return fail(fmt::format("{} samples a fraction outside [0, 1]", block));
    chunk(f.where, true, "the where of " + block, kAtEvent, kResBool);
  }

  void rule(const Rule& r) {
    const std::string block = fmt::format("rule '{}'", r.name);
    if (r.level > Level::Off) return fail(fmt::format("{} has a bad level ({})", block, static_cast<int>(r.level)));
    chunk(r.where, true, "the where of " + block, kAtEvent, kResBool);
    actions(r.actions, block, kAtEvent);
    for (size_t i = 0; i < r.whens.size() && ok(); ++i) {
      const When& w = r.whens[i];
      const std::string wb = fmt::format("when {} of {}", i, block);
      if (w.agg > Agg::Distinct || w.cmp > Cmp::Ne)
        return fail(fmt::format("{} has a bad aggregate or comparison", wb));
      const bool has_arg = w.agg != Agg::Count && w.agg != Agg::Rate;
      if (!has_arg && w.arg != -1) return fail(fmt::format("{}: {}() takes no value", wb, agg_name(w.agg)));
      if (!(w.q >= 0 && w.q <= 1)) return fail(fmt::format("{} has a quantile outside [0, 1]", wb));
      if (has_arg)
        chunk(w.arg, false, "the aggregated value of " + wb, kAtEvent,
              w.agg == Agg::Distinct ? uint8_t{kResAny} : kResChecked);
      duration(w.window_k, false, "the window of " + wb);
      duration(w.for_k, true, "the 'for' of " + wb);
      chunk(w.threshold, false, "the threshold of " + wb, kAtBind, kResNumber);
      entries(w.by, "key", wb, kAtEvent, true);
      actions(w.actions, wb, kInWhen);
    }
    for (size_t i = 0; i < r.expects.size() && ok(); ++i) {
      const Expect& x = r.expects[i];
      const std::string xb = fmt::format("expect {} of {}", i, block);
      chunk(x.where, true, "the where of " + xb, kInExpect, kResBool);
      duration(x.within_k, false, "the 'within' of " + xb);
      actions(x.then_actions, "the then of " + xb, kInExpect);
      actions(x.else_actions, "the else of " + xb, kInExpect);
    }
  }

  void machine(const Machine& m) {
    const std::string block = fmt::format("machine '{}'", m.name);
    if (m.level > Level::Off) return fail(fmt::format("{} has a bad level ({})", block, static_cast<int>(m.level)));
    if (m.initial >= m.states.size())
      return fail(fmt::format("{} starts in state {}, but it has {}", block, m.initial, m.states.size()));
    for (const MachineState& st : m.states) {
      for (size_t i = 0; i < st.transitions.size() && ok(); ++i) {
        const Transition& t = st.transitions[i];
        const std::string tb = fmt::format("transition {} of state '{}' of {}", i, st.name, block);
        if (t.target >= m.states.size())
          return fail(fmt::format("{} goes to state {}, but the machine has {}", tb, t.target, m.states.size()));
        if (t.after && t.where != -1) return fail(fmt::format("{} is an 'after' with a where", tb));
        duration(t.delay_k, !t.after, "the delay of " + tb);
        chunk(t.where, true, "the where of " + tb, kAtEvent, kResBool);
        actions(t.actions, tb, kAtEvent);
      }
    }
  }

  void profile(const Profile& pr) {
    const std::string block = fmt::format("profile '{}'", pr.name);
    for (const auto& [idx, c] : pr.consts) {
      if (idx >= p_.consts.size() || !same_shape(p_.consts[idx], c))
        return fail(fmt::format("{} overrides constant {} with another type", block, idx));
      constant(c, fmt::format("the value {} gives constant {}", block, idx));
    }
    for (const auto& lv : pr.levels)
      if (lv.first >= units_ || lv.second == Level::None || lv.second > Level::Off)
        return fail(fmt::format("{} has a bad rule level", block));
    for (const auto& al : pr.alerts)
      if (al.first >= units_ || al.second > AlertSeverity::Off)
        return fail(fmt::format("{} has a bad alert level", block));
    for (const auto& mk : pr.max_keys)
      if (mk.first >= units_) return fail(fmt::format("{} has a bad key cap", block));
  }

  const Program& p_;
  const std::vector<const Builtin*>& fns_;
  std::vector<std::vector<ChunkUse>> uses_;  // per chunk: the blocks that run it
  size_t units_ = 0;
  std::string err_;
};

}  // namespace

std::string verify_chunk(const Program& prog, const std::vector<const Builtin*>& fns, size_t index,
                         const std::vector<ChunkUse>& uses) {
  return Verifier(prog, fns, prog.chunks[index], uses).run();
}

std::string verify_program(const Program& prog, const std::vector<const Builtin*>& fns) {
  return Structure(prog, fns).run();
}

}  // namespace dta
