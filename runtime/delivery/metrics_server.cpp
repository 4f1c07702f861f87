// The /metrics endpoint: a small Boost.Beast HTTP server on its own thread,
// loopback unless the host allows more, a bounded number of connections,
// every read and write under a timeout.
#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <thread>

#include "dta/delivery.hpp"
#include "dta/runtime.hpp"

namespace dta {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kMaxConnections = 16;          // scrapers are few; more at once are turned away (closed)
constexpr size_t kMaxRequestBytes = 16 * 1024;  // a GET is a line and a few headers
constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

struct Endpoint {
  std::string host;
  uint16_t port = 0;
};

Expected<Endpoint> parse_address(std::string_view a) {
  Endpoint e;
  std::string_view port;
  if (a.starts_with("[")) {
    const size_t close = a.find(']');
    if (close == std::string_view::npos || close + 1 >= a.size() || a[close + 1] != ':')
      return fail(fmt::format("'{}': expected [IPV6]:PORT", a));
    e.host = a.substr(1, close - 1);
    port = a.substr(close + 2);
  } else {
    const size_t colon = a.rfind(':');
    if (colon == std::string_view::npos) return fail(fmt::format("'{}': expected HOST:PORT", a));
    e.host = a.substr(0, colon);
    port = a.substr(colon + 1);
  }
  if (e.host == "localhost") e.host = "127.0.0.1";
  unsigned n = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size() || n > 65535)
    return fail(fmt::format("'{}': the port must be 0 to 65535", a));
  e.port = static_cast<uint16_t>(n);
  return e;
}

}  // namespace

struct MetricsServer::Impl {
  // Declared before the io_context: its destructor ends the sessions still
  // open, which count themselves out of `connections`.
  std::function<std::string()> render;
  MetricsServerOptions options;
  size_t connections = 0;  // on the server's thread only
  std::atomic<uint64_t> scrapes{0};
  std::string bound;  // HOST:PORT
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread thread;

  // One connection: read a request, answer it, close.
  struct Session : std::enable_shared_from_this<Session> {
    Impl& server;
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request_parser<http::empty_body> parser;
    http::response<http::string_body> res;

    Session(Impl& s, tcp::socket socket) : server(s), stream(std::move(socket)) {
      parser.header_limit(kMaxRequestBytes);
      parser.body_limit(kMaxRequestBytes);
    }
    ~Session() { --server.connections; }

    void start() {
      stream.expires_after(server.options.io_timeout);
      http::async_read(stream, buffer, parser,
                       [self = shared_from_this()](beast::error_code ec, size_t) { self->answer(ec); });
    }

    void answer(beast::error_code ec) {
      if (ec) return;  // timed out, closed, or not HTTP: nothing to answer
      const auto& req = parser.get();
      res.version(req.version());
      res.keep_alive(false);
      std::string_view target(req.target().data(), req.target().size());
      if (const size_t q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
      if (target != "/metrics") {
        res.result(http::status::not_found);
        res.set(http::field::content_type, "text/plain");
        res.body() = "not found: the metrics are at /metrics\n";
      } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
        res.result(http::status::method_not_allowed);
        res.set(http::field::allow, "GET, HEAD");
        res.body() = "only GET\n";
      } else {
        res.result(http::status::ok);
        res.set(http::field::content_type, kContentType);
        try {
          res.body() = server.render();
        } catch (...) {  // a renderer must not throw; if it does, the scraper sees an error
          res.result(http::status::internal_server_error);
          res.body() = "could not render the metrics\n";
        }
        if (req.method() == http::verb::head) res.body().clear();
        ++server.scrapes;
      }
      res.prepare_payload();
      stream.expires_after(server.options.io_timeout);
      http::async_write(stream, res, [self = shared_from_this()](beast::error_code e, size_t) {
        self->stream.socket().shutdown(tcp::socket::shutdown_both, e);
      });
    }
  };

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        if (connections >= kMaxConnections) {
          socket.close(ec);  // busy: the scraper retries at its next interval
        } else {
          ++connections;
          std::make_shared<Session>(*this, std::move(socket))->start();
        }
      }
      accept();
    });
  }
};

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsServer::~MetricsServer() {
  asio::post(impl_->ioc, [im = impl_.get()] {
    beast::error_code ec;
    im->acceptor.close(ec);
  });
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

uint16_t MetricsServer::port() const {
  const size_t colon = impl_->bound.rfind(':');
  return static_cast<uint16_t>(std::stoi(impl_->bound.substr(colon + 1)));
}
std::string MetricsServer::address() const { return impl_->bound; }
uint64_t MetricsServer::scrapes() const { return impl_->scrapes.load(); }

Expected<std::unique_ptr<MetricsServer>> MetricsServer::start(std::function<std::string()> render,
                                                              MetricsServerOptions options) {
  if (!render) return fail("metrics: no renderer");
  Expected<Endpoint> ep = parse_address(options.address);
  if (!ep) return fail("metrics: " + ep.error());
  beast::error_code ec;
  const asio::ip::address addr = asio::ip::make_address(ep->host, ec);
  if (ec)
    return fail(
        fmt::format("metrics: '{}' is not an IP address (give 127.0.0.1, [::1] or an interface's address)", ep->host));
  if (!addr.is_loopback() && !options.allow_non_loopback)
    return fail(
        fmt::format("metrics: {} is not a loopback address: the page would be open to the network "
                    "(allow it explicitly to serve it there)",
                    options.address));
  auto impl = std::make_unique<Impl>();
  impl->render = std::move(render);
  impl->options = std::move(options);
  const tcp::endpoint endpoint(addr, ep->port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(fmt::format("metrics: cannot listen on {}: {}", impl->options.address, ec.message()));
  const tcp::endpoint local = impl->acceptor.local_endpoint(ec);
  impl->bound = addr.is_v6() ? fmt::format("[{}]:{}", addr.to_string(), local.port())
                             : fmt::format("{}:{}", addr.to_string(), local.port());
  impl->accept();
  try {
    impl->thread = std::thread([im = impl.get()] {
      for (;;) {
        try {
          im->ioc.run();
          return;
        } catch (...) {  // a handler threw (out of memory): keep serving
        }
      }
    });
  } catch (const std::exception& e) {
    return fail(std::string("metrics: cannot start the server's thread: ") + e.what());
  }
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

Expected<std::unique_ptr<MetricsServer>> MetricsServer::start(Runtime& runtime, MetricsServerOptions options) {
  auto sinks = options.sinks;
  MetricsTextOptions text = options.text;
  return start(
      [&runtime, sinks = std::move(sinks), text] {
        const Report report = runtime.report();
        const RuntimeStats stats = runtime.stats();
        MetricsSnapshot snap{&report, &stats, {}};
        for (const auto& s : sinks)
          if (s) snap.delivery.emplace_back(s->name(), s->stats());
        return metrics_text(snap, text);
      },
      std::move(options));
}

}  // namespace dta
