// Running it as a service (issue 15): backups while serving, commands that only read, health, metrics, logs.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "csv.hpp"
#include "facilitator_program.hpp"
#include "harness.hpp"
#include "tls_certificate.hpp"

using namespace roundtable::test;
namespace fs = std::filesystem;

namespace {

const char* outcome(int i) {
  static const char* outcomes[] = {"decline", "conditions", "refer"};
  return outcomes[i % 3];
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

// Item 5: a backup taken in the middle of a stream of votes; a server started on the copy has every vote acked
// before the backup began (most of them still in the write-ahead log), and each later one as sent or not at all.
TEST(Backup, TakenDuringAVoteBurstRestoresEveryAckedVote) {
  constexpr int people = 150, per_tick = 5, backup_tick = 10;
  served_session s;
  s.command({{"type", "open"}, {"question", "gut"}});
  std::vector<std::shared_ptr<ws_client>> p;
  for (int i = 0; i < people; ++i) p.push_back(s.join(i));
  const auto vote = [](int i) {
    return json{{"type", "vote"}, {"id", "b"}, {"question", "gut"}, {"ballot", {{"choice", outcome(i)}}}};
  };
  const auto acked = [&](int i, std::size_t upto) {
    const auto got = p[i]->received();
    for (std::size_t k = 0; k < std::min(upto, got.size()); ++k)
      if (got[k].value("id", "") == "b" && got[k].value("type", "") == "ack") return true;
    return false;
  };
  // Everyone votes once, five at a time every 10 ms; the backup starts after the tenth tick.
  std::vector<std::size_t> seen_at_backup(people, 0);
  std::future<ran> backup;
  const std::string copy = s.dir.path() + "/copy.db";
  for (int tick = 0; tick * per_tick < people; ++tick) {
    if (tick == backup_tick) {
      for (int i = 0; i < people; ++i) seen_at_backup[i] = p[i]->count();
      backup = std::async(std::launch::async,
                          [&] { return facilitator("backup --db " + s.dir.path() + "/rt.db --to " + copy); });
    }
    for (int i = tick * per_tick; i < (tick + 1) * per_tick; ++i) p[i]->send(vote(i));
    std::this_thread::sleep_for(10ms);
  }
  const auto done = backup.get();
  ASSERT_EQ(done.status, 0) << done.output;
  EXPECT_NE(done.output.find("backed up"), std::string::npos) << done.output;
  int acked_before = 0;
  for (int i = 0; i < people; ++i) {
    EXPECT_TRUE(p[i]->wait_for([](const json& m) { return m.value("id", "") == "b"; }, 5s)) << i;
    acked_before += acked(i, seen_at_backup[i]) ? 1 : 0;
  }
  EXPECT_GT(acked_before, 0);
  s.server->terminate();

  server_process restored({copy, test_scenarios, test_key, 3, {}});
  EXPECT_EQ(metric(restored.port(), "roundtable_sessions_quarantined"), 0);
  int later_in_copy = 0;
  for (int i = 0; i < people; ++i) {
    auto c = ws_client::connect(restored.port());
    const auto joined = c->request({{"type", "join"}, {"code", s.code}, {"token", token(i)}});
    ASSERT_EQ(joined["type"], "joined") << joined.dump();
    const auto mine = joined["session"]["mine"];
    if (acked(i, seen_at_backup[i])) {
      EXPECT_EQ(mine["gut"], (json{{"choice", outcome(i)}})) << "participant " << i << " was acked before the backup";
    } else if (mine.contains("gut")) {
      EXPECT_EQ(mine["gut"], (json{{"choice", outcome(i)}})) << "participant " << i;
      ++later_in_copy;
    }
  }
  std::cout << acked_before << " votes acked before the backup began; " << later_in_copy << " of the "
            << people - acked_before << " others were in the copy\n";
}

// The target is never overwritten unless asked, and never left half-written; a wrong source is a clear error
// that creates nothing.
TEST(Backup, RefusesAnExistingTargetUnlessForced) {
  served_session s;
  const std::string db = s.dir.path() + "/rt.db", copy = s.dir.path() + "/copy.db";
  { std::ofstream(copy) << "precious"; }
  auto r = facilitator("backup --db " + db + " --to " + copy);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("exists"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(copy), "precious");
  r = facilitator("backup --db " + db + " --to " + copy + " --force");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(read_file(copy).substr(0, 15), "SQLite format 3");
  r = facilitator("backup --db " + db + " --to " + db + " --force");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("own source"), std::string::npos) << r.output;
  for (const auto& f : fs::directory_iterator(s.dir.path()))
    EXPECT_EQ(f.path().string().find(".partial-"), std::string::npos) << f.path();
}

TEST(Backup, AMissingOrForeignSourceIsAClearErrorAndCreatesNothing) {
  temp_dir dir;
  const std::string typo = dir.path() + "/typo.db", copy = dir.path() + "/copy.db";
  auto r = facilitator("backup --db " + typo + " --to " + copy);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("no such file"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(typo));
  EXPECT_FALSE(fs::exists(copy));
  { std::ofstream(typo) << "not a database at all, just some text that is long enough to be a header"; }
  r = facilitator("backup --db " + typo + " --to " + copy);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("not a database"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(copy));
  r = facilitator("backup --db " + typo);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--db and --to are required"), std::string::npos) << r.output;
}

// Item 3: export and purge only read until they have something to do. A mistyped --db used to create an empty
// database and export "no session"; now it is a clear error and no file appears.
TEST(ReadOnlyCommands, ExportOfAMissingDatabaseIsAnErrorAndCreatesNoFile) {
  temp_dir dir;
  const std::string typo = dir.path() + "/typo.db";
  const auto r = facilitator("export --db " + typo + " --code 123456");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("no such file"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(typo), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_empty(dir.path())) << "export left a file behind";
}

TEST(ReadOnlyCommands, PurgeChecksAMissingDatabaseAndAnUnknownCodeWithoutWriting) {
  temp_dir dir;
  const std::string typo = dir.path() + "/typo.db";
  auto r = facilitator("purge --db " + typo + " --code 123456");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("no such file"), std::string::npos) << r.output;
  r = facilitator("purge --db " + typo + " --ended-before 2026-01-01");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("no such file"), std::string::npos) << r.output;
  r = facilitator("purge --db " + typo + " --ended-before yesterday");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("YYYY-MM-DD"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_empty(dir.path())) << "purge left a file behind";
  { std::ofstream(typo) << ""; }  // an empty file is not a Roundtable database either, and stays empty
  r = facilitator("purge --db " + typo + " --ended-before 2026-01-01");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("not a Roundtable database"), std::string::npos) << r.output;
  EXPECT_EQ(fs::file_size(typo), 0u);
}

TEST(ReadOnlyCommands, ExportAndPurgeStillWorkOnARealDatabase) {
  served_session s;
  s.command({{"type", "end"}});
  s.server->terminate();
  const std::string db = s.dir.path() + "/rt.db";
  auto r = facilitator("export --db " + db + " --code " + s.code + " --format csv");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output.rfind("session,question,type,round,voter,answer,note", 0), 0u) << r.output;
  r = facilitator("export --db " + db + " --code 999999");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("no session has the code 999999"), std::string::npos) << r.output;
  r = facilitator("purge --db " + db + " --code 999999");
  EXPECT_EQ(r.status, 1) << r.output;
  r = facilitator("purge --db " + db + " --code " + s.code);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("purged " + s.code), std::string::npos) << r.output;
  r = facilitator("export --db " + db + " --code " + s.code);
  EXPECT_EQ(r.status, 1) << r.output;
}

// Item 6: /healthz is readiness (the contract's "200 once ready"): 503 while the store refuses writes, and ready
// again once the disk is back, even when no one writes (the store tries a small write every second). /livez
// answers 200 throughout: the process is alive, restarting it would not free the disk.
TEST(Health, NotReadyWhileTheStoreRefusesWritesAndReadyAgainWithoutAWrite) {
  served_session s;
  const auto port = s.server->port();
  s.command({{"type", "open"}, {"question", "gut"}});
  auto p = s.join(0);
  auto h = http_get(port, "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, R"({"status":"ok"})");
  EXPECT_EQ(metric(port, "roundtable_store_failing"), 0);
  set_file_size_limit(s.server->pid(), 1024);
  const auto refused = p->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "refer"}}}});
  EXPECT_EQ(refused.value("code", ""), "internal") << refused.dump();
  h = http_get(port, "/healthz");
  EXPECT_EQ(h.status, 503);
  EXPECT_EQ(json::parse(h.body, nullptr, false).value("status", ""), "not ready") << h.body;
  EXPECT_EQ(metric(port, "roundtable_store_failing"), 1);
  EXPECT_EQ(http_get(port, "/livez").status, 200);
  // Still not ready a while later: the probe writes fail too.
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(http_get(port, "/healthz").status, 503);
  // The disk comes back; nobody votes; within a few probe intervals the server is ready again.
  set_file_size_limit(s.server->pid(), RLIM_INFINITY);
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    std::this_thread::sleep_for(100ms);
    status = http_get(port, "/healthz").status;
  }
  EXPECT_EQ(status, 200);
  EXPECT_EQ(p->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "refer"}}}})["type"], "ack");
}

// Item 8: the operator's metrics are there under their fixed names, and the vote-to-ack histogram counts votes.
TEST(Metrics, BuildProcessAndVoteToAckLatency) {
  served_session s;
  const auto port = s.server->port();
  const auto page = http_get(port, "/metrics", test_key).body;
  EXPECT_NE(page.find("roundtable_build_info{version=\""), std::string::npos) << page;
  EXPECT_GT(metric(port, "process_resident_memory_bytes"), 1e6);
  EXPECT_GT(metric(port, "process_open_fds"), 3);
  EXPECT_GE(metric(port, "process_cpu_seconds_total"), 0);
  EXPECT_NE(page.find("# TYPE roundtable_vote_ack_seconds histogram"), std::string::npos) << page;
  EXPECT_EQ(metric(port, "roundtable_vote_ack_seconds_count"), 0);
  s.command({{"type", "open"}, {"question", "gut"}});
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(s.join(i)->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", outcome(i)}}}})["type"],
              "ack");
  EXPECT_EQ(metric(port, "roundtable_vote_ack_seconds_count"), 4);
  EXPECT_EQ(metric(port, "roundtable_vote_ack_seconds_bucket{le=\"+Inf\"}"), 4);
  EXPECT_GT(metric(port, "roundtable_vote_ack_seconds_sum"), 0);
  EXPECT_EQ(metric(port, "roundtable_ballots_total"), 4);
}

// Item 7: with --log-format json every stderr line is one JSON object with a time, a level and an event; the
// operator events are there (start with its options, session started and ended with the code, store failures,
// shutdown), and no line holds the key, a token or a ballot.
// The log lines of a server's output (the banner on stdout skipped), each checked to be one JSON object with a
// time, a level, an event and a message; a line that is not fails the test.
std::vector<json> json_log_lines(const std::string& output) {
  std::vector<json> lines;
  std::istringstream out(output);
  for (std::string line; std::getline(out, line);) {
    if (line.rfind("listening on ", 0) == 0 || line.rfind("console: ", 0) == 0 ||
        line.rfind("participants: ", 0) == 0 || line.rfind("scenarios: ", 0) == 0)
      continue;  // the banner on stdout (the contract's first line), not the log
    auto j = json::parse(line, nullptr, false);
    EXPECT_TRUE(j.is_object()) << "not a JSON line: " << line;
    if (!j.is_object()) continue;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("event") && j.contains("message")) << line;
    lines.push_back(std::move(j));
  }
  return lines;
}

TEST(Logs, JsonLinesForEveryOperatorEventWithoutSecrets) {
  served_session s({.extra = {"--log-format", "json"}});
  s.command({{"type", "open"}, {"question", "gut"}});
  auto p = s.join(0);
  ASSERT_EQ(p->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "conditions"}}}})["type"], "ack");
  set_file_size_limit(s.server->pid(), 1024);
  EXPECT_EQ(p->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "refer"}}}}).value("code", ""),
            "internal");
  set_file_size_limit(s.server->pid(), RLIM_INFINITY);
  s.command({{"type", "end"}});
  EXPECT_EQ(s.server->terminate(), 0);
  std::map<std::string, json> seen;  // event -> its last line
  for (const auto& j : json_log_lines(s.server->output())) {
    const auto line = j.dump();
    EXPECT_EQ(line.find(test_key), std::string::npos) << line;
    EXPECT_EQ(line.find(token(0)), std::string::npos) << line;
    EXPECT_EQ(line.find("conditions"), std::string::npos) << line;
    // No client address: only the server's own listening address, in its start line.
    if (j["event"] != "server_started") {
      EXPECT_EQ(line.find("127.0.0.1"), std::string::npos) << line;
    }
    seen[j["event"]] = j;
  }
  ASSERT_TRUE(seen.count("server_started"));
  EXPECT_EQ(seen["server_started"]["min_group"], "3");
  EXPECT_FALSE(seen["server_started"].contains("key"));
  EXPECT_EQ(seen["session_started"]["code"], s.code);
  EXPECT_EQ(seen["session_ended"]["code"], s.code);
  EXPECT_EQ(seen["store_write_failed"]["level"], "error");
  EXPECT_EQ(seen["shutdown"]["signal"], "SIGTERM");
  EXPECT_TRUE(seen.count("server_stopped"));
}

// Item 7, the transport's part: what the net library reports (here a TLS handshake refused, as clear-text HTTP
// on the TLS port always is) is a JSON line like every other, without the client's address or its bytes.
TEST(Logs, TransportMessagesAreJsonLinesToo) {
  temp_dir certs;
  make_certificate(certs.path());
  served_server s({.extra = {"--log-format", "json", "--tls-cert", certs.path() + "/cert.pem", "--tls-key",
                             certs.path() + "/key.pem"}});
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket plain(ioc);
    plain.connect({boost::asio::ip::make_address("127.0.0.1"), s.server->port()});
    boost::asio::write(plain,
                       boost::asio::buffer(std::string("GET /healthz?probe=cleartext HTTP/1.1\r\nHost: x\r\n\r\n")));
    char got[256];
    boost::system::error_code ec;
    while (!ec) plain.read_some(boost::asio::buffer(got), ec);  // until the server hangs up
  }
  EXPECT_EQ(s.server->terminate(), 0);
  std::vector<json> transport;
  for (const auto& j : json_log_lines(s.server->output())) {
    if (j["event"] != "connection_failed") continue;
    transport.push_back(j);
    const auto line = j.dump();
    EXPECT_EQ(line.find("127.0.0.1"), std::string::npos) << line;
    EXPECT_EQ(line.find("cleartext"), std::string::npos) << line;
  }
  ASSERT_EQ(transport.size(), 1u) << s.server->output();
  EXPECT_EQ(transport[0]["level"], "warning");
  EXPECT_EQ(transport[0]["message"].get<std::string>().rfind("tls handshake: ", 0), 0u) << transport[0].dump();
  EXPECT_EQ(s.server->output().find("roundtable net:"), std::string::npos) << s.server->output();
}

// Item 13: the per-question summary CSV holds the counts of each round that the live tallies show, and only the
// ballot count of a round below min_group; ?bom=1 prefixes either CSV with the UTF-8 byte order mark.
TEST(Exports, SummaryCsvCountsPerOptionPerRoundRespectingMinGroup) {
  served_session s;  // min_group 3
  s.command({{"type", "open"}, {"question", "gut"}});
  std::vector<std::shared_ptr<ws_client>> p;
  for (int i = 0; i < 4; ++i) p.push_back(s.join(i));
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(
        p[i]->request(
            {{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", i < 3 ? "refer" : "decline"}}}})["type"],
        "ack");
  s.command({{"type", "close"}, {"question", "gut"}});
  s.command({{"type", "open"}, {"question", "gut"}});  // round 2: two answers only, below min_group
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(p[i]->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "conditions"}}}})["type"],
              "ack");
  s.command({{"type", "close"}, {"question", "gut"}});
  const auto r = http_get(s.server->port(), "/api/sessions/" + s.code + "/summary.csv", test_key);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/csv; charset=utf-8");
  const auto rows = read_csv(r.body);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0], (std::vector<std::string>{"session", "question", "type", "round", "ballots", "measure", "value"}));
  std::map<std::string, std::string> cell;  // "round measure" -> value, for gut
  for (const auto& row : rows)
    if (row.size() == 7 && row[1] == "gut") cell[row[3] + " " + row[5]] = row[6];
  EXPECT_EQ(cell["1 counts.refer"], "3");
  EXPECT_EQ(cell["1 counts.decline"], "1");
  EXPECT_EQ(cell["1 counts.conditions"], "0");
  EXPECT_TRUE(cell.count("2 suppressed"));
  for (const auto& [k, v] : cell) EXPECT_NE(k.rfind("2 counts", 0), 0u) << "round 2 is below min_group: " << k;
  for (const auto& row : rows)
    if (row.size() == 7 && row[1] == "gut" && row[3] == "2") {
      EXPECT_EQ(row[4], "2");
    }
  // The byte order mark, only when asked for.
  EXPECT_NE(r.body.rfind("\xEF\xBB\xBF", 0), 0u);
  for (const std::string file : {"summary.csv", "export.csv"}) {
    const auto bom = http_get(s.server->port(), "/api/sessions/" + s.code + "/" + file + "?bom=1", test_key);
    ASSERT_EQ(bom.status, 200);
    EXPECT_EQ(bom.body.rfind("\xEF\xBB\xBF"
                             "session,",
                             0),
              0u)
        << file;
  }
  EXPECT_EQ(http_get(s.server->port(), "/api/sessions/" + s.code + "/summary.csv").status, 401);
  EXPECT_EQ(http_get(s.server->port(), "/api/sessions/999999/summary.csv", test_key).status, 404);
}

TEST(Exports, TheCommandLineWritesTheSummaryAndTheBom) {
  served_session s;
  s.command({{"type", "open"}, {"question", "gut"}});
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(s.join(i)->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "refer"}}}})["type"],
              "ack");
  s.command({{"type", "close"}, {"question", "gut"}});
  const std::string db = s.dir.path() + "/rt.db";
  auto r = facilitator("export --db " + db + " --code " + s.code + " --format summary --bom");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output.rfind("\xEF\xBB\xBF"
                           "session,question,type,round,ballots,measure,value\n",
                           0),
            0u)
      << r.output;
  EXPECT_NE(r.output.find(s.code + ",gut,choice,1,3,counts.refer,3\n"), std::string::npos) << r.output;
  r = facilitator("export --db " + db + " --code " + s.code + " --format csv");
  EXPECT_EQ(r.output.rfind("session,", 0), 0u) << r.output;
  r = facilitator("export --db " + db + " --code " + s.code + " --bom");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--bom is for the CSV formats"), std::string::npos) << r.output;
}
