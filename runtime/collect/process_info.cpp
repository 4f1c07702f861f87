// `collect process` (process_info.hpp): RSS and threads from
// /proc/self/status, CPU time from getrusage, open files by counting
// /proc/self/fd. Only small reads of the process's own pseudo-files.
#include "collect/process_info.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace dta {
namespace {

// The number after `key` in /proc/self/status ("VmRSS:  1234 kB"), or -1.
int64_t status_value(const char* key) {
  std::FILE* f = std::fopen("/proc/self/status", "re");
  if (!f) return -1;
  char line[256];
  int64_t v = -1;
  const size_t n = std::strlen(key);
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, key, n) == 0 && line[n] == ':') {
      long long x = 0;
      if (std::sscanf(line + n + 1, "%lld", &x) == 1) v = x;
      break;
    }
  std::fclose(f);
  return v;
}

int64_t open_files() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  int64_t n = 0;
  while (const dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n - 1;  // the directory stream's own descriptor
}

}  // namespace

std::string process_info_json(int64_t ts) {
  std::string out = fmt::format("{{\"ts\":{},\"pid\":{}", ts, static_cast<long>(getpid()));
  if (const int64_t kb = status_value("VmRSS"); kb >= 0) out += fmt::format(",\"rss_bytes\":{}", kb * 1024);
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    auto ns = [](const timeval& tv) { return static_cast<int64_t>(tv.tv_sec) * 1000000000 + tv.tv_usec * 1000; };
    out += fmt::format(",\"cpu_user_ns\":{},\"cpu_system_ns\":{}", ns(ru.ru_utime), ns(ru.ru_stime));
  }
  if (const int64_t t = status_value("Threads"); t >= 0) out += fmt::format(",\"threads\":{}", t);
  if (const int64_t f = open_files(); f >= 0) out += fmt::format(",\"open_files\":{}", f);
  out += "}\n";
  return out;
}

}  // namespace dta
