// Timers that bend (issue 11 item 5): `open` with seconds on an open round sets its timer again, and a
// discussion stage may carry a timer of its own, counted from when it is shown.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "roundtable/session.hpp"

using namespace roundtable;
using nlohmann::json;

namespace {

scenario timed_scenario() {
  json j = {{"format", 1},
            {"id", "timed"},
            {"title", "Timed"},
            {"summary", "A question and a timed discussion."},
            {"case", {"A hard case."}},
            {"stages",
             {{{"id", "gut"},
               {"kind", "question"},
               {"title", "Gut"},
               {"question",
                {{"type", "choice"},
                 {"prompt", "What would you do?"},
                 {"options", {{{"id", "yes"}, {"label", "Yes"}}, {{"id", "no"}, {"label", "No"}}}}}}},
              {{"id", "talk"}, {"kind", "discussion"}, {"title", "Talk"}, {"show", {"gut"}}, {"seconds", 300}},
              {{"id", "quiet"}, {"kind", "discussion"}, {"title", "Quiet"}, {"show", {"gut"}}}}}};
  auto parsed = parse_scenario(j.dump(), "timed.json");
  EXPECT_TRUE(parsed.errors.empty()) << (parsed.errors.empty() ? "" : parsed.errors[0].to_string());
  return *parsed.value;
}

struct timed {
  session s{make_started("123456", timed_scenario(), 3, {"timed", std::nullopt, false}, 1000)};
  std::vector<events::event> log{make_started("123456", timed_scenario(), 3, {"timed", std::nullopt, false}, 1000)};

  std::vector<effect> run(const result<std::vector<events::event>>& decided) {
    EXPECT_TRUE(decided.ok()) << (decided.ok() ? "" : decided.err().message);
    std::vector<effect> all;
    if (!decided) return all;
    for (const auto& e : *decided) {
      auto applied = s.apply(e);
      EXPECT_TRUE(applied.ok()) << (applied.ok() ? "" : applied.err().message);
      if (applied) all.insert(all.end(), applied->begin(), applied->end());
      log.push_back(e);
    }
    return all;
  }
  result<std::vector<events::event>> open(std::optional<int> seconds, std::int64_t now) const {
    return s.decide_open({"123456", "gut", seconds}, now);
  }
};

}  // namespace

TEST(TimerThatBends, OpenWithSecondsOnAnOpenRoundExtendsOrShortensIt) {
  timed t;
  t.run(t.open(60, 10'000));
  EXPECT_EQ(t.s.closes_at("gut"), 70'000);
  // 30 s later: 120 s from now (longer than what was left) ...
  auto effects = t.run(t.open(120, 40'000));
  EXPECT_EQ(effects, (std::vector<effect>{{push_kind::round, "gut"}}));
  EXPECT_EQ(t.s.closes_at("gut"), 160'000);
  EXPECT_EQ(t.s.round("gut"), 1);  // the same round, not a new one
  EXPECT_EQ(t.s.round_message(role::participant, "gut", 40'000)["closes_in"], 120);
  // ... and then 10 s from now (shorter).
  t.run(t.open(10, 50'000));
  EXPECT_EQ(t.s.closes_at("gut"), 60'000);
  EXPECT_TRUE(t.s.decide_timeouts(59'999).empty());
  EXPECT_EQ(t.s.decide_timeouts(60'000).size(), 1u);
}

TEST(TimerThatBends, AnUntimedRoundGetsATimerAndOpenWithoutSecondsStillChangesNothing) {
  timed t;
  t.run(t.open(std::nullopt, 10'000));
  EXPECT_FALSE(t.s.closes_at("gut"));
  EXPECT_TRUE(t.open(std::nullopt, 20'000)->empty());  // v1: open on an open round is acked, nothing changes
  t.run(t.open(30, 20'000));
  EXPECT_EQ(t.s.closes_at("gut"), 50'000);
  EXPECT_TRUE(t.open(std::nullopt, 30'000)->empty());
  EXPECT_EQ(t.s.closes_at("gut"), 50'000);
}

TEST(TimerThatBends, RefusesWhatOpenRefuses) {
  timed t;
  t.run(t.open(60, 10'000));
  for (int bad : {4, 3601, 0, -5}) {
    auto d = t.open(bad, 20'000);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.err().code, error_code::bad_message);
  }
  EXPECT_EQ(t.s.closes_at("gut"), 70'000);
  // Applied out of turn (a corrupt log): refused, state unchanged.
  EXPECT_EQ(t.s.apply(events::timer_set{"gut", 2, 60, 0}).err().code, error_code::voting_closed);
  EXPECT_EQ(t.s.apply(events::timer_set{"gut", 1, 1, 0}).err().code, error_code::bad_message);
  EXPECT_EQ(t.s.apply(events::timer_set{"nope", 1, 60, 0}).err().code, error_code::unknown_question);
  t.run(t.s.decide_close("gut"));
  EXPECT_EQ(t.s.apply(events::timer_set{"gut", 1, 60, 0}).err().code, error_code::voting_closed);
  // After the close, open with seconds is the re-vote it always was.
  t.run(t.open(30, 100'000));
  EXPECT_EQ(t.s.round("gut"), 2);
  EXPECT_EQ(t.s.closes_at("gut"), 130'000);
}

TEST(TimerThatBends, TheLogRoundTripsAndReplaysTheNewTime) {
  timed t;
  t.run(t.open(60, 10'000));
  t.run(t.open(600, 20'000));
  t.run(t.s.decide_goto(std::string("talk"), 25'000));
  std::vector<events::event> stored;
  for (const auto& e : t.log) {
    const json j = events::to_json(e);
    auto back = events::event_from_json(json::parse(j.dump()));
    ASSERT_TRUE(back.ok()) << j.dump();
    EXPECT_EQ(events::to_json(*back), j);
    stored.push_back(*back);
  }
  EXPECT_EQ(events::to_json(t.log[2])["type"], "timer_set");
  auto replayed = session::replay(stored);
  ASSERT_TRUE(replayed.ok()) << replayed.err().message;
  EXPECT_EQ(replayed->closes_at("gut"), 620'000);
  EXPECT_EQ(replayed->stage_message(role::projector, std::nullopt, 85'000),
            t.s.stage_message(role::projector, std::nullopt, 85'000));
}

TEST(DiscussionTimer, CountsDownFromWhenTheStageIsShown) {
  timed t;
  t.run(t.s.decide_goto(std::string("talk"), 100'000));
  json st = t.s.stage_message(role::projector, std::nullopt, 160'000)["stage"];
  EXPECT_EQ(st["seconds"], 300);
  EXPECT_EQ(st["ends_in"], 240);
  st = t.s.stage_message(role::participant, std::nullopt, 500'000)["stage"];
  EXPECT_EQ(st["ends_in"], 0);  // over: never negative
  // The console's outline names the timer of each stage that has one.
  const json outline = t.s.view(role::facilitator, std::nullopt, {})["stages"];
  EXPECT_EQ(outline[1]["seconds"], 300);
  EXPECT_FALSE(outline[2].contains("seconds"));
  // A discussion without one carries neither field; showing the timed one again starts it again.
  t.run(t.s.decide_goto(std::string("quiet"), 600'000));
  st = t.s.stage_message(role::projector, std::nullopt, 600'000)["stage"];
  EXPECT_FALSE(st.contains("seconds"));
  EXPECT_FALSE(st.contains("ends_in"));
  t.run(t.s.decide_goto(std::string("talk"), 700'000));
  EXPECT_EQ(t.s.stage_message(role::projector, std::nullopt, 700'000)["stage"]["ends_in"], 300);
}

TEST(DiscussionTimer, AStageShownInAnOlderLogHasNoTimeLeft) {
  timed t;
  auto old = events::event_from_json(json{{"type", "stage_shown"}, {"index", 1}});
  ASSERT_TRUE(old.ok());
  ASSERT_TRUE(t.s.apply(*old).ok());
  const json st = t.s.stage_message(role::projector, std::nullopt, 5'000)["stage"];
  EXPECT_EQ(st["seconds"], 300);
  EXPECT_FALSE(st.contains("ends_in"));
  EXPECT_FALSE(events::to_json(*old).contains("at_ms"));  // written back as it was read
}

TEST(DiscussionTimer, TheScenarioFieldIsADiscussionsOnly) {
  json j = to_json(timed_scenario());
  EXPECT_EQ(j["stages"][1]["seconds"], 300);
  j["stages"][0]["seconds"] = 60;
  auto parsed = parse_scenario(j.dump(), "x.json");
  ASSERT_FALSE(parsed.errors.empty());
  EXPECT_EQ(parsed.errors[0].path, "stages[0].seconds");
  j = to_json(timed_scenario());
  j["stages"][1]["seconds"] = 3601;
  parsed = parse_scenario(j.dump(), "x.json");
  ASSERT_FALSE(parsed.errors.empty());
  EXPECT_EQ(parsed.errors[0].path, "stages[1].seconds");
}
