// Pass: bytecode verification (abstract interpretation of register types over
// forward-only control flow, so one walk in pc order suffices).
#include "verifier.hpp"

#include <array>
#include <fmt/format.h>
#include <optional>

namespace dta {
namespace {

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
  static constexpr T kAfter[] = {T::Int, T::Float, T::String, T::Bool, T::Dyn, T::Dyn};
  return kAfter[c];
}

T merge(T x, T y) {
  if (x == y) return x;
  if (x == T::Uninit || y == T::Uninit || x == T::List || y == T::List) return T::Uninit;
  return T::Dyn;
}

using Regs = std::array<T, 256>;

class Verifier {
 public:
  Verifier(const Program& p, const std::vector<const Builtin*>& fns, const Chunk& c)
      : p_(p), fns_(fns), c_(c) {}

  std::string run() {
    const size_t n = c_.code.size();
    if (n == 0) return "empty chunk";
    if (n > 65535) return "chunk too long";
    if (c_.lines.size() != n) return "line table does not match the code";
    if (c_.nregs == 0 || c_.nregs > 256) return "bad register count";
    in_.assign(n, std::nullopt);
    Regs start;
    start.fill(T::Uninit);
    in_[0] = start;
    for (pc_ = 0; pc_ < n; ++pc_) {
      if (!in_[pc_]) continue;  // unreachable
      regs_ = *in_[pc_];
      std::string err = step(c_.code[pc_]);
      if (!err.empty()) return fmt::format("pc {}: {}", pc_, err);
    }
    return "";
  }

 private:
  void flow(size_t target) {
    if (!in_[target]) in_[target] = regs_;
    else
      for (int r = 0; r < 256; ++r) (*in_[target])[r] = merge((*in_[target])[r], regs_[r]);
  }

  std::string operand(Kind k, uint32_t v, const char* which) {
    switch (k) {
      case Kind::R: if (v >= c_.nregs) return fmt::format("register {} out of range ({})", v, which); break;
      case Kind::K: if (v >= p_.consts.size()) return fmt::format("constant {} out of range", v); break;
      case Kind::F: if (v >= p_.keys.size()) return fmt::format("field key {} out of range", v); break;
      case Kind::J: if (v <= pc_ || v >= c_.code.size()) return fmt::format("bad jump target {}", v); break;
      case Kind::N: if (v >= fns_.size() || !fns_[v]) return fmt::format("function {} out of range", v); break;
      case Kind::X: if (v >= p_.regexes.size()) return fmt::format("regex {} out of range", v); break;
      case Kind::M: if (v >= p_.machines.size()) return fmt::format("machine {} out of range", v); break;
      case Kind::T: if (v > 5) return fmt::format("bad type code {}", v); break;
      case Kind::U: break;
    }
    return "";
  }

  std::string need(uint32_t r, T t) {
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

  T const_type(uint32_t k) const { return of_type(p_.consts[k].type); }

  std::string step(const Instr& in) {
    const auto op = static_cast<uint8_t>(in.op);
    if (op >= kOpCount) return fmt::format("bad opcode {}", op);
    const OpInfo& info = kInfo[op];
    for (auto [k, v, w] : {std::tuple{info.a, uint32_t{in.a}, "a"}, std::tuple{info.b, uint32_t{in.b}, "b"},
                           std::tuple{info.c, uint32_t{in.c}, "c"}}) {
      std::string e = operand(k, v, w);
      if (!e.empty()) return e;
    }
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
      if (const_type(in.c) != in_t) return "constant of the wrong type";
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
      case Op::IN_K:
        NEED(in.b, T::Dyn);
        if (const_type(in.c) != T::List) return "IN_K needs a list constant";
        regs_[in.a] = T::Bool;
        break;
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
        if (uint32_t{in.c} + fn->arity > c_.nregs) return "call arguments out of range";
        for (uint32_t i = 0; i < fn->arity; ++i) NEED(in.c + i, T::Dyn);
        regs_[in.a] = call_result(*fn, in.c);
        break;
      }
      case Op::MATCH: NEED(in.b, T::String); regs_[in.a] = T::Bool; break;
      case Op::RET:
        NEED(in.a, c_.result == Type::Unknown ? T::Dyn : of_type(c_.result));
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
  std::vector<std::optional<Regs>> in_;
  Regs regs_{};
  size_t pc_ = 0;
};

}  // namespace

std::string verify_chunk(const Program& prog, const std::vector<const Builtin*>& fns, size_t index) {
  return Verifier(prog, fns, prog.chunks[index]).run();
}

}  // namespace dta
