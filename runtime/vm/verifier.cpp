// Pass: verification, on a program whose enums and indexes passed the schema
// check (program/schema_check.hpp). Two parts:
//  - the program's structure: a walk over every part that checks what the
//    schema cannot (the type of each constant a duration names, what each
//    kind of action carries, which levels a verdict or profile may use...)
//    and records, for every chunk, each block that runs it (its role: the
//    context it gives, the results it accepts);
//  - each chunk's code: every instruction on its own (opcode, operands,
//    context), then an abstract interpretation of register types over
//    forward-only control flow, so one walk in pc order suffices. What each
//    instruction reads and writes is the OP_TYPES table of opcodes.def.
#include "vm/verifier.hpp"

#include <array>
#include <cmath>
#include <fmt/format.h>
#include <optional>

#include "vm/operands.hpp"

namespace dta {
namespace {

// ---------------------------------------------------------------- chunk code

// Abstract register contents.
enum class T : uint8_t { Uninit, Int, Float, String, Bool, List, Dyn };

using Kind = Operand;
using OpInfo = OpOperands;
constexpr const auto& kInfo = kOpOperands;  // operand kinds per opcode (opcodes.def)

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

// What an operand must be (OP_TYPES in opcodes.def).
enum class Need : uint8_t { None, Int, Float, String, Bool, List, Valid, Args, Result };
// What an instruction leaves in r[a].
enum class Writes : uint8_t { None, Int, Float, String, Bool, Dyn, Copy, Const, Code, Call };
// Where control goes after it.
enum class Flow : uint8_t { Next, Goto, Branch, End };

struct Effect {
  Need need[3];  // a, b, c
  Writes writes;
  Flow flow;
  int rows;      // OP_TYPES rows naming this opcode (exactly one)
};

// The type effects of each opcode, from OP_TYPES in opcodes.def.
constexpr std::array<Effect, kOpCount> effects_table() {
  std::array<Effect, kOpCount> t{};
  {
    constexpr Need _ = Need::None, I = Need::Int, F = Need::Float, S = Need::String, B = Need::Bool,
                   L = Need::List, V = Need::Valid, ARGS = Need::Args, RES = Need::Result;
    constexpr Writes w_ = Writes::None, wI = Writes::Int, wF = Writes::Float, wS = Writes::String,
                     wB = Writes::Bool, wV = Writes::Dyn, COPY = Writes::Copy, CONST = Writes::Const,
                     CODE = Writes::Code, CALL = Writes::Call;
    constexpr Flow NEXT = Flow::Next, GOTO = Flow::Goto, BRANCH = Flow::Branch, END = Flow::End;
#define OP(name, a, b, c, syn)
#define OP_TYPES(name, a, b, c, writes, flow)                              \
  {                                                                        \
    Effect& e = t[static_cast<size_t>(Op::name)];                          \
    e = {{a, b, c}, WRITES_##writes, flow, e.rows + 1};                    \
  }
#define WRITES__ w_
#define WRITES_I wI
#define WRITES_F wF
#define WRITES_S wS
#define WRITES_B wB
#define WRITES_V wV
#define WRITES_COPY COPY
#define WRITES_CONST CONST
#define WRITES_CODE CODE
#define WRITES_CALL CALL
#include "dta/opcodes.def"
#undef WRITES__
#undef WRITES_I
#undef WRITES_F
#undef WRITES_S
#undef WRITES_B
#undef WRITES_V
#undef WRITES_COPY
#undef WRITES_CONST
#undef WRITES_CODE
#undef WRITES_CALL
#undef OP_TYPES
#undef OP
    (void)_, (void)I, (void)F, (void)S, (void)B, (void)L, (void)V, (void)ARGS, (void)RES;
    (void)w_, (void)wI, (void)wF, (void)wS, (void)wB, (void)wV, (void)COPY, (void)CONST, (void)CODE, (void)CALL;
    (void)NEXT, (void)GOTO, (void)BRANCH, (void)END;
  }
  return t;
}
constexpr std::array<Effect, kOpCount> kEffects = effects_table();

// The table is sound: one row per opcode; a register need only on a register
// operand, a constant type only on a constant operand; ARGS and RES only on
// a register; an instruction that writes r[a] has a register there, one that
// copies a register or a constant has it in b, one that calls has the
// builtin in b; a jump has its target in b.
constexpr bool effects_sound() {
  for (size_t op = 0; op < kOpCount; ++op) {
    const Effect& e = kEffects[op];
    const Kind kinds[3] = {kInfo[op].a, kInfo[op].b, kInfo[op].c};
    if (e.rows != 1) return false;
    for (int i = 0; i < 3; ++i) {
      const Need n = e.need[i];
      const bool reg = kinds[i] == Kind::R, konst = kinds[i] == Kind::K;
      if (n == Need::List && !konst) return false;
      if ((n == Need::Valid || n == Need::Args || n == Need::Result) && !reg) return false;
      if (n != Need::None && !reg && !konst) return false;
    }
    if (e.writes != Writes::None && kinds[0] != Kind::R) return false;
    if (e.writes == Writes::Const && kinds[1] != Kind::K) return false;
    if (e.writes == Writes::Copy && kinds[1] != Kind::R) return false;
    const bool args = e.need[0] == Need::Args || e.need[1] == Need::Args || e.need[2] == Need::Args;
    if ((e.writes == Writes::Call || args) && kinds[1] != Kind::N) return false;  // the builtin is b
    if (e.writes == Writes::Code && kinds[2] != Kind::T) return false;
    if ((e.flow == Flow::Goto || e.flow == Flow::Branch) && kinds[1] != Kind::J) return false;
  }
  return true;
}
static_assert(effects_sound(), "opcodes.def: OP_TYPES needs one sound row per opcode");

constexpr uint32_t kTypeCodes = enum_count<TypeCode>();
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

// What a register holds after an instruction that checks type code c (type_codes.def).
T of_code(uint32_t c) { return of_type(kTypeCodeRows[c].type); }

// The abstract type a Need asks a register or constant for.
T of_need(Need n) {
  switch (n) {
    case Need::Int: return T::Int;
    case Need::Float: return T::Float;
    case Need::String: return T::String;
    case Need::Bool: return T::Bool;
    case Need::List: return T::List;
    default: return T::Dyn;
  }
}

// "an int", for messages about a constant operand.
const char* need_text(Need n) {
  switch (n) {
    case Need::Int: return "an int";
    case Need::Float: return "a float";
    case Need::String: return "a string";
    case Need::Bool: return "a bool";
    case Need::List: return "a list";
    default: return "a";
  }
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
  // The bits of ChunkResult, in order: the types' names, then dynamic.
  static const char* const kNames[] = {type_name(Type::Int), type_name(Type::Float), type_name(Type::String),
                                       type_name(Type::Bool), "a value checked when it runs"};
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
    const Effect& fx = kEffects[op];
    const Kind kinds[3] = {info.a, info.b, info.c};
    const uint32_t ops[3] = {in.a, in.b, in.c};
    for (int i = 0; i < 3; ++i) {
      if (kinds[i] == Kind::K && fx.need[i] != Need::None && const_type(ops[i]) != of_need(fx.need[i]))
        return fmt::format("{} needs {} constant", op_name(in.op), need_text(fx.need[i]));
      if (fx.need[i] == Need::Args && ops[i] + fns_[in.b]->arity > c_.nregs) return "call arguments out of range";
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

  // One reachable instruction: the types it reads, what it writes, where
  // control goes, all from its row of OP_TYPES.
  std::string step(const Instr& in) {
    const auto op = static_cast<uint8_t>(in.op);
    const Effect& fx = kEffects[op];
    const Kind kinds[3] = {kInfo[op].a, kInfo[op].b, kInfo[op].c};
    const uint32_t ops[3] = {in.a, in.b, in.c};
    std::string e;
    for (int i = 0; i < 3; ++i) {
      if (kinds[i] != Kind::R) continue;  // constant operands: check_alone
      switch (fx.need[i]) {
        case Need::None: break;
        case Need::Args:
          for (uint32_t k = 0; k < fns_[in.b]->arity; ++k)
            if (!(e = need(ops[i] + k, T::Dyn)).empty()) return e;
          break;
        case Need::Result:
          if (!(e = need(ops[i], c_.result == Type::Unknown ? T::Dyn : of_type(c_.result))).empty()) return e;
          returns_ |= result_bit(regs_[ops[i]]);
          break;
        default:
          if (!(e = need(ops[i], of_need(fx.need[i]))).empty()) return e;
      }
    }
    switch (fx.writes) {
      case Writes::None: break;
      case Writes::Int: regs_[in.a] = T::Int; break;
      case Writes::Float: regs_[in.a] = T::Float; break;
      case Writes::String: regs_[in.a] = T::String; break;
      case Writes::Bool: regs_[in.a] = T::Bool; break;
      case Writes::Dyn: regs_[in.a] = T::Dyn; break;
      case Writes::Copy: regs_[in.a] = regs_[in.b]; break;
      case Writes::Const: regs_[in.a] = const_type(in.b); break;
      case Writes::Code: regs_[in.a] = of_code(in.c); break;
      case Writes::Call: regs_[in.a] = call_result(*fns_[in.b], in.c); break;
    }
    switch (fx.flow) {
      case Flow::End: return "";
      case Flow::Goto: flow(in.b); return "";
      case Flow::Branch: flow(in.b); break;
      case Flow::Next: break;
    }
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
constexpr uint8_t kInExpect = kAtEvent | kCtxStart;     // an expect's where
constexpr uint8_t kExpectActions = kInExpect | kCtxValue;  // its then and else (`arrived`)
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
    for (size_t i = 0; i < p_.consts.size() && ok(); ++i) constant(p_.consts[i], fmt::format("constant {}", i));
    for (const Filter& f : p_.filters) filter(f);
    for (const Rule& r : p_.rules) rule(r);
    for (const Machine& m : p_.machines) machine(m);
    for (const Recorder& r : p_.recorders) recorder(r);
    for (const Profile& pr : p_.profiles) profile(pr);
    if (!ok()) return err_;
    for (size_t i = 0; i < p_.chunks.size(); ++i)
      if (Outcome code = verify_chunk(p_, fns_, i, uses_[i]); !code)
        return fmt::format("chunk {}: {}", i, code.error());
    return "";
  }

 private:
  bool ok() const { return err_.empty(); }
  void fail(std::string msg) {
    if (err_.empty()) err_ = std::move(msg);
  }

  // A chunk index (in range or -1: the schema check) that `role` runs; -1
  // (none) only where `optional` (where the schema allows it, but the kind
  // of the block needs a chunk, the message says so).
  void chunk(int32_t c, bool optional, const std::string& role, uint8_t context, uint8_t results) {
    if (c == -1 && optional) return;
    if (c < 0 || static_cast<size_t>(c) >= p_.chunks.size())
      return fail(fmt::format("{} names chunk {}, but the program has {}", role, c, p_.chunks.size()));
    uses_[c].push_back({role, context, results});
  }

  // A template index (in range or -1): its holes run in `context`.
  void tmpl(int32_t t, const std::string& role, uint8_t context) {
    if (t < 0 || static_cast<size_t>(t) >= p_.templates.size()) return;
    for (const TemplatePart& part : p_.templates[t].parts) chunk(part.chunk, true, role, context, kResAny);
  }

  // An event pattern as the grammar writes one: "*", a name, or a name and
  // ".*"; a name is parts joined by dots, each a letter or '_' and then
  // letters, digits and '_'.
  static bool valid_pattern(std::string_view p) {
    if (p == "*") return true;
    if (p.ends_with(".*")) p.remove_suffix(2);
    bool part_start = true;
    for (const char ch : p) {  // ASCII only, whatever the locale
      const bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
      if (ch == '.' && !part_start) part_start = true;
      else if (letter || (!part_start && ch >= '0' && ch <= '9')) part_start = false;
      else return false;
    }
    return !part_start;
  }

  // A constant index that must hold an int (durations).
  void duration(int64_t k, bool optional, const std::string& what) {
    if (k == -1 && optional) return;
    if (k < 0 || static_cast<size_t>(k) >= p_.consts.size() || p_.consts[k].type != Type::Int)
      fail(fmt::format("{} is not an int constant (constant {})", what, k));
  }

  void constant(const Const& c, const std::string& what) {
    if (c.type == Type::Unknown) return fail(fmt::format("{} has a bad type ({})", what, type_name(c.type)));
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
      if (a.kind == ActionKind::Verdict && !enum_row(a.level).verdict)
        return fail(fmt::format("{} has a bad verdict level ({})", what, level_name(a.level)));
      if (a.kind == ActionKind::Alert && !enum_row(a.severity).written)
        return fail(fmt::format("{} has a bad alert severity ({})", what, alert_severity_name(a.severity)));
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
      if (a.kind == ActionKind::Enable) {
        if (!valid_pattern(a.name)) return fail(fmt::format("{} enables a bad pattern ({:?})", what, a.name));
        duration(a.for_k, false, fmt::format("the 'for' of {}", what));
      } else if (a.for_k != -1 || a.min_severity != Severity::Debug) {
        return fail(fmt::format("{} has enable settings but is not an enable", what));
      }
      // collect recorder / discard name a recorder (in range: the schema check); discard a keyed one.
      const bool names_recorder = a.kind == ActionKind::CollectRecorder || a.kind == ActionKind::Discard;
      if (names_recorder != (a.recorder != -1))
        return fail(fmt::format("{} {} a recorder", what, names_recorder ? "does not name" : "names"));
      if (a.kind == ActionKind::Discard && p_.recorders[a.recorder].key.empty())
        return fail(fmt::format("{} discards recorder '{}', which has no key", what, p_.recorders[a.recorder].name));
      if (a.kind == ActionKind::CollectSnapshot && (a.name.empty() || a.name.size() > kMaxSnapshotName))
        return fail(fmt::format("{} names a snapshot of {} bytes (1 to {})", what, a.name.size(), kMaxSnapshotName));
    }
  }

  void recorder(const Recorder& r) {
    const std::string block = fmt::format("recorder '{}'", r.name);
    if (r.capacity < 1 || r.capacity > kMaxRecorderCapacity)
      return fail(fmt::format("{} has capacity {} (1 to {})", block, r.capacity, kMaxRecorderCapacity));
    if (r.patterns.empty()) return fail(fmt::format("{} keeps no pattern", block));
    for (const std::string& pt : r.patterns)
      if (!valid_pattern(pt)) return fail(fmt::format("{} keeps a bad pattern ({:?})", block, pt));
    duration(r.idle_k, true, "the 'idle' of " + block);
    if (r.idle_k != -1 && r.key.empty()) return fail(fmt::format("{} has 'idle' but no key", block));
  }

  void filter(const Filter& f) {
    const std::string block = fmt::format("filter '{}'", f.name);
    if (!(f.fraction >= 0 && f.fraction <= 1)) return fail(fmt::format("{} samples a fraction outside [0, 1]", block));
    chunk(f.where, true, "the where of " + block, kAtEvent, kResBool);
  }

  void rule(const Rule& r) {
    const std::string block = fmt::format("rule '{}'", r.name);
    chunk(r.where, true, "the where of " + block, kAtEvent, kResBool);
    actions(r.actions, block, kAtEvent);
    for (size_t i = 0; i < r.whens.size() && ok(); ++i) {
      const When& w = r.whens[i];
      const std::string wb = fmt::format("when {} of {}", i, block);
      const AggRow& agg = enum_row(w.agg);  // aggregates.def: its arguments and what they must be
      if (agg.args == 0 && w.arg != -1) return fail(fmt::format("{}: {}() takes no value", wb, agg.name));
      if (!(w.q >= 0 && w.q <= 1)) return fail(fmt::format("{} has a quantile outside [0, 1]", wb));
      if (agg.args > 0)
        chunk(w.arg, false, "the aggregated value of " + wb, kAtEvent, agg.numeric ? kResChecked : uint8_t{kResAny});
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
      duration(x.count_k, true, "the count of " + xb);
      actions(x.then_actions, "the then of " + xb, kExpectActions);
      actions(x.else_actions, "the else of " + xb, kExpectActions);
    }
  }

  void machine(const Machine& m) {
    const std::string block = fmt::format("machine '{}'", m.name);
    for (const MachineState& st : m.states) {
      for (size_t i = 0; i < st.transitions.size() && ok(); ++i) {
        const Transition& t = st.transitions[i];
        const std::string tb = fmt::format("transition {} of state '{}' of {}", i, st.name, block);
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
      if (!same_shape(p_.consts[idx], c))
        return fail(fmt::format("{} overrides constant {} with another type", block, idx));
      constant(c, fmt::format("the value {} gives constant {}", block, idx));
    }
    for (const auto& lv : pr.levels)
      if (!enum_row(lv.second).profile)
        return fail(fmt::format("{} has a bad rule level ({})", block, level_name(lv.second)));
    const Budget& b = pr.budget;  // -1 / 0: no budget
    if (b.disk < -1 || b.recorder_memory < -1 || b.dumps < -1 || (b.dumps == -1) != (b.dumps_period == 0) ||
        b.dumps_period < 0)
      return fail(fmt::format("{} has a bad budget (disk {}, dumps {} per {}ns, recorder_memory {})", block, b.disk,
                              b.dumps, b.dumps_period, b.recorder_memory));
    if (!(b.cpu >= 0 && b.cpu <= 1)) return fail(fmt::format("{} has a cpu budget outside [0, 1]: {}", block, b.cpu));
  }

  const Program& p_;
  const std::vector<const Builtin*>& fns_;
  std::vector<std::vector<ChunkUse>> uses_;  // per chunk: the blocks that run it
  std::string err_;
};

}  // namespace

Outcome verify_chunk(const Program& prog, const std::vector<const Builtin*>& fns, size_t index,
                     const std::vector<ChunkUse>& uses) {
  std::string err = Verifier(prog, fns, prog.chunks[index], uses).run();
  if (!err.empty()) return fail(std::move(err));
  return Outcome::success();
}

Outcome verify_program(const Program& prog, const std::vector<const Builtin*>& fns) {
  std::string err = Structure(prog, fns).run();
  if (!err.empty()) return fail(std::move(err));
  return Outcome::success();
}

}  // namespace dta
