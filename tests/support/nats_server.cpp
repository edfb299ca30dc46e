#include "nats_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>

#include "ws_client.hpp"

namespace roundtable::test {

using namespace std::chrono_literals;

// A port below the kernel's ephemeral range (32768-60999 here), free when checked: nats-server binds it by
// number a moment later, and a port the kernel handed out (bind to 0) could meanwhile be taken by any of the
// parallel tests' outgoing connections, which draw from that range ("nats-server exited at start").
unsigned short free_port() {
  static std::mt19937 pick{std::random_device{}()};
  std::uniform_int_distribution<int> in_range(20000, 32000);
  for (int tries = 0; tries < 200; ++tries) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<unsigned short>(in_range(pick)));
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    if (free) return ntohs(a.sin_port);
  }
  throw std::runtime_error("no free port");
}

nats_server::nats_server(std::string dir) : nats_server(std::move(dir), {}, true) {}

nats_server::nats_server(std::string dir, cluster_options cluster, bool wait)
    : dir_(std::move(dir)), cluster_(std::move(cluster)), port_(free_port()), monitor_port_(free_port()) {
  launch();
  if (wait) wait_ready();
}

nats_server::~nats_server() {
  kill_hard();
}

std::string nats_server::url() const {
  return "nats://127.0.0.1:" + std::to_string(port_);
}

void nats_server::start() {
  launch();
  wait_ready();
}

void nats_server::launch() {
  mkdir(dir_.c_str(), 0700);
  std::vector<std::string> args = {"nats-server", "-js",
                                   "-sd",         dir_ + "/js",
                                   "-a",          "127.0.0.1",
                                   "-p",          std::to_string(port_),
                                   "-m",          std::to_string(monitor_port_)};
  if (!cluster_.name.empty()) {
    std::string routes;
    for (auto r : cluster_.routes)
      if (r != cluster_.port)
        routes += (routes.empty() ? "" : ",") + std::string("nats://127.0.0.1:") + std::to_string(r);
    args.insert(args.end(), {"-n", cluster_.name, "--cluster_name", "roundtable", "--cluster",
                             "nats://127.0.0.1:" + std::to_string(cluster_.port), "--routes", routes});
  }
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int log = open((dir_ + "/nats.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
}

void nats_server::wait_ready() const {
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  for (;;) {
    if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == pid_)
      throw std::runtime_error("nats-server exited at start; see " + dir_ + "/nats.log");
    try {
      if (http_get(monitor_port_, "/healthz").status == 200) return;
    } catch (const std::exception&) {
      // not listening yet
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("nats-server's JetStream was not ready within 15 s; see " + dir_ + "/nats.log");
    std::this_thread::sleep_for(20ms);
  }
}

void nats_server::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

nats_cluster::nats_cluster(const std::string& dir) {
  const std::vector<unsigned short> routes = {free_port(), free_port(), free_port()};
  for (int i = 0; i < 3; ++i) {
    const std::string name = "n" + std::to_string(i + 1);
    nodes.push_back(
        std::make_unique<nats_server>(dir + "/" + name, nats_server::cluster_options{name, routes[i], routes}, false));
  }
  for (auto& n : nodes) n->wait_ready();
}

std::vector<std::string> nats_cluster::url_list() const {
  std::vector<std::string> out;
  for (const auto& n : nodes) out.push_back(n->url());
  return out;
}

std::string nats_cluster::urls() const {
  std::string out;
  for (const auto& u : url_list()) out += (out.empty() ? "" : ",") + u;
  return out;
}

nats_server& nats_cluster::node(const std::string& name) {
  for (auto& n : nodes)
    if (n->name() == name) return *n;
  throw std::runtime_error("no node " + name);
}

}  // namespace roundtable::test
