// The corpus replayer (SQLite fuzzcheck style): runs the harness entry
// functions over corpus and regression files with the normal compiler, so
// every input that ever broke DTA is replayed by ctest.
//
//   dta_fuzz_replay [--isolate] [--timeout SECONDS] --policy PATH... --dtb PATH... --jsonl PATH... --state PATH...
//
// A PATH is a file or a directory (its regular files, sorted; dotfiles and
// README* skipped). In-process (the default) a crash or hang stops the run
// and names the file. --isolate runs each file in a child process and prints
// its outcome (ok, crash, hang), to triage inputs that are not fixed yet.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace fs = std::filesystem;

namespace {

using Entry = int (*)(const uint8_t*, size_t);

constexpr unsigned kDefaultTimeoutSeconds = 10;  // one corpus file takes milliseconds; this is a hang
// --isolate: a runaway allocation fails instead of swapping (not under ASan).
constexpr rlim_t kChildMemoryBytes = rlim_t{4} << 30;
constexpr double kSlowFileSeconds = 1.0;  // worth a line in the summary: the suite must stay fast

struct Input {
  const char* target;
  Entry entry;
  std::string path;
};

// The file being replayed, for the signal handlers (they can read nothing else).
const char* g_current = "";

void write_stderr(const char* s) { [[maybe_unused]] ssize_t n = write(STDERR_FILENO, s, std::strlen(s)); }

// SIGALRM: the current file ran past the timeout.
extern "C" void on_alarm(int) {
  write_stderr("\nfuzz replay: HANG (timeout) on ");
  write_stderr(g_current);
  write_stderr("\n");
  _exit(2);
}

// The handlers that were installed before ours (a sanitizer's), by signal.
struct sigaction g_previous[NSIG];

// SIGSEGV, SIGABRT, ...: name the file, put back the previous handler and
// return, so the fault happens again and that handler (a sanitizer's report,
// or the default) deals with it.
extern "C" void on_crash(int sig) {
  write_stderr("\nfuzz replay: CRASH on ");
  write_stderr(g_current);
  write_stderr("\n");
  sigaction(sig, &g_previous[sig], nullptr);
}

bool read_bytes(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = std::move(ss).str();
  return true;
}

// The files under `path` (itself when it is a file), sorted.
std::vector<std::string> files_of(const std::string& path) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return {path};
  for (const auto& e : fs::directory_iterator(path, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file(ec) || name.empty() || name[0] == '.' || name.rfind("README", 0) == 0) continue;
    out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Runs one input in this process; returns false when it could not be read or is oversized.
bool run_one(const Input& in, double* seconds) {
  std::string bytes;
  if (!read_bytes(in.path, &bytes)) {
    std::fprintf(stderr, "fuzz replay: cannot read %s\n", in.path.c_str());
    return false;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = in.entry(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (rc < 0) {
    std::fprintf(stderr, "fuzz replay: %s is larger than the %s harness accepts\n", in.path.c_str(), in.target);
    return false;
  }
  return true;
}

int run_in_process(const std::vector<Input>& inputs, unsigned timeout) {
  signal(SIGALRM, on_alarm);
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) {
    struct sigaction sa {};
    sa.sa_handler = on_crash;
    sigaction(sig, &sa, &g_previous[sig]);
  }
  const auto t0 = std::chrono::steady_clock::now();
  int failed = 0;
  std::vector<std::pair<double, std::string>> slow;
  for (const Input& in : inputs) {
    g_current = in.path.c_str();
    alarm(timeout);
    double secs = 0;
    if (!run_one(in, &secs)) ++failed;
    alarm(0);
    if (secs > kSlowFileSeconds) slow.emplace_back(secs, in.path);
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& [secs, path] : slow) std::printf("slow: %s took %.2f s\n", path.c_str(), secs);
  std::printf("fuzz replay: %zu files, %d failed, %.2f s\n", inputs.size(), failed, total);
  return failed ? 1 : 0;
}

// Each input in a child process, with its outcome on stdout.
int run_isolated(const std::vector<Input>& inputs, unsigned timeout) {
  int bad = 0;
  for (const Input& in : inputs) {
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
      alarm(timeout);
      signal(SIGALRM, SIG_DFL);
#if !defined(__SANITIZE_ADDRESS__)  // ASan reserves terabytes of address space for its shadow
      const rlimit mem{kChildMemoryBytes, kChildMemoryBytes};
      setrlimit(RLIMIT_AS, &mem);
#endif
      const int devnull = open("/dev/null", O_WRONLY);  // the child's sanitizer reports would bury the table
      if (devnull >= 0) dup2(devnull, STDERR_FILENO);
      double secs = 0;
      _exit(run_one(in, &secs) ? 0 : 3);
    }
    const auto t0 = std::chrono::steady_clock::now();
    int status = 0;
    waitpid(pid, &status, 0);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::string outcome = "ok";
    if (WIFSIGNALED(status))
      outcome = WTERMSIG(status) == SIGALRM ? "HANG" : std::string("CRASH ") + strsignal(WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
      outcome = "FAIL exit " + std::to_string(WEXITSTATUS(status));
    else if (secs > kSlowFileSeconds)
      outcome = "SLOW";
    if (outcome != "ok") ++bad;
    std::printf("%-6s %-24s %7.2f s  %s\n", in.target, outcome.c_str(), secs, in.path.c_str());
  }
  std::printf("fuzz replay (isolated): %zu files, %d crash, hang or slow\n", inputs.size(), bad);
  return bad ? 1 : 0;
}

int usage() {
  std::fprintf(
      stderr,
      "usage: dta_fuzz_replay [--isolate] [--timeout SECONDS] --policy PATH... --dtb PATH... --jsonl PATH... --state PATH...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool isolate = false;
  unsigned timeout = kDefaultTimeoutSeconds;
  const char* target = nullptr;
  Entry entry = nullptr;
  std::vector<Input> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--isolate")
      isolate = true;
    else if (arg == "--timeout" && i + 1 < argc) {
      const std::string_view v = argv[++i];  // seconds, decimal (from_chars: whatever the locale)
      if (std::from_chars(v.data(), v.data() + v.size(), timeout).ptr != v.data() + v.size()) return usage();
    }
    else if (arg == "--policy")
      target = "policy", entry = dta::fuzz::fuzz_policy;
    else if (arg == "--dtb")
      target = "dtb", entry = dta::fuzz::fuzz_dtb;
    else if (arg == "--jsonl")
      target = "jsonl", entry = dta::fuzz::fuzz_jsonl;
    else if (arg == "--state")
      target = "state", entry = dta::fuzz::fuzz_state;
    else if (!arg.empty() && arg[0] == '-')
      return usage();
    else if (!entry)
      return usage();
    else
      for (std::string& f : files_of(arg)) inputs.push_back({target, entry, std::move(f)});
  }
  if (inputs.empty() || timeout == 0) return usage();
  return isolate ? run_isolated(inputs, timeout) : run_in_process(inputs, timeout);
}
