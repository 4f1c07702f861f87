// The sinks' HTTP client: Boost.Beast over Asio, asynchronous operations run
// one at a time on a private io_context so that each phase has a deadline.
#include "http_client.hpp"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <mutex>

namespace dta::delivery {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kMaxAnswerBody = 1024 * 1024;  // answers the sinks read are a status and a short message

}  // namespace

Expected<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.starts_with("https://"))
    return fail(fmt::format("'{}': https is not supported (use http://, or a TLS proxy in front)", url));
  if (!url.starts_with(kScheme)) return fail(fmt::format("'{}' is not an http:// URL", url));
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl u;
  u.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos)
    return fail(fmt::format("'{}': user information in the URL is not supported", url));
  std::string_view port;
  if (authority.starts_with("[")) {  // [::1]:9093
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail(fmt::format("'{}': unclosed '[' in the host", url));
    u.host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return fail(fmt::format("'{}': expected ':PORT' after the host", url));
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return fail(fmt::format("'{}' has no host", url));
  if (port.empty()) {
    u.port = "80";
  } else {
    unsigned n = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc() || p != port.data() + port.size() || n == 0 || n > 65535)
      return fail(fmt::format("'{}': the port must be 1 to 65535, not '{}'", url, port));
    u.port = std::string(port);
  }
  return u;
}

struct HttpClient::Impl {
  std::chrono::milliseconds connect_timeout, io_timeout;
  asio::io_context ioc;
  std::atomic<bool> cancelled{false};

  // Runs the io_context until the operation started last completes (each
  // has its own deadline), for at most `limit`, or until the client is
  // cancelled (cancel() sets the flag before it stops the io_context, so a
  // cancel between two operations is seen here).
  void run(std::chrono::milliseconds limit = std::chrono::milliseconds::max()) {
    ioc.restart();
    if (cancelled) return;
    if (limit == std::chrono::milliseconds::max())
      ioc.run();
    else
      ioc.run_for(limit);
  }
};

HttpClient::HttpClient(std::chrono::milliseconds connect_timeout, std::chrono::milliseconds io_timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->connect_timeout = connect_timeout;
  impl_->io_timeout = io_timeout;
}

HttpClient::~HttpClient() = default;

void HttpClient::cancel() noexcept {
  impl_->cancelled = true;
  impl_->ioc.stop();
}

HttpResponse HttpClient::request(const HttpUrl& url, std::string_view method, std::string_view content_type,
                                 std::string body) {
  HttpResponse out;
  Impl& im = *impl_;
  auto cancelled = [&] {
    if (!im.cancelled) return false;
    out.error = "cancelled (shutting down)";
    return true;
  };
  try {
    if (cancelled()) return out;
    beast::error_code ec;
    // Resolve: the resolver has no deadline of its own, so the io_context runs for at most the connect timeout.
    tcp::resolver resolver(im.ioc);
    tcp::resolver::results_type endpoints;
    bool resolved = false;
    resolver.async_resolve(url.host, url.port, [&](beast::error_code e, tcp::resolver::results_type r) {
      ec = e;
      endpoints = std::move(r);
      resolved = true;
    });
    im.run(im.connect_timeout);
    if (cancelled()) return out;
    if (!resolved) {
      resolver.cancel();
      im.run();
      out.error = fmt::format("resolving {}: timed out after {} ms", url.host, im.connect_timeout.count());
      return out;
    }
    if (ec) {
      out.error = fmt::format("resolving {}: {}", url.host, ec.message());
      return out;
    }

    beast::tcp_stream stream(im.ioc);
    stream.expires_after(im.connect_timeout);
    stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    im.run();
    if (cancelled()) return out;
    if (ec) {
      out.error =
          fmt::format("connecting to {}:{}: {}", url.host, url.port,
                      ec == beast::error::timeout ? fmt::format("timed out after {} ms", im.connect_timeout.count())
                                                  : ec.message());
      return out;
    }

    http::request<http::string_body> req{http::string_to_verb(method), url.path, 11};
    req.set(http::field::host,
            url.host.find(':') != std::string::npos ? "[" + url.host + "]:" + url.port : url.host + ":" + url.port);
    req.set(http::field::user_agent, "dta");
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    req.body() = std::move(body);
    req.prepare_payload();
    stream.expires_after(im.io_timeout);
    http::async_write(stream, req, [&](beast::error_code e, size_t) { ec = e; });
    im.run();
    if (cancelled()) return out;
    if (ec) {
      out.error = fmt::format(
          "sending to {}:{}: {}", url.host, url.port,
          ec == beast::error::timeout ? fmt::format("timed out after {} ms", im.io_timeout.count()) : ec.message());
      return out;
    }

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxAnswerBody);
    stream.expires_after(im.io_timeout);
    http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
    im.run();
    if (cancelled()) return out;
    if (ec) {
      out.error = fmt::format(
          "reading the answer of {}:{}: {}", url.host, url.port,
          ec == beast::error::timeout ? fmt::format("timed out after {} ms", im.io_timeout.count()) : ec.message());
      return out;
    }
    out.status = static_cast<int>(parser.get().result_int());
    out.body = std::move(parser.get().body());
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);  // the server may have closed first: ignored
  } catch (const std::exception& e) {                          // allocation failures and the like: a failed request
    out.status = 0;
    out.error = e.what();
  }
  return out;
}

}  // namespace dta::delivery
