// Ctrl-C while a REPL command runs: SIGINT is blocked and received on a
// descriptor (signalfd) for the command's duration, and long loops poll it,
// so the command stops and the REPL stays. No handler, no global flag.
#pragma once

namespace dta::repl {

class InterruptWatch {
 public:
  // Starts watching: SIGINT is blocked and queued on a descriptor.
  InterruptWatch();
  // Stops: a Ctrl-C that came is taken, SIGINT's mask is restored.
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;
  // Whether Ctrl-C was pressed since the watch began (stays true once seen).
  bool interrupted();
  // Forgets a Ctrl-C seen before (called before each command).
  void reset();

 private:
  int fd_ = -1;
  bool seen_ = false;
  bool was_blocked_ = false;
};

}  // namespace dta::repl
