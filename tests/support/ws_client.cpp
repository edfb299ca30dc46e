#include "ws_client.hpp"

#include <boost/algorithm/string/predicate.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace roundtable::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

client_loop::client_loop() : work_(asio::make_work_guard(ioc_)), thread_([this] { ioc_.run(); }) {}

client_loop::~client_loop() {
  work_.reset();
  ioc_.stop();
  thread_.join();
}

client_loop& client_loop::instance() {
  static client_loop loop;
  return loop;
}

ws_client::ws_client(asio::io_context& ioc) : ws_(asio::make_strand(ioc)) {}

ws_client::~ws_client() = default;

std::shared_ptr<ws_client> ws_client::connect(unsigned short port, std::optional<std::string> origin) {
  return open(port, std::move(origin), std::nullopt);
}

std::shared_ptr<ws_client> ws_client::connect_from(unsigned short port, const std::string& local_address) {
  return open(port, std::nullopt, local_address);
}

std::shared_ptr<ws_client> ws_client::connect_with(unsigned short port, const std::string& local_address,
                                                   header_list headers) {
  return open(port, std::nullopt, local_address, std::move(headers));
}

std::shared_ptr<ws_client> ws_client::open(unsigned short port, std::optional<std::string> origin,
                                           std::optional<std::string> local_address, header_list headers) {
  auto& ioc = client_loop::instance().ioc();
  std::shared_ptr<ws_client> c(new ws_client(ioc));
  // The handshake runs synchronously on the caller's thread, before the read loop starts.
  auto& layer = beast::get_lowest_layer(c->ws_);
  layer.expires_after(5s);
  if (local_address) {
    layer.socket().open(tcp::v4());
    layer.socket().bind(tcp::endpoint(asio::ip::make_address(*local_address), 0));
  }
  layer.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  layer.expires_never();
  c->ws_.set_option(websocket::stream_base::decorator([origin, headers](websocket::request_type& req) {
    if (origin) req.set(beast::http::field::origin, *origin);
    for (const auto& [name, value] : headers) req.insert(name, value);
  }));
  c->ws_.read_message_max(16 * 1024 * 1024);
  c->ws_.handshake("127.0.0.1:" + std::to_string(port), "/ws");
  asio::post(c->ws_.get_executor(), [c] { c->do_read(); });
  return c;
}

void ws_client::do_read() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    std::lock_guard lock(self->mutex_);
    if (ec) {
      self->closed_ = true;
      self->close_code_ = ec == websocket::error::closed ? static_cast<int>(self->ws_.reason().code) : -1;
      self->cv_.notify_all();
      return;
    }
    auto text = beast::buffers_to_string(self->buffer_.data());
    self->buffer_.consume(self->buffer_.size());
    self->inbox_.push_back(json::parse(text, nullptr, false));
    self->cv_.notify_all();
    asio::post(self->ws_.get_executor(), [self] { self->do_read(); });
  });
}

void ws_client::send(const json& msg) {
  send_raw(msg.dump());
}

void ws_client::send_raw(std::string text, bool binary) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text), binary]() mutable {
    self->outbox_.emplace_back(std::move(text), binary);
    if (self->outbox_.size() == 1) self->do_write();
  });
}

void ws_client::do_write() {
  ws_.binary(outbox_.front().second);
  ws_.async_write(asio::buffer(outbox_.front().first), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->outbox_.pop_front();
    if (ec) return;
    if (!self->outbox_.empty()) self->do_write();
  });
}

json ws_client::request(json msg, std::chrono::milliseconds timeout) {
  std::string id;
  {
    std::lock_guard lock(mutex_);
    id = "t" + std::to_string(next_id_++);
  }
  if (!msg.contains("id")) msg["id"] = id;
  id = msg["id"].get<std::string>();
  const auto from = count();
  send(msg);
  auto reply = wait_for([&](const json& m) { return m.contains("id") && m["id"] == id; }, timeout, from);
  if (!reply) throw std::runtime_error("no reply to " + msg.dump());
  return *reply;
}

std::optional<json> ws_client::wait_for(const std::function<bool(const json&)>& pred, std::chrono::milliseconds timeout,
                                        std::size_t from) {
  std::unique_lock lock(mutex_);
  std::size_t seen = from;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (; seen < inbox_.size(); ++seen)
      if (pred(inbox_[seen])) return inbox_[seen];
    if (closed_) return std::nullopt;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      for (; seen < inbox_.size(); ++seen)
        if (pred(inbox_[seen])) return inbox_[seen];
      return std::nullopt;
    }
  }
}

std::optional<json> ws_client::wait_push(const std::string& type, const std::string& question,
                                         std::chrono::milliseconds timeout, std::size_t from) {
  return wait_for(
      [&](const json& m) {
        return m.value("type", "") == type && (question.empty() || m.value("question", "") == question);
      },
      timeout, from);
}

std::vector<json> ws_client::received() const {
  std::lock_guard lock(mutex_);
  return inbox_;
}

std::size_t ws_client::count() const {
  std::lock_guard lock(mutex_);
  return inbox_.size();
}

bool ws_client::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

bool ws_client::wait_closed(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return closed_; });
}

int ws_client::close_code() const {
  std::lock_guard lock(mutex_);
  return close_code_;
}

void ws_client::close() {
  asio::post(ws_.get_executor(), [self = shared_from_this()] {
    self->ws_.async_close(websocket::close_code::normal, [self](beast::error_code) {});
  });
  wait_closed(2s);
}

// ----- server process -----

namespace {

std::string facilitator_binary() {
  return std::string(ROUNDTABLE_BINARY_DIR) + "/bin/facilitator";
}

}  // namespace

server_process::server_process(options o) : opts_(std::move(o)) {
  log_path_ = opts_.db + ".log";
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> args = {facilitator_binary(),
                                   "serve",
                                   "--host",
                                   "127.0.0.1",
                                   "--port",
                                   "0",
                                   "--db",
                                   opts_.db,
                                   "--scenarios",
                                   opts_.scenarios,
                                   "--key",
                                   opts_.key,
                                   "--min-group",
                                   std::to_string(opts_.min_group)};
  args.insert(args.end(), opts_.extra.begin(), opts_.extra.end());
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    const int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (log >= 0) dup2(log, STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  out_fd_ = pipe_fds[0];
  // Read stdout until the "listening on" line (or give up after 10 s).
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  fcntl(out_fd_, F_SETFL, O_NONBLOCK);
  while (std::chrono::steady_clock::now() < deadline) {
    char buf[512];
    const auto n = read(out_fd_, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      // "listening on http://HOST:PORT" (or https:// with --tls-cert; HOST 0.0.0.0 with --lan).
      const auto line = out.find("listening on http");
      const auto eol = line == std::string::npos ? std::string::npos : out.find('\n', line);
      if (eol != std::string::npos) {
        const auto digits = out.rfind(':', eol) + 1;
        port_ = static_cast<unsigned short>(std::stoi(out.substr(digits, eol - digits)));
        std::ofstream(log_path_, std::ios::app) << out;
        return;
      }
      continue;
    }
    if (n == 0) break;
    std::this_thread::sleep_for(10ms);
  }
  kill_hard();
  throw std::runtime_error("the server did not start: " + out + output());
}

server_process::~server_process() {
  if (pid_ > 0) kill_hard();
  if (out_fd_ >= 0) close(out_fd_);
}

void server_process::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int server_process::terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(20ms);
  }
  kill_hard();
  return -1;
}

std::string server_process::output() const {
  // What the server printed on stdout after its "listening on" line (the rest of its banner) is still in the
  // pipe: it goes to the log first, else a line printed a moment after that one would never be seen.
  if (out_fd_ >= 0) {
    std::string rest;
    char buf[512];
    for (ssize_t n; (n = read(out_fd_, buf, sizeof buf)) > 0;) rest.append(buf, static_cast<std::size_t>(n));
    if (!rest.empty()) std::ofstream(log_path_, std::ios::app) << rest;
  }
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

temp_dir::temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "roundtable-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  for (const auto until = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < until;) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

std::string token(int i) {
  std::string t = "tok_" + std::to_string(i) + "_";
  while (t.size() < 24) t += 'x';
  return t;
}

std::string http_result::header(const std::string& name) const {
  for (const auto& [n, v] : headers)
    if (boost::iequals(n, name)) return v;
  return "";
}

http_result http_get(unsigned short port, const std::string& target, const std::string& bearer) {
  if (bearer.empty()) return http_get_with(port, target, "", {});
  return http_get_with(port, target, "", {{"Authorization", "Bearer " + bearer}});
}

http_result http_get_with(unsigned short port, const std::string& target, const std::string& local_address,
                          const header_list& headers) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(5s);
  if (!local_address.empty()) {
    stream.socket().open(tcp::v4());
    stream.socket().bind(tcp::endpoint(asio::ip::make_address(local_address), 0));
  }
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  beast::http::request<beast::http::empty_body> req{beast::http::verb::get, target, 11};
  req.set(beast::http::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [name, value] : headers) req.insert(name, value);
  beast::http::write(stream, req);
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> res;
  beast::http::read(stream, buffer, res);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  http_result out{static_cast<int>(res.result_int()), res.body(), std::string(res[beast::http::field::content_type])};
  for (const auto& field : res) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  return out;
}

}  // namespace roundtable::test
