// Ctrl-C while a REPL command runs (interrupt.hpp).
#include "interrupt.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace dta::repl {

InterruptWatch::InterruptWatch() {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  if (sigprocmask(SIG_BLOCK, &set, &old) != 0) return;
  was_blocked_ = sigismember(&old, SIGINT) == 1;
  fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

InterruptWatch::~InterruptWatch() {
  if (fd_ < 0) return;
  interrupted();  // take a pending Ctrl-C, so unblocking does not deliver it
  ::close(fd_);
  if (!was_blocked_) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
  }
}

void InterruptWatch::reset() {
  interrupted();
  seen_ = false;
}

bool InterruptWatch::interrupted() {
  if (seen_ || fd_ < 0) return seen_;
  signalfd_siginfo info;
  while (::read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) seen_ = true;
  return seen_;
}

}  // namespace dta::repl
