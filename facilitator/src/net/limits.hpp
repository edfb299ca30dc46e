// The transport's limits: one struct, each field a command-line flag later.
#pragma once

#include <chrono>
#include <cstddef>

namespace roundtable::net {

/// Defaults are protocol.md "Limits".
struct limits {
  /// A WebSocket message above this closes the connection with 1009 (message too big).
  std::size_t ws_message_max = 64 * 1024;
  /// An HTTP request header (request line included) above this is answered 431.
  std::size_t http_header_max = 8 * 1024;
  /// An HTTP request body above this is answered 413.
  std::size_t http_body_max = 16 * 1024;
  /// Time to read one HTTP request (keep-alive idle included), to complete the WebSocket
  /// handshake, and to get a close through (queued frames, then the closing handshake).
  std::chrono::seconds handshake_timeout{10};
  /// A WebSocket that receives nothing for this long is closed; a ping is sent at half of it.
  std::chrono::seconds idle_timeout{60};
  /// A connection whose unsent frames exceed this many bytes is closed (1008 "too slow")
  /// instead of growing the heap. Each queued frame also counts a small fixed overhead.
  std::size_t write_queue_max_bytes = 256 * 1024;
  /// Unsent bytes over every connection together: above this, the connections furthest behind
  /// are closed (1008 "too slow") until the rest fits, so 19,900 slow readers cannot hold
  /// 19,900 write queues.
  std::size_t max_queued_bytes = std::size_t{256} << 20;
  /// TCP connections (HTTP and WebSocket) beyond this are accepted and closed at once;
  /// keeps about 100 descriptors spare under the 20,000 per-process limit.
  std::size_t max_connections = 20000 - 100;
  /// TCP connections from one IP address beyond this are closed at accept, so one client
  /// cannot take every slot. Sized for a classroom behind one NAT address, with room to spare.
  std::size_t max_connections_per_address = 1000;
  /// Whether max_connections_per_address holds for loopback peers (127.0.0.0/8, ::1) too. Off by default:
  /// a loopback peer is this machine (a reverse proxy in front, the benchmark, a test harness), and the
  /// wire contract promises 19,900 connections by default, wherever they come from.
  bool cap_loopback = false;
  /// stop(): after this, connections still open are closed hard.
  std::chrono::milliseconds shutdown_timeout{3000};
  /// How many threads run the io_context; 0: unknown. With exactly 1, connections share the
  /// io_context's implicit strand instead of one strand each: less memory per connection
  /// and no strand hop per frame. Anything else (0 included) gives every connection its own.
  int io_threads = 0;
};

}  // namespace roundtable::net
