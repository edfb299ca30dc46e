// What a room knows of the requests it forwarded to its session's writer, and of that writer (room_forwarding.cpp
// does the sending, the answering and the deciding). Bookkeeping only: no I/O, no strand, the time passed in, so
// each rule is tested apart (tests/unit/forward_table_test.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/handler.hpp"
#include "request.hpp"

namespace roundtable::facilitator {

class forward_table {
public:
  using clock = std::chrono::steady_clock;

  /// A writer that answered nothing this long while requests wait is pinged; one that does not answer the ping
  /// within as long again is gone (its process, or its network): what waits is decided here. An answer parked
  /// for its events this long goes anyway.
  static constexpr auto writer_silence = std::chrono::seconds(5);
  /// Nothing waits longer than this for its answer (a lost one: core NATS delivers at most once; a writer whose
  /// room is stuck while its process answers pings).
  static constexpr auto forward_limit = std::chrono::seconds(60);
  /// A voter whose request was decided here has their next ones decided here for this long: longer than a request
  /// can be decided again (about 5 s) plus a write's deadline (5 s), so none of theirs is still on its way.
  static constexpr auto decided_here_kept = std::chrono::seconds(15);
  /// After a writer failed to answer, this server decides its requests itself for this long.
  static constexpr auto forwarding_pause = std::chrono::seconds(5);

  /// A request forwarded to a writer.
  struct forwarding {
    std::shared_ptr<net::connection> c;  // the participant's
    std::optional<std::string> id;
    std::string voter;
    participant_request r;
    clock::time_point arrived;
    std::string writer;
  };
  /// A writer's answer to one, as the participant gets it.
  struct answer {
    forwarding f;
    std::string frame;
    bool error = false;
  };

  // ----- forwards in flight -----

  /// The token the next forward goes under (never the ping's, 0).
  std::uint64_t next_token() { return next_token_++; }
  /// A forward sent under token: the voter's next requests follow it to the same writer.
  void add(std::uint64_t token, forwarding f);
  /// The forward sent under token, or null (answered, or decided here meanwhile).
  const forwarding* find(std::uint64_t token) const;
  /// Takes the forward sent under token out of the table (it must be there).
  forwarding take(std::uint64_t token);
  /// Takes every forward to writer out, in the order they were sent; a ping to it is forgotten.
  std::vector<forwarding> take_all_for(const std::string& writer);
  /// Takes the forwards that waited forward_limit by now out, in the order they were sent.
  std::vector<forwarding> take_expired(clock::time_point now);
  /// True when no forward waits.
  bool empty() const { return forwards_.empty(); }
  /// The writer the voter's forwards in flight went to, or null.
  const std::string* in_flight(const std::string& voter) const;

  // ----- the writer -----

  /// The writer answered (a request, or a ping): it is there.
  void heard(const std::string& writer, clock::time_point now);
  /// The writer that answered within writer_silence, unless `first` (the smallest id that says its presence)
  /// comes before it in line.
  std::optional<std::string> answering(const std::string* first, clock::time_point now) const;
  /// The writer to ping now: the oldest forward's, when it (and every writer) was silent for writer_silence and no
  /// ping waits. Once sent, say so with pinged.
  std::optional<std::string> ping_due(clock::time_point now) const;
  /// A ping went to writer at now.
  void pinged(const std::string& writer, clock::time_point now);
  /// The writer a ping waits on, or null.
  const std::string* ping_waiting() const { return ping_ ? &ping_->writer : nullptr; }
  /// The writer whose ping went unanswered for writer_silence: gone.
  std::optional<std::string> ping_unanswered(clock::time_point now) const;
  /// Forgets the ping (its writer answered, or nothing waits any more).
  void forget_ping() { ping_.reset(); }
  /// A writer did not answer: requests are decided here for forwarding_pause. True when forwarding was not paused
  /// already (worth a line in the log).
  bool pause(clock::time_point now);
  /// True while requests are decided here (a pause runs).
  bool paused(clock::time_point now) const { return now < paused_until_; }

  // ----- voters decided here -----

  /// The voter's request was decided here: their next ones too, for decided_here_kept.
  void decided_here(const std::string& voter, clock::time_point now) { decided_here_[voter] = now; }
  /// True while the voter's requests stay here (one of theirs was decided here lately).
  bool decided_here_lately(const std::string& voter) const { return decided_here_.count(voter) != 0; }
  /// Forgets the voters decided here decided_here_kept ago or longer.
  void forget_decided_here(clock::time_point now);

  // ----- answers waiting for their events -----

  /// Where the room has folded `folded` events: true when an answer standing on `through` events can go at once
  /// (folded, and none waits before it).
  bool can_send(std::uint64_t through, std::uint64_t folded) const { return through <= folded && due_.empty(); }
  /// Parks an answer until the room folded `through` events.
  void park(answer a, std::uint64_t through, clock::time_point now) { due_.push_back({through, now, std::move(a)}); }
  /// The parked answers that can go, in arrival order: their events folded, or (overdue) parked writer_silence ago.
  std::vector<answer> releasable(std::uint64_t folded, bool overdue, clock::time_point now);
  /// True while an answer waits for its events.
  bool answers_parked() const { return !due_.empty(); }

private:
  struct in_flight_count {
    std::string writer;
    std::size_t count = 0;
  };
  struct parked {
    std::uint64_t through;
    clock::time_point since;
    answer a;
  };
  struct ping {
    std::string writer;
    clock::time_point sent;
  };

  std::map<std::uint64_t, forwarding> forwards_;                // by token: in the order they were sent
  std::unordered_map<std::string, in_flight_count> in_flight_;  // by voter
  std::unordered_map<std::string, clock::time_point> decided_here_;
  std::deque<parked> due_;  // in arrival order
  std::uint64_t next_token_ = 1;
  clock::time_point paused_until_{};
  clock::time_point last_answer_{};  // when a writer last answered
  std::string last_writer_;          // the writer that did
  std::optional<ping> ping_;
};

}  // namespace roundtable::facilitator
