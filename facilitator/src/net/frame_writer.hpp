// Our WebSocket text frames written straight to a socket, past Beast: the RFC 6455 header and
// one gathered, non-blocking sendmsg. Knows nothing of Asio or Beast (see ws_transport for how
// these writes and Beast's stay apart).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace roundtable::net::detail {

/// A server's text frame header (RFC 6455 5.2: FIN, opcode 1, no mask): 2 to 10 bytes.
struct frame_header {
  std::array<unsigned char, 10> bytes{};
  std::size_t size = 0;
};

/// The header of a text frame carrying payload bytes.
frame_header text_frame_header(std::size_t payload);

/// How many frames one sendmsg gathers at most.
inline constexpr std::size_t gather_max = 8;

/// What one send_frames got through.
struct sent_frames {
  int error = 0;                 // errno of a failed sendmsg; 0 if none (the socket being full is none)
  std::size_t whole = 0;         // frames written completely, the first ones given
  frame_header next;             // the header of frame [whole], when not all were written
  std::size_t next_written = 0;  // how much of frame [whole] went out, its header first
};

/// Writes texts (at most gather_max) as text frames to the descriptor fd, headers and texts
/// gathered into one non-blocking sendmsg; what the socket does not take is left to the caller.
sent_frames send_frames(int fd, std::span<const std::string_view> texts);

}  // namespace roundtable::net::detail
