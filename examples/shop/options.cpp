// shop's command line: every option checked, a clear message otherwise.
#include "options.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace shop {

namespace {

constexpr int kMaxThreads = 256;               // a simulation, not a load generator
constexpr double kMaxSeconds = 24 * 3600.0;    // one day
constexpr size_t kMaxQueue = size_t{1} << 26;  // 64M events: the ring is preallocated
constexpr int kMaxRush = 100000;               // orders put at once: enough to back any queue up

constexpr const char* kUsage =
    "usage: shop --policy FILE [--profile P] [--seconds N] [--threads T] [--json] [--sync]\n"
    "            [--queue N] [--verbose] [--defect NAME[,NAME]] [--healthy] [--faults]\n"
    "            [--rush N] [--verdict] [--alertmanager URL] [--metrics HOST:PORT]\n"
    "            [--out DIR]\n"
    "  a small multi-threaded shop (a queue, workers, a database) audited in-process by DTA.\n"
    "  Editing FILE reloads it; SIGHUP reloads it too; SIGUSR1 turns the\n"
    "  debug traces (shop.*) on for 2 s; SIGINT/SIGTERM end the run early.\n"
    "  --alertmanager http://127.0.0.1:9093 also sends the alerts to Alertmanager (API v2);\n"
    "  --metrics 127.0.0.1:9464 serves Prometheus metrics at /metrics (port 0: a free port, printed).\n"
    "  --out DIR: where the policy's collections (flight-recorder dumps) go (default dta-out).\n"
    "  Test rings: --defect seeds a bug (leak, retry_storm, no_finish, slow_path, swallow,\n"
    "  wrong_status, lock_long, queue_wait, double_close, card_in_reason); --healthy turns off\n"
    "  the shop's own random failures; --faults allows the profile's fault injection; --rush N\n"
    "  orders at once every 3 s (default 100, 0 none); --verdict exits 1 when the verdict fails.\n"
    "  Exit: 0 done, 1 the accounting does not add up (or, with --verdict, the verdict is fail),\n"
    "  2 bad arguments or a policy that does not load.\n";

bool bad(const std::string& why) {
  std::fprintf(stderr, "shop: %s\n%s", why.c_str(), kUsage);
  return false;
}

template <class T>
bool parse_number(std::string_view text, T& out) {
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && p == end;
}

}  // namespace

std::optional<Options> parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view& v) {
      if (i + 1 >= argc) return bad(std::string(a) + " needs a value");
      v = argv[++i];
      return true;
    };
    std::string_view v;
    if (a == "--json") {
      o.json = true;
    } else if (a == "--sync") {
      o.sync = true;
    } else if (a == "--verbose" || a == "-v") {
      o.verbose = true;
    } else if (a == "--healthy") {
      o.healthy = true;
    } else if (a == "--faults") {
      o.faults = true;
    } else if (a == "--verdict") {
      o.verdict = true;
    } else if (a == "--defect") {
      if (!value(v)) return std::nullopt;
      for (size_t start = 0; start <= v.size();) {
        const size_t comma = std::min(v.find(',', start), v.size());
        const std::string_view name = v.substr(start, comma - start);
        std::optional<Defect> d = parse_defect(name);
        if (!d)
          return bad("unknown defect '" + std::string(name) + "' (one of " + defect_names() + ")"), std::nullopt;
        o.defects.set(*d);
        start = comma + 1;
      }
    } else if (a == "--rush") {
      if (!value(v)) return std::nullopt;
      if (!parse_number(v, o.rush) || o.rush < 0 || o.rush > kMaxRush)
        return bad("--rush wants 0 to 100000 orders, not '" + std::string(v) + "'"), std::nullopt;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--policy") {
      if (!value(v)) return std::nullopt;
      o.policy = v;
    } else if (a == "--profile") {
      if (!value(v)) return std::nullopt;
      o.profile = v;
    } else if (a == "--seconds") {
      if (!value(v)) return std::nullopt;
      if (!parse_number(v, o.seconds) || !(o.seconds > 0) || o.seconds > kMaxSeconds)
        return bad("--seconds wants a number of seconds in (0, 86400], not '" + std::string(v) + "'"), std::nullopt;
    } else if (a == "--threads") {
      if (!value(v)) return std::nullopt;
      if (!parse_number(v, o.threads) || o.threads < 1 || o.threads > kMaxThreads)
        return bad("--threads wants 1 to 256 workers, not '" + std::string(v) + "'"), std::nullopt;
    } else if (a == "--alertmanager") {
      if (!value(v)) return std::nullopt;
      o.alertmanager = v;
    } else if (a == "--metrics") {
      if (!value(v)) return std::nullopt;
      o.metrics = v;
    } else if (a == "--queue") {
      if (!value(v)) return std::nullopt;
      if (!parse_number(v, o.queue) || o.queue < 1 || o.queue > kMaxQueue)
        return bad("--queue wants 1 to 67108864 events, not '" + std::string(v) + "'"), std::nullopt;
    } else if (a == "--out") {
      if (!value(v)) return std::nullopt;
      if (v.empty()) return bad("--out wants a directory"), std::nullopt;
      o.out = v;
    } else {
      return bad("unknown argument '" + std::string(a) + "'"), std::nullopt;
    }
  }
  if (o.policy.empty()) return bad("--policy FILE is required"), std::nullopt;
  return o;
}

}  // namespace shop
