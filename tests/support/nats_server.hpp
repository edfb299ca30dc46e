// A real `nats-server -js` child process in a temporary folder on a free loopback port, for the
// JetStream store's tests (issue 13).
#pragma once

#include <string>

namespace roundtable::test {

class nats_server {
public:
  /// Starts nats-server with JetStream, its store in dir, on a free port; waits until it accepts.
  explicit nats_server(std::string dir);
  /// SIGKILL.
  ~nats_server();
  nats_server(const nats_server&) = delete;
  nats_server& operator=(const nats_server&) = delete;

  /// nats://127.0.0.1:PORT
  std::string url() const;
  unsigned short port() const { return port_; }
  /// SIGKILL, no goodbye: the stored messages stay in the folder.
  void kill_hard();
  /// Starts it again on the same port and folder (after kill_hard), and waits until it accepts.
  void start();

private:
  std::string dir_;
  unsigned short port_ = 0;
  int pid_ = -1;
};

}  // namespace roundtable::test
