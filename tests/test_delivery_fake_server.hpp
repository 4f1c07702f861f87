// A fake HTTP server for the delivery tests (Boost.Beast, synchronous, one
// connection at a time on its own thread): records every request and answers
// as the test says (a status, after a delay, or not at all for a while).
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dta::test {

class FakeHttpServer {
 public:
  struct Reply {
    int status = 200;
    std::chrono::milliseconds delay{0};  // before answering (longer than the client's timeout: a hang)
    std::string body;
  };
  struct Request {
    std::string method, target, content_type, body;
    std::chrono::steady_clock::time_point at;
  };

  // `reply(n)` answers request number n (0, 1, ...).
  explicit FakeHttpServer(std::function<Reply(size_t)> reply)
      : FakeHttpServer([r = std::move(reply)](size_t n, const std::string&) { return r(n); }) {}
  // `reply(n, body)` answers request number n, which came with `body`.
  explicit FakeHttpServer(std::function<Reply(size_t, const std::string&)> reply) : reply_(std::move(reply)) {
    using boost::asio::ip::tcp;
    tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { run(); });
  }
  ~FakeHttpServer() {
    stop_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket s(ioc_);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);  // wakes accept()
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  size_t count() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }
  // Waits up to `timeout` for at least `n` requests.
  bool wait_for(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (count() < n) {
      if (std::chrono::steady_clock::now() > end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

 private:
  void run() {
    namespace http = boost::beast::http;
    for (size_t n = 0;; ++n) {
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket sock(ioc_);
      acceptor_.accept(sock, ec);
      if (stop_) return;
      if (ec) continue;
      boost::beast::flat_buffer buf;
      http::request<http::string_body> req;
      http::read(sock, buf, req, ec);
      if (ec) continue;
      {
        std::lock_guard lock(mu_);
        requests_.push_back({std::string(req.method_string()), std::string(req.target()),
                             std::string(req[http::field::content_type]), req.body(),
                             std::chrono::steady_clock::now()});
      }
      const Reply r = reply_(n, req.body());
      const auto until = std::chrono::steady_clock::now() + r.delay;
      while (!stop_ && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
      res.body() = r.body;
      res.keep_alive(false);
      res.prepare_payload();
      http::write(sock, res, ec);  // the client may have given up: ignored
      sock.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    }
  }

  std::function<Reply(size_t, const std::string&)> reply_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_{ioc_};
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  std::thread thread_;
};

}  // namespace dta::test
