// Three real `facilitator serve --nats` processes on one JetStream (issue 13): one node, or a three-node
// JetStream cluster; a console hosting on the first server that started one session all three serve.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nats_server.hpp"
#include "ws_client.hpp"

namespace roundtable::test {

/// The name of the node that leads the ROUNDTABLE stream now ("" when none answers).
std::string stream_leader(const std::vector<std::string>& urls);

/// Three facilitators on the same stream, each with its own (unused) --db folder.
struct facilitator_cluster {
  temp_dir dir;
  std::unique_ptr<nats_server> single;    // the one JetStream node (unless clustered)
  std::unique_ptr<nats_cluster> cluster;  // or three routed nodes, the stream kept on all three
  std::vector<std::unique_ptr<server_process>> servers;

  /// nats_nodes 1 or 3; min_group is every server's --min-group.
  explicit facilitator_cluster(int nats_nodes = 1, int min_group = 1);

  /// What --nats names: the one node, or all three.
  std::string nats_urls() const;
  unsigned short port(std::size_t server) const { return servers.at(server)->port(); }
};

/// The ballots a session's log holds on the question "gut", by voter: how many each has.
std::map<std::string, int> ballots_by_voter(const std::vector<json>& log);

/// The id a facilitator logged at start (server_started ... server_id=ID); "" when it logged none.
std::string server_id_of(const server_process& p);

/// The index of the server that paces the cluster's sessions and writes their participants' requests: the
/// smallest id.
std::size_t pacer_of(const facilitator_cluster& c);

/// A facilitator cluster whose first server's console started one session (code) and opened "gut".
struct cluster_session : facilitator_cluster {
  std::shared_ptr<ws_client> console;
  std::string code;

  explicit cluster_session(int nats_nodes = 1, int min_group = 1);

  /// A facilitator command on this session from the first server's console; expects an ack.
  json command(json msg);
  /// A console on another server, hosting and attached to the session (it gets the session's pushes there).
  std::shared_ptr<ws_client> console_on(std::size_t server);
  /// A participant with token(i) joined through the given server.
  std::shared_ptr<ws_client> join(std::size_t server, int i);
  /// The session's events as JetStream holds them, read by a store of the test's own.
  std::vector<json> stored() const;
};

}  // namespace roundtable::test
