// `when` windows hardened (spec 0.1 section 5.1): NaN and infinities kept out
// of every window state, the DDSketch on any input, float sums without drift
// (two stacks against an exact sum), exact 128-bit integer sums, time
// arithmetic at the int64 limits, count() and rate() exact past the sample
// cap, and empty tumbling windows (runs of them in O(1), keys seen silent once).
#include <doctest/doctest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <deque>
#include <filesystem>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>

#include "dta/hash.hpp"
#include "helpers.hpp"
#include "state/sketch.hpp"
#include "state/windows.hpp"

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kSec = 1000000000;
constexpr double kU = 0x1p-53;  // unit roundoff of double
constexpr double kInf = std::numeric_limits<double>::infinity();

// Feeds events straight into an engine (no JSON: any int64 time, NaN fields).
class Feed {
 public:
  explicit Feed(const std::string& policy, dta::EngineOptions opts = {}) {
    opts.max_kept_findings = 1000000;
    auto prog = dta::test::compiled(policy);
    REQUIRE(prog);
    std::string err;
    engine_ = dta::Engine::create(prog, opts, &err);
    REQUIRE(engine_);
  }
  Feed& at(int64_t ts, const char* name = "m") {
    ev_.clear();
    ev_.ts = ts;
    ev_.name = engine_->symbols().intern(name);
    return *this;
  }
  Feed& i(const char* key, int64_t v) {
    ev_.add_int(engine_->symbols().intern(key), v);
    return *this;
  }
  Feed& f(const char* key, double v) {
    ev_.add_float(engine_->symbols().intern(key), v);
    return *this;
  }
  Feed& s(const char* key, const char* v) {
    ev_.add_string(engine_->symbols().intern(key), v);
    return *this;
  }
  void go() { engine_->process(ev_); }
  dta::Report report() const { return engine_->report(); }
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const dta::Finding& f : report().kept_findings) out.push_back(f.message);
    return out;
  }

 private:
  std::unique_ptr<dta::Engine> engine_;
  dta::Event ev_;
};

// The correctly rounded sum of xs (Shewchuk's partials, as Python's math.fsum).
double exact_sum(const std::vector<double>& xs) {
  std::vector<double> p;
  for (double x : xs) {
    size_t n = 0;
    for (size_t j = 0; j < p.size(); ++j) {
      double y = p[j];
      if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
      const double hi = x + y;
      const double lo = y - (hi - x);
      if (lo != 0) p[n++] = lo;
      x = hi;
    }
    p.resize(n);
    p.push_back(x);
  }
  if (p.empty()) return 0;
  size_t n = p.size();
  double hi = p[--n], lo = 0;
  while (n > 0) {
    const double x = hi, y = p[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo != 0) break;
  }
  if (n > 0 && ((lo < 0 && p[n - 1] < 0) || (lo > 0 && p[n - 1] > 0))) {  // half-way: round to even
    const double y = lo * 2, x = hi + y;
    if (y == x - hi) hi = x;
  }
  return hi;
}

std::string num(int64_t v) { return std::to_string(v); }

}  // namespace

TEST_SUITE("windows_hardening") {
  // ---------------------------------------------------------------- DDSketch

  TEST_CASE("DDSketch: NaN and infinities are ignored, extremes stay finite, nothing throws") {
    dta::DDSketch s;
    for (double v : {std::nan(""), kInf, -kInf}) s.add(v);
    CHECK(s.count() == 0);
    CHECK(s.quantile(0.5) == 0);
    for (double v : {DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN, 5e-324, 1e308, -1e308, 0.0, -0.0}) s.add(v);
    CHECK(s.count() == 9);
    for (double q : {0.0, 0.1, 0.5, 0.9, 1.0, -1.0, 2.0, std::nan("")}) CHECK(std::isfinite(s.quantile(q)));
    CHECK(s.quantile(1.0) <= DBL_MAX);
    CHECK(s.quantile(1.0) >= DBL_MAX * (1 - 0.01));
    CHECK(s.quantile(0.0) <= -DBL_MAX * (1 - 0.01));
    CHECK(s.quantile(-5) == s.quantile(0));  // q clamped
    CHECK(s.quantile(7) == s.quantile(1));
    // removing NaN, infinities or what was never added changes nothing
    for (double v : {std::nan(""), kInf, 12345.0, -3.0}) s.remove(v);
    CHECK(s.count() == 9);
    s.remove(1e308);
    CHECK(s.count() == 8);
  }

  TEST_CASE("DDSketch: bounded counters; a range past 17 orders collapses its lowest buckets, counted") {
    dta::DDSketch s;
    for (int e = -300; e <= 300; ++e) s.add(std::pow(10.0, e));  // 600 orders of magnitude
    CHECK(s.counters() <= static_cast<size_t>(dta::DDSketch::kMaxBuckets));
    CHECK(s.collapsed());
    // the high quantiles keep their guarantee
    CHECK(std::fabs(s.quantile(1.0) - 1e300) <= 0.01 * 1e300);
    std::vector<double> top;
    for (int e = 290; e <= 300; ++e) top.push_back(std::pow(10.0, e));
    const double q = 1 - 5.0 / 600.0;  // rank 595: 1e295
    CHECK(std::fabs(s.quantile(q) - 1e295) <= 0.01 * 1e295);
    // removing everything (collapsed values included) empties it and frees the range
    for (int e = -300; e <= 300; ++e) s.remove(std::pow(10.0, e));
    CHECK(s.count() == 0);
    CHECK(s.counters() == 0);
    s.clear();
    CHECK(!s.collapsed());
    // negatives are bounded too
    for (int e = -300; e <= 300; ++e) s.add(-std::pow(10.0, e));
    CHECK(s.counters() <= static_cast<size_t>(dta::DDSketch::kMaxBuckets));
    CHECK(std::fabs(s.quantile(0.0) + 1e300) <= 0.01 * 1e300);
  }

  TEST_CASE("DDSketch: random adds, removes, merges and subtracts against a sorted multiset") {
    std::mt19937_64 rng(5);
    dta::DDSketch s, other;
    std::multiset<double> truth;
    auto draw = [&] {
      const int kind = static_cast<int>(rng() % 4);
      const double mag = std::ldexp(1.0 + static_cast<double>(rng() % 1000) / 1000, static_cast<int>(rng() % 40) - 20);
      return kind == 0 ? -mag : kind == 1 ? 0.0 : mag;
    };
    for (int step = 0; step < 20000; ++step) {
      const int op = static_cast<int>(rng() % 10);
      if (op < 6 || truth.empty()) {
        const double v = draw();
        s.add(v);
        truth.insert(v);
      } else {
        auto it = truth.begin();
        std::advance(it, static_cast<long>(rng() % truth.size()));
        s.remove(*it);
        truth.erase(it);
      }
      REQUIRE(s.count() == truth.size());
      if (step % 97 == 0 && !truth.empty()) {
        for (double q : {0.0, 0.25, 0.5, 0.9, 0.99, 1.0}) {
          auto it = truth.begin();
          std::advance(it, static_cast<long>(q * static_cast<double>(truth.size() - 1)));
          const double want = *it;
          CHECK(std::fabs(s.quantile(q) - want) <= 0.01 * std::fabs(want) + 1e-12);
        }
      }
    }
    CHECK(!s.collapsed());
    // merge then subtract gives back the same quantiles
    for (int i = 0; i < 500; ++i) other.add(draw());
    const double before = s.quantile(0.7);
    dta::DDSketch both = s;
    both.merge(other);
    CHECK(both.count() == s.count() + other.count());
    both.subtract(other);
    CHECK(both.count() == s.count());
    CHECK(both.quantile(0.7) == before);
  }

  // ---------------------------------------------------------------- parts

  TEST_CASE("TimeRuns: delta-coded runs count exactly what a plain queue of timestamps holds") {
    std::mt19937_64 rng(11);
    for (int round = 0; round < 20; ++round) {
      dta::TimeRuns runs;
      std::deque<int64_t> plain;
      int64_t t = round % 2 ? kMin : static_cast<int64_t>(rng() % 1000) - 500;
      int64_t from = kMin;
      for (int step = 0; step < 5000; ++step) {
        const int op = static_cast<int>(rng() % 12);
        if (op < 8) {
          const int gap = static_cast<int>(rng() % 5);
          // repeats, small and large gaps, a jump of more than 2^62 ns, an older time
          const uint64_t d = gap == 0 ? 0 : gap == 1 ? rng() % 100 : gap == 2 ? rng() % 100000000 : gap == 3 ? (uint64_t{1} << 62) + rng() % 1000 : 0;
          if (t > kMax - static_cast<int64_t>(d)) continue;
          t += static_cast<int64_t>(d);
          const int64_t pushed = gap == 4 && rng() % 2 && t > kMin + 5 ? t - 5 : t;  // older: counted at the newest
          runs.push(pushed);
          plain.push_back(std::max(pushed, plain.empty() ? kMin : plain.back()));
        } else {
          if (!plain.empty()) {
            const size_t k = static_cast<size_t>(rng() % plain.size());
            from = std::max(from, plain[k] == kMax ? kMax : plain[k] + static_cast<int64_t>(rng() % 2));
          }
          runs.drop_before(from);
          while (!plain.empty() && plain.front() < from) plain.pop_front();
        }
        REQUIRE(runs.count() == plain.size());
      }
      uint64_t total = 0;
      int64_t prev = kMin;
      runs.each([&](int64_t ts, uint64_t n) {
        CHECK(ts >= prev);
        prev = ts;
        total += n;
      });
      CHECK(total == plain.size());
    }
  }

  TEST_CASE("TimeRuns: many events at one time cost one run; a run costs a few bytes") {
    dta::TimeRuns runs;
    for (int i = 0; i < 1000000; ++i) runs.push(42);
    CHECK(runs.count() == 1000000);
    CHECK(runs.bytes() == 0);  // one open run, nothing coded
    for (int64_t i = 1; i <= 100000; ++i) runs.push(42 + i * 1000);  // 1 us apart
    CHECK(runs.count() == 1100000);
    CHECK(runs.bytes() <= 2 * 100000);  // 2 bytes a run at 1 us
    runs.drop_before(43);
    CHECK(runs.count() == 100000);
    runs.drop_before(42 + 100000000);
    CHECK(runs.count() == 1);  // the newest, at 42 + 1e8
    runs.drop_before(42 + 100000000 + 1);
    CHECK(runs.empty());
  }

  TEST_CASE("two-stacks float sum: within an ulp of the exact sum of the window, no drift") {
    std::mt19937_64 rng(3);
    const double mags[] = {1e16, 1.0, 1e-3, 3.5e10, 1e-300, 7.0, 1e300};
    for (int round = 0; round < 20; ++round) {
      dta::SampleQueue q;
      dta::SumStacks sum;
      std::deque<double> window;
      for (int step = 0; step < 2000; ++step) {
        if (rng() % 100 >= (round < 10 ? 45u : 30u) || window.empty()) {  // windows of ~200, then ~800
          const double m = mags[rng() % (round % 2 ? 7 : 5)];  // odd rounds reach 1e300 (no overflow: +-1e300 a few times)
          const double v = (rng() % 2 ? -m : m) * (1 + static_cast<double>(rng() % 1000) / 1000);
          q.push_back(dta::Sample{step, dta::Num::of_float(v)});
          sum.push(v);
          window.push_back(v);
        } else {
          sum.pop(q);
          q.pop_front();
          window.pop_front();
        }
        const std::vector<double> vals(window.begin(), window.end());
        const double exact = exact_sum(vals);
        double naive = 0, abs_sum = 0;
        for (double v : vals) {
          naive += v;
          abs_sum += std::fabs(v);
        }
        if (!std::isfinite(abs_sum)) continue;
        const double n = static_cast<double>(vals.size());
        const double got = sum.value();
        // compensated: one rounding of the result plus second-order terms
        const double bound = 2 * kU * std::fabs(exact) + 4 * n * kU * kU * abs_sum + DBL_TRUE_MIN;
        if (std::fabs(got - exact) > bound) {
          CAPTURE(round);
          CAPTURE(step);
          CHECK(got == exact);
          break;
        }
        // and never further from the left-to-right sum than that sum's own error bound
        CHECK(std::fabs(got - naive) <= bound + (n - 1) * kU * abs_sum);
      }
    }
  }

  // ---------------------------------------------------------------- NaN and infinity

  TEST_CASE("NaN and infinity are a miss of the rule and never enter a window (sliding, tumbling, degraded)") {
    const char* const aggs[] = {"sum(v)", "avg(v)", "min(v)", "max(v)", "p99(v)", "quantile(v, 0.5)", "distinct(v)"};
    for (const char* agg : aggs) {
      for (const char* kind : {"over 10s", "every 10s"}) {
        for (size_t cap : {size_t{65536}, size_t{1}}) {
          CAPTURE(std::string(agg));
          CAPTURE(std::string(kind));
          CAPTURE(cap);
          dta::EngineOptions opts;
          opts.max_window_samples = cap;
          Feed feed(std::string("rule r on m { when ") + agg + " " + kind + " > -1.0e300 { info \"{value}\" } }", opts);
          feed.at(1).f("v", 2.0).go();
          feed.at(2).f("v", kInf).go();
          feed.at(3).f("v", -kInf).go();
          feed.at(4).f("v", std::nan("")).go();
          feed.at(5).f("v", 4.0).go();
          feed.at(20 * kSec).f("v", 1.0).go();  // closes the tumbling window
          const dta::Report r = feed.report();
          CHECK(r.diagnostics.arith_error == 3);
          CHECK(dta::test::rule(r, "r").arith_error == 3);
          REQUIRE(r.kept_findings.size() >= 1);
          const double v = std::stod(r.kept_findings[0].message);
          CHECK(std::isfinite(v));
          if (std::string(kind) == "every 10s") {  // the first window's value over 2 and 4
            const std::string a = agg;
            const double want = a == "sum(v)" ? 6 : a == "avg(v)" ? 3 : a == "max(v)" ? 4 : 2;
            CHECK(std::fabs(v - want) <= 0.01 * want);
          }
        }
      }
    }
  }

  TEST_CASE("1e999 in a stream and p99(x * 10.0) near 1e308 do not abort") {
    const std::string events =
        "{\"ts\": 1, \"name\": \"m\", \"fields\": {\"latency_ms\": 1e999, \"x\": 1.5e308}}\n"
        "{\"ts\": 2, \"name\": \"m\", \"fields\": {\"latency_ms\": 5.0, \"x\": 1.0e307}}\n"
        "{\"ts\": 3, \"name\": \"m\", \"fields\": {\"latency_ms\": 7.0, \"x\": 1.7e308}}\n"
        "{\"ts\": 99000000000, \"name\": \"m\", \"fields\": {\"latency_ms\": 1.0, \"x\": 1.0}}\n";
    const dta::Report r = dta::test::run(
        "rule a on m { when p99(latency_ms) every 1m > 0 { info \"a {value}\" } }\n"
        "rule b on m { when p99(x * 10.0) over 1m > 0 { info \"b {value}\" } }\n"
        "rule c on m { when sum(x) over 1m > 0 { info \"c {value}\" } }\n",
        events);
    CHECK(dta::test::rule(r, "a").arith_error == 1);  // 1e999
    CHECK(dta::test::rule(r, "b").arith_error == 2);  // 1.5e309 and 1.7e309
    CHECK(dta::test::rule(r, "c").arith_error == 1);  // 1.5e308 + 1.7e308 is past the double range
    std::vector<std::string> msgs;
    for (const dta::Finding& f : r.kept_findings) msgs.push_back(f.message.substr(0, 1));
    CHECK(std::count(msgs.begin(), msgs.end(), "a") == 1);
    CHECK(std::count(msgs.begin(), msgs.end(), "b") == 1);
  }

  // ---------------------------------------------------------------- float sums

  TEST_CASE("float sum and avg over a sliding window: 1e16, 1, 1 then 1e16 leaves gives 2") {
    Feed feed("rule r on m { when sum(v) over 10s < 100.0 { info \"{value}\" } }\n"
              "rule a on m { when avg(v) over 10s < 100.0 { info \"avg {value}\" } }");
    feed.at(0).f("v", 1e16).go();
    feed.at(5 * kSec).f("v", 1.0).go();
    feed.at(6 * kSec).f("v", 1.0).go();
    feed.at(11 * kSec).f("v", 0.0).go();  // 1e16 left: 1 + 1 + 0
    CHECK(feed.messages() == std::vector<std::string>{"2", "avg 0.6666666666666666"});
  }

  TEST_CASE("float sums over a sliding window match the exact sum of the window at every event") {
    std::mt19937_64 rng(17);
    std::vector<std::pair<int64_t, double>> evs;
    int64_t t = 0;
    for (int i = 0; i < 4000; ++i) {
      t += static_cast<int64_t>(rng() % (kSec / 10));
      const double mags[] = {1e16, 1.0, 0.1, 3e8};
      evs.push_back({t, (rng() % 2 ? -1 : 1) * mags[rng() % 4] * (1 + static_cast<double>(rng() % 100) / 7)});
    }
    // the value at the events where `sum > T` rises, thresholds taken from the exact values
    std::vector<double> exact;
    for (size_t i = 0; i < evs.size(); ++i) {
      std::vector<double> w;
      for (size_t j = 0; j <= i; ++j)
        if (evs[j].first > evs[i].first - kSec) w.push_back(evs[j].second);
      exact.push_back(exact_sum(w));
    }
    std::vector<double> sorted = exact;
    std::sort(sorted.begin(), sorted.end());
    for (double frac : {0.2, 0.5, 0.8}) {
      const double th = sorted[static_cast<size_t>(frac * static_cast<double>(sorted.size() - 1))];
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", th);
      std::string ths = buf;
      if (ths.find_first_of(".e") == std::string::npos) ths += ".0";
      Feed f("rule r on m { when sum(v) over 1s > " + ths + " { info \"{event.ts} {value}\" } }");
      std::vector<size_t> want;
      bool above = false;
      for (size_t i = 0; i < evs.size(); ++i) {
        f.at(evs[i].first).f("v", evs[i].second).go();
        const bool now_above = exact[i] > th;
        if (now_above && !above) want.push_back(i);
        above = now_above;
      }
      const dta::Report r = f.report();
      REQUIRE(r.kept_findings.size() == want.size());
      for (size_t n = 0; n < want.size(); ++n) {
        const std::string& m = r.kept_findings[n].message;
        CHECK(std::stoll(m.substr(0, m.find(' '))) == evs[want[n]].first);
        CHECK(std::stod(m.substr(m.find(' ') + 1)) == exact[want[n]]);
      }
    }
  }

  // ---------------------------------------------------------------- int64 edges

  TEST_CASE("int sums are exact in 128 bits: an overflow is a miss only while the value does not fit") {
    for (size_t cap : {size_t{65536}, size_t{1}}) {  // exact and degraded
      CAPTURE(cap);
      dta::EngineOptions opts;
      opts.max_window_samples = cap;
      Feed feed("rule r on m { when sum(v) over 1s < 0 { info \"{value}\" } }", opts);
      feed.at(0).i("v", 9000000000000000000).go();
      feed.at(1).i("v", 9000000000000000000).go();  // 1.8e19: does not fit int64
      feed.at(2 * kSec).i("v", kMin).go();          // both left: kMin alone
      const dta::Report r = feed.report();
      CHECK(r.diagnostics.arith_error == 1);
      CHECK(feed.messages() == std::vector<std::string>{num(kMin)});
    }
    // sliding, exact: the overflow flag does not stick
    Feed s("rule r on m { when sum(v) over 1s < 0 { info \"{value}\" } }");
    s.at(0).i("v", kMax).go();
    s.at(1).i("v", kMax).go();
    s.at(1 * kSec).i("v", kMin).go();  // the first left: kMax + kMin = -1
    CHECK(s.messages() == std::vector<std::string>{"-1"});
    // tumbling: a sum that passes int64 on the way and comes back
    Feed t("rule r on m { when sum(v) every 1s > -10 { info \"{value}\" } }");
    for (int64_t v : {kMax, kMax, kMin, kMin}) t.at(5).i("v", v).go();
    t.at(3 * kSec).i("v", kMax).go();
    t.at(4 * kSec).i("v", kMax).go();
    t.at(4 * kSec + 1).i("v", 1).go();
    t.at(9 * kSec).i("v", 0).go();
    // window 0; 1 and 2 empty (0); 3; 4 is a miss (kMax + 1); 5 to 8 empty
    CHECK(t.messages() == std::vector<std::string>{"-2", "0", "0", num(kMax), "0", "0", "0", "0"});
    CHECK(t.report().diagnostics.arith_error == 1);
  }

  TEST_CASE("every aggregate at the int64 edges: sliding, degraded and tumbling") {
    struct Case {
      const char* agg;
      std::vector<int64_t> values;
      const char* cond;  // false before the last value, true with it (sliding); tumbling uses "> -1.0e300"
      std::string want;  // the value with all of them
    };
    const std::vector<Case> cases = {
        {"count()", {kMax, kMin, kMax}, ">= 3", "3"},
        {"rate()", {kMax, kMin}, ">= 2.0", "2"},
        {"sum(v)", {kMax, kMax, kMin, kMin}, "< -1", "-2"},  // passes int64 on the way
        {"avg(v)", {kMin, kMax, kMax}, "> 1.0e18", ""},
        {"min(v)", {kMax, kMax - 1}, "< 9223372036854775807", num(kMax - 1)},
        {"max(v)", {kMin + 1, kMin + 2}, "> -9223372036854775807", num(kMin + 2)},
        {"distinct(v)", {kMax, kMin, kMax, kMin + 1}, ">= 3", "3"},
        {"p50(v)", {kMin, kMax, kMax}, "> 9.0e18", ""},
        {"p99(v)", {kMax, kMin, kMin}, "< -9.0e18", ""},
    };
    for (const Case& c : cases) {
      for (const char* mode : {"sliding", "degraded", "tumbling"}) {
        CAPTURE(std::string(c.agg));
        CAPTURE(std::string(mode));
        const std::string m = mode;
        dta::EngineOptions opts;
        opts.max_window_samples = m == "degraded" ? 1 : 65536;
        const std::string when = m == "tumbling" ? std::string(" every 1s > -1.0e300") : std::string(" over 1s ") + c.cond;
        const std::string agg = c.agg;
        Feed feed("rule r on m { when " + agg + when + " { info \"{value}\" } }", opts);
        int64_t t = 10;
        for (int64_t v : c.values) feed.at(t++).i("v", v).go();
        feed.at(5 * kSec).i("v", 0).go();  // closes the tumbling window
        const std::vector<std::string> got = feed.messages();
        REQUIRE(got.size() >= 1);
        const std::string& value = got[0];
        // sliding: 2 kMax does not fit int64 at the second sample
        CHECK(feed.report().diagnostics.arith_error == (agg == "sum(v)" && m != "tumbling" ? 1u : 0u));
        if (!c.want.empty()) {
          CHECK(value == c.want);
        } else if (agg == "avg(v)") {
          CHECK(std::stod(value) == static_cast<double>(int64_t{3074457345618258602}));  // (kMin + 2 kMax) / 3, exact
        } else if (agg == "p50(v)") {
          CHECK(std::fabs(std::stod(value) - 9.223372036854776e18) <= 0.01 * 9.223372036854776e18);
        } else if (agg == "p99(v)") {
          CHECK(std::fabs(std::stod(value) + 9.223372036854776e18) <= 0.01 * 9.223372036854776e18);
        }
      }
    }
  }

  // ---------------------------------------------------------------- time at the int64 limits

  TEST_CASE("sliding windows and `for` at the int64 limits of time and duration") {
    const std::string big = "const BIG = 9223372036854775807\n";
    {
      Feed f(big + "rule r on m { when count() over BIG >= 2 { info \"{event.ts} {value}\" } }");
      for (int64_t t : {kMin, kMin + 1, int64_t{0}, kMax - 1, kMax}) f.at(t).go();
      // (t - BIG, t]: at kMin + 1 both (the window reaches before kMin); at 0 only 0 (-BIG = kMin + 1);
      // at kMax - 1, 0 and kMax - 1; at kMax, kMax - 1 and kMax (still true: no new edge)
      CHECK(f.messages() == std::vector<std::string>{num(kMin + 1) + " 2", num(kMax - 1) + " 2"});
    }
    {
      Feed f("rule r on m { when count() over 1ns >= 2 { info \"{event.ts} {value}\" } }\n"
             "rule s on m { when count() over 2ns >= 2 { info \"s {event.ts} {value}\" } }");
      f.at(kMin).go();
      f.at(kMin).go();  // the same nanosecond: in (kMin - 1, kMin]
      f.at(kMax - 1).go();
      f.at(kMax).go();
      CHECK(f.messages() == std::vector<std::string>{num(kMin) + " 2", "s " + num(kMin) + " 2", "s " + num(kMax) + " 2"});
    }
    {  // `for` over the whole range: held from kMin, for BIG at kMax (kMax - kMin saturates)
      Feed f(big + "rule r on m { when count() over BIG >= 1 for BIG { info \"{event.ts}\" } }");
      f.at(kMin).go();
      f.at(-2).go();  // held kMax - 1
      f.at(kMax).go();
      CHECK(f.messages() == std::vector<std::string>{num(kMax)});
      Feed g(big + "rule r on m { when count() over BIG >= 1 for BIG { info \"{event.ts}\" } }");
      g.at(0).go();
      g.at(kMax - 1).go();  // held kMax - 1 < BIG
      CHECK(g.messages().empty());
    }
    // every aggregate, exact and degraded, with huge windows and the edges of time
    for (const char* agg : {"count()", "rate()", "sum(v)", "avg(v)", "min(v)", "max(v)", "p50(v)", "distinct(v)"}) {
      for (size_t cap : {size_t{65536}, size_t{1}}) {
        CAPTURE(std::string(agg));
        dta::EngineOptions opts;
        opts.max_window_samples = cap;
        Feed f(big + "rule r on m { when " + agg + " over BIG > -1.0e300 { info \"{value}\" } }\n" +
                   "rule s on m { when " + agg + " over 3ns > -1.0e300 by k { info \"{value}\" } }",
               opts);
        int i = 0;
        for (int64_t t : {kMin, kMin, kMin + 2, kMin + 5, int64_t{-1}, int64_t{0}, kMax - 3, kMax, kMax}) {
          f.at(t).i("v", i).i("k", i % 2).go();
          ++i;
        }
        const dta::Report r = f.report();
        CHECK(r.diagnostics.arith_error == 0);
        CHECK(dta::test::rule(r, "r").fired >= 1);
      }
    }
  }

  TEST_CASE("tumbling windows at the int64 limits: the first window starts before kMin, the last never closes") {
    {  // every 1ns near kMax: the window of kMax reaches past the end of time
      Feed f("rule r on m { when count() every 1ns >= 1 { info \"{value}\" } }");
      for (int64_t t : {kMax - 2, kMax - 1, kMax, kMax}) f.at(t).go();
      const dta::Report r = f.report();
      REQUIRE(r.kept_findings.size() == 2);
      CHECK(r.kept_findings[0].ts == kMax - 1);  // each window stamped with its end
      CHECK(r.kept_findings[1].ts == kMax);
    }
    {  // every 3ns at kMin: window [kMin - 1, kMin + 1] is cut at kMin
      Feed f("rule r on m { when count() every 3ns >= 1 { info \"{value}\" } }");
      for (int64_t t : {kMin, kMin + 1, kMin + 2, kMin + 5}) f.at(t).go();
      const dta::Report r = f.report();
      REQUIRE(r.kept_findings.size() == 2);
      CHECK(r.kept_findings[0].message == "2");
      CHECK(r.kept_findings[0].ts == kMin + 2);
      CHECK(r.kept_findings[1].message == "1");
      CHECK(r.kept_findings[1].ts == kMin + 5);
    }
    {  // every int64-max ns: windows -2 ([.., kMin]), -1, 0, 1 (never closes)
      Feed f("rule r on m { when count() every 9223372036854775807ns >= 0 by k { info \"{k} {value}\" } }\n"
             "rule s on m { when sum(v) every 9223372036854775807ns > -1 { info \"s {value}\" } }");
      f.at(kMin).i("v", kMax).s("k", "a").go();
      f.at(-1).i("v", kMax).s("k", "a").go();
      f.at(0).i("v", kMax).s("k", "b").go();
      f.at(kMax).i("v", 1).s("k", "b").go();
      std::vector<std::string> got = f.messages();
      std::vector<std::string> want = {"a 1", "s " + num(kMax), "a 1", "s " + num(kMax), "b 1", "a 0", "s " + num(kMax)};
      CHECK(got == want);
    }
    {  // a huge `every` with keys whose empty window would start past the end of time
      Feed f("rule r on m { when count() every 4611686018427387904ns < 1 by k { info \"{k}\" } }");
      f.at(kMax - 5).s("k", "a").go();
      f.at(kMax).s("k", "b").go();
      CHECK(f.messages().empty());
    }
  }

  // ---------------------------------------------------------------- empty tumbling windows

  TEST_CASE("without `by`, every window from the first selected event is evaluated, empty ones too") {
    Feed f("rule r on m where v > 0 { when count() every 1s < 1 { info \"{value} {v}\" } }\n"
           "rule a on m where v > 0 { when avg(v) every 1s > -1.0 { info \"avg {value}\" } }\n"
           "rule s on m where v > 0 { when sum(v) every 1s <= 0 { info \"sum {value}\" } }\n"
           "rule t on m where v > 0 { when rate() every 1s == 0.0 { info \"rate {value}\" } }");
    f.at(kSec / 2).i("v", 0).go();  // not selected: the series has not started
    f.at(3 * kSec / 2).i("v", 7).go();
    f.at(9 * kSec / 2).i("v", 9).go();
    f.at(11 * kSec / 2).i("v", 0).go();  // closes window 4
    const dta::Report r = f.report();
    std::vector<std::string> got;
    for (const dta::Finding& x : r.kept_findings) got.push_back(std::to_string(x.ts / kSec) + " " + x.message);
    // windows 2 and 3 are empty: count 0 (the event for holes is the last selected one: v = 7),
    // sum 0, rate 0; avg has no value there
    CHECK(got == std::vector<std::string>{"2 avg 7", "3 0 7", "3 sum 0", "3 rate 0", "4 0 7", "4 sum 0",
                                          "4 rate 0", "5 avg 9"});
  }

  TEST_CASE("a tumbling block's actions see the last event: its fields when they read them, else its parts") {
    Feed f("rule r on m, n { when count() every 1s >= 1 { info \"{value} {event.name} {event.ts}\" } }\n"
           "rule s on m, n { when count() every 1s >= 1 { info \"{value} {v} {has(v)}\" } }");
    f.at(10, "m").i("v", 1).go();
    f.at(20, "n").go();
    f.at(kSec + 5, "m").i("v", 3).go();
    const dta::Report r = f.report();
    REQUIRE(r.kept_findings.size() == 2);
    CHECK(r.kept_findings[0].message == "2 n 20");
    CHECK(r.kept_findings[0].event == "n");
    CHECK(r.kept_findings[1].message == "2 <missing> false");  // n has no v
  }

  TEST_CASE("a run of empty windows costs O(1) when it does not fire, one budget unit per window when it does") {
    {
      Feed f("rule r on m { when count() every 1ns > 0 { info \"{value}\" } }");
      f.at(0).go();
      f.at(3600 * kSec).go();  // 3.6e12 empty windows, none fires
      f.at(3600 * kSec + 2).go();
      const dta::Report r = f.report();
      CHECK(r.kept_findings.size() == 2);
      CHECK(r.diagnostics.work_limited == 0);
    }
    {
      dta::EngineOptions opts;
      opts.max_work_per_step = 1000;
      Feed f("rule r on m { when count() every 1ns < 1 { info \"{value}\" } }", opts);
      f.at(0).go();
      f.at(3600 * kSec).go();  // each empty window fires: 1,000 of them, then the budget is gone
      const dta::Report r = f.report();
      // The budget also pays for the timer firings that close the windows.
      const size_t fired = r.kept_findings.size();
      CHECK(fired > 990);
      CHECK(fired <= 1000);
      CHECK(r.diagnostics.work_limited == 1);
      CHECK(r.kept_findings.front().ts == 2);
      CHECK(r.kept_findings.back().ts == static_cast<int64_t>(fired) + 1);
      f.at(3600 * kSec + 3).go();  // the run was skipped: windows 3600s and 3600s + 1, + 2
      const dta::Report r2 = f.report();
      CHECK(r2.kept_findings.size() == fired + 2);
      CHECK(r2.kept_findings.back().ts == 3600 * kSec + 3);
    }
  }

  TEST_CASE("empty windows stay in time order with other timers and with their derived events") {
    Feed f("rule r on tick { when count() every 1s < 1 { info \"window\" emit silent {} } }\n"
           "rule x on start { expect finish matching id within 2500ms else { info \"deadline\" } }\n"
           "rule d on silent { info \"derived {event.ts}\" }");
    f.at(kSec / 2, "tick").go();
    f.at(0, "start").i("id", 1).go();  // late: counted at 0.5 s, deadline 3 s
    f.at(4 * kSec + kSec / 2, "tick").go();
    std::vector<std::string> got;
    for (const dta::Finding& x : f.report().kept_findings) got.push_back(std::to_string(x.ts / (kSec / 10)) + " " + x.message);
    CHECK(got == std::vector<std::string>{"20 window", "20 derived 2000000000", "30 window", "30 derived 3000000000",
                                          "30 deadline", "40 window", "40 derived 4000000000"});
  }

  TEST_CASE("runs of empty windows of several blocks fire in time order, or skip past each other") {
    Feed f("rule a on m { when count() every 2ns < 1 { info \"a\" } }\n"
           "rule b on m { when count() every 3ns < 1 { info \"b\" } }\n"
           "rule c on m { when count() every 1ns > 5 { info \"c\" } }");  // never fires: skips past the others
    f.at(0).go();
    f.at(31).go();
    const dta::Report r = f.report();
    std::vector<int64_t> ts;
    for (const dta::Finding& x : r.kept_findings) ts.push_back(x.ts);
    CHECK(ts.size() == 14 + 9);  // a: windows [2, 4) .. [28, 30); b: [3, 6) .. [27, 30)
    CHECK(std::is_sorted(ts.begin(), ts.end()));
    CHECK(ts.front() == 4);
    CHECK(ts.back() == 30);
  }

  TEST_CASE("with `by`, a key is seen silent once after its samples; it stops until it has samples again") {
    Feed f("rule r on m { when count() every 1m < 1 by host { warning \"{host} silent, last {event.ts} {v}\" } }\n"
           "rule c on m { when count() every 1m >= 0 by host { info \"{host} {value}\" } }");
    const int64_t kMin1 = 60 * kSec;
    for (int i = 0; i < 30; ++i) {
      if (i < 5) f.at(i * kMin1 + 1).s("host", "a").i("v", i).go();  // a: minutes 0..4
      f.at(i * kMin1 + 2).s("host", "b").i("v", i).go();              // b: minutes 0..29
    }
    // nothing more from a until minute 40, then silent again
    f.at(40 * kMin1).s("host", "a").i("v", 40).go();
    f.at(45 * kMin1).s("host", "b").i("v", 45).go();
    std::vector<std::string> silent;
    int a_counts = 0, a_zeros = 0;
    for (const dta::Finding& x : f.report().kept_findings) {
      if (x.rule == "r") silent.push_back(std::to_string(x.ts / kMin1) + " " + x.message);
      if (x.rule == "c" && x.message.rfind("a ", 0) == 0) {
        ++a_counts;
        a_zeros += x.message == "a 0";
      }
    }
    const std::string t4 = std::to_string(4 * kMin1 + 1), t29 = std::to_string(29 * kMin1 + 2),
                      t40 = std::to_string(40 * kMin1);
    // a: minute 5 is its empty window (the window's end as time, its last event for holes); b: minute 30;
    // a again at 41
    CHECK(silent == std::vector<std::string>{"6 a silent, last " + t4 + " 4", "31 b silent, last " + t29 + " 29",
                                             "42 a silent, last " + t40 + " 40"});
    CHECK(a_counts == 8);  // minutes 0-4, 5 (0), 40, 41 (0)
    CHECK(a_zeros == 2);
  }

  TEST_CASE("keys evicted and seen again within one window are evaluated once, with bounded bookkeeping") {
    std::string policy = "rule r on m { when count() every 1h >= 1 by k max 3 { info \"{k} {value}\" } }";
    Feed f(policy);
    for (int i = 0; i < 20000; ++i) f.at(i).i("k", i % 5).go();  // 5 keys through 3 slots: constant churn
    f.at(7200 * kSec).i("k", 9).go();
    const dta::Report r = f.report();
    CHECK(r.kept_findings.size() == 3);  // the 3 keys alive at the close, once each
    std::set<std::string> keys;
    for (const dta::Finding& x : r.kept_findings) keys.insert(x.message.substr(0, x.message.find(' ')));
    CHECK(keys.size() == 3);
  }

  // ---------------------------------------------------------------- degraded windows

  TEST_CASE("count() and rate() stay exact past the sample cap: timestamps, not samples") {
    // 200,000 events 1 us apart, a 100 ms window of 100,000: over 65,536 samples, exact anyway
    Feed f("rule r on m { when count() over 100ms >= 100000 { info \"{event.ts} {value}\" } }\n"
           "rule q on m { when rate() over 100ms >= 1000000.0 { info \"{event.ts} {value}\" } }");
    for (int64_t i = 0; i < 200000; ++i) f.at(i * 1000).go();
    const dta::Report r = f.report();
    CHECK(r.diagnostics.degraded_windows == 0);
    CHECK(f.messages() == std::vector<std::string>{"99999000 100000", "99999000 1000000"});
    // a million events at one timestamp: one run
    Feed g("rule r on m { when count() over 1s >= 1000000 { info \"{value}\" } }");
    for (int i = 0; i < 1000000; ++i) g.at(7).go();
    CHECK(g.messages() == std::vector<std::string>{"1000000"});
    CHECK(g.report().diagnostics.degraded_windows == 0);
  }

  TEST_CASE("degraded windows: every value lies between the window's and the window-plus-one-slice's") {
    std::mt19937_64 rng(29);
    struct E {
      int64_t ts;
      int64_t v;
    };
    std::vector<E> evs;
    int64_t t = 0;
    for (int i = 0; i < 15000; ++i) {  // ~1,000 a second; values in [0, 500) and [500, 1000) by turns of 2.5 s
      t += 1 + static_cast<int64_t>(rng() % 2000000);
      evs.push_back({t, static_cast<int64_t>(rng() % 500) + (t / 2500000000 % 2 ? 500 : 0)});
    }
    const int64_t slice = kSec / 64;
    // the aggregate over the events in (ts_i - span, ts_i]
    auto brute = [&](const std::string& agg, size_t i, int64_t span) {
      std::vector<int64_t> w;
      for (size_t j = 0; j <= i; ++j)
        if (evs[j].ts > evs[i].ts - span) w.push_back(evs[j].v);
      if (agg == "count()") return static_cast<double>(w.size());
      if (agg == "sum(v)") return static_cast<double>(std::accumulate(w.begin(), w.end(), int64_t{0}));
      if (agg == "max(v)") return static_cast<double>(*std::max_element(w.begin(), w.end()));
      if (agg == "min(v)") return static_cast<double>(*std::min_element(w.begin(), w.end()));
      return static_cast<double>(std::set<int64_t>(w.begin(), w.end()).size());  // distinct
    };
    std::map<int64_t, size_t> index_of;
    for (size_t i = 0; i < evs.size(); ++i) index_of[evs[i].ts] = i;
    for (const char* agg : {"count()", "sum(v)", "max(v)", "min(v)", "distinct(v)"}) {
      const std::string a = agg;
      CAPTURE(a);
      const bool is_min = a == "min(v)";
      std::vector<std::string> thresholds = a == "count()" ? std::vector<std::string>{"1000", "1040"}
                                          : a == "sum(v)"  ? std::vector<std::string>{"500000", "700000"}
                                          : a == "max(v)"  ? std::vector<std::string>{"700", "998"}
                                          : is_min         ? std::vector<std::string>{"300", "2"}
                                                           : std::vector<std::string>{"600", "800"};
      dta::EngineOptions opts;
      opts.max_window_samples = a == "count()" ? 10 : 64;  // 240 bytes of runs; ~1,000 samples per window
      uint64_t degraded = 0, seen = 0;
      for (const std::string& th : thresholds) {
        Feed f("rule r on m { when " + a + " over 1s " + (is_min ? "<= " : ">= ") + th + " { info \"{event.ts} {value}\" } }", opts);
        for (const E& e : evs) f.at(e.ts).i("v", e.v).go();
        const dta::Report r = f.report();
        degraded += r.diagnostics.degraded_windows;
        for (const dta::Finding& x : r.kept_findings) {
          const int64_t ts = std::stoll(x.message.substr(0, x.message.find(' ')));
          const double got = std::stod(x.message.substr(x.message.find(' ') + 1));
          const size_t i = index_of.at(ts);
          const double exact = brute(a, i, kSec), loose = brute(a, i, kSec + slice);
          CHECK((is_min ? got <= exact : got >= exact));
          CHECK((is_min ? got >= loose : got <= loose));
          ++seen;
        }
      }
      CHECK(degraded >= 1);
      CHECK(seen >= 4);
    }
  }

  TEST_CASE("distinct() beyond its hash cap samples hashes: bounded, counted, within a few percent") {
    dta::DistinctCounter d;
    for (uint64_t i = 0; i < 400000; ++i) d.add(dta::hash_finish(dta::hash_value(dta::kHashSeed, dta::Value::of_int(static_cast<int64_t>(i)))), 16384);
    CHECK(d.sampled());
    CHECK(d.held() <= 16384);
    CHECK(std::fabs(static_cast<double>(d.count()) - 4e5) <= 0.03 * 4e5);
    // through the engine: a tumbling window and a degraded sliding one, 100,000 distinct values
    dta::EngineOptions opts;
    opts.max_window_samples = 100;
    Feed f("rule t on m { when distinct(v) every 1h > 0 { info \"{event.ts} {value}\" } }\n"
           "rule s on m { when distinct(v) over 1h > 60000 { info \"{event.ts} {value}\" } }",
           opts);
    for (int64_t i = 0; i < 100000; ++i) f.at(i).i("v", i).go();  // at time i, i + 1 distinct values so far
    f.at(7200 * kSec).i("v", 0).go();
    const dta::Report r = f.report();
    CHECK(r.diagnostics.degraded_windows >= 2);  // the tumbling window sampled, the sliding one degraded
    const std::vector<std::string> got = f.messages();
    REQUIRE(got.size() == 2);
    for (const std::string& m : got) {
      const double truth = std::stod(m.substr(0, m.find(' '))) + 1;
      CHECK(std::fabs(std::stod(m.substr(m.find(' ') + 1)) - truth) <= 0.03 * truth);
    }
  }

  TEST_CASE("a degraded window is exact again once its slices have all left") {
    dta::EngineOptions opts;
    opts.max_window_samples = 10;
    Feed f("rule r on m { when max(v) over 1s >= 5 { info \"{event.ts} {value}\" } }", opts);
    for (int64_t i = 0; i < 50; ++i) f.at(i * 1000000).i("v", i % 10).go();  // degrades
    f.at(10 * kSec).i("v", 1).go();                                    // all left
    f.at(10 * kSec + 1).i("v", 7).go();                                // exact: fires at once with 7
    const dta::Report r = f.report();
    CHECK(r.diagnostics.degraded_windows == 1);
    REQUIRE(r.kept_findings.size() == 2);
    CHECK(r.kept_findings[1].message == std::to_string(10 * kSec + 1) + " 7");
  }

  // ---------------------------------------------------------------- the inputs

  TEST_CASE("regression inputs (tests/regress/windows): each replays with the counts it expects") {
    const std::string dir = std::string(DTA_TEST_DIR) + "/regress/windows/";
    int cases = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".dta") continue;
      const std::string base = dir + entry.path().stem().string();
      CAPTURE(base);
      const std::string policy = dta::test::slurp(base + ".dta");
      const std::string events = dta::test::slurp(base + ".jsonl");
      const std::string expected = dta::test::slurp(base + ".expected");
      REQUIRE(!policy.empty());
      REQUIRE(!events.empty());
      REQUIRE(!expected.empty());
      const dta::Report r = dta::test::run(policy, events, "", {}, base + ".dta");
      CHECK(r.events == static_cast<uint64_t>(std::count(events.begin(), events.end(), '\n')));
      std::istringstream in(expected);
      std::string key;
      uint64_t want = 0;
      while (in >> key >> want) {
        CAPTURE(key);
        const uint64_t got = key == "arith_error"    ? r.diagnostics.arith_error
                             : key == "work_limited" ? r.diagnostics.work_limited
                             : key == "degraded_windows" ? r.diagnostics.degraded_windows
                             : key == "findings"     ? r.findings[0] + r.findings[1] + r.findings[2] + r.findings[3]
                                                     : UINT64_MAX;
        CHECK(got == want);
      }
      ++cases;
    }
    CHECK(cases >= 5);
  }
}
