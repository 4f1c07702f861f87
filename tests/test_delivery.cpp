// Alert sinks (runtime/delivery/): the Alertmanager payload, the queue,
// batching, retries with backoff, timeouts, drops, shutdown, the JSON Lines
// file sink and the runtime's alert_sinks, against a fake HTTP server.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "delivery/http_client.hpp"
#include "delivery/queued_sink.hpp"
#include "dta/delivery.hpp"
#include "dta/dta.hpp"
#include "test_delivery_fake_server.hpp"

namespace json = boost::json;
using namespace std::chrono_literals;
using dta::test::FakeHttpServer;

namespace {

dta::Alert make_alert(std::string rule, int64_t ts = 1'764'358'880'123'000'000) {  // 2025-11-28T19:41:20.123Z
  dta::Alert a;
  a.rule = std::move(rule);
  a.severity = "critical";
  a.message = "3 database errors within 2s";
  a.ts = ts;
  a.labels = {{"team", "db"}, {"http.status", "500"}};
  return a;
}

// Options that make the tests fast.
dta::DeliveryOptions fast() {
  dta::DeliveryOptions o;
  o.backoff_initial = 20ms;
  o.backoff_max = 200ms;
  o.connect_timeout = 1000ms;
  o.io_timeout = 1000ms;
  o.shutdown_timeout = 1000ms;
  return o;
}

std::shared_ptr<dta::AlertSink> sink_for(const FakeHttpServer& server, dta::DeliveryOptions o = fast()) {
  auto s = dta::make_alertmanager_sink(server.url(), std::move(o));
  REQUIRE_MESSAGE(s.ok(), s.error());
  return *s;
}

size_t alerts_in(const std::string& body) { return json::parse(body).as_array().size(); }

}  // namespace

TEST_SUITE("delivery") {
  TEST_CASE("the Alertmanager payload: labels, annotations, times, names made valid") {
    dta::DeliveryOptions o;
    o.labels = {{"service", "shop"}, {"team", "ops"}};
    o.generator_url = "http://shop/dta";
    dta::Alert a = make_alert("db_error_burst");
    a.labels.push_back({"alertname", "forged"});  // cannot replace the rule's name
    a.key = {{"worker", "3"}};
    const std::string body = dta::alertmanager_payload(std::span(&a, 1), o);
    const json::array arr = json::parse(body).as_array();
    REQUIRE(arr.size() == 1);
    const json::object& obj = arr[0].as_object();
    const json::object& labels = obj.at("labels").as_object();
    CHECK(labels.at("alertname") == "db_error_burst");
    CHECK(labels.at("severity") == "critical");
    CHECK(labels.at("service") == "shop");
    CHECK(labels.at("team") == "ops");  // the host's labels come before the rule's: first wins
    CHECK(labels.at("http_status") == "500");
    CHECK(labels.size() == 5);
    CHECK(obj.at("annotations").at("summary") == "3 database errors within 2s");
    CHECK(obj.at("startsAt") == "2025-11-28T19:41:20.123Z");
    CHECK(obj.at("endsAt") == "2025-11-28T19:46:20.123Z");  // + the 300 s resolve timeout
    CHECK(obj.at("generatorURL") == "http://shop/dta");
    // nothing else: never an event field
    CHECK(obj.size() == 5);
  }

  TEST_CASE("the payload: times before 1970 and at the int64 limits, many alerts") {
    std::vector<dta::Alert> alerts = {make_alert("a", -1), make_alert("b", INT64_MAX), make_alert("c", 0)};
    const json::array arr = json::parse(dta::alertmanager_payload(alerts, {})).as_array();
    REQUIRE(arr.size() == 3);
    CHECK(arr[0].at("startsAt") == "1969-12-31T23:59:59.999Z");
    CHECK(arr[1].at("endsAt").as_string().size() > 0);  // saturated, still a time
    CHECK(arr[2].at("startsAt") == "1970-01-01T00:00:00.000Z");
    CHECK(json::parse(dta::alertmanager_payload({}, {})).as_array().empty());
  }

  TEST_CASE("URLs the Alertmanager sink refuses, and the paths it posts to") {
    for (const char* bad : {"https://127.0.0.1:9093", "ftp://x", "127.0.0.1:9093", "http://", "http://:9093",
                            "http://h:0", "http://h:99999", "http://h:12x", "http://[::1", "http://u@h:1"}) {
      auto s = dta::make_alertmanager_sink(bad);
      CHECK_MESSAGE(!s.ok(), bad);
    }
    auto https = dta::make_alertmanager_sink("https://am:9093");
    REQUIRE(!https.ok());
    CHECK(https.error().find("https is not supported") != std::string::npos);
    auto u = dta::delivery::parse_http_url("http://[::1]:9093/am/");
    REQUIRE(u.ok());
    CHECK(u->host == "::1");
    CHECK(u->port == "9093");
    CHECK(u->path == "/am/");
    CHECK(dta::delivery::parse_http_url("http://am")->port == "80");
  }

  TEST_CASE("alerts are POSTed to /api/v2/alerts as JSON and counted") {
    FakeHttpServer server([](size_t) { return FakeHttpServer::Reply{}; });
    auto sink = sink_for(server);
    for (int i = 0; i < 3; ++i) sink->submit(make_alert("r" + std::to_string(i)));
    REQUIRE(sink->flush(5s));
    const dta::DeliveryStats st = sink->stats();
    CHECK(st.submitted == 3);
    CHECK(st.sent == 3);
    CHECK(st.failed_attempts == 0);
    CHECK(st.dropped == 0);
    CHECK(st.queued == 0);
    size_t total = 0;
    for (const auto& r : server.requests()) {
      CHECK(r.method == "POST");
      CHECK(r.target == "/api/v2/alerts");
      CHECK(r.content_type == "application/json");
      total += alerts_in(r.body);
    }
    CHECK(total == 3);
    CHECK(sink->name() == "alertmanager " + server.url());
  }

  TEST_CASE("a prefix in the URL is kept") {
    FakeHttpServer server([](size_t) { return FakeHttpServer::Reply{}; });
    auto s = dta::make_alertmanager_sink(server.url() + "/am/", fast());
    REQUIRE(s.ok());
    (*s)->submit(make_alert("r"));
    REQUIRE((*s)->flush(5s));
    REQUIRE(server.count() == 1);
    CHECK(server.requests()[0].target == "/am/api/v2/alerts");
  }

  TEST_CASE("alerts that come while a request is in flight go in batches of max_batch") {
    FakeHttpServer server([](size_t n) { return FakeHttpServer::Reply{200, n == 0 ? 300ms : 0ms, ""}; });
    dta::DeliveryOptions o = fast();
    o.max_batch = 4;
    auto sink = sink_for(server, o);
    sink->submit(make_alert("first"));
    REQUIRE(server.wait_for(1));
    for (int i = 0; i < 10; ++i) sink->submit(make_alert("r" + std::to_string(i)));
    REQUIRE(sink->flush(5s));
    const auto reqs = server.requests();
    REQUIRE(reqs.size() == 4);
    CHECK(alerts_in(reqs[0].body) == 1);
    CHECK(alerts_in(reqs[1].body) == 4);
    CHECK(alerts_in(reqs[2].body) == 4);
    CHECK(alerts_in(reqs[3].body) == 2);
    CHECK(sink->stats().sent == 11);
  }

  TEST_CASE("a failed batch is retried with exponential backoff, then delivered") {
    FakeHttpServer server([](size_t n) { return FakeHttpServer::Reply{n < 3 ? 503 : 200, 0ms, ""}; });
    dta::DeliveryOptions o = fast();
    o.backoff_initial = 40ms;
    auto sink = sink_for(server, o);
    sink->submit(make_alert("r"));
    REQUIRE(sink->flush(5s));
    const dta::DeliveryStats st = sink->stats();
    CHECK(st.failed_attempts == 3);
    CHECK(st.retried == 3);
    CHECK(st.sent == 1);
    CHECK(st.dropped == 0);
    CHECK(st.last_error.find("HTTP 503") != std::string::npos);
    const auto reqs = server.requests();
    REQUIRE(reqs.size() == 4);
    const auto gap = [&](size_t i) { return reqs[i + 1].at - reqs[i].at; };
    CHECK(gap(0) >= 40ms);
    CHECK(gap(1) >= 80ms);
    CHECK(gap(2) >= 160ms);
    CHECK(reqs[3].body == reqs[0].body);  // the same batch again
  }

  TEST_CASE("the backoff doubles up to its cap") {
    using dta::delivery::backoff_delay;
    CHECK(backoff_delay(1, 250ms, 8000ms) == 250ms);
    CHECK(backoff_delay(2, 250ms, 8000ms) == 500ms);
    CHECK(backoff_delay(6, 250ms, 8000ms) == 8000ms);
    CHECK(backoff_delay(1000, 250ms, 8000ms) == 8000ms);  // no overflow
  }

  TEST_CASE("a batch that keeps failing is dropped after max_attempts, and counted") {
    FakeHttpServer server([](size_t) { return FakeHttpServer::Reply{500, 0ms, "boom\nline two"}; });
    dta::DeliveryOptions o = fast();
    o.max_attempts = 3;
    o.backoff_initial = 5ms;
    auto sink = sink_for(server, o);
    sink->submit(make_alert("a"));
    sink->submit(make_alert("b"));
    REQUIRE(sink->flush(5s));
    const dta::DeliveryStats st = sink->stats();
    CHECK(st.sent == 0);
    CHECK(st.failed_attempts == 3);
    CHECK(st.retried == 2);
    CHECK(st.dropped == 2);
    CHECK(st.dropped_after_retries == 2);
    CHECK(st.last_error == "HTTP 500: boom line two");  // one line
    CHECK(server.count() == 3);
  }

  TEST_CASE("a refusal (400) is not retried") {
    FakeHttpServer server([](size_t) { return FakeHttpServer::Reply{400, 0ms, "bad alert"}; });
    auto sink = sink_for(server);
    sink->submit(make_alert("a"));
    REQUIRE(sink->flush(5s));
    const dta::DeliveryStats st = sink->stats();
    CHECK(st.failed_attempts == 1);
    CHECK(st.retried == 0);
    CHECK(st.dropped == 1);
    CHECK(st.dropped_after_retries == 0);
    CHECK(server.count() == 1);
  }

  TEST_CASE("a refused batch is sent again one alert at a time: only the refused one is dropped") {
    // The first request is slow (so that the next three make one batch); any body with the rule "bad" is refused.
    FakeHttpServer server([](size_t n, const std::string& body) {
      if (body.find("\"alertname\":\"bad\"") != std::string::npos) return FakeHttpServer::Reply{400, 0ms, "bad"};
      return FakeHttpServer::Reply{200, n == 0 ? 300ms : 0ms, ""};
    });
    auto sink = sink_for(server);
    sink->submit(make_alert("first"));
    REQUIRE(server.wait_for(1));
    for (const char* rule : {"a", "bad", "c"}) sink->submit(make_alert(rule));
    REQUIRE(sink->flush(5s));
    const dta::DeliveryStats st = sink->stats();
    CHECK(st.sent == 3);
    CHECK(st.dropped == 1);
    CHECK(st.failed_attempts == 2);  // the batch, then "bad" alone
    CHECK(st.retried == 0);
    const auto reqs = server.requests();
    REQUIRE(reqs.size() == 5);
    CHECK(alerts_in(reqs[1].body) == 3);
    for (size_t i = 2; i < 5; ++i) CHECK(alerts_in(reqs[i].body) == 1);
  }

  TEST_CASE("a server that does not answer times out") {
    FakeHttpServer server([](size_t) { return FakeHttpServer::Reply{200, 3000ms, ""}; });
    dta::DeliveryOptions o = fast();
    o.io_timeout = 100ms;
    o.max_attempts = 1;
    auto sink = sink_for(server, o);
    const auto start = std::chrono::steady_clock::now();
    sink->submit(make_alert("a"));
    REQUIRE(sink->flush(2s));
    CHECK(std::chrono::steady_clock::now() - start < 1500ms);
    const dta::DeliveryStats st = sink->stats();
    CHECK(st.dropped == 1);
    CHECK(st.last_error.find("timed out after 100 ms") != std::string::npos);
  }

  TEST_CASE("nobody listening: connection refused, retried, dropped") {
    std::string url;
    {
      FakeHttpServer gone([](size_t) { return FakeHttpServer::Reply{}; });
      url = gone.url();
    }  // its port is closed now
    dta::DeliveryOptions o = fast();
    o.max_attempts = 2;
    o.backoff_initial = 5ms;
    auto s = dta::make_alertmanager_sink(url, o);
    REQUIRE(s.ok());
    (*s)->submit(make_alert("a"));
    REQUIRE((*s)->flush(5s));
    const dta::DeliveryStats st = (*s)->stats();
    CHECK(st.failed_attempts == 2);
    CHECK(st.dropped == 1);
    CHECK(st.last_error.find("connecting to 127.0.0.1") != std::string::npos);
  }

  TEST_CASE("a full queue drops new alerts at once and counts them") {
    FakeHttpServer server([](size_t n) { return FakeHttpServer::Reply{200, n == 0 ? 300ms : 0ms, ""}; });
    dta::DeliveryOptions o = fast();
    o.queue_capacity = 2;
    auto sink = sink_for(server, o);
    sink->submit(make_alert("in flight"));
    REQUIRE(server.wait_for(1));
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) sink->submit(make_alert("r" + std::to_string(i)));
    CHECK(std::chrono::steady_clock::now() - start < 100ms);  // never waits for the server
    REQUIRE(sink->flush(5s));
    const dta::DeliveryStats st = sink->stats();
    CHECK(st.submitted == 6);
    CHECK(st.sent == 3);
    CHECK(st.dropped == 3);
    CHECK(st.dropped_queue_full == 3);
  }

  TEST_CASE("shutdown waits a bounded time, then gives up a request in flight") {
    FakeHttpServer server([](size_t) { return FakeHttpServer::Reply{200, 5000ms, ""}; });
    dta::DeliveryOptions o = fast();
    o.io_timeout = 10s;
    o.shutdown_timeout = 200ms;
    auto sink = sink_for(server, o);
    for (int i = 0; i < 3; ++i) sink->submit(make_alert("r"));
    REQUIRE(server.wait_for(1));
    CHECK_FALSE(sink->flush(50ms));  // still in flight
    CHECK(sink->stats().queued == 3);
    const auto start = std::chrono::steady_clock::now();
    sink.reset();
    CHECK(std::chrono::steady_clock::now() - start < 1500ms);
  }

  TEST_CASE("shutdown delivers what is queued when the server answers") {
    FakeHttpServer server([](size_t) { return FakeHttpServer::Reply{}; });
    {
      auto sink = sink_for(server);
      for (int i = 0; i < 20; ++i) sink->submit(make_alert("r"));
    }
    size_t total = 0;
    for (const auto& r : server.requests()) total += alerts_in(r.body);
    CHECK(total == 20);
  }

  TEST_CASE("the JSON Lines file sink appends one object per alert") {
    const std::string path = (std::filesystem::temp_directory_path() / "dta_test_alerts.jsonl").string();
    std::filesystem::remove(path);
    {
      auto s = dta::make_jsonl_alert_sink(path);
      REQUIRE(s.ok());
      (*s)->submit(make_alert("a"));
      (*s)->submit(make_alert("b"));
      REQUIRE((*s)->flush(5s));
      CHECK((*s)->stats().sent == 2);
    }
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    REQUIRE(lines.size() == 2);
    CHECK(json::parse(lines[0]).at("rule") == "a");
    CHECK(json::parse(lines[1]).at("rule") == "b");
    CHECK(json::parse(lines[1]).at("labels").at("http.status") == "500");
    std::filesystem::remove(path);
    auto bad = dta::make_jsonl_alert_sink("/nonexistent-dir/x/alerts.jsonl");
    REQUIRE(!bad.ok());
    CHECK(bad.error().find("cannot open the alerts file") != std::string::npos);
  }

  TEST_CASE("a runtime submits its alerts to RuntimeOptions::alert_sinks, then calls on_alert") {
    // A sink that records what it was given (on the evaluating thread).
    struct Recorder final : dta::AlertSink {
      std::mutex mu;
      std::vector<dta::Alert> got;
      std::string n = "recorder";
      void submit(const dta::Alert& a) noexcept override {
        std::lock_guard lock(mu);
        got.push_back(a);
      }
      bool flush(std::chrono::milliseconds) noexcept override { return true; }
      dta::DeliveryStats stats() const override { return {}; }
      const std::string& name() const noexcept override { return n; }
    };
    auto rec = std::make_shared<Recorder>();
    std::atomic<int> callbacks{0};
    size_t seen_by_sink_first = 0;
    dta::RuntimeOptions o;
    o.mode = dta::EvalMode::Sync;
    o.alert_sinks = {rec, nullptr};  // a null sink is skipped
    o.on_alert = [&](const dta::Alert&) {
      seen_by_sink_first = rec->got.size();
      ++callbacks;
    };
    auto rt = dta::make_runtime(std::move(o));
    REQUIRE(rt);
    REQUIRE(rt->load_source("p.dta",
                            "event x { n: int, pw: string sensitive }\n"
                            "rule big on x where n > 1 { alert critical \"n is {n}\" labels { team: \"db\" } }\n")
                .ok);
    rt->emit("x", dta::Severity::Info, {{"n", 5}, {"pw", "hunter2"}});
    rt->flush();
    REQUIRE(rec->got.size() == 1);
    CHECK(callbacks == 1);
    CHECK(seen_by_sink_first == 1);
    CHECK(rec->got[0].rule == "big");
    CHECK(rec->got[0].message == "n is 5");
    const std::string body = dta::alertmanager_payload(rec->got, {});
    CHECK(body.find("hunter2") == std::string::npos);  // no event field is ever added
    CHECK(body.find("\"team\":\"db\"") != std::string::npos);
  }
}
