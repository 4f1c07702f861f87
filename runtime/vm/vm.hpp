// The bytecode interpreter. Runs one verified chunk against one event.
#pragma once
#include "dta/arena.hpp"
#include "dta/builtin.hpp"
#include "dta/event.hpp"
#include "dta/program.hpp"

namespace dta {

// The engine's machine states, for state(machine, key).
class StateLookup {
 public:
  virtual ~StateLookup() = default;
  // The current state's name of machine `machine` for `key`, or "".
  virtual std::string_view state_of(uint32_t machine, const Value& key) const = 0;
};

// What a chunk may read: the program, the profile's constant values, the
// program-key -> interned-key map, the engine's names, scratch memory, a
// register file of at least 256 values, and the context of state blocks
// (a `when`'s value, an expectation's first event, the machines).
struct VmEnv {
  const Program* prog = nullptr;
  const Value* k = nullptr;
  const uint32_t* keymap = nullptr;
  const Builtin* const* fns = nullptr;
  const Interner* names = nullptr;
  Arena* arena = nullptr;
  Value* regs = nullptr;
  const Value* window_value = nullptr;
  const Event* start = nullptr;
  const StateLookup* states = nullptr;
};

// Runs `chunk` on `ev`; on Status::Ok, *out holds the result.
Status vm_run(const VmEnv& env, const Chunk& chunk, const Event& ev, Value* out);

}  // namespace dta
