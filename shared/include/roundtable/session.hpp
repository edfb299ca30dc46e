// A workshop session as a fold over events: every rule, every view, every visibility decision.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "roundtable/answer.hpp"
#include "roundtable/ballot.hpp"
#include "roundtable/error.hpp"
#include "roundtable/event.hpp"
#include "roundtable/lenses.hpp"
#include "roundtable/protocol.hpp"
#include "roundtable/request_window.hpp"
#include "roundtable/scenario.hpp"

namespace roundtable {

enum class role { participant, projector, facilitator };

/// What an applied event changed, so the server knows which pushes to build.
enum class push_kind { stage, round, progress, results, perspectives, hidden, ended };
struct effect {
  push_kind kind;
  std::string question;  // empty for stage and ended
  /// perspectives only: false when only the facilitator's view changed.
  bool everyone = true;
  friend bool operator==(const effect&, const effect&) = default;
};

/// Facts the server knows and the core does not: links and live counts.
struct view_context {
  std::string join_url;
  std::size_t participants = 0;  // distinct participant tokens connected
  std::int64_t now_ms = 0;       // for the time left on a timed round
};

inline constexpr int min_group_floor = 1;
inline constexpr int min_group_ceiling = 50;
inline constexpr int max_perspectives_per_round = 3;
inline constexpr int min_round_seconds = 5;
inline constexpr int max_round_seconds = 3600;

/// The started event for a new session: the threshold in force is the larger of
/// the server's and the requested one, within 1..50.
events::started make_started(std::string code, scenario s, int server_min_group, const protocol::start& options,
                             std::int64_t now_ms);

/// One session's state; built only by replaying a started event and what followed.
class session {
public:
  /// A new session from its started event.
  explicit session(const events::started& e);

  /// Rebuilds a session from its stored events (the first must be started).
  static result<session> replay(const std::vector<events::event>& log);

  // --- decide: validate a command against the state; the events to append (none: already so) ---

  /// A participant's join: a joined event the first time this voter is seen, and a lens_dealt for each
  /// open round that dealt lenses without them (session_lenses.cpp).
  std::vector<events::event> decide_join(const events::voter_key& voter) const;
  result<std::vector<events::event>> decide_vote(const events::voter_key& voter, const protocol::vote& v,
                                                 const std::string& request) const;
  /// perspective_id: a fresh random id from the caller, used if the post is new.
  result<std::vector<events::event>> decide_perspective(const events::voter_key& voter, const protocol::perspective& p,
                                                        const std::string& request,
                                                        const std::string& perspective_id) const;
  /// Withdraws the voter's answer from the open round (session_abstain.cpp); none when they have none.
  result<std::vector<events::event>> decide_withdraw(const events::voter_key& voter, const protocol::withdraw& w,
                                                     const std::string& request) const;
  result<std::vector<events::event>> decide_endorse(const events::voter_key& voter, const protocol::endorse& e,
                                                    const std::string& request) const;
  /// now_ms: when the stage is shown, from which a discussion's timer runs.
  result<std::vector<events::event>> decide_goto(const protocol::stage_ref& stage, std::int64_t now_ms = 0) const;
  /// present: the participants connected now, over whom an assigned question's lenses are dealt.
  result<std::vector<events::event>> decide_open(const protocol::open& o, std::int64_t now_ms,
                                                 const std::vector<events::voter_key>& present = {}) const;
  result<std::vector<events::event>> decide_close(const std::string& question) const;
  result<std::vector<events::event>> decide_reveal(const std::string& question, bool reveal) const;
  result<std::vector<events::event>> decide_moderate(const protocol::moderate& m) const;
  /// Ending closes every open round first (their exact final tallies are pushed).
  result<std::vector<events::event>> decide_end(std::int64_t now_ms) const;
  /// A tally_published event when the question's open round has min_group changed ballots since the last.
  std::optional<events::event> decide_publish(const std::string& question) const;
  /// Round-closing events for timed rounds whose time is up at now_ms.
  std::vector<events::event> decide_timeouts(std::int64_t now_ms) const;

  /// Folds one event in; refuses illegal transitions (state unchanged) with the protocol's code.
  result<std::vector<effect>> apply(const events::event& e);
  /// Folds in every event of one decision or none (session_batch.cpp): a refused one leaves the session as it was.
  result<std::vector<effect>> apply_all(const std::vector<events::event>& evs);
  /// Folds in events in order, in place, without apply_all's copy of the session: for a state that is rebuilt
  /// whenever an event is refused (a follower of a shared log), since a refusal leaves it partly folded.
  result<std::vector<effect>> fold(const std::vector<events::event>& evs);

  // --- views: what each role may see ---

  /// SessionView; voter is the participant's key (for mine and assigned_model).
  nlohmann::json view(role r, const std::optional<events::voter_key>& voter, const view_context& ctx) const;
  /// `{"type":"stage","stage":StageView}` for a role (and a participant's assigned model).
  nlohmann::json stage_message(role r, std::optional<std::size_t> assigned_model, std::int64_t now_ms) const;
  nlohmann::json round_message(role r, const std::string& question, std::int64_t now_ms) const;
  nlohmann::json progress_message(role r, const std::string& question) const;
  /// The results push, or nothing when this role may not see them.
  std::optional<nlohmann::json> results_message(role r, const std::string& question) const;
  /// The perspectives push, or nothing when the question has none this role may see.
  std::optional<nlohmann::json> perspectives_message(role r, const std::string& question) const;
  nlohmann::json hidden_message(role r, const std::string& question) const;
  nlohmann::json ended_message(role r) const;
  /// What a late joiner (participant, projector) or an attaching console is sent after its reply.
  std::vector<nlohmann::json> catch_up(role r) const;

  // --- facts ---

  const std::string& code() const { return code_; }
  const scenario& scenario_copy() const { return scenario_; }
  int min_group() const { return min_group_; }
  bool live() const { return live_; }
  bool ended() const { return ended_; }
  /// True for a session purged with everything of it once it has ended.
  bool confidential() const { return confidential_; }
  /// The facilitator key's name that started it; empty for the server's own (admin) key.
  const std::string& owner() const { return owner_; }
  std::int64_t started_ms() const { return started_ms_; }
  /// When it ended (0 while it runs).
  std::int64_t ended_ms() const { return ended_ms_; }
  std::size_t stage_index() const { return stage_; }
  /// The lens (model) a voter answers alone in the assigned question the stage shows: the one dealt in its
  /// latest round, or before a round opens the one they would keep (session_lenses.cpp).
  std::optional<std::size_t> assigned_model(const events::voter_key& voter) const;
  /// The same for a named question (none when it deals no lens, or everyone takes every lens).
  std::optional<std::size_t> assigned_model(const events::voter_key& voter, const std::string& question) const;
  /// The lenses dealt in assigned questions unless `open` says otherwise (0: everyone takes every lens).
  int lenses() const;
  /// True when the scenario has an assigned model_outcome question.
  bool assigns_models() const { return assigns_; }
  std::size_t voters() const { return voter_keys_.size(); }
  /// A voter's id: their place in join order, alike on every server that folds the log (none if unknown).
  std::optional<voter_id> voter(const events::voter_key& key) const;
  /// The key of the voter with that id (nullptr past the voters joined).
  const events::voter_key* voter_key_of(voter_id who) const {
    return who < voter_keys_.size() ? &voter_keys_[who] : nullptr;
  }
  /// How many of a voter's request ids are kept for resends (at most request_window::size).
  std::size_t remembered_requests(const events::voter_key& voter) const;
  /// The latest round of a question (0 before the first), and whether it is open.
  int round(const std::string& question) const;
  bool round_open(const std::string& question) const;
  /// Ballots (or perspective authors, for text) in the latest round.
  std::size_t ballots(const std::string& question) const;
  /// When the open round closes by itself (epoch ms), if timed.
  std::optional<std::int64_t> closes_at(const std::string& question) const;
  /// Every question's id, in stage order.
  std::vector<std::string> question_ids() const;

  /// The export: every question, every round's tally (count only below min_group),
  /// ballots under pseudonyms in an order unrelated to arrival (a re-vote whose shift was not
  /// shown live under its own), perspectives.
  nlohmann::json export_json() const;

private:
  struct published {
    nlohmann::json tally;  // absent (null) while suppressed
    std::size_t ballots = 0;
  };
  struct round_state {
    int number = 0;
    bool open = false;
    round_ballots ballots;                   // answers on the options
    std::unordered_set<voter_id> abstained;  // answered "not sure / pass": counted apart, never in the tally
    std::unordered_set<voter_id> dirty;      // cast or changed since the last push
    std::optional<published> last;           // what was last pushed
    std::optional<std::int64_t> closes_at_ms;
    std::unordered_set<voter_id> posters;            // text questions: who posted this round
    std::optional<lens_deal> deal;                   // assigned questions; none in older logs (join-order rule)
    std::unordered_map<voter_id, std::size_t> lens;  // who holds which lens: the deal and later lens_dealt
  };
  struct perspective_state {
    std::string id;
    std::string question;
    int round = 0;
    voter_id author = 0;
    std::string text;
    bool shown = false;
    std::set<voter_id> endorsers;
    std::size_t endorsements_shown = 0;  // the count anyone sees: moves in steps (see apply_one(endorsed))
  };
  struct question_state {
    std::size_t stage = 0;  // index of its stage in the scenario
    std::vector<round_state> rounds;
    bool revealed = false;
    std::vector<std::size_t> perspectives;  // indexes into perspectives_
    std::set<voter_id> authors;             // who posted perspectives, any round: they unlock at min_group
    std::set<voter_id> endorsing;           // who endorsed since the counts last moved
  };

  const question_state* find(const std::string& question) const;
  question_state* find(const std::string& question);
  /// The latest round of q if it is open, else nullptr.
  static const round_state* open_round(const question_state& q);
  static round_state* open_round(question_state& q);

  // The refusals the decide functions share (session.cpp), each checked in the order a decide_* calls them.
  status check_not_ended() const;
  /// The voter's id, or not_joined: "join the session before <before>".
  result<voter_id> check_joined(const events::voter_key& key, std::string_view before) const;
  result<const question_state*> check_question(const std::string& question) const;

  // The fold (session_apply.cpp): one overload per event type; apply(event) only dispatches.
  // Named apply_one, not apply: the public apply(event) is called with single events (a joined, ...),
  // and private overloads of that name would win overload resolution and refuse access.
  using effects = std::vector<effect>;
  result<effects> apply_one(const events::started& x);
  result<effects> apply_one(const events::joined& x);
  result<effects> apply_one(const events::stage_shown& x);
  result<effects> apply_one(const events::round_opened& x);
  result<effects> apply_one(const events::round_closed& x);
  result<effects> apply_one(const events::ballot_cast& x);
  result<effects> apply_one(const events::revealed& x);
  result<effects> apply_one(const events::hidden& x);
  result<effects> apply_one(const events::tally_published& x);
  result<effects> apply_one(const events::perspective_posted& x);
  result<effects> apply_one(const events::perspective_moderated& x);
  result<effects> apply_one(const events::endorsed& x);
  result<effects> apply_one(const events::ended& x);
  result<effects> apply_one(const events::ballot_withdrawn& x);  // session_abstain.cpp
  result<effects> apply_one(const events::timer_set& x);         // session_timer.cpp
  result<effects> apply_one(const events::lens_dealt& x);        // session_lenses.cpp

  // Lenses (session_lenses.cpp).
  /// True for an assigned model_outcome question of a case with models.
  bool deals_lenses(const question& qd) const;
  /// The deal an `open` makes for a new round of q (none for a question that deals no lenses).
  result<std::optional<lens_deal>> decide_deal(const question_state& q, const protocol::open& o,
                                               const std::vector<events::voter_key>& present) const;
  /// The lens the voter would keep in q's next round of `lenses`: their latest round's, else join order.
  std::optional<std::size_t> preferred_lens(const question_state& q, voter_id who, int lenses) const;
  /// The lens a voter answers in round r of q: none when they answer every model (or hold none yet).
  std::optional<std::size_t> lens_in(const question& qd, const round_state& r, voter_id who) const;
  /// A lens_dealt for r when it dealt lenses and the voter (id `who`) holds none in it yet.
  std::optional<events::lens_dealt> late_deal(const std::string& question, const question_state& q,
                                              const round_state& r, const events::voter_key& key, voter_id who) const;
  /// q's definition as round k is tallied: unassigned when that round and the one before dealt no lens.
  question as_tallied(const question& qd, const question_state& q, std::size_t k) const;
  /// `open` on an open round: with seconds, its timer set again from now; without, nothing (session_timer.cpp).
  result<std::vector<events::event>> decide_retime(const protocol::open& o, const round_state& r,
                                                   std::int64_t now_ms) const;
  /// A discussion stage's timer: its length and the seconds left, when it has one (session_timer.cpp).
  void add_stage_timer(nlohmann::json& view, std::size_t index, std::int64_t now_ms) const;
  /// The apply side of the not-joined and unknown-question refusals (replay's wording).
  result<voter_id> known_voter(const events::voter_key& key) const;
  result<question_state*> known_question(const std::string& question);
  /// What a ballot or a perspective event lands in: its voter, question and open round.
  struct round_target {
    voter_id who;
    question_state* q;
    round_state* r;
  };
  /// The voter, question and open round numbered `round` that an event names, or why it cannot land
  /// (`voting_closed`: "<what> "question" <is> not open").
  result<round_target> open_round_of(const events::voter_key& voter, const std::string& question, int round,
                                     std::string_view what, std::string_view is);
  /// Closes the open round and publishes its exact final tally (round_closed and ended).
  void close_round(const std::string& question, question_state& q);

  nlohmann::json stage_view(role r, std::size_t index, std::optional<std::size_t> assigned_model,
                            std::int64_t now_ms) const;
  nlohmann::json question_view(const stage& st, std::optional<std::size_t> assigned_model) const;
  /// A participant's own ballots and perspectives in each question's latest round.
  nlohmann::json mine_view(voter_id who) const;
  /// The console's outline of every stage, and every question's round and count.
  nlohmann::json stages_view() const;
  nlohmann::json questions_view(std::int64_t now_ms) const;
  nlohmann::json results_body(const std::string& question) const;
  bool may_see_results(role r, const question_state& q) const;
  std::vector<const perspective_state*> visible_perspectives(role r, const question_state& q) const;
  /// True once min_group distinct participants posted to q: before, nobody but the facilitator sees any.
  bool perspectives_unlocked(const question_state& q) const;
  nlohmann::json tally_now(const std::string& question, const question_state& q) const;
  /// Round k's tally with its abstentions (null below min_group answers on the options).
  nlohmann::json round_tally(const question& qd, const question_state& q, std::size_t k) const;
  // Abstentions and withdrawals (session_abstain.cpp).
  /// Every answer of a round: ballots on the options and abstentions.
  static std::size_t answers(const round_state& r);
  /// True when the voter's answer in r is already a.
  static bool holds_answer(const round_state& r, voter_id who, const answer& a);
  /// Puts the voter's answer in r in place of the one they had; true when it changed anything.
  static bool record_answer(round_state& r, voter_id who, answer a);
  bool seen_request(voter_id v, const std::string& request, const std::string& content) const;
  nlohmann::json with_code(role r, nlohmann::json msg) const;

  // The export (session_export.cpp), piece by piece.
  std::vector<std::string> pseudonyms() const;  // by voter_id
  /// One round's own pseudonyms (by voter_id), for a re-vote whose shift was not shown live.
  std::vector<std::string> round_pseudonyms(const std::string& question, const round_state& rs) const;
  nlohmann::json export_question(const std::string& id, const std::vector<std::string>& pseudonym) const;
  nlohmann::json export_round(const question& qd, const question_state& q, std::size_t k,
                              const std::vector<std::string>& pseudonym) const;
  nlohmann::json export_votes(const question& qd, const round_state& rs,
                              const std::vector<std::string>& pseudonym) const;

  std::string code_;
  scenario scenario_;
  int min_group_ = 3;
  bool live_ = false;
  bool confidential_ = false;
  std::string owner_;
  bool ended_ = false;
  bool assigns_ = false;
  std::optional<int> lenses_;  // the session's lens count (start option); none: every model is dealt
  std::int64_t started_ms_ = 0;
  std::int64_t ended_ms_ = 0;
  std::size_t stage_ = 0;
  std::int64_t stage_shown_ms_ = 0;  // when the current stage was shown (0: unknown, an older log)
  std::unordered_map<events::voter_key, voter_id> voter_ids_;
  std::vector<events::voter_key> voter_keys_;  // by voter_id
  std::map<std::string, question_state> questions_;
  std::vector<perspective_state> perspectives_;
  std::unordered_map<std::string, std::size_t> perspective_index_;
  // Each voter's last request_window::size applied requests (by voter_id), for idempotent resends:
  // memory per voter is bounded however many requests they send (issue 12 item 4).
  std::vector<request_window> requests_;
};

}  // namespace roundtable
