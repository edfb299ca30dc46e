// One live session on its own strand: decides with the core, commits to the store (room.cpp),
// fans out (room_pushes.cpp), survives what throws by reloading from the store (room_recovery.cpp).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <nlohmann/json.hpp>

#include "forward_table.hpp"
#include "net/handler.hpp"
#include "presence_union.hpp"
#include "recent_acks.hpp"
#include "request.hpp"
#include "role_count.hpp"
#include "roundtable/protocol.hpp"
#include "roundtable/session.hpp"

namespace roundtable::store {
class log_store;
}

namespace roundtable::facilitator {

struct metrics;
class room;
class cluster_link;

/// What every room shares: the store, the counters and how links are spelled.
struct room_services {
  store::log_store& store;
  facilitator::metrics& metrics;
  std::string base_url;  // e.g. http://127.0.0.1:8080, for join links; set before serving
  /// Told (on the room's strand) when a confidential session's end is durable; set before serving.
  std::function<void(const std::string& code, std::int64_t ended_ms)> confidential_ended;
  /// Set when other servers write the same log (--nats); the registry then also loads sessions other
  /// servers started.
  cluster_link* cluster = nullptr;
};

/// What a room needs of the other servers that serve its session (`serve --nats`, cluster/).
class cluster_link {
public:
  virtual ~cluster_link() = default;
  /// Subscribes r to the events any server stores (room::follow) and to the other servers' presence
  /// counts (room::peer_presence); following again replaces the subscriptions. Throws if it cannot.
  virtual void follow(const std::shared_ptr<room>& r) = 0;
  /// Ends the subscriptions follow made for session `code` (a purged session).
  virtual void unfollow(const std::string& code) = 0;
  /// Calls told(code), on NATS's thread, whenever a store says it purged session `code` (a word to check, never to
  /// trust); null stops it. Throws if it cannot subscribe.
  virtual void on_purged(std::function<void(const std::string& code)> told) = 0;
  /// Tells the other servers which participants of session `code` are connected here (their voter ids).
  virtual void share_presence(const std::string& code, const std::vector<voter_id>& voters) = 0;
  /// This server's id among the servers (random, the one its presence messages carry).
  virtual const std::string& server_id() const = 0;
  /// Runs work (a blocking JetStream request) on a thread of the link's own, off every room's strand; false,
  /// and work dropped, when too many are waiting already (nothing a flood of requests can grow).
  virtual bool run_blocking(std::function<void()> work) = 0;
  /// Hands a participant's request (body: cluster::encode) to `owner`, the server that writes session `code`; its
  /// answer comes back to the room as room::forward_answered(token, ...). False when it could not be sent.
  virtual bool forward(const std::string& code, const std::string& owner, std::uint64_t token,
                       const std::string& body) = 0;
  /// Sends a forwarded request's answer (a client frame) back to the server that forwarded it; `through`: how many
  /// of the session's events the stream holds at least once the answer is due (the forwarding server sends the
  /// answer on once it folded them, so a participant who comes back reads what was acked).
  virtual void answer(const std::string& reply_to, const std::string& frame, std::uint64_t through) = 0;
};

/// A session's summary for the `hosting` reply, readable from any thread.
struct room_summary {
  std::string code;
  std::string scenario;
  std::size_t participants = 0;
  bool ended = false;
  std::int64_t started_ms = 0;
  bool confidential = false;
  std::int64_t ended_ms = 0;  // 0 while it runs
  std::string owner;          // the facilitator key's name that started it; empty: the admin key
};

class room : public std::enable_shared_from_this<room> {
public:
  using conn_ptr = std::shared_ptr<net::connection>;

  /// A room for a session rebuilt or started elsewhere; hmac_key keys its voters (empty: an ended
  /// session's forgotten key, replaced by a fresh random one).
  /// A live session whose log holds `logged` events (the ones s was replayed from, or the
  /// started event its creator appends).
  room(boost::asio::io_context& ioc, room_services& services, std::string hmac_key, session s, std::uint64_t logged);

  const std::string& code() const { return code_; }
  /// The keyed hash that stands for a participant's token in this session.
  std::string voter_key(const std::string& token) const;
  room_summary summary() const;

  // Every call below may come from any thread; the work runs on the room's strand.

  /// Sends `started` to the facilitator once the new session is stored.
  void started(conn_ptr c, std::optional<std::string> id);
  /// A participant's join (voter: its keyed token): stored, then answered `joined`; the
  /// connection's count moves to the participants' gauge once it is in the room. The room
  /// holds the count weakly: a connection that is gone is counted out by its owner.
  void join(conn_ptr c, std::string voter, std::weak_ptr<role_count> count, std::optional<std::string> id);
  /// A projector's watch: answered `joined`; the connection is counted as a projector then.
  void watch(conn_ptr c, std::weak_ptr<role_count> count, std::optional<std::string> id);
  /// vote, perspective or endorse from a joined participant.
  void request(conn_ptr c, std::string voter, participant_request r, std::optional<std::string> id);
  /// A command from an authenticated facilitator; it subscribes the console to this session.
  void command(conn_ptr c, room_command cmd, std::optional<std::string> id);
  /// The connection closed: forget it (presence follows, coalesced).
  void leave(conn_ptr c);
  /// Server shutdown, or the session purged: cancels the timers so the io_context can run out, and ends the
  /// subscriptions to the stream.
  void shutdown();
  /// Closes timed rounds whose time ran out while the server was down.
  void resume_timers();
  /// A stored message of the session's log (its events from seq first on), as every server sees it:
  /// folded with the core's apply and pushed when it continues the room's log (room_follow.cpp).
  /// first 0: a message that could not be read; the room reloads.
  void follow(std::uint64_t first, std::vector<std::string> payloads);
  /// Where the log is shared: checks every second that the stream delivers what it holds (room_follow.cpp),
  /// and shares this server's presence count with the others (room_presence.cpp).
  void watch_stream();
  /// A participant's request that another server forwarded (room_forwarding.cpp): decided here, answered on
  /// reply_to. Never forwarded again.
  void forwarded(std::string voter, participant_request r, std::optional<std::string> id, std::string reply_to);
  /// The answer to a request this server forwarded (token: forward's), a client frame; nullopt: no server
  /// serves the subject (the writer is gone), the request is decided here.
  void forward_answered(std::uint64_t token, std::optional<std::string> frame, std::uint64_t through);
  /// Another server's connected participants of this session (room_presence.cpp): their voter ids, or from a
  /// server that sends none only their count. A count above a million, or a 65th server, is ignored.
  void peer_presence(std::string server, std::size_t count, std::optional<std::vector<voter_id>> voters);

private:
  using clock = std::chrono::steady_clock;
  // One kind of push (a question's tally or progress, the presence count): at most one per
  // push interval, and its frames share a slot, so a slow client's queue holds only the newest.
  struct coalesce {
    clock::time_point last{};
    bool scheduled = false;
    std::uint64_t generation = 0;  // a timer armed for an older generation does nothing
    std::uint64_t slot = net::new_slot();
  };

  using decided = result<std::vector<events::event>>;
  using request_id = std::optional<std::string>;

  // What recover() must do, once no write is pending, before the room takes writes again.
  enum class repair {
    none,    // writes are taken
    rebase,  // a write failed where the log is shared: back to confirmed_, no read of the log
    reload,  // a write failed alone, something threw, or the log and the room disagree: read the whole log
  };

  // ----- the strand's boundary (room_recovery.cpp): nothing thrown on the strand reaches the io_context -----

  /// Runs fn(c, id) on the room's strand, guarded: what it throws is answered `internal` to c.
  template <class F>
  void on_strand(conn_ptr c, request_id id, F fn) {
    boost::asio::post(strand_, [self = shared_from_this(), c = std::move(c), id = std::move(id), fn = std::move(fn)] {
      self->guarded(c, id, [&] { fn(c, id); });
    });
  }
  /// Runs fn() on the room's strand, guarded, for work no one waits on (a write's report, a leave).
  template <class F>
  void on_strand(F fn) {
    boost::asio::post(strand_, [self = shared_from_this(), fn = std::move(fn)] { self->guarded(nullptr, {}, fn); });
  }
  /// Runs fn; an exception it throws is answered `internal` to c (when there is one), counted, and
  /// the room reloads itself from the store, since fn may have left the state half-done.
  template <class F>
  void guarded(const conn_ptr& c, const request_id& id, F&& fn) noexcept {
    try {
      fn();
    } catch (const std::exception& e) {
      on_exception(c, id, e.what());
    } catch (...) {
      on_exception(c, id, "an unknown exception");
    }
  }
  /// fn, to run later (after_pending) under guarded(c, id, fn).
  template <class F>
  std::function<void()> answering(const conn_ptr& c, const request_id& id, F fn) {
    return [this, c, id, fn = std::move(fn)] { guarded(c, id, fn); };
  }
  /// guarded's catch: logs and counts what, answers c (when given) `internal`, refuses writes and recovers.
  void on_exception(const conn_ptr& c, const request_id& id, const char* what) noexcept;
  /// While writes are refused (a write failed, or something threw): once no write is pending,
  /// repairs the state as repair_ says (rebase or reload), and tries a failed reload again every second.
  void recover();
  /// The session as the store holds it; throws when the log cannot be read or does not replay.
  void reload();
  /// Where the log is shared and a write failed: the session goes back to the one the stream's messages built
  /// (confirmed_), once every write this room stored has come back in them; other servers' events that were
  /// folded into it meanwhile are pushed then. No read of the log (room_recovery.cpp).
  void rebase();
  /// What the room must do before it takes writes again; a reload outranks a rebase.
  void need(repair r) { repair_ = std::max(repair_, r); }
  /// True while writes are refused (a repair is due).
  bool refusing() const { return repair_ != repair::none; }
  /// After a reload: the round pushes (and the end) of every question whose round the reload changed.
  void push_rounds_changed(const session& before);
  /// recover() again in a second (a reload that failed).
  void arm_reload_timer();

  /// A message serialised once, to be queued on one connection or many.
  static std::shared_ptr<const std::string> frame(const nlohmann::json& msg);
  void reply(const conn_ptr& c, const nlohmann::json& msg);
  void error_to(const conn_ptr& c, const std::optional<std::string>& id, const error& e);
  /// What the core says to a participant's request (request: its idempotency key, from the id).
  decided decide(const std::string& voter, const participant_request& r, const std::string& request) const;
  /// decide(), unless recent_acks_ holds the request: a vote or withdrawal acked without an event stays
  /// acked and changes nothing (serve_request remembers it once its ack goes out, never before).
  decided decide_remembering(const std::string& voter, const participant_request& r, const std::string& request) const;
  /// What recent_acks_ remembers of a vote or a withdrawal acked without an event; "" for other requests.
  static std::string remembered_as(const participant_request& r);
  /// What the core says to a facilitator's command (attach changes nothing and is answered apart).
  decided decide(const room_command& cmd) const;
  /// The one ending of every request: the core's refusal as it is, `internal` while storage is
  /// failing, else the events committed and done() run once they are durable (or, when the
  /// write failed, `internal` with the sentence `lost`). No event (a resend): done() once the
  /// writes before it are durable, so an ack never overtakes the first answer.
  /// again: what to run (after the reload) instead of answering `lost`, when another server may have
  /// written first (see redecide).
  void decide_and_commit(const conn_ptr& c, const std::optional<std::string>& id, decided d, const char* lost,
                         std::function<void()> done, std::function<void()> again = nullptr);
  /// The requests, decided (again after a refused write: attempt counts from 1).
  void serve_join(const conn_ptr& c, const request_id& id, const std::string& voter,
                  const std::weak_ptr<role_count>& count, int attempt);
  void serve_request(const conn_ptr& c, const request_id& id, const std::string& voter, const participant_request& r,
                     clock::time_point arrived, int attempt);
  void serve_command(const conn_ptr& c, const request_id& id, const room_command& cmd, int attempt);
  /// The server that writes this session, where it is another: the first in line among those that said their
  /// presence (the pacer), unless forwarding is paused (room_forwarding.cpp).
  std::optional<std::string> writer() const;
  /// Where a participant's request goes: the writer its earlier requests went to while they are on their way; here
  /// while the voter's requests decided here lately may still be in flight (behind them); else the writer.
  std::optional<std::string> route(const std::string& voter) const;
  /// Sends a participant's request to the writer; decided here when it cannot be sent.
  void forward(const conn_ptr& c, const request_id& id, const std::string& voter, participant_request r,
               clock::time_point arrived, const std::string& to);
  /// Sends a writer's answer on to its participant once the room folded `through` events (at once if it has and
  /// no answer waits before it).
  void deliver(forward_table::answer a, std::uint64_t through);
  void send_answer(forward_table::answer a);
  /// Sends the answers whose events the room has folded, and (overdue) those that waited five seconds.
  void release_answers(bool overdue);
  /// Once a second: pings a writer that answered nothing for a while, and decides here the forwarded requests of
  /// one that did not answer the ping either, or that waited a minute.
  void expire_forwards();
  /// The writer answered (a request, or a ping): it is there.
  void writer_heard(const std::string& writer);
  /// The writer's answer to a ping (answered), or NATS's word that no server serves its subject.
  void pong(bool answered);
  /// Decides here forwarded requests the writer will not answer (why: for the log), in the order they were
  /// forwarded; their voters' next requests too, for a while.
  void decide_here(std::vector<forward_table::forwarding> due, const char* why);
  /// What decides a request again, a little later (the room catching up meanwhile), after its write failed or
  /// while the room reloads, where the log is shared (another server may have written first) and attempts
  /// remain; else null (answer the failure).
  std::function<void()> redecide(int attempt, std::function<void()> fn);
  /// Decides fn again after a pause, behind every request already waiting (room_follow.cpp): requests are
  /// decided again in the order they failed, so a participant's later ballot never lands before an earlier one.
  void retry_later(int attempt, std::function<void()> fn);
  /// Answers the core's refusal, unless the log is shared and the stream holds events the room has not
  /// folded yet: then the room catches up and `again` decides the request on the state the stream holds.
  void refuse(const conn_ptr& c, const request_id& id, const error& e, std::function<void()> again);
  /// Asks the store how many of this session's events it holds (a JetStream request, made off the strand), then
  /// runs then(count) on the strand; nullopt where the log is not shared, or the store cannot tell now.
  void ask_stream_events(std::function<void(std::optional<std::uint64_t>)> then);
  /// Folds the next stored events into confirmed_ (this room's own writes coming back, or other servers'), and
  /// into the room's state and out to its connections where that state is the stream's (room_follow.cpp).
  void confirm(const std::vector<std::string>& payloads);
  /// True when payloads are this room's own next writes coming back; their events are then folded.
  bool confirm_own(const std::vector<std::string>& payloads);
  /// Other servers' events, folded into confirmed_ (and the room's state when it is the stream's).
  void confirm_others(const std::vector<std::string>& payloads);
  /// Pushes other servers' events already folded into the room's state: their effects, and a tally where one is
  /// due (tallied: the questions whose tally they held).
  void push_others(std::vector<effect> effects, std::vector<std::string> tallied);
  /// Keeps effects (each once) for the rebase to push: other servers' events the room's state does not hold yet.
  void hold_back(std::vector<effect> effects);
  /// One check of watch_stream: behind the stream twice in a row, with nothing of it folded between, is a
  /// subscription that stopped delivering (seen after a stream leader's death): the room reloads.
  void check_stream();
  /// The room's log and the stream disagree: refuse writes and reload once the pending writes are done.
  void resync(const std::string& why);
  /// After a reload (which may bring other servers' events): every question's tally and count pushed as they
  /// are now, and a tally scheduled where one is due.
  void refresh_questions();
  /// A stored join: registers the connection (unless it closed meanwhile) and answers joined.
  void admit_participant(const conn_ptr& c, const std::string& voter, const std::weak_ptr<role_count>& count,
                         const std::optional<std::string>& id);
  /// A facilitator's attach: answers joined with the session as the console sees it.
  void attach(const conn_ptr& c, const std::optional<std::string>& id);
  /// Applies decided events, appends them, and runs then(ok) once they are durable.
  void commit(const std::vector<events::event>& evs, std::function<void(bool)> then);
  /// Runs fn once every write appended so far is durable (at once when none is pending).
  void after_pending(std::function<void()> fn);
  void on_written(std::uint64_t seq, bool ok);
  /// The store holds this room's write of log seq `seq`: its effects, if back already, went out with its answer.
  void stored(std::uint64_t seq);
  /// Runs every callback whose writes are durable now; one that throws leaves the others to run.
  void run_due();
  /// Pushes what events changed to this server's connections. own: the room decided these events (a ballot
  /// of its own makes a tally due here; one another server stored, there).
  void push_effects(const std::vector<effect>& effects, bool own = true);
  /// Serialises msg once and queues it on every connection of role r (slot: see coalesce).
  void broadcast(role r, const nlohmann::json& msg, std::uint64_t slot = 0);
  /// The same for two messages that go out back to back, in one write where the transport can.
  void broadcast_pair(role r, const nlohmann::json& first, std::uint64_t first_slot, const nlohmann::json& second,
                      std::uint64_t second_slot);
  /// Runs fn at once if the last run that did something (fn returned true) was at least
  /// interval ago, else once at the end of that interval; calls in between fold into it.
  void run_coalesced(coalesce& state, std::chrono::milliseconds interval, std::function<bool()> fn);
  /// What state was waiting for went out with something else just now: its timer is void.
  void settle_coalesced(coalesce& state);
  void broadcast_stage();
  void broadcast_results(const std::string& q);
  /// The slot of a question's results in one round: a newer tally of that round replaces a
  /// queued older one, a final tally of round 1 is never replaced by round 2's.
  std::uint64_t results_slot(const std::string& q, int round);
  void broadcast_perspectives(const std::string& q, bool everyone);
  void send_catch_up(const conn_ptr& c, role r);
  void schedule_publish(const std::string& q);
  /// How long past a timed round's end this server waits before closing it itself (room_pacing.cpp): 0 where the
  /// log is not shared or this server has the smallest id among those that said their presence (the pacer),
  /// else 1.5 s for each server ahead of it in line (at most four), so the pacer's close has come, or, if the pacer
  /// died and is not forgotten yet, the next server's alone.
  std::chrono::milliseconds pacing_delay() const;
  void schedule_progress(const std::string& q);
  void schedule_presence();
  /// Distinct participants connected here or to the other servers (as they last said).
  std::size_t present_count() const;
  /// The ids of the voters connected here, sorted.
  std::vector<voter_id> present_here() const;
  /// A voter's first connection here opened, or their last one closed: the presence count changes.
  void voter_arrived(const std::string& voter);
  void voter_left(const std::string& voter);
  /// Where servers share the session: sends this server's count when it changed since last sent (or when
  /// `always`: once a second, so the others know this server is there) (room_presence.cpp).
  void share_presence(bool always);
  /// Forgets the counts of servers silent for three seconds (they died); pushes the new sum.
  void forget_silent_peers();
  void arm_round_timer();
  void update_summary();
  view_context context() const;
  /// The voter keys of the participants connected now (a round deals its lenses over them).
  std::vector<std::string> present() const;
  std::int64_t now_ms() const;
  /// The HMAC of data under the session's current key.
  std::string keyed(const std::string& data) const;

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  room_services& services_;
  const std::string code_;
  // Keys voters and request ids; replaced by a fresh one when the session ends. voter_key is
  // called from connections' strands, hence the lock.
  mutable std::mutex key_mutex_;
  std::string hmac_key_;
  session session_;
  std::uint64_t logged_;  // events handed to the store: the next one is seq logged_ + 1

  // Connections by role; participants also by voter for presence and assigned models.
  std::unordered_map<std::uint64_t, conn_ptr> participants_;
  // connection -> its voter key, the key string held once, in connected_voters_ (a node's key
  // stays put while the entry lives; the entry outlives every connection pointing at it).
  std::unordered_map<std::uint64_t, const std::string*> voter_of_;
  std::unordered_map<std::string, int> connected_voters_;  // voter -> open connections
  std::unordered_map<std::uint64_t, conn_ptr> projectors_;
  std::unordered_map<std::uint64_t, conn_ptr> facilitators_;
  recent_acks recent_acks_;  // votes acked without an event, for their resends

  // Writes: sequence numbers in append order; callbacks wait for their sequence.
  std::uint64_t next_seq_ = 1;
  std::uint64_t done_seq_ = 0;
  std::deque<std::pair<std::uint64_t, std::function<void()>>> waiting_;
  repair repair_ = repair::none;
  bool reload_failing_ = false;  // the last reload failed (logged once until one succeeds)

  // Where the log is shared (services_.cluster): the session as the stream's messages built it, in order, this
  // room's own writes once they came back in them; the number of its events; and what the room appended that
  // has not come back yet (its payload as written, and its event, folded then without parsing it again).
  std::optional<session> confirmed_;
  std::uint64_t confirmed_logged_ = 0;
  struct own_write {
    std::uint64_t seq;
    std::string payload;
    events::event event;
  };
  std::deque<own_write> own_;
  std::uint64_t stored_through_ = 0;  // the last seq of a write of this room's the store said it holds
  // The effects of own writes come back before the store's word on them: another server may have stored the same
  // event (a tally two servers decided alike) and this room's write failed. The rebase pushes those.
  std::deque<std::pair<std::uint64_t, std::vector<effect>>> own_effects_;
  // Other servers' events folded into confirmed_ while the room's state held its own that failed: pushed by rebase.
  std::vector<effect> unpushed_;
  std::vector<std::string> unpushed_tallies_;
  boost::asio::steady_timer reload_timer_;
  boost::asio::steady_timer stream_check_timer_;
  std::uint64_t behind_mark_ = 0;    // the stream's event count when a check last found the room behind it
  std::uint64_t behind_folded_ = 0;  // the room's folded count then

  forward_table forwards_;  // requests forwarded to the writer, and what is known of it (room_forwarding.cpp)

  std::deque<std::function<void()>> retries_;  // requests waiting to be decided again, in the order they failed
  bool retry_armed_ = false;                   // a timer will decide them

  std::map<std::string, coalesce> publish_;
  std::map<std::string, coalesce> progress_;
  coalesce presence_;
  std::map<std::pair<std::string, int>, std::uint64_t> results_slots_;
  std::size_t presence_sent_ = 0;
  struct peer_count {
    std::size_t count = 0;
    bool listed = false;           // it names its voters (in everyone_), else only counts them
    std::vector<voter_id> voters;  // sorted
    clock::time_point heard;
  };
  std::map<std::string, peer_count> peers_;  // other servers' presence, by server id
  presence_union everyone_;                  // cluster: the voters connected here or to a listing peer
  std::vector<voter_id> presence_shared_;    // this server's voters as last shared
  boost::asio::steady_timer round_timer_;
  bool stopping_ = false;

  mutable std::mutex summary_mutex_;
  room_summary summary_;
};

}  // namespace roundtable::facilitator
