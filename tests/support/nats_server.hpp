// Real `nats-server -js` child processes in temporary folders on free loopback ports, for the JetStream
// store's tests (issue 13): one node, or a three-node JetStream cluster routed over loopback.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace roundtable::test {

/// A free loopback port below the ephemeral range, for a program that binds it by number (nats-server).
unsigned short free_port();

class nats_server {
public:
  /// One node of a cluster: its name, its route port and every node's route port (its own included).
  struct cluster_options {
    std::string name;
    unsigned short port = 0;
    std::vector<unsigned short> routes;
  };

  /// Starts nats-server with JetStream, its store in dir, on a free port; waits until JetStream is ready.
  explicit nats_server(std::string dir);
  /// The same as one node of a cluster; with wait false, returns once started (a node is ready only
  /// once the cluster has a quorum: see wait_ready).
  nats_server(std::string dir, cluster_options cluster, bool wait = true);
  /// SIGKILL.
  ~nats_server();
  nats_server(const nats_server&) = delete;
  nats_server& operator=(const nats_server&) = delete;

  /// nats://127.0.0.1:PORT
  std::string url() const;
  unsigned short port() const { return port_; }
  /// The HTTP monitoring port (/healthz, /jsz).
  unsigned short monitor_port() const { return monitor_port_; }
  const std::string& name() const { return cluster_.name; }
  /// SIGKILL, no goodbye: the stored messages stay in the folder.
  void kill_hard();
  /// Starts it again on the same ports and folder (after kill_hard), and waits until JetStream is ready.
  void start();
  /// Waits (up to 15 s) until the node's /healthz says JetStream is ready; throws if it never is.
  void wait_ready() const;

private:
  void launch();

  std::string dir_;
  cluster_options cluster_;
  unsigned short port_ = 0;
  unsigned short monitor_port_ = 0;
  int pid_ = -1;
};

/// Three JetStream nodes routed to each other on loopback, each in its own folder under dir.
class nats_cluster {
public:
  explicit nats_cluster(const std::string& dir);

  /// Every node's URL, comma-separated (what `--nats` takes).
  std::string urls() const;
  /// The nodes' URLs one by one.
  std::vector<std::string> url_list() const;
  /// The node named name ("n1", "n2" or "n3").
  nats_server& node(const std::string& name);

  std::vector<std::unique_ptr<nats_server>> nodes;
};

}  // namespace roundtable::test
