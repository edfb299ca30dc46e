#include "net/frame_writer.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

namespace roundtable::net::detail {

frame_header text_frame_header(std::size_t payload) {
  frame_header h;
  auto& b = h.bytes;
  b[0] = 0x81;
  if (payload < 126) {
    b[1] = static_cast<unsigned char>(payload);
    h.size = 2;
  } else if (payload <= 0xFFFF) {
    b[1] = 126;
    b[2] = static_cast<unsigned char>(payload >> 8);
    b[3] = static_cast<unsigned char>(payload);
    h.size = 4;
  } else {
    b[1] = 127;
    for (int i = 0; i < 8; ++i)
      b[2 + i] = static_cast<unsigned char>(static_cast<std::uint64_t>(payload) >> (56 - 8 * i));
    h.size = 10;
  }
  return h;
}

sent_frames send_frames(int fd, std::span<const std::string_view> texts) {
  const std::size_t count = std::min(gather_max, texts.size());
  std::array<frame_header, gather_max> headers;
  std::array<iovec, 2 * gather_max> iov;
  for (std::size_t i = 0; i < count; ++i) {
    headers[i] = text_frame_header(texts[i].size());
    iov[2 * i] = {headers[i].bytes.data(), headers[i].size};
    iov[2 * i + 1] = {const_cast<char*>(texts[i].data()), texts[i].size()};
  }
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = 2 * count;
  sent_frames sent;
  const ssize_t n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    sent.error = errno;
    return sent;
  }
  std::size_t written = n > 0 ? static_cast<std::size_t>(n) : 0;
  for (; sent.whole < count; ++sent.whole) {
    const std::size_t size = headers[sent.whole].size + texts[sent.whole].size();
    if (written < size) break;
    written -= size;
  }
  if (sent.whole < count) {
    sent.next = headers[sent.whole];
    sent.next_written = written;
  }
  return sent;
}

}  // namespace roundtable::net::detail
