// The participant program, really run: `participant swarm` and `participant join` as child
// processes against a real `facilitator serve`. Counts and lines, never times.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "child_process.hpp"
#include "served_session.hpp"

using namespace roundtable::test;

namespace {

// A served session, live unless told otherwise, and what its export says.
struct live_session : served_session {
  explicit live_session(bool live = true) : served_session({.start = {{"live", live}}}) {}

  long exported_ballots(const std::string& q) {
    const auto e = export_json();
    for (const auto& x : e["questions"])
      if (x.value("id", "") == q && !x["rounds"].empty()) return x["rounds"].back().value("ballots", -1L);
    ADD_FAILURE() << "no rounds of " << q << " in " << e.dump();
    return -1;
  }
};

json last_json_line(child& c) {
  const auto lines = c.lines();
  if (lines.empty()) return json();
  return json::parse(lines.back(), nullptr, false);
}

TEST(Swarm, TwoHundredJoinVoteAndAreCounted) {
  live_session s;
  s.command({{"type", "goto"}, {"stage", "gut"}});
  s.command({{"type", "open"}, {"question", "gut"}});
  child swarm({"swarm", "--server", s.ws_url(), "--code", s.code, "--count", "200", "--ramp", "0", "--vote-window", "1",
               "--json", "--timeout", "120"});
  ASSERT_EQ(swarm.wait_exit(150s), 0) << swarm.all_output();
  const auto r = last_json_line(swarm);
  ASSERT_TRUE(r.is_object()) << swarm.all_output();
  EXPECT_EQ(r["participants"], 200);
  EXPECT_EQ(r["connected"], 200);
  EXPECT_EQ(r["acked"], 200);
  EXPECT_EQ(r["errors"], 0);
  EXPECT_EQ(r["max_progress"], 200);
  EXPECT_EQ(r["question"], "gut");
  // Live session: every vote up to N - min_group + 1 saw a results push counting it.
  EXPECT_EQ(r["results_missing"], 0);
  EXPECT_EQ(r["results_samples"], 198);
  for (const char* k : {"join_p99_ms", "ack_p50_ms", "ack_p99_ms", "results_p50_ms", "results_p99_ms", "duration_s"})
    EXPECT_TRUE(r[k].is_number()) << k;
  // The server counted exactly those 200 ballots, from 200 distinct participants.
  s.command({{"type", "close"}, {"question", "gut"}});
  const auto e = s.export_json();
  ASSERT_TRUE(e.is_object());
  const auto& gut = e["questions"][0];
  ASSERT_FALSE(gut["rounds"].empty()) << e.dump();
  EXPECT_EQ(gut["rounds"][0]["ballots"], 200);
  EXPECT_EQ(gut["rounds"][0]["votes"].size(), 200u);
  const auto metrics = http_get(s.server->port(), "/metrics", test_key);
  EXPECT_NE(metrics.body.find("roundtable_ballots_total 200"), std::string::npos) << metrics.body.substr(0, 2000);
}

TEST(Swarm, CreatesItsOwnLiveSessionWithAKey) {
  temp_dir dir;
  server_process server({dir.path() + "/rt.db", test_scenarios, test_key, 3, {}});
  const auto url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/ws";
  // A points question: every random ballot must fit the budget.
  child swarm({"swarm", "--server", url, "--key", test_key, "--scenario", "demo", "--question", "principles", "--count",
               "30", "--vote-window", "0.5", "--close", "--json", "--timeout", "60"});
  ASSERT_EQ(swarm.wait_exit(90s), 0) << swarm.all_output();
  ASSERT_TRUE(swarm.wait_line("session ", 1s));
  const auto r = last_json_line(swarm);
  EXPECT_EQ(r["connected"], 30);
  EXPECT_EQ(r["acked"], 30);
  EXPECT_EQ(r["question"], "principles");
  const auto code = r["code"].get<std::string>();
  const auto e = json::parse(http_get(server.port(), "/api/sessions/" + code + "/export.json", test_key).body);
  bool found = false;
  for (const auto& q : e["questions"]) {
    if (q.dump().find("principles") == std::string::npos) continue;
    found = true;
    EXPECT_EQ(q["rounds"][0]["ballots"], 30) << q.dump();
    EXPECT_EQ(q["rounds"][0]["open"], false);  // --close closed it
  }
  EXPECT_TRUE(found) << e.dump();
}

TEST(Join, PipedStdinAnswersAQuestionWithPlainLines) {
  live_session s(false);
  temp_dir home;
  const auto token_file = home.path() + "/token";
  child join({"join", "--server", s.ws_url(), "--code", s.code, "--token-file", token_file});
  ASSERT_TRUE(join.wait_line("joined " + s.code)) << join.all_output();
  ASSERT_TRUE(join.wait_line("stage 1/")) << join.all_output();
  s.command({{"type", "goto"}, {"stage", "gut"}});
  ASSERT_TRUE(join.wait_line("question gut choice: ")) << join.all_output();
  EXPECT_TRUE(join.wait_line("option 1 "));
  EXPECT_TRUE(join.wait_line("option 3 "));
  EXPECT_TRUE(join.wait_line("status gut round 0 closed"));
  s.command({{"type", "open"}, {"question", "gut"}});
  ASSERT_TRUE(join.wait_line("round gut 1 open")) << join.all_output();
  // A wrong answer is explained and sends nothing; a right one is acked.
  join.write_line("9");
  ASSERT_TRUE(join.wait_line("error: there is no option 9")) << join.all_output();
  join.write_line("2");
  const auto sent = join.wait_line("sent ");
  ASSERT_TRUE(sent) << join.all_output();
  EXPECT_NE(sent->find("{\"choice\":"), std::string::npos) << *sent;
  ASSERT_TRUE(join.wait_line("ack ")) << join.all_output();
  EXPECT_TRUE(join.wait_line(" vote"));
  // End of input: the client leaves once nothing is pending.
  join.close_stdin();
  EXPECT_EQ(join.wait_exit(10s), 0) << join.all_output();
  EXPECT_EQ(s.exported_ballots("gut"), 1);

  // The token was kept: joining again is the same participant, whose answer is shown.
  child again({"join", "--server", "http://127.0.0.1:" + std::to_string(s.server->port()) + "/j/" + s.code,
               "--token-file", token_file});
  ASSERT_TRUE(again.wait_line("mine gut {\"choice\":")) << again.all_output();
  again.write_line("3");
  ASSERT_TRUE(again.wait_line("ack ")) << again.all_output();
  again.close_stdin();
  EXPECT_EQ(again.wait_exit(10s), 0);
  EXPECT_EQ(s.exported_ballots("gut"), 1);  // replaced, not added

  // Revealed results arrive as text bars.
  s.command({{"type", "close"}, {"question", "gut"}});
  child viewer({"join", "--server", s.ws_url(), "--code", s.code, "--token-file", token_file});
  ASSERT_TRUE(viewer.wait_line("joined ")) << viewer.all_output();
  s.command({{"type", "reveal"}, {"question", "gut"}});
  // One ballot is below min_group: the results are held back, even from this participant.
  ASSERT_TRUE(viewer.wait_line("results gut round 1: 1 ballot")) << viewer.all_output();
  EXPECT_TRUE(viewer.wait_line("held back"));
  viewer.close_stdin();
  EXPECT_EQ(viewer.wait_exit(10s), 0);
}

TEST(Join, PassesAndWithdrawsWithSlashCommands) {
  served_session s({.scenario = "passes"});
  temp_dir home;
  child join({"join", "--server", s.ws_url(), "--code", s.code, "--token-file", home.path() + "/t"});
  ASSERT_TRUE(join.wait_line("joined ")) << join.all_output();
  s.command({{"type", "goto"}, {"stage", "gut"}});
  s.command({{"type", "open"}, {"question", "gut"}});
  ASSERT_TRUE(join.wait_line("round gut 1 open")) << join.all_output();
  join.write_line("/pass");
  ASSERT_TRUE(join.wait_line(R"(sent j)")) << join.all_output();
  EXPECT_TRUE(join.wait_line(R"({"abstain":true})")) << join.all_output();
  EXPECT_TRUE(s.console->wait_for([](const json& m) { return m["type"] == "progress" && m["ballots"] == 1; }));
  join.write_line("/withdraw");
  EXPECT_TRUE(s.console->wait_for([](const json& m) { return m["type"] == "progress" && m["ballots"] == 0; }));
  // On a question that offers no pass, the server's refusal is shown and the client carries on.
  s.command({{"type", "goto"}, {"stage", "voices"}});
  s.command({{"type", "open"}, {"question", "voices"}});
  ASSERT_TRUE(join.wait_line("round voices 1 open")) << join.all_output();
  join.write_line("/pass");
  ASSERT_TRUE(join.wait_line("error invalid_ballot")) << join.all_output();
  // End of input waits for every ack: both requests were acked, each named by its type.
  join.close_stdin();
  EXPECT_EQ(join.wait_exit(10s), 0) << join.all_output();
  int acks = 0;
  for (const auto& l : join.lines())
    if (l.starts_with("ack ") && (l.ends_with(" vote") || l.ends_with(" withdraw"))) ++acks;
  EXPECT_EQ(acks, 2) << join.all_output();
}

TEST(Join, AnswersEveryQuestionType) {
  live_session s(false);
  temp_dir home;
  child join({"join", "--server", s.ws_url(), "--code", s.code, "--token-file", home.path() + "/t"});
  ASSERT_TRUE(join.wait_line("joined ")) << join.all_output();
  // The fixture's questions and one answer each, in the terminal syntax.
  const auto view = s.console->request({{"type", "attach"}, {"code", s.code}});
  int acks = 0;
  for (const auto& st : view["session"]["stages"]) {
    if (st.value("kind", "") != "question") continue;
    const auto& q = st["question"];
    const auto type = q.value("type", "");
    std::string line;
    if (type == "choice")
      line = "1";
    else if (type == "scale")
      line = std::to_string(q.value("min", 0));
    else if (type == "points")
      line = "points " + q["options"][0].value("id", "") + "=" + std::to_string(q.value("budget", 0));
    else if (type == "rank") {
      line = "order";
      for (std::size_t i = q["options"].size(); i >= 1; --i) line += " " + std::to_string(i);
    } else if (type == "model_outcome" && q.value("assign", false)) {
      line = "1";  // the assigned model's outcome
    } else if (type == "model_outcome") {
      for (std::size_t i = 0; i < q["models"].size(); ++i) line += (i ? " " : "") + std::to_string(i + 1) + "=1";
    } else if (type == "text")
      line = "a view worth sharing";
    const auto id = q.value("id", "");
    s.command({{"type", "goto"}, {"stage", st.value("id", "")}});
    s.command({{"type", "open"}, {"question", id}});
    ASSERT_TRUE(join.wait_line("round " + id + " 1 open")) << join.all_output();
    join.write_line(line);
    ++acks;
    std::size_t seen = 0;
    for (const auto& l : join.lines()) seen += l.starts_with("ack ") ? 1 : 0;
    for (int i = 0; i < 100 && seen < static_cast<std::size_t>(acks); ++i) {
      std::this_thread::sleep_for(50ms);
      seen = 0;
      for (const auto& l : join.lines()) seen += l.starts_with("ack ") ? 1 : 0;
    }
    ASSERT_EQ(seen, static_cast<std::size_t>(acks)) << type << " " << line << "\n" << join.all_output();
  }
  EXPECT_GE(acks, 4);
  join.close_stdin();
  EXPECT_EQ(join.wait_exit(10s), 0);
}

// Bad flags: exit status 2 and a message naming the flag.
struct bad_flag {
  std::vector<std::string> args;
  std::string message;
};

class BadFlags : public ::testing::TestWithParam<bad_flag> {};

TEST_P(BadFlags, AreRefusedClearly) {
  child c(GetParam().args);
  EXPECT_EQ(c.wait_exit(10s), 2) << c.all_output();
  EXPECT_NE(c.err().find(GetParam().message), std::string::npos) << c.err();
}

const std::string url = "ws://127.0.0.1:9/ws";

INSTANTIATE_TEST_SUITE_P(
    Participant, BadFlags,
    ::testing::Values(
        bad_flag{{}, "usage: participant COMMAND"}, bad_flag{{"dance"}, "unknown command \"dance\""},
        bad_flag{{"join", "--code", "123456"}, "--server is required"},
        bad_flag{{"join", "--server", url}, "--code is required"},
        bad_flag{{"join", "--server", url, "--code", "12ab"}, "--code must be the six-digit join code"},
        bad_flag{{"join", "--server", "ftp://x", "--code", "123456"}, "must start with ws://"},
        bad_flag{{"join", "--server", url, "--code", "123456", "--colour"}, "unknown flag --colour"},
        bad_flag{{"join", "--server", url, "--code", "123456", "--width", "5"},
                 "--width must be a whole number from 20 to 1000"},
        bad_flag{{"join", "--server", url, "--code"}, "--code needs a value"},
        bad_flag{{"join", "--server", url, "--code", "123456", "--plain=maybe"}, "Could not convert: --plain = maybe"},
        bad_flag{{"join", "stray"}, "not expected: stray"},
        bad_flag{{"swarm", "--server", url, "--code", "123456"}, "--count is required"},
        bad_flag{{"swarm", "--server", url, "--code", "123456", "--count", "lots"}, "--count must be a whole number"},
        bad_flag{{"swarm", "--server", url, "--code", "123456", "--count", "-1"},
                 "--count must be a whole number from 0 to 100000"},
        bad_flag{{"swarm", "--server", url, "--count", "5"}, "--code is required"},
        bad_flag{{"swarm", "--server", url, "--count", "5", "--key", "k"}, "--key needs --scenario"},
        bad_flag{{"swarm", "--server", url, "--count", "5", "--code", "123456", "--key", "k", "--scenario", "s"},
                 "not both"},
        bad_flag{{"swarm", "--server", url, "--count", "5", "--code", "123456", "--scenario", "s"},
                 "--scenario needs --key"},
        bad_flag{{"swarm", "--server", url, "--count", "5", "--code", "123456", "--close"}, "need --key"},
        bad_flag{{"swarm", "--server", url, "--count", "5", "--code", "123456", "--ramp", "fast"},
                 "--ramp must be a number"},
        bad_flag{{"swarm", "--server", url, "--count", "5", "--code", "123456", "--vote-window", "-2"},
                 "--vote-window must be a number from 0 to 3600"},
        bad_flag{{"swarm", "--server", url, "--count", "5", "--code", "123456", "--threads", "0"},
                 "--threads must be a whole number from 1"},
        bad_flag{{"swarm", "--server", url, "--count", "5", "--code", "123456", "--source-ips", "127.0.0.9-127.0.0.2"},
                 "runs backwards"},
        bad_flag{{"swarm", "--server", url, "--count", "5", "--code", "123456", "--source-ips", "localhost"},
                 "is not an IP address"},
        bad_flag{{"swarm", "--server", url, "--count", "5", "--code", "123456", "--count", "6"},
                 "--count is given twice"}));

TEST(Help, EveryCommandHasIt) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"}, {"join", "--help"}, {"swarm", "--help"}}) {
    child c(args);
    EXPECT_EQ(c.wait_exit(10s), 0);
    EXPECT_TRUE(c.wait_line("usage: participant", 1s)) << c.all_output();
  }
  child s({"swarm", "--help"});
  EXPECT_TRUE(s.wait_line("--key KEY --scenario ID"));
  EXPECT_TRUE(s.wait_line("--source-ips"));
}

}  // namespace
