// The session fold: rules, visibility and anonymity thresholds, replay.
#include "roundtable/session.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

using namespace roundtable;
using nlohmann::json;

namespace {

// A scenario with every question type; `assign` decides whether model_outcome assigns models.
scenario full_scenario(bool assign = false) {
  json j = {{"format", 1},
            {"id", "demo"},
            {"title", "Demo"},
            {"summary", "Every question type."},
            {"case", {"A client asks for something hard."}},
            {"models",
             {{{"id", "guidelines"}, {"name", "Ethical Guidelines Model"}, {"prompt", "Codes?"}},
              {{"id", "stakeholder"}, {"name", "Stakeholder Analysis"}, {"prompt", "Who?"}},
              {{"id", "utilitarian"}, {"name", "Utilitarian Framework"}, {"prompt", "Most good?"}},
              {{"id", "virtue"}, {"name", "Virtue Ethics Approach"}, {"prompt", "Character?"}}}},
            {"outcomes",
             {{{"id", "decline"}, {"label", "Decline"}},
              {{"id", "conditions"}, {"label", "Accept with conditions"}},
              {{"id", "refer"}, {"label", "Refer"}}}},
            {"stages",
             {{{"id", "case"}, {"kind", "case"}, {"title", "The case"}, {"body", {"Read it."}}},
              {{"id", "gut"},
               {"kind", "question"},
               {"title", "First reaction"},
               {"question", {{"type", "choice"}, {"prompt", "What would you do?"}, {"options", "outcomes"}}}},
              {{"id", "feel"},
               {"kind", "question"},
               {"title", "Feelings"},
               {"question",
                {{"type", "choice"},
                 {"prompt", "Which?"},
                 {"max_choices", 2},
                 {"options",
                  {{{"id", "confusion"}, {"label", "Confusion"}},
                   {{"id", "anxiety"}, {"label", "Anxiety"}},
                   {{"id", "empowerment"}, {"label", "Empowerment"}}}}}}},
              {{"id", "sure"},
               {"kind", "question"},
               {"title", "Confidence"},
               {"question", {{"type", "scale"}, {"prompt", "How sure?"}, {"min", 1}, {"max", 5}}}},
              {{"id", "principles"},
               {"kind", "question"},
               {"title", "Principles"},
               {"question",
                {{"type", "points"},
                 {"prompt", "Share 10 points."},
                 {"budget", 10},
                 {"options",
                  {{{"id", "autonomy"}, {"label", "Autonomy"}},
                   {{"id", "beneficence"}, {"label", "Beneficence"}},
                   {{"id", "non_maleficence"}, {"label", "Non-maleficence"}},
                   {{"id", "justice"}, {"label", "Justice"}}}}}}},
              {{"id", "bias"},
               {"kind", "question"},
               {"title", "Bias"},
               {"question",
                {{"type", "rank"},
                 {"prompt", "Rank"},
                 {"options",
                  {{{"id", "stereotypes"}, {"label", "Stereotypes"}},
                   {{"id", "culture"}, {"label", "Cultural background"}},
                   {{"id", "morals"}, {"label", "Moral beliefs"}}}}}}},
              {{"id", "models"},
               {"kind", "question"},
               {"title", "Lenses"},
               {"question", {{"type", "model_outcome"}, {"prompt", "Each model?"}, {"assign", assign}}}},
              {{"id", "voices"},
               {"kind", "question"},
               {"title", "Voices"},
               {"question", {{"type", "text"}, {"prompt", "What matters?"}, {"max_length", 20}}}},
              {{"id", "discuss"}, {"kind", "discussion"}, {"title", "Discuss"}, {"show", {"gut", "models", "voices"}}},
              {{"id", "gut-again"}, {"kind", "revote"}, {"title", "Again"}, {"of", "gut"}}}}};
  auto parsed = parse_scenario(j.dump(), "demo.json");
  EXPECT_TRUE(parsed.errors.empty()) << (parsed.errors.empty() ? "" : parsed.errors[0].to_string());
  return *parsed.value;
}

std::string voter_key(int i) {
  return "voter-" + std::to_string(i);
}

// A session plus helpers that decide and apply like the server does.
struct workshop {
  session s;
  explicit workshop(int min_group = 3, bool live = false, bool assign = false)
      : s(make_started("123456", full_scenario(assign), min_group,
                       protocol::start{"demo", std::nullopt, live, std::nullopt, std::nullopt}, 1000)) {}

  std::vector<effect> apply_all(const std::vector<events::event>& evs) {
    std::vector<effect> all;
    for (const auto& e : evs) {
      auto r = s.apply(e);
      EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message);
      if (r) all.insert(all.end(), r->begin(), r->end());
    }
    log.insert(log.end(), evs.begin(), evs.end());
    return all;
  }
  std::vector<effect> run(const result<std::vector<events::event>>& decided) {
    EXPECT_TRUE(decided.ok()) << (decided.ok() ? "" : decided.err().message);
    return decided ? apply_all(*decided) : std::vector<effect>{};
  }
  // Everyone who joined stays connected: a round deals its lenses over all of them.
  void join(int i) {
    apply_all(s.decide_join(voter_key(i)));
    if (std::find(present.begin(), present.end(), voter_key(i)) == present.end()) present.push_back(voter_key(i));
  }
  void join_many(int n) {
    for (int i = 0; i < n; ++i) join(i);
  }
  void open(const std::string& q, std::optional<int> seconds = std::nullopt, std::int64_t now = 2000) {
    run(s.decide_open({"123456", q, seconds, std::nullopt}, now, present));
  }
  void close(const std::string& q) { run(s.decide_close(q)); }
  void reveal(const std::string& q) { run(s.decide_reveal(q, true)); }
  result<std::vector<events::event>> vote(int i, const std::string& q, json ballot, std::string request = "") {
    return s.decide_vote(voter_key(i), {q, std::move(ballot)}, request);
  }
  void cast(int i, const std::string& q, json ballot, std::string request = "") {
    run(vote(i, q, std::move(ballot), std::move(request)));
  }
  bool publish(const std::string& q) {
    auto e = s.decide_publish(q);
    if (e) apply_all({*e});
    return e.has_value();
  }
  std::vector<events::event> log{};
  std::vector<std::string> present{};
};

json results_for(const session& s, role r, const std::string& q) {
  auto m = s.results_message(r, q);
  return m ? *m : json();
}

}  // namespace

TEST(MakeStarted, RaisesButNeverLowersTheServerThreshold) {
  const auto s = full_scenario();
  EXPECT_EQ(make_started("1", s, 3, {"demo", 5, std::nullopt, std::nullopt, std::nullopt}, 0).min_group, 5);
  EXPECT_EQ(make_started("1", s, 3, {"demo", 1, std::nullopt, std::nullopt, std::nullopt}, 0).min_group, 3);
  EXPECT_EQ(make_started("1", s, 3, {"demo", std::nullopt, std::nullopt, std::nullopt, std::nullopt}, 0).min_group, 3);
  EXPECT_EQ(make_started("1", s, 80, {"demo", std::nullopt, std::nullopt, std::nullopt, std::nullopt}, 0).min_group,
            50);
  EXPECT_TRUE(make_started("1", s, 3, {"demo", std::nullopt, true, std::nullopt, std::nullopt}, 0).live);
  EXPECT_FALSE(make_started("1", s, 3, {"demo", std::nullopt, std::nullopt, std::nullopt, std::nullopt}, 0).live);
}

TEST(Join, RecordsAParticipantOnce) {
  workshop w;
  EXPECT_EQ(w.s.decide_join("a").size(), 1u);
  w.join(1);
  EXPECT_TRUE(w.s.decide_join(voter_key(1)).empty());
  EXPECT_EQ(w.s.voters(), 1u);
  auto again = w.s.apply(events::joined{voter_key(1)});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.err().code, error_code::bad_message);
}

TEST(Join, AssignsModelsBalancedAndStable) {
  workshop w(3, false, /*assign=*/true);
  w.join_many(12);
  // The lens a participant sees is the one of the assigned question on the stage.
  EXPECT_FALSE(w.s.assigned_model(voter_key(0)).has_value());
  w.run(w.s.decide_goto(std::string("models")));
  std::vector<int> per_model(4, 0);
  for (int i = 0; i < 12; ++i) per_model[*w.s.assigned_model(voter_key(i), "models")]++;
  EXPECT_EQ(per_model, (std::vector<int>{3, 3, 3, 3}));
  // Stable across reconnects: asking again (a second join) changes nothing.
  const auto before = *w.s.assigned_model(voter_key(7));
  EXPECT_TRUE(w.s.decide_join(voter_key(7)).empty());
  EXPECT_EQ(*w.s.assigned_model(voter_key(7)), before);
  // The participant's stage view names the assigned model, nobody else's does.
  const auto pv = w.s.stage_message(role::participant, before, 0);
  EXPECT_EQ(pv["stage"]["assigned_model"], w.s.scenario_copy().models[before].id);
  EXPECT_FALSE(w.s.stage_message(role::projector, std::nullopt, 0)["stage"].contains("assigned_model"));
}

TEST(Join, NoAssignmentWithoutAnAssignedQuestion) {
  workshop w;
  w.join(0);
  EXPECT_FALSE(w.s.assigned_model(voter_key(0)).has_value());
}

TEST(Vote, RefusesWithTheProtocolCodes) {
  workshop w;
  w.join(0);
  EXPECT_EQ(w.s.decide_vote("stranger", {"gut", {{"choice", "refer"}}}, "").err().code, error_code::not_joined);
  EXPECT_EQ(w.vote(0, "nope", {{"choice", "refer"}}).err().code, error_code::unknown_question);
  EXPECT_EQ(w.vote(0, "gut", {{"choice", "refer"}}).err().code, error_code::voting_closed);
  w.open("gut");
  EXPECT_EQ(w.vote(0, "gut", {{"choice", "maybe"}}).err().code, error_code::invalid_ballot);
  EXPECT_EQ(w.vote(0, "case", {{"choice", "refer"}}).err().code, error_code::unknown_question);
  w.open("voices");
  const auto text = w.vote(0, "voices", {{"choice", "refer"}});
  EXPECT_EQ(text.err().code, error_code::invalid_ballot);
  EXPECT_EQ(text.err().message, "text questions take a perspective, not a vote");
  w.cast(0, "gut", {{"choice", "refer"}});
  w.close("gut");
  EXPECT_EQ(w.vote(0, "gut", {{"choice", "refer"}}).err().code, error_code::voting_closed);
}

TEST(Vote, ApplyRefusesIllegalTransitionsAndLeavesStateAlone) {
  workshop w;
  w.join(0);
  auto closed = w.s.apply(events::ballot_cast{"gut", 1, voter_key(0), {{"choice", "refer"}}, ""});
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.err().code, error_code::voting_closed);
  EXPECT_EQ(w.s.round("gut"), 0);
  auto stage = w.s.apply(events::stage_shown{99});
  ASSERT_FALSE(stage.ok());
  EXPECT_EQ(stage.err().code, error_code::unknown_stage);
  EXPECT_EQ(w.s.stage_index(), 0u);
  w.open("gut");
  auto stranger = w.s.apply(events::ballot_cast{"gut", 1, "stranger", {{"choice", "refer"}}, ""});
  EXPECT_EQ(stranger.err().code, error_code::not_joined);
  auto invalid = w.s.apply(events::ballot_cast{"gut", 1, voter_key(0), {{"choice", "x"}}, ""});
  EXPECT_EQ(invalid.err().code, error_code::invalid_ballot);
  EXPECT_EQ(w.s.ballots("gut"), 0u);
  w.run(w.s.decide_end(5000));
  auto late = w.s.apply(events::ballot_cast{"gut", 1, voter_key(0), {{"choice", "refer"}}, ""});
  EXPECT_EQ(late.err().code, error_code::session_ended);
}

// Everything a session shows anyone: every role's view (as each voter), results, perspectives, the export.
json everything(const session& s, int voters) {
  json all = json::array();
  for (auto r : {role::participant, role::projector, role::facilitator}) {
    for (int i = 0; i < voters; ++i) all.push_back(s.view(r, voter_key(i), {"", 0, 5000}));
    for (const auto& q : s.question_ids()) {
      all.push_back(results_for(s, r, q));
      all.push_back(s.perspectives_message(r, q).value_or(json()));
      all.push_back(s.progress_message(r, q));
    }
    all.push_back(s.catch_up(r));
  }
  all.push_back(s.export_json());
  all.push_back({s.voters(), s.stage_index(), s.ended()});
  return all;
}

TEST(Batch, ASecondEventRefusedLeavesStateViewsAndExportExactlyAsBefore) {
  workshop w(1);
  w.join_many(2);
  w.open("gut");
  w.cast(0, "gut", {{"choice", "refer"}});
  const auto before = everything(w.s, 3);
  // Each event but the last would apply; the last is refused, so none of them may stay.
  const std::vector<events::event> batch{
      events::ballot_cast{"gut", 1, voter_key(1), {{"choice", "decline"}}, "r1"},
      events::joined{voter_key(2)},
      events::round_closed{"gut"},
      events::stage_shown{2},
      events::stage_shown{99},
  };
  auto r = w.s.apply_all(batch);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::unknown_stage);
  EXPECT_EQ(json::diff(before, everything(w.s, 3)), json::array()) << "the refused batch left some of itself applied";
  // And the session goes on as if the batch had never come: the same ballot is new to it.
  EXPECT_EQ(w.vote(1, "gut", {{"choice", "decline"}}, "r1")->size(), 1u);
}

TEST(Batch, AnAcceptedBatchHasTheEffectsOfItsEventsOneByOne) {
  workshop one(1);
  workshop all(1);
  for (auto* w : {&one, &all}) {
    w->join_many(3);
    w->open("gut");
    w->cast(0, "gut", {{"choice", "refer"}});
  }
  const auto end = *one.s.decide_end(9000);
  ASSERT_GE(end.size(), 2u);
  const auto expected = one.apply_all(end);
  auto got = all.s.apply_all(end);
  ASSERT_TRUE(got.ok()) << got.err().message;
  EXPECT_EQ(*got, expected);
  EXPECT_EQ(json::diff(everything(one.s, 3), everything(all.s, 3)), json::array());
  EXPECT_TRUE(all.s.apply_all({}).ok());
}

// fold: the same events and effects as apply_all, without its copy; a refusal leaves the events before it
// applied (its callers rebuild the state then), so the two differ only there.
TEST(Batch, FoldHasApplyAllsEffectsAndStopsAtARefusal) {
  workshop folded(1);
  workshop batched(1);
  for (auto* w : {&folded, &batched}) {
    w->join_many(3);
    w->open("gut");
    w->cast(0, "gut", {{"choice", "refer"}});
  }
  const auto end = *folded.s.decide_end(9000);
  auto a = folded.s.fold(end);
  auto b = batched.s.apply_all(end);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(json::diff(everything(folded.s, 3), everything(batched.s, 3)), json::array());

  workshop w(1);
  w.join_many(2);
  w.open("gut");
  auto r = w.s.fold({events::ballot_cast{"gut", 1, voter_key(1), {{"choice", "decline"}}, "r1"},
                     events::stage_shown{99}, events::joined{voter_key(5)}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::unknown_stage);
  EXPECT_TRUE(w.vote(1, "gut", {{"choice", "decline"}}, "r1")->empty()) << "the ballot before the refusal stays";
  EXPECT_EQ(w.s.voters(), 2u) << "nothing after the refusal is applied";
}

TEST(Vote, ResentRequestIsAppliedOnceAndNeverOverwritesANewerBallot) {
  workshop w;
  w.join(0);
  w.open("gut");
  w.cast(0, "gut", {{"choice", "refer"}}, "r1");
  // The same id and content: acked again, nothing to append.
  auto again = w.vote(0, "gut", {{"choice", "refer"}}, "r1");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  // A newer ballot, then the old request arrives again (a reconnect): the newer one stays.
  w.cast(0, "gut", {{"choice", "decline"}}, "r2");
  auto stale = w.vote(0, "gut", {{"choice", "refer"}}, "r1");
  ASSERT_TRUE(stale.ok());
  EXPECT_TRUE(stale->empty());
  EXPECT_EQ(w.s.view(role::participant, voter_key(0), {})["mine"]["gut"], (json{{"choice", "decline"}}));
  // A reused id with other content is a new request.
  auto reused = w.vote(0, "gut", {{"choice", "conditions"}}, "r1");
  ASSERT_TRUE(reused.ok());
  EXPECT_EQ(reused->size(), 1u);
}

// Issue 12 item 4: the same ballot sent again with a fresh request id is acked without an event,
// so a participant re-sending it forever cannot grow the log.
TEST(Vote, AnUnchangedBallotWithAFreshIdAppendsNothing) {
  workshop w;
  w.join(0);
  w.open("gut");
  w.cast(0, "gut", {{"choice", "refer"}}, "r0");
  for (int i = 1; i <= 500; ++i) {
    auto again = w.vote(0, "gut", {{"choice", "refer"}}, "r" + std::to_string(i));
    ASSERT_TRUE(again.ok()) << again.err().message;
    EXPECT_TRUE(again->empty()) << "fresh id " << i << " appended an event";
  }
  // A change is still a change, whatever its id.
  EXPECT_EQ(w.vote(0, "gut", {{"choice", "decline"}}, "r501")->size(), 1u);
}

// Issue 12 item 4: only the last request_window::size request ids are kept per participant; within them
// every idempotency rule holds, and the state (and so replay) does not depend on older ones.
TEST(Vote, TheLastEightRequestIdsAreKeptAndAnOlderOneIsANewRequest) {
  workshop w;
  w.join(0);
  w.open("gut");
  w.open("sure");
  w.cast(0, "gut", {{"choice", "refer"}}, "old");
  // Seven newer changes (on another question): "old" is still among the last eight.
  for (int i = 1; i <= 7; ++i) w.cast(0, "sure", {{"value", 1 + i % 5}}, "s" + std::to_string(i));
  w.cast(0, "gut", {{"choice", "decline"}}, "newer");  // the eighth: "old" falls out of the window
  EXPECT_EQ(w.s.remembered_requests(voter_key(0)), 8u);
  // Within the window: a resend of "newer" is acked and applied once; "s1" is still known (a resend of it after
  // its ballot changed never overwrites the newer one).
  EXPECT_TRUE(w.vote(0, "gut", {{"choice", "decline"}}, "newer")->empty());
  EXPECT_TRUE(w.vote(0, "sure", {{"value", 2}}, "s1")->empty());
  // "old" is forgotten: it is a new request (Decisions in docs/protocol.md: a client resends within the window).
  EXPECT_EQ(w.vote(0, "gut", {{"choice", "refer"}}, "old")->size(), 1u);
  // However many requests a participant makes, the server keeps eight ids.
  for (int i = 0; i < 100; ++i) w.cast(0, "sure", {{"value", 1 + i % 5}}, "x" + std::to_string(i));
  EXPECT_EQ(w.s.remembered_requests(voter_key(0)), 8u);
  // Replay rebuilds the same window from the events.
  std::vector<events::event> log{make_started(
      "123456", full_scenario(), 3, protocol::start{"demo", std::nullopt, false, std::nullopt, std::nullopt}, 1000)};
  log.insert(log.end(), w.log.begin(), w.log.end());
  auto replayed = session::replay(log);
  ASSERT_TRUE(replayed.ok()) << replayed.err().message;
  EXPECT_EQ(replayed->remembered_requests(voter_key(0)), 8u);
  // The ballot is now 5 (x99); x92 (3) and x98 (4) are known resends, x91 (2) is forgotten.
  EXPECT_TRUE(replayed->decide_vote(voter_key(0), {"sure", {{"value", 3}}}, "x92")->empty());
  EXPECT_TRUE(replayed->decide_vote(voter_key(0), {"sure", {{"value", 4}}}, "x98")->empty());
  EXPECT_EQ(replayed->decide_vote(voter_key(0), {"sure", {{"value", 2}}}, "x91")->size(), 1u);
}

TEST(Vote, AResendAfterItsRoundClosedIsAckedAndNeverReachesTheNextRound) {
  workshop w;
  w.join(0);
  w.open("gut");
  w.cast(0, "gut", {{"choice", "refer"}}, "r1");
  w.close("gut");
  // The ack was lost; the client sends the same request again after the close: acked, nothing applied.
  auto after_close = w.vote(0, "gut", {{"choice", "refer"}}, "r1");
  ASSERT_TRUE(after_close.ok()) << after_close.err().message;
  EXPECT_TRUE(after_close->empty());
  // A request never applied is still refused once the round is closed.
  EXPECT_EQ(w.vote(0, "gut", {{"choice", "refer"}}, "r9").err().code, error_code::voting_closed);
  EXPECT_EQ(w.vote(0, "gut", {{"choice", "decline"}}, "r1").err().code, error_code::voting_closed);
  // In the next round the same request is still the one already applied: not a vote in round 2.
  w.open("gut");
  auto in_round_2 = w.vote(0, "gut", {{"choice", "refer"}}, "r1");
  ASSERT_TRUE(in_round_2.ok());
  EXPECT_TRUE(in_round_2->empty());
  EXPECT_FALSE(w.s.view(role::participant, voter_key(0), {})["mine"].contains("gut"));
}

TEST(Perspective, AResendIsAckedOnceInAnyRound) {
  workshop w;
  w.join(0);
  w.open("voices");
  w.run(w.s.decide_perspective(voter_key(0), {"voices", "  hello "}, "p1", "pid-1"));
  w.close("voices");
  auto after_close = w.s.decide_perspective(voter_key(0), {"voices", "hello"}, "p1", "pid-2");
  ASSERT_TRUE(after_close.ok()) << after_close.err().message;
  EXPECT_TRUE(after_close->empty());
  w.open("voices");
  auto in_round_2 = w.s.decide_perspective(voter_key(0), {"voices", "hello"}, "p1", "pid-3");
  ASSERT_TRUE(in_round_2.ok());
  EXPECT_TRUE(in_round_2->empty());
  EXPECT_EQ(w.s.decide_perspective(voter_key(0), {"voices", "hello"}, "p2", "pid-4")->size(), 1u);
}

TEST(Results, SuppressedBelowMinGroupForEveryoneTheFacilitatorIncluded) {
  workshop w(3);
  w.join_many(2);
  w.open("gut");
  w.cast(0, "gut", {{"choice", "refer"}});
  w.cast(1, "gut", {{"choice", "refer"}});
  EXPECT_FALSE(w.publish("gut"));
  const auto f = results_for(w.s, role::facilitator, "gut");
  EXPECT_EQ(f["suppressed"], true);
  EXPECT_FALSE(f.contains("tally"));
  EXPECT_EQ(f["code"], "123456");
  w.close("gut");
  const auto closed = results_for(w.s, role::facilitator, "gut");
  EXPECT_EQ(closed["suppressed"], true);
  EXPECT_EQ(closed["ballots"], 2);
  EXPECT_FALSE(closed.contains("tally"));
}

TEST(Results, TalliesMoveOnlyInStepsOfMinGroupWhileOpen) {
  workshop w(3);
  w.join_many(8);
  w.open("gut");
  w.cast(0, "gut", {{"choice", "refer"}});
  w.cast(1, "gut", {{"choice", "refer"}});
  EXPECT_FALSE(w.publish("gut"));
  w.cast(2, "gut", {{"choice", "decline"}});
  EXPECT_TRUE(w.publish("gut"));
  auto r = results_for(w.s, role::facilitator, "gut");
  EXPECT_EQ(r["ballots"], 3);
  EXPECT_EQ(r["tally"]["counts"], (json{{"decline", 1}, {"conditions", 0}, {"refer", 2}}));
  // One more ballot and one voter changing twice: only two distinct changes, no push.
  w.cast(3, "gut", {{"choice", "conditions"}});
  w.cast(0, "gut", {{"choice", "decline"}});
  w.cast(0, "gut", {{"choice", "conditions"}});
  EXPECT_FALSE(w.publish("gut"));
  // A late viewer gets the last tally pushed, never a fresher one.
  EXPECT_EQ(results_for(w.s, role::facilitator, "gut")["ballots"], 3);
  // Re-casting the same ballot is no change.
  w.cast(3, "gut", {{"choice", "conditions"}}, "again");
  EXPECT_FALSE(w.publish("gut"));
  w.cast(4, "gut", {{"choice", "refer"}});
  EXPECT_TRUE(w.publish("gut"));
  r = results_for(w.s, role::facilitator, "gut");
  EXPECT_EQ(r["ballots"], 5);
  EXPECT_EQ(r["tally"]["counts"], (json{{"decline", 1}, {"conditions", 2}, {"refer", 2}}));
  // Close pushes the exact final tally, whatever changed since.
  w.cast(5, "gut", {{"choice", "refer"}});
  const auto effects = w.run(w.s.decide_close("gut"));
  EXPECT_NE(std::find(effects.begin(), effects.end(), effect{push_kind::results, "gut"}), effects.end());
  r = results_for(w.s, role::facilitator, "gut");
  EXPECT_EQ(r["ballots"], 6);
  EXPECT_EQ(r["tally"]["counts"], (json{{"decline", 1}, {"conditions", 2}, {"refer", 3}}));
}

TEST(Results, ApplyRefusesAPublishThatIsNotDue) {
  workshop w(3);
  w.join_many(2);
  w.open("gut");
  w.cast(0, "gut", {{"choice", "refer"}});
  auto r = w.s.apply(events::tally_published{"gut", 1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::internal);
}

TEST(Results, ParticipantsAndProjectorSeeThemOnlyAfterReveal) {
  workshop w(3);
  w.join_many(3);
  w.open("gut");
  for (int i = 0; i < 3; ++i) w.cast(i, "gut", {{"choice", "refer"}});
  w.publish("gut");
  EXPECT_FALSE(w.s.results_message(role::participant, "gut"));
  EXPECT_FALSE(w.s.results_message(role::projector, "gut"));
  EXPECT_TRUE(w.s.results_message(role::facilitator, "gut"));
  w.reveal("gut");
  const auto p = results_for(w.s, role::participant, "gut");
  EXPECT_EQ(p["tally"]["counts"]["refer"], 3);
  EXPECT_FALSE(p.contains("code"));
  EXPECT_TRUE(w.s.results_message(role::projector, "gut"));
  w.run(w.s.decide_reveal("gut", false));
  EXPECT_FALSE(w.s.results_message(role::participant, "gut"));
}

TEST(Results, LiveModeShowsResultsWithoutReveal) {
  workshop w(3, /*live=*/true);
  w.join_many(3);
  w.open("sure");
  for (int i = 0; i < 3; ++i) w.cast(i, "sure", {{"value", i + 1}});
  w.publish("sure");
  const auto p = results_for(w.s, role::participant, "sure");
  EXPECT_EQ(p["tally"]["mean"], 2.0);
}

TEST(Revote, NewRoundHidesAgainAndCarriesTheShift) {
  workshop w(3);
  w.join_many(4);
  w.open("gut");
  w.cast(0, "gut", {{"choice", "refer"}});
  w.cast(1, "gut", {{"choice", "refer"}});
  w.cast(2, "gut", {{"choice", "decline"}});
  w.cast(3, "gut", {{"choice", "decline"}});
  w.close("gut");
  w.reveal("gut");
  w.run(w.s.decide_goto(std::string("gut-again")));
  const auto stage = w.s.stage_message(role::participant, std::nullopt, 0)["stage"];
  EXPECT_EQ(stage["kind"], "revote");
  EXPECT_EQ(stage["question"]["id"], "gut");
  const auto effects = w.run(w.s.decide_open({"123456", "gut", std::nullopt}, 3000));
  EXPECT_NE(std::find(effects.begin(), effects.end(), effect{push_kind::hidden, "gut"}), effects.end());
  EXPECT_EQ(w.s.round("gut"), 2);
  EXPECT_FALSE(w.s.results_message(role::participant, "gut"));
  // Mine is per latest round: empty until this participant votes again.
  EXPECT_FALSE(w.s.view(role::participant, voter_key(0), {})["mine"].contains("gut"));
  w.cast(0, "gut", {{"choice", "decline"}});
  w.cast(1, "gut", {{"choice", "refer"}});
  w.cast(2, "gut", {{"choice", "decline"}});
  w.close("gut");
  const auto r = results_for(w.s, role::facilitator, "gut");
  EXPECT_EQ(r["round"], 2);
  EXPECT_EQ(r["tally"]["shift"]["compared"], 3);
  EXPECT_EQ(r["tally"]["shift"]["changed"], 1);
  EXPECT_EQ(r["tally"]["shift"]["transitions"],
            (json{{"refer", {{"decline", 1}, {"refer", 1}}}, {"decline", {{"decline", 1}}}}));
}

TEST(Revote, ShiftHeldBackBelowMinGroupCompared) {
  workshop w(3);
  w.join_many(5);
  w.open("gut");
  for (int i = 0; i < 3; ++i) w.cast(i, "gut", {{"choice", "refer"}});
  w.close("gut");
  w.open("gut");
  w.cast(0, "gut", {{"choice", "decline"}});
  w.cast(3, "gut", {{"choice", "decline"}});
  w.cast(4, "gut", {{"choice", "decline"}});
  w.close("gut");
  const auto r = results_for(w.s, role::facilitator, "gut");
  ASSERT_TRUE(r.contains("tally"));
  EXPECT_FALSE(r["tally"].contains("shift"));
}

TEST(Perspectives, PreModeratedAndHiddenBelowTheThreshold) {
  workshop w(3);
  w.join_many(4);
  w.open("voices");
  const auto post = [&](int i, const std::string& text, const std::string& id) {
    return w.s.decide_perspective(voter_key(i), {"voices", text}, "", id);
  };
  w.run(post(0, "  Trust first.  ", "p-b"));
  w.run(post(1, "Safety.", "p-a"));
  w.run(w.s.decide_moderate({"123456", "p-a", true}));
  // Two posted (< 3): nobody but the facilitator sees any, even a shown one.
  EXPECT_EQ((*w.s.perspectives_message(role::participant, "voices"))["items"].size(), 0u);
  const auto f = *w.s.perspectives_message(role::facilitator, "voices");
  ASSERT_EQ(f["items"].size(), 2u);
  EXPECT_EQ(f["items"][0]["id"], "p-a");
  EXPECT_EQ(f["items"][0]["shown"], true);
  EXPECT_EQ(f["items"][1]["text"], "Trust first.");
  EXPECT_EQ(f["items"][1]["shown"], false);
  // The third post lifts the count to the threshold; only the shown one is visible.
  const auto effects = w.run(post(2, "Honesty.", "p-c"));
  EXPECT_NE(std::find(effects.begin(), effects.end(), effect{push_kind::perspectives, "voices", true}), effects.end());
  const auto p = *w.s.perspectives_message(role::projector, "voices");
  ASSERT_EQ(p["items"].size(), 1u);
  EXPECT_EQ(p["items"][0], (json{{"id", "p-a"}, {"text", "Safety."}, {"endorsements", 0}}));
}

TEST(Perspectives, RefusesBadPostsWithTheProtocolCodes) {
  workshop w(3);
  w.join_many(2);
  const auto post = [&](int i, const std::string& q, const std::string& text, const std::string& id) {
    return w.s.decide_perspective(voter_key(i), {q, text}, "", id);
  };
  EXPECT_EQ(post(0, "voices", "x", "p1").err().code, error_code::voting_closed);
  w.open("voices");
  w.open("gut");
  EXPECT_EQ(post(0, "gut", "x", "p1").err().code, error_code::invalid_ballot);
  EXPECT_EQ(post(0, "nope", "x", "p1").err().code, error_code::unknown_question);
  EXPECT_EQ(post(0, "voices", " \t\u3000 ", "p1").err().message, "the perspective is empty");
  EXPECT_EQ(post(0, "voices", std::string(21, 'x'), "p1").err().message,
            "the perspective is 21 characters long, at most 20 allowed");
  // Code points, not bytes: 20 two-byte characters fit.
  std::string umlauts;
  for (int i = 0; i < 20; ++i) umlauts += "\xC3\xBC";
  EXPECT_TRUE(post(0, "voices", umlauts, "p0").ok());
  EXPECT_EQ(w.s.decide_perspective("stranger", {"voices", "x"}, "", "p1").err().code, error_code::not_joined);
  w.run(post(0, "voices", "one", "p1"));
  w.run(post(0, "voices", "two", "p2"));
  w.run(post(0, "voices", "three", "p3"));
  const auto fourth = post(0, "voices", "four", "p4");
  EXPECT_EQ(fourth.err().code, error_code::invalid_ballot);
  EXPECT_EQ(fourth.err().message, "at most 3 perspectives per participant and round");
  EXPECT_TRUE(post(1, "voices", "mine", "p5").ok());
}

TEST(Perspectives, EndorseOnlyShownOthersOnce) {
  workshop w(3);
  w.join_many(4);
  w.open("voices");
  for (int i = 0; i < 3; ++i) w.run(w.s.decide_perspective(voter_key(i), {"voices", "t"}, "", "p" + std::to_string(i)));
  EXPECT_EQ(w.s.decide_endorse(voter_key(3), {"p0"}, "").err().code, error_code::unknown_perspective);
  EXPECT_EQ(w.s.decide_endorse(voter_key(3), {"zzz"}, "").err().code, error_code::unknown_perspective);
  w.run(w.s.decide_moderate({"123456", "p0", true}));
  EXPECT_EQ(w.s.decide_endorse(voter_key(0), {"p0"}, "").err().code, error_code::invalid_ballot);
  w.run(w.s.decide_endorse(voter_key(3), {"p0"}, ""));
  auto twice = w.s.decide_endorse(voter_key(3), {"p0"}, "");
  ASSERT_TRUE(twice.ok());
  EXPECT_TRUE(twice->empty());
  // One endorser is held back (EndorsementCountsMoveInStepsOfMinGroupEndorsers).
  EXPECT_EQ((*w.s.perspectives_message(role::participant, "voices"))["items"][0]["endorsements"], 0);
  EXPECT_EQ(w.s.decide_moderate({"123456", "nope", true}).err().code, error_code::unknown_perspective);
  EXPECT_TRUE(w.s.decide_moderate({"123456", "p0", true})->empty());
}

// Issue 12 item 12: one participant's posts (three in a round, more over rounds) never unlock perspectives.
TEST(Perspectives, UnlockAfterMinGroupAuthorsNotPosts) {
  workshop w(3);
  w.join_many(3);
  w.open("voices");
  const auto post = [&](int i, const std::string& id) {
    return w.run(w.s.decide_perspective(voter_key(i), {"voices", "text " + id}, "", id));
  };
  for (const auto* id : {"a1", "a2", "a3"}) post(0, id);
  w.close("voices");
  w.open("voices");
  post(0, "a4");
  for (const auto* id : {"a1", "a2", "a3", "a4"}) w.run(w.s.decide_moderate({"123456", id, true}));
  EXPECT_EQ((*w.s.perspectives_message(role::participant, "voices"))["items"].size(), 0u);
  EXPECT_EQ((*w.s.perspectives_message(role::projector, "voices"))["items"].size(), 0u);
  EXPECT_EQ((*w.s.perspectives_message(role::facilitator, "voices"))["items"].size(), 4u);
  EXPECT_EQ(w.s.export_json()["questions"][6]["perspectives"].size(), 0u);
  post(1, "b1");
  EXPECT_EQ((*w.s.perspectives_message(role::participant, "voices"))["items"].size(), 0u);
  // The third author unlocks them, and that post is what tells participants.
  const auto effects = post(2, "c1");
  EXPECT_NE(std::find(effects.begin(), effects.end(), effect{push_kind::perspectives, "voices", true}), effects.end());
  EXPECT_EQ((*w.s.perspectives_message(role::participant, "voices"))["items"].size(), 4u);
}

// Issue 12 item 12: an endorsement count moves only once min_group distinct participants endorsed since the
// counts last moved, for everyone, the facilitator and the export included.
TEST(Perspectives, EndorsementCountsMoveInStepsOfMinGroupEndorsers) {
  workshop w(3);
  w.join_many(6);
  w.open("voices");
  for (int i = 0; i < 3; ++i) {
    const auto id = "p" + std::to_string(i);
    w.run(w.s.decide_perspective(voter_key(i), {"voices", "t"}, "", id));
    w.run(w.s.decide_moderate({"123456", id, true}));
  }
  const auto counts = [&](role r) {
    std::map<std::string, int> out;
    const auto m = *w.s.perspectives_message(r, "voices");
    for (const auto& it : m["items"]) out[it["id"]] = it["endorsements"];
    return out;
  };
  const std::map<std::string, int> zero{{"p0", 0}, {"p1", 0}, {"p2", 0}};
  // Two endorsers: nothing moves, and nothing is pushed.
  EXPECT_TRUE(w.run(w.s.decide_endorse(voter_key(3), {"p0"}, "")).empty());
  EXPECT_TRUE(w.run(w.s.decide_endorse(voter_key(3), {"p1"}, "")).empty());  // the same person again
  EXPECT_TRUE(w.run(w.s.decide_endorse(voter_key(4), {"p0"}, "")).empty());
  EXPECT_EQ(counts(role::participant), zero);
  EXPECT_EQ(counts(role::facilitator), zero);
  // The third distinct endorser moves every count at once.
  const auto moved = w.run(w.s.decide_endorse(voter_key(0), {"p1"}, ""));
  EXPECT_EQ(moved, (std::vector<effect>{{push_kind::perspectives, "voices", true}}));
  const std::map<std::string, int> step{{"p0", 2}, {"p1", 2}, {"p2", 0}};
  EXPECT_EQ(counts(role::participant), step);
  EXPECT_EQ(counts(role::projector), step);
  EXPECT_EQ(counts(role::facilitator), step);
  // One more is held back again, in the export too.
  w.run(w.s.decide_endorse(voter_key(5), {"p2"}, ""));
  EXPECT_EQ(counts(role::participant), step);
  const auto exported = w.s.export_json();
  ASSERT_EQ(exported["questions"][6]["id"], "voices");
  for (const auto& it : exported["questions"][6]["perspectives"]) EXPECT_EQ(it["endorsements"], step.at(it["id"]));
}

TEST(Stages, GotoByIndexOrIdAndRefusesUnknown) {
  workshop w;
  EXPECT_TRUE(w.s.decide_goto(std::size_t{0})->empty());
  w.run(w.s.decide_goto(std::size_t{3}));
  EXPECT_EQ(w.s.stage_index(), 3u);
  w.run(w.s.decide_goto(std::string("discuss")));
  EXPECT_EQ(w.s.stage_index(), 8u);
  EXPECT_EQ(w.s.decide_goto(std::size_t{10}).err().code, error_code::unknown_stage);
  EXPECT_EQ(w.s.decide_goto(std::string("nowhere")).err().code, error_code::unknown_stage);
}

TEST(Stages, ViewsCarryTheirKindsFields) {
  workshop w;
  auto v = w.s.stage_message(role::participant, std::nullopt, 0)["stage"];
  EXPECT_EQ(v["index"], 0);
  EXPECT_EQ(v["count"], 10);
  EXPECT_EQ(v["kind"], "case");
  EXPECT_EQ(v["body"], (json{"A client asks for something hard.", "Read it."}));
  EXPECT_EQ(v["round"], 0);
  EXPECT_EQ(v["status"], "closed");
  w.run(w.s.decide_goto(std::string("gut")));
  v = w.s.stage_message(role::participant, std::nullopt, 0)["stage"];
  EXPECT_EQ(v["question"]["options"].size(), 3u);
  EXPECT_EQ(v["question"]["options"][0], (json{{"id", "decline"}, {"label", "Decline"}}));
  w.run(w.s.decide_goto(std::string("models")));
  v = w.s.stage_message(role::participant, std::nullopt, 0)["stage"];
  EXPECT_EQ(v["question"]["models"].size(), 4u);
  EXPECT_EQ(v["question"]["outcomes"].size(), 3u);
  w.run(w.s.decide_goto(std::string("discuss")));
  v = w.s.stage_message(role::participant, std::nullopt, 0)["stage"];
  EXPECT_EQ(v["show"], (json{"gut", "models", "voices"}));
  EXPECT_TRUE(v["results"].empty());  // nothing revealed yet
  const auto f = w.s.stage_message(role::facilitator, std::nullopt, 0);
  EXPECT_EQ(f["code"], "123456");
}

TEST(Rounds, TimedRoundClosesWhenItsTimeIsUp) {
  workshop w;
  w.open("gut", 30, 10'000);
  EXPECT_EQ(*w.s.closes_at("gut"), 40'000);
  EXPECT_EQ(w.s.round_message(role::participant, "gut", 25'500)["closes_in"], 15);
  EXPECT_TRUE(w.s.decide_timeouts(39'999).empty());
  const auto due = w.s.decide_timeouts(40'000);
  ASSERT_EQ(due.size(), 1u);
  w.apply_all(due);
  EXPECT_FALSE(w.s.round_open("gut"));
  EXPECT_EQ(w.s.decide_open({"123456", "gut", 4}, 0).err().code, error_code::bad_message);
}

TEST(Rounds, IdempotentCommandsAppendNothing) {
  workshop w;
  EXPECT_TRUE(w.s.decide_close("gut")->empty());
  w.open("gut");
  EXPECT_TRUE(w.s.decide_open({"123456", "gut", std::nullopt}, 0)->empty());
  w.reveal("gut");
  EXPECT_TRUE(w.s.decide_reveal("gut", true)->empty());
  EXPECT_EQ(w.s.decide_close("nope").err().code, error_code::unknown_question);
  EXPECT_EQ(w.s.decide_reveal("nope", true).err().code, error_code::unknown_question);
}

TEST(End, ClosesOpenRoundsAndRefusesLaterVotes) {
  workshop w(3);
  w.join_many(3);
  w.open("gut");
  for (int i = 0; i < 3; ++i) w.cast(i, "gut", {{"choice", "refer"}});
  const auto effects = w.run(w.s.decide_end(9000));
  EXPECT_TRUE(w.s.ended());
  EXPECT_FALSE(w.s.round_open("gut"));
  EXPECT_NE(std::find(effects.begin(), effects.end(), effect{push_kind::results, "gut"}), effects.end());
  EXPECT_NE(std::find(effects.begin(), effects.end(), effect{push_kind::ended, ""}), effects.end());
  EXPECT_EQ(w.vote(0, "gut", {{"choice", "refer"}}).err().code, error_code::session_ended);
  EXPECT_EQ(w.s.decide_goto(std::size_t{1}).err().code, error_code::session_ended);
  EXPECT_TRUE(w.s.decide_end(9999)->empty());
  EXPECT_TRUE(w.s.decide_join("newcomer").empty());
  EXPECT_EQ(w.s.view(role::participant, std::nullopt, {})["ended"], true);
}

TEST(View, SessionViewForEachRole) {
  workshop w(4);
  w.join(0);
  w.open("gut");
  w.cast(0, "gut", {{"choice", "refer"}});
  const auto p = w.s.view(role::participant, voter_key(0), {"http://x/j/123456", 7, 0});
  EXPECT_EQ(p["code"], "123456");
  EXPECT_EQ(p["join_url"], "http://x/j/123456");
  EXPECT_EQ(p["participants"], 7);
  EXPECT_EQ(p["min_group"], 4);
  EXPECT_EQ(p["live"], false);
  EXPECT_EQ(p["scenario"]["id"], "demo");
  EXPECT_EQ(p["mine"], (json{{"gut", {{"choice", "refer"}}}}));
  EXPECT_FALSE(p.contains("stages"));
  const auto f = w.s.view(role::facilitator, std::nullopt, {});
  EXPECT_EQ(f["stages"].size(), 10u);
  EXPECT_EQ(f["questions"]["gut"]["status"], "open");
  EXPECT_EQ(f["questions"]["gut"]["ballots"], 1);
  EXPECT_TRUE(f["mine"].empty());
}

namespace {

// The pseudonyms of one exported round's votes.
std::set<std::string> voters_of(const json& round) {
  std::set<std::string> out;
  for (const auto& v : round["votes"]) out.insert(v["voter"].get<std::string>());
  return out;
}

}  // namespace

// Issue 12 item 13: where the live shift was held back (fewer than min_group voted in both rounds), the
// export's pseudonyms must not link a participant's ballots across those rounds; where it was shown, they do.
TEST(Export, PseudonymsDoNotLinkRoundsWhoseShiftWasHeldBack) {
  workshop w(3);
  w.join_many(6);
  w.open("gut");
  for (int i = 0; i < 4; ++i) w.cast(i, "gut", {{"choice", "refer"}});
  w.close("gut");
  // Round 2: four ballots, but only 0 and 1 voted in both rounds: the shift compares 2 < 3.
  w.open("gut");
  w.cast(0, "gut", {{"choice", "decline"}});
  w.cast(1, "gut", {{"choice", "refer"}});
  w.cast(4, "gut", {{"choice", "refer"}});
  w.cast(5, "gut", {{"choice", "conditions"}});
  w.close("gut");
  // Round 3: the same four again, so 4 compared: the shift is shown and the pseudonyms may link 2 and 3.
  w.open("gut");
  for (const int i : {0, 1, 4, 5}) w.cast(i, "gut", {{"choice", "refer"}});
  w.close("gut");
  const auto e = w.s.export_json();
  const auto& rounds = e["questions"][0]["rounds"];
  ASSERT_EQ(rounds.size(), 3u);
  ASSERT_FALSE(rounds[1]["tally"].contains("shift"));
  ASSERT_TRUE(rounds[2]["tally"].contains("shift"));
  const auto r1 = voters_of(rounds[0]);
  const auto r2 = voters_of(rounds[1]);
  const auto r3 = voters_of(rounds[2]);
  ASSERT_EQ(r2.size(), 4u);
  // Round 2's pseudonyms are its own: none is round 1's, none is any other question's.
  for (const auto& v : r2) EXPECT_EQ(r1.count(v), 0u) << v << " links round 2 to round 1";
  std::set<std::string> session_wide;
  for (int i = 1; i <= 6; ++i) session_wide.insert("v" + std::to_string(i));
  for (const auto& v : r2) EXPECT_EQ(session_wide.count(v), 0u) << v;
  // Round 3 shows its shift in full: its ballots keep the session's pseudonyms.
  for (const auto& v : r3) EXPECT_EQ(session_wide.count(v), 1u) << v;
}

// The shift of a scale, points or rank question is never shown live: its re-votes are never linked either.
TEST(Export, PseudonymsDoNotLinkTheRoundsOfAQuestionWithoutAShift) {
  workshop w(3);
  w.join_many(3);
  for (int round = 0; round < 2; ++round) {
    w.open("sure");
    for (int i = 0; i < 3; ++i) w.cast(i, "sure", {{"value", 1 + (i + round) % 5}});
    w.close("sure");
  }
  const auto e = w.s.export_json();
  const auto& rounds = e["questions"][2]["rounds"];
  ASSERT_EQ(e["questions"][2]["id"], "sure");
  const auto r1 = voters_of(rounds[0]);
  const auto r2 = voters_of(rounds[1]);
  ASSERT_EQ(r2.size(), 3u);
  for (const auto& v : r2) EXPECT_EQ(r1.count(v), 0u) << v << " links round 2 to round 1";
}

TEST(Export, PseudonymsFollowHashOrderAndSmallRoundsExportCountsOnly) {
  workshop w(3);
  // Keys join in an order unlike their sorted order.
  for (const auto* k : {"kc", "ka", "kd", "kb"}) w.apply_all(w.s.decide_join(k));
  w.open("gut");
  for (const auto* k : {"kc", "ka", "kd", "kb"}) w.run(w.s.decide_vote(k, {"gut", {{"choice", "refer"}}}, ""));
  w.close("gut");
  w.open("sure");
  w.run(w.s.decide_vote("ka", {"sure", {{"value", 2}}}, ""));
  w.close("sure");
  const auto e = w.s.export_json();
  const auto& gut = e["questions"][0];
  EXPECT_EQ(gut["id"], "gut");
  ASSERT_EQ(gut["rounds"][0]["votes"].size(), 4u);
  EXPECT_EQ(gut["rounds"][0]["votes"][0]["voter"], "v1");
  EXPECT_EQ(gut["rounds"][0]["tally"]["counts"]["refer"], 4);
  const auto& sure = e["questions"][2];
  EXPECT_EQ(sure["rounds"][0]["ballots"], 1);
  EXPECT_EQ(sure["rounds"][0]["suppressed"], true);
  EXPECT_FALSE(sure["rounds"][0].contains("tally"));
  EXPECT_FALSE(sure["rounds"][0].contains("votes"));
  EXPECT_EQ(e.dump().find("ka"), std::string::npos) << "voter keys never appear in an export";
}

TEST(Export, AssignedModelRowsBelowMinGroupExportNoBallots) {
  workshop w(3, false, /*assign=*/true);
  // 14 participants over 4 models: 4, 4, 3, 3; then the last two of one model leave it at 2 ballots.
  w.join_many(14);
  w.open("models");
  std::vector<int> per_model(4, 0);
  for (int i = 0; i < 14; ++i) {
    const auto m = *w.s.assigned_model(voter_key(i), "models");
    if (m == 3 && per_model[3] == 2) continue;  // model 3 gets only 2 ballots
    ++per_model[m];
    w.cast(i, "models", {{"outcomes", {{w.s.scenario_copy().models[m].id, "refer"}}}});
  }
  ASSERT_EQ(per_model[3], 2);
  w.close("models");
  const auto e = w.s.export_json();
  const json* models = nullptr;
  for (const auto& q : e["questions"])
    if (q["id"] == "models") models = &q;
  ASSERT_NE(models, nullptr);
  const auto& r = (*models)["rounds"][0];
  const auto small = w.s.scenario_copy().models[3].id;
  EXPECT_FALSE(r["tally"]["matrix"].contains(small));
  std::size_t exported = 0;
  for (const auto& v : r["votes"]) {
    EXPECT_FALSE(v["ballot"]["outcomes"].contains(small)) << v.dump();
    ++exported;
  }
  EXPECT_EQ(exported, static_cast<std::size_t>(per_model[0] + per_model[1] + per_model[2]));
  EXPECT_EQ(r["ballots"], per_model[0] + per_model[1] + per_model[2] + 2) << "the count still covers every ballot";
}

TEST(Publish, AnAssignedModelsRowMovesOnlyInStepsOfMinGroupOfItsOwnBallots) {
  workshop w(3, false, /*assign=*/true);
  w.join_many(12);  // 3 per model
  w.open("models");
  std::map<std::size_t, std::vector<int>> by_model;
  for (int i = 0; i < 12; ++i) by_model[*w.s.assigned_model(voter_key(i), "models")].push_back(i);
  const auto vote_for = [&](int i) {
    const auto m = *w.s.assigned_model(voter_key(i), "models");
    w.cast(i, "models", {{"outcomes", {{w.s.scenario_copy().models[m].id, "refer"}}}});
  };
  // Three ballots of model 0 and one of model 1: four changed in all, but model 1's row would
  // move by one person's ballot, so nothing is published.
  for (int i : by_model[0]) vote_for(i);
  vote_for(by_model[1][0]);
  EXPECT_FALSE(w.publish("models"));
  // Model 1 reaches three changed ballots: now every row that moves, moves by three.
  vote_for(by_model[1][1]);
  vote_for(by_model[1][2]);
  EXPECT_TRUE(w.publish("models"));
  // The log replays, and a log holding a publish made under the overall rule alone does too.
  std::vector<events::event> log{
      events::started{"123456", w.s.scenario_copy(), w.s.min_group(), w.s.live(), w.s.started_ms()}};
  log.insert(log.end(), w.log.begin(), w.log.end());
  auto replayed = session::replay(log);
  ASSERT_TRUE(replayed.ok()) << replayed.err().message;
  EXPECT_EQ(replayed->results_message(role::facilitator, "models"), w.s.results_message(role::facilitator, "models"));
  workshop fresh(3, false, true);
  fresh.join_many(12);
  fresh.open("models");
  for (int i : by_model[0]) {
    const auto m = *fresh.s.assigned_model(voter_key(i), "models");
    fresh.cast(i, "models", {{"outcomes", {{fresh.s.scenario_copy().models[m].id, "refer"}}}});
  }
  {
    const auto m = *fresh.s.assigned_model(voter_key(by_model[1][0]), "models");
    fresh.cast(by_model[1][0], "models", {{"outcomes", {{fresh.s.scenario_copy().models[m].id, "refer"}}}});
  }
  EXPECT_TRUE(fresh.s.apply(events::tally_published{"models", 1}).ok()) << "an older log must still replay";
}

TEST(CatchUp, LateJoinersGetWhatTheyMaySeeOfTheCurrentStage) {
  workshop w(3);
  w.join_many(3);
  w.run(w.s.decide_goto(std::string("gut")));
  w.open("gut");
  for (int i = 0; i < 3; ++i) w.cast(i, "gut", {{"choice", "refer"}});
  w.publish("gut");
  auto msgs = w.s.catch_up(role::participant);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["type"], "progress");
  w.reveal("gut");
  msgs = w.s.catch_up(role::projector);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[1]["type"], "results");
  EXPECT_EQ(msgs[1]["ballots"], 3);
  const auto f = w.s.catch_up(role::facilitator);
  EXPECT_TRUE(std::all_of(f.begin(), f.end(), [](const json& m) { return m["code"] == "123456"; }));
}

// Property: a random workshop, stored and replayed, gives identical views and exports.
TEST(Replay, RandomWorkshopsReplayToIdenticalViews) {
  std::mt19937 rng(20261126);
  for (int trial = 0; trial < 40; ++trial) {
    workshop w(1 + static_cast<int>(rng() % 4), rng() % 2 == 0, rng() % 2 == 0);
    const int n = 3 + static_cast<int>(rng() % 12);
    w.join_many(n);
    const std::vector<std::string> qs = {"gut", "feel", "sure", "principles", "bias", "models"};
    for (int step = 0; step < 60; ++step) {
      const auto& q = qs[rng() % qs.size()];
      switch (rng() % 6) {
        case 0:
          w.run(w.s.decide_open({"123456", q, std::nullopt}, 1000 + step));
          break;
        case 1:
          w.run(w.s.decide_close(q));
          break;
        case 2:
          w.run(w.s.decide_reveal(q, rng() % 2 == 0));
          break;
        case 3:
          w.publish(q);
          break;
        default: {
          if (!w.s.round_open(q)) break;
          const int who = static_cast<int>(rng() % n);
          json b;
          if (q == "gut") b = {{"choice", std::vector<std::string>{"decline", "conditions", "refer"}[rng() % 3]}};
          if (q == "feel") b = {{"choices", {"anxiety"}}};
          if (q == "sure") b = {{"value", 1 + static_cast<int>(rng() % 5)}};
          if (q == "principles") b = {{"points", {{"autonomy", 4}, {"justice", 6}}}};
          if (q == "bias") b = {{"order", {"morals", "culture", "stereotypes"}}};
          if (q == "models") {
            const auto a = w.s.assigned_model(voter_key(who), "models");
            json o = json::object();
            for (std::size_t m = 0; m < 4; ++m)
              if (!a || *a == m) o[w.s.scenario_copy().models[m].id] = "refer";
            b = {{"outcomes", o}};
          }
          w.run(w.vote(who, q, b, "req" + std::to_string(step)));
        }
      }
    }
    // Through the stored JSON form and back.
    std::vector<events::event> stored;
    auto first = events::event_from_json(
        events::to_json(events::started{"123456", w.s.scenario_copy(), w.s.min_group(), w.s.live(), w.s.started_ms()}));
    ASSERT_TRUE(first.ok());
    stored.push_back(*first);
    for (const auto& e : w.log) {
      auto back = events::event_from_json(json::parse(protocol::dump(events::to_json(e))));
      ASSERT_TRUE(back.ok()) << back.err().message;
      stored.push_back(*back);
    }
    auto replayed = session::replay(stored);
    ASSERT_TRUE(replayed.ok()) << replayed.err().message;
    auto again = session::replay(stored);
    ASSERT_TRUE(again.ok());
    for (auto r : {role::participant, role::projector, role::facilitator}) {
      for (int i = 0; i < n; ++i) EXPECT_EQ(replayed->view(r, voter_key(i), {}), w.s.view(r, voter_key(i), {}));
      for (const auto& q : qs) {
        EXPECT_EQ(replayed->results_message(r, q), w.s.results_message(r, q)) << q;
        EXPECT_EQ(again->results_message(r, q), replayed->results_message(r, q));
      }
    }
    EXPECT_EQ(replayed->export_json(), w.s.export_json());
  }
}

TEST(Replay, RefusesALogThatDoesNotStartWithStarted) {
  auto r = session::replay({events::joined{"x"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::internal);
}

TEST(Events, MalformedStoredEventsAreRefused) {
  EXPECT_FALSE(events::event_from_json(json::array()).ok());
  EXPECT_FALSE(events::event_from_json({{"type", "nope"}}).ok());
  EXPECT_FALSE(events::event_from_json({{"type", "joined"}}).ok());
  EXPECT_FALSE(events::event_from_json({{"type", "stage_shown"}, {"index", -1}}).ok());
  EXPECT_FALSE(events::event_from_json({{"type", "ballot_cast"}, {"question", 3}}).ok());
  const auto e = events::event_from_json({{"type", "joined"}, {"voter", 5}});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.err().message, "stored event: field \"voter\" must be a string");
}
