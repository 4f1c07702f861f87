// The operand kinds of every opcode, from opcodes.def, for the verifier
// (which checks them) and the disassembler (which shows them).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

#include "dta/program.hpp"

namespace dta {

// R register, K constant, F field key, J jump target, N builtin, X regex,
// M machine, T type code (opcodes.def writes it Y), U unused (written _).
enum class Operand : uint8_t { R, K, F, J, N, X, M, T, U };

struct OpOperands {
  Operand a, b, c;
};

constexpr std::array<OpOperands, kOpCount> op_operands_table() {
  constexpr Operand R = Operand::R, K = Operand::K, F = Operand::F, J = Operand::J, N = Operand::N,
                    X = Operand::X, M = Operand::M, Y = Operand::T, _ = Operand::U;
  std::array<OpOperands, kOpCount> t{};
  size_t i = 0;
#define OP(name, a, b, c, syn) t[i++] = {a, b, c};
#include "dta/opcodes.def"
#undef OP
  (void)R, (void)K, (void)F, (void)J, (void)N, (void)X, (void)M, (void)Y, (void)_;
  return t;
}
// kOpOperands[op]: the kinds of operands a, b and c of opcode op.
inline constexpr std::array<OpOperands, kOpCount> kOpOperands = op_operands_table();

}  // namespace dta
