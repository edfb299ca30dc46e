// Presence where several servers serve one session (`serve --nats`): each server counts the distinct
// participants connected to it, tells the others (cluster_link::share_presence, core NATS, not the log:
// a count is no event), and adds up what they last said. A server that stops saying anything (it died)
// drops out of the sum after three seconds. A participant connected to two servers at once counts twice.
#include "room.hpp"

namespace roundtable::facilitator {

namespace {

// A server silent this long has gone (each says its count every second).
constexpr auto peer_silence = std::chrono::seconds(3);
// Anyone who can publish on the NATS cluster can say a count: more servers than this, or a count above what
// any server can hold (its open-file limit), is not a facilitator's and is ignored.
constexpr std::size_t max_peers = 64;
constexpr std::size_t max_peer_count = 1'000'000;

}  // namespace

std::size_t room::present_count() const {
  std::size_t n = connected_voters_.size();
  for (const auto& [server, peer] : peers_) n += peer.count;
  return n;
}

void room::peer_presence(std::string server, std::size_t count) {
  if (count > max_peer_count) return;
  on_strand([this, server = std::move(server), count] {
    const bool known = peers_.count(server);
    if (!known && peers_.size() >= max_peers) return;
    auto& peer = peers_[server];
    // A server new to this session hears of this one at once, not a second later: until it does, it takes
    // itself for the only one and closes the session's timed rounds (room_pacing.cpp).
    if (!known) share_presence(true);
    peer.heard = clock::now();
    if (peer.count == count) return;
    peer.count = count;
    schedule_presence();
    update_summary();
  });
}

void room::forget_silent_peers() {
  const auto before = present_count();
  std::erase_if(peers_, [now = clock::now()](const auto& p) { return now - p.second.heard > peer_silence; });
  if (present_count() == before) return;
  schedule_presence();
  update_summary();
}

void room::share_presence(bool always) {
  if (!services_.cluster) return;
  const std::size_t here = connected_voters_.size();
  if (!always && here == presence_shared_) return;
  presence_shared_ = here;
  services_.cluster->share_presence(code_, here);
}

}  // namespace roundtable::facilitator
