// The Prometheus Alertmanager sink: alerts as API v2 wants them
// (POST /api/v2/alerts, a JSON array), through the shared queue and retries.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <ctime>
#include <unordered_set>

#include "http_client.hpp"
#include "queued_sink.hpp"

namespace dta {

namespace json = boost::json;

namespace {

constexpr std::string_view kAlertsPath = "/api/v2/alerts";
constexpr int64_t kNsPerMs = 1'000'000;
constexpr size_t kErrorBody = 200;  // what of an error answer's body goes into last_error

// RFC 3339 in UTC with milliseconds: 2026-11-28T19:41:20.123Z. Times beyond
// what gmtime can show are clamped to the epoch's range it can.
std::string rfc3339(int64_t ns) {
  int64_t ms = ns / kNsPerMs;
  if (ns % kNsPerMs < 0) --ms;  // floor
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  int64_t frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  if (!gmtime_r(&secs, &tm)) return "1970-01-01T00:00:00.000Z";
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

// Saturating a + b for times near the int64 limits.
int64_t add_saturated(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

json::object alert_object(const Alert& a, const DeliveryOptions& o) {
  json::object labels;
  std::unordered_set<std::string> seen;
  auto add = [&](std::string_view name, std::string_view value) {
    std::string key = sanitize_label_name(name);
    if (seen.insert(key).second) labels[key] = value;
  };
  add("alertname", a.rule);
  add("severity", a.severity);
  for (const auto& [k, v] : o.labels) add(k, v);
  for (const auto& [k, v] : a.labels) add(k, v);  // labels {...}, then the `by` keys
  json::object annotations{{"summary", a.message}, {"rule", a.rule}};
  if (a.suppressed) annotations["suppressed"] = std::to_string(a.suppressed);
  const int64_t resolve_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(o.resolve_timeout).count();
  json::object obj{{"labels", std::move(labels)},
                   {"annotations", std::move(annotations)},
                   {"startsAt", rfc3339(a.ts)},
                   {"endsAt", rfc3339(add_saturated(a.ts, resolve_ns))}};
  if (!o.generator_url.empty()) obj["generatorURL"] = o.generator_url;
  return obj;
}

// One POST per batch; 2xx is delivered, 4xx (but 408 and 429) a refusal no retry cures.
class AlertmanagerTransport final : public delivery::Transport {
 public:
  AlertmanagerTransport(delivery::HttpUrl url, const DeliveryOptions& o)
      : url_(std::move(url)), options_(o), client_(o.connect_timeout, o.io_timeout) {}

  delivery::SendResult send(std::span<const Alert> alerts) override {
    delivery::HttpResponse r =
        client_.request(url_, "POST", "application/json", alertmanager_payload(alerts, options_));
    if (r.status == 0) return {false, true, r.error};
    if (r.status >= 200 && r.status < 300) return {true, true, ""};
    const bool retryable = r.status >= 500 || r.status == 408 || r.status == 429;
    std::string body = r.body.substr(0, kErrorBody);
    for (char& c : body)
      if (c == '\n' || c == '\r') c = ' ';
    return {false, retryable, fmt::format("HTTP {}{}{}", r.status, body.empty() ? "" : ": ", body)};
  }
  void cancel() noexcept override { client_.cancel(); }

 private:
  delivery::HttpUrl url_;
  DeliveryOptions options_;
  delivery::HttpClient client_;
};

}  // namespace

std::string alertmanager_payload(std::span<const Alert> alerts, const DeliveryOptions& options) {
  json::array arr;
  arr.reserve(alerts.size());
  for (const Alert& a : alerts) arr.emplace_back(alert_object(a, options));
  return json::serialize(arr);
}

namespace delivery {

std::unique_ptr<Transport> make_alertmanager_transport(const std::string& url, const DeliveryOptions& options,
                                                       std::string* error) {
  Expected<HttpUrl> u = parse_http_url(url);
  if (!u) {
    if (error) *error = u.error();
    return nullptr;
  }
  if (!u->path.ends_with(kAlertsPath)) {
    while (u->path.ends_with("/")) u->path.pop_back();
    u->path += kAlertsPath;
  }
  return std::make_unique<AlertmanagerTransport>(std::move(*u), options);
}

}  // namespace delivery

Expected<std::shared_ptr<AlertSink>> make_alertmanager_sink(const std::string& url, DeliveryOptions options) {
  std::string error;
  auto transport = delivery::make_alertmanager_transport(url, options, &error);
  if (!transport) return fail("alertmanager: " + error);
  auto sink = delivery::QueuedSink::start("alertmanager " + url, std::move(transport), std::move(options), &error);
  if (!sink) return fail("alertmanager: " + error);
  return std::shared_ptr<AlertSink>(std::move(sink));
}

}  // namespace dta
