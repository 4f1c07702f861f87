// Reports (issue 9, items 6-9): every finding reachable (event fields, keys,
// the kept list's priority and cap), metrics as data with quantiles, the
// --fail-on gate, and the human summary (groups, counts of what was cut,
// rounding, durations, plurals, colours, escaped control characters).
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdlib>
#include <random>

#include "dta/report_json.hpp"
#include "helpers.hpp"
#include "replay_summary.hpp"
#include "report_options.hpp"

namespace json = boost::json;

namespace {

constexpr int64_t kSec = 1000000000;
constexpr int64_t kT0 = 1767225600LL * kSec;  // 2026-01-01T00:00:00Z

// One JSON Lines event at kT0 + ms milliseconds.
std::string ev(int64_t ms, const std::string& name, const std::string& fields) {
  return fmt::format(R"({{"ts": {}, "name": "{}", "fields": {{{}}}}})"
                     "\n",
                     kT0 + ms * 1000000, name, fields);
}

// Runs `policy` over `events` with `opts`, and also collects every finding the callback saw.
struct Run {
  dta::Report report;
  std::vector<dta::Finding> seen;
};
Run run(const std::string& policy, const std::string& events, dta::EngineOptions opts = {}) {
  Run out;
  opts.on_finding = [&](const dta::Finding& f) { out.seen.push_back(f); };
  out.report = dta::test::run(policy, events, "", opts);
  return out;
}

const dta::FieldValue* field(const dta::Finding& f, const std::string& name) {
  for (const auto& [k, v] : f.fields)
    if (k == name) return &v;
  return nullptr;
}

std::string key_text(const dta::KeyLabels& key) {
  std::string out;
  for (const auto& [k, v] : key) out += k + "=" + v + ";";
  return out;
}

const dta::MetricSeries* series(const dta::Report& r, const std::string& name, const dta::KeyLabels& labels) {
  for (const dta::MetricSeries& m : r.metrics)
    if (m.name == name && m.labels == labels) return &m;
  return nullptr;
}

constexpr const char* kSecret = "hunter2-s3cr3t";

const char* kLogins = R"(
event auth.login { user: string, token: string sensitive, ok: bool, ms: float, n: int }
filter strip on auth.login { redact n }
rule failed on auth.login where not ok { error "login of {user} failed" }
rule per_user on auth.login where not ok { when count() over 1m >= 2 by user { warning "{value} failures of {user}" } }
rule waits on auth.login { expect auth.logout matching user within 1m else { info "no logout of {user}" } }
rule fine on auth.login where ok { ok }
)";

std::string login(int64_t ms, const std::string& user, bool ok) {
  return ev(ms, "auth.login",
            fmt::format(R"("user": "{}", "token": "{}", "ok": {}, "ms": 1.5, "n": 7, "extra": "x")", user, kSecret,
                        ok ? "true" : "false"));
}

}  // namespace

TEST_SUITE("reports") {
  // ------------------------------------------------------------ item 6: every finding reachable

  TEST_CASE("findings carry their key and, when asked, their event's fields with sensitive ones redacted") {
    const std::string events =
        login(0, "bob", false) + login(1000, "bob", false) + login(2000, "amy", true) + ev(200000, "tick", "");
    dta::EngineOptions opts;
    opts.finding_fields = true;
    const Run r = run(kLogins, events, opts);
    uint64_t total = 0;
    for (uint64_t n : r.report.findings) total += n;
    CHECK(total == 2 + 1 + 3 + 1);  // failed x2, per_user x1, waits x3, fine x1
    CHECK(r.seen.size() == total);  // the callback sees every finding, bare oks too
    for (const dta::Finding& f : r.seen) {
      CAPTURE(f.rule);
      REQUIRE(field(f, "user"));
      CHECK(std::get<std::string>(*field(f, "token")) == "<redacted>");
      CHECK(std::get<double>(*field(f, "ms")) == 1.5);
      CHECK(std::holds_alternative<bool>(*field(f, "ok")));
      CHECK(field(f, "n") == nullptr);                          // the redact filter removed it before any rule saw it
      CHECK(std::get<std::string>(*field(f, "extra")) == "x");  // undeclared fields too
      const std::string line = dta::finding_json_line(f);
      CHECK(line.find(kSecret) == std::string::npos);
      CHECK(line.back() == '\n');
      CHECK(std::count(line.begin(), line.end(), '\n') == 1);
    }
    std::map<std::string, std::string> keys;
    for (const dta::Finding& f : r.seen) keys[f.rule] += key_text(f.key);
    CHECK(keys["per_user"] == "user=bob;");                 // the `by` keys
    CHECK(keys["waits"] == "user=bob;user=bob;user=amy;");  // the `matching` fields
    CHECK(keys["failed"].empty());
    // the report's kept findings carry the same, and its JSON shows keys and fields
    const json::value doc = json::parse(dta::report_to_json(r.report));
    const json::array& details = doc.at("finding_details").as_array();
    REQUIRE(details.size() == 6);  // the bare `ok` is only counted
    bool keyed = false;
    for (const json::value& d : details) {
      CHECK(d.at("fields").at("token") == "<redacted>");
      if (d.at("rule") == "per_user") keyed = d.at("key").at("user") == "bob";
    }
    CHECK(keyed);
    CHECK(dta::report_to_json(r.report).find(kSecret) == std::string::npos);
    CHECK(doc.at("rules").at("waits").at("findings").at("info") == 3);
    CHECK(doc.at("rules").at("fine").at("findings").at("ok") == 1);
  }

  TEST_CASE("a derived event's copy of a sensitive value is redacted in the fields a finding carries") {
    const char* policy = R"(
event auth.login { user: string, token: string sensitive }
rule derive on auth.login { emit auth.copy { t: token, note: "token {token}", u: user } }
rule seen on auth.copy { warning "copy for {u}" }
)";
    dta::EngineOptions opts;
    opts.finding_fields = true;
    const Run r = run(policy, ev(1, "auth.login", fmt::format(R"("user": "bob", "token": "{}")", kSecret)), opts);
    REQUIRE(r.seen.size() == 1);
    CHECK(std::get<std::string>(*field(r.seen[0], "t")) == "<redacted>");
    CHECK(std::get<std::string>(*field(r.seen[0], "note")) == "<redacted>");
    CHECK(std::get<std::string>(*field(r.seen[0], "u")) == "bob");
    CHECK(dta::finding_json_line(r.seen[0]).find(kSecret) == std::string::npos);
  }

  TEST_CASE("without finding_fields a finding copies no fields") {
    const Run r = run(kLogins, login(0, "bob", false));
    REQUIRE_FALSE(r.seen.empty());
    for (const dta::Finding& f : r.seen) CHECK(f.fields.empty());
    CHECK(json::parse(dta::report_to_json(r.report)).at("finding_details").at(0).as_object().if_contains("fields") ==
          nullptr);
  }

  TEST_CASE("a finding as a JSON line: one compact object, typed fields, escaped text") {
    dta::Finding f;
    f.rule = "r", f.level = dta::Level::Warning, f.ts = -5, f.event = "e";
    f.message = "bad \x1b[2J\nfake line \"q\"";
    f.key = {{"k", "v"}};
    f.fields = {{"i", int64_t{-3}},         {"f", 0.1},         {"whole", 5.0}, {"b", true},
                {"s", std::string("x\ty")}, {"inf", 1.0 / 0.0}, {"big", 1e300}};
    const std::string line = dta::finding_json_line(f);
    CHECK(line ==
          R"({"rule":"r","level":"warning","message":"bad \u001b[2J\nfake line \"q\"","ts":-5,"event":"e",)"
          R"("key":{"k":"v"},"fields":{"i":-3,"f":0.1,"whole":5.0,"b":true,"s":"x\ty","inf":"inf","big":1e+300}})"
          "\n");
    const json::value v = json::parse(line);
    CHECK(v.at("message") == "bad \x1b[2J\nfake line \"q\"");
    CHECK(v.at("fields").at("whole").is_double());
    dta::Alert a;
    a.rule = "burst", a.severity = "critical", a.message = "m", a.ts = 7, a.labels = {{"service", "cart"}};
    CHECK(dta::alert_json_line(a) ==
          R"({"rule":"burst","severity":"critical","message":"m","ts":7,"labels":{"service":"cart"},"suppressed":0})"
          "\n");
    // the lines hold the same objects as the report's finding_details and alerts
    a.key = {{"service", "cart"}};
    dta::Report r;
    r.kept_findings.push_back(f);
    r.alerts.push_back(a);
    const json::value doc = json::parse(dta::report_to_json(r));
    CHECK(doc.at("finding_details").at(0) == json::parse(line));
    CHECK(doc.at("alerts").at(0) == json::parse(dta::alert_json_line(a)));
  }

  TEST_CASE("the kept list keeps errors before warnings before infos before oks, then the first ones, in time order") {
    const char* policy = R"(
rule e on x where lvl == "e" { error "e{n}" }
rule w on x where lvl == "w" { warning "w{n}" }
rule i on x where lvl == "i" { info "i{n}" }
rule o on x where lvl == "o" { ok "o{n}" }
rule bare on x where lvl == "b" { ok }
)";
    std::mt19937 rng(20261126);
    const char* kLevels = "ewiob";
    for (int round = 0; round < 60; ++round) {
      const int n = static_cast<int>(rng() % 60);
      std::string events;
      std::vector<std::pair<int, int>> listed;  // (level rank, n) of each listed finding, in order
      for (int k = 0; k < n; ++k) {
        const int lvl = static_cast<int>(rng() % 5);
        events += ev(k, "x", fmt::format(R"("lvl": "{}", "n": {})", kLevels[lvl], k));
        if (lvl < 4) listed.emplace_back(lvl, k);
      }
      const size_t cap = rng() % 4 == 0 ? 0 : rng() % 40;
      // The reference: the best `cap` by (level, time), shown in time order.
      std::vector<std::pair<int, int>> want = listed;
      std::stable_sort(want.begin(), want.end());
      if (want.size() > cap) want.resize(cap);
      std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
      dta::EngineOptions opts;
      opts.max_kept_findings = cap;
      const dta::Report r = dta::test::run(policy, events, "", opts);
      CAPTURE(round);
      CAPTURE(cap);
      std::vector<std::string> got, expected;
      for (const dta::Finding& f : r.kept_findings) got.push_back(f.message);
      for (const auto& [lvl, k] : want) expected.push_back(fmt::format("{}{}", kLevels[lvl], k));
      CHECK(got == expected);
      CHECK(r.diagnostics.findings_not_kept == listed.size() - want.size());
    }
  }

  TEST_CASE("an error late in a long run of warnings is kept") {
    std::string events;
    for (int k = 0; k < 3000; ++k) events += ev(k, "x", fmt::format(R"("n": {})", k));
    dta::EngineOptions opts;
    opts.max_kept_findings = 100;
    const dta::Report r =
        dta::test::run("rule w on x where n < 2999 { warning \"w{n}\" }\nrule e on x where n == 2999 { error \"e\" }\n",
                       events, "", opts);
    REQUIRE(r.kept_findings.size() == 100);
    CHECK(r.kept_findings.back().message == "e");
    CHECK(r.kept_findings.front().message == "w0");
    CHECK(r.kept_findings[98].message == "w98");
    CHECK(r.diagnostics.findings_not_kept == 2900);
  }

  // ------------------------------------------------------------ item 7: metrics as data

  TEST_CASE("each metric series is a name, labels and a value; histograms have quantiles") {
    const char* policy = R"(
event db.open { op: string, errno: int, secret: string sensitive }
rule db on db.open {
  count db_errors { op: op, errno: errno }
  count opens
  count hidden { s: secret }
  observe latency errno { op: op }
}
)";
    std::string events;
    for (int k = 1; k <= 1000; ++k)
      events += ev(k, "db.open",
                   fmt::format(R"("op": "{}", "errno": {}, "secret": "{}")", k % 2 ? "open" : "read", k, kSecret));
    const dta::Report r = dta::test::run(policy, events);
    const dta::MetricSeries* open = series(r, "db_errors", {{"op", "open"}, {"errno", "13"}});
    REQUIRE(open);
    CHECK_FALSE(open->histogram);
    CHECK(open->value == 1);
    REQUIRE(series(r, "opens", {}));
    CHECK(series(r, "opens", {})->value == 1000);
    REQUIRE(series(r, "hidden", {{"s", "<redacted>"}}));
    CHECK(series(r, "hidden", {{"s", "<redacted>"}})->value == 1000);
    const dta::MetricSeries* lat = series(r, "latency", {{"op", "open"}});
    REQUIRE(lat);
    CHECK(lat->histogram);
    const dta::HistogramSummary& h = lat->hist;
    CHECK(h.count == 500);
    CHECK(h.min == 1);
    CHECK(h.max == 999);
    CHECK(h.sum == 250000);
    CHECK(h.has_quantiles);
    // odd values 1..999: the value of rank floor(q * 499), within 1%
    CHECK(h.p50 == doctest::Approx(499).epsilon(0.01));
    CHECK(h.p90 == doctest::Approx(899).epsilon(0.01));
    CHECK(h.p99 == doctest::Approx(989).epsilon(0.01));
    CHECK(h.p99 <= h.max);
    // the series are sorted by name, then labels; the text maps are kept
    for (size_t k = 1; k < r.metrics.size(); ++k)
      CHECK(std::tie(r.metrics[k - 1].name, r.metrics[k - 1].labels) <=
            std::tie(r.metrics[k].name, r.metrics[k].labels));
    CHECK(r.counters.at("db_errors{op=open,errno=13}") == 1);
    CHECK(r.histograms.at("latency{op=open}").p90 == h.p90);
    // JSON: counters and histograms by text key as before, and `series` as data
    const std::string text = dta::report_to_json(r);
    CHECK(text.find(kSecret) == std::string::npos);
    const json::value doc = json::parse(text);
    const json::array& all = doc.at("metrics").at("series").as_array();
    CHECK(all.size() == r.metrics.size());
    bool found_counter = false, found_hist = false;
    for (const json::value& s : all) {
      if (s.at("name") == "db_errors" && s.at("labels").at("errno") == "13" && s.at("labels").at("op") == "open") {
        found_counter = s.at("type") == "counter" && s.at("value") == 1;
      }
      if (s.at("name") == "latency" && s.at("labels").at("op") == "read") {
        const json::value& v = s.at("value");
        found_hist = s.at("type") == "histogram" && v.at("count") == 500 && v.at("min") == 2.0 &&
                     v.at("max") == 1000.0 && v.at("p50").is_double() && v.at("p99").is_double();
      }
    }
    CHECK(found_counter);
    CHECK(found_hist);
    CHECK(doc.at("metrics").at("histograms").at("latency{op=open}").at("p50").is_double());
  }

  TEST_CASE("label values that read alike as text are distinct series") {
    const char* policy = R"(
rule a on x { count m { a: s } }
rule b on y { count m { a: s, b: t } }
)";
    const std::string events =
        ev(1, "x", R"("s": "1,b=2")") + ev(2, "y", R"("s": "1", "t": "2")") + ev(3, "y", R"("s": "1", "t": "2")");
    const dta::Report r = dta::test::run(policy, events);
    REQUIRE(r.metrics.size() == 2);
    REQUIRE(series(r, "m", {{"a", "1,b=2"}}));
    CHECK(series(r, "m", {{"a", "1,b=2"}})->value == 1);
    CHECK(series(r, "m", {{"a", "1"}, {"b", "2"}})->value == 2);
    CHECK(r.counters.at("m{a=1,b=2}") == 3);  // as text they collide: the text entry adds them up
  }

  TEST_CASE("histogram quantile sketches share a budget; over it a series keeps count, sum, min and max") {
    std::string events;
    for (int k = 0; k < 400; ++k)  // one series after the other, each over ~100 sketch buckets
      events += ev(k, "x", fmt::format(R"("s": "{}", "v": {})", k / 100, std::pow(1.01, k % 100)));
    dta::EngineOptions opts;
    opts.max_metric_sketch_counters = 150;  // two sketches of ~100 buckets do not fit
    const dta::Report r = dta::test::run("rule o on x { observe h v { s: s } }\n", events, "", opts);
    REQUIRE(r.metrics.size() == 4);
    size_t with = 0;
    for (const dta::MetricSeries& m : r.metrics) {
      CHECK(m.hist.count == 100);
      CHECK(m.hist.min == 1);
      CHECK(m.hist.max == doctest::Approx(std::pow(1.01, 99)));
      with += m.hist.has_quantiles;
    }
    CHECK(with == 1);
    CHECK(r.diagnostics.metric_quantiles_dropped == 3);
    const json::value doc = json::parse(dta::report_to_json(r));
    CHECK(doc.at("diagnostics").at("metric_quantiles_dropped") == 3);
    size_t nulls = 0;
    for (const json::value& s : doc.at("metrics").at("series").as_array()) nulls += s.at("value").at("p50").is_null();
    CHECK(nulls == 3);
    const std::string summary = dta::cli::replay_summary(r, opts, 20);
    CHECK(summary.find("quantiles dropped (sketch budget)") != std::string::npos);
    CHECK(summary.find("metric_quantiles_dropped 3: ") != std::string::npos);
    // with the default budget every series keeps its sketch
    CHECK(dta::test::run("rule o on x { observe h v { s: s } }\n", events).diagnostics.metric_quantiles_dropped == 0);
  }

  TEST_CASE("the series cap holds for counters and histograms together") {
    std::string events;
    for (int k = 0; k < 30; ++k) events += ev(k, "x", fmt::format(R"("u": {})", k));
    dta::EngineOptions opts;
    opts.max_metric_series = 10;
    const dta::Report r = dta::test::run("rule m on x { count c { u: u } observe h u { u: u } }\n", events, "", opts);
    CHECK(r.metrics.size() == 10);
    CHECK(r.diagnostics.metric_series_dropped == 50);
  }

  // ------------------------------------------------------------ item 8: --fail-on

  TEST_CASE("fails_at: findings at or above a level, or alerts of the matching severity or above") {
    auto report = [](std::array<uint64_t, 4> findings, std::array<uint64_t, 3> alerts) {
      dta::Report r;
      r.findings = findings;
      r.alerts_raised = alerts;
      return r;
    };
    using L = dta::Level;
    const dta::Report clean = report({0, 0, 0, 9}, {0, 0, 0});
    for (L at : {L::Error, L::Warning, L::Info}) CHECK_FALSE(clean.fails_at(at));
    const dta::Report error = report({1, 0, 0, 0}, {0, 0, 0});
    for (L at : {L::Error, L::Warning, L::Info}) CHECK(error.fails_at(at));  // the verdict always fails
    const dta::Report warning = report({0, 2, 0, 0}, {0, 0, 0});
    CHECK_FALSE(warning.fails_at(L::Error));
    CHECK(warning.fails_at(L::Warning));
    CHECK(warning.fails_at(L::Info));
    const dta::Report info = report({0, 0, 3, 0}, {0, 0, 0});
    CHECK_FALSE(info.fails_at(L::Warning));
    CHECK(info.fails_at(L::Info));
    const dta::Report critical = report({0, 0, 0, 0}, {0, 0, 1});
    CHECK(critical.fails_at(L::Error));  // --fail-on critical (or error)
    const dta::Report warn_alert = report({0, 0, 0, 0}, {0, 4, 0});
    CHECK_FALSE(warn_alert.fails_at(L::Error));
    CHECK(warn_alert.fails_at(L::Warning));
    const dta::Report info_alert = report({0, 0, 0, 0}, {5, 0, 0});
    CHECK_FALSE(info_alert.fails_at(L::Warning));
    CHECK(info_alert.fails_at(L::Info));
  }

  TEST_CASE("alerts are counted by the severity they were raised with; suppressed ones are not") {
    const char* policy = R"(
rule crit on x { alert critical "c" dedup k every 1h }
rule warn on y { alert warning "w" }
profile calm { alert crit: info }
)";
    const std::string events =
        ev(1, "x", R"("k": 1)") + ev(2, "x", R"("k": 1)") + ev(3, "x", R"("k": 2)") + ev(4, "y", "");
    const dta::Report r = dta::test::run(policy, events);
    CHECK(r.alerts_raised == std::array<uint64_t, 3>{0, 1, 2});
    const dta::Report calm = dta::test::run(policy, events, "calm");
    CHECK(calm.alerts_raised == std::array<uint64_t, 3>{2, 1, 0});
    const json::value doc = json::parse(dta::report_to_json(r));
    CHECK(doc.at("alerts_raised").at("critical") == 2);
    CHECK(doc.at("verdict") == "pass");  // the spec's verdict is unchanged by alerts
    dta::cli::ReportOptions ro;
    CHECK(dta::cli::replay_exit_status(r, ro) == 0);
    ro.fail_on = dta::Level::Error;
    CHECK(dta::cli::replay_exit_status(r, ro) == 1);
    CHECK(dta::cli::replay_exit_status(calm, ro) == 0);
    ro.fail_on = dta::Level::Warning;
    CHECK(dta::cli::replay_exit_status(calm, ro) == 1);
  }

  TEST_CASE("report options: values, and what is wrong with them") {
    auto parse = [](std::vector<std::pair<std::string, std::string>> options) {
      dta::cli::Args a;
      a.options = std::move(options);
      return dta::cli::parse_report_options(a);
    };
    auto ok = parse({{"fail-on", "critical"}, {"max-findings", "25"}, {"color", "never"}, {"findings", "f.jsonl"}});
    REQUIRE(ok);
    CHECK(ok->fail_on == dta::Level::Error);
    CHECK(ok->max_findings == size_t{25});
    CHECK(ok->color == dta::cli::ColorMode::Never);
    CHECK(ok->findings_path == "f.jsonl");
    CHECK(parse({{"fail-on", "warning"}})->fail_on == dta::Level::Warning);
    CHECK(parse({{"fail-on", "info"}})->fail_on == dta::Level::Info);
    CHECK(parse({{"fail-on", "error"}})->fail_on == dta::Level::Error);
    CHECK(parse({{"fail-on", "fatal"}}).error() == "--fail-on wants info, warning, error or critical, not 'fatal'");
    CHECK(parse({{"max-findings", "-1"}}).error() == "--max-findings wants a count of findings (0 or more), not '-1'");
    CHECK_FALSE(parse({{"max-findings", "12x"}}));
    CHECK_FALSE(parse({{"max-findings", ""}}));
    CHECK(parse({{"max-findings", "0"}})->max_findings == size_t{0});
    CHECK(parse({{"color", "sometimes"}}).error() == "--color wants auto, always or never, not 'sometimes'");
    CHECK_FALSE(parse({{"findings", "-"}}));
    CHECK_FALSE(parse({{"findings", ""}}));
  }

  TEST_CASE("colours: --color always and never win; auto needs a terminal and honours NO_COLOR") {
    using dta::cli::ColorMode;
    const char* saved = std::getenv("NO_COLOR");
    const std::string keep = saved ? saved : "";
    setenv("NO_COLOR", "1", 1);
    CHECK(dta::cli::use_color(ColorMode::Always, -1));
    CHECK_FALSE(dta::cli::use_color(ColorMode::Auto, -1));
    CHECK_FALSE(dta::cli::use_color(ColorMode::Never, -1));
    unsetenv("NO_COLOR");
    CHECK_FALSE(dta::cli::use_color(ColorMode::Auto, -1));  // not a terminal
    if (saved) setenv("NO_COLOR", keep.c_str(), 1);
  }

  TEST_CASE("the findings file gets every finding, after any callback the host already set") {
    char path[] = "/tmp/dta-findings-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    auto file = dta::cli::FindingsFile::open(path);
    REQUIRE(file);
    dta::EngineOptions opts;
    int before = 0;
    opts.on_finding = [&](const dta::Finding&) { ++before; };
    (*file)->attach(opts);
    CHECK(opts.finding_fields);
    std::string err;
    auto engine = dta::Engine::create(dta::test::compiled(kLogins), opts, &err);
    REQUIRE(engine);
    const std::string events = login(0, "bob", false) + login(1000, "bob", false) + login(2000, "amy", true);
    std::FILE* in = fmemopen(const_cast<char*>(events.data()), events.size(), "r");
    dta::replay_stream(in, *engine, nullptr, &err);
    std::fclose(in);
    engine->advance_to(kT0 + 3600 * kSec);
    const auto lines = (*file)->close();
    REQUIRE(lines);
    CHECK(*lines == 7);
    CHECK(before == 7);
    const std::string text = dta::test::slurp(path);
    std::remove(path);
    CHECK(std::count(text.begin(), text.end(), '\n') == 7);
    CHECK(text.find(kSecret) == std::string::npos);
    CHECK(text.find(R"("token":"<redacted>")") != std::string::npos);
    // a write error is reported at close
    auto full = dta::cli::FindingsFile::open("/dev/full");
    REQUIRE(full);
    dta::EngineOptions o2;
    (*full)->attach(o2);
    dta::Finding f;
    f.message = std::string(2 << 20, 'x');  // past the buffer: the write fails now
    o2.on_finding(f);
    const auto closed = (*full)->close();
    REQUIRE_FALSE(closed);
    CHECK(closed.error().find("/dev/full: error: writing the findings file failed") == 0);
    CHECK_FALSE(dta::cli::FindingsFile::open("/nonexistent-dir/f.jsonl"));
  }

  // ------------------------------------------------------------ item 9: for people

  TEST_CASE("durations, numbers and floats in text, for people") {
    using dta::format_duration;
    CHECK(format_duration(0) == "0s");
    CHECK(format_duration(42) == "42ns");
    CHECK(format_duration(1500) == "1.5us");
    CHECK(format_duration(250000000) == "250ms");
    CHECK(format_duration(1234567) == "1.234ms");
    CHECK(format_duration(1800000000000) == "30m");
    CHECK(format_duration(2500000000) == "2.5s");
    CHECK(format_duration(5400 * kSec) == "1h30m");
    CHECK(format_duration(90061 * kSec + 500000000) == "1d1h1m1.5s");
    CHECK(format_duration(-3 * kSec) == "-3s");
    CHECK(format_duration(INT64_MIN) == "-106751d23h47m16.854s");
    CHECK(format_duration(INT64_MAX) == "106751d23h47m16.854s");
    using dta::cli::format_number;
    CHECK(format_number(48847.71500000001) == "48847.7");
    CHECK(format_number(1817.1961994449757) == "1817.2");
    CHECK(format_number(0.30000000000000004) == "0.3");
    CHECK(format_number(812.5) == "812.5");
    CHECK(format_number(42) == "42");
    CHECK(format_number(-0.0) == "0");
    CHECK(format_number(123456789.5) == "123456790");
    CHECK(format_number(1e20) == "1e+20");
    CHECK(format_number(0.000012345678) == "1.23457e-05");
    CHECK(format_number(1.0 / 0.0) == "inf");
    using dta::cli::round_floats;
    CHECK(round_floats("p99 1817.1961994449757 ms") == "p99 1817.2 ms");
    CHECK(round_floats("x=-0.30000000000000004, y=2.5") == "x=-0.3, y=2.5");
    CHECK(round_floats("1.23456789e-05s") == "1.23456789e-05s");  // glued to a word: not a number of its own
    CHECK(round_floats("v 1.23456789e-05 s") == "v 1.23457e-05 s");
    CHECK(round_floats("version 1.2.3, host 10.0.0.1, id 0.1234567890abc, v1.12345678") ==
          "version 1.2.3, host 10.0.0.1, id 0.1234567890abc, v1.12345678");
    CHECK(round_floats("12345678901234567890") == "12345678901234567890");  // integers stay
    CHECK(round_floats("") == "");
  }

  TEST_CASE("control characters in event data are escaped") {
    using dta::cli::escape_text;
    CHECK(escape_text("plain text, UTF-8 日本語 é") == "plain text, UTF-8 日本語 é");
    CHECK(escape_text("a\x1b[2J\nfake line") == "a\\x1b[2J\\nfake line");
    CHECK(escape_text("tab\there\r\x7f\x01") == "tab\\there\\r\\x7f\\x01");
    CHECK(escape_text("c1 \xc2\x9b"
                      "31m") == "c1 \\u{009b}31m");                       // CSI as a C1 control
    CHECK(escape_text("raw \x9b byte") == "raw \\x9b byte");              // not UTF-8
    CHECK(escape_text("rtl \xe2\x80\xae evil") == "rtl \\u{202e} evil");  // right-to-left override
    CHECK(escape_text("ls \xe2\x80\xa8 next") == "ls \\u{2028} next");    // line separator
    CHECK(escape_text("cut \xe6\x97") == "cut \\xe6\\x97");               // a cut sequence
    CHECK(escape_text(std::string("nul\0x", 5)) == "nul\\x00x");
  }

  TEST_CASE("the summary escapes event data everywhere it shows it") {
    const char* policy = R"(
rule r on x { error "got {s}" alert warning "a {s}" labels { v: s } count c { v: s } }
rule w on x { expect y matching s within 1h else { info "never" } }
)";
    const std::string evil = R"(\u001b[2J\u001b[H\nfake line\r\u009b31m\u202e)";
    const std::string events = ev(1, "x", "\"s\": \"" + evil + "\"");
    const dta::Report r = dta::test::run(policy, events);
    REQUIRE(r.kept_findings.size() == 1);
    REQUIRE(r.alerts.size() == 1);
    for (bool color : {false, true}) {
      dta::cli::SummaryStyle style;
      style.color = color;
      const std::string out = dta::cli::replay_summary(r, {}, style);
      CAPTURE(out);
      CHECK(out.find("\x1b[2J") == std::string::npos);
      CHECK(out.find("\x1b[H") == std::string::npos);
      CHECK(out.find('\r') == std::string::npos);
      CHECK(out.find("\xc2\x9b") == std::string::npos);
      CHECK(out.find("\xe2\x80\xae") == std::string::npos);
      CHECK(out.find("\nfake line") == std::string::npos);  // no forged line
      CHECK(out.find("got \\x1b[2J\\x1b[H\\nfake line\\r\\u{009b}31m\\u{202e}") != std::string::npos);
      CHECK(out.find("{v=\\x1b[2J") != std::string::npos);           // alert labels
      CHECK(out.find("counter c{v=\\x1b[2J") != std::string::npos);  // metric labels
      CHECK(out.find("[s=\\x1b[2J") != std::string::npos);           // pending keys
      CHECK((out.find("\x1b[") != std::string::npos) == color);      // only our own colours
    }
  }

  TEST_CASE("the summary groups findings by rule, errors first, and says how many more there are") {
    const char* policy = R"(
rule few_errors on x where n % 10 == 0 { error "e{n}" }
rule many_warnings on x where n % 10 != 0 { warning "w{n}" }
rule one_info on x where n == 5 { info "only {n}" }
rule fine on x { ok }
)";
    std::string events;
    for (int k = 0; k < 50; ++k) events += ev(k, "x", fmt::format(R"("n": {})", k));
    dta::EngineOptions opts;
    opts.max_kept_findings = 10;
    const dta::Report r = dta::test::run(policy, events, "", opts);
    const std::string out = dta::cli::replay_summary(r, opts, 20);
    CAPTURE(out);
    CHECK(out.find(": 50 events: FAIL\n") != std::string::npos);
    CHECK(out.find("findings: 5 errors, 45 warnings, 1 info, 50 ok\n") != std::string::npos);
    const size_t errors = out.find("  few_errors: 5 errors\n");
    const size_t warnings = out.find("  many_warnings: 45 warnings\n");
    const size_t info = out.find("  one_info: 1 info\n");
    REQUIRE(errors != std::string::npos);
    REQUIRE(warnings != std::string::npos);
    REQUIRE(info != std::string::npos);
    CHECK(errors < warnings);
    CHECK(warnings < info);
    CHECK(out.find("  fine:") == std::string::npos);  // bare oks are only counted
    CHECK(out.find("few_errors: e0\n") != std::string::npos);
    CHECK(out.find("few_errors: e20\n") != std::string::npos);
    CHECK(out.find("few_errors: e30\n") == std::string::npos);  // three examples per rule
    CHECK(out.find("    ... 2 more findings\n") != std::string::npos);
    CHECK(out.find("    ... 42 more findings\n") != std::string::npos);  // 5 errors + 5 warnings kept; 3 shown
    CHECK(out.find("    ... 1 more finding (none kept)\n") != std::string::npos);  // the info was displaced
    CHECK(out.find("  (--findings FILE writes every finding; the report kept 10: --max-findings N keeps more)\n") !=
          std::string::npos);
    CHECK(out.find("findings_not_kept 41: ") != std::string::npos);
    // a single one is not plural
    const dta::Report one = dta::test::run(policy, ev(1, "x", R"("n": 10)"));
    const std::string single = dta::cli::replay_summary(one, {}, 20);
    CHECK(single.find(": 1 event: FAIL\n") != std::string::npos);
    CHECK(single.find("findings: 1 error, 0 warnings, 0 infos, 1 ok\n") != std::string::npos);
    CHECK(single.find("... ") == std::string::npos);  // nothing was cut
  }

  TEST_CASE("the summary cuts long lists and says how many more: alerts, rules, pending items, bad lines") {
    const char* policy = R"(
rule a on x { alert warning "w{n}" }
rule c on y { alert critical "c{n}" }
rule wait on x { expect z matching n within 1h else { info "late" } }
)";
    std::string events;
    for (int k = 0; k < 30; ++k) events += ev(k, "x", fmt::format(R"("n": {})", k));
    events += ev(100, "y", R"("n": 1)");
    for (int k = 0; k < 7; ++k) events += "not json\n";
    const dta::Report r = dta::test::run(policy, events);
    dta::cli::SummaryStyle style;
    style.max_listed = 5;
    const std::string out = dta::cli::replay_summary(r, {}, style);
    CAPTURE(out);
    CHECK(out.find("alerts: 31 raised (1 critical, 30 warning), critical first:\n") != std::string::npos);
    CHECK(out.find("  c: 1 critical alert\n") < out.find("  a: 30 warning alerts\n"));
    CHECK(out.find("    ... 27 more alerts\n") != std::string::npos);
    CHECK(out.find("pending when the stream ended: 30 expectations, 0 machine timers\n") != std::string::npos);
    CHECK(out.find("--end-at TIME or --end-at +DURATION lets time pass") != std::string::npos);
    CHECK(out.find("  ... 25 more pending items (--json lists the first 30)\n") != std::string::npos);
    CHECK(out.find("(due 59m59.9s after the last event)") != std::string::npos);  // durations as durations
    CHECK(out.find("  ... 2 more bad lines (--json lists the first 7)\n") != std::string::npos);
    CHECK(out.find(": 31 events, 7 bad lines: PASS\n") != std::string::npos);
  }

  TEST_CASE("the summary rounds floats for people; JSON keeps full precision") {
    const char* policy = R"(
rule slow on x { warning "p99 {v * 1.1} ms" observe lat v / 10.0 }
)";
    const std::string events = ev(1, "x", R"("v": 1651)") + ev(2, "x", R"("v": 2)");
    const dta::Report r = dta::test::run(policy, events);
    const std::string out = dta::cli::replay_summary(r, {}, 20);
    CAPTURE(out);
    CHECK(out.find("slow: p99 1816.1 ms\n") != std::string::npos);
    CHECK(out.find("histogram lat: count 2, sum 165.3, min 0.2, max 165.1, p50 ") != std::string::npos);
    const std::string text = dta::report_to_json(r);
    CHECK(text.find("\"message\": \"p99 1816.1000000000001 ms\"") != std::string::npos);
    CHECK(text.find("\"sum\": 165.29999999999998") != std::string::npos);  // not 1.6529999999999998E2
  }

  TEST_CASE("the summary says when --fail-on fails a passing verdict, and colours only on request") {
    const char* policy = R"(
rule w on x { warning "w" }
rule c on y { alert critical "c" }
)";
    const dta::Report r = dta::test::run(policy, ev(1, "x", "") + ev(2, "y", ""));
    dta::cli::SummaryStyle style;
    CHECK(dta::cli::replay_summary(r, {}, style).find(": 2 events: PASS\n") != std::string::npos);
    style.fail_on = dta::Level::Warning;
    CHECK(dta::cli::replay_summary(r, {}, style)
              .find(": 2 events: PASS by the verdict, FAIL by --fail-on warning (1 critical alert, 1 warning)\n") !=
          std::string::npos);
    style.fail_on = dta::Level::Error;
    CHECK(dta::cli::replay_summary(r, {}, style).find("FAIL by --fail-on error (1 critical alert)") !=
          std::string::npos);
    style.color = true;
    const std::string colored = dta::cli::replay_summary(r, {}, style);
    CHECK(colored.find("\x1b[1;31mFAIL\x1b[0m") != std::string::npos);
    CHECK(colored.find("\x1b[33mwarning") != std::string::npos);
  }
}
