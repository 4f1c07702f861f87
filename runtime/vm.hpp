// The bytecode interpreter. Runs one verified chunk against one event.
#pragma once
#include "dta/arena.hpp"
#include "dta/builtin.hpp"
#include "dta/event.hpp"
#include "dta/program.hpp"

namespace dta {

// What a chunk may read: the program, the profile's constant values, the
// program-key -> interned-key map, the engine's names, scratch memory and a
// register file of at least 256 values.
struct VmEnv {
  const Program* prog = nullptr;
  const Value* k = nullptr;
  const uint32_t* keymap = nullptr;
  const Builtin* const* fns = nullptr;
  const Interner* names = nullptr;
  Arena* arena = nullptr;
  Value* regs = nullptr;
};

// Runs `chunk` on `ev`; on Status::Ok, *out holds the result.
Status vm_run(const VmEnv& env, const Chunk& chunk, const Event& ev, Value* out);

}  // namespace dta
