// `dta replay`'s inputs and the loop that feeds the engine: merging,
// time range, bad-line limits, following live streams, the end of time.
#include "replay_inputs.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>

#include "dta/input.hpp"
#include "live_output.hpp"
#include "replay_summary.hpp"

namespace dta::cli {
namespace {

// Events files one replay merges: each holds a descriptor and a read
// buffer, and the usual descriptor limit is 1,024.
constexpr size_t kMaxInputs = 1000;
// How long a waiting --follow sleeps before looking at its files again (and
// moving the clock): short enough that deadlines fire on time to the eye.
constexpr int kFollowPollMs = 200;
// Events between two looks for a signal while a followed backlog is read.
constexpr uint64_t kSignalCheckEvery = 1024;
// Inputs of at least this size get a progress bar on a terminal: smaller ones finish before a bar helps.
constexpr uint64_t kProgressMinBytes = 4u << 20;
constexpr uint64_t kProgressEvery = 8u << 20;
// Bad lines quoted when too many of them stop the run.
constexpr size_t kQuotedBadLines = 5;

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

int64_t wall_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A decimal number ("12", "2.5", "-3") times `per` (a power of ten), exact
// to whole units of `per`'s smallest digit; false when it is not a number or
// does not fit int64.
bool scaled_number(std::string_view t, int64_t per, int64_t* out) {
  const bool neg = !t.empty() && t[0] == '-';
  if (neg) t.remove_prefix(1);
  const size_t dot = t.find('.');
  const std::string_view whole = t.substr(0, dot), frac = dot == std::string_view::npos ? "" : t.substr(dot + 1);
  if (whole.empty() && frac.empty()) return false;
  if (dot != std::string_view::npos && frac.empty()) return false;
  int64_t v = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return false;
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, c - '0', &v)) return false;
  }
  if (__builtin_mul_overflow(v, per, &v)) return false;
  int64_t place = per;
  for (char c : frac) {
    if (c < '0' || c > '9') return false;
    place /= 10;  // digits below the unit's resolution are dropped
    if (__builtin_add_overflow(v, (c - '0') * place, &v)) return false;
  }
  *out = neg ? -v : v;
  return true;
}

// Blocks SIGINT and SIGTERM and receives them on a descriptor, so a
// following replay can print its report when interrupted (no handler, no
// global flag). The signals stay blocked until the process exits: a second
// Ctrl-C does not cut the report short.
class SignalWatch {
 public:
  SignalWatch() {
    // A shell starts background jobs with SIGINT ignored, and an ignored
    // signal never reaches a signalfd: take the default back (blocked, it
    // cannot kill the process).
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &set, nullptr) == 0) fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  }
  ~SignalWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }
  // Whether a signal came (and takes it).
  bool take() {
    signalfd_siginfo info;
    return fd_ >= 0 && ::read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info);
  }

 private:
  int fd_ = -1;
};

// A bad line kept to quote when the run stops over too many of them.
struct QuotedBad {
  std::string input;
  uint64_t line;
  std::string error;
};

// The loop: events from the merged inputs into the engine.
class Feeder {
 public:
  Feeder(Engine& engine, const InputSettings& s, MergedInput& in, CarriedFields* carried, FeedResult& res)
      : engine_(engine), s_(s), in_(in), carried_(carried), res_(res) {
    for (size_t i = 0; i < in_.size(); ++i) total_ += in_.input(i).stats().size;
    bar_ = !s_.follow && total_ >= kProgressMinBytes && isatty(STDERR_FILENO);
    if (s_.follow) signals_ = std::make_unique<SignalWatch>();
  }

  // Reads every input to its end (or, following, to a signal or --until).
  // False when an input error stopped the run.
  bool run() {
    const Event* ev = nullptr;
    for (;;) {
      switch (in_.next(&ev)) {
        case MergedInput::Status::Event:
          if (!event(*ev)) return finish_bar(true);
          continue;
        case MergedInput::Status::Bad:
          if (!bad()) return finish_bar(false);
          continue;
        case MergedInput::Status::Error: {
          finish_bar(false);
          const EventInput& input = in_.input(in_.source());
          std::fprintf(stderr, "%s: error: %s\n", input.name().c_str(), input.error().c_str());
          return false;
        }
        case MergedInput::Status::End:
          return finish_bar(true);
        case MergedInput::Status::Wait:
          if (!wait()) return finish_bar(true);
          continue;
      }
    }
  }

  int64_t clock() const { return clock_; }
  uint64_t before_since() const { return before_since_; }
  uint64_t after_until() const { return after_until_; }
  const std::vector<QuotedBad>& quoted() const { return quoted_; }

 private:
  using Steady = std::chrono::steady_clock;

  bool event(const Event& ev) {
    if (s_.since && ev.ts < *s_.since) {
      ++before_since_;
      return true;
    }
    if (s_.until && ev.ts >= *s_.until) {
      ++after_until_;
      return !s_.follow;  // following, the range is over
    }
    if (carried_) carried_->mark(ev);
    engine_.process(ev);
    clock_ = std::max(clock_, ev.ts);
    if (s_.follow) {
      anchor_ts_ = clock_;
      anchor_wall_ = Steady::now();
      if (++since_signal_check_ >= kSignalCheckEvery) {
        since_signal_check_ = 0;
        if (signals_->take()) return interrupted();
      }
    }
    if (bar_ && ++since_progress_ >= 4096) {
      since_progress_ = 0;
      progress();
    }
    return true;
  }

  bool bad() {
    const EventInput& input = in_.input(in_.source());
    const std::string error = in_.size() > 1 ? input.name() + ": " + input.error() : input.error();
    engine_.note_bad_input(input.line(), error);
    if (quoted_.size() < kQuotedBadLines) quoted_.push_back({input.name(), input.line(), input.error()});
    ++bad_;
    if (s_.max_bad_count && bad_ > *s_.max_bad_count) {
      std::fprintf(stderr, "error: more than %s bad line%s (--max-bad %s):\n", s_.max_bad_text.c_str(),
                   *s_.max_bad_count == 1 ? "" : "s", s_.max_bad_text.c_str());
      for (const QuotedBad& q : quoted_)
        std::fprintf(stderr, "  %s:%llu: %s\n", q.input.c_str(), static_cast<unsigned long long>(q.line),
                     escape(q.error).c_str());
      return false;
    }
    return true;
  }

  // Following and every input waits: notices, the clock, then sleep until
  // data, a signal or the next look. False to stop.
  bool wait() {
    if (!signals_) {  // not following: a descriptor that does not block (O_NONBLOCK inherited) has no data yet
      std::vector<pollfd> fds;
      for (int fd : in_.wait_fds()) fds.push_back({fd, POLLIN, 0});
      ::poll(fds.data(), fds.size(), kFollowPollMs);
      return true;
    }
    for (size_t i = 0; i < in_.size(); ++i) {
      const std::string notice = in_.input(i).take_notice();
      if (!notice.empty()) std::fprintf(stderr, "%s: note: %s\n", in_.input(i).name().c_str(), notice.c_str());
    }
    if (anchor_ts_ != INT64_MIN) {  // the stream is quiet: event time moves on with wall time
      const int64_t elapsed =
          std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now() - anchor_wall_).count();
      const int64_t target = saturating_add(anchor_ts_, elapsed - s_.lateness);
      if (target > clock_) {
        engine_.advance_to(target);
        clock_ = target;
      }
    }
    if (s_.until && clock_ >= *s_.until) return false;
    std::vector<pollfd> fds;
    for (int fd : in_.wait_fds()) fds.push_back({fd, POLLIN, 0});
    if (signals_->fd() >= 0) fds.push_back({signals_->fd(), POLLIN, 0});
    const int r = ::poll(fds.data(), fds.size(), kFollowPollMs);
    if (r < 0 && errno != EINTR) return true;
    if (signals_->take()) return interrupted();
    return true;
  }

  bool interrupted() {
    res_.interrupted = true;
    return false;
  }

  void progress() {
    uint64_t bytes = 0;
    for (size_t i = 0; i < in_.size(); ++i) bytes += in_.input(i).stats().raw_bytes;
    if (bytes < next_progress_) return;
    next_progress_ = bytes + kProgressEvery;
    const int pct = static_cast<int>(std::min<uint64_t>(bytes * 100 / total_, 100));
    const int fill = pct * 30 / 100;
    std::fprintf(stderr, "\r[%.*s%*s] %3d%% %llu MB", fill, "##############################", 30 - fill, "", pct,
                 static_cast<unsigned long long>(bytes >> 20));
    shown_bar_ = true;
  }
  bool finish_bar(bool ok) {
    if (shown_bar_) std::fputs("\r\033[K", stderr);
    shown_bar_ = false;
    return ok;
  }

  static std::string escape(const std::string& s) { return escape_for_terminal(s); }

  Engine& engine_;
  const InputSettings& s_;
  MergedInput& in_;
  CarriedFields* carried_;
  FeedResult& res_;
  std::unique_ptr<SignalWatch> signals_;  // only while following
  int64_t clock_ = INT64_MIN;             // the latest time given to the engine
  int64_t anchor_ts_ = INT64_MIN;         // following: the clock at the last event...
  Steady::time_point anchor_wall_;        // ...and when it arrived
  uint64_t bad_ = 0, before_since_ = 0, after_until_ = 0, since_signal_check_ = 0, since_progress_ = 0;
  uint64_t total_ = 0, next_progress_ = kProgressEvery;
  bool bar_ = false, shown_bar_ = false;
  std::vector<QuotedBad> quoted_;
};

// Exit 2 when an input holds no event: only bad lines (not JSON Lines), or
// nothing (unless --allow-empty or following); or too large a share of bad lines.
bool inputs_valid(const MergedInput& in, const InputSettings& s, const std::vector<QuotedBad>& quoted) {
  bool ok = true;
  uint64_t events = 0, bad = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const InputStats& st = in.input(i).stats();
    const std::string& name = in.input(i).name();
    events += st.events;
    bad += st.bad;
    if (st.events > 0) continue;
    if (st.bad > 0) {
      std::fprintf(stderr,
                   "%s: error: not JSON Lines: none of its %llu line%s is an event (line 1 starts "
                   "\"%s\")\n",
                   name.c_str(), static_cast<unsigned long long>(st.bad), st.bad == 1 ? "" : "s",
                   escape_for_terminal(st.first_bad).c_str());
      for (const QuotedBad& q : quoted)
        if (q.input == name)
          std::fprintf(stderr, "  line %llu: %s\n", static_cast<unsigned long long>(q.line),
                       escape_for_terminal(q.error).c_str());
      ok = false;
    } else if (!s.allow_empty && !s.follow) {
      std::fprintf(stderr, "%s: error: no events: %s (--allow-empty accepts it)\n", name.c_str(),
                   st.lines ? "only blank lines" : "the input is empty");
      ok = false;
    }
  }
  if (ok && s.max_bad_share && bad > 0 && static_cast<double>(bad) > *s.max_bad_share * (events + bad)) {
    std::fprintf(stderr, "error: %llu of %llu lines are bad (%.2f%%), more than --max-bad %s:\n",
                 static_cast<unsigned long long>(bad), static_cast<unsigned long long>(events + bad),
                 100.0 * static_cast<double>(bad) / static_cast<double>(events + bad), s.max_bad_text.c_str());
    for (const QuotedBad& q : quoted)
      std::fprintf(stderr, "  %s:%llu: %s\n", q.input.c_str(), static_cast<unsigned long long>(q.line),
                   escape_for_terminal(q.error).c_str());
    ok = false;
  }
  return ok;
}

}  // namespace

Expected<int64_t> parse_duration(std::string_view text) {
  struct Unit {
    std::string_view name;
    int64_t ns;
  };
  static constexpr Unit kUnits[] = {{"ns", 1},          {"us", 1000},         {"ms", 1000000},      {"s", 1000000000},
                                    {"m", 60000000000}, {"h", 3600000000000}, {"d", 86400000000000}};
  size_t split = text.size();
  while (split > 0 && ((text[split - 1] >= 'a' && text[split - 1] <= 'z'))) --split;
  const std::string_view number = text.substr(0, split), unit = text.substr(split);
  for (const Unit& u : kUnits) {
    int64_t v;
    if (unit == u.name && !number.empty() && number[0] != '-' && scaled_number(number, u.ns, &v)) return v;
  }
  return fail(fmt::format("'{}' is not a duration: a number and a unit, ns us ms s m h or d (30s, 1.5h)", text));
}

Expected<int64_t> parse_time(std::string_view text, TimeUnit unit, bool past, int64_t now_ns) {
  int64_t ns;
  if (past && text.size() > 1 && text[0] == '-') {
    const Expected<int64_t> d = parse_duration(text.substr(1));
    if (d) return saturating_add(now_ns, -*d);
  }
  if (parse_rfc3339(text, &ns)) return ns;
  if (text.size() == 10 && parse_rfc3339(std::string(text) + "T00:00:00Z", &ns)) return ns;
  if (scaled_number(text, time_unit_ns(unit), &ns)) return ns;
  return fail(
      fmt::format("'{}' is not a time: RFC 3339 (2026-11-26T10:00:00Z), a date (2026-11-26), a number "
                  "in the --ts-unit unit{}",
                  text, past ? ", or -DURATION before now (-1h)" : ""));
}

Expected<InputSettings> input_settings(const Args& args, std::vector<std::string> paths) {
  InputSettings s;
  s.paths = std::move(paths);
  if (s.paths.size() > kMaxInputs)
    return fail(fmt::format("{} events files, more than {} (concatenate some first)", s.paths.size(), kMaxInputs));
  if (std::count(s.paths.begin(), s.paths.end(), "-") > 1) return fail("standard input ('-') can be read only once");
  if (args.has("ts-unit")) {
    if (!parse_time_unit(args.get("ts-unit"), &s.jsonl.ts_unit))
      return fail(fmt::format("--ts-unit '{}': expected s, ms, us or ns", args.get("ts-unit")));
    s.jsonl.unit_given = true;
  }
  s.follow = args.has("follow");
  s.allow_empty = args.has("allow-empty");
  if (args.has("lateness")) {
    const Expected<int64_t> d = parse_duration(args.get("lateness"));
    if (!d) return fail("--lateness: " + d.error());
    s.lateness = *d;
  }
  if (args.has("max-bad")) {
    const std::string t = s.max_bad_text = args.get("max-bad");
    int64_t v;
    if (!t.empty() && t.back() == '%') {
      // as a count of 1e-6 %, exactly: "0.5%" is 500000
      if (!scaled_number(std::string_view(t).substr(0, t.size() - 1), 1000000, &v) || v < 0 || v > 100000000)
        return fail(fmt::format("--max-bad '{}': expected a count of lines or a percentage from 0% to 100%", t));
      s.max_bad_share = static_cast<double>(v) / 1e8;
    } else {
      if (!scaled_number(t, 1, &v) || v < 0 || t.find('.') != std::string::npos)
        return fail(fmt::format("--max-bad '{}': expected a count of lines (0 or more) or a percentage (1%)", t));
      s.max_bad_count = static_cast<uint64_t>(v);
    }
  }
  const int64_t now = wall_now_ns();
  for (const char* name : {"since", "until"}) {
    if (!args.has(name)) continue;
    const Expected<int64_t> t = parse_time(args.get(name), s.jsonl.ts_unit, true, now);
    if (!t) return fail(fmt::format("--{}: {}", name, t.error()));
    (std::string_view(name) == "since" ? s.since : s.until) = *t;
  }
  if (s.since && s.until && *s.until <= *s.since) return fail("--until must be later than --since");
  if (args.has("end-at")) {
    const std::string t = args.get("end-at");
    if (!t.empty() && t[0] == '+') {
      const Expected<int64_t> d = parse_duration(std::string_view(t).substr(1));
      if (!d) return fail("--end-at: " + d.error());
      s.end_after = *d;
    } else {
      const Expected<int64_t> at = parse_time(t, s.jsonl.ts_unit, false, now);
      if (!at) return fail("--end-at: " + at.error() + ", or +DURATION after the last event (+1h)");
      s.end_at = *at;
    }
  }
  return s;
}

FeedResult run_inputs(Engine& engine, const InputSettings& s, CarriedFields* carried) {
  FeedResult res;
  InputOptions options;
  options.jsonl = s.jsonl;
  options.follow = s.follow;
  MergedInput merged;
  for (const std::string& path : s.paths) {
    Expected<std::unique_ptr<EventInput>> in = EventInput::open(path, engine.symbols(), options);
    if (!in) {
      std::fprintf(stderr, "%s: error: %s\n", path.c_str(), in.error().c_str());
      res.exit = kExitInvalid;
      return res;
    }
    merged.add(std::move(*in));
  }
  Feeder feeder(engine, s, merged, carried, res);
  if (!feeder.run() || !inputs_valid(merged, s, feeder.quoted())) {
    res.exit = kExitInvalid;
    return res;
  }
  int64_t clock = feeder.clock();
  if (s.end_at || s.end_after) {  // the stream is closed at that time: what is due by then fires
    const int64_t end = s.end_at ? *s.end_at : clock == INT64_MIN ? INT64_MIN : saturating_add(clock, *s.end_after);
    if (end > clock) {
      engine.advance_to(end);
    } else if (clock != INT64_MIN) {
      res.notes.push_back(fmt::format("note: --end-at {} is not after the last event time ({}): nothing more fires",
                                      format_ts(end), format_ts(clock)));
    }
  }
  engine.finish();
  for (size_t i = 0; i < merged.size(); ++i) {
    const std::string w = epoch_1970_warning(merged.input(i).stats(), s.jsonl);
    if (!w.empty()) res.notes.push_back(fmt::format("{}: warning: {}", merged.input(i).name(), w));
  }
  if (feeder.before_since() || feeder.after_until())
    res.notes.push_back(fmt::format("note: {} event{} before --since and {} at or after --until not replayed",
                                    feeder.before_since(), feeder.before_since() == 1 ? "" : "s",
                                    feeder.after_until()));
  if (res.interrupted) res.notes.push_back("note: interrupted: the report covers the events read until then");
  return res;
}

}  // namespace dta::cli
