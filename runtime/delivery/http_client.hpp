// A small HTTP/1.1 client over Boost.Beast for the sinks: one request per
// connection, every phase under a timeout, cancellable from another thread.
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "dta/expected.hpp"

namespace dta::delivery {

// Where an http:// URL points.
struct HttpUrl {
  std::string host;  // a name or an address (IPv6 without brackets)
  std::string port;  // "80" by default
  std::string path;  // "/..." ("/" when the URL has none)
};

// Parses http://HOST[:PORT][/PATH]; https and anything else are refused with a reason.
Expected<HttpUrl> parse_http_url(std::string_view url);

struct HttpResponse {
  int status = 0;     // 0: no answer (see error)
  std::string error;  // why there is no answer: connection refused, timeout...
  std::string body;   // the answer's body (at most 1 MiB: a longer answer is an error)
};

class HttpClient {
 public:
  HttpClient(std::chrono::milliseconds connect_timeout, std::chrono::milliseconds io_timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads its answer. Never throws.
  HttpResponse request(const HttpUrl& url, std::string_view method, std::string_view content_type, std::string body);
  // Ends the request in progress and makes later ones fail at once. Thread-safe.
  void cancel() noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace dta::delivery
