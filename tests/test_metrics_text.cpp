// The Prometheus text exposition (runtime/delivery/metrics_text.cpp) and the
// /metrics server (metrics_server.cpp).
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <sstream>

#include "delivery/http_client.hpp"
#include "dta/delivery.hpp"
#include "dta/dta.hpp"

using namespace std::chrono_literals;

namespace {

dta::MetricSeries counter(std::string name, dta::KeyLabels labels, uint64_t v) {
  dta::MetricSeries m;
  m.name = std::move(name);
  m.labels = std::move(labels);
  m.value = v;
  return m;
}

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

size_t count_prefix(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  size_t n = 0;
  for (std::string l; std::getline(in, l);)
    if (l.starts_with(prefix)) ++n;
  return n;
}

bool name_char(char c, bool first, bool colon) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
  return alpha || (!first && c >= '0' && c <= '9');
}

// A name at `i` of the given charset; advances past it.
bool read_name(const std::string& l, size_t& i, bool colon) {
  const size_t start = i;
  while (i < l.size() && name_char(l[i], i == start, colon)) ++i;
  return i > start;
}

// Whether `l` is a line of the 0.0.4 grammar: # HELP NAME TEXT, # TYPE NAME
// KIND, or NAME[{label="value",...}] VALUE with \\, \" and \n the only escapes.
bool exposition_line(const std::string& l) {
  size_t i = 0;
  if (l.starts_with("# HELP ") || l.starts_with("# TYPE ")) {
    i = 7;
    if (!read_name(l, i, true) || i >= l.size() || l[i] != ' ') return false;
    if (l[2] == 'H') return true;
    const std::string kind = l.substr(i + 1);
    return kind == "counter" || kind == "gauge" || kind == "summary" || kind == "histogram" || kind == "untyped";
  }
  if (!read_name(l, i, true)) return false;
  if (i < l.size() && l[i] == '{') {
    ++i;
    for (;;) {
      if (!read_name(l, i, false) || l.compare(i, 2, "=\"") != 0) return false;
      for (i += 2; i < l.size() && l[i] != '"'; ++i) {
        if (l[i] == '\\') {
          if (++i >= l.size() || (l[i] != '\\' && l[i] != '"' && l[i] != 'n')) return false;
        }
      }
      if (i >= l.size()) return false;
      ++i;
      if (i < l.size() && l[i] == ',') {
        ++i;
        continue;
      }
      if (i >= l.size() || l[i] != '}') return false;
      ++i;
      break;
    }
  }
  if (i >= l.size() || l[i] != ' ') return false;
  const std::string v = l.substr(i + 1);
  if (v == "+Inf" || v == "-Inf" || v == "NaN") return true;
  return !v.empty() && v.find_first_not_of("0123456789.e+-") == std::string::npos;
}

// Every line is a comment (# HELP / # TYPE) or a sample of the 0.0.4 grammar.
void check_grammar(const std::string& text) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) CHECK_MESSAGE(exposition_line(l), l);
  CHECK((text.empty() || text.back() == '\n'));
}

std::string get(uint16_t port, const std::string& path, std::string_view method = "GET", int* status = nullptr) {
  dta::delivery::HttpClient client(1000ms, 2000ms);
  dta::delivery::HttpUrl u{"127.0.0.1", std::to_string(port), path};
  dta::delivery::HttpResponse r = client.request(u, method, "", "");
  if (status) *status = r.status;
  return r.body;
}

// Server options listening on `address`.
dta::MetricsServerOptions on(std::string address, bool allow_non_loopback = false,
                             std::chrono::milliseconds io_timeout = 5000ms) {
  dta::MetricsServerOptions o;
  o.address = std::move(address);
  o.allow_non_loopback = allow_non_loopback;
  o.io_timeout = io_timeout;
  return o;
}

}  // namespace

TEST_SUITE("metrics_text") {
  TEST_CASE("the test's own grammar check refuses what is not exposition text") {
    CHECK(exposition_line("a_total{k=\"v\\\"\"} 1"));
    CHECK_FALSE(exposition_line("a b"));
    CHECK_FALSE(exposition_line("a{k=\"v} 1"));
    CHECK_FALSE(exposition_line("a{k=\"v\\x\"} 1"));
    CHECK_FALSE(exposition_line("fake_total 9\""));
    CHECK_FALSE(exposition_line("# TYPE a nonsense"));
  }

  TEST_CASE("names made valid for Prometheus; label values escaped") {
    CHECK(dta::sanitize_metric_name("db.errors") == "db_errors");
    CHECK(dta::sanitize_metric_name("9lives") == "_9lives");
    CHECK(dta::sanitize_metric_name("") == "_");
    CHECK(dta::sanitize_metric_name("a:b-c d\xc3\xa9") == "a:b_c_d__");
    CHECK(dta::sanitize_label_name("a:b") == "a_b");
    CHECK(dta::sanitize_label_name("http.status") == "http_status");
    CHECK(dta::sanitize_label_name("__name__") == "x__name__");
    CHECK(dta::sanitize_label_name("1x") == "_1x");
    CHECK(dta::escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
    CHECK(dta::escape_label_value("\xc3\xa9t\xc3\xa9") == "\xc3\xa9t\xc3\xa9");  // UTF-8 as it is
  }

  TEST_CASE("count is a counter named _total; observe a summary with quantiles, _sum and _count") {
    dta::Report r;
    r.policy = "shop";
    r.metrics.push_back(counter("db_errors", {{"errno", "5"}}, 3));
    r.metrics.push_back(counter("db_errors", {{"errno", "11"}}, 1));
    dta::MetricSeries h;
    h.name = "slow_query_ms";
    h.histogram = true;
    h.hist = {4, 200.5, 41, 70, 45, 60, 69.5, true};
    r.metrics.push_back(h);
    const std::string t = dta::metrics_text({&r, nullptr, {}});
    check_grammar(t);
    CHECK(has_line(t, "# HELP db_errors_total count db_errors (policy shop)"));
    CHECK(has_line(t, "# TYPE db_errors_total counter"));
    CHECK(has_line(t, "db_errors_total{errno=\"5\"} 3"));
    CHECK(has_line(t, "db_errors_total{errno=\"11\"} 1"));
    CHECK(count_prefix(t, "# TYPE db_errors_total") == 1);  // one family, two series
    CHECK(has_line(t, "# TYPE slow_query_ms summary"));
    CHECK(has_line(t, "slow_query_ms{quantile=\"0.5\"} 45"));
    CHECK(has_line(t, "slow_query_ms{quantile=\"0.9\"} 60"));
    CHECK(has_line(t, "slow_query_ms{quantile=\"0.99\"} 69.5"));
    CHECK(has_line(t, "slow_query_ms_sum 200.5"));
    CHECK(has_line(t, "slow_query_ms_count 4"));
    // without a runtime: the report's counts
    CHECK(has_line(t, "dta_events_evaluated_total 0"));
    CHECK(has_line(t, "dta_findings_total{level=\"error\"} 0"));
  }

  TEST_CASE("a summary whose sketch was dropped shows _sum and _count only") {
    dta::Report r;
    dta::MetricSeries h;
    h.name = "lat";
    h.histogram = true;
    h.hist = {2, 3, 1, 2, 0, 0, 0, false};
    r.metrics.push_back(h);
    const std::string t = dta::metrics_text({&r, nullptr, {}});
    CHECK(count_prefix(t, "lat{quantile") == 0);
    CHECK(has_line(t, "lat_count 2"));
  }

  TEST_CASE("hostile label values and names stay inside their quotes") {
    dta::Report r;
    r.metrics.push_back(counter("by.path", {{"path", "/a\"} 1\nfake_total 9\\"}, {"0bad key", "x"}}, 7));
    const std::string t = dta::metrics_text({&r, nullptr, {}});
    check_grammar(t);
    CHECK(has_line(t, "by_path_total{path=\"/a\\\"} 1\\nfake_total 9\\\\\",_0bad_key=\"x\"} 7"));
    CHECK(count_prefix(t, "fake_total") == 0);
  }

  TEST_CASE("the cardinality cap: series beyond it are left out and counted") {
    dta::Report r;
    for (int i = 0; i < 5; ++i) r.metrics.push_back(counter("hits", {{"user", "u" + std::to_string(i)}}, 1));
    dta::MetricsTextOptions o;
    o.max_series_per_family = 3;
    const std::string t = dta::metrics_text({&r, nullptr, {}}, o);
    CHECK(count_prefix(t, "hits_total{") == 3);
    CHECK(has_line(t, "dta_metrics_series_capped 2"));
    CHECK(has_line(dta::metrics_text({&r, nullptr, {}}), "dta_metrics_series_capped 0"));
  }

  TEST_CASE("names that become equal, and policy names in the engine's prefix") {
    dta::Report r;
    r.metrics.push_back(counter("a.b", {{"k", "1"}}, 1));
    r.metrics.push_back(counter("a_b", {{"k", "1"}}, 2));  // the same series once made valid: left out
    r.metrics.push_back(counter("dta_events_evaluated", {}, 5));
    dta::MetricSeries h;
    h.name = "a_b_total";  // a summary where a counter family is: refused
    h.histogram = true;
    r.metrics.push_back(h);
    const std::string t = dta::metrics_text({&r, nullptr, {}});
    check_grammar(t);
    CHECK(has_line(t, "a_b_total{k=\"1\"} 1"));
    CHECK(count_prefix(t, "a_b_total{") == 1);
    CHECK(has_line(t, "dta_metrics_series_collided 2"));
    CHECK(has_line(t, "policy_dta_events_evaluated_total 5"));
    CHECK(has_line(t, "dta_events_evaluated_total 0"));
  }

  TEST_CASE("the runtime's stats and the sinks' delivery") {
    dta::RuntimeStats s;
    s.emitted = 10;
    s.evaluated = 8;
    s.dropped = 2;
    s.findings = {1, 2, 3, 4};
    s.alerts = 5;
    s.reloads_ok = 2;
    s.reloads_failed = 1;
    s.rules.push_back({"db_failed", 7, 6, 0, 0, 0, 0, false});
    dta::Report r;
    r.diagnostics.evicted_keys = 9;
    dta::DeliveryStats d;
    d.sent = 4;
    d.failed_attempts = 3;
    d.retried = 2;
    d.dropped = 1;
    const std::string t = dta::metrics_text({&r, &s, {{"alertmanager http://x", d}}});
    check_grammar(t);
    CHECK(has_line(t, "dta_events_emitted_total 10"));
    CHECK(has_line(t, "dta_events_evaluated_total 8"));
    CHECK(has_line(t, "dta_events_dropped_total 2"));
    CHECK(has_line(t, "dta_findings_total{level=\"warning\"} 2"));
    CHECK(has_line(t, "dta_findings_total{level=\"ok\"} 4"));
    CHECK(has_line(t, "dta_alerts_total 5"));
    CHECK(has_line(t, "dta_reloads_total{result=\"ok\"} 2"));
    CHECK(has_line(t, "dta_reloads_total{result=\"failed\"} 1"));
    CHECK(has_line(t, "dta_rule_matched_total{rule=\"db_failed\"} 7"));
    CHECK(has_line(t, "dta_rule_fired_total{rule=\"db_failed\"} 6"));
    CHECK(has_line(t, "dta_evicted_keys_total 9"));
    CHECK(has_line(t, "dta_alerts_delivered_total{sink=\"alertmanager http://x\"} 4"));
    CHECK(has_line(t, "dta_alert_delivery_failures_total{sink=\"alertmanager http://x\"} 3"));
    CHECK(has_line(t, "dta_alert_delivery_retries_total{sink=\"alertmanager http://x\"} 2"));
    CHECK(has_line(t, "dta_alerts_undelivered_total{sink=\"alertmanager http://x\"} 1"));
    CHECK(count_prefix(t, "# TYPE dta_reloads_total counter") == 1);
  }

  TEST_CASE("the server: GET /metrics, 404 elsewhere, 405 for other methods, scrapes counted") {
    std::atomic<int> renders{0};
    auto server = dta::MetricsServer::start(
        [&] {
          ++renders;
          return std::string("# TYPE x counter\nx 1\n");
        },
        on("127.0.0.1:0"));
    REQUIRE_MESSAGE(server.ok(), server.error());
    const uint16_t port = (*server)->port();
    CHECK(port != 0);
    CHECK((*server)->address() == "127.0.0.1:" + std::to_string(port));
    int status = 0;
    CHECK(get(port, "/metrics", "GET", &status) == "# TYPE x counter\nx 1\n");
    CHECK(status == 200);
    CHECK(get(port, "/metrics?name[]=x", "GET", &status).starts_with("# TYPE"));
    get(port, "/", "GET", &status);
    CHECK(status == 404);
    get(port, "/metricsx", "GET", &status);
    CHECK(status == 404);
    get(port, "/metrics", "POST", &status);
    CHECK(status == 405);
    CHECK((*server)->scrapes() == 2);
    CHECK(renders == 2);
  }

  TEST_CASE("the server refuses a non-loopback address unless allowed, and bad addresses") {
    auto open = dta::MetricsServer::start([] { return std::string(); }, on("0.0.0.0:0"));
    REQUIRE(!open.ok());
    CHECK(open.error().find("not a loopback address") != std::string::npos);
    auto allowed = dta::MetricsServer::start([] { return std::string(); }, on("0.0.0.0:0", true));
    CHECK(allowed.ok());
    CHECK(dta::MetricsServer::start([] { return std::string(); }, on("localhost:0")).ok());
    for (const char* bad : {"nonsense", "127.0.0.1", "127.0.0.1:x", "127.0.0.1:70000", "example.com:80", "[::1"}) {
      auto s = dta::MetricsServer::start([] { return std::string(); }, on(bad));
      CHECK_MESSAGE(!s.ok(), bad);
    }
    // a port in use
    auto first = dta::MetricsServer::start([] { return std::string(); }, on("127.0.0.1:0"));
    REQUIRE(first.ok());
    auto second =
        dta::MetricsServer::start([] { return std::string(); }, on("127.0.0.1:" + std::to_string((*first)->port())));
    CHECK(!second.ok());
  }

  TEST_CASE("a slow client is cut off and does not stop the server") {
    auto server = dta::MetricsServer::start([] { return std::string("x 1\n"); }, on("127.0.0.1:0", false, 200ms));
    REQUIRE(server.ok());
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket idle(ioc);
    idle.connect({boost::asio::ip::make_address("127.0.0.1"), (*server)->port()});  // never sends
    int status = 0;
    CHECK(get((*server)->port(), "/metrics", "GET", &status) == "x 1\n");
    CHECK(status == 200);
  }

  TEST_CASE("a runtime's metrics over HTTP") {
    dta::RuntimeOptions o;
    o.mode = dta::EvalMode::Sync;
    auto rt = dta::make_runtime(std::move(o));
    REQUIRE(rt);
    const std::string policy =
        "event db.query { errno: int }\n"
        "rule db_failed on db.query where errno != 0 {\n  error \"failed\"\n  count db_errors { errno: errno }\n}\n";
    REQUIRE(rt->load_source("p.dta", policy).ok);
    REQUIRE(rt->load_source("p.dta", policy).ok);           // a reload
    CHECK_FALSE(rt->load_source("p.dta", "rule x on").ok);  // a reload that fails
    for (int i = 0; i < 3; ++i) rt->emit("db.query", dta::Severity::Info, {{"errno", 5}});
    rt->emit("db.query", dta::Severity::Info, {{"errno", 0}});
    rt->flush();
    auto server = dta::MetricsServer::start(*rt, on("127.0.0.1:0"));
    REQUIRE(server.ok());
    const std::string t = get((*server)->port(), "/metrics");
    check_grammar(t);
    CHECK(has_line(t, "dta_events_evaluated_total 4"));
    CHECK(has_line(t, "dta_findings_total{level=\"error\"} 3"));
    CHECK(has_line(t, "dta_rule_fired_total{rule=\"db_failed\"} 3"));
    CHECK(has_line(t, "db_errors_total{errno=\"5\"} 3"));
    CHECK(has_line(t, "dta_reloads_total{result=\"ok\"} 1"));
    CHECK(has_line(t, "dta_reloads_total{result=\"failed\"} 1"));
  }
}
