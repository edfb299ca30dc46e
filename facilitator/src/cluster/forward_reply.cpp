#include "cluster/forward_reply.hpp"

#include "room.hpp"

namespace roundtable::facilitator::cluster {

namespace {

// Ids of their own, apart from the transport's (which count up from 1): the top bit set.
std::uint64_t next_id() {
  static std::atomic<std::uint64_t> n{0};
  return (std::uint64_t{1} << 63) | ++n;
}

}  // namespace

forward_reply::forward_reply(cluster_link& link, std::string reply_to, std::function<std::uint64_t()> through)
    : link_(link), reply_to_(std::move(reply_to)), through_(std::move(through)), id_(next_id()) {}

void forward_reply::send(std::shared_ptr<const std::string> text, std::uint64_t) {
  if (!text || answered_.exchange(true)) return;
  link_.answer(reply_to_, *text, through_());
}

void forward_reply::send_pair(std::shared_ptr<const std::string> first, std::uint64_t first_slot,
                              std::shared_ptr<const std::string>, std::uint64_t) {
  send(std::move(first), first_slot);
}

const std::string& forward_reply::remote_address() const {
  static const std::string none;
  return none;
}

bool is_forwarded(const net::connection& c) {
  return dynamic_cast<const forward_reply*>(&c) != nullptr;
}

}  // namespace roundtable::facilitator::cluster
