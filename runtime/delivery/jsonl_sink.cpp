// The JSON Lines file sink: each alert as the report's alert object, one per
// line, appended and flushed per batch, off the evaluating thread.
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "dta/report_json.hpp"
#include "queued_sink.hpp"

namespace dta {

namespace {

class JsonlTransport final : public delivery::Transport {
 public:
  JsonlTransport(std::FILE* f, std::string path) : f_(f), path_(std::move(path)) {}
  ~JsonlTransport() override { std::fclose(f_); }

  delivery::SendResult send(std::span<const Alert> alerts) override {
    std::string text;
    for (const Alert& a : alerts) text += alert_json_line(a);
    // A batch retried after a short write may repeat lines; a reader keeps the last of equal ones.
    if (std::fwrite(text.data(), 1, text.size(), f_) != text.size() || std::fflush(f_) != 0) {
      const int err = errno ? errno : EIO;
      std::clearerr(f_);
      return {false, true, fmt::format("writing {}: {}", path_, std::strerror(err))};
    }
    return {true, true, ""};
  }

 private:
  std::FILE* f_;
  std::string path_;
};

}  // namespace

Expected<std::shared_ptr<AlertSink>> make_jsonl_alert_sink(const std::string& path, DeliveryOptions options) {
  std::FILE* f = std::fopen(path.c_str(), "ab");
  if (!f) return fail(fmt::format("{}: cannot open the alerts file: {}", path, std::strerror(errno)));
  std::string error;
  auto sink = delivery::QueuedSink::start("file " + path, std::make_unique<JsonlTransport>(f, path), std::move(options),
                                          &error);
  if (!sink) return fail(path + ": " + error);
  return std::shared_ptr<AlertSink>(std::move(sink));
}

}  // namespace dta
