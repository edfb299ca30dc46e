// The connection a forwarded request is served on at the session's writer: the room answers it as it answers a
// participant's own connection, and the one answer (an ack or an error) goes back over NATS to the server the
// participant is connected to, which sends it on (room_forwarding.cpp).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "net/handler.hpp"

namespace roundtable::facilitator {

class cluster_link;

namespace cluster {

class forward_reply final : public net::connection {
public:
  /// Answers on the NATS subject reply_to, through link; through() tells, when the answer goes, how many of the
  /// session's events the store holds at least (called on the room's strand, where the room answers).
  forward_reply(cluster_link& link, std::string reply_to, std::function<std::uint64_t()> through);

  /// Sends the first frame to the forwarding server; a request has one answer, later frames are dropped.
  void send(std::shared_ptr<const std::string> text, std::uint64_t slot = 0) override;
  void send_pair(std::shared_ptr<const std::string> first, std::uint64_t first_slot,
                 std::shared_ptr<const std::string> second, std::uint64_t second_slot) override;
  /// Nothing to close: the participant's connection is the other server's.
  void close(net::close_code, std::string) override {}
  std::uint64_t id() const override { return id_; }
  const std::string& remote_address() const override;
  std::size_t queued_bytes() const override { return 0; }
  /// True once the answer went.
  bool closed() const override { return answered_.load(); }

private:
  cluster_link& link_;
  const std::string reply_to_;
  const std::function<std::uint64_t()> through_;
  const std::uint64_t id_;
  std::atomic<bool> answered_{false};
};

/// True for a connection that stands for a request forwarded by another server.
bool is_forwarded(const net::connection& c);

}  // namespace cluster
}  // namespace roundtable::facilitator
