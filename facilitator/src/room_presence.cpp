// Presence where several servers serve one session (`serve --nats`): each server tells the others which
// participants are connected to it (cluster_link::share_presence, core NATS, not the log: presence is no
// event), by voter id (the join order, alike on every server that folds the log), and counts the union of
// what they last said with its own: a participant connected to two servers at once counts once, and a round
// deals its lenses over everyone connected to any server. A server that stops saying anything (it died)
// drops out after three seconds. A server that sends only a count (no ids) is added as a count.
#include "room.hpp"

namespace roundtable::facilitator {

namespace {

// A server silent this long has gone (each says its voters every second).
constexpr auto peer_silence = std::chrono::seconds(3);
// Anyone who can publish on the NATS cluster can say a count: more servers than this, or a count above what
// any server can hold (its open-file limit), is not a facilitator's and is ignored.
constexpr std::size_t max_peers = 64;
constexpr std::size_t max_peer_count = 1'000'000;
// A peer may have folded joins this server has not yet: ids this far past the voters known here still count
// (further ones are dropped until the peer says them again, a second later).
constexpr std::size_t max_ids_ahead = 4096;

}  // namespace

std::size_t room::present_count() const {
  if (!services_.cluster) return connected_voters_.size();
  std::size_t n = everyone_.size();
  for (const auto& [server, peer] : peers_)
    if (!peer.listed) n += peer.count;
  return n;
}

std::vector<voter_id> room::present_here() const {
  std::vector<voter_id> ids;
  ids.reserve(connected_voters_.size());
  for (const auto& [key, connections] : connected_voters_)
    if (const auto v = session_.voter(key)) ids.push_back(*v);
  sort_unique(ids);
  return ids;
}

std::vector<std::string> room::present() const {
  std::vector<std::string> keys;
  if (!services_.cluster) {
    keys.reserve(connected_voters_.size());
    for (const auto& [voter, connections] : connected_voters_) keys.push_back(voter);
    return keys;
  }
  for (const auto v : everyone_.ids())
    if (const auto* key = session_.voter_key_of(v)) keys.push_back(*key);
  return keys;
}

void room::voter_arrived(const std::string& voter) {
  if (services_.cluster)
    if (const auto v = session_.voter(voter)) everyone_.add(*v);
  schedule_presence();
}

void room::voter_left(const std::string& voter) {
  if (services_.cluster)
    if (const auto v = session_.voter(voter)) everyone_.remove(*v);
  schedule_presence();
}

void room::peer_presence(std::string server, std::size_t count, std::optional<std::vector<voter_id>> voters) {
  if (count > max_peer_count || (voters && voters->size() > max_peer_count)) return;
  on_strand([this, server = std::move(server), count, voters = std::move(voters)] {
    const bool known = peers_.count(server);
    if (!known && peers_.size() >= max_peers) return;
    auto& peer = peers_[server];
    // A server new to this session hears of this one at once, not a second later: until it does, it takes
    // itself for the only one and closes the session's timed rounds (room_pacing.cpp).
    if (!known) share_presence(true);
    peer.heard = clock::now();
    std::vector<voter_id> ids;
    if (voters) {
      ids = *voters;
      std::erase_if(ids, [limit = session_.voters() + max_ids_ahead](voter_id v) { return v >= limit; });
      sort_unique(ids);
    }
    if (peer.listed == voters.has_value() && peer.count == count && peer.voters == ids) return;
    everyone_.replace(peer.voters, ids);
    peer = {count, voters.has_value(), std::move(ids), peer.heard};
    schedule_presence();
    update_summary();
  });
}

void room::forget_silent_peers() {
  const auto before = present_count();
  for (auto it = peers_.begin(); it != peers_.end();) {
    if (clock::now() - it->second.heard <= peer_silence) {
      ++it;
      continue;
    }
    everyone_.replace(it->second.voters, {});
    it = peers_.erase(it);
  }
  if (present_count() == before) return;
  schedule_presence();
  update_summary();
}

void room::share_presence(bool always) {
  if (!services_.cluster) return;
  auto here = present_here();
  if (!always && here == presence_shared_) return;
  services_.cluster->share_presence(code_, here);
  presence_shared_ = std::move(here);
}

}  // namespace roundtable::facilitator
