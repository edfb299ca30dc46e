// libFuzzer: one client frame through the protocol parser, then the reply the server would build.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "roundtable/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  const auto p = roundtable::protocol::parse(frame);
  // Exactly one of a message or an error.
  if (p.msg.has_value() == p.err.has_value()) std::abort();
  // An echoed id is within its limit (64 characters), else the frame was too_large.
  if (p.msg && p.id && p.id->size() > 64 * 4) std::abort();
  const auto reply = p.err ? roundtable::protocol::error_reply(p.id, *p.err) : roundtable::protocol::ack(p.id);
  (void)roundtable::protocol::dump(reply);
  if (p.msg) (void)roundtable::protocol::type_name(*p.msg);
  return 0;
}
