// The bytecode verifier: a program passes it before any of it may run,
// whether it came from the compiler or from a .dtb file. It checks the
// program's structure (every index, enum and constant), then every chunk's
// code against every block that runs it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dta/builtin.hpp"
#include "dta/expected.hpp"
#include "dta/program.hpp"

namespace dta {

// What a block gives the chunks it runs (bits of ChunkUse::context); the
// OP_NEEDS annotations of opcodes.def name the same bits.
enum ChunkContext : uint8_t {
  kCtxEvent = 1,     // the event being processed
  kCtxValue = 2,     // a `when` block's aggregate value, an expectation's `arrived`
  kCtxStart = 4,     // an expectation's first event
  kCtxMachines = 8,  // the engine's machines
  kCtxAll = 15,
};

// What a chunk may return (bits of ChunkUse::results): the types its
// reachable RETs can hand back, "dynamic" being a value checked at run time.
enum ChunkResult : uint8_t {
  kResInt = 1,
  kResFloat = 2,
  kResString = 4,
  kResBool = 8,
  kResDynamic = 16,
  kResNumber = kResInt | kResFloat,
  kResAny = 31,
};

// One place that runs a chunk: what it is called in messages ("where of rule
// 'r'"), the context it runs the chunk in, the results it accepts.
struct ChunkUse {
  std::string role;
  uint8_t context = kCtxAll;
  uint8_t results = kResAny;
};

// Checks chunk `index` of `prog` for `uses` (none: only its code): every
// instruction, reachable or not, has a valid opcode, operands in range
// (registers, constants of the right type, keys, functions with their
// arguments, regexes, machines, type codes, forward jump targets) and needs
// no context a use lacks; on every path each register an instruction reads
// holds the type it expects; every use accepts what the chunk returns.
// `fns` are the resolved builtins. Success, or what is wrong.
Outcome verify_chunk(const Program& prog, const std::vector<const Builtin*>& fns, size_t index,
                         const std::vector<ChunkUse>& uses);

// Checks the whole program (the rules are listed in the README), which must
// have passed check_schema (every enum and index in range): every constant's
// shape, what each kind of block and action carries, the role of each chunk,
// then each chunk with verify_chunk. `fns` are the resolved builtins.
// Success, or the first thing that is wrong.
Outcome verify_program(const Program& prog, const std::vector<const Builtin*>& fns);

}  // namespace dta
