// Test support: a real Beast WebSocket client and a real `facilitator serve` child process.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <nlohmann/json.hpp>

#include "test_defaults.hpp"

namespace roundtable::test {

using json = nlohmann::json;
using namespace std::chrono_literals;

/// One io_context thread shared by every test client.
class client_loop {
public:
  client_loop();
  ~client_loop();
  boost::asio::io_context& ioc() { return ioc_; }
  static client_loop& instance();

private:
  boost::asio::io_context ioc_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

/// Extra HTTP header lines of a test request, e.g. {{"X-Forwarded-For", "203.0.113.7"}}.
using header_list = std::vector<std::pair<std::string, std::string>>;

/// A WebSocket client that records every frame it receives, in order.
class ws_client : public std::enable_shared_from_this<ws_client> {
public:
  /// Connects to ws://127.0.0.1:port/ws (with an Origin header when given); throws on failure.
  static std::shared_ptr<ws_client> connect(unsigned short port, std::optional<std::string> origin = std::nullopt);
  /// Like connect, from a given local address (e.g. 127.0.0.2, another loopback address).
  static std::shared_ptr<ws_client> connect_from(unsigned short port, const std::string& local_address);
  /// Like connect_from, with extra headers on the upgrade request (e.g. X-Forwarded-For).
  static std::shared_ptr<ws_client> connect_with(unsigned short port, const std::string& local_address,
                                                 header_list headers);
  ~ws_client();

  void send(const json& msg);
  /// Sends raw bytes as a text (or binary) frame.
  void send_raw(std::string text, bool binary = false);
  /// Sends msg with a fresh id and waits for the reply echoing it.
  json request(json msg, std::chrono::milliseconds timeout = 5s);
  /// The first received message (after `from`) matching pred, waiting up to timeout.
  std::optional<json> wait_for(const std::function<bool(const json&)>& pred, std::chrono::milliseconds timeout = 5s,
                               std::size_t from = 0);
  /// Like wait_for for a push of this type (and question, if given), counting only messages after `from`.
  std::optional<json> wait_push(const std::string& type, const std::string& question = "",
                                std::chrono::milliseconds timeout = 5s, std::size_t from = 0);
  /// Every message received so far.
  std::vector<json> received() const;
  std::size_t count() const;
  /// True once the server closed the connection (or it failed); close_code() then says how.
  bool closed() const;
  bool wait_closed(std::chrono::milliseconds timeout = 5s) const;
  int close_code() const;
  void close();

private:
  explicit ws_client(boost::asio::io_context& ioc);
  static std::shared_ptr<ws_client> open(unsigned short port, std::optional<std::string> origin,
                                         std::optional<std::string> local_address, header_list headers = {});
  void do_read();
  void do_write();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::deque<std::pair<std::string, bool>> outbox_;
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<json> inbox_;
  bool closed_ = false;
  int close_code_ = 0;
  int next_id_ = 1;
};

/// `build/bin/facilitator serve` as a child process on a free loopback port.
class server_process {
public:
  struct options {
    std::string db;
    std::string scenarios;
    std::string key = test_key;
    int min_group = 3;
    std::vector<std::string> extra;
  };
  explicit server_process(options o);
  ~server_process();

  unsigned short port() const { return port_; }
  const options& opts() const { return opts_; }
  /// The child's process id (-1 once it is gone), e.g. to set its resource limits.
  int pid() const { return pid_; }
  /// SIGKILL, no goodbye.
  void kill_hard();
  /// SIGTERM; returns the exit status (or -1 if it did not exit within timeout).
  int terminate(std::chrono::milliseconds timeout = 6s);
  /// Everything the server wrote on stdout and stderr so far.
  std::string output() const;

private:
  options opts_;
  int pid_ = -1;
  int out_fd_ = -1;
  unsigned short port_ = 0;
  std::string log_path_;
};

/// A fresh temporary folder, removed with everything in it on destruction.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

/// A valid participant token, distinct for each i.
std::string token(int i);

/// Polls pred every 20 ms until it holds (true) or timeout passed (false, after a last look).
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

/// HTTP GET on 127.0.0.1:port: status and body.
struct http_result {
  int status = 0;
  std::string body;
  std::string content_type;
  header_list headers = {};  // every response header, as sent

  /// The first header of that name (case-insensitive), or "" without one.
  std::string header(const std::string& name) const;
};
http_result http_get(unsigned short port, const std::string& target, const std::string& bearer = "");
/// The same from a given local address (e.g. 127.0.0.2), with extra headers (e.g. X-Forwarded-For).
http_result http_get_with(unsigned short port, const std::string& target, const std::string& local_address,
                          const header_list& headers);

}  // namespace roundtable::test
